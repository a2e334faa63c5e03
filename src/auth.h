/* auth.h: passwords (Argon2id), JWT (HS256, claims checked here only), CSRF. */
#ifndef APP_AUTH_H
#define APP_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ctx.h"

struct arena;

#define PASSWORD_HASH_MAX 128

/* Argon2id with libsodium's interactive limits. 0 or -1 (out of memory). */
int auth_hash_password(const char *pw, char out[PASSWORD_HASH_MAX]);
/* 0 when pw matches hash. A NULL hash still costs one verify (no timing oracle). */
int auth_check_password(const char *hash, const char *pw);
/* 1 when hash was made with other limits than today's. */
int auth_needs_rehash(const char *hash);

/* Issues an HS256 token {iss, sub, role, iat, exp}; caller frees. NULL on error. */
char *auth_issue_token(const char *user_id, const char *role, time_t now);
/* Verifies alg == HS256, signature, iss, iat and exp. Copies sub (a UUID) into
 * sub_out and iat into *iat_out (may be NULL). 0 when valid, -1 otherwise. */
int auth_verify_token(const char *token, time_t now, char sub_out[37], long *iat_out);

/* Resolves c->who from a bearer token or the admin cookie: 0 when a
 * live user was found whose tokens were not revoked after this one was issued,
 * -1 when none or invalid, -2 on a database failure. */
int auth_load_principal(struct ctx *c, const char *token);

/* Password reset tokens (accounts.h has the requests): RESET_TOKEN_BYTES
 * random bytes as URL-safe base64, made when the reset's email is sent, valid
 * RESET_VALID_MINUTES from then; only their SHA-256 (auth_sha256_hex) is kept.
 * A request whose email could not go within RESET_SEND_WITHIN_HOURS is dropped. */
#define RESET_TOKEN_BYTES 32
#define RESET_VALID_MINUTES 30
#define RESET_SEND_WITHIN_HOURS 24
struct reset_link {
	const char *token; /* arena */
	const char *name;  /* the account's name, for the greeting (arena) */
	int staff;	   /* 1: a staff account (the link goes to the admin pages) */
};
/* Makes the token of the live reset request reset_id and keeps its hash
 * (password_resets.token_hash, expiring RESET_VALID_MINUTES from now; a retried
 * email gets a new one: the one before was never known to have arrived). 1
 * with *out; 0 when the request was voided, used, is older than
 * RESET_SEND_WITHIN_HOURS or its account is gone; -1 on a DB error. One statement. */
int auth_reset_issue(struct ctx *c, const char *reset_id, struct reset_link *out);

/* Signing out: every token of the user issued up to now stops working. 0 or -1. */
int auth_revoke_tokens(struct ctx *c, const char *user_id);

/* Constant-time comparison of two strings (lengths compared first). */
int auth_secure_equal(const char *a, const char *b);
/* HMAC-SHA256 of msg with key, as lowercase hex (65 bytes with NUL). */
void auth_hmac_sha256_hex(const char *key, size_t keylen, const void *msg, size_t len, char out[65]);
/* 1 when hex_sig (any case) is the hex HMAC-SHA256 of msg under key. */
int auth_hmac_verify(const char *key, const void *msg, size_t len, const char *hex_sig);
/* SHA-256 of the string s as lowercase hex (65 bytes with NUL): how a reset
 * token is kept (a random token needs no salt or stretching). */
void auth_sha256_hex(const char *s, char out[65]);
/* n random bytes as URL-safe base64 into the arena. */
char *auth_random_token(struct arena *a, size_t n);

#endif
