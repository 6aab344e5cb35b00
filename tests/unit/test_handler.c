/*
 * test_handler.c - http_handle and http_error against a hand-built config
 * over a temporary directory: bad paths, allow lists, redirects, methods
 * and Allow, body limits, CGI routing with PATH_INFO, uploads, custom and
 * built-in error pages, index files routed into a CGI location.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handler.h"
#include "method.h"
#include "mime.h"

#define NOT_FOUND_PAGE "<p>custom: nothing here</p>\n"
#define M(x)	       METHOD_BIT(HTTP_##x)

static char tmp[PATH_MAX];
static char html[PATH_MAX], cgidir[PATH_MAX], updir[PATH_MAX];

static struct error_page pages[] = {
    {404, "/errors/404.html"},
    {500, "/errors/missing.html"},
    {403, "/cgi-bin/app.py"}, /* a script: never shown as a page */
};
static struct error_page upload_pages[] = {
    {404, "/errors/nothere.html"},
};
static struct cgi_handler py = {".py", "/usr/bin/python3"};
static char *index_html[] = {"index.html"};
static char *index_py[] = {"index.py"};
static char *index_run[] = {"run.py"};
static struct cidr loopback;

enum {
	L_PORTAL_RUN,
	L_CGI,
	L_UPLOADS,
	L_PORTAL,
	L_STATUS,
	L_OLD,
	L_TMP,
	L_GONE,
	L_ROOT,
	L_COUNT
};

static struct location locs[L_COUNT];
static size_t listen0[] = {0};
static char *names[] = {"h.test"};
static struct server server;
static struct config cfg;
static struct sockaddr_in peer_local, peer_remote;
static struct http_ctx ctx;

static void join(char *out, size_t cap, const char *dir, const char *rel)
{
	int n = snprintf(out, cap, "%s/%s", dir, rel);

	cr_assert(n > 0 && (size_t)n < cap);
}

