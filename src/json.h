/* json.h: strict JSON parsing, UTF-8 and control-character checks, and small
 * builders of answers. No request in sight: domain and partner code use it. */
#ifndef APP_JSON_H
#define APP_JSON_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 16

/* Parses body strictly (UTF-8 checked, no trailing garbage, an object at the
 * top). Returns the object (caller owns) or NULL with a message in err. */
struct json_object *json_parse_strict(const char *body, size_t len, char *err, size_t errlen);

/* Text flags */
#define TEXT_SINGLE_LINE 0 /* no control characters at all */
#define TEXT_MULTI_LINE 1  /* newlines and tabs allowed */

/* Counts UTF-8 code points; -1 if s is not valid UTF-8 or contains a NUL. */
long utf8_length(const char *s, size_t n);
/* 1 if s has control characters (C0, DEL, C1) other than those flags allow. */
int text_has_controls(const char *s, size_t n, int flags);

struct arena;
/* Puts o (may be NULL) when the arena is reset; returns o. */
struct json_object *json_own(struct arena *a, struct json_object *o);

/* Small builders for answers */
struct json_object *jstr(const char *s); /* NULL -> JSON null */
struct json_object *jint(int64_t v);
struct json_object *jbool(int v);
struct json_object *jmoney(int64_t paise); /* "1299.00" */

#endif
