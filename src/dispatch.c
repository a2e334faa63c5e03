/* dispatch.c: POST /api/internal/dispatch: one bounded pass over the background duties. */
#include <stdio.h>

#include "conf.h"
#include "db.h"
#include "dispatch.h"
#include "handlers.h"
#include "http.h"
#include "jsonutil.h"
#include "order_fsm.h"
#include "util.h"

/* Later duties (booking couriers, emails, reconciliation) are added here. */
static const struct dispatch_duty duties[] = {
	{ "expired", dispatch_expire_unpaid },
};

/* Claims and cancels one expired order: 1 done, 0 none left, -1 failure. */
static int expire_one(struct req *r, const char *minutes, const char *note)
{
	if (db_begin(r) != 0)
		return -1;
	PGresult *res = db_query(r,
		"SELECT o.id FROM orders o WHERE o.status = 'PENDING' "
		"AND o.created_at < now() - make_interval(mins => $1::int) "
		"AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id "
		"  AND p.status IN ('AUTHORIZED', 'CAPTURED')) "
		"ORDER BY o.created_at FOR UPDATE OF o SKIP LOCKED LIMIT 1", minutes);
	if (!res || PQntuples(res) == 0) {
		db_rollback(r);
		return res ? 0 : -1;
	}
	const char *id = arena_strdup(r->a, db_val(res, 0, "id"));
	enum fsm_result fr = order_transition(r, id, "CANCELLED", CAUSE_SYSTEM, "system:expiry", note, NULL);
	if (fr != FSM_OK || db_commit(r) != 0) {
		db_rollback(r);
		log_err("expiry of order %s failed (%d)", id, (int)fr);
		return -1;
	}
	log_info("order %s expired unpaid", id);
	return 1;
}

int dispatch_expire_unpaid(struct req *r)
{
	const char *minutes = arena_printf(r->a, "%d", cfg->unpaid_expiry_minutes);
	const char *note = arena_printf(r->a, "unpaid after %d minutes", cfg->unpaid_expiry_minutes);
	int n = 0;

	for (int i = 0; i < DISPATCH_BATCH; i++) {
		int rc = expire_one(r, minutes, note);
		if (rc < 0)
			return n ? n : -1;
		if (rc == 0)
			break;
		n++;
	}
	return n;
}

int dispatch_run(struct req *r)
{
	int64_t t0 = mono_ms();
	struct json_object *o = req_own(r, json_object_new_object());
	struct json_object *errors = json_object_new_array();

	for (size_t i = 0; i < sizeof duties / sizeof duties[0]; i++) {
		int n = duties[i].run(r);
		json_object_object_add(o, duties[i].name, jint(n < 0 ? 0 : n));
		if (n < 0)
			json_object_array_add(errors, jstr(duties[i].name));
	}
	json_object_object_add(o, "errors", errors);
	if (db_lost())
		return reply_db_error(r);
	json_object_object_add(o, "tookMs", jint(mono_ms() - t0));
	return reply_json(r, 200, json_object_get(o));
}
