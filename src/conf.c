/* conf.c: read the environment and .env; validate before anything starts. */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "gst.h"
#include "util.h"

const struct conf *cfg;
static struct conf the_conf;

/* .env entries, kept for the life of the process */
static char **env_keys, **env_vals;
static size_t env_n;

static void envfile_add(const char *k, size_t kl, const char *v, size_t vl)
{
	env_keys = xrealloc(env_keys, (env_n + 1) * sizeof *env_keys);
	env_vals = xrealloc(env_vals, (env_n + 1) * sizeof *env_vals);
	env_keys[env_n] = xstrndup(k, kl);
	env_vals[env_n] = xstrndup(v, vl);
	env_n++;
}

/* KEY=VALUE lines; # comments; optional matching quotes around VALUE. */
static void envfile_read(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];

	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		char *p = line, *eq;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\n' || *p == '\0')
			continue;
		if (strncmp(p, "export ", 7) == 0)
			p += 7;
		if (!(eq = strchr(p, '=')))
			continue;
		char *v = eq + 1;
		size_t vl = strcspn(v, "\r\n");
		if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
			v++;
			vl -= 2;
		}
		envfile_add(p, (size_t)(eq - p), v, vl);
	}
	fclose(f);
}

const char *conf_get(const char *name)
{
	const char *v = getenv(name);
	if (v)
		return v;
	for (size_t i = 0; i < env_n; i++)
		if (strcmp(env_keys[i], name) == 0)
			return env_vals[i];
	return NULL;
}

static const char *str(const char *name, const char *def)
{
	const char *v = conf_get(name);
	return v && *v ? v : def;
}

static struct buf errs = BUF_INIT;

static int num(const char *name, int def, int min, int max)
{
	const char *v = conf_get(name);
	int64_t n;

	if (!v || !*v)
		return def;
	if (parse_int64(v, min, max, &n) != 0) {
		buf_printf(&errs, "%s must be a whole number from %d to %d (got \"%s\")\n", name, min, max, v);
		return def;
	}
	return (int)n;
}

static double coord(const char *name, double def, double lim)
{
	const char *v = conf_get(name);
	char *end;

	if (!v || !*v)
		return def;
	errno = 0;
	double d = strtod(v, &end);
	if (errno || *end || !isfinite(d) || d < -lim || d > lim) {
		buf_printf(&errs, "%s must be a number from %g to %g\n", name, -lim, lim);
		return def;
	}
	return d;
}

static void check_dir_writable(const char *what, const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		snprintf(dir, sizeof dir, ".");
	} else {
		size_t n = (size_t)(slash - path);
		snprintf(dir, sizeof dir, "%.*s", (int)(n ? n : 1), path);
	}
	if (access(dir, W_OK | X_OK) != 0)
		buf_printf(&errs, "%s: cannot create %s (directory %s: %s)\n", what, path, dir, strerror(errno));
}

static void check_secret(const char *name, const char *v, size_t min)
{
	if (!v || strlen(v) < min) {
		buf_printf(&errs, "%s must be set and at least %zu bytes long\n", name, min);
		return;
	}
	/* "aaaa..." and friends: a single repeated character is no secret */
	size_t i;
	for (i = 1; v[i] && v[i] == v[0]; i++)
		;
	if (v[i] == '\0')
		buf_printf(&errs, "%s is too weak (one repeated character)\n", name);
}

const char *conf_admin_password_problem(const char *pw)
{
	/* the defaults this project has shipped (script/server, .env.example, compose) */
	static const char *const defaults[] = { "change-me-now", "changeme", "password", "admin" };

	for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
		if (strcasecmp(pw, defaults[i]) == 0)
			return "is a development default";
	if (strlen(pw) < ADMIN_PASSWORD_MIN_CHARS)
		return "is shorter than 12 characters";
	return NULL;
}

/* LAFETE_ENV: production unless said otherwise; development allows the
 * default admin password script/server and compose start with. */
static void check_env(struct conf *c)
{
	const char *env = str("LAFETE_ENV", "production");

	if (strcmp(env, "development") != 0 && strcmp(env, "production") != 0)
		buf_printf(&errs, "LAFETE_ENV must be development or production (got \"%s\")\n", env);
	c->development = strcmp(env, "development") == 0;
	const char *why = c->admin_password ? conf_admin_password_problem(c->admin_password) : NULL;
	if (!c->development && why)
		buf_printf(&errs, "ADMIN_PASSWORD %s: set another (at least %d characters) or leave it empty "
				  "(LAFETE_ENV=development allows it)\n",
			   why, ADMIN_PASSWORD_MIN_CHARS);
}

