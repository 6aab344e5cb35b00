/*
 * test_proxy_proto.c - PROXY protocol v1 and v2 headers (proxy_proto.c):
 * a table of valid, incomplete and invalid inputs; every prefix of a
 * valid header is incomplete; what follows a header is not read.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "proxy_proto.h"

#define V2_SIG "\r\n\r\n\0\r\nQUIT\n"

struct pcase {
	const char *name;
	const char *bytes;
	size_t len; /* 0: strlen */
	int want;   /* > 0: header length; PROXY_INCOMPLETE, PROXY_INVALID */
	const char *src; /* "addr port" when an address is given */
};

#define V2(s) s, sizeof(s) - 1

static const struct pcase cases[] = {
    {"v1 tcp4", "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\nGET", 0, 45,
     "192.0.2.1 56324"},
    {"v1 tcp6", "PROXY TCP6 2001:db8::1 ::1 1 65535\r\n", 0, 36,
     "2001:db8::1 1"},
    {"v1 unknown", "PROXY UNKNOWN\r\n", 0, 15, NULL},
    {"v1 unknown+", "PROXY UNKNOWN ffff:f...f 1 2\r\n", 0, 30, NULL},
    {"v1 partial", "PROXY TCP4 192.0.2.1", 0, PROXY_INCOMPLETE, NULL},
    {"v1 only CR", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r", 0, PROXY_INCOMPLETE,
     NULL},
    {"v1 prefix", "PRO", 0, PROXY_INCOMPLETE, NULL},
    {"empty", "", 0, PROXY_INCOMPLETE, NULL},
    {"http", "GET / HTTP/1.1\r\n", 0, PROXY_INVALID, NULL},
    {"tls", "\x16\x03\x01\x02\x00", 0, PROXY_INVALID, NULL},
    {"lower", "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", 0, PROXY_INVALID, NULL},
    {"v1 bare LF", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", 0, PROXY_INVALID, NULL},
    {"v1 CR x", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rx", 0, PROXY_INVALID, NULL},
    {"v1 tcp5", "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", 0, PROXY_INVALID, NULL},
    {"v1 v6 in tcp4", "PROXY TCP4 ::1 ::1 1 2\r\n", 0, PROXY_INVALID, NULL},
    {"v1 port", "PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n", 0, PROXY_INVALID,
     NULL},
    {"v1 port 0x", "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", 0, PROXY_INVALID,
     NULL},
    {"v1 2 spaces", "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", 0, PROXY_INVALID,
     NULL},
    {"v1 fields", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", 0, PROXY_INVALID,
     NULL},
    {"v1 few", "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", 0, PROXY_INVALID, NULL},
    {"v1 addr", "PROXY TCP4 1.2.3.400 5.6.7.8 1 2\r\n", 0, PROXY_INVALID, NULL},
    {"v1 NUL", "PROXY TCP4 1.2.3.4\0 5.6.7.8 1 2\r\n", 33, PROXY_INVALID, NULL},
    {"v1 too long",
     "PROXY UNKNOWN 0000000000000000000000000000000000000000000000000000000"
     "000000000000000000000000000000000000000000000000",
     0, PROXY_INVALID, NULL},
    {"v2 tcp4",
     V2(V2_SIG "\x21\x11\x00\x0c\xc0\x00\x02\x01\xc6\x33\x64\x02\xdc\x04"
	       "\x01\xbb"),
     28, "192.0.2.1 56324"},
    {"v2 tcp4 tlv",
     V2(V2_SIG "\x21\x11\x00\x10\xc0\x00\x02\x01\xc6\x33\x64\x02\xdc\x04"
	       "\x01\xbb\x04\x00\x01\x00GET"),
     32, "192.0.2.1 56324"},
    {"v2 tcp6",
     V2(V2_SIG "\x21\x21\x00\x24"
	       "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"
	       "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02\x00\x50\x01\xbb"),
     52, "2001:db8::1 80"},
    {"v2 local", V2(V2_SIG "\x20\x00\x00\x00"), 16, NULL},
    {"v2 udp",
     V2(V2_SIG "\x21\x12\x00\x0c"
	       "123456789012"),
     28, NULL},
    {"v2 unspec",
     V2(V2_SIG "\x21\x00\x00\x03"
	       "abc"),
     19, NULL},
    {"v2 partial", V2(V2_SIG "\x21\x11\x00\x0c\xc0\x00"), PROXY_INCOMPLETE,
     NULL},
    {"v2 sig only", V2(V2_SIG), PROXY_INCOMPLETE, NULL},
    {"v2 bad sig", V2("\r\n\r\n\0\r\nQUIX\n"), PROXY_INVALID, NULL},
    {"v2 version 1", V2(V2_SIG "\x11\x11\x00\x0c"), PROXY_INVALID, NULL},
    {"v2 command 2", V2(V2_SIG "\x22\x11\x00\x0c"), PROXY_INVALID, NULL},
    {"v2 family 4", V2(V2_SIG "\x21\x41\x00\x0c"), PROXY_INVALID, NULL},
    {"v2 short block",
     V2(V2_SIG "\x21\x11\x00\x08"
	       "12345678"),
     PROXY_INVALID, NULL},
    {"v2 huge", V2(V2_SIG "\x21\x11\xff\xff"), PROXY_INVALID, NULL},
};

static void addr_text(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN];
	unsigned port;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		port = ntohs(in->sin_port);
	} else {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		port = ntohs(in6->sin6_port);
	}
	snprintf(out, cap, "%s %u", a, port);
}

Test(proxy_proto, table)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pcase *t = &cases[i];
		size_t len = t->len ? t->len : strlen(t->bytes);
		struct proxy_info pi;
		char text[80];

		int rc = proxy_parse((const unsigned char *)t->bytes, len, &pi);
		cr_expect_eq(rc, t->want, "%s: %d, want %d", t->name, rc,
			     t->want);
		if (rc <= 0)
			continue;
		cr_expect_eq(pi.has_addr, t->src != NULL, "%s", t->name);
		if (t->src && pi.has_addr) {
			addr_text(&pi.src, text, sizeof(text));
			cr_expect_str_eq(text, t->src, "%s", t->name);
		}
		/* every prefix of a valid header waits for more */
		for (size_t k = 0; k < (size_t)rc; k++)
			cr_expect_eq(
			    proxy_parse((const unsigned char *)t->bytes, k,
					&pi),
			    PROXY_INCOMPLETE, "%s: prefix %zu", t->name, k);
	}
}
