/* api_accounts.c: POST /api/auth/register, POST /api/auth/login, the password
 * reset (POST /api/auth/password-reset, .../confirm), and the caller's own
 * account: GET, PATCH and DELETE /api/me, POST /api/me/password, GET /api/me/export. */
#include <string.h>
#include <time.h>

#include "account_data.h"
#include "accounts.h"
#include "handlers.h"
#include "http.h"
#include "jsonutil.h"

/* {token, user} with status. */
static int reply_session(struct req *r, int status, const struct account_session *s)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "token", json_object_new_string(s->token));
	json_object_object_add(o, "user", json_object_get(s->user));
	return reply_json(r, status, o);
}

/* A password exactly as sent (jget_text trims): spaces count. */
static const char *raw_text(struct req *r, const char *key)
{
	return json_object_get_string(json_object_object_get(r->json, key));
}

static const char *raw_password(struct req *r)
{
	return raw_text(r, "password");
}

/* The new password's rule, registration's: 0, or -1 after the 400. */
static int check_new_password(struct req *r, const char *key)
{
	if (account_password_ok(raw_text(r, key)))
		return 0;
	return reply_error(r, 400, "VALIDATION_ERROR", key, "%s must be 8 to 128 characters long", key), -1;
}

/* 429 with Retry-After, as the sign-in answers it. */
static int reply_locked(struct req *r, int locked_for)
{
	reply_outcome_msg(r, E_TOO_MANY_ATTEMPTS, NULL, "Too many failed attempts; try again in %d seconds", locked_for);
	/* after the error reply, which starts the headers afresh */
	reply_header(r, "Retry-After", "%d", locked_for);
	return 0;
}

int auth_register(struct req *r)
{
	const char *email, *password, *phone, *name;
	char em[256], ph[16];
	struct account_session s;

	if (jget_text(r, r->json, "email", REQUIRED, 3, 254, TEXT_SINGLE_LINE, &email) ||
	    jget_text(r, r->json, "password", REQUIRED, 0, 1000, TEXT_SINGLE_LINE, &password) ||
	    jget_text(r, r->json, "phone", REQUIRED, 1, 20, TEXT_SINGLE_LINE, &phone) ||
	    jget_text(r, r->json, "name", REQUIRED, 1, 100, TEXT_SINGLE_LINE, &name))
		return 0;
	if (normalize_email(email, em) != 0)
		return reply_error(r, 400, "VALIDATION_ERROR", "email", "email is not a valid address");
	if (normalize_phone(phone, ph) != 0)
		return reply_error(r, 400, "VALIDATION_ERROR", "phone", "phone must be an Indian mobile number (10 digits, optionally +91)");
	if (check_new_password(r, "password"))
		return 0;
	enum outcome o = account_register(&r->ctx, em, ph, name, raw_password(r), &s);
	if (o != OK)
		return reply_outcome(r, o, o == E_EMAIL_TAKEN ? "email" : NULL);
	return reply_session(r, 201, &s);
}

int auth_login(struct req *r)
{
	const char *email, *password;
	struct account_session s;

	if (jget_text(r, r->json, "email", REQUIRED, 1, 254, TEXT_SINGLE_LINE, &email) ||
	    jget_text(r, r->json, "password", REQUIRED, 1, 1000, TEXT_SINGLE_LINE, &password))
		return 0;
	enum outcome o = account_login(&r->ctx, email, raw_password(r), r->remote_addr, &s);
	if (o == E_TOO_MANY_ATTEMPTS)
		return reply_locked(r, s.locked_for);
	if (o != OK)
		return reply_outcome(r, o, NULL);
	return reply_session(r, 200, &s);
}

int me_get(struct req *r)
{
	struct json_object *user;
	enum outcome o = account_current(&r->ctx, &user);

	if (o != OK)
		return reply_outcome(r, o, NULL);
	return reply_json(r, 200, json_object_get(user));
}

/* ---- password reset ---- */

/* The one answer to a reset request, whatever became of it. */
#define RESET_ANSWER "If an account has this email, a link to choose a new password is on its way; it works once, for 30 minutes."

