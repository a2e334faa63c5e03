/* test_netaddr.c: FCGI_LISTEN endpoints and FCGI_ALLOW lists: parsing and matching. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "netaddr.h"
#include "tap.h"

static struct sockaddr_storage peer(const char *text)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;

	if (inet_pton(AF_INET, text, &v4->sin_addr) == 1)
		v4->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1)
		v6->sin6_family = AF_INET6;
	return ss;
}

static int allowed(const struct net_cidr *list, size_t n, const char *addr)
{
	struct sockaddr_storage ss = peer(addr);
	return netaddr_allowed(list, n, (struct sockaddr *)&ss);
}

static int collect(const char *item, void *arg)
{
	char *out = arg;
	strcat(out, "<");
	strcat(out, item);
	strcat(out, ">");
	return 0;
}

static void endpoints(void)
{
	struct net_endpoint e;
	char err[160], buf[64];

	ok(netaddr_parse_endpoint("/run/lafete/lafete.sock", &e, err, sizeof err) == 0 && e.is_unix, "a path is a unix socket");
	ok(netaddr_parse_endpoint("10.0.0.2:9000", &e, err, sizeof err) == 0 && !e.is_unix && e.sa.ss_family == AF_INET &&
		   ntohs(((struct sockaddr_in *)&e.sa)->sin_port) == 9000,
	   "IPv4 address:port");
	is_str(netaddr_format((struct sockaddr *)&e.sa, buf, sizeof buf), "10.0.0.2", "formatted back");
	ok(netaddr_parse_endpoint("[fd00::2]:65535", &e, err, sizeof err) == 0 && e.sa.ss_family == AF_INET6 &&
		   ntohs(((struct sockaddr_in6 *)&e.sa)->sin6_port) == 65535,
	   "[IPv6]:port, the highest port");
	is_str(netaddr_format((struct sockaddr *)&e.sa, buf, sizeof buf), "fd00::2", "IPv6 formatted back");
	ok(netaddr_parse_endpoint("0.0.0.0:9000", &e, err, sizeof err) == 0, "every interface, written out");
	ok(netaddr_parse_endpoint(":9000", &e, err, sizeof err) == -1, "an empty host is refused (libfcgi would listen everywhere)");
	ok(netaddr_parse_endpoint("*:9000", &e, err, sizeof err) == -1, "\"*\" is refused");
	ok(netaddr_parse_endpoint("app1.internal:9000", &e, err, sizeof err) == -1 && strstr(err, "numeric"), "host names are refused: %s", err);
	ok(netaddr_parse_endpoint("10.0.0.2:0", &e, err, sizeof err) == -1 && strstr(err, "port"), "port 0 refused");
	ok(netaddr_parse_endpoint("10.0.0.2:65536", &e, err, sizeof err) == -1, "port 65536 refused");
	ok(netaddr_parse_endpoint("10.0.0.2:90x", &e, err, sizeof err) == -1, "junk port refused");
	ok(netaddr_parse_endpoint("10.0.0.2", &e, err, sizeof err) == -1, "no port refused");
	ok(netaddr_parse_endpoint("10.0.0.256:9000", &e, err, sizeof err) == -1, "bad IPv4 refused");
	ok(netaddr_parse_endpoint("fd00::2:9000", &e, err, sizeof err) == -1 && strstr(err, "[address]"), "bare IPv6 refused with a hint: %s", err);
	ok(netaddr_parse_endpoint("[fd00::2]9000", &e, err, sizeof err) == -1, "[IPv6] without a colon refused");
	ok(netaddr_parse_endpoint("[10.0.0.2]:9000", &e, err, sizeof err) == -1, "IPv4 in brackets refused");
}

static void cidrs(void)
{
	struct net_cidr list[6];
	size_t n = 0;

	ok(netaddr_parse_cidr("10.0.0.5", &list[n++]) == 0 && list[0].bits == 32, "an IPv4 address is a /32");
	ok(netaddr_parse_cidr("192.168.8.0/22", &list[n++]) == 0 && list[1].bits == 22, "an IPv4 CIDR");
	ok(netaddr_parse_cidr("fd00:1::/64", &list[n++]) == 0 && list[2].family == AF_INET6, "an IPv6 CIDR");
	ok(netaddr_parse_cidr("::1", &list[n++]) == 0 && list[3].bits == 128, "an IPv6 address is a /128");
	struct net_cidr bad;
	ok(netaddr_parse_cidr("10.0.0.0/33", &bad) == -1, "/33 refused for IPv4");
	ok(netaddr_parse_cidr("fd00::/129", &bad) == -1, "/129 refused for IPv6");
	ok(netaddr_parse_cidr("10.0.0.0/", &bad) == -1, "an empty prefix refused");
	ok(netaddr_parse_cidr("10.0.0.0/x", &bad) == -1, "a junk prefix refused");
	ok(netaddr_parse_cidr("nginx.internal", &bad) == -1, "a host name refused");
	ok(netaddr_parse_cidr("", &bad) == -1, "empty refused");

	ok(allowed(list, n, "10.0.0.5"), "the exact address");
	ok(!allowed(list, n, "10.0.0.6"), "its neighbour is not");
	ok(allowed(list, n, "192.168.8.1") && allowed(list, n, "192.168.11.254"), "inside the /22");
	ok(!allowed(list, n, "192.168.12.0") && !allowed(list, n, "192.168.7.255"), "just outside the /22");
	ok(allowed(list, n, "fd00:1::abcd"), "inside the IPv6 /64");
	ok(!allowed(list, n, "fd00:2::abcd"), "outside the IPv6 /64");
	ok(allowed(list, n, "::ffff:10.0.0.5"), "an IPv4 peer of a dual-stack socket matches its IPv4 entry");
	ok(!allowed(list, n, "::ffff:10.0.0.6"), "and only that one");
	ok(!allowed(list, 0, "10.0.0.5"), "an empty list allows nobody");
	struct net_cidr all;
	netaddr_parse_cidr("0.0.0.0/0", &all);
	ok(allowed(&all, 1, "203.0.113.9") && !allowed(&all, 1, "fd00::1"), "0.0.0.0/0 is every IPv4 peer, no IPv6 one");
	struct sockaddr_storage unix_peer = { .ss_family = AF_UNIX };
	ok(!netaddr_allowed(&all, 1, (struct sockaddr *)&unix_peer), "a non-IP peer never matches");
}

int main(void)
{
	char out[256] = "";

	endpoints();
	cidrs();
	netaddr_each(" 10.0.0.1 ,10.0.0.2/31,, fd00::1\t", collect, out);
	is_str(out, "<10.0.0.1><10.0.0.2/31><fd00::1>", "a list: blanks trimmed, empty items skipped");
	out[0] = '\0';
	netaddr_each(NULL, collect, out);
	is_str(out, "", "no list, no items");
	return done_testing();
}
