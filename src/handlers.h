/* handlers.h: every route handler, grouped by the file that holds it. */
#ifndef APP_HANDLERS_H
#define APP_HANDLERS_H

struct req;

/* health.c */
int health_get(struct req *r);
int metrics_get(struct req *r);
int openapi_get(struct req *r);

/* api_accounts.c */
int auth_register(struct req *r);
int auth_login(struct req *r);
int me_get(struct req *r);
int auth_password_reset(struct req *r);
int auth_password_reset_confirm(struct req *r);
int me_update(struct req *r);
int me_password(struct req *r);
int me_export(struct req *r);
int me_delete(struct req *r);

/* api_payments.c */
int payments_create_order(struct req *r);
int payments_verify(struct req *r);
int payments_webhook(struct req *r);
int admin_order_refund(struct req *r);
/* api_slots.c */
int slots_get(struct req *r);

/* api_estimate.c */
int estimate_get(struct req *r);

/* api_orders.c */
int orders_create(struct req *r);
int orders_list(struct req *r);
int orders_get(struct req *r);
int orders_cancel(struct req *r);
int orders_invoice_get(struct req *r);
int orders_credit_note_get(struct req *r);
int api_admin_orders(struct req *r);
int api_admin_order_get(struct req *r);
int api_admin_order_status(struct req *r);

/* api_products.c */
int products_list(struct req *r);
int product_get(struct req *r);
int admin_products_list(struct req *r);
int admin_product_create(struct req *r);
int admin_product_get(struct req *r);
int admin_product_update(struct req *r);
int admin_product_archive(struct req *r);
int admin_variant_create(struct req *r);
int admin_variant_update(struct req *r);
int admin_product_image_add(struct req *r);
int admin_product_image_remove(struct req *r);
/* api_addresses.c */
int addresses_list(struct req *r);
int addresses_create(struct req *r);
int addresses_get(struct req *r);
int addresses_update(struct req *r);
int addresses_delete(struct req *r);
/* api_cart.c */
int cart_get(struct req *r);
int cart_add(struct req *r);
int cart_item_update(struct req *r);
int cart_item_delete(struct req *r);
/* admin_session.c */
int admin_login_get(struct req *r);
int admin_login_post(struct req *r);
int admin_logout_post(struct req *r);
/* page_account.c */
int admin_reset_get(struct req *r);
int admin_reset_post(struct req *r);
int admin_reset_confirm_post(struct req *r);
int admin_account_get(struct req *r);
int admin_account_password_post(struct req *r);
/* page_orders.c */
int admin_orders_page(struct req *r);
int admin_order_page(struct req *r);
int admin_order_status_post(struct req *r);
int admin_order_book_post(struct req *r);
int admin_order_invoice_page(struct req *r);
int admin_order_credit_note_page(struct req *r);
int admin_kitchen_page(struct req *r);
/* page_analytics.c */
int api_admin_analytics(struct req *r);
int admin_analytics_page(struct req *r);
/* page_jobs.c */
int admin_jobs_page(struct req *r);
int admin_job_retry_post(struct req *r);
/* page_products.c */
int admin_products_page(struct req *r);
int admin_product_page_get(struct req *r);
int admin_product_new_get(struct req *r);
int admin_product_new_post(struct req *r);
int admin_product_post(struct req *r);
int admin_product_image_post(struct req *r);
/* api_deliveries.c */
int delivery_book_post(struct req *r);
int delivery_cancel_post(struct req *r);
int delivery_webhook(struct req *r);
/* api_dispatch.c */
int dispatch_post(struct req *r);
/* track.c */
int track_get(struct req *r);
int track_invoice_get(struct req *r);
int track_credit_note_get(struct req *r);

#endif
