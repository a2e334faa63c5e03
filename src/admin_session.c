/* admin_session.c: admin sign-in and sign-out pages, and the helpers every admin page shares. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "accounts.h"
#include "admin.h"
#include "auth.h"
#include "conf.h"
#include "handlers.h"
#include "jsonutil.h"
#include "slots.h"
#include "timefmt.h"
#include "util.h"

#define NONCE_BYTES 24

static const struct flash {
	const char *code, *kind, *text;
} flashes[] = {
	{ "logged_out", "ok", "You are signed out." },
	{ "status_ok", "ok", "Status updated." },
	{ "status_same", "info", "The order already had that status." },
	{ "status_illegal", "error", "That status change is not allowed for this order now." },
	{ "status_bad", "error", "Unknown status." },
	{ "job_retried", "ok", "The job was queued again." },
	{ "job_missing", "error", "That job is not dead or failing any more." },
	{ "product_saved", "ok", "Product saved." },
	{ "product_created", "ok", "Product created." },
	{ "image_ok", "ok", "Image uploaded." },
	{ "book_ok", "ok", "Courier booked with Borzo." },
	{ "book_not_paid", "error", "The order is not paid yet: no courier can be booked." },
	{ "book_already", "info", "A courier is already booked (or being booked) for this order." },
	{ "book_not_bookable", "error", "The order is delivered or cancelled." },
	{ "book_rejected", "error", "Borzo refused the booking: see the booking error below, correct it and book again." },
	{ "book_unavailable", "error", "Borzo is unavailable: the booking will be retried automatically." },
	{ "image_bad", "error", "Choose a JPEG, PNG or WebP image of at most 5 MiB." },
	{ "image_too_many", "error", "This product already has the most images allowed." },
	{ "image_storage", "error", "The image store is unavailable; try again in a minute." },
	{ "bad_date", "error", "That date is not valid; showing today." },
	{ "password_reset", "ok", "Your password is changed. Sign in with the new one." },
	{ "password_changed", "ok", "Password changed. Your other sessions are signed out." },
};

/* ---- small helpers ---- */

static int nonce_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 16 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", s[i]))
			return 0;
	return 1;
}

static void set_cookie(struct req *r, const char *name, const char *value, int max_age)
{
	reply_header(r, "Set-Cookie", "%s=%s; HttpOnly; Secure; SameSite=Strict; Path=/admin; Max-Age=%d",
		     name, value, max_age);
}

/* A fresh nonce, sent to the browser in the CSRF cookie. */
static const char *new_nonce(struct req *r)
{
	const char *n = auth_random_token(r->a, NONCE_BYTES);
	set_cookie(r, CSRF_COOKIE, n, cfg->jwt_ttl_seconds);
	return n;
}

static const char *csrf_for(struct req *r, const char *nonce)
{
	const char *who = r->ctx.who.user_id[0] ? r->ctx.who.user_id : "login";
	const char *msg = arena_printf(r->a, "csrf:%s:%s", who, nonce);
	char *hex = arena_alloc(r->a, 65);
	auth_hmac_sha256_hex(cfg->jwt_secret, strlen(cfg->jwt_secret), msg, strlen(msg), hex);
	return hex;
}

static struct json_object *flash_json(struct req *r)
{
	const char *m = query_get(r, "m");
	for (size_t i = 0; m && i < sizeof flashes / sizeof flashes[0]; i++) {
		if (strcmp(m, flashes[i].code) != 0)
			continue;
		struct json_object *f = json_object_new_object();
		json_object_object_add(f, "kind", jstr(flashes[i].kind));
		json_object_object_add(f, "text", jstr(flashes[i].text));
		return f;
	}
	return NULL;
}

struct json_object *admin_page_ctx(struct req *r, const char *section, const char *title)
{
	struct json_object *ctx = json_object_new_object();
	const char *nonce = cookie_get(r, CSRF_COOKIE);

	if (!nonce_ok(nonce))
		nonce = new_nonce(r);
	json_object_object_add(ctx, "title", jstr(title));
	json_object_object_add(ctx, "csrf", jstr(csrf_for(r, nonce)));
	if (r->ctx.who.user_id[0]) {
		struct json_object *u = json_object_new_object();
		json_object_object_add(u, "name", jstr(r->ctx.who.name));
		json_object_object_add(u, "email", jstr(r->ctx.who.email));
		json_object_object_add(ctx, "user", u);
	}
	if (section) {
		struct json_object *nav = json_object_new_object();
		json_object_object_add(nav, section, jbool(1));
		json_object_object_add(ctx, "nav", nav);
	}
	struct json_object *f = flash_json(r);
	if (f)
		json_object_object_add(ctx, "flash", f);
	return ctx;
}

int admin_csrf_token_ok(struct req *r, const char *sent)
{
	const char *nonce = cookie_get(r, CSRF_COOKIE);

	if (!nonce_ok(nonce) || !sent || !*sent)
		return 0;
	return auth_secure_equal(sent, csrf_for(r, nonce));
}

int admin_csrf_ok(struct req *r, const char *form_body)
{
	return admin_csrf_token_ok(r, form_get(r, form_body, "csrf"));
}

int admin_message_page(struct req *r, int status, const char *title, const char *message)
{
	struct json_object *ctx = admin_page_ctx(r, NULL, title);
	json_object_object_add(ctx, "message", jstr(message));
	return reply_html(r, status, "admin/message", ctx);
}

