/* json.c: strict parsing of bodies (json-c alone is lenient), UTF-8 checks, small builders. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "json.h"
#include "util.h"

/* The index just after the JSON number at s[i..n) (RFC 8259:
 * -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?), or 0 when there is none. */
static size_t number_end(const char *s, size_t n, size_t i)
{
	size_t d;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0') {
		i++;
	} else {
		for (d = i; i < n && isdigit((unsigned char)s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && isdigit((unsigned char)s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && isdigit((unsigned char)s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	return i;
}

/* json-c's strict mode still takes NaN and Infinity, 'single-quoted' strings,
 * raw control characters inside strings and numbers such as -07, 1. or -.5,
 * none of which is JSON (RFC 8259). Here every token is checked on its own:
 * strings without a byte below 0x20 (escapes such as \u0001 are json-c's to
 * check), numbers by the grammar and followed by a delimiter, and nothing
 * else but structure, blanks and the letters of true, false and null (whose
 * spelling json-c checks). */
static int json_tokens_valid(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"') {
			for (i++; i < n && s[i] != '"'; i++) {
				if ((unsigned char)s[i] < 0x20)
					return 0;
				if (s[i] == '\\')
					i++;
			}
			if (i >= n)
				return 0;
			i++;
		} else if (c == '-' || isdigit(c)) {
			i = number_end(s, n, i);
			if (!i || (i < n && !strchr(" \t\n\r,]}", s[i])))
				return 0;
		} else if (c && strchr(" \t\n\r{}[]:,truefalsn", c)) {
			i++;
		} else {
			return 0;
		}
	}
	return 1;
}

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
	if (!json_tokens_valid(body, len)) {
		snprintf(err, errlen, "the body is not valid JSON (malformed token)");
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
			 jerr == json_tokener_continue ? "unexpected end" : jerr != json_tokener_success ? json_tokener_error_desc(jerr)
													 : "trailing characters");
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
			extra = 0;
			min = 0;
		} else if ((c & 0xE0) == 0xC0) {
			extra = 1;
			min = 0x80;
			c &= 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			extra = 2;
			min = 0x800;
			c &= 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			extra = 3;
			min = 0x10000;
			c &= 0x07;
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

static void put_json(void *p)
{
	json_object_put(p);
}

struct json_object *json_own(struct arena *a, struct json_object *o)
{
	if (o)
		arena_defer(a, put_json, o);
	return o;
}
