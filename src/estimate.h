/* estimate.h: the delivery fee we charge: Borzo's quote plus the buffer, cached per point. */
#ifndef APP_ESTIMATE_H
#define APP_ESTIMATE_H

#include <stdint.h>

#include "outcome.h"

struct ctx;

/* Quotes are cached per coordinate rounded to 3 decimals (about 110 m) for
 * this long; Borzo is asked for the rounded point, so the cache is exact. */
#define QUOTE_CACHE_MINUTES 10

/* Deletes quotes older than the cache keeps them (the dispatch pass): with the
 * area check, the table holds at most the points quoted in the last minutes.
 * The number deleted, or -1. */
int delivery_quotes_prune(struct ctx *c);

/* 1 when s is a plain decimal coordinate text ("-12.345678") within ±limit. Pure. */
int coord_text_valid(const char *s, double limit);

/* The fee for a Borzo quote: quote × (100 + buffer_percent) / 100, rounded up
 * to the whole rupee, in paise (integer arithmetic). Pure. */
int64_t delivery_fee_buffered(int64_t quote_paise, int buffer_percent);

/* The fee for delivering to (lat, lng) (decimal texts, already valid), with
 * DELIVERY_FEE_BUFFER_PERCENT; address is the drop text sent to Borzo. Uses
 * and fills the quote cache. Call it outside any transaction (a partner call).
 * OK, E_DELIVERY_QUOTE_FAILED (Borzo refused), E_DELIVERY_UNAVAILABLE, E_DB. */
enum outcome delivery_fee(struct ctx *c, const char *lat, const char *lng, const char *address, int64_t *fee_paise);

/* The same for one of the caller's addresses (c->who): E_ADDRESS_NOT_FOUND too. */
enum outcome delivery_fee_to_address(struct ctx *c, const char *address_id, int64_t *fee_paise);

#endif
