/* fuzz_jwt.c: bearer tokens and admin cookies as auth_verify_token (auth.c)
 * checks them. No database: the principal's lookup comes after this check.
 *
 * Two kinds of input:
 * - a token as sent (anything not starting with '{'). The only tokens signed
 *   with the key are the few this target issued with auth_issue_token at
 *   start (the seeds hold them): any other string that verifies is a forgery,
 *   and the target aborts.
 * - "{header JSON}\n{payload JSON}": the target signs both with the real key,
 *   so the claim checks run on any claims. A token that verifies must have
 *   alg HS256 (in any case, as libjwt reads it), iss lafete365, a UUID sub, an integer exp after now and an
 *   integer iat in (0, now + 30 s] not after exp, as read independently here
 *   with json-c (libjwt reads them with jansson); sub and iat come back as
 *   read. */
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <strings.h>

#include "auth.h"
#include "conf.h"
#include "fuzz.h"
#include "util.h"

#define NOW 1800000000L /* 2027-01-15: a fixed clock, so the seeds stay valid */
#define SECRET "fuzz-jwt-secret-0123456789abcdefghijklmnop"

static struct conf conf = { .jwt_secret = SECRET, .jwt_ttl_seconds = 86400 };
static const char *const subs[] = { "0b6c1c9e-2f4d-4a8e-9c1a-5d2e7f3b4a10", "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a" };
static char *issued[4]; /* the genuine tokens */
static size_t nissued;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_keep_stderr();
	cfg = &conf;
	issued[nissued++] = auth_issue_token(subs[0], "CUSTOMER", NOW - 100);
	issued[nissued++] = auth_issue_token(subs[1], "ADMIN", NOW - 10);
	issued[nissued++] = auth_issue_token(subs[0], "ADMIN", NOW);
	for (size_t i = 0; i < nissued; i++)
		FUZZ_ASSERT(issued[i], "auth_issue_token failed");
	/* FUZZ_PRINT_TOKENS=1: print them, e.g. to refresh the seeds */
	if (getenv("FUZZ_PRINT_TOKENS"))
		for (size_t i = 0; i < nissued; i++)
			printf("%s\n", issued[i]);
	return 0;
}

/* A token as sent: it verifies only when it is one we issued, byte for byte. */
static void check_token(const char *token)
{
	char sub[37];
	long iat = 0;

	if (auth_verify_token(token, NOW, sub, &iat) != 0)
		return;
	for (size_t i = 0; i < nissued; i++)
		if (strcmp(token, issued[i]) == 0) {
			FUZZ_ASSERT(is_uuid(sub) && iat > 0 && iat <= NOW, "a genuine token read wrong");
			return;
		}
	fuzz_fail("a token not signed by us verified (sub %s): %.300s", sub, token);
}

static char *b64url(const void *p, size_t n)
{
	size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *s = malloc(cap);

	if (!s)
		abort();
	sodium_bin2base64(s, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return s;
}

/* header.payload signed with our key (HS256), as a token. */
static char *sign(const char *header, size_t hlen, const char *payload, size_t plen)
{
	char *h = b64url(header, hlen), *p = b64url(payload, plen);
	size_t mlen = strlen(h) + 1 + strlen(p);
	char *msg = malloc(mlen + 1);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;

	if (!msg)
		abort();
	snprintf(msg, mlen + 1, "%s.%s", h, p);
	HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)msg, mlen, mac, &maclen);
	char *sig = b64url(mac, maclen);
	size_t tlen = mlen + 1 + strlen(sig) + 1;
	char *token = malloc(tlen);
	if (!token)
		abort();
	snprintf(token, tlen, "%s.%s", msg, sig);
	free(h);
	free(p);
	free(msg);
	free(sig);
	return token;
}

static struct json_object *parse(const char *s, size_t n)
{
	struct json_tokener *tok = json_tokener_new_ex(64);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	struct json_object *o = json_tokener_parse_ex(tok, s, (int)n);
	if (o && (json_tokener_get_error(tok) != json_tokener_success || json_tokener_get_parse_end(tok) != n || !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static const char *str_claim(struct json_object *o, const char *k)
{
	struct json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ? json_object_get_string(v)
											       : NULL;
}

/* 1 and the value when claim k is an integer. */
static int int_claim(struct json_object *o, const char *k, int64_t *out)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	*out = json_object_get_int64(v);
	return 1;
}

/* Claims signed with our key: what verifies must carry valid claims. */
static void check_claims(const char *in, size_t size)
{
	const char *nl = memchr(in, '\n', size);
	if (!nl)
		return;
	size_t hlen = (size_t)(nl - in), plen = size - hlen - 1;
	char *token = sign(in, hlen, nl + 1, plen);
	char sub[37];
	long iat = 0;
	int ok = auth_verify_token(token, NOW, sub, &iat) == 0;
	free(token);
	if (!ok)
		return;
	/* a reading json-c cannot make (a parser difference) is no verdict */
	struct json_object *h = parse(in, hlen), *p = parse(nl + 1, plen);
	if (h && p) {
		const char *alg = str_claim(h, "alg"), *iss = str_claim(p, "iss"), *s = str_claim(p, "sub");
		int64_t exp, i;
		/* libjwt reads alg without regard to case ("hs256" is HS256): the
		 * signature is still our HMAC-SHA256, so that is no way in */
		FUZZ_ASSERT(alg && strcasecmp(alg, "HS256") == 0, "a token with alg %s verified", alg ? alg : "(none)");
		FUZZ_ASSERT(iss && strcmp(iss, "lafete365") == 0, "a token with iss %s verified", iss ? iss : "(none)");
		FUZZ_ASSERT(s && is_uuid(s) && strcmp(s, sub) == 0, "a token with sub %s verified as %s", s ? s : "(none)", sub);
		FUZZ_ASSERT(int_claim(p, "exp", &exp) && exp > NOW, "an expired token or one without exp verified");
		FUZZ_ASSERT(int_claim(p, "iat", &i) && i > 0 && i <= NOW + 30 && i <= exp && i == iat,
			    "a token with a bad iat verified (read %ld)", iat);
	}
	json_object_put(h);
	json_object_put(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_cstr(data, size);

	if (size && data[0] == '{')
		check_claims(in, size);
	else
		check_token(in); /* a C string, as the Authorization header or cookie is */
	free(in);
	return 0;
}
