/* page_products.c: the admin's product pages: the list, the new-product and edit forms, the image upload form. */
#include <stdint.h>
#include <string.h>

#include "admin.h"
#include "catalog.h"
#include "handlers.h"
#include "json.h"
#include "multipart.h"
#include "util.h"

/* ---- reading a form into the catalog's structs ---- */

/* The fields of a form that did not read or broke the catalog's rule, by bit
 * (1 << enum catalog_field), to show each one's sentence once, in the form's order. */
typedef unsigned bad_fields;
#define BAD(f) (1u << (f))

static int checked(struct req *r, const char *name)
{
	const char *v = form_get(r, r->body, name);
	return v && *v;
}

/* Text of field f (NULL, and f bad, when absent or not plain text). */
static const char *form_text(struct req *r, const char *name, enum catalog_field f, bad_fields *bad)
{
	const char *v = admin_form_text(r, r->body, name, catalog_rules[f].kind == CATALOG_LINES);
	if (!v)
		*bad |= BAD(f);
	return v;
}

static int form_int(struct req *r, const char *name, enum catalog_field f, int64_t *v, bad_fields *bad)
{
	const char *s = form_get(r, r->body, name);
	if (s && parse_int64(s, INT64_MIN, INT64_MAX, v) == 0)
		return 1;
	*bad |= BAD(f);
	return 0;
}

static int form_money(struct req *r, const char *name, enum catalog_field f, int64_t *paise, bad_fields *bad)
{
	const char *s = form_get(r, r->body, name);
	if (s && money_parse(s, paise) == 0)
		return 1;
	*bad |= BAD(f);
	return 0;
}

/* The product fields (all of them: the form sends every one); the slug only on
 * the new-product form, where empty means "from the name". */
static bad_fields read_product(struct req *r, struct catalog_product *p, int is_new)
{
	bad_fields bad = 0;
	struct catalog_problem pr[CF_COUNT];

	memset(p, 0, sizeof *p);
	p->name = form_text(r, "name", CF_NAME, &bad);
	p->description = form_get(r, r->body, "description") ? form_text(r, "description", CF_DESCRIPTION, &bad) : "";
	p->has_base_price = form_money(r, "basePrice", CF_BASE_PRICE, &p->base_price, &bad);
	p->has_lead_time = form_int(r, "leadTimeHours", CF_LEAD_TIME, &p->lead_time_hours, &bad);
	p->available = checked(r, "isAvailable");
	p->has_available = 1;
	if (is_new) {
		const char *s = admin_form_text(r, r->body, "slug", 0);
		p->slug = s && *s ? s : NULL;
	}
	int n = catalog_product_check(r->a, p, is_new, pr, CF_COUNT);
	for (int i = 0; i < n && i < CF_COUNT; i++)
		bad |= BAD(pr[i].field);
	return bad;
}

/* The fields of variant key ("new" or the variant's id); the label only for a new one. */
static bad_fields read_variant(struct req *r, const char *key, struct catalog_variant *v, int is_new)
{
	bad_fields bad = 0;
	struct catalog_problem pr[CF_COUNT];

	memset(v, 0, sizeof *v);
	if (is_new)
		v->label = form_text(r, arena_printf(r->a, "label_%s", key), CF_LABEL, &bad);
	v->has_weight = form_int(r, arena_printf(r->a, "weight_%s", key), CF_WEIGHT, &v->weight_grams, &bad);
	v->has_price = form_money(r, arena_printf(r->a, "price_%s", key), CF_PRICE, &v->price, &bad);
	v->has_units = form_int(r, arena_printf(r->a, "units_%s", key), CF_UNITS, &v->kitchen_units, &bad);
	v->available = checked(r, arena_printf(r->a, "avail_%s", key));
	v->has_available = 1;
	int n = catalog_variant_check(r->a, v, is_new, pr, CF_COUNT);
	for (int i = 0; i < n && i < CF_COUNT; i++)
		bad |= BAD(pr[i].field);
	return bad;
}