static void put_file(const char *dir, const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	join(path, sizeof(path), dir, rel);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static void make_dir(const char *dir, const char *rel)
{
	char path[PATH_MAX];

	join(path, sizeof(path), dir, rel);
	cr_assert_eq(mkdir(path, 0755), 0, "%s", path);
}

static struct location base_loc(const char *path, unsigned methods)
{
	struct location loc = {
	    .path = (char *)path,
	    .path_len = strlen(path),
	    .root = html,
	    .methods = methods,
	    .error_pages = pages,
	    .error_page_count = sizeof(pages) / sizeof(pages[0]),
	    .client_max_body_size = 1000,
	};
	return loc;
}

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/test_handler.XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	join(html, sizeof(html), tmp, "html");
	join(cgidir, sizeof(cgidir), tmp, "cgi");
	join(updir, sizeof(updir), tmp, "up");
	make_dir(tmp, "html");
	make_dir(tmp, "cgi");
	make_dir(tmp, "up");
	make_dir(html, "errors");
	make_dir(html, "portal");
	make_dir(cgidir, "sub");
	make_dir(cgidir, "dir.py");
	put_file(html, "index.html", "home\n");
	put_file(html, "errors/404.html", NOT_FOUND_PAGE);
	put_file(html, "portal/run.py", "print('portal')\n");
	put_file(cgidir, "app.py", "print('app')\n");
	put_file(cgidir, "index.py", "print('index')\n");
	put_file(cgidir, "sub/deep.py", "print('deep')\n");
	put_file(cgidir, "readme.txt", "read me\n");
	put_file(updir, "a.txt", "old\n");

	/* Sorted longest first, as config.c leaves them. */
	locs[L_PORTAL_RUN] = base_loc("/portal/run.py", M(GET) | M(HEAD));
	locs[L_PORTAL_RUN].cgi = &py;
	locs[L_PORTAL_RUN].cgi_count = 1;
	locs[L_CGI] = base_loc("/cgi-bin/", M(GET) | M(HEAD) | M(POST));
	locs[L_CGI].root = NULL;
	locs[L_CGI].alias = cgidir;
	locs[L_CGI].cgi = &py;
	locs[L_CGI].cgi_count = 1;
	locs[L_CGI].index = index_py;
	locs[L_CGI].index_count = 1;
	locs[L_UPLOADS] = base_loc("/uploads/", M(GET) | M(HEAD) | M(POST) |
						    M(PUT) | M(DELETE));
	locs[L_UPLOADS].upload_dir = updir;
	locs[L_UPLOADS].client_max_body_size = 100;
	locs[L_UPLOADS].error_pages = upload_pages;
	locs[L_UPLOADS].error_page_count = 1;
	locs[L_PORTAL] = base_loc("/portal/", M(GET) | M(HEAD));
	locs[L_PORTAL].index = index_run;
	locs[L_PORTAL].index_count = 1;
	locs[L_STATUS] = base_loc("/status", M(GET));
	loopback.family = AF_INET;
	loopback.addr[0] = 127;
	loopback.prefix = 8;
	locs[L_STATUS].allow = &loopback;
	locs[L_STATUS].allow_count = 1;
	locs[L_OLD] = base_loc("/old/", M(GET) | M(HEAD));
	locs[L_OLD].redirect_code = 301;
	locs[L_OLD].redirect_to = "/new/";
	locs[L_TMP] = base_loc("/tmp/", M(GET) | M(HEAD));
	locs[L_TMP].redirect_code = 302;
	locs[L_TMP].redirect_to = "https://example.test/t";
	locs[L_GONE] = base_loc("/gone", M(GET) | M(HEAD));
	locs[L_GONE].redirect_code = 410;
	locs[L_ROOT] = base_loc("/", M(GET) | M(HEAD) | M(POST) | M(OPTIONS));
	locs[L_ROOT].index = index_html;
	locs[L_ROOT].index_count = 1;

	server.listens = listen0;
	server.listen_count = 1;
	server.names = names;
	server.name_count = 1;
	server.default_server = true;
	server.locations = locs;
	server.location_count = L_COUNT;
	cfg.servers = &server;
	cfg.server_count = 1;
	cfg.listen_count = 1;
	cfg.mime = mime_load("/etc/mime.types");

	peer_local.sin_family = AF_INET;
	peer_local.sin_addr.s_addr = htonl(0x7f000001);
	peer_remote.sin_family = AF_INET;
	peer_remote.sin_addr.s_addr = htonl(0x0a000001);
	ctx.cfg = &cfg;
	ctx.listen_idx = 0;
	ctx.peer = (const struct sockaddr *)&peer_local;
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	mime_free(cfg.mime);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(handler, .init = setup, .fini = teardown);

static struct http_request req;
static struct http_route route;
static struct response resp;

/* Route method path with Host h.test; framing set by the caller. */
static void request(enum http_method m, const char *path)
{
	memset(&req, 0, sizeof(req));
	req.method = m;
	req.method_name.ptr = method_name(m);
	req.method_name.len = strlen(method_name(m));
	req.target.ptr = path;
	req.target.len = strlen(path);
	req.path = req.target;
	req.minor = 1;
	req.host.ptr = "h.test:8080";
	req.host.len = strlen("h.test:8080");
	req.keep_alive = true;
	response_init(&resp);
}

static enum http_next handle(void)
{
	return http_handle(&ctx, &req, &route, &resp);
}

static enum http_next run(enum http_method m, const char *path)
{
	request(m, path);
	return handle();
}

/* Value of header name ("" when absent). */
static const char *header(const char *name)
{
	static char value[512];
	char key[64];
	const char *p, *end;

	snprintf(key, sizeof(key), "\r\n%s: ", name);
	value[0] = '\0';
	p = strstr(resp.head, key);
	if (p == NULL)
		return value;
	p += strlen(key);
	end = strstr(p, "\r\n");
	cr_assert_not_null(end);
	cr_assert_lt((size_t)(end - p), sizeof(value));
	memcpy(value, p, (size_t)(end - p));
	value[end - p] = '\0';
	return value;
}

/* The body as a string (memory or file). */
static const char *body(void)
{
	static char text[4096];
	ssize_t n = 0;

	text[0] = '\0';
	if (resp.body_kind == BODY_MEM) {
		cr_assert_lt(resp.mem_len, sizeof(text));
		memcpy(text, resp.mem, resp.mem_len);
		text[resp.mem_len] = '\0';
	} else if (resp.body_kind == BODY_FILE) {
		cr_assert_lt(resp.file_len, (off_t)sizeof(text));
		n = pread(resp.fd, text, (size_t)resp.file_len, resp.file_off);
		cr_assert_eq(n, resp.file_len);
		text[n] = '\0';
	}
	return text;
}

static void expect_status(enum http_next next, int status)
{
	cr_expect_eq(next, NEXT_RESPOND);
	cr_expect_eq(resp.status, status, "status %d, want %d", resp.status,
		     status);
	cr_expect_not(resp.head_overflow);
	char line[64];

	snprintf(line, sizeof(line), "HTTP/1.1 %d ", status);
	cr_expect_eq(strncmp(resp.head, line, strlen(line)), 0, "head: %s",
		     resp.head);
}

static void done(void)
{
	response_reset(&resp);
}

Test(handler, bad_path_is_400)
{
	static const char *const bad[] = {
	    "/a%2Fb", "/%zz", "/a%00b", "relative", "/a\\b",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect_status(run(HTTP_GET, bad[i]), 400);
		cr_expect_not_null(strstr(body(), "400 Bad Request"), "%s",
				   bad[i]);
		cr_expect_eq(route.server, &server);
		done();
	}
}

Test(handler, allow_list)
{
	ctx.peer = (const struct sockaddr *)&peer_remote;
	expect_status(run(HTTP_GET, "/status"), 403);
	/* The 403 page is a script: refused as a page, built-in instead. */
	cr_expect_eq(resp.body_kind, BODY_MEM);
	cr_expect_not_null(strstr(body(), "403 Forbidden"));
	cr_expect_null(strstr(body(), "print"));
	done();
	expect_status(run(HTTP_GET, "/status/x"), 403);
	done();
	ctx.peer = NULL; /* unknown peer: not in any network */
	expect_status(run(HTTP_GET, "/status"), 403);
	done();
	/* Other locations have no allow list. */
	ctx.peer = (const struct sockaddr *)&peer_remote;
	expect_status(run(HTTP_GET, "/index.html"), 200);
	done();
	/* A loopback peer passes the check (then: no such file). */
	ctx.peer = (const struct sockaddr *)&peer_local;
	expect_status(run(HTTP_GET, "/status"), 404);
	cr_expect_eq(route.loc, &locs[L_STATUS]);
	done();
}

Test(handler, redirects)
{
	expect_status(run(HTTP_GET, "/old/page.html"), 301);
	cr_expect_str_eq(header("Location"), "/new/");
	cr_expect_not_null(strstr(body(), "301 Moved Permanently"));
	done();
	expect_status(run(HTTP_GET, "/tmp/"), 302);
	cr_expect_str_eq(header("Location"), "https://example.test/t");
	done();
	/* HEAD: the same head, no body. */
	expect_status(run(HTTP_HEAD, "/old/"), 301);
	cr_expect_str_eq(header("Location"), "/new/");
	cr_expect_eq(resp.body_kind, BODY_NONE);
	done();
	/* A "redirect" without a target is a plain status. */
	expect_status(run(HTTP_GET, "/gone"), 410);
	cr_expect_str_eq(header("Location"), "");
	done();
}

Test(handler, method_not_allowed)
{
	/* Not configured. */
	expect_status(run(HTTP_DELETE, "/index.html"), 405);
	cr_expect_str_eq(header("Allow"), "GET, HEAD, OPTIONS");
	done();
	expect_status(run(HTTP_PUT, "/cgi-bin/app.py"), 405);
	cr_expect_str_eq(header("Allow"), "GET, HEAD, POST");
	done();
	/* beside the scripts, a plain file takes no POST: Allow says so */
	request(HTTP_POST, "/cgi-bin/readme.txt");
	req.has_length = true;
	req.content_length = 3;
	expect_status(handle(), 405);
	cr_expect_str_eq(header("Allow"), "GET, HEAD");
	done();
	expect_status(run(HTTP_PATCH, "/uploads/a.txt"), 405);
	cr_expect_str_eq(header("Allow"), "GET, HEAD, POST, PUT, DELETE");
	done();
	/* Configured, but no upload_dir: POST cannot work here either, and
	 * Allow does not offer it. */
	request(HTTP_POST, "/index.html");
	req.has_length = true;
	req.content_length = 3;
	expect_status(handle(), 405);
	cr_expect_str_eq(header("Allow"), "GET, HEAD, OPTIONS");
	done();
	/* HEAD gets no body. */
	expect_status(run(HTTP_HEAD, "/status"), 405);
	cr_expect_str_eq(header("Allow"), "GET");
	cr_expect_eq(resp.body_kind, BODY_NONE);
	done();
}

/* CONNECT's target is an authority, not a path: refused as a method */
Test(handler, connect_is_405)
{
	request(HTTP_CONNECT, "");
	req.target.ptr = "h.test:443";
	req.target.len = strlen("h.test:443");
	req.host = req.target;
	expect_status(handle(), 405);
	cr_expect_str_eq(header("Allow"), "GET, HEAD, OPTIONS");
	done();
}

Test(handler, options)
{
	expect_status(run(HTTP_OPTIONS, "/index.html"), 204);
	cr_expect_str_eq(header("Allow"), "GET, HEAD, OPTIONS");
	cr_expect_eq(resp.body_kind, BODY_NONE);
	cr_expect_str_eq(header("Content-Length"), "");
	done();
	/* OPTIONS * : what the server as a whole can do. */
	expect_status(run(HTTP_OPTIONS, "*"), 204);
	cr_expect_str_eq(header("Allow"),
			 "GET, HEAD, POST, PUT, DELETE, OPTIONS");
	done();
	/* Not allowed where OPTIONS is not configured. */
	expect_status(run(HTTP_OPTIONS, "/uploads/x"), 405);
	done();
}

Test(handler, body_too_large)
{
	request(HTTP_PUT, "/uploads/big.bin");
	req.has_length = true;
	req.content_length = 101;
	expect_status(handle(), 413);
	cr_expect_not_null(strstr(body(), "413"));
	done();
	request(HTTP_PUT, "/uploads/ok.bin");
	req.has_length = true;
	req.content_length = 100;
	cr_expect_eq(handle(), NEXT_UPLOAD);
	done();
	/* Any method with a body over the limit (the "/" limit is 1000). */
	request(HTTP_GET, "/index.html");
	req.has_length = true;
	req.content_length = 1001;
	expect_status(handle(), 413);
	done();
	/* A huge length does not wrap around. */
	request(HTTP_POST, "/cgi-bin/app.py");
	req.has_length = true;
	req.content_length = UINT64_MAX;
	expect_status(handle(), 413);
	done();
}

Test(handler, length_required)
{
	expect_status(run(HTTP_POST, "/uploads/x.bin"), 411);
	done();
	expect_status(run(HTTP_PUT, "/uploads/x.bin"), 411);
	done();
	expect_status(run(HTTP_POST, "/cgi-bin/app.py"), 411);
	done();
	request(HTTP_POST, "/uploads/x.bin");
	req.chunked = true;
	cr_expect_eq(handle(), NEXT_UPLOAD);
	done();
	request(HTTP_POST, "/cgi-bin/app.py");
	req.chunked = true;
	cr_expect_eq(handle(), NEXT_CGI);
	done();
	/* A GET to a script needs no body. */
	cr_expect_eq(run(HTTP_GET, "/cgi-bin/app.py"), NEXT_CGI);
	done();
}

static void expect_cgi(const char *path, const char *script,
		       const char *path_info, const char *file_rel)
{
	char file[PATH_MAX];

	cr_assert_eq(run(HTTP_GET, path), NEXT_CGI, "%s: status %d", path,
		     resp.status);
	cr_expect_eq(resp.status, 0, "resp untouched");
	cr_expect_eq(route.script_len, strlen(script), "%s", path);
	cr_expect_eq(strncmp(route.path, script, route.script_len), 0,
		     "%s: script %.*s", path, (int)route.script_len,
		     route.path);
	cr_expect_str_eq(route.path + route.script_len, path_info, "%s", path);
	cr_expect_eq(route.cgi, &py);
	join(file, sizeof(file), cgidir, file_rel);
	cr_expect_str_eq(route.script_file, file);
	cr_expect_str_eq(route.script_base, cgidir);
	cr_expect_eq(route.loc, &locs[L_CGI]);
	done();
}

Test(handler, cgi_split)
{
	expect_cgi("/cgi-bin/app.py", "/cgi-bin/app.py", "", "app.py");
	expect_cgi("/cgi-bin/app.py/extra", "/cgi-bin/app.py", "/extra",
		   "app.py");
	expect_cgi("/cgi-bin/app.py/extra/more.py", "/cgi-bin/app.py",
		   "/extra/more.py", "app.py");
	expect_cgi("/cgi-bin/app.py/", "/cgi-bin/app.py", "/", "app.py");
	expect_cgi("/cgi-bin/sub/deep.py/x", "/cgi-bin/sub/deep.py", "/x",
		   "sub/deep.py");
	/* Canonicalised first: dots and escapes are gone. */
	expect_cgi("/cgi-bin/sub/../%61pp.py/a", "/cgi-bin/app.py", "/a",
		   "app.py");
}

Test(handler, cgi_script_checked)
{
	/* Missing script: 404 (the custom page). */
	expect_status(run(HTTP_GET, "/cgi-bin/none.py/x"), 404);
	cr_expect_str_eq(body(), NOT_FOUND_PAGE);
	cr_expect_eq(route.script_len, 0);
	cr_expect_str_eq(route.script_file, "");
	done();
	/* A directory named like a script is never run. */
	expect_status(run(HTTP_GET, "/cgi-bin/dir.py"), 403);
	done();
	/* Not a script: served as a file. */
	expect_status(run(HTTP_GET, "/cgi-bin/readme.txt"), 200);
	cr_expect_str_eq(body(), "read me\n");
	done();
}

Test(handler, upload_routes)
{
	request(HTTP_PUT, "/uploads/new.txt");
	req.has_length = true;
	req.content_length = 5;
	cr_expect_eq(handle(), NEXT_UPLOAD);
	cr_expect_eq(route.loc, &locs[L_UPLOADS]);
	cr_expect_str_eq(route.path, "/uploads/new.txt");
	cr_expect_eq(route.path_len, strlen("/uploads/new.txt"));
	cr_expect_eq(resp.status, 0);
	done();
	request(HTTP_POST, "/uploads/");
	req.has_length = true;
	req.content_length = 0;
	cr_expect_eq(handle(), NEXT_UPLOAD);
	done();
}

Test(handler, delete_in_upload_dir)
{
	char file[PATH_MAX];

	join(file, sizeof(file), updir, "a.txt");
	expect_status(run(HTTP_DELETE, "/uploads/a.txt"), 204);
	cr_expect_eq(resp.body_kind, BODY_NONE);
	cr_expect_str_eq(header("Content-Length"), "");
	cr_expect_eq(access(file, F_OK), -1, "the file is gone");
	done();
	expect_status(run(HTTP_DELETE, "/uploads/a.txt"), 404);
	done();
	/* No upload_dir: DELETE is not configured there. */
	expect_status(run(HTTP_DELETE, "/cgi-bin/readme.txt"), 405);
	done();
}

Test(handler, custom_error_page)
{
	char len[32];

	expect_status(run(HTTP_GET, "/no/such/file.html"), 404);
	cr_assert_eq(resp.body_kind, BODY_FILE);
	cr_expect_str_eq(body(), NOT_FOUND_PAGE);
	snprintf(len, sizeof(len), "%zu", strlen(NOT_FOUND_PAGE));
	cr_expect_str_eq(header("Content-Length"), len);
	cr_expect_eq(strncmp(header("Content-Type"), "text/html", 9), 0, "%s",
		     header("Content-Type"));
	done();
	/* HEAD: same head, no body, no fd left open. */
	expect_status(run(HTTP_HEAD, "/no/such/file.html"), 404);
	cr_expect_eq(resp.body_kind, BODY_NONE);
	cr_expect_eq(resp.fd, -1);
	cr_expect_str_eq(header("Content-Length"), len);
	done();
}

Test(handler, missing_custom_page_falls_back)
{
	/* The uploads location's 404 page does not exist. */
	expect_status(run(HTTP_GET, "/uploads/missing.bin"), 404);
	cr_expect_eq(resp.body_kind, BODY_MEM);
	cr_expect_not_null(strstr(body(), "<h1>404 Not Found</h1>"));
	done();
	/* Through http_error directly: 500 names a missing file. */
	cr_assert_eq(run(HTTP_GET, "/index.html"), NEXT_RESPOND);
	done();
	response_init(&resp);
	http_error(&ctx, &route, 500, false, &resp);
	cr_expect_eq(resp.status, 500);
	cr_expect_not_null(strstr(body(), "500 Internal Server Error"));
	done();
	/* No route (refused before routing): the default server's "/"
	 * pages, as in nginx. */
	response_init(&resp);
	http_error(&ctx, NULL, 404, false, &resp);
	cr_expect_eq(resp.status, 404);
	cr_expect_str_eq(body(), NOT_FOUND_PAGE);
	done();
	/* With a route, http_error serves the custom page too. */
	cr_assert_eq(run(HTTP_GET, "/index.html"), NEXT_RESPOND);
	done();
	response_init(&resp);
	http_error(&ctx, &route, 404, false, &resp);
	cr_expect_str_eq(body(), NOT_FOUND_PAGE);
	done();
	/* 405 from http_error carries Allow. */
	response_init(&resp);
	http_error(&ctx, &route, 405, false, &resp);
	cr_expect_str_eq(header("Allow"), "GET, HEAD, OPTIONS");
	done();
}

Test(handler, static_and_index)
{
	expect_status(run(HTTP_GET, "/index.html"), 200);
	cr_expect_str_eq(body(), "home\n");
	done();
	/* "/" has index.html: an internal redirect, served as the file. */
	expect_status(run(HTTP_GET, "/"), 200);
	cr_expect_str_eq(body(), "home\n");
	cr_expect_str_eq(route.path, "/index.html");
	done();
}

Test(handler, index_into_cgi)
{
	/* The index of "/cgi-bin/" is a script in the same location. */
	cr_assert_eq(run(HTTP_GET, "/cgi-bin/"), NEXT_CGI, "status %d",
		     resp.status);
	cr_expect_str_eq(route.path, "/cgi-bin/index.py");
	cr_expect_eq(route.script_len, route.path_len);
	cr_expect_eq(route.loc, &locs[L_CGI]);
	done();
	/* The index of "/portal/" is another location's CGI script. */
	cr_assert_eq(run(HTTP_GET, "/portal/"), NEXT_CGI, "status %d",
		     resp.status);
	cr_expect_str_eq(route.path, "/portal/run.py");
	cr_expect_eq(route.loc, &locs[L_PORTAL_RUN]);
	cr_expect_str_eq(route.path + route.script_len, "");
	char file[PATH_MAX];

	join(file, sizeof(file), html, "portal/run.py");
	cr_expect_str_eq(route.script_file, file);
	cr_expect_str_eq(route.script_base, html);
	done();
}

Test(handler, vhost_unknown_uses_default)
{
	request(HTTP_GET, "/index.html");
	req.host.ptr = "other.test";
	req.host.len = strlen("other.test");
	expect_status(handle(), 200);
	cr_expect_eq(route.server, &server);
	done();
}

/* A location named without its trailing slash: 301 to the location. */
Test(handler, location_without_slash_redirects)
{
	expect_status(run(HTTP_GET, "/uploads"), 301);
	cr_expect_str_eq(header("Location"), "/uploads/");
	done();
	request(HTTP_GET, "/uploads");
	req.query.ptr = "a=1";
	req.query.len = 3;
	req.has_query = true;
	expect_status(handle(), 301);
	cr_expect_str_eq(header("Location"), "/uploads/?a=1");
	done();
	/* a longer name is no such request */
	expect_status(run(HTTP_GET, "/uploadsx"), 404);
	done();
}

/* DESIGN §4: the index is resolved before the method is judged, so a
 * directory whose index is a script takes what the script's location
 * takes (POST / to a front controller), with Allow built there. */
Test(handler, index_script_takes_every_method)
{
	request(HTTP_POST, "/cgi-bin/");
	req.has_length = true;
	req.content_length = 3;
	cr_assert_eq(handle(), NEXT_CGI, "status %d", resp.status);
	cr_expect_str_eq(route.path, "/cgi-bin/index.py");
	cr_expect_eq(route.script_len, route.path_len);
	done();
	/* chunked: the script reads it, no 411 */
	request(HTTP_POST, "/cgi-bin/");
	req.chunked = true;
	cr_expect_eq(handle(), NEXT_CGI, "status %d", resp.status);
	done();
	/* the script's location does not allow PUT: 405, its Allow */
	expect_status(run(HTTP_PUT, "/cgi-bin/"), 405);
	cr_expect_str_eq(header("Allow"), "GET, HEAD, POST");
	done();
	/* OPTIONS describes the script */
	expect_status(run(HTTP_OPTIONS, "/portal/"), 405);
	done();
	request(HTTP_POST, "/portal/");
	req.has_length = true;
	expect_status(handle(), 405);
	cr_expect_str_eq(header("Allow"), "GET, HEAD");
	cr_expect_str_eq(route.path, "/portal/run.py");
	done();
	/* a plain index file keeps the directory's answer */
	request(HTTP_POST, "/");
	req.has_length = true;
	expect_status(handle(), 405);
	cr_expect_str_eq(route.path, "/");
	done();
}
