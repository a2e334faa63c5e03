/* admin_products_pages.c: product and variant pages (list, create, edit) writing the catalog tables with validation. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "db.h"
#include "handlers.h"
#include "jsonutil.h"
#include "multipart.h"
#include "products.h"
#include "storage.h"
#include "util.h"

#define MAX_PRICE_PAISE 100000000LL	/* ₹10,00,000: far above any cake */

struct product_in {
	const char *name, *slug, *description, *price, *lead;
	int available;
};

struct variant_in {
	const char *label, *weight, *price, *units;
	int available;
};

static void add_error(struct json_object *errors, const char *text)
{
	json_object_array_add(errors, jstr(text));
}

/* Text of 1..max characters (0..max when optional); NULL and an error otherwise. */
static const char *need_text(struct req *r, struct json_object *errors, const char *name, size_t max,
			     int multiline, int optional, const char *what)
{
	const char *v = admin_form_text(r, r->body, name, multiline);
	if (optional && !form_get(r, r->body, name))
		return "";
	long n = v ? utf8_length(v, strlen(v)) : -1;
	if (v && n >= (optional ? 0 : 1) && (size_t)n <= max)
		return v;
	add_error(errors, arena_printf(r->a, "%s must be %s%zu characters of plain text.", what,
				       optional ? "at most " : "1 to ", max));
	return NULL;
}

static const char *need_int(struct req *r, struct json_object *errors, const char *name, int64_t min, int64_t max,
			    const char *what)
{
	const char *v = form_get(r, r->body, name);
	int64_t n;
	if (v && parse_int64(v, min, max, &n) == 0)
		return arena_printf(r->a, "%lld", (long long)n);
	add_error(errors, arena_printf(r->a, "%s must be a whole number from %lld to %lld.", what,
				       (long long)min, (long long)max));
	return NULL;
}

static const char *need_money(struct req *r, struct json_object *errors, const char *name, const char *what)
{
	const char *v = form_get(r, r->body, name);
	int64_t p;
	char out[32];
	if (v && money_parse(v, &p) == 0 && p <= MAX_PRICE_PAISE) {
		money_format(p, out);
		return arena_strdup(r->a, out);
	}
	add_error(errors, arena_printf(r->a, "%s must be an amount in rupees, like 1299 or 1299.50.", what));
	return NULL;
}

static int checked(struct req *r, const char *name)
{
	const char *v = form_get(r, r->body, name);
	return v && *v;
}

static void read_product(struct req *r, struct json_object *errors, struct product_in *p, int is_new)
{
	p->name = need_text(r, errors, "name", 120, 0, 0, "Name");
	p->description = need_text(r, errors, "description", 2000, 1, 1, "Description");
	p->price = need_money(r, errors, "basePrice", "Base price");
	p->lead = need_int(r, errors, "leadTimeHours", 0, 336, "Lead time (hours)");
	p->available = checked(r, "isAvailable");
	p->slug = NULL;
	if (!is_new)
		return;
	const char *s = admin_form_text(r, r->body, "slug", 0);
	if (s && *s && !product_slug_valid(s))
		add_error(errors, "Slug may hold only lower-case letters, digits and '-' (at most 80).");
	else
		p->slug = s && *s ? s : p->name ? product_slugify(r, p->name) : NULL;
}

static int read_variant(struct req *r, struct json_object *errors, const char *key, struct variant_in *v, int with_label)
{
	size_t before = json_object_array_length(errors);
	v->label = with_label ? need_text(r, errors, arena_printf(r->a, "label_%s", key), 40, 0, 0, "Variant label") : NULL;
	v->weight = need_int(r, errors, arena_printf(r->a, "weight_%s", key), 1, 20000, "Weight (grams)");
	v->price = need_money(r, errors, arena_printf(r->a, "price_%s", key), "Variant price");
	v->units = need_int(r, errors, arena_printf(r->a, "units_%s", key), 1, 100, "Kitchen units");
	v->available = checked(r, arena_printf(r->a, "avail_%s", key));
	return json_object_array_length(errors) == before ? 0 : -1;
}

/* ---- reading products ---- */

#define PRODUCT_JSON \
	"json_build_object('id', p.id, 'name', p.name, 'slug', p.slug, 'description', p.description, " \
	"'basePrice', p.base_price::text, 'leadTimeHours', p.lead_time_hours, 'isAvailable', p.is_available, " \
	"'images', to_json(p.images), " \
	"'variants', COALESCE((SELECT json_agg(json_build_object('id', v.id, 'label', v.label, " \
	"  'weightGrams', v.weight_grams, 'price', v.price::text, 'kitchenUnits', v.kitchen_units, " \
	"  'isAvailable', v.is_available) ORDER BY v.sort_order, v.weight_grams, v.label) " \
	"  FROM variants v WHERE v.product_id = p.id AND v.archived_at IS NULL), '[]'::json))"

