/* jsonutil.c: strict parsing (PITFALLS B4) and validated getters. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "jsonutil.h"
#include "util.h"

struct json_object *json_parse_strict(const char *body, size_t len, char *err, size_t errlen)
{
	if (len == 0) {
		snprintf(err, errlen, "the body is empty");
		return NULL;
	}
	if (len > (size_t)INT32_MAX || memchr(body, '\0', len)) {
		snprintf(err, errlen, "the body is not valid JSON");
		return NULL;
	}
	struct json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	struct json_object *o = json_tokener_parse_ex(tok, body, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	/* json-c stops after the value: only whitespace may follow */
	while (o && end < len && (body[end] == ' ' || body[end] == '\n' || body[end] == '\r' || body[end] == '\t'))
		end++;
	if (!o || jerr != json_tokener_success || end != len) {
		snprintf(err, errlen, "the body is not valid JSON (%s)",
			 jerr == json_tokener_continue ? "unexpected end" :
			 jerr != json_tokener_success ? json_tokener_error_desc(jerr) : "trailing characters");
		json_object_put(o);
		json_tokener_free(tok);
		return NULL;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "the body must be a JSON object");
		json_object_put(o);
		return NULL;
	}
	return o;
}

long utf8_length(const char *s, size_t n)
{
	long count = 0;
	const unsigned char *p = (const unsigned char *)s, *e = p + n;

	while (p < e) {
		unsigned c = *p;
		int extra;
		unsigned min;
		if (c == 0)
			return -1;
		if (c < 0x80) {
			extra = 0; min = 0;
		} else if ((c & 0xE0) == 0xC0) {
			extra = 1; min = 0x80; c &= 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			extra = 2; min = 0x800; c &= 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			extra = 3; min = 0x10000; c &= 0x07;
		} else {
			return -1;
		}
		if (e - p <= extra)
			return -1;
		for (int i = 1; i <= extra; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return -1;
			c = (c << 6) | (p[i] & 0x3F);
		}
		/* overlongs, surrogates and beyond U+10FFFF are not UTF-8 */
		if (c < min || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
			return -1;
		p += extra + 1;
		count++;
	}
	return count;
}

int text_has_controls(const char *s, size_t n, int flags)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n; i++) {
		unsigned c = p[i];
		if ((flags & TEXT_MULTI_LINE) && (c == '\n' || c == '\t' || c == '\r'))
			continue;
		if (c < 0x20 || c == 0x7F)
			return 1;
		/* C1 controls U+0080..U+009F are encoded C2 80..C2 9F */
		if (c == 0xC2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F)
			return 1;
	}
	return 0;
}

/* Answers 400 "<key> <what>" naming the field; returns -1. */
static int bad(struct req *r, const char *key, const char *what)
{
	return reply_error(r, 400, "VALIDATION_ERROR", key, "%s %s", key, what), -1;
}

static struct json_object *field(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;	/* may be NULL for JSON null */
}

