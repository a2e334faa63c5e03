/* test_smtp.c: SMTP's TLS rule (STARTTLS required off loopback) and a real
 * session against a plaintext server that offers no STARTTLS, as a network
 * attacker who strips it would answer. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "arena.h"
#include "httpc.h"
#include "smtp.h"
#include "tap.h"

static void test_rule(void)
{
	static const struct {
		const char *url;
		int insecure, want;
	} cases[] = {
		{ "smtp://smtp.example.com:587", 0, 1 },
		{ "smtp://user:pw@smtp.example.com", 0, 1 },
		{ "smtp://10.0.0.5:25", 0, 1 },
		{ "smtp://127.0.0.1.example.com:25", 0, 1 },
		{ "smtp://localhost.example.com", 0, 1 },
		{ "smtp://[::2]:25", 0, 1 },
		{ "smtp://[::ffff:10.0.0.1]:25", 0, 1 },
		{ "smtp://127.0.0.1:2525", 0, 0 },
		{ "smtp://127.8.9.10", 0, 0 },
		{ "smtp://user@127.0.0.1:25/", 0, 0 },
		{ "smtp://LocalHost:25", 0, 0 },
		{ "smtp://[::1]:25", 0, 0 },
		{ "smtp://smtp.example.com:587", 1, 0 },
		{ "SMTP://smtp.example.com", 0, 1 },
		{ "", 0, 1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ok(smtp_tls_required(cases[i].url, cases[i].insecure) == cases[i].want, "%s%s: STARTTLS %s",
		   cases[i].url, cases[i].insecure ? " with SMTP_INSECURE=1" : "",
		   cases[i].want ? "required" : "optional");
}

/* One line from fd into line[]; length, or -1 at EOF. */
static int read_line(int fd, char *line, size_t cap)
{
	size_t n = 0;
	char c;

	while (read(fd, &c, 1) == 1) {
		if (n + 1 < cap)
			line[n++] = c;
		if (c == '\n') {
			line[n] = '\0';
			return (int)n;
		}
	}
	return -1;
}

static void say(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) < 0)
		_exit(1);
}

/* A plaintext SMTP server: EHLO answers without STARTTLS. Serves until killed. */
static void serve_plain(int lfd)
{
	char line[1024];

	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			_exit(0);
		say(fd, "220 plain.test ESMTP\r\n");
		while (read_line(fd, line, sizeof line) > 0) {
			if (strncasecmp(line, "EHLO", 4) == 0) {
				say(fd, "250-plain.test\r\n250 8BITMIME\r\n");
			} else if (strncasecmp(line, "DATA", 4) == 0) {
				say(fd, "354 go on\r\n");
				while (read_line(fd, line, sizeof line) > 0 && strcmp(line, ".\r\n") != 0)
					;
				say(fd, "250 queued\r\n");
			} else if (strncasecmp(line, "QUIT", 4) == 0) {
				say(fd, "221 bye\r\n");
				break;
			} else {
				say(fd, "250 ok\r\n");
			}
		}
		close(fd);
	}
}

static void test_session(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sa;
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 8) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) != 0) {
		ok(0, "a loopback listener for the plaintext server");
		return;
	}
	pid_t pid = fork();
	if (pid == 0)
		serve_plain(lfd);
	close(lfd);

	char url[64], err[256] = "";
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", ntohs(sa.sin_port));
	const char *msg = "Subject: t\r\n\r\nhello\r\n";
	enum httpc_result rc = httpc_smtp_send(url, 1, "shop@lafete.test", "a@example.test", msg, err, sizeof err);
	ok(rc != HTTPC_OK && err[0], "TLS required, no STARTTLS offered: nothing is sent (%s)", err);
	err[0] = '\0';
	rc = httpc_smtp_send(url, 0, "shop@lafete.test", "a@example.test", msg, err, sizeof err);
	ok(rc == HTTPC_OK, "TLS optional: the same server takes the message (%s)", err);

	/* smtp_send applies the rule: loopback needs no TLS */
	struct arena *a = arena_new();
	err[0] = '\0';
	ok(smtp_send(a, url, 0, "shop@lafete.test", "a@example.test", 1, "Hi", "Body", err, sizeof err) == SMTP_SENT,
	   "smtp_send to a loopback URL in plaintext (%s)", err);
	arena_free(a);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	test_rule();
	test_session();
	httpc_cleanup();
	curl_global_cleanup();
	return done_testing();
}
