/* test_json.c: strict JSON parsing and the validated field getters. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "http.h"
#include "json.h"
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

/* ---- the text writers against json-c's own printing ---- */

/* json-c's text of a string: what the writers must produce */
static const char *json_c_string(const char *s, size_t n)
{
	static char out[4096];
	struct json_object *o = json_object_new_string_len(s, (int)n);
	snprintf(out, sizeof out, "%s", json_object_to_json_string_ext(o, JSON_TEXT_FLAGS));
	json_object_put(o);
	return out;
}

static void test_put_string(void)
{
	static const char *const texts[] = {
		"",
		"plain",
		"\"quoted\"",
		"back\\slash",
		"a/b </script>",
		"caf\xc3\xa9 \xe0\xa4\xa8\xe0\xa4\xae \xf0\x9f\x8e\x82",
		"tab\there\nline\r\n",
		"\x01\x07\x08\x0c\x1b\x1f\x7f end",
		"\\u0041 not an escape",
		"\xc2\x85 C1 as is",
	};
	struct buf b = BUF_INIT;
	char all[256];
	int same = 1;

	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		buf_reset(&b);
		json_put_string(&b, texts[i], strlen(texts[i]));
		is_str(b.data, json_c_string(texts[i], strlen(texts[i])), "json_put_string as json-c: text %zu", i);
	}
	/* every byte but NUL, one at a time and all together */
	for (int c = 1; c < 256; c++) {
		char one = (char)c;
		buf_reset(&b);
		json_put_string(&b, &one, 1);
		if (strcmp(b.data, json_c_string(&one, 1)) != 0) {
			printf("# byte 0x%02x: %s, json-c %s\n", c, b.data, json_c_string(&one, 1));
			same = 0;
		}
		all[c - 1] = one;
	}
	ok(same, "json_put_string as json-c: each byte 0x01-0xff");
	buf_reset(&b);
	json_put_string(&b, all, 255);
	is_str(b.data, json_c_string(all, 255), "json_put_string as json-c: all bytes in one string");
	buf_free(&b);
}

static void test_put_int(void)
{
	static const int64_t v[] = { 0, 7, -7, 500, 1000000007, INT64_MAX, INT64_MIN, -1 };
	struct buf b = BUF_INIT;
	char want[32];

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		buf_reset(&b);
		json_put_int(&b, v[i]);
		snprintf(want, sizeof want, "%" PRId64, v[i]);
		is_str(b.data, want, "json_put_int %s", want);
	}
	buf_free(&b);
}

/* PostgreSQL's jsonb texts (as it prints them) and a few it never prints */
static const char *const jsonb_texts[] = {
	"{\"city\": \"Bengaluru\", \"label\": \"Home\", \"street\": \"12, 5th Cross\", \"pincode\": \"560034\", "
	"\"latitude\": 12.935200, \"longitude\": 77.624500, \"contactName\": \"Zo\xc3\xab\", \"contactPhone\": \"+919876500057\"}",
	"{\"a\": \"q\\\"b\\\\s/\\n\\t\\r\\b\\f\\u0001\\u001f\x7f\"}",
	"{}",
	"[]",
	"{\"n\": -12, \"z\": 0, \"d\": -0.50, \"t\": true, \"f\": false, \"x\": null}",
	"{\"nested\": {\"a\": [1, 2, {\"b\": []}]}, \"s\": \"\xf0\x9f\x8e\x82\"}",
	"{\"big\": 123456789012345678901234}",
	"{\"e\": 1e5}",
	"{\"m\": -0}",
	"{\"u\": \"\\u00e9 \\/\"}",
	"{\"k\\\"ey\": 1}",
	"\"just a string\"",
	"42",
};

static void test_put_compact(void)
{
	struct buf b = BUF_INIT;
	int fast = 0;

	for (size_t i = 0; i < sizeof jsonb_texts / sizeof jsonb_texts[0]; i++) {
		struct json_object *o = json_tokener_parse(jsonb_texts[i]);
		const char *want = json_object_to_json_string_ext(o, JSON_TEXT_FLAGS);
		buf_reset(&b);
		if (json_put_compact(&b, jsonb_texts[i]) == 0) {
			fast++;
			is_str(b.data, want, "json_put_compact as json-c: text %zu", i);
		} else {
			ok(b.len == 0, "json_put_compact leaves text %zu to json-c, the buffer untouched", i);
		}
		json_object_put(o);
	}
	ok(fast >= 7, "json_put_compact writes PostgreSQL's usual texts itself (%d)", fast);
	buf_reset(&b);
	buf_puts(&b, "kept");
	ok(json_put_compact(&b, "{\"e\": 1e5}") == -1 && strcmp(b.data, "kept") == 0, "a refused text leaves what was there");
	buf_free(&b);
}

static void test_parse_flat(void)
{
	int flat = 0;

	for (size_t i = 0; i < sizeof jsonb_texts / sizeof jsonb_texts[0]; i++) {
		struct json_object *want = json_tokener_parse(jsonb_texts[i]), *got;
		if (json_parse_flat(jsonb_texts[i], &got) == 0) {
			flat++;
			is_str(json_object_to_json_string_ext(got, JSON_TEXT_FLAGS), json_object_to_json_string_ext(want, JSON_TEXT_FLAGS),
			       "json_parse_flat as json_tokener_parse: text %zu", i);
			/* the same types member by member: what the templates see */
			int types = 1;
			json_object_object_foreach(want, k, v)
			{
				struct json_object *g;
				if (!json_object_object_get_ex(got, k, &g) || json_object_get_type(g) != json_object_get_type(v) ||
				    (json_object_is_type(v, json_type_double) && json_object_get_double(g) != json_object_get_double(v)) ||
				    (json_object_is_type(v, json_type_int) && json_object_get_int64(g) != json_object_get_int64(v)))
					types = 0;
			}
			ok(types, "json_parse_flat: the same types and values, text %zu", i);
			json_object_put(got);
		} else {
			ok(got == NULL, "json_parse_flat leaves text %zu to json-c", i);
		}
		json_object_put(want);
	}
	ok(flat == 3, "json_parse_flat reads the flat objects itself (%d: the address, {}, the scalars)", flat);
}

int main(void)
{
	test_parse();
	test_utf8();
	test_getters();
	test_put_string();
	test_put_int();
	test_put_compact();
	test_parse_flat();
	return done_testing();
}
