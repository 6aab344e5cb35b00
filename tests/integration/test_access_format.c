/*
 * test_access_format.c - access_log_format over real sockets (DESIGN.md
 * §11, issue 16): "json" lines all parse with python3's json module,
 * hostile bytes in the URI, User-Agent and Referer included; a format of
 * $variables gives the request id, scheme and, over a real TLS
 * connection (curl -k), the negotiated protocol and cipher; buffered
 * lines (access_log_buffer) go out at reopen, at stop and after
 * access_log_flush, none lost or torn.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness_extra.h"

#define FMT_CFG(http)                                                          \
	"workers = 2;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"@DIR@/access.log\";\n" http " };\n"           \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"                   \
	"  root = \"@DIR@/www\"; } );\n"

/* Count of lines in path holding needle (0 when unreadable). */
static int count_lines(const char *path, const char *needle)
{
	char *text = read_file(path, NULL);
	int n = 0;

	for (const char *p = text; p && (p = strstr(p, needle)) != NULL;
	     p += strlen(needle))
		n++;
	free(text);
	return n;
}

/* Wait up to 5 s for want lines holding needle. */
static int wait_lines(const char *path, const char *needle, int want)
{
	long deadline = hx_now_ms() + 5000;
	int n;

	while ((n = count_lines(path, needle)) < want && hx_now_ms() < deadline)
		usleep(50000);
	return n;
}

static void send_raw(int port, const char *raw, size_t len)
{
	struct http_resp r;

	cr_assert_eq(hx_do(port, raw, len, &r), 0, "no answer to %.40s", raw);
	http_resp_free(&r);
}

Test(http, access_log_json_lines_all_parse, .fini = hx_fini)
{
	struct srv s;
	char path[512], cmd[4096], out[4096];
	char ua[300], req[1024];
	size_t n = 0;

	cr_assert_eq(
	    hx_start(&s, FMT_CFG("access_log_format = \"json\";"), NULL), 0);
	/* every byte the parser lets into a field value: HTAB, SP..~,
	 * obs-text 0x80..0xff; quotes and backslashes among them */
	for (int b = 0x80; b <= 0xff; b++)
		ua[n++] = (char)b;
	memcpy(ua + n, "\t\"\\ x", 5);
	n += 5;
	int len = snprintf(req, sizeof(req),
			   "GET /index.html?q=\"\\%%00 HTTP/1.1\r\nHost: a\r\n"
			   "Referer: \"},\"x\":\"\\u0000\r\nUser-Agent: ");
	memcpy(req + len, ua, n);
	len += (int)n;
	len += snprintf(req + len, sizeof(req) - (size_t)len,
			"\r\nConnection: close\r\n\r\n");
	send_raw(s.port, req, (size_t)len);
	/* refused requests log their raw line: control bytes, obs-text */
	static const char bad[] = "GET /\x01\x7f\xff\"\\ HTTP/1.1\r\n\r\n";
	send_raw(s.port, bad, sizeof(bad) - 1);
	static const char junk[] = "\x16\x03\x01\xfe\x80{\"\r\n\r\n";
	send_raw(s.port, junk, sizeof(junk) - 1);
	send_raw(s.port, "GET / HTTP/1.0\r\n\r\n", 18);
	hx_path(path, sizeof(path), s.dir, "access.log");
	cr_assert_eq(wait_lines(path, "\"request_id\"", 4), 4);
	snprintf(
	    cmd, sizeof(cmd),
	    "python3 -c '\n"
	    "import json, sys\n"
	    "lines = open(sys.argv[1], \"rb\").read().split(b\"\\n\")\n"
	    "assert lines[-1] == b\"\", \"no final newline\"\n"
	    "recs = [json.loads(l.decode(\"ascii\")) for l in lines[:-1]]\n"
	    "ok = [r for r in recs if r[\"status\"] == 200]\n"
	    "assert len(recs) == 4 and len(ok) == 2, recs\n"
	    "ua = ok[0][\"user_agent\"].encode(\"latin-1\")\n"
	    "assert ua == bytes(range(0x80, 0x100)) + b\"\\t\\x22\\x5c x\", "
	    "ua\n"
	    "assert ok[0][\"referer\"] == "
	    "\"\\x22},\\x22x\\x22:\\x22\\\\u0000\"\n"
	    "assert ok[0][\"uri\"] == \"/index.html?q=\\x22\\\\%%00\"\n"
	    "assert all(len(r[\"request_id\"]) > 0 for r in recs), recs\n"
	    "bad = [r for r in recs if r[\"status\"] == 400]\n"
	    "assert any(\"\\x01\\x7f\\xff\" in r[\"request\"] for r in bad)\n"
	    "print(\"parsed\", len(recs))\n"
	    "' %s 2>&1",
	    path);
	cr_expect_eq(hx_sh(cmd, out, sizeof(out)), 0, "%s", out);
	cr_expect(strstr(out, "parsed 4") != NULL, "%s", out);
	srv_stop(&s);
}

