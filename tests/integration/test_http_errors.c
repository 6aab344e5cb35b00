/*
 * Integration tests of HTTP framing over real sockets (DESIGN.md §7,
 * issue 3 "Request parsing and framing"): every refused request gets its
 * precise status, readable before the server closes; bounded chunk
 * extensions and trailers; Expect: 100-continue.  Keep-alive and
 * pipelining: test_http_conn.c.  The real binary on 127.0.0.1, a free
 * port, a temp dir; the expected statuses come from the RFCs and the
 * contract, never from the server's output.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness_extra.h"

#define ERR_CFG                                                                \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"off\"; client_max_body_size = \"64k\";\n"     \
	"  header_buffer = \"8k\"; };\n"                                       \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"                   \
	"  root = \"@DIR@/www\";\n"                                            \
	"  locations = ( { path = \"/\"; },\n"                                 \
	"    { path = \"/up/\"; alias = \"@DIR@/up\";\n"                       \
	"      upload_dir = \"@DIR@/up\"; },\n"                                \
	"    { path = \"/small/\"; alias = \"@DIR@/small\";\n"                 \
	"      upload_dir = \"@DIR@/small\";\n"                                \
	"      client_max_body_size = \"1k\"; } );\n"                          \
	"} );\n"

static int make_dirs(const char *dir)
{
	return hx_mkdir(dir, "up") | hx_mkdir(dir, "small");
}

static void start(struct srv *s)
{
	cr_assert_eq(hx_start(s, ERR_CFG, make_dirs), 0,
		     "webserv did not start");
}

static void expect_empty_dir(const struct srv *s, const char *sub)
{
	char path[512], names[1024];
	int n = hx_list_dir(hx_path(path, sizeof(path), s->dir, sub), names,
			    sizeof(names));

	cr_expect_eq(n, 0, "%s should be empty, holds: %s", sub, names);
}

/*
 * Send raw, read one response; *closed: the server closed the connection
 * (clean EOF or reset) within 3 s of the response.  0 / -1.
 */
static int exchange(int port, const char *raw, size_t len, struct http_resp *r,
		    bool *closed)
{
	int fd = http_connect(port);
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (fd == -1)
		return -1;
	if (send_all(fd, raw, len) == 0 && http_read(fd, r, false) == 0) {
		rc = 0;
		*closed = hx_wait_end(fd, 3000) != 0;
	}
	close(fd);
	return rc;
}

/* --- refused requests ------------------------------------------------- */

#define H "Host: a\r\n"

