/*
 * Integration tests of a CGI response cut short: a script killed by a
 * signal or exiting non-zero after part of its output.  The end of the
 * response waits for the script's status, so such a response never ends
 * like a complete one (no final chunk; short of Content-Length); it is
 * logged (script, status, bytes sent) and counted as 502 in the access
 * log and on the status page.  With no body byte sent yet: a 502 page.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgi_helpers.h"

static struct srv server;

#define CUT_CFG                                                                \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"@DIR@/access.log\"; shutdown_timeout = 10; "  \
	"};\n"                                                                 \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"                   \
	"  root = \"@DIR@/www\";\n"                                            \
	"  locations = (\n"                                                    \
	"    { path = \"/status\"; status = true; },\n"                        \
	"    { path = \"/cgi-bin/\"; alias = \"@DIR@/cgi\";\n"                 \
	"      cgi = ( { ext = \".sh\"; interpreter = \"/bin/sh\"; } ); }\n"   \
	"  ); } );\n"

/* Part of the body, a pause past the server's head hold (so the head and
 * that part leave), then the end given as the argument. */
#define PARTIAL(END)                                                           \
	"printf 'Content-Type: text/plain\\n\\npart one\\n'\n"                 \
	"sleep 0.5\n"                                                          \
	"printf 'part two\\n'\n" END "\n"

static void start_cut(struct srv *s)
{
	cr_assert_eq(cgx_prepare(s, CUT_CFG), 0, "prepare");
	cr_assert_eq(cgx_script(s, "killed.sh", PARTIAL("kill -KILL $$")), 0);
	cr_assert_eq(cgx_script(s, "failed.sh", PARTIAL("exit 3")), 0);
	cr_assert_eq(cgx_script(s, "fine.sh", PARTIAL("exit 0")), 0);
	cr_assert_eq(cgx_script(s, "length.sh",
				"printf 'Content-Type: text/plain\\n"
				"Content-Length: 100\\n\\nshort\\n'\n"
				"sleep 0.5\nkill -KILL $$\n"),
		     0);
	cr_assert_eq(cgx_script(s, "early.sh",
				"printf 'Content-Type: text/plain\\n\\nx'\n"
				"exit 4\n"),
		     0);
	cr_assert_eq(srv_start(s, NULL), 0, "webserv did not become ready");
}

static char *file_text(const struct srv *s, const char *name)
{
	char path[600];
	char *text;

	text = read_file(cgx_path(s, name, path, sizeof(path)), NULL);
	return text ? text : strdup("");
}

/* The access log's line for uri has status. */
static void expect_access(const struct srv *s, const char *uri, int status)
{
	char want[256];
	char *log = NULL;

	snprintf(want, sizeof(want), "\"GET %s HTTP/1.1\" %d ", uri, status);
	/* the line is written once the response has left: the client may
	 * read the answer first (bounded wait, 5 s) */
	for (int i = 0; i < 500; i++) {
		free(log);
		log = file_text(s, "access.log");
		if (strstr(log, want))
			break;
		usleep(10 * 1000);
	}
	cr_expect_not_null(strstr(log, want), "want %s in:\n%s", want, log);
	free(log);
}

/* The error log has a line naming script with what. */
static void expect_error_line(const struct srv *s, const char *script,
			      const char *what)
{
	bool found = false;

	for (int i = 0; i < 500 && !found; i++) { /* as expect_access */
		char *log = file_text(s, "error.log");

		for (char *line = strtok(log, "\n"); line && !found;
		     line = strtok(NULL, "\n"))
			found = strstr(line, script) && strstr(line, what);
		free(log);
		if (!found)
			usleep(10 * 1000);
	}
	cr_expect(found, "no error line with %s and %s", script, what);
}

static long five_xx(const struct srv *s)
{
	struct http_resp r;
	const char *p;
	long n = -1;

	cr_assert_eq(http_get(s->port, "/status", &r), 0);
	p = strstr(r.body, "5xx: ");
	if (p)
		n = strtol(p + 5, NULL, 10);
	http_resp_free(&r);
	return n;
}

static void get(const char *uri, struct cgx_resp *r)
{
	char raw[256];

	snprintf(raw, sizeof(raw),
		 "GET %s HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
		 uri);
	cgx_request(server.port, raw, r);
}

Test(cgi_cut, killed_or_failed_script_never_looks_complete, .fini = cgx_fini)
{
	struct cgx_resp r;

	start_cut(&server);
	cr_expect_eq(five_xx(&server), 0);

	/* exit 0: the final chunk follows once the status is known */
	get("/cgi-bin/fine.sh", &r);
	cr_expect_eq(r.status, 200);
	cr_expect(r.chunked && r.done, "complete response");
	cr_expect_str_eq(r.keep, "part one\npart two\n");
	cgx_resp_free(&r);

	/* killed after part of its output: no final chunk, a close */
	get("/cgi-bin/killed.sh", &r);
	cr_expect_eq(r.status, 200, "%s", r.head);
	cr_expect(r.chunked, "%s", r.head);
	cr_expect_not(r.done, "a cut response ended like a complete one");
	cr_expect(r.eof, "closed");
	cr_expect_str_eq(r.keep, "part one\npart two\n");
	cgx_resp_free(&r);
	expect_error_line(&server, "killed.sh", "killed by signal 9");
	expect_error_line(&server, "killed.sh", "body bytes");
	expect_access(&server, "/cgi-bin/killed.sh", 502);

	/* exit 3 after part of its output: the same */
	get("/cgi-bin/failed.sh", &r);
	cr_expect_eq(r.status, 200, "%s", r.head);
	cr_expect_not(r.done, "a cut response ended like a complete one");
	cr_expect(r.eof, "closed");
	cgx_resp_free(&r);
	expect_error_line(&server, "failed.sh", "exited with status 3");
	expect_access(&server, "/cgi-bin/failed.sh", 502);

	/* its own Content-Length, killed short of it: closed short */
	get("/cgi-bin/length.sh", &r);
	cr_expect_eq(r.status, 200, "%s", r.head);
	cr_expect(r.has_length && !r.done && r.eof, "%s", r.head);
	cr_expect_eq(r.body_len, 6);
	cgx_resp_free(&r);
	expect_error_line(&server, "length.sh", "killed by signal 9");
	expect_access(&server, "/cgi-bin/length.sh", 502);

	/* no body byte left yet (the head is held 20 ms): a 502 page; on a
	 * machine too slow for that, a cut response as above */
	get("/cgi-bin/early.sh", &r);
	if (r.status == 502) {
		cr_expect(r.done, "the 502 page is complete");
	} else {
		cr_expect_eq(r.status, 200, "%s", r.head);
		cr_expect_not(r.done, "ended like a complete response");
	}
	cgx_resp_free(&r);
	expect_error_line(&server, "early.sh", "exited with status 4");
	expect_access(&server, "/cgi-bin/early.sh", 502);

	cr_expect_eq(five_xx(&server), 4);
	srv_stop(&server);
}
