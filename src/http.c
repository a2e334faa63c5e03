/* http.c: query, cookies and forms in; JSON, HTML, errors and redirects out. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "http.h"
#include "metrics.h"
#include "render.h"
#include "util.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* URL-decodes s[0..n) into the arena ('+' is a space in forms and queries). */
static char *url_decode(struct arena *a, const char *s, size_t n)
{
	char *d = arena_alloc(a, n + 1), *o = d;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			*o++ = ' ';
		} else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			*o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return d;
}

/* Finds name in "a=1&b=2" (sep '&') or "a=1; b=2" (sep ';'). */
static const char *pairs_get(struct arena *a, const char *s, char sep, const char *name, int decode)
{
	size_t nl = strlen(name);

	while (s && *s) {
		while (*s == ' ')
			s++;
		const char *end = strchr(s, sep);
		size_t len = end ? (size_t)(end - s) : strlen(s);
		const char *eq = memchr(s, '=', len);
		size_t kl = eq ? (size_t)(eq - s) : len;
		if (kl == nl && memcmp(s, name, nl) == 0) {
			const char *v = eq ? eq + 1 : s + len;
			size_t vl = (size_t)(s + len - v);
			return decode ? url_decode(a, v, vl) : arena_strndup(a, v, vl);
		}
		s = end ? end + 1 : NULL;
	}
	return NULL;
}

int url_has_nul(const char *s)
{
	/* url_decode turns "%00", and only that, into a NUL */
	return s && strstr(s, "%00") != NULL;
}

const char *query_get(struct req *r, const char *name)
{
	return pairs_get(r->a, r->query, '&', name, 1);
}

const char *cookie_get(struct req *r, const char *name)
{
	return pairs_get(r->a, r->cookie, ';', name, 0);
}

const char *form_get(struct req *r, const char *body, const char *name)
{
	return pairs_get(r->a, body, '&', name, 1);
}

const char *req_header(struct req *r, const char *cgi_name)
{
	return arena_strdup(r->a, FCGX_GetParam(cgi_name, r->fcgi->envp));
}

void reply_header(struct req *r, const char *name, const char *fmt, ...)
{
	va_list ap;

	buf_printf(&r->headers, "%s: ", name);
	size_t start = r->headers.len;
	va_start(ap, fmt);
	buf_vprintf(&r->headers, fmt, ap);
	va_end(ap);
	/* a value never ends the header block: no response splitting, whatever went in */
	for (size_t i = start; i < r->headers.len; i++)
		if (r->headers.data[i] == '\r' || r->headers.data[i] == '\n')
			r->headers.data[i] = ' ';
	buf_puts(&r->headers, "\r\n");
}

const char *url_encode(struct arena *a, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = arena_alloc(a, strlen(s) * 3 + 1), *o = out;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || strchr("-._~/", *p)) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

void reply_cache_default(struct req *r)
{
	static const char name[] = "Cache-Control:";
	const char *h = r->headers.data;

	/* header lines start the block or follow a CRLF */
	for (size_t i = 0; h && i + sizeof name - 1 <= r->headers.len; i++)
		if ((i == 0 || h[i - 1] == '\n') && strncasecmp(h + i, name, sizeof name - 1) == 0)
			return;
	reply_header(r, "Cache-Control", "no-store");
}

int reply_raw(struct req *r, int status, const char *ctype, const char *body, size_t len)
{
	r->status = status;
	if (ctype)
		reply_header(r, "Content-Type", "%s", ctype);
	buf_reset(&r->out);
	buf_put(&r->out, body, len);
	return 0;
}

int reply_json(struct req *r, int status, struct json_object *o)
{
	size_t len;
	const char *s = json_object_to_json_string_length(o, JSON_OUT_FLAGS, &len);

	reply_raw(r, status, "application/json", s, len);
	json_object_put(o);
	return 0;
}

int reply_error(struct req *r, int status, const char *code, const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	struct json_object *e = json_object_new_object();
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(msg));
	if (field)
		json_object_object_add(e, "field", json_object_new_string(field));
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "error", e);
	r->error_code = code;
	buf_reset(&r->headers);
	return reply_json(r, status, o);
}

int reply_empty(struct req *r, int status)
{
	r->status = status;
	buf_reset(&r->out);
	return 0;
}

int reply_redirect(struct req *r, const char *location)
{
	reply_header(r, "Location", "%s", location);
	return reply_raw(r, 303, "text/plain; charset=utf-8", "See Other\n", 10);
}

int reply_html(struct req *r, int status, const char *name, struct json_object *ctx)
{
	buf_reset(&r->out);
	int rc = tmpl_render(r->ctx.templates, name, ctx, &r->out);
	json_object_put(ctx);
	if (rc != 0) {
		log_err("template %s missing", name);
		return reply_error(r, 500, "INTERNAL", NULL, "Page template missing");
	}
	r->status = status;
	reply_header(r, "Content-Type", "text/html; charset=utf-8");
	return 0;
}

int reply_db_error(struct req *r)
{
	const char *st = db_sqlstate(&r->ctx);

	if (db_lost(&r->ctx)) {
		metrics_event(EV_DB_UNAVAILABLE);
		return reply_error(r, 503, "DATABASE_UNAVAILABLE", NULL, "The database is unavailable; try again shortly");
	}
	if (db_conflict(&r->ctx))
		return reply_error(r, 503, "TRY_AGAIN", NULL, "A concurrent change got in the way; try again");
	if (strcmp(st, "22P02") == 0)
		return reply_error(r, 400, "INVALID_INPUT", NULL, "A value has the wrong format");
	return reply_error(r, 500, "INTERNAL", NULL, "Internal error (request %s)", r->request_id ? r->request_id : "-");
}

int reply_outcome(struct req *r, enum outcome o, const char *field)
{
	const struct outcome_info *oi = outcome_info(o);

	if (o == E_DB)
		return reply_db_error(r);
	if (o == E_INTERNAL)
		return reply_error(r, 500, "INTERNAL", NULL, "Internal error (request %s)", r->request_id ? r->request_id : "-");
	return reply_error(r, oi->status, oi->code, field, "%s", oi->message);
}

int reply_outcome_msg(struct req *r, enum outcome o, const char *field, const char *fmt, ...)
{
	const struct outcome_info *oi = outcome_info(o);
	char msg[512];
	va_list ap;

	if (o == E_DB || o == E_INTERNAL)
		return reply_outcome(r, o, field);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return reply_error(r, oi->status, oi->code, field, "%s", msg);
}
