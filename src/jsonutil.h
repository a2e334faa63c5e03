/* jsonutil.h: typed, validated getters of a JSON body's fields. Every getter
 * that fails has already answered 400 with the field named: the handler just
 * returns. */
#ifndef APP_JSONUTIL_H
#define APP_JSONUTIL_H

#include "json.h"

struct req;

enum { OPTIONAL = 0,
       REQUIRED = 1 };

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

#endif
