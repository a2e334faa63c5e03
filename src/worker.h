/* worker.h: one prefork child: accept a request, run it, answer, log. */
#ifndef APP_WORKER_H
#define APP_WORKER_H

struct tmpl_set;

/* Runs the accept loop on the listening socket until SIGTERM; returns the exit code. */
int worker_run(int listen_fd, int worker_no);
/* The templates this worker loaded at start. */
const struct tmpl_set *worker_templates(void);

#endif
