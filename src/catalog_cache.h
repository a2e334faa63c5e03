/* catalog_cache.h: the public catalog's answers kept per worker, stamped with
 * the catalog's version so that a write anywhere is seen on the next request. */
#ifndef APP_CATALOG_CACHE_H
#define APP_CATALOG_CACHE_H

#include <stddef.h>

struct ctx;

#define CATALOG_CACHE_ENTRIES 64

/* The catalog's version now (catalog_version, bumped in the same transaction
 * as every write to products or variants, by triggers: no writer can forget
 * it). Read from the database only when the shared generation moved since
 * the last read or nobody is listening for changes (README "The catalog's
 * freshness"); on every call with DB_POOL_MODE=transaction.
 * 0, or -1 on a DB error. */
int catalog_version(struct ctx *c, long long *version);

/* 1 with the answer's bytes (an arena copy) and ETag when key was stored at
 * this version, else 0. */
int catalog_cache_get(struct ctx *c, const char *key, long long version, const char **json, size_t *len,
		      char etag[35]);

/* Keeps a copy of the answer (json, len bytes, and its ETag) for key at version. The answer must have been read
 * after the version was (read committed: the text is never older than the
 * version it is stored under, so a later write always misses). Entries of
 * older versions are dropped; when full, the oldest entry makes room. */
void catalog_cache_put(const char *key, long long version, const char *json, size_t len, const char etag[35]);

/* Frees every entry (at the worker's exit). */
void catalog_cache_clear(void);

#endif
