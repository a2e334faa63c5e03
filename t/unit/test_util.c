/* test_util.c: money formatting and parsing, bounded integers, UUIDs, buffers, arena. */
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "tap.h"
#include "util.h"

static void test_money(void)
{
	char s[32];
	int64_t p;

	money_format(129900, s);
	is_str(s, "1299.00", "format 129900 paise");
	money_format(5, s);
	is_str(s, "0.05", "format 5 paise");
	money_format(0, s);
	is_str(s, "0.00", "format zero");
	money_format(-150, s);
	is_str(s, "-1.50", "format negative");
	money_format(INT64_MIN, s);
	is_str(s, "-92233720368547758.08", "format INT64_MIN without overflow");
	ok(money_parse("1299.00", &p) == 0 && p == 129900, "parse 1299.00");
	ok(money_parse("12.5", &p) == 0 && p == 1250, "parse one decimal");
	ok(money_parse("7", &p) == 0 && p == 700, "parse whole rupees");
	ok(money_parse("1.234", &p) != 0, "reject three decimals");
	ok(money_parse("-1.00", &p) != 0, "reject negative");
	ok(money_parse("1e3", &p) != 0, "reject exponent");
	ok(money_parse("", &p) != 0 && money_parse(".5", &p) != 0 && money_parse("5.", &p) != 0, "reject empty and bare dot");
	ok(money_parse("99999999999999999999", &p) != 0, "reject overflow");
}

static void test_int(void)
{
	int64_t v;
	ok(parse_int64("42", 0, 100, &v) == 0 && v == 42, "parse 42");
	ok(parse_int64("101", 0, 100, &v) != 0, "reject above max");
	ok(parse_int64("-1", 0, 100, &v) != 0, "reject below min");
	ok(parse_int64("12abc", 0, 100, &v) != 0, "reject trailing junk");
	ok(parse_int64(" 1", 0, 100, &v) != 0, "reject leading space");
	ok(parse_int64("9223372036854775808", INT64_MIN, INT64_MAX, &v) != 0, "reject int64 overflow");
	ok(parse_int64(NULL, 0, 1, &v) != 0 && parse_int64("", 0, 1, &v) != 0, "reject NULL and empty");
}

static void test_uuid(void)
{
	ok(is_uuid("123e4567-e89b-12d3-a456-426614174000"), "uuid accepted");
	ok(!is_uuid("123e4567-e89b-12d3-a456-42661417400"), "short uuid rejected");
	ok(!is_uuid("123e4567xe89b-12d3-a456-426614174000"), "bad separator rejected");
	ok(!is_uuid("' OR 1=1 --"), "injection text rejected");
}

static void test_buf_arena(void)
{
	struct buf b = BUF_INIT;
	buf_put_html(&b, "<a href=\"x\">&'</a>", 18);
	is_str(b.data, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;", "html escaping of all five");
	buf_reset(&b);
	buf_printf(&b, "%d-%s", 7, "x");
	is_str(b.data, "7-x", "buf_printf");
	buf_free(&b);

	struct arena *a = arena_new();
	char *big = arena_alloc(a, 200000);
	big[199999] = 'x';
	is_str(arena_printf(a, "%s/%d", "p", 3), "p/3", "arena_printf");
	arena_reset(a);
	ok(arena_alloc(a, 16) != NULL, "arena usable after reset");
	arena_free(a);
}

int main(void)
{
	test_money();
	test_int();
	test_uuid();
	test_buf_arena();
	return done_testing();
}
