/*
 * test_redirect.c - redirect_expand(): $scheme, $host, $request_uri in a
 * redirect.to, other '$' kept, and the output bound (table-driven).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "redirect.h"

#define S(lit) ((struct slice){lit, sizeof(lit) - 1})

Test(redirect, expands_the_three_variables)
{
	static const struct {
		const char *tmpl;
		const char *want;
	} cases[] = {
	    {"https://$host$request_uri", "https://ex.test/a/b?c=1"},
	    {"$scheme://$host/", "http://ex.test/"},
	    {"/new/", "/new/"},
	    {"/cost$5/$hostname", "/cost$5/ex.testname"},
	    {"$", "$"},
	    {"$$scheme", "$http"},
	    {"", ""},
	};
	const struct redirect_vars v = {
	    .scheme = S("http"),
	    .host = S("ex.test"),
	    .request_uri = S("/a/b?c=1"),
	};
	char out[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ssize_t n =
		    redirect_expand(cases[i].tmpl, &v, out, sizeof(out));
		cr_expect_eq(n, (ssize_t)strlen(cases[i].want), "case %zu", i);
		cr_expect_str_eq(out, cases[i].want, "case %zu", i);
	}
}

Test(redirect, refuses_what_does_not_fit)
{
	const struct redirect_vars v = {.scheme = S("https"),
					.host = S("h"),
					.request_uri = S("/0123456789")};
	char out[16];

	cr_expect_eq(redirect_expand("$scheme://$host$request_uri", &v, out,
				     sizeof(out)),
		     -1);
	cr_expect_eq(redirect_expand("$scheme://$host/", &v, out, sizeof(out)),
		     10);
	cr_expect_str_eq(out, "https://h/");
	cr_expect_eq(redirect_expand("0123456789abcdef", &v, out, sizeof(out)),
		     -1);
	cr_expect_eq(redirect_expand("0123456789abcde", &v, out, sizeof(out)),
		     15);
}
