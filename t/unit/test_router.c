/* test_router.c: every route of the table is reachable; 404 vs 405; captures. */
#include "http.h"
#include "routes.h"
#include "tap.h"

static struct req r;

/* "/api/orders/{id}/cancel" -> "/api/orders/P0/cancel" */
static void concrete(const char *pattern, char *out, size_t n)
{
	size_t o = 0;
	int k = 0;
	for (const char *p = pattern; *p && o + 4 < n; p++) {
		if (*p == '{') {
			o += (size_t)snprintf(out + o, n - o, "P%d", k++);
			p = strchr(p, '}');
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
}

int main(void)
{
	int known;
	r.a = arena_new();

	for (size_t i = 0; i < routes_count; i++) {
		char path[256];
		concrete(routes[i].pattern, path, sizeof path);
		const struct route *m = route_match(&r, routes[i].method, path, &known);
		ok(m == &routes[i], "%s %s is reachable", routes[i].method, routes[i].pattern);
		if (strchr(routes[i].pattern, '{'))
			is_str(r.param[0], "P0", "%s captures its first segment", routes[i].pattern);
		ok(routes[i].body == BODY_NONE || routes[i].max_body > 0, "%s %s has a body cap", routes[i].method, routes[i].pattern);
		for (size_t j = 0; j < i; j++)
			if (strcmp(routes[i].method, routes[j].method) == 0 && strcmp(routes[i].pattern, routes[j].pattern) == 0)
				ok(0, "duplicate route %s %s", routes[i].method, routes[i].pattern);
	}
	ok(route_match(&r, "GET", "/api/health", &known) != NULL, "GET /api/health");
	ok(route_match(&r, "HEAD", "/api/health", &known) != NULL, "HEAD served by GET");
	ok(route_match(&r, "DELETE", "/api/health", &known) == NULL && known, "wrong method: path known (405)");
	ok(route_match(&r, "GET", "/api/nope", &known) == NULL && !known, "unknown path (404)");
	ok(route_match(&r, "GET", "/api/health/", &known) == NULL, "trailing slash is another path");
	ok(route_match(&r, "GET", "/api/healthz", &known) == NULL, "prefix does not match");
	ok(route_match(&r, "GET", "", &known) == NULL, "empty path");
	arena_free(r.a);
	return done_testing();
}
