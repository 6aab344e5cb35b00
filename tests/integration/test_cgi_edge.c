/*
 * Integration tests of the CGI edge cases a black-box audit found: a
 * local-redirect cycle (500, logged), a response head without
 * Content-Type (passed through), the environment after a local redirect
 * from a POST and without hop-by-hop fields, chunked request bodies
 * spooled so that CONTENT_LENGTH is set, and a request with 1000 header
 * fields.  Every script is written by the test into its temp dir.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cgi_helpers.h"

/* Static, not on a test's stack: cgx_fini stops it after a failed
 * assertion has left the test. */
static struct srv server;

/* Prints its environment, then a line with its stdin. */
static const char env_sh[] = "printf 'Content-Type: text/plain\\n\\n'\n"
			     "env\n"
			     "printf 'STDIN='\n"
			     "cat\n";

static void start(struct srv *s, const char *tmpl)
{
	cr_assert_eq(cgx_prepare(s, tmpl), 0, "prepare");
}

static void run(struct srv *s)
{
	cr_assert_eq(srv_start(s, NULL), 0, "webserv did not become ready");
}

static void expect_env(const char *dump, const char *name, const char *want)
{
	char got[1024];

	if (cgx_env_get(dump, name, got, sizeof(got)) == NULL)
		cr_expect_fail("%s is not set (want \"%s\")", name, want);
	else
		cr_expect_str_eq(got, want, "%s", name);
}

static void expect_unset(const char *dump, const char *name)
{
	char got[1024] = "";

	cr_expect_null(cgx_env_get(dump, name, got, sizeof(got)),
		       "%s must not be set, is \"%s\"", name, got);
}

/* --- fix 1: local-redirect cycle --------------------------------------- */

Test(cgi, local_redirect_cycle_is_500_and_logged, .fini = cgx_fini)
{
	struct srv *s = &server;
	struct cgx_resp r;
	char v[256];

	start(s, CGX_CFG("1"));
	cr_assert_eq(cgx_script(s, "loopy.sh",
				"printf 'Location: /cgi-bin/loopy.sh\\n\\n'\n"),
		     0);
	run(s);
	cr_assert_eq(cgx_request(s->port,
				 "GET /cgi-bin/loopy.sh HTTP/1.1\r\nHost: a\r\n"
				 "Connection: close\r\n\r\n",
				 &r),
		     500, "%s", r.head);
	cr_expect(r.done, "response incomplete");
	cr_expect_null(cgx_header(&r, "Location", v, sizeof(v)),
		       "the script's Location leaked: %s", v);
	cr_expect(strstr(r.keep, "500") != NULL, "no error page: %s", r.keep);
	cgx_resp_free(&r);
	/* the server goes on serving */
	cr_expect_eq(cgx_request(s->port,
				 "GET /index.html HTTP/1.1\r\nHost: a\r\n"
				 "Connection: close\r\n\r\n",
				 &r),
		     200);
	cgx_resp_free(&r);
	char *log = read_file(s->err_log, NULL);
	cr_assert_not_null(log);
	cr_expect(strstr(log, "redirection cycle") != NULL &&
		      strstr(log, "/cgi-bin/loopy.sh") != NULL,
		  "no error-log line naming the URI:\n%s", log);
	free(log);
	srv_stop(s);
}

/* --- fix 5: no count limit on header fields ---------------------------- */

/* "GET path" with Host, Connection: close and 998 more tiny fields,
 * named in hex (1 .. 3e6): 1000 in all, about 7 KiB. */
static char *thousand_fields(const char *path)
{
	size_t cap = 8192, len;
	char *raw = malloc(cap);

	cr_assert_not_null(raw);
	len = (size_t)snprintf(raw, cap,
			       "GET %s HTTP/1.1\r\nHost: a\r\n"
			       "Connection: close\r\n",
			       path);
	for (int i = 1; i <= 998; i++)
		len += (size_t)snprintf(raw + len, cap - len, "%x:z\r\n", i);
	cr_assert_lt(len + 3, cap);
	memcpy(raw + len, "\r\n", 3);
	return raw;
}

Test(cgi, a_thousand_header_fields_are_served, .fini = cgx_fini)
{
	struct srv *s = &server;
	struct cgx_resp r;
	size_t http_vars = 0;
	char *raw;

	start(s, CGX_CFG("1"));
	cr_assert_eq(cgx_script(s, "env.sh", env_sh), 0);
	run(s);
	raw = thousand_fields("/index.html");
	cr_expect_eq(cgx_request(s->port, raw, &r), 200, "%s", r.head);
	cgx_resp_free(&r);
	free(raw);

	raw = thousand_fields("/cgi-bin/env.sh");
	cr_assert_eq(cgx_request(s->port, raw, &r), 200, "%s", r.head);
	expect_env(r.keep, "HTTP_1", "z");
	expect_env(r.keep, "HTTP_3E6", "z"); /* field #1000 */
	expect_env(r.keep, "HTTP_HOST", "a");
	for (const char *p = r.keep; (p = strstr(p, "\nHTTP_")) != NULL; p++)
		http_vars++;
	/* Host and the 998: Connection is the server's */
	cr_expect_eq(http_vars, 999, "%zu HTTP_ variables", http_vars);
	cgx_resp_free(&r);
	free(raw);
	srv_stop(s);
}

/* --- fix 3: the environment of a redirected POST, hop-by-hop fields ---- */

Test(cgi, local_redirect_of_a_post_is_a_plain_get, .fini = cgx_fini)
{
	struct srv *s = &server;
	struct cgx_resp r;

	start(s, CGX_CFG("1"));
	cr_assert_eq(cgx_script(s, "env.sh", env_sh), 0);
	cr_assert_eq(
	    cgx_script(s, "go.sh",
		       "cat >/dev/null\n"
		       "printf 'Location: /cgi-bin/env.sh?from=go\\n\\n'\n"),
	    0);
	run(s);
	cr_assert_eq(cgx_request(s->port,
				 "POST /cgi-bin/go.sh HTTP/1.1\r\nHost: a\r\n"
				 "Content-Type: application/x-www-form-"
				 "urlencoded\r\n"
				 "Content-Length: 7\r\n"
				 "Upgrade: h2c\r\n"
				 "Connection: close, Upgrade\r\n\r\na=1&b=2",
				 &r),
		     200, "%s", r.head);
	expect_env(r.keep, "REQUEST_METHOD", "GET");
	expect_env(r.keep, "QUERY_STRING", "from=go");
	expect_unset(r.keep, "CONTENT_TYPE");
	expect_unset(r.keep, "CONTENT_LENGTH");
	expect_unset(r.keep, "HTTP_CONTENT_TYPE");
	expect_unset(r.keep, "HTTP_CONNECTION");
	expect_unset(r.keep, "HTTP_UPGRADE");
	expect_env(r.keep, "HTTP_HOST", "a");
	cr_expect(strstr(r.keep, "\nSTDIN=") != NULL &&
		      strstr(r.keep, "\nSTDIN=")[7] == '\0',
		  "the GET got a body on stdin: %s", strstr(r.keep, "STDIN="));
	cgx_resp_free(&r);
	srv_stop(s);
}
