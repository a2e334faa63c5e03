/* accounts.c: registration, sign-in with the failed-login back-off, the current user,
 * and what customers and staff do with their own accounts: password reset and change,
 * the profile. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounts.h"
#include "arena.h"
#include "auth.h"
#include "conf.h"
#include "db.h"
#include "json.h"
#include "mail.h"

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

/* One password attempt under the back-off, for sign-in and for the signed-in
 * user's own password (change, deletion). Every attempt costs one Argon2id
 * verify (hash NULL: a dummy one), locked or not, known email or not: the time
 * an answer takes tells nothing. OK when right (this client's count reset),
 * E_TOO_MANY_ATTEMPTS with *locked_for (not counted), E_INVALID_CREDENTIALS
 * (counted), E_DB. */
static enum outcome password_attempt(struct ctx *c, const char *em, const char *client, const char *hash,
				     const char *password, int *locked_for)
{
	struct throttle t;

	*locked_for = 0;
	if (throttle_read(c, em, client, &t) != OK)
		return E_DB;
	int right = auth_check_password(hash, password) == 0;
	if (t.client_locked_for > 0) {
		*locked_for = t.client_locked_for;
		return E_TOO_MANY_ATTEMPTS;
	}
	if (t.email_locked_for > 0 && !t.known) {
		*locked_for = t.email_locked_for;
		return E_TOO_MANY_ATTEMPTS;
	}
	if (!right) {
		note_failure(c, em, client);
		return E_INVALID_CREDENTIALS;
	}
	return note_success(c, em, client);
}

enum outcome account_login(struct ctx *c, const char *email, const char *password, const char *client_addr,
			   struct account_session *out)
{
	char em[256], client[LOGIN_CLIENT_MAX];

	memset(out, 0, sizeof *out);
	if (!email || normalize_email(email, em) != 0)
		em[0] = '\0';
	login_client_key(client_addr, client);
	/* clang-format off */
	PGresult *res = db_query(c,
		"SELECT " USER_COLUMNS ", password_hash FROM users WHERE lower(email) = $1 AND deleted_at IS NULL", em);
	/* clang-format on */
	if (!res)
		return E_DB;
	const char *hash = PQntuples(res) == 1 ? db_val(res, 0, "password_hash") : NULL;
	enum outcome o = password_attempt(c, em, client, hash, password, &out->locked_for);
	if (o != OK)
		return o;
	const char *id = db_val(res, 0, "id");
	char newhash[PASSWORD_HASH_MAX];
	if (auth_needs_rehash(hash) && auth_hash_password(password, newhash) == 0)
		db_query(c, "UPDATE users SET password_hash = $2 WHERE id = $1", id, newhash);
	return open_session(c, res, out);
}

enum outcome account_reauth(struct ctx *c, const char *password, const char *client_addr, int *locked_for)
{
	char em[256], client[LOGIN_CLIENT_MAX];

	*locked_for = 0;
	PGresult *res = db_query(c, "SELECT email, password_hash FROM users WHERE id = $1 AND deleted_at IS NULL",
				 c->who.user_id);
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1)
		return E_ACCOUNT_GONE;
	if (normalize_email(db_val(res, 0, "email"), em) != 0)
		em[0] = '\0';
	login_client_key(client_addr, client);
	return password_attempt(c, em, client, db_val(res, 0, "password_hash"), password, locked_for);
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

/* ---- the signed-in user's own account ---- */

/* A staff account's password outside development mode also follows the rule of
 * ADMIN_PASSWORD (conf.h): 12 characters, no known default. */
static enum outcome staff_password_ok(int staff, const char *pw)
{
	return staff && !cfg->development && conf_admin_password_problem(pw) ? E_PASSWORD_TOO_WEAK : OK;
}

enum outcome account_update_profile(struct ctx *c, const char *name, const char *phone, struct json_object **user)
{
	*user = NULL;
	/* clang-format off */
	PGresult *res = db_query(c,
		"UPDATE users SET name = COALESCE($2, name), phone = COALESCE($3, phone), updated_at = now() "
		"WHERE id = $1 AND deleted_at IS NULL RETURNING " USER_COLUMNS,
		c->who.user_id, name, phone);
	/* clang-format on */
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1)
		return E_ACCOUNT_GONE;
	*user = json_own(c->a, user_json(res, 0));
	return OK;
}

struct password_change {
	const char *user_id, *hash;
	PGresult *res; /* the account's row (USER_COLUMNS) */
};

/* The password, every token issued up to now revoked (the answer's is issued
 * after), the open reset links voided, and the owner told: one transaction. */
static enum outcome password_change_tx(struct ctx *c, void *arg)
{
	struct password_change *pc = arg;
	/* clang-format off */
	pc->res = db_query(c,
		"WITH v AS (UPDATE password_resets SET voided_at = now() "
		"  WHERE user_id = $1 AND used_at IS NULL AND voided_at IS NULL) "
		"UPDATE users SET password_hash = $2, tokens_valid_after = now(), updated_at = now() "
		"WHERE id = $1 AND deleted_at IS NULL RETURNING " USER_COLUMNS,
		pc->user_id, pc->hash);
	/* clang-format on */
	if (!pc->res)
		return E_DB;
	if (PQntuples(pc->res) != 1)
		return E_ACCOUNT_GONE;
	return mail_queue_password_changed(c, pc->user_id, 0) == -1 ? E_DB : OK;
}

