/* accounts.c: registration, sign-in with the failed-login back-off, the current user. */
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

/* Counts a failure and locks the account as the schedule says, in one
 * statement (concurrent failures each count). The schedule goes to the
 * database as an array indexed by the new count, capped where it is flat;
 * the count itself stops at LOGIN_COUNT_CAP (never an integer overflow).
 * Best effort: a failure to record it still answers wrong credentials. */
static void note_failure(struct ctx *c, const char *user_id)
{
	char schedule[LOGIN_SCHEDULE_LEN * 12 + 2], len[12], cap[12];
	size_t n = 0;

	schedule[n++] = '{';
	for (int i = 1; i <= LOGIN_SCHEDULE_LEN; i++)
		n += (size_t)snprintf(schedule + n, sizeof schedule - n, "%s%d", i > 1 ? "," : "",
				      login_lock_seconds(i));
	snprintf(schedule + n, sizeof schedule - n, "}");
	snprintf(len, sizeof len, "%d", LOGIN_SCHEDULE_LEN);
	snprintf(cap, sizeof cap, "%d", LOGIN_COUNT_CAP);
	db_query(c, "UPDATE users SET failed_logins = least(failed_logins, $4::int - 1) + 1, "
		    "locked_until = now() + make_interval(secs => "
		    "NULLIF(($2::int[])[least(failed_logins, $3::int - 1) + 1], 0)) WHERE id = $1",
		 user_id, schedule, len, cap);
}

enum outcome account_login(struct ctx *c, const char *email, const char *password, struct account_session *out)
{
	char em[256];

	memset(out, 0, sizeof *out);
	if (!email || normalize_email(email, em) != 0)
		em[0] = '\0';
	/* clang-format off */
	PGresult *res = db_query(c,
		"SELECT " USER_COLUMNS ", password_hash, "
		"GREATEST(0, CEIL(EXTRACT(EPOCH FROM locked_until - now())))::int AS locked_for "
		"FROM users WHERE lower(email) = $1 AND deleted_at IS NULL", em);
	/* clang-format on */
	if (!res)
		return E_DB;
	int found = PQntuples(res) == 1;
	const char *hash = found ? db_val(res, 0, "password_hash") : NULL;
	if (found && (out->locked_for = atoi(db_val(res, 0, "locked_for"))) > 0)
		return E_TOO_MANY_ATTEMPTS;
	/* unknown email and wrong password cost one Argon2id verify each and answer alike */
	if (auth_check_password(hash, password) != 0) {
		if (found)
			note_failure(c, db_val(res, 0, "id"));
		return E_INVALID_CREDENTIALS;
	}
	const char *id = db_val(res, 0, "id");
	char newhash[PASSWORD_HASH_MAX];
	if (auth_needs_rehash(hash) && auth_hash_password(password, newhash) == 0)
		db_query(c, "UPDATE users SET password_hash = $2 WHERE id = $1", id, newhash);
	if (!db_query(c, "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1 AND failed_logins > 0", id))
		return E_DB;
	return open_session(c, res, out);
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
