/*
 * test_behind_proxy.c - webserv behind a balancer (DESIGN.md §11, issue
 * 16): with real_ip_from, the rightmost untrusted X-Forwarded-For entry
 * is the client for allow, the access log and REMOTE_ADDR; without a
 * trusted hop the field changes nothing.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness_extra.h"

#define XFF_CFG(trusted)                                                       \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"@DIR@/access.log\";\n"                        \
	"  access_log_format = \"$remote_addr $realip_remote_addr "            \
	"$request_uri $status\";\n" trusted "};\n"                             \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"                   \
	"  root = \"@DIR@/www\";\n"                                            \
	"  locations = ( { path = \"/\"; },\n"                                 \
	"    { path = \"/office/\"; allow = [ \"203.0.113.0/24\" ]; },\n"      \
	"    { path = \"/cgi/\"; alias = \"@DIR@/cgi\";\n"                     \
	"      cgi = ( { ext = \".sh\"; interpreter = \"/bin/sh\"; } ); } "    \
	");\n"                                                                 \
	"} );\n"

static int xff_files(const char *dir)
{
	return write_file(dir, "www/office/a.txt", "office\n", -1) |
	       write_file(dir, "cgi/addr.sh",
			  "printf 'Content-Type: text/plain\\r\\n\\r\\n"
			  "%s\\n' \"$REMOTE_ADDR\"\n",
			  -1);
}

static int get_with_xff(int port, const char *path, const char *xff,
			struct http_resp *r)
{
	char req[512];

	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: %s\r\n"
		 "Connection: close\r\n\r\n",
		 path, xff);
	return http_do(port, req, r);
}

static char *wait_log(const char *path, const char *want)
{
	long deadline = hx_now_ms() + 5000;

	for (;;) {
		char *text = read_file(path, NULL);
		if ((text && strstr(text, want)) || hx_now_ms() > deadline)
			return text;
		free(text);
		usleep(50000);
	}
}

Test(http, real_ip_from_x_forwarded_for, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char path[512], *log;

	cr_assert_eq(hx_start(&s,
			      XFF_CFG("  real_ip_from = [ \"127.0.0.0/8\", "
				      "\"10.0.0.0/8\" ];\n"),
			      xff_files),
		     0);
	/* the client wrote 198.51.100.1 itself: only what our proxies
	 * appended counts, read from the right */
	cr_assert_eq(get_with_xff(s.port, "/office/a.txt",
				  "198.51.100.1, 203.0.113.9, 10.1.1.1", &r),
		     0);
	cr_expect_eq(r.status, 200, "allow sees the forwarded client");
	http_resp_free(&r);
	cr_assert_eq(get_with_xff(s.port, "/office/a.txt",
				  "203.0.113.9, 198.51.100.1", &r),
		     0);
	cr_expect_eq(r.status, 403, "a forged leftmost entry is not believed");
	http_resp_free(&r);
	cr_assert_eq(get_with_xff(s.port, "/cgi/addr.sh", "203.0.113.77", &r),
		     0);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "203.0.113.77\n");
	http_resp_free(&r);
	hx_path(path, sizeof(path), s.dir, "access.log");
	log = wait_log(path, "/cgi/addr.sh");
	cr_expect(strstr(log, "203.0.113.9 127.0.0.1 /office/a.txt 200\n"),
		  "%s", log);
	cr_expect(strstr(log, "198.51.100.1 127.0.0.1 /office/a.txt 403\n"),
		  "%s", log);
	cr_expect(strstr(log, "203.0.113.77 127.0.0.1 /cgi/addr.sh 200\n"),
		  "%s", log);
	free(log);
	srv_stop(&s);
}

Test(http, x_forwarded_for_from_an_untrusted_hop_changes_nothing,
     .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;

	cr_assert_eq(hx_start(&s,
			      XFF_CFG("  real_ip_from = [ \"10.0.0.0/8\" ];\n"),
			      xff_files),
		     0);
	cr_assert_eq(get_with_xff(s.port, "/office/a.txt", "203.0.113.9", &r),
		     0);
	cr_expect_eq(r.status, 403);
	http_resp_free(&r);
	cr_assert_eq(get_with_xff(s.port, "/cgi/addr.sh", "203.0.113.9", &r),
		     0);
	cr_expect_str_eq(r.body, "127.0.0.1\n");
	http_resp_free(&r);
	srv_stop(&s);
}

