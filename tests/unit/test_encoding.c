/*
 * test_encoding.c - Accept-Encoding negotiation (RFC 9110 §12.5.3) as a
 * pure function: weights, "*", identity refused, case, x-gzip, malformed
 * elements, the server's order on ties.  Expected codings written out by
 * hand from the RFC.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "encoding.h"

#define NONE (-1)

struct ae_case {
	const char *field; /* NULL: no Accept-Encoding */
	int want_br_gzip;  /* offer br, gzip */
	int want_gzip_br;  /* offer gzip, br */
	int want_gzip;	   /* offer gzip only */
};

static const struct ae_case cases[] = {
    /* no field: identity; an empty one: identity only */
    {NULL, ENC_IDENTITY, ENC_IDENTITY, ENC_IDENTITY},
    {"", ENC_IDENTITY, ENC_IDENTITY, ENC_IDENTITY},
    /* plain lists: the server's order breaks the tie */
    {"gzip", ENC_GZIP, ENC_GZIP, ENC_GZIP},
    {"br", ENC_BR, ENC_BR, ENC_IDENTITY},
    {"gzip, br", ENC_BR, ENC_GZIP, ENC_GZIP},
    {"br,gzip", ENC_BR, ENC_GZIP, ENC_GZIP},
    {"gzip, deflate, br, zstd", ENC_BR, ENC_GZIP, ENC_GZIP},
    {"deflate", ENC_IDENTITY, ENC_IDENTITY, ENC_IDENTITY},
    /* weights */
    {"gzip;q=1.0, br;q=0.5", ENC_GZIP, ENC_GZIP, ENC_GZIP},
    {"gzip;q=0.5, br;q=0.9", ENC_BR, ENC_BR, ENC_GZIP},
    {"gzip; q=0.001", ENC_GZIP, ENC_GZIP, ENC_GZIP},
    {"gzip ; q=0.5 , br ;q=0.5", ENC_BR, ENC_GZIP, ENC_GZIP},
    {"gzip;Q=0.5, br;q=0.4", ENC_GZIP, ENC_GZIP, ENC_GZIP},
    {"gzip;q=0", ENC_IDENTITY, ENC_IDENTITY, ENC_IDENTITY},
    {"gzip;q=0.000, br", ENC_BR, ENC_BR, ENC_IDENTITY},
    {"gzip;q=0, br;q=0", ENC_IDENTITY, ENC_IDENTITY, ENC_IDENTITY},
    /* a coding listed twice: the higher weight */
    {"gzip;q=0, gzip;q=0.5", ENC_GZIP, ENC_GZIP, ENC_GZIP},
    /* identity weighed against codings */
    {"identity;q=1, gzip;q=0.5", ENC_IDENTITY, ENC_IDENTITY, ENC_IDENTITY},
    {"identity, gzip", ENC_GZIP, ENC_GZIP, ENC_GZIP},
    {"identity;q=0.5, gzip;q=0.8", ENC_GZIP, ENC_GZIP, ENC_GZIP},
    {"identity", ENC_IDENTITY, ENC_IDENTITY, ENC_IDENTITY},
    /* identity refused: a coding, or nothing acceptable */
    {"identity;q=0", NONE, NONE, NONE},
    {"identity;q=0, gzip", ENC_GZIP, ENC_GZIP, ENC_GZIP},
    {"identity;q=0, br", ENC_BR, ENC_BR, NONE},
    {"*;q=0", NONE, NONE, NONE},
    {"*;q=0, gzip", ENC_GZIP, ENC_GZIP, ENC_GZIP},
    {"*;q=0, identity", ENC_IDENTITY, ENC_IDENTITY, ENC_IDENTITY},
    /* "*": every coding not listed */
    {"*", ENC_BR, ENC_GZIP, ENC_GZIP},
    {"*, gzip;q=0", ENC_BR, ENC_BR, ENC_IDENTITY},
    {"*;q=0.5, gzip", ENC_GZIP, ENC_GZIP, ENC_GZIP},
    {"br;q=0.2, *;q=0.5", ENC_GZIP, ENC_GZIP, ENC_GZIP},
    /* case-insensitive; x-gzip is gzip (§8.4.1.3) */
    {"GZIP", ENC_GZIP, ENC_GZIP, ENC_GZIP},
    {"Br, GZip", ENC_BR, ENC_GZIP, ENC_GZIP},
    {"x-gzip", ENC_GZIP, ENC_GZIP, ENC_GZIP},
    {"IDENTITY;Q=0", NONE, NONE, NONE},
    /* near misses are other codings */
    {"gzipx, brotli, b r", ENC_IDENTITY, ENC_IDENTITY, ENC_IDENTITY},
    /* malformed elements are ignored, the rest counts */
    {"gzip;q=2", ENC_IDENTITY, ENC_IDENTITY, ENC_IDENTITY},
    {"gzip;q=1.001", ENC_IDENTITY, ENC_IDENTITY, ENC_IDENTITY},
    {"gzip;q=0.1234", ENC_IDENTITY, ENC_IDENTITY, ENC_IDENTITY},
    {"gzip;q=", ENC_IDENTITY, ENC_IDENTITY, ENC_IDENTITY},
    {"gzip;q=.5", ENC_IDENTITY, ENC_IDENTITY, ENC_IDENTITY},
    {"gzip;q=-0", ENC_IDENTITY, ENC_IDENTITY, ENC_IDENTITY},
    {"gzip q=0.5", ENC_IDENTITY, ENC_IDENTITY, ENC_IDENTITY},
    {"gzip;q=0.5x, br", ENC_BR, ENC_BR, ENC_IDENTITY},
    {"identity;q=zero", ENC_IDENTITY, ENC_IDENTITY, ENC_IDENTITY},
    {"\"gzip\", br", ENC_BR, ENC_BR, ENC_IDENTITY},
    /* other parameters are skipped; empty elements too (§5.6.1) */
    {"gzip;level=9;q=0.5, br;q=0.4", ENC_GZIP, ENC_GZIP, ENC_GZIP},
    {",, ,gzip,,", ENC_GZIP, ENC_GZIP, ENC_GZIP},
    {" \t gzip \t", ENC_GZIP, ENC_GZIP, ENC_GZIP},
};

