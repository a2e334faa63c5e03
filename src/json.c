/* json.c: strict parsing of bodies (json-c alone is lenient), UTF-8 checks, small builders. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
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

/* ---- writing JSON text straight into a buffer ---- */

void json_put_chars(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		char esc[6];
		size_t len = 2;
		if (ch >= 0x20 && ch != '"' && ch != '\\') /* json-c escapes the rest */
			continue;
		esc[0] = '\\';
		switch (ch) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[ch >> 4];
			esc[5] = hex[ch & 0xf];
			len = 6;
		}
		buf_put(b, s + start, i - start);
		buf_put(b, esc, len);
		start = i + 1;
	}
	buf_put(b, s + start, n - start);
}

void json_put_string(struct buf *b, const char *s, size_t n)
{
	buf_putc(b, '"');
	json_put_chars(b, s, n);
	buf_putc(b, '"');
}

void json_put_int(struct buf *b, int64_t v)
{
	char s[24], *p = s + sizeof s;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	buf_put(b, p, (size_t)(s + sizeof s - p));
}

/* The end of the number at s, or NULL unless json-c would print it back as
 * written: a decimal fraction (kept as text, json_object_new_double_s) or an
 * integer of at most 18 digits that is not -0 (an int64, printed again). */
static const char *number_as_written(const char *s)
{
	const char *p = s + (*s == '-');
	size_t digits = strspn(p, "0123456789");

	if (!digits || (p[0] == '0' && digits > 1))
		return NULL;
	p += digits;
	if (*p == '.') {
		size_t frac = strspn(p + 1, "0123456789");
		if (!frac)
			return NULL;
		p += 1 + frac;
		return *p == 'e' || *p == 'E' ? NULL : p;
	}
	if (*p == 'e' || *p == 'E' || digits > 18 || (s[0] == '-' && s[1] == '0'))
		return NULL;
	return p;
}

static int hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

/* 1 when the escape at s is one json-c writes: \" \\ \b \f \n \r \t, or
 * \u00xx (lower case) for another control character. */
static int escape_as_json_c(const char *s)
{
	if (s[1] != 'u')
		return s[1] && strchr("\"\\bfnrt", s[1]) != NULL;
	return s[2] == '0' && s[3] == '0' && (s[4] == '0' || s[4] == '1') && s[5] &&
		strchr("0123456789abcdef", s[5]) != NULL && !strchr("\b\f\n\r\t", (s[4] - '0') * 16 + hexval(s[5]));
}

int json_put_compact(struct buf *b, const char *text)
{
	size_t start = b->len;

	for (const char *p = text; *p;) {
		if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
			p++;
		} else if (*p == '"') {
			/* copied as escaped: PostgreSQL's escape_json and json-c's
			 * escaping are the same (the control characters as \b \f \n \r
			 * \t or \u00xx, " and \, nothing else) */
			const char *q = p + 1;
			for (; *q && *q != '"'; q++) {
				if (*q == '\\' && !escape_as_json_c(q))
					goto other;
				if (*q == '\\')
					q++;
				else if ((unsigned char)*q < 0x20)
					goto other;
			}
			if (*q != '"')
				goto other;
			buf_put(b, p, (size_t)(q + 1 - p));
			p = q + 1;
		} else if (*p == '-' || (*p >= '0' && *p <= '9')) {
			const char *q = number_as_written(p);
			if (!q)
				goto other;
			buf_put(b, p, (size_t)(q - p));
			p = q;
		} else if (strchr("{}[]:,", *p)) {
			buf_putc(b, *p++);
		} else if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4)) {
			buf_put(b, p, 4);
			p += 4;
		} else if (!strncmp(p, "false", 5)) {
			buf_put(b, p, 5);
			p += 5;
		} else {
			goto other;
		}
	}
	return 0;
other: /* not the text this fast path vouches for: the caller lets json-c do it */
	b->len = start;
	if (b->data)
		b->data[start] = '\0';
	return -1;
}

/* The string at *p (just after its opening quote) when it has no escape:
 * its length, *p moved past the closing quote; -1 otherwise. */
static int plain_string(const char **p)
{
	const char *s = *p, *q = s;

	while (*q && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
		q++;
	if (*q != '"' || q - s > INT32_MAX)
		return -1;
	*p = q + 1;
	return (int)(q - s);
}

/* The scalar at *p as json_tokener_parse makes it (see number_as_written),
 * *p moved past it; -1 when it is not one of those. */
static int flat_value(const char **p, struct json_object **v)
{
	const char *s = *p;

	if (*s == '"') {
		s++;
		int n = plain_string(&s);
		if (n < 0)
			return -1;
		*v = json_object_new_string_len(*p + 1, n);
	} else if (!strncmp(s, "true", 4) || !strncmp(s, "false", 5)) {
		*v = json_object_new_boolean(*s == 't');
		s += *s == 't' ? 4 : 5;
	} else if (!strncmp(s, "null", 4)) {
		*v = NULL;
		s += 4;
	} else {
		const char *e = number_as_written(s);
		char num[64];
		if (!e || (size_t)(e - s) >= sizeof num)
			return -1;
		memcpy(num, s, (size_t)(e - s));
		num[e - s] = '\0';
		/* json-c keeps a fraction's text and prints it back as written */
		*v = memchr(num, '.', (size_t)(e - s)) ? json_object_new_double_s(strtod(num, NULL), num)
						       : json_object_new_int64(strtoll(num, NULL, 10));
		s = e;
	}
	*p = s;
	return 0;
}

int json_parse_flat(const char *text, struct json_object **out)
{
	const char *p = text;
	struct json_object *o;

#define BLANKS(p) ((p) += strspn((p), " \t\n\r"))
	*out = NULL;
	BLANKS(p);
	if (*p++ != '{')
		return -1;
	o = json_object_new_object();
	BLANKS(p);
	if (*p == '}')
		p++;
	else
		for (;;) {
			char key[64];
			struct json_object *v;
			const char *k = p + 1;
			if (*p++ != '"')
				goto other;
			int n = plain_string(&p);
			if (n < 0 || (size_t)n >= sizeof key)
				goto other;
			memcpy(key, k, (size_t)n);
			key[n] = '\0';
			BLANKS(p);
			if (*p++ != ':')
				goto other;
			BLANKS(p);
			if (flat_value(&p, &v) != 0)
				goto other;
			json_object_object_add(o, key, v);
			BLANKS(p);
			if (*p == '}') {
				p++;
				break;
			}
			if (*p++ != ',')
				goto other;
			BLANKS(p);
		}
	BLANKS(p);
	if (*p)
		goto other;
#undef BLANKS
	*out = o;
	return 0;
other:
	json_object_put(o);
	return -1;
}
