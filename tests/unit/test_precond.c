/*
 * test_precond.c - RFC 9110 §13.2.2 precondition evaluation as a pure
 * function: every field alone, their order, strong against weak
 * comparison, "*", a missing resource, invalid dates and lists.
 * Expected statuses are written out by hand from the RFC.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "precond.h"

/* 784111777 = Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110 §5.6.7's example) */
#define T_1994	   784111777
#define AT_1994	   "Sun, 06 Nov 1994 08:49:37 GMT"
#define BEFORE	   "Sun, 06 Nov 1994 08:49:36 GMT"
#define AFTER	   "Sun, 06 Nov 1994 08:49:38 GMT"
#define FUTURE	   "Sun, 06 Nov 2095 08:49:37 GMT"
#define NOW	   (T_1994 + 3600)
#define ETAG	   "\"2b9-c\""
#define WEAK_ETAG  "W/\"2b9-c\""
#define OTHER_ETAG "\"1-1\""

struct precond_case {
	enum http_method method;
	bool exists;
	const char *if_match;
	const char *if_unmodified_since;
	const char *if_none_match;
	const char *if_modified_since;
	int want;
};

static const struct precond_case cases[] = {
    /* no conditions */
    {HTTP_GET, true, NULL, NULL, NULL, NULL, PRECOND_PASS},
    {HTTP_PUT, false, NULL, NULL, NULL, NULL, PRECOND_PASS},
    /* 1. If-Match: strong comparison, "*" = the resource exists */
    {HTTP_PUT, true, ETAG, NULL, NULL, NULL, PRECOND_PASS},
    {HTTP_PUT, true, OTHER_ETAG ", " ETAG, NULL, NULL, NULL, PRECOND_PASS},
    {HTTP_PUT, true, " ,," ETAG " ,", NULL, NULL, NULL, PRECOND_PASS},
    {HTTP_PUT, true, OTHER_ETAG, NULL, NULL, NULL, 412},
    {HTTP_PUT, true, "\"nope\"", NULL, NULL, NULL, 412},
    {HTTP_PUT, true, WEAK_ETAG, NULL, NULL, NULL, 412},
    {HTTP_PUT, true, "*", NULL, NULL, NULL, PRECOND_PASS},
    {HTTP_PUT, false, "*", NULL, NULL, NULL, 412},
    {HTTP_PUT, false, ETAG, NULL, NULL, NULL, 412},
    {HTTP_DELETE, true, OTHER_ETAG, NULL, NULL, NULL, 412},
    {HTTP_GET, true, OTHER_ETAG, NULL, NULL, NULL, 412},
    {HTTP_HEAD, true, ETAG, NULL, NULL, NULL, PRECOND_PASS},
    /* malformed lists match nothing */
    {HTTP_PUT, true, "2b9-c", NULL, NULL, NULL, 412},
    {HTTP_PUT, true, "\"2b9-c", NULL, NULL, NULL, 412},
    {HTTP_PUT, true, ETAG " x", NULL, NULL, NULL, 412},
    /* 2. If-Unmodified-Since, only without If-Match */
    {HTTP_PUT, true, NULL, BEFORE, NULL, NULL, 412},
    {HTTP_PUT, true, NULL, AT_1994, NULL, NULL, PRECOND_PASS},
    {HTTP_PUT, true, NULL, AFTER, NULL, NULL, PRECOND_PASS},
    {HTTP_GET, true, NULL, BEFORE, NULL, NULL, 412},
    {HTTP_PUT, true, NULL, "yesterday", NULL, NULL, PRECOND_PASS},
    {HTTP_PUT, false, NULL, BEFORE, NULL, NULL, PRECOND_PASS},
    {HTTP_PUT, true, ETAG, BEFORE, NULL, NULL, PRECOND_PASS},
    {HTTP_PUT, true, OTHER_ETAG, AFTER, NULL, NULL, 412},
    /* 3. If-None-Match: weak comparison; 304 for GET/HEAD, else 412 */
    {HTTP_GET, true, NULL, NULL, ETAG, NULL, 304},
    {HTTP_HEAD, true, NULL, NULL, WEAK_ETAG, NULL, 304},
    {HTTP_GET, true, NULL, NULL, OTHER_ETAG, NULL, PRECOND_PASS},
    {HTTP_GET, true, NULL, NULL, "*", NULL, 304},
    {HTTP_PUT, true, NULL, NULL, "*", NULL, 412},
    {HTTP_PUT, false, NULL, NULL, "*", NULL, PRECOND_PASS},
    {HTTP_PUT, true, NULL, NULL, ETAG, NULL, 412},
    {HTTP_PUT, true, NULL, NULL, OTHER_ETAG, NULL, PRECOND_PASS},
    {HTTP_DELETE, true, NULL, NULL, "*", NULL, 412},
    {HTTP_GET, true, NULL, NULL, "garbage", NULL, PRECOND_PASS},
    /* 1 before 3: a failing If-Match wins over a matching None-Match */
    {HTTP_GET, true, OTHER_ETAG, NULL, ETAG, NULL, 412},
    {HTTP_GET, true, ETAG, NULL, ETAG, NULL, 304},
    {HTTP_GET, true, NULL, BEFORE, ETAG, NULL, 412},
    /* 4. If-Modified-Since: GET/HEAD, only without If-None-Match */
    {HTTP_GET, true, NULL, NULL, NULL, AT_1994, 304},
    {HTTP_GET, true, NULL, NULL, NULL, AFTER, 304},
    {HTTP_GET, true, NULL, NULL, NULL, BEFORE, PRECOND_PASS},
    {HTTP_GET, true, NULL, NULL, NULL, FUTURE, PRECOND_PASS},
    {HTTP_GET, true, NULL, NULL, NULL, "not a date", PRECOND_PASS},
    {HTTP_PUT, true, NULL, NULL, NULL, AT_1994, PRECOND_PASS},
    {HTTP_GET, true, NULL, NULL, OTHER_ETAG, AT_1994, PRECOND_PASS},
};

static struct slice sl(const char *s)
{
	return (struct slice){s, s ? strlen(s) : 0};
}

Test(precond, table_of_rfc9110_13_2_2)
{
	const struct precond_target exists = {true, ETAG, strlen(ETAG), T_1994};
	const struct precond_target missing = {false, NULL, 0, 0};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct precond_case *c = &cases[i];
		struct http_request req = {.method = c->method};

		req.if_match = sl(c->if_match);
		req.if_unmodified_since = sl(c->if_unmodified_since);
		req.if_none_match = sl(c->if_none_match);
		req.if_modified_since = sl(c->if_modified_since);
		cr_expect_eq(
		    precond_eval(&req, c->exists ? &exists : &missing, NOW),
		    c->want, "case %zu: If-Match %s, IUS %s, INM %s, IMS %s", i,
		    c->if_match, c->if_unmodified_since, c->if_none_match,
		    c->if_modified_since);
	}
}
