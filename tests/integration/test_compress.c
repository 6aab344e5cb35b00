/*
 * Integration tests of compression (DESIGN.md §10, issue 15) over real
 * sockets: precompressed siblings (static_compressed) and on-the-fly
 * gzip / brotli (compress) of static files and CGI output.  Every body
 * is decoded by an independent tool (gzip -d, brotli -d) and compared
 * with the file it came from.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness_extra.h"

#define COMP_CFG                                                               \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"@DIR@/access.log\"; };\n"                     \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"                   \
	"  root = \"@DIR@/www\";\n"                                            \
	"  locations = (\n"                                                    \
	"    { path = \"/pre/\"; static_compressed = [ \"br\", \"gzip\" ]; "   \
	"},\n"                                                                 \
	"    { path = \"/fly/\"; compress = [ \"br\", \"gzip\" ]; },\n"        \
	"    { path = \"/status\"; status = true; },\n"                        \
	"    { path = \"/cgi/\"; compress = [ \"gzip\", \"br\" ];\n"           \
	"      cgi = ( { ext = \".sh\"; interpreter = \"/bin/sh\"; } ); }\n"   \
	"  ); } );\n"

/* n bytes of HTML-like text that compresses well but not trivially. */
static char *make_text(size_t n)
{
	static const char *const words[] = {"<p>",	   "</p>\n",
					    "the ",	   "server ",
					    "compresses ", "<a href=\"/x\">",
					    "</a> ",	   "once ",
					    "and ",	   "serves ",
					    "it ",	   "from ",
					    "memory ",	   "<div class=\"c\">",
					    "</div>\n",	   "42 "};
	char *t = malloc(n + 1);
	unsigned x = 12345;
	size_t i = 0;

	cr_assert_not_null(t);
	while (i < n) {
		x = x * 1103515245u + 12345u;
		const char *w = words[(x >> 16) % 16];
		for (; *w && i < n; w++)
			t[i++] = *w;
	}
	t[n] = '\0';
	return t;
}

static char *file_of(const char *dir, const char *name, size_t *len)
{
	char path[512];

	return read_file(hx_path(path, sizeof(path), dir, name), len);
}

static int sh(const char *fmt, const char *dir)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), fmt, dir, dir, dir, dir);
	return system(cmd);
}

/* body[0..len) decoded by "gzip -dc" or "brotli -dc": malloc'd. */
static char *decode(const char *dir, const char *enc, const char *body,
		    size_t len, size_t *out_len)
{
	char path[512], cmd[1200];
	FILE *f;

	hx_path(path, sizeof(path), dir, "decode.in");
	f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(body, 1, len, f), len);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s -dc < %s > %s.out",
		 strcmp(enc, "br") == 0 ? "brotli" : "gzip", path, path);
	cr_assert_eq(system(cmd), 0, "%s failed", cmd);
	snprintf(cmd, sizeof(cmd), "%s.out", path);
	char *out = read_file(cmd, out_len);
	cr_assert_not_null(out);
	return out;
}

static void expect_decodes_to(const char *dir, const struct http_resp *r,
			      const char *enc, const char *want,
			      size_t want_len)
{
	char ce[64];
	size_t got_len;

	cr_assert(resp_header(r, "Content-Encoding", ce, sizeof(ce)),
		  "no Content-Encoding (want %s)", enc);
	cr_assert_str_eq(ce, enc);
	char *got = decode(dir, enc, r->body, r->body_len, &got_len);
	cr_expect_eq(got_len, want_len, "decoded %zu bytes, want %zu", got_len,
		     want_len);
	cr_expect(got_len == want_len && memcmp(got, want, want_len) == 0,
		  "decoded body differs from the file");
	free(got);
}

static void expect_vary(const struct http_resp *r)
{
	char v[128];

	cr_expect(resp_header(r, "Vary", v, sizeof(v)) &&
		      strcmp(v, "Accept-Encoding") == 0,
		  "no Vary: Accept-Encoding");
}

static int get(int port, const char *method, const char *path,
	       const char *fields, struct http_resp *r)
{
	char raw[2048];

	snprintf(raw, sizeof(raw),
		 "%s %s HTTP/1.1\r\nHost: a\r\n%s%s"
		 "Connection: close\r\n\r\n",
		 method, path, fields, *fields ? "\r\n" : "");
	cr_assert_eq(http_do(port, raw, r), 0, "%s %s: no response", method,
		     path);
	return r->status;
}

