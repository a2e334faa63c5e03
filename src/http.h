/* http.h: the request context, its inputs, and every way to answer it. */
#ifndef APP_HTTP_H
#define APP_HTTP_H

#include <fcgiapp.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "ctx.h"
#include "outcome.h"

struct mp_part;
struct route;

struct req {
	FCGX_Request *fcgi;
	struct ctx ctx;	 /* what domain calls get: arena, database, who */
	struct arena *a; /* == ctx.a, for the front's own allocations */
	/* inputs, copied into the arena (FCGX params die at Finish) */
	const char *method, *path, *query, *request_id, *remote_addr;
	const char *content_type, *cookie, *authorization, *if_none_match;
	const char *body; /* NUL-terminated copy; body_len bytes */
	size_t body_len;
	struct json_object *json; /* the parsed body of a JSON route */
	const char *param[4];	  /* {id} captures of the route pattern */
	int param_bad;		  /* a typed capture did not fit: the route's 404 */
	struct mp_part *parts;	  /* the parsed body of a multipart route */
	int nparts;		  /* -1 when it was malformed (mp_error says why) */
	const char *mp_error;
	const struct route *route;
	int64_t started_ms;
	int64_t started_us; /* for the duration histogram (metrics.h) */
	/* output */
	int status;
	struct buf headers;
	struct buf out;
	const char *error_code; /* for the access log */
};

/* Query string and cookies: URL-decoded into the arena; NULL when absent. */
const char *query_get(struct req *r, const char *name);
const char *cookie_get(struct req *r, const char *name);
/* Decode application/x-www-form-urlencoded text; value of name or NULL. */
const char *form_get(struct req *r, const char *body, const char *name);
const char *req_header(struct req *r, const char *cgi_name); /* e.g. "HTTP_X_RAZORPAY_SIGNATURE" */

/* 1 when URL-encoded text s (a query, a form body, a raw path) decodes to a
 * NUL byte anywhere ("%00"): such a value would be cut short, so it is a 400. */
int url_has_nul(const char *s);

/* Percent-encodes s for a query value (unreserved characters and '/' kept). */
const char *url_encode(struct arena *a, const char *s);

/* Adds a response header; CR and LF in the value become spaces. */
void reply_header(struct req *r, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Answers are compact and keep '/' as is ("https://..."): JSON never goes into an
 * HTML <script> here (pages get values through the escaping renderer). */
#define JSON_OUT_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Cache-Control: no-store on an answer whose handler set no Cache-Control of
 * its own: personal data, tokens and admin pages are never kept by a browser or
 * a proxy; what may be cached (the public catalog) says so itself. */
void reply_cache_default(struct req *r);

/* Every reply function returns 0 so that handlers can `return reply_...(r, ...)`. */
int reply_json(struct req *r, int status, struct json_object *o); /* takes o */
int reply_raw(struct req *r, int status, const char *ctype, const char *body, size_t len);
int reply_error(struct req *r, int status, const char *code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
int reply_empty(struct req *r, int status);
int reply_redirect(struct req *r, const char *location);
/* Renders templates/<name>.mustache with ctx (taken) and answers text/html. */
int reply_html(struct req *r, int status, const char *name, struct json_object *ctx);
/* A failed DB call: 503 when the database is gone, 500 (logged) otherwise. */
int reply_db_error(struct req *r);
/* Answers a domain outcome through outcome.c's table (E_DB: reply_db_error).
 * field (may be NULL) names the input at fault. */
int reply_outcome(struct req *r, enum outcome o, const char *field);
/* The same with a message of the handler's own instead of the table's. */
int reply_outcome_msg(struct req *r, enum outcome o, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
