/* netaddr.c: listening endpoints and allow-lists of addresses and CIDRs. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "netaddr.h"
#include "util.h"

static int parse_port(const char *s, int *port)
{
	int64_t n;

	if (parse_int64(s, 1, 65535, &n) != 0)
		return -1;
	*port = (int)n;
	return 0;
}

int netaddr_parse_endpoint(const char *s, struct net_endpoint *out, char *err, size_t errlen)
{
	char host[64];
	const char *colon;
	int port;

	memset(out, 0, sizeof *out);
	if (strlen(s) >= sizeof out->text)
		return snprintf(err, errlen, "too long"), -1;
	snprintf(out->text, sizeof out->text, "%s", s);
	if (s[0] == '/') {
		out->is_unix = 1;
		if (strlen(s) >= sizeof((struct sockaddr_un *)0)->sun_path)
			return snprintf(err, errlen, "the path is too long for a unix socket"), -1;
		return 0;
	}
	if (s[0] == '[') { /* [v6]:port */
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof host)
			return snprintf(err, errlen, "write an IPv6 address as [address]:port"), -1;
		snprintf(host, sizeof host, "%.*s", (int)(close - s - 1), s + 1);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof host)
			return snprintf(err, errlen, "expected address:port"), -1;
		snprintf(host, sizeof host, "%.*s", (int)(colon - s), s);
		if (strchr(host, ':'))
			return snprintf(err, errlen, "write an IPv6 address as [address]:port"), -1;
	}
	if (parse_port(colon + 1, &port) != 0)
		return snprintf(err, errlen, "the port must be a number from 1 to 65535"), -1;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->sa;
	if (s[0] != '[' && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		out->len = sizeof *v4;
		return 0;
	}
	if (s[0] == '[' && inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		out->len = sizeof *v6;
		return 0;
	}
	return snprintf(err, errlen, "\"%s\" is not a numeric address (0.0.0.0 or [::] listen on every interface)", host), -1;
}

int netaddr_parse_cidr(const char *s, struct net_cidr *out)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	int64_t bits;

	memset(out, 0, sizeof *out);
	if (n == 0 || n >= sizeof addr)
		return -1;
	snprintf(addr, sizeof addr, "%.*s", (int)n, s);
	if (inet_pton(AF_INET, addr, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, out->addr) == 1)
		out->family = AF_INET6;
	else
		return -1;
	int max = out->family == AF_INET ? 32 : 128;
	if (!slash)
		bits = max;
	else if (parse_int64(slash + 1, 0, max, &bits) != 0)
		return -1;
	out->bits = (int)bits;
	return 0;
}

int netaddr_each(const char *list, int (*fn)(const char *item, void *arg), void *arg)
{
	char item[256];

	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		while (n && (*p == ' ' || *p == '\t'))
			p++, n--;
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n) {
			snprintf(item, sizeof item, "%.*s", (int)n, p);
			int rc = fn(item, arg);
			if (rc)
				return rc;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

static int prefix_equal(const unsigned char *a, const unsigned char *b, int bits)
{
	int whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

int netaddr_allowed(const struct net_cidr *list, size_t n, const struct sockaddr *peer)
{
	const unsigned char *addr;
	int family = peer->sa_family;

	if (family == AF_INET) {
		addr = (const unsigned char *)&((const struct sockaddr_in *)peer)->sin_addr;
	} else if (family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)peer)->sin6_addr;
		addr = a6->s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) { /* an IPv4 peer of a dual-stack socket */
			family = AF_INET;
			addr += 12;
		}
	} else {
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (list[i].family == family && prefix_equal(list[i].addr, addr, list[i].bits))
			return 1;
	return 0;
}

const char *netaddr_format(const struct sockaddr *sa, char *buf, size_t n)
{
	const void *addr = NULL;

	if (sa->sa_family == AF_INET)
		addr = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		addr = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (!addr || !inet_ntop(sa->sa_family, addr, buf, (socklen_t)n))
		snprintf(buf, n, "%s", sa->sa_family == AF_UNIX ? "unix" : "?");
	return buf;
}
