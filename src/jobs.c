/* jobs.c: claim, retry and back-off of background work (PITFALLS B5). */
#include <stdio.h>
#include <stdlib.h>

#include "arena.h"
#include "buf.h"
#include "db.h"
#include "jobs.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* 2^k minutes, capped at an hour, as SQL over the integer parameter $k. */
#define BACKOFF_SQL(k) "make_interval(mins => least(60, power(2, least(" k ", 10))::int))"

int job_enqueue(struct ctx *c, const char *kind, const char *order_id, int first_run)
{
	char k[16];

	snprintf(k, sizeof k, "%d", first_run);
	return db_query(c,
		"INSERT INTO jobs (kind, order_id, max_attempts, run_at) "
		"VALUES ($1, $2, " STR(JOB_MAX_ATTEMPTS) ", "
		"CASE WHEN $3::int = 0 THEN now() ELSE now() + " BACKOFF_SQL("$3::int") " END) "
		"ON CONFLICT (kind, order_id) WHERE state IN ('queued','running') AND kind <> 'send_email' "
		"DO NOTHING", kind, order_id, k) ? 0 : -1;
}

PGresult *jobs_claim(struct ctx *c, const char *const *kinds, int n)
{
	struct buf arr = BUF_INIT;
	char lim[16];

	/* a text[] literal of plain identifiers: no quoting needed */
	buf_putc(&arr, '{');
	for (int i = 0; kinds[i]; i++)
		buf_printf(&arr, "%s%s", i ? "," : "", kinds[i]);
	buf_putc(&arr, '}');
	snprintf(lim, sizeof lim, "%d", n);
	const char *a = arena_strdup(c->a, arr.data);
	buf_free(&arr);
	return db_query(c,
		"UPDATE jobs SET state = 'running', locked_at = now(), attempts = attempts + 1, updated_at = now() "
		"WHERE id IN (SELECT id FROM jobs WHERE state = 'queued' AND run_at <= now() "
		"AND kind = ANY($1::text[]) ORDER BY run_at FOR UPDATE SKIP LOCKED LIMIT $2::int) "
		"RETURNING id, kind, order_id, attempts, max_attempts, payload", a, lim);
}

int jobs_requeue_stale(struct ctx *c)
{
	PGresult *res = db_query(c,
		"UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, "
		"locked_at = NULL, last_error = coalesce(last_error, 'worker vanished'), updated_at = now() "
		"WHERE id IN (SELECT id FROM jobs WHERE state = 'running' "
		"AND locked_at < now() - make_interval(mins => " STR(JOB_STALE_MINUTES) ") FOR UPDATE SKIP LOCKED)");
	return res ? atoi(PQcmdTuples(res)) : -1;
}

int job_done(struct ctx *c, const char *id)
{
	return db_query(c, "UPDATE jobs SET state = 'done', locked_at = NULL, updated_at = now() "
			   "WHERE id = $1 AND state = 'running'", id) ? 0 : -1;
}

int job_failed(struct ctx *c, const char *id, const char *err)
{
	PGresult *res = db_query(c,
		"UPDATE jobs SET locked_at = NULL, last_error = $2, updated_at = now(), "
		"state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, "
		"run_at = now() + " BACKOFF_SQL("attempts + 1") " "
		"WHERE id = $1 AND state = 'running' RETURNING state", id, err);
	if (!res)
		return -1;
	return PQntuples(res) == 1 && db_val(res, 0, "state")[0] == 'd';
}