static int choose(const char *field, const uint8_t *offer, size_t n)
{
	return encoding_choose(field ? field : "", field ? strlen(field) : 0,
			       field != NULL, offer, n);
}

Test(encoding, accept_encoding_table)
{
	static const uint8_t br_gzip[] = {ENC_BR, ENC_GZIP};
	static const uint8_t gzip_br[] = {ENC_GZIP, ENC_BR};
	static const uint8_t gzip[] = {ENC_GZIP};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ae_case *c = &cases[i];
		cr_expect_eq(choose(c->field, br_gzip, 2), c->want_br_gzip,
			     "[br, gzip] \"%s\": %d", c->field,
			     choose(c->field, br_gzip, 2));
		cr_expect_eq(choose(c->field, gzip_br, 2), c->want_gzip_br,
			     "[gzip, br] \"%s\": %d", c->field,
			     choose(c->field, gzip_br, 2));
		cr_expect_eq(choose(c->field, gzip, 1), c->want_gzip,
			     "[gzip] \"%s\": %d", c->field,
			     choose(c->field, gzip, 1));
	}
}

Test(encoding, nothing_offered_is_identity_unless_refused)
{
	cr_expect_eq(choose("gzip, br", NULL, 0), ENC_IDENTITY);
	cr_expect_eq(choose("identity;q=0", NULL, 0), NONE);
}

Test(encoding, names_and_suffixes)
{
	cr_expect_str_eq(encoding_name(ENC_GZIP), "gzip");
	cr_expect_str_eq(encoding_name(ENC_BR), "br");
	cr_expect_str_eq(encoding_suffix(ENC_GZIP), ".gz");
	cr_expect_str_eq(encoding_suffix(ENC_BR), ".br");
	cr_expect_eq(encoding_from_name("GZIP", 4), ENC_GZIP);
	cr_expect_eq(encoding_from_name("br", 2), ENC_BR);
	cr_expect_eq(encoding_from_name("identity", 8), -1);
	cr_expect_eq(encoding_from_name("deflate", 7), -1);
}
