/* test_json.c: strict JSON parsing and the validated field getters. */
#include <stdlib.h>

#include "http.h"
#include "jsonutil.h"
#include "tap.h"

static struct json_object *parse(const char *s)
{
	char err[160];
	return json_parse_strict(s, strlen(s), err, sizeof err);
}

static void test_parse(void)
{
	struct json_object *o;
	ok((o = parse("{\"a\":1}")) != NULL, "plain object parses");
	json_object_put(o);
	ok((o = parse("{\"a\":1}  \n")) != NULL, "trailing whitespace allowed");
	json_object_put(o);
	ok(parse("{\"a\":1}x") == NULL, "trailing garbage rejected");
	ok(parse("{\"a\":1}{}") == NULL, "second value rejected");
	ok(parse("{\"a\":1") == NULL, "truncated object rejected");
	ok(parse("[1,2]") == NULL, "array at top rejected");
	ok(parse("{\"a\":1,}") == NULL, "trailing comma rejected");
	ok(parse("{\"a\":\"\xff\"}") == NULL, "invalid UTF-8 rejected");
	ok(parse("") == NULL, "empty body rejected");
	ok(parse("{\"a\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}") == NULL, "nesting beyond the limit rejected");
	/* json-c's strict mode takes these (fuzz_json found NaN, the raw control
	 * character and -07) */
	ok(parse("{\"a\":[2,NaN]}") == NULL, "NaN rejected");
	ok(parse("{\"k\":\"\x19\"}") == NULL, "raw control character in a string rejected");
	ok(parse("{\"a\":Infinity}") == NULL, "Infinity rejected");
	ok(parse("{\"a\":-Infinity}") == NULL, "-Infinity rejected");
	ok(parse("{'a':1}") == NULL, "single-quoted string rejected");
	ok(parse("{\"a\x02\":1}") == NULL, "raw control character in a key rejected");
	ok(parse("{\"a\":\"x\ny\"}") == NULL, "raw newline in a string rejected");
	ok(parse("{\"b\":-07}") == NULL, "a leading zero rejected");
	ok(parse("{\"b\":[00]}") == NULL, "a double zero rejected");
	ok(parse("{\"b\":1.}") == NULL, "a number ending in a point rejected");
	ok(parse("{\"b\":-.5}") == NULL, "a fraction without an integer part rejected");
	ok(parse("{\"b\":1.e5}") == NULL, "an exponent after a bare point rejected");
	ok((o = parse("{\"a\":\"x\\u0001\\n\\\"y\\\\\", \"b\":[-1.5e+3,0E0,true,false,null]}\r\n")) != NULL,
	   "escapes, numbers and literals still parse");
	json_object_put(o);
	char with_nul[] = "{\"a\":1}\0x";
	char err[160];
	ok(json_parse_strict(with_nul, sizeof with_nul - 1, err, sizeof err) == NULL, "NUL byte in body rejected");
}

static void test_utf8(void)
{
	ok(utf8_length("abc", 3) == 3, "ascii length");
	ok(utf8_length("f\xc3\xaate", 5) == 4, "two-byte char counts once");
	ok(utf8_length("\xc0\xaf", 2) == -1, "overlong rejected");
	ok(utf8_length("\xed\xa0\x80", 3) == -1, "surrogate rejected");
	ok(utf8_length("\xe2\x82", 2) == -1, "truncated sequence rejected");
	ok(text_has_controls("a\tb", 3, TEXT_SINGLE_LINE), "tab is a control in single-line text");
	ok(!text_has_controls("a\nb", 3, TEXT_MULTI_LINE), "newline allowed in multi-line text");
	ok(text_has_controls("a\xc2\x85"
			     "b",
			     4, TEXT_MULTI_LINE),
	   "C1 control rejected");
	ok(text_has_controls("a\x7f", 2, TEXT_MULTI_LINE), "DEL rejected");
}

static const char *error_field(struct req *r)
{
	struct json_object *o = parse(r->out.data), *e, *f;
	static char field[64];
	field[0] = '\0';
	if (o && json_object_object_get_ex(o, "error", &e) && json_object_object_get_ex(e, "field", &f))
		snprintf(field, sizeof field, "%s", json_object_get_string(f));
	json_object_put(o);
	return field;
}

static void test_getters(void)
{
	struct req r;
	memset(&r, 0, sizeof r);
	r.a = arena_new();
	struct json_object *o = parse("{\"name\":\"  Asha  \",\"qty\":3,\"big\":9223372036854775808,"
				      "\"str\":\"42\",\"lat\":12.97,\"flag\":true,\"ctl\":\"a\\u0001b\","
				      "\"nul\":\"a\\u0000b\",\"price\":\"1299.50\",\"id\":\"x\"}");
	const char *s;
	int64_t v;
	int present, b;
	double d;

	ok(jget_text(&r, o, "name", REQUIRED, 1, 10, TEXT_SINGLE_LINE, &s) == 0 && strcmp(s, "Asha") == 0, "text trimmed");
	ok(jget_text(&r, o, "missing", OPTIONAL, 1, 10, TEXT_SINGLE_LINE, &s) == 0 && s == NULL, "optional absent text");
	ok(jget_text(&r, o, "missing", REQUIRED, 1, 10, TEXT_SINGLE_LINE, &s) == -1 && r.status == 400, "required absent text is 400");
	is_str(error_field(&r), "missing", "the error names the field");
	ok(jget_text(&r, o, "name", REQUIRED, 1, 3, TEXT_SINGLE_LINE, &s) == -1, "too long text rejected");
	ok(jget_text(&r, o, "ctl", REQUIRED, 1, 10, TEXT_SINGLE_LINE, &s) == -1, "control character rejected");
	ok(jget_text(&r, o, "nul", REQUIRED, 1, 10, TEXT_MULTI_LINE, &s) == -1, "embedded NUL rejected");
	ok(jget_text(&r, o, "qty", REQUIRED, 1, 10, TEXT_SINGLE_LINE, &s) == -1, "number is not text");
	ok(jget_int(&r, o, "qty", REQUIRED, 1, 20, &v, &present) == 0 && v == 3, "int in range");
	ok(jget_int(&r, o, "qty", REQUIRED, 4, 20, &v, &present) == -1, "int below min rejected");
	ok(jget_int(&r, o, "big", REQUIRED, 0, INT64_MAX, &v, &present) == -1, "clamped big integer rejected");
	ok(jget_int(&r, o, "str", REQUIRED, 0, 100, &v, &present) == -1, "string is not an int");
	ok(jget_int(&r, o, "lat", REQUIRED, 0, 100, &v, &present) == -1, "double is not an int");
	ok(jget_coord(&r, o, "lat", REQUIRED, -90, 90, &d, &s) == 0 && strcmp(s, "12.9700000") == 0, "coordinate");
	ok(jget_coord(&r, o, "lat", REQUIRED, 13, 90, &d, &s) == -1, "coordinate out of range");
	ok(jget_bool(&r, o, "flag", REQUIRED, &b, &present) == 0 && b == 1, "bool");
	ok(jget_bool(&r, o, "qty", REQUIRED, &b, &present) == -1, "int is not bool");
	ok(jget_money(&r, o, "price", REQUIRED, &v, &present) == 0 && v == 129950, "money string");
	ok(jget_uuid(&r, o, "id", REQUIRED, &s) == -1, "bad uuid rejected");
	json_object_put(o);
	buf_free(&r.headers);
	buf_free(&r.out);
	arena_free(r.a);
}

int main(void)
{
	test_parse();
	test_utf8();
	test_getters();
	return done_testing();
}
