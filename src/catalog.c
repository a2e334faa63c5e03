/* catalog.c: the cakes on sale: the rules of a product and a variant, every write of the catalog, its reads. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "catalog.h"
#include "catalog_cache.h"
#include "db.h"
#include "json.h"
#include "storage.h"
#include "util.h"

/* outcome.c's messages name these limits */
_Static_assert(CATALOG_MAX_IMAGES == 20, "E_TOO_MANY_IMAGES says 20 images");
_Static_assert(PRODUCT_IMAGE_MAX_BYTES == 5 * 1024 * 1024, "E_IMAGE_TOO_LARGE says 5 MiB");

const struct catalog_rule catalog_rules[CF_COUNT] = {
	[CF_NAME] = { "name", "Name", CATALOG_TEXT, 1, 120 },
	[CF_SLUG] = { "slug", "Slug", CATALOG_SLUG, 1, 80 },
	[CF_DESCRIPTION] = { "description", "Description", CATALOG_LINES, 0, 2000 },
	[CF_BASE_PRICE] = { "basePrice", "Base price", CATALOG_MONEY, 0, CATALOG_MAX_PRICE_PAISE },
	[CF_LEAD_TIME] = { "leadTimeHours", "Lead time (hours)", CATALOG_INT, 0, 336 },
	[CF_LABEL] = { "label", "Variant label", CATALOG_TEXT, 1, 40 },
	[CF_WEIGHT] = { "weightGrams", "Weight (grams)", CATALOG_INT, 1, 20000 },
	[CF_PRICE] = { "price", "Variant price", CATALOG_MONEY, 0, CATALOG_MAX_PRICE_PAISE },
	[CF_UNITS] = { "kitchenUnits", "Kitchen units", CATALOG_INT, 1, 100 },
};

/* ---- validation ---- */

/* Collects problems: counts them all, keeps the first max. */
struct problems {
	struct arena *a;
	struct catalog_problem *out;
	int max, n;
};

/* Counts a problem of field f; keeps it (message: printf of the rest) while there is room. */
#define PROBLEM(ps, f, ...)                                                              \
	do {                                                                             \
		if ((ps)->n < (ps)->max) {                                               \
			(ps)->out[(ps)->n].field = (f);                                  \
			(ps)->out[(ps)->n].message = arena_printf((ps)->a, __VA_ARGS__); \
		}                                                                        \
		(ps)->n++;                                                               \
	} while (0)

static void check_text(struct problems *ps, enum catalog_field f, const char *s, int required)
{
	const struct catalog_rule *ru = &catalog_rules[f];
	const char *key = ru->field;

	if (!s) {
		if (required)
			PROBLEM(ps, f, "%s is required", key);
		return;
	}
	size_t n = strlen(s);
	long chars = utf8_length(s, n);
	if (chars < 0)
		PROBLEM(ps, f, "%s must be valid UTF-8 text without NUL characters", key);
	else if (text_has_controls(s, n, ru->kind == CATALOG_LINES ? TEXT_MULTI_LINE : TEXT_SINGLE_LINE))
		PROBLEM(ps, f, "%s must not contain control characters", key);
	else if (ru->kind == CATALOG_SLUG && !product_slug_valid(s))
		PROBLEM(ps, f, "%s must be %lld to %lld of a-z, 0-9 and -", key, (long long)ru->min, (long long)ru->max);
	else if (chars < ru->min && ru->min == 1)
		PROBLEM(ps, f, "%s must not be empty", key);
	else if (chars < ru->min || chars > ru->max)
		PROBLEM(ps, f, "%s must be %lld to %lld characters long", key, (long long)ru->min, (long long)ru->max);
}

static void check_number(struct problems *ps, enum catalog_field f, int has, int64_t v, int required)
{
	const struct catalog_rule *ru = &catalog_rules[f];
	const char *key = ru->field;

	if (!has) {
		if (required)
			PROBLEM(ps, f, "%s is required", key);
	} else if ((v < ru->min || v > ru->max) && ru->kind == CATALOG_MONEY) {
		PROBLEM(ps, f, "%s must be an amount in rupees such as \"1299.00\"", key);
	} else if (v < ru->min || v > ru->max) {
		PROBLEM(ps, f, "%s must be a whole number from %lld to %lld", key, (long long)ru->min, (long long)ru->max);
	}
}

