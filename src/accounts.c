/* accounts.c: registration, sign-in with the failed-login back-off, the current user. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounts.h"
#include "arena.h"
#include "auth.h"
#include "db.h"
#include "json.h"

#define PASSWORD_MIN_CHARS 8
#define PASSWORD_MAX_CHARS 128

/* The schedule is flat from this many failures on (the doubling stops at 2^10). */
#define LOGIN_SCHEDULE_LEN (LOGIN_FREE_FAILURES + 10)
_Static_assert(LOGIN_COUNT_CAP >= LOGIN_SCHEDULE_LEN, "the count stops where the schedule is flat");

/* clang-format off */
#define USER_COLUMNS "id, email, name, phone, role, " SQL_TIME("created_at") " AS created_at"
/* clang-format on */

/* ---- pure rules ---- */

int normalize_email(const char *in, char out[256])
{
	size_t n = strlen(in);
	const char *at = strchr(in, '@');

	if (n < 3 || n > 254 || !at || at == in || strchr(at + 1, '@') || !strchr(at + 1, '.') ||
	    at[1] == '.' || in[n - 1] == '.')
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		/* ASCII only: PostgreSQL's lower() and ours must agree (the CHECK on users.email) */
		if (c <= ' ' || c >= 0x7F || c == ',' || c == ';' || c == '<' || c == '>' || c == '"')
			return -1;
		out[i] = (char)tolower(c);
	}
	out[n] = '\0';
	return 0;
}

int normalize_phone(const char *in, char out[16])
{
	char d[32];
	size_t n = 0;

	for (const char *p = in; *p; p++) {
		if (isdigit((unsigned char)*p)) {
			if (n >= sizeof d - 1)
				return -1;
			d[n++] = *p;
		} else if (*p != ' ' && *p != '-' && !(*p == '+' && p == in)) {
			return -1;
		}
	}
	d[n] = '\0';
	const char *m = d;
	if (n == 12 && strncmp(d, "91", 2) == 0)
		m = d + 2;
	else if (n == 11 && d[0] == '0')
		m = d + 1;
	else if (n != 10)
		return -1;
	if (m[0] < '6' || m[0] > '9') /* Indian mobiles start with 6-9 */
		return -1;
	memcpy(out, "+91", 3);
	memcpy(out + 3, m, 10);
	out[13] = '\0';
	return 0;
}

int account_password_ok(const char *password)
{
	long n = utf8_length(password, strlen(password));
	return n >= PASSWORD_MIN_CHARS && n <= PASSWORD_MAX_CHARS;
}

int login_lock_seconds(int failures)
{
	if (failures < LOGIN_FREE_FAILURES)
		return 0;
	int doublings = failures - LOGIN_FREE_FAILURES;
	if (doublings > 10)
		doublings = 10;
	long secs = (long)LOGIN_FIRST_LOCK_SECONDS << doublings;
	return secs < LOGIN_MAX_LOCK_SECONDS ? (int)secs : LOGIN_MAX_LOCK_SECONDS;
}

/* ---- the account row ---- */

/* {id, email, name, phone, role, createdAt} from a row of USER_COLUMNS. */
static struct json_object *user_json(PGresult *res, int row)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", jstr(db_val(res, row, "id")));
	json_object_object_add(o, "email", jstr(db_val(res, row, "email")));
	json_object_object_add(o, "name", jstr(db_val(res, row, "name")));
	json_object_object_add(o, "phone", jstr(db_val(res, row, "phone")));
	json_object_object_add(o, "role", jstr(db_val(res, row, "role")));
	json_object_object_add(o, "createdAt", jstr(db_val(res, row, "created_at")));
	return o;
}

/* Fills out from row 0 of USER_COLUMNS and issues the token. OK or E_TOKEN_FAILED. */
static enum outcome open_session(struct ctx *c, PGresult *res, struct account_session *out)
{
	out->user_id = arena_strdup(c->a, db_val(res, 0, "id"));
	out->role = arena_strdup(c->a, db_val(res, 0, "role"));
	out->user = json_own(c->a, user_json(res, 0));
	char *tok = auth_issue_token(out->user_id, out->role, time(NULL));
	if (!tok)
		return E_TOKEN_FAILED;
	out->token = arena_strdup(c->a, tok);
	free(tok);
	return OK;
}

enum outcome account_register(struct ctx *c, const char *email, const char *phone, const char *name,
			      const char *password, struct account_session *out)
{
	char hash[PASSWORD_HASH_MAX];

	memset(out, 0, sizeof *out);
	if (auth_hash_password(password, hash) != 0)
		return E_TRY_AGAIN;
	PGresult *res = db_query(c,
				 "INSERT INTO users (email, password_hash, name, phone) VALUES ($1, $2, $3, $4) "
				 "ON CONFLICT ((lower(email))) DO NOTHING RETURNING " USER_COLUMNS,
				 email, hash, name, phone);
	if (!res)
		return E_DB;
	if (PQntuples(res) == 0)
		return E_EMAIL_TAKEN;
	return open_session(c, res, out);
}

