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

/* deliveries.c */
int delivery_book_post(struct req *r);
int delivery_cancel_post(struct req *r);
int delivery_webhook(struct req *r);

/* dispatch.c */
int dispatch_post(struct req *r);

/* track.c */
int track_get(struct req *r);

#endif
