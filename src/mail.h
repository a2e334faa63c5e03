/* mail.h: the customer email outbox: queue in the caller's transaction, send as jobs. */
#ifndef APP_MAIL_H
#define APP_MAIL_H

#include <stddef.h>

#include "jobs.h"

struct ctx;

/* Every queued email gets a send_email job when it is written (a trigger of
 * schema/0009_one_queue.sql, so no writer can forget it), due at its
 * send_after; moving send_after moves the job. The job queue's back-off rule
 * applies (jobs.h); the email is dead after 8 failed sends (the max_attempts
 * the trigger gives its job). */

/* Renders templates/emails/<kind>.mustache with the order's data and inserts
 * it into the outbox for the order's customer. Kinds: "confirmed" (items,
 * inscription, slot, and the link to the tax invoice when the shop has a
 * GSTIN: invoices.h issues it in the same transaction), "on_the_way" (tracking links, courier), "delivered",
 * "cancelled" (refund amount if any), "refunded" (money
 * refunded after the order had expired unpaid). Runs in the caller's transaction; a kind
 * already queued for the order is a no-op (unique (order_id, kind)), and so is
 * any email to a deleted account.
 * Returns 0 (queued or already there), -1 on a DB error (the caller's
 * transaction is then aborted), -2 when nothing was queued for another reason
 * (unknown kind or order, template missing: logged; the transaction is fine). */
int mail_queue(struct ctx *c, const char *order_id, const char *kind);

/* Queues the email of the password reset reset_id (accounts.c) to its
 * account, in the caller's transaction. Its body is written when it is sent:
 * the reset's token is made then (auth_reset_issue) and only its hash is
 * kept; the outbox keeps the body without the link. A reset that is no longer
 * live by then (superseded, used, its account deleted) makes the email 'void'
 * (never sent). reset_id NULL (an unknown email) runs the same statement and
 * writes nothing. 0, or -1 on a DB error. */
int mail_queue_reset(struct ctx *c, const char *reset_id);

/* Tells the account's owner that its password was just changed (by_reset: with a
 * reset link, else signed in), with what to do if it was not them. In the caller's
 * transaction (the one that changes the password). 0, or -1 on a DB error, -2
 * when the template is missing. */
int mail_queue_password_changed(struct ctx *c, const char *user_id, int by_reset);

/* The send_email job kind (jobs.h): sends the job's email through SMTP_URL
 * and marks it sent; a failure is mirrored on the outbox row by
 * mail_send_failed (attempts, last_error, state, send_after = the job's next
 * run). mail_ready is 0 while SMTP_URL is unset: the emails stay queued. */
int mail_ready(void);
enum job_result mail_send_job(struct ctx *c, const struct job *j, char *err, size_t errlen);
int mail_send_failed(struct ctx *c, const struct job *j, int dead, const char *err);

#endif