static const struct bad_case {
	const char *name;
	const char *raw;
	int status;
} bad_cases[] = {
    {"typo in version", "GET / HTPT/1.1\r\n" H "\r\n", 400},
    {"lowercase version", "GET / http/1.1\r\n" H "\r\n", 400},
    {"two spaces", "GET  / HTTP/1.1\r\n" H "\r\n", 400},
    {"trailing space", "GET / HTTP/1.1 \r\n" H "\r\n", 400},
    {"no version", "GET /\r\n" H "\r\n", 400},
    {"bare LF ends request line", "GET / HTTP/1.1\n" H "\r\n", 400},
    {"bare LF in headers", "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", 400},
    {"bare CR in headers", "GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", 400},
    {"obs-fold", "GET / HTTP/1.1\r\n" H "X-A: b\r\n c\r\n\r\n", 400},
    {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
    {"space in name", "GET / HTTP/1.1\r\n" H "X Y: z\r\n\r\n", 400},
    {"control in value", "GET / HTTP/1.1\r\n" H "X: a\x01z\r\n\r\n", 400},
    {"no Host in 1.1", "GET / HTTP/1.1\r\nX: y\r\n\r\n", 400},
    {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
    {"duplicate CL",
     "PUT /up/x HTTP/1.1\r\n" H "Content-Length: 3\r\n"
     "Content-Length: 3\r\n\r\nabc",
     400},
    {"CL list",
     "PUT /up/x HTTP/1.1\r\n" H "Content-Length: 3, 3\r\n"
     "\r\nabc",
     400},
    {"CL +3", "PUT /up/x HTTP/1.1\r\n" H "Content-Length: +3\r\n\r\nabc", 400},
    {"CL -1", "PUT /up/x HTTP/1.1\r\n" H "Content-Length: -1\r\n\r\n", 400},
    {"CL overflow",
     "PUT /up/x HTTP/1.1\r\n" H
     "Content-Length: 99999999999999999999999\r\n\r\n",
     400},
    {"CL then TE",
     "PUT /up/x HTTP/1.1\r\n" H "Content-Length: 5\r\n"
     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     400},
    {"TE then CL",
     "PUT /up/x HTTP/1.1\r\n" H
     "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
     400},
    {"TE in 1.0",
     "PUT /up/x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n"
     "\r\n0\r\n\r\n",
     400},
    {"chunked not last",
     "PUT /up/x HTTP/1.1\r\n" H
     "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
     400},
    {"chunked twice",
     "PUT /up/x HTTP/1.1\r\n" H
     "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
     400},
    {"bad chunk size",
     "PUT /up/x HTTP/1.1\r\n" H
     "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
     400},
    {"chunk size overflow",
     "PUT /up/x HTTP/1.1\r\n" H
     "Transfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\nabc\r\n"
     "0\r\n\r\n",
     400},
    {"chunk without CRLF",
     "PUT /up/x HTTP/1.1\r\n" H
     "Transfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
     400},
    {"unknown coding",
     "PUT /up/x HTTP/1.1\r\n" H
     "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
     501},
    {"unknown method", "BREW / HTTP/1.1\r\n" H "\r\n", 501},
    {"lowercase method", "get / HTTP/1.1\r\n" H "\r\n", 501},
    {"HTTP/2.0", "GET / HTTP/2.0\r\n" H "\r\n", 505},
    {"HTTP/3.0", "GET / HTTP/3.0\r\n" H "\r\n", 505},
};

Test(http, malformed_requests_get_their_status_and_a_close, .fini = hx_fini)
{
	struct srv s;

	start(&s);
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct http_resp r;
		bool closed = false;

		cr_expect_eq(
		    exchange(s.port, c->raw, strlen(c->raw), &r, &closed), 0,
		    "%s: no response", c->name);
		cr_expect_eq(r.status, c->status, "%s: got %d, want %d",
			     c->name, r.status, c->status);
		cr_expect(closed, "%s: connection left open", c->name);
		http_resp_free(&r);
	}
	/* still serving, and no refused write left anything behind */
	cr_expect_eq(hx_status(s.port, "GET / HTTP/1.1\r\nHost: a\r\n"
				       "Connection: close\r\n\r\n"),
		     200);
	expect_empty_dir(&s, "up");
	srv_stop(&s);
}

Test(http, unknown_headers_are_ignored, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;

	start(&s);
	cr_assert_eq(http_do(s.port,
			     "GET /index.html HTTP/1.1\r\nHost: a\r\n"
			     "X-Unknown-Thing: whatever\r\nFoo: bar, baz\r\n"
			     "Accept-Ninja: yes\r\nConnection: close\r\n\r\n",
			     &r),
		     0);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "hello\n");
	http_resp_free(&r);
	srv_stop(&s);
}

/* error_pages on the server, for requests refused before routing */
#define PAGES_CFG                                                              \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"off\"; header_buffer = \"1k\"; };\n"          \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"                   \
	"  root = \"@DIR@/www\";\n"                                            \
	"  error_pages = ( { codes = [ 400, 414 ]; uri = \"/e/bad.html\"; } "  \
	");\n"                                                                 \
	"} );\n"

#define BAD_PAGE "<p>custom: refused</p>\n"

static int error_page_dir(const char *dir)
{
	char path[512];

	if (hx_mkdir(dir, "www/e") != 0)
		return -1;
	return write_file(hx_path(path, sizeof(path), dir, "www/e"), "bad.html",
			  BAD_PAGE, -1);
}

/* nginx: the address's default server's error_page covers 400 and 414
 * too, though no location was chosen */
