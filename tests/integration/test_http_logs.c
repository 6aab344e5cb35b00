/*
 * Integration tests of error pages and logs over real sockets (DESIGN.md
 * §7 "Errors" and "Logs", issue 3 "Errors and logs"): a custom error page
 * keeps the original status, a missing one falls back to the built-in
 * page, the access log is nginx's "combined" format, and SIGUSR1 reopens
 * the logs (logrotate: rename, signal, new file at the old path).
 */
#include <criterion/criterion.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness_extra.h"

#define PAGE_404 "custom not found page\n"

#define LOG_CFG                                                                \
	"workers = 2;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"@DIR@/access.log\"; };\n"                     \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"                   \
	"  root = \"@DIR@/www\";\n"                                            \
	"  error_pages = (\n"                                                  \
	"    { codes = [ 404 ]; uri = \"/errors/404.html\"; },\n"              \
	"    { codes = [ 403, 500 ]; uri = \"/errors/missing.html\"; } );\n"   \
	"  locations = ( { path = \"/\"; },\n"                                 \
	"    { path = \"/private/\"; allow = [ \"10.0.0.0/8\" ]; } );\n"       \
	"} );\n"

static int log_files(const char *dir)
{
	return write_file(dir, "www/errors/404.html", PAGE_404, -1) |
	       write_file(dir, "www/private/p.txt", "private\n", -1);
}

static void start(struct srv *s)
{
	cr_assert_eq(hx_start(s, LOG_CFG, log_files), 0,
		     "webserv did not start");
}

Test(http, custom_error_page_keeps_the_status, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char type[128], len[32];
	int fd;

	start(&s);
	cr_assert_eq(http_get(s.port, "/nope.html", &r), 0);
	cr_expect_eq(r.status, 404);
	cr_expect_str_eq(r.body, PAGE_404);
	cr_expect(resp_header(&r, "Content-Type", type, sizeof(type)) &&
		      strncasecmp(type, "text/html", 9) == 0,
		  "type %s", type);
	http_resp_free(&r);
	/* HEAD: the page's headers, no body (the next response parses) */
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	const char two[] = "HEAD /nope.html HTTP/1.1\r\nHost: a\r\n\r\n"
			   "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n";
	cr_assert_eq(send_all(fd, two, sizeof(two) - 1), 0);
	cr_assert_eq(http_read(fd, &r, true), 0);
	cr_expect_eq(r.status, 404);
	cr_expect(resp_header(&r, "Content-Length", len, sizeof(len)) &&
		      atoi(len) == (int)strlen(PAGE_404),
		  "HEAD length %s", len);
	http_resp_free(&r);
	cr_assert_eq(http_read(fd, &r, false), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "hello\n");
	http_resp_free(&r);
	close(fd);
	srv_stop(&s);
}

Test(http, missing_error_page_falls_back_to_built_in, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char loc[256];

	start(&s);
	cr_assert_eq(http_get(s.port, "/private/p.txt", &r), 0);
	cr_expect_eq(r.status, 403, "the page's own 404 must not leak out");
	cr_expect(r.body_len > 0 && strstr(r.body, "403"), "built-in page: %s",
		  r.body);
	cr_expect(strstr(r.body, "private") == NULL);
	cr_expect_null(resp_header(&r, "Location", loc, sizeof(loc)),
		       "redirected to %s", loc);
	http_resp_free(&r);
	srv_stop(&s);
}

/*
 * Wait up to 3 s until path holds want; the text (malloc'd) or NULL.
 * A worker writes its line just after the response went out, so a client
 * may read the response first: always wait for the very line wanted.
 */
static char *wait_for_log(const char *path, const char *want)
{
	long deadline = hx_now_ms() + 3000;

	for (;;) {
		char *text = read_file(path, NULL);
		if (text && strstr(text, want))
			return text;
		if (hx_now_ms() > deadline)
			return text;
		free(text);
		usleep(50000);
	}
}

/* The line of text that contains needle, in out. */
static const char *line_with(const char *text, const char *needle, char *out,
			     size_t cap)
{
	const char *hit = text ? strstr(text, needle) : NULL;

	out[0] = '\0';
	if (hit == NULL)
		return NULL;
	while (hit > text && hit[-1] != '\n')
		hit--;
	size_t n = strcspn(hit, "\n");
	if (n >= cap)
		n = cap - 1;
	memcpy(out, hit, n);
	out[n] = '\0';
	return out;
}

