/* products.c: the public catalog: GET /api/products and GET /api/products/{id}, one query each, with ETags. */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "handlers.h"
#include "http.h"
#include "jsonutil.h"
#include "products.h"
#include "storage.h"
#include "util.h"

#define Q_MAX_CHARS 100

/* The list statement: filter f, one page of it as JSON, and its total. */
#define SQL_LIST(json, where) \
	"WITH f AS (SELECT p.* FROM products p WHERE " where \
	" AND ($1::boolean IS NULL OR p.is_available = $1::boolean)" \
	" AND ($2::text IS NULL OR lower(p.name) LIKE lower($2::text) ESCAPE '\\'))" \
	" SELECT json_build_object('items', COALESCE((SELECT json_agg(x.j ORDER BY x.name, x.id) FROM" \
	" (SELECT " json " AS j, p.name, p.id FROM f p ORDER BY p.name, p.id LIMIT $3::int OFFSET $4::int) x)," \
	" '[]'::json), 'total', (SELECT count(*) FROM f), 'limit', $3::int, 'offset', $4::int)::text AS body"

static const char list_public_sql[] = SQL_LIST(SQL_PRODUCT_JSON, "p.archived_at IS NULL");
static const char list_admin_sql[] =
	SQL_LIST(SQL_ADMIN_PRODUCT_JSON, "($5::boolean IS NULL OR (p.archived_at IS NOT NULL) = $5::boolean)");

/* "true"/"false" -> "t"/"f"; absent -> NULL; anything else -> -1 after a 400. */
static int query_bool(struct req *r, const char *name, const char **out)
{
	const char *v = query_get(r, name);

	*out = NULL;
	if (!v)
		return 0;
	if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
		*out = v[0] == 't' ? "t" : "f";
		return 0;
	}
	reply_error(r, 400, "VALIDATION_ERROR", name, "%s must be true or false", name);
	return -1;
}

static int query_int(struct req *r, const char *name, int64_t min, int64_t max, int64_t dflt, const char **out)
{
	const char *v = query_get(r, name);
	int64_t n = dflt;

	if (v && parse_int64(v, min, max, &n) != 0) {
		reply_error(r, 400, "VALIDATION_ERROR", name, "%s must be an integer from %lld to %lld", name,
			    (long long)min, (long long)max);
		return -1;
	}
	*out = arena_printf(r->a, "%lld", (long long)n);
	return 0;
}

/* q -> a LIKE pattern "%q%" with \ % _ escaped; empty q means no filter. */
static int query_search(struct req *r, const char **pattern)
{
	const char *q = query_get(r, "q");

	*pattern = NULL;
	if (!q || !*q)
		return 0;
	size_t n = strlen(q);
	long chars = utf8_length(q, n);
	if (chars < 0 || chars > Q_MAX_CHARS || text_has_controls(q, n, TEXT_SINGLE_LINE)) {
		reply_error(r, 400, "VALIDATION_ERROR", "q", "q must be text of at most %d characters", Q_MAX_CHARS);
		return -1;
	}
	char *p = arena_alloc(r->a, 2 * n + 3), *o = p;
	*o++ = '%';
	for (const char *s = q; *s; s++) {
		if (*s == '\\' || *s == '%' || *s == '_')
			*o++ = '\\';
		*o++ = *s;
	}
	*o++ = '%';
	*o = '\0';
	*pattern = p;
	return 0;
}

/* 1 when the If-None-Match header (a list, W/ allowed, or *) names etag. */
static int etag_matches(const char *header, const char *etag)
{
	size_t n = strlen(etag);

	if (!header)
		return 0;
	for (const char *p = header; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p == '*' || (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' ')))
			return 1;
		while (*p && *p != ',')
			p++;
	}
	return 0;
}

/* Re-serialises the JSON text from PostgreSQL compactly and answers it, with
 * an ETag of the exact bytes (304 when the client has them). */
static int reply_cached_json(struct req *r, int status, const char *text, int cacheable)
{
	struct json_object *o = json_own(r->a, json_tokener_parse(text));
	size_t len;
	char hash[65];

	if (!o)
		return reply_error(r, 500, "INTERNAL", NULL, "Internal error");
	const char *s = json_object_to_json_string_length(o, JSON_OUT_FLAGS, &len);
	if (!cacheable) {
		reply_header(r, "Cache-Control", "no-store");
		return reply_raw(r, status, "application/json", s, len);
	}
	sha256_hex(s, len, hash);
	hash[32] = '\0';
	reply_header(r, "ETag", "\"%s\"", hash);
	reply_header(r, "Cache-Control", "public, max-age=60");
	if (status == 200 && etag_matches(r->if_none_match, arena_printf(r->a, "\"%s\"", hash)))
		return reply_empty(r, 304);
	return reply_raw(r, status, "application/json", s, len);
}

int products_list_reply(struct req *r, int admin)
{
	const char *available, *pattern, *limit, *offset, *archived = NULL;

	if (query_bool(r, "available", &available) || query_search(r, &pattern) ||
	    query_int(r, "limit", 1, 100, 20, &limit) || query_int(r, "offset", 0, 1000000000, 0, &offset) ||
	    (admin && query_bool(r, "archived", &archived)))
		return 0;
	PGresult *res = admin ? db_query(&r->ctx, list_admin_sql, available, pattern, limit, offset, archived)
			      : db_query(&r->ctx, list_public_sql, available, pattern, limit, offset);
	if (!res || PQntuples(res) != 1)
		return reply_db_error(r);
	return reply_cached_json(r, 200, db_val(res, 0, "body"), !admin);
}

int product_reply(struct req *r, int status, const char *id, int admin)
{
	PGresult *res = admin
		? db_query(&r->ctx, "SELECT " SQL_ADMIN_PRODUCT_JSON "::text AS body FROM products p WHERE p.id = $1", id)
		: db_query(&r->ctx, "SELECT " SQL_PRODUCT_JSON "::text AS body FROM products p "
			      "WHERE p.id = $1 AND p.archived_at IS NULL", id);
	if (!res)
		return reply_db_error(r);
	if (PQntuples(res) != 1)
		return reply_error(r, 404, "NOT_FOUND", NULL, "No such product");
	return reply_cached_json(r, status, db_val(res, 0, "body"), !admin);
}

int products_list(struct req *r)
{
	return products_list_reply(r, 0);
}

int product_get(struct req *r)
{
	return product_reply(r, 200, r->param[0], 0);
}
