/* test_accounts.c: email and phone normalisation, the password length rule, the failed-login back-off schedule. */
#include <limits.h>
#include <stdio.h>

#include "accounts.h"
#include "tap.h"

static void test_email(void)
{
	char out[256];

	ok(normalize_email("Asha.Rao@Example.COM", out) == 0, "mixed case accepted");
	is_str(out, "asha.rao@example.com", "lower-cased");
	const char *bad[] = { "plain", "a@b", "@example.com", "a@@example.com", "a b@example.com", "a@.example.com",
			      "a@example.com.", "\xc3\x89lodie@example.com", "a,b@example.com", "<a@example.com>", "" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(normalize_email(bad[i], out) != 0, "refused: '%s'", bad[i]);
	char longest[260];
	snprintf(longest, sizeof longest, "%0250d@x.com", 0);
	ok(normalize_email(longest, out) != 0, "over 254 characters refused");
}

static void test_phone(void)
{
	const char *good[] = { "98765 43210", "+91-9876543210", "09876543210", "+91 98765 43210", "919876543210", "9876543210" };
	char out[16];

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		ok(normalize_phone(good[i], out) == 0, "accepted: '%s'", good[i]);
		is_str(out, "+919876543210", "'%s' normalised", good[i]);
	}
	ok(normalize_phone("6000000000", out) == 0, "6 is a mobile prefix");
	is_str(out, "+916000000000", "6000000000 normalised");
	const char *bad[] = { "12345", "5876543210", "+1-202-555-0123", "98765432101", "98765abcde", "+91+9876543210",
			      "", "12345678901234567890123456789012345" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(normalize_phone(bad[i], out) != 0, "refused: '%s'", bad[i]);
}

static void test_password(void)
{
	ok(!account_password_ok("short12"), "7 characters refused");
	ok(account_password_ok("exactly8"), "8 characters accepted");
	ok(account_password_ok("\xc3\xa9t\xc3\xa9 \xf0\x9f\x8e\x82\xf0\x9f\x8e\x82\xf0\x9f\x8e\x82!"), "8 code points (non-ASCII) accepted");
	char s[200];
	snprintf(s, sizeof s, "%0128d", 0);
	ok(account_password_ok(s), "128 characters accepted");
	snprintf(s, sizeof s, "%0129d", 0);
	ok(!account_password_ok(s), "129 characters refused");
	ok(!account_password_ok("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8"), "invalid UTF-8 refused");
}

/* One rule for the API and the admin form: 4 free failures, 30 s at the 5th,
 * doubling to 15 minutes, flat from there up to the largest count. */
static void test_backoff(void)
{
	for (int n = 0; n < LOGIN_FREE_FAILURES; n++)
		ok(login_lock_seconds(n) == 0, "%d failures: no lock", n);
	const int want[] = { 30, 60, 120, 240, 480, 900, 900 };
	for (int i = 0; i < 7; i++)
		ok(login_lock_seconds(LOGIN_FREE_FAILURES + i) == want[i], "failure %d locks %d s", LOGIN_FREE_FAILURES + i,
		   want[i]);
	int flat = 1;
	for (long n = LOGIN_FREE_FAILURES + 5; n <= INT_MAX; n = n * 3 + 1)
		flat &= login_lock_seconds((int)n) == LOGIN_MAX_LOCK_SECONDS;
	ok(flat && login_lock_seconds(INT_MAX) == LOGIN_MAX_LOCK_SECONDS, "capped at 15 minutes up to INT_MAX failures");
	ok(login_lock_seconds(-1) == 0, "a negative count locks nothing");
	ok(LOGIN_FREE_FAILURES + 1 < LOGIN_COUNT_CAP && login_lock_seconds(LOGIN_COUNT_CAP) == LOGIN_MAX_LOCK_SECONDS,
	   "the stored count stops at %d, where the schedule is flat", LOGIN_COUNT_CAP);
}

/* The key failures are counted under: one per IPv4 address, one per IPv6 /64. */
static void test_client_key(void)
{
	static const char *const cases[][2] = {
		{ "203.0.113.7", "203.0.113.7" },
		{ "::ffff:203.0.113.7", "203.0.113.7" },
		{ "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64" },
		{ "2001:DB8:1:2::ffff", "2001:db8:1:2::/64" },
		{ "::1", "::/64" },
		{ "203.0.113.7 ", "unknown" },
		{ "", "unknown" },
		{ "unix:", "unknown" },
	};
	char out[LOGIN_CLIENT_MAX];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		login_client_key(cases[i][0], out);
		is_str(out, cases[i][1], "client key of '%s'", cases[i][0]);
	}
	login_client_key(NULL, out);
	is_str(out, "unknown", "client key without an address");
}

static void test_outcomes(void)
{
	is_str(outcome_info(E_EMAIL_TAKEN)->code, "EMAIL_TAKEN", "EMAIL_TAKEN code");
	ok(outcome_info(E_EMAIL_TAKEN)->status == 409, "EMAIL_TAKEN 409");
	ok(outcome_info(E_INVALID_CREDENTIALS)->status == 401, "INVALID_CREDENTIALS 401");
	ok(outcome_info(E_TOO_MANY_ATTEMPTS)->status == 429, "TOO_MANY_ATTEMPTS 429");
	is_str(outcome_info(E_ACCOUNT_GONE)->code, "UNAUTHORIZED", "a vanished account answers UNAUTHORIZED");
}

int main(void)
{
	test_email();
	test_phone();
	test_password();
	test_backoff();
	test_client_key();
	test_outcomes();
	return done_testing();
}