static bool matches(const char *line, const char *pattern)
{
	regex_t re;
	bool ok;

	cr_assert_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0,
		     "bad pattern %s", pattern);
	ok = regexec(&re, line, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

/* $remote_addr - - [$time_local] */
#define LOG_PREFIX                                                             \
	"^127\\.0\\.0\\.1 - - \\[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}"              \
	":[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}\\] "

/* nginx logs a download the client abandoned, with the bytes that left;
 * so does webserv (a silent gap would undercount). */
Test(http, an_abandoned_download_is_logged, .fini = hx_fini)
{
	struct srv s;
	char path[512], line[1024], head[4096];
	const size_t size = 8u << 20;
	char *big = malloc(size);
	unsigned long long sent = 0;
	int status = 0;
	int fd;

	cr_assert_not_null(big);
	memset(big, 'b', size);
	start(&s);
	cr_assert_eq(write_file(s.dir, "www/big.bin", big, (long)size), 0);
	free(big);
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	const char get[] = "GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n";
	cr_assert_eq(send_all(fd, get, sizeof(get) - 1), 0);
	cr_assert_gt(recv(fd, head, sizeof(head), MSG_WAITALL), 0);
	close(fd); /* with most of the body still to come */
	hx_path(path, sizeof(path), s.dir, "access.log");
	char *log = wait_for_log(path, "\"GET /big.bin HTTP/1.1\"");
	cr_assert(
	    line_with(log, "\"GET /big.bin HTTP/1.1\"", line, sizeof(line)),
	    "no line for the abandoned download:\n%s", log ? log : "");
	cr_expect_eq(
	    sscanf(strstr(line, "HTTP/1.1\"") + 9, " %d %llu", &status, &sent),
	    2, "%s", line);
	cr_expect_eq(status, 200, "%s", line);
	cr_expect_lt(sent, (unsigned long long)size, "%s", line);
	free(log);
	srv_stop(&s);
}

Test(http, access_log_is_combined_format, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char path[512], line[2048];

	start(&s);
	cr_assert_eq(http_do(s.port,
			     "GET /index.html?q=1 HTTP/1.1\r\n"
			     "Host: a\r\nReferer: http://ref.test/page\r\n"
			     "User-Agent: test-agent/1.0 (x)\r\n"
			     "Connection: close\r\n\r\n",
			     &r),
		     0);
	http_resp_free(&r);
	cr_assert_eq(http_do(s.port,
			     "GET /nope.html HTTP/1.1\r\nHost: a\r\n"
			     "Connection: close\r\n\r\n",
			     &r),
		     0);
	http_resp_free(&r);
	/* a quote in a client's field must not forge a field of its own */
	cr_assert_eq(http_do(s.port,
			     "GET /quote.html HTTP/1.1\r\nHost: a\r\n"
			     "User-Agent: evil\" \"forged\r\n"
			     "Connection: close\r\n\r\n",
			     &r),
		     0);
	http_resp_free(&r);
	/* a refused request is logged too */
	cr_expect_eq(hx_status(s.port, "GET /bad HTPT/1.1\r\nHost: a\r\n\r\n"),
		     400);
	hx_path(path, sizeof(path), s.dir, "access.log");
	free(wait_for_log(path, "/index.html?q=1"));
	free(wait_for_log(path, "/quote.html"));
	free(wait_for_log(path, "HTPT"));
	char *log = wait_for_log(path, "/nope.html");
	cr_assert(log, "no access log at %s", path);

	line_with(log, "/index.html?q=1", line, sizeof(line));
	cr_expect(matches(line,
			  LOG_PREFIX "\"GET /index\\.html\\?q=1 HTTP/1\\.1\""
				     " 200 6 \"http://ref\\.test/page\" "
				     "\"test-agent/1\\.0 \\(x\\)\"$"),
		  "line: %s", line);
	line_with(log, "/nope.html", line, sizeof(line));
	cr_expect(matches(line, LOG_PREFIX "\"GET /nope\\.html HTTP/1\\.1\""
					   " 404 22 \"-\" \"-\"$"),
		  "line: %s", line);
	line_with(log, "/quote.html", line, sizeof(line));
	int quotes = 0;
	for (const char *p = line; *p; p++)
		quotes += *p == '"';
	cr_expect(matches(line, LOG_PREFIX "\"GET /quote\\.html HTTP/1\\.1\""
					   " 404 22 \"-\" \"evil.*\"$") &&
		      quotes == 6,
		  "unescaped quote: %s", line);
	line_with(log, "HTPT", line, sizeof(line));
	cr_expect(matches(line, LOG_PREFIX "\"GET /bad HTPT/1\\.1\" 400 "),
		  "line: %s", line);
	free(log);
	srv_stop(&s);
}

Test(http, sigusr1_reopens_the_logs, .fini = hx_fini)
{
	struct srv s;
	char path[512], old[512], err[512], err_old[512], target[64];

	start(&s);
	hx_path(path, sizeof(path), s.dir, "access.log");
	hx_path(old, sizeof(old), s.dir, "access.log.1");
	hx_path(err, sizeof(err), s.dir, "error.log");
	hx_path(err_old, sizeof(err_old), s.dir, "error.log.1");
	cr_expect_eq(hx_status(s.port, "GET /before HTTP/1.1\r\nHost: a\r\n"
				       "Connection: close\r\n\r\n"),
		     404);
	free(wait_for_log(path, "/before"));
	cr_assert_eq(rename(path, old), 0);
	cr_assert_eq(rename(err, err_old), 0);
	cr_assert_eq(kill(s.pid, SIGUSR1), 0);
	/* the workers create the file again when they reopen */
	long deadline = hx_now_ms() + 3000;
	while (access(path, F_OK) != 0 && hx_now_ms() < deadline)
		usleep(20000);
	cr_assert_eq(access(path, F_OK), 0, "access.log not reopened");
	usleep(300000); /* every worker had the time to reopen */
	for (int i = 0; i < 8; i++) {
		char raw[256];
		snprintf(raw, sizeof(raw),
			 "GET /after-%d HTTP/1.1\r\n"
			 "Host: a\r\nConnection: close\r\n\r\n",
			 i);
		cr_expect_eq(hx_status(s.port, raw), 404);
	}
	for (int i = 0; i < 8; i++) {
		snprintf(target, sizeof(target), "/after-%d ", i);
		free(wait_for_log(path, target));
	}
	char *now = read_file(path, NULL);
	char *then = read_file(old, NULL);
	for (int i = 0; i < 8; i++) {
		snprintf(target, sizeof(target), "/after-%d ", i);
		cr_expect(now && strstr(now, target), "%s not in the new log",
			  target);
		cr_expect(then == NULL || strstr(then, target) == NULL,
			  "%s went to the rotated file", target);
	}
	cr_expect(then && strstr(then, "/before"), "rotated file lost lines");
	free(now);
	free(then);
	cr_expect_eq(access(err, F_OK), 0, "error.log not reopened");
	srv_stop(&s);
}
