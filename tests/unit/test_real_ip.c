/*
 * test_real_ip.c - X-Forwarded-For behind trusted proxies (real_ip.c):
 * read only from a trusted hop, from the right, the first untrusted
 * entry is the client, junk stops the walk.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>

#include "real_ip.h"
#include "router.h"

static struct sockaddr_storage addr_of(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		cr_assert_eq(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		cr_assert_eq(inet_pton(AF_INET, text, &in->sin_addr), 1);
	}
	return ss;
}

static void text_of(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	const void *a =
	    ss->ss_family == AF_INET6
		? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
		: (const void *)&((const struct sockaddr_in *)ss)->sin_addr;
	cr_assert_not_null(inet_ntop(ss->ss_family, a, out, (socklen_t)cap));
}

Test(real_ip, table)
{
	static const struct {
		const char *hop;
		const char *fields;
		const char *want; /* NULL: hop stays the client */
	} cases[] = {
	    /* untrusted hop: the field is never read */
	    {"198.51.100.7", "X-Forwarded-For: 203.0.113.1\r\n", NULL},
	    {"10.0.0.1", "X-Forwarded-For: 203.0.113.1\r\n", "203.0.113.1"},
	    /* rightmost untrusted: the client's own entries are ignored */
	    {"10.0.0.1", "X-Forwarded-For: 1.1.1.1, 203.0.113.1, 10.0.0.2\r\n",
	     "203.0.113.1"},
	    /* every entry trusted: the leftmost */
	    {"10.0.0.1", "X-Forwarded-For: 10.0.0.3, 10.0.0.2\r\n", "10.0.0.3"},
	    /* several field lines: one list, the last line rightmost */
	    {"10.0.0.1",
	     "X-Forwarded-For: 203.0.113.1\r\nHost: a\r\n"
	     "x-forwarded-for: 10.0.0.9, 203.0.113.2\r\n",
	     "203.0.113.2"},
	    {"10.0.0.1",
	     "X-Forwarded-For: 203.0.113.1\r\nX-Forwarded-For: 10.0.0.9\r\n",
	     "203.0.113.1"},
	    /* junk stops the walk at the last good entry */
	    {"10.0.0.1", "X-Forwarded-For: 203.0.113.1, evil, 10.0.0.5\r\n",
	     "10.0.0.5"},
	    {"10.0.0.1", "X-Forwarded-For: evil\r\n", NULL},
	    {"10.0.0.1", "X-Forwarded-For: 203.0.113.1:80\r\n", NULL},
	    {"10.0.0.1", "X-Forwarded-For: ,, 203.0.113.4 ,\r\n",
	     "203.0.113.4"},
	    {"10.0.0.1", "X-Forwarded-For: \r\n", NULL},
	    {"10.0.0.1", "Host: a\r\n", NULL},
	    {"10.0.0.1", "X-Forwarded-For: [2001:db8::1]\r\n", "2001:db8::1"},
	    {"::1", "X-Forwarded-For: 2001:db8::2\r\n", "2001:db8::2"},
	    /* an IPv4 hop seen as v4-mapped on a dual-stack socket */
	    {"::ffff:10.0.0.1", "X-Forwarded-For: 203.0.113.8\r\n",
	     "203.0.113.8"},
	};
	struct cidr trusted[2];

	cr_assert_eq(cidr_parse("10.0.0.0/8", &trusted[0]), 0);
	cr_assert_eq(cidr_parse("::1", &trusted[1]), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockaddr_storage hop = addr_of(cases[i].hop), out;
		char text[64];
		bool found = real_ip_find(trusted, 2, (struct sockaddr *)&hop,
					  cases[i].fields,
					  strlen(cases[i].fields), &out);
		if (cases[i].want == NULL) {
			cr_expect(!found, "case %zu: took an address", i);
			continue;
		}
		cr_assert(found, "case %zu: no address", i);
		text_of(&out, text, sizeof(text));
		cr_expect_str_eq(text, cases[i].want, "case %zu", i);
	}
}

Test(real_ip, no_trusted_proxies_no_reading)
{
	struct sockaddr_storage hop = addr_of("10.0.0.1"), out;
	const char f[] = "X-Forwarded-For: 203.0.113.1\r\n";

	cr_expect(!real_ip_find(NULL, 0, (struct sockaddr *)&hop, f,
				sizeof(f) - 1, &out));
}
