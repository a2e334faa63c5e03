/* listener.h: the process that turns the catalog's NOTIFYs into the shared
 * generation (listener.c). */
#ifndef APP_LISTENER_H
#define APP_LISTENER_H

/* Runs until SIGTERM; the master restarts it if it dies. */
int listener_run(void);

#endif