/* --- static_compressed ------------------------------------------------- */

static int pre_setup(const char *dir)
{
	char *text = make_text(30000);
	int rc = write_file(dir, "www/pre/a.css", text, -1);

	if (rc == -1 || write_file(dir, "www/pre/gz.css", text, -1) == -1) {
		free(text);
		return -1;
	}
	free(text);
	if (write_file(dir, "www/pre/only.css", "x{}\n", -1) == -1)
		return -1;
	/* siblings made by the reference tools, a second newer; gz.css
	 * has only a .gz */
	return sh("cd %s/www/pre && gzip -9 -k -c a.css > a.css.gz && "
		  "brotli -c a.css > a.css.br && "
		  "gzip -9 -k -c gz.css > gz.css.gz && "
		  "touch -d '+1 second' a.css.gz a.css.br gz.css.gz",
		  dir);
}

Test(http, static_compressed_serves_siblings, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char etag_id[128], etag_gz[128], etag_br[128], v[128], field[256];
	size_t len, gz_len, br_len;

	cr_assert_eq(hx_start(&s, COMP_CFG, pre_setup), 0);
	char *orig = file_of(s.dir, "www/pre/a.css", &len);
	char *gz = file_of(s.dir, "www/pre/a.css.gz", &gz_len);
	char *br = file_of(s.dir, "www/pre/a.css.br", &br_len);
	cr_assert(orig && gz && br);

	cr_assert_eq(
	    get(s.port, "GET", "/pre/a.css", "Accept-Encoding: gzip", &r), 200);
	expect_decodes_to(s.dir, &r, "gzip", orig, len);
	cr_expect(r.body_len == gz_len && memcmp(r.body, gz, gz_len) == 0,
		  "not the .gz file");
	cr_expect(resp_header(&r, "Content-Type", v, sizeof(v)) &&
		      strncmp(v, "text/css", 8) == 0,
		  "Content-Type %s", v);
	expect_vary(&r);
	cr_assert(resp_header(&r, "ETag", etag_gz, sizeof(etag_gz)));
	http_resp_free(&r);

	cr_assert_eq(get(s.port, "GET", "/pre/a.css",
			 "Accept-Encoding: gzip, deflate, br", &r),
		     200);
	expect_decodes_to(s.dir, &r, "br", orig, len);
	cr_expect(r.body_len == br_len && memcmp(r.body, br, br_len) == 0);
	cr_assert(resp_header(&r, "ETag", etag_br, sizeof(etag_br)));
	http_resp_free(&r);

	/* br preferred (the setting's order) but only a .gz exists: the
	 * next best coding the client takes, not identity */
	cr_assert_eq(
	    get(s.port, "GET", "/pre/gz.css", "Accept-Encoding: gzip, br", &r),
	    200);
	expect_decodes_to(s.dir, &r, "gzip", orig, len);
	expect_vary(&r);
	http_resp_free(&r);

	/* the missing .br is remembered for the cache's recheck interval
	 * (1 s), not for ever: one made now is served within a few s */
	cr_assert_eq(sh("cd %s/www/pre && brotli -c gz.css > gz.css.br && "
			"touch -d '+1 second' gz.css.br",
			s.dir),
		     0);
	bool got_br = false;
	for (int i = 0; i < 100 && !got_br; i++) {
		cr_assert_eq(get(s.port, "GET", "/pre/gz.css",
				 "Accept-Encoding: gzip, br", &r),
			     200);
		got_br = resp_header(&r, "Content-Encoding", v, sizeof(v)) &&
			 strcmp(v, "br") == 0;
		http_resp_free(&r);
		if (!got_br)
			usleep(50000);
	}
	cr_expect(got_br, "a .br made later never served");

	/* no Accept-Encoding, identity;q=0 for br only, gzip refused */
	const char *identity_fields[] = {"", "Accept-Encoding: identity",
					 "Accept-Encoding: gzip;q=0, deflate"};
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(
		    get(s.port, "GET", "/pre/a.css", identity_fields[i], &r),
		    200);
		cr_expect(!resp_header(&r, "Content-Encoding", v, sizeof(v)),
			  "%s: Content-Encoding %s", identity_fields[i], v);
		cr_expect(r.body_len == len && memcmp(r.body, orig, len) == 0);
		expect_vary(&r);
		cr_assert(resp_header(&r, "ETag", etag_id, sizeof(etag_id)));
		http_resp_free(&r);
	}
	cr_expect_str_neq(etag_id, etag_gz);
	cr_expect_str_neq(etag_id, etag_br);
	cr_expect_str_neq(etag_gz, etag_br);

	/* HEAD: the GET's headers, the sibling's length */
	cr_assert_eq(
	    get(s.port, "HEAD", "/pre/a.css", "Accept-Encoding: gzip", &r),
	    200);
	cr_expect(resp_header(&r, "Content-Length", v, sizeof(v)) &&
		      (size_t)atol(v) == gz_len,
		  "HEAD Content-Length %s", v);
	cr_expect(resp_header(&r, "Content-Encoding", v, sizeof(v)) &&
		  strcmp(v, "gzip") == 0);
	expect_vary(&r);
	http_resp_free(&r);

	/* Range applies to the representation sent */
	cr_assert_eq(get(s.port, "GET", "/pre/a.css",
			 "Accept-Encoding: gzip\r\nRange: bytes=10-29", &r),
		     206);
	cr_expect_eq(r.body_len, 20);
	cr_expect(memcmp(r.body, gz + 10, 20) == 0, "not the .gz's bytes");
	snprintf(field, sizeof(field), "bytes 10-29/%zu", gz_len);
	cr_expect(resp_header(&r, "Content-Range", v, sizeof(v)) &&
		      strcmp(v, field) == 0,
		  "Content-Range %s", v);
	http_resp_free(&r);

	/* 304 for the representation's own ETag only */
	snprintf(field, sizeof(field),
		 "Accept-Encoding: gzip\r\nIf-None-Match: %s", etag_gz);
	cr_assert_eq(get(s.port, "GET", "/pre/a.css", field, &r), 304);
	expect_vary(&r);
	cr_expect(resp_header(&r, "ETag", v, sizeof(v)) &&
		  strcmp(v, etag_gz) == 0);
	http_resp_free(&r);
	snprintf(field, sizeof(field),
		 "Accept-Encoding: br\r\nIf-None-Match: %s", etag_gz);
	cr_expect_eq(get(s.port, "GET", "/pre/a.css", field, &r), 200);
	http_resp_free(&r);
	snprintf(field, sizeof(field), "If-None-Match: %s", etag_gz);
	cr_expect_eq(get(s.port, "GET", "/pre/a.css", field, &r), 200);
	http_resp_free(&r);

	/* a file without siblings is itself, with Vary */
	cr_assert_eq(get(s.port, "GET", "/pre/only.css",
			 "Accept-Encoding: gzip, br", &r),
		     200);
	cr_expect_str_eq(r.body, "x{}\n");
	cr_expect(!resp_header(&r, "Content-Encoding", v, sizeof(v)));
	http_resp_free(&r);

	/* a sibling older than the file is stale: not served */
	cr_assert_eq(sh("touch -d '+1 hour' %s/www/pre/a.css", s.dir), 0);
	free(orig);
	orig = file_of(s.dir, "www/pre/a.css", &len);
	cr_assert_eq(
	    get(s.port, "GET", "/pre/a.css", "Accept-Encoding: gzip, br", &r),
	    200);
	cr_expect(!resp_header(&r, "Content-Encoding", v, sizeof(v)),
		  "stale sibling served (%s)", v);
	cr_expect(r.body_len == len && memcmp(r.body, orig, len) == 0);
	http_resp_free(&r);
	free(orig);
	free(gz);
	free(br);
	srv_stop(&s);
}