int jget_text(struct req *r, struct json_object *o, const char *key, int required,
	      size_t min, size_t max, int flags, const char **out)
{
	struct json_object *v = field(o, key);

	*out = NULL;
	if (!v) {
		if (required)
			return bad(r, key, "is required");
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return bad(r, key, "must be a string");
	const char *s = json_object_get_string(v);
	size_t n = (size_t)json_object_get_string_len(v);
	if (strlen(s) != n || utf8_length(s, n) < 0)
		return bad(r, key, "must be valid UTF-8 text without NUL characters");
	if (text_has_controls(s, n, flags))
		return bad(r, key, "must not contain control characters");
	while (n && (*s == ' '))
		s++, n--;
	while (n && (s[n - 1] == ' '))
		n--;
	long chars = utf8_length(s, n);
	if ((size_t)chars < min || (size_t)chars > max) {
		char what[96];
		if (min > 0 && (size_t)chars < min && min == 1)
			snprintf(what, sizeof what, "not be empty");
		else
			snprintf(what, sizeof what, "be %zu to %zu characters long", min, max);
		return reply_error(r, 400, "VALIDATION_ERROR", key, "%s must %s", key, what), -1;
	}
	*out = arena_strndup(r->a, s, n);
	return 0;
}

int jget_int(struct req *r, struct json_object *o, const char *key, int required,
	     int64_t min, int64_t max, int64_t *out, int *present)
{
	struct json_object *v = field(o, key);

	if (present)
		*present = v != NULL;
	if (!v) {
		if (required)
			return bad(r, key, "is required");
		return 0;
	}
	/* json-c clamps out-of-range literals silently: INT64 limits are errors */
	int64_t n = json_object_get_int64(v);
	if (!json_object_is_type(v, json_type_int) || n == INT64_MAX || n == INT64_MIN || n < min || n > max) {
		char what[96];
		snprintf(what, sizeof what, "a whole number from %lld to %lld", (long long)min, (long long)max);
		return reply_error(r, 400, "VALIDATION_ERROR", key, "%s must be %s", key, what), -1;
	}
	*out = n;
	return 0;
}

int jget_bool(struct req *r, struct json_object *o, const char *key, int required, int *out, int *present)
{
	struct json_object *v = field(o, key);

	if (present)
		*present = v != NULL;
	if (!v) {
		if (required)
			return bad(r, key, "is required");
		return 0;
	}
	if (!json_object_is_type(v, json_type_boolean))
		return bad(r, key, "must be true or false");
	*out = json_object_get_boolean(v);
	return 0;
}

int jget_coord(struct req *r, struct json_object *o, const char *key, int required,
	       double min, double max, double *out, const char **text)
{
	struct json_object *v = field(o, key);

	if (text)
		*text = NULL;
	if (!v) {
		if (required)
			return bad(r, key, "is required");
		return 0;
	}
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return bad(r, key, "must be a number");
	double d = json_object_get_double(v);
	if (!isfinite(d) || d < min || d > max) {
		char what[64];
		snprintf(what, sizeof what, "from %g to %g", min, max);
		return reply_error(r, 400, "VALIDATION_ERROR", key, "%s must be %s", key, what), -1;
	}
	*out = d;
	if (text)
		*text = arena_printf(r->a, "%.7f", d);
	return 0;
}

int jget_uuid(struct req *r, struct json_object *o, const char *key, int required, const char **out)
{
	struct json_object *v = field(o, key);

	*out = NULL;
	if (!v) {
		if (required)
			return bad(r, key, "is required");
		return 0;
	}
	if (!json_object_is_type(v, json_type_string) || !is_uuid(json_object_get_string(v)))
		return bad(r, key, "must be a UUID");
	*out = arena_strdup(r->a, json_object_get_string(v));
	return 0;
}

int jget_money(struct req *r, struct json_object *o, const char *key, int required, int64_t *paise, int *present)
{
	struct json_object *v = field(o, key);
	const int64_t max = 10000000 * 100LL;	/* NUMERIC(10,2) holds < 10^8 rupees */

	if (present)
		*present = v != NULL;
	if (!v) {
		if (required)
			return bad(r, key, "is required");
		return 0;
	}
	int64_t p;
	if (json_object_is_type(v, json_type_string) && money_parse(json_object_get_string(v), &p) == 0 && p < max) {
		*paise = p;
		return 0;
	}
	if (json_object_is_type(v, json_type_int)) {
		int64_t n = json_object_get_int64(v);
		if (n >= 0 && n < max / 100) {
			*paise = n * 100;
			return 0;
		}
	}
	return bad(r, key, "must be an amount in rupees such as \"1299.00\"");
}

struct json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

struct json_object *jint(int64_t v)
{
	return json_object_new_int64(v);
}

struct json_object *jbool(int v)
{
	return json_object_new_boolean(v);
}

struct json_object *jmoney(int64_t paise)
{
	char s[32];
	money_format(paise, s);
	return json_object_new_string(s);
}
