/*
 * Integration tests of routing and static files over real sockets
 * (DESIGN.md §4 semantics, §7 static files; issue 3 "Routing" and
 * "Static files"): virtual hosts, locations, root vs alias, redirects,
 * allow lists, byte-exact files, index, autoindex, MIME types,
 * conditional requests, ranges, HEAD, symlinks and traversal.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "harness_extra.h"

#define CANARY "CANARY-7f3a-outside-the-root\n"

/* --- routing ----------------------------------------------------------- */

#define ROUTE_CFG                                                              \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"off\"; };\n"                                  \
	"servers = (\n"                                                        \
	" { listen = [ \"127.0.0.1:@PORT@\" ];\n"                              \
	"   server_names = [ \"first.test\" ];\n"                              \
	"   root = \"@DIR@/first\"; },\n"                                      \
	" { listen = [ \"127.0.0.1:@PORT@\" ];\n"                              \
	"   server_names = [ \"dflt.test\" ];\n"                               \
	"   default_server = true; root = \"@DIR@/dflt\"; },\n"                \
	" { listen = [ \"127.0.0.1:@PORT@\", \"127.0.0.1:@PORT2@\" ];\n"       \
	"   server_names = [ \"Example.TEST\", \"www.example.test\" ];\n"      \
	"   root = \"@DIR@/ex\";\n"                                            \
	"   locations = ( { path = \"/\"; },\n"                                \
	"     { path = \"/docs/\"; root = \"@DIR@/r2\"; },\n"                  \
	"     { path = \"/docs/api/\"; alias = \"@DIR@/api\"; },\n"            \
	"     { path = \"/seg\"; root = \"@DIR@/seg\"; },\n"                   \
	"     { path = \"/r301/\";\n"                                          \
	"       redirect = { code = 301; to = \"/to301\"; }; },\n"             \
	"     { path = \"/r302/\";\n"                                          \
	"       redirect = { code = 302; to = \"/to302\"; }; },\n"             \
	"     { path = \"/r303/\";\n"                                          \
	"       redirect = { code = 303; to = \"/to303\"; }; },\n"             \
	"     { path = \"/r307/\";\n"                                          \
	"       redirect = { code = 307; to = \"/to307\"; }; },\n"             \
	"     { path = \"/r308/\";\n"                                          \
	"       redirect = { code = 308; to = \"/to308\"; }; },\n"             \
	"     { path = \"/private/\"; allow = [ \"10.0.0.0/8\" ]; },\n"        \
	"     { path = \"/local/\";\n"                                         \
	"       allow = [ \"10.0.0.0/8\", \"127.0.0.0/8\" ]; }\n"              \
	"   ); },\n"                                                           \
	" { listen = [ \"127.0.0.1:@PORT2@\" ];\n"                             \
	"   server_names = [ \"p2b.test\" ];\n"                                \
	"   root = \"@DIR@/p2b\"; }\n"                                         \
	");\n"