/* --- compress: files the cache holds ---------------------------------- */

static int fly_setup(const char *dir)
{
	char *text = make_text(20 * 1024);
	int rc = write_file(dir, "www/fly/page.html", text, -1);

	free(text);
	if (rc == -1 || write_file(dir, "www/fly/tiny.html", "small\n", -1) ||
	    write_file(dir, "www/fly/img.png",
		       "\x89PNG not really, long "
		       "enough to pass the minimum "
		       "size of 256 bytes? no: this "
		       "is its type's test only.",
		       -1))
		return -1;
	text = make_text(4000);
	rc = write_file(dir, "www/fly/data.json", text, -1);
	free(text);
	return rc;
}

Test(http, compress_cached_files_on_the_fly, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char etag_id[128], etag_gz[128], etag_br[128], v[128], field[256];
	size_t len, first_len;
	char *first;

	cr_assert_eq(hx_start(&s, COMP_CFG, fly_setup), 0);
	char *orig = file_of(s.dir, "www/fly/page.html", &len);
	cr_assert_not_null(orig);

	cr_assert_eq(
	    get(s.port, "GET", "/fly/page.html", "Accept-Encoding: gzip", &r),
	    200);
	expect_decodes_to(s.dir, &r, "gzip", orig, len);
	expect_vary(&r);
	cr_expect(r.body_len < len / 2, "gzip %zu of %zu", r.body_len, len);
	cr_expect(resp_header(&r, "Content-Type", v, sizeof(v)) &&
		  strncmp(v, "text/html", 9) == 0);
	cr_expect(resp_header(&r, "Content-Length", v, sizeof(v)) &&
		  (size_t)atol(v) == r.body_len);
	cr_assert(resp_header(&r, "ETag", etag_gz, sizeof(etag_gz)));
	first = r.body;
	first_len = r.body_len;
	r.body = NULL;
	http_resp_free(&r);

	/* the same bytes again (compressed once, served from memory) */
	cr_assert_eq(
	    get(s.port, "GET", "/fly/page.html", "Accept-Encoding: gzip", &r),
	    200);
	cr_expect(r.body_len == first_len &&
		  memcmp(r.body, first, first_len) == 0);
	cr_expect(resp_header(&r, "ETag", v, sizeof(v)) &&
		  strcmp(v, etag_gz) == 0);
	http_resp_free(&r);
	free(first);

	cr_assert_eq(get(s.port, "GET", "/fly/page.html",
			 "Accept-Encoding: gzip;q=0.5, br", &r),
		     200);
	expect_decodes_to(s.dir, &r, "br", orig, len);
	cr_assert(resp_header(&r, "ETag", etag_br, sizeof(etag_br)));
	http_resp_free(&r);

	cr_assert_eq(get(s.port, "GET", "/fly/page.html", "", &r), 200);
	cr_expect(!resp_header(&r, "Content-Encoding", v, sizeof(v)));
	cr_expect(r.body_len == len && memcmp(r.body, orig, len) == 0);
	expect_vary(&r);
	cr_assert(resp_header(&r, "ETag", etag_id, sizeof(etag_id)));
	http_resp_free(&r);
	cr_expect_str_neq(etag_id, etag_gz);
	cr_expect_str_neq(etag_br, etag_gz);

	/* HEAD: the compressed length */
	cr_assert_eq(
	    get(s.port, "HEAD", "/fly/page.html", "Accept-Encoding: gzip", &r),
	    200);
	cr_expect(resp_header(&r, "Content-Length", v, sizeof(v)) &&
		      (size_t)atol(v) == first_len,
		  "HEAD length %s, GET %zu", v, first_len);
	cr_expect(resp_header(&r, "Content-Encoding", v, sizeof(v)));
	http_resp_free(&r);

	/* 304 for the compressed representation's ETag */
	snprintf(field, sizeof(field),
		 "Accept-Encoding: gzip\r\nIf-None-Match: %s", etag_gz);
	cr_assert_eq(get(s.port, "GET", "/fly/page.html", field, &r), 304);
	expect_vary(&r);
	http_resp_free(&r);
	snprintf(field, sizeof(field), "If-None-Match: %s", etag_gz);
	cr_expect_eq(get(s.port, "GET", "/fly/page.html", field, &r), 200);
	http_resp_free(&r);

	/* never: 206, no-transform, below the minimum, another type,
	 * identity preferred */
	cr_assert_eq(get(s.port, "GET", "/fly/page.html",
			 "Accept-Encoding: gzip\r\nRange: bytes=0-99", &r),
		     206);
	cr_expect(!resp_header(&r, "Content-Encoding", v, sizeof(v)));
	cr_expect(r.body_len == 100 && memcmp(r.body, orig, 100) == 0);
	http_resp_free(&r);
	cr_assert_eq(get(s.port, "GET", "/fly/page.html",
			 "Accept-Encoding: gzip\r\n"
			 "Cache-Control: no-transform",
			 &r),
		     200);
	cr_expect(!resp_header(&r, "Content-Encoding", v, sizeof(v)));
	http_resp_free(&r);
	cr_assert_eq(
	    get(s.port, "GET", "/fly/tiny.html", "Accept-Encoding: gzip", &r),
	    200);
	cr_expect(!resp_header(&r, "Content-Encoding", v, sizeof(v)));
	cr_expect_str_eq(r.body, "small\n");
	http_resp_free(&r);
	cr_assert_eq(
	    get(s.port, "GET", "/fly/img.png", "Accept-Encoding: gzip", &r),
	    200);
	cr_expect(!resp_header(&r, "Content-Encoding", v, sizeof(v)));
	cr_expect(!resp_header(&r, "Vary", v, sizeof(v)));
	http_resp_free(&r);
	cr_assert_eq(get(s.port, "GET", "/fly/page.html",
			 "Accept-Encoding: identity, gzip;q=0.5", &r),
		     200);
	cr_expect(!resp_header(&r, "Content-Encoding", v, sizeof(v)));
	http_resp_free(&r);

	/* application/json is in the default types */
	char *json = file_of(s.dir, "www/fly/data.json", &len);
	cr_assert_eq(
	    get(s.port, "GET", "/fly/data.json", "Accept-Encoding: gzip", &r),
	    200);
	expect_decodes_to(s.dir, &r, "gzip", json, len);
	http_resp_free(&r);
	free(json);

	/* a new version of the file is compressed again */
	char *text = make_text(21 * 1024);
	cr_assert_eq(write_file(s.dir, "www/fly/page.html", text, -1), 0);
	cr_assert_eq(
	    get(s.port, "GET", "/fly/page.html", "Accept-Encoding: br", &r),
	    200);
	expect_decodes_to(s.dir, &r, "br", text, strlen(text));
	http_resp_free(&r);
	free(text);
	free(orig);
	srv_stop(&s);
}