/* The admin's sentence for a field that is wrong: "Name must be 1 to 120 characters of plain text." */
static const char *sentence(struct req *r, enum catalog_field f)
{
	const struct catalog_rule *ru = &catalog_rules[f];

	switch (ru->kind) {
	case CATALOG_SLUG:
		return arena_printf(r->a, "%s may hold only lower-case letters, digits and '-' (at most %lld).",
				    ru->label, (long long)ru->max);
	case CATALOG_INT:
		return arena_printf(r->a, "%s must be a whole number from %lld to %lld.", ru->label,
				    (long long)ru->min, (long long)ru->max);
	case CATALOG_MONEY:
		return arena_printf(r->a, "%s must be an amount in rupees, like 1299 or 1299.50.", ru->label);
	default:
		return arena_printf(r->a, "%s must be %s%lld characters of plain text.", ru->label,
				    ru->min ? arena_printf(r->a, "%lld to ", (long long)ru->min) : "at most ",
				    (long long)ru->max);
	}
}

/* Adds the sentences of the bad fields, in the form's order. */
static void add_errors(struct req *r, struct json_object *errors, bad_fields bad)
{
	static const enum catalog_field order[] = {
		CF_NAME,
		CF_DESCRIPTION,
		CF_BASE_PRICE,
		CF_LEAD_TIME,
		CF_SLUG,
		CF_LABEL,
		CF_WEIGHT,
		CF_PRICE,
		CF_UNITS,
	};
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if (bad & BAD(order[i]))
			json_object_array_add(errors, jstr(sentence(r, order[i])));
}

/* ---- pages ---- */

/* A catalog outcome that is no form error: the database's answer, or a 404 page. */
static int reply_failure(struct req *r, enum outcome o)
{
	if (o == E_PRODUCT_NOT_FOUND)
		return admin_not_found_page(r, o);
	return reply_outcome(r, o, NULL);
}

/* ---- the list: search, filters, pages ---- */

#define PRODUCTS_PER_PAGE 50
#define PRODUCTS_MAX_PAGE 100000

/* The list's filters as the query string says them; the words are the form's
 * values (available: "", "yes", "no"; archived: "no" (the default: on sale),
 * "yes", "all"). */
struct list_filters {
	const char *q, *available, *archived;
	int64_t page;
};

/* -1/0/1 of a filter's word; -2 when it is none of them. */
static int tristate_of(const char *v, const char *any, const char *yes, const char *no)
{
	if (!v || strcmp(v, any) == 0)
		return -1;
	if (strcmp(v, yes) == 0)
		return 1;
	if (strcmp(v, no) == 0)
		return 0;
	return -2;
}

/* Reads the query into f and q; NULL, or the admin's sentence of what is wrong. */
static const char *read_list_query(struct req *r, struct list_filters *f, struct catalog_query *q)
{
	const char *page = query_get(r, "page");

	f->q = query_get(r, "q");
	f->available = query_get(r, "available");
	f->archived = query_get(r, "archived");
	f->page = 1;
	memset(q, 0, sizeof *q);
	if (f->q) {
		size_t n = strlen(f->q);
		long chars = utf8_length(f->q, n);
		if (chars < 0 || chars > CATALOG_Q_MAX_CHARS || text_has_controls(f->q, n, TEXT_SINGLE_LINE))
			return arena_printf(r->a, "Search for at most %d characters of plain text.", CATALOG_Q_MAX_CHARS);
	}
	q->q = f->q;
	q->available = tristate_of(f->available ? f->available : "", "", "yes", "no");
	if (q->available == -2)
		return "Availability must be any, available or unavailable.";
	/* on sale by default: archived=no */
	q->archived = tristate_of(f->archived && *f->archived ? f->archived : "no", "all", "yes", "no");
	if (q->archived == -2)
		return "Archived must be on sale, archived or all.";
	if (page && *page && parse_int64(page, 1, PRODUCTS_MAX_PAGE, &f->page) != 0)
		return arena_printf(r->a, "Page must be a whole number from 1 to %d.", PRODUCTS_MAX_PAGE);
	q->limit = PRODUCTS_PER_PAGE;
	q->offset = (f->page - 1) * PRODUCTS_PER_PAGE;
	return NULL;
}

