/*
 * Integration tests of `headers` (DESIGN.md §11): configured fields on
 * every response of their scope (200, 404, 304, 400 before routing,
 * redirects), the nearest level winning per name.  The real binary on
 * 127.0.0.1, a free port, a temp dir.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness_extra.h"

#define HDR_CFG                                                                \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"off\";\n"                                     \
	"  headers = { X-Level = \"http\"; X-Http-Only = \"yes\"; }; };\n"     \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"                   \
	"  root = \"@DIR@/www\";\n"                                            \
	"  headers = { X-Level = \"server\";\n"                                \
	"    Strict-Transport-Security = \"max-age=63072000\"; };\n"           \
	"  locations = ( { path = \"/\"; },\n"                                 \
	"    { path = \"/deep/\"; headers = { x-level = \"location\";\n"       \
	"        Cache-Control = \"no-store\"; }; },\n"                        \
	"    { path = \"/go\"; redirect = { code = 301; to = \"/\"; }; } );\n" \
	"} );\n"

static int make_files(const char *dir)
{
	if (hx_mkdir(dir, "www/deep"))
		return -1;
	return write_file(dir, "www/index.html", "hello\n", -1) |
	       write_file(dir, "www/deep/a.txt", "a\n", -1);
}

static void expect_field(const struct http_resp *r, const char *name,
			 const char *want)
{
	char v[256];
	const char *got = resp_header(r, name, v, sizeof(v));

	if (want == NULL) {
		cr_expect_null(got, "%s should be absent:\n%s", name, r->head);
		return;
	}
	cr_assert_not_null(got, "no %s in:\n%s", name, r->head);
	cr_expect_str_eq(got, want, "%s in:\n%s", name, r->head);
}

/* How many lines of the head carry name (case-insensitive). */
static int count_field(const struct http_resp *r, const char *name)
{
	int n = 0;
	size_t len = strlen(name);

	for (const char *p = strstr(r->head, "\r\n"); p != NULL;
	     p = strstr(p + 2, "\r\n"))
		if (strncasecmp(p + 2, name, len) == 0 && p[2 + len] == ':')
			n++;
	return n;
}

Test(headers, on_every_response_nearest_level_wins, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char etag[128];

	cr_assert_eq(hx_start(&s, HDR_CFG, make_files), 0, "no start");

	cr_assert_eq(http_get(s.port, "/index.html", &r), 0);
	cr_assert_eq(r.status, 200);
	expect_field(&r, "X-Level", "server");
	expect_field(&r, "X-Http-Only", "yes");
	expect_field(&r, "Strict-Transport-Security", "max-age=63072000");
	expect_field(&r, "Cache-Control", NULL);
	cr_expect_eq(count_field(&r, "X-Level"), 1, "%s", r.head);
	cr_assert_not_null(resp_header(&r, "ETag", etag, sizeof(etag)));
	http_resp_free(&r);

	/* 304: the fields too */
	char raw[512];
	snprintf(raw, sizeof(raw),
		 "GET /index.html HTTP/1.1\r\nHost: localhost\r\n"
		 "If-None-Match: %s\r\nConnection: close\r\n\r\n",
		 etag);
	cr_assert_eq(http_do(s.port, raw, &r), 0);
	cr_assert_eq(r.status, 304);
	expect_field(&r, "X-Level", "server");
	expect_field(&r, "Strict-Transport-Security", "max-age=63072000");
	http_resp_free(&r);

	/* the location's own value replaces the server's, once */
	cr_assert_eq(http_get(s.port, "/deep/a.txt", &r), 0);
	cr_assert_eq(r.status, 200);
	expect_field(&r, "X-Level", "location");
	expect_field(&r, "Cache-Control", "no-store");
	expect_field(&r, "Strict-Transport-Security", "max-age=63072000");
	cr_expect_eq(count_field(&r, "X-Level"), 1, "%s", r.head);
	http_resp_free(&r);

	/* error responses */
	cr_assert_eq(http_get(s.port, "/deep/missing", &r), 0);
	cr_assert_eq(r.status, 404);
	expect_field(&r, "Cache-Control", "no-store");
	http_resp_free(&r);

	cr_assert_eq(http_get(s.port, "/go", &r), 0);
	cr_assert_eq(r.status, 301);
	expect_field(&r, "X-Level", "server");
	http_resp_free(&r);

	/* refused before any location is chosen: the default server's */
	cr_assert_eq(http_do(s.port, "GET / HTTP/1.1\r\n\r\n", &r), 0);
	cr_assert_eq(r.status, 400);
	expect_field(&r, "X-Level", "server");
	expect_field(&r, "X-Http-Only", "yes");
	http_resp_free(&r);

	cr_assert_eq(srv_stop(&s), 0);
}

Test(headers, owned_field_is_a_t_error, .fini = hx_fini)
{
	struct srv s;
	char out[4096], want[400];

	cr_assert_eq(
	    srv_prepare(&s, "servers = ( { listen = [ \"127.0.0.1:@PORT@\" "
			    "];\n"
			    "  root = \"@DIR@\";\n"
			    "  headers = { Content-Length = \"1\"; }; } "
			    ");\n"),
	    0);
	hx_track(&s);
	const char *args[] = {"-t", "-f", s.cfg, NULL};
	cr_assert_neq(run_webserv(args, out, sizeof(out)), 0, "%s", out);
	snprintf(want, sizeof(want), "%s:3: header 'Content-Length'", s.cfg);
	cr_expect_not_null(strstr(out, want), "want %s in:\n%s", want, out);
}
