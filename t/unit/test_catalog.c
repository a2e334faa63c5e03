/* test_catalog.c: the catalog's pure rules: checking a product and a variant, slugs. */
#include <string.h>

#include "arena.h"
#include "catalog.h"
#include "tap.h"

static struct arena *a;

/* The first problem's API key and message ("" when there is none). */
static const char *first_product_problem(const struct catalog_product *p, int creating)
{
	struct catalog_problem pr;
	if (catalog_product_check(a, p, creating, &pr, 1) == 0)
		return "";
	return arena_printf(a, "%s: %s", catalog_rules[pr.field].field, pr.message);
}

static const char *first_variant_problem(const struct catalog_variant *v, int creating)
{
	struct catalog_problem pr;
	if (catalog_variant_check(a, v, creating, &pr, 1) == 0)
		return "";
	return arena_printf(a, "%s: %s", catalog_rules[pr.field].field, pr.message);
}

static const char *repeat(const char *s, int n)
{
	size_t len = strlen(s);
	char *out = arena_alloc(a, len * (size_t)n + 1);
	for (int i = 0; i < n; i++)
		memcpy(out + len * (size_t)i, s, len);
	return out;
}

static void slugs(void)
{
	ok(product_slug_valid("rose-pistachio-2"), "a slug of a-z, 0-9 and -");
	ok(!product_slug_valid("") && !product_slug_valid("Has-Caps") && !product_slug_valid("a_b") &&
		   !product_slug_valid("a b"),
	   "empty, capitals, _ and spaces are not");
	ok(product_slug_valid(repeat("x", 80)) && !product_slug_valid(repeat("x", 81)), "at most 80");
	is_str(product_slugify(a, "Rose Pistachio Entremet"), "rose-pistachio-entremet", "slug from a name");
	is_str(product_slugify(a, "  Mango -- Mousse!! "), "mango-mousse", "runs of other characters make one '-'");
	is_str(product_slugify(a, "Crème Brûlée 2"), "cr-me-br-l-e-2", "non-ASCII letters are separators");
	ok(strncmp(product_slugify(a, "!!!"), "cake-", 5) == 0, "a name without letters: cake-<ms>");
	const char *long_slug = product_slugify(a, repeat("ab ", 40));
	ok(strlen(long_slug) <= 80 && product_slug_valid(long_slug) && long_slug[strlen(long_slug) - 1] != '-',
	   "a long name: a valid slug of at most 80, no '-' at the end");
}

