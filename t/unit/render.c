/* t/unit/render.c: TAP test of the Mustache renderer: the official spec files, then own cases. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "render.h"

static const char *const spec_files[] = {
	"interpolation.json",
	"sections.json",
	"inverted.json",
	"comments.json",
	"partials.json",
	"delimiters.json",
};
#define NSPEC (sizeof spec_files / sizeof spec_files[0])

struct tap {
	int n;
	int failed;
};

static bool ok(struct tap *t, bool cond, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Print one TAP result line. */
static bool ok(struct tap *t, bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++t->n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		t->failed++;
	fflush(stdout);
	return cond;
}

/* Print s as a TAP diagnostic, with control characters made visible. */
static void diag_str(const char *label, const char *s)
{
	printf("#   %s: \"", label);
	for (; s && *s; s++) {
		if (*s == '\n')
			fputs("\\n", stdout);
		else if (*s == '\r')
			fputs("\\r", stdout);
		else if (*s == '\t')
			fputs("\\t", stdout);
		else
			putchar(*s);
	}
	puts("\"");
}

/* Render src with data and the given partials; 0 or -1, output in out. */
static int render_with(const char *src, struct json_object *data, struct json_object *partials,
		       struct buf *out, char *err, size_t errlen)
{
	size_t n = partials ? (size_t)json_object_object_length(partials) : 0;
	const char **names = calloc(n + 1, sizeof *names), **srcs = calloc(n + 1, sizeof *srcs);
	size_t i = 0;

	if (partials) {
		json_object_object_foreach(partials, k, v)
		{
			names[i] = k;
			srcs[i++] = json_object_get_string(v);
		}
	}
	struct tmpl_set *set = tmpl_set_from_strings(names, srcs, n, err, errlen);
	int rc = set ? tmpl_render_string(set, src, strlen(src), data, out, err, errlen) : -1;
	tmpl_set_free(set);
	free(names);
	free(srcs);
	return rc;
}

static void run_spec_test(struct tap *t, const char *file, struct json_object *test)
{
	struct json_object *name, *data = NULL, *tmpl, *expected, *partials = NULL;
	struct buf out = BUF_INIT;
	char err[256] = "";

	json_object_object_get_ex(test, "name", &name);
	json_object_object_get_ex(test, "data", &data);
	json_object_object_get_ex(test, "partials", &partials);
	if (!json_object_object_get_ex(test, "template", &tmpl) ||
	    !json_object_object_get_ex(test, "expected", &expected)) {
		ok(t, false, "%s: %s: malformed test", file, json_object_get_string(name));
		return;
	}
	int rc = render_with(json_object_get_string(tmpl), data, partials, &out, err, sizeof err);
	const char *got = out.data ? out.data : "";
	bool pass = rc == 0 && strcmp(got, json_object_get_string(expected)) == 0;
	if (!ok(t, pass, "%s: %s", file, json_object_get_string(name))) {
		diag_str("template", json_object_get_string(tmpl));
		diag_str("expected", json_object_get_string(expected));
		diag_str("got     ", rc == 0 ? got : err);
	}
	buf_free(&out);
}

static struct json_object *load_spec(const char *dir, const char *file)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/%s", dir, file);
	return json_object_from_file(path);
}

static int count_spec(struct json_object *spec)
{
	struct json_object *tests;

	if (!spec || !json_object_object_get_ex(spec, "tests", &tests) ||
	    !json_object_is_type(tests, json_type_array))
		return 1;
	return (int)json_object_array_length(tests);
}

static void run_spec_file(struct tap *t, const char *file, struct json_object *spec)
{
	struct json_object *tests;

	if (!spec || !json_object_object_get_ex(spec, "tests", &tests) ||
	    !json_object_is_type(tests, json_type_array)) {
		ok(t, false, "%s: cannot read or parse the spec file", file);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(tests); i++)
		run_spec_test(t, file, json_object_array_get_idx(tests, i));
}

