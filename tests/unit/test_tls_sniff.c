/*
 * test_tls_sniff.c - the first-bytes detector that tells a TLS
 * ClientHello from a cleartext HTTP request on a TLS port (table-driven),
 * and a sweep over every first byte and short prefixes: never a crash,
 * and only 0x16 is ever taken for TLS.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tls_sniff.h"

struct sniff_case {
	const char *bytes;
	size_t len;
	enum tls_sniff want;
};

#define CASE(s, w)                                                             \
	{                                                                      \
		s, sizeof(s) - 1, w                                            \
	}

static const struct sniff_case cases[] = {
    CASE("\x16\x03\x01\x02\x00", TLS_SNIFF_TLS),
    CASE("\x16", TLS_SNIFF_TLS),
    CASE("GET / HTTP/1.1\r\n", TLS_SNIFF_PLAIN),
    CASE("POST /x HTTP/1.1", TLS_SNIFF_PLAIN),
    CASE("OPTIONS * HTTP/1.1", TLS_SNIFF_PLAIN),
    CASE("G", TLS_SNIFF_PLAIN),	   /* one byte so far */
    CASE("DELE", TLS_SNIFF_PLAIN), /* a method cut short */
    CASE("get / HTTP/1.1", TLS_SNIFF_OTHER),
    CASE("\x80\x2e\x01", TLS_SNIFF_OTHER), /* SSLv2-style hello */
    CASE("\x15\x03\x03", TLS_SNIFF_OTHER), /* an alert */
    CASE("GE\x01", TLS_SNIFF_OTHER),
    CASE(" GET", TLS_SNIFF_OTHER),
    CASE("\r\n", TLS_SNIFF_OTHER),
};

Test(tls_sniff, table)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(tls_sniff((const unsigned char *)cases[i].bytes,
				       cases[i].len),
			     cases[i].want, "case %zu", i);
	cr_expect_eq(tls_sniff((const unsigned char *)"", 0), TLS_SNIFF_OTHER);
}

Test(tls_sniff, every_first_byte_and_prefix)
{
	unsigned char buf[8];

	for (unsigned b = 0; b < 256; b++) {
		for (size_t n = 1; n <= sizeof(buf); n++) {
			memset(buf, (int)((b * 31 + n) & 0xff), sizeof(buf));
			buf[0] = (unsigned char)b;
			enum tls_sniff r = tls_sniff(buf, n);
			cr_assert(r == TLS_SNIFF_TLS || r == TLS_SNIFF_PLAIN ||
				  r == TLS_SNIFF_OTHER);
			if (r == TLS_SNIFF_TLS)
				cr_assert_eq(b, 0x16u);
			if (r == TLS_SNIFF_PLAIN)
				cr_assert(b >= 'A' && b <= 'Z');
		}
	}
}
