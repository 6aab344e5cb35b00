/*
 * Integration tests of the request id (DESIGN.md §11): a valid incoming
 * X-Request-Id is kept, else one is made (32 hex digits, a new one per
 * request); it is in the response (errors included), REQUEST_ID for CGI
 * and the error-log lines about the request.  The real binary on
 * 127.0.0.1, a free port, a temp dir.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cgi_helpers.h"

static struct srv server;

/* stderr first, then the id as the body */
static const char id_sh[] = "echo \"script-says-hi\" >&2\n"
			    "printf 'Content-Type: text/plain\\n\\n'\n"
			    "printf '%s' \"$REQUEST_ID\"\n";

static void start(struct srv *s)
{
	cr_assert_eq(cgx_prepare(s, CGX_CFG("2")), 0);
	cr_assert_eq(cgx_script(s, "id.sh", id_sh), 0);
	cr_assert_eq(srv_start(s, NULL), 0, "webserv did not become ready");
}

static bool is_made_id(const char *v)
{
	if (strlen(v) != 32)
		return false;
	for (const char *p = v; *p; p++)
		if (!strchr("0123456789abcdef", *p))
			return false;
	return true;
}

/* GET path with extra header lines; the X-Request-Id answered into id. */
static int get_id(int port, const char *path, const char *extra, char *id,
		  size_t cap, struct http_resp *r)
{
	char raw[1024];

	snprintf(raw, sizeof(raw),
		 "GET %s HTTP/1.1\r\nHost: localhost\r\n%s"
		 "Connection: close\r\n\r\n",
		 path, extra);
	if (http_do(port, raw, r) != 0)
		return -1;
	if (resp_header(r, "X-Request-Id", id, cap) == NULL)
		id[0] = '\0';
	return r->status;
}

Test(request_id, made_kept_or_replaced, .fini = cgx_fini)
{
	struct srv *s = &server;
	struct http_resp r;
	char a[256], b[256];

	start(s);
	cr_assert_eq(get_id(s->port, "/index.html", "", a, sizeof(a), &r), 200);
	http_resp_free(&r);
	cr_expect(is_made_id(a), "made id: '%s'", a);
	cr_assert_eq(get_id(s->port, "/index.html", "", b, sizeof(b), &r), 200);
	http_resp_free(&r);
	cr_expect(is_made_id(b), "made id: '%s'", b);
	cr_expect_str_neq(a, b, "two requests, one id");

	/* kept: printable, up to 128 bytes */
	cr_assert_eq(get_id(s->port, "/index.html",
			    "X-Request-Id: lb-7f3a/2026:req=1\r\n", a,
			    sizeof(a), &r),
		     200);
	http_resp_free(&r);
	cr_expect_str_eq(a, "lb-7f3a/2026:req=1");
	char hdr[256], want[130];
	memset(want, 'k', 128);
	want[128] = '\0';
	snprintf(hdr, sizeof(hdr), "X-Request-Id: %s\r\n", want);
	cr_assert_eq(get_id(s->port, "/index.html", hdr, a, sizeof(a), &r),
		     200);
	http_resp_free(&r);
	cr_expect_str_eq(a, want);

	/* replaced: too long, a space, a quote, an obs-text byte */
	static const char *const bad[] = {
	    "X-Request-Id: "
	    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
	    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
	    "k\r\n",
	    "X-Request-Id: two words\r\n",
	    "X-Request-Id: a\"b\r\n",
	    "X-Request-Id: caf\xc3\xa9\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(
		    get_id(s->port, "/index.html", bad[i], a, sizeof(a), &r),
		    200);
		http_resp_free(&r);
		cr_expect(is_made_id(a), "case %zu: '%s'", i, a);
	}

	/* error responses carry one too */
	cr_assert_eq(get_id(s->port, "/missing", "", a, sizeof(a), &r), 404);
	http_resp_free(&r);
	cr_expect(is_made_id(a), "404: '%s'", a);
	cr_assert_eq(http_do(s->port, "GET / HTTP/1.1\r\n\r\n", &r), 0);
	cr_expect_eq(r.status, 400);
	cr_expect_not_null(resp_header(&r, "X-Request-Id", a, sizeof(a)),
			   "400 without an id:\n%s", r.head);
	http_resp_free(&r);
	cr_assert_eq(srv_stop(s), 0);
}

/* The error log holds a line with both needles within 10 s. */
static bool log_has(const struct srv *s, const char *n1, const char *n2)
{
	for (int i = 0; i < 200; i++) {
		size_t len;
		char *text = read_file(s->err_log, &len);
		bool hit = false;
		for (char *line = text; line && *line && !hit;) {
			char *end = strchr(line, '\n');
			if (end)
				*end = '\0';
			hit = strstr(line, n1) && strstr(line, n2);
			line = end ? end + 1 : NULL;
		}
		free(text);
		if (hit)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

Test(request_id, cgi_env, .fini = cgx_fini)
{
	struct srv *s = &server;
	struct http_resp r;
	char id[256];

	start(s);
	cr_assert_eq(get_id(s->port, "/cgi-bin/id.sh",
			    "X-Request-Id: trace-42\r\n", id, sizeof(id), &r),
		     200);
	cr_expect_str_eq(id, "trace-42");
	cr_expect_str_eq(r.body, "trace-42", "REQUEST_ID");
	http_resp_free(&r);

	cr_assert_eq(get_id(s->port, "/cgi-bin/id.sh", "", id, sizeof(id), &r),
		     200);
	cr_expect(is_made_id(id), "'%s'", id);
	cr_expect_str_eq(r.body, id, "REQUEST_ID");
	http_resp_free(&r);
	cr_assert_eq(srv_stop(s), 0);
}

/* A client that asks for 64 MiB and leaves without reading: the info
 * line "ended early" is about that request and names its id. */
Test(request_id, in_error_log_lines, .fini = cgx_fini)
{
	struct srv *s = &server;
	char path[512];

	cr_assert_eq(cgx_prepare(s, CGX_CFG("1")), 0);
	FILE *f = fopen(cgx_path(s, "www/big.bin", path, sizeof(path)), "w");
	cr_assert_not_null(f);
	cr_assert_eq(ftruncate(fileno(f), 64 << 20), 0);
	fclose(f);
	cr_assert_eq(srv_start(s, NULL), 0, "webserv did not become ready");

	int fd = http_connect(s->port);
	cr_assert_geq(fd, 0);
	const char *req = "GET /big.bin HTTP/1.1\r\nHost: localhost\r\n"
			  "X-Request-Id: cut-1\r\n\r\n";
	cr_assert_eq(send_all(fd, req, strlen(req)), 0);
	char buf[4096];
	cr_assert_gt(recv(fd, buf, sizeof(buf), 0), 0); /* it started */
	close(fd); /* unread data: a reset */

	size_t len;
	char *text = NULL;
	if (!log_has(s, "ended early", ", request_id: cut-1"))
		text = read_file(s->err_log, &len);
	cr_expect_null(text, "no line with the id in the error log:\n%s", text);
	free(text);
	cr_assert_eq(srv_stop(s), 0);
}
