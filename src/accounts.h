/* accounts.h: customer and staff accounts: registration, sign-in with its
 * back-off, the signed-in user, password reset and change, the profile, and the
 * normalisations other modules share. (Export and erasure: account_data.h.) */
#ifndef APP_ACCOUNTS_H
#define APP_ACCOUNTS_H

#include <json-c/json.h>

#include "ctx.h"
#include "outcome.h"

/* Trimmed input in; lower-cased address out. 0, or -1 when not an address. */
int normalize_email(const char *in, char out[256]);
/* Any common way of writing an Indian mobile in; "+91XXXXXXXXXX" out. 0 or -1. */
int normalize_phone(const char *in, char out[16]);
/* 1 when a password as typed (spaces count) is 8 to 128 characters long. */
int account_password_ok(const char *password);

/* The failed-login back-off, one rule for the API and the admin form, counted
 * per (email, client address): see account_login. The first
 * LOGIN_FREE_FAILURES - 1 consecutive failures cost nothing; the one that
 * reaches LOGIN_FREE_FAILURES locks that client for LOGIN_FIRST_LOCK_SECONDS,
 * each later one doubles it, up to LOGIN_MAX_LOCK_SECONDS. A success resets
 * the count; attempts while locked are not counted. */
#define LOGIN_FREE_FAILURES 5
#define LOGIN_FIRST_LOCK_SECONDS 30
#define LOGIN_MAX_LOCK_SECONDS 900
/* The stored count stops here (the schedule is long flat by then), so no
 * number of failures overflows it. */
#define LOGIN_COUNT_CAP 1000
/* Seconds locked after the failures-th consecutive failure (0: not locked);
 * LOGIN_MAX_LOCK_SECONDS for any count from the cap's schedule on. */
int login_lock_seconds(int failures);
/* The throttle per email, whatever the client: past LOGIN_EMAIL_BUDGET failures
 * in a window of LOGIN_EMAIL_WINDOW_SECONDS (a guess spread over many
 * addresses: one address alone makes at most 12 in an hour), only clients that
 * signed in as that email within LOGIN_KNOWN_DAYS are let in until it ends. */
#define LOGIN_EMAIL_BUDGET 50
#define LOGIN_EMAIL_WINDOW_SECONDS 3600
#define LOGIN_KNOWN_DAYS 90
/* The key a client address is counted under: the IPv4 address (an IPv4-mapped
 * IPv6 one too), or the /64 of an IPv6 address (one host's usual share);
 * "unknown" when addr is NULL or no address. */
#define LOGIN_CLIENT_MAX 64
void login_client_key(const char *addr, char out[LOGIN_CLIENT_MAX]);

/* A signed-in account, as register and login answer it. */
struct account_session {
	const char *user_id;	  /* arena */
	const char *role;	  /* "CUSTOMER" or "ADMIN" (arena) */
	const char *token;	  /* a fresh bearer token (arena) */
	struct json_object *user; /* {id, email, name, phone, role, createdAt}:
					 * arena-owned (json_object_get to hand it on) */
	int locked_for;		  /* with E_TOO_MANY_ATTEMPTS: seconds left */
};

/* A new customer account. email and phone as normalize_email/_phone made
 * them, password as typed and account_password_ok, name validated text.
 * OK with *out (token issued); E_EMAIL_TAKEN, E_TRY_AGAIN (hashing out of
 * memory), E_TOKEN_FAILED, E_DB. One statement: no transaction needed. */
enum outcome account_register(struct ctx *c, const char *email, const char *phone, const char *name,
			      const char *password, struct account_session *out);

/* Signs in with an email as typed (NULL or malformed: matches nobody), a
 * password and the client's address (REMOTE_ADDR; NULL: "unknown"). Every
 * attempt costs one Argon2id verify, whatever follows. A client locked for
 * this email, or any client the email has not seen sign in while the email's
 * throttle holds, answers E_TOO_MANY_ATTEMPTS (out->locked_for), right
 * password or not, and is not counted. Otherwise an unknown email and a wrong
 * password answer E_INVALID_CREDENTIALS alike and count a failure for this
 * client and for the email; a known email's own address and an unknown one's
 * are throttled the same way (nothing tells them apart). A success resets this
 * client's count, marks it known, upgrades an old hash and issues a token: OK
 * with *out; else E_TOKEN_FAILED or E_DB. Each statement stands alone. */
