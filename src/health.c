/* health.c: GET /api/health (database ping) and GET /api/openapi.json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "handlers.h"
#include "http.h"
#include "json.h"
#include "status.h"

int health_get(struct req *r)
{
	struct json_object *o = json_object_new_object();
	int up = status_database_up(&r->ctx);

	json_object_object_add(o, "status", jstr(up ? "ok" : "unavailable"));
	json_object_object_add(o, "database", jstr(up ? "ok" : "unreachable"));
	reply_header(r, "Cache-Control", "no-store");
	return reply_json(r, up ? 200 : 503, o);
}

/* The document is read once per worker; it ships with the code. */
static char *openapi_doc;
static size_t openapi_len;
static char openapi_etag[32];

static int load_openapi(void)
{
	FILE *f = fopen(cfg->openapi_path, "rb");
	struct buf b = BUF_INIT;
	char chunk[8192];
	size_t n;
	unsigned long h = 5381;

	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_put(&b, chunk, n);
	fclose(f);
	openapi_len = b.len;
	openapi_doc = buf_detach(&b);
	for (size_t i = 0; i < openapi_len; i++)
		h = h * 33 + (unsigned char)openapi_doc[i];
	snprintf(openapi_etag, sizeof openapi_etag, "\"%lx\"", h);
	return 0;
}

int openapi_get(struct req *r)
{
	if (!openapi_doc && load_openapi() != 0)
		return reply_error(r, 503, "UNAVAILABLE", NULL, "The API document is not installed");
	reply_header(r, "ETag", "%s", openapi_etag);
	reply_header(r, "Cache-Control", "public, no-cache"); /* public; revalidated by its ETag */
	if (r->if_none_match && strcmp(r->if_none_match, openapi_etag) == 0)
		return reply_empty(r, 304);
	return reply_raw(r, 200, "application/json", openapi_doc, openapi_len);
}
