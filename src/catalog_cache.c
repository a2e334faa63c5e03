/* catalog_cache.c: per-worker copies of the public catalog's answers, valid
 * while the catalog's version has not moved. */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "catalog_cache.h"
#include "db.h"
#include "shared.h"
#include "util.h"

struct entry {
	char *key;
	char *json;
	size_t len;
	char etag[35];
	long long version;
};

static struct entry entries[CATALOG_CACHE_ENTRIES];
static int next_slot; /* round robin: the oldest entry makes room */

static int read_version(struct ctx *c, long long *version)
{
	PGresult *res = db_query0(c, "SELECT version FROM catalog_version");

	if (!res || PQntuples(res) != 1)
		return -1;
	*version = atoll(db_val(res, 0, "version"));
	return 0;
}

/* The version this worker last read, and the shared generation it read it
 * under: while the generation has not moved, nothing has changed the
 * catalog (shared.h) and the row is not read again. */
static long long known_version;
static uint64_t known_gen; /* 0: nothing known */

int catalog_version(struct ctx *c, long long *version)
{
	/* the generation first: a change during the read is seen next time */
	uint64_t gen = shared_gen(TOPIC_CATALOG);

	if (gen != 0 && gen == known_gen) {
		*version = known_version;
		return 0;
	}
	if (read_version(c, version) != 0)
		return -1;
	known_version = *version;
	known_gen = gen;
	return 0;
}

static void entry_free(struct entry *e)
{
	free(e->key);
	free(e->json);
	memset(e, 0, sizeof *e);
}

int catalog_cache_get(struct ctx *c, const char *key, long long version, const char **json, size_t *len,
		      char etag[35])
{
	for (int i = 0; i < CATALOG_CACHE_ENTRIES; i++) {
		struct entry *e = &entries[i];
		if (!e->key || e->version != version || strcmp(e->key, key) != 0)
			continue;
		*json = arena_strndup(c->a, e->json, e->len);
		*len = e->len;
		memcpy(etag, e->etag, sizeof e->etag);
		return 1;
	}
	return 0;
}

void catalog_cache_put(const char *key, long long version, const char *json, size_t len, const char etag[35])
{
	struct entry *slot = NULL;

	for (int i = 0; i < CATALOG_CACHE_ENTRIES; i++) {
		struct entry *e = &entries[i];
		if (e->key && (e->version != version || strcmp(e->key, key) == 0))
			entry_free(e); /* stale, or the same answer again */
		if (!e->key && !slot)
			slot = e;
	}
	if (!slot) {
		slot = &entries[next_slot];
		next_slot = (next_slot + 1) % CATALOG_CACHE_ENTRIES;
		entry_free(slot);
	}
	slot->key = xstrdup(key);
	slot->json = xstrndup(json, len);
	slot->len = len;
	memcpy(slot->etag, etag, sizeof slot->etag);
	slot->version = version;
}

void catalog_cache_clear(void)
{
	for (int i = 0; i < CATALOG_CACHE_ENTRIES; i++)
		entry_free(&entries[i]);
}
