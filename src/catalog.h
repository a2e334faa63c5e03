/* catalog.h: the cakes on sale: products, their variants (sizes) and images.
 * One input struct per thing, one validation of it, one write path, the reads. */
#ifndef APP_CATALOG_H
#define APP_CATALOG_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "ctx.h"
#include "outcome.h"

struct arena;

#define CATALOG_MAX_VARIANTS 20 /* sizes given with a new product */
#define CATALOG_MAX_IMAGES 20	/* images of one product */
#define PRODUCT_IMAGE_MAX_BYTES (5 * 1024 * 1024)
#define CATALOG_MAX_PRICE_PAISE (10000000 * 100LL - 1) /* under ₹1,00,00,000 */
#define CATALOG_Q_MAX_CHARS 100			       /* the list's name search */

/* ---- input ---- */

/* A product as an admin writes it. Text is NULL when absent; a number or flag
 * counts only when its has_ flag is set. Creating: name and base price are
 * required, the slug defaults to product_slugify(name), the description to "",
 * the lead time to 24 h, availability to true. Updating: absent means unchanged. */
struct catalog_product {
	const char *name, *slug, *description;
	int64_t base_price; /* paise */
	int64_t lead_time_hours;
	int available, archived; /* archived: updates only */
	int has_base_price, has_lead_time, has_available, has_archived;
};

/* A variant (a size of a cake), the same way. Creating: label, weight and price
 * are required, kitchen units default to 1, availability to true. */
struct catalog_variant {
	const char *label;
	int64_t weight_grams;
	int64_t price;		 /* paise */
	int64_t kitchen_units;	 /* how much of a slot's kitchen capacity it takes */
	int available, archived; /* archived: updates only */
	int has_weight, has_price, has_units, has_available, has_archived;
};

/* The change of one existing variant, by id, in catalog_product_update. */
struct catalog_variant_change {
	const char *id;
	struct catalog_variant v;
};

/* ---- validation ---- */

/* The rules of the fields: their names (the API's key and the admin's words),
 * what they hold, and their bounds. */
enum catalog_kind { CATALOG_TEXT,
		    CATALOG_LINES,
		    CATALOG_SLUG,
		    CATALOG_INT,
		    CATALOG_MONEY };
enum catalog_field {
	CF_NAME,
	CF_SLUG,
	CF_DESCRIPTION,
	CF_BASE_PRICE,
	CF_LEAD_TIME,
	CF_LABEL,
	CF_WEIGHT,
	CF_PRICE,
	CF_UNITS,
	CF_COUNT
};
struct catalog_rule {
	const char *field; /* the API's key: "name", "basePrice", "weightGrams"... */
	const char *label; /* the admin's words: "Name", "Base price", "Weight (grams)"... */
	enum catalog_kind kind;
	int64_t min, max; /* characters for text, the value otherwise (paise for money) */
};
extern const struct catalog_rule catalog_rules[CF_COUNT];

/* A field that breaks its rule, and the API's sentence for it ("name must not
 * be empty"; arena). */
struct catalog_problem {
	enum catalog_field field;
	const char *message;
};

/* Check p (creating: the required fields too) and v, in field order. Return the
 * number of problems found, writing up to max of them into out (max may be 0). */
int catalog_product_check(struct arena *a, const struct catalog_product *p, int creating,
			  struct catalog_problem *out, int max);
int catalog_variant_check(struct arena *a, const struct catalog_variant *v, int creating,
			  struct catalog_problem *out, int max);

/* Slugs: 1 when s is 1 to 80 of a-z, 0-9 and '-'. */
int product_slug_valid(const char *s);
/* A slug of name's ASCII letters and digits joined by '-' ("Rose Pistachio" ->
 * "rose-pistachio"); "cake-<ms>" when name has none (arena). */
const char *product_slugify(struct arena *a, const char *name);

/* ---- writes: every change of the catalog goes through these ---- */

/* Creates a product with its n variants (n <= CATALOG_MAX_VARIANTS) in one
 * transaction of its own; *id is the new product's (arena). E_SLUG_TAKEN,
 * E_VARIANT_LABEL_TAKEN (two of the variants share a label), E_INVALID_INPUT
 * (the input breaks catalog_product_check or catalog_variant_check), E_DB. */
