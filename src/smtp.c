/* smtp.c: the SMTP client: one RFC 5322 message built from plain values, sent
 * through libcurl (httpc.c). Knows nothing of orders or the outbox. */
#include <arpa/inet.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "arena.h"
#include "buf.h"
#include "httpc.h"
#include "smtp.h"

static int has_crlf(const char *s)
{
	return s == NULL || strpbrk(s, "\r\n") != NULL;
}

static int is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* RFC 2047 encoded words (UTF-8, base64), split on character boundaries. */
static void put_encoded_header(struct buf *b, const char *s)
{
	size_t n = strlen(s), i = 0;

	while (i < n) {
		size_t take = n - i > 45 ? 45 : n - i;
		while (i + take < n && take > 0 && ((unsigned char)s[i + take] & 0xC0) == 0x80)
			take--; /* never cut a UTF-8 sequence */
		char b64[128];
		sodium_bin2base64(b64, sizeof b64, (const unsigned char *)s + i, take, sodium_base64_VARIANT_ORIGINAL);
		buf_printf(b, "%s=?UTF-8?B?%s?=", i ? "\r\n " : "", b64);
		i += take;
	}
}

char *smtp_message(struct arena *a, long long email_id, const char *from, const char *to,
		   const char *subject, const char *body)
{
	char date[64], rnd[17];
	unsigned char raw[8];
	time_t now = time(NULL);
	struct tm tm;
	const char *at = strchr(from ? from : "", '@');

	if (has_crlf(from) || has_crlf(to) || has_crlf(subject) || !body)
		return NULL;
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(rnd, sizeof rnd, raw, sizeof raw);
	struct buf b = BUF_INIT;
	buf_printf(&b, "Date: %s\r\nMessage-ID: <email-%lld.%s@%s>\r\nFrom: %s\r\nTo: %s\r\nSubject: ",
		   date, email_id, rnd, at ? at + 1 : "localhost", from, to);
	if (is_ascii(subject))
		buf_puts(&b, subject);
	else
		put_encoded_header(&b, subject);
	buf_puts(&b, "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
		     "Content-Transfer-Encoding: 8bit\r\n\r\n");
	for (const char *p = body; *p; p++) { /* every line end becomes CRLF */
		if (*p == '\r')
			continue;
		if (*p == '\n')
			buf_putc(&b, '\r');
		buf_putc(&b, *p);
	}
	if (b.len < 2 || b.data[b.len - 1] != '\n')
		buf_puts(&b, "\r\n");
	char *out = arena_strdup(a, b.data);
	buf_free(&b);
	return out;
}

/* The host of scheme://[userinfo@]host[:port][/...] into out; -1 when none fits. */
static int url_host(const char *url, char *out, size_t cap)
{
	const char *p = strstr(url, "://");
	if (!p)
		return -1;
	p += 3;
	size_t auth = strcspn(p, "/?#");
	const char *at = memchr(p, '@', auth);
	if (at) {
		auth -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	size_t n;
	if (*p == '[') {
		const char *close = memchr(p, ']', auth);
		if (!close)
			return -1;
		p++;
		n = (size_t)(close - p);
	} else {
		n = strcspn(p, ":/?#");
	}
	if (n == 0 || n >= cap)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int smtp_tls_required(const char *url, int insecure)
{
	char host[256];
	struct in_addr v4;
	struct in6_addr v6;

	if (insecure)
		return 0;
	if (!url || url_host(url, host, sizeof host) != 0)
		return 1;
	if (strcasecmp(host, "localhost") == 0)
		return 0;
	if (inet_pton(AF_INET, host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) != 127;
	if (inet_pton(AF_INET6, host, &v6) == 1)
		return !IN6_IS_ADDR_LOOPBACK(&v6);
	return 1; /* a name: whatever it resolves to, the path to it is not ours */
}

enum smtp_result smtp_send(struct arena *a, const char *url, int insecure, const char *from, const char *to,
			   long long message_id, const char *subject, const char *body, char *err, size_t errlen)
{
	char *msg = smtp_message(a, message_id, from, to, subject, body);

	if (!msg) {
		snprintf(err, errlen, "CR or LF in a header value");
		return SMTP_REFUSED;
	}
	switch (httpc_smtp_send(url, smtp_tls_required(url, insecure), from, to, msg, err, errlen)) {
	case HTTPC_OK:
		return SMTP_SENT;
	case HTTPC_UNREACHABLE:
		return SMTP_UNREACHABLE;
	default:
		if (!err[0])
			snprintf(err, errlen, "smtp failure");
		return SMTP_FAILED;
	}
}
