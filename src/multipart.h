/* multipart.h: a small, strict multipart/form-data parser (RFC 7578) over a body in memory. */
#ifndef APP_MULTIPART_H
#define APP_MULTIPART_H

#include <stddef.h>

struct arena;

#define MP_MAX_PARTS 16
#define MP_MAX_HEADER_BYTES 4096 /* per part, all header lines together */

struct mp_part {
	const char *name;	  /* Content-Disposition name (always set) */
	const char *filename;	  /* NULL when the part is not a file */
	const char *content_type; /* NULL when absent */
	const char *data;	  /* points into the body; not NUL-terminated */
	size_t len;
};

/* Copies the boundary parameter of a multipart/form-data Content-Type into
 * out (NUL-terminated). 0 on success, -1 when absent or invalid (RFC 2046). */
int multipart_boundary(const char *content_type, char out[71]);

/* Parses body (len bytes) cut by the boundary of content_type into at most
 * max parts. Strings go into the arena; data points into body. Returns the
 * number of parts (>= 1), or -1 with a reason in err when the body is
 * malformed, has too many parts or too large part headers. */
int multipart_parse(struct arena *a, const char *content_type, const char *body, size_t len,
		    struct mp_part *parts, int max, char *err, size_t errlen);

/* The first part named name, or NULL. */
const struct mp_part *multipart_find(const struct mp_part *parts, int n, const char *name);

#endif