int catalog_product_check(struct arena *a, const struct catalog_product *p, int creating,
			  struct catalog_problem *out, int max)
{
	struct problems ps = { a, out, max, 0 };

	check_text(&ps, CF_NAME, p->name, creating);
	check_text(&ps, CF_SLUG, p->slug, 0);
	check_text(&ps, CF_DESCRIPTION, p->description, 0);
	check_number(&ps, CF_BASE_PRICE, p->has_base_price, p->base_price, creating);
	check_number(&ps, CF_LEAD_TIME, p->has_lead_time, p->lead_time_hours, 0);
	return ps.n;
}

int catalog_variant_check(struct arena *a, const struct catalog_variant *v, int creating,
			  struct catalog_problem *out, int max)
{
	struct problems ps = { a, out, max, 0 };

	check_text(&ps, CF_LABEL, v->label, creating);
	check_number(&ps, CF_WEIGHT, v->has_weight, v->weight_grams, creating);
	check_number(&ps, CF_PRICE, v->has_price, v->price, creating);
	check_number(&ps, CF_UNITS, v->has_units, v->kitchen_units, 0);
	return ps.n;
}

int product_slug_valid(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 80 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

const char *product_slugify(struct arena *a, const char *name)
{
	char *s = arena_alloc(a, 81);
	size_t n = 0;

	for (const char *p = name; *p && n < 80; p++) {
		if (isalnum((unsigned char)*p) && !((unsigned char)*p & 0x80))
			s[n++] = (char)tolower((unsigned char)*p);
		else if (n > 0 && s[n - 1] != '-')
			s[n++] = '-';
	}
	while (n > 0 && s[n - 1] == '-')
		n--;
	s[n] = '\0';
	return n ? s : arena_printf(a, "cake-%lld", (long long)now_ms());
}

/* ---- the JSON of products, built in SQL ---- */

/* One variant row v as JSON; admins also see its archived flag. */
/* clang-format off */
#define SQL_VARIANT_FIELDS \
	"'id', v.id, 'label', v.label, 'weightGrams', v.weight_grams, 'price', v.price::text, " \
	"'isAvailable', v.is_available, 'kitchenUnits', v.kitchen_units"
#define SQL_VARIANT_JSON "json_build_object(" SQL_VARIANT_FIELDS ")"
#define SQL_ADMIN_VARIANT_JSON "json_build_object(" SQL_VARIANT_FIELDS ", 'archived', v.archived_at IS NOT NULL)"
/* clang-format on */

/* Product row p as JSON with its variants in one expression (no N+1). */
#define SQL_PRODUCT_JSON_(extra, vjson, vwhere)                                                             \
	"json_build_object('id', p.id, 'slug', p.slug, 'name', p.name, 'description', p.description, "      \
	"'basePrice', p.base_price::text, 'images', p.images, 'isAvailable', p.is_available, "              \
	"'leadTimeHours', p.lead_time_hours" extra ", 'variants', COALESCE((SELECT json_agg(" vjson         \
	" ORDER BY v.sort_order, v.weight_grams, v.label) FROM variants v WHERE v.product_id = p.id" vwhere \
	"), '[]'::json))"
#define SQL_PRODUCT_JSON SQL_PRODUCT_JSON_("", SQL_VARIANT_JSON, " AND v.archived_at IS NULL")
/* clang-format off */
#define SQL_ADMIN_PRODUCT_JSON \
	SQL_PRODUCT_JSON_(", 'archived', p.archived_at IS NOT NULL, 'archivedAt', " SQL_TIME("p.archived_at") \
			  ", 'createdAt', " SQL_TIME("p.created_at") ", 'updatedAt', " SQL_TIME("p.updated_at"), \
			  SQL_ADMIN_VARIANT_JSON, "")
/* clang-format on */

/* ---- writes ---- */

/* SQL text of optional values (NULL: absent) */
static const char *bool_text(int has, int v)
{
	return has ? (v ? "t" : "f") : NULL;
}

static const char *int_text(struct ctx *c, int has, int64_t v)
{
	return has ? arena_printf(c->a, "%lld", (long long)v) : NULL;
}

static const char *money_text(struct ctx *c, int has, int64_t paise)
{
	char s[32];

	if (!has)
		return NULL;
	money_format(paise, s);
	return arena_strdup(c->a, s);
}

/* A failed write: `taken` when it broke a unique constraint, else E_DB. */
static enum outcome write_failed(struct ctx *c, enum outcome taken)
{
	return strcmp(db_sqlstate(c), "23505") == 0 ? taken : E_DB;
}

/* A RETURNING body column as a json-c object of the arena. */
static enum outcome returned_json(struct ctx *c, PGresult *res, struct json_object **json)
{
	*json = json_own(c->a, json_tokener_parse(db_val(res, 0, "body")));
	return *json ? OK : E_INTERNAL;
}

/* Inserts v after the product's other variants: one statement, alone or in
 * the caller's transaction. *json (may be NULL) gets the variant. */
static enum outcome insert_variant(struct ctx *c, const char *product_id, const struct catalog_variant *v,
				   struct json_object **json)
{
	/* clang-format off */
	PGresult *res = db_query(c,
		"INSERT INTO variants AS v (product_id, label, weight_grams, price, kitchen_units, is_available, sort_order) "
		"SELECT p.id, $2, $3::int, $4::numeric, COALESCE($5::int, 1), COALESCE($6::boolean, true), "
		"COALESCE((SELECT max(sort_order) + 1 FROM variants WHERE product_id = p.id), 0) "
		"FROM products p WHERE p.id = $1 "
		"RETURNING " SQL_ADMIN_VARIANT_JSON "::text AS body",
		product_id, v->label, int_text(c, v->has_weight, v->weight_grams), money_text(c, v->has_price, v->price),
		int_text(c, v->has_units, v->kitchen_units), bool_text(v->has_available, v->available));
	/* clang-format on */
	if (!res)
		return write_failed(c, E_VARIANT_LABEL_TAKEN);
	if (PQntuples(res) != 1)
		return E_PRODUCT_NOT_FOUND;
	return json ? returned_json(c, res, json) : OK;
}

/* Changes the fields present in v: one statement, alone or in the caller's
 * transaction. *json (may be NULL) gets the variant. */
static enum outcome update_variant(struct ctx *c, const char *product_id, const char *variant_id,
				   const struct catalog_variant *v, struct json_object **json)
{
	/* clang-format off */
	PGresult *res = db_query(c,
		"UPDATE variants AS v SET label = COALESCE($3, label), weight_grams = COALESCE($4::int, weight_grams), "
		"price = COALESCE($5::numeric, price), kitchen_units = COALESCE($6::int, kitchen_units), "
		"is_available = COALESCE($7::boolean, is_available), "
		"archived_at = CASE WHEN $8::boolean IS NULL THEN archived_at "
		"WHEN $8::boolean THEN COALESCE(archived_at, now()) END, updated_at = now() "
		"WHERE v.id = $2 AND v.product_id = $1 RETURNING " SQL_ADMIN_VARIANT_JSON "::text AS body",
		product_id, variant_id, v->label, int_text(c, v->has_weight, v->weight_grams),
		money_text(c, v->has_price, v->price), int_text(c, v->has_units, v->kitchen_units),
		bool_text(v->has_available, v->available), bool_text(v->has_archived, v->archived));
	/* clang-format on */
	if (!res)
		return write_failed(c, E_VARIANT_LABEL_TAKEN);
	if (PQntuples(res) != 1)
		return E_PRODUCT_VARIANT_NOT_FOUND;
	return json ? returned_json(c, res, json) : OK;
}

struct product_write {
	const char *id; /* in for an update, out for a create */
	const struct catalog_product *p;
	const struct catalog_variant *variants;	      /* create */
	const struct catalog_variant_change *changed; /* update */
	int n;
	const struct catalog_variant *added; /* update */
};

/* db_tx body: the product row, then its variants. */
static enum outcome create_tx(struct ctx *c, void *arg)
{
	struct product_write *w = arg;
	const struct catalog_product *p = w->p;
	PGresult *res = db_query(c,
				 "INSERT INTO products (name, slug, description, base_price, lead_time_hours, is_available) "
				 "VALUES ($1, $2, COALESCE($3, ''), $4::numeric, COALESCE($5::int, 24), COALESCE($6::boolean, true)) "
				 "RETURNING id",
				 p->name, p->slug ? p->slug : product_slugify(c->a, p->name), p->description,
				 money_text(c, p->has_base_price, p->base_price), int_text(c, p->has_lead_time, p->lead_time_hours),
				 bool_text(p->has_available, p->available));
	if (!res)
		return write_failed(c, E_SLUG_TAKEN);
	w->id = arena_strdup(c->a, db_val(res, 0, "id"));
	for (int i = 0; i < w->n; i++) {
		enum outcome o = insert_variant(c, w->id, &w->variants[i], NULL);
		if (o != OK)
			return o;
	}
	return OK;
}

/* db_tx body: the product row, the changed variants, the added one. */
static enum outcome update_tx(struct ctx *c, void *arg)
{
	struct product_write *w = arg;
	const struct catalog_product *p = w->p;
	PGresult *res = db_query(c,
				 "UPDATE products SET name = COALESCE($2, name), slug = COALESCE($3, slug), "
				 "description = COALESCE($4, description), base_price = COALESCE($5::numeric, base_price), "
				 "lead_time_hours = COALESCE($6::int, lead_time_hours), is_available = COALESCE($7::boolean, is_available), "
				 "archived_at = CASE WHEN $8::boolean IS NULL THEN archived_at "
				 "WHEN $8::boolean THEN COALESCE(archived_at, now()) END, updated_at = now() "
				 "WHERE id = $1 RETURNING id",
				 w->id, p->name, p->slug, p->description, money_text(c, p->has_base_price, p->base_price),
				 int_text(c, p->has_lead_time, p->lead_time_hours), bool_text(p->has_available, p->available),
				 bool_text(p->has_archived, p->archived));
	if (!res)
		return write_failed(c, E_SLUG_TAKEN);
	if (PQntuples(res) != 1)
		return E_PRODUCT_NOT_FOUND;
	for (int i = 0; i < w->n; i++) {
		enum outcome o = update_variant(c, w->id, w->changed[i].id, &w->changed[i].v, NULL);
		if (o != OK)
			return o;
	}
	return w->added ? insert_variant(c, w->id, w->added, NULL) : OK;
}


static int variants_valid(struct ctx *c, const struct catalog_variant *vs, int n, int creating)
{
	for (int i = 0; i < n; i++)
		if (catalog_variant_check(c->a, &vs[i], creating, NULL, 0))
			return 0;
	return 1;
}

enum outcome catalog_product_create(struct ctx *c, const struct catalog_product *p,
				    const struct catalog_variant *variants, int n, const char **id)
{
	struct product_write w = { .p = p, .variants = variants, .n = n };

	if (catalog_product_check(c->a, p, 1, NULL, 0) || p->has_archived || n < 0 || n > CATALOG_MAX_VARIANTS ||
	    !variants_valid(c, variants, n, 1))
		return E_INVALID_INPUT;
	enum outcome o = db_tx(c, create_tx, &w);
	*id = o == OK ? w.id : NULL;
	return o;
}

enum outcome catalog_product_update(struct ctx *c, const char *id, const struct catalog_product *p,
				    const struct catalog_variant_change *changed, int n,
				    const struct catalog_variant *added)
{
	struct product_write w = { .id = id, .p = p, .changed = changed, .n = n, .added = added };

	if (catalog_product_check(c->a, p, 0, NULL, 0) || (added && !variants_valid(c, added, 1, 1)))
		return E_INVALID_INPUT;
	for (int i = 0; i < n; i++)
		if (!variants_valid(c, &changed[i].v, 1, 0))
			return E_INVALID_INPUT;
	return db_tx(c, update_tx, &w);
}

enum outcome catalog_product_archive(struct ctx *c, const char *id)
{
	PGresult *res = db_query(c,
				 "UPDATE products SET archived_at = COALESCE(archived_at, now()), updated_at = now() "
				 "WHERE id = $1 RETURNING id",
				 id);
	if (!res)
		return E_DB;
	return PQntuples(res) == 1 ? OK : E_PRODUCT_NOT_FOUND;
}

enum outcome catalog_variant_create(struct ctx *c, const char *product_id, const struct catalog_variant *v,
				    struct json_object **json)
{
	if (!variants_valid(c, v, 1, 1) || v->has_archived)
		return E_INVALID_INPUT;
	return insert_variant(c, product_id, v, json);
}

enum outcome catalog_variant_update(struct ctx *c, const char *product_id, const char *variant_id,
				    const struct catalog_variant *v, struct json_object **json)
{
	if (!variants_valid(c, v, 1, 0))
		return E_INVALID_INPUT;
	return update_variant(c, product_id, variant_id, v, json);
}

enum outcome catalog_image_add(struct ctx *c, const char *product_id, const void *data, size_t len,
			       const char **url)
{
	if (len > PRODUCT_IMAGE_MAX_BYTES)
		return E_IMAGE_TOO_LARGE;
	const struct image_kind *kind = image_sniff(data, len);
	if (!kind)
		return E_UNSUPPORTED_IMAGE;
	PGresult *res = db_query(c, "SELECT cardinality(images) AS n FROM products WHERE id = $1", product_id);
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1)
		return E_PRODUCT_NOT_FOUND;
	if (atoi(db_val(res, 0, "n")) >= CATALOG_MAX_IMAGES)
		return E_TOO_MANY_IMAGES;
	if (storage_put_image(c->a, data, len, kind, url) != 0)
		return E_STORAGE_UNAVAILABLE;
	res = db_query(c, "UPDATE products SET images = array_append(images, $2), updated_at = now() "
			  "WHERE id = $1 RETURNING id",
		       product_id, *url);
	if (!res || PQntuples(res) != 1) {
		storage_forget_image(*url);
		return res ? E_PRODUCT_NOT_FOUND : E_DB;
	}
	return OK;
}

