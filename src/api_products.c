/* api_products.c: the catalog's JSON API: GET /api/products[/{id}] (with ETags) and /api/admin/products... */
#include <string.h>

#include "catalog.h"
#include "handlers.h"
#include "http.h"
#include "jsonutil.h"
#include "multipart.h"
#include "util.h"

/* ---- reading the input ---- */

/* The getters, bounded by the catalog's rule of the field. */
static int get_text(struct req *r, struct json_object *o, enum catalog_field f, int required, const char **out)
{
	const struct catalog_rule *ru = &catalog_rules[f];
	return jget_text(r, o, ru->field, required, (size_t)ru->min, (size_t)ru->max,
			 ru->kind == CATALOG_LINES ? TEXT_MULTI_LINE : TEXT_SINGLE_LINE, out);
}

static int get_int(struct req *r, struct json_object *o, enum catalog_field f, int required, int64_t *v, int *has)
{
	const struct catalog_rule *ru = &catalog_rules[f];
	return jget_int(r, o, ru->field, required, ru->min, ru->max, v, has);
}

/* Answers the first problem the catalog finds (400 VALIDATION_ERROR naming
 * the field); 0 when there is none, else -1. */
static int refuse(struct req *r, int nproblems, const struct catalog_problem *first)
{
	if (!nproblems)
		return 0;
	reply_error(r, 400, "VALIDATION_ERROR", catalog_rules[first->field].field, "%s", first->message);
	return -1;
}

/* Reads and checks the product fields of o; creating requires name and basePrice. */
static int read_product(struct req *r, struct json_object *o, int creating, struct catalog_product *p)
{
	struct catalog_problem pr;

	memset(p, 0, sizeof *p);
	if (get_text(r, o, CF_NAME, creating, &p->name) || get_text(r, o, CF_SLUG, OPTIONAL, &p->slug) ||
	    get_text(r, o, CF_DESCRIPTION, OPTIONAL, &p->description) ||
	    jget_money(r, o, "basePrice", creating, &p->base_price, &p->has_base_price) ||
	    get_int(r, o, CF_LEAD_TIME, OPTIONAL, &p->lead_time_hours, &p->has_lead_time) ||
	    jget_bool(r, o, "isAvailable", OPTIONAL, &p->available, &p->has_available) ||
	    (!creating && jget_bool(r, o, "archived", OPTIONAL, &p->archived, &p->has_archived)))
		return -1;
	return refuse(r, catalog_product_check(r->a, p, creating, &pr, 1), &pr);
}

/* Reads and checks the variant fields of o; creating requires label, weightGrams, price. */
static int read_variant(struct req *r, struct json_object *o, int creating, struct catalog_variant *v)
{
	struct catalog_problem pr;

	memset(v, 0, sizeof *v);
	if (!json_object_is_type(o, json_type_object))
		return reply_error(r, 400, "VALIDATION_ERROR", "variants", "each variant must be an object"), -1;
	if (get_text(r, o, CF_LABEL, creating, &v->label) ||
	    get_int(r, o, CF_WEIGHT, creating, &v->weight_grams, &v->has_weight) ||
	    jget_money(r, o, "price", creating, &v->price, &v->has_price) ||
	    get_int(r, o, CF_UNITS, OPTIONAL, &v->kitchen_units, &v->has_units) ||
	    jget_bool(r, o, "isAvailable", OPTIONAL, &v->available, &v->has_available) ||
	    (!creating && jget_bool(r, o, "archived", OPTIONAL, &v->archived, &v->has_archived)))
		return -1;
	return refuse(r, catalog_variant_check(r->a, v, creating, &pr, 1), &pr);
}

/* The optional "variants" array of a new product. Returns the count or -1. */
static int read_variants(struct req *r, struct catalog_variant *out)
{
	struct json_object *arr = NULL;

	if (!json_object_object_get_ex(r->json, "variants", &arr) || !arr)
		return 0;
	if (!json_object_is_type(arr, json_type_array) || json_object_array_length(arr) > CATALOG_MAX_VARIANTS)
		return reply_error(r, 400, "VALIDATION_ERROR", "variants", "variants must be an array of at most %d",
				   CATALOG_MAX_VARIANTS),
		       -1;
	int n = (int)json_object_array_length(arr);
	for (int i = 0; i < n; i++)
		if (read_variant(r, json_object_array_get_idx(arr, (size_t)i), 1, &out[i]) != 0)
			return -1;
	return n;
}

