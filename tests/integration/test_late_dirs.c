/*
 * Integration tests of directories that do not exist yet when the server
 * starts (deploy tools, test suites and late mounts make them after): a
 * missing root, alias or upload_dir is a warning, not an error; requests
 * there get 404 (writes 500, logged with the directory), and everything
 * works as soon as the directories appear, without a reload.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

#define LATE_CFG                                                               \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"off\"; };\n"                                  \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"                   \
	"  root = \"@DIR@/late\";\n"                                           \
	"  locations = (\n"                                                    \
	"    { path = \"/a/\"; alias = \"@DIR@/late-alias\"; },\n"             \
	"    { path = \"/up/\"; alias = \"@DIR@/late-up\";\n"                  \
	"      upload_dir = \"@DIR@/late-up\"; } ); } );\n"

static int status_of(int port, const char *raw)
{
	struct http_resp r;
	int status;

	if (http_do(port, raw, &r) == -1)
		return -1;
	status = r.status;
	http_resp_free(&r);
	return status;
}

static void make(const struct srv *s, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", s->dir, name);
	cr_assert_eq(mkdir(path, 0755), 0, "%s", path);
}

Test(late_dirs, missing_directories_warn_404_then_work)
{
	struct srv s;
	char out[8192], want[1024];
	const char *put = "PUT /up/f.txt HTTP/1.1\r\nHost: a\r\n"
			  "Content-Length: 2\r\nConnection: close\r\n\r\nok";

	cr_assert_eq(srv_prepare(&s, LATE_CFG), 0);
	cr_expect_eq(run_webserv((const char *[]){"-t", "-f", s.cfg, NULL}, out,
				 sizeof(out)),
		     0, "%s", out);
	snprintf(want, sizeof(want),
		 "%s:6: warning: directory \"%s/late\" does not exist (yet): "
		 "requests there get 404",
		 s.cfg, s.dir);
	cr_expect_not_null(strstr(out, want), "want %s in: %s", want, out);
	snprintf(want, sizeof(want),
		 "%s:8: warning: directory \"%s/late-alias\"", s.cfg, s.dir);
	cr_expect_not_null(strstr(out, want), "want %s in: %s", want, out);
	snprintf(want, sizeof(want), "%s:10: warning: directory \"%s/late-up\"",
		 s.cfg, s.dir);
	cr_expect_not_null(strstr(out, want), "want %s in: %s", want, out);

	cr_assert_eq(srv_start(&s, NULL), 0, "webserv did not become ready");
	cr_expect_eq(status_of(s.port, "GET /x.html HTTP/1.1\r\nHost: a\r\n"
				       "Connection: close\r\n\r\n"),
		     404);
	cr_expect_eq(status_of(s.port, "GET / HTTP/1.1\r\nHost: a\r\n"
				       "Connection: close\r\n\r\n"),
		     404);
	cr_expect_eq(status_of(s.port, "GET /a/y.html HTTP/1.1\r\nHost: a\r\n"
				       "Connection: close\r\n\r\n"),
		     404);
	cr_expect_eq(status_of(s.port, put), 500);
	/* the error log names the missing directory */
	char *log = read_file(s.err_log, NULL);
	snprintf(want, sizeof(want), "upload_dir \"%s/late-up\"", s.dir);
	cr_expect(log != NULL && strstr(log, want) != NULL, "want %s in: %s",
		  want, log ? log : "(no log)");
	free(log);

	/* the directories appear: served at once, no reload */
	make(&s, "late");
	make(&s, "late-alias");
	make(&s, "late-up");
	cr_assert_eq(write_file(s.dir, "late/x.html", "root\n", -1), 0);
	cr_assert_eq(write_file(s.dir, "late-alias/y.html", "alias\n", -1), 0);
	struct http_resp r;
	cr_assert_eq(http_get(s.port, "/x.html", &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "root\n");
	http_resp_free(&r);
	cr_assert_eq(http_get(s.port, "/a/y.html", &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "alias\n");
	http_resp_free(&r);
	cr_expect_eq(status_of(s.port, put), 201);
	cr_assert_eq(http_get(s.port, "/up/f.txt", &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "ok");
	http_resp_free(&r);
	srv_stop(&s);
}
