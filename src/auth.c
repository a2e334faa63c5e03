/* auth.c: Argon2id passwords, HS256 JWTs and HMAC signatures, in one place. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "auth.h"
#include "conf.h"
#include "db.h"
#include "shared.h"
#include "util.h"

#define JWT_ISSUER "lafete365"
#define CLOCK_SKEW 30

int auth_hash_password(const char *pw, char out[PASSWORD_HASH_MAX])
{
	return crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
				 crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

int auth_check_password(const char *hash, const char *pw)
{
	static char dummy[PASSWORD_HASH_MAX];

	if (!hash) {
		/* an unknown account costs the same as a wrong password */
		if (!dummy[0] && auth_hash_password("not-a-real-password", dummy) != 0)
			return -1;
		int spent = crypto_pwhash_str_verify(dummy, pw, strlen(pw));
		(void)spent; /* only the time it took matters */
		return -1;
	}
	return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0 ? 0 : -1;
}

int auth_needs_rehash(const char *hash)
{
	return crypto_pwhash_str_needs_rehash(hash, crypto_pwhash_OPSLIMIT_INTERACTIVE,
					      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0;
}

char *auth_issue_token(const char *user_id, const char *role, time_t now)
{
	jwt_t *j = NULL;
	char *tok = NULL;
	const unsigned char *key = (const unsigned char *)cfg->jwt_secret;

	if (jwt_new(&j) != 0)
		return NULL;
	if (jwt_add_grant(j, "iss", JWT_ISSUER) == 0 && jwt_add_grant(j, "sub", user_id) == 0 &&
	    jwt_add_grant(j, "role", role) == 0 && jwt_add_grant_int(j, "iat", now) == 0 &&
	    jwt_add_grant_int(j, "exp", now + cfg->jwt_ttl_seconds) == 0 &&
	    jwt_set_alg(j, JWT_ALG_HS256, key, (int)strlen(cfg->jwt_secret)) == 0)
		tok = jwt_encode_str(j);
	jwt_free(j);
	return tok;
}

int auth_verify_token(const char *token, time_t now, char sub_out[37], long *iat_out)
{
	jwt_t *j = NULL;
	size_t keylen = strlen(cfg->jwt_secret);
	const char *s;
	long exp, iat;

	/* libjwt 1.10 accepts anything with an empty key: never decode without one */
	if (keylen < 32 || !token || strlen(token) > 4096)
		return -1;
	if (jwt_decode(&j, token, (const unsigned char *)cfg->jwt_secret, (int)keylen) != 0)
		return -1;
	/* the alg comes from the token's header: pin it */
	if (jwt_get_alg(j) != JWT_ALG_HS256)
		goto bad;
	errno = 0;
	exp = jwt_get_grant_int(j, "exp");
	if (errno || exp <= 0 || now >= exp)
		goto bad;
	errno = 0;
	iat = jwt_get_grant_int(j, "iat");
	if (errno || iat <= 0 || iat > now + CLOCK_SKEW || iat > exp)
		goto bad;
	if (!(s = jwt_get_grant(j, "iss")) || strcmp(s, JWT_ISSUER) != 0)
		goto bad;
	if (!(s = jwt_get_grant(j, "sub")) || !is_uuid(s))
		goto bad;
	memcpy(sub_out, s, 37);
	if (iat_out)
		*iat_out = iat;
	jwt_free(j);
	return 0;
bad:
	jwt_free(j);
	return -1;
}

/* Principals this worker has read, each valid while the users' generation has
 * not moved since (shared.h: bumped after any change of role, name, email,
 * deletion or revocation, here or on another host). Direct-mapped by id. */
#define PRINCIPAL_CACHE 256

struct known_principal {
	uint64_t gen; /* 0: empty */
	struct principal who;
	long long valid_after; /* tokens issued earlier are refused; LLONG_MIN: none */
};

static struct known_principal known[PRINCIPAL_CACHE];

static struct known_principal *known_slot(const char *id)
{
	unsigned h = 2166136261u;
	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return &known[h % PRINCIPAL_CACHE];
}

/* Reads the user's principal into k, stamped with gen. 1 found, 0 not (or
 * deleted), -1 on a DB error. */
static int read_principal(struct ctx *c, const char *sub, uint64_t gen, struct known_principal *k)
{
	PGresult *res = db_query(c,
				 "SELECT id, role, name, email, floor(extract(epoch FROM tokens_valid_after))::bigint AS valid_after "
				 "FROM users WHERE id = $1 AND deleted_at IS NULL",
				 sub);
	if (!res)
		return -1;
	if (PQntuples(res) != 1)
		return 0;
	memset(k, 0, sizeof *k);
	snprintf(k->who.user_id, sizeof k->who.user_id, "%s", db_val(res, 0, "id"));
	snprintf(k->who.name, sizeof k->who.name, "%s", db_val(res, 0, "name"));
	snprintf(k->who.email, sizeof k->who.email, "%s", db_val(res, 0, "email"));
	k->who.role = strcmp(db_val(res, 0, "role"), "ADMIN") == 0 ? ROLE_ADMIN : ROLE_CUSTOMER;
	const char *va = db_val(res, 0, "valid_after");
	k->valid_after = va ? atoll(va) : LLONG_MIN;
	k->gen = gen;
	return 1;
}

int auth_load_principal(struct ctx *c, const char *token)
{
	char sub[37];
	long iat;

	memset(&c->who, 0, sizeof c->who);
	if (auth_verify_token(token, time(NULL), sub, &iat) != 0)
		return -1;
	/* the role comes from the database (or a copy no change has touched since):
	 * a demoted or deleted user loses access at once, and a token issued
	 * before the user signed out is refused */
	uint64_t gen = shared_gen(TOPIC_USERS); /* before the read: see shared.h */
	struct known_principal *k = known_slot(sub), fresh;
	if (gen == 0 || k->gen != gen || strcmp(k->who.user_id, sub) != 0) {
		int rc = read_principal(c, sub, gen, &fresh);
		if (rc <= 0)
			return rc < 0 ? -2 : -1;
		*k = fresh;
	}
	if ((long long)iat < k->valid_after)
		return -1;
	c->who = k->who;
	return 0;
}

int auth_reset_issue(struct ctx *c, const char *reset_id, struct reset_link *out)
{
	char hash[65], mins[12], hours[12];
	const char *token = auth_random_token(c->a, RESET_TOKEN_BYTES);

	memset(out, 0, sizeof *out);
	auth_sha256_hex(token, hash);
	snprintf(mins, sizeof mins, "%d", RESET_VALID_MINUTES);
	snprintf(hours, sizeof hours, "%d", RESET_SEND_WITHIN_HOURS);
	PGresult *res = db_query(c,
				 "UPDATE password_resets r SET token_hash = $2, expires_at = now() + make_interval(mins => $3::int) "
				 "FROM users u WHERE r.id = $1 AND u.id = r.user_id AND r.used_at IS NULL AND r.voided_at IS NULL "
				 "AND u.deleted_at IS NULL AND r.created_at > now() - make_interval(hours => $4::int) "
				 "RETURNING u.name, u.role",
				 reset_id, hash, mins, hours);
	if (!res)
		return -1;
	if (PQntuples(res) != 1)
		return 0;
	out->token = token;
	out->name = arena_strdup(c->a, db_val(res, 0, "name"));
	out->staff = strcmp(db_val(res, 0, "role"), "ADMIN") == 0;
	return 1;
}

int auth_revoke_tokens(struct ctx *c, const char *user_id)
{
	/* iat has whole seconds: a token issued in this very second still passes, so
	 * that signing in again right away works */
	return db_query(c, "UPDATE users SET tokens_valid_after = now() WHERE id = $1",
			user_id)
		? 0
		: -1;
}

int auth_secure_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return 0;
	return CRYPTO_memcmp(a, b, la) == 0;
}

void auth_hmac_sha256_hex(const char *key, size_t keylen, const void *msg, size_t len, char out[65])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	HMAC(EVP_sha256(), key, (int)keylen, msg, len, mac, &maclen);
	for (unsigned i = 0; i < maclen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	out[64] = '\0';
}

int auth_hmac_verify(const char *key, const void *msg, size_t len, const char *hex_sig)
{
	char want[65], got[65];

	if (!key || !*key || !hex_sig || strlen(hex_sig) != 64)
		return 0;
	for (int i = 0; i < 64; i++)
		got[i] = (char)tolower((unsigned char)hex_sig[i]);
	got[64] = '\0';
	auth_hmac_sha256_hex(key, strlen(key), msg, len, want);
	return CRYPTO_memcmp(want, got, 64) == 0;
}

void auth_sha256_hex(const char *s, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)s, strlen(s), md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

char *auth_random_token(struct arena *a, size_t n)
{
	unsigned char raw[64];
	size_t b64len = sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = arena_alloc(a, b64len);

	if (n > sizeof raw)
		n = sizeof raw;
	randombytes_buf(raw, n);
	sodium_bin2base64(out, b64len, raw, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return out;
}