Test(http, access_log_format_variables, .fini = hx_fini)
{
	struct srv s;
	char path[512], *text;
	const char fmt[] = "access_log_format = \"v=$status|$request_id|$host|"
			   "$scheme|$ssl_protocol|$http_x_test|"
			   "$request_method|$server_protocol|$remote_addr\";";
	char cfg[2048];

	snprintf(cfg, sizeof(cfg), FMT_CFG("%s"), fmt);
	cr_assert_eq(hx_start(&s, cfg, NULL), 0);
	static const char req[] = "GET / HTTP/1.1\r\nHost: Example.TEST:81\r\n"
				  "X-Request-Id: rid-42\r\nX-Test: a\"b\r\n"
				  "Connection: close\r\n\r\n";
	send_raw(s.port, req, sizeof(req) - 1);
	hx_path(path, sizeof(path), s.dir, "access.log");
	cr_assert_eq(wait_lines(path, "v=", 1), 1);
	text = read_file(path, NULL);
	cr_expect_str_eq(text, "v=200|rid-42|Example.TEST|http|-|a\\x22b|GET|"
			       "HTTP/1.1|127.0.0.1\n");
	free(text);
	srv_stop(&s);
}

/* -t names the unknown variable with file:line. */
Test(cli, access_log_format_unknown_variable, .fini = hx_fini)
{
	struct srv s;
	char out[4096];

	cr_assert_eq(srv_prepare(&s, FMT_CFG("access_log_format = "
					     "\"$status $bogus\";")),
		     0);
	const char *args[] = {"-t", "-f", s.cfg, NULL};
	cr_expect_eq(run_webserv(args, out, sizeof(out)), 1, "%s", out);
	cr_expect(strstr(out, "webserv.cfg:5: unknown variable $bogus"), "%s",
		  out);
	srv_stop(&s);
}

static int tls_files(const char *dir)
{
	char cmd[1024], out[4096];

	snprintf(cmd, sizeof(cmd),
		 "cd %s && openssl req -x509 -newkey ec -pkeyopt "
		 "ec_paramgen_curve:P-256 -nodes -keyout a.key -out a.pem "
		 "-days 30 -subj /CN=localhost 2>&1",
		 dir);
	return hx_sh(cmd, out, sizeof(out)) == 0 ? 0 : -1;
}

Test(http, access_log_ssl_protocol_and_cipher, .fini = hx_fini)
{
	struct srv s;
	char path[512], cmd[1024], out[4096], *text;
	const char *cfg =
	    "workers = 1;\n"
	    "pid_file = \"@DIR@/webserv.pid\";\n"
	    "error_log = \"@DIR@/error.log\";\n"
	    "http = { access_log = \"@DIR@/access.log\";\n"
	    "  access_log_format = \"$scheme $ssl_protocol $ssl_cipher\"; };\n"
	    "servers = ( { listen = [ \"127.0.0.1:@PORT@ tls\", "
	    "\"127.0.0.1:@PORT2@\" ];\n"
	    "  root = \"@DIR@/www\";\n"
	    "  tls = { certificate = \"@DIR@/a.pem\"; key = \"@DIR@/a.key\"; "
	    "}; } );\n";

	cr_assert_eq(hx_start(&s, cfg, tls_files), 0);
	snprintf(cmd, sizeof(cmd),
		 "curl -sk --tlsv1.3 -o /dev/null -w '%%{http_code}' "
		 "https://127.0.0.1:%d/ && curl -sk --tls-max 1.2 -o /dev/null "
		 "https://127.0.0.1:%d/ && curl -s -o /dev/null "
		 "http://127.0.0.1:%d/",
		 s.port, s.port, s.port2);
	cr_assert_eq(hx_sh(cmd, out, sizeof(out)), 0, "%s", out);
	hx_path(path, sizeof(path), s.dir, "access.log");
	cr_assert_eq(wait_lines(path, "http", 3), 3);
	text = read_file(path, NULL);
	cr_expect(strstr(text, "https TLSv1.3 TLS_AES_") != NULL, "%s", text);
	cr_expect(strstr(text, "https TLSv1.2 ECDHE-ECDSA-") != NULL, "%s",
		  text);
	cr_expect(strstr(text, "\nhttp - -\n") != NULL ||
		      strncmp(text, "http - -\n", 9) == 0,
		  "%s", text);
	free(text);
	srv_stop(&s);
}

