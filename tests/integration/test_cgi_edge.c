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
#include <errno.h>
#include <signal.h>
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
	cgx_expect_env(r.keep, "HTTP_1", "z");
	cgx_expect_env(r.keep, "HTTP_3E6", "z"); /* field #1000 */
	cgx_expect_env(r.keep, "HTTP_HOST", "a");
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
	cgx_expect_env(r.keep, "REQUEST_METHOD", "GET");
	cgx_expect_env(r.keep, "QUERY_STRING", "from=go");
	cgx_expect_unset(r.keep, "CONTENT_TYPE");
	cgx_expect_unset(r.keep, "CONTENT_LENGTH");
	cgx_expect_unset(r.keep, "HTTP_CONTENT_TYPE");
	cgx_expect_unset(r.keep, "HTTP_CONNECTION");
	cgx_expect_unset(r.keep, "HTTP_UPGRADE");
	cgx_expect_env(r.keep, "HTTP_HOST", "a");
	cr_expect(strstr(r.keep, "\nSTDIN=") != NULL &&
		      strstr(r.keep, "\nSTDIN=")[7] == '\0',
		  "the GET got a body on stdin: %s", strstr(r.keep, "STDIN="));
	cgx_resp_free(&r);
	srv_stop(s);
}

/* A script that redirects before reading its body: the rest of the body
 * is not read, so the connection must end with a lingering read - a
 * plain close would answer the client's next bytes with a reset. */
Test(cgi, local_redirect_before_the_body_lingers, .fini = cgx_fini)
{
	struct srv *s = &server;
	struct http_resp r;
	static char chunk[16384];
	const char head[] = "POST /cgi-bin/early.sh HTTP/1.1\r\nHost: a\r\n"
			    "Content-Length: 10000000\r\n\r\n";
	int fd, failed = 0;

	start(s, CGX_CFG("1"));
	cr_assert_eq(cgx_script(s, "env.sh", env_sh), 0);
	cr_assert_eq(cgx_script(s, "early.sh",
				"printf 'Location: /cgi-bin/env.sh\\n\\n'\n"),
		     0);
	run(s);
	fd = http_connect(s->port);
	cr_assert(fd >= 0);
	memset(chunk, 'b', sizeof(chunk));
	cr_assert_eq(send_all(fd, head, sizeof(head) - 1), 0);
	cr_assert_eq(send_all(fd, chunk, 1000), 0);
	cr_assert_eq(http_read(fd, &r, false), 0);
	cr_expect_eq(r.status, 200, "%s", r.head);
	http_resp_free(&r);
	/* the server goes on reading (and dropping) what the client sends */
	for (int i = 0; i < 20 && !failed; i++) {
		if (send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL) < 0)
			failed = errno;
		usleep(10000);
	}
	cr_expect_eq(failed, 0, "the rest of the body met: %s",
		     strerror(failed));
	close(fd);
	srv_stop(s);
}

/* Clients that send a CGI request and close at once: the script's
 * events of the same batch must find the job detached, not crash it. */
Test(cgi, clients_gone_at_once_do_not_crash_the_worker, .fini = cgx_fini)
{
	struct srv *s = &server;
	struct cgx_resp r;
	const char get[] = "GET /cgi-bin/hi.sh HTTP/1.1\r\nHost: a\r\n\r\n";
	pid_t worker;

	start(s, CGX_CFG("1"));
	cr_assert_eq(cgx_script(s, "hi.sh",
				"printf 'Content-Type: text/plain\\r\\n\\r\\n"
				"hello\\n'\n"),
		     0);
	run(s);
	worker = cgx_worker(s);
	cr_assert_gt(worker, 0);
	for (int i = 0; i < 40; i++) {
		int fd = http_connect(s->port);
		cr_assert(fd >= 0);
		cr_assert_eq(send_all(fd, get, sizeof(get) - 1), 0);
		close(fd);
	}
	cr_expect_eq(cgx_request(s->port, get, &r), 200, "%s", r.head);
	cgx_resp_free(&r);
	cr_expect_eq(cgx_worker(s), worker, "the worker died");
	char *log = read_file(s->err_log, NULL);
	cr_expect(log == NULL || strstr(log, "signal") == NULL, "%s", log);
	free(log);
	srv_stop(s);
}

/* The head and more than the output buffer in one write: the buffer is
 * full while the head is held, which is no end of output. */