enum outcome catalog_image_remove(struct ctx *c, const char *product_id, const char *url)
{
	PGresult *res = db_query(c, "UPDATE products SET images = array_remove(images, $2), updated_at = now() "
				    "WHERE id = $1 AND $2 = ANY(images) RETURNING id",
				 product_id, url);
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1)
		return E_IMAGE_NOT_FOUND;
	storage_forget_image(url);
	return OK;
}

/* ---- reads ---- */

/* The list statement: filter f, one page of it as JSON, and its total. */
#define SQL_LIST(json, where)                                                                                   \
	"WITH f AS (SELECT p.* FROM products p WHERE " where                                                    \
	" AND ($1::boolean IS NULL OR p.is_available = $1::boolean)"                                            \
	" AND ($2::text IS NULL OR lower(p.name) LIKE lower($2::text) ESCAPE '\\'))"                            \
	" SELECT json_build_object('items', COALESCE((SELECT json_agg(x.j ORDER BY x.name, x.id) FROM"          \
	" (SELECT " json " AS j, p.name, p.id FROM f p ORDER BY p.name, p.id LIMIT $3::int OFFSET $4::int) x)," \
	" '[]'::json), 'total', (SELECT count(*) FROM f), 'limit', $3::int, 'offset', $4::int)::text AS body"

