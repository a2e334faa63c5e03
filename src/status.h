/* status.h: whether the shop can serve, for GET /api/health. */
#ifndef APP_STATUS_H
#define APP_STATUS_H

#include "ctx.h"

/* 1 when the database answers a trivial query, 0 when it does not. */
int status_database_up(struct ctx *c);

#endif
