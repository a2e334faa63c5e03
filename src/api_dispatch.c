/* api_dispatch.c: POST /api/internal/dispatch (the cron's token): one dispatch pass, its summary as the answer. */
#include "dispatch.h"
#include "handlers.h"
#include "http.h"

int dispatch_post(struct req *r)
{
	struct json_object *summary;
	enum outcome o = dispatch_pass(&r->ctx, &summary);

	if (o != OK)
		return reply_outcome(r, o, NULL);
	return reply_json(r, 200, json_object_get(summary));
}
