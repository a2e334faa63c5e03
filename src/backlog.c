/* backlog.c: the lists of the admin's background-work page, read in one statement. */
#include <string.h>

#include "arena.h"
#include "backlog.h"
#include "db.h"
#include "jobs.h"
#include "json.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* clang-format off */
static const char backlog_sql[] =
	"SELECT json_build_object("
	"'jobs', (SELECT COALESCE(json_agg(x ORDER BY x.updated DESC), '[]') FROM ("
	" SELECT id, kind, state, attempts, max_attempts AS \"maxAttempts\", last_error AS \"lastError\", "
	"  order_id AS \"orderId\", " SQL_TIME("run_at") " AS \"runAt\", updated_at AS updated, "
	"  state = 'dead' AS dead "
	" FROM jobs WHERE " JOB_FAILING_SQL
	" ORDER BY updated_at DESC LIMIT " STR(BACKLOG_LIMIT) ") x), "
	"'emails', (SELECT COALESCE(json_agg(x ORDER BY x.id DESC), '[]') FROM ("
	" SELECT id, kind, to_address AS \"to\", subject, state, attempts, last_error AS \"lastError\", "
	"  order_id AS \"orderId\", " SQL_TIME("send_after") " AS \"sendAfter\" "
	" FROM emails WHERE state IN ('queued', 'dead') ORDER BY id DESC LIMIT " STR(BACKLOG_LIMIT) ") x), "
	"'attention', (SELECT COALESCE(json_agg(x ORDER BY x.slot), '[]') FROM ("
	" SELECT id, order_number AS \"orderNumber\", status, attention_reason AS reason, delivery_slot AS slot, "
	"  " SQL_TIME("delivery_slot") " AS \"deliverySlot\" "
	" FROM orders WHERE needs_attention ORDER BY delivery_slot LIMIT " STR(BACKLOG_LIMIT) ") x)"
	")::text AS j";
/* clang-format on */

/* The array at key of o, or a new empty one; owned by the arena. */
static struct json_object *list(struct ctx *c, struct json_object *o, const char *key)
{
	struct json_object *a;
	if (!o || !json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
		return json_own(c->a, json_object_new_array());
	return json_own(c->a, json_object_get(a));
}

enum outcome backlog_read(struct ctx *c, struct backlog *out)
{
	PGresult *res = db_query0(c, backlog_sql);
	char err[128];

	if (!res || PQntuples(res) != 1)
		return E_DB;
	const char *text = db_val(res, 0, "j") ? db_val(res, 0, "j") : "";
	struct json_object *all = json_own(c->a, json_parse_strict(text, strlen(text), err, sizeof err));
	out->jobs = list(c, all, "jobs");
	out->emails = list(c, all, "emails");
	out->attention = list(c, all, "attention");
	return OK;
}
