/* admin.h: helpers shared by the admin HTML pages: layout context, CSRF, flash, forms, dates. */
#ifndef APP_ADMIN_H
#define APP_ADMIN_H

#include <json-c/json.h>

#include "http.h"

/* The per-login CSRF nonce cookie and the session cookie. */
#define ADMIN_COOKIE "lafete_admin"
#define CSRF_COOKIE "lafete_csrf"

/* The context every admin page starts from: title, the signed-in user, the
 * CSRF token for its forms, nav (the current section marked) and the flash
 * message named by ?m= (a whitelisted code; raw query text is never shown).
 * Sets the CSRF nonce cookie when the browser has none. */
struct json_object *admin_page_ctx(struct req *r, const char *section, const char *title);

/* 1 when the form's csrf field matches the token for this browser (the nonce
 * cookie) and user (r->who, or the login form when anonymous); 0 otherwise.
 * Every POST under /admin/ calls it first. */
int admin_csrf_ok(struct req *r, const char *form_body);
/* The same check for a token taken from elsewhere (a multipart part). */
int admin_csrf_token_ok(struct req *r, const char *sent);
/* Answers 403 with the "form expired" page. Returns 0. */
int admin_csrf_fail(struct req *r);

/* Sets the session cookie to a fresh token of the signed-in admin (after a
 * password change revoked the one it held). */
void admin_session_cookie(struct req *r, const char *token);

/* Answers a small admin page with a status and a message (404, 400...). */
int admin_message_page(struct req *r, int status, const char *title, const char *message);
/* The 404 page for a missing order, product or job (by the route's outcome). */
int admin_not_found_page(struct req *r, enum outcome missing);

/* A form field that is valid UTF-8 without control characters (newlines too
 * when multiline), trimmed of surrounding spaces; NULL when absent or invalid. */
const char *admin_form_text(struct req *r, const char *body, const char *name, int multiline);

/* Strict YYYY-MM-DD (a real calendar day): 0, else -1. */
int admin_parse_date(const char *s);
/* Today + days in Asia/Kolkata as YYYY-MM-DD into out[11]. */
void admin_kolkata_date(int days, char out[11]);
/* The date of ?date=, or today in Kolkata when absent; NULL when invalid. */
const char *admin_date_param(struct req *r);

/* Parses JSON text built by PostgreSQL (json_build_object); NULL on junk. */
struct json_object *admin_json_text(const char *text);

#endif
