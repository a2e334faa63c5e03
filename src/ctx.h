/* ctx.h: what the shop's rules get instead of the request: memory, the
 * database, who acts, and the templates. The front fills one per request; the
 * CLI and the unit tests fill their own. */
#ifndef APP_CTX_H
#define APP_CTX_H

#include <stddef.h>

struct arena;
struct db;
struct tmpl_set;

enum role { ROLE_NONE,
	    ROLE_CUSTOMER,
	    ROLE_ADMIN };

/* Who is acting: a signed-in user (user_id set), or a part of the system
 * (user_id empty; system is the actor text as history rows show it, e.g.
 * "system:dispatch", "razorpay", "borzo"). */
struct principal {
	char user_id[37]; /* empty when anonymous or the system */
	enum role role;
	char name[128];
	char email[256];
	const char *system; /* NULL for people */
};

struct ctx {
	struct arena *a; /* everything returned lives here */
	struct db *db;	 /* this process's one connection */
	struct principal who;
	const struct tmpl_set *templates; /* emails and pages; may be NULL */
	int db_calls;			  /* statements run for this unit of work */
};

/* The actor written into history rows: "customer:<id>", "admin:<id>", or
 * who.system (arena). */
const char *ctx_actor(struct ctx *c);

#endif
