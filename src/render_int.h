/* render_int.h: the pre-parsed template tree shared by the parser (render_parse.c) and the renderer (render.c). */
#ifndef APP_RENDER_INT_H
#define APP_RENDER_INT_H

#include <stdbool.h>
#include <stddef.h>

enum ntype { N_TEXT,
	     N_VAR,
	     N_RAW,
	     N_SECTION,
	     N_INVERTED,
	     N_PARTIAL };

struct name {
	char *buf;     /* the whole name; for dotted names '.' is replaced by NUL */
	char **part;   /* the parts of a dotted name, pointing into buf */
	size_t nparts; /* 0 for the implicit iterator "." */
};

struct node;

struct block {
	struct node *v;
	size_t n, cap;
};

struct node {
	enum ntype type;
	bool bol;	  /* starts a template line: an indent goes before it */
	bool tail_bol;	  /* section: its (inline) closing tag starts a line */
	bool standalone;  /* partial: alone on its line, indented by text[0..len) */
	const char *text; /* text: the bytes; section: raw name; partial: indent */
	size_t len;
	struct name name;  /* var, raw, sections; partial: name.buf only */
	struct block body; /* sections */
};

struct tmpl {
	char *name;
	char *src;
	struct block root;
};

struct tmpl_set {
	struct tmpl *v;
	size_t n, cap;
};

/* Free the nodes of b (and their bodies), leaving b empty. */
void tmpl_block_free(struct block *b);

/* Parse src[0..len) into root; on error root is freed and err is set. */
int tmpl_parse(const char *src, size_t len, struct block *root, char *err, size_t errlen);

#endif
