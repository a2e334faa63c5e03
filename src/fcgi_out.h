/* fcgi_out.h: an answer's FastCGI records, written with as few system calls as
 * the socket takes (fcgi_out.c). */
#ifndef APP_FCGI_OUT_H
#define APP_FCGI_OUT_H

#include <stddef.h>

/* Writes the whole answer to request_id on fd: its stdout stream (head, then
 * body) in records of at most 65535 bytes, the stream's empty end record and
 * FCGI_END_REQUEST (complete, application status 0). Blocks until all is
 * written. 0, or -1 with errno when the connection failed (the peer is gone). */
int fcgi_out_answer(int fd, int request_id, const char *head, size_t head_len, const char *body, size_t body_len);

#endif
