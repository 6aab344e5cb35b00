/*
 * test_request_id.c - request ids: which incoming ones are kept, the
 * made ones' form and uniqueness.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "request_id.h"

Test(request_id_unit, valid_table)
{
	static const struct {
		const char *id;
		bool ok;
	} cases[] = {
	    {"abc", true},
	    {"0123456789abcdef0123456789abcdef", true},
	    {"lb-1/a:b=c;d,e+f", true},
	    {"!#$%&'()*+,-./~", true},
	    {"", false},
	    {"a b", false},
	    {"a\tb", false},
	    {"a\"b", false},
	    {"a\\b", false},
	    {"caf\xc3\xa9", false},
	    {"a\x7f", false},
	    {"a\x01", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(request_id_valid(cases[i].id, strlen(cases[i].id)),
			     cases[i].ok, "%zu: '%s'", i, cases[i].id);
	char big[REQUEST_ID_MAX + 1];
	memset(big, 'x', sizeof(big));
	cr_expect(request_id_valid(big, REQUEST_ID_MAX));
	cr_expect(!request_id_valid(big, REQUEST_ID_MAX + 1));
}

Test(request_id_unit, format)
{
	char out[33];

	request_id_format(out, 0x0123456789abcdefull, 1);
	cr_expect_str_eq(out, "0123456789abcdef0000000000000001");
	request_id_format(out, 0, UINT64_MAX);
	cr_expect_str_eq(out, "0000000000000000ffffffffffffffff");
}

Test(request_id_unit, made_ids_differ)
{
	char a[33], b[33], c[33];

	request_id_init();
	request_id_next(a);
	request_id_next(b);
	cr_expect_str_neq(a, b);
	cr_expect_eq(strncmp(a, b, 16), 0, "one prefix per process");
	request_id_init(); /* another worker or a restart */
	request_id_next(c);
	cr_expect_neq(strncmp(a, c, 16), 0, "a new prefix: %s %s", a, c);
}