Test(cgi, a_full_buffer_behind_the_head_is_not_the_end, .fini = cgx_fini)
{
	struct srv *s = &server;
	struct cgx_resp r;

	start(s, CGX_CFG("1"));
	cr_assert_eq(
	    cgx_script(s, "big.py",
		       "import sys\n"
		       "sys.stdout.buffer.write(b'Content-Type: text/plain"
		       "\\r\\n\\r\\n' + b'x' * 300000)\n"),
	    0);
	run(s);
	for (int i = 0; i < 3; i++) {
		cr_expect_eq(cgx_request(s->port,
					 "GET /cgi-bin/big.py HTTP/1.1\r\n"
					 "Host: a\r\n\r\n",
					 &r),
			     200, "%s", r.head);
		cr_expect_eq(r.body_len, 300000, "got %llu bytes",
			     (unsigned long long)r.body_len);
		cr_expect(r.done, "the body did not end as framed");
		cgx_resp_free(&r);
	}
	srv_stop(s);
}

/* The script exits, a background child of it holds stdout: at
 * cgi_timeout the child, in the script's process group, is killed. */
Test(cgi, an_exited_scripts_background_child_is_killed, .fini = cgx_fini)
{
	struct srv *s = &server;
	struct cgx_resp r;

	start(s, CGX_CFG("1"));
	cr_assert_eq(cgx_script(s, "bg.sh",
				"printf 'Content-Type: text/plain\\r\\n\\r\\n"
				"parent\\n'\n"
				"sh -c 'echo $$ > bg.child; exec sleep 60' &\n"
				"exit 0\n"),
		     0);
	run(s);
	cgx_request(s->port, "GET /cgi-bin/bg.sh HTTP/1.1\r\nHost: a\r\n\r\n",
		    &r);
	cgx_resp_free(&r);
	pid_t child = cgx_read_pid(s, "cgi/bg.child", 1000);
	cr_assert_gt(child, 0, "the script never started its child");
	cr_expect(cgx_wait_gone(child, 3000, true),
		  "background child %d still running (state %c)", (int)child,
		  cgx_proc_state(child));
	kill(child, SIGKILL);
	srv_stop(s);
}

/* --- fix 4: chunked bodies are spooled, CONTENT_LENGTH is set ---------- */

static const char cl_sh[] = "printf 'Content-Type: text/plain\\n\\n'\n"
			    "printf 'CL=%s\\n' \"$CONTENT_LENGTH\"\n"
			    "exec cat\n";

Test(cgi, chunked_body_gets_content_length, .fini = cgx_fini)
{
	struct srv *s = &server;
	struct cgx_resp r;
	struct cgx_src src;
	char *want = malloc(300000 + 16);

	cr_assert_not_null(want);
	start(s, CGX_CFG("1"));
	cr_assert_eq(cgx_script(s, "cl.sh", cl_sh), 0);
	run(s);
	cr_assert_eq(cgx_request(s->port,
				 "POST /cgi-bin/cl.sh HTTP/1.1\r\nHost: a\r\n"
				 "Transfer-Encoding: chunked\r\n"
				 "Connection: close\r\n\r\n"
				 "5\r\nhello\r\n8;ext=1\r\n chunked\r\n"
				 "0\r\nX-Trailer: t\r\n\r\n",
				 &r),
		     200, "%s", r.head);
	cr_expect_str_eq(r.keep, "CL=13\nhello chunked");
	cgx_resp_free(&r);

	/* an empty chunked body: CONTENT_LENGTH=0, EOF at once */
	cr_assert_eq(cgx_request(s->port,
				 "POST /cgi-bin/cl.sh HTTP/1.1\r\nHost: a\r\n"
				 "Transfer-Encoding: chunked\r\n"
				 "Connection: close\r\n\r\n0\r\n\r\n",
				 &r),
		     200, "%s", r.head);
	cr_expect_str_eq(r.keep, "CL=0\n");
	cgx_resp_free(&r);

	/* 300000 letters in 7777-byte chunks: byte-exact, length first */
	cgx_src_init(&src,
		     "POST /cgi-bin/cl.sh HTTP/1.1\r\nHost: a\r\n"
		     "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
		     NULL, 300000, 7777, 42, true);
	cgx_resp_init(&r, 300000 + 16);
	cr_assert_eq(cgx_exchange(s->port, &src, &r, 20000), 0, "%s", r.head);
	struct cgx_rng rng;
	cgx_rng_init(&rng, 42);
	int n = snprintf(want, 16, "CL=300000\n");
	cgx_rng_fill(&rng, want + n, 300000, true);
	cr_expect_eq(r.keep_len, (size_t)n + 300000);
	cr_expect(memcmp(r.keep, want, (size_t)n + 300000) == 0,
		  "echo differs");
	cgx_resp_free(&r);
	free(want);
	srv_stop(s);
}

/* Entries of /proc/pid/fd that name a deleted file under /tmp. */
static int spool_fds(pid_t pid)
{
	char dir[64], path[400], link[400];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		ssize_t len;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((len = readlink(path, link, sizeof(link) - 1)) <= 0)
			continue;
		link[len] = '\0';
		if (strncmp(link, "/tmp/", 5) == 0 &&
		    strstr(link, "(deleted)") != NULL)
			n++;
	}
	closedir(d);
	return n;
}

