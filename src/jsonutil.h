/* jsonutil.h: strict JSON parsing and typed, validated field getters.
 * Every getter that fails has already answered 400 with the field named:
 * the handler just returns. */
#ifndef APP_JSONUTIL_H
#define APP_JSONUTIL_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

struct req;

#define JSON_MAX_DEPTH 16

/* Parses body strictly (UTF-8 checked, no trailing garbage, an object at the
 * top). Returns the object (caller owns) or NULL with a message in err. */
struct json_object *json_parse_strict(const char *body, size_t len, char *err, size_t errlen);

enum { OPTIONAL = 0, REQUIRED = 1 };

/* Text flags */
#define TEXT_SINGLE_LINE 0	/* no control characters at all */
#define TEXT_MULTI_LINE 1	/* newlines and tabs allowed */

/* Returns 0 (with *out NULL when absent and optional) or -1 after a 400.
 * min/max count characters (UTF-8 code points), after trimming spaces. */
int jget_text(struct req *r, struct json_object *o, const char *key, int required,
	      size_t min, size_t max, int flags, const char **out);
int jget_int(struct req *r, struct json_object *o, const char *key, int required,
	     int64_t min, int64_t max, int64_t *out, int *present);
int jget_bool(struct req *r, struct json_object *o, const char *key, int required, int *out, int *present);
/* A JSON number (int or finite double) within [min,max]; written as text for SQL. */
int jget_coord(struct req *r, struct json_object *o, const char *key, int required,
	       double min, double max, double *out, const char **text);
int jget_uuid(struct req *r, struct json_object *o, const char *key, int required, const char **out);
/* Money as a decimal string "1299.00" or an integer number of rupees; paise out. */
int jget_money(struct req *r, struct json_object *o, const char *key, int required, int64_t *paise, int *present);

/* Counts UTF-8 code points; -1 if s is not valid UTF-8 or contains a NUL. */
long utf8_length(const char *s, size_t n);
/* 1 if s has control characters (C0, DEL, C1) other than those flags allow. */
int text_has_controls(const char *s, size_t n, int flags);

/* Small builders for answers */
struct json_object *jstr(const char *s);	/* NULL -> JSON null */
struct json_object *jint(int64_t v);
struct json_object *jbool(int v);
struct json_object *jmoney(int64_t paise);	/* "1299.00" */

#endif
