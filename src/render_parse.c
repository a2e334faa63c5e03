/* render_parse.c: Mustache templates read from a directory or strings and parsed once into node trees. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "render.h"
#include "render_int.h"
#include "util.h"

#define MAX_DELIM 16		  /* longest custom delimiter */
#define MAX_FILE_SIZE (16u << 20) /* largest template file */
#define MAX_DIR_DEPTH 16	  /* deepest template sub-directory */

/* ---- node trees ---- */

static void node_free(struct node *n)
{
	free(n->name.buf);
	free(n->name.part);
	tmpl_block_free(&n->body);
}

void tmpl_block_free(struct block *b)
{
	for (size_t i = 0; i < b->n; i++)
		node_free(&b->v[i]);
	free(b->v);
	b->v = NULL;
	b->n = b->cap = 0;
}

static struct node *block_add(struct block *b, enum ntype type)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 8;
		b->v = xrealloc(b->v, b->cap * sizeof *b->v);
	}
	struct node *n = &b->v[b->n++];
	memset(n, 0, sizeof *n);
	n->type = type;
	return n;
}

/* ---- parser ---- */

struct parser {
	const char *src;
	size_t len, pos;
	size_t text_start; /* start of the text not yet turned into a node */
	bool text_bol;	   /* text_start is at a line start (source start or after a removed line) */
	bool pending_bol;  /* the next node starts a template line */
	char otag[MAX_DELIM + 1], ctag[MAX_DELIM + 1];
	size_t olen, clen;
	struct block *root;
	struct node *open[TMPL_MAX_NEST];
	size_t depth;
	char *err;
	size_t errlen;
};

