/* render.c: pre-parsed Mustache templates (see render_parse.c) rendered over json-c values. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "render_int.h"
#include "util.h"

/* ---- rendering ---- */

struct indent {
	const char *s;
	size_t n;
	const struct indent *up;
};

struct ctx {
	struct json_object *v;
	const struct ctx *up;
};

struct rstate {
	const struct tmpl_set *set;
	struct buf *out;
	const struct indent *ind; /* NULL: no indentation */
	int pdepth, depth;
	long calls; /* partial expansions so far */
	bool truncated;
};

static void render_block(struct rstate *rs, const struct block *b, const struct ctx *c);

static void put_indent(struct buf *out, const struct indent *ind)
{
	if (!ind)
		return;
	put_indent(out, ind->up);
	buf_put(out, ind->s, ind->n);
}

static void put_bol(struct rstate *rs, const struct node *n)
{
	if (n->bol && rs->ind)
		put_indent(rs->out, rs->ind);
}

static struct json_object *lookup(const struct ctx *c, const struct name *nm)
{
	struct json_object *v = NULL;

	if (nm->nparts == 0)
		return c->v;
	for (; c; c = c->up)
		if (json_object_is_type(c->v, json_type_object) &&
		    json_object_object_get_ex(c->v, nm->part[0], &v))
			break;
	if (!c)
		return NULL;
	for (size_t i = 1; i < nm->nparts && v; i++)
		if (!json_object_is_type(v, json_type_object) ||
		    !json_object_object_get_ex(v, nm->part[i], &v))
			return NULL;
	return v;
}

static bool truthy(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return false;
	case json_type_boolean:
		return json_object_get_boolean(v);
	case json_type_array:
		return json_object_array_length(v) > 0;
	default:
		return true;
	}
}

/* Shortest of %.15g / %.17g that reads back as d. */
static int format_double(double d, char *s, size_t n)
{
	int len = snprintf(s, n, "%.15g", d);

	if (strtod(s, NULL) != d)
		len = snprintf(s, n, "%.17g", d);
	return len;
}

static void put_value(struct buf *out, struct json_object *v, bool escape)
{
	char num[64];
	const char *s = num;
	int len = 0;

	switch (json_object_get_type(v)) {
	case json_type_string:
		s = json_object_get_string(v);
		len = json_object_get_string_len(v);
		break;
	case json_type_int:
		if (json_object_get_int64(v) == INT64_MAX)
			len = snprintf(num, sizeof num, "%" PRIu64, json_object_get_uint64(v));
		else
			len = snprintf(num, sizeof num, "%" PRId64, json_object_get_int64(v));
		break;
	case json_type_double:
		len = format_double(json_object_get_double(v), num, sizeof num);
		break;
	case json_type_boolean:
		s = json_object_get_boolean(v) ? "true" : "false";
		len = (int)strlen(s);
		break;
	default: /* null, objects and arrays render as nothing */
		return;
	}
	if (len <= 0)
		return;
	if (escape)
		buf_put_html(out, s, (size_t)len);
	else
		buf_put(out, s, (size_t)len);
}

static void render_text(struct rstate *rs, const struct node *n)
{
	const char *s = n->text, *end = n->text + n->len;

	if (!rs->ind) {
		buf_put(rs->out, s, n->len);
		return;
	}
	put_bol(rs, n);
	for (const char *nl; (nl = memchr(s, '\n', (size_t)(end - s))) && nl + 1 < end; s = nl + 1) {
		buf_put(rs->out, s, (size_t)(nl + 1 - s));
		put_indent(rs->out, rs->ind);
	}
	buf_put(rs->out, s, (size_t)(end - s));
}

/* Render a section body once in context c. */
static void render_body(struct rstate *rs, const struct node *n, const struct ctx *c)
{
	render_block(rs, &n->body, c);
	if (n->tail_bol && rs->ind)
		put_indent(rs->out, rs->ind);
}

