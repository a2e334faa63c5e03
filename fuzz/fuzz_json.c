/* fuzz_json.c: the strict JSON parser (json.c) and the typed getters of a
 * body's fields (jsonutil.c), as the worker and the handlers use them on every
 * JSON route. Properties: what json_parse_strict accepts is JSON text (as an
 * RFC 8259 recognizer written here, apart from json-c, reads it) and an
 * object that prints and parses again to an equal object; a getter that accepts a field
 * hands back a value within the bounds it was asked for, and one that refuses
 * has answered 400 VALIDATION_ERROR. */
#include <ctype.h>
#include <math.h>

#include "fuzz.h"
#include "json.h"
#include "jsonutil.h"
#include "util.h"

static struct req r;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_keep_stderr();
	fuzz_req_init(&r);
	return 0;
}

/* ---- RFC 8259, recognised without json-c ---- */

struct rd {
	const unsigned char *p, *e;
	int depth;
};

static int rd_more(const struct rd *d)
{
	return d->p < d->e;
}

static void rd_ws(struct rd *d)
{
	while (rd_more(d) && strchr(" \t\n\r", *d->p) && *d->p)
		d->p++;
}

static int rd_lit(struct rd *d, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(d->e - d->p) < n || memcmp(d->p, w, n) != 0)
		return 0;
	d->p += n;
	return 1;
}

static int rd_string(struct rd *d)
{
	if (!rd_more(d) || *d->p != '"')
		return 0;
	for (d->p++; rd_more(d);) {
		unsigned c = *d->p++;
		if (c == '"')
			return 1;
		if (c < 0x20)
			return 0;
		if (c != '\\')
			continue;
		if (!rd_more(d))
			return 0;
		c = *d->p++;
		if (c == 'u') {
			for (int i = 0; i < 4; i++, d->p++)
				if (!rd_more(d) || !isxdigit(*d->p))
					return 0;
		} else if (!c || !strchr("\"\\/bfnrt", (int)c)) {
			return 0;
		}
	}
	return 0;
}

static int rd_digits(struct rd *d)
{
	const unsigned char *start = d->p;
	while (rd_more(d) && isdigit(*d->p))
		d->p++;
	return d->p > start;
}

static int rd_number(struct rd *d)
{
	if (rd_more(d) && *d->p == '-')
		d->p++;
	if (rd_more(d) && *d->p == '0')
		d->p++;
	else if (!rd_digits(d))
		return 0;
	if (rd_more(d) && *d->p == '.') {
		d->p++;
		if (!rd_digits(d))
			return 0;
	}
	if (rd_more(d) && (*d->p == 'e' || *d->p == 'E')) {
		d->p++;
		if (rd_more(d) && (*d->p == '+' || *d->p == '-'))
			d->p++;
		if (!rd_digits(d))
			return 0;
	}
	return 1;
}

static int rd_value(struct rd *d);

/* An object or array after its opening bracket, up to its closing one. */
static int rd_members(struct rd *d, int object)
{
	rd_ws(d);
	if (rd_more(d) && *d->p == (object ? '}' : ']'))
		return d->p++, 1;
	for (;;) {
		if (object) {
			rd_ws(d);
			if (!rd_string(d))
				return 0;
			rd_ws(d);
			if (!rd_more(d) || *d->p++ != ':')
				return 0;
		}
		if (!rd_value(d))
			return 0;
		rd_ws(d);
		if (!rd_more(d))
			return 0;
		unsigned c = *d->p++;
		if (c == (object ? '}' : ']'))
			return 1;
		if (c != ',')
			return 0;
	}
}

static int rd_value(struct rd *d)
{
	int ok;

	rd_ws(d);
	if (!rd_more(d) || d->depth > 64)
		return 0;
	switch (*d->p) {
	case '{':
	case '[':
		d->depth++;
		ok = rd_members(d, *d->p++ == '{');
		d->depth--;
		return ok;
	case '"': return rd_string(d);
	case 't': return rd_lit(d, "true");
	case 'f': return rd_lit(d, "false");
	case 'n': return rd_lit(d, "null");
	default: return rd_number(d);
	}
}