Test(http, error_pages_cover_requests_refused_before_routing, .fini = hx_fini)
{
	struct srv s;
	char raw[2048];
	struct http_resp r;
	bool closed = false;
	size_t n;

	cr_assert_eq(hx_start(&s, PAGES_CFG, error_page_dir), 0,
		     "webserv did not start");
	n = (size_t)snprintf(raw, sizeof(raw), "GET /");
	memset(raw + n, 'a', 1500);
	n += 1500;
	n += (size_t)snprintf(raw + n, sizeof(raw) - n,
			      " HTTP/1.1\r\nHost: a\r\n\r\n");
	cr_expect_eq(exchange(s.port, raw, n, &r, &closed), 0);
	cr_expect_eq(r.status, 414);
	cr_expect(r.body != NULL && strstr(r.body, "custom: refused"),
		  "414 without the custom page");
	http_resp_free(&r);
	n = (size_t)snprintf(raw, sizeof(raw), "GET / HTTP/1.1\r\n\r\n");
	cr_expect_eq(exchange(s.port, raw, n, &r, &closed), 0);
	cr_expect_eq(r.status, 400);
	cr_expect(r.body != NULL && strstr(r.body, "custom: refused"),
		  "400 without the custom page");
	http_resp_free(&r);
	srv_stop(&s);
}