static int add_endpoint(const char *item, void *arg)
{
	struct conf *c = arg;
	char why[160];

	if (c->nlisten == FCGI_MAX_LISTEN) {
		buf_printf(&errs, "FCGI_LISTEN has more than %d addresses\n", FCGI_MAX_LISTEN);
		return -1;
	}
	struct net_endpoint *e = &c->listen[c->nlisten];
	if (netaddr_parse_endpoint(item, e, why, sizeof why) != 0) {
		buf_printf(&errs, "FCGI_LISTEN: \"%s\": %s\n", item, why);
		return 0;
	}
	if (e->is_unix)
		check_dir_writable("FCGI_LISTEN", e->text);
	c->nlisten++;
	return 0;
}

struct allow_arg {
	struct conf *c;
	const char *var;
};

static int add_allowed(const char *item, void *arg)
{
	struct allow_arg *a = arg;

	if (a->c->nallow == FCGI_MAX_ALLOW) {
		buf_printf(&errs, "FCGI_ALLOW has more than %d entries\n", FCGI_MAX_ALLOW);
		return -1;
	}
	if (netaddr_parse_cidr(item, &a->c->allow[a->c->nallow]) != 0)
		buf_printf(&errs, "%s: \"%s\" is not an IP address or CIDR (10.0.0.5, 10.0.1.0/24, fd00::/64)\n", a->var, item);
	else
		a->c->nallow++;
	return 0;
}

/* FCGI_LISTEN replaces FCGI_SOCKET; TCP needs an allow-list: an open FastCGI
 * port runs any request anyone sends it (doc/pitfalls.md §1.8). */
static void fcgi_endpoints(struct conf *c)
{
	const char *listen = str("FCGI_LISTEN", NULL);
	int tcp = 0;

	c->nlisten = c->nallow = 0;
	if (listen) {
		size_t before = errs.len;
		netaddr_each(listen, add_endpoint, c);
		if (c->nlisten == 0 && errs.len == before)
			buf_printf(&errs, "FCGI_LISTEN lists no address\n");
	} else {
		check_dir_writable("FCGI_SOCKET", c->fcgi_socket);
		if (strlen(c->fcgi_socket) >= 100)
			buf_printf(&errs, "FCGI_SOCKET path is too long for a unix socket\n");
		struct net_endpoint *e = &c->listen[c->nlisten++];
		snprintf(e->text, sizeof e->text, "%s", c->fcgi_socket);
		e->is_unix = 1;
	}
	for (int i = 0; i < c->nlisten; i++)
		tcp |= !c->listen[i].is_unix;
	netaddr_each(str("FCGI_ALLOW", NULL), add_allowed, &(struct allow_arg){ c, "FCGI_ALLOW" });
	netaddr_each(str("FCGI_WEB_SERVER_ADDRS", NULL), add_allowed, &(struct allow_arg){ c, "FCGI_WEB_SERVER_ADDRS" });
	if (tcp && c->nallow == 0)
		buf_printf(&errs, "FCGI_ALLOW must list the addresses of the nginx hosts when FCGI_LISTEN has a TCP address\n");
}

static int rate(const char *name, int def)
{
	const char *v = conf_get(name);
	int r;

	if (!v || !*v)
		return def;
	if (gst_rate_parse(v, &r) != 0) {
		buf_printf(&errs, "%s must be a percentage from 0 to 40 with at most two decimals (got \"%s\")\n", name, v);
		return def;
	}
	return r;
}

static const char *hsn(const char *name, const char *def)
{
	const char *v = str(name, def);
	if (!gst_hsn_valid(v))
		buf_printf(&errs, "%s must be an HSN or SAC code of 4, 6 or 8 digits (got \"%s\")\n", name, v);
	return v;
}

/* Tax invoices: off without STORE_GSTIN (a shop not registered for GST issues
 * none); with it, a valid GSTIN, the legal name, and the state it starts with. */
