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

void log_msg(const char *level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ [%d] %s: ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, ts.tv_nsec / 1000000, (int)getpid(), level);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	/* one write per line so lines from several workers do not interleave */
	size_t len = strlen(line);
	for (size_t i = 0; i < len; i++) /* keep one event on one line */
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
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
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