/* The list's address for page n with the same filters (the defaults left out). */
static const char *list_href(struct req *r, const struct list_filters *f, int64_t n)
{
	const char *h = "/admin/products?";
	if (f->q && *f->q)
		h = arena_printf(r->a, "%sq=%s&", h, url_encode(r->a, f->q));
	if (f->available && *f->available)
		h = arena_printf(r->a, "%savailable=%s&", h, f->available);
	if (f->archived && *f->archived && strcmp(f->archived, "no") != 0)
		h = arena_printf(r->a, "%sarchived=%s&", h, f->archived);
	return arena_printf(r->a, "%spage=%lld", h, (long long)n);
}

/* "500 g ₹1,399 · 1 kg ₹2,599 (unavailable)": the sizes on sale in one line. */
static const char *variants_line(struct req *r, struct json_object *variants)
{
	const char *line = "";
	for (size_t i = 0; i < json_object_array_length(variants); i++) {
		struct json_object *v = json_object_array_get_idx(variants, i);
		int64_t paise = 0;
		char price[40];
		if (json_object_get_boolean(json_object_object_get(v, "archived")))
			continue;
		money_parse(json_object_get_string(json_object_object_get(v, "price")), &paise);
		money_format_inr(paise, price);
		line = arena_printf(r->a, "%s%s%s %s%s", line, *line ? " · " : "",
				    json_object_get_string(json_object_object_get(v, "label")), price,
				    json_object_get_boolean(json_object_object_get(v, "isAvailable")) ? "" : " (unavailable)");
	}
	return line;
}

/* What the page shows of each product: the thumbnail (its first image), the sizes' line. */
static void add_list_fields(struct req *r, struct json_object *items)
{
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		struct json_object *p = json_object_array_get_idx(items, i);
		struct json_object *images = json_object_object_get(p, "images");
		int64_t paise = 0;
		char price[40];
		if (json_object_array_length(images))
			json_object_object_add(p, "thumb", json_object_get(json_object_array_get_idx(images, 0)));
		json_object_object_add(p, "sizes", jstr(variants_line(r, json_object_object_get(p, "variants"))));
		money_parse(json_object_get_string(json_object_object_get(p, "basePrice")), &paise);
		money_format_inr(paise, price);
		json_object_object_add(p, "basePriceText", jstr(price));
	}
}

/* One page of the list as json-c ({items, total, ...}, arena-owned). */
static enum outcome list_page(struct req *r, const struct catalog_query *q, struct json_object **list)
{
	struct catalog_text t;
	enum outcome o = catalog_list(&r->ctx, CATALOG_ADMIN, q, &t);
	if (o != OK)
		return o;
	*list = json_own(r->a, json_tokener_parse(t.json));
	return *list ? OK : E_INTERNAL;
}

/* The form's choices, the current one selected. */
static struct json_object *choices(const char *current, const char *const (*opts)[2], size_t n)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "value", jstr(opts[i][0]));
		json_object_object_add(o, "label", jstr(opts[i][1]));
		if (strcmp(current, opts[i][0]) == 0)
			json_object_object_add(o, "selected", jbool(1));
		json_object_array_add(a, o);
	}
	return a;
}

static void add_form(struct json_object *ctx, const struct list_filters *f)
{
	static const char *const avail[][2] = { { "", "Any" }, { "yes", "Available" }, { "no", "Unavailable" } };
	static const char *const arch[][2] = { { "no", "On sale" }, { "yes", "Archived" }, { "all", "All" } };
	json_object_object_add(ctx, "q", jstr(f->q ? f->q : ""));
	json_object_object_add(ctx, "availableChoices", choices(f->available ? f->available : "", avail, 3));
	json_object_object_add(ctx, "archivedChoices",
			       choices(f->archived && *f->archived ? f->archived : "no", arch, 3));
}