static void check_gst(struct conf *c)
{
	c->store_gstin = str("STORE_GSTIN", NULL);
	c->store_legal_name = str("STORE_LEGAL_NAME", NULL);
	c->store_state_code = str("STORE_STATE_CODE", NULL);
	c->gst_rate = rate("GST_RATE_PERCENT", 500);
	c->gst_hsn = hsn("GST_HSN", "1905");
	c->delivery_gst_rate = rate("DELIVERY_GST_RATE_PERCENT", c->gst_rate);
	c->delivery_sac = hsn("DELIVERY_SAC", c->gst_hsn);
	if (c->store_state_code && !gst_state_name(c->store_state_code))
		buf_printf(&errs, "STORE_STATE_CODE must be a two-digit GST state code such as 29 (got \"%s\")\n",
			   c->store_state_code);
	if (!c->store_gstin)
		return;
	if (!gstin_valid(c->store_gstin)) {
		char want = strlen(c->store_gstin) == 15 ? gstin_check_char(c->store_gstin) : 0, hint[48] = "";
		if (want && want != c->store_gstin[14]) /* a typo is the likeliest cause */
			snprintf(hint, sizeof hint, "; its check character would be %c", want);
		buf_printf(&errs, "STORE_GSTIN must be a GSTIN: 15 characters, state code, PAN, entity number, Z, "
				  "check character (got \"%s\"%s)\n",
			   c->store_gstin, hint);
	}
	if (!c->store_legal_name || strlen(c->store_legal_name) > 200)
		buf_printf(&errs, "STORE_LEGAL_NAME (the name on the GST registration, at most 200 bytes) must be set with STORE_GSTIN\n");
	static char state_of_gstin[3];
	if (!c->store_state_code) {
		memcpy(state_of_gstin, c->store_gstin, 2);
		c->store_state_code = state_of_gstin;
	} else if (strncmp(c->store_state_code, c->store_gstin, 2) != 0) {
		buf_printf(&errs, "STORE_STATE_CODE %s is not the state of STORE_GSTIN (it starts with %.2s)\n",
			   c->store_state_code, c->store_gstin);
	}
}