static const char list_public_sql[] = SQL_LIST(SQL_PRODUCT_JSON, "p.archived_at IS NULL");
static const char list_admin_sql[] =
	SQL_LIST(SQL_ADMIN_PRODUCT_JSON, "($5::boolean IS NULL OR (p.archived_at IS NOT NULL) = $5::boolean)");

/* The JSON bytes as answered (http.h's JSON_OUT_FLAGS): compact, '/' kept. */
#define CATALOG_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* PostgreSQL's JSON text re-serialised compactly, with the ETag of those bytes. */
static enum outcome compact_text(struct ctx *c, const char *pg_json, struct catalog_text *out)
{
	struct json_object *o = json_own(c->a, pg_json ? json_tokener_parse(pg_json) : NULL);
	char hash[65];

	if (!o)
		return E_INTERNAL;
	out->json = json_object_to_json_string_length(o, CATALOG_JSON_FLAGS, &out->len);
	sha256_hex(out->json, out->len, hash);
	snprintf(out->etag, sizeof out->etag, "\"%.32s\"", hash);
	return OK;
}

/* -1/0/1 -> NULL/"f"/"t" */
static const char *tristate_text(int v)
{
	if (v < 0)
		return NULL;
	return v ? "t" : "f";
}

/* q as a LIKE pattern "%q%" with \ % _ escaped; NULL when q is empty. */
static const char *like_pattern(struct ctx *c, const char *q)
{
	if (!q || !*q)
		return NULL;
	char *p = arena_alloc(c->a, 2 * strlen(q) + 3), *o = p;
	*o++ = '%';
	for (const char *s = q; *s; s++) {
		if (*s == '\\' || *s == '%' || *s == '_')
			*o++ = '\\';
		*o++ = *s;
	}
	*o++ = '%';
	*o = '\0';
	return p;
}