/* ---- own cases ---- */

/* Render src with data given as JSON text and partials as a JSON object text; compare. */
static bool check(struct tap *t, const char *desc, const char *src, const char *data,
		  const char *partials, const char *expected)
{
	struct json_object *d = json_tokener_parse(data);
	struct json_object *p = partials ? json_tokener_parse(partials) : NULL;
	struct buf out = BUF_INIT;
	char err[256] = "";

	int rc = render_with(src, d, p, &out, err, sizeof err);
	const char *got = out.data ? out.data : "";
	bool pass = rc == 0 && strcmp(got, expected) == 0;
	if (!ok(t, pass, "%s", desc)) {
		diag_str("expected", expected);
		diag_str("got     ", rc == 0 ? got : err);
	}
	buf_free(&out);
	json_object_put(d);
	json_object_put(p);
	return pass;
}

static void t_escape(struct tap *t)
{
	check(t, "escaping of & < > \" '", "{{.}}|{{{.}}}", "\"& < > \\\" '\"", NULL,
	      "&amp; &lt; &gt; &quot; &#39;|& < > \" '");
}

static void t_escape_key(struct tap *t)
{
	check(t, "escaping of & < > \" ' from a key", "<a title=\"{{s}}\">", "{\"s\": \"x'\\\"<&>\"}",
	      NULL, "<a title=\"x&#39;&quot;&lt;&amp;&gt;\">");
}

static void t_raw(struct tap *t)
{
	check(t, "triple and ampersand do not escape", "{{{s}}}|{{& s }}", "{\"s\": \"& < > \\\" '\"}",
	      NULL, "& < > \" '|& < > \" '");
}

static void t_numbers(struct tap *t)
{
	check(t, "numbers and booleans",
	      "{{i}} {{big}} {{u}} {{d}} {{e}} {{s}} {{n}} {{t}} {{f}}",
	      "{\"i\": -3, \"big\": 9223372036854775807, \"u\": 18446744073709551615, \"d\": 0.1,"
	      " \"e\": 100.0, \"s\": 0.30000000000000004, \"n\": -1.5e-7, \"t\": true, \"f\": false}",
	      NULL, "-3 9223372036854775807 18446744073709551615 0.1 100 0.30000000000000004 -1.5e-07 true false");
}

static void t_truthy(struct tap *t)
{
	check(t, "0, \"\" and {} are truthy; null, false, [] and missing are falsy",
	      "{{#z}}z{{/z}}{{#e}}e{{/e}}{{#o}}o{{/o}}{{^n}}n{{/n}}{{^f}}f{{/f}}{{^a}}a{{/a}}{{^m}}m{{/m}}",
	      "{\"z\": 0, \"e\": \"\", \"o\": {}, \"n\": null, \"f\": false, \"a\": []}", NULL, "zeonfam");
}

static void t_containers(struct tap *t)
{
	check(t, "objects and arrays interpolate as nothing", "[{{o}}{{a}}{{{o}}}]",
	      "{\"o\": {\"k\": 1}, \"a\": [1, 2]}", NULL, "[]");
}

static void t_null_root(struct tap *t)
{
	check(t, "null root context", "[{{.}}{{a.b}}{{#x}}no{{/x}}]", "null", NULL, "[]");
}

static void t_delims_triple(struct tap *t)
{
	check(t, "custom delimiters with triple and ampersand", "{{=<% %>=}}<%{s}%><%&s%><%s%>{{s}}",
	      "{\"s\": \"<\"}", NULL, "<<&lt;{{s}}");
}

static void t_nested_indent(struct tap *t)
{
	check(t, "nested standalone partials accumulate indentation; values are not indented",
	      "  {{>outer}}\n",
	      "{\"x\": [1, 2], \"v\": \"p\\nq\"}",
	      "{\"outer\": \"a\\n  {{>inner}}\\nb\\n\", \"inner\": \"1\\n{{#x}}\\n2\\n{{/x}}\\n3 {{v}}\\n\"}",
	      "  a\n    1\n    2\n    2\n    3 p\nq\n  b\n");
}