struct tag {
	char type;	   /* '#', '^', '/', '!', '>', '=', '&' (raw) or 'v' (variable) */
	size_t start, end; /* the whole tag, delimiters included */
	const char *body;  /* the trimmed content */
	size_t blen;
	bool standalone;
	size_t ls;   /* standalone: where its line's leading blanks start */
	size_t next; /* standalone: where the next line starts */
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_space(char c)
{
	return is_blank(c) || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static size_t line_of(const struct parser *p, size_t pos)
{
	size_t line = 1;

	for (size_t i = 0; i < pos && i < p->len; i++)
		line += p->src[i] == '\n';
	return line;
}

static int parse_fail(struct parser *p, size_t pos, const char *msg)
{
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "line %zu: %s", line_of(p, pos), msg);
	return -1;
}

static struct block *cur_block(struct parser *p)
{
	return p->depth ? &p->open[p->depth - 1]->body : p->root;
}

static void add_text(struct parser *p, size_t a, size_t b)
{
	if (b <= a)
		return;
	struct node *n = block_add(cur_block(p), N_TEXT);
	n->text = p->src + a;
	n->len = b - a;
	n->bol = p->pending_bol;
	p->pending_bol = p->src[b - 1] == '\n';
}

/* Mark a non-standalone node: it takes the pending line start. */
static void take_bol(struct parser *p, struct node *n, const struct tag *t)
{
	if (t->standalone)
		return;
	n->bol = p->pending_bol;
	p->pending_bol = false;
}

static int parse_name(struct parser *p, const struct tag *t, struct name *nm)
{
	if (t->blen == 0)
		return parse_fail(p, t->start, "empty tag name");
	nm->buf = xstrndup(t->body, t->blen);
	if (t->blen == 1 && t->body[0] == '.')
		return 0;
	nm->nparts = 1;
	for (size_t i = 0; i < t->blen; i++)
		nm->nparts += t->body[i] == '.';
	nm->part = xmalloc(nm->nparts * sizeof *nm->part);
	size_t k = 0;
	nm->part[k++] = nm->buf;
	for (char *c = nm->buf; *c; c++) {
		if (*c == '.') {
			*c = '\0';
			nm->part[k++] = c + 1;
		}
	}
	return 0;
}

/* Find the closing delimiter of a tag whose content starts at from. */
static const char *find_close(const struct parser *p, size_t from, char type, size_t *clen)
{
	char close[MAX_DELIM + 2];
	size_t n = 0;

	if (type == '{' || type == '=')
		close[n++] = type == '{' ? '}' : '=';
	memcpy(close + n, p->ctag, p->clen);
	n += p->clen;
	*clen = n;
	if (from > p->len)
		return NULL;
	return memmem(p->src + from, p->len - from, close, n);
}

/* Decide whether tag t stands alone on its line (only blanks around it). */
static void check_standalone(const struct parser *p, struct tag *t)
{
	size_t i = t->start, j = t->end;

	t->standalone = false;
	if (!strchr("#^/!>=", t->type))
		return;
	while (i > p->text_start && is_blank(p->src[i - 1]))
		i--;
	if (i == p->text_start ? !p->text_bol : p->src[i - 1] != '\n')
		return;
	while (j < p->len && is_blank(p->src[j]))
		j++;
	if (j < p->len && p->src[j] == '\n')
		j++;
	else if (j + 1 < p->len && p->src[j] == '\r' && p->src[j + 1] == '\n')
		j += 2;
	else if (j < p->len)
		return;
	t->standalone = true;
	t->ls = i;
	t->next = j;
}

/* Read the tag whose opening delimiter is at start. */
static int read_tag(struct parser *p, size_t start, struct tag *t)
{
	size_t q = start + p->olen, clen;
	char c = q < p->len ? p->src[q] : '\0';

	t->start = start;
	t->type = 'v';
	if (c && strchr("{&#^/!>=", c)) {
		t->type = c == '{' ? '&' : c;
		q++;
	}
	const char *close = find_close(p, q, c == '{' || c == '=' ? c : 'v', &clen);
	if (!close)
		return parse_fail(p, start, "unclosed tag");
	const char *a = p->src + q, *b = close;
	while (a < b && is_space(*a))
		a++;
	while (b > a && is_space(b[-1]))
		b--;
	/* names are C strings from here on: a NUL would cut one short of its parts */
	if (memchr(p->src + q, '\0', (size_t)(close - (p->src + q))))
		return parse_fail(p, start, "NUL byte inside a tag");
	t->body = a;
	t->blen = (size_t)(b - a);
	t->end = (size_t)(close - p->src) + clen;
	check_standalone(p, t);
	return 0;
}

static int set_delims(struct parser *p, const struct tag *t)
{
	const char *s = t->body, *e = t->body + t->blen;
	const char *a = s, *b;

	while (a < e && !is_space(*a))
		a++;
	for (b = a; b < e && is_space(*b); b++)
		;
	size_t ol = (size_t)(a - s), cl = (size_t)(e - b);
	if (ol == 0 || cl == 0 || ol > MAX_DELIM || cl > MAX_DELIM ||
	    memchr(s, '=', ol) || memchr(b, '=', cl) || memchr(b, ' ', cl) || memchr(b, '\t', cl) ||
	    memchr(b, '\n', cl) || memchr(b, '\r', cl))
		return parse_fail(p, t->start, "bad set-delimiter tag");
	memcpy(p->otag, s, ol);
	p->otag[ol] = '\0';
	p->olen = ol;
	memcpy(p->ctag, b, cl);
	p->ctag[cl] = '\0';
	p->clen = cl;
	return 0;
}

static int open_section(struct parser *p, const struct tag *t)
{
	if (p->depth >= TMPL_MAX_NEST)
		return parse_fail(p, t->start, "sections nested too deeply");
	struct node *n = block_add(cur_block(p), t->type == '#' ? N_SECTION : N_INVERTED);
	take_bol(p, n, t);
	n->text = t->body;
	n->len = t->blen;
	p->open[p->depth++] = n;
	return parse_name(p, t, &n->name);
}

static int close_section(struct parser *p, const struct tag *t)
{
	if (p->depth == 0)
		return parse_fail(p, t->start, "closing tag without an open section");
	struct node *n = p->open[p->depth - 1];
	if (n->len != t->blen || memcmp(n->text, t->body, t->blen) != 0)
		return parse_fail(p, t->start, "closing tag does not match the open section");
	if (!t->standalone) {
		n->tail_bol = p->pending_bol;
		p->pending_bol = false;
	}
	p->depth--;
	return 0;
}

static int add_partial(struct parser *p, const struct tag *t)
{
	if (t->blen == 0)
		return parse_fail(p, t->start, "empty partial name");
	struct node *n = block_add(cur_block(p), N_PARTIAL);
	take_bol(p, n, t);
	n->name.buf = xstrndup(t->body, t->blen);
	n->standalone = t->standalone;
	if (t->standalone) {
		n->text = p->src + t->ls;
		n->len = t->start - t->ls;
	}
	return 0;
}

static int add_tag_node(struct parser *p, const struct tag *t)
{
	switch (t->type) {
	case '!':
		return 0;
	case '=':
		return set_delims(p, t);
	case '#':
	case '^':
		return open_section(p, t);
	case '/':
		return close_section(p, t);
	case '>':
		return add_partial(p, t);
	default: {
		struct node *n = block_add(cur_block(p), t->type == '&' ? N_RAW : N_VAR);
		take_bol(p, n, t);
		return parse_name(p, t, &n->name);
	}
	}
}

static int parse_step(struct parser *p, const char *open)
{
	struct tag t = { 0 };

	if (read_tag(p, (size_t)(open - p->src), &t) < 0)
		return -1;
	add_text(p, p->text_start, t.standalone ? t.ls : t.start);
	p->pos = t.standalone ? t.next : t.end;
	p->text_start = p->pos;
	p->text_bol = t.standalone;
	return add_tag_node(p, &t);
}

/* Parse src[0..len) into root; on error root is freed and err is set. */
int tmpl_parse(const char *src, size_t len, struct block *root, char *err, size_t errlen)
{
	struct parser p = {
		.src = src,
		.len = len,
		.text_bol = true,
		.pending_bol = true,
		.otag = "{{",
		.ctag = "}}",
		.olen = 2,
		.clen = 2,
		.root = root,
		.err = err,
		.errlen = errlen,
	};

	memset(root, 0, sizeof *root);
	for (;;) {
		const char *open = p.pos < len ? memmem(src + p.pos, len - p.pos, p.otag, p.olen) : NULL;
		if (!open)
			break;
		if (parse_step(&p, open) < 0) {
			tmpl_block_free(root);
			return -1;
		}
	}
	add_text(&p, p.text_start, len);
	if (p.depth) {
		parse_fail(&p, (size_t)(p.open[p.depth - 1]->text - src), "unclosed section");
		tmpl_block_free(root);
		return -1;
	}
	return 0;
}

/* ---- sets ---- */

static int set_add(struct tmpl_set *set, const char *name, char *src, size_t len,
		   char *err, size_t errlen)
{
	char perr[256];

	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 16;
		set->v = xrealloc(set->v, set->cap * sizeof *set->v);
	}
	struct tmpl *t = &set->v[set->n];
	if (tmpl_parse(src, len, &t->root, perr, sizeof perr) < 0) {
		snprintf(err, errlen, "template %s: %s", name, perr);
		free(src);
		return -1;
	}
	t->name = xstrdup(name);
	t->src = src;
	set->n++;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tmpl *)a)->name, ((const struct tmpl *)b)->name);
}

