/* worker.h: one prefork child: accept a request, run it, answer, log. */
#ifndef APP_WORKER_H
#define APP_WORKER_H

/* Runs the accept loop on the listening sockets (non-blocking, shared with the
 * other workers) until SIGTERM; returns the exit code. */
int worker_run(const int *listen_fds, int nlisten, int worker_no);

#endif
