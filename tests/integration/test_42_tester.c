/*
 * Integration tests of etc/examples/42-tester.cfg, the configuration for
 * the 42 school's webserv tester, with tests/integration/cgi_tester.sh
 * standing in for its cgi_tester (which refuses to work without a
 * PATH_INFO: the config's cgi_params gives it one).  The example is
 * checked with -t as shipped (in a copy of its layout), then served on a
 * free port: GET of the YoupiBanane tree, the .bla script, 100 MB posted
 * chunked through it, PUT /put_test, /post_body's 100-byte limit.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgi_helpers.h"

static struct srv server;

static char *source_file(const char *rel)
{
	const char *src = getenv("WEBSERV_SRC");
	char path[1024];

	cr_assert_not_null(src, "WEBSERV_SRC not set");
	snprintf(path, sizeof(path), "%s/%s", src, rel);
	char *text = read_file(path, NULL);
	cr_assert_not_null(text, "cannot read %s", path);
	return text;
}

/* The example with its port replaced by @PORT@ (malloc'd). */
static char *example_template(const char *text)
{
	const char *port = strstr(text, "127.0.0.1:8080");
	size_t len = strlen(text) + 16;
	char *out = malloc(len);

	cr_assert_not_null(port, "the example listens on 127.0.0.1:8080");
	cr_assert_not_null(out);
	snprintf(out, len, "%.*s127.0.0.1:@PORT@%s", (int)(port - text), text,
		 port + strlen("127.0.0.1:8080"));
	return out;
}

/* The example's layout in s->dir, with the stand-in cgi_tester. */
static void make_layout(const struct srv *s)
{
	char *tester = source_file("tests/integration/cgi_tester.sh");
	char path[600];

	cr_assert_eq(write_file(s->dir, "42-tester/cgi_tester", tester, -1), 0);
	free(tester);
	cr_assert_eq(
	    chmod(cgx_path(s, "42-tester/cgi_tester", path, sizeof(path)),
		  0755),
	    0);
	cr_assert_eq(
	    write_file(s->dir, "42-tester/www/index.html", "home\n", -1), 0);
	cr_assert_eq(write_file(s->dir,
				"42-tester/YoupiBanane/youpi.bad_extension",
				"youpi\n", -1),
		     0);
	cr_assert_eq(write_file(s->dir, "42-tester/YoupiBanane/youpi.bla",
				"blabla\n", -1),
		     0);
	cr_assert_eq(write_file(s->dir, "42-tester/YoupiBanane/nop/other.pouic",
				"p\n", -1),
		     0);
	cr_assert_eq(
	    mkdir(cgx_path(s, "42-tester/put_test", path, sizeof(path)), 0755),
	    0);
	cr_assert_eq(
	    mkdir(cgx_path(s, "42-tester/post_body", path, sizeof(path)), 0755),
	    0);
}

struct upper_count {
	bool lower_seen;
};

static void count_upper(struct cgx_resp *r, const char *p, size_t n)
{
	struct upper_count *u = r->arg;

	for (size_t i = 0; i < n && !u->lower_seen; i++)
		u->lower_seen = p[i] >= 'a' && p[i] <= 'z';
}