#define BUF_CFG(flush)                                                         \
	FMT_CFG("access_log_buffer = \"64k\"; access_log_flush = \"" flush     \
		"\";")

static void some_requests(int port, int count, const char *tag)
{
	char req[256];

	for (int i = 0; i < count; i++) {
		int n = snprintf(req, sizeof(req),
				 "GET /index.html?%s=%d HTTP/1.1\r\nHost: a\r\n"
				 "Connection: close\r\n\r\n",
				 tag, i);
		send_raw(port, req, (size_t)n);
	}
}

/* Nothing is written while buffered; SIGUSR1 (logrotate) writes every
 * line into the old file before the new one opens; stop writes the
 * rest.  Each line is whole (a torn one would not match). */
Test(http, buffered_access_log_loses_nothing, .fini = hx_fini)
{
	struct srv s;
	char path[512], moved[512];

	cr_assert_eq(hx_start(&s, BUF_CFG("1h"), NULL), 0);
	hx_path(path, sizeof(path), s.dir, "access.log");
	hx_path(moved, sizeof(moved), s.dir, "access.log.1");
	some_requests(s.port, 50, "a");
	usleep(300000);
	cr_expect_eq(count_lines(path, "?a="), 0, "written before its time");
	cr_assert_eq(rename(path, moved), 0);
	cr_assert_eq(kill(s.pid, SIGUSR1), 0);
	cr_expect_eq(wait_lines(moved, "?a=", 50), 50);
	some_requests(s.port, 30, "b");
	cr_expect_eq(count_lines(path, "?b="), 0);
	pid_t pid = s.pid;
	cr_assert_eq(kill(pid, SIGTERM), 0);
	cr_assert_eq(srv_wait_exit(&s, 15000), 0);
	cr_expect_eq(count_lines(path, "?b="), 30);
	cr_expect_eq(count_lines(path, " HTTP/1.1\" 200 6 "), 30);
	cr_expect_eq(count_lines(moved, " HTTP/1.1\" 200 6 "), 50);
	srv_stop(&s);
}

Test(http, buffered_access_log_flushes_on_time, .fini = hx_fini)
{
	struct srv s;
	char path[512];

	cr_assert_eq(hx_start(&s, BUF_CFG("200ms"), NULL), 0);
	hx_path(path, sizeof(path), s.dir, "access.log");
	some_requests(s.port, 5, "t");
	cr_expect_eq(wait_lines(path, "?t=", 5), 5);
	srv_stop(&s);
}

/* A reload's old generation writes what it holds when it exits. */
Test(http, buffered_access_log_survives_a_reload, .fini = hx_fini)
{
	struct srv s;
	char path[512];

	cr_assert_eq(hx_start(&s, BUF_CFG("1h"), NULL), 0);
	hx_path(path, sizeof(path), s.dir, "access.log");
	some_requests(s.port, 40, "r");
	cr_expect_eq(count_lines(path, "?r="), 0, "written before its time");
	cr_assert_eq(kill(s.pid, SIGHUP), 0);
	cr_assert_eq(srv_wait_notify(&s, "READY=1", 10000), 0);
	cr_expect_eq(wait_lines(path, "?r=", 40), 40);
	cr_expect_eq(count_lines(path, " HTTP/1.1\" 200 6 "), 40);
	srv_stop(&s);
}
