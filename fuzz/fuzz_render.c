/* fuzz_render.c: hostile data through every real template (templates/, the
 * admin pages, the tracking page and the emails) with the renderer the server
 * uses (render.c).
 *
 * Input: one byte of choices, one byte choosing the template (by its place
 * in the sorted set: the seeds hold one input per template), then the hostile
 * text. The template is rendered twice:
 * - with a context made from the names the templates use (read from their
 *   parsed trees at start): each variable set to the hostile text (or, by the
 *   choices, a number or a boolean), each section to a list of one entry
 *   (its names then resolve in the context above it) or to false;
 * - with the hostile text read as JSON (when it is an object) laid over
 *   that context, so any name can take any shape.
 * Property: the HTML templates escape everything: the hostile text begins with
 * "<fz" and no HTML page may contain "<fz" (the emails are plain text and
 * use {{{ }}} on purpose). */
#include <json-c/json.h>

#include "fuzz.h"
#include "render.h"
#include "render_int.h"

#ifndef FUZZ_TEMPLATE_DIR
#define FUZZ_TEMPLATE_DIR "templates"
#endif

#define MARK "<fz"

static struct tmpl_set *set;

/* Every dotted name of the templates, as a variable or as a section. */
struct use {
	const struct name *name;
	int section;
};
static struct use *uses;
static size_t nuses, capuses;

static void collect(const struct block *b)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct node *n = &b->v[i];
		if ((n->type == N_VAR || n->type == N_RAW || n->type == N_SECTION || n->type == N_INVERTED) &&
		    n->name.nparts > 0) {
			if (nuses == capuses) {
				capuses = capuses ? capuses * 2 : 64;
				uses = realloc(uses, capuses * sizeof *uses);
				if (!uses)
					abort();
			}
			uses[nuses].name = &n->name;
			uses[nuses++].section = n->type == N_SECTION || n->type == N_INVERTED;
		}
		collect(&n->body);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];
	const char *dir = getenv("TEMPLATE_DIR") ? getenv("TEMPLATE_DIR") : FUZZ_TEMPLATE_DIR;

	fuzz_keep_stderr();
	set = tmpl_load_dir(dir, err, sizeof err);
	if (!set || tmpl_set_count(set) == 0)
		fuzz_fail("no templates in %s: %s", dir, set ? "none" : err);
	for (size_t i = 0; i < set->n; i++)
		collect(&set->v[i].root);
	return 0;
}

/* The object at parts[0..n) under root, made (replacing what is not an object) on the way. */
static struct json_object *object_at(struct json_object *root, const struct name *nm, size_t n)
{
	struct json_object *o = root, *next;

	for (size_t i = 0; i < n; i++) {
		if (!json_object_object_get_ex(o, nm->part[i], &next) || !json_object_is_type(next, json_type_object)) {
			next = json_object_new_object();
			json_object_object_add(o, nm->part[i], next);
		}
		o = next;
	}
	return o;
}

static struct json_object *leaf(unsigned choice, const char *text, size_t len)
{
	switch (choice % 8) {
	case 5: return json_object_new_int64((int64_t)len - 3);
	case 6: return json_object_new_double(-0.5 * (double)len);
	case 7: return json_object_new_boolean(len & 1);
	default: return json_object_new_string_len(text, (int)len);
	}
}

/* Variables first (they make the objects dotted names walk), then sections
 * that no variable made: a list of one empty entry, or false. */
static struct json_object *context(unsigned choices, const char *text, size_t len)
{
	struct json_object *root = json_object_new_object();

	for (size_t i = 0; i < nuses; i++) {
		const struct name *nm = uses[i].name;
		if (uses[i].section)
			continue;
		struct json_object *parent = object_at(root, nm, nm->nparts - 1);
		json_object_object_add(parent, nm->part[nm->nparts - 1], leaf(choices + (unsigned)i, text, len));
	}
	for (size_t i = 0; i < nuses; i++) {
		const struct name *nm = uses[i].name;
		struct json_object *parent = object_at(root, nm, nm->nparts - 1), *v;
		if (!uses[i].section || json_object_object_get_ex(parent, nm->part[nm->nparts - 1], &v))
			continue;
		if (choices & 0x80) {
			v = json_object_new_boolean(0);
		} else {
			v = json_object_new_array();
			json_object_array_add(v, json_object_new_object());
		}
		json_object_object_add(parent, nm->part[nm->nparts - 1], v);
	}
	return root;
}

/* Lists of at most 8 entries: a page of nested sections over long lists is
 * slow by nature, and the server never hands a template such data. */
static int small(struct json_object *v)
{
	if (json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);
		if (n > 8)
			return 0;
		for (size_t i = 0; i < n; i++)
			if (!small(json_object_array_get_idx(v, i)))
				return 0;
	} else if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, x)
		{
			(void)k;
			if (!small(x))
				return 0;
		}
	}
	return 1;
}

static void render(const char *name, struct json_object *data)
{
	struct buf out = BUF_INIT;

	FUZZ_ASSERT(tmpl_render(set, name, data, &out) == 0, "template %s not found by its name", name);
	if (strncmp(name, "emails/", 7) != 0 && out.len)
		FUZZ_ASSERT(!memmem(out.data, out.len, MARK, strlen(MARK)), "%s shows data unescaped", name);
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	const char *name = set->v[data[1] % set->n].name;
	size_t len = size - 2 + strlen(MARK);
	char *text = malloc(len + 1);
	if (!text)
		abort();
	memcpy(text, MARK, strlen(MARK));
	memcpy(text + strlen(MARK), data + 2, size - 2);
	text[len] = '\0';

	struct json_object *ctx = context(data[0], text, len);
	render(name, ctx);

	struct json_object *over = json_tokener_parse(text + strlen(MARK));
	if (json_object_is_type(over, json_type_object) && small(over)) {
		json_object_object_foreach(over, k, v)
		{
			json_object_object_add(ctx, k, json_object_get(v));
		}
		render(name, ctx);
		render(name, over);
	}
	json_object_put(over);
	json_object_put(ctx);
	free(text);
	return 0;
}
