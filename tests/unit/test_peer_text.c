/*
 * Unit tests of the client address as the access log writes it
 * (conn_peer_text in src/worker/access_log.c): IPv4 is formatted by hand
 * for speed, so it is checked against libc's inet_ntop over edge values
 * and a sweep; IPv6 still goes through inet_ntop.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>

#include "conn.h"

static void v4(uint32_t host_order, char *got, size_t cap)
{
	struct conn c;

	memset(&c, 0, sizeof(c));
	c.peer.in.sin_family = AF_INET;
	c.peer.in.sin_addr.s_addr = htonl(host_order);
	conn_peer_text(&c, got, cap);
}

Test(peer_text, ipv4_matches_inet_ntop)
{
	const uint32_t edge[] = {0x00000000, 0xffffffff, 0x7f000001,
				 0x0a006409, 0x01140320, 0xc0a80001,
				 0x09090909, 0x63646500};
	char got[64], want[INET_ADDRSTRLEN];

	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
		struct in_addr a = {htonl(edge[i])};
		v4(edge[i], got, sizeof(got));
		inet_ntop(AF_INET, &a, want, sizeof(want));
		cr_expect_str_eq(got, want);
	}
	/* every octet value in every position */
	for (uint32_t v = 0; v < 256; v++)
		for (int shift = 0; shift < 32; shift += 8) {
			uint32_t ip = v << shift | 0x01010101u;
			struct in_addr a = {htonl(ip)};
			v4(ip, got, sizeof(got));
			inet_ntop(AF_INET, &a, want, sizeof(want));
			cr_assert_str_eq(got, want, "%08x", ip);
		}
}

Test(peer_text, ipv6_as_inet_ntop)
{
	struct conn c;
	char got[64];

	memset(&c, 0, sizeof(c));
	c.peer.in6.sin6_family = AF_INET6;
	cr_assert_eq(inet_pton(AF_INET6, "2001:db8::1", &c.peer.in6.sin6_addr),
		     1);
	conn_peer_text(&c, got, sizeof(got));
	cr_expect_str_eq(got, "2001:db8::1");
}
