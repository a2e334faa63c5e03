/* util.c: allocation, logging, number and money helpers. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static void oom(void)
{
	fputs("fatal: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *d = xmalloc(n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static int log_json;

void log_use_json(int on)
{
	log_json = on;
}

/* "2026-12-02T10:00:00.123Z" */
static void log_time(char out[64])
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

/* Length of the valid UTF-8 sequence at s (up to n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2
		: (s[0] & 0xF0) == 0xE0			     ? 3
		: (s[0] & 0xF8) == 0xF0			     ? 4
							     : 0;
	if (len == 0 || len > n || (len == 2 && s[0] < 0xC2))
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return len;
}

/* Appends v as a JSON string (quotes included) to line at *at, cut short
 * rather than pass cap (the string is always closed: cap must leave room for
 * its quote); bytes that are not UTF-8 become U+FFFD, so every line parses. */
static void put_json_string(char *line, size_t cap, size_t *at, const char *v)
{
	const unsigned char *s = (const unsigned char *)(v ? v : "");
	size_t n = strlen((const char *)s), i = 0;

#define PUT(...) (*at += (size_t)snprintf(line + *at, *at < cap ? cap - *at : 0, __VA_ARGS__))
	PUT("\"");
	while (i < n && *at + 7 < cap) { /* 6: the longest escape */
		size_t len = utf8_seq(s + i, n - i);
		if (len == 0) {
			PUT("\\ufffd");
			i++;
		} else if (s[i] == '"' || s[i] == '\\') {
			PUT("\\%c", s[i++]);
		} else if (s[i] < 0x20) {
			PUT("\\u%04x", s[i++]);
		} else {
			PUT("%.*s", (int)len, (const char *)s + i);
			i += len;
		}
	}
	PUT("\"");
#undef PUT
}

/* Writes one line with one write(), so lines of several processes never
 * interleave; a line longer than the buffer is cut (and stays one line). */
static void emit(char *line, size_t len, size_t cap)
{
	if (len > cap - 2)
		len = cap - 2;
	for (size_t i = 0; i < len; i++) /* keep one event on one line */
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

void log_msg(const char *level, const char *fmt, ...)
{
	char line[2048], msg[1536], when[64];
	va_list ap;
	size_t at = 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_time(when);
	if (!log_json) {
		at = (size_t)snprintf(line, sizeof line, "%s [%d] %s: %s", when, (int)getpid(), level, msg);
		emit(line, at < sizeof line ? at : sizeof line, sizeof line);
		return;
	}
	at = (size_t)snprintf(line, sizeof line, "{\"time\":\"%s\",\"level\":\"%s\",\"pid\":%d,\"message\":", when, level,
			      (int)getpid());
	put_json_string(line, sizeof line - 3, &at, msg);
	line[at++] = '}';
	emit(line, at, sizeof line);
}

void log_access(const struct access_entry *e)
{
	char line[2048], when[64];
	size_t at;

	if (!log_json) {
		log_msg("access", "%s %s %d %lldms rid=%s user=%s%s%s", e->method, e->path, e->status,
			(long long)(e->duration_us / 1000), e->request_id ? e->request_id : "-",
			e->user_id ? e->user_id : "-", e->error_code ? " error=" : "", e->error_code ? e->error_code : "");
		return;
	}
	log_time(when);
	at = (size_t)snprintf(line, sizeof line, "{\"time\":\"%s\",\"level\":\"info\",\"pid\":%d,\"message\":\"access\"", when,
			      (int)getpid());
	const struct {
		const char *key, *value;
	} fields[] = {
		{ "request_id", e->request_id },
		{ "method", e->method },
		{ "route", e->route },
		{ "path", e->path },
		{ "user_id", e->user_id },
		{ "error", e->error_code },
	};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		if (!fields[i].value || at >= sizeof line - 64)
			continue;
		at += (size_t)snprintf(line + at, sizeof line - at, ",\"%s\":", fields[i].key);
		put_json_string(line, sizeof line - 64, &at, fields[i].value);
	}
	if (at < sizeof line - 64)
		at += (size_t)snprintf(line + at, sizeof line - at, ",\"status\":%d,\"duration_ms\":%.3f}", e->status,
				       (double)e->duration_us / 1000.0);
	emit(line, at, sizeof line);
}

int parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;

	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int money_parse(const char *s, int64_t *paise)
{
	int64_t rupees = 0, frac = 0;
	int digits = 0, fdigits = 0;
	const char *p = s;

	if (!s || !*s)
		return -1;
	for (; isdigit((unsigned char)*p); p++, digits++) {
		if (rupees > 10000000000LL)
			return -1;
		rupees = rupees * 10 + (*p - '0');
	}
	if (digits == 0)
		return -1;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, fdigits++) {
			if (fdigits >= 2)
				return -1;
			frac = frac * 10 + (*p - '0');
		}
		if (fdigits == 0)
			return -1;
		if (fdigits == 1)
			frac *= 10;
	}
	if (*p)
		return -1;
	*paise = rupees * 100 + frac;
	return 0;
}

void money_format(int64_t paise, char out[32])
{
	const char *sign = paise < 0 ? "-" : "";
	uint64_t a = paise < 0 ? (uint64_t)(-(paise + 1)) + 1 : (uint64_t)paise;

	snprintf(out, 32, "%s%" PRIu64 ".%02" PRIu64, sign, a / 100, a % 100);
}

void money_format_inr(int64_t paise, char out[40])
{
	uint64_t a = paise < 0 ? (uint64_t)(-(paise + 1)) + 1 : (uint64_t)paise;
	char digits[24], grouped[28]; /* 17 digits and 8 commas at most */
	int n = snprintf(digits, sizeof digits, "%" PRIu64, a / 100), g = 0;

	/* the last three digits, then pairs: 1,23,45,678 */
	for (int i = 0; i < n; i++) {
		int left = n - i; /* digits from here to the end */
		if (i > 0 && (left == 3 || (left > 3 && (left - 3) % 2 == 0)))
			grouped[g++] = ',';
		grouped[g++] = digits[i];
	}
	grouped[g] = '\0';
	if (a % 100)
		snprintf(out, 40, "%s₹%s.%02" PRIu64, paise < 0 ? "-" : "", grouped, a % 100);
	else
		snprintf(out, 40, "%s₹%s", paise < 0 ? "-" : "", grouped);
}

int is_uuid(const char *s)
{
	if (!s || strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mono_ms(void)
{
	return mono_us() / 1000;
}

int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
