/* routes.h: the one table that says which URL does what, for whom. */
#ifndef APP_ROUTES_H
#define APP_ROUTES_H

#include <stddef.h>

#include "outcome.h"

struct req;

enum auth {
	AUTH_NONE,     /* public */
	AUTH_USER,     /* Bearer JWT of any live user */
	AUTH_ADMIN,    /* Bearer JWT, role ADMIN */
	AUTH_DISPATCH, /* Bearer DISPATCH_TOKEN (cron) */
	AUTH_PAGE,     /* admin HTML: JWT cookie of an ADMIN, else redirect to login */
};

enum body {
	BODY_NONE,	/* a body is ignored */
	BODY_JSON,	/* application/json, parsed strictly into r->json */
	BODY_RAW,	/* raw bytes kept as they came (signed webhooks) */
	BODY_FORM,	/* application/x-www-form-urlencoded (admin forms) */
	BODY_MULTIPART, /* multipart/form-data (image uploads) */
};

/* A handler answers through reply_*() (which return 0) and returns that; a
 * handler that returns without an answer is a bug: the worker logs it and
 * answers 500. */
struct route {
	const char *method;
	/* "/api/orders/{id:uuid}/cancel": {x} captures one segment; {x:uuid}
	 * only a UUID and {x:int} only a positive integer: anything else answers
	 * `missing` (after auth and CSRF, so it reveals nothing to strangers) */
	const char *pattern;
	int (*handler)(struct req *r);
	enum auth auth;
	enum body body;
	size_t max_body;
	enum outcome missing; /* the 404 of a malformed capture; OK: a plain NOT_FOUND */
	int csrf;	      /* form routes: the "csrf" field must match the session's token */
};

extern const struct route routes[];
extern const size_t routes_count;

/* Finds the route for method and path, filling r->param (and r->param_bad
 * when a typed capture does not fit). Returns NULL and sets *path_known when
 * the path exists under another method (405 vs 404). */
const struct route *route_match(struct req *r, const char *method, const char *path, int *path_known);

#endif