/* --- compress: large files, in bounded pieces -------------------------- */

static int big_setup(const char *dir)
{
	char *text = make_text(3 * 1024 * 1024 + 77);
	int rc = write_file(dir, "www/fly/big.txt", text, -1);

	free(text);
	return rc;
}

Test(http, compress_large_files_streamed, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char v[128];
	size_t len;

	cr_assert_eq(hx_start(&s, COMP_CFG, big_setup), 0);
	char *orig = file_of(s.dir, "www/fly/big.txt", &len);
	cr_assert_not_null(orig);
	const char *encs[] = {"gzip", "br"};
	for (size_t i = 0; i < 2; i++) {
		char field[64];
		snprintf(field, sizeof(field), "Accept-Encoding: %s", encs[i]);
		cr_assert_eq(get(s.port, "GET", "/fly/big.txt", field, &r),
			     200);
		cr_expect(resp_header(&r, "Transfer-Encoding", v, sizeof(v)) &&
			      strcmp(v, "chunked") == 0,
			  "not chunked");
		cr_expect(!resp_header(&r, "Content-Length", v, sizeof(v)));
		expect_vary(&r);
		expect_decodes_to(s.dir, &r, encs[i], orig, len);
		cr_expect(r.body_len < len / 2);
		http_resp_free(&r);
	}
	/* HEAD: the same headers, no body */
	cr_assert_eq(
	    get(s.port, "HEAD", "/fly/big.txt", "Accept-Encoding: gzip", &r),
	    200);
	cr_expect(resp_header(&r, "Content-Encoding", v, sizeof(v)) &&
		  strcmp(v, "gzip") == 0);
	cr_expect(resp_header(&r, "Transfer-Encoding", v, sizeof(v)));
	http_resp_free(&r);
	/* HTTP/1.0: no chunked, the end of the body is the close */
	cr_assert_eq(http_do(s.port,
			     "GET /fly/big.txt HTTP/1.0\r\nHost: a\r\n"
			     "Accept-Encoding: gzip\r\n\r\n",
			     &r),
		     0);
	cr_assert_eq(r.status, 200);
	cr_expect(!resp_header(&r, "Transfer-Encoding", v, sizeof(v)));
	expect_decodes_to(s.dir, &r, "gzip", orig, len);
	http_resp_free(&r);
	/* keep-alive still works after a streamed body */
	int fd = http_connect(s.port);
	cr_assert(fd >= 0);
	const char *two = "GET /fly/big.txt HTTP/1.1\r\nHost: a\r\n"
			  "Accept-Encoding: br\r\n\r\n";
	for (int k = 0; k < 2; k++) {
		cr_assert_eq(send_all(fd, two, strlen(two)), 0);
		cr_assert_eq(http_read(fd, &r, false), 0);
		expect_decodes_to(s.dir, &r, "br", orig, len);
		http_resp_free(&r);
	}
	close(fd);
	free(orig);
	srv_stop(&s);
}

