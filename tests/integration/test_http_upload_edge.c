/*
 * Integration tests of writes at the edges (DESIGN.md §7 "Writes"):
 * a write never lands outside upload_dir (dot segments, encoded slashes,
 * symlinks inside the upload area), client file names are reduced to
 * safe base names, percent-encoded names are decoded once, and a
 * multipart body split at every awkward place across reads is stored
 * exactly.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness_extra.h"

#define EDGE_CFG                                                               \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"off\"; };\n"                                  \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"                   \
	"  root = \"@DIR@/www\";\n"                                            \
	"  locations = ( { path = \"/\"; },\n"                                 \
	"    { path = \"/up/\"; alias = \"@DIR@/up\";\n"                       \
	"      upload_dir = \"@DIR@/up\"; } );\n"                              \
	"} );\n"

#define ORIGINAL "original, must survive\n"

static int edge_files(const char *dir)
{
	char link[512], target[512];
	int rc = hx_mkdir(dir, "up");

	rc |= hx_mkdir(dir, "outside");
	rc |= write_file(dir, "outside/victim.txt", ORIGINAL, -1);
	rc |= write_file(dir, "www/victim.txt", ORIGINAL, -1);
	/* a directory link and a file link out of the upload area */
	rc |= symlink("../outside",
		      hx_path(link, sizeof(link), dir, "up/outlink"));
	rc |= symlink(hx_path(target, sizeof(target), dir, "www/victim.txt"),
		      hx_path(link, sizeof(link), dir, "up/filelink"));
	return rc ? -1 : 0;
}

static void start(struct srv *s)
{
	cr_assert_eq(hx_start(s, EDGE_CFG, edge_files), 0,
		     "webserv did not start");
}

static void expect_intact(const struct srv *s, const char *name)
{
	char path[512];
	char *text = read_file(hx_path(path, sizeof(path), s->dir, name), NULL);

	cr_expect(text && strcmp(text, ORIGINAL) == 0, "%s was changed: %s",
		  name, text ? text : "(removed)");
	free(text);
}

/* No file of that name anywhere in dir/up's parent, dir or outside/. */
static void expect_absent(const struct srv *s, const char *name)
{
	static const char *const places[] = {"", "www/", "outside/"};
	char rel[300], path[600];

	for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		snprintf(rel, sizeof(rel), "%s%s", places[i], name);
		cr_expect_neq(
		    access(hx_path(path, sizeof(path), s->dir, rel), F_OK), 0,
		    "%s written outside upload_dir", rel);
	}
}

Test(http, writes_never_leave_the_upload_area, .fini = hx_fini)
{
	static const char *const puts[] = {
	    "/up/../www/victim.txt",
	    "/up/%2e%2e/www/victim.txt",
	    "/up/..%2fwww%2fvictim.txt",
	    "/up/%2E%2E%2Fwww%2Fvictim.txt",
	    "/up/..%5cwww%5cvictim.txt",
	    "/up/outlink/victim.txt", /* through a directory symlink */
	    "/up/outlink/new.txt",
	    "/up/filelink", /* replaces the link, never its target */
	    "/up/../escaped.txt",
	    "/up/%2e%2e/escaped.txt",
	};
	struct srv s;

	start(&s);
	for (size_t i = 0; i < sizeof(puts) / sizeof(puts[0]); i++) {
		char raw[512];
		struct http_resp r = {0};

		snprintf(raw, sizeof(raw),
			 "PUT %s HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n"
			 "Connection: close\r\n\r\nPWNED\n",
			 puts[i]);
		if (http_do(s.port, raw, &r) == 0)
			cr_expect(r.status != 500, "%s: 500", puts[i]);
		http_resp_free(&r);
	}
	static const char *const deletes[] = {
	    "/up/outlink/victim.txt",
	    "/up/../www/victim.txt",
	    "/up/%2e%2e/outside/victim.txt",
	};
	for (size_t i = 0; i < sizeof(deletes) / sizeof(deletes[0]); i++) {
		char raw[512];

		snprintf(raw, sizeof(raw),
			 "DELETE %s HTTP/1.1\r\nHost: a\r\n"
			 "Connection: close\r\n\r\n",
			 deletes[i]);
		cr_expect_neq(hx_status(s.port, raw), 204, "DELETE %s",
			      deletes[i]);
	}
	expect_intact(&s, "www/victim.txt");
	expect_intact(&s, "outside/victim.txt");
	expect_absent(&s, "new.txt");
	expect_absent(&s, "escaped.txt");
	srv_stop(&s);
}

