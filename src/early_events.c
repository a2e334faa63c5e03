/* early_events.c: partner events kept until what they name is recorded (see early_events.h). */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "early_events.h"
#include "json.h"
#include "util.h"

/* The class of our advisory locks (the migrator's session lock is the one-key 365001). */
#define EARLY_LOCK_CLASS "365002"

int early_lock(struct ctx *c, const char *source, const char *subject)
{
	if (!db_in_tx(c)) {
		log_err("early_lock called outside a transaction");
		return -1;
	}
	return db_query(c, "SELECT pg_advisory_xact_lock(" EARLY_LOCK_CLASS ", hashtext($1 || ':' || $2))", source, subject)
		? 0
		: -1;
}

int early_keep(struct ctx *c, const char *source, const char *subject, const char *type, struct json_object *body)
{
	const char *text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);

	if (!db_query(c, "INSERT INTO early_events (source, subject, event_type, body) VALUES ($1, $2, $3, $4::jsonb)",
		      source, subject, type ? type : "", text))
		return -1;
	log_info("%s event %s about %s, which is not recorded yet: kept", source, type ? type : "-", subject);
	return 0;
}

int early_apply(struct ctx *c, const char *source, const char *subject, early_fn fn, void *arg)
{
	char err[160];

	if (early_lock(c, source, subject) != 0)
		return -1;
	/* oldest first (a bare DELETE ... RETURNING promises no order) */
	PGresult *res = db_query(c, "WITH taken AS (DELETE FROM early_events WHERE source = $1 AND subject = $2 "
				    "RETURNING id, event_type, body) SELECT event_type, body::text AS body FROM taken ORDER BY id",
				 source, subject);
	if (!res)
		return -1;
	int n = PQntuples(res);
	for (int i = 0; i < n; i++) {
		const char *text = db_val(res, i, "body");
		struct json_object *body = json_own(c->a, json_parse_strict(text, strlen(text), err, sizeof err));
		if (!body) {
			log_err("%s event kept about %s does not parse (%s): dropped", source, subject, err);
			continue;
		}
		if (fn(c, db_val(res, i, "event_type"), body, arg) != 0)
			return -1;
	}
	if (n)
		log_info("%s: %d event(s) kept about %s applied", source, n, subject);
	return n;
}

int early_prune(struct ctx *c)
{
	PGresult *res = db_query0(c, "DELETE FROM early_events WHERE received_at < now() - interval '" EARLY_EVENTS_KEEP "'");
	if (!res)
		return -1;
	return atoi(PQcmdTuples(res));
}