/* --- compress: CGI output ---------------------------------------------- */

static int cgi_setup(const char *dir)
{
	char script[1024];

	/* line one, then a pause until the test has seen it (bounded:
	 * 20 s), then line two */
	snprintf(script, sizeof(script),
		 "printf 'Content-Type: text/plain\\r\\n\\r\\n'\n"
		 "echo 'first line of the stream'\n"
		 "i=0\n"
		 "while [ ! -e %s/flag ] && [ $i -lt 400 ]; do\n"
		 "  sleep 0.05; i=$((i+1)); done\n"
		 "echo 'second line'\n",
		 dir);
	if (write_file(dir, "www/cgi/stream.sh", script, -1) == -1)
		return -1;
	char *text = make_text(50000);
	char *big = malloc(60000);
	cr_assert_not_null(big);
	snprintf(big, 60000,
		 "printf 'Content-Type: text/html\\r\\n\\r\\n'\n"
		 "cat %s/www/cgi/page.txt\n",
		 dir);
	int rc =
	    write_file(dir, "www/cgi/page.txt", text, -1) ||
	    write_file(dir, "www/cgi/big.sh", big, -1) ||
	    write_file(dir, "www/cgi/coded.sh",
		       "printf 'Content-Type: text/html\\r\\n"
		       "Content-Encoding: gzip\\r\\n\\r\\n'\n"
		       "printf 'not really gzip, left alone'\n",
		       -1) ||
	    write_file(dir, "www/cgi/nt.sh",
		       "printf 'Content-Type: text/html\\r\\n"
		       "Cache-Control: no-transform\\r\\n\\r\\n'\n"
		       "i=0; while [ $i -lt 100 ]; do\n"
		       "  echo 'some text to compress'; i=$((i+1)); done\n",
		       -1) ||
	    write_file(dir, "www/cgi/fails.sh",
		       "printf 'Content-Type: text/html\\r\\n\\r\\n'\n"
		       "i=0; while [ $i -lt 10000 ]; do\n"
		       "  echo \"line $i of a page\"; i=$((i+1)); done\n"
		       "exit 3\n",
		       -1);
	free(text);
	free(big);
	return rc;
}