enum outcome account_change_password(struct ctx *c, const char *current, const char *new_password,
				     const char *client_addr, struct account_session *out)
{
	char hash[PASSWORD_HASH_MAX];

	memset(out, 0, sizeof *out);
	/* a new password the rules refuse costs no attempt */
	enum outcome o = staff_password_ok(c->who.role == ROLE_ADMIN, new_password);
	if (o == OK)
		o = account_reauth(c, current, client_addr, &out->locked_for);
	if (o != OK)
		return o;
	if (auth_hash_password(new_password, hash) != 0)
		return E_TRY_AGAIN;
	struct password_change pc = { .user_id = c->who.user_id, .hash = hash };
	o = db_tx(c, password_change_tx, &pc);
	return o == OK ? open_session(c, pc.res, out) : o;
}

/* ---- password reset ---- */

/* Counts the request for the email, then writes the account's new request (its
 * older ones voided) and its email. For an unknown email or a spent budget the
 * same statements run and write nothing but the count. */
static enum outcome reset_request_tx(struct ctx *c, void *arg)
{
	const char *em = arg;
	char budget[12], window[12];

	snprintf(budget, sizeof budget, "%d", RESET_BUDGET);
	snprintf(window, sizeof window, "%d", RESET_WINDOW_SECONDS);
	/* clang-format off */
	PGresult *w = db_query(c,
		"INSERT INTO password_reset_windows AS w (email, window_start, requests) VALUES ($1, now(), 1) "
		"ON CONFLICT (email) DO UPDATE SET "
		"window_start = CASE WHEN w.window_start <= now() - make_interval(secs => $2::int) THEN now() ELSE w.window_start END, "
		"requests = CASE WHEN w.window_start <= now() - make_interval(secs => $2::int) THEN 1 "
		"ELSE least(w.requests, $3::int) + 1 END "
		"RETURNING w.requests <= $3::int AS within",
		em, window, budget);
	if (!w || PQntuples(w) != 1)
		return E_DB;
	PGresult *r = db_query(c,
		"WITH u AS (SELECT id FROM users WHERE lower(email) = $1 AND deleted_at IS NULL AND $2::boolean), "
		"v AS (UPDATE password_resets SET voided_at = now() WHERE user_id IN (SELECT id FROM u) "
		"  AND used_at IS NULL AND voided_at IS NULL) "
		"INSERT INTO password_resets (user_id) SELECT id FROM u RETURNING id",
		em, db_val(w, 0, "within"));
	/* clang-format on */
	if (!r)
		return E_DB;
	if (mail_queue_reset(c, PQntuples(r) == 1 ? db_val(r, 0, "id") : NULL) != 0)
		return E_DB;
	/* windows nobody needs any more, a few at a time */
	return db_query(c,
			"DELETE FROM password_reset_windows WHERE ctid = ANY(ARRAY("
			"  SELECT ctid FROM password_reset_windows WHERE window_start < now() - make_interval(secs => $1::int) LIMIT 20))",
			window)
		? OK
		: E_DB;
}

enum outcome account_reset_request(struct ctx *c, const char *email)
{
	return db_tx(c, reset_request_tx, (void *)email);
}

/* What auth_random_token makes of RESET_TOKEN_BYTES: URL-safe base64, no padding. */
static int reset_token_shape_ok(const char *t)
{
	size_t n = t ? strlen(t) : 0;

	if (n != (RESET_TOKEN_BYTES * 4 + 2) / 3)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && t[i] != '-' && t[i] != '_')
			return 0;
	return 1;
}

enum outcome account_reset_check(struct ctx *c, const char *token, int *staff)
{
	char hash[65];

	*staff = 0;
	if (!reset_token_shape_ok(token))
		return E_RESET_TOKEN_INVALID;
	auth_sha256_hex(token, hash);
	PGresult *res = db_query(c,
				 "SELECT u.role FROM password_resets r JOIN users u ON u.id = r.user_id "
				 "WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.voided_at IS NULL "
				 "AND r.expires_at > now() AND u.deleted_at IS NULL",
				 hash);
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1)
		return E_RESET_TOKEN_INVALID;
	*staff = strcmp(db_val(res, 0, "role"), "ADMIN") == 0;
	return OK;
}

struct reset_spend {
	const char *token_hash, *pwhash;
};

/* The token spent, the account's other requests voided, the password set, every
 * token issued before revoked, and the owner told, in one transaction: two
 * confirms of one token at the same moment spend it once (the second finds it
 * used). */
static enum outcome reset_spend_tx(struct ctx *c, void *arg)
{
	struct reset_spend *rs = arg;
	PGresult *res = db_query(c,
				 "WITH r AS (UPDATE password_resets SET used_at = now() WHERE token_hash = $1 "
				 "  AND used_at IS NULL AND voided_at IS NULL AND expires_at > now() RETURNING id, user_id), "
				 "v AS (UPDATE password_resets p SET voided_at = now() FROM r WHERE p.user_id = r.user_id "
				 "  AND p.id <> r.id AND p.used_at IS NULL AND p.voided_at IS NULL) "
				 "UPDATE users u SET password_hash = $2, tokens_valid_after = now(), updated_at = now() FROM r "
				 "WHERE u.id = r.user_id AND u.deleted_at IS NULL RETURNING u.id",
				 rs->token_hash, rs->pwhash);
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1)
		return E_RESET_TOKEN_INVALID;
	return mail_queue_password_changed(c, db_val(res, 0, "id"), 1) == -1 ? E_DB : OK;
}

enum outcome account_reset_confirm(struct ctx *c, const char *token, const char *password)
{
	char hash[65], pwhash[PASSWORD_HASH_MAX];
	int staff;

	enum outcome o = account_reset_check(c, token, &staff);
	if (o == OK)
		o = staff_password_ok(staff, password);
	if (o != OK)
		return o;
	if (auth_hash_password(password, pwhash) != 0)
		return E_TRY_AGAIN;
	auth_sha256_hex(token, hash);
	struct reset_spend rs = { .token_hash = hash, .pwhash = pwhash };
	return db_tx(c, reset_spend_tx, &rs);
}
