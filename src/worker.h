/* worker.h: one prefork child: accept a request, run it, answer, log. */
#ifndef APP_WORKER_H
#define APP_WORKER_H

/* Runs the accept loop on the listening socket until SIGTERM; returns the exit code. */
int worker_run(int listen_fd, int worker_no);

#endif