Test(http, long_uri_is_414_big_head_is_431, .fini = hx_fini)
{
	struct srv s;
	size_t cap = 32768;
	char *raw = malloc(cap);
	struct http_resp r;
	bool closed = false;
	size_t n;

	start(&s);
	/* a request line over header_buffer (8k) */
	n = (size_t)snprintf(raw, cap, "GET /");
	memset(raw + n, 'a', 9000);
	n += 9000;
	n += (size_t)snprintf(raw + n, cap - n, " HTTP/1.1\r\nHost: a\r\n\r\n");
	cr_expect_eq(exchange(s.port, raw, n, &r, &closed), 0);
	cr_expect_eq(r.status, 414);
	cr_expect(closed);
	http_resp_free(&r);

	/* a short request line, then 100 fields of ~110 bytes */
	n = (size_t)snprintf(raw, cap, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 0; i < 100; i++) {
		n += (size_t)snprintf(raw + n, cap - n, "X-Field-%03d: ", i);
		memset(raw + n, 'v', 96);
		n += 96;
		n += (size_t)snprintf(raw + n, cap - n, "\r\n");
	}
	n += (size_t)snprintf(raw + n, cap - n, "\r\n");
	cr_expect_eq(exchange(s.port, raw, n, &r, &closed), 0);
	cr_expect_eq(r.status, 431);
	cr_expect(closed);
	http_resp_free(&r);

	/* one field larger than the whole buffer */
	n = (size_t)snprintf(raw, cap, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ");
	memset(raw + n, 'b', 9000);
	n += 9000;
	n += (size_t)snprintf(raw + n, cap - n, "\r\n\r\n");
	cr_expect_eq(exchange(s.port, raw, n, &r, &closed), 0);
	cr_expect_eq(r.status, 431);
	cr_expect(closed);
	http_resp_free(&r);
	free(raw);
	srv_stop(&s);
}

Test(http, method_not_allowed_lists_allow, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char allow[256];

	start(&s);
	cr_assert_eq(http_do(s.port,
			     "DELETE /index.html HTTP/1.1\r\nHost: a\r\n"
			     "Connection: close\r\n\r\n",
			     &r),
		     0);
	cr_expect_eq(r.status, 405);
	cr_assert(resp_header(&r, "Allow", allow, sizeof(allow)), "no Allow");
	cr_expect(strstr(allow, "GET") && strstr(allow, "HEAD"), "%s", allow);
	cr_expect(strstr(allow, "DELETE") == NULL, "%s", allow);
	cr_expect(strstr(allow, "PUT") == NULL, "%s", allow);
	http_resp_free(&r);
	cr_expect_eq(hx_status(s.port, "PUT /x HTTP/1.1\r\nHost: a\r\n"
				       "Content-Length: 0\r\n\r\n"),
		     405);
	/* the upload location allows writes */
	cr_assert_eq(http_do(s.port,
			     "PATCH /up/x HTTP/1.1\r\nHost: a\r\n"
			     "Connection: close\r\n\r\n",
			     &r),
		     0);
	cr_expect(r.status == 405 || r.status == 501, "PATCH: %d", r.status);
	if (r.status == 405) {
		cr_assert(resp_header(&r, "Allow", allow, sizeof(allow)));
		cr_expect(strstr(allow, "PUT") && strstr(allow, "DELETE"), "%s",
			  allow);
	}
	http_resp_free(&r);
	srv_stop(&s);
}

Test(http, body_without_length_is_411, .fini = hx_fini)
{
	struct srv s;

	start(&s);
	cr_expect_eq(hx_status(s.port, "POST /up/ HTTP/1.1\r\nHost: a\r\n"
				       "Connection: close\r\n\r\n"),
		     411);
	cr_expect_eq(hx_status(s.port, "PUT /up/new.txt HTTP/1.1\r\nHost: a\r\n"
				       "Connection: close\r\n\r\n"),
		     411);
	expect_empty_dir(&s, "up");
	srv_stop(&s);
}

/*
 * A request refused while its body is pending: the whole response is
 * readable (no reset), then the server closes.  body: bytes sent after
 * the head (chunk > 0: chunked); the sending stops early when the server
 * answers first.
 */
static void refused_with_body(int port, const char *head, uint64_t body,
			      size_t chunk, int status, long max_ms)
{
	struct http_resp r;
	long t0 = hx_now_ms();
	int fd = http_connect(port);

	cr_assert(fd >= 0);
	cr_assert_eq(send_all(fd, head, strlen(head)), 0);
	cr_assert_neq(hx_send_body(fd, body, 7, chunk, 0, NULL), -1,
		      "%s: send failed without an answer", head);
	cr_assert_eq(http_read(fd, &r, false), 0, "%s: no response (reset?)",
		     head);
	cr_expect_eq(r.status, status, "%s: got %d", head, r.status);
	cr_expect(r.closed, "%s: no Connection: close", head);
	cr_expect_neq(hx_wait_end(fd, 5000), 0, "%s: not closed", head);
	cr_expect_leq(hx_now_ms() - t0, max_ms, "%s: took too long", head);
	http_resp_free(&r);
	close(fd);
}

Test(http, over_the_limit_is_413_at_once_and_nothing_is_stored, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	int fd;
	long t0;

	start(&s);
	/* declared too large: answered before any body byte is sent */
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	const char head[] = "PUT /small/big.txt HTTP/1.1\r\nHost: a\r\n"
			    "Content-Length: 5000\r\n\r\n";
	t0 = hx_now_ms();
	cr_assert_eq(send_all(fd, head, sizeof(head) - 1), 0);
	cr_assert(hx_readable(fd, 3000), "no answer without the body");
	cr_assert_eq(http_read(fd, &r, false), 0);
	cr_expect_eq(r.status, 413);
	cr_expect_lt(hx_now_ms() - t0, 3000);
	cr_expect_neq(hx_wait_end(fd, 5000), 0, "not closed after 413");
	http_resp_free(&r);
	close(fd);

	/* the same with the body on its way */
	refused_with_body(s.port,
			  "PUT /small/b2.txt HTTP/1.1\r\nHost: a\r\n"
			  "Content-Length: 300000\r\n\r\n",
			  300000, 0, 413, 8000);
	/* the http-level limit (64k) on the upload location */
	refused_with_body(s.port,
			  "POST /up/ HTTP/1.1\r\nHost: a\r\n"
			  "Content-Length: 70000\r\n\r\n",
			  70000, 0, 413, 8000);
	/* chunked: only known while decoding */
	refused_with_body(s.port,
			  "PUT /small/c.txt HTTP/1.1\r\nHost: a\r\n"
			  "Transfer-Encoding: chunked\r\n\r\n",
			  4096, 512, 413, 8000);
	refused_with_body(s.port,
			  "POST /small/ HTTP/1.1\r\nHost: a\r\n"
			  "Transfer-Encoding: chunked\r\n\r\n",
			  300000, 1000, 413, 8000);
	expect_empty_dir(&s, "small");
	expect_empty_dir(&s, "up");
	srv_stop(&s);
}

/*
 * A client that sends its whole body before reading (as most do): the
 * server refused the request at its head, but lingers reading what
 * follows, so the body's bytes never turn its close into a reset that
 * would destroy the response.
 */
static void refused_after_blast(int port, const char *head, uint64_t body,
				int status)
{
	struct http_resp r;
	int fd = http_connect(port);

	cr_assert(fd >= 0);
	cr_assert_eq(send_all(fd, head, strlen(head)), 0);
	int sent = hx_blast(fd, body);
	cr_assert_eq(http_read(fd, &r, false), 0, "%s: response lost (send %s)",
		     head, sent == 0 ? "ok" : "failed: reset");
	cr_expect_eq(sent, 0, "%s: reset while the body was sent", head);
	cr_expect_eq(r.status, status, "%s: got %d", head, r.status);
	cr_expect(r.closed, "%s: no Connection: close", head);
	cr_expect_neq(hx_wait_end(fd, 5000), 0, "%s: not closed", head);
	http_resp_free(&r);
	close(fd);
}

Test(http, refused_requests_with_a_body_are_answered_then_closed,
     .fini = hx_fini)
{
	struct srv s;

	start(&s);
	/* a body for a location that takes none: 405, not a reset */
	refused_with_body(s.port,
			  "POST /index.html HTTP/1.1\r\nHost: a\r\n"
			  "Content-Length: 400000\r\n\r\n",
			  400000, 0, 405, 8000);
	refused_with_body(s.port,
			  "PUT /index.html HTTP/1.1\r\nHost: a\r\n"
			  "Transfer-Encoding: chunked\r\n\r\n",
			  200000, 4000, 405, 8000);
	/* framing errors with bytes following */
	refused_with_body(s.port,
			  "PUT /up/x HTTP/1.1\r\nHost: a\r\n"
			  "Content-Length: 1\r\nContent-Length: 1\r\n\r\n",
			  100000, 0, 400, 8000);
	/* the whole body sent before reading */
	refused_after_blast(s.port,
			    "POST /index.html HTTP/1.1\r\nHost: a\r\n"
			    "Content-Length: 600000\r\n\r\n",
			    600000, 405);
	refused_after_blast(s.port,
			    "PUT /small/x HTTP/1.1\r\nHost: a\r\n"
			    "Content-Length: 600000\r\n\r\n",
			    600000, 413);
	refused_after_blast(s.port,
			    "PUT /index.html HTTP/1.1\r\nHost: a\r\n"
			    "Transfer-Encoding: chunked\r\n\r\n",
			    600000, 405);
	expect_empty_dir(&s, "up");
	expect_empty_dir(&s, "small");
	srv_stop(&s);
}

/* Chunk extensions and trailers are read but bounded (never a buffer
 * that grows with what the client sends). */
Test(http, chunk_extensions_and_trailers_are_bounded, .fini = hx_fini)
{
	static char body[100000];
	struct srv s;

	start(&s);
	for (int trailer = 0; trailer < 2; trailer++) {
		size_t n = 0;
		if (trailer) {
			n += (size_t)snprintf(body, sizeof(body),
					      "5\r\nhello\r\n0\r\n");
			for (int i = 0; i < 700; i++) {
				n += (size_t)snprintf(
				    body + n, sizeof(body) - n, "X-T%03d: ", i);
				memset(body + n, 'v', 100);
				n += 100;
				n += (size_t)snprintf(body + n,
						      sizeof(body) - n, "\r\n");
			}
		} else {
			n += (size_t)snprintf(body, sizeof(body), "5;");
			memset(body + n, 'e', 70000);
			n += 70000;
			n += (size_t)snprintf(body + n, sizeof(body) - n,
					      "\r\nhello\r\n0\r\n");
		}
		n += (size_t)snprintf(body + n, sizeof(body) - n, "\r\n");
		const char head[] = "PUT /up/t.txt HTTP/1.1\r\nHost: a\r\n"
				    "Transfer-Encoding: chunked\r\n\r\n";
		struct http_resp r;
		int fd = http_connect(s.port);
		cr_assert(fd >= 0);
		cr_assert_eq(send_all(fd, head, sizeof(head) - 1), 0);
		send_all(fd, body, n); /* may be cut short by the answer */
		cr_assert_eq(http_read(fd, &r, false), 0, "%s: no answer",
			     trailer ? "trailer" : "extension");
		cr_expect(r.status >= 400 && r.status < 500, "70 kB of %s: %d",
			  trailer ? "trailer" : "extension", r.status);
		cr_expect_neq(hx_wait_end(fd, 3000), 0, "not closed");
		http_resp_free(&r);
		close(fd);
	}
	expect_empty_dir(&s, "up");
	srv_stop(&s);
}

/* --- Expect: 100-continue ---------------------------------------------- */

Test(http, expect_continue_then_body, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char raw[1024], path[512];
	int fd;

	start(&s);
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	const char head[] = "PUT /up/e.txt HTTP/1.1\r\nHost: a\r\n"
			    "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n";
	cr_assert_eq(send_all(fd, head, sizeof(head) - 1), 0);
	/* the client waits for the interim answer before sending */
	cr_assert_gt(hx_read_head_raw(fd, raw, sizeof(raw), 3000), 0,
		     "no 100 Continue");
	cr_expect_str_eq(raw, "HTTP/1.1 100 Continue\r\n\r\n");
	cr_assert_eq(send_all(fd, "hello", 5), 0);
	cr_assert_eq(http_read(fd, &r, false), 0);
	cr_expect_eq(r.status, 201);
	http_resp_free(&r);
	close(fd);
	char *got =
	    read_file(hx_path(path, sizeof(path), s.dir, "up/e.txt"), NULL);
	cr_expect(got && strcmp(got, "hello") == 0, "stored: %s",
		  got ? got : "(nothing)");
	free(got);
	srv_stop(&s);
}

Test(http, expect_continue_gets_the_final_error_at_once, .fini = hx_fini)
{
	static const struct {
		const char *head;
		int status;
	} cases[] = {
	    {"PUT /small/e.txt HTTP/1.1\r\nHost: a\r\nContent-Length: "
	     "100000\r\nExpect: 100-continue\r\n\r\n",
	     413},
	    {"POST /index.html HTTP/1.1\r\nHost: a\r\nContent-Length: "
	     "10\r\nExpect: 100-continue\r\n\r\n",
	     405},
	};
	struct srv s;
	char raw[4096];

	start(&s);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd = http_connect(s.port);
		int status = 0;

		cr_assert(fd >= 0);
		cr_assert_eq(send_all(fd, cases[i].head, strlen(cases[i].head)),
			     0);
		cr_assert_gt(hx_read_head_raw(fd, raw, sizeof(raw), 3000), 0,
			     "case %zu: no answer without the body", i);
		sscanf(raw, "HTTP/1.1 %d", &status);
		cr_expect_eq(status, cases[i].status, "case %zu: %.40s", i,
			     raw);
		cr_expect(strstr(raw, " 100 ") == NULL, "case %zu: 100 sent",
			  i);
		close(fd);
	}
	expect_empty_dir(&s, "small");
	srv_stop(&s);
}

Test(http, expect_continue_is_ignored_in_http10, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	int fd;

	start(&s);
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	const char head[] = "PUT /up/e10.txt HTTP/1.0\r\nHost: a\r\n"
			    "Content-Length: 5\r\n"
			    "Expect: 100-continue\r\n\r\n";
	cr_assert_eq(send_all(fd, head, sizeof(head) - 1), 0);
	/* RFC 9110 §10.1.1: no 100 to an HTTP/1.0 client */
	cr_expect_not(hx_readable(fd, 500), "answered before the body");
	cr_assert_eq(send_all(fd, "hello", 5), 0);
	cr_assert_eq(http_read(fd, &r, false), 0);
	cr_expect_eq(r.status, 201, "got %d", r.status);
	cr_expect(strstr(r.head, " 100 ") == NULL);
	http_resp_free(&r);
	close(fd);
	srv_stop(&s);
}
