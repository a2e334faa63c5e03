/* jsonutil.c: typed, validated getters of a JSON body's fields (answering 400). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "jsonutil.h"
#include "util.h"

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
	return v; /* may be NULL for JSON null */
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
	const int64_t max = 10000000 * 100LL; /* NUMERIC(10,2) holds < 10^8 rupees */

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
