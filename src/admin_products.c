/* admin_products.c: /api/admin/products: create, edit, archive products and variants, upload images. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "handlers.h"
#include "http.h"
#include "jsonutil.h"
#include "multipart.h"
#include "products.h"
#include "storage.h"
#include "util.h"

#define MAX_VARIANTS 20
#define MAX_IMAGES 20
#define MAX_IMAGE_BYTES (5 * 1024 * 1024)

struct product_in {
	const char *name, *slug, *description;
	const char *base_price, *lead_time, *available, *archived;	/* SQL text, NULL = unchanged */
};

struct variant_in {
	const char *label;
	const char *weight, *price, *units, *available, *archived;	/* SQL text, NULL = unchanged/default */
};

static const char *bool_text(int present, int v)
{
	return present ? (v ? "t" : "f") : NULL;
}

static const char *int_text(struct req *r, int present, int64_t v)
{
	return present ? arena_printf(r->a, "%lld", (long long)v) : NULL;
}

static const char *money_text(struct req *r, int present, int64_t paise)
{
	char s[32];

	if (!present)
		return NULL;
	money_format(paise, s);
	return arena_strdup(r->a, s);
}

static int not_found(struct req *r, const char *what)
{
	return reply_error(r, 404, "NOT_FOUND", NULL, "No such %s", what);
}

