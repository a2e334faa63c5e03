/* fcgi_out.c: the answer's FastCGI records in one writev.
 *
 * libfcgi's writer copies the answer into an 8 KiB buffer and writes each time
 * the buffer fills, so a 27 KiB page is four writes, and each one wakes nginx to
 * read a part. Here the records' headers point at the answer where it lies and
 * one writev (more only past 64 pieces or when the socket takes less) sends it
 * all, the end of the stream and FCGI_END_REQUEST included (the FastCGI
 * specification, 1996, sections 3.3, 5.3 and 5.5). */
#include <errno.h>
#include <fastcgi.h>
#include <string.h>
#include <sys/uio.h>

#include "fcgi_out.h"

#define RECORD_MAX 65535 /* a record's content length is 16 bits */
#define PIECES 64	 /* iovecs per writev: a header and its content each */

struct writer {
	int fd;
	struct iovec iov[PIECES];
	int n;
	FCGI_Header headers[PIECES / 2];
	int nheaders;
	FCGI_EndRequestBody end;
};

/* Writes iov[0..n) whole: a signal or a full socket may cut a writev short. */
static int write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static int flush(struct writer *w)
{
	int rc = write_all(w->fd, w->iov, w->n);

	w->n = w->nheaders = 0;
	return rc;
}

/* One record: its header, then len (<= RECORD_MAX) bytes of content at p. */
static int record(struct writer *w, int type, int request_id, const void *p, size_t len)
{
	if ((w->n + 2 > PIECES || w->nheaders == PIECES / 2) && flush(w) != 0)
		return -1;
	FCGI_Header *h = &w->headers[w->nheaders++];
	*h = (FCGI_Header){
		.version = FCGI_VERSION_1,
		.type = (unsigned char)type,
		.requestIdB1 = (unsigned char)(request_id >> 8),
		.requestIdB0 = (unsigned char)request_id,
		.contentLengthB1 = (unsigned char)(len >> 8),
		.contentLengthB0 = (unsigned char)len,
	};
	w->iov[w->n++] = (struct iovec){ h, sizeof *h };
	if (len)
		w->iov[w->n++] = (struct iovec){ (void *)p, len };
	return 0;
}

/* The bytes at p as stdout records. */
static int stdout_records(struct writer *w, int request_id, const char *p, size_t len)
{
	while (len > 0) {
		size_t part = len < RECORD_MAX ? len : RECORD_MAX;
		if (record(w, FCGI_STDOUT, request_id, p, part) != 0)
			return -1;
		p += part;
		len -= part;
	}
	return 0;
}

int fcgi_out_answer(int fd, int request_id, const char *head, size_t head_len, const char *body, size_t body_len)
{
	struct writer w = { .fd = fd, .end = { .protocolStatus = FCGI_REQUEST_COMPLETE } };

	if (stdout_records(&w, request_id, head, head_len) != 0 ||
	    stdout_records(&w, request_id, body, body_len) != 0 ||
	    record(&w, FCGI_STDOUT, request_id, NULL, 0) != 0 || /* the stream's end */
	    record(&w, FCGI_END_REQUEST, request_id, &w.end, sizeof w.end) != 0)
		return -1;
	return flush(&w);
}
