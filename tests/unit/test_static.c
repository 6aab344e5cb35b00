/*
 * test_static.c - static files against a real temporary tree: statuses,
 * headers, conditionals (304), ranges (206/416), HEAD, directories (301,
 * index, autoindex), symlinks inside and out of the root, FIFOs; plus
 * static_map, the two confined openers, and the Range, ETag and date
 * parsers.  Expected values are written out by hand, never produced by
 * the code under test.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "static.h"

/* 784111777 = Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110 §5.6.7's example) */
#define T_1994	    784111777
#define T_1994_TEXT "Sun, 06 Nov 1994 08:49:37 GMT"

static char tmp[256]; /* holds root/ and outside.txt */
static char root[PATH_MAX];
static struct mime_table *mime;
static char *index_names[] = {"missing.html", "index.html"};

static void put(const char *rel, const char *text)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	FILE *fp = fopen(p, "w");
	cr_assert_not_null(fp, "%s", p);
	fputs(text, fp);
	fclose(fp);
	struct timespec ts[2] = {{T_1994, 0}, {T_1994, 0}};
	cr_assert_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
}

static void dir(const char *rel)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	cr_assert_eq(mkdir(p, 0755), 0, "%s", p);
}

static void link_to(const char *target, const char *rel)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	cr_assert_eq(symlink(target, p), 0, "%s", p);
}

