/* fuzz.h: what the libFuzzer targets share: their entry points, a broken
 * property reported as a crash, and a request for front code to answer into.
 * Each target is one file linked with libapp.a, the server's own code. */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The run script closes stderr (-close_fd_mask=2) to silence the code's log
 * lines; libFuzzer keeps its own copy for reports, and so do we, taken in
 * LLVMFuzzerInitialize before it closes anything. */
static int fuzz_err_fd = 2;

static inline void fuzz_keep_stderr(void)
{
	int fd = dup(2);
	if (fd >= 0)
		fuzz_err_fd = fd;
}

/* A property did not hold: says which and aborts, and libFuzzer keeps the input. */
__attribute__((format(printf, 1, 2), noreturn)) static inline void fuzz_fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof msg - 2)
		n = (int)sizeof msg - 2;
	msg[n++] = '\n';
	ssize_t w = write(fuzz_err_fd, "fuzz: property broken: ", 23);
	w = write(fuzz_err_fd, msg, (size_t)n);
	(void)w;
	abort();
}

#define FUZZ_ASSERT(cond, ...)                  \
	do {                                    \
		if (!(cond))                    \
			fuzz_fail(__VA_ARGS__); \
	} while (0)

/* A request as the worker fills it, without FastCGI: enough for the parsing
 * helpers, the route table and every reply_*() but req_header. */
static inline void fuzz_req_init(struct req *r)
{
	memset(r, 0, sizeof *r);
	r->a = arena_new();
	r->ctx.a = r->a;
}

/* Back to a fresh request, keeping the arena's first block (as the worker does). */
static inline void fuzz_req_reset(struct req *r)
{
	struct arena *a = r->a;

	arena_reset(a);
	buf_free(&r->headers);
	buf_free(&r->out);
	memset(r, 0, sizeof *r);
	r->a = a;
	r->ctx.a = a;
}

/* The input as a NUL-terminated copy (caller frees): the code reads C strings. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Splits s in place at each sep into at most max fields; returns how many. */
static inline int fuzz_split(char *s, char sep, char **fields, int max)
{
	int n = 0;

	while (n < max) {
		fields[n++] = s;
		char *e = strchr(s, sep);
		if (!e)
			break;
		*e = '\0';
		s = e + 1;
	}
	return n;
}

#endif