int auth_password_reset(struct req *r)
{
	const char *email;
	char em[256];

	if (jget_text(r, r->json, "email", REQUIRED, 3, 254, TEXT_SINGLE_LINE, &email))
		return 0;
	if (normalize_email(email, em) != 0)
		return reply_error(r, 400, "VALIDATION_ERROR", "email", "email is not a valid address");
	enum outcome o = account_reset_request(&r->ctx, em);
	if (o != OK)
		return reply_outcome(r, o, NULL);
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "message", json_object_new_string(RESET_ANSWER));
	return reply_json(r, 202, a);
}

int auth_password_reset_confirm(struct req *r)
{
	const char *token, *password;

	if (jget_text(r, r->json, "token", REQUIRED, 1, 1000, TEXT_SINGLE_LINE, &token) ||
	    jget_text(r, r->json, "password", REQUIRED, 0, 1000, TEXT_SINGLE_LINE, &password) ||
	    check_new_password(r, "password"))
		return 0;
	enum outcome o = account_reset_confirm(&r->ctx, token, raw_password(r));
	if (o != OK)
		return reply_outcome(r, o, o == E_RESET_TOKEN_INVALID ? "token" : o == E_PASSWORD_TOO_WEAK ? "password"
													   : NULL);
	return reply_empty(r, 204);
}

/* ---- the caller's own account ---- */

int me_update(struct req *r)
{
	const char *name, *phone;
	char ph[16];
	struct json_object *user;

	if (json_object_object_get_ex(r->json, "email", NULL))
		return reply_error(r, 400, "VALIDATION_ERROR", "email", "email cannot be changed");
	if (jget_text(r, r->json, "name", OPTIONAL, 1, 100, TEXT_SINGLE_LINE, &name) ||
	    jget_text(r, r->json, "phone", OPTIONAL, 1, 20, TEXT_SINGLE_LINE, &phone))
		return 0;
	if (phone && normalize_phone(phone, ph) != 0)
		return reply_error(r, 400, "VALIDATION_ERROR", "phone", "phone must be an Indian mobile number (10 digits, optionally +91)");
	enum outcome o = account_update_profile(&r->ctx, name, phone ? ph : NULL, &user);
	if (o != OK)
		return reply_outcome(r, o, NULL);
	return reply_json(r, 200, json_object_get(user));
}

int me_password(struct req *r)
{
	const char *current, *next;
	struct account_session s;

	if (jget_text(r, r->json, "currentPassword", REQUIRED, 1, 1000, TEXT_SINGLE_LINE, &current) ||
	    jget_text(r, r->json, "newPassword", REQUIRED, 0, 1000, TEXT_SINGLE_LINE, &next) ||
	    check_new_password(r, "newPassword"))
		return 0;
	enum outcome o = account_change_password(&r->ctx, raw_text(r, "currentPassword"), raw_text(r, "newPassword"),
						 r->remote_addr, &s);
	if (o == E_TOO_MANY_ATTEMPTS)
		return reply_locked(r, s.locked_for);
	if (o == E_INVALID_CREDENTIALS)
		return reply_outcome_msg(r, o, "currentPassword", "The current password is wrong");
	if (o != OK)
		return reply_outcome(r, o, o == E_PASSWORD_TOO_WEAK ? "newPassword" : NULL);
	return reply_session(r, 200, &s);
}

int me_export(struct req *r)
{
	struct json_object *doc;
	char day[16];
	time_t now = time(NULL);

	enum outcome o = account_export(&r->ctx, &doc);
	if (o != OK)
		return reply_outcome(r, o, NULL);
	struct tm tm;
	strftime(day, sizeof day, "%Y-%m-%d", gmtime_r(&now, &tm));
	reply_json(r, 200, json_object_get(doc));
	reply_header(r, "Content-Disposition", "attachment; filename=\"lafete365-account-%s.json\"", day);
	return 0;
}

int me_delete(struct req *r)
{
	const char *password;
	int locked_for;

	if (jget_text(r, r->json, "password", REQUIRED, 1, 1000, TEXT_SINGLE_LINE, &password))
		return 0;
	enum outcome o = account_erase(&r->ctx, raw_password(r), r->remote_addr, &locked_for);
	if (o == E_TOO_MANY_ATTEMPTS)
		return reply_locked(r, locked_for);
	if (o == E_INVALID_CREDENTIALS)
		return reply_outcome_msg(r, o, "password", "The password is wrong");
	if (o != OK)
		return reply_outcome(r, o, NULL);
	return reply_empty(r, 204);
}