/* ---- listen "ADDR proxy_protocol" --------------------------------------- */

#define PP_CFG                                                                 \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"@DIR@/access.log\";\n"                        \
	"  access_log_format = \"$remote_addr $realip_remote_addr $scheme "    \
	"$request_uri $status\";\n"                                            \
	"  proxy_protocol_timeout = \"1s\";\n"                                 \
	"  real_ip_from = [ \"192.0.2.0/24\" ]; };\n"                          \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@ proxy_protocol\",\n"      \
	"    \"127.0.0.1:@PORT2@ tls proxy_protocol\" ];\n"                    \
	"  root = \"@DIR@/www\";\n"                                            \
	"  tls = { certificate = \"@DIR@/a.pem\"; key = \"@DIR@/a.key\"; };\n" \
	"  locations = ( { path = \"/\"; },\n"                                 \
	"    { path = \"/office/\"; allow = [ \"203.0.113.0/24\" ]; },\n"      \
	"    { path = \"/cgi/\"; alias = \"@DIR@/cgi\";\n"                     \
	"      cgi = ( { ext = \".sh\"; interpreter = \"/bin/sh\"; } ); } "    \
	");\n"                                                                 \
	"} );\n"

static int pp_files(const char *dir)
{
	char cmd[1024], out[4096];

	if (xff_files(dir) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "cd %s && openssl req -x509 -newkey ec -pkeyopt "
		 "ec_paramgen_curve:P-256 -nodes -keyout a.key -out a.pem "
		 "-days 30 -subj /CN=localhost 2>&1",
		 dir);
	return hx_sh(cmd, out, sizeof(out)) == 0 ? 0 : -1;
}

/* Send raw (len bytes, may hold NULs) then read one response. */
static int pp_do(int port, const char *raw, size_t len, struct http_resp *r)
{
	int fd = http_connect(port), rc;

	memset(r, 0, sizeof(*r));
	if (fd < 0)
		return -1;
	rc = send_all(fd, raw, len) == 0 ? http_read(fd, r, false) : -1;
	close(fd);
	return rc;
}

#define GET_CLOSE(path)                                                        \
	"GET " path " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"