Test(cgi, chunked_spool_limit_and_vanishing_client, .fini = cgx_fini)
{
	struct srv *s = &server;
	struct cgx_resp r;
	char marker[600], script[800];
	pid_t worker;

	start(s, CGX_CFG("1"));
	cgx_path(s, "ran", marker, sizeof(marker));
	snprintf(script, sizeof(script),
		 "touch '%s'\nprintf 'Content-Type: text/plain\\n\\nran'\n",
		 marker);
	cr_assert_eq(cgx_script(s, "mark.sh", script), 0);
	run(s);
	worker = cgx_worker(s);
	cr_assert_gt(worker, 0);

	/* /long/ has the default 1m limit: a 2 MB chunk is refused at its
	 * size line, and nothing runs */
	cr_assert_eq(cgx_request(s->port,
				 "POST /long/mark.sh HTTP/1.1\r\nHost: a\r\n"
				 "Transfer-Encoding: chunked\r\n\r\n"
				 "200000\r\nabc",
				 &r),
		     413, "%s", r.head);
	cgx_resp_free(&r);

	/* half a body, then the client goes: no script, no file left */
	int fd = http_connect(s->port);
	cr_assert_geq(fd, 0);
	static const char half[] = "POST /cgi-bin/mark.sh HTTP/1.1\r\n"
				   "Host: a\r\nTransfer-Encoding: chunked\r\n"
				   "\r\n10\r\n0123456789abcdef\r\n4\r\nab";
	cr_assert_eq(send_all(fd, half, sizeof(half) - 1), 0);
	int open_spools = 0;
	for (long t0 = cgx_now_ms(); cgx_now_ms() - t0 < 3000;) {
		if ((open_spools = spool_fds(worker)) > 0)
			break;
		usleep(10000);
	}
	cr_expect_eq(open_spools, 1, "the body is not spooled in /tmp");
	close(fd);
	for (long t0 = cgx_now_ms(); cgx_now_ms() - t0 < 3000;) {
		if ((open_spools = spool_fds(worker)) == 0)
			break;
		usleep(10000);
	}
	cr_expect_eq(open_spools, 0, "the spool outlived its client");
	usleep(200000);
	cr_expect_neq(access(marker, F_OK), 0, "the script ran");
	cr_expect_eq(cgx_children(worker, NULL, NULL, 0), 0,
		     "a script was started");
	srv_stop(s);
}

/* text is in log, not followed by a digit ("words 1" is not "words 12") */
static bool has_words(const char *log, const char *text)
{
	size_t len = strlen(text);

	for (const char *p = log; (p = strstr(p, text)) != NULL; p += len)
		if (p[len] < '0' || p[len] > '9')
			return true;
	return false;
}

/* What a script writes to stderr as it ends (after its output, the last
 * line without a newline) reaches the error log: the job's end drains
 * stderr before closing it, whatever order the events came in. */
Test(cgi, stderr_written_last_reaches_the_error_log, .fini = cgx_fini)
{
	struct srv *s = &server;
	struct cgx_resp r;
	char raw[256], want[64];
	char *log = NULL;
	int missing = -1;

	start(s, CGX_CFG("1"));
	cr_assert_eq(cgx_script(s, "last.sh",
				"printf 'Content-Type: text/plain\\r\\n\\r\\n"
				"bye\\n'\n"
				"exec 1>&-\n"
				"echo \"first words $QUERY_STRING\" >&2\n"
				"printf \"last words $QUERY_STRING\" >&2\n"),
		     0);
	run(s);
	for (int i = 0; i < 20; i++) {
		snprintf(raw, sizeof(raw),
			 "GET /cgi-bin/last.sh?%d HTTP/1.1\r\nHost: a\r\n"
			 "Connection: close\r\n\r\n",
			 i);
		cr_assert_eq(cgx_request(s->port, raw, &r), 200, "%s", r.head);
		cgx_resp_free(&r);
	}
	/* bounded wait (5 s): the lines may follow the responses */
	for (int tries = 0; tries < 500 && missing != 0; tries++) {
		free(log);
		log = read_file(s->err_log, NULL);
		missing = 0;
		for (int i = 0; i < 20 && log; i++) {
			snprintf(want, sizeof(want), "first words %d", i);
			missing += !has_words(log, want);
			snprintf(want, sizeof(want), "last words %d", i);
			missing += !has_words(log, want);
		}
		if (log == NULL || missing)
			usleep(10 * 1000);
	}
	cr_expect_eq(missing, 0, "%d stderr lines lost:\n%s", missing, log);
	free(log);
	srv_stop(s);
}
