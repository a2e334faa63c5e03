/* routes.c: THE route table. Method, path, handler, who may call, what body. */
#include <stdint.h>
#include <string.h>

#include "handlers.h"
#include "http.h"
#include "routes.h"
#include "util.h"

#define KB 1024
#define MB (1024 * 1024)

/* Fields left out are zero: no typed 404 of its own, no CSRF check. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
const struct route routes[] = {
	/* health and docs */
	{ "GET", "/api/health", health_get, AUTH_NONE, BODY_NONE, 0 },
	/* nginx answers 403 to every address but loopback and METRICS_ALLOW */
	{ "GET", "/metrics", metrics_get, AUTH_NONE, BODY_NONE, 0 },
	{ "GET", "/api/openapi.json", openapi_get, AUTH_NONE, BODY_NONE, 0 },

	/* accounts */
	{ "POST", "/api/auth/register", auth_register, AUTH_NONE, BODY_JSON, 16 * KB },
	{ "POST", "/api/auth/login", auth_login, AUTH_NONE, BODY_JSON, 16 * KB },
	{ "POST", "/api/auth/password-reset", auth_password_reset, AUTH_NONE, BODY_JSON, 4 * KB },
	{ "POST", "/api/auth/password-reset/confirm", auth_password_reset_confirm, AUTH_NONE, BODY_JSON, 4 * KB },
	{ "GET", "/api/me", me_get, AUTH_USER, BODY_NONE, 0 },
	{ "PATCH", "/api/me", me_update, AUTH_USER, BODY_JSON, 4 * KB },
	{ "DELETE", "/api/me", me_delete, AUTH_USER, BODY_JSON, 4 * KB },
	{ "POST", "/api/me/password", me_password, AUTH_USER, BODY_JSON, 4 * KB },
	{ "GET", "/api/me/export", me_export, AUTH_USER, BODY_NONE, 0 },

	/* payments (Razorpay) */
	{ "POST", "/api/payments/create-order", payments_create_order, AUTH_USER, BODY_JSON, 4 * KB },
	{ "POST", "/api/payments/verify", payments_verify, AUTH_USER, BODY_JSON, 4 * KB },
	{ "POST", "/api/payments/webhook", payments_webhook, AUTH_NONE, BODY_RAW, 64 * KB },
	{ "POST", "/api/admin/orders/{id:uuid}/refund", admin_order_refund, AUTH_ADMIN, BODY_NONE, 0, E_ORDER_NOT_FOUND },

	/* checkout: slots, delivery estimate, orders */
	{ "GET", "/api/delivery/slots", slots_get, AUTH_NONE, BODY_NONE, 0 },
	{ "GET", "/api/delivery/estimate", estimate_get, AUTH_NONE, BODY_NONE, 0 },
	{ "POST", "/api/orders", orders_create, AUTH_USER, BODY_JSON, 16 * KB },
	{ "GET", "/api/orders", orders_list, AUTH_USER, BODY_NONE, 0 },
	{ "GET", "/api/orders/{id:uuid}", orders_get, AUTH_USER, BODY_NONE, 0, E_ORDER_NOT_FOUND },
	{ "POST", "/api/orders/{id:uuid}/cancel", orders_cancel, AUTH_USER, BODY_NONE, 0, E_ORDER_NOT_FOUND },
	/* the order's GST documents: printable HTML, or JSON on Accept: application/json */
	{ "GET", "/api/orders/{id:uuid}/invoice", orders_invoice_get, AUTH_USER, BODY_NONE, 0, E_ORDER_NOT_FOUND },
	{ "GET", "/api/orders/{id:uuid}/credit-notes/{n}", orders_credit_note_get, AUTH_USER, BODY_NONE, 0, E_ORDER_NOT_FOUND },
	/* catalog */
	{ "GET", "/api/products", products_list, AUTH_NONE, BODY_NONE, 0 },
	{ "GET", "/api/products/{id:uuid}", product_get, AUTH_NONE, BODY_NONE, 0, E_PRODUCT_NOT_FOUND },
	/* admin catalog */
	{ "GET", "/api/admin/products", admin_products_list, AUTH_ADMIN, BODY_NONE, 0 },
	{ "POST", "/api/admin/products", admin_product_create, AUTH_ADMIN, BODY_JSON, 64 * KB },
	{ "GET", "/api/admin/products/{id:uuid}", admin_product_get, AUTH_ADMIN, BODY_NONE, 0, E_PRODUCT_NOT_FOUND },
	{ "PATCH", "/api/admin/products/{id:uuid}", admin_product_update, AUTH_ADMIN, BODY_JSON, 16 * KB, E_PRODUCT_NOT_FOUND },
	{ "DELETE", "/api/admin/products/{id:uuid}", admin_product_archive, AUTH_ADMIN, BODY_NONE, 0, E_PRODUCT_NOT_FOUND },
	{ "POST", "/api/admin/products/{id:uuid}/variants", admin_variant_create, AUTH_ADMIN, BODY_JSON, 4 * KB, E_PRODUCT_NOT_FOUND },
	{ "PATCH", "/api/admin/products/{id:uuid}/variants/{variantId:uuid}", admin_variant_update, AUTH_ADMIN, BODY_JSON, 4 * KB, E_PRODUCT_VARIANT_NOT_FOUND },
	{ "POST", "/api/admin/products/{id:uuid}/images", admin_product_image_add, AUTH_ADMIN, BODY_MULTIPART, 6 * MB, E_PRODUCT_NOT_FOUND },
	{ "DELETE", "/api/admin/products/{id:uuid}/images", admin_product_image_remove, AUTH_ADMIN, BODY_NONE, 0, E_PRODUCT_NOT_FOUND },
	/* addresses */
	{ "GET", "/api/addresses", addresses_list, AUTH_USER, BODY_NONE, 0 },
	{ "POST", "/api/addresses", addresses_create, AUTH_USER, BODY_JSON, 16 * KB },
	{ "GET", "/api/addresses/{id:uuid}", addresses_get, AUTH_USER, BODY_NONE, 0, E_ADDRESS_NOT_FOUND },
	{ "PATCH", "/api/addresses/{id:uuid}", addresses_update, AUTH_USER, BODY_JSON, 16 * KB, E_ADDRESS_NOT_FOUND },
	{ "DELETE", "/api/addresses/{id:uuid}", addresses_delete, AUTH_USER, BODY_NONE, 0, E_ADDRESS_NOT_FOUND },
	/* cart */
	{ "GET", "/api/cart", cart_get, AUTH_USER, BODY_NONE, 0 },
	{ "POST", "/api/cart", cart_add, AUTH_USER, BODY_JSON, 4 * KB },
	{ "PATCH", "/api/cart/items/{id:uuid}", cart_item_update, AUTH_USER, BODY_JSON, 4 * KB, E_CART_ITEM_NOT_FOUND },
	{ "DELETE", "/api/cart/items/{id:uuid}", cart_item_delete, AUTH_USER, BODY_NONE, 0, E_CART_ITEM_NOT_FOUND },
	/* admin pages and the admin orders/analytics API (admin_*.c, page_analytics.c) */
	{ "GET", "/admin/login", admin_login_get, AUTH_NONE, BODY_NONE, 0 },
	{ "POST", "/admin/login", admin_login_post, AUTH_NONE, BODY_FORM, 8 * KB, .csrf = 1 },
	{ "POST", "/admin/logout", admin_logout_post, AUTH_PAGE, BODY_FORM, 8 * KB, .csrf = 1 },
	{ "GET", "/admin/password-reset", admin_reset_get, AUTH_NONE, BODY_NONE, 0 },
	{ "POST", "/admin/password-reset", admin_reset_post, AUTH_NONE, BODY_FORM, 8 * KB, .csrf = 1 },
	{ "POST", "/admin/password-reset/confirm", admin_reset_confirm_post, AUTH_NONE, BODY_FORM, 8 * KB, .csrf = 1 },
	{ "GET", "/admin/account", admin_account_get, AUTH_PAGE, BODY_NONE, 0 },
	{ "POST", "/admin/account/password", admin_account_password_post, AUTH_PAGE, BODY_FORM, 8 * KB, .csrf = 1 },
	{ "GET", "/admin/orders", admin_orders_page, AUTH_PAGE, BODY_NONE, 0 },
	{ "GET", "/admin/orders/{id:uuid}", admin_order_page, AUTH_PAGE, BODY_NONE, 0, E_ORDER_NOT_FOUND },
	{ "POST", "/admin/orders/{id:uuid}/status", admin_order_status_post, AUTH_PAGE, BODY_FORM, 8 * KB, E_ORDER_NOT_FOUND, 1 },
	{ "POST", "/admin/orders/{id:uuid}/book", admin_order_book_post, AUTH_PAGE, BODY_FORM, 8 * KB, E_ORDER_NOT_FOUND, 1 },
	{ "GET", "/admin/orders/{id:uuid}/invoice", admin_order_invoice_page, AUTH_PAGE, BODY_NONE, 0, E_ORDER_NOT_FOUND },
	{ "GET", "/admin/orders/{id:uuid}/credit-notes/{n}", admin_order_credit_note_page, AUTH_PAGE, BODY_NONE, 0, E_ORDER_NOT_FOUND },
	{ "GET", "/admin/kitchen", admin_kitchen_page, AUTH_PAGE, BODY_NONE, 0 },
	{ "GET", "/admin/analytics", admin_analytics_page, AUTH_PAGE, BODY_NONE, 0 },
	{ "GET", "/admin/jobs", admin_jobs_page, AUTH_PAGE, BODY_NONE, 0 },
	{ "POST", "/admin/jobs/{id:int}/retry", admin_job_retry_post, AUTH_PAGE, BODY_FORM, 8 * KB, E_JOB_NOT_FOUND, 1 },
	{ "GET", "/admin/products", admin_products_page, AUTH_PAGE, BODY_NONE, 0 },
	{ "GET", "/admin/products/new", admin_product_new_get, AUTH_PAGE, BODY_NONE, 0 },
	{ "POST", "/admin/products/new", admin_product_new_post, AUTH_PAGE, BODY_FORM, 64 * KB, .csrf = 1 },
	{ "GET", "/admin/products/{id:uuid}", admin_product_page_get, AUTH_PAGE, BODY_NONE, 0, E_PRODUCT_NOT_FOUND },
	{ "POST", "/admin/products/{id:uuid}", admin_product_post, AUTH_PAGE, BODY_FORM, 64 * KB, E_PRODUCT_NOT_FOUND, 1 },
	{ "POST", "/admin/products/{id:uuid}/images", admin_product_image_post, AUTH_PAGE, BODY_MULTIPART, 6 * MB, E_PRODUCT_NOT_FOUND, 1 },
	{ "GET", "/api/admin/orders", api_admin_orders, AUTH_ADMIN, BODY_NONE, 0 },
	{ "GET", "/api/admin/orders/{id:uuid}", api_admin_order_get, AUTH_ADMIN, BODY_NONE, 0, E_ORDER_NOT_FOUND },
	{ "PATCH", "/api/admin/orders/{id:uuid}/status", api_admin_order_status, AUTH_ADMIN, BODY_JSON, 4 * KB, E_ORDER_NOT_FOUND },
	{ "GET", "/api/admin/analytics", api_admin_analytics, AUTH_ADMIN, BODY_NONE, 0 },
	/* fulfilment: courier booking, Borzo callbacks, dispatch, tracking */
	{ "POST", "/api/delivery/book/{orderId:uuid}", delivery_book_post, AUTH_ADMIN, BODY_NONE, 0, E_ORDER_NOT_FOUND },
	{ "POST", "/api/delivery/cancel/{orderId:uuid}", delivery_cancel_post, AUTH_ADMIN, BODY_NONE, 0, E_ORDER_NOT_FOUND },
	{ "POST", "/api/delivery/webhook", delivery_webhook, AUTH_NONE, BODY_RAW, 256 * KB },
	{ "POST", "/api/internal/dispatch", dispatch_post, AUTH_DISPATCH, BODY_NONE, 0 },
	{ "GET", "/track/{token}", track_get, AUTH_NONE, BODY_NONE, 0 },
	{ "GET", "/track/{token}/invoice", track_invoice_get, AUTH_NONE, BODY_NONE, 0 },
	{ "GET", "/track/{token}/credit-notes/{n}", track_credit_note_get, AUTH_NONE, BODY_NONE, 0 },
};
#pragma GCC diagnostic pop