enum outcome catalog_product_create(struct ctx *c, const struct catalog_product *p,
				    const struct catalog_variant *variants, int n, const char **id);

/* Updates product id (the fields present in p), then the n variants changed
 * (of this product), then adds the variant added (may be NULL), all in one
 * transaction of its own. E_PRODUCT_NOT_FOUND, E_PRODUCT_VARIANT_NOT_FOUND,
 * E_SLUG_TAKEN, E_VARIANT_LABEL_TAKEN, E_INVALID_INPUT, E_DB. */
enum outcome catalog_product_update(struct ctx *c, const char *id, const struct catalog_product *p,
				    const struct catalog_variant_change *changed, int n,
				    const struct catalog_variant *added);

/* Takes product id off sale and out of the public catalog (again is harmless).
 * E_PRODUCT_NOT_FOUND, E_DB. */
enum outcome catalog_product_archive(struct ctx *c, const char *id);

/* Adds a variant to product id, after its others; *json is the variant in the
 * admin's shape (arena-owned). E_PRODUCT_NOT_FOUND, E_VARIANT_LABEL_TAKEN,
 * E_INVALID_INPUT, E_DB. */
enum outcome catalog_variant_create(struct ctx *c, const char *product_id, const struct catalog_variant *v,
				    struct json_object **json);

/* Changes variant variant_id of product product_id; *json as above.
 * E_PRODUCT_VARIANT_NOT_FOUND, E_VARIANT_LABEL_TAKEN, E_INVALID_INPUT, E_DB. */
enum outcome catalog_variant_update(struct ctx *c, const char *product_id, const char *variant_id,
				    const struct catalog_variant *v, struct json_object **json);

/* Stores the image data (at most PRODUCT_IMAGE_MAX_BYTES of PNG, JPEG or
 * WebP, by its bytes) and appends its public URL (*url, arena) to the
 * product's images. E_IMAGE_TOO_LARGE, E_UNSUPPORTED_IMAGE, E_PRODUCT_NOT_FOUND,
 * E_TOO_MANY_IMAGES, E_STORAGE_UNAVAILABLE (nothing recorded), E_DB. */
enum outcome catalog_image_add(struct ctx *c, const char *product_id, const void *data, size_t len,
			       const char **url);

/* Removes image url from the product (and the file, when stored locally).
 * E_IMAGE_NOT_FOUND (not an image of this product), E_DB. */
enum outcome catalog_image_remove(struct ctx *c, const char *product_id, const char *url);

/* ---- reads ---- */

/* Who reads: the public (products not archived, their live variants) or an
 * admin (everything, with the archived flags and the times). */
enum catalog_view { CATALOG_PUBLIC,
		    CATALOG_ADMIN };

/* A page of the list, by name: available and archived are -1 (any), 0 or 1
 * (archived only for CATALOG_ADMIN); q (may be NULL or "") finds names holding
 * it, case-insensitively, as plain text (at most CATALOG_Q_MAX_CHARS, checked
 * by the caller); limit 1..100, offset >= 0. */
struct catalog_query {
	int available, archived;
	const char *q;
	int64_t limit, offset;
};

/* An answer as compact JSON text (arena), and the ETag of its exact bytes. */
struct catalog_text {
	const char *json;
	size_t len;
	char etag[35]; /* "\"<32 hex digits>\"" */
};

/* The list {items, total, limit, offset}. E_DB. */
enum outcome catalog_list(struct ctx *c, enum catalog_view view, const struct catalog_query *q,
			  struct catalog_text *out);
/* One product. E_PRODUCT_NOT_FOUND (for the public: also when archived), E_DB. */
enum outcome catalog_product(struct ctx *c, enum catalog_view view, const char *id, struct catalog_text *out);

/* For the admin pages: one product as the public sees it, as a json-c object
 * owned by the arena (take a reference to hand it to a function that takes
 * it). E_PRODUCT_NOT_FOUND, E_DB. */
enum outcome catalog_product_json(struct ctx *c, const char *id, struct json_object **product);

#endif
