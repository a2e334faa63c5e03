/* conf.h: configuration from the environment, then .env for what it lacks. */
#ifndef APP_CONF_H
#define APP_CONF_H

#include <stdint.h>

#include "netaddr.h"

#define FCGI_MAX_LISTEN 8
#define FCGI_MAX_ALLOW 64

struct conf {
	const char *db_host, *db_port, *db_user, *db_password, *db_name;
	/* DB_POOL_MODE=transaction: a pooler may hand each transaction another
	 * server session, so nothing that lives in a session is used (README) */
	int db_pool_transaction;
	const char *jwt_secret;
	int jwt_ttl_seconds;
	const char *razorpay_key_id, *razorpay_key_secret, *razorpay_webhook_secret, *razorpay_api_url;
	const char *borzo_api_url, *borzo_api_token, *borzo_callback_secret;
	int borzo_vehicle_type_id;
	const char *store_name, *store_address, *store_phone;
	double store_lat, store_lng; /* coordinates only, never money */
	const char *dispatch_token;
	int dispatch_lead_minutes, delivery_fee_buffer_percent;
	double delivery_radius_km;
	const char *smtp_url, *mail_from;
	int smtp_insecure; /* 1: STARTTLS optional even off loopback (SMTP_INSECURE=1) */
	const char *storage_dir, *media_url;
	const char *s3_endpoint, *s3_bucket, *s3_region, *s3_access_key, *s3_secret_key, *s3_public_url;
	const char *admin_email, *admin_password;
	int development; /* LAFETE_ENV=development: a default or short ADMIN_PASSWORD is allowed */
	int http_port, https_port, workers;
	const char *fcgi_socket;
	long fcgi_socket_gid; /* FCGI_SOCKET_GROUP's gid (nginx's group), or -1: the process's */
	/* where nginx reaches the workers: FCGI_LISTEN's entries, or FCGI_SOCKET
	 * alone when FCGI_LISTEN is unset (README "Configuration") */
	struct net_endpoint listen[FCGI_MAX_LISTEN];
	int nlisten;
	/* the TCP peers served (FCGI_ALLOW and FCGI_WEB_SERVER_ADDRS); any other
	 * TCP connection is closed unread */
	struct net_cidr allow[FCGI_MAX_ALLOW];
	int nallow;
	const char *template_dir, *openapi_path;
	const char *public_url; /* base of links in emails, e.g. https://localhost:8443 */
	const char *reset_url;	/* where a customer's reset link goes (?token=...): RESET_URL, default PUBLIC_URL/reset-password */
	/* shop rules (slots, capacity, expiry): documented in README */
	int open_hour, close_hour, slot_minutes, slot_capacity_units;
	int same_day_cutoff_hour, unpaid_expiry_minutes;
	const char *blackout_dates; /* comma-separated YYYY-MM-DD */
	/* GST tax invoices (README "Tax invoices"): none while store_gstin is NULL */
	const char *store_gstin, *store_legal_name, *store_state_code;
	int gst_rate, delivery_gst_rate;    /* hundredths of a percent (500 = 5 %) */
	const char *gst_hsn, *delivery_sac; /* the codes printed on the cakes' and the delivery's lines */
};

extern const struct conf *cfg;

/* Loads and validates the configuration. On a problem, writes one message
 * per problem into err (NUL-terminated) and returns -1. envfile may be NULL. */
int conf_load(const char *envfile, char *err, size_t errlen);
/* Why pw may not be an admin's password outside development mode ("is ..."),
 * or NULL when it may: at least ADMIN_PASSWORD_MIN_CHARS bytes, no known default. */
#define ADMIN_PASSWORD_MIN_CHARS 12
const char *conf_admin_password_problem(const char *pw);
/* Looks a variable up the way conf_load does (environment, then .env). */
const char *conf_get(const char *name);

#endif