int admin_products_page(struct req *r)
{
	PGresult *res = db_query0(&r->ctx,
		"SELECT COALESCE(json_agg(" PRODUCT_JSON " ORDER BY lower(p.name)), '[]')::text AS j "
		"FROM products p WHERE p.archived_at IS NULL");
	if (!res)
		return reply_db_error(r);
	struct json_object *ctx = admin_page_ctx(r, "products", "Products");
	struct json_object *list = admin_json_text(db_val(res, 0, "j"));
	json_object_object_add(ctx, "products", list ? list : json_object_new_array());
	return reply_html(r, 200, "admin/products", ctx);
}

/* The product as JSON; NULL when absent (*db_err set on a DB failure). */
static struct json_object *load_product(struct req *r, const char *id, int *db_err)
{
	*db_err = 0;
	PGresult *res = db_query(&r->ctx, "SELECT " PRODUCT_JSON "::text AS j FROM products p "
				    "WHERE p.id = $1 AND p.archived_at IS NULL", id);
	if (!res)
		return *db_err = 1, NULL;
	return PQntuples(res) == 1 ? admin_json_text(db_val(res, 0, "j")) : NULL;
}

/* ---- pages ---- */

static int product_form(struct req *r, int status, struct json_object *product, struct json_object *errors, int is_new)
{
	struct json_object *ctx = admin_page_ctx(r, "products", is_new ? "New product" : "Edit product");
	if (is_new)
		json_object_object_add(ctx, "isNew", jbool(1));
	json_object_object_add(ctx, "product", product ? product : json_object_new_object());
	if (errors && json_object_array_length(errors))
		json_object_object_add(ctx, "errors", errors);
	else
		json_object_put(errors);
	return reply_html(r, status, "admin/product", ctx);
}

int admin_product_new_get(struct req *r)
{
	struct json_object *p = json_object_new_object();
	json_object_object_add(p, "isAvailable", jbool(1));
	json_object_object_add(p, "leadTimeHours", jint(24));
	return product_form(r, 200, p, NULL, 1);
}

/* What the admin typed, to show the form again after an error. */
static struct json_object *typed_product(struct req *r, struct json_object *p)
{
	static const char *const fields[] = { "name", "slug", "description", "basePrice", "leadTimeHours" };
	if (!p)
		p = json_object_new_object();
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		const char *v = admin_form_text(r, r->body, fields[i], 1);
		if (v)
			json_object_object_add(p, fields[i], jstr(v));
	}
	json_object_object_add(p, "isAvailable", jbool(checked(r, "isAvailable")));
	return p;
}

int admin_product_new_post(struct req *r)
{
	struct json_object *errors = json_object_new_array();
	struct product_in p;

	read_product(r, errors, &p, 1);
	if (json_object_array_length(errors))
		return product_form(r, 400, typed_product(r, NULL), errors, 1);
	PGresult *res = db_query(&r->ctx,
		"INSERT INTO products (slug, name, description, base_price, lead_time_hours, is_available) "
		"VALUES ($1, $2, $3, $4::numeric, $5::int, $6::bool) ON CONFLICT (slug) DO NOTHING RETURNING id",
		p.slug, p.name, p.description ? p.description : "", p.price, p.lead, p.available ? "true" : "false");
	if (!res)
		return json_object_put(errors), reply_db_error(r);
	if (PQntuples(res) == 0) {
		add_error(errors, "Another product already has this slug; choose another.");
		return product_form(r, 409, typed_product(r, NULL), errors, 1);
	}
	json_object_put(errors);
	return reply_redirect(r, arena_printf(r->a, "/admin/products/%s?m=product_created", db_val(res, 0, "id")));
}

int admin_product_page_get(struct req *r)
{
	int db_err;
	struct json_object *p = load_product(r, r->param[0], &db_err);
	if (!p)
		return db_err ? reply_db_error(r) : admin_message_page(r, 404, "Not found", "There is no such product.");
	return product_form(r, 200, p, NULL, 0);
}

/* Writes the product, its variants and an optional new variant in one transaction.
 * 0 done; 1 the new label is taken (rolled back); -1 DB error. */
static int save_product(struct req *r, const char *id, const struct product_in *p,
			struct json_object *variants, const struct variant_in *vs, const struct variant_in *nv)
{
	if (db_begin(&r->ctx) != 0)
		return -1;
	if (!db_query(&r->ctx, "UPDATE products SET name = $2, description = $3, base_price = $4::numeric, "
			 "lead_time_hours = $5::int, is_available = $6::bool, updated_at = now() WHERE id = $1",
		      id, p->name, p->description ? p->description : "", p->price, p->lead, p->available ? "true" : "false"))
		return db_rollback(&r->ctx), -1;
	for (size_t i = 0; i < json_object_array_length(variants); i++) {
		const char *vid = json_object_get_string(json_object_object_get(json_object_array_get_idx(variants, i), "id"));
		if (!db_query(&r->ctx, "UPDATE variants SET weight_grams = $3::int, price = $4::numeric, kitchen_units = $5::int, "
				 "is_available = $6::bool, updated_at = now() WHERE id = $1 AND product_id = $2",
			      vid, id, vs[i].weight, vs[i].price, vs[i].units, vs[i].available ? "true" : "false"))
			return db_rollback(&r->ctx), -1;
	}
	if (nv) {
		PGresult *res = db_query(&r->ctx,
			"INSERT INTO variants (product_id, label, weight_grams, price, kitchen_units, is_available, sort_order) "
			"VALUES ($1, $2, $3::int, $4::numeric, $5::int, $6::bool, "
			" (SELECT COALESCE(max(sort_order), 0) + 1 FROM variants WHERE product_id = $1)) "
			"ON CONFLICT (product_id, label) DO NOTHING RETURNING id",
			id, nv->label, nv->weight, nv->price, nv->units, nv->available ? "true" : "false");
		if (!res)
			return db_rollback(&r->ctx), -1;
		if (PQntuples(res) == 0)
			return db_rollback(&r->ctx), 1;
	}
	return db_commit(&r->ctx) == 0 ? 0 : -1;
}

