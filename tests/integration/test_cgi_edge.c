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

static void start(struct srv *s, const char *tmpl)
{
	cr_assert_eq(cgx_prepare(s, tmpl), 0, "prepare");
}

static void run(struct srv *s)
{
	cr_assert_eq(srv_start(s, NULL), 0, "webserv did not become ready");
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