Test(tester42, example_config_serves_the_tester_layout, .timeout = 180,
     .fini = cgx_fini)
{
	struct srv *s = &server;
	char *example = source_file("etc/examples/42-tester.cfg");
	char *tmpl = example_template(example);
	char out[8192], shipped[600];
	struct cgx_resp r;

	cr_assert_eq(cgx_prepare(s, tmpl), 0);
	free(tmpl);
	make_layout(s);
	/* the file as shipped, next to its layout: -t passes */
	cr_assert_eq(write_file(s->dir, "42-tester.cfg", example, -1), 0);
	free(example);
	cgx_path(s, "42-tester.cfg", shipped, sizeof(shipped));
	cr_expect_eq(run_webserv((const char *[]){"-t", "-f", shipped, NULL},
				 out, sizeof(out)),
		     0, "%s", out);
	cr_expect_not_null(strstr(out, "configuration ok"), "%s", out);
	cr_assert_eq(srv_start(s, NULL), 0, "webserv did not become ready");

	/* /directory/ is YoupiBanane, its index youpi.bad_extension */
	cr_expect_eq(cgx_request(s->port,
				 "GET /directory/ HTTP/1.1\r\nHost: a\r\n"
				 "Connection: close\r\n\r\n",
				 &r),
		     200);
	cr_expect_str_eq(r.keep, "youpi\n");
	cgx_resp_free(&r);
	cr_expect_eq(cgx_request(s->port,
				 "GET /directory/nop/other.pouic HTTP/1.1\r\n"
				 "Host: a\r\nConnection: close\r\n\r\n",
				 &r),
		     200);
	cgx_resp_free(&r);
	/* *.bla runs cgi_tester, which has its PATH_INFO */
	cr_expect_eq(cgx_request(s->port,
				 "GET /directory/youpi.bla HTTP/1.1\r\n"
				 "Host: a\r\nConnection: close\r\n\r\n",
				 &r),
		     200, "%s%s", r.head, r.keep);
	cgx_resp_free(&r);
	cr_expect_eq(cgx_request(s->port,
				 "POST /directory/youpi.bla HTTP/1.1\r\n"
				 "Host: a\r\nContent-Length: 11\r\n"
				 "Connection: close\r\n\r\nhello world",
				 &r),
		     200, "%s%s", r.head, r.keep);
	cr_expect_str_eq(r.keep, "HELLO WORLD");
	cgx_resp_free(&r);
	/* PUT /put_test, and /post_body's 100 bytes */
	cr_expect_eq(cgx_request(s->port,
				 "PUT /put_test/file_should_exist HTTP/1.1\r\n"
				 "Host: a\r\nContent-Length: 4\r\n"
				 "Connection: close\r\n\r\ndata",
				 &r),
		     201);
	cgx_resp_free(&r);
	char body[256];
	snprintf(body, sizeof(body),
		 "POST /post_body HTTP/1.1\r\nHost: a\r\nContent-Length: 101"
		 "\r\nConnection: close\r\n\r\n%0101d",
		 0);
	cr_expect_eq(cgx_request(s->port, body, &r), 413);
	cgx_resp_free(&r);
	snprintf(body, sizeof(body),
		 "POST /post_body HTTP/1.1\r\nHost: a\r\nContent-Length: 100"
		 "\r\nConnection: close\r\n\r\n%0100d",
		 0);
	cr_expect_eq(cgx_request(s->port, body, &r), 201);
	cgx_resp_free(&r);

	/* 100 MB chunked through cgi_tester */
	const uint64_t total = 100ull * 1000 * 1000;
	struct cgx_src *src = malloc(sizeof(*src));
	struct upper_count u = {false};

	cr_assert_not_null(src);
	cgx_src_init(src,
		     "POST /directory/youpi.bla HTTP/1.1\r\nHost: a\r\n"
		     "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
		     NULL, total, 65000, 42, true);
	cgx_resp_init(&r, 0);
	r.on_body = count_upper;
	r.arg = &u;
	cr_expect_eq(cgx_exchange(s->port, src, &r, 150000), 0,
		     "incomplete: status %d, %llu bytes back", r.status,
		     (unsigned long long)r.body_len);
	cr_expect_eq(r.status, 200, "%s", r.head);
	cr_expect_eq(r.body_len, total, "%llu bytes back",
		     (unsigned long long)r.body_len);
	cr_expect_not(u.lower_seen, "a lower-case letter came back");
	cgx_resp_free(&r);
	free(src);
	srv_stop(s);
}

/* Without cgi_params the stand-in refuses, as the real cgi_tester does:
 * the test above passes because of cgi_params. */
Test(tester42, cgi_tester_refuses_without_path_info, .fini = cgx_fini)
{
	struct srv *s = &server;
	char *tester = source_file("tests/integration/cgi_tester.sh");
	struct cgx_resp r;

	cr_assert_eq(cgx_prepare(s, CGX_CFG("1")), 0);
	cr_assert_eq(cgx_script(s, "t.sh", tester), 0);
	free(tester);
	cr_assert_eq(srv_start(s, NULL), 0, "webserv did not become ready");
	cr_expect_eq(cgx_request(s->port,
				 "POST /cgi-bin/t.sh HTTP/1.1\r\nHost: a\r\n"
				 "Content-Length: 2\r\nConnection: close\r\n"
				 "\r\nab",
				 &r),
		     500);
	cr_expect_str_eq(r.keep, "PATH_INFO not found");
	cgx_resp_free(&r);
	cr_expect_eq(cgx_request(s->port,
				 "POST /cgi-bin/t.sh/x HTTP/1.1\r\nHost: a\r\n"
				 "Content-Length: 2\r\nConnection: close\r\n"
				 "\r\nab",
				 &r),
		     200);
	cr_expect_str_eq(r.keep, "AB");
	cgx_resp_free(&r);
	srv_stop(s);
}
