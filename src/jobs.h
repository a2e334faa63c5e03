/* jobs.h: THE queue of background work. Courier bookings, refunds and emails
 * are kinds of one jobs table: this module alone queues, claims (SKIP LOCKED),
 * backs off, requeues stuck jobs and marks dead ones; each kind registers one
 * function that does the work. */
#ifndef APP_JOBS_H
#define APP_JOBS_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "outcome.h"

struct ctx;

/* The back-off rule, the same for every kind: the n-th failed attempt at a
 * piece of work is retried 2^n minutes later, capped at
 * JOB_BACKOFF_CAP_MINUTES, and failures from before the job existed count
 * (a courier booking is queued after the API's attempt failed: its runs come
 * 2, 4, 8, 16, 32 minutes apart; an email's first failure waits 2 minutes).
 * A job that fails its max_attempts-th run is dead. A job left 'running' for
 * JOB_STALE_MINUTES (its worker died) is queued again. */
#define JOB_MAX_ATTEMPTS 5
#define JOB_BACKOFF_CAP_MINUTES 60
#define JOB_STALE_MINUTES 5

/* Minutes to wait after the n-th failure (n >= 1): min(2^n, the cap). */
int job_backoff_minutes(int n);

/* One claimed job, in the arena. */
struct job {
	const char *id;
	const char *kind;
	const char *order_id; /* NULL when the job is not about an order */
	int attempts;	      /* runs so far, this one included */
	int prior_failures;   /* failed attempts before the job was queued */
	int max_attempts;
	struct json_object *payload; /* an object, never NULL */
};

enum job_result {
	JOB_DONE,     /* finished, or nothing a retry could change */
	JOB_RETRY,    /* failed: run again after the back-off (dead after max_attempts) */
	JOB_GIVE_UP,  /* failed for good: dead now */
	JOB_STOP,     /* failed because the partner is down: like RETRY, and no more of this kind this pass */
	JOB_DB_ERROR, /* the database failed: the job stays running and is requeued when stale */
};

struct job_kind {
	const char *name;
	/* Does the work, outside any transaction; err gets a one-line reason on failure. */
	enum job_result (*run)(struct ctx *c, const struct job *j, char *err, size_t errlen);
	/* Optional: told how a failed run ended (dead, or queued again with back-off),
	 * in the transaction that recorded it. 0, or -1 on a DB error. */
	int (*failed)(struct ctx *c, const struct job *j, int dead, const char *err);
	/* Optional: 0 holds every job of this kind queued this pass (e.g. SMTP unset). */
	int (*ready)(void);
	/* the pass's summary counters for this kind (may be NULL) */
	const char *done_key, *failed_key;
};

/* A job to queue. */
struct job_new {
	const char *kind;
	const char *order_id; /* may be NULL */
	const char *payload;  /* a JSON object as text; NULL for {} */
	int prior_failures;   /* attempts that already failed (counted by the back-off) */
	int delay_minutes;    /* first due after this long */
	int max_attempts;     /* 0: JOB_MAX_ATTEMPTS */
};

/* Queues the job. A kind with an open job for the same order is not queued
 * twice (unique index; emails excepted): then a no-op. One statement: part of
 * the caller's transaction when there is one. 0, or -1 on a DB error. */
int job_enqueue(struct ctx *c, const struct job_new *n);

/* Settles the open job of kind whose payload has key = value from outside the
 * runner (the work was done another way): 'done', or 'dead' with err. 0 or -1. */
int job_settle(struct ctx *c, const char *kind, const char *key, const char *value, int dead, const char *err);

/* A job that staff should see (a WHERE condition on jobs): dead, or queued
 * again after a failed run. */
#define JOB_FAILING_SQL "(state = 'dead' OR (state = 'queued' AND attempts > 0))"

/* Staff's retry: a dead or failing job is queued to run now, its attempts
 * forgotten (the back-off starts over). OK; E_JOB_NOT_FOUND when no such job
 * is dead or failing, or when its order already has another open job of the
 * kind; E_DB. */
enum outcome job_retry(struct ctx *c, int64_t id);

/* Queues running jobs whose worker vanished. Returns how many, or -1. */
int jobs_requeue_stale(struct ctx *c);

/* Runs up to max due jobs of the given kinds (oldest first, one claim at a
 * time, SKIP LOCKED so passes on several hosts share the work) until
 * deadline_ms (mono clock), recording each outcome with the back-off rule.
 * Adds jobsRun, jobsFailed, jobsDead and the kinds' own counters to summary.
 * 0, or -1 on a DB error. */
int jobs_run_due(struct ctx *c, const struct job_kind *kinds, size_t nkinds, int max, int64_t deadline_ms,
		 struct json_object *summary);

/* summary[key] += n (created at 0 on first use); key NULL: nothing. */
void summary_count(struct json_object *summary, const char *key, int n);

#endif
