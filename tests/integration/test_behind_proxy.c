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
	"      cgi = ( { ext = \".sh\"; interpreter = \"/bin/sh\"; } ); } );\n" \
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