/* ---- sign-in ---- */

void login_client_key(const char *addr, char out[LOGIN_CLIENT_MAX])
{
	struct in_addr v4;
	struct in6_addr v6;

	snprintf(out, LOGIN_CLIENT_MAX, "unknown");
	if (!addr)
		return;
	if (inet_pton(AF_INET, addr, &v4) == 1) {
		inet_ntop(AF_INET, &v4, out, LOGIN_CLIENT_MAX);
	} else if (inet_pton(AF_INET6, addr, &v6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&v6)) {
			inet_ntop(AF_INET, v6.s6_addr + 12, out, LOGIN_CLIENT_MAX);
			return;
		}
		/* one host usually holds a whole /64: count the prefix, not the address */
		memset(v6.s6_addr + 8, 0, 8);
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &v6, a, sizeof a);
		snprintf(out, LOGIN_CLIENT_MAX, "%s/64", a);
	}
}

/* Where one sign-in stands before its password is looked at. */
struct throttle {
	int client_locked_for; /* this client's back-off for this email (s) */
	int email_locked_for;  /* the email's throttle, for clients not known (s) */
	int known;	       /* this client has signed in as this email lately */
};

static enum outcome throttle_read(struct ctx *c, const char *em, const char *client, struct throttle *t)
{
	char budget[12], window[12], known[12];

	snprintf(budget, sizeof budget, "%d", LOGIN_EMAIL_BUDGET);
	snprintf(window, sizeof window, "%d", LOGIN_EMAIL_WINDOW_SECONDS);
	snprintf(known, sizeof known, "%d", LOGIN_KNOWN_DAYS);
	/* clang-format off */
	PGresult *res = db_query(c,
		"SELECT COALESCE(GREATEST(0, CEIL(EXTRACT(EPOCH FROM l.locked_until - now())))::int, 0) AS client_locked_for, "
		"COALESCE(l.last_success_at > now() - make_interval(days => $5::int), false) AS known, "
		"COALESCE((SELECT CEIL(EXTRACT(EPOCH FROM w.window_start + make_interval(secs => $4::int) - now()))::int "
		"  FROM login_windows w WHERE w.email = $1 AND w.failures >= $3::int "
		"  AND w.window_start > now() - make_interval(secs => $4::int)), 0) AS email_locked_for "
		"FROM (SELECT 1) one LEFT JOIN login_clients l ON l.email = $1 AND l.client = $2",
		em, client, budget, window, known);
	/* clang-format on */
	if (!res || PQntuples(res) != 1)
		return E_DB;
	t->client_locked_for = atoi(db_val(res, 0, "client_locked_for"));
	t->email_locked_for = atoi(db_val(res, 0, "email_locked_for"));
	t->known = db_bool(res, 0, "known");
	return OK;
}

/* Counts a failure for (email, client), locking the client as the schedule
 * says, and for the email's window; each in one statement, so concurrent
 * failures each count. The schedule goes to the database as an array indexed
 * by the new count, capped where it is flat; the count stops at
 * LOGIN_COUNT_CAP (never an integer overflow). Rows nobody needs any more are
 * pruned on the way, a few at a time. Best effort: a failure to record it
 * still answers wrong credentials. */
static void note_failure(struct ctx *c, const char *em, const char *client)
{
	char schedule[LOGIN_SCHEDULE_LEN * 12 + 2], len[12], cap[12], window[12];
	size_t n = 0;

	schedule[n++] = '{';
	for (int i = 1; i <= LOGIN_SCHEDULE_LEN; i++)
		n += (size_t)snprintf(schedule + n, sizeof schedule - n, "%s%d", i > 1 ? "," : "",
				      login_lock_seconds(i));
	snprintf(schedule + n, sizeof schedule - n, "}");
	snprintf(len, sizeof len, "%d", LOGIN_SCHEDULE_LEN);
	snprintf(cap, sizeof cap, "%d", LOGIN_COUNT_CAP);
	snprintf(window, sizeof window, "%d", LOGIN_EMAIL_WINDOW_SECONDS);
	/* clang-format off */
	db_query(c,
		"INSERT INTO login_clients AS l (email, client, failures, locked_until, forget_after) "
		"VALUES ($1, $2, 1, now() + make_interval(secs => NULLIF(($3::int[])[1], 0)), now() + interval '1 day') "
		"ON CONFLICT (email, client) DO UPDATE SET failures = least(l.failures, $5::int - 1) + 1, "
		"locked_until = now() + make_interval(secs => NULLIF(($3::int[])[least(l.failures, $4::int - 1) + 1], 0)), "
		"forget_after = greatest(l.forget_after, now() + interval '1 day')",
		em, client, schedule, len, cap);
	db_query(c,
		"INSERT INTO login_windows AS w (email, window_start, failures) VALUES ($1, now(), 1) "
		"ON CONFLICT (email) DO UPDATE SET "
		"window_start = CASE WHEN w.window_start <= now() - make_interval(secs => $2::int) THEN now() ELSE w.window_start END, "
		"failures = CASE WHEN w.window_start <= now() - make_interval(secs => $2::int) THEN 1 "
		"ELSE least(w.failures, $3::int - 1) + 1 END",
		em, window, cap);
	db_query(c,
		"WITH c AS (DELETE FROM login_clients WHERE ctid = ANY(ARRAY("
		"  SELECT ctid FROM login_clients WHERE forget_after < now() LIMIT 20))), "
		"w AS (DELETE FROM login_windows WHERE ctid = ANY(ARRAY("
		"  SELECT ctid FROM login_windows WHERE window_start < now() - make_interval(secs => $1::int) LIMIT 20))) "
		"SELECT 1", window);
	/* clang-format on */
}

