/* httpc.c: libcurl with timeouts, restricted protocols, one reused handle. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "httpc.h"
#include "metrics.h"
#include "util.h"

static CURL *handle; /* one per worker, created after fork, reused for keep-alive */

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	if (b->len + size * n > 8 * 1024 * 1024) /* a partner's answer is never this big */
		return 0;
	buf_put(b, p, size * n);
	return size * n;
}

static CURL *get_handle(void)
{
	if (!handle)
		handle = curl_easy_init();
	else
		curl_easy_reset(handle); /* keeps live connections and caches */
	return handle;
}

static enum httpc_result classify(CURLcode rc)
{
	switch (rc) {
	case CURLE_OK:
		return HTTPC_OK;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return HTTPC_UNREACHABLE;
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
		return HTTPC_TIMEOUT; /* the request may have been acted on */
	default:
		return HTTPC_ERROR;
	}
}

static enum httpc_result perform(struct httpc_call *c)
{
	CURL *h = get_handle();
	struct curl_slist *hdrs = NULL;

	if (!h) {
		snprintf(c->error, sizeof c->error, "curl_easy_init failed");
		return HTTPC_ERROR;
	}
	c->status = 0;
	c->error[0] = '\0';
	for (const char *const *p = c->headers; p && *p; p++)
		hdrs = curl_slist_append(hdrs, *p);
	/* no 100-continue round trip; but not under SigV4: curl 7.88 signs the
	 * blanked Expect header it then never sends, and S3 refuses the signature */
	if (!c->aws_sigv4)
		hdrs = curl_slist_append(hdrs, "Expect:");
	long timeout = c->timeout_ms > 0 ? c->timeout_ms : 10000;
	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout < 3000 ? timeout : 3000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &c->response);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "lafete365/1");
	if (c->username) {
		curl_easy_setopt(h, CURLOPT_USERNAME, c->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->password ? c->password : "");
		if (!c->aws_sigv4)
			curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	}
	if (c->aws_sigv4)
		curl_easy_setopt(h, CURLOPT_AWS_SIGV4, c->aws_sigv4);
	if (strcmp(c->method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body ? c->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
	}
	CURLcode rc = curl_easy_perform(h);
	curl_slist_free_all(hdrs);
	if (rc != CURLE_OK) {
		snprintf(c->error, sizeof c->error, "%s", curl_easy_strerror(rc));
		return classify(rc);
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
	return HTTPC_OK;
}

struct reader {
	const char *p;
	size_t left;
};

static size_t on_read(char *dst, size_t size, size_t n, void *ud)
{
	struct reader *rd = ud;
	size_t k = size * n < rd->left ? size * n : rd->left;
	memcpy(dst, rd->p, k);
	rd->p += k;
	rd->left -= k;
	return k;
}

static enum httpc_result smtp_send(const char *url, int require_tls, const char *from, const char *to,
				   const char *message, char *err, size_t errlen)
{
	CURL *h = get_handle();
	struct curl_slist *rcpt = NULL;
	struct reader rd = { message, strlen(message) };
	char addr[320];

	if (!h)
		return HTTPC_ERROR;
	snprintf(addr, sizeof addr, "<%s>", to);
	rcpt = curl_slist_append(rcpt, addr);
	snprintf(addr, sizeof addr, "<%s>", from);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, addr);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &rd);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	/* TRY would let anyone on the path strip STARTTLS and read the password and the mail */
	if (strncmp(url, "smtps://", 8) != 0)
		curl_easy_setopt(h, CURLOPT_USE_SSL, require_tls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
	CURLcode rc = curl_easy_perform(h);
	curl_slist_free_all(rcpt);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", curl_easy_strerror(rc));
		return classify(rc);
	}
	return HTTPC_OK;
}

/* The call's outcome as /metrics counts it. */
static const char *outcome_of(enum httpc_result hr, long status)
{
	switch (hr) {
	case HTTPC_OK:
		return status >= 500 ? "5xx" : status >= 400 ? "4xx"
							     : "ok";
	case HTTPC_TIMEOUT:
		return "timeout";
	case HTTPC_UNREACHABLE:
		return "refused";
	default:
		return "error";
	}
}

enum httpc_result httpc_perform(struct httpc_call *c)
{
	int64_t start = mono_us();
	enum httpc_result hr = perform(c);

	metrics_partner(c->partner ? c->partner : "other", c->operation ? c->operation : c->method,
			outcome_of(hr, c->status), mono_us() - start);
	return hr;
}

enum httpc_result httpc_smtp_send(const char *url, int require_tls, const char *from, const char *to,
				  const char *message, char *err, size_t errlen)
{
	int64_t start = mono_us();
	enum httpc_result hr = smtp_send(url, require_tls, from, to, message, err, errlen);

	metrics_partner("smtp", "send", outcome_of(hr, 250), mono_us() - start);
	return hr;
}

void httpc_cleanup(void)
{
	if (handle)
		curl_easy_cleanup(handle);
	handle = NULL;
}
