/* fuzz_http.c: what the front reads from a request before any handler runs:
 * route matching with typed captures (routes.c), the query string, cookies
 * and urlencoded forms (http.c), and response headers built from such values.
 *
 * Input: method, path, query, cookie and form body, separated by newlines.
 * Properties: a matched route has the request's method (or GET for HEAD) and
 * captures one non-empty segment per {x}; a capture that was not flagged bad
 * fits its type; url_encode's output decodes back to its input through
 * query_get; a header value never ends the header block. */
#include "fuzz.h"
#include "routes.h"
#include "util.h"

static struct req r;

/* Every name the handlers read (grep query_get/cookie_get/form_get src/). */
static const char *const query_names[] = { "addressId", "date", "from", "lat", "leadHours", "limit", "lng",
					   "m", "next", "offset", "q", "status", "to", "url" };
static const char *const cookie_names[] = { "lafete_admin", "lafete_csrf" };
static const char *const form_names[] = { "csrf", "description", "next", "password", "status" };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_keep_stderr();
	fuzz_req_init(&r);
	return 0;
}

/* The type after the colon of a pattern's {name:type}, or "" (untyped). */
static const char *capture_type(const char *pattern, int k, char out[16])
{
	const char *p = pattern;

	out[0] = '\0';
	for (int i = 0; (p = strchr(p, '{')); i++, p++) {
		if (i != k)
			continue;
		const char *colon = strchr(p, ':'), *end = strchr(p, '}');
		if (colon && end && colon < end && (size_t)(end - colon - 1) < 16) {
			memcpy(out, colon + 1, (size_t)(end - colon - 1));
			out[end - colon - 1] = '\0';
		}
		break;
	}
	return out;
}

static void check_route(const char *method, const char *path)
{
	int known = -1;
	const struct route *rt = route_match(&r, method, path, &known);

	FUZZ_ASSERT(known == 0 || known == 1, "route_match left path_known at %d", known);
	if (!rt)
		return;
	FUZZ_ASSERT(strcmp(rt->method, method) == 0 || (strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0),
		    "%s %s matched a %s route", method, path, rt->method);
	int np = 0;
	for (const char *p = rt->pattern; (p = strchr(p, '{')); p++)
		np++;
	for (int k = 0; k < np; k++) {
		const char *v = r.param[k];
		char type[16];
		FUZZ_ASSERT(v && *v && !strchr(v, '/'), "%s: capture %d is not one segment", rt->pattern, k);
		if (r.param_bad)
			continue;
		capture_type(rt->pattern, k, type);
		int64_t id;
		FUZZ_ASSERT(strcmp(type, "uuid") != 0 || is_uuid(v), "%s: %s passed as a uuid", rt->pattern, v);
		FUZZ_ASSERT(strcmp(type, "int") != 0 || parse_int64(v, 1, INT64_MAX, &id) == 0, "%s: %s passed as an int",
			    rt->pattern, v);
	}
}

/* Decoded values are at most as long as what they came from. */
static void check_values(const char *query, const char *cookie, const char *form)
{
	r.query = query;
	r.cookie = cookie;
	for (size_t i = 0; i < sizeof query_names / sizeof *query_names; i++) {
		const char *v = query_get(&r, query_names[i]);
		FUZZ_ASSERT(!v || strlen(v) <= strlen(query), "query %s longer than the query", query_names[i]);
	}
	for (size_t i = 0; i < sizeof cookie_names / sizeof *cookie_names; i++) {
		const char *v = cookie_get(&r, cookie_names[i]);
		FUZZ_ASSERT(!v || strlen(v) <= strlen(cookie), "cookie %s longer than the header", cookie_names[i]);
	}
	for (size_t i = 0; i < sizeof form_names / sizeof *form_names; i++) {
		const char *v = form_get(&r, form, form_names[i]);
		FUZZ_ASSERT(!v || strlen(v) <= strlen(form), "form field %s longer than the body", form_names[i]);
	}
	/* the names the input itself uses */
	char *copy = arena_strdup(r.a, query), *f[16];
	int n = fuzz_split(copy, '&', f, 16);
	for (int i = 0; i < n; i++) {
		f[i][strcspn(f[i], "=")] = '\0';
		query_get(&r, f[i]);
		form_get(&r, form, f[i]);
	}
}

/* url_encode then query_get is the identity, and its output is plain ASCII. */
static void check_encoding(const char *v)
{
	const char *enc = url_encode(r.a, v);

	FUZZ_ASSERT(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/%") == strlen(enc),
		    "url_encode left a reserved character in %s", enc);
	r.query = arena_printf(r.a, "x=1&k=%s&y=2", enc);
	const char *back = query_get(&r, "k");
	FUZZ_ASSERT(back && strcmp(back, v) == 0, "url_encode(%s) = %s reads back as %s", v, enc, back ? back : "(null)");
}

/* A header made of request text is one line. */
static void check_header(const char *v)
{
	buf_reset(&r.headers);
	reply_header(&r, "Location", "/admin/login?next=%s", v);
	reply_header(&r, "X-Echo", "%s", v);
	size_t crlf = 0;
	for (size_t i = 0; i < r.headers.len; i++) {
		char c = r.headers.data[i];
		if (c == '\r') {
			FUZZ_ASSERT(i + 1 < r.headers.len && r.headers.data[i + 1] == '\n', "a bare CR in the headers");
			crlf++;
			i++;
		} else {
			FUZZ_ASSERT(c != '\n', "a bare LF in the headers");
		}
	}
	FUZZ_ASSERT(crlf == 2, "two headers made %zu lines", crlf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_cstr(data, size), *f[5] = { "", "", "", "", "" };

	fuzz_split(in, '\n', f, 5);
	check_route(f[0], f[1]);
	check_values(f[2], f[3], f[4]);
	check_encoding(f[2]);
	check_encoding(f[4]);
	check_header(f[4]);
	free(in);
	fuzz_req_reset(&r);
	return 0;
}
