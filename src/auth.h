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

/* Signing out: every token of the user issued up to now stops working. 0 or -1. */
int auth_revoke_tokens(struct ctx *c, const char *user_id);

/* Constant-time comparison of two strings (lengths compared first). */
int auth_secure_equal(const char *a, const char *b);
/* HMAC-SHA256 of msg with key, as lowercase hex (65 bytes with NUL). */
void auth_hmac_sha256_hex(const char *key, size_t keylen, const void *msg, size_t len, char out[65]);
/* 1 when hex_sig (any case) is the hex HMAC-SHA256 of msg under key. */
int auth_hmac_verify(const char *key, const void *msg, size_t len, const char *hex_sig);
/* n random bytes as URL-safe base64 into the arena. */
char *auth_random_token(struct arena *a, size_t n);

#endif