static void t_inline_partial_indent(struct tap *t)
{
	check(t, "inline partial inside an indented partial is not indented",
	      " {{>outer}}\n", "{}",
	      "{\"outer\": \"a\\n[{{>inner}}]\\n\", \"inner\": \"1\\n2\"}",
	      " a\n [1\n2]\n");
}

static void t_null_set(struct tap *t)
{
	struct buf out = BUF_INIT;
	char err[128];
	const char *src = "a{{>p}}b";

	int rc = tmpl_render_string(NULL, src, strlen(src), NULL, &out, err, sizeof err);
	ok(t, rc == 0 && out.data && strcmp(out.data, "ab") == 0, "partials with a NULL set are empty");
	buf_free(&out);
}

static void t_recursion(struct tap *t)
{
	const char *names[] = { "me" }, *srcs[] = { "x{{>me}}" };
	char err[128] = "", want[TMPL_MAX_PARTIAL_DEPTH + 2];
	struct buf out = BUF_INIT;
	struct tmpl_set *set = tmpl_set_from_strings(names, srcs, 1, err, sizeof err);

	memset(want, 'x', TMPL_MAX_PARTIAL_DEPTH + 1); /* the template, then its partials */
	want[TMPL_MAX_PARTIAL_DEPTH + 1] = '\0';
	int rc = set ? tmpl_render(set, "me", NULL, &out) : -1;
	ok(t, rc == 0 && out.data && strcmp(out.data, want) == 0,
	   "self-including partial stops at depth %d", TMPL_MAX_PARTIAL_DEPTH);
	buf_free(&out);
	tmpl_set_free(set);
}

static void t_explosion(struct tap *t)
{
	const char *names[] = { "p" }, *srcs[] = { "{{#a}}{{>p}}{{>p}}{{/a}}." };
	char err[128] = "";
	struct buf out = BUF_INIT;
	struct tmpl_set *set = tmpl_set_from_strings(names, srcs, 1, err, sizeof err);
	struct json_object *d = json_tokener_parse("{\"a\": true}");

	int rc = set ? tmpl_render(set, "p", d, &out) : -1;
	ok(t, rc == 0 && out.len == (size_t)TMPL_MAX_PARTIAL_CALLS + 1,
	   "exponential partial recursion stops after %ld expansions", TMPL_MAX_PARTIAL_CALLS);
	json_object_put(d);
	tmpl_set_free(set);
	buf_free(&out);
}

static void t_render_depth(struct tap *t)
{
	struct buf src = BUF_INIT, out = BUF_INIT;
	char err[128] = "";

	for (int i = 0; i < 40; i++)
		buf_puts(&src, "{{#t}}");
	buf_puts(&src, "y{{>p}}");
	for (int i = 0; i < 40; i++)
		buf_puts(&src, "{{/t}}");
	const char *names[] = { "p" }, *srcs[] = { src.data };
	struct tmpl_set *set = tmpl_set_from_strings(names, srcs, 1, err, sizeof err);
	struct json_object *d = json_tokener_parse("{\"t\": true}");
	int rc = set ? tmpl_render(set, "p", d, &out) : -1;
	ok(t, rc == 0 && out.len > 0 && out.len < TMPL_MAX_PARTIAL_DEPTH,
	   "total render depth is limited (%zu levels rendered)", out.len);
	json_object_put(d);
	tmpl_set_free(set);
	buf_free(&src);
	buf_free(&out);
}

