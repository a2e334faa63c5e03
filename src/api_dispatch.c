/* api_dispatch.c: POST /api/internal/dispatch (the cron's token): one dispatch pass, its summary as the answer. */
#include <stddef.h>

#include "dispatch.h"
#include "handlers.h"
#include "http.h"
#include "payments.h"

/* payments.c still takes the request: the pass reaches it through these two,
 * which only ever get the context of the request below (&r->ctx). Once
 * payments.c takes a context, dispatch.c calls it directly and they go. */
static struct req *req_of(struct ctx *c)
{
	return (struct req *)(void *)((char *)c - offsetof(struct req, ctx));
}

static int reconcile(struct ctx *c, int limit, int *confirmed, int *refunded)
{
	return payments_reconcile(req_of(c), limit, confirmed, refunded);
}

static int retry_refunds(struct ctx *c, int limit)
{
	return payments_retry_refunds(req_of(c), limit);
}

int dispatch_post(struct req *r)
{
	static const struct dispatch_payments pay = { reconcile, retry_refunds };
	struct json_object *summary;
	enum outcome o = dispatch_pass(&r->ctx, &pay, &summary);

	if (o != OK)
		return reply_outcome(r, o, NULL);
	return reply_json(r, 200, json_object_get(summary));
}
