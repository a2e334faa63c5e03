/* arena.h: per-request memory; everything is released at once by arena_reset. */
#ifndef APP_ARENA_H
#define APP_ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(void);
void arena_free(struct arena *a);
/* Allocates n zeroed bytes that live until the next arena_reset. Never NULL. */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Runs fn(p) at reset, last registered first (PQclear, json_object_put...). */
void arena_defer(struct arena *a, void (*fn)(void *), void *p);
/* Runs the deferred cleanups and frees every block but the first. */
void arena_reset(struct arena *a);

#endif