/* A template of depth nested sections; returns the rc of rendering it. */
static int render_nested(int depth, struct buf *out, char *err, size_t errlen)
{
	struct buf src = BUF_INIT;
	struct json_object *d = json_tokener_parse("{\"a\": [1]}");

	for (int i = 0; i < depth; i++)
		buf_puts(&src, "{{#a}}");
	buf_puts(&src, "{{.}}");
	for (int i = 0; i < depth; i++)
		buf_puts(&src, "{{/a}}");
	int rc = tmpl_render_string(NULL, src.data, src.len, d, out, err, errlen);
	json_object_put(d);
	buf_free(&src);
	return rc;
}

static void t_nesting_ok(struct tap *t)
{
	struct buf out = BUF_INIT;
	char err[128] = "";

	int rc = render_nested(TMPL_MAX_NEST, &out, err, sizeof err);
	ok(t, rc == 0 && out.data && strcmp(out.data, "1") == 0, "%d nested sections render",
	   TMPL_MAX_NEST);
	buf_free(&out);
}

static void t_nesting_limit(struct tap *t)
{
	struct buf out = BUF_INIT;
	char err[128] = "";

	int rc = render_nested(10000, &out, err, sizeof err);
	ok(t, rc == -1 && out.len == 0 && strstr(err, "nested"),
	   "10000 nested sections are a parse error (%s)", err);
	buf_free(&out);
}

static void t_parse_errors(struct tap *t)
{
	static const char *const bad[] = {
		"{{x",
		"a {{#s}} b",
		"{{/s}}",
		"{{#a}}{{/b}}",
		"{{#a}}{{#b}}{{/a}}{{/b}}",
		"{{=<% =}}",
		"{{=<%=%> %>=}}",
		"{{= =}}",
		"{{}}",
		"{{#}}{{/}}",
		"{{> }}",
		"{{{x}}",
		"{{{x}",
		"{{!",
		"{{=| |=}}|x",
		"{{",
		"{{^a}}",
		"x}}{{",
		"{{=a b=}}a",
	};
	int fails = 0;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct buf out = BUF_INIT;
		char err[128] = "";
		buf_puts(&out, "keep");
		int rc = tmpl_render_string(NULL, bad[i], strlen(bad[i]), NULL, &out, err, sizeof err);
		if (rc != -1 || !*err || strcmp(out.data, "keep") != 0) {
			printf("# not rejected: %s\n", bad[i]);
			fails++;
		}
		buf_free(&out);
	}
	ok(t, fails == 0, "malformed templates are parse errors with a message");
}

/* A NUL inside a tag (a template read from a file may hold one) is a parse
 * error, whatever the tag: it once split a dotted name short of its count. */
static void t_nul_in_tag(struct tap *t)
{
#define SRC(s)                  \
	{                       \
		s, sizeof s - 1 \
	}
	static const struct {
		const char *src;
		size_t len;
	} bad[] = { SRC("{{a.b\0.c}}"), SRC("{{a.\0b.c}}"), SRC("{{#a.\0.b}}x{{/a.\0.b}}"), SRC("{{&\0.}}"),
		    SRC("{{> p\0q}}"), SRC("{{{a\0}}}"), SRC("{{^\0}}{{/\0}}") };
#undef SRC
	int fails = 0;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct buf out = BUF_INIT;
		char err[128] = "";
		struct json_object *d = json_tokener_parse("{\"a\":{\"b\":{\"c\":1}}}");
		int rc = tmpl_render_string(NULL, bad[i].src, bad[i].len, d, &out, err, sizeof err);
		if (rc != -1 || !strstr(err, "NUL")) {
			printf("# not rejected: template %zu (%s)\n", i, err);
			fails++;
		}
		json_object_put(d);
		buf_free(&out);
	}
	ok(t, fails == 0, "a NUL byte inside a tag is a parse error");
}

static void t_duplicate(struct tap *t)
{
	const char *names[] = { "a", "b", "a" }, *srcs[] = { "1", "2", "3" };
	char err[128] = "";
	struct tmpl_set *set = tmpl_set_from_strings(names, srcs, 3, err, sizeof err);

	ok(t, !set && strstr(err, "duplicate"), "duplicate template names are rejected");
	tmpl_set_free(set);
}