static int route_files(const char *dir)
{
	static const char *const files[][2] = {
	    {"first/index.html", "first\n"},
	    {"dflt/index.html", "dflt\n"},
	    {"ex/index.html", "ex\n"},
	    {"p2b/index.html", "p2b\n"},
	    {"r2/docs/a.txt", "r2-docs-a\n"},
	    {"api/b.txt", "api-b\n"},
	    {"seg/seg/x.txt", "seg-x\n"},
	    {"ex/segment/x.txt", "ex-segment-x\n"},
	    {"ex/docs/a.txt", "ex-docs-a\n"},
	    {"ex/private/p.txt", "private\n"},
	    {"ex/local/l.txt", "local\n"},
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (write_file(dir, files[i][0], files[i][1], -1) == -1)
			return -1;
	return 0;
}

/* GET path with the given Host on port; the response in r. */
static void get_host(int port, const char *host, const char *path,
		     struct http_resp *r)
{
	char raw[1024];

	snprintf(raw, sizeof(raw),
		 "GET %s HTTP/1.1\r\nHost: %s\r\n"
		 "Connection: close\r\n\r\n",
		 path, host);
	cr_assert_eq(http_do(port, raw, r), 0, "GET %s (Host %s): no answer",
		     path, host);
}

Test(http, vhost_by_host_default_and_first, .fini = hx_fini)
{
	struct srv s;
	struct {
		int port2;
		const char *host;
		const char *body;
	} cases[] = {
	    {0, "first.test", "first\n"},
	    {0, "FIRST.Test", "first\n"},
	    {0, "dflt.test", "dflt\n"},
	    {0, "unknown.test", "dflt\n"}, /* default_server */
	    {0, "127.0.0.1", "dflt\n"},
	    {0, "example.test", "ex\n"},      /* written Example.TEST */
	    {0, "EXAMPLE.test:8080", "ex\n"}, /* port ignored */
	    {0, "www.example.test", "ex\n"},
	    {1, "unknown.test", "ex\n"}, /* first on PORT2 */
	    {1, "dflt.test", "ex\n"},	 /* not on PORT2 */
	    {1, "first.test:1", "ex\n"},
	    {1, "p2b.test", "p2b\n"},
	    {1, "P2B.TEST:99", "p2b\n"},
	};

	cr_assert_eq(hx_start(&s, ROUTE_CFG, route_files), 0);
	/* absolute-form: the target's authority is the host
	 * (RFC 9112 §3.2.2) */
	struct http_resp abs;
	cr_assert_eq(http_do(s.port,
			     "GET http://first.test/ HTTP/1.1\r\n"
			     "Host: example.test\r\nConnection: close\r\n\r\n",
			     &abs),
		     0);
	cr_expect_str_eq(abs.body, "first\n", "absolute-form target");
	http_resp_free(&abs);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_resp r;

		get_host(cases[i].port2 ? s.port2 : s.port, cases[i].host, "/",
			 &r);
		cr_expect_eq(r.status, 200, "Host %s", cases[i].host);
		cr_expect_str_eq(r.body, cases[i].body, "Host %s on port%s",
				 cases[i].host, cases[i].port2 ? "2" : "");
		http_resp_free(&r);
	}
	srv_stop(&s);
}

Test(http, location_longest_prefix_root_and_alias, .fini = hx_fini)
{
	struct srv s;
	static const char *const cases[][2] = {
	    {"/docs/a.txt", "r2-docs-a\n"}, /* root + whole URI */
	    {"/docs/api/b.txt", "api-b\n"}, /* alias, longest */
	    {"/seg/x.txt", "seg-x\n"},
	    {"/segment/x.txt", "ex-segment-x\n"}, /* not "/seg" */
	};

	cr_assert_eq(hx_start(&s, ROUTE_CFG, route_files), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_resp r;

		get_host(s.port, "example.test", cases[i][0], &r);
		cr_expect_eq(r.status, 200, "%s: %d", cases[i][0], r.status);
		cr_expect_str_eq(r.body, cases[i][1], "%s", cases[i][0]);
		http_resp_free(&r);
	}
	srv_stop(&s);
}

Test(http, redirects_and_allow_lists, .fini = hx_fini)
{
	struct srv s;
	static const int codes[] = {301, 302, 303, 307, 308};
	struct http_resp r;
	char path[64], want[64], loc[512];

	cr_assert_eq(hx_start(&s, ROUTE_CFG, route_files), 0);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		snprintf(path, sizeof(path), "/r%d/some/thing", codes[i]);
		snprintf(want, sizeof(want), "/to%d", codes[i]);
		get_host(s.port, "example.test", path, &r);
		cr_expect_eq(r.status, codes[i], "%s: %d", path, r.status);
		cr_expect(resp_header(&r, "Location", loc, sizeof(loc)) &&
			      strcmp(hx_location_path(loc), want) == 0,
			  "%s: Location %s, want %s", path, loc, want);
		http_resp_free(&r);
	}
	/* allow = [ "10.0.0.0/8" ] refuses 127.0.0.1 */
	get_host(s.port, "example.test", "/private/p.txt", &r);
	cr_expect_eq(r.status, 403);
	cr_expect(strstr(r.body, "private") == NULL, "private content served");
	http_resp_free(&r);
	get_host(s.port, "example.test", "/local/l.txt", &r);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "local\n");
	http_resp_free(&r);
	srv_stop(&s);
}

