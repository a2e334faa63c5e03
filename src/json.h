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

/* ---- JSON text written straight into a buffer, byte for byte as json-c
 * writes it with JSON_TEXT_FLAGS (what the API answers with) ---- */
#define JSON_TEXT_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
struct buf;
/* s[0..n) as a JSON string: json-c's escaping (" \ and the control
 * characters, \u00xx in lower case; "/" and everything else as is). */
void json_put_string(struct buf *b, const char *s, size_t n);
/* The same without the quotes: a string written in parts. */
void json_put_chars(struct buf *b, const char *s, size_t n);
void json_put_int(struct buf *b, int64_t v);
/* PostgreSQL's text of a json or jsonb value as json-c would write it once
 * parsed (json_tokener_parse, then JSON_TEXT_FLAGS): the blanks between
 * tokens dropped. 0, or -1 with b unchanged when the text holds something
 * this does not vouch for (an exponent, a long integer, -0, an escape
 * PostgreSQL does not write): parse it with json-c then. */
int json_put_compact(struct buf *b, const char *text);
/* PostgreSQL's text of a flat JSON object (scalar members only, strings
 * without escapes, numbers as json_put_compact takes them) as the objects
 * json_tokener_parse makes of it, in *out (caller owns): 0, or -1 when the
 * text is anything else (parse it with json-c then). */
int json_parse_flat(const char *text, struct json_object **out);

#endif
