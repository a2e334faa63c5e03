/* mail.h: the customer email outbox: queue in the caller's transaction, send from dispatch. */
#ifndef APP_MAIL_H
#define APP_MAIL_H

#include <stdint.h>

struct ctx;

/* Emails are kept: a failed send is retried 2^attempts minutes later (capped
 * at an hour) and the email is dead after MAIL_MAX_ATTEMPTS failed sends. */
#define MAIL_MAX_ATTEMPTS 8

/* Renders templates/emails/<kind>.mustache with the order's data and inserts
 * it into the outbox for the order's customer. Kinds: "confirmed" (items,
 * inscription, slot), "on_the_way" (tracking links, courier), "delivered",
 * "cancelled" (refund amount if any), "refunded" (money
 * refunded after the order had expired unpaid). Runs in the caller's transaction; a kind
 * already queued for the order is a no-op (unique (order_id, kind)).
 * Returns 0 (queued or already there), -1 on a DB error (the caller's
 * transaction is then aborted), -2 when nothing was queued for another reason
 * (unknown kind or order, template missing: logged; the transaction is fine). */
int mail_queue(struct ctx *c, const char *order_id, const char *kind);

/* Sends up to max due emails through cfg->smtp_url, one claim at a time,
 * stopping at deadline_ms (mono clock) or when the server is unreachable.
 * Adds to *sent and *failed. Returns 0, or -1 on a DB error. Does nothing
 * when SMTP_URL is unset (the emails stay queued). */
int mail_send_due(struct ctx *c, int max, int64_t deadline_ms, int *sent, int *failed);

/* Builds the RFC 5322 text (CRLF line ends) of one email into the arena.
 * NULL when a header value holds CR or LF (header injection). */
char *mail_message(struct ctx *c, long long email_id, const char *from, const char *to,
		   const char *subject, const char *body);

#endif