/* De-chunk raw[0..len) (complete chunks only): the data into out. */
static size_t dechunk(const char *raw, size_t len, char *out, bool *last)
{
	size_t pos = 0, got = 0;

	*last = false;
	while (pos < len) {
		char *end;
		unsigned long n = strtoul(raw + pos, &end, 16);
		const char *crlf = memmem(raw + pos, len - pos, "\r\n", 2);
		if (crlf == NULL || end != crlf)
			break;
		size_t data = (size_t)(crlf + 2 - raw);
		if (n == 0) {
			*last = true;
			break;
		}
		if (data + n + 2 > len)
			break;
		memcpy(out + got, raw + data, n);
		got += n;
		pos = data + n + 2;
	}
	return got;
}

/* Decode a gzip stream, possibly cut short (what has arrived so far). */
static char *gunzip_partial(const char *dir, const char *data, size_t len,
			    size_t *out_len)
{
	char in[512], cmd[1400];
	FILE *f;

	hx_path(in, sizeof(in), dir, "partial.gz");
	f = fopen(in, "w");
	cr_assert_not_null(f);
	fwrite(data, 1, len, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import sys,zlib; d=zlib.decompressobj(31); "
		 "sys.stdout.buffer.write(d.decompress(open(sys.argv[1],"
		 "\"rb\").read()))' %s > %s.out",
		 in, in);
	cr_assert_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s.out", in);
	char *out = read_file(cmd, out_len);
	cr_assert_not_null(out);
	return out;
}

