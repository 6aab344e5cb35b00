/*
 * test_cidr.c - cidr_parse() and cidr_allows(): IPv4 and IPv6 networks,
 * host bits masked off, malformed input refused, and IPv4 peers seen as
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) matching IPv4 networks.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "router.h"

Test(cidr, parse_good)
{
	static const struct {
		const char *text;
		int family;
		unsigned prefix;
		const char *net; /* masked network, as text */
	} cases[] = {
	    {"10.0.0.0/8", AF_INET, 8, "10.0.0.0"},
	    {"10.1.2.3/8", AF_INET, 8, "10.0.0.0"},
	    {"192.168.1.7", AF_INET, 32, "192.168.1.7"},
	    {"192.168.1.255/23", AF_INET, 23, "192.168.0.0"},
	    {"0.0.0.0/0", AF_INET, 0, "0.0.0.0"},
	    {"255.255.255.255/32", AF_INET, 32, "255.255.255.255"},
	    {"::1", AF_INET6, 128, "::1"},
	    {"::/0", AF_INET6, 0, "::"},
	    {"2001:db8::/32", AF_INET6, 32, "2001:db8::"},
	    {"2001:db8:ffff::1/33", AF_INET6, 33, "2001:db8:8000::"},
	    {"fe80::1/10", AF_INET6, 10, "fe80::"},
	    {"::ffff:127.0.0.1/104", AF_INET6, 104, "::ffff:127.0.0.0"},
	    {"10.0.0.0/08", AF_INET, 8, "10.0.0.0"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cidr c;
		uint8_t want[16] = {0};
		cr_assert_eq(cidr_parse(cases[i].text, &c), 0, "%s",
			     cases[i].text);
		cr_assert_eq(c.family, cases[i].family, "%s", cases[i].text);
		cr_assert_eq(c.prefix, cases[i].prefix, "%s", cases[i].text);
		cr_assert_eq(inet_pton(cases[i].family, cases[i].net, want), 1);
		cr_assert_eq(
		    memcmp(c.addr, want, cases[i].family == AF_INET ? 4 : 16),
		    0, "%s: network not masked", cases[i].text);
	}
}

Test(cidr, parse_bad)
{
	static const char *const bad[] = {
	    "",
	    "/8",
	    "10.0.0.0/",
	    "10.0.0.0/33",
	    "10.0.0.0/99",
	    "::1/129",
	    "::/1000",
	    "10.0.0.0/8/8",
	    "10.0.0/8",
	    "garbage",
	    "10.0.0.0/-1",
	    "10.0.0.0/+8",
	    "10.0.0.0/ 8",
	    " 10.0.0.1",
	    "10.0.0.1 ",
	    "10.0.0.256",
	    "::1/",
	    "localhost",
	    "1.2.3.4/8x",
	    "::1::2",
	    "10.0.0.0/0x8",
	    "[::1]",
	    "fe80::1%eth0",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cidr c;
		cr_assert_eq(cidr_parse(bad[i], &c), -1, "\"%s\" accepted",
			     bad[i]);
	}
}

static struct sockaddr_storage peer(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(5555);
		cr_assert_eq(inet_pton(AF_INET6, text, &sin6->sin6_addr), 1);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(5555);
		cr_assert_eq(inet_pton(AF_INET, text, &sin->sin_addr), 1);
	}
	return ss;
}

static bool allows(const char *const *nets, size_t count, const char *addr)
{
	struct cidr list[8];
	struct sockaddr_storage ss = peer(addr);

	cr_assert(count <= 8);
	for (size_t i = 0; i < count; i++)
		cr_assert_eq(cidr_parse(nets[i], &list[i]), 0, "%s", nets[i]);
	return cidr_allows(list, count, (const struct sockaddr *)&ss);
}

Test(cidr, matches)
{
	static const struct {
		const char *net;
		const char *addr;
		bool allowed;
	} cases[] = {
	    {"127.0.0.0/8", "127.0.0.1", true},
	    {"127.0.0.0/8", "127.255.255.255", true},
	    {"127.0.0.0/8", "128.0.0.1", false},
	    {"127.0.0.0/8", "126.255.255.255", false},
	    {"192.168.0.0/23", "192.168.1.255", true},
	    {"192.168.0.0/23", "192.168.2.0", false},
	    {"10.0.0.7", "10.0.0.7", true},
	    {"10.0.0.7", "10.0.0.8", false},
	    {"0.0.0.0/0", "203.0.113.9", true},
	    {"0.0.0.0/0", "::1", false},
	    {"::1", "::1", true},
	    {"::1", "::2", false},
	    {"::1", "127.0.0.1", false},
	    {"2001:db8::/32", "2001:db8:ffff::1", true},
	    {"2001:db8::/32", "2001:db9::1", false},
	    {"2001:db8::/33", "2001:db8:7fff::1", true},
	    {"2001:db8::/33", "2001:db8:8000::1", false},
	    {"::/0", "fe80::1", true},
	    /* RFC 4291 §2.5.5.2: an IPv4 peer on a dual-stack socket. */
	    {"127.0.0.0/8", "::ffff:127.0.0.1", true},
	    {"127.0.0.0/8", "::ffff:10.0.0.1", false},
	    {"10.0.0.0/8", "::ffff:10.200.0.1", true},
	    {"::ffff:0.0.0.0/96", "1.2.3.4", true},
	    {"127.0.0.1", "::127.0.0.1", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(allows(&cases[i].net, 1, cases[i].addr),
			     cases[i].allowed, "%s in %s", cases[i].addr,
			     cases[i].net);
}

Test(cidr, lists)
{
	static const char *const nets[] = {"127.0.0.0/8", "::1",
					   "192.168.0.0/16"};

	cr_assert(allows(nets, 3, "127.0.0.1"));
	cr_assert(allows(nets, 3, "::1"));
	cr_assert(allows(nets, 3, "192.168.77.1"));
	cr_assert(allows(nets, 3, "::ffff:192.168.0.1"));
	cr_assert_not(allows(nets, 3, "10.0.0.1"));
	cr_assert_not(allows(nets, 3, "::2"));
}

Test(cidr, empty_list_allows_everyone)
{
	struct sockaddr_storage ss = peer("203.0.113.1");

	cr_assert(cidr_allows(NULL, 0, (const struct sockaddr *)&ss));
}

Test(cidr, other_families_refused)
{
	struct cidr net;
	struct sockaddr_un un = {.sun_family = AF_UNIX};

	cr_assert_eq(cidr_parse("0.0.0.0/0", &net), 0);
	cr_assert_not(cidr_allows(&net, 1, (const struct sockaddr *)&un));
	cr_assert_not(cidr_allows(&net, 1, NULL));
}
