/* multipart.c: a small, strict multipart/form-data parser (RFC 7578, RFC 2046). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "multipart.h"

#define BOUNDARY_MAX 70

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int is_bchar(int c)
{
	return isalnum(c) || strchr("'()+_,-./:=? ", c) != NULL;
}

static int is_tchar(int c)
{
	return c > 32 && c < 127 && !strchr("()<>@,;:\\\"/[]?={}", c);
}

/* Reads one parameter value (token or quoted-string) at *pp into out. */
static int param_value(const char **pp, char *out, size_t cap)
{
	const char *p = *pp;
	size_t n = 0;

	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			if (*p == '\0' || (unsigned char)*p < 32 || n + 1 >= cap)
				return -1;
			out[n++] = *p;
		}
		p++;
	} else {
		while (is_tchar((unsigned char)*p) && n + 1 < cap)
			out[n++] = *p++;
		if (n == 0 || is_tchar((unsigned char)*p))
			return -1;
	}
	out[n] = '\0';
	*pp = p;
	return 0;
}

/* Walks "; key=value" pairs after the media type or disposition type; for
 * each calls fn(key, value, ud). Returns -1 on a syntax error or fn's -1. */
static int each_param(const char *p, int (*fn)(const char *, const char *, void *), void *ud)
{
	char key[64], val[1024];

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return 0;
		if (*p++ != ';')
			return -1;
		while (*p == ' ' || *p == '\t')
			p++;
		size_t k = 0;
		while (is_tchar((unsigned char)*p) && *p != '=' && k + 1 < sizeof key)
			key[k++] = (char)tolower((unsigned char)*p++);
		key[k] = '\0';
		if (k == 0 || *p++ != '=' || param_value(&p, val, sizeof val) != 0 || fn(key, val, ud) != 0)
			return -1;
	}
}

static int take_boundary(const char *key, const char *val, void *ud)
{
	char *out = ud;
	size_t n = strlen(val);

	if (strcmp(key, "boundary") != 0)
		return 0;
	if (out[0] || n == 0 || n > BOUNDARY_MAX || val[n - 1] == ' ')
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!is_bchar((unsigned char)val[i]))
			return -1;
	memcpy(out, val, n + 1);
	return 0;
}

int multipart_boundary(const char *content_type, char out[BOUNDARY_MAX + 1])
{
	static const char mt[] = "multipart/form-data";

	out[0] = '\0';
	if (!content_type || strncasecmp(content_type, mt, sizeof mt - 1) != 0)
		return -1;
	if (each_param(content_type + sizeof mt - 1, take_boundary, out) != 0 || !out[0])
		return -1;
	return 0;
}

struct disposition {
	struct arena *a;
	struct mp_part *part;
};

static int take_disposition(const char *key, const char *val, void *ud)
{
	struct disposition *d = ud;

	if (strcmp(key, "name") == 0) {
		if (d->part->name)
			return -1;
		d->part->name = arena_strdup(d->a, val);
	} else if (strcmp(key, "filename") == 0) {
		if (d->part->filename)
			return -1;
		d->part->filename = arena_strdup(d->a, val);
	}
	return 0;
}

/* One header line (without CRLF) of a part. */
static int part_header(struct arena *a, const char *line, size_t n, struct mp_part *part, int *seen_cd)
{
	const char *colon = memchr(line, ':', n);

	if (!colon || colon == line)
		return -1;
	for (const char *c = line; c < colon; c++)
		if (!is_tchar((unsigned char)*c))
			return -1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)line[i] < 32 && line[i] != '\t')
			return -1;
	size_t nl = (size_t)(colon - line);
	const char *v = colon + 1;
	while (v < line + n && (*v == ' ' || *v == '\t'))
		v++;
	char *val = arena_strndup(a, v, (size_t)(line + n - v));
	for (size_t k = strlen(val); k && (val[k - 1] == ' ' || val[k - 1] == '\t'); k--)
		val[k - 1] = '\0';
	if (nl == 19 && strncasecmp(line, "Content-Disposition", nl) == 0) {
		struct disposition d = { a, part };
		if (*seen_cd || strncasecmp(val, "form-data", 9) != 0)
			return -1;
		*seen_cd = 1;
		return each_param(val + 9, take_disposition, &d);
	}
	if (nl == 12 && strncasecmp(line, "Content-Type", nl) == 0) {
		if (part->content_type || !*val)
			return -1;
		part->content_type = val;
	}
	return 0; /* other headers are allowed and ignored */
}

/* Reads the header block at *pp (up to and including the empty line). */
static int part_headers(struct arena *a, const char **pp, const char *end, struct mp_part *part)
{
	const char *p = *pp;
	const char *limit = end - p > MP_MAX_HEADER_BYTES ? p + MP_MAX_HEADER_BYTES : end;
	int seen_cd = 0;

	for (;;) {
		const char *eol = memmem(p, (size_t)(limit - p), "\r\n", 2);
		if (!eol)
			return -1;
		if (eol == p) {
			*pp = p + 2;
			return part->name && *part->name ? 0 : -1;
		}
		if (part_header(a, p, (size_t)(eol - p), part, &seen_cd) != 0)
			return -1;
		p = eol + 2;
	}
}

int multipart_parse(struct arena *a, const char *content_type, const char *body, size_t len,
		    struct mp_part *parts, int max, char *err, size_t errlen)
{
	char boundary[BOUNDARY_MAX + 1], delim[BOUNDARY_MAX + 5];
	const char *p = body, *end = body + len;
	int n = 0;

	if (multipart_boundary(content_type, boundary) != 0)
		return fail(err, errlen, "The Content-Type has no valid multipart boundary");
	size_t dlen = (size_t)snprintf(delim, sizeof delim, "\r\n--%s", boundary);
	/* the body starts with the first delimiter (no preamble) */
	if (len < dlen - 2 || memcmp(p, delim + 2, dlen - 2) != 0)
		return fail(err, errlen, "The body does not start with the boundary");
	p += dlen - 2;
	for (;;) {
		if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
			p += 2;
			if (p != end && !(end - p == 2 && p[0] == '\r' && p[1] == '\n'))
				return fail(err, errlen, "Unexpected data after the closing boundary");
			break;
		}
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
			return fail(err, errlen, "A boundary line is not followed by CRLF");
		p += 2;
		if (n >= max)
			return fail(err, errlen, "Too many parts (at most %d)", max);
		struct mp_part *part = &parts[n];
		memset(part, 0, sizeof *part);
		if (part_headers(a, &p, end, part) != 0)
			return fail(err, errlen, "Part %d has malformed headers or no name", n + 1);
		const char *stop = memmem(p, (size_t)(end - p), delim, dlen);
		if (!stop)
			return fail(err, errlen, "Part %d is not terminated by the boundary", n + 1);
		part->data = p;
		part->len = (size_t)(stop - p);
		p = stop + dlen;
		n++;
	}
	if (n == 0)
		return fail(err, errlen, "The body has no parts");
	return n;
}

const struct mp_part *multipart_find(const struct mp_part *parts, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(parts[i].name, name) == 0)
			return &parts[i];
	return NULL;
}
