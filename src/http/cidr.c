/*
 * cidr.c - parse "10.0.0.0/8", "::1", "192.168.1.7" and match peers.
 * Pure: no I/O, no allocation.  A parsed network is stored masked, so a
 * match is a prefix comparison.  An IPv4 peer arriving on a dual-stack
 * socket as ::ffff:a.b.c.d (RFC 4291 §2.5.5.2) matches IPv4 networks.
 * Never resolves names.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "router.h"

static void mask_bits(uint8_t *addr, size_t len, unsigned prefix)
{
	for (size_t i = 0; i < len; i++) {
		unsigned keep = prefix >= 8 ? 8 : prefix;
		addr[i] &= (uint8_t)(0xff00u >> keep);
		prefix -= keep;
	}
}

int cidr_parse(const char *text, struct cidr *out)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	size_t host_len = slash ? (size_t)(slash - text) : strlen(text);
	unsigned max_prefix;
	unsigned prefix;
	struct cidr net = {0};

	if (host_len == 0 || host_len >= sizeof(host))
		return -1;
	memcpy(host, text, host_len);
	host[host_len] = '\0';
	if (inet_pton(AF_INET, host, net.addr) == 1) {
		net.family = AF_INET;
		max_prefix = 32;
	} else if (inet_pton(AF_INET6, host, net.addr) == 1) {
		net.family = AF_INET6;
		max_prefix = 128;
	} else {
		return -1;
	}
	prefix = max_prefix;
	if (slash != NULL) {
		const char *p = slash + 1;
		/* 1 to 3 digits, nothing else: no sign, no space. */
		if (*p == '\0' || strlen(p) > 3 ||
		    strspn(p, "0123456789") != strlen(p))
			return -1;
		for (prefix = 0; *p != '\0'; p++)
			prefix = prefix * 10 + (unsigned)(*p - '0');
		if (prefix > max_prefix)
			return -1;
	}
	net.prefix = prefix;
	mask_bits(net.addr, max_prefix / 8, prefix);
	*out = net;
	return 0;
}

static bool prefix_equal(const uint8_t *a, const uint8_t *net, unsigned prefix)
{
	size_t whole = prefix / 8;
	unsigned rest = prefix % 8;

	if (memcmp(a, net, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	return (a[whole] & (uint8_t)(0xff00u >> rest)) == net[whole];
}

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool cidr_allows(const struct cidr *list, size_t count,
		 const struct sockaddr *addr)
{
	uint8_t v4[4], v6[16];
	bool has_v4 = false, has_v6 = false;

	if (count == 0)
		return true;
	if (addr == NULL)
		return false;
	if (addr->sa_family == AF_INET) {
		const struct sockaddr_in *sin =
		    (const struct sockaddr_in *)addr;
		memcpy(v4, &sin->sin_addr, 4);
		memcpy(v6, v4_mapped, 12);
		memcpy(v6 + 12, v4, 4);
		has_v4 = has_v6 = true;
	} else if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)addr;
		memcpy(v6, &sin6->sin6_addr, 16);
		has_v6 = true;
		if (memcmp(v6, v4_mapped, 12) == 0) {
			memcpy(v4, v6 + 12, 4);
			has_v4 = true;
		}
	}
	for (size_t i = 0; i < count; i++) {
		if (list[i].family == AF_INET && has_v4 &&
		    prefix_equal(v4, list[i].addr, list[i].prefix))
			return true;
		if (list[i].family == AF_INET6 && has_v6 &&
		    prefix_equal(v6, list[i].addr, list[i].prefix))
			return true;
	}
	return false;
}