/* --- static files ------------------------------------------------------ */

#define STATIC_CFG                                                             \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"off\"; };\n"                                  \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"                   \
	"  root = \"@DIR@/www\"; index = [ \"index.html\" ];\n"                \
	"  locations = ( { path = \"/\"; },\n"                                 \
	"    { path = \"/list/\"; autoindex = true; },\n"                      \
	"    { path = \"/al/\"; alias = \"@DIR@/www/sub\"; } );\n"             \
	"} );\n"

#define BLOB_SIZE 200003
#define BLOB_SEED 11

static int static_files(const char *dir)
{
	static char blob[BLOB_SIZE];
	char path[512], target[512];
	int rc = 0;

	hx_fill(blob, sizeof(blob), BLOB_SEED, 0);
	rc |= write_file(dir, "www/blob.bin", blob, sizeof(blob));
	rc |= write_file(dir, "www/empty.txt", "", 0);
	rc |= write_file(dir, "www/sub/index.html", "sub index\n", -1);
	rc |= write_file(dir, "www/t.html", "<p>x</p>\n", -1);
	rc |= write_file(dir, "www/t.css", "p{}\n", -1);
	rc |= write_file(dir, "www/t.png", "\x89PNG\r\n\x1a\n", 8);
	rc |= write_file(dir, "www/t.json", "{}\n", -1);
	rc |= write_file(dir, "www/list/<b>.txt", "b\n", -1);
	rc |= write_file(dir, "www/list/a&b.txt", "ab\n", -1);
	rc |= write_file(dir, "www/list/q\"uote.txt", "q\n", -1);
	rc |= write_file(dir, "www/list/sp ace.txt", "sp\n", -1);
	rc |= hx_mkdir(dir, "www/list/dir1");
	rc |= hx_mkdir(dir, "www/noindex");
	rc |= write_file(dir, "secret.txt", CANARY, -1);
	rc |= write_file(dir, "outside/secret.txt", CANARY, -1);
	/* symlinks: out of the root (relative and absolute), and inside */
	rc |= symlink("../secret.txt",
		      hx_path(path, sizeof(path), dir, "www/link-out.txt"));
	rc |= symlink(hx_path(target, sizeof(target), dir, "secret.txt"),
		      hx_path(path, sizeof(path), dir, "www/link-abs.txt"));
	rc |= symlink("../outside",
		      hx_path(path, sizeof(path), dir, "www/outdir"));
	rc |= symlink("t.css",
		      hx_path(path, sizeof(path), dir, "www/link-in.css"));
	return rc ? -1 : 0;
}

static void start_static(struct srv *s)
{
	cr_assert_eq(hx_start(s, STATIC_CFG, static_files), 0,
		     "webserv did not start");
}

/* One request on an open keep-alive connection. */
static void ka_request(int fd, const char *raw, struct http_resp *r)
{
	cr_assert_eq(send_all(fd, raw, strlen(raw)), 0);
	cr_assert_eq(http_read(fd, r, strncmp(raw, "HEAD ", 5) == 0), 0,
		     "no response to %.60s", raw);
}

