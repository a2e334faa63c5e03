/* fake_httpc.c: see fake_httpc.h. */
#include <stdio.h>
#include <string.h>

#include "fake_httpc.h"

static struct fake_answer answer;
static int calls;

void fake_httpc_answer(const struct fake_answer *a)
{
	answer = *a;
	calls = 0;
}

int fake_httpc_calls(void)
{
	return calls;
}

long fake_status(unsigned char b)
{
	static const long common[] = { 200, 201, 202, 204, 301, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504 };

	if (b < 0xF0)
		return common[b % (sizeof common / sizeof *common)];
	return (long)(b - 0xF0) * 67; /* 0, 67, ... 1005: odd ones too */
}

enum httpc_result fake_result(unsigned char b)
{
	switch (b % 16) {
	case 13: return HTTPC_TIMEOUT;
	case 14: return HTTPC_UNREACHABLE;
	case 15: return HTTPC_ERROR;
	default: return HTTPC_OK;
	}
}

enum httpc_result httpc_perform(struct httpc_call *c)
{
	calls++;
	c->status = 0;
	c->error[0] = '\0';
	/* as libcurl's write callback does; a failed call may have received part of it */
	if (answer.len)
		buf_put(&c->response, answer.body, answer.len);
	if (answer.result != HTTPC_OK) {
		snprintf(c->error, sizeof c->error, "fake transport failure %d", (int)answer.result);
		return answer.result;
	}
	c->status = answer.status;
	return HTTPC_OK;
}

enum httpc_result httpc_smtp_send(const char *url, int require_tls, const char *from, const char *to,
				  const char *message, char *err, size_t errlen)
{
	snprintf(err, errlen, "no SMTP in a fuzz target");
	return HTTPC_UNREACHABLE;
}

void httpc_cleanup(void)
{
}
