/*
 * test_parser.c - request-head parser: bad requests and their statuses,
 * good requests at every split point, keep-alive rules, limits.
 *
 * Every parse runs on a heap copy of exactly the bytes given, so ASan
 * catches any read past len.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

#define LIMIT 8192

static struct http_request req;

/* Parse a heap copy of in[0..len); the copy is returned in *copy. */
static int parse_copy(const char *in, size_t len, size_t limit, char **copy,
		      int *status)
{
	*copy = malloc(len ? len : 1);
	cr_assert_not_null(*copy);
	memcpy(*copy, in, len);
	*status = -1;
	return http_parse_head(*copy, len, limit, &req, status);
}

static int parse_once(const char *in, size_t len, size_t limit, int *status)
{
	char *copy;
	int rc = parse_copy(in, len, limit, &copy, status);

	free(copy);
	return rc;
}

/* ---- bad requests ------------------------------------------------------ */

struct bad {
	const char *in;
	size_t len;
	size_t limit; /* 0: LIMIT */
	int status;
};

#define BAD(s, st)                                                             \
	{                                                                      \
		s, sizeof(s) - 1, 0, st                                        \
	}
#define BADL(s, lim, st)                                                       \
	{                                                                      \
		s, sizeof(s) - 1, lim, st                                      \
	}
#define H11  " HTTP/1.1\r\n"
#define HOST "Host: a\r\n"

/* Inputs without the final blank line check that the error comes before
 * the head is complete. */