int admin_not_found_page(struct req *r, enum outcome missing)
{
	const char *what = missing == E_ORDER_NOT_FOUND ? "order"
		: missing == E_PRODUCT_NOT_FOUND	? "product"
		: missing == E_JOB_NOT_FOUND		? "job"
							: "page";
	return admin_message_page(r, 404, "Not found", arena_printf(r->a, "There is no such %s.", what));
}

int admin_csrf_fail(struct req *r)
{
	return admin_message_page(r, 403, "Form expired",
				  "This form has expired or did not come from this site. Go back, reload the page and try again.");
}

const char *admin_form_text(struct req *r, const char *body, const char *name, int multiline)
{
	const char *v = form_get(r, body, name);
	if (!v)
		return NULL;
	size_t n = strlen(v);
	if (utf8_length(v, n) < 0 || text_has_controls(v, n, multiline ? TEXT_MULTI_LINE : TEXT_SINGLE_LINE))
		return NULL;
	while (*v == ' ')
		v++;
	n = strlen(v);
	while (n > 0 && v[n - 1] == ' ')
		n--;
	return arena_strndup(r->a, v, n);
}

int admin_parse_date(const char *s)
{
	int y, m, d;
	return s && strlen(s) == 10 && timefmt_ymd(s, &y, &m, &d) == 0 && y >= 2000 && y <= 2200 ? 0 : -1;
}

void admin_kolkata_date(int days, char out[11])
{
	slot_kolkata_date(time(NULL), days, out); /* pure, unit-tested at midnight (t/unit/test_slots.c) */
}

const char *admin_date_param(struct req *r)
{
	const char *d = query_get(r, "date");
	if (d && *d)
		return admin_parse_date(d) == 0 ? d : NULL;
	char *today = arena_alloc(r->a, 11);
	admin_kolkata_date(0, today);
	return today;
}

struct json_object *admin_json_text(const char *text)
{
	if (!text)
		return NULL;
	return json_tokener_parse(text);
}

/* ---- sign in / sign out ---- */

/* Only a local admin path: "/admin/..." of plain characters, no "//" or "\". */
static const char *safe_next(const char *next)
{
	if (!next || strncmp(next, "/admin/", 7) != 0 || strstr(next, "//") || strstr(next, "/.."))
		return NULL;
	for (const char *p = next; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-_.=&?", *p))
			return NULL;
	return strlen(next) < 300 ? next : NULL;
}

static int login_page(struct req *r, int status, const char *error, const char *email, const char *next)
{
	struct json_object *ctx = admin_page_ctx(r, NULL, "Sign in");
	if (error)
		json_object_object_add(ctx, "error", jstr(error));
	if (email)
		json_object_object_add(ctx, "email", jstr(email));
	if (safe_next(next))
		json_object_object_add(ctx, "next", jstr(next));
	return reply_html(r, status, "admin/login", ctx);
}

int admin_login_get(struct req *r)
{
	return login_page(r, 200, NULL, NULL, query_get(r, "next"));
}

void admin_session_cookie(struct req *r, const char *token)
{
	set_cookie(r, ADMIN_COOKIE, token, cfg->jwt_ttl_seconds);
}

/* Signs the admin in: session cookie, a fresh CSRF nonce, 303 onwards. */
static int start_session(struct req *r, const char *token, const char *next)
{
	admin_session_cookie(r, token);
	new_nonce(r);
	return reply_redirect(r, safe_next(next) ? next : "/admin/orders");
}

int admin_login_post(struct req *r)
{
	const char *email = admin_form_text(r, r->body, "email", 0);
	const char *pw = form_get(r, r->body, "password");
	const char *next = form_get(r, r->body, "next");
	int pw_ok = pw && *pw && strlen(pw) <= 1000;
	struct account_session s;

	/* a missing or oversized password matches nobody, yet costs a verify */
	enum outcome o = account_login(&r->ctx, pw_ok ? email : NULL, pw_ok ? pw : "", r->remote_addr, &s);
	if (o == E_TOO_MANY_ATTEMPTS) {
		reply_header(r, "Retry-After", "%d", s.locked_for);
		return login_page(r, 429, "Too many failed attempts; wait a few minutes and try again.", email, next);
	}
	if (o == E_INVALID_CREDENTIALS)
		return login_page(r, 401, "Wrong email or password.", email, next);
	if (o == E_TOKEN_FAILED)
		return admin_message_page(r, 500, "Error", "Could not sign you in; try again.");
	if (o != OK)
		return reply_outcome(r, o, NULL);
	if (strcmp(s.role, "ADMIN") != 0)
		return admin_message_page(r, 403, "Staff only",
					  "This account is a customer account. The admin pages are for the shop's staff.");
	return start_session(r, s.token, next);
}

int admin_logout_post(struct req *r)
{
	/* the cookie goes, and so does the token in it, wherever else it was copied */
	if (auth_revoke_tokens(&r->ctx, r->ctx.who.user_id) != 0)
		return reply_db_error(r);
	set_cookie(r, ADMIN_COOKIE, "", 0);
	set_cookie(r, CSRF_COOKIE, "", 0);
	return reply_redirect(r, "/admin/login?m=logged_out");
}