int product_slug_valid(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 80 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* "Rose Pistachio Entremet" -> "rose-pistachio-entremet" (ASCII letters and digits kept). */
const char *product_slugify(struct req *r, const char *name)
{
	char *s = arena_alloc(r->a, 81);
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
	return n ? s : arena_printf(r->a, "cake-%lld", (long long)now_ms());
}

/* Reads the product fields of o; create requires name and basePrice. */
static int read_product(struct req *r, struct json_object *o, int create, struct product_in *in)
{
	int64_t price = 0, lead = 0;
	int has_price, has_lead, avail = 0, has_avail, arch = 0, has_arch = 0;

	memset(in, 0, sizeof *in);
	if (jget_text(r, o, "name", create, 1, 120, TEXT_SINGLE_LINE, &in->name) ||
	    jget_text(r, o, "slug", OPTIONAL, 1, 80, TEXT_SINGLE_LINE, &in->slug) ||
	    jget_text(r, o, "description", OPTIONAL, 0, 2000, TEXT_MULTI_LINE, &in->description) ||
	    jget_money(r, o, "basePrice", create, &price, &has_price) ||
	    jget_int(r, o, "leadTimeHours", OPTIONAL, 0, 336, &lead, &has_lead) ||
	    jget_bool(r, o, "isAvailable", OPTIONAL, &avail, &has_avail) ||
	    (!create && jget_bool(r, o, "archived", OPTIONAL, &arch, &has_arch)))
		return -1;
	if (in->slug && !product_slug_valid(in->slug))
		return reply_error(r, 400, "VALIDATION_ERROR", "slug", "slug must be 1 to 80 of a-z, 0-9 and -"), -1;
	in->base_price = money_text(r, has_price, price);
	in->lead_time = int_text(r, has_lead, lead);
	in->available = bool_text(has_avail, avail);
	in->archived = bool_text(has_arch, arch);
	return 0;
}

/* Reads the variant fields of o; create requires label, weightGrams, price. */
static int read_variant(struct req *r, struct json_object *o, int create, struct variant_in *in)
{
	int64_t grams = 0, price = 0, units = 0;
	int has_grams, has_price, has_units, avail = 0, has_avail, arch = 0, has_arch = 0;

	memset(in, 0, sizeof *in);
	if (!json_object_is_type(o, json_type_object))
		return reply_error(r, 400, "VALIDATION_ERROR", "variants", "each variant must be an object"), -1;
	if (jget_text(r, o, "label", create, 1, 40, TEXT_SINGLE_LINE, &in->label) ||
	    jget_int(r, o, "weightGrams", create, 1, 20000, &grams, &has_grams) ||
	    jget_money(r, o, "price", create, &price, &has_price) ||
	    jget_int(r, o, "kitchenUnits", OPTIONAL, 1, 100, &units, &has_units) ||
	    jget_bool(r, o, "isAvailable", OPTIONAL, &avail, &has_avail) ||
	    (!create && jget_bool(r, o, "archived", OPTIONAL, &arch, &has_arch)))
		return -1;
	in->weight = int_text(r, has_grams, grams);
	in->price = money_text(r, has_price, price);
	in->units = int_text(r, has_units, units);
	in->available = bool_text(has_avail, avail);
	in->archived = bool_text(has_arch, arch);
	return 0;
}

/* The optional "variants" array of a new product. Returns the count or -1. */
static int read_variants(struct req *r, struct variant_in *out)
{
	struct json_object *arr = NULL;

	if (!json_object_object_get_ex(r->json, "variants", &arr) || !arr)
		return 0;
	if (!json_object_is_type(arr, json_type_array) || json_object_array_length(arr) > MAX_VARIANTS)
		return reply_error(r, 400, "VALIDATION_ERROR", "variants", "variants must be an array of at most %d",
				   MAX_VARIANTS), -1;
	int n = (int)json_object_array_length(arr);
	for (int i = 0; i < n; i++)
		if (read_variant(r, json_object_array_get_idx(arr, (size_t)i), 1, &out[i]) != 0)
			return -1;
	return n;
}

/* A failed write: 409 for a duplicate (slug or variant label), else the DB error. */
static int reply_write_error(struct req *r, const char *dup_code, const char *dup_field, const char *dup_msg)
{
	if (strcmp(db_sqlstate(&r->ctx), "23505") == 0)
		return reply_error(r, 409, dup_code, dup_field, "%s", dup_msg);
	return reply_db_error(r);
}

static PGresult *insert_variant(struct req *r, const char *product_id, const struct variant_in *v)
{
	return db_query(&r->ctx,
		"INSERT INTO variants AS v (product_id, label, weight_grams, price, kitchen_units, is_available, sort_order) "
		"SELECT p.id, $2, $3::int, $4::numeric, COALESCE($5::int, 1), COALESCE($6::boolean, true), "
		"COALESCE((SELECT max(sort_order) + 1 FROM variants WHERE product_id = p.id), 0) "
		"FROM products p WHERE p.id = $1 "
		"RETURNING " SQL_ADMIN_VARIANT_JSON "::text AS body",
		product_id, v->label, v->weight, v->price, v->units, v->available);
}

int admin_products_list(struct req *r)
{
	return products_list_reply(r, 1);
}

int admin_product_get(struct req *r)
{
	return product_reply(r, 200, r->param[0], 1);
}

int admin_product_create(struct req *r)
{
	struct product_in p;
	struct variant_in vs[MAX_VARIANTS];
	int nv;

	if (read_product(r, r->json, 1, &p) != 0 || (nv = read_variants(r, vs)) < 0)
		return 0;
	if (db_begin(&r->ctx) != 0)
		return reply_db_error(r);
	PGresult *res = db_query(&r->ctx,
		"INSERT INTO products (name, slug, description, base_price, lead_time_hours, is_available) "
		"VALUES ($1, $2, COALESCE($3, ''), $4::numeric, COALESCE($5::int, 24), COALESCE($6::boolean, true)) "
		"RETURNING id",
		p.name, p.slug ? p.slug : product_slugify(r, p.name), p.description, p.base_price, p.lead_time, p.available);
	if (!res) {
		db_rollback(&r->ctx);
		return reply_write_error(r, "SLUG_TAKEN", "slug", "Another product already uses this slug");
	}
	const char *id = arena_strdup(r->a, db_val(res, 0, "id"));
	for (int i = 0; i < nv; i++) {
		if (!insert_variant(r, id, &vs[i])) {
			db_rollback(&r->ctx);
			return reply_write_error(r, "VARIANT_LABEL_TAKEN", "variants", "Two variants have the same label");
		}
	}
	if (db_commit(&r->ctx) != 0)
		return reply_db_error(r);
	reply_header(r, "Location", "/api/admin/products/%s", id);
	return product_reply(r, 201, id, 1);
}

int admin_product_update(struct req *r)
{
	struct product_in p;

	if (json_object_object_get_ex(r->json, "variants", NULL))
		return reply_error(r, 400, "VALIDATION_ERROR", "variants",
				   "Change variants through /api/admin/products/{id}/variants");
	if (read_product(r, r->json, 0, &p) != 0)
		return 0;
	PGresult *res = db_query(&r->ctx,
		"UPDATE products SET name = COALESCE($2, name), slug = COALESCE($3, slug), "
		"description = COALESCE($4, description), base_price = COALESCE($5::numeric, base_price), "
		"lead_time_hours = COALESCE($6::int, lead_time_hours), is_available = COALESCE($7::boolean, is_available), "
		"archived_at = CASE WHEN $8::boolean IS NULL THEN archived_at "
		"WHEN $8::boolean THEN COALESCE(archived_at, now()) END, updated_at = now() "
		"WHERE id = $1 RETURNING id",
		r->param[0], p.name, p.slug, p.description, p.base_price, p.lead_time, p.available, p.archived);
	if (!res)
		return reply_write_error(r, "SLUG_TAKEN", "slug", "Another product already uses this slug");
	if (PQntuples(res) != 1)
		return not_found(r, "product");
	return product_reply(r, 200, r->param[0], 1);
}

int admin_product_archive(struct req *r)
{
	PGresult *res = db_query(&r->ctx,
		"UPDATE products SET archived_at = COALESCE(archived_at, now()), updated_at = now() "
		"WHERE id = $1 RETURNING id", r->param[0]);
	if (!res)
		return reply_db_error(r);
	if (PQntuples(res) != 1)
		return not_found(r, "product");
	return reply_empty(r, 204);
}

/* Answers the JSON text of a RETURNING body column. */
static int reply_body(struct req *r, int status, PGresult *res)
{
	struct json_object *o = json_tokener_parse(db_val(res, 0, "body"));
	if (!o)
		return reply_error(r, 500, "INTERNAL", NULL, "Internal error");
	return reply_json(r, status, o);
}

int admin_variant_create(struct req *r)
{
	struct variant_in v;

	if (read_variant(r, r->json, 1, &v) != 0)
		return 0;
	PGresult *res = insert_variant(r, r->param[0], &v);
	if (!res)
		return reply_write_error(r, "VARIANT_LABEL_TAKEN", "label", "This product already has a variant with this label");
	if (PQntuples(res) != 1)
		return not_found(r, "product");
	return reply_body(r, 201, res);
}

int admin_variant_update(struct req *r)
{
	struct variant_in v;

	if (read_variant(r, r->json, 0, &v) != 0)
		return 0;
	PGresult *res = db_query(&r->ctx,
		"UPDATE variants AS v SET label = COALESCE($3, label), weight_grams = COALESCE($4::int, weight_grams), "
		"price = COALESCE($5::numeric, price), kitchen_units = COALESCE($6::int, kitchen_units), "
		"is_available = COALESCE($7::boolean, is_available), "
		"archived_at = CASE WHEN $8::boolean IS NULL THEN archived_at "
		"WHEN $8::boolean THEN COALESCE(archived_at, now()) END, updated_at = now() "
		"WHERE v.id = $2 AND v.product_id = $1 RETURNING " SQL_ADMIN_VARIANT_JSON "::text AS body",
		r->param[0], r->param[1], v.label, v.weight, v.price, v.units, v.available, v.archived);
	if (!res)
		return reply_write_error(r, "VARIANT_LABEL_TAKEN", "label", "This product already has a variant with this label");
	if (PQntuples(res) != 1)
		return not_found(r, "variant");
	return reply_body(r, 200, res);
}

/* The uploaded image: the one part named "image", sniffed and bounded. */
static int upload_image(struct req *r, const struct mp_part **img, const struct image_kind **kind)
{
	const struct mp_part *p = multipart_find(r->parts, r->nparts, "image");
	if (!p)
		return reply_error(r, 400, "VALIDATION_ERROR", "image", "Send the file in a form field named image"), -1;
	if (p->len > MAX_IMAGE_BYTES)
		return reply_error(r, 413, "PAYLOAD_TOO_LARGE", "image", "The image is larger than 5 MiB"), -1;
	*kind = image_sniff((const unsigned char *)p->data, p->len);
	if (!*kind)
		return reply_error(r, 415, "UNSUPPORTED_IMAGE", "image", "The image must be a JPEG, PNG or WebP file"), -1;
	*img = p;
	return 0;
}

enum image_store_result product_image_store(struct req *r, const char *product_id, const void *data, size_t len,
					    const struct image_kind *kind, const char **url)
{
	PGresult *res = db_query(&r->ctx, "SELECT cardinality(images) AS n FROM products WHERE id = $1", product_id);
	if (!res)
		return IMAGE_DB_ERROR;
	if (PQntuples(res) != 1)
		return IMAGE_NO_PRODUCT;
	if (atoi(db_val(res, 0, "n")) >= MAX_IMAGES)
		return IMAGE_TOO_MANY;
	if (storage_put_image(r->a, data, len, kind, url) != 0)
		return IMAGE_STORAGE_DOWN;
	res = db_query(&r->ctx, "UPDATE products SET images = array_append(images, $2), updated_at = now() "
			  "WHERE id = $1 RETURNING id", product_id, *url);
	if (!res || PQntuples(res) != 1) {
		storage_forget_image(*url);
		return res ? IMAGE_NO_PRODUCT : IMAGE_DB_ERROR;
	}
	return IMAGE_STORED;
}

int admin_product_image_add(struct req *r)
{
	const struct mp_part *img;
	const struct image_kind *kind;
	const char *url;

	if (upload_image(r, &img, &kind) != 0)
		return 0;
	switch (product_image_store(r, r->param[0], img->data, img->len, kind, &url)) {
	case IMAGE_STORED:
		reply_header(r, "Location", "%s", url);
		return product_reply(r, 201, r->param[0], 1);
	case IMAGE_NO_PRODUCT:
		return not_found(r, "product");
	case IMAGE_TOO_MANY:
		return reply_error(r, 409, "TOO_MANY_IMAGES", "image", "A product has at most %d images", MAX_IMAGES);
	case IMAGE_STORAGE_DOWN:
		return reply_error(r, 502, "STORAGE_UNAVAILABLE", NULL, "The image store is unavailable; try again");
	default:
		return reply_db_error(r);
	}
}

int admin_product_image_remove(struct req *r)
{
	const char *url = query_get(r, "url");

	if (!url || !*url)
		return reply_error(r, 400, "VALIDATION_ERROR", "url", "url (the image to remove) is required");
	long chars = utf8_length(url, strlen(url));
	if (chars < 0 || chars > 2048 || text_has_controls(url, strlen(url), TEXT_SINGLE_LINE))
		return reply_error(r, 400, "VALIDATION_ERROR", "url", "url must be an image URL of this product");
	PGresult *res = db_query(&r->ctx, "UPDATE products SET images = array_remove(images, $2), updated_at = now() "
				    "WHERE id = $1 AND $2 = ANY(images) RETURNING id", r->param[0], url);
	if (!res)
		return reply_db_error(r);
	if (PQntuples(res) != 1)
		return not_found(r, "image on this product");
	storage_forget_image(url);
	return product_reply(r, 200, r->param[0], 1);
}
