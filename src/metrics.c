/* metrics.c: the host's counters in shared memory (see metrics.h). Every
 * update is one relaxed atomic add: no lock, nothing a dying process can
 * leave half done, except a partner slot it was naming (skipped, see below). */
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "metrics.h"

/* Upper bounds of the duration buckets, in microseconds (then +Inf). */
static const int64_t bucket_us[] = { 500, 1000, 2500, 5000, 10000, 25000, 50000,
				     100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000 };
#define NBUCKETS (sizeof bucket_us / sizeof bucket_us[0] + 1)

/* The statuses the app answers; anything else counts as "other". */
static const int statuses[] = { 200, 201, 202, 204, 301, 302, 303, 304, 400, 401, 403, 404,
				405, 409, 410, 413, 415, 422, 429, 500, 502, 503, 504 };
#define NSTATUS (sizeof statuses / sizeof statuses[0] + 1)

static const char *const outcomes[] = { "ok", "refused", "4xx", "5xx", "timeout", "error" };
#define NOUTCOMES (sizeof outcomes / sizeof outcomes[0])

#define PARTNER_SLOTS 48

struct histogram {
	_Atomic uint64_t bucket[NBUCKETS]; /* not cumulative: summed when rendered */
	_Atomic uint64_t count, sum_us;
};

struct partner_slot {
	/* 0 free, 1 being named, 2 named. A slot left at 1 by a process that
	 * died while naming it is never used or shown. */
	_Atomic int state;
	char partner[16], operation[32];
	_Atomic uint64_t calls[NOUTCOMES];
	struct histogram duration;
};

struct metrics {
	_Atomic uint64_t events[EV_COUNT];
	_Atomic uint64_t requests[METRICS_MAX_ROUTES + 1][NSTATUS]; /* [0]: no route */
	struct histogram duration[METRICS_MAX_ROUTES + 1];
	struct partner_slot partners[PARTNER_SLOTS];
};

static struct metrics private_copy;
static struct metrics *m = &private_copy;