/* "true"/"false" -> 1/0; absent -> -1; anything else -> a 400 (returns -1). */
static int query_bool(struct req *r, const char *name, int *out)
{
	const char *v = query_get(r, name);

	*out = -1;
	if (!v)
		return 0;
	if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
		*out = v[0] == 't';
		return 0;
	}
	reply_error(r, 400, "VALIDATION_ERROR", name, "%s must be true or false", name);
	return -1;
}

static int query_int(struct req *r, const char *name, int64_t min, int64_t max, int64_t dflt, int64_t *out)
{
	const char *v = query_get(r, name);

	*out = dflt;
	if (v && parse_int64(v, min, max, out) != 0) {
		reply_error(r, 400, "VALIDATION_ERROR", name, "%s must be an integer from %lld to %lld", name,
			    (long long)min, (long long)max);
		return -1;
	}
	return 0;
}

/* q: plain text of at most CATALOG_Q_MAX_CHARS characters (NULL when absent). */
static int query_search(struct req *r, const char **q)
{
	*q = query_get(r, "q");
	if (!*q)
		return 0;
	size_t n = strlen(*q);
	long chars = utf8_length(*q, n);
	if (chars < 0 || chars > CATALOG_Q_MAX_CHARS || text_has_controls(*q, n, TEXT_SINGLE_LINE)) {
		reply_error(r, 400, "VALIDATION_ERROR", "q", "q must be text of at most %d characters", CATALOG_Q_MAX_CHARS);
		return -1;
	}
	return 0;
}

/* ---- answering ---- */

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

/* Answers catalog text: the public's with its ETag (304 when the client has
 * those bytes) and a minute of caching; the admin's never stored. */
static int reply_catalog(struct req *r, int status, const struct catalog_text *t, enum catalog_view view)
{
	if (view == CATALOG_ADMIN) {
		reply_header(r, "Cache-Control", "no-store");
		return reply_raw(r, status, "application/json", t->json, t->len);
	}
	reply_header(r, "ETag", "%s", t->etag);
	reply_header(r, "Cache-Control", "public, max-age=60");
	if (status == 200 && etag_matches(r->if_none_match, t->etag))
		return reply_empty(r, 304);
	return reply_raw(r, status, "application/json", t->json, t->len);
}

/* Answers product id as view sees it. */
static int reply_product(struct req *r, int status, const char *id, enum catalog_view view)
{
	struct catalog_text t;
	enum outcome o = catalog_product(&r->ctx, view, id, &t);

	return o == OK ? reply_catalog(r, status, &t, view) : reply_outcome(r, o, NULL);
}

/* GET /api/products and /api/admin/products. Query: available, q, limit, offset (admin: archived). */
static int reply_list(struct req *r, enum catalog_view view)
{
	struct catalog_query q;
	struct catalog_text t;

	if (query_bool(r, "available", &q.available) || query_search(r, &q.q) ||
	    query_int(r, "limit", 1, 100, 20, &q.limit) || query_int(r, "offset", 0, 1000000000, 0, &q.offset) ||
	    (view == CATALOG_ADMIN && query_bool(r, "archived", &q.archived)))
		return 0;
	enum outcome o = catalog_list(&r->ctx, view, &q, &t);
	return o == OK ? reply_catalog(r, 200, &t, view) : reply_outcome(r, o, NULL);
}

/* ---- the public catalog ---- */

int products_list(struct req *r)
{
	return reply_list(r, CATALOG_PUBLIC);
}

int product_get(struct req *r)
{
	return reply_product(r, 200, r->param[0], CATALOG_PUBLIC);
}

/* ---- /api/admin/products ---- */

int admin_products_list(struct req *r)
{
	return reply_list(r, CATALOG_ADMIN);
}

int admin_product_get(struct req *r)
{
	return reply_product(r, 200, r->param[0], CATALOG_ADMIN);
}