/* A success: this client's count is reset and it is known for LOGIN_KNOWN_DAYS. */
static enum outcome note_success(struct ctx *c, const char *em, const char *client)
{
	char known[12];

	snprintf(known, sizeof known, "%d", LOGIN_KNOWN_DAYS);
	return db_query(c,
			"INSERT INTO login_clients AS l (email, client, last_success_at, forget_after) "
			"VALUES ($1, $2, now(), now() + make_interval(days => $3::int)) "
			"ON CONFLICT (email, client) DO UPDATE SET failures = 0, locked_until = NULL, "
			"last_success_at = now(), forget_after = greatest(l.forget_after, now() + make_interval(days => $3::int))",
			em, client, known)
		? OK
		: E_DB;
}

enum outcome account_login(struct ctx *c, const char *email, const char *password, const char *client_addr,
			   struct account_session *out)
{
	char em[256], client[LOGIN_CLIENT_MAX];
	struct throttle t;

	memset(out, 0, sizeof *out);
	if (!email || normalize_email(email, em) != 0)
		em[0] = '\0';
	login_client_key(client_addr, client);
	/* clang-format off */
	PGresult *res = db_query(c,
		"SELECT " USER_COLUMNS ", password_hash FROM users WHERE lower(email) = $1 AND deleted_at IS NULL", em);
	/* clang-format on */
	if (!res || throttle_read(c, em, client, &t) != OK)
		return E_DB;
	int found = PQntuples(res) == 1;
	const char *hash = found ? db_val(res, 0, "password_hash") : NULL;
	/* every attempt costs one Argon2id verify, locked or not, known email or not:
	 * the time an answer takes tells nothing */
	int right = auth_check_password(hash, password) == 0 && found;
	if (t.client_locked_for > 0) {
		out->locked_for = t.client_locked_for;
		return E_TOO_MANY_ATTEMPTS;
	}
	if (t.email_locked_for > 0 && !t.known) {
		out->locked_for = t.email_locked_for;
		return E_TOO_MANY_ATTEMPTS;
	}
	if (!right) {
		note_failure(c, em, client);
		return E_INVALID_CREDENTIALS;
	}
	const char *id = db_val(res, 0, "id");
	char newhash[PASSWORD_HASH_MAX];
	if (auth_needs_rehash(hash) && auth_hash_password(password, newhash) == 0)
		db_query(c, "UPDATE users SET password_hash = $2 WHERE id = $1", id, newhash);
	if (note_success(c, em, client) != OK)
		return E_DB;
	return open_session(c, res, out);
}

enum outcome account_unlock(struct ctx *c, const char *email, int *clients, int *throttled)
{
	char em[256];

	*clients = *throttled = 0;
	if (normalize_email(email, em) != 0)
		return E_INVALID_INPUT;
	PGresult *a = db_query(c,
			       "UPDATE login_clients SET failures = 0, locked_until = NULL "
			       "WHERE email = $1 AND (failures > 0 OR locked_until IS NOT NULL)",
			       em);
	PGresult *b = a ? db_query(c, "DELETE FROM login_windows WHERE email = $1", em) : NULL;
	if (!a || !b)
		return E_DB;
	*clients = atoi(PQcmdTuples(a));
	*throttled = atoi(PQcmdTuples(b)) > 0;
	return OK;
}

enum outcome account_current(struct ctx *c, struct json_object **user)
{
	*user = NULL;
	/* clang-format off */
	PGresult *res = db_query(c, "SELECT " USER_COLUMNS " FROM users WHERE id = $1", c->who.user_id);
	/* clang-format on */
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1)
		return E_ACCOUNT_GONE;
	*user = json_own(c->a, user_json(res, 0));
	return OK;
}
