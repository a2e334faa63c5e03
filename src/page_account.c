/* page_account.c: a staff member's own account on the admin pages: "Forgot
 * password?" (ask for a link, then choose a new password with it) and the
 * password change. The same domain functions as the API's. */
#include <string.h>

#include "accounts.h"
#include "admin.h"
#include "auth.h"
#include "conf.h"
#include "handlers.h"
#include "json.h"

#define PASSWORD_MIN_CHARS 8 /* accounts.c's, registration's */

/* The shortest password the form may take: the staff rule outside development. */
static int min_length(int staff)
{
	return staff && !cfg->development ? ADMIN_PASSWORD_MIN_CHARS : PASSWORD_MIN_CHARS;
}

/* The reset page in one of its modes: "ask" (the email form), "sent", "choose"
 * (the new password, with the token). */
static int reset_page(struct req *r, int status, const char *mode, const char *error, const char *email,
		      const char *token, int staff)
{
	struct json_object *ctx = admin_page_ctx(r, NULL, strcmp(mode, "choose") == 0 ? "Choose a new password" : "Forgot password?");

	json_object_object_add(ctx, mode, jbool(1));
	if (error)
		json_object_object_add(ctx, "error", jstr(error));
	if (email)
		json_object_object_add(ctx, "email", jstr(email));
	if (token)
		json_object_object_add(ctx, "token", jstr(token));
	json_object_object_add(ctx, "minLength", jint(min_length(staff)));
	json_object_object_add(ctx, "minutes", jint(RESET_VALID_MINUTES));
	return reply_html(r, status, "admin/password_reset", ctx);
}

static const char link_dead[] = "This link is invalid, used or expired. Ask for a new one below.";

/* GET /admin/password-reset: the email form; with ?token= (the emailed link)
 * the new-password form, when the token is live. */
int admin_reset_get(struct req *r)
{
	const char *token = query_get(r, "token");
	int staff;

	if (!token)
		return reset_page(r, 200, "ask", NULL, NULL, NULL, 1);
	enum outcome o = account_reset_check(&r->ctx, token, &staff);
	if (o == E_RESET_TOKEN_INVALID)
		return reset_page(r, 400, "ask", link_dead, NULL, NULL, 1);
	if (o != OK)
		return reply_outcome(r, o, NULL);
	return reset_page(r, 200, "choose", NULL, NULL, token, staff);
}

/* POST /admin/password-reset: the same page whether or not the email has an account. */
int admin_reset_post(struct req *r)
{
	const char *email = admin_form_text(r, r->body, "email", 0);
	char em[256];

	if (!email || normalize_email(email, em) != 0)
		return reset_page(r, 400, "ask", "Type the email address of your account.", email, NULL, 1);
	enum outcome o = account_reset_request(&r->ctx, em);
	if (o != OK)
		return reply_outcome(r, o, NULL);
	return reset_page(r, 200, "sent", NULL, NULL, NULL, 1);
}

/* The two typings of a new password, checked as registration checks one: NULL
 * when they pass, else the error to show. */
static const char *new_password_problem(const char *pw, const char *again)
{
	if (!pw || !account_password_ok(pw))
		return "The new password must be 8 to 128 characters long.";
	if (!again || strcmp(pw, again) != 0)
		return "The two typings of the new password differ.";
	return NULL;
}

static const char weak[] = "A staff password needs at least 12 characters and must not be a known default.";

/* POST /admin/password-reset/confirm: token, password, password2. */
int admin_reset_confirm_post(struct req *r)
{
	const char *token = form_get(r, r->body, "token");
	const char *pw = form_get(r, r->body, "password");
	const char *why = new_password_problem(pw, form_get(r, r->body, "password2"));

	if (!token || !*token)
		return reset_page(r, 400, "ask", link_dead, NULL, NULL, 1);
	if (why)
		return reset_page(r, 400, "choose", why, NULL, token, 1);
	enum outcome o = account_reset_confirm(&r->ctx, token, pw);
	switch (o) {
	case OK:
		return reply_redirect(r, "/admin/login?m=password_reset");
	case E_RESET_TOKEN_INVALID:
		return reset_page(r, 400, "ask", link_dead, NULL, NULL, 1);
	case E_PASSWORD_TOO_WEAK:
		return reset_page(r, 400, "choose", weak, NULL, token, 1);
	case E_TRY_AGAIN:
		return admin_message_page(r, 503, "Busy", "The server is busy; go back and try again.");
	default:
		return reply_outcome(r, o, NULL);
	}
}

static int account_page(struct req *r, int status, const char *error)
{
	struct json_object *ctx = admin_page_ctx(r, "account", "Your account");

	if (error)
		json_object_object_add(ctx, "error", jstr(error));
	json_object_object_add(ctx, "minLength", jint(min_length(1)));
	return reply_html(r, status, "admin/account", ctx);
}

int admin_account_get(struct req *r)
{
	return account_page(r, 200, NULL);
}

/* POST /admin/account/password: current, password, password2. The wrong
 * current password counts for the sign-in back-off, as the API's does. */
int admin_account_password_post(struct req *r)
{
	const char *current = form_get(r, r->body, "current");
	const char *pw = form_get(r, r->body, "password");
	const char *why = new_password_problem(pw, form_get(r, r->body, "password2"));
	struct account_session s;

	if (why)
		return account_page(r, 400, why);
	enum outcome o = account_change_password(&r->ctx, current && strlen(current) <= 1000 ? current : "", pw,
						 r->remote_addr, &s);
	switch (o) {
	case OK:
		admin_session_cookie(r, s.token);
		return reply_redirect(r, "/admin/account?m=password_changed");
	case E_INVALID_CREDENTIALS:
		return account_page(r, 401, "The current password is wrong.");
	case E_TOO_MANY_ATTEMPTS:
		reply_header(r, "Retry-After", "%d", s.locked_for);
		return account_page(r, 429, "Too many failed attempts; wait a few minutes and try again.");
	case E_PASSWORD_TOO_WEAK:
		return account_page(r, 400, weak);
	case E_TRY_AGAIN:
		return admin_message_page(r, 503, "Busy", "The server is busy; go back and try again.");
	case E_TOKEN_FAILED:
		return admin_message_page(r, 500, "Error", "The password is changed, but a new session could not be opened: sign in again.");
	default:
		return reply_outcome(r, o, NULL);
	}
}