static const struct bad bad_cases[] = {
    /* request line */
    BAD("GET  / HTTP/1.1\r\n" HOST "\r\n", 400),
    BAD("GET / HTTP/1.1 \r\n" HOST "\r\n", 400),
    BAD("GET /\r\n" HOST "\r\n", 400),
    BAD("GET / HTTP/1.1 x\r\n" HOST "\r\n", 400),
    BAD(" GET / HTTP/1.1\r\n" HOST "\r\n", 400),
    BAD("GET\t/ HTTP/1.1\r\n" HOST "\r\n", 400),
    BAD("GET /\tHTTP/1.1\r\n" HOST "\r\n", 400),
    BAD("G@", 400),
    BAD("GE\x00T / HTTP/1.1\r\n", 400),
    BAD("GET /a\x01", 400),
    BAD("GET /a\x7f", 400),
    BAD("GET /caf\xc3\xa9 HTTP/1.1\r\n", 400),
    BAD("GET /a#frag HTTP/1.1\r\n" HOST "\r\n", 400),
    BAD("GET a/b HTTP/1.1\r\n" HOST "\r\n", 400),
    BAD("GET * HTTP/1.1\r\n" HOST "\r\n", 400),
    BAD("GET ftp://a/b HTTP/1.1\r\n" HOST "\r\n", 400),
    BAD("GET http:/a/b HTTP/1.1\r\n" HOST "\r\n", 400),
    BAD("GET http:///b HTTP/1.1\r\n" HOST "\r\n", 400),
    BAD("GET http://:80/b HTTP/1.1\r\n" HOST "\r\n", 400),
    BAD("GET http://user@a/ HTTP/1.1\r\n" HOST "\r\n", 400),
    BAD("GET http://a\\b/ HTTP/1.1\r\n" HOST "\r\n", 400),
    BAD("GET example.com:80 HTTP/1.1\r\n" HOST "\r\n", 400),
    BAD("CONNECT /x HTTP/1.1\r\n" HOST "\r\n", 400),
    BAD("CONNECT a.test HTTP/1.1\r\n" HOST "\r\n", 400),
    BAD("CONNECT a.test:x HTTP/1.1\r\n" HOST "\r\n", 400),
    BAD("CONNECT a.test: HTTP/1.1\r\n" HOST "\r\n", 400),
    BAD("GET / HTTP/1.1x", 400),
    BAD("GET / http/1.1\r\n" HOST "\r\n", 400),
    BAD("GET / HTTP/1.10\r\n" HOST "\r\n", 400),
    BAD("GET / HTTP/11\r\n" HOST "\r\n", 400),
    BAD("GET / HTTP/1.\r\n" HOST "\r\n", 400),
    BAD("GET / HTTP/1\r\n" HOST "\r\n", 400),
    BAD("GET / HTTP/2.0x\r\n" HOST "\r\n", 400),
    BAD("GET / HTTP/1.1\rX", 400),
    BAD("GET / HTTP/1.1\n" HOST "\r\n", 400),
    BAD("\nGET / HTTP/1.1\r\n" HOST "\r\n", 400),
    BAD("\r\r\nGET / HTTP/1.1\r\n", 400),
    BAD("\r\n\nGET / HTTP/1.1\r\n", 400),
    /* version */
    BAD("GET / HTTP/2.0\r\n" HOST "\r\n", 505),
    BAD("GET / HTTP/3.0\r\n", 505),
    BAD("GET / HTTP/0.9\r\n" HOST "\r\n", 505),
    BAD("GET / HTTP/9.1\r\n", 505),
    /* method */
    BAD("FOO / HTTP/1.1\r\n" HOST "\r\n", 501),
    BAD("get / HTTP/1.1\r\n" HOST "\r\n", 501),
    BAD("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 501),
    BAD("FOO ", 501),
    /* field lines */
    BAD("GET /" H11 HOST "X: a\r\n b\r\n\r\n", 400),
    BAD("GET /" H11 HOST "X: a\r\n\tb\r\n\r\n", 400),
    BAD("GET /" H11 " Host: a\r\n\r\n", 400),
    BAD("GET /" H11 "Host : a\r\n\r\n", 400),
    BAD("GET /" H11 "Host\t: a\r\n\r\n", 400),
    BAD("GET /" H11 HOST ": a\r\n\r\n", 400),
    BAD("GET /" H11 HOST "Ho(st: a\r\n\r\n", 400),
    BAD("GET /" H11 HOST "X-\xff: a\r\n\r\n", 400),
    BAD("GET /" H11 HOST "NoColon\r\n\r\n", 400),
    BAD("GET /" H11 HOST "X: a\x01", 400),
    BAD("GET /" H11 HOST "X: a\x7f", 400),
    BAD("GET /" H11 HOST "X: a\x00", 400),
    BAD("GET /" H11 HOST "X: a\x1b[0m\r\n\r\n", 400),
    BAD("GET /" H11 HOST "X: a\rb\r\n\r\n", 400),
    BAD("GET /" H11 HOST "X: a\nY: b\r\n\r\n", 400),
    BAD("GET /" H11 HOST "\n", 400),
    BAD("GET /" H11 HOST "\rX", 400),
    BAD("GET /" H11 "Host: a\n\n", 400),
    /* Host */
    BAD("GET /" H11 "\r\n", 400),
    BAD("GET /" H11 "X: a\r\n\r\n", 400),
    BAD("GET /" H11 HOST HOST, 400),
    BAD("GET /" H11 "Host: a\r\nhost: b\r\n", 400),
    BAD("GET /" H11 "Host: a b\r\n", 400),
    BAD("GET /" H11 "Host: a/b\r\n", 400),
    BAD("GET /" H11 "Host: user@a\r\n", 400),
    BAD("GET /" H11 "Host: a:8x\r\n", 400),
    BAD("GET /" H11 "Host: a:80:90\r\n", 400),
    BAD("GET /" H11 "Host: [::1\r\n", 400),
    BAD("GET /" H11 "Host: []\r\n", 400),
    BAD("GET /" H11 "Host: [::1]x\r\n", 400),
    BAD("GET /" H11 "Host: a%zz\r\n", 400),
    BAD("GET /" H11 "Host:\r\n", 400),
    BAD("GET /" H11 "Host:  \r\n", 400),
    BAD("GET /" H11 "Host: :80\r\n", 400),
    BAD("GET / HTTP/1.0\r\nHost: \r\n", 400),
    BAD("GET /" H11 "Host: a%4\r\n", 400),
    BAD("GET http://a/" H11 "\r\n", 400),
    /* Content-Length */
    BAD("POST /" H11 HOST "Content-Length: +4\r\n", 400),
    BAD("POST /" H11 HOST "Content-Length: -1\r\n", 400),
    BAD("POST /" H11 HOST "Content-Length: 4 4\r\n", 400),
    BAD("POST /" H11 HOST "Content-Length: 0x10\r\n", 400),
    BAD("POST /" H11 HOST "Content-Length: \r\n", 400),
    BAD("POST /" H11 HOST "Content-Length: 4.0\r\n", 400),
    BAD("POST /" H11 HOST "Content-Length: 9223372036854775808\r\n", 400),
    BAD("POST /" H11 HOST "Content-Length: 99999999999999999999\r\n", 400),
    BAD("POST /" H11 HOST "Content-Length: 4, 4\r\n", 400),
    BAD("POST /" H11 HOST "Content-Length: 4\r\nContent-Length: 4\r\n", 400),
    /* Transfer-Encoding */
    BAD("POST /" H11 HOST "Content-Length: 4\r\n"
	"Transfer-Encoding: chunked\r\n",
	400),
    BAD("POST /" H11 HOST "Transfer-Encoding: chunked\r\n"
	"Content-Length: 4\r\n",
	400),
    BAD("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    BAD("POST /" H11 HOST "Transfer-Encoding: chunked, gzip\r\n", 400),
    BAD("POST /" H11 HOST "Transfer-Encoding: chunked, chunked\r\n", 400),
    BAD("POST /" H11 HOST "Transfer-Encoding: chunked\r\n"
	"Transfer-Encoding: chunked\r\n",
	400),
    BAD("POST /" H11 HOST "Transfer-Encoding: chunked\r\n"
	"Transfer-Encoding: gzip\r\n",
	400),
    BAD("POST /" H11 HOST "Transfer-Encoding: \r\n", 400),
    BAD("POST /" H11 HOST "Transfer-Encoding: ,\r\n", 400),
    BAD("POST /" H11 HOST "Transfer-Encoding: chunked;x=1\r\n", 400),
    BAD("POST /" H11 HOST "Transfer-Encoding: gzip, chunked\r\n", 501),
    BAD("POST /" H11 HOST "Transfer-Encoding: foo\r\n", 501),
    BAD("POST /" H11 HOST "Transfer-Encoding: identity\r\n", 501),
    /* limits */
    BADL("GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" H11 HOST "\r\n", 32,
	 414),
    BADL("GET / HTTP/1.1\r", 15, 414),
    BADL("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n" HOST "\r\n", 20,
	 414),
    BADL("GET /" H11 HOST "X-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "\r\n\r\n",
	 48, 431),
    BADL("GET /" H11 HOST "\r\n", 17, 431),
};

static void check_bad(const struct bad *b, size_t idx)
{
	size_t limit = b->limit ? b->limit : LIMIT;
	int status, rc;

	for (size_t k = 0; k < b->len; k++) {
		rc = parse_once(b->in, k, limit, &status);
		cr_assert(rc == HTTP_INCOMPLETE ||
			      (rc == HTTP_ERROR && status == b->status),
			  "bad case %zu, prefix %zu: rc %d status %d, want "
			  "incomplete or %d",
			  idx, k, rc, status, b->status);
	}
	rc = parse_once(b->in, b->len, limit, &status);
	cr_assert_eq(rc, HTTP_ERROR, "bad case %zu: rc %d", idx, rc);
	cr_assert_eq(status, b->status, "bad case %zu: status %d, want %d", idx,
		     status, b->status);
}

Test(parser, bad_requests_whole_and_every_prefix)
{
	size_t n = sizeof(bad_cases) / sizeof(bad_cases[0]);

	cr_assert_geq(n, 80);
	for (size_t i = 0; i < n; i++)
		check_bad(&bad_cases[i], i);
}

/* The earliest byte that makes the head invalid is where it fails. */
Test(parser, errors_detected_at_the_first_bad_byte)
{
	static const struct {
		const char *in;
		size_t bad_at; /* prefix length that first fails */
		int status;
	} cases[] = {
	    {"G@T / HTTP/1.1\r\n", 2, 400},
	    {"FOO / HTTP/1.1\r\n", 4, 501},
	    {"GET /\x01 HTTP/1.1\r\n", 6, 400},
	    {"GET / HTTP/1.1x\r\n", 15, 400},
	    {"GET / HTTX/1.1\r\n", 10, 400},
	    {"GET / HTTP/2.0\r\n\r\n", 16, 505},
	    {"GET / HTTP/1.1\r\nA b: c\r\n", 18, 400},
	    {"GET / HTTP/1.1\r\nHost: a\r\n x\r\n", 26, 400},
	    {"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 27, 400},
	    {"GET /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: zz\r\n\r\n", 49,
	     501},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int status;
		int rc = parse_once(cases[i].in, cases[i].bad_at - 1, LIMIT,
				    &status);

		cr_assert_eq(rc, HTTP_INCOMPLETE, "case %zu: rc %d", i, rc);
		rc = parse_once(cases[i].in, cases[i].bad_at, LIMIT, &status);
		cr_assert_eq(rc, HTTP_ERROR, "case %zu: rc %d", i, rc);
		cr_assert_eq(status, cases[i].status, "case %zu: %d", i,
			     status);
	}
}

/* 414 as soon as limit bytes hold no complete request line. */
Test(parser, request_line_over_limit_is_414_at_limit)
{
	const char *in = "GET /0123456789abcdefghij HTTP/1.1\r\n"
			 "Host: a\r\n\r\n";
	int status;

	cr_assert_eq(parse_once(in, 19, 20, &status), HTTP_INCOMPLETE);
	cr_assert_eq(parse_once(in, 20, 20, &status), HTTP_ERROR);
	cr_assert_eq(status, 414);
	cr_assert_eq(parse_once(in, strlen(in), 20, &status), HTTP_ERROR);
	cr_assert_eq(status, 414);
}

/* A head of exactly limit bytes fits; one byte less does not. */
Test(parser, limit_is_total_head_bytes)
{
	const char *in = "\r\nGET /x HTTP/1.1\r\nHost: a\r\n"
			 "Accept: */*\r\n\r\n";
	size_t len = strlen(in);
	int status;

	cr_assert_eq(parse_once(in, len, len, &status), (int)len);
	cr_assert_eq(parse_once(in, len, len - 1, &status), HTTP_ERROR);
	cr_assert_eq(status, 431);
	cr_assert_eq(parse_once(in, len - 1, len - 1, &status), HTTP_ERROR);
	cr_assert_eq(status, 431);
	cr_assert_eq(parse_once(in, len - 2, len - 1, &status),
		     HTTP_INCOMPLETE);
}

/* ---- good requests ------------------------------------------------------ */

struct good {
	const char *head; /* the head the parser must return */
	const char *tail; /* bytes after it (body, next request) */
	enum http_method method;
	const char *path;
	const char *query; /* NULL: no '?' */
	const char *host;  /* NULL: absent */
	int minor;
	bool keep_alive;
	bool has_length;
	uint64_t content_length;
	bool chunked;
	bool expect_continue;
	size_t header_count;
};

static const struct good good_cases[] = {
    {"GET /index.html?a=1&b=2 HTTP/1.1\r\nHost: example.test\r\n"
     "User-Agent: t/1\r\n\r\n",
     "", HTTP_GET, "/index.html", "a=1&b=2", "example.test", 1, true, false, 0,
     false, false, 2},
    {"GET /a?b?c HTTP/1.1\r\nHost: h\r\n\r\n", "", HTTP_GET, "/a", "b?c", "h",
     1, true, false, 0, false, false, 1},
    {"GET /empty? HTTP/1.1\r\nHost: h\r\n\r\n", "", HTTP_GET, "/empty", "", "h",
     1, true, false, 0, false, false, 1},
    {"GET http://Example.test:8080/p/q?x=y HTTP/1.1\r\nHost: other\r\n"
     "\r\n",
     "", HTTP_GET, "/p/q", "x=y", "Example.test:8080", 1, true, false, 0, false,
     false, 1},
    {"HEAD http://a.test HTTP/1.1\r\nHost: a.test\r\n\r\n", "", HTTP_HEAD, "/",
     NULL, "a.test", 1, true, false, 0, false, false, 1},
    {"GET HTTPS://[::1]:8443?q HTTP/1.1\r\nHost: x\r\n\r\n", "", HTTP_GET, "/",
     "q", "[::1]:8443", 1, true, false, 0, false, false, 1},
    {"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "", HTTP_OPTIONS, "*", NULL, "a",
     1, true, false, 0, false, false, 1},
    {"CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n", "",
     HTTP_CONNECT, "", NULL, "a.test:443", 1, true, false, 0, false, false, 1},
    {"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n", "GET /2 HTTP/1.1\r\nHost: b\r\n\r\n",
     HTTP_GET, "/1", NULL, "a", 1, true, false, 0, false, false, 1},
    {"\r\n\r\nGET / HTTP/1.0\r\n\r\n", "", HTTP_GET, "/", NULL, NULL, 0, false,
     false, 0, false, false, 0},
    {"POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 0042\r\n"
     "Content-Type: text/plain\r\nExpect: 100-Continue\r\n\r\n",
     "body", HTTP_POST, "/up", NULL, "a", 1, true, true, 42, false, true, 4},
    {"POST /up HTTP/1.0\r\nContent-Length: 0\r\n"
     "Expect: 100-continue\r\n\r\n",
     "", HTTP_POST, "/up", NULL, NULL, 0, false, true, 0, false, false, 2},
    {"PUT /f HTTP/1.1\r\nHost: a\r\n"
     "Content-Length: 9223372036854775807\r\n\r\n",
     "x", HTTP_PUT, "/f", NULL, "a", 1, true, true, 9223372036854775807ULL,
     false, false, 2},
    {"POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n",
     "0\r\n\r\n", HTTP_POST, "/c", NULL, "a", 1, true, false, 0, true, false,
     2},
    {"POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,  chunked ,\r\n"
     "Expect: foo, 100-continue\r\n\r\n",
     "", HTTP_POST, "/c", NULL, "a", 1, true, false, 0, true, true, 3},
    {"PATCH /p HTTP/1.1\r\nHost: a\r\nExpect: 100-continues, x\r\n"
     "Connection: close\r\n\r\n",
     "", HTTP_PATCH, "/p", NULL, "a", 1, false, false, 0, false, false, 3},
    {"DELETE /x HTTP/1.2\r\nHost: [::1]:8080\r\n\r\n", "", HTTP_DELETE, "/x",
     NULL, "[::1]:8080", 1, true, false, 0, false, false, 1},
    {"GET /%7e/a-b_c.~!$&'()*+,;=:@ HTTP/1.1\r\nhOsT: a%41.b:80\r\n\r\n", "",
     HTTP_GET, "/%7e/a-b_c.~!$&'()*+,;=:@", NULL, "a%41.b:80", 1, true, false,
     0, false, false, 1},
    {"GET / HTTP/1.1\r\nHost: a\r\nX-A: \t v a l \t\r\n"
     "X-B: caf\xc3\xa9\r\nX-C:\r\n\r\n",
     "", HTTP_GET, "/", NULL, "a", 1, true, false, 0, false, false, 4},
};

static void slice_is(struct slice s, const char *want, const char *what,
		     size_t idx)
{
	if (!want) {
		cr_assert_eq(s.len, 0, "case %zu: %s present", idx, what);
		return;
	}
	cr_assert(s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0,
		  "case %zu: %s is \"%.*s\", want \"%s\"", idx, what,
		  (int)s.len, s.ptr ? s.ptr : "", want);
}

static void check_fields(const struct good *g, size_t idx)
{
	cr_assert_eq(req.method, g->method, "case %zu", idx);
	slice_is(req.path, g->path, "path", idx);
	cr_assert_eq(req.has_query, g->query != NULL, "case %zu", idx);
	slice_is(req.query, g->query, "query", idx);
	slice_is(req.host, g->host, "host", idx);
	cr_assert_eq(req.minor, g->minor, "case %zu", idx);
	cr_assert_eq(req.keep_alive, g->keep_alive, "case %zu", idx);
	cr_assert_eq(req.has_length, g->has_length, "case %zu", idx);
	cr_assert_eq(req.content_length, g->content_length, "case %zu", idx);
	cr_assert_eq(req.chunked, g->chunked, "case %zu", idx);
	cr_assert_eq(req.expect_continue, g->expect_continue, "case %zu", idx);
	cr_assert_eq(req.header_count, g->header_count, "case %zu", idx);
}

Test(parser, good_requests_at_every_split)
{
	for (size_t i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]);
	     i++) {
		const struct good *g = &good_cases[i];
		size_t head = strlen(g->head), tail = strlen(g->tail);
		char in[512];
		int status;

		cr_assert_lt(head + tail, sizeof(in));
		memcpy(in, g->head, head);
		memcpy(in + head, g->tail, tail);
		for (size_t k = 0; k <= head + tail; k++) {
			char *copy;
			int rc = parse_copy(in, k, LIMIT, &copy, &status);

			if (k < head) {
				cr_assert_eq(rc, HTTP_INCOMPLETE,
					     "case %zu prefix %zu: rc %d st %d",
					     i, k, rc, status);
			} else {
				cr_assert_eq(rc, (int)head,
					     "case %zu prefix %zu: rc %d st %d",
					     i, k, rc, status);
				check_fields(g, i);
			}
			free(copy);
		}
	}
}

Test(parser, slices_point_into_the_buffer)
{
	const char *in = "GET /p?q HTTP/1.1\r\nHost: h\r\nX-Y:  z \r\n\r\n";
	int status;

	cr_assert_eq(http_parse_head(in, strlen(in), LIMIT, &req, &status),
		     (int)strlen(in));
	cr_assert_eq(req.method_name.ptr, in);
	cr_assert_eq(req.method_name.len, 3);
	cr_assert_eq(req.target.ptr, in + 4);
	cr_assert_eq(req.target.len, 4);
	cr_assert_eq(req.path.ptr, in + 4);
	cr_assert_eq(req.query.ptr, in + 7);
	cr_assert_eq(req.fields.ptr, in + 19);
	cr_assert_eq(req.fields.len, 19);
	struct http_header h;
	size_t pos = 0;
	cr_assert(http_header_next(req.fields.ptr, req.fields.len, &pos, &h));
	cr_assert(http_header_next(req.fields.ptr, req.fields.len, &pos, &h));
	cr_assert_eq(h.name.ptr, in + 28);
	cr_assert_eq(h.name.len, 3);
	cr_assert_eq(h.value.ptr, in + 34);
	cr_assert_eq(h.value.len, 1);
	cr_assert_not(
	    http_header_next(req.fields.ptr, req.fields.len, &pos, &h));
}

Test(parser, well_known_headers_and_lookup)
{
	const char *in = "GET / HTTP/1.1\r\n"
			 "host: h\r\n"
			 "CONTENT-TYPE: text/html\r\n"
			 "If-None-Match: \"e1\"\r\n"
			 "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
			 "Range: bytes=0-1\r\n"
			 "If-Range: \"e1\"\r\n"
			 "User-Agent: ua\r\n"
			 "Referer: http://r/\r\n"
			 "Range: bytes=5-6\r\n"
			 "X-Dup: one\r\n"
			 "x-dup: two\r\n"
			 "\r\n";
	struct slice v;
	int status;

	cr_assert_eq(http_parse_head(in, strlen(in), LIMIT, &req, &status),
		     (int)strlen(in));
	slice_is(req.host, "h", "host", 0);
	slice_is(req.content_type, "text/html", "content_type", 0);
	slice_is(req.if_none_match, "\"e1\"", "if_none_match", 0);
	slice_is(req.if_modified_since, "Sun, 06 Nov 1994 08:49:37 GMT",
		 "if_modified_since", 0);
	slice_is(req.range, NULL, "range (twice: ignored, RFC 9110 §5.3)", 0);
	slice_is(req.if_range, "\"e1\"", "if_range", 0);
	slice_is(req.user_agent, "ua", "user_agent", 0);
	slice_is(req.referer, "http://r/", "referer", 0);

	slice_is(http_header_get(&req, "x-dup"), "one", "X-Dup", 0);
	slice_is(http_header_get(&req, "X-DUP"), "one", "X-DUP", 0);
	slice_is(http_header_get(&req, "content-type"), "text/html", "ct", 0);
	v = http_header_get(&req, "x-du");
	cr_assert(v.ptr == NULL && v.len == 0);
	v = http_header_get(&req, "x-dupe");
	cr_assert(v.ptr == NULL && v.len == 0);
}

/* A second parse into the same struct keeps nothing of the first. */
Test(parser, reparse_clears_previous_request)
{
	const char *a = "POST /a?x HTTP/1.1\r\nHost: h\r\nRange: r\r\n"
			"Content-Length: 5\r\nExpect: 100-continue\r\n\r\n";
	const char *b = "GET /b HTTP/1.0\r\n\r\n";
	int status;

	cr_assert_gt(http_parse_head(a, strlen(a), LIMIT, &req, &status), 0);
	cr_assert_gt(http_parse_head(b, strlen(b), LIMIT, &req, &status), 0);
	cr_assert_eq(req.method, HTTP_GET);
	cr_assert_not(req.has_query);
	cr_assert_eq(req.query.len, 0);
	cr_assert_eq(req.host.len, 0);
	cr_assert_eq(req.range.len, 0);
	cr_assert_not(req.has_length);
	cr_assert_not(req.expect_continue);
	cr_assert_eq(req.header_count, 0);
}

/* ---- keep-alive ---------------------------------------------------------- */

Test(parser, keep_alive_matrix)
{
	static const struct {
		const char *fields; /* Connection lines, or "" */
		bool ka10, ka11;    /* expected for HTTP/1.0, HTTP/1.1 */
	} cases[] = {
	    {"", false, true},
	    {"Connection: close\r\n", false, false},
	    {"Connection: CLOSE\r\n", false, false},
	    {"Connection: keep-alive\r\n", true, true},
	    {"Connection: Keep-Alive\r\n", true, true},
	    {"Connection: keep-alive, close\r\n", false, false},
	    {"Connection: close, keep-alive\r\n", false, false},
	    {"Connection: TE, close\r\n", false, false},
	    {"Connection: upgrade\r\n", false, true},
	    {"Connection: closed\r\n", false, true},
	    {"Connection: keep-alives\r\n", false, true},
	    {"Connection: ,, keep-alive ,\r\n", true, true},
	    {"Connection: \r\n", false, true},
	    {"Connection: keep-alive\r\nConnection: close\r\n", false, false},
	    {"Connection: foo\r\nConnection: Keep-Alive\r\n", true, true},
	    {"Proxy-Connection: keep-alive\r\n", false, true},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int minor = 0; minor <= 1; minor++) {
			char in[256];
			int status;
			int n = snprintf(in, sizeof(in),
					 "GET / HTTP/1.%d\r\nHost: a\r\n%s\r\n",
					 minor, cases[i].fields);

			cr_assert(n > 0 && (size_t)n < sizeof(in));
			cr_assert_eq(parse_once(in, (size_t)n, LIMIT, &status),
				     n, "case %zu/1.%d", i, minor);
			cr_assert_eq(req.keep_alive,
				     minor ? cases[i].ka11 : cases[i].ka10,
				     "case %zu, HTTP/1.%d", i, minor);
		}
	}
}

