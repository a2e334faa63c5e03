/* test_conf.c: configuration validation refuses weak secrets and bad numbers. */
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "tap.h"

static int load(char *err, size_t n)
{
	return conf_load("/nonexistent/.env", err, n);
}

int main(void)
{
	char err[4096];
	static const char *const gst_vars[] = { "STORE_GSTIN", "STORE_LEGAL_NAME", "STORE_STATE_CODE", "GST_RATE_PERCENT",
						"GST_HSN", "DELIVERY_SAC", "DELIVERY_GST_RATE_PERCENT" };

	for (size_t i = 0; i < sizeof gst_vars / sizeof gst_vars[0]; i++)
		unsetenv(gst_vars[i]); /* script/test sets some: the defaults are tested here */

	setenv("FCGI_SOCKET", "/tmp/lafete-test.sock", 1);
	setenv("DISPATCH_TOKEN", "dispatch-token-for-tests-0123456789", 1);
	unsetenv("JWT_SECRET");
	ok(load(err, sizeof err) == -1 && strstr(err, "JWT_SECRET"), "missing JWT_SECRET refused");
	setenv("JWT_SECRET", "short", 1);
	ok(load(err, sizeof err) == -1 && strstr(err, "at least 32"), "short JWT_SECRET refused");
	setenv("JWT_SECRET", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1);
	ok(load(err, sizeof err) == -1 && strstr(err, "too weak"), "repeated-character JWT_SECRET refused");
	setenv("JWT_SECRET", "0123456789abcdef0123456789abcdef-unit", 1);
	ok(load(err, sizeof err) == 0, "good configuration accepted: %s", err);
	ok(cfg->dispatch_lead_minutes == 120 && cfg->delivery_fee_buffer_percent == 10, "documented defaults");
	ok(cfg->borzo_vehicle_type_id == 7, "a car by default (7), not a motorbike (8)");
	setenv("HTTPS_PORT", "70000", 1);
	ok(load(err, sizeof err) == -1 && strstr(err, "HTTPS_PORT"), "bad port refused");
	setenv("HTTPS_PORT", "8443x", 1);
	ok(load(err, sizeof err) == -1, "junk port refused");
	unsetenv("HTTPS_PORT");
	setenv("FCGI_SOCKET", "/nonexistent-dir/x.sock", 1);
	ok(load(err, sizeof err) == -1 && strstr(err, "FCGI_SOCKET"), "unwritable socket directory refused");
	setenv("FCGI_SOCKET", "/tmp/lafete-test.sock", 1);
	setenv("S3_ENDPOINT", "http://127.0.0.1:9", 1);
	ok(load(err, sizeof err) == -1 && strstr(err, "S3_"), "partial S3 configuration refused");
	unsetenv("S3_ENDPOINT");
	ok(load(err, sizeof err) == 0, "valid again");
	ok(cfg->nlisten == 1 && cfg->listen[0].is_unix && strcmp(cfg->listen[0].text, "/tmp/lafete-test.sock") == 0,
	   "without FCGI_LISTEN: the unix socket alone");

	/* FCGI_LISTEN replaces FCGI_SOCKET; TCP needs FCGI_ALLOW */
	setenv("FCGI_LISTEN", "10.0.0.2:9000", 1);
	ok(load(err, sizeof err) == -1 && strstr(err, "FCGI_ALLOW must list"), "TCP without an allow-list refused: %s", err);
	setenv("FCGI_ALLOW", "10.0.0.1, 10.0.1.0/24", 1);
	ok(load(err, sizeof err) == 0 && cfg->nlisten == 1 && !cfg->listen[0].is_unix && cfg->nallow == 2,
	   "TCP with an allow-list: %s", err);
	setenv("FCGI_LISTEN", "/tmp/lafete-test.sock, [::1]:9001,10.0.0.2:9000", 1);
	ok(load(err, sizeof err) == 0 && cfg->nlisten == 3 && cfg->listen[0].is_unix, "a unix socket besides TCP, in a list");
	setenv("FCGI_LISTEN", "10.0.0.2:99999", 1);
	ok(load(err, sizeof err) == -1 && strstr(err, "FCGI_LISTEN") && strstr(err, "port"), "bad port named: %s", err);
	setenv("FCGI_LISTEN", "*:9000", 1);
	ok(load(err, sizeof err) == -1 && strstr(err, "FCGI_LISTEN"), "\"*\" refused");
	setenv("FCGI_LISTEN", " , ", 1);
	ok(load(err, sizeof err) == -1 && strstr(err, "FCGI_LISTEN lists no address"), "an empty list refused");
	setenv("FCGI_LISTEN", "/nonexistent-dir/x.sock", 1);
	ok(load(err, sizeof err) == -1 && strstr(err, "FCGI_LISTEN"), "an unwritable unix path in FCGI_LISTEN refused");
	setenv("FCGI_LISTEN", "10.0.0.2:9000", 1);
	setenv("FCGI_ALLOW", "10.0.0.1,nginx-host", 1);
	ok(load(err, sizeof err) == -1 && strstr(err, "\"nginx-host\" is not an IP address"), "a host name in FCGI_ALLOW refused");
	setenv("FCGI_ALLOW", "10.0.0.0/40", 1);
	ok(load(err, sizeof err) == -1 && strstr(err, "FCGI_ALLOW"), "a bad prefix refused");
	unsetenv("FCGI_ALLOW");
	setenv("FCGI_WEB_SERVER_ADDRS", "10.0.0.1,10.0.0.3", 1);
	ok(load(err, sizeof err) == 0 && cfg->nallow == 2, "libfcgi's FCGI_WEB_SERVER_ADDRS counts as an allow-list");
	unsetenv("FCGI_WEB_SERVER_ADDRS");
	unsetenv("FCGI_LISTEN");
	ok(load(err, sizeof err) == 0 && cfg->nlisten == 1 && cfg->listen[0].is_unix, "back to the unix socket");

	/* GST: invoices off without a GSTIN; with one, a legal name and its state */
	ok(!cfg->store_gstin && cfg->gst_rate == 500 && strcmp(cfg->gst_hsn, "1905") == 0, "no GSTIN: no invoices; 5 %% on HSN 1905");
	ok(cfg->delivery_gst_rate == 500 && strcmp(cfg->delivery_sac, "1905") == 0, "the delivery follows the cakes (a composite supply)");
	setenv("STORE_GSTIN", "29AAGCB7383J1Z4", 1);
	ok(load(err, sizeof err) == -1 && strstr(err, "STORE_LEGAL_NAME"), "a GSTIN needs the legal name");
	setenv("STORE_LEGAL_NAME", "La Fete Bakers Private Limited", 1);
	ok(load(err, sizeof err) == 0 && strcmp(cfg->store_state_code, "29") == 0, "valid GSTIN: its state is the shop's: %s", err);
	setenv("STORE_GSTIN", "29AAGCB7383J1Z5", 1);
	ok(load(err, sizeof err) == -1 && strstr(err, "check character would be 4"), "a typo in the GSTIN is named: %s", err);
	setenv("STORE_GSTIN", "29AAGCB7383J1Y4", 1);
	ok(load(err, sizeof err) == -1 && strstr(err, "STORE_GSTIN must be a GSTIN"), "a malformed GSTIN refused");
	setenv("STORE_GSTIN", "29AAGCB7383J1Z4", 1);
	setenv("STORE_STATE_CODE", "27", 1);
	ok(load(err, sizeof err) == -1 && strstr(err, "not the state of STORE_GSTIN"), "a state that is not the GSTIN's refused");
	setenv("STORE_STATE_CODE", "29", 1);
	setenv("GST_RATE_PERCENT", "18", 1);
	ok(load(err, sizeof err) == 0 && cfg->gst_rate == 1800 && cfg->delivery_gst_rate == 1800, "GST_RATE_PERCENT=18, the delivery too");
	setenv("DELIVERY_GST_RATE_PERCENT", "5", 1);
	setenv("DELIVERY_SAC", "996813", 1);
	ok(load(err, sizeof err) == 0 && cfg->delivery_gst_rate == 500 && strcmp(cfg->delivery_sac, "996813") == 0,
	   "the delivery's own rate and SAC");
	setenv("GST_RATE_PERCENT", "41", 1);
	ok(load(err, sizeof err) == -1 && strstr(err, "GST_RATE_PERCENT"), "a rate above 40 %% refused");
	unsetenv("GST_RATE_PERCENT");
	setenv("DELIVERY_SAC", "99681", 1);
	ok(load(err, sizeof err) == -1 && strstr(err, "DELIVERY_SAC"), "a 5-digit SAC refused");
	unsetenv("DELIVERY_SAC");
	unsetenv("DELIVERY_GST_RATE_PERCENT");
	setenv("STORE_STATE_CODE", "99", 1);
	ok(load(err, sizeof err) == -1 && strstr(err, "STORE_STATE_CODE must be"), "an unknown state code refused");
	unsetenv("STORE_STATE_CODE");
	unsetenv("STORE_GSTIN");
	unsetenv("STORE_LEGAL_NAME");
	ok(load(err, sizeof err) == 0 && !cfg->store_gstin, "valid again, without invoices");
	return done_testing();
}
