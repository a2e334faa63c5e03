/* smtp.h: the SMTP client: plain values in, one outcome out. */
#ifndef APP_SMTP_H
#define APP_SMTP_H

#include <stddef.h>

struct arena;

enum smtp_result {
	SMTP_SENT,	  /* the server took the message */
	SMTP_REFUSED,	  /* the message cannot be sent as it is (a header holds CR or LF): never retry */
	SMTP_FAILED,	  /* the server refused or the session broke: retry later */
	SMTP_UNREACHABLE, /* no connection: the server is down, the rest can wait too */
};

/* Builds the RFC 5322 text (CRLF line ends, UTF-8 subject as RFC 2047 words)
 * of one message into the arena. NULL when a header value holds CR or LF. */
char *smtp_message(struct arena *a, long long message_id, const char *from, const char *to,
		   const char *subject, const char *body);

/* 1 when a session to url must be encrypted: always, unless its host is
 * loopback (localhost, 127.0.0.0/8, [::1]) or insecure (SMTP_INSECURE=1) is set. */
int smtp_tls_required(const char *url, int insecure);

/* Sends one plain-text message through url (smtp:// or smtps://), over TLS as
 * smtp_tls_required(url, insecure) says; err gets a one-line reason when it was
 * not sent (a server that offers no STARTTLS when TLS is required: SMTP_FAILED). */
enum smtp_result smtp_send(struct arena *a, const char *url, int insecure, const char *from, const char *to,
			   long long message_id, const char *subject, const char *body, char *err, size_t errlen);

#endif
