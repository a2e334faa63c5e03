/* api_slots.c: GET /api/delivery/slots: the slots of one day for a lead time. */
#include <time.h>

#include "handlers.h"
#include "http.h"
#include "json.h"
#include "slots.h"
#include "util.h"

int slots_get(struct req *r)
{
	const char *date = query_get(r, "date"), *lh = query_get(r, "leadHours");
	int64_t lead = SLOTS_DEFAULT_LEAD_HOURS;
	struct json_object *slots;
	int y, m, d;

	if (!slot_date_valid(date, &y, &m, &d))
		return reply_error(r, 400, "VALIDATION_ERROR", "date", "date must be a calendar date YYYY-MM-DD");
	long ahead = slot_days_ahead(y, m, d, time(NULL));
	if (ahead < 0 || ahead > SLOTS_MAX_DAYS_AHEAD)
		return reply_error(r, 400, "DATE_OUT_OF_RANGE", "date",
				   "date must be between today and %d days ahead", SLOTS_MAX_DAYS_AHEAD);
	if (lh && parse_int64(lh, 0, 336, &lead) != 0)
		return reply_error(r, 400, "VALIDATION_ERROR", "leadHours", "leadHours must be an integer 0 to 336");
	enum outcome o = slots_of_day(&r->ctx, date, (int)lead, &slots);
	if (o != OK)
		return reply_outcome(r, o, NULL);
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "date", jstr(date));
	json_object_object_add(a, "slots", slots);
	return reply_json(r, 200, a);
}
