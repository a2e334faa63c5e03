/* fake_httpc.h: the partner targets' stand-in for httpc.c. Linked before
 * libapp.a, it defines every function httpc.o does, so the archive's httpc.o
 * is never linked and razorpay.c and borzo.c talk to this instead: it answers
 * each call with the status and body the fuzzer chose, and sends nothing. */
#ifndef FUZZ_FAKE_HTTPC_H
#define FUZZ_FAKE_HTTPC_H

#include <stddef.h>

#include "httpc.h"

struct fake_answer {
	enum httpc_result result; /* what the transport says */
	long status;		  /* with HTTPC_OK */
	const char *body;	  /* the answer's bytes (not NUL-terminated) */
	size_t len;
};

/* The answer every call gets from now on. */
void fake_httpc_answer(const struct fake_answer *a);
/* Calls made since the last fake_httpc_answer. */
int fake_httpc_calls(void);

/* Picks an HTTP status from one byte: mostly the ones partners send. */
long fake_status(unsigned char b);
/* Picks a transport result from one byte: mostly an answer. */
enum httpc_result fake_result(unsigned char b);

#endif
