/* test_fcgi_out.c: an answer's FastCGI records (src/fcgi_out.c), read back from
 * the other end of a socket and parsed as nginx would. */
#include <errno.h>
#include <fastcgi.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fcgi_out.h"
#include "tap.h"

struct parsed {
	char *out; /* the stdout stream's bytes */
	size_t out_len;
	int records; /* stdout records with content */
	int max_len; /* the longest content */
	int ids_ok;  /* every record carries the request id and version 1 */
	int end_ok;  /* an empty stdout record, then END_REQUEST complete, then nothing */
};

/* Reads everything the writer sent until it closes. */
static char *read_all(int fd, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *p = malloc(cap);
	ssize_t r;

	while ((r = read(fd, p + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n == cap)
			p = realloc(p, cap *= 2);
	}
	*len = n;
	return p;
}

static struct parsed parse(const unsigned char *p, size_t len, int id)
{
	struct parsed r = { .out = malloc(len + 1), .ids_ok = 1 };
	size_t i = 0;
	int ended = 0;

	while (i + FCGI_HEADER_LEN <= len) {
		const FCGI_Header *h = (const FCGI_Header *)(p + i);
		size_t clen = (size_t)h->contentLengthB1 << 8 | h->contentLengthB0;
		if (h->version != FCGI_VERSION_1 || (h->requestIdB1 << 8 | h->requestIdB0) != id)
			r.ids_ok = 0;
		i += FCGI_HEADER_LEN;
		if (i + clen + h->paddingLength > len)
			break;
		if (ended) {
			r.end_ok = 0; /* anything after END_REQUEST */
		} else if (h->type == FCGI_STDOUT && clen > 0) {
			memcpy(r.out + r.out_len, p + i, clen);
			r.out_len += clen;
			r.records++;
			if ((int)clen > r.max_len)
				r.max_len = (int)clen;
		} else if (h->type == FCGI_STDOUT) {
			r.end_ok = 1; /* the stream's end: END_REQUEST must follow */
		} else if (h->type == FCGI_END_REQUEST && r.end_ok && clen == sizeof(FCGI_EndRequestBody)) {
			const FCGI_EndRequestBody *b = (const FCGI_EndRequestBody *)(p + i);
			r.end_ok = b->protocolStatus == FCGI_REQUEST_COMPLETE && !b->appStatusB0 && !b->appStatusB3;
			ended = 1;
		} else {
			r.end_ok = 0;
		}
		i += clen + h->paddingLength;
	}
	if (i != len || !ended)
		r.end_ok = 0;
	return r;
}

/* Writes the answer from a child (small socket buffers: many partial writes),
 * reads it here; the child's result in *rc. */
static struct parsed answer(int id, const char *head, const char *body, size_t body_len, int *rc)
{
	int sv[2], status;
	size_t len;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	int small = 4096;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[1]);
		_exit(fcgi_out_answer(sv[0], id, head, strlen(head), body, body_len) == 0 ? 0 : 1);
	}
	close(sv[0]);
	char *raw = read_all(sv[1], &len);
	close(sv[1]);
	waitpid(pid, &status, 0);
	*rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	struct parsed p = parse((unsigned char *)raw, len, id);
	free(raw);
	return p;
}

static void small_answer(void)
{
	int rc;
	struct parsed p = answer(1, "Status: 200 OK\r\n\r\n", "{\"ok\":true}", 11, &rc);

	ok(rc == 0, "a small answer is written");
	ok(p.ids_ok, "records of version 1 for request 1");
	ok(p.out_len == 29 && memcmp(p.out, "Status: 200 OK\r\n\r\n{\"ok\":true}", 29) == 0, "stdout is the head, then the body");
	ok(p.end_ok, "the stream's end, then END_REQUEST complete, then nothing");
	free(p.out);
}

static void large_answer(void)
{
	size_t n = 3 * 65535 + 1234;
	char *body = malloc(n);
	int rc;

	for (size_t i = 0; i < n; i++)
		body[i] = (char)('a' + i % 26);
	struct parsed p = answer(0x1234, "Status: 200 OK\r\nContent-Length: 197839\r\n\r\n", body, n, &rc);
	size_t head = strlen("Status: 200 OK\r\nContent-Length: 197839\r\n\r\n");
	ok(rc == 0, "a 197 839-byte answer is written through a 4 KiB socket buffer");
	ok(p.ids_ok, "request id 0x1234 in both bytes of every record");
	ok(p.out_len == head + n && memcmp(p.out + head, body, n) == 0, "every byte, in order");
	ok(p.max_len == 65535, "no record over 65 535 bytes (the longest %d)", p.max_len);
	ok(p.records == 5, "the head and four records of body (%d)", p.records);
	ok(p.end_ok, "ended properly");
	free(p.out);
	free(body);
}

static void many_records(void)
{
	/* more records than one writev's 64 pieces */
	size_t n = 40 * 65535;
	char *body = calloc(1, n);
	int rc;
	struct parsed p = answer(7, "Status: 200 OK\r\n\r\n", body, n, &rc);

	ok(rc == 0 && p.out_len == 18 + n && p.records == 41 && p.end_ok, "41 records over several writev calls");
	free(p.out);
	free(body);
}

static void head_only(void)
{
	int rc;
	struct parsed p = answer(2, "Status: 304 Not Modified\r\n\r\n", NULL, 0, &rc);

	ok(rc == 0 && p.records == 1 && p.end_ok, "an answer without a body: the head and the end");
	free(p.out);
}

static void peer_gone(void)
{
	int sv[2];

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	close(sv[1]);
	errno = 0;
	ok(fcgi_out_answer(sv[0], 1, "Status: 200 OK\r\n\r\n", 18, "x", 1) == -1 && errno == EPIPE,
	   "a peer that is gone: -1, EPIPE");
	close(sv[0]);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* as the workers do */
	small_answer();
	large_answer();
	many_records();
	head_only();
	peer_gone();
	return done_testing();
}