int conf_load(const char *envfile, char *err, size_t errlen)
{
	struct conf *c = &the_conf;

	envfile_read(envfile ? envfile : ".env");
	buf_reset(&errs);

	c->db_host = str("DB_HOST", "127.0.0.1");
	c->db_port = str("DB_PORT", "5432");
	c->db_user = str("DB_USERNAME", "lafete");
	c->db_password = str("DB_PASSWORD", "");
	c->db_name = str("DB_NAME", "lafete");
	c->jwt_secret = str("JWT_SECRET", NULL);
	const char *log_format = str("LOG_FORMAT", "plain");
	if (strcmp(log_format, "json") != 0 && strcmp(log_format, "plain") != 0)
		buf_printf(&errs, "LOG_FORMAT must be plain or json\n");
	log_use_json(strcmp(log_format, "json") == 0);
	const char *pool = str("DB_POOL_MODE", "session");
	c->db_pool_transaction = strcmp(pool, "transaction") == 0;
	if (!c->db_pool_transaction && strcmp(pool, "session") != 0)
		buf_printf(&errs, "DB_POOL_MODE must be session or transaction\n");
	c->jwt_ttl_seconds = num("JWT_TTL_SECONDS", 86400, 60, 30 * 86400);
	c->razorpay_key_id = str("RAZORPAY_KEY_ID", "");
	c->razorpay_key_secret = str("RAZORPAY_KEY_SECRET", "");
	c->razorpay_webhook_secret = str("RAZORPAY_WEBHOOK_SECRET", "");
	c->razorpay_api_url = str("RAZORPAY_API_URL", "https://api.razorpay.com/v1");
	c->borzo_api_url = str("BORZO_API_URL", "https://robotapitest-in.borzodelivery.com/api/business/1.6");
	c->borzo_api_token = str("BORZO_API_TOKEN", "");
	c->borzo_callback_secret = str("BORZO_CALLBACK_SECRET", "");
	c->borzo_vehicle_type_id = num("BORZO_VEHICLE_TYPE_ID", 7, 1, 1000);
	c->store_name = str("STORE_NAME", "La Fête 365");
	c->store_address = str("STORE_ADDRESS", "12 Residency Road, Bengaluru 560025");
	c->store_phone = str("STORE_PHONE", "+919800000000");
	c->store_lat = coord("STORE_LATITUDE", 12.9716, 90);
	c->store_lng = coord("STORE_LONGITUDE", 77.5946, 180);
	c->dispatch_token = str("DISPATCH_TOKEN", NULL);
	c->dispatch_lead_minutes = num("DISPATCH_LEAD_MINUTES", 120, 1, 24 * 60);
	c->delivery_fee_buffer_percent = num("DELIVERY_FEE_BUFFER_PERCENT", 10, 0, 100);
	c->delivery_radius_km = num("DELIVERY_RADIUS_KM", 25, 1, 500);
	c->smtp_url = str("SMTP_URL", NULL);
	c->mail_from = str("MAIL_FROM", "orders@lafete365.example");
	c->smtp_insecure = num("SMTP_INSECURE", 0, 0, 1);
	c->storage_dir = str("STORAGE_DIR", LAFETE_STATEDIR "/storage");
	c->media_url = str("MEDIA_URL", "/media");
	c->s3_endpoint = str("S3_ENDPOINT", NULL);
	c->s3_bucket = str("S3_BUCKET", NULL);
	c->s3_region = str("S3_REGION", "ap-south-1");
	c->s3_access_key = str("S3_ACCESS_KEY", NULL);
	c->s3_secret_key = str("S3_SECRET_KEY", NULL);
	c->s3_public_url = str("S3_PUBLIC_URL", NULL);
	c->admin_email = str("ADMIN_EMAIL", NULL);
	c->admin_password = str("ADMIN_PASSWORD", NULL);
	c->http_port = num("HTTP_PORT", 8080, 1, 65535);
	c->https_port = num("HTTPS_PORT", 8443, 1, 65535);
	c->workers = num("WORKERS", (int)sysconf(_SC_NPROCESSORS_ONLN), 1, 256);
	c->fcgi_socket = str("FCGI_SOCKET", LAFETE_RUNDIR "/lafete.sock");
	c->template_dir = str("TEMPLATE_DIR", LAFETE_DATADIR "/templates");
	c->openapi_path = str("OPENAPI_PATH", LAFETE_DATADIR "/openapi.json");
	c->public_url = str("PUBLIC_URL", "https://localhost:8443");
	c->reset_url = str("RESET_URL", NULL);
	if (!c->reset_url || !*c->reset_url) {
		static char reset_default[512];
		snprintf(reset_default, sizeof reset_default, "%s/reset-password", c->public_url);
		c->reset_url = reset_default;
	}
	if (!strstr(c->reset_url, "://") || strpbrk(c->reset_url, " \t\r\n\"<>#"))
		buf_printf(&errs, "RESET_URL must be an absolute URL without a fragment (the link adds ?token=...)\n");
	c->open_hour = num("SHOP_OPEN_HOUR", 10, 0, 23);
	c->close_hour = num("SHOP_CLOSE_HOUR", 22, 1, 24);
	c->slot_minutes = num("SLOT_MINUTES", 120, 15, 720);
	c->slot_capacity_units = num("SLOT_CAPACITY_UNITS", 12, 1, 10000);
	c->same_day_cutoff_hour = num("SAME_DAY_CUTOFF_HOUR", 14, 0, 24);
	c->unpaid_expiry_minutes = num("UNPAID_EXPIRY_MINUTES", 30, 1, 24 * 60);
	c->blackout_dates = str("BLACKOUT_DATES", "");

	check_secret("JWT_SECRET", c->jwt_secret, 32);
	check_env(c);
	check_gst(c);
	check_secret("DISPATCH_TOKEN", c->dispatch_token, 16);
	if (c->open_hour >= c->close_hour)
		buf_printf(&errs, "SHOP_OPEN_HOUR must be before SHOP_CLOSE_HOUR\n");
	if (c->workers < 1)
		c->workers = 1;
	fcgi_endpoints(c);
	const char *group = str("FCGI_SOCKET_GROUP", NULL);
	struct group *gr = group ? getgrnam(group) : NULL;
	c->fcgi_socket_gid = gr ? (long)gr->gr_gid : -1;
	if (group && !gr)
		buf_printf(&errs, "FCGI_SOCKET_GROUP: no group named \"%s\"\n", group);
	int s3 = !!c->s3_endpoint + !!c->s3_bucket + !!c->s3_access_key + !!c->s3_secret_key;
	if (s3 != 0 && s3 != 4)
		buf_printf(&errs, "S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY and S3_SECRET_KEY go together\n");

	cfg = c;
	snprintf(err, errlen, "%s", errs.data ? errs.data : "");
	int bad = errs.len > 0;
	buf_free(&errs);
	return bad ? -1 : 0;
}
