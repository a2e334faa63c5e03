/* jobs.h: background work in the jobs table: queue, claim (SKIP LOCKED), retry with back-off. */
#ifndef APP_JOBS_H
#define APP_JOBS_H

#include <libpq-fe.h>

struct ctx;

/* Back-off rule: run k of a job (k = 1..max_attempts) happens 2^k minutes
 * after the failure before it (2, 4, 8, 16, 32 min; capped at 60). A job that
 * fails its max_attempts-th run (default 5) is dead. A job left 'running' for
 * more than JOB_STALE_MINUTES (its worker died) is queued again. */
#define JOB_MAX_ATTEMPTS 5
#define JOB_STALE_MINUTES 5

/* Queues a job of kind for order_id (NULL allowed), due in 2^first_run
 * minutes (first_run 0 = now). A kind with an open (queued or running) job
 * for the same order is not queued twice (unique index): then a no-op.
 * Runs in the caller's transaction if one is open. 0, or -1 on a DB error. */
int job_enqueue(struct ctx *c, const char *kind, const char *order_id, int first_run);

/* Claims up to n due queued jobs of the given kinds (NULL-terminated) for this
 * caller: state 'running', locked_at now, attempts + 1. Returns the rows
 * (id, kind, order_id, attempts, max_attempts, payload) or NULL on a DB error. */
PGresult *jobs_claim(struct ctx *c, const char *const *kinds, int n);

/* Queues running jobs whose worker vanished (locked_at older than the stale
 * limit). Returns how many, or -1 on a DB error. */
int jobs_requeue_stale(struct ctx *c);

/* The claimed job succeeded (or has nothing left to do): state 'done'. */
int job_done(struct ctx *c, const char *id);

/* The claimed job failed with err: queued again with back-off, or 'dead' once
 * its attempts reached max_attempts. Returns 1 when it is now dead, 0 when
 * requeued, -1 on a DB error. */
int job_failed(struct ctx *c, const char *id, const char *err);

#endif