int metrics_init(void)
{
	void *p = mmap(NULL, sizeof *m, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	m = p;
	return 0;
}

static void observe(struct histogram *h, int64_t us)
{
	size_t b = 0;

	if (us < 0)
		us = 0;
	while (b < NBUCKETS - 1 && us > bucket_us[b])
		b++;
	atomic_fetch_add_explicit(&h->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, (uint64_t)us, memory_order_relaxed);
}

void metrics_event(enum metrics_event e)
{
	atomic_fetch_add_explicit(&m->events[e], 1, memory_order_relaxed);
}

void metrics_request(int route, int status, int64_t micros)
{
	size_t r = route >= 0 && route < METRICS_MAX_ROUTES ? (size_t)route + 1 : 0;
	size_t s = 0;

	while (s < NSTATUS - 1 && statuses[s] != status)
		s++;
	atomic_fetch_add_explicit(&m->requests[r][s], 1, memory_order_relaxed);
	observe(&m->duration[r], micros);
}

/* The slot named (partner, operation), naming a free one when none is. Two
 * processes naming the same pair at once may take two slots: the rendering
 * adds slots of the same name together. NULL when every slot is taken. */
static struct partner_slot *partner_slot(const char *partner, const char *operation)
{
	for (int i = 0; i < PARTNER_SLOTS; i++) {
		struct partner_slot *p = &m->partners[i];
		int st = atomic_load(&p->state);
		if (st == 2 && strcmp(p->partner, partner) == 0 && strcmp(p->operation, operation) == 0)
			return p;
		if (st != 0)
			continue;
		int expect = 0;
		if (!atomic_compare_exchange_strong(&p->state, &expect, 1))
			continue; /* another process took it: look again from here */
		snprintf(p->partner, sizeof p->partner, "%s", partner);
		snprintf(p->operation, sizeof p->operation, "%s", operation);
		atomic_store(&p->state, 2);
		return p;
	}
	return NULL;
}

void metrics_partner(const char *partner, const char *operation, const char *outcome, int64_t micros)
{
	struct partner_slot *p = partner_slot(partner, operation);
	size_t o = 0;

	if (!p)
		return;
	while (o < NOUTCOMES - 1 && strcmp(outcomes[o], outcome) != 0)
		o++;
	atomic_fetch_add_explicit(&p->calls[o], 1, memory_order_relaxed);
	observe(&p->duration, micros);
}

/* ---- rendering ---- */

static uint64_t load(_Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

/* A label value with \, " and newline escaped. */
static void put_label(struct buf *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_putc(out, '\\');
		if (*v == '\n') {
			buf_puts(out, "\\n");
			continue;
		}
		buf_putc(out, *v);
	}
}

static void put_seconds(struct buf *out, uint64_t us)
{
	buf_printf(out, "%llu.%06llu", (unsigned long long)(us / 1000000), (unsigned long long)(us % 1000000));
}

/* One histogram's series; labels is the text inside {} before "le". */
static void put_histogram(struct buf *out, const char *name, const char *labels, uint64_t bucket[NBUCKETS],
			  uint64_t count, uint64_t sum_us)
{
	uint64_t cum = 0;

	for (size_t b = 0; b < NBUCKETS; b++) {
		cum += bucket[b];
		buf_printf(out, "%s_bucket{%s,le=\"", name, labels);
		if (b < NBUCKETS - 1)
			put_seconds(out, (uint64_t)bucket_us[b]);
		else
			buf_puts(out, "+Inf");
		buf_printf(out, "\"} %llu\n", (unsigned long long)cum);
	}
	buf_printf(out, "%s_sum{%s} ", name, labels);
	put_seconds(out, sum_us);
	buf_printf(out, "\n%s_count{%s} %llu\n", name, labels, (unsigned long long)count);
}

static void snapshot(struct histogram *h, uint64_t bucket[NBUCKETS], uint64_t *count, uint64_t *sum)
{
	for (size_t b = 0; b < NBUCKETS; b++)
		bucket[b] = load(&h->bucket[b]);
	*count = load(&h->count);
	*sum = load(&h->sum_us);
}

static void render_events(struct buf *out)
{
	static const struct {
		const char *name, *help, *labels;
		enum metrics_event ev;
	} ev[] = {
		{ "lafete_worker_starts_total", "Workers started (the first ones and replacements).", "", EV_WORKER_START },
		{ "lafete_worker_exits_total", "Workers that ended, by how.", "how=\"exit\"", EV_WORKER_EXIT },
		{ "lafete_worker_exits_total", NULL, "how=\"signal\"", EV_WORKER_KILLED },
		{ "lafete_listener_restarts_total", "Change listeners restarted after dying.", "", EV_LISTENER_RESTART },
		{ "lafete_db_errors_total", "Statements that failed unexpectedly.", "", EV_DB_ERROR },
		{ "lafete_db_reconnects_total", "Lost database connections re-established.", "", EV_DB_RECONNECT },
		{ "lafete_db_unavailable_total", "Requests answered 503 because the database was unreachable.", "", EV_DB_UNAVAILABLE },
		{ "lafete_requests_refused_total", "Requests refused for overload (503).", "reason=\"overload\"", EV_OVERLOAD },
	};
	for (size_t i = 0; i < sizeof ev / sizeof ev[0]; i++) {
		if (ev[i].help)
			buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n", ev[i].name, ev[i].help, ev[i].name);
		buf_printf(out, "%s%s%s%s %llu\n", ev[i].name, *ev[i].labels ? "{" : "", ev[i].labels,
			   *ev[i].labels ? "}" : "", (unsigned long long)load(&m->events[ev[i].ev]));
	}
}

static void route_labels(struct buf *l, int r, int nroutes, const char *(*label)(int), const char *(*method)(int))
{
	buf_puts(l, "route=\"");
	put_label(l, r == 0 || r > nroutes ? "(none)" : label(r - 1));
	buf_puts(l, "\",method=\"");
	put_label(l, r == 0 || r > nroutes ? "(any)" : method(r - 1));
	buf_putc(l, '"');
}

static void render_requests(struct buf *out, int nroutes, const char *(*label)(int), const char *(*method)(int))
{
	int n = nroutes < METRICS_MAX_ROUTES ? nroutes : METRICS_MAX_ROUTES;

	buf_puts(out, "# HELP http_requests_total Requests answered, by the route table's pattern, method and status.\n"
		      "# TYPE http_requests_total counter\n");
	for (int r = 0; r <= n; r++)
		for (size_t s = 0; s < NSTATUS; s++) {
			uint64_t v = load(&m->requests[r][s]);
			if (!v)
				continue;
			struct buf l = BUF_INIT;
			route_labels(&l, r, n, label, method);
			buf_printf(out, "http_requests_total{%s,status=\"", l.data);
			if (s < NSTATUS - 1)
				buf_printf(out, "%d", statuses[s]);
			else
				buf_puts(out, "other");
			buf_printf(out, "\"} %llu\n", (unsigned long long)v);
			buf_free(&l);
		}
	buf_puts(out, "# HELP http_request_duration_seconds Time from the request's arrival at a worker to its answer.\n"
		      "# TYPE http_request_duration_seconds histogram\n");
	for (int r = 0; r <= n; r++) {
		uint64_t bucket[NBUCKETS], count, sum;
		snapshot(&m->duration[r], bucket, &count, &sum);
		if (!count)
			continue;
		struct buf l = BUF_INIT;
		route_labels(&l, r, n, label, method);
		put_histogram(out, "http_request_duration_seconds", l.data, bucket, count, sum);
		buf_free(&l);
	}
}

static void render_partners(struct buf *out)
{
	int done[PARTNER_SLOTS] = { 0 };

	buf_puts(out, "# HELP lafete_partner_calls_total Calls to Razorpay, Borzo, SMTP and S3, by operation and outcome.\n"
		      "# TYPE lafete_partner_calls_total counter\n");
	struct buf hist = BUF_INIT;
	buf_puts(&hist, "# HELP lafete_partner_call_duration_seconds Duration of calls to partners.\n"
			"# TYPE lafete_partner_call_duration_seconds histogram\n");
	for (int i = 0; i < PARTNER_SLOTS; i++) {
		struct partner_slot *p = &m->partners[i];
		if (done[i] || atomic_load(&p->state) != 2)
			continue;
		uint64_t calls[NOUTCOMES] = { 0 }, bucket[NBUCKETS] = { 0 }, count = 0, sum = 0;
		for (int j = i; j < PARTNER_SLOTS; j++) { /* this slot and its namesakes */
			struct partner_slot *q = &m->partners[j];
			if (atomic_load(&q->state) != 2 || strcmp(q->partner, p->partner) != 0 ||
			    strcmp(q->operation, p->operation) != 0)
				continue;
			done[j] = 1;
			for (size_t o = 0; o < NOUTCOMES; o++)
				calls[o] += load(&q->calls[o]);
			uint64_t qb[NBUCKETS], qc, qs;
			snapshot(&q->duration, qb, &qc, &qs);
			for (size_t b = 0; b < NBUCKETS; b++)
				bucket[b] += qb[b];
			count += qc;
			sum += qs;
		}
		struct buf l = BUF_INIT;
		buf_puts(&l, "partner=\"");
		put_label(&l, p->partner);
		buf_puts(&l, "\",operation=\"");
		put_label(&l, p->operation);
		buf_putc(&l, '"');
		for (size_t o = 0; o < NOUTCOMES; o++)
			buf_printf(out, "lafete_partner_calls_total{%s,outcome=\"%s\"} %llu\n", l.data, outcomes[o],
				   (unsigned long long)calls[o]);
		put_histogram(&hist, "lafete_partner_call_duration_seconds", l.data, bucket, count, sum);
		buf_free(&l);
	}
	buf_put(out, hist.data, hist.len);
	buf_free(&hist);
}

void metrics_render(struct buf *out, int nroutes, const char *(*route_label)(int), const char *(*route_method)(int))
{
	render_events(out);
	render_requests(out, nroutes, route_label, route_method);
	render_partners(out);
}
