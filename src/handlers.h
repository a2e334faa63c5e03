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

/* admin_session.c */
int admin_login_get(struct req *r);
int admin_login_post(struct req *r);
int admin_logout_post(struct req *r);

/* admin_orders.c */
int admin_orders_page(struct req *r);
int admin_order_page(struct req *r);
int admin_order_status_post(struct req *r);
int admin_kitchen_page(struct req *r);
int api_admin_orders(struct req *r);
int api_admin_order_get(struct req *r);
int api_admin_order_status(struct req *r);

/* analytics.c */
int api_admin_analytics(struct req *r);
int admin_analytics_page(struct req *r);

/* admin_jobs.c */
int admin_jobs_page(struct req *r);
int admin_job_retry_post(struct req *r);

/* admin_products_pages.c */
int admin_products_page(struct req *r);
int admin_product_new_get(struct req *r);
int admin_product_new_post(struct req *r);
int admin_product_get(struct req *r);
int admin_product_post(struct req *r);

#endif