enum outcome catalog_list(struct ctx *c, enum catalog_view view, const struct catalog_query *q,
			  struct catalog_text *out)
{
	const char *available = tristate_text(q->available), *pattern = like_pattern(c, q->q);
	const char *limit = arena_printf(c->a, "%lld", (long long)q->limit);
	const char *offset = arena_printf(c->a, "%lld", (long long)q->offset);
	const char *key = NULL;
	long long version = 0;

	/* the public list is served from the worker's copy while the catalog is unchanged */
	if (view == CATALOG_PUBLIC) {
		if (catalog_version(c, &version) != 0)
			return E_DB;
		/* the client's text last: no two queries share a key */
		key = arena_printf(c->a, "list|%d|%s|%s|%s", q->available, limit, offset, pattern ? pattern : "");
		if (catalog_cache_get(c, key, version, &out->json, &out->len, out->etag))
			return OK;
	}
	PGresult *res = view == CATALOG_ADMIN
		? db_query(c, list_admin_sql, available, pattern, limit, offset, tristate_text(q->archived))
		: db_query(c, list_public_sql, available, pattern, limit, offset);

	if (!res || PQntuples(res) != 1)
		return E_DB;
	enum outcome o = compact_text(c, db_val(res, 0, "body"), out);
	if (o == OK && key)
		catalog_cache_put(key, version, out->json, out->len, out->etag);
	return o;
}