/* Overlays what was typed for each variant onto the loaded product. */
static void typed_variants(struct req *r, struct json_object *variants)
{
	for (size_t i = 0; i < json_object_array_length(variants); i++) {
		struct json_object *v = json_object_array_get_idx(variants, i);
		const char *vid = json_object_get_string(json_object_object_get(v, "id"));
		const char *w = admin_form_text(r, r->body, arena_printf(r->a, "weight_%s", vid), 0);
		const char *pr = admin_form_text(r, r->body, arena_printf(r->a, "price_%s", vid), 0);
		const char *u = admin_form_text(r, r->body, arena_printf(r->a, "units_%s", vid), 0);
		if (w) json_object_object_add(v, "weightGrams", jstr(w));
		if (pr) json_object_object_add(v, "price", jstr(pr));
		if (u) json_object_object_add(v, "kitchenUnits", jstr(u));
		json_object_object_add(v, "isAvailable", jbool(checked(r, arena_printf(r->a, "avail_%s", vid))));
	}
}

int admin_product_post(struct req *r)
{
	int db_err;
	struct product_in p;
	struct variant_in nv;

	struct json_object *prod = load_product(r, r->param[0], &db_err);
	if (!prod)
		return db_err ? reply_db_error(r) : admin_message_page(r, 404, "Not found", "There is no such product.");
	struct json_object *errors = json_object_new_array();
	struct json_object *variants = json_object_object_get(prod, "variants");
	size_t nvar = json_object_array_length(variants);
	struct variant_in *vs = arena_alloc(r->a, (nvar + 1) * sizeof *vs);

	read_product(r, errors, &p, 0);
	for (size_t i = 0; i < nvar; i++)
		read_variant(r, errors, json_object_get_string(json_object_object_get(
			json_object_array_get_idx(variants, i), "id")), &vs[i], 0);
	const char *nl = admin_form_text(r, r->body, "label_new", 0);
	int adding = nl && *nl;
	if (adding)
		read_variant(r, errors, "new", &nv, 1);
	if (json_object_array_length(errors)) {
		typed_variants(r, variants);
		return product_form(r, 400, typed_product(r, prod), errors, 0);
	}
	int rc = save_product(r, r->param[0], &p, variants, vs, adding ? &nv : NULL);
	if (rc < 0)
		return json_object_put(errors), json_object_put(prod), reply_db_error(r);
	if (rc == 1) {
		add_error(errors, "This product already has a variant with that label.");
		typed_variants(r, variants);
		return product_form(r, 409, typed_product(r, prod), errors, 0);
	}
	json_object_put(errors);
	json_object_put(prod);
	return reply_redirect(r, arena_printf(r->a, "/admin/products/%s?m=product_saved", r->param[0]));
}

/* POST /admin/products/{id}/images: the page's upload form (multipart; the
 * worker checked the "csrf" part); stored through the same function as the API. */
int admin_product_image_post(struct req *r)
{
	const char *back = arena_printf(r->a, "/admin/products/%s", r->param[0]);
	const struct mp_part *img = multipart_find(r->parts, r->nparts, "image");
	const struct image_kind *kind = img ? image_sniff((const unsigned char *)img->data, img->len) : NULL;
	if (!img || img->len > PRODUCT_IMAGE_MAX_BYTES || !kind)
		return reply_redirect(r, arena_printf(r->a, "%s?m=image_bad", back));
	const char *url;
	switch (product_image_store(r, r->param[0], img->data, img->len, kind, &url)) {
	case IMAGE_STORED:
		return reply_redirect(r, arena_printf(r->a, "%s?m=image_ok", back));
	case IMAGE_NO_PRODUCT:
		return admin_message_page(r, 404, "Not found", "There is no such product.");
	case IMAGE_TOO_MANY:
		return reply_redirect(r, arena_printf(r->a, "%s?m=image_too_many", back));
	case IMAGE_STORAGE_DOWN:
		return reply_redirect(r, arena_printf(r->a, "%s?m=image_storage", back));
	default:
		return reply_db_error(r);
	}
}
