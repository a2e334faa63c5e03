/* status.c: whether the shop can serve: the database answers. */
#include "db.h"
#include "status.h"

int status_database_up(struct ctx *c)
{
	return db_query0(c, "SELECT 1") != NULL;
}