Test(http, files_are_byte_exact, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	static char blob[BLOB_SIZE];
	char len[32];

	start_static(&s);
	hx_fill(blob, sizeof(blob), BLOB_SEED, 0);
	cr_assert_eq(http_get(s.port, "/blob.bin", &r), 0);
	cr_expect_eq(r.status, 200);
	cr_assert_eq(r.body_len, (size_t)BLOB_SIZE);
	cr_expect_eq(memcmp(r.body, blob, BLOB_SIZE), 0, "body differs");
	cr_expect(resp_header(&r, "Date", len, sizeof(len)), "no Date");
	cr_expect(resp_header(&r, "Server", len, sizeof(len)), "no Server");
	http_resp_free(&r);
	cr_assert_eq(http_get(s.port, "/empty.txt", &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect(resp_header(&r, "Content-Length", len, sizeof(len)) &&
		      strcmp(len, "0") == 0,
		  "empty file: Content-Length %s", len);
	cr_expect_eq(r.body_len, 0);
	http_resp_free(&r);
	srv_stop(&s);
}

Test(http, index_and_directory_redirect, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char loc[512];

	start_static(&s);
	cr_assert_eq(http_get(s.port, "/", &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "hello\n");
	http_resp_free(&r);
	cr_assert_eq(http_get(s.port, "/sub/", &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "sub index\n");
	http_resp_free(&r);
	cr_assert_eq(http_get(s.port, "/sub", &r), 0);
	cr_expect_eq(r.status, 301);
	cr_expect(resp_header(&r, "Location", loc, sizeof(loc)) &&
		      strcmp(hx_location_path(loc), "/sub/") == 0,
		  "Location: %s", loc);
	http_resp_free(&r);
	/* alias: the location's own directory gets its index too */
	cr_assert_eq(http_get(s.port, "/al/", &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "sub index\n");
	http_resp_free(&r);
	/* no index, no autoindex: never a listing */
	cr_assert_eq(http_get(s.port, "/noindex/", &r), 0);
	cr_expect(r.status == 403 || r.status == 404, "noindex: %d", r.status);
	http_resp_free(&r);
	srv_stop(&s);
}

Test(http, autoindex_lists_escaped_sorted_names, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char type[128];

	start_static(&s);
	cr_assert_eq(http_get(s.port, "/list/", &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect(resp_header(&r, "Content-Type", type, sizeof(type)) &&
		      strncasecmp(type, "text/html", 9) == 0,
		  "type %s", type);
	const char *b = r.body;
	cr_expect(strstr(b, "<b>.txt") == NULL, "raw <b> in the listing");
	cr_expect(strstr(b, "q\"uote") == NULL, "raw quote in the listing");
	const char *lt = strstr(b, "&lt;b&gt;.txt");
	const char *amp = strstr(b, "a&amp;b.txt");
	const char *sp = strstr(b, "sp ace.txt");
	cr_expect(lt && amp && sp, "escaped names missing: %s", b);
	cr_expect(strcasestr(b, "%3Cb%3E.txt") != NULL, "href of <b>.txt");
	cr_expect(strcasestr(b, "sp%20ace.txt") != NULL, "href of sp ace");
	cr_expect(strcasestr(b, "a%26b.txt") || strstr(b, "a&amp;b.txt\""),
		  "href of a&b.txt");
	cr_expect(strstr(b, "dir1/") != NULL, "subdirectory");
	if (lt && amp && sp)
		cr_expect(lt < amp && amp < sp, "not sorted");
	http_resp_free(&r);
	srv_stop(&s);
}

Test(http, mime_types, .fini = hx_fini)
{
	static const char *const cases[][2] = {
	    {"/t.html", "text/html"},
	    {"/t.css", "text/css"},
	    {"/t.png", "image/png"},
	    {"/t.json", "application/json"},
	};
	struct srv s;
	char type[128];

	start_static(&s);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_resp r;
		size_t n = strlen(cases[i][1]);

		cr_assert_eq(http_get(s.port, cases[i][0], &r), 0);
		cr_expect_eq(r.status, 200);
		cr_expect(resp_header(&r, "Content-Type", type, sizeof(type)) &&
			      strncasecmp(type, cases[i][1], n) == 0 &&
			      (type[n] == '\0' || type[n] == ';'),
			  "%s: Content-Type %s", cases[i][0], type);
		http_resp_free(&r);
	}
	srv_stop(&s);
}

Test(http, etag_last_modified_and_304, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char etag[128], lm[128], raw[1024];
	int fd;

	start_static(&s);
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	ka_request(fd, "GET /t.css HTTP/1.1\r\nHost: a\r\n\r\n", &r);
	cr_assert_eq(r.status, 200);
	cr_assert(resp_header(&r, "ETag", etag, sizeof(etag)), "no ETag");
	cr_assert(resp_header(&r, "Last-Modified", lm, sizeof(lm)),
		  "no Last-Modified");
	cr_expect(strlen(lm) == 29 && strstr(lm, " GMT"), "date: %s", lm);
	http_resp_free(&r);

	struct {
		const char *fmt;
		const char *arg;
		int status;
	} cases[] = {
	    {"If-None-Match: %s", etag, 304},
	    {"If-None-Match: \"nope\", %s", etag, 304},
	    {"If-None-Match: *%s", "", 304},
	    {"If-None-Match: \"nope\"%s", "", 200},
	    {"If-Modified-Since: %s", lm, 304},
	    {"If-Modified-Since: %s", "Mon, 01 Jan 2001 00:00:00 GMT", 200},
	    {"If-Modified-Since: %s", "not a date", 200},
	    /* If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2) */
	    {"If-Modified-Since: %s\r\nIf-None-Match: \"nope\"", lm, 200},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char field[512];
		snprintf(field, sizeof(field), cases[i].fmt, cases[i].arg);
		snprintf(raw, sizeof(raw),
			 "GET /t.css HTTP/1.1\r\nHost: a\r\n"
			 "%s\r\n\r\n",
			 field);
		ka_request(fd, raw, &r);
		cr_expect_eq(r.status, cases[i].status, "%s: %d", field,
			     r.status);
		if (r.status == 304) {
			char e2[128];
			cr_expect(resp_header(&r, "ETag", e2, sizeof(e2)) &&
				      strcmp(e2, etag) == 0,
				  "304 without ETag");
		} else {
			cr_expect_str_eq(r.body, "p{}\n");
		}
		http_resp_free(&r);
	}
	/* a 304 carried no body: the connection is still in step */
	ka_request(fd, "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n", &r);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "hello\n");
	http_resp_free(&r);
	close(fd);
	srv_stop(&s);
}

Test(http, ranges, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	static char blob[BLOB_SIZE];
	char raw[1024], cr[128], etag[128];
	int fd;
	struct {
		const char *range;
		int status;
		long first, last; /* the bytes of a 206 */
	} cases[] = {
	    {"bytes=10-19", 206, 10, 19},
	    {"bytes=0-0", 206, 0, 0},
	    {"bytes=-5", 206, BLOB_SIZE - 5, BLOB_SIZE - 1},
	    {"bytes=200000-", 206, 200000, BLOB_SIZE - 1},
	    {"bytes=100-99999999", 206, 100, BLOB_SIZE - 1},
	    {"bytes=200003-", 416, 0, 0},
	    {"bytes=999999-1000000", 416, 0, 0},
	    {"bytes=0-1,5-6", 200, 0, 0}, /* multiple: full */
	    {"items=0-5", 200, 0, 0},	  /* unknown unit */
	};

	start_static(&s);
	hx_fill(blob, sizeof(blob), BLOB_SEED, 0);
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *rg = cases[i].range;
		snprintf(raw, sizeof(raw),
			 "GET /blob.bin HTTP/1.1\r\nHost: a\r\n"
			 "Range: %s\r\n\r\n",
			 rg);
		ka_request(fd, raw, &r);
		cr_expect_eq(r.status, cases[i].status, "%s: %d", rg, r.status);
		if (r.status == 206 && cases[i].status == 206) {
			long n = cases[i].last - cases[i].first + 1;
			char want[128];
			snprintf(want, sizeof(want), "bytes %ld-%ld/%d",
				 cases[i].first, cases[i].last, BLOB_SIZE);
			cr_expect(
			    resp_header(&r, "Content-Range", cr, sizeof(cr)) &&
				strcmp(cr, want) == 0,
			    "%s: Content-Range %s", rg, cr);
			cr_expect(r.body_len == (size_t)n &&
				      memcmp(r.body, blob + cases[i].first,
					     (size_t)n) == 0,
				  "%s: wrong bytes", rg);
		} else if (r.status == 416) {
			cr_expect(
			    resp_header(&r, "Content-Range", cr, sizeof(cr)) &&
				strcmp(cr, "bytes */200003") == 0,
			    "%s: Content-Range %s", rg, cr);
			/* the error page of any 4xx */
			cr_expect(
			    resp_header(&r, "Content-Type", cr, sizeof(cr)) &&
				strstr(r.body, "416"),
			    "%s: 416 without a page", rg);
		} else if (r.status == 200) {
			cr_expect(r.body_len == BLOB_SIZE &&
				      memcmp(r.body, blob, BLOB_SIZE) == 0,
				  "%s: full body differs", rg);
		}
		http_resp_free(&r);
	}
	/* Range is a singleton (RFC 9110 §5.3): twice, it is ignored */
	ka_request(fd,
		   "GET /blob.bin HTTP/1.1\r\nHost: a\r\nRange: bytes=1-2\r\n"
		   "Range: bytes=3-4\r\n\r\n",
		   &r);
	cr_expect(r.status == 200 && r.body_len == BLOB_SIZE, "two Ranges: %d",
		  r.status);
	http_resp_free(&r);
	/* If-Range: the current validator gets the range, another the file */
	ka_request(fd, "HEAD /blob.bin HTTP/1.1\r\nHost: a\r\n\r\n", &r);
	cr_assert(resp_header(&r, "ETag", etag, sizeof(etag)));
	http_resp_free(&r);
	snprintf(raw, sizeof(raw),
		 "GET /blob.bin HTTP/1.1\r\nHost: a\r\n"
		 "Range: bytes=1-2\r\nIf-Range: %s\r\n\r\n",
		 etag);
	ka_request(fd, raw, &r);
	cr_expect_eq(r.status, 206, "If-Range current");
	http_resp_free(&r);
	ka_request(fd,
		   "GET /blob.bin HTTP/1.1\r\nHost: a\r\nRange: bytes=1-2\r\n"
		   "If-Range: \"stale\"\r\n\r\n",
		   &r);
	cr_expect_eq(r.status, 200, "If-Range stale");
	cr_expect_eq(r.body_len, BLOB_SIZE);
	http_resp_free(&r);
	close(fd);
	srv_stop(&s);
}

Test(http, head_has_headers_and_no_body, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char len[32], type[64];
	int fd;

	start_static(&s);
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	ka_request(fd, "HEAD /blob.bin HTTP/1.1\r\nHost: a\r\n\r\n", &r);
	cr_expect_eq(r.status, 200);
	cr_expect(resp_header(&r, "Content-Length", len, sizeof(len)) &&
		      strcmp(len, "200003") == 0,
		  "HEAD Content-Length %s", len);
	cr_expect(resp_header(&r, "ETag", type, sizeof(type)), "no ETag");
	http_resp_free(&r);
	ka_request(fd, "HEAD /t.html HTTP/1.1\r\nHost: a\r\n\r\n", &r);
	cr_expect(resp_header(&r, "Content-Type", type, sizeof(type)) &&
		  strncmp(type, "text/html", 9) == 0);
	http_resp_free(&r);
	ka_request(fd, "HEAD /missing HTTP/1.1\r\nHost: a\r\n\r\n", &r);
	cr_expect_eq(r.status, 404);
	http_resp_free(&r);
	ka_request(fd, "HEAD /list/ HTTP/1.1\r\nHost: a\r\n\r\n", &r);
	cr_expect_eq(r.status, 200);
	http_resp_free(&r);
	/* had any HEAD sent body bytes, this would not parse as 200 hello */
	ka_request(fd, "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n", &r);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "hello\n");
	http_resp_free(&r);
	cr_expect_not(hx_readable(fd, 300), "stray bytes after the responses");
	close(fd);
	srv_stop(&s);
}

Test(http, symlinks_leaving_the_root_are_403, .fini = hx_fini)
{
	static const char *const out[] = {
	    "/link-out.txt",
	    "/link-abs.txt",
	    "/outdir/secret.txt",
	};
	struct srv s;
	struct http_resp r;

	start_static(&s);
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		cr_assert_eq(http_get(s.port, out[i], &r), 0);
		cr_expect_eq(r.status, 403, "%s: %d", out[i], r.status);
		cr_expect(strstr(r.body, "CANARY") == NULL, "%s leaked",
			  out[i]);
		http_resp_free(&r);
	}
	cr_assert_eq(http_get(s.port, "/link-in.css", &r), 0);
	cr_expect_eq(r.status, 200, "a link inside the root");
	cr_expect_str_eq(r.body, "p{}\n");
	http_resp_free(&r);
	srv_stop(&s);
}

Test(http, traversal_never_reaches_outside_the_root, .fini = hx_fini)
{
	static const char *const targets[] = {
	    "/../secret.txt",
	    "/../../secret.txt",
	    "/sub/../../secret.txt",
	    "/./../secret.txt",
	    "//../secret.txt",
	    "/%2e%2e/secret.txt",
	    "/%2E%2E/secret.txt",
	    "/.%2e/secret.txt",
	    "/%2e./secret.txt",
	    "/%2e%2e%2fsecret.txt",
	    "/..%2fsecret.txt",
	    "/..%2Fsecret.txt",
	    "/sub/..%2f..%2fsecret.txt",
	    "/%252e%252e/secret.txt",
	    "/..%5csecret.txt",
	    "/..\\secret.txt",
	    "/..;/secret.txt",
	    "/%2e%2e/%2e%2e/secret.txt",
	    "/sub/%2e%2e/%2e%2e/secret.txt",
	    "/al/../../secret.txt",
	    "/al/%2e%2e/%2e%2e/secret.txt",
	    "/al/..%2f..%2fsecret.txt",
	    "/%00/../secret.txt",
	    "/sub/%00../secret.txt",
	    "http://a/../secret.txt",
	    "http://a/%2e%2e/secret.txt",
	    "/list/../../secret.txt",
	    "/outdir/../secret.txt",
	    "/link-out.txt/../secret.txt",
	};
	struct srv s;

	start_static(&s);
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		struct http_resp r = {0};
		char raw[512];

		snprintf(raw, sizeof(raw),
			 "GET %s HTTP/1.1\r\nHost: a\r\n"
			 "Connection: close\r\n\r\n",
			 targets[i]);
		if (http_do(s.port, raw, &r) == 0)
			cr_expect(strstr(r.body, "CANARY") == NULL,
				  "%s returned the file outside the root (%d)",
				  targets[i], r.status);
		http_resp_free(&r);
	}
	/* an encoded '/' or a broken escape is refused, never decoded into
	 * a path; an encoded letter is decoded once */
	static const struct {
		const char *target;
		int status;
		const char *body;
	} enc[] = {
	    {"/sub%2Findex.html", 400, NULL},
	    {"/sub%2findex.html", 400, NULL},
	    {"/a%zz", 400, NULL},
	    {"/%73ub/", 200, "sub index\n"},
	    {"/sub/%69ndex.html", 200, "sub index\n"},
	    {"/sub/%2569ndex.html", 404, NULL},
	};
	for (size_t i = 0; i < sizeof(enc) / sizeof(enc[0]); i++) {
		struct http_resp r = {0};

		cr_assert_eq(http_get(s.port, enc[i].target, &r), 0);
		cr_expect_eq(r.status, enc[i].status, "%s: %d", enc[i].target,
			     r.status);
		if (enc[i].body)
			cr_expect_str_eq(r.body, enc[i].body, "%s",
					 enc[i].target);
		http_resp_free(&r);
	}
	/* still serving */
	cr_expect_eq(hx_status(s.port, "GET / HTTP/1.1\r\nHost: a\r\n"
				       "Connection: close\r\n\r\n"),
		     200);
	srv_stop(&s);
}
