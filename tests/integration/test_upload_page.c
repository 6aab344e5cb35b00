/*
 * test_upload_page.c - the upload form answers a person and a program
 * differently (issue 16): a browser's form post (multipart/form-data, an
 * Accept that names text/html) gets 303 See Other to the directory's
 * listing and a short HTML page; curl (Accept: *\/ *, or none), a raw
 * body, or a client that refuses text/html (q=0) still gets 201 with the
 * Location of the stored file.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness_extra.h"

static const char cfg[] =
    "workers = 1;\n"
    "pid_file = \"@DIR@/webserv.pid\";\n"
    "error_log = \"@DIR@/error.log\";\n"
    "http = { access_log = \"off\"; };\n"
    "servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"
    "  root = \"@DIR@/www\";\n"
    "  locations = ( { path = \"/\"; },\n"
    "    { path = \"/up/\"; alias = \"@DIR@/up\"; autoindex = true;\n"
    "      upload_dir = \"@DIR@/up\"; } );\n"
    "} );\n";

#define BOUNDARY "----webservFormBoundary7MA4YWxkTrZu0gW"
#define BROWSER_ACCEPT                                                         \
	"text/html,application/xhtml+xml,application/xml;q=0.9,"               \
	"image/avif,image/webp,*/*;q=0.8"

static int up_dir(const char *dir)
{
	return hx_mkdir(dir, "up");
}

/* POST a one-file form (file name, content) with the given Accept line
 * ("" for none); the response in r. */
static void post_form(int port, const char *accept, const char *name,
		      const char *content, struct http_resp *r)
{
	char body[1024], req[2048];
	int body_len, len;

	body_len = snprintf(body, sizeof(body),
			    "--" BOUNDARY "\r\n"
			    "Content-Disposition: form-data; name=\"file\"; "
			    "filename=\"%s\"\r\n"
			    "Content-Type: text/plain\r\n\r\n%s\r\n"
			    "--" BOUNDARY "--\r\n",
			    name, content);
	len = snprintf(req, sizeof(req),
		       "POST /up/ HTTP/1.1\r\nHost: a\r\n%s%s%s"
		       "Content-Type: multipart/form-data; boundary=" BOUNDARY
		       "\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		       *accept ? "Accept: " : "", accept, *accept ? "\r\n" : "",
		       body_len, body);
	cr_assert_eq(hx_do(port, req, (size_t)len, r), 0, "no response");
}

static void expect_stored(const struct srv *s, const char *name,
			  const char *content)
{
	char path[512];
	char *data;

	data = read_file(hx_path(path, sizeof(path), s->dir, name), NULL);
	cr_assert_not_null(data, "%s was not stored", name);
	cr_expect_str_eq(data, content);
	free(data);
}

Test(upload_page, a_browser_form_gets_303_to_the_listing_and_a_page,
     .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char v[256];

	cr_assert_eq(hx_start(&s, cfg, up_dir), 0, "webserv did not start");
	post_form(s.port, BROWSER_ACCEPT, "notes.txt", "hello", &r);
	cr_expect_eq(r.status, 303, "browser form: %d %s", r.status, r.body);
	cr_expect_str_eq(resp_header(&r, "Location", v, sizeof(v)), "/up/");
	cr_expect_not_null(resp_header(&r, "Content-Type", v, sizeof(v)));
	cr_expect_not_null(strstr(v, "text/html"), "Content-Type %s", v);
	cr_assert_not_null(r.body);
	cr_expect_not_null(strstr(r.body, "<a href=\"/up/notes.txt\">"),
			   "page without a link to the file:\n%s", r.body);
	cr_expect_not_null(strstr(r.body, "<a href=\"/up/\">"), "%s", r.body);
	http_resp_free(&r);
	expect_stored(&s, "up/notes.txt", "hello");
	/* What the browser does next: GET the listing, which shows it. */
	cr_assert_eq(http_get(s.port, "/up/", &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_not_null(r.body ? strstr(r.body, "notes.txt") : NULL,
			   "listing without the new file");
	http_resp_free(&r);
}

Test(upload_page, curl_and_programs_still_get_201_with_location,
     .fini = hx_fini)
{
	static const char *const accepts[] = {
	    "*/*",		       /* curl */
	    "",			       /* no Accept at all */
	    "application/json",	       /* an API client */
	    "text/html;q=0, */*;q=0.1" /* refuses HTML */
	};
	struct srv s;
	struct http_resp r;
	char v[256], name[32], want[64];

	cr_assert_eq(hx_start(&s, cfg, up_dir), 0, "webserv did not start");
	for (size_t i = 0; i < sizeof(accepts) / sizeof(accepts[0]); i++) {
		snprintf(name, sizeof(name), "f%zu.txt", i);
		post_form(s.port, accepts[i], name, "data", &r);
		cr_expect_eq(r.status, 201, "Accept \"%s\": %d", accepts[i],
			     r.status);
		snprintf(want, sizeof(want), "/up/%s", name);
		cr_expect_str_eq(resp_header(&r, "Location", v, sizeof(v)),
				 want, "Accept \"%s\"", accepts[i]);
		http_resp_free(&r);
		snprintf(want, sizeof(want), "up/%s", name);
		expect_stored(&s, want, "data");
	}
	/* A raw body from a browser-like client is no form: 201. */
	static const char raw[] =
	    "POST /up/raw.txt HTTP/1.1\r\nHost: a\r\nAccept: " BROWSER_ACCEPT
	    "\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc";
	cr_assert_eq(hx_do(s.port, raw, sizeof(raw) - 1, &r), 0);
	cr_expect_eq(r.status, 201, "raw POST: %d", r.status);
	cr_expect_str_eq(resp_header(&r, "Location", v, sizeof(v)),
			 "/up/raw.txt");
	http_resp_free(&r);
}
