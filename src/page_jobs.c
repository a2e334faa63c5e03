/* page_jobs.c: the admin's background-work page (failing jobs with a retry, stuck emails, orders needing attention). */
#include <stdlib.h>
#include <time.h>

#include "admin.h"
#include "backlog.h"
#include "handlers.h"
#include "conf.h"
#include "jobs.h"
#include "json.h"
#include "timefmt.h"

/* Gives each row of list a field `to` {iso, human, full} for the instant in its field `from`. */
static void add_times(struct json_object *list, const char *from, const char *to, enum timefmt_style style, time_t now)
{
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *row = json_object_array_get_idx(list, i), *v;
		const char *text = json_object_object_get_ex(row, from, &v) ? json_object_get_string(v) : NULL;
		struct json_object *t = timefmt_json(text, style, cfg->slot_minutes, now);
		if (t)
			json_object_object_add(row, to, t);
	}
}

int admin_jobs_page(struct req *r)
{
	struct backlog b;
	enum outcome o = backlog_read(&r->ctx, &b);

	if (o != OK)
		return reply_outcome(r, o, NULL);
	time_t now = time(NULL);
	add_times(b.jobs, "runAt", "nextRun", TIMEFMT_RELATIVE, now);
	add_times(b.emails, "sendAfter", "after", TIMEFMT_RELATIVE, now);
	add_times(b.attention, "deliverySlot", "slot", TIMEFMT_SLOT, now);
	struct json_object *ctx = admin_page_ctx(r, "jobs", "Jobs");
	json_object_object_add(ctx, "jobs", json_object_get(b.jobs));
	json_object_object_add(ctx, "emails", json_object_get(b.emails));
	json_object_object_add(ctx, "attention", json_object_get(b.attention));
	return reply_html(r, 200, "admin/jobs", ctx);
}

int admin_job_retry_post(struct req *r)
{
	switch (job_retry(&r->ctx, strtoll(r->param[0], NULL, 10))) {
	case OK:
		return reply_redirect(r, "/admin/jobs?m=job_retried");
	case E_JOB_NOT_FOUND:
		return reply_redirect(r, "/admin/jobs?m=job_missing");
	default:
		return reply_db_error(r);
	}
}
