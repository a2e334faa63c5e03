/* api_accounts.c: POST /api/auth/register, POST /api/auth/login, GET /api/me. */
#include <string.h>

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

/* The password exactly as sent (jget_text trims): spaces count. */
static const char *raw_password(struct req *r)
{
	return json_object_get_string(json_object_object_get(r->json, "password"));
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
	if (!account_password_ok(raw_password(r)))
		return reply_error(r, 400, "VALIDATION_ERROR", "password", "password must be 8 to 128 characters long");
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
	if (o == E_TOO_MANY_ATTEMPTS) {
		reply_outcome_msg(r, o, NULL, "Too many failed logins; try again in %d seconds", s.locked_for);
		/* after the error reply, which starts the headers afresh */
		reply_header(r, "Retry-After", "%d", s.locked_for);
		return 0;
	}
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
