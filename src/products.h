/* products.h: the product JSON built in SQL, shared by the public and admin catalog. */
#ifndef APP_PRODUCTS_H
#define APP_PRODUCTS_H

#include "db.h"

struct req;

/* One variant row v as JSON; admin adds its archived flag. */
#define SQL_VARIANT_FIELDS \
	"'id', v.id, 'label', v.label, 'weightGrams', v.weight_grams, 'price', v.price::text, " \
	"'isAvailable', v.is_available, 'kitchenUnits', v.kitchen_units"
#define SQL_VARIANT_JSON "json_build_object(" SQL_VARIANT_FIELDS ")"
#define SQL_ADMIN_VARIANT_JSON "json_build_object(" SQL_VARIANT_FIELDS ", 'archived', v.archived_at IS NOT NULL)"

/* Product row p as JSON with its variants in one expression (no N+1). */
#define SQL_PRODUCT_JSON_(extra, vjson, vwhere) \
	"json_build_object('id', p.id, 'slug', p.slug, 'name', p.name, 'description', p.description, " \
	"'basePrice', p.base_price::text, 'images', p.images, 'isAvailable', p.is_available, " \
	"'leadTimeHours', p.lead_time_hours" extra ", 'variants', COALESCE((SELECT json_agg(" vjson \
	" ORDER BY v.sort_order, v.weight_grams, v.label) FROM variants v WHERE v.product_id = p.id" vwhere \
	"), '[]'::json))"
#define SQL_PRODUCT_JSON SQL_PRODUCT_JSON_("", SQL_VARIANT_JSON, " AND v.archived_at IS NULL")
#define SQL_ADMIN_PRODUCT_JSON \
	SQL_PRODUCT_JSON_(", 'archived', p.archived_at IS NOT NULL, 'archivedAt', " SQL_TIME("p.archived_at") \
			  ", 'createdAt', " SQL_TIME("p.created_at") ", 'updatedAt', " SQL_TIME("p.updated_at"), \
			  SQL_ADMIN_VARIANT_JSON, "")

/* Answers the product list for GET /api/products (admin = 0: live products
 * only, cacheable) or GET /api/admin/products (admin = 1: also archived,
 * `archived=` filter, no-store). Query: available, q, limit, offset. */
int products_list_reply(struct req *r, int admin);

/* Answers product id (admin shape when admin) with status; 404 when absent
 * (or archived, for the public shape). id must already be a UUID. */
int product_reply(struct req *r, int status, const char *id, int admin);

/* admin_products.c: slugs. 1 when s is 1-80 of a-z, 0-9 and '-'. */
int product_slug_valid(const char *s);
/* A slug made of name's ASCII letters and digits joined by '-' (arena). */
const char *product_slugify(struct req *r, const char *name);

/* admin_products.c: stores an image (already sniffed) for a product and appends
 * its public URL to products.images; shared by the API and the admin page. */
#include <stddef.h>
struct image_kind;
#define PRODUCT_IMAGE_MAX_BYTES (5 * 1024 * 1024)
enum image_store_result {
	IMAGE_STORED = 0,
	IMAGE_NO_PRODUCT,
	IMAGE_TOO_MANY,
	IMAGE_STORAGE_DOWN,	/* 502: nothing recorded */
	IMAGE_DB_ERROR,
};
enum image_store_result product_image_store(struct req *r, const char *product_id, const void *data, size_t len,
					    const struct image_kind *kind, const char **url);

#endif