static void products(void)
{
	struct catalog_product p = { 0 };
	struct catalog_problem pr[8];

	is_str(first_product_problem(&p, 0), "", "an empty update is fine");
	ok(catalog_product_check(a, &p, 1, pr, 8) == 2 && pr[0].field == CF_NAME && pr[1].field == CF_BASE_PRICE,
	   "creating requires name and base price, in field order");
	is_str(pr[0].message, "name is required", "required: the message");
	ok(catalog_product_check(a, &p, 1, pr, 1) == 2, "every problem counted, however many are kept");
	ok(catalog_product_check(a, &p, 1, NULL, 0) == 2, "none kept: still counted");

	p = (struct catalog_product){ .name = "Rose", .has_base_price = 1, .base_price = 149900 };
	is_str(first_product_problem(&p, 1), "", "name and price make a product");
	p.name = "";
	is_str(first_product_problem(&p, 1), "name: name must not be empty", "empty name");
	p.name = repeat("x", 121);
	is_str(first_product_problem(&p, 1), "name: name must be 1 to 120 characters long", "long name");
	p.name = repeat("é", 120);
	is_str(first_product_problem(&p, 1), "", "120 characters of two bytes each are fine");
	p.name = "a\nb";
	is_str(first_product_problem(&p, 1), "name: name must not contain control characters", "a name is one line");
	p.name = "\xC0\xAF";
	is_str(first_product_problem(&p, 1), "name: name must be valid UTF-8 text without NUL characters", "UTF-8 only");
	p.name = "Rose";
	p.description = "Layers\nof love\tand rose";
	is_str(first_product_problem(&p, 1), "", "a description has lines and tabs");
	p.description = repeat("d", 2001);
	is_str(first_product_problem(&p, 1), "description: description must be 0 to 2000 characters long", "long description");
	p.description = NULL;
	p.slug = "Bad Slug";
	is_str(first_product_problem(&p, 0), "slug: slug must be 1 to 80 of a-z, 0-9 and -", "bad slug");
	p.slug = "rose-2";
	is_str(first_product_problem(&p, 0), "", "good slug");
	p.base_price = -1;
	is_str(first_product_problem(&p, 0), "basePrice: basePrice must be an amount in rupees such as \"1299.00\"",
	       "negative price");
	p.base_price = CATALOG_MAX_PRICE_PAISE;
	is_str(first_product_problem(&p, 0), "", "the highest price");
	p.base_price = CATALOG_MAX_PRICE_PAISE + 1;
	ok(*first_product_problem(&p, 0), "above it");
	p.base_price = 0;
	p.has_lead_time = 1;
	p.lead_time_hours = 337;
	is_str(first_product_problem(&p, 0), "leadTimeHours: leadTimeHours must be a whole number from 0 to 336",
	       "lead time over two weeks");
	p.lead_time_hours = 0;
	is_str(first_product_problem(&p, 0), "", "no lead time at all is fine");
	p = (struct catalog_product){ .name = "", .slug = "X", .lead_time_hours = -1, .has_lead_time = 1 };
	ok(catalog_product_check(a, &p, 1, pr, 8) == 4 && pr[0].field == CF_NAME && pr[1].field == CF_SLUG &&
		   pr[2].field == CF_BASE_PRICE && pr[3].field == CF_LEAD_TIME,
	   "several problems, in field order");
}

static void variants(void)
{
	struct catalog_variant v = { 0 };
	struct catalog_problem pr[8];

	is_str(first_variant_problem(&v, 0), "", "an empty variant update is fine");
	ok(catalog_variant_check(a, &v, 1, pr, 8) == 3 && pr[0].field == CF_LABEL && pr[1].field == CF_WEIGHT &&
		   pr[2].field == CF_PRICE,
	   "creating requires label, weight and price");
	is_str(pr[1].message, "weightGrams is required", "by their API names");
	v = (struct catalog_variant){ .label = "1 kg", .weight_grams = 1000, .has_weight = 1, .price = 0, .has_price = 1 };
	is_str(first_variant_problem(&v, 1), "", "a free cake is allowed");
	v.weight_grams = 0;
	is_str(first_variant_problem(&v, 1), "weightGrams: weightGrams must be a whole number from 1 to 20000", "no weight");
	v.weight_grams = 20001;
	ok(*first_variant_problem(&v, 1), "over 20 kg");
	v.weight_grams = 20000;
	v.has_units = 1;
	v.kitchen_units = 0;
	is_str(first_variant_problem(&v, 1), "kitchenUnits: kitchenUnits must be a whole number from 1 to 100", "units");
	v.kitchen_units = 100;
	v.label = repeat("l", 41);
	is_str(first_variant_problem(&v, 1), "label: label must be 1 to 40 characters long", "long label");
	v.label = "";
	is_str(first_variant_problem(&v, 0), "label: label must not be empty", "a label cannot be emptied");
}

static void rules(void)
{
	ok(strcmp(catalog_rules[CF_BASE_PRICE].label, "Base price") == 0 &&
		   strcmp(catalog_rules[CF_WEIGHT].field, "weightGrams") == 0,
	   "rules name the field for the API and the admin");
	for (int f = 0; f < CF_COUNT; f++)
		ok(catalog_rules[f].field && catalog_rules[f].label && catalog_rules[f].min <= catalog_rules[f].max,
		   "rule %s is whole", catalog_rules[f].field ? catalog_rules[f].field : "?");
}

int main(void)
{
	a = arena_new();
	slugs();
	products();
	variants();
	rules();
	arena_free(a);
	return done_testing();
}