Test(http, compress_cgi_output_streams, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	static char raw[65536], body[65536];
	char v[128], head[8192];
	size_t len = 0, dlen;
	bool last = false;

	cr_assert_eq(hx_start(&s, COMP_CFG, cgi_setup), 0);
	int fd = http_connect(s.port);
	cr_assert(fd >= 0);
	const char *req = "GET /cgi/stream.sh HTTP/1.1\r\nHost: a\r\n"
			  "Accept-Encoding: br;q=0.5, gzip\r\n"
			  "Connection: close\r\n\r\n";
	cr_assert_eq(send_all(fd, req, strlen(req)), 0);
	ssize_t hn = hx_read_head_raw(fd, raw, sizeof(raw), 10000);
	cr_assert(hn > 0, "no head");
	char *eoh = strstr(raw, "\r\n\r\n");
	cr_assert_not_null(eoh);
	memcpy(head, raw, (size_t)(eoh - raw + 2));
	head[eoh - raw + 2] = '\0';
	cr_expect(head_field(head, "Content-Encoding", v, sizeof(v)) &&
		      strcmp(v, "gzip") == 0,
		  "head: %s", head);
	cr_expect(head_field(head, "Transfer-Encoding", v, sizeof(v)));
	cr_expect(head_field(head, "Vary", v, sizeof(v)));
	len = (size_t)hn - (size_t)(eoh + 4 - raw);
	memmove(raw, eoh + 4, len);

	/* the first line decodes while the script still waits */
	long deadline = hx_now_ms() + 15000;
	char *text = NULL;
	size_t text_len = 0;
	for (;;) {
		dlen = dechunk(raw, len, body, &last);
		free(text);
		text = gunzip_partial(s.dir, body, dlen, &text_len);
		if (memmem(text, text_len, "first line of the stream\n", 25))
			break;
		cr_assert(!last, "stream ended before its first line");
		cr_assert(hx_now_ms() < deadline,
			  "first line not there while the script runs");
		if (!hx_readable(fd, 1000))
			continue;
		ssize_t n = read(fd, raw + len, sizeof(raw) - len);
		cr_assert(n > 0, "connection ended early");
		len += (size_t)n;
	}
	cr_expect(memmem(text, text_len, "second", 6) == NULL,
		  "the script went on without the flag?");
	cr_assert_eq(write_file(s.dir, "flag", "", 0), 0);
	while (!last) {
		cr_assert(hx_readable(fd, 15000), "the rest never came");
		ssize_t n = read(fd, raw + len, sizeof(raw) - len);
		cr_assert(n > 0, "cut before the last chunk");
		len += (size_t)n;
		dlen = dechunk(raw, len, body, &last);
	}
	free(text);
	text = gunzip_partial(s.dir, body, dlen, &text_len);
	cr_expect(text_len == 37 &&
		      memcmp(text, "first line of the stream\nsecond line\n",
			     37) == 0,
		  "decoded: %.*s", (int)text_len, text);
	free(text);
	close(fd);

	/* a longer output (held, then complete): decodes to the file */
	size_t plen;
	char *page = file_of(s.dir, "www/cgi/page.txt", &plen);
	cr_assert_eq(get(s.port, "GET", "/cgi/big.sh",
			 "Accept-Encoding: br, gzip;q=0.9", &r),
		     200);
	expect_decodes_to(s.dir, &r, "br", page, plen);
	http_resp_free(&r);
	cr_assert_eq(
	    get(s.port, "GET", "/cgi/big.sh", "Accept-Encoding: gzip", &r),
	    200);
	expect_decodes_to(s.dir, &r, "gzip", page, plen);
	http_resp_free(&r);
	cr_assert_eq(get(s.port, "GET", "/cgi/big.sh", "", &r), 200);
	cr_expect(!resp_header(&r, "Content-Encoding", v, sizeof(v)));
	cr_expect(r.body_len == plen && memcmp(r.body, page, plen) == 0);
	http_resp_free(&r);
	free(page);

	/* already coded by the script, or no-transform: left alone */
	cr_assert_eq(
	    get(s.port, "GET", "/cgi/coded.sh", "Accept-Encoding: gzip", &r),
	    200);
	cr_expect_str_eq(r.body, "not really gzip, left alone");
	http_resp_free(&r);
	cr_assert_eq(
	    get(s.port, "GET", "/cgi/nt.sh", "Accept-Encoding: gzip", &r), 200);
	cr_expect(!resp_header(&r, "Content-Encoding", v, sizeof(v)));
	cr_expect_eq(r.body_len, 100 * 22);
	http_resp_free(&r);
	srv_stop(&s);
}

