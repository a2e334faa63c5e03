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

/* payments.c */
int payments_create_order(struct req *r);
int payments_verify(struct req *r);
int payments_webhook(struct req *r);
int admin_order_refund(struct req *r);
/* slots.c */
int slots_get(struct req *r);

/* estimate.c */
int estimate_get(struct req *r);

/* orders.c */
int orders_create(struct req *r);
int orders_list(struct req *r);
int orders_get(struct req *r);
int orders_cancel(struct req *r);

/* dispatch.c */
int dispatch_run(struct req *r);
/* products.c */
int products_list(struct req *r);
int product_get(struct req *r);
/* admin_products.c */
int admin_products_list(struct req *r);
int admin_product_create(struct req *r);
int admin_product_get(struct req *r);
int admin_product_update(struct req *r);
int admin_product_archive(struct req *r);
int admin_variant_create(struct req *r);
int admin_variant_update(struct req *r);
int admin_product_image_add(struct req *r);
int admin_product_image_remove(struct req *r);
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