/* Render a section body once with v pushed on the context stack. */
static void render_body_with(struct rstate *rs, const struct node *n, struct json_object *v,
			     const struct ctx *c)
{
	struct ctx inner = { v, c };

	render_body(rs, n, &inner);
}

static void render_section(struct rstate *rs, const struct node *n, const struct ctx *c)
{
	struct json_object *v = lookup(c, &n->name);
	bool t = truthy(v);

	put_bol(rs, n);
	if (t == (n->type == N_INVERTED))
		return;
	if (rs->depth >= TMPL_MAX_RENDER_DEPTH) {
		rs->truncated = true;
		return;
	}
	rs->depth++;
	if (n->type == N_INVERTED)
		render_body(rs, n, c);
	else if (json_object_is_type(v, json_type_array))
		for (size_t i = 0, len = json_object_array_length(v); i < len; i++)
			render_body_with(rs, n, json_object_array_get_idx(v, i), c);
	else
		render_body_with(rs, n, v, c);
	rs->depth--;
}

static int tmpl_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct tmpl *)elem)->name);
}

static const struct tmpl *find_tmpl(const struct tmpl_set *set, const char *name)
{
	if (!set || !set->n)
		return NULL;
	return bsearch(name, set->v, set->n, sizeof *set->v, tmpl_cmp);
}

static void render_partial(struct rstate *rs, const struct node *n, const struct ctx *c)
{
	const struct tmpl *t = find_tmpl(rs->set, n->name.buf);
	const struct indent *saved = rs->ind;
	struct indent ind = { n->text, n->len, rs->ind };

	put_bol(rs, n);
	if (!t)
		return;
	if (rs->pdepth >= TMPL_MAX_PARTIAL_DEPTH || rs->depth >= TMPL_MAX_RENDER_DEPTH ||
	    rs->calls >= TMPL_MAX_PARTIAL_CALLS) {
		rs->truncated = true;
		return;
	}
	if (!n->standalone)
		rs->ind = NULL;
	else if (n->len)
		rs->ind = &ind;
	rs->calls++;
	rs->pdepth++;
	rs->depth++;
	render_block(rs, &t->root, c);
	rs->depth--;
	rs->pdepth--;
	rs->ind = saved;
}

static void render_node(struct rstate *rs, const struct node *n, const struct ctx *c)
{
	switch (n->type) {
	case N_TEXT:
		render_text(rs, n);
		break;
	case N_VAR:
	case N_RAW:
		put_bol(rs, n);
		put_value(rs->out, lookup(c, &n->name), n->type == N_VAR);
		break;
	case N_SECTION:
	case N_INVERTED:
		render_section(rs, n, c);
		break;
	case N_PARTIAL:
		render_partial(rs, n, c);
		break;
	}
}

static void render_block(struct rstate *rs, const struct block *b, const struct ctx *c)
{
	for (size_t i = 0; i < b->n; i++)
		render_node(rs, &b->v[i], c);
}

static void render_root(const struct tmpl_set *set, const struct block *root,
			struct json_object *data, struct buf *out)
{
	struct rstate rs = { .set = set, .out = out };
	struct ctx top = { data, NULL };

	render_block(&rs, root, &top);
	if (rs.truncated)
		log_warn("template: nesting or partial depth limit reached, output truncated");
}

/* ---- entry points ---- */

int tmpl_exists(const struct tmpl_set *set, const char *name)
{
	return find_tmpl(set, name) != NULL;
}

int tmpl_render(const struct tmpl_set *set, const char *name, struct json_object *data,
		struct buf *out)
{
	const struct tmpl *t = find_tmpl(set, name);

	if (!t)
		return -1;
	render_root(set, &t->root, data, out);
	return 0;
}

int tmpl_render_string(const struct tmpl_set *set, const char *src, size_t len,
		       struct json_object *data, struct buf *out, char *err, size_t errlen)
{
	struct block root;

	if (tmpl_parse(src, len, &root, err, errlen) < 0)
		return -1;
	render_root(set, &root, data, out);
	tmpl_block_free(&root);
	return 0;
}