Test(http, percent_encoded_names_are_decoded_once, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char path[512];

	start(&s);
	cr_assert_eq(http_do(s.port,
			     "PUT /up/a%20b%2541.txt HTTP/1.1\r\nHost: a\r\n"
			     "Content-Length: 3\r\nConnection: close\r\n\r\n"
			     "abc",
			     &r),
		     0);
	cr_expect_eq(r.status, 201);
	http_resp_free(&r);
	/* "%2541" is "%41" once decoded, never "A" */
	cr_expect_eq(
	    access(hx_path(path, sizeof(path), s.dir, "up/a b%41.txt"), F_OK),
	    0, "not stored as \"a b%%41.txt\"");
	cr_assert_eq(http_get(s.port, "/up/a%20b%2541.txt", &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "abc");
	http_resp_free(&r);
	srv_stop(&s);
}

#define BND "edgeBoundary"

/* One multipart file part, the given filename. */
static size_t one_part(char *out, size_t cap, const char *filename,
		       const char *content)
{
	return (size_t)snprintf(out, cap,
				"--" BND "\r\nContent-Disposition: form-data; "
				"name=\"f\"; filename=\"%s\"\r\n\r\n%s\r\n"
				"--" BND "--\r\n",
				filename, content);
}

static int post_multipart(int port, const char *body, size_t len, size_t piece,
			  struct http_resp *r)
{
	char head[256];
	int one = 1, fd = http_connect(port);

	cr_assert(fd >= 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	snprintf(head, sizeof(head),
		 "POST /up/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
		 "Content-Type: multipart/form-data; boundary=" BND "\r\n"
		 "Content-Length: %zu\r\n\r\n",
		 len);
	cr_assert_eq(send_all(fd, head, strlen(head)), 0);
	for (size_t off = 0; off < len; off += piece) {
		size_t n = len - off < piece ? len - off : piece;
		cr_assert_eq(send_all(fd, body + off, n), 0);
		if (piece < len)
			usleep(300);
	}
	int rc = http_read(fd, r, false);
	close(fd);
	return rc;
}

Test(http, client_file_names_become_safe_base_names, .fini = hx_fini)
{
	static const struct {
		const char *filename;
		const char *stored; /* NULL: a generated name */
	} cases[] = {
	    {"/etc/passwd", "passwd"},
	    {"C:\\\\Users\\\\me\\\\report.pdf", "report.pdf"},
	    {"..\\\\..\\\\win.ini", "win.ini"},
	    {".htaccess", "htaccess"},
	    {"a<b>|c.txt", NULL},
	    {"..", NULL},
	};
	struct srv s;
	char body[1024], path[512], names[2048];

	start(&s);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_resp r;
		size_t n =
		    one_part(body, sizeof(body), cases[i].filename, "content");

		cr_assert_eq(post_multipart(s.port, body, n, n, &r), 0);
		cr_expect_eq(r.status, 201, "%s: %d", cases[i].filename,
			     r.status);
		http_resp_free(&r);
	}
	/* each expected name is there (as a suffix: quoted-pair escapes in
	 * the filename may or may not have been undone first) */
	int count = hx_list_dir(hx_path(path, sizeof(path), s.dir, "up"), names,
				sizeof(names));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *want = cases[i].stored;
		size_t wlen = want ? strlen(want) : 0;
		bool found = false;

		for (const char *p = names; want && *p;) {
			size_t len = strcspn(p, "/");
			found |=
			    len >= wlen && !memcmp(p + len - wlen, want, wlen);
			p += len + (p[len] == '/');
		}
		cr_expect(!want || found, "%s not stored as *%s: %s",
			  cases[i].filename, want, names);
	}
	/* every name safe: [A-Za-z0-9._-], no leading dot */
	cr_expect_eq(count, 2 + (int)(sizeof(cases) / sizeof(cases[0])),
		     "up/: %s", names);
	for (char *name = strtok(names, "/"); name; name = strtok(NULL, "/")) {
		if (!strcmp(name, "outlink") || !strcmp(name, "filelink"))
			continue;
		cr_expect(name[0] != '.', "hidden name %s", name);
		cr_expect(strspn(name,
				 "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
			      strlen(name),
			  "unsafe name %s", name);
	}
	srv_stop(&s);
}

/*
 * The same multipart body sent in pieces of 1, 2, 3, 7 and 13 bytes:
 * boundaries, CRLFs and part headers split across reads everywhere.
 */
Test(http, multipart_split_across_reads, .fini = hx_fini, .timeout = 60)
{
	static const size_t pieces[] = {1, 2, 3, 7, 13};
	struct srv s;
	static char body[4096];
	char content[600], name[64], path[512];

	/* content full of near-delimiters and line ends */
	size_t c = 0;
	for (int i = 0; c + 40 < sizeof(content); i++)
		c += (size_t)snprintf(content + c, sizeof(content) - c,
				      "\r\n--edgeBoundar%c\r\n-\r",
				      '0' + i % 10);
	start(&s);
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		struct http_resp r;
		snprintf(name, sizeof(name), "split%zu.txt", pieces[i]);
		size_t n = one_part(body, sizeof(body), name, content);

		cr_assert_eq(post_multipart(s.port, body, n, pieces[i], &r), 0,
			     "pieces of %zu: no response", pieces[i]);
		cr_expect_eq(r.status, 201, "pieces of %zu: %d", pieces[i],
			     r.status);
		http_resp_free(&r);
		char rel[128];
		snprintf(rel, sizeof(rel), "up/%s", name);
		size_t len = 0;
		char *got =
		    read_file(hx_path(path, sizeof(path), s.dir, rel), &len);
		cr_expect(got && len == c && memcmp(got, content, c) == 0,
			  "pieces of %zu: stored content differs", pieces[i]);
		free(got);
	}
	srv_stop(&s);
}