static int is_json_text(const char *s, size_t n)
{
	struct rd d = { (const unsigned char *)s, (const unsigned char *)s + n, 0 };

	if (!rd_value(&d))
		return 0;
	rd_ws(&d);
	return d.p == d.e;
}

/* ---- the parser and the getters ---- */

/* A getter returned rc: 0 and no answer, or -1 and a 400 naming the problem. */
static void answered(int rc, const char *getter, const char *key)
{
	if (rc == 0)
		FUZZ_ASSERT(r.status == 0, "%s(%s) accepted but answered %d", getter, key, r.status);
	else
		FUZZ_ASSERT(rc == -1 && r.status == 400 && r.error_code && strcmp(r.error_code, "VALIDATION_ERROR") == 0,
			    "%s(%s) refused with rc %d, status %d", getter, key, rc, r.status);
	r.status = 0;
	r.error_code = NULL;
	buf_reset(&r.headers);
	buf_reset(&r.out);
}

static void check_text(struct json_object *o, const char *key)
{
	static const struct {
		size_t min, max;
		int flags;
	} b[] = { { 0, 64, TEXT_SINGLE_LINE }, { 1, 4000, TEXT_MULTI_LINE }, { 3, 3, TEXT_SINGLE_LINE } };

	for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) {
		const char *s;
		int rc = jget_text(&r, o, key, REQUIRED, b[i].min, b[i].max, b[i].flags, &s);
		answered(rc, "jget_text", key);
		if (rc != 0)
			continue;
		FUZZ_ASSERT(s != NULL, "jget_text(%s): a required field accepted as absent", key);
		size_t n = strlen(s);
		long chars = utf8_length(s, n);
		FUZZ_ASSERT(chars >= 0 && (size_t)chars >= b[i].min && (size_t)chars <= b[i].max,
			    "jget_text(%s): %ld characters outside [%zu, %zu]", key, chars, b[i].min, b[i].max);
		FUZZ_ASSERT(!text_has_controls(s, n, b[i].flags), "jget_text(%s): control characters kept", key);
		FUZZ_ASSERT(n == 0 || (s[0] != ' ' && s[n - 1] != ' '), "jget_text(%s): not trimmed", key);
	}
}

static void check_numbers(struct json_object *o, const char *key)
{
	static const int64_t lim[][2] = { { 0, 100 }, { 1, 1 }, { INT64_MIN + 1, INT64_MAX - 1 } };
	int64_t n;
	int present, rc;

	for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++) {
		rc = jget_int(&r, o, key, REQUIRED, lim[i][0], lim[i][1], &n, &present);
		answered(rc, "jget_int", key);
		FUZZ_ASSERT(rc != 0 || (present && n >= lim[i][0] && n <= lim[i][1]),
			    "jget_int(%s): %lld outside its bounds", key, (long long)n);
	}
	int b;
	rc = jget_bool(&r, o, key, REQUIRED, &b, &present);
	answered(rc, "jget_bool", key);
	FUZZ_ASSERT(rc != 0 || (present && (b == 0 || b == 1)), "jget_bool(%s): %d", key, b);

	double d;
	const char *text;
	rc = jget_coord(&r, o, key, REQUIRED, -90, 90, &d, &text);
	answered(rc, "jget_coord", key);
	if (rc == 0) {
		/* the text goes into SQL as a NUMERIC: a plain decimal close to d */
		FUZZ_ASSERT(isfinite(d) && d >= -90 && d <= 90 && text, "jget_coord(%s): %g", key, d);
		FUZZ_ASSERT(strspn(text, "-0123456789.") == strlen(text) && fabs(strtod(text, NULL) - d) <= 1e-7,
			    "jget_coord(%s): text %s for %.17g", key, text, d);
	}
}

