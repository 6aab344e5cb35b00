/*
 * Integration tests with Debian's php-cgi as the interpreter: phpinfo(),
 * a session kept by its cookie, PATH_INFO, and a form posted to "/"
 * handled by the directory's index.php (the front controller of PHP
 * frameworks: the index is resolved before the method is judged).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgi_helpers.h"

#define PHP_CGI "/usr/bin/php-cgi"

static struct srv server;

#define PHP_CFG                                                                \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"off\"; shutdown_timeout = 10; };\n"           \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"                   \
	"  root = \"@DIR@/www\"; index = [ \"index.php\", \"index.html\" ];\n" \
	"  locations = ( { path = \"/\";\n"                                    \
	"    methods = [ \"GET\", \"HEAD\", \"POST\" ];\n"                     \
	"    cgi = ( { ext = \".php\"; interpreter = \"" PHP_CGI "\"; } );\n"  \
	"  } ); } );\n"

static const char index_php[] =
    "<?php\n"
    "header('Content-Type: text/plain');\n"
    "echo 'method=', $_SERVER['REQUEST_METHOD'], \"\\n\";\n"
    "echo 'script=', $_SERVER['SCRIPT_NAME'], \"\\n\";\n"
    "echo 'uri=', $_SERVER['REQUEST_URI'], \"\\n\";\n"
    "echo 'hello=', $_POST['name'] ?? '(none)', \"\\n\";\n"
    "echo 'get=', $_GET['page'] ?? '(none)', \"\\n\";\n";

static const char session_php[] =
    "<?php\n"
    "session_save_path(__DIR__ . '/../sessions');\n"
    "session_start();\n"
    "$_SESSION['n'] = ($_SESSION['n'] ?? 0) + 1;\n"
    "header('Content-Type: text/plain');\n"
    "echo 'count=', $_SESSION['n'], \"\\n\";\n";

static const char path_php[] =
    "<?php\n"
    "header('Content-Type: text/plain');\n"
    "echo 'path_info=', $_SERVER['PATH_INFO'] ?? '(unset)', \"\\n\";\n"
    "echo 'query=', $_SERVER['QUERY_STRING'], \"\\n\";\n";

static void start_php(struct srv *s)
{
	cr_assert_eq(access(PHP_CGI, X_OK), 0,
		     PHP_CGI " is missing: apt-get install php-cgi");
	cr_assert_eq(cgx_prepare(s, PHP_CFG), 0, "prepare");
	cr_assert_eq(write_file(s->dir, "www/index.php", index_php, -1), 0);
	cr_assert_eq(
	    write_file(s->dir, "www/info.php", "<?php phpinfo();\n", -1), 0);
	cr_assert_eq(write_file(s->dir, "www/session.php", session_php, -1), 0);
	cr_assert_eq(write_file(s->dir, "www/path.php", path_php, -1), 0);
	cr_assert_eq(write_file(s->dir, "sessions/.keep", "", -1), 0);
	cr_assert_eq(srv_start(s, NULL), 0, "webserv did not become ready");
}

static int request(const char *raw, struct cgx_resp *r)
{
	return cgx_request(server.port, raw, r);
}

Test(php, phpinfo, .fini = cgx_fini)
{
	struct cgx_resp r;

	start_php(&server);
	cr_expect_eq(request("GET /info.php HTTP/1.1\r\nHost: a\r\n"
			     "Connection: close\r\n\r\n",
			     &r),
		     200, "%s", r.head);
	cr_expect_not_null(strstr(r.keep, "PHP Version"));
	cr_expect_not_null(strstr(r.keep, "CGI/FastCGI"), "Server API");
	cgx_resp_free(&r);
	srv_stop(&server);
}

Test(php, session_kept_by_its_cookie, .fini = cgx_fini)
{
	struct cgx_resp r;
	char cookie[256], raw[512];

	start_php(&server);
	cr_assert_eq(request("GET /session.php HTTP/1.1\r\nHost: a\r\n"
			     "Connection: close\r\n\r\n",
			     &r),
		     200, "%s%s", r.head, r.keep);
	cr_expect_str_eq(r.keep, "count=1\n");
	cr_assert_not_null(cgx_header(&r, "Set-Cookie", cookie, sizeof(cookie)),
			   "%s", r.head);
	cgx_resp_free(&r);
	*strchrnul(cookie, ';') = '\0';
	cr_assert_eq(strncmp(cookie, "PHPSESSID=", 10), 0, "%s", cookie);
	snprintf(raw, sizeof(raw),
		 "GET /session.php HTTP/1.1\r\nHost: a\r\nCookie: %s\r\n"
		 "Connection: close\r\n\r\n",
		 cookie);
	cr_expect_eq(request(raw, &r), 200);
	cr_expect_str_eq(r.keep, "count=2\n");
	cgx_resp_free(&r);
	srv_stop(&server);
}

Test(php, path_info, .fini = cgx_fini)
{
	struct cgx_resp r;

	start_php(&server);
	cr_expect_eq(request("GET /path.php/extra/p%61th?x=1 HTTP/1.1\r\n"
			     "Host: a\r\nConnection: close\r\n\r\n",
			     &r),
		     200, "%s%s", r.head, r.keep);
	cr_expect_str_eq(r.keep, "path_info=/extra/path\nquery=x=1\n");
	cgx_resp_free(&r);
	srv_stop(&server);
}

Test(php, form_posted_to_slash_runs_index_php, .fini = cgx_fini)
{
	struct cgx_resp r;

	start_php(&server);
	cr_expect_eq(
	    request("POST /?page=2 HTTP/1.1\r\nHost: a\r\n"
		    "Content-Type: application/x-www-form-urlencoded\r\n"
		    "Content-Length: 8\r\nConnection: close\r\n\r\nname=Ada",
		    &r),
	    200, "%s%s", r.head, r.keep);
	cr_expect_str_eq(r.keep, "method=POST\nscript=/index.php\n"
				 "uri=/?page=2\nhello=Ada\nget=2\n");
	cgx_resp_free(&r);
	/* chunked too */
	cr_expect_eq(
	    request("POST / HTTP/1.1\r\nHost: a\r\n"
		    "Content-Type: application/x-www-form-urlencoded\r\n"
		    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
		    "5\r\nname=\r\n5\r\nGrace\r\n0\r\n\r\n",
		    &r),
	    200, "%s%s", r.head, r.keep);
	cr_expect_not_null(strstr(r.keep, "hello=Grace\n"), "%s", r.keep);
	cgx_resp_free(&r);
	srv_stop(&server);
}
