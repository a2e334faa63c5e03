/* estimate.h: the delivery fee we charge: Borzo's quote plus the buffer, cached. */
#ifndef APP_ESTIMATE_H
#define APP_ESTIMATE_H

#include <stdint.h>

#include "borzo.h"

struct req;

/* Quotes are cached per coordinate rounded to 3 decimals (about 110 m) for
 * this long; Borzo is asked for the rounded point, so the cache is exact. */
#define QUOTE_CACHE_MINUTES 10

/* 1 when s is a plain decimal coordinate text ("-12.345678") within ±limit. */
int coord_text_valid(const char *s, double limit);

/* The fee for delivering to (lat, lng) (decimal texts, already valid):
 * Borzo's payment_amount × (100 + DELIVERY_FEE_BUFFER_PERCENT) / 100, rounded
 * up to the whole rupee, in paise. Uses and fills the quote cache. Returns
 * BORZO_OK, a Borzo failure, or -100 on a database failure. address is the
 * text sent to Borzo as the drop point. Call it outside any transaction. */
#define ESTIMATE_DB_ERROR (-100)
int delivery_fee(struct req *r, const char *lat, const char *lng, const char *address, int64_t *fee_paise);

/* Answers the error for a failed delivery_fee() result (502, 503). */
int reply_fee_error(struct req *r, int result);

#endif
