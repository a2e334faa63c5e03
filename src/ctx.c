/* ctx.c: the acting principal as history rows record it. */
#include "arena.h"
#include "ctx.h"

const char *ctx_actor(struct ctx *c)
{
	if (c->who.user_id[0])
		return arena_printf(c->a, "%s:%s", c->who.role == ROLE_ADMIN ? "admin" : "customer", c->who.user_id);
	return c->who.system ? c->who.system : "system";
}
