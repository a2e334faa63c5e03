/* estimate.c: the delivery fee used by orders and the estimate: Borzo's quote, cached, plus the buffer. */
#include <math.h>
#include <stdlib.h>

#include "addresses.h"
#include "arena.h"
#include "borzo.h"
#include "conf.h"
#include "db.h"
#include "estimate.h"
#include "metrics.h"
#include "shared.h"
#include "util.h"

#define STR_(x) #x
#define STR(x) STR_(x)

int coord_text_valid(const char *s, double limit)
{
	const char *p = s;
	int before = 0, after = 0;

	if (!s)
		return 0;
	if (*p == '-')
		p++;
	for (; *p >= '0' && *p <= '9'; p++)
		before++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			after++;
	if (*p || before < 1 || before > 3 || after > 10 || (p[-1] == '.'))
		return 0;
	double v = strtod(s, NULL);
	return isfinite(v) && fabs(v) <= limit;
}

int64_t delivery_fee_buffered(int64_t quote_paise, int buffer_percent)
{
	int64_t x = quote_paise * (100 + buffer_percent); /* paise × 100 */
	return (x + 9999) / 10000 * 100;
}

/* How many workers may wait on a Borzo quote at once: one stays free for
 * everything else (README "Delivery fee"). */
static int quote_waiters_allowed(void)
{
	return cfg->workers > 1 ? cfg->workers - 1 : 1;
}

/* Borzo's quote, unless too many workers already wait on Borzo. */
static enum outcome fetch_quote(struct ctx *c, const char *address, const char *lat, const char *lng,
				int64_t *quote)
{
	if (!shared_wait_begin(quote_waiters_allowed())) {
		metrics_event(EV_OVERLOAD);
		return E_PARTNER_BUSY;
	}
	enum borzo_result br = borzo_calculate(c->a, address, lat, lng, quote);
	shared_wait_end();
	if (br != BORZO_OK)
		return br == BORZO_REJECTED ? E_DELIVERY_QUOTE_FAILED : E_DELIVERY_UNAVAILABLE;
	return OK;
}

enum outcome delivery_fee(struct ctx *c, const char *lat, const char *lng, const char *address, int64_t *fee_paise)
{
	int64_t quote;
	double km;

	/* nothing outside the area costs a query, a quote or a cached row */
	if (address_in_delivery_area(strtod(lat, NULL), strtod(lng, NULL), &km) != OK)
		return E_OUT_OF_DELIVERY_AREA;
	PGresult *res = db_query(c,
				 "SELECT round($1::numeric, 3)::text AS lat_key, round($2::numeric, 3)::text AS lng_key, "
				 "(SELECT amount::text FROM delivery_quotes WHERE lat_key = round($1::numeric, 3) "
				 " AND lng_key = round($2::numeric, 3) "
				 " AND fetched_at > now() - make_interval(mins => $3::int)) AS amount",
				 lat, lng, STR(QUOTE_CACHE_MINUTES));
	if (!res)
		return E_DB;
	const char *cached = db_val(res, 0, "amount");
	if (cached && money_parse(cached, &quote) == 0) {
		*fee_paise = delivery_fee_buffered(quote, cfg->delivery_fee_buffer_percent);
		return OK;
	}
	const char *lat_key = arena_strdup(c->a, db_val(res, 0, "lat_key"));
	const char *lng_key = arena_strdup(c->a, db_val(res, 0, "lng_key"));
	enum outcome o = fetch_quote(c, address, lat_key, lng_key, &quote);
	if (o != OK)
		return o;
	char amount[32];
	money_format(quote, amount);
	if (!db_query(c, "INSERT INTO delivery_quotes (lat_key, lng_key, amount) VALUES ($1, $2, $3) "
			 "ON CONFLICT (lat_key, lng_key) DO UPDATE SET amount = EXCLUDED.amount, fetched_at = now()",
		      lat_key, lng_key, amount))
		return E_DB;
	*fee_paise = delivery_fee_buffered(quote, cfg->delivery_fee_buffer_percent);
	return OK;
}

int delivery_quotes_prune(struct ctx *c)
{
	PGresult *res = db_query(c, "DELETE FROM delivery_quotes WHERE fetched_at < now() - make_interval(mins => $1::int)",
				 STR(QUOTE_CACHE_MINUTES));
	return res ? atoi(PQcmdTuples(res)) : -1;
}

enum outcome delivery_fee_to_address(struct ctx *c, const char *address_id, int64_t *fee_paise)
{
	const char *lat, *lng, *text;
	enum outcome o = address_point(c, address_id, &lat, &lng, &text);

	return o == OK ? delivery_fee(c, lat, lng, text, fee_paise) : o;
}