static unsigned next_rand(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(*s >> 33);
}

static void t_fuzz(struct tap *t)
{
	static const char *const piece[] = {
		"{{",
		"}}",
		"{{{",
		"}}}",
		"#",
		"^",
		"/",
		"!",
		">",
		"=",
		"&",
		"a",
		"b",
		".",
		" ",
		"\n",
		"\r\n",
		"\t",
		"{{#a}}",
		"{{/a}}",
		"{{>p}}",
		"{{=<% %>=}}",
		"<%",
		"%>",
		"x",
	};
	const char *names[] = { "p" }, *srcs[] = { "  {{#a}}\n{{.}}\n{{/a}}\n" };
	char err[128];
	uint64_t seed = 42;
	int bad = 0;
	struct tmpl_set *set = tmpl_set_from_strings(names, srcs, 1, err, sizeof err);
	struct json_object *d = json_tokener_parse("{\"a\": [{\"a\": [\"<x>\", 2.5]}, true], \"b\": 1}");

	for (int i = 0; i < 5000; i++) {
		struct buf src = BUF_INIT, out = BUF_INIT;
		int len = (int)(next_rand(&seed) % 24);
		for (int k = 0; k < len; k++)
			buf_puts(&src, piece[next_rand(&seed) % (sizeof piece / sizeof piece[0])]);
		buf_putc(&src, 'z');
		err[0] = '\0';
		int rc = tmpl_render_string(set, src.data, src.len - 1, d, &out, err, sizeof err);
		bad += rc == -1 ? !*err : rc != 0;
		buf_free(&src);
		buf_free(&out);
	}
	ok(t, set && bad == 0, "5000 random templates parse or fail cleanly");
	json_object_put(d);
	tmpl_set_free(set);
}

/* Write text to dir/rel, creating sub-directories. */
static int write_file(const char *dir, const char *rel, const char *text)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/%s", dir, rel);
	for (char *s = path + strlen(dir) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(path, 0700);
		*s = '/';
	}
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static void remove_files(const char *dir, const char *const *rels, size_t n)
{
	char path[4096];

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, rels[i]);
		if (remove(path) < 0)
			printf("# cannot remove %s\n", path);
	}
	rmdir(dir);
}

static void t_load_dir(struct tap *t, const char *dir)
{
	struct json_object *d = json_tokener_parse("{\"items\": [{\"n\": \"<1>\"}, {\"n\": 2}], \"who\": \"A&B\"}");
	struct buf out = BUF_INIT;
	char err[512] = "";
	struct tmpl_set *set = tmpl_load_dir(dir, err, sizeof err);

	if (!ok(t, set && tmpl_set_count(set) == 3 && tmpl_exists(set, "admin/orders") && tmpl_exists(set, "admin/parts/row") && !tmpl_exists(set, "notes"),
		"load a directory recursively (%s)", set ? "3 templates" : err)) {
		json_object_put(d);
		tmpl_set_free(set);
		return;
	}
	int rc = tmpl_render(set, "admin/orders", d, &out);
	const char *want = "<h1>Orders for A&amp;B</h1>\n<ul>\n  <li>&lt;1&gt;</li>\n  <li>2</li>\n</ul>\n";
	if (!ok(t, rc == 0 && out.data && strcmp(out.data, want) == 0,
		"render a loaded template with a partial in a sub-folder")) {
		diag_str("expected", want);
		diag_str("got     ", out.data);
	}
	buf_reset(&out);
	buf_puts(&out, "keep");
	rc = tmpl_render(set, "admin/missing", d, &out);
	ok(t, rc == -1 && strcmp(out.data, "keep") == 0, "unknown template is -1 and appends nothing");
	buf_free(&out);
	json_object_put(d);
	tmpl_set_free(set);
}

