/* httpc.h: the worker's one outgoing HTTP client (libcurl, reused handle). */
#ifndef APP_HTTPC_H
#define APP_HTTPC_H

#include <stddef.h>

#include "buf.h"

enum httpc_result {
	HTTPC_OK = 0,		/* an HTTP answer arrived (any status) */
	HTTPC_TIMEOUT = -1,	/* sent, no answer in time: the outcome is unknown */
	HTTPC_UNREACHABLE = -2, /* could not connect: nothing was sent */
	HTTPC_ERROR = -3,	/* other transport failure */
};

struct httpc_call {
	const char *method; /* "GET", "POST", "PUT" */
	const char *url;
	const char *const *headers; /* NULL-terminated "Name: value" lines, or NULL */
	const char *body;
	size_t body_len;
	const char *username, *password; /* HTTP Basic when username is set */
	const char *aws_sigv4;		 /* e.g. "aws:amz:ap-south-1:s3" with username/password as keys */
	long timeout_ms;		 /* whole call; connect gets min(3000, this) */
	const char *partner, *operation; /* for /metrics: "borzo", "create-order" */
	/* answer */
	long status;
	struct buf response; /* caller frees with buf_free */
	char error[256];
};

/* Performs the call. The response body is in call->response. */
enum httpc_result httpc_perform(struct httpc_call *call);
/* Sends one email through url with libcurl: message is the full RFC 5322 text.
 * require_tls: an smtp:// session must be upgraded by STARTTLS (a server that
 * does not offer it gets nothing); 0 upgrades only when offered. smtps:// is TLS
 * from the first byte either way. */
enum httpc_result httpc_smtp_send(const char *url, int require_tls, const char *from, const char *to,
				  const char *message, char *err, size_t errlen);
/* Frees the worker's handle (at exit). */
void httpc_cleanup(void);

#endif