enum outcome account_login(struct ctx *c, const char *email, const char *password, const char *client_addr,
			   struct account_session *out);

/* Lifts every lock on an email as typed: each client's count and lock, and
 * the email's throttle (clients stay known). *clients: clients unlocked,
 * *throttled: 1 when the throttle held. OK, E_INVALID_INPUT (not an email), E_DB. */
enum outcome account_unlock(struct ctx *c, const char *email, int *clients, int *throttled);

/* The acting user (c->who) as {id, email, name, phone, role, createdAt},
 * arena-owned. OK, E_ACCOUNT_GONE when the row is missing, or E_DB. */
enum outcome account_current(struct ctx *c, struct json_object **user);

/* The acting user's password, typed again (to change it, to delete the
 * account), checked under the sign-in back-off exactly as a sign-in from
 * client_addr as the account's email: OK; E_INVALID_CREDENTIALS (counted),
 * E_TOO_MANY_ATTEMPTS (*locked_for), E_ACCOUNT_GONE, E_DB. */
enum outcome account_reauth(struct ctx *c, const char *password, const char *client_addr, int *locked_for);

/* Changes the acting user's name and/or phone (NULL: unchanged; validated as
 * registration validates them). OK with the user as account_current answers
 * it; E_ACCOUNT_GONE, E_DB. */
enum outcome account_update_profile(struct ctx *c, const char *name, const char *phone, struct json_object **user);

/* Changes the acting user's password: new_password as typed and
 * account_password_ok; a staff account's outside development mode also as
 * ADMIN_PASSWORD (E_PASSWORD_TOO_WEAK, checked first: it costs no attempt).
 * current is checked by account_reauth (its outcomes). Then, in one statement,
 * the new hash, every token issued up to now revoked and the open reset links
 * voided; a fresh token is issued: OK with *out. E_TRY_AGAIN, E_TOKEN_FAILED, E_DB. */
enum outcome account_change_password(struct ctx *c, const char *current, const char *new_password,
				     const char *client_addr, struct account_session *out);

/* Password reset. A request answers the same whether or not the email has an
 * account; for an account it voids the account's older requests and writes a
 * new one with its email in the outbox. The token is made when that email is
 * sent (auth_reset_issue, called by the send_email job: RESET_TOKEN_BYTES
 * random bytes of which only the SHA-256 is kept, valid RESET_VALID_MINUTES). */
/* Requests per email (known account or not) in a window; past it nothing is sent. */
#define RESET_BUDGET 5
#define RESET_WINDOW_SECONDS 3600

/* email as normalize_email made it. In one transaction: the request counted
 * for the email; when an account has it (not deleted) and the count is within
 * RESET_BUDGET, its live requests voided, a new one written and its email
 * queued (mail_queue_reset). The same statements run for an unknown email:
 * OK either way, or E_DB. */
enum outcome account_reset_request(struct ctx *c, const char *email);

/* OK (and *staff) when token is a live reset token: its shape, its hash known,
 * not used, voided or expired, the account not deleted; else
 * E_RESET_TOKEN_INVALID, or E_DB. Reads only. */
enum outcome account_reset_check(struct ctx *c, const char *token, int *staff);

/* Sets the password of the token's account (password as typed and
 * account_password_ok; the staff rule as account_change_password), spends the
 * token, voids the account's other requests and revokes every token issued
 * before, in one statement (a token is spent once, even by two confirms at
 * the same moment). OK, E_RESET_TOKEN_INVALID, E_PASSWORD_TOO_WEAK,
 * E_TRY_AGAIN, E_DB. */
enum outcome account_reset_confirm(struct ctx *c, const char *token, const char *password);

#endif