static void t_load_dir_error(struct tap *t, const char *dir)
{
	char err[512] = "";
	struct tmpl_set *set = tmpl_load_dir(dir, err, sizeof err);

	ok(t, !set && strstr(err, "broken") && strstr(err, "line 3"),
	   "a parse error in a loaded file names the template and line (%s)", err);
	tmpl_set_free(set);
}

static void t_dirs(struct tap *t)
{
	static const char *const rels[] = {
		"admin/orders.mustache",
		"admin/parts/row.mustache",
		"home.mustache",
		"notes.txt",
		"admin/parts",
		"admin",
	};
	char tmpl[4096], err[512] = "";
	const char *tmp = getenv("TMPDIR");

	snprintf(tmpl, sizeof tmpl, "%s/render_test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	char *dir = mkdtemp(tmpl);
	bool made = dir &&
		write_file(dir, rels[0], "<h1>Orders for {{who}}</h1>\n<ul>\n{{#items}}\n"
					 "  {{> admin/parts/row}}\n{{/items}}\n</ul>\n") == 0 &&
		write_file(dir, rels[1], "<li>{{n}}</li>\n") == 0 &&
		write_file(dir, rels[2], "home") == 0 && write_file(dir, rels[3], "{{#") == 0;
	if (!made) {
		ok(t, false, "create a template directory");
		ok(t, false, "render a loaded template with a partial in a sub-folder");
		ok(t, false, "unknown template is -1 and appends nothing");
		ok(t, false, "a parse error in a loaded file names the template and line");
	} else {
		t_load_dir(t, dir);
		write_file(dir, "broken.mustache", "ok\n{{#a}}\n{{/b}}\n");
		t_load_dir_error(t, dir);
		remove(strcat(strcpy(err, dir), "/broken.mustache"));
	}
	if (dir)
		remove_files(dir, rels, sizeof rels / sizeof rels[0]);
}

static void t_missing_dir(struct tap *t)
{
	char err[512] = "";
	struct tmpl_set *set = tmpl_load_dir("/nonexistent/render-test-dir", err, sizeof err);

	ok(t, !set && strstr(err, "/nonexistent/render-test-dir"),
	   "loading a missing directory fails with a message (%s)", err);
}

static void (*const own_tests[])(struct tap *) = {
	t_escape,
	t_escape_key,
	t_raw,
	t_numbers,
	t_truthy,
	t_containers,
	t_null_root,
	t_delims_triple,
	t_nested_indent,
	t_inline_partial_indent,
	t_null_set,
	t_recursion,
	t_explosion,
	t_render_depth,
	t_nesting_ok,
	t_nesting_limit,
	t_parse_errors,
	t_nul_in_tag,
	t_duplicate,
	t_fuzz,
	t_dirs,
	t_missing_dir,
};
#define NOWN (sizeof own_tests / sizeof own_tests[0])
#define NOWN_RESULTS (NOWN + 3) /* t_dirs prints four results */

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("SPEC_DIR");
	struct json_object *spec[NSPEC];
	struct tap t = { 0, 0 };
	int plan = (int)NOWN_RESULTS;

	if (!dir || !*dir)
		dir = "t/spec/mustache";
	for (size_t i = 0; i < NSPEC; i++) {
		spec[i] = load_spec(dir, spec_files[i]);
		plan += count_spec(spec[i]);
	}
	printf("1..%d\n", plan);
	for (size_t i = 0; i < NSPEC; i++) {
		run_spec_file(&t, spec_files[i], spec[i]);
		json_object_put(spec[i]);
	}
	for (size_t i = 0; i < NOWN; i++)
		own_tests[i](&t);
	if (t.n != plan)
		printf("# ran %d tests, planned %d\n", t.n, plan);
	return t.failed == 0 && t.n == plan ? 0 : 1;
}