static void setup(void)
{
	char p[PATH_MAX * 2];

	snprintf(tmp, sizeof(tmp), "/tmp/test_static_XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(root, sizeof(root), "%s/root", tmp);
	cr_assert_eq(mkdir(root, 0755), 0);
	put("hello.txt", "hello world\n"); /* 12 bytes */
	put("empty.txt", "");
	put("page.html", "<p>hi</p>");
	dir("sub");
	put("sub/b.txt", "bbb");
	put("sub/a file.txt", "a");
	put("sub/<b>&\"x\".txt", "x");
	put("sub/.hidden", "h");
	put("sub/back\\slash", "u");
	put("sub/tab\tname", "u");
	put("sub/a:b", "colon");
	dir("sub/zdir");
	dir("sub/adir");
	dir("withindex");
	put("withindex/index.html", "<h1>index</h1>");
	dir("my dir");
	dir("indexdir");
	dir("indexdir/index.html"); /* a directory is not an index */
	link_to("hello.txt", "inlink");
	link_to("sub", "indir");
	link_to("/etc/passwd", "passwd");
	link_to("../outside.txt", "rel_escape");
	link_to("/etc", "escdir");
	link_to("../../root/hello.txt", "sub/updown"); /* out and back */
	link_to("/etc/passwd", "sub/zz_escape");
	snprintf(p, sizeof(p), "%s/outside.txt", tmp);
	FILE *fp = fopen(p, "w");
	cr_assert_not_null(fp);
	fputs("secret", fp);
	fclose(fp);
	snprintf(p, sizeof(p), "%s/fifo", root);
	cr_assert_eq(mkfifo(p, 0644), 0);
	mime = mime_load("/nonexistent/mime.types");
	cr_assert_not_null(mime);
}

/* Idempotent: a skipped test calls it itself (no .fini after a skip). */
static void teardown(void)
{
	char cmd[PATH_MAX + 32];
	mime_free(mime);
	mime = NULL;
	if (tmp[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	cr_expect_eq(system(cmd), 0);
	tmp[0] = '\0';
}

TestSuite(static_files, .init = setup, .fini = teardown);

static struct location make_loc(bool autoindex)
{
	struct location loc = {
	    .path = "/",
	    .path_len = 1,
	    .root = root,
	    .index = index_names,
	    .index_count = 2,
	    .autoindex = autoindex,
	};
	return loc;
}

static struct slice sl(const char *s)
{
	return (struct slice){s, s ? strlen(s) : 0};
}

struct outcome {
	int status;
	struct response resp;
	char index_path[PATH_MAX];
};

/* Serve path with loc and req into *o (resp initialised first). */
static void serve_req(const struct location *loc,
		      const struct http_request *req, const char *path,
		      struct outcome *o)
{
	response_init(&o->resp);
	o->index_path[0] = '\0';
	o->status =
	    static_serve(loc, req, path, strlen(path), mime, NULL,
			 o->index_path, sizeof(o->index_path), &o->resp);
}

static void serve(const char *method, const char *path, struct outcome *o)
{
	struct location loc = make_loc(false);
	struct http_request req = {0};
	req.method = strcmp(method, "HEAD") == 0 ? HTTP_HEAD : HTTP_GET;
	serve_req(&loc, &req, path, o);
}

/* Value of header name in the head ("" when absent, into out). */
static const char *header(const struct response *resp, const char *name,
			  char *out, size_t cap)
{
	char needle[128];
	snprintf(needle, sizeof(needle), "\r\n%s: ", name);
	const char *p = strstr(resp->head, needle);
	out[0] = '\0';
	if (!p)
		return out;
	p += strlen(needle);
	const char *end = strstr(p, "\r\n");
	size_t n = end ? (size_t)(end - p) : strlen(p);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

#define HDR(o, name) header(&(o)->resp, name, hbuf, sizeof(hbuf))

static void read_body(const struct response *resp, char *out, size_t cap)
{
	cr_assert_eq(resp->body_kind, BODY_FILE);
	cr_assert((size_t)resp->file_len < cap);
	ssize_t n =
	    pread(resp->fd, out, (size_t)resp->file_len, resp->file_off);
	cr_assert_eq(n, resp->file_len);
	out[n] = '\0';
}

Test(static_files, regular_file)
{
	struct outcome o;
	char hbuf[256], body[64];

	serve("GET", "/hello.txt", &o);
	cr_assert_eq(o.status, 200);
	cr_expect_eq(o.resp.status, 200);
	cr_expect(strncmp(o.resp.head, "HTTP/1.1 200 OK\r\n", 17) == 0);
	cr_expect_str_eq(HDR(&o, "Content-Length"), "12");
	cr_expect_str_eq(HDR(&o, "Content-Type"), "text/plain; charset=utf-8");
	cr_expect_str_eq(HDR(&o, "Last-Modified"), T_1994_TEXT);
	cr_expect_str_eq(HDR(&o, "Accept-Ranges"), "bytes");
	cr_expect_str_eq(HDR(&o, "Content-Range"), "");
	cr_expect_str_eq(HDR(&o, "Connection"), "");
	HDR(&o, "ETag");
	cr_expect(strlen(hbuf) > 2 && hbuf[0] == '"' &&
		      hbuf[strlen(hbuf) - 1] == '"',
		  "ETag %s", hbuf);
	read_body(&o.resp, body, sizeof(body));
	cr_expect_str_eq(body, "hello world\n");
	cr_expect_eq(o.resp.file_off, 0);
	response_reset(&o.resp);

	serve("GET", "/page.html", &o);
	cr_expect_str_eq(HDR(&o, "Content-Type"), "text/html; charset=utf-8");
	response_reset(&o.resp);
}

Test(static_files, etag_stable_and_changes)
{
	struct outcome o;
	char hbuf[256], first[64], second[64];

	serve("GET", "/hello.txt", &o);
	snprintf(first, sizeof(first), "%s", HDR(&o, "ETag"));
	response_reset(&o.resp);
	serve("HEAD", "/hello.txt", &o);
	snprintf(second, sizeof(second), "%s", HDR(&o, "ETag"));
	response_reset(&o.resp);
	cr_expect_str_eq(first, second);
	put("hello.txt", "hello world!\n"); /* same mtime, new size */
	serve("GET", "/hello.txt", &o);
	cr_expect_str_neq(HDR(&o, "ETag"), first);
	cr_expect_str_eq(HDR(&o, "Content-Length"), "13");
	response_reset(&o.resp);
}

Test(static_files, head_has_no_body)
{
	struct outcome o;
	char hbuf[256];

	serve("HEAD", "/hello.txt", &o);
	cr_assert_eq(o.status, 200);
	cr_expect_str_eq(HDR(&o, "Content-Length"), "12");
	cr_expect_str_eq(HDR(&o, "Last-Modified"), T_1994_TEXT);
	cr_expect_eq(o.resp.body_kind, BODY_NONE);
	cr_expect_eq(o.resp.fd, -1);
	response_reset(&o.resp);
}

Test(static_files, empty_file)
{
	struct outcome o;
	char hbuf[256];

	serve("GET", "/empty.txt", &o);
	cr_assert_eq(o.status, 200);
	cr_expect_str_eq(HDR(&o, "Content-Length"), "0");
	cr_expect_eq(o.resp.body_kind, BODY_NONE);
	cr_expect_eq(o.resp.fd, -1);
	response_reset(&o.resp);
}

struct cond_case {
	const char *method;
	const char *inm; /* If-None-Match; "@" = the file's ETag */
	const char *ims; /* If-Modified-Since */
	int status;
};

static const struct cond_case cond_cases[] = {
    {"GET", "@", NULL, 304},
    {"HEAD", "@", NULL, 304},
    {"GET", "*", NULL, 304},
    {"GET", "W/@", NULL, 304}, /* weak comparison */
    {"GET", "\"nope\", @", NULL, 304},
    {"GET", "\"nope\" ,W/@ ", NULL, 304},
    {"GET", "\"nope\"", NULL, 200},
    {"GET", "\"nope\", W/\"also\"", NULL, 200},
    {"GET", "garbage", NULL, 200},
    /* If-None-Match present decides alone (RFC 9110 §13.2.2) */
    {"GET", "\"nope\"", T_1994_TEXT, 200},
    {"GET", NULL, T_1994_TEXT, 304},
    {"HEAD", NULL, T_1994_TEXT, 304},
    {"GET", NULL, "Sunday, 06-Nov-94 08:49:37 GMT", 304},
    {"GET", NULL, "Sun Nov  6 08:49:37 1994", 304},
    {"GET", NULL, "Mon, 07 Nov 1994 08:49:37 GMT", 304},
    {"GET", NULL, "Sun, 06 Nov 1994 08:49:36 GMT", 200},
    {"GET", NULL, "Sat, 01 Jan 2000 00:00:00 GMT", 304},
    {"GET", NULL, "Fri, 01 Jan 2100 00:00:00 GMT", 200}, /* future */
    {"GET", NULL, "yesterday", 200},
    {"GET", NULL, NULL, 200},
};

Test(static_files, conditional_requests)
{
	struct outcome o;
	char hbuf[256], etag[64], inm[128];

	serve("GET", "/hello.txt", &o);
	snprintf(etag, sizeof(etag), "%s", HDR(&o, "ETag"));
	response_reset(&o.resp);
	for (size_t i = 0; i < sizeof(cond_cases) / sizeof(cond_cases[0]);
	     i++) {
		const struct cond_case *c = &cond_cases[i];
		struct location loc = make_loc(false);
		struct http_request req = {0};
		req.method = strcmp(c->method, "HEAD") ? HTTP_GET : HTTP_HEAD;
		if (c->inm) {
			const char *at = strchr(c->inm, '@');
			if (at)
				snprintf(inm, sizeof(inm), "%.*s%s%s",
					 (int)(at - c->inm), c->inm, etag,
					 at + 1);
			else
				snprintf(inm, sizeof(inm), "%s", c->inm);
			req.if_none_match = sl(inm);
		}
		req.if_modified_since = sl(c->ims);
		serve_req(&loc, &req, "/hello.txt", &o);
		cr_expect_eq(o.status, c->status, "case %zu", i);
		if (o.status == 304) {
			cr_expect_str_eq(HDR(&o, "ETag"), etag, "case %zu", i);
			cr_expect_str_eq(HDR(&o, "Content-Length"), "");
			cr_expect_eq(o.resp.body_kind, BODY_NONE);
			cr_expect_eq(o.resp.fd, -1);
		}
		response_reset(&o.resp);
	}
}

struct range_serve_case {
	const char *method;
	const char *range;
	const char *if_range; /* "@" = the file's ETag */
	int status;
	const char *content_range;
	const char *length;
	const char *body; /* NULL: no body */
};

static const struct range_serve_case range_serve_cases[] = {
    {"GET", "bytes=0-4", NULL, 206, "bytes 0-4/12", "5", "hello"},
    {"GET", "bytes=6-", NULL, 206, "bytes 6-11/12", "6", "world\n"},
    {"GET", "bytes=-3", NULL, 206, "bytes 9-11/12", "3", "ld\n"},
    {"GET", "bytes=-100", NULL, 206, "bytes 0-11/12", "12", "hello world\n"},
    {"GET", "bytes=4-4", NULL, 206, "bytes 4-4/12", "1", "o"},
    {"GET", "bytes=10-99", NULL, 206, "bytes 10-11/12", "2", "d\n"},
    {"GET", "bytes=12-", NULL, 416, "bytes */12", "", NULL},
    {"GET", "bytes=-0", NULL, 416, "bytes */12", "", NULL},
    {"GET", "bytes=0-1,3-4", NULL, 200, "", "12", "hello world\n"},
    {"GET", "bytes=abc", NULL, 200, "", "12", "hello world\n"},
    {"GET", "lines=0-1", NULL, 200, "", "12", "hello world\n"},
    {"GET", "bytes=0-4", "@", 206, "bytes 0-4/12", "5", "hello"},
    {"GET", "bytes=0-4", "\"other\"", 200, "", "12", "hello world\n"},
    {"GET", "bytes=0-4", "W/@", 200, "", "12", "hello world\n"},
    {"GET", "bytes=0-4", T_1994_TEXT, 206, "bytes 0-4/12", "5", "hello"},
    {"GET", "bytes=0-4", "Mon, 07 Nov 1994 08:49:37 GMT", 200, "", "12",
     "hello world\n"},
    {"GET", "bytes=99-", "\"other\"", 200, "", "12", "hello world\n"},
    /* RFC 9110 §14.2: Range is defined for GET only */
    {"HEAD", "bytes=0-4", NULL, 200, "", "12", NULL},
};

Test(static_files, ranges)
{
	struct outcome o;
	char hbuf[256], etag[64], ifr[128], body[64];

	serve("GET", "/hello.txt", &o);
	snprintf(etag, sizeof(etag), "%s", HDR(&o, "ETag"));
	response_reset(&o.resp);
	for (size_t i = 0;
	     i < sizeof(range_serve_cases) / sizeof(range_serve_cases[0]);
	     i++) {
		const struct range_serve_case *c = &range_serve_cases[i];
		struct location loc = make_loc(false);
		struct http_request req = {0};
		req.method = strcmp(c->method, "HEAD") ? HTTP_GET : HTTP_HEAD;
		req.range = sl(c->range);
		if (c->if_range) {
			const char *at = strchr(c->if_range, '@');
			snprintf(ifr, sizeof(ifr), "%.*s%s",
				 at ? (int)(at - c->if_range)
				    : (int)strlen(c->if_range),
				 c->if_range, at ? etag : "");
			req.if_range = sl(ifr);
		}
		serve_req(&loc, &req, "/hello.txt", &o);
		cr_expect_eq(o.status, c->status, "case %zu", i);
		/* 416 is an error page: its Content-Range is the caller's */
		cr_expect_str_eq(o.status == 416 ? o.index_path
						 : HDR(&o, "Content-Range"),
				 c->content_range, "case %zu", i);
		cr_expect_str_eq(HDR(&o, "Content-Length"), c->length,
				 "case %zu", i);
		if (c->body) {
			read_body(&o.resp, body, sizeof(body));
			cr_expect_str_eq(body, c->body, "case %zu", i);
		} else {
			cr_expect_eq(o.resp.body_kind, BODY_NONE, "case %zu",
				     i);
			cr_expect_eq(o.resp.fd, -1, "case %zu", i);
		}
		response_reset(&o.resp);
	}
}

Test(static_files, range_on_empty_file)
{
	struct outcome o;
	struct location loc = make_loc(false);
	struct http_request req = {.method = HTTP_GET};

	req.range = sl("bytes=0-");
	serve_req(&loc, &req, "/empty.txt", &o);
	cr_expect_eq(o.status, 416);
	cr_expect_eq(o.resp.status, 0, "416 leaves resp to the error page");
	cr_expect_str_eq(o.index_path, "bytes */0");
	response_reset(&o.resp);
}

Test(static_files, directory_redirects)
{
	struct outcome o;
	char hbuf[256];
	struct location loc = make_loc(false);
	struct http_request req = {.method = HTTP_GET};

	serve("GET", "/sub", &o);
	cr_expect_eq(o.status, 301);
	cr_expect_str_eq(HDR(&o, "Location"), "/sub/");
	cr_expect_str_eq(HDR(&o, "Content-Length"), "0");
	cr_expect_eq(o.resp.body_kind, BODY_NONE);
	response_reset(&o.resp);

	serve("GET", "/my dir", &o);
	cr_expect_eq(o.status, 301);
	cr_expect_str_eq(HDR(&o, "Location"), "/my%20dir/");
	response_reset(&o.resp);

	req.query = sl("a=1&b=2");
	req.has_query = true;
	serve_req(&loc, &req, "/sub/zdir", &o);
	cr_expect_eq(o.status, 301);
	cr_expect_str_eq(HDR(&o, "Location"), "/sub/zdir/?a=1&b=2");
	response_reset(&o.resp);
}

Test(static_files, index_file)
{
	struct outcome o;

	serve("GET", "/withindex/", &o);
	cr_expect_eq(o.status, STATIC_INDEX_REDIRECT);
	cr_expect_str_eq(o.index_path, "/withindex/index.html");
	cr_expect_eq(o.resp.status, 0, "resp untouched");
	cr_expect_eq(o.resp.fd, -1);
	/* index.html there is a directory: not an index */
	serve("GET", "/indexdir/", &o);
	cr_expect_eq(o.status, 403);
	cr_expect_eq(o.resp.status, 0);
	/* no index, no autoindex */
	serve("GET", "/sub/", &o);
	cr_expect_eq(o.status, 403);
	cr_expect_eq(o.resp.status, 0);
	cr_expect_eq(o.resp.head_len, 0);
}

/* Position of needle in hay, failing the test when it is missing. */
static size_t pos_of(const char *hay, const char *needle)
{
	const char *p = strstr(hay, needle);
	cr_assert_not_null(p, "missing %s", needle);
	return (size_t)(p - hay);
}

Test(static_files, autoindex_listing)
{
	struct outcome o;
	char hbuf[256], len_text[32];
	struct location loc = make_loc(true);
	struct http_request req = {.method = HTTP_GET};

	serve_req(&loc, &req, "/sub/", &o);
	cr_assert_eq(o.status, 200);
	cr_assert_eq(o.resp.body_kind, BODY_MEM);
	cr_expect_str_eq(HDR(&o, "Content-Type"), "text/html; charset=utf-8");
	snprintf(len_text, sizeof(len_text), "%zu", o.resp.mem_len);
	cr_expect_str_eq(HDR(&o, "Content-Length"), len_text);
	char *page = strndup(o.resp.mem, o.resp.mem_len);
	cr_assert_not_null(page);
	cr_expect_null(strstr(page, "<b>&"), "raw name leaked");
	size_t up = pos_of(page, "<a href=\"../\">../</a>");
	size_t adir = pos_of(page, "<a href=\"adir/\">adir/</a>");
	size_t zdir = pos_of(page, "<a href=\"zdir/\">zdir/</a>");
	size_t html = pos_of(page, "<a href=\"%3Cb%3E%26%22x%22.txt\">"
				   "&lt;b&gt;&amp;&quot;x&quot;.txt</a>");
	size_t space = pos_of(page, "<a href=\"a%20file.txt\">a file.txt</a>");
	size_t colon = pos_of(page, "<a href=\"a%3Ab\">a:b</a>");
	size_t b = pos_of(page, "<a href=\"b.txt\">b.txt</a>");
	size_t updown = pos_of(page, "<a href=\"updown\">updown</a>");
	size_t esc = pos_of(page, "<a href=\"zz_escape\">zz_escape</a>");
	/* directories first, then byte order */
	cr_expect(up < adir && adir < zdir && zdir < html);
	cr_expect(html < space && space < colon);
	/* dot files are not listed (nginx, lighttpd), nor names a request
	 * cannot reach (path_canonical refuses them: a dead link) */
	cr_expect_null(strstr(page, ".hidden"));
	cr_expect_null(strstr(page, "slash"));
	cr_expect_null(strstr(page, "name</a>"));
	cr_expect(colon < b && b < updown && updown < esc);
	cr_expect_null(strstr(page, "href=\"./\""));
	pos_of(page, "<title>Index of /sub/</title>");
	/* b.txt is 3 bytes, dated 1994-11-06 08:49 UTC */
	pos_of(page, "b.txt</a></td><td>1994-11-06 08:49</td><td>3</td>");
	/* a symlink leading out of the root shows nothing about its target */
	pos_of(page, "zz_escape</a></td><td></td><td>-</td>");
	free(page);
	response_reset(&o.resp);

	req.method = HTTP_HEAD;
	serve_req(&loc, &req, "/sub/", &o);
	cr_expect_eq(o.status, 200);
	cr_expect_eq(o.resp.body_kind, BODY_NONE);
	cr_expect_str_eq(HDR(&o, "Content-Length"), len_text);
	response_reset(&o.resp);

	req.method = HTTP_GET;
	serve_req(&loc, &req, "/", &o);
	cr_assert_eq(o.status, 200);
	page = strndup(o.resp.mem, o.resp.mem_len);
	cr_expect_null(strstr(page, "../"), "no parent link at /");
	pos_of(page, "<a href=\"my%20dir/\">my dir/</a>");
	/* a symlink to a directory inside the root is listed as one */
	pos_of(page, "<a href=\"indir/\">indir/</a>");
	free(page);
	response_reset(&o.resp);
}

struct status_case {
	const char *path;
	int status;
	const char *why;
};

static const struct status_case status_cases[] = {
    {"/inlink", 200, "symlink inside the root"},
    {"/indir/b.txt", 200, "through a symlinked dir inside"},
    {"/sub/updown", 403, "leaves the root, even if it comes back"},
    {"/passwd", 403, "absolute symlink out"},
    {"/rel_escape", 403, "relative symlink out"},
    {"/escdir/passwd", 403, "symlinked dir out"},
    {"/escdir/", 403, "symlinked dir out, itself"},
    {"/fifo", 403, "neither file nor directory"},
    {"/missing", 404, "missing"},
    {"/sub/missing/x", 404, "missing parent"},
    {"/hello.txt/x", 404, "ENOTDIR"},
    {"/hello.txt/", 404, "a file named as a directory"},
};

Test(static_files, statuses)
{
	for (size_t i = 0; i < sizeof(status_cases) / sizeof(status_cases[0]);
	     i++) {
		struct outcome o;
		serve("GET", status_cases[i].path, &o);
		cr_expect_eq(o.status, status_cases[i].status, "%s: %s",
			     status_cases[i].path, status_cases[i].why);
		if (o.status >= 400)
			cr_expect_eq(o.resp.status, 0, "%s untouched",
				     status_cases[i].path);
		response_reset(&o.resp);
	}
}

Test(static_files, unreadable_file)
{
	char p[PATH_MAX * 2];
	struct outcome o;

	if (geteuid() == 0) {
		teardown();
		cr_skip_test("root reads everything");
	}
	put("secret.txt", "s");
	snprintf(p, sizeof(p), "%s/secret.txt", root);
	cr_assert_eq(chmod(p, 0), 0);
	serve("GET", "/secret.txt", &o);
	cr_expect_eq(o.status, 403);
}

Test(static_files, alias_location)
{
	char alias[PATH_MAX * 2], hbuf[256], body[16];
	struct outcome o;
	struct http_request req = {.method = HTTP_GET};

	snprintf(alias, sizeof(alias), "%s/sub", root);
	struct location loc = {
	    .path = "/files/",
	    .path_len = 7,
	    .alias = alias,
	    .index = index_names,
	    .index_count = 2,
	};
	serve_req(&loc, &req, "/files/b.txt", &o);
	cr_assert_eq(o.status, 200);
	cr_expect_str_eq(HDR(&o, "Content-Length"), "3");
	read_body(&o.resp, body, sizeof(body));
	cr_expect_str_eq(body, "bbb");
	response_reset(&o.resp);
	serve_req(&loc, &req, "/files", &o);
	cr_expect_eq(o.status, 301);
	cr_expect_str_eq(HDR(&o, "Location"), "/files/");
	response_reset(&o.resp);
	/* zz_escape leaves the alias */
	serve_req(&loc, &req, "/files/zz_escape", &o);
	cr_expect_eq(o.status, 403);
}

Test(static_files, open_beneath_and_nofollow)
{
	int fd;

	fd = static_open_beneath(root, "sub/b.txt", O_RDONLY, 0);
	cr_expect_geq(fd, 0);
	cr_expect(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	fd = static_open_beneath(root, "inlink", O_RDONLY, 0);
	cr_expect_geq(fd, 0);
	close(fd);
	errno = 0;
	cr_expect_eq(static_open_beneath(root, "passwd", O_RDONLY, 0), -1);
	cr_expect_eq(errno, EXDEV);
	errno = 0;
	cr_expect_eq(static_open_beneath(root, "rel_escape", O_RDONLY, 0), -1);
	cr_expect_eq(errno, EXDEV);
	errno = 0;
	cr_expect_eq(static_open_beneath(root, "../outside.txt", O_RDONLY, 0),
		     -1);
	cr_expect_eq(errno, EXDEV);
	errno = 0;
	cr_expect_eq(static_open_beneath(root, "/etc/passwd", O_RDONLY, 0), -1);
	cr_expect_eq(errno, EXDEV);
	/* creating works beneath, with the mode */
	fd = static_open_beneath(root, "sub/new.txt",
				 O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_expect_geq(fd, 0);
	close(fd);

	/* the no-openat2 fallback: every symlink refused */
	fd = static_open_nofollow(root, "sub/b.txt", O_RDONLY, 0);
	cr_expect_geq(fd, 0);
	close(fd);
	fd = static_open_nofollow(root, ".", O_RDONLY | O_DIRECTORY, 0);
	cr_expect_geq(fd, 0);
	close(fd);
	fd = static_open_nofollow(root, "sub/", O_RDONLY | O_DIRECTORY, 0);
	cr_expect_geq(fd, 0);
	close(fd);
	errno = 0;
	cr_expect_eq(static_open_nofollow(root, "inlink", O_RDONLY, 0), -1);
	cr_expect_eq(errno, ELOOP);
	errno = 0;
	cr_expect_eq(static_open_nofollow(root, "inlink", O_PATH, 0), -1);
	cr_expect_eq(errno, ELOOP);
	errno = 0;
	cr_expect_eq(static_open_nofollow(root, "indir/b.txt", O_RDONLY, 0),
		     -1);
	cr_expect_eq(errno, ELOOP);
	errno = 0;
	cr_expect_eq(
	    static_open_nofollow(root, "sub/../hello.txt", O_RDONLY, 0), -1);
	cr_expect_eq(errno, EXDEV);
	errno = 0;
	cr_expect_eq(static_open_nofollow(root, "hello.txt/", O_RDONLY, 0), -1);
	cr_expect_eq(errno, ENOTDIR);
	errno = 0;
	cr_expect_eq(static_open_nofollow(root, "nope/x", O_RDONLY, 0), -1);
	cr_expect_eq(errno, ENOENT);
}

struct map_case {
	const char *loc_path;
	bool alias;
	const char *path;
	int rc;
	const char *base;
	const char *rel;
};

static const struct map_case map_cases[] = {
    {"/", false, "/", 0, "/srv/www", "."},
    {"/", false, "/a/b.html", 0, "/srv/www", "a/b.html"},
    {"/", false, "/a/b/", 0, "/srv/www", "a/b/"},
    {"/img/", false, "/img/x.png", 0, "/srv/www", "img/x.png"},
    {"/cgi-bin/", true, "/cgi-bin/x.py", 0, "/srv/cgi", "x.py"},
    {"/cgi-bin/", true, "/cgi-bin/", 0, "/srv/cgi", "."},
    {"/cgi-bin/", true, "/cgi-bin", 0, "/srv/cgi", "."},
    {"/cgi-bin/", true, "/cgi-bin/d/e", 0, "/srv/cgi", "d/e"},
    {"/static", true, "/static/a.css", 0, "/srv/cgi", "a.css"},
    {"/static", true, "/static", 0, "/srv/cgi", "."},
    {"/cgi-bin/", true, "/other/x", -1, NULL, NULL},
    {"/static", true, "/staticx/a.css", -1, NULL, NULL},
};

Test(static_map, table)
{
	for (size_t i = 0; i < sizeof(map_cases) / sizeof(map_cases[0]); i++) {
		const struct map_case *c = &map_cases[i];
		struct location loc = {
		    .path = (char *)c->loc_path,
		    .path_len = strlen(c->loc_path),
		    .root = c->alias ? NULL : "/srv/www",
		    .alias = c->alias ? "/srv/cgi" : NULL,
		};
		const char *base = NULL;
		char rel[64] = "";
		int rc = static_map(&loc, c->path, strlen(c->path), &base, rel,
				    sizeof(rel));
		cr_expect_eq(rc, c->rc, "case %zu", i);
		if (rc != 0)
			continue;
		cr_expect_str_eq(base, c->base, "case %zu", i);
		cr_expect_str_eq(rel, c->rel, "case %zu", i);
	}
}

Test(static_map, too_long)
{
	struct location loc = {.path = "/", .path_len = 1, .root = "/srv"};
	const char *base;
	char rel[8];

	cr_expect_eq(static_map(&loc, "/abcdefg", 8, &base, rel, 8), 0);
	cr_expect_str_eq(rel, "abcdefg");
	errno = 0;
	cr_expect_eq(static_map(&loc, "/abcdefgh", 9, &base, rel, 8), -1);
	cr_expect_eq(errno, ENAMETOOLONG);
}

struct range_case {
	const char *value;
	uint64_t size;
	enum range_result result;
	uint64_t first, last;
};

#define BIG "99999999999999999999999999" /* > UINT64_MAX */

static const struct range_case range_cases[] = {
    {"bytes=0-0", 10, RANGE_OK, 0, 0},
    {"bytes=0-9", 10, RANGE_OK, 0, 9},
    {"bytes=0-10", 10, RANGE_OK, 0, 9},
    {"bytes=3-", 10, RANGE_OK, 3, 9},
    {"bytes=9-", 10, RANGE_OK, 9, 9},
    {"bytes=-1", 10, RANGE_OK, 9, 9},
    {"bytes=-10", 10, RANGE_OK, 0, 9},
    {"bytes=-11", 10, RANGE_OK, 0, 9},
    {"BYTES=2-4", 10, RANGE_OK, 2, 4},
    {"bytes= 2-4 ", 10, RANGE_OK, 2, 4},
    {"bytes=2-4,", 10, RANGE_OK, 2, 4},
    {"bytes=,2-4", 10, RANGE_OK, 2, 4},
    {"bytes=0-" BIG, 10, RANGE_OK, 0, 9},
    {"bytes=-" BIG, 10, RANGE_OK, 0, 9},
    {"bytes=10-", 10, RANGE_UNSATISFIABLE, 0, 0},
    {"bytes=10-20", 10, RANGE_UNSATISFIABLE, 0, 0},
    {"bytes=" BIG "-", 10, RANGE_UNSATISFIABLE, 0, 0},
    {"bytes=-0", 10, RANGE_UNSATISFIABLE, 0, 0},
    {"bytes=0-", 0, RANGE_UNSATISFIABLE, 0, 0},
    {"bytes=-5", 0, RANGE_UNSATISFIABLE, 0, 0},
    {"bytes=0-1,5-6", 10, RANGE_NONE, 0, 0},
    {"bytes=0-1, -2", 10, RANGE_NONE, 0, 0},
    {"bytes=5-4", 10, RANGE_NONE, 0, 0},
    {"bytes=-", 10, RANGE_NONE, 0, 0},
    {"bytes=", 10, RANGE_NONE, 0, 0},
    {"bytes=a-b", 10, RANGE_NONE, 0, 0},
    {"bytes=1", 10, RANGE_NONE, 0, 0},
    {"bytes=1-2x", 10, RANGE_NONE, 0, 0},
    {"bytes=+1-2", 10, RANGE_NONE, 0, 0},
    {"bytes=1 -2", 10, RANGE_NONE, 0, 0},
    {"bytes 0-1", 10, RANGE_NONE, 0, 0},
    {"bits=0-1", 10, RANGE_NONE, 0, 0},
    {"", 10, RANGE_NONE, 0, 0},
};

Test(static_range, table)
{
	for (size_t i = 0; i < sizeof(range_cases) / sizeof(range_cases[0]);
	     i++) {
		const struct range_case *c = &range_cases[i];
		uint64_t first = 77, last = 77;
		enum range_result r = static_parse_range(
		    c->value, strlen(c->value), c->size, &first, &last);
		cr_expect_eq(r, c->result, "case %zu \"%s\"", i, c->value);
		if (r == RANGE_OK && c->result == RANGE_OK) {
			cr_expect_eq(first, c->first, "case %zu", i);
			cr_expect_eq(last, c->last, "case %zu", i);
		}
	}
}

struct date_case {
	const char *text;
	int rc;
	time_t t;
};

static const struct date_case date_cases[] = {
    {"Sun, 06 Nov 1994 08:49:37 GMT", 0, 784111777},
    {"Sunday, 06-Nov-94 08:49:37 GMT", 0, 784111777},
    {"Sun Nov  6 08:49:37 1994", 0, 784111777},
    {"Sun Nov 06 08:49:37 1994", 0, 784111777},
    {"Thu, 01 Jan 1970 00:00:00 GMT", 0, 0},
    {"Tue, 29 Feb 2000 23:59:59 GMT", 0, 951868799},
    {"Sat, 01 Jan 2000 00:00:00 GMT", 0, 946684800},
    /* two-digit years: at most 50 years ahead (2070 while before 2070) */
    {"Thursday, 01-Jan-70 00:00:00 GMT", 0, 3155760000},
    {"Saturday, 01-Jan-00 00:00:00 GMT", 0, 946684800},
    {"Wed Feb 29 12:00:00 2012", 0, 1330516800},
    /* garbage */
    {"", -1, 0},
    {"yesterday", -1, 0},
    {"Sun, 06 Nov 1994 08:49:37", -1, 0},
    {"Sun, 06 Nov 1994 08:49:37 UTC", -1, 0},
    {"Sun, 06 Nov 1994 08:49:37 GMT ", -1, 0},
    {"Sun, 6 Nov 1994 08:49:37 GMT", -1, 0},
    {"Sun, 06 nov 1994 08:49:37 GMT", -1, 0},
    {"Sun, 06 Nov 94 08:49:37 GMT", -1, 0},
    {"Sun, 32 Nov 1994 08:49:37 GMT", -1, 0},
    {"Sun, 31 Nov 1994 08:49:37 GMT", -1, 0},
    {"Sun, 29 Feb 1900 08:49:37 GMT", -1, 0},
    {"Sun, 00 Nov 1994 08:49:37 GMT", -1, 0},
    {"Sun, 06 Nov 1994 24:00:00 GMT", -1, 0},
    {"Sun, 06 Nov 1994 08:60:00 GMT", -1, 0},
    {"Sun, 06 Nov 1994 08:49:61 GMT", -1, 0},
    {"Sun, 06 Nov 1994 8:49:37 GMT", -1, 0},
    {"Xyz, 06 Nov 1994 08:49:37 GMT", -1, 0},
    {"Sun,06 Nov 1994 08:49:37 GMT", -1, 0},
    {"Sunday, 06-Nov-1994 08:49:37 GMT", -1, 0},
    {"Sunday 06-Nov-94 08:49:37 GMT", -1, 0},
    {"Sun Nov  6 08:49:37 94", -1, 0},
    {"Sun Nov 6 08:49:37 1994", -1, 0},
    {"Sun Nov  6 08:49:37 1994 GMT", -1, 0},
    {"Sun, 06 Nov 1994 08:49:37 GMT\0", -1, 0},
};

Test(static_date, parse_table)
{
	for (size_t i = 0; i < sizeof(date_cases) / sizeof(date_cases[0]);
	     i++) {
		const struct date_case *c = &date_cases[i];
		size_t len = strlen(c->text);
		if (i == sizeof(date_cases) / sizeof(date_cases[0]) - 1)
			len++; /* the embedded NUL counts */
		time_t t = 12345;
		int rc = http_parse_date(c->text, len, &t);
		cr_expect_eq(rc, c->rc, "case %zu \"%s\"", i, c->text);
		if (rc == 0 && c->rc == 0)
			cr_expect_eq(t, c->t, "case %zu: %lld", i,
				     (long long)t);
	}
}

Test(static_date, only_len_bytes)
{
	time_t t;
	const char *s = "Sun, 06 Nov 1994 08:49:37 GMTXYZ";
	cr_expect_eq(http_parse_date(s, 29, &t), 0);
	cr_expect_eq(t, 784111777);
	cr_expect_eq(http_parse_date(s, 28, &t), -1);
}

Test(static_etag, format)
{
	struct stat st = {0};
	char out[64];

	st.st_ino = 0x2a;
	st.st_mtim.tv_sec = 1;
	st.st_mtim.tv_nsec = 5;
	st.st_size = 255;
	/* inode 42; 1 s + 5 ns = 1000000005 ns = 0x3b9aca05; 255 bytes */
	cr_expect_eq(static_etag(&st, out, sizeof(out)), 16);
	cr_expect_str_eq(out, "\"2a-3b9aca05-ff\"");
	cr_expect_eq(static_etag(&st, out, 16), 0);
	cr_expect_str_eq(out, "");
	st.st_mtim.tv_nsec = 6;
	cr_expect_eq(static_etag(&st, out, sizeof(out)), 16);
	cr_expect_str_eq(out, "\"2a-3b9aca06-ff\"");
	/* same size, same tick, another file (an upload renamed over it) */
	st.st_ino = 0x2b;
	cr_expect_eq(static_etag(&st, out, sizeof(out)), 16);
	cr_expect_str_eq(out, "\"2b-3b9aca06-ff\"");
}

/* RFC 9110 §5.6.7: a two-digit year more than 50 years ahead is in the
 * past century; exactly 50 ahead is not. */
Test(static_date, rfc850_year_window)
{
	time_t now = time(NULL), t;
	struct tm tm;
	char text[64];

	cr_assert_not_null(gmtime_r(&now, &tm));
	int year = tm.tm_year + 1900;
	for (int ahead = 49; ahead <= 52; ahead++) {
		int want = year + ahead > year + 50 ? year + ahead - 100
						    : year + ahead;
		snprintf(text, sizeof(text), "Monday, 01-Jan-%02d 00:00:00 GMT",
			 (year + ahead) % 100);
		cr_assert_eq(http_parse_date(text, strlen(text), &t), 0);
		cr_assert_not_null(gmtime_r(&t, &tm));
		cr_expect_eq(tm.tm_year + 1900, want, "%s", text);
	}
}
