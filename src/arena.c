/* arena.c: a bump allocator with cleanups, reset after every request. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "util.h"

#define BLOCK_SIZE (64 * 1024)

struct block {
	struct block *next;
	size_t used, size;
	max_align_t data[];
};

struct cleanup {
	struct cleanup *next;
	void (*fn)(void *);
	void *p;
};

struct arena {
	struct block *head; /* current block; the first one is kept on reset */
	struct block *first;
	struct cleanup *cleanups;
};

static struct block *block_new(size_t size)
{
	struct block *b = xmalloc(sizeof *b + size);
	b->next = NULL;
	b->used = 0;
	b->size = size;
	return b;
}

struct arena *arena_new(void)
{
	struct arena *a = xcalloc(1, sizeof *a);
	a->first = a->head = block_new(BLOCK_SIZE);
	return a;
}

void *arena_alloc(struct arena *a, size_t n)
{
	size_t align = sizeof(max_align_t);
	n = (n + align - 1) & ~(align - 1);
	if (n == 0)
		n = align;
	struct block *b = a->head;
	if (b->size - b->used < n) {
		b = block_new(n > BLOCK_SIZE / 2 ? n : BLOCK_SIZE);
		b->next = a->head;
		a->head = b;
	}
	void *p = (char *)b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *d = arena_alloc(a, n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap, ap2;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	char *d = arena_alloc(a, (size_t)n + 1);
	vsnprintf(d, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return d;
}

void arena_defer(struct arena *a, void (*fn)(void *), void *p)
{
	struct cleanup *c = arena_alloc(a, sizeof *c);
	c->fn = fn;
	c->p = p;
	c->next = a->cleanups;
	a->cleanups = c;
}

void arena_reset(struct arena *a)
{
	/* cleanups live in the arena: run them all before any block goes */
	for (struct cleanup *c = a->cleanups; c; c = c->next)
		c->fn(c->p);
	a->cleanups = NULL;
	struct block *b = a->head;
	while (b != a->first) {
		struct block *next = b->next;
		free(b);
		b = next;
	}
	a->head = a->first;
	a->first->used = 0;
}

void arena_free(struct arena *a)
{
	if (!a)
		return;
	arena_reset(a);
	free(a->first);
	free(a);
}
