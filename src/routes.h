/* routes.h: the one table that says which URL does what, for whom. */
#ifndef APP_ROUTES_H
#define APP_ROUTES_H

#include <stddef.h>

struct req;

enum auth {
	AUTH_NONE,	/* public */
	AUTH_USER,	/* Bearer JWT of any live user */
	AUTH_ADMIN,	/* Bearer JWT, role ADMIN */
	AUTH_DISPATCH,	/* Bearer DISPATCH_TOKEN (cron) */
	AUTH_PAGE,	/* admin HTML: JWT cookie of an ADMIN, else redirect to login */
};

enum body {
	BODY_NONE,	/* a body is ignored */
	BODY_JSON,	/* application/json, parsed strictly into r->json */
	BODY_RAW,	/* raw bytes kept as they came (signed webhooks) */
	BODY_FORM,	/* application/x-www-form-urlencoded (admin forms, CSRF checked) */
	BODY_MULTIPART,	/* multipart/form-data (image uploads) */
};

struct route {
	const char *method;
	const char *pattern;	/* "/api/orders/{id}/cancel": {x} matches one segment */
	int (*handler)(struct req *r);
	enum auth auth;
	enum body body;
	size_t max_body;
};

extern const struct route routes[];
extern const size_t routes_count;

/* Finds the route for method and path, filling r->param. Returns NULL and sets
 * *path_known when the path exists under another method (405 vs 404). */
const struct route *route_match(struct req *r, const char *method, const char *path, int *path_known);

#endif