/* ---- octet classes ------------------------------------------------------ */

static bool want_tchar(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Build head with one octet c at offset k of a run of 'a's, parse it. */
static int parse_with_octet(const char *pre, const char *post, size_t k, int c,
			    int *status)
{
	char in[256];
	size_t len = strlen(pre);

	memcpy(in, pre, len);
	memset(in + len, 'a', k);
	len += k;
	in[len++] = (char)c;
	memset(in + len, 'a', 20);
	len += 20;
	memcpy(in + len, post, strlen(post));
	len += strlen(post);
	return parse_once(in, len, LIMIT, status);
}

/* Every octet at every word offset, against the RFC's own definitions
 * (this checks the class table and the word-at-a-time scans). */
Test(parser, octet_classes)
{
	for (int c = 0; c < 256; c++) {
		for (size_t k = 0; k < 17; k++) {
			int st, rc;
			bool ok;

			/* field-value: HTAB, SP, VCHAR, obs-text */
			ok = c == '\t' || (c >= 0x20 && c != 0x7f);
			rc = parse_with_octet(
			    "GET / HTTP/1.1\r\nHost: a\r\nX: ", "\r\n\r\n", k,
			    c, &st);
			cr_assert(ok ? rc > 0 : rc == HTTP_ERROR && st == 400,
				  "value octet %#x at %zu: rc %d", c, k, rc);

			/* request-target: VCHAR but '#' */
			ok = c > 0x20 && c < 0x7f && c != '#';
			rc = parse_with_octet(
			    "GET /", " HTTP/1.1\r\nHost: a\r\n\r\n", k, c, &st);
			cr_assert(ok ? rc > 0 : rc == HTTP_ERROR && st == 400,
				  "target octet %#x at %zu: rc %d", c, k, rc);

			/* field-name: tchar (':' ends the name early) */
			ok = want_tchar(c) || c == ':';
			rc = parse_with_octet("GET / HTTP/1.1\r\nHost: a\r\nX",
					      "b: v\r\n\r\n", k, c, &st);
			cr_assert(ok ? rc > 0 : rc == HTTP_ERROR && st == 400,
				  "name octet %#x at %zu: rc %d", c, k, rc);

			/* Host: unreserved, sub-delims, '%' (here "%aa");
			 * leading OWS is not part of the value */
			ok = (want_tchar(c) && !strchr("#^`|", c)) ||
			     strchr("(),;=", c) != NULL;
			ok = (ok && c != 0) ||
			     (k == 0 && (c == ' ' || c == '\t'));
			rc = parse_with_octet(
			    "GET / HTTP/1.1\r\nHost: ", "\r\n\r\n", k, c, &st);
			cr_assert(ok ? rc > 0 : rc == HTTP_ERROR && st == 400,
				  "host octet %#x at %zu: rc %d", c, k, rc);
		}
	}
}

/* No count limit (DESIGN: 431 only past header_buffer): 1000 tiny
 * fields in 8 KiB are fine, and the iterator sees each of them. */
Test(parser, a_thousand_headers_within_the_limit)
{
	static char in[8192];
	struct http_header h;
	size_t len, pos = 0, seen = 0;
	int status;

	len = (size_t)snprintf(in, sizeof(in), "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 1; i < 1000; i++)
		len +=
		    (size_t)snprintf(in + len, sizeof(in) - len, "%x:\r\n", i);
	cr_assert_lt(len + 2, sizeof(in));
	memcpy(in + len, "\r\n", 2);
	cr_assert_eq(http_parse_head(in, len + 2, sizeof(in), &req, &status),
		     (int)len + 2);
	cr_assert_eq(req.header_count, 1000);
	while (http_header_next(req.fields.ptr, req.fields.len, &pos, &h)) {
		char name[8];
		if (seen == 0)
			slice_is(h.name, "Host", "first", 0);
		else if (snprintf(name, sizeof(name), "%zx", seen) > 0)
			slice_is(h.name, name, "name", seen);
		cr_assert_eq(h.value.len, seen ? 0 : 1, "%zu", seen);
		seen++;
	}
	cr_assert_eq(seen, 1000);
	slice_is(http_header_get(&req, "3e7"), "", "#999", 0);
	cr_assert_not_null(http_header_get(&req, "3e7").ptr);
	/* header_buffer still bounds it: 431 one byte short */
	cr_assert_eq(parse_once(in, len + 2, len + 1, &status), HTTP_ERROR);
	cr_assert_eq(status, 431);
}

/* The iterator over a parsed block, and its safety on anything. */
Test(parser, header_iterator)
{
#define S(lit)                                                                 \
	{                                                                      \
		lit, sizeof(lit) - 1                                           \
	}
	static const struct {
		struct slice in;
		const char *names[4];
		const char *values[4];
	} cases[] = {
	    {S(""), {NULL}, {NULL}},
	    {S("A: 1\r\n"), {"A"}, {"1"}},
	    {S("A:1\r\nBb: \t x y \t\r\nC:\r\n"),
	     {"A", "Bb", "C"},
	     {"1", "x y", ""}},
	    /* not from the parser, still no overrun */
	    {S("A: 1"), {"A"}, {"1"}},
	    {S("novalue\r\n:x\n\n"), {"novalue", "", ""}, {"", "x", ""}},
	};
#undef S

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* exact-size copy: ASan catches a read past the end */
		size_t len = cases[i].in.len, pos = 0, k = 0;
		char *copy = malloc(len ? len : 1);
		struct http_header h;

		cr_assert_not_null(copy);
		memcpy(copy, cases[i].in.ptr, len);
		while (http_header_next(copy, len, &pos, &h)) {
			cr_assert_lt(k, 4, "case %zu", i);
			cr_assert_not_null(cases[i].names[k], "case %zu", i);
			slice_is(h.name, cases[i].names[k], "name", i);
			slice_is(h.value, cases[i].values[k], "value", i);
			k++;
		}
		cr_expect(k == 4 || cases[i].names[k] == NULL,
			  "case %zu: %zu fields", i, k);
		cr_expect_eq(pos, len, "case %zu", i);
		free(copy);
	}
}

/* RFC 9110 §13.1.1, §13.1.4: the preconditions of writes. */
Test(parser, if_match_and_if_unmodified_since)
{
	const char *in =
	    "PUT /f HTTP/1.1\r\n"
	    "Host: h\r\n"
	    "if-match: \"e1\", \"e2\"\r\n"
	    "If-Match: \"e3\"\r\n"
	    "IF-UNMODIFIED-SINCE: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	    "Content-Length: 0\r\n"
	    "\r\n";
	int status;

	cr_assert_eq(http_parse_head(in, strlen(in), LIMIT, &req, &status),
		     (int)strlen(in));
	slice_is(req.if_match, "\"e1\", \"e2\"", "if_match", 0);
	slice_is(req.if_unmodified_since, "Sun, 06 Nov 1994 08:49:37 GMT",
		 "if_unmodified_since", 0);
	slice_is(req.if_none_match, NULL, "if_none_match", 0);
}
