/* handlers.h: every route handler, grouped by the file that holds it. */
#ifndef APP_HANDLERS_H
#define APP_HANDLERS_H

struct req;

/* health.c */
int health_get(struct req *r);
int openapi_get(struct req *r);

/* users.c */
int auth_register(struct req *r);
int auth_login(struct req *r);
int me_get(struct req *r);

/* addresses.c */
int addresses_list(struct req *r);
int addresses_create(struct req *r);
int addresses_get(struct req *r);
int addresses_update(struct req *r);
int addresses_delete(struct req *r);

/* cart.c */
int cart_get(struct req *r);
int cart_add(struct req *r);
int cart_item_update(struct req *r);
int cart_item_delete(struct req *r);

#endif