const size_t routes_count = sizeof routes / sizeof routes[0];

/* 1 when the capture {name:type} (the text between the braces) accepts v. */
static int capture_fits(const char *spec, size_t spec_len, const char *v)
{
	const char *colon = memchr(spec, ':', spec_len);

	if (!colon)
		return 1;
	const char *type = colon + 1;
	size_t n = (size_t)(spec + spec_len - type);
	int64_t id;

	if (n == 4 && memcmp(type, "uuid", 4) == 0)
		return is_uuid(v);
	if (n == 3 && memcmp(type, "int", 3) == 0) /* a positive bigint */
		return parse_int64(v, 1, INT64_MAX, &id) == 0;
	return 0; /* an unknown type accepts nothing */
}

/* Matches pattern against path segment by segment; {x} captures one segment.
 * *bad is set when a typed capture does not fit its segment. */
static int pattern_match(struct req *r, const char *pat, const char *path, const char **param, int *np, int *bad)
{
	*np = 0;
	*bad = 0;
	while (*pat && *path) {
		if (*pat == '{') {
			const char *pe = strchr(pat, '}');
			const char *se = strchr(path, '/');
			size_t len = se ? (size_t)(se - path) : strlen(path);
			if (!pe || len == 0 || *np >= 4)
				return 0;
			param[*np] = arena_strndup(r->a, path, len);
			if (!capture_fits(pat + 1, (size_t)(pe - pat - 1), param[*np]))
				*bad = 1;
			(*np)++;
			pat = pe + 1;
			path += len;
			continue;
		}
		if (*pat++ != *path++)
			return 0;
	}
	return *pat == '\0' && *path == '\0';
}

const struct route *route_match(struct req *r, const char *method, const char *path, int *path_known)
{
	const char *param[4];
	int np, bad;

	*path_known = 0;
	for (size_t i = 0; i < routes_count; i++) {
		if (!pattern_match(r, routes[i].pattern, path, param, &np, &bad))
			continue;
		/* HEAD is served by GET routes; the body is dropped by the worker */
		if (strcmp(routes[i].method, method) != 0 &&
		    !(strcmp(method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0)) {
			*path_known = 1;
			continue;
		}
		for (int k = 0; k < np; k++)
			r->param[k] = param[k];
		r->param_bad = bad;
		return &routes[i];
	}
	return NULL;
}
