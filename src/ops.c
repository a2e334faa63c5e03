/* ops.c: the database's side of /metrics (see ops.h). One statement, read at
 * scrape time, so every host's /metrics tells the same shop-wide truth. */
#include <stdlib.h>

#include "arena.h"
#include "db.h"
#include "deliveries.h"
#include "early_events.h"
#include "ops.h"
#include "payments.h"

const struct ops_gauge ops_gauges[] = {
	{ "lafete_jobs", "Background jobs that are not done, by kind and state." },
	{ "lafete_jobs_oldest_due_age_seconds", "How long the oldest due job has waited (0: none due)." },
	{ "lafete_emails_queued", "Emails waiting to be sent." },
	{ "lafete_orders", "Orders whose delivery slot is today or tomorrow (Asia/Kolkata), by status." },
	{ "lafete_payments_awaiting_reconciliation", "Payments the reconciliation will ask Razorpay about." },
	{ "lafete_deliveries_not_heard_from", "Booked deliveries with no news from Borzo for " DELIVERY_REFRESH_AFTER "." },
	{ "lafete_dispatch_last_success_timestamp_seconds", "When the last dispatch pass without a failed duty ended (0: never)." },
	{ "lafete_dispatch_last_success_duration_seconds", "How long that pass took." },
	{ "lafete_dispatch_last_run_timestamp_seconds", "When the last dispatch pass ended, failed duties or not (0: never)." },
	{ "lafete_dispatch_last_run_errors", "Duties that failed in the last dispatch pass." },
	{ "lafete_early_events", "Partner events kept because what they name was not recorded yet, by partner (deleted after " EARLY_EVENTS_KEEP ")." },
};
const int ops_gauges_count = sizeof ops_gauges / sizeof ops_gauges[0];

/* metric, label names and values, value: the rows come in ops_gauges' order. */
/* clang-format off */
static const char samples_sql[] =
	"WITH kinds(kind) AS (VALUES ('book_courier'), ('send_email'), ('reconcile_payment'), ('refund')), "
	"states(state) AS (VALUES ('queued'), ('running'), ('dead')), "
	"statuses(status, n) AS (VALUES ('PENDING', 1), ('CONFIRMED', 2), ('BAKING', 3), ('READY', 4), "
	"  ('DISPATCHED', 5), ('DELIVERED', 6), ('CANCELLED', 7)), "
	"days(day, d) AS (VALUES ('today', current_date), ('tomorrow', current_date + 1)), "
	"dp AS (SELECT * FROM dispatch_passes) "
	"SELECT 1 AS g, k.kind AS a, s.state AS b, 0 AS n, "
	"  (SELECT count(*) FROM jobs j WHERE j.kind = k.kind AND j.state = s.state)::text AS v "
	"  FROM kinds k CROSS JOIN states s "
	"UNION ALL SELECT 2, NULL, NULL, 0, COALESCE(extract(epoch FROM max(now() - run_at))::bigint, 0)::text "
	"  FROM jobs WHERE state = 'queued' AND run_at <= now() "
	"UNION ALL SELECT 3, NULL, NULL, 0, count(*)::text FROM emails WHERE state = 'queued' "
	"UNION ALL SELECT 4, days.day, st.status, st.n, (SELECT count(*) FROM orders o WHERE o.status = st.status "
	"  AND o.delivery_slot >= days.d AND o.delivery_slot < days.d + 1)::text "
	"  FROM days CROSS JOIN statuses st "
	"UNION ALL SELECT 5, NULL, NULL, 0, count(*)::text FROM payments p JOIN orders o ON o.id = p.order_id "
	"  WHERE p.status IN ('CREATED', 'AUTHORIZED', 'FAILED') AND p.razorpay_order_id IS NOT NULL "
	"  AND o.status IN ('PENDING', 'CANCELLED') AND p.created_at > now() - interval '" RECONCILE_WINDOW "' "
	"  AND p.updated_at < now() - interval '" RECONCILE_AFTER "' "
	"UNION ALL SELECT 6, NULL, NULL, 0, count(*)::text FROM deliveries WHERE booking_state = 'BOOKED' "
	"  AND borzo_order_id IS NOT NULL AND coalesce(status, 'SEARCHING') IN ('SEARCHING', 'ASSIGNED', 'PICKED_UP') "
	"  AND updated_at < now() - interval '" DELIVERY_REFRESH_AFTER "' "
	"UNION ALL SELECT 7, NULL, NULL, 0, COALESCE(extract(epoch FROM last_ok_at)::bigint, 0)::text FROM dp "
	"UNION ALL SELECT 8, NULL, NULL, 0, (COALESCE(last_ok_ms, 0) / 1000.0)::text FROM dp "
	"UNION ALL SELECT 9, NULL, NULL, 0, COALESCE(extract(epoch FROM last_at)::bigint, 0)::text FROM dp "
	"UNION ALL SELECT 10, NULL, NULL, 0, COALESCE(last_errors, 0)::text FROM dp "
	"UNION ALL SELECT 11, src.s, NULL, 0, (SELECT count(*) FROM early_events e WHERE e.source = src.s)::text "
	"  FROM (VALUES ('borzo'), ('razorpay')) src(s) "
	"ORDER BY 1, 2, 4, 3";
/* clang-format on */

/* The label names of each gauge (by its number in ops_gauges, from 1). */
static void labels_of(int g, const char **first, const char **second)
{
	*first = *second = NULL;
	switch (g) {
	case 1:
		*first = "kind", *second = "state";
		break;
	case 4:
		*first = "slot_day", *second = "status";
		break;
	case 11:
		*first = "source";
		break;
	}
}

enum outcome ops_samples(struct ctx *c, struct ops_sample **samples, int *n)
{
	PGresult *res = db_query0(c, samples_sql);

	*samples = NULL;
	*n = 0;
	if (!res)
		return E_DB;
	int rows = PQntuples(res), cg = db_col(res, "g"), ca = db_col(res, "a"), cb = db_col(res, "b"), cv = db_col(res, "v");
	struct ops_sample *s = arena_alloc(c->a, sizeof *s * (size_t)(rows ? rows : 1));
	for (int i = 0; i < rows; i++) {
		int g = atoi(db_cell(res, i, cg));
		s[i].metric = ops_gauges[g - 1].metric;
		labels_of(g, &s[i].label[0], &s[i].label[1]);
		s[i].value_of[0] = db_cell(res, i, ca);
		s[i].value_of[1] = db_cell(res, i, cb);
		s[i].value = db_cell(res, i, cv);
	}
	*samples = s;
	*n = rows;
	return OK;
}