/* The counts and the links to the pages around this one. */
static void add_paging(struct req *r, struct json_object *ctx, const struct list_filters *f, int64_t total)
{
	int64_t pages = total ? (total + PRODUCTS_PER_PAGE - 1) / PRODUCTS_PER_PAGE : 1;
	json_object_object_add(ctx, "counts",
			       jstr(arena_printf(r->a, "%lld product%s, page %lld of %lld", (long long)total,
						 total == 1 ? "" : "s", (long long)f->page, (long long)pages)));
	if (f->page > 1)
		json_object_object_add(ctx, "prevHref", jstr(list_href(r, f, f->page - 1)));
	if (f->page < pages)
		json_object_object_add(ctx, "nextHref", jstr(list_href(r, f, f->page + 1)));
}

/* GET /admin/products?q&available&archived&page: the products, 50 a page, by name. */
int admin_products_page(struct req *r)
{
	struct list_filters f;
	struct catalog_query q;
	struct json_object *list;
	const char *err = read_list_query(r, &f, &q);
	struct json_object *ctx = admin_page_ctx(r, "products", "Products");

	if (err) {
		add_form(ctx, &(struct list_filters){ .q = "", .available = "", .archived = "no" });
		json_object_object_add(ctx, "error", jstr(err));
		return reply_html(r, 400, "admin/products", ctx);
	}
	enum outcome o = list_page(r, &q, &list);
	int64_t total = o == OK ? json_object_get_int64(json_object_object_get(list, "total")) : 0;
	if (o == OK && total > 0 && q.offset >= total) { /* past the end: the last page */
		f.page = (total + PRODUCTS_PER_PAGE - 1) / PRODUCTS_PER_PAGE;
		q.offset = (f.page - 1) * PRODUCTS_PER_PAGE;
		o = list_page(r, &q, &list);
	}
	if (o != OK) {
		json_object_put(ctx);
		return reply_failure(r, o);
	}
	struct json_object *items = json_object_object_get(list, "items");
	add_list_fields(r, items);
	add_form(ctx, &f);
	add_paging(r, ctx, &f, total);
	if (f.q && *f.q)
		json_object_object_add(ctx, "searched", jbool(1));
	json_object_object_add(ctx, "products", json_object_get(items));
	return reply_html(r, 200, "admin/products", ctx);
}

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

/* What the admin typed, to show the form again after an error (p taken; may be NULL). */
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

/* Overlays what was typed for each variant onto the loaded product's variants. */
static void typed_variants(struct req *r, struct json_object *variants)
{
	for (size_t i = 0; i < json_object_array_length(variants); i++) {
		struct json_object *v = json_object_array_get_idx(variants, i);
		const char *vid = json_object_get_string(json_object_object_get(v, "id"));
		const char *w = admin_form_text(r, r->body, arena_printf(r->a, "weight_%s", vid), 0);
		const char *pr = admin_form_text(r, r->body, arena_printf(r->a, "price_%s", vid), 0);
		const char *u = admin_form_text(r, r->body, arena_printf(r->a, "units_%s", vid), 0);
		if (w)
			json_object_object_add(v, "weightGrams", jstr(w));
		if (pr)
			json_object_object_add(v, "price", jstr(pr));
		if (u)
			json_object_object_add(v, "kitchenUnits", jstr(u));
		json_object_object_add(v, "isAvailable", jbool(checked(r, arena_printf(r->a, "avail_%s", vid))));
	}
}