static void check_ids_and_money(struct json_object *o, const char *key)
{
	const char *id;
	int rc = jget_uuid(&r, o, key, REQUIRED, &id);

	answered(rc, "jget_uuid", key);
	FUZZ_ASSERT(rc != 0 || (id && is_uuid(id)), "jget_uuid(%s): %s is no UUID", key, id ? id : "(null)");

	int64_t p, back;
	int present;
	rc = jget_money(&r, o, key, REQUIRED, &p, &present);
	answered(rc, "jget_money", key);
	if (rc == 0) {
		char s[32];
		FUZZ_ASSERT(present && p >= 0 && p < 1000000000LL, "jget_money(%s): %lld paise", key, (long long)p);
		/* NUMERIC(10,2) in SQL: the amount written back reads as the same paise */
		money_format(p, s);
		FUZZ_ASSERT(money_parse(s, &back) == 0 && back == p, "jget_money(%s): %lld formats as %s", key, (long long)p, s);
	}
}

/* An absent optional field is no error and yields nothing. */
static void check_absent(struct json_object *o)
{
	static const char key[] = "\x01"
				  "absent";
	const char *s = "x";
	int64_t n = 7;
	int present = 1;

	if (json_object_object_get_ex(o, key, NULL))
		return;
	int rc = jget_text(&r, o, key, OPTIONAL, 1, 10, TEXT_SINGLE_LINE, &s);

	answered(rc, "jget_text", "absent");
	FUZZ_ASSERT(rc == 0 && s == NULL, "an absent optional text is not NULL");
	rc = jget_int(&r, o, key, OPTIONAL, 0, 10, &n, &present);
	answered(rc, "jget_int", "absent");
	FUZZ_ASSERT(rc == 0 && !present && n == 7, "an absent optional number is present");
}

/* Properties of the UTF-8 and control checks on any bytes. */
static void check_text_checks(const char *s, size_t n)
{
	long chars = utf8_length(s, n);
	size_t starts = 0;

	for (size_t i = 0; i < n; i++)
		starts += ((unsigned char)s[i] & 0xC0) != 0x80;
	FUZZ_ASSERT(chars < 0 || (size_t)chars == starts, "utf8_length %ld, %zu characters start", chars, starts);
	FUZZ_ASSERT(chars < 0 || !memchr(s, '\0', n), "utf8_length accepted a NUL");
	if (text_has_controls(s, n, TEXT_MULTI_LINE))
		FUZZ_ASSERT(text_has_controls(s, n, TEXT_SINGLE_LINE), "multi-line text is stricter than single-line");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	const char *body = (const char *)data;

	check_text_checks(body, size);
	struct json_object *o = json_parse_strict(body, size, err, sizeof err);
	if (!o) {
		FUZZ_ASSERT(err[0] != '\0', "a refused body without a reason");
		return 0;
	}
	FUZZ_ASSERT(json_object_is_type(o, json_type_object), "json_parse_strict returned a non-object");
	FUZZ_ASSERT(is_json_text(body, size), "json_parse_strict accepted what is not JSON: %.*s", (int)(size < 200 ? size : 200), body);

	/* what we accept we can print, and it reads back the same */
	size_t len;
	const char *printed = json_object_to_json_string_length(o, JSON_OUT_FLAGS, &len);
	struct json_object *again = json_parse_strict(printed, len, err, sizeof err);
	FUZZ_ASSERT(again != NULL, "accepted JSON prints as %.200s, which is refused: %s", printed, err);
	FUZZ_ASSERT(json_object_equal(o, again), "accepted JSON does not read back the same: %.200s", printed);
	json_object_put(again);

	int keys = 0;
	json_object_object_foreach(o, key, val)
	{
		(void)val;
		if (keys++ == 16)
			break;
		check_text(o, key);
		check_numbers(o, key);
		check_ids_and_money(o, key);
	}
	check_absent(o);
	json_object_put(o);
	fuzz_req_reset(&r);
	return 0;
}
