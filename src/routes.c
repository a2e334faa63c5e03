/* routes.c: THE route table. Method, path, handler, who may call, what body. */
#include <string.h>

#include "handlers.h"
#include "http.h"
#include "routes.h"

#define KB 1024
#define MB (1024 * 1024)

const struct route routes[] = {
	/* health and docs */
	{ "GET", "/api/health", health_get, AUTH_NONE, BODY_NONE, 0 },
	{ "GET", "/api/openapi.json", openapi_get, AUTH_NONE, BODY_NONE, 0 },

	/* accounts */
	{ "POST", "/api/auth/register", auth_register, AUTH_NONE, BODY_JSON, 16 * KB },
	{ "POST", "/api/auth/login", auth_login, AUTH_NONE, BODY_JSON, 16 * KB },
	{ "GET", "/api/me", me_get, AUTH_USER, BODY_NONE, 0 },

	/* fulfilment: courier booking, Borzo callbacks, dispatch, tracking */
	{ "POST", "/api/delivery/book/{orderId}", delivery_book_post, AUTH_ADMIN, BODY_NONE, 0 },
	{ "POST", "/api/delivery/cancel/{orderId}", delivery_cancel_post, AUTH_ADMIN, BODY_NONE, 0 },
	{ "POST", "/api/delivery/webhook", delivery_webhook, AUTH_NONE, BODY_RAW, 256 * KB },
	{ "POST", "/api/internal/dispatch", dispatch_post, AUTH_DISPATCH, BODY_NONE, 0 },
	{ "GET", "/track/{token}", track_get, AUTH_NONE, BODY_NONE, 0 },
};

const size_t routes_count = sizeof routes / sizeof routes[0];

/* Matches pattern against path segment by segment; {x} captures one segment. */
static int pattern_match(struct req *r, const char *pat, const char *path, const char **param, int *np)
{
	*np = 0;
	while (*pat && *path) {
		if (*pat == '{') {
			const char *pe = strchr(pat, '}');
			const char *se = strchr(path, '/');
			size_t len = se ? (size_t)(se - path) : strlen(path);
			if (!pe || len == 0 || *np >= 4)
				return 0;
			param[(*np)++] = arena_strndup(r->a, path, len);
			pat = pe + 1;
			path += len;
			continue;
		}
		if (*pat++ != *path++)
			return 0;
	}
	return *pat == '\0' && *path == '\0';
}

const struct route *route_match(struct req *r, const char *method, const char *path, int *path_known)
{
	const char *param[4];
	int np;

	*path_known = 0;
	for (size_t i = 0; i < routes_count; i++) {
		if (!pattern_match(r, routes[i].pattern, path, param, &np))
			continue;
		/* HEAD is served by GET routes; the body is dropped by the worker */
		if (strcmp(routes[i].method, method) != 0 &&
		    !(strcmp(method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0)) {
			*path_known = 1;
			continue;
		}
		for (int k = 0; k < np; k++)
			r->param[k] = param[k];
		return &routes[i];
	}
	return NULL;
}