/* A script that fails after its output (more than the head is held
 * for, so the head has left): compressed or not, the response must not
 * end like a complete one (no final chunk, issue 12 item 5). */
Test(http, compressed_cgi_that_fails_never_looks_complete, .fini = hx_fini)
{
	struct srv s;
	static char raw[65536], body[65536];
	const char *req = "GET /cgi/fails.sh HTTP/1.1\r\nHost: a\r\n"
			  "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n";
	size_t len = 0;
	bool last = true;

	cr_assert_eq(hx_start(&s, COMP_CFG, cgi_setup), 0);
	int fd = http_connect(s.port);
	cr_assert(fd >= 0);
	cr_assert_eq(send_all(fd, req, strlen(req)), 0);
	while (len < sizeof(raw) && hx_readable(fd, 15000)) {
		ssize_t n = read(fd, raw + len, sizeof(raw) - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	char *eoh = memmem(raw, len, "\r\n\r\n", 4);
	cr_assert_not_null(eoh, "no head");
	cr_expect(memmem(raw, (size_t)(eoh - raw), "Content-Encoding: gzip",
			 22) != NULL,
		  "not compressed: %.*s", (int)(eoh - raw), raw);
	size_t off = (size_t)(eoh + 4 - raw);
	size_t dlen = dechunk(raw + off, len - off, body, &last);
	cr_expect_not(last, "a failed script's response ended with the final "
			    "chunk");
	cr_expect_gt(dlen, 0, "the output before the failure was not sent");
	srv_stop(&s);
}

/* --- what was sent compressed: the status page and the access log ------ */

Test(http, compressed_bytes_in_status_and_access_log, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char want[256];
	size_t sent_gz, sent_br, log_len;

	cr_assert_eq(hx_start(&s, COMP_CFG, fly_setup), 0);
	cr_assert_eq(
	    get(s.port, "GET", "/fly/page.html", "Accept-Encoding: gzip", &r),
	    200);
	sent_gz = r.body_len;
	http_resp_free(&r);
	cr_assert_eq(
	    get(s.port, "GET", "/fly/page.html", "Accept-Encoding: br", &r),
	    200);
	sent_br = r.body_len;
	http_resp_free(&r);
	cr_assert_eq(get(s.port, "GET", "/fly/page.html", "", &r), 200);
	http_resp_free(&r);

	cr_assert_eq(get(s.port, "GET", "/status", "", &r), 200);
	snprintf(want, sizeof(want),
		 "Compressed responses: 2\nCompressed bytes sent: %zu\n",
		 sent_gz + sent_br);
	cr_expect(strstr(r.body, want), "want %s in:\n%s", want, r.body);
	http_resp_free(&r);
	cr_assert_eq(get(s.port, "GET", "/status?format=prometheus", "", &r),
		     200);
	snprintf(want, sizeof(want),
		 "\nwebserv_compressed_sent_bytes_total %zu\n",
		 sent_gz + sent_br);
	cr_expect(strstr(r.body, want), "want %s", want);
	http_resp_free(&r);

	/* the access log's byte count is what was sent: compressed */
	char *log = file_of(s.dir, "access.log", &log_len);
	cr_assert_not_null(log);
	snprintf(want, sizeof(want), "\"GET /fly/page.html HTTP/1.1\" 200 %zu ",
		 sent_gz);
	cr_expect(strstr(log, want), "want %s in:\n%s", want, log);
	snprintf(want, sizeof(want), "\"GET /fly/page.html HTTP/1.1\" 200 %zu ",
		 sent_br);
	cr_expect(strstr(log, want), "want %s in:\n%s", want, log);
	free(log);
	srv_stop(&s);
}