int admin_product_new_post(struct req *r)
{
	struct json_object *errors = json_object_new_array();
	struct catalog_product p;
	const char *id;

	add_errors(r, errors, read_product(r, &p, 1));
	if (json_object_array_length(errors))
		return product_form(r, 400, typed_product(r, NULL), errors, 1);
	enum outcome o = catalog_product_create(&r->ctx, &p, NULL, 0, &id);
	if (o == E_SLUG_TAKEN) {
		json_object_array_add(errors, jstr("Another product already has this slug; choose another."));
		return product_form(r, 409, typed_product(r, NULL), errors, 1);
	}
	json_object_put(errors);
	if (o != OK)
		return reply_failure(r, o);
	return reply_redirect(r, arena_printf(r->a, "/admin/products/%s?m=product_created", id));
}

int admin_product_page_get(struct req *r)
{
	struct json_object *p;
	enum outcome o = catalog_product_json(&r->ctx, r->param[0], &p);

	if (o != OK)
		return reply_failure(r, o);
	return product_form(r, 200, json_object_get(p), NULL, 0);
}

/* Saves the product, the changes of its variants and an optional new one, at once. */
int admin_product_post(struct req *r)
{
	struct json_object *prod;
	enum outcome o = catalog_product_json(&r->ctx, r->param[0], &prod);

	if (o != OK)
		return reply_failure(r, o);
	struct json_object *variants = json_object_object_get(prod, "variants");
	int nvar = (int)json_object_array_length(variants);
	struct catalog_variant_change *changes = arena_alloc(r->a, ((size_t)nvar + 1) * sizeof *changes);
	struct catalog_product p;
	struct catalog_variant added;
	struct json_object *errors = json_object_new_array();

	add_errors(r, errors, read_product(r, &p, 0));
	for (int i = 0; i < nvar; i++) {
		struct json_object *v = json_object_array_get_idx(variants, (size_t)i);
		changes[i].id = json_object_get_string(json_object_object_get(v, "id"));
		add_errors(r, errors, read_variant(r, changes[i].id, &changes[i].v, 0));
	}
	const char *label = admin_form_text(r, r->body, "label_new", 0);
	int adding = label && *label;
	if (adding)
		add_errors(r, errors, read_variant(r, "new", &added, 1));
	if (json_object_array_length(errors)) {
		typed_variants(r, variants);
		return product_form(r, 400, typed_product(r, json_object_get(prod)), errors, 0);
	}
	o = catalog_product_update(&r->ctx, r->param[0], &p, changes, nvar, adding ? &added : NULL);
	if (o == E_VARIANT_LABEL_TAKEN) {
		json_object_array_add(errors, jstr("This product already has a variant with that label."));
		typed_variants(r, variants);
		return product_form(r, 409, typed_product(r, json_object_get(prod)), errors, 0);
	}
	json_object_put(errors);
	if (o != OK)
		return reply_failure(r, o);
	return reply_redirect(r, arena_printf(r->a, "/admin/products/%s?m=product_saved", r->param[0]));
}

/* POST /admin/products/{id}/images: the page's upload form (multipart; the
 * worker checked the "csrf" part); stored by the catalog as the API's are. */
int admin_product_image_post(struct req *r)
{
	const char *back = arena_printf(r->a, "/admin/products/%s", r->param[0]);
	const struct mp_part *img = multipart_find(r->parts, r->nparts, "image");
	const char *url;

	enum outcome o = img ? catalog_image_add(&r->ctx, r->param[0], img->data, img->len, &url) : E_UNSUPPORTED_IMAGE;
	switch (o) {
	case OK:
		return reply_redirect(r, arena_printf(r->a, "%s?m=image_ok", back));
	case E_IMAGE_TOO_LARGE:
	case E_UNSUPPORTED_IMAGE:
		return reply_redirect(r, arena_printf(r->a, "%s?m=image_bad", back));
	case E_TOO_MANY_IMAGES:
		return reply_redirect(r, arena_printf(r->a, "%s?m=image_too_many", back));
	case E_STORAGE_UNAVAILABLE:
		return reply_redirect(r, arena_printf(r->a, "%s?m=image_storage", back));
	default:
		return reply_failure(r, o);
	}
}