/* The JSON text of product id as view sees it; NULL in *text when absent. */
static enum outcome product_text(struct ctx *c, enum catalog_view view, const char *id, const char **text)
{
	/* clang-format off */
	PGresult *res = view == CATALOG_ADMIN
		? db_query(c, "SELECT " SQL_ADMIN_PRODUCT_JSON "::text AS body FROM products p WHERE p.id = $1", id)
		: db_query(c, "SELECT " SQL_PRODUCT_JSON "::text AS body FROM products p "
			   "WHERE p.id = $1 AND p.archived_at IS NULL", id);
	/* clang-format on */

	if (!res)
		return E_DB;
	*text = PQntuples(res) == 1 ? db_val(res, 0, "body") : NULL;
	return *text ? OK : E_PRODUCT_NOT_FOUND;
}

enum outcome catalog_product(struct ctx *c, enum catalog_view view, const char *id, struct catalog_text *out)
{
	const char *text, *key = NULL;
	long long version = 0;

	if (view == CATALOG_PUBLIC) {
		if (catalog_version(c, &version) != 0)
			return E_DB;
		key = arena_printf(c->a, "product|%s", id);
		if (catalog_cache_get(c, key, version, &out->json, &out->len, out->etag))
			return OK;
	}
	enum outcome o = product_text(c, view, id, &text);
	if (o == OK)
		o = compact_text(c, text, out);
	if (o == OK && key)
		catalog_cache_put(key, version, out->json, out->len, out->etag);
	return o;
}

enum outcome catalog_product_json(struct ctx *c, const char *id, struct json_object **product)
{
	const char *text;
	enum outcome o = product_text(c, CATALOG_PUBLIC, id, &text);

	if (o != OK)
		return o;
	*product = json_own(c->a, json_tokener_parse(text));
	return *product ? OK : E_INTERNAL;
}
