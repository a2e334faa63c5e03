/* page_jobs.c: the admin's background-work page (failing jobs with a retry, stuck emails, orders needing attention). */
#include <stdlib.h>

#include "admin.h"
#include "backlog.h"
#include "handlers.h"
#include "jobs.h"

int admin_jobs_page(struct req *r)
{
	struct backlog b;
	enum outcome o = backlog_read(&r->ctx, &b);

	if (o != OK)
		return reply_outcome(r, o, NULL);
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