/* One request on its own connection: the status, the ETag into etag
 * (may be NULL), and whether the response had a typed body. */
static int cond_req(int port, const char *method, const char *path,
		    const char *cond, const char *body, char *etag,
		    bool *typed_body)
{
	char raw[1024], ctype[128];
	struct http_resp r;
	int status;

	snprintf(raw, sizeof(raw),
		 "%s %s HTTP/1.1\r\nHost: a\r\n%s%s"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		 method, path, cond, cond[0] ? "\r\n" : "", strlen(body), body);
	cr_assert_eq(http_do(port, raw, &r), 0, "%s %s %s: no response", method,
		     path, cond);
	status = r.status;
	if (etag && !resp_header(&r, "ETag", etag, 128))
		etag[0] = '\0';
	if (typed_body)
		*typed_body =
		    r.body_len > 0 &&
		    resp_header(&r, "Content-Type", ctype, sizeof(ctype));
	http_resp_free(&r);
	return status;
}

static void expect_content_is(const struct srv *s, const char *name,
			      const char *want)
{
	char path[512];
	char *text = read_file(hx_path(path, sizeof(path), s->dir, name), NULL);

	if (want == NULL)
		cr_expect_null(text, "%s exists", name);
	else
		cr_expect(text && strcmp(text, want) == 0, "%s holds %s", name,
			  text ? text : "(nothing)");
	free(text);
}

#define PAST "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT"

/*
 * RFC 9110 §13.1.1-13.1.4 on writes: a PUT or DELETE whose precondition
 * fails is 412 and leaves the file as it was; the ETag a GET sends is
 * the one a conditional PUT is compared with.
 */
