/* api_metrics.c: GET /metrics, Prometheus' text format 0.0.4: this host's
 * counters (metrics.c, every worker's together) and the shop's gauges read
 * from the database now (ops.c). nginx lets only loopback and METRICS_ALLOW
 * reach it. */
#include <string.h>

#include "buf.h"
#include "handlers.h"
#include "http.h"
#include "metrics.h"
#include "ops.h"
#include "routes.h"

static const char *route_pattern(int i)
{
	return routes[i].pattern;
}

static const char *route_method(int i)
{
	return routes[i].method;
}

static void put_label(struct buf *b, const char *name, const char *value)
{
	buf_printf(b, "%s=\"", name);
	for (const char *v = value ? value : ""; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_putc(b, '\\');
		buf_putc(b, *v == '\n' ? ' ' : *v);
	}
	buf_putc(b, '"');
}

static void put_samples(struct buf *b, const struct ops_sample *s, int n)
{
	for (int g = 0; g < ops_gauges_count; g++) {
		buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", ops_gauges[g].metric, ops_gauges[g].help,
			   ops_gauges[g].metric);
		for (int i = 0; i < n; i++) {
			if (strcmp(s[i].metric, ops_gauges[g].metric) != 0)
				continue;
			buf_puts(b, s[i].metric);
			for (int l = 0; l < 2 && s[i].label[l]; l++) {
				buf_putc(b, l ? ',' : '{');
				put_label(b, s[i].label[l], s[i].value_of[l]);
			}
			buf_printf(b, "%s %s\n", s[i].label[0] ? "}" : "", s[i].value ? s[i].value : "0");
		}
	}
}

int metrics_get(struct req *r)
{
	struct ops_sample *samples;
	int n;
	struct buf b = BUF_INIT;

	/* the counters matter most when the database is down: they are always
	 * answered, and the gauges only when it could be read */
	int up = ops_samples(&r->ctx, &samples, &n) == OK;
	metrics_render(&b, (int)routes_count, route_pattern, route_method);
	buf_printf(&b, "# HELP lafete_metrics_database_up Whether the database answered for these metrics.\n"
		       "# TYPE lafete_metrics_database_up gauge\nlafete_metrics_database_up %d\n",
		   up);
	if (up)
		put_samples(&b, samples, n);
	reply_header(r, "Cache-Control", "no-store");
	int rc = reply_raw(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
	buf_free(&b);
	return rc;
}
