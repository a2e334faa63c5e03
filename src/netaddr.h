/* netaddr.h: where the master listens for nginx (FCGI_LISTEN, FCGI_SOCKET) and
 * which TCP peers may talk to it (FCGI_ALLOW): parsing, matching, printing. */
#ifndef APP_NETADDR_H
#define APP_NETADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* One listening endpoint: a unix socket path, or a numeric TCP address. */
struct net_endpoint {
	char text[128]; /* as configured: "/run/lafete/lafete.sock", "10.0.0.2:9000", "[fd00::2]:9000" */
	int is_unix;
	struct sockaddr_storage sa; /* TCP only */
	socklen_t len;
};

/* One entry of an allow-list: an address and how many leading bits must match. */
struct net_cidr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int bits;
};

/* "/path" (a unix socket), "a.b.c.d:port" or "[v6]:port", numeric only (no host
 * names, no "*" or empty host: an address that listens everywhere is written
 * 0.0.0.0 or [::]). 0, or -1 with a reason in err. */
int netaddr_parse_endpoint(const char *s, struct net_endpoint *out, char *err, size_t errlen);

/* "10.0.0.5", "10.0.1.0/24", "fd00::7", "fd00::/64". 0, or -1. */
int netaddr_parse_cidr(const char *s, struct net_cidr *out);

/* Splits a comma-separated list (blanks around items ignored) and calls
 * fn(item, arg) for each non-empty item; stops at, and returns, the first
 * non-zero result. Items longer than 255 bytes are passed cut. */
int netaddr_each(const char *list, int (*fn)(const char *item, void *arg), void *arg);

/* Whether a peer address is in the list. An IPv4 peer on an IPv6 socket
 * (::ffff:a.b.c.d) matches the IPv4 entries. */
int netaddr_allowed(const struct net_cidr *list, size_t n, const struct sockaddr *peer);

/* The address as text ("10.0.0.5", "fd00::7", "unix"); buf of at least 64 bytes. */
const char *netaddr_format(const struct sockaddr *sa, char *buf, size_t n);

#endif
