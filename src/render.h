/* render.h: a Mustache renderer over json-c values (HTML-escaping by default). */
#ifndef APP_RENDER_H
#define APP_RENDER_H

#include <stddef.h>

#include <json-c/json.h>

#include "buf.h"

/* Limits: section nesting per template (parse error beyond); partial depth
 * and partial expansions per render (beyond: partials render as empty); total
 * render depth (deeper sections are skipped). A render that hits a limit logs
 * one warning. */
#define TMPL_MAX_NEST 64
#define TMPL_MAX_PARTIAL_DEPTH 32
#define TMPL_MAX_PARTIAL_CALLS (1L << 20)
#define TMPL_MAX_RENDER_DEPTH 256

struct tmpl_set; /* a set of named, pre-parsed templates; immutable once built */

/* Load every *.mustache file under dir (recursively, skipping dot-files and
 * symlinked directories); the name of dir/admin/orders.mustache is
 * "admin/orders". Every file is parsed once, here. Returns the set (free with
 * tmpl_set_free), or NULL with a message in err on a read or parse error. */
struct tmpl_set *tmpl_load_dir(const char *dir, char *err, size_t errlen);

/* Build a set from in-memory strings: names[i] -> sources[i] (both copied).
 * Returns NULL with a message in err on a parse error or a duplicate name. */
struct tmpl_set *tmpl_set_from_strings(const char *const *names, const char *const *sources,
				       size_t n, char *err, size_t errlen);

/* Free a set from tmpl_load_dir or tmpl_set_from_strings; NULL is a no-op. */
void tmpl_set_free(struct tmpl_set *set);

/* Number of templates in set, and whether it has a template called name. */
size_t tmpl_set_count(const struct tmpl_set *set);
int tmpl_exists(const struct tmpl_set *set, const char *name);

/* Render template `name` of set with data as the root context, appending to
 * out; {{> x}} partials are looked up by name in the same set (a missing
 * partial renders as empty). Returns 0, or -1 (unknown template) with nothing
 * appended. data may be NULL (JSON null). */
int tmpl_render(const struct tmpl_set *set, const char *name, struct json_object *data,
		struct buf *out);

/* Parse and render the template src[0..len) with partials from set (may be
 * NULL: then every partial is empty), appending to out. Returns 0, or -1 on a
 * parse error with a message in err and nothing appended. */
int tmpl_render_string(const struct tmpl_set *set, const char *src, size_t len,
		       struct json_object *data, struct buf *out, char *err, size_t errlen);

#endif