int admin_product_create(struct req *r)
{
	struct catalog_product p;
	struct catalog_variant vs[CATALOG_MAX_VARIANTS];
	const char *id;
	int nv;

	if (read_product(r, r->json, 1, &p) != 0 || (nv = read_variants(r, vs)) < 0)
		return 0;
	enum outcome o = catalog_product_create(&r->ctx, &p, vs, nv, &id);
	if (o == E_SLUG_TAKEN)
		return reply_outcome(r, o, "slug");
	if (o == E_VARIANT_LABEL_TAKEN)
		return reply_outcome_msg(r, o, "variants", "Two variants have the same label");
	if (o != OK)
		return reply_outcome(r, o, NULL);
	reply_header(r, "Location", "/api/admin/products/%s", id);
	return reply_product(r, 201, id, CATALOG_ADMIN);
}

int admin_product_update(struct req *r)
{
	struct catalog_product p;

	if (json_object_object_get_ex(r->json, "variants", NULL))
		return reply_error(r, 400, "VALIDATION_ERROR", "variants",
				   "Change variants through /api/admin/products/{id}/variants");
	if (read_product(r, r->json, 0, &p) != 0)
		return 0;
	enum outcome o = catalog_product_update(&r->ctx, r->param[0], &p, NULL, 0, NULL);
	if (o != OK)
		return reply_outcome(r, o, o == E_SLUG_TAKEN ? "slug" : NULL);
	return reply_product(r, 200, r->param[0], CATALOG_ADMIN);
}

int admin_product_archive(struct req *r)
{
	enum outcome o = catalog_product_archive(&r->ctx, r->param[0]);

	return o == OK ? reply_empty(r, 204) : reply_outcome(r, o, NULL);
}

int admin_variant_create(struct req *r)
{
	struct catalog_variant v;
	struct json_object *json;

	if (read_variant(r, r->json, 1, &v) != 0)
		return 0;
	enum outcome o = catalog_variant_create(&r->ctx, r->param[0], &v, &json);
	if (o != OK)
		return reply_outcome(r, o, o == E_VARIANT_LABEL_TAKEN ? "label" : NULL);
	return reply_json(r, 201, json_object_get(json));
}

int admin_variant_update(struct req *r)
{
	struct catalog_variant v;
	struct json_object *json;

	if (read_variant(r, r->json, 0, &v) != 0)
		return 0;
	enum outcome o = catalog_variant_update(&r->ctx, r->param[0], r->param[1], &v, &json);
	if (o != OK)
		return reply_outcome(r, o, o == E_VARIANT_LABEL_TAKEN ? "label" : NULL);
	return reply_json(r, 200, json_object_get(json));
}

int admin_product_image_add(struct req *r)
{
	const struct mp_part *img = multipart_find(r->parts, r->nparts, "image");
	const char *url;

	if (!img)
		return reply_error(r, 400, "VALIDATION_ERROR", "image", "Send the file in a form field named image");
	enum outcome o = catalog_image_add(&r->ctx, r->param[0], img->data, img->len, &url);
	if (o == E_IMAGE_TOO_LARGE || o == E_UNSUPPORTED_IMAGE || o == E_TOO_MANY_IMAGES)
		return reply_outcome(r, o, "image");
	if (o != OK)
		return reply_outcome(r, o, NULL);
	reply_header(r, "Location", "%s", url);
	return reply_product(r, 201, r->param[0], CATALOG_ADMIN);
}

int admin_product_image_remove(struct req *r)
{
	const char *url = query_get(r, "url");

	if (!url || !*url)
		return reply_error(r, 400, "VALIDATION_ERROR", "url", "url (the image to remove) is required");
	long chars = utf8_length(url, strlen(url));
	if (chars < 0 || chars > 2048 || text_has_controls(url, strlen(url), TEXT_SINGLE_LINE))
		return reply_error(r, 400, "VALIDATION_ERROR", "url", "url must be an image URL of this product");
	enum outcome o = catalog_image_remove(&r->ctx, r->param[0], url);
	return o == OK ? reply_product(r, 200, r->param[0], CATALOG_ADMIN) : reply_outcome(r, o, NULL);
}