Test(http, proxy_protocol_v1_and_v2, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char path[512], *log;

	cr_assert_eq(hx_start(&s, PP_CFG, pp_files), 0);
	static const char v1[] =
	    "PROXY TCP4 203.0.113.5 127.0.0.1 40000 80\r\n" GET_CLOSE(
		"/office/a.txt");
	cr_assert_eq(pp_do(s.port, v1, sizeof(v1) - 1, &r), 0);
	cr_expect_eq(r.status, 200, "allow sees the PROXY source");
	http_resp_free(&r);
	static const char v2[] =
	    "\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c"
	    "\xcb\x00\x71\x06\x7f\x00\x00\x01\x9c\x41\x00\x50" GET_CLOSE(
		"/cgi/addr.sh");
	cr_assert_eq(pp_do(s.port, v2, sizeof(v2) - 1, &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "203.0.113.6\n");
	http_resp_free(&r);
	/* LOCAL (a balancer's health check): the TCP peer stays */
	static const char local[] =
	    "\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00" GET_CLOSE("/office/a.txt");
	cr_assert_eq(pp_do(s.port, local, sizeof(local) - 1, &r), 0);
	cr_expect_eq(r.status, 403);
	http_resp_free(&r);
	/* a trusted PROXY source may forward X-Forwarded-For */
	static const char both[] =
	    "PROXY TCP4 192.0.2.9 127.0.0.1 40000 80\r\n"
	    "GET /office/a.txt HTTP/1.1\r\nHost: a\r\n"
	    "X-Forwarded-For: 203.0.113.44\r\nConnection: close\r\n\r\n";
	cr_assert_eq(pp_do(s.port, both, sizeof(both) - 1, &r), 0);
	cr_expect_eq(r.status, 200);
	http_resp_free(&r);
	hx_path(path, sizeof(path), s.dir, "access.log");
	log = wait_log(path, "203.0.113.44");
	cr_expect(strstr(log, "203.0.113.5 203.0.113.5 http /office/a.txt 200"),
		  "%s", log);
	cr_expect(strstr(log, "203.0.113.6 203.0.113.6 http /cgi/addr.sh 200"),
		  "%s", log);
	cr_expect(strstr(log, "127.0.0.1 127.0.0.1 http /office/a.txt 403"),
		  "%s", log);
	cr_expect(strstr(log, "203.0.113.44 192.0.2.9 http /office/a.txt 200"),
		  "%s", log);
	free(log);
	srv_stop(&s);
}

/* Garbage is a close (no answer, no crash); a header that does not come
 * in time is a close; the server still serves afterwards. */
Test(http, proxy_protocol_garbage_and_deadline_close, .fini = hx_fini)
{
	static const char *const junk[] = {
	    GET_CLOSE("/"),
	    "PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n" GET_CLOSE("/"),
	    "PROXY TCP4 1.2.3.4\n",
	    "\x16\x03\x01\x00\x05hello",
	};
	struct srv s;
	struct http_resp r;
	char buf[64];
	int fd;

	cr_assert_eq(hx_start(&s, PP_CFG, pp_files), 0);
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		fd = http_connect(s.port);
		cr_assert(fd >= 0);
		cr_assert_eq(send_all(fd, junk[i], strlen(junk[i])), 0);
		cr_expect(wait_closed(fd, 5000), "junk %zu: not closed", i);
		cr_expect_leq(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), 0,
			      "junk %zu was answered", i);
		close(fd);
	}
	/* half a header, then silence: closed at proxy_protocol_timeout */
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	long t0 = hx_now_ms();
	cr_assert_eq(send_all(fd, "PROXY TCP4 1.2", 14), 0);
	cr_expect(wait_closed(fd, 8000), "a stalled header is never cut");
	cr_expect_geq(hx_now_ms() - t0, 900);
	close(fd);
	static const char ok[] =
	    "PROXY TCP4 203.0.113.5 127.0.0.1 40000 80\r\n" GET_CLOSE("/");
	cr_assert_eq(pp_do(s.port, ok, sizeof(ok) - 1, &r), 0);
	cr_expect_eq(r.status, 200);
	http_resp_free(&r);
	srv_stop(&s);
}

/* On a TLS address the PROXY header comes first, then the handshake:
 * HAProxy's "send-proxy" in front of "ssl".  A header sent byte by byte
 * works the same (each byte read, none past the header). */
Test(http, proxy_protocol_before_tls, .fini = hx_fini)
{
	struct srv s;
	char cmd[1024], out[4096], path[512], *log;

	cr_assert_eq(hx_start(&s, PP_CFG, pp_files), 0);
	/* curl --haproxy-protocol sends a v1 header with its own address */
	snprintf(cmd, sizeof(cmd),
		 "curl -sk --haproxy-protocol -o /dev/null -w '%%{http_code}' "
		 "https://127.0.0.1:%d/index.html",
		 s.port2);
	cr_assert_eq(hx_sh(cmd, out, sizeof(out)), 0, "%s", out);
	cr_expect_str_eq(out, "200");
	int fd = http_connect(s.port);
	cr_assert(fd >= 0);
	static const char slow[] = "PROXY TCP6 2001:db8::7 ::1 5 80\r\n";
	for (size_t i = 0; i < sizeof(slow) - 1; i++) {
		cr_assert_eq(send_all(fd, slow + i, 1), 0);
		usleep(2000);
	}
	struct http_resp r;
	cr_assert_eq(
	    send_all(fd, GET_CLOSE("/slow"), strlen(GET_CLOSE("/slow"))), 0);
	cr_assert_eq(http_read(fd, &r, false), 0);
	cr_expect_eq(r.status, 404);
	http_resp_free(&r);
	close(fd);
	hx_path(path, sizeof(path), s.dir, "access.log");
	log = wait_log(path, "/slow");
	cr_expect(strstr(log, "127.0.0.1 127.0.0.1 https /index.html 200"),
		  "%s", log);
	cr_expect(strstr(log, "2001:db8::7 2001:db8::7 http /slow 404"), "%s",
		  log);
	free(log);
	srv_stop(&s);
}
