/*
 * Integration tests of a directory whose index is a CGI script (DESIGN
 * §4: the index is an internal redirect): every method the script's
 * location allows reaches the script (the front-controller pattern of
 * PHP frameworks, forms posted to "/"), with the request's method, body,
 * SCRIPT_NAME of the index and REQUEST_URI as sent.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cgi_helpers.h"

static struct srv server;

#define INDEX_CFG                                                              \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"off\"; shutdown_timeout = 10; };\n"           \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"                   \
	"  root = \"@DIR@/www\"; index = [ \"index.py\", \"index.html\" ];\n"  \
	"  locations = (\n"                                                    \
	"    { path = \"/\";\n"                                                \
	"      methods = [ \"GET\", \"HEAD\", \"POST\", \"PUT\", \"DELETE\" "  \
	"];\n"                                                                 \
	"      cgi = ( { ext = \".py\"; interpreter = \"/usr/bin/python3\"; "  \
	"} ); },\n"                                                            \
	"    { path = \"/ro/\"; methods = [ \"GET\", \"HEAD\" ];\n"            \
	"      cgi = ( { ext = \".py\"; interpreter = \"/usr/bin/python3\"; "  \
	"} ); }\n"                                                             \
	"  ); } );\n"

/* One NAME=value a line: what the tests look at, and stdin. */
static const char index_py[] =
    "import os, sys\n"
    "body = sys.stdin.buffer.read().decode('latin-1')\n"
    "out = ['Content-Type: text/plain', '']\n"
    "for k in ('REQUEST_METHOD', 'SCRIPT_NAME', 'REQUEST_URI',\n"
    "          'QUERY_STRING', 'CONTENT_LENGTH', 'PATH_INFO'):\n"
    "    out.append(k + '=' + os.environ.get(k, '(unset)'))\n"
    "out.append('STDIN=' + body)\n"
    "sys.stdout.write('\\n'.join(out) + '\\n')\n";

static void start_index(struct srv *s)
{
	cr_assert_eq(cgx_prepare(s, INDEX_CFG), 0, "prepare");
	cr_assert_eq(write_file(s->dir, "www/index.py", index_py, -1), 0);
	cr_assert_eq(write_file(s->dir, "www/ro/index.py", index_py, -1), 0);
	cr_assert_eq(srv_start(s, NULL), 0, "webserv did not become ready");
}

static void expect_script(const char *raw, const char *method, const char *uri,
			  const char *body)
{
	struct cgx_resp r;

	cr_assert_eq(cgx_request(server.port, raw, &r), 200, "%s: %s", raw,
		     r.head);
	cgx_expect_env(r.keep, "REQUEST_METHOD", method);
	cgx_expect_env(r.keep, "SCRIPT_NAME", "/index.py");
	cgx_expect_env(r.keep, "REQUEST_URI", uri);
	cgx_expect_env(r.keep, "STDIN", body);
	cgx_resp_free(&r);
}

Test(cgi_index, every_method_reaches_the_index_script, .fini = cgx_fini)
{
	struct cgx_resp r;

	start_index(&server);
	expect_script("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n"
		      "Content-Type: application/x-www-form-urlencoded\r\n"
		      "Connection: close\r\n\r\nname=me",
		      "POST", "/", "name=me");
	expect_script("POST /?a=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
		      "Connection: close\r\n\r\nxyz",
		      "POST", "/?a=1", "xyz");
	expect_script("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n"
		      "Connection: close\r\n\r\nhi",
		      "PUT", "/", "hi");
	expect_script("DELETE /?id=4 HTTP/1.1\r\nHost: a\r\n"
		      "Connection: close\r\n\r\n",
		      "DELETE", "/?id=4", "");
	/* a chunked body reaches the script, de-chunked */
	expect_script("POST / HTTP/1.1\r\nHost: a\r\n"
		      "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
		      "4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n",
		      "POST", "/", "abcdefg");
	/* GET still runs it */
	expect_script(
	    "GET /?q HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", "GET",
	    "/?q", "");
	/* where the script's location takes GET only: 405, its Allow */
	cr_expect_eq(cgx_request(server.port,
				 "POST /ro/ HTTP/1.1\r\nHost: a\r\n"
				 "Content-Length: 1\r\nConnection: close\r\n"
				 "\r\nx",
				 &r),
		     405);
	char allow[128];
	cr_expect_not_null(cgx_header(&r, "Allow", allow, sizeof(allow)));
	cr_expect_str_eq(allow, "GET, HEAD");
	cgx_resp_free(&r);
	srv_stop(&server);
}
