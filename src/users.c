/* users.c: POST /api/auth/register, POST /api/auth/login, GET /api/me. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "auth.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "jsonutil.h"
#include "users.h"
#include "util.h"

/* After this many consecutive failures an account backs off (see README):
 * the 5th failure locks it for 30 s, each further failure doubles that, up to
 * 15 minutes; a success resets the count. */
#define LOGIN_FREE_FAILURES 5
#define LOGIN_FIRST_LOCK_SECONDS 30
#define LOGIN_MAX_LOCK_SECONDS 900
#define STR_(x) #x
#define STR(x) STR_(x)
#define LOGIN_FREE_FAILURES_S STR(LOGIN_FREE_FAILURES)
#define LOGIN_MAX_LOCK_S STR(LOGIN_MAX_LOCK_SECONDS)
#define LOGIN_FIRST_LOCK_S STR(LOGIN_FIRST_LOCK_SECONDS)

#define USER_COLUMNS "id, email, name, phone, role, " SQL_TIME("created_at") " AS created_at"

struct json_object *user_json(PGresult *res, int row)
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
	if (m[0] < '6' || m[0] > '9')	/* Indian mobiles start with 6-9 */
		return -1;
	memcpy(out, "+91", 3);
	memcpy(out + 3, m, 10);
	out[13] = '\0';
	return 0;
}

static int reply_session(struct req *r, int status, PGresult *res)
{
	char *tok = auth_issue_token(db_val(res, 0, "id"), db_val(res, 0, "role"), time(NULL));
	if (!tok)
		return reply_error(r, 500, "INTERNAL", NULL, "Could not issue a token");
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "token", json_object_new_string(tok));
	json_object_object_add(o, "user", user_json(res, 0));
	free(tok);
	return reply_json(r, status, o);
}

int auth_register(struct req *r)
{
	const char *email, *password, *phone, *name;
	char em[256], ph[16], hash[PASSWORD_HASH_MAX];

	if (jget_text(r, r->json, "email", REQUIRED, 3, 254, TEXT_SINGLE_LINE, &email) ||
	    jget_text(r, r->json, "password", REQUIRED, 0, 1000, TEXT_SINGLE_LINE, &password) ||
	    jget_text(r, r->json, "phone", REQUIRED, 1, 20, TEXT_SINGLE_LINE, &phone) ||
	    jget_text(r, r->json, "name", REQUIRED, 1, 100, TEXT_SINGLE_LINE, &name))
		return 0;
	if (normalize_email(email, em) != 0)
		return reply_error(r, 400, "VALIDATION_ERROR", "email", "email is not a valid address");
	if (normalize_phone(phone, ph) != 0)
		return reply_error(r, 400, "VALIDATION_ERROR", "phone", "phone must be an Indian mobile number (10 digits, optionally +91)");
	/* the password is taken as typed: spaces count */
	const char *raw = json_object_get_string(json_object_object_get(r->json, "password"));
	long pl = utf8_length(raw, strlen(raw));
	if (pl < 8 || pl > 128)
		return reply_error(r, 400, "VALIDATION_ERROR", "password", "password must be 8 to 128 characters long");
	if (auth_hash_password(raw, hash) != 0)
		return reply_error(r, 503, "TRY_AGAIN", NULL, "The server is busy; try again");
	PGresult *res = db_query(&r->ctx,
		"INSERT INTO users (email, password_hash, name, phone) VALUES ($1, $2, $3, $4) "
		"ON CONFLICT ((lower(email))) DO NOTHING RETURNING " USER_COLUMNS,
		em, hash, name, ph);
	if (!res)
		return reply_db_error(r);
	if (PQntuples(res) == 0)
		return reply_error(r, 409, "EMAIL_TAKEN", "email", "An account with this email already exists");
	return reply_session(r, 201, res);
}

/* Records a failure and, past the free ones, locks the account for a while. */
static void note_failure(struct req *r, const char *id)
{
	db_query(&r->ctx, "UPDATE users SET failed_logins = failed_logins + 1, "
		    "locked_until = CASE WHEN failed_logins + 1 >= $2::int "
		    "THEN now() + make_interval(secs => least($3::int, $4::int * 2 ^ least(10, failed_logins + 1 - $2::int))) END "
		    "WHERE id = $1",
		 id, LOGIN_FREE_FAILURES_S, LOGIN_MAX_LOCK_S, LOGIN_FIRST_LOCK_S);
}

int auth_login(struct req *r)
{
	const char *email, *password;
	char em[256];

	if (jget_text(r, r->json, "email", REQUIRED, 1, 254, TEXT_SINGLE_LINE, &email) ||
	    jget_text(r, r->json, "password", REQUIRED, 1, 1000, TEXT_SINGLE_LINE, &password))
		return 0;
	const char *raw = json_object_get_string(json_object_object_get(r->json, "password"));
	if (normalize_email(email, em) != 0)
		em[0] = '\0';
	PGresult *res = db_query(&r->ctx,
		"SELECT " USER_COLUMNS ", password_hash, "
		"GREATEST(0, CEIL(EXTRACT(EPOCH FROM locked_until - now())))::int AS locked_for "
		"FROM users WHERE lower(email) = $1 AND deleted_at IS NULL", em);
	if (!res)
		return reply_db_error(r);
	int found = PQntuples(res) == 1;
	const char *hash = found ? db_val(res, 0, "password_hash") : NULL;
	if (found && atoi(db_val(res, 0, "locked_for")) > 0) {
		reply_error(r, 429, "TOO_MANY_ATTEMPTS", NULL, "Too many failed logins; try again in %s seconds",
			    db_val(res, 0, "locked_for"));
		/* after reply_error, which starts the headers afresh */
		reply_header(r, "Retry-After", "%s", db_val(res, 0, "locked_for"));
		return 0;
	}
	/* unknown email and wrong password cost one Argon2id verify each and answer alike */
	if (auth_check_password(hash, raw) != 0) {
		if (found)
			note_failure(r, db_val(res, 0, "id"));
		return reply_error(r, 401, "INVALID_CREDENTIALS", NULL, "Wrong email or password");
	}
	char newhash[PASSWORD_HASH_MAX];
	const char *id = db_val(res, 0, "id");
	if (auth_needs_rehash(hash) && auth_hash_password(raw, newhash) == 0)
		db_query(&r->ctx, "UPDATE users SET password_hash = $2 WHERE id = $1", id, newhash);
	if (!db_query(&r->ctx, "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1 AND failed_logins > 0", id))
		return reply_db_error(r);
	return reply_session(r, 200, res);
}

int me_get(struct req *r)
{
	PGresult *res = db_query(&r->ctx, "SELECT " USER_COLUMNS " FROM users WHERE id = $1", r->ctx.who.user_id);
	if (!res)
		return reply_db_error(r);
	if (PQntuples(res) != 1)
		return reply_error(r, 401, "UNAUTHORIZED", NULL, "The account no longer exists");
	return reply_json(r, 200, user_json(res, 0));
}