Test(http, conditional_put_and_delete_are_412_and_change_nothing,
     .fini = hx_fini)
{
	struct srv s;
	char etag[128], cond[256];
	bool page = false;

	start(&s);
	cr_assert_eq(cond_req(s.port, "PUT", "/up/c.txt", "", "v1", NULL, NULL),
		     201);
	cr_assert_eq(cond_req(s.port, "GET", "/up/c.txt", "", "", etag, NULL),
		     200);
	cr_assert(etag[0], "GET sent no ETag");
	static const struct {
		const char *method, *path, *cond;
	} refused[] = {
	    {"PUT", "/up/c.txt", "If-None-Match: *"},
	    {"PUT", "/up/c.txt", "If-Match: \"stale\""},
	    {"PUT", "/up/c.txt", PAST},
	    {"PUT", "/up/none.txt", "If-Match: *"},
	    {"PUT", "/up/none.txt", "If-Match: \"nope\""},
	    {"DELETE", "/up/c.txt", "If-Match: \"stale\""},
	    {"DELETE", "/up/c.txt", PAST},
	    {"GET", "/up/c.txt", "If-Match: \"stale\""},
	    {"GET", "/up/c.txt", PAST},
	    {"HEAD", "/up/c.txt", "If-Match: \"stale\""},
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const char *body = strcmp(refused[i].method, "PUT") ? "" : "XX";
		bool typed = false;
		int got =
		    cond_req(s.port, refused[i].method, refused[i].path,
			     refused[i].cond, body, NULL,
			     strcmp(refused[i].method, "HEAD") ? &typed : NULL);
		cr_expect_eq(got, 412, "%s %s %s: %d", refused[i].method,
			     refused[i].path, refused[i].cond, got);
		page |= typed;
	}
	cr_expect(page, "412 without an error page");
	expect_content_is(&s, "up/c.txt", "v1");
	expect_content_is(&s, "up/none.txt", NULL);
	/* the validators hold: the request goes on */
	snprintf(cond, sizeof(cond), "If-Match: %s", etag);
	cr_expect_eq(cond_req(s.port, "GET", "/up/c.txt", cond, "", NULL, NULL),
		     200);
	cr_expect_eq(
	    cond_req(s.port, "PUT", "/up/c.txt", cond, "v2", NULL, NULL), 204);
	expect_content_is(&s, "up/c.txt", "v2");
	/* the old tag is stale now */
	cr_expect_eq(
	    cond_req(s.port, "DELETE", "/up/c.txt", cond, "", NULL, NULL), 412);
	cr_expect_eq(cond_req(s.port, "PUT", "/up/n.txt", "If-None-Match: *",
			      "new", NULL, NULL),
		     201);
	expect_content_is(&s, "up/n.txt", "new");
	cr_expect_eq(cond_req(s.port, "GET", "/up/c.txt", "", "", etag, NULL),
		     200);
	snprintf(cond, sizeof(cond), "If-Match: \"x\", %s", etag);
	cr_expect_eq(
	    cond_req(s.port, "DELETE", "/up/c.txt", cond, "", NULL, NULL), 204);
	expect_content_is(&s, "up/c.txt", NULL);
	srv_stop(&s);
}

/* A refused PUT never reads its body: with Expect: 100-continue the 412
 * comes at once, without 100 Continue, and nothing is written. */
Test(http, conditional_put_412_before_the_body, .fini = hx_fini)
{
	struct srv s;
	char head[8192];
	int fd;

	start(&s);
	cr_assert_eq(cond_req(s.port, "PUT", "/up/e.txt", "", "v1", NULL, NULL),
		     201);
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	static const char req[] = "PUT /up/e.txt HTTP/1.1\r\nHost: a\r\n"
				  "If-None-Match: *\r\nExpect: 100-continue\r\n"
				  "Content-Length: 1000000\r\n\r\n";
	cr_assert_eq(send_all(fd, req, sizeof(req) - 1), 0);
	cr_assert_gt(hx_read_head_raw(fd, head, sizeof(head), 5000), 0);
	cr_expect(strncmp(head, "HTTP/1.1 412 ", 13) == 0, "got %.40s", head);
	close(fd);
	expect_content_is(&s, "up/e.txt", "v1");
	srv_stop(&s);
}