/* Sort by name for bsearch; fails on a duplicate name. */
static int set_finish(struct tmpl_set *set, char *err, size_t errlen)
{
	if (set->n)
		qsort(set->v, set->n, sizeof *set->v, name_cmp);
	for (size_t i = 1; i < set->n; i++) {
		if (strcmp(set->v[i - 1].name, set->v[i].name) == 0) {
			snprintf(err, errlen, "duplicate template name %s", set->v[i].name);
			return -1;
		}
	}
	return 0;
}

void tmpl_set_free(struct tmpl_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++) {
		free(set->v[i].name);
		free(set->v[i].src);
		tmpl_block_free(&set->v[i].root);
	}
	free(set->v);
	free(set);
}

struct tmpl_set *tmpl_set_from_strings(const char *const *names, const char *const *sources,
				       size_t n, char *err, size_t errlen)
{
	struct tmpl_set *set = xcalloc(1, sizeof *set);

	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(sources[i]);
		if (set_add(set, names[i], xstrndup(sources[i], len), len, err, errlen) < 0) {
			tmpl_set_free(set);
			return NULL;
		}
	}
	if (set_finish(set, err, errlen) < 0) {
		tmpl_set_free(set);
		return NULL;
	}
	return set;
}

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	struct stat st;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) < 0 || (size_t)st.st_size > MAX_FILE_SIZE) {
		snprintf(err, errlen, "%s: cannot stat or too large", path);
		fclose(f);
		return NULL;
	}
	char *s = xmalloc((size_t)st.st_size + 1);
	*len = fread(s, 1, (size_t)st.st_size, f);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		snprintf(err, errlen, "%s: read error", path);
		free(s);
		return NULL;
	}
	s[*len] = '\0';
	return s;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n > m && strcmp(s + n - m, suf) == 0;
}

static int load_entry(struct tmpl_set *set, const char *dir, const char *rel, int depth,
		      char *err, size_t errlen);

/* Load dir/rel (rel "" is dir itself), a directory. */
static int load_tree(struct tmpl_set *set, const char *dir, const char *rel, int depth,
		     char *err, size_t errlen)
{
	char path[4096];
	struct dirent *e;
	int rc = 0;

	snprintf(path, sizeof path, "%s%s%s", dir, *rel ? "/" : "", rel);
	DIR *d = opendir(path);
	if (!d) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (e = readdir(d))) {
		char sub[4096];
		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name) >= sizeof sub) {
			snprintf(err, errlen, "%s: path too long", path);
			rc = -1;
			break;
		}
		rc = load_entry(set, dir, sub, depth, err, errlen);
	}
	closedir(d);
	return rc;
}

/* Load dir/rel: recurse into a real directory, read a *.mustache file, skip the rest. */
static int load_entry(struct tmpl_set *set, const char *dir, const char *rel, int depth,
		      char *err, size_t errlen)
{
	char path[8192];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s", dir, rel);
	if (lstat(path, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		if (depth >= MAX_DIR_DEPTH) {
			snprintf(err, errlen, "%s: directories nested too deeply", path);
			return -1;
		}
		return load_tree(set, dir, rel, depth + 1, err, errlen);
	}
	if (!has_suffix(rel, ".mustache") || (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)))
		return 0;
	size_t len;
	char *src = read_file(path, &len, err, errlen);
	if (!src)
		return -1;
	char *name = xstrndup(rel, strlen(rel) - strlen(".mustache"));
	int rc = set_add(set, name, src, len, err, errlen);
	free(name);
	return rc;
}

struct tmpl_set *tmpl_load_dir(const char *dir, char *err, size_t errlen)
{
	struct tmpl_set *set = xcalloc(1, sizeof *set);

	if (load_tree(set, dir, "", 0, err, errlen) < 0 || set_finish(set, err, errlen) < 0) {
		tmpl_set_free(set);
		return NULL;
	}
	return set;
}

size_t tmpl_set_count(const struct tmpl_set *set)
{
	return set ? set->n : 0;
}
