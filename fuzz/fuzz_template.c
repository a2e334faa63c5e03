/* fuzz_template.c: hostile templates through the Mustache parser
 * (render_parse.c) and renderer (render.c): any bytes, NULs included, as a
 * template file may hold them, with the real templates as its partials.
 *
 * Input: the template. It is parsed and rendered over a fixed context
 * (strings, numbers, booleans, null, objects, one-entry lists), and parsed
 * again as a named set the way tmpl_load_dir reads a file.
 * Properties: a parse error says why and appends nothing; a parsed template
 * renders the same output twice (nothing of one render leaks into the next). */
#include <json-c/json.h>

#include "fuzz.h"
#include "render.h"

#ifndef FUZZ_TEMPLATE_DIR
#define FUZZ_TEMPLATE_DIR "templates"
#endif

static struct tmpl_set *partials;
static struct json_object *data;

/* Lists have one entry: nested sections over longer lists are exponential by
 * nature, and the server's templates are not written by strangers. */
static const char context_json[] =
	"{\"a\":{\"b\":{\"c\":\"<i>&amp;\\\"'</i>\"}},\"s\":\"<script>x</script>\",\"e\":\"\",\"n\":null,"
	"\"t\":true,\"f\":false,\"i\":-42,\"d\":3.25,\"big\":9223372036854775807,\"o\":{\"x\":1},\"z\":[],"
	"\"list\":[{\"name\":\"one\",\"t\":false}],\"title\":\"T\",\"csrf\":\"tok\",\"user\":{\"name\":\"U\"},"
	"\"order\":{\"id\":\"0b6c1c9e\",\"items\":[{\"name\":\"Cake\",\"quantity\":2}]}}";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];
	const char *dir = getenv("TEMPLATE_DIR") ? getenv("TEMPLATE_DIR") : FUZZ_TEMPLATE_DIR;

	fuzz_keep_stderr();
	partials = tmpl_load_dir(dir, err, sizeof err);
	if (!partials)
		fuzz_fail("templates in %s: %s", dir, err);
	data = json_tokener_parse(context_json);
	if (!data)
		fuzz_fail("the fixed context does not parse");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
	const char *src = (const char *)input;
	struct buf out = BUF_INIT, again = BUF_INIT;
	char err[256] = "";

	if (tmpl_render_string(partials, src, size, data, &out, err, sizeof err) != 0) {
		FUZZ_ASSERT(err[0] && out.len == 0, "a parse error without a reason, or with output");
	} else {
		FUZZ_ASSERT(tmpl_render_string(partials, src, size, data, &again, err, sizeof err) == 0,
			    "a template parsed once, then not");
		FUZZ_ASSERT(out.len == again.len && (out.len == 0 || memcmp(out.data, again.data, out.len) == 0),
			    "two renders of one template differ");
	}
	buf_free(&out);
	buf_free(&again);

	/* as a named set (C strings: a file's text up to its first NUL) */
	char *copy = fuzz_cstr(input, size);
	const char *names[] = { "fuzz" }, *sources[] = { copy };
	struct tmpl_set *set = tmpl_set_from_strings(names, sources, 1, err, sizeof err);
	if (set) {
		FUZZ_ASSERT(tmpl_set_count(set) == 1 && tmpl_exists(set, "fuzz"), "a set of one template lost it");
		tmpl_set_free(set);
	}
	free(copy);
	return 0;
}
