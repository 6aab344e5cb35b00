/*
 * Integration tests of CGI/1.1 (RFC 3875) as seen by a script and by a
 * client: the meta-variables and the script's process environment, the
 * request body on stdin, the response head (Status, Location of both
 * kinds, other fields, errors -> 502), missing or unrunnable scripts, and
 * the framing of the response on kept-alive and HTTP/1.0 connections.
 * The streaming, load and supervision tests are in test_cgi_load.c.
 * Every script is written by the test into its temp dir.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgi_helpers.h"

/* Static, not on a test's stack: cgx_fini stops it after a failed
 * assertion has left the test. */
static struct srv server;

/* Dumps its initial environment (/proc/self/environ: untouched by
 * Python's own locale coercion), cwd, open fds above 2, and stdin. */
static const char env_py[] =
    "import os, sys\n"
    "fds = []\n"
    "for fd in range(3, 1024):\n"
    "    try:\n"
    "        os.fstat(fd)\n"
    "        fds.append(str(fd))\n"
    "    except OSError:\n"
    "        pass\n"
    "env = open('/proc/self/environ', 'rb').read().split(b'\\0')\n"
    "body = sys.stdin.buffer.read().decode('latin-1')\n"
    "out = ['Content-Type: text/plain', '']\n"
    "out += [e.decode('latin-1') for e in env if e]\n"
    "out += ['CWD=' + os.getcwd(), 'FDS=' + ','.join(fds), 'STDIN=' + body]\n"
    "sys.stdout.write('\\n'.join(out) + '\\n')\n";

static const char echo_sh[] =
    "printf 'Content-Type: application/octet-stream\\n\\n'\n"
    "exec cat\n";

static const char hello_sh[] =
    "printf 'Content-Type: text/plain\\n\\nhello\\n'\n";

/* Outlives the server's short hold of the head: framing can't be known. */
static const char slowhello_sh[] =
    "printf 'Content-Type: text/plain\\n\\n'\nsleep 0.3\nprintf 'hello\\n'\n";

static void start(struct srv *s)
{
	cr_assert_eq(srv_start(s, NULL), 0, "webserv did not become ready");
}

static void prepare(struct srv *s, const char *tmpl)
{
	cr_assert_eq(cgx_prepare(s, tmpl), 0, "prepare");
}

/* The value of NAME=... in the env dump; NULL when absent. */
static const char *env_get(const char *dump, const char *name, char *out,
			   size_t cap)
{
	return cgx_env_get(dump, name, out, cap);
}

/* Every variable in the dump (before CWD=) is one CGI defines. */
static void expect_only_cgi_names(const char *dump)
{
	static const char *const allowed[] = {
	    "GATEWAY_INTERFACE",
	    "SERVER_SOFTWARE",
	    "SERVER_NAME",
	    "SERVER_PORT",
	    "SERVER_PROTOCOL",
	    "SERVER_ADDR",
	    "REQUEST_METHOD",
	    "QUERY_STRING",
	    "SCRIPT_NAME",
	    "SCRIPT_FILENAME",
	    "PATH_INFO",
	    "PATH_TRANSLATED",
	    "CONTENT_LENGTH",
	    "CONTENT_TYPE",
	    "REMOTE_ADDR",
	    "REMOTE_PORT",
	    "REQUEST_URI",
	    "DOCUMENT_ROOT",
	    "REDIRECT_STATUS",
	    "PATH",
	    "REQUEST_ID",
	    "REQUEST_SCHEME", /* "http"; HTTPS=on only over TLS */
	};

	for (const char *line = dump; line && *line;) {
		const char *eq = strchr(line, '=');
		const char *eol = strchr(line, '\n');
		size_t len = eq ? (size_t)(eq - line) : 0;
		bool ok = len > 5 && strncmp(line, "HTTP_", 5) == 0;

		if (len == 3 && strncmp(line, "CWD", 3) == 0)
			return;
		for (size_t i = 0;
		     !ok && i < sizeof(allowed) / sizeof(*allowed); i++)
			ok = strlen(allowed[i]) == len &&
			     strncmp(line, allowed[i], len) == 0;
		cr_expect(ok, "unexpected variable in the script's env: %.*s",
			  (int)(eol ? eol - line : (long)strlen(line)), line);
		line = eol ? eol + 1 : NULL;
	}
}

/* Send raw on fd, read one whole response into r (1 MB kept). */
static int exchange_fd(int fd, const char *raw, struct cgx_resp *r)
{
	struct cgx_src src;

	cgx_resp_init(r, 1024 * 1024);
	cgx_src_init(&src, raw, NULL, 0, 0, 0, false);
	return cgx_pump(fd, r, &src, 0, 10000);
}

Test(cgi, environment_of_a_post_with_path_info, .fini = cgx_fini)
{
	struct srv *s = &server;
	struct cgx_resp r;
	struct sockaddr_in me;
	socklen_t me_len = sizeof(me);
	char raw[1024], want[2048], got[512];

	/* the server's own environment must not reach the script */
	setenv("WEBSERV_SECRET", "leak-me", 1);
	prepare(s, CGX_CFG("1"));
	cr_assert_eq(cgx_script(s, "env.py", env_py), 0);
	start(s);

	int fd = http_connect(s->port);
	cr_assert(fd >= 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&me, &me_len), 0);
	snprintf(raw, sizeof(raw),
		 "POST /cgi-bin/env.py/extra/pa%%74h?x=1&y=%%41 HTTP/1.1\r\n"
		 "Host: localhost:%d\r\n"
		 "Content-Type: application/x-www-form-urlencoded\r\n"
		 "Content-Length: 7\r\n"
		 "X-Custom-Header: custom value\r\n"
		 "Proxy: http://evil.example/\r\n"
		 "X-Multi: a\r\nX-Multi: b\r\n"
		 "Connection: close\r\n\r\na=1&b=2",
		 s->port);
	cr_assert_eq(exchange_fd(fd, raw, &r), 0, "no complete response");
	close(fd);
	cr_assert_eq(r.status, 200, "%s", r.head);
	const char *d = r.keep;

	cgx_expect_env(d, "GATEWAY_INTERFACE", "CGI/1.1");
	cr_expect(env_get(d, "SERVER_SOFTWARE", got, sizeof(got)) &&
		      strncmp(got, "webserv", 7) == 0,
		  "SERVER_SOFTWARE");
	cgx_expect_env(d, "SERVER_NAME", "localhost");
	snprintf(want, sizeof(want), "%d", s->port);
	cgx_expect_env(d, "SERVER_PORT", want);
	cgx_expect_env(d, "SERVER_PROTOCOL", "HTTP/1.1");
	cgx_expect_env(d, "REQUEST_METHOD", "POST");
	cgx_expect_env(d, "QUERY_STRING", "x=1&y=%41");
	cgx_expect_env(d, "REQUEST_URI",
		       "/cgi-bin/env.py/extra/pa%74h?x=1&y=%41");
	cgx_expect_env(d, "SCRIPT_NAME", "/cgi-bin/env.py");
	snprintf(want, sizeof(want), "%s/cgi/env.py", s->dir);
	cgx_expect_env(d, "SCRIPT_FILENAME", want);
	cgx_expect_env(d, "PATH_INFO", "/extra/path");
	snprintf(want, sizeof(want), "%s/cgi", s->dir);
	cgx_expect_env(d, "DOCUMENT_ROOT", want);
	/* cgi.h: PATH_TRANSLATED = DOCUMENT_ROOT + PATH_INFO */
	snprintf(want, sizeof(want), "%s/cgi/extra/path", s->dir);
	cgx_expect_env(d, "PATH_TRANSLATED", want);
	cgx_expect_env(d, "CONTENT_LENGTH", "7");
	cgx_expect_env(d, "CONTENT_TYPE", "application/x-www-form-urlencoded");
	cgx_expect_env(d, "REMOTE_ADDR", "127.0.0.1");
	snprintf(want, sizeof(want), "%d", ntohs(me.sin_port));
	cgx_expect_env(d, "REMOTE_PORT", want);
	cgx_expect_env(d, "REDIRECT_STATUS", "200");
	cr_expect_not_null(env_get(d, "PATH", got, sizeof(got)), "PATH");
	/* request fields */
	snprintf(want, sizeof(want), "localhost:%d", s->port);
	cgx_expect_env(d, "HTTP_HOST", want);
	cgx_expect_env(d, "HTTP_X_CUSTOM_HEADER", "custom value");
	cgx_expect_env(d, "HTTP_X_MULTI", "a, b");
	cgx_expect_unset(d, "HTTP_PROXY"); /* httpoxy */
	cgx_expect_unset(d, "HTTP_CONTENT_LENGTH");
	cgx_expect_unset(d, "HTTP_CONTENT_TYPE");
	/* nothing else of the server's environment */
	cgx_expect_unset(d, "WEBSERV_SECRET");
	cgx_expect_unset(d, "NOTIFY_SOCKET");
	cgx_expect_unset(d, "ASAN_OPTIONS");
	cgx_expect_unset(d, "WEBSERV_BIN");
	expect_only_cgi_names(d);
	/* process: cwd, fds, stdin */
	snprintf(want, sizeof(want), "%s/cgi", s->dir);
	cgx_expect_env(d, "CWD", want);
	cgx_expect_env(d, "FDS", "");
	cgx_expect_env(d, "STDIN", "a=1&b=2");
	cgx_resp_free(&r);
	srv_stop(s);
}

Test(cgi, environment_of_a_plain_get, .fini = cgx_fini)
{
	struct srv *s = &server;
	struct cgx_resp r;

	prepare(s, CGX_CFG("1"));
	cr_assert_eq(cgx_script(s, "env.py", env_py), 0);
	start(s);
	cr_assert_eq(cgx_request(s->port,
				 "GET /cgi-bin/env.py HTTP/1.1\r\n"
				 "Host: Example.Test\r\n"
				 "X_Under: evil\r\n"
				 "Authorization: Basic abc\r\n"
				 "Proxy-Authorization: Basic secret\r\n"
				 "Cookie: a=1\r\nCookie: b=2\r\n"
				 "Connection: close\r\n\r\n",
				 &r),
		     200, "%s", r.head);
	const char *d = r.keep;

	cgx_expect_env(d, "REQUEST_METHOD", "GET");
	cgx_expect_env(d, "QUERY_STRING", ""); /* always set */
	cgx_expect_env(d, "SCRIPT_NAME", "/cgi-bin/env.py");
	cgx_expect_env(d, "REQUEST_URI", "/cgi-bin/env.py");
	cgx_expect_env(d, "SERVER_NAME", "Example.Test");
	cgx_expect_unset(d, "PATH_INFO");
	cgx_expect_unset(d, "PATH_TRANSLATED");
	cgx_expect_unset(d, "CONTENT_LENGTH");
	cgx_expect_unset(d, "CONTENT_TYPE");
	cgx_expect_unset(d, "HTTP_X_UNDER"); /* cannot pose as X-Under */
	cgx_expect_unset(d, "HTTP_PROXY_AUTHORIZATION");
	cgx_expect_env(d, "HTTP_AUTHORIZATION", "Basic abc");
	cgx_expect_env(d, "HTTP_COOKIE", "a=1; b=2");
	cgx_expect_env(d, "STDIN", "");
	expect_only_cgi_names(d);
	cgx_resp_free(&r);
	srv_stop(s);
}

/* POST size bytes of stream seed to path; the echo must be byte-exact. */
static void expect_echo(const struct srv *s, const char *path, size_t size,
			size_t chunk)
{
	struct cgx_src src;
	struct cgx_resp r;
	char head[512];
	char *data = malloc(size + 1);
	struct cgx_rng rng;

	cr_assert_not_null(data);
	cgx_rng_init(&rng, size + chunk);
	cgx_rng_fill(&rng, data, size, false); /* every byte value */
	if (chunk)
		snprintf(head, sizeof(head),
			 "POST %s HTTP/1.1\r\nHost: a\r\n"
			 "Transfer-Encoding: chunked\r\n"
			 "Connection: close\r\n\r\n",
			 path);
	else
		snprintf(head, sizeof(head),
			 "POST %s HTTP/1.1\r\nHost: a\r\n"
			 "Content-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 path, size);
	cgx_src_init(&src, head, data, size, chunk, 0, false);
	cgx_resp_init(&r, size);
	cr_assert_eq(cgx_exchange(s->port, &src, &r, 20000), 0,
		     "%zu bytes (chunk %zu): no complete response: %s", size,
		     chunk, r.head);
	cr_expect_eq(r.status, 200, "%s", r.head);
	cr_expect_eq(r.body_len, size, "echo of %zu bytes (chunk %zu)", size,
		     chunk);
	cr_expect(r.keep_len == size && memcmp(r.keep, data, size) == 0,
		  "echo of %zu bytes (chunk %zu) differs", size, chunk);
	cgx_resp_free(&r);
	free(data);
}

Test(cgi, post_body_reaches_stdin_byte_exact, .fini = cgx_fini)
{
	struct srv *s = &server;
	struct cgx_resp r;

	prepare(s, CGX_CFG("1"));
	cr_assert_eq(cgx_script(s, "echo.sh", echo_sh), 0);
	cr_assert_eq(cgx_script(s, "env.py", env_py), 0);
	start(s);
	expect_echo(s, "/cgi-bin/echo.sh", 0, 0);
	expect_echo(s, "/cgi-bin/echo.sh", 1, 0);
	expect_echo(s, "/cgi-bin/echo.sh", 300000, 0);
	expect_echo(s, "/cgi-bin/echo.sh", 1, 1);
	expect_echo(s, "/cgi-bin/echo.sh", 300001, 7777);
	expect_echo(s, "/cgi-bin/echo.sh", 1000000, 65536);

	/* chunked: spooled, then CONTENT_LENGTH of the decoded body (cgi.h) */
	cr_assert_eq(cgx_request(s->port,
				 "POST /cgi-bin/env.py HTTP/1.1\r\nHost: a\r\n"
				 "Transfer-Encoding: chunked\r\n"
				 "Connection: close\r\n\r\n"
				 "5\r\nhello\r\n8;ext=1\r\n chunked\r\n"
				 "0\r\n\r\n",
				 &r),
		     200, "%s", r.head);
	cgx_expect_env(r.keep, "CONTENT_LENGTH", "13");
	cgx_expect_unset(r.keep, "HTTP_TRANSFER_ENCODING"); /* the server's */
	cgx_expect_env(r.keep, "STDIN", "hello chunked");
	cgx_resp_free(&r);
	srv_stop(s);
}

/* --- the response head ----------------------------------------------- */

struct head_case {
	const char *script; /* sh */
	int status;
	const char *body;  /* NULL: not checked */
	const char *field; /* a field the response must carry ... */
	const char *value; /* ... with this value (NULL: absent) */
};

static const struct head_case head_cases[] = {
    {"printf 'Status: 404 Not Found\\nContent-Type: text/plain\\n\\nnope'", 404,
     "nope", "Content-Type", "text/plain"},
    {"printf 'Content-Type: text/plain\\nX-Extra: yes\\n\\nbody'", 200, "body",
     "X-Extra", "yes"},
    {"printf 'Content-Type: text/plain\\r\\nX-Crlf: 1\\r\\n\\r\\ncrlf'", 200,
     "crlf", "X-Crlf", "1"},
    {"printf 'Content-Type: text/plain\\nContent-Length: 5\\n\\nhello'", 200,
     "hello", "Content-Length", "5"},
    {"printf 'Status: 200\\nContent-Type: text/plain\\n\\nno reason'", 200,
     "no reason", NULL, NULL},
    /* absolute URL: a redirect for the client (RFC 3875 §6.2.3) */
    {"printf 'Location: http://example.com/x?y=1\\n\\n'", 302, NULL, "Location",
     "http://example.com/x?y=1"},
    {"printf 'Status: 201 Created\\nLocation: http://example.com/new\\n"
     "Content-Type: text/plain\\n\\nmade'",
     201, "made", "Location", "http://example.com/new"},
    /* local path without Status: served by the server (§6.2.2) */
    {"printf 'Location: /static.txt\\n\\n'", 200, "static file\n", "Location",
     NULL},
    {"printf 'Location: /static.txt?q=1\\n\\nignored body'", 200,
     "static file\n", "Location", NULL},
    {"printf 'Location: /missing.txt\\n\\n'", 404, NULL, NULL, NULL},
    /* no Content-Type: passed through, none added (RFC 3875 §6.3.1
     * obliges the script only; Apache and lighttpd do the same) */
    {"printf 'X-Only: 1\\n\\nbody'", 200, "body", "Content-Type", NULL},
    {"printf 'X-Foo: bar\\r\\n\\r\\nbody'", 200, "body", "X-Foo", "bar"},
    /* output the server cannot use: 502 */
    {"printf '\\nno header at all'", 502, NULL, NULL, NULL},
    {"printf 'X-Foo: bar\\nbody without the empty line'", 502, NULL, NULL,
     NULL},
    {"printf 'this is not a header\\n\\n'", 502, NULL, NULL, NULL},
    {"exit 0", 502, NULL, NULL, NULL},
    {"kill -SEGV $$", 502, NULL, NULL, NULL},
    {"printf 'Content-Type: text/plain\\nX-A: b\\n'", 502, NULL, NULL, NULL},
    {"printf 'Status: 100 Continue\\nContent-Type: text/plain\\n\\n'", 502,
     NULL, NULL, NULL},
    {"printf 'Status: abc\\nContent-Type: text/plain\\n\\n'", 502, NULL, NULL,
     NULL},
    {"printf 'Location: nowhere\\n\\n'", 502, NULL, NULL, NULL},
    {"printf 'X-Big: '; head -c 9000 /dev/zero | tr '\\0' a;"
     " printf '\\nContent-Type: text/plain\\n\\nbig'",
     502, NULL, NULL, NULL},
};

Test(cgi, response_heads, .fini = cgx_fini)
{
	enum { N = sizeof(head_cases) / sizeof(head_cases[0]) };
	struct srv *s = &server;
	static char raws[N][128];
	const char *reqs[N];
	struct cgx_resp rs[N];

	prepare(s, CGX_CFG("1"));
	cr_assert_eq(write_file(s->dir, "www/static.txt", "static file\n", -1),
		     0);
	for (size_t i = 0; i < N; i++) {
		char name[32];
		snprintf(name, sizeof(name), "h%zu.sh", i);
		cr_assert_eq(cgx_script(s, name, head_cases[i].script), 0);
		snprintf(raws[i], sizeof(raws[i]),
			 "GET /cgi-bin/h%zu.sh HTTP/1.1\r\nHost: a\r\n"
			 "Connection: close\r\n\r\n",
			 i);
		reqs[i] = raws[i];
	}
	start(s);
	/* all at once: a case that hangs costs the time only once */
	cgx_request_all(s->port, reqs, N, rs, 8000);
	for (size_t i = 0; i < N; i++) {
		const struct head_case *c = &head_cases[i];
		struct cgx_resp *r = &rs[i];
		char v[256];
		cr_expect_eq(r->status, c->status, "case %zu (%s): got %d: %s",
			     i, c->script, r->status, r->head);
		cr_expect(r->done, "case %zu (%s): response incomplete", i,
			  c->script);
		if (c->body)
			cr_expect_str_eq(r->keep, c->body, "case %zu (%s)", i,
					 c->script);
		const char *got =
		    c->field ? cgx_header(r, c->field, v, sizeof(v)) : NULL;
		if (c->field && c->value == NULL)
			cr_expect_null(got, "case %zu (%s): %s: %s", i,
				       c->script, c->field, got);
		else if (c->field && got == NULL)
			cr_expect_fail("case %zu (%s): no %s", i, c->script,
				       c->field);
		else if (c->field)
			cr_expect_str_eq(got, c->value, "case %zu (%s)", i,
					 c->script);
		cgx_resp_free(r);
	}
	srv_stop(s);
}

Test(cgi, missing_or_unrunnable_scripts, .fini = cgx_fini)
{
	struct srv *s = &server;
	struct cgx_resp r;
	int status;

	prepare(s, CGX_CFG("1"));
	cr_assert_eq(cgx_script(s, "syntax.py", "def (:\n"), 0);
	cr_assert_eq(cgx_script(s, "dir.sh/inner", "exit 0\n"), 0);
	start(s);

	status = cgx_request(s->port,
			     "GET /cgi-bin/missing.sh HTTP/1.1\r\n"
			     "Host: a\r\nConnection: close\r\n\r\n",
			     &r);
	cr_expect_eq(status, 404, "missing script: %s", r.head);
	cgx_resp_free(&r);
	status = cgx_request(s->port,
			     "GET /cgi-bin/missing.sh/path/info "
			     "HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
			     &r);
	cr_expect_eq(status, 404, "missing script with path info: %s", r.head);
	cgx_resp_free(&r);
	/* a directory is never handed to an interpreter */
	status = cgx_request(s->port,
			     "GET /cgi-bin/dir.sh HTTP/1.1\r\n"
			     "Host: a\r\nConnection: close\r\n\r\n",
			     &r);
	cr_expect(status == 403 || status == 404,
		  "directory named like a script: %d: %s", status, r.head);
	cgx_resp_free(&r);
	/* the interpreter refuses the script: no output, 502 */
	status = cgx_request(s->port,
			     "GET /cgi-bin/syntax.py HTTP/1.1\r\n"
			     "Host: a\r\nConnection: close\r\n\r\n",
			     &r);
	cr_expect_eq(status, 502, "script with a syntax error: %s", r.head);
	cgx_resp_free(&r);
	srv_stop(s);
}

/* Wait up to 3 s for text in the error log. */
static bool log_has(const struct srv *s, const char *text)
{
	long deadline = cgx_now_ms() + 3000;

	do {
		char *log = read_file(s->err_log, NULL);
		bool found = log && strstr(log, text);
		free(log);
		if (found)
			return true;
		usleep(20000);
	} while (cgx_now_ms() < deadline);
	return false;
}

Test(cgi, exec_failure_is_502_and_logged, .fini = cgx_fini)
{
	struct srv *s = &server;
	struct cgx_resp r;
	char interp[400];
	int status;

	prepare(s, CGX_CFG("1"));
	cr_assert_eq(cgx_script(s, "a.x", hello_sh), 0);
	start(s);
	cgx_path(s, "interp", interp, sizeof(interp));
	status = cgx_request(s->port,
			     "GET /cgi-bin/a.x HTTP/1.1\r\n"
			     "Host: a\r\nConnection: close\r\n\r\n",
			     &r);
	cr_expect_eq(status, 200, "through the working interpreter");
	cr_expect_str_eq(r.keep, "hello\n");
	cgx_resp_free(&r);

	/* the config was checked at load; now exec fails (EACCES) */
	cr_assert_eq(chmod(interp, 0644), 0);
	status = cgx_request(s->port,
			     "GET /cgi-bin/a.x HTTP/1.1\r\n"
			     "Host: a\r\nConnection: close\r\n\r\n",
			     &r);
	cr_expect_eq(status, 502, "interpreter not executable: %s", r.head);
	cgx_resp_free(&r);
	cr_expect(log_has(s, interp), "no error log line names %s", interp);

	/* and gone (ENOENT) */
	cr_assert_eq(unlink(interp), 0);
	status = cgx_request(s->port,
			     "GET /cgi-bin/a.x HTTP/1.1\r\n"
			     "Host: a\r\nConnection: close\r\n\r\n",
			     &r);
	cr_expect_eq(status, 502, "interpreter missing: %s", r.head);
	cgx_resp_free(&r);
	/* the worker is fine afterwards */
	status = cgx_request(s->port,
			     "GET /index.html HTTP/1.1\r\n"
			     "Host: a\r\nConnection: close\r\n\r\n",
			     &r);
	cr_expect_eq(status, 200);
	cgx_resp_free(&r);
	srv_stop(s);
}

/* --- framing --------------------------------------------------------- */

/* The server closed fd without saying so (no Connection: close). */
static bool closed_silently(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char byte;

	return poll(&pfd, 1, 300) > 0 &&
	       recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

static void send_str(int fd, const char *raw)
{
	cr_assert_eq(send_all(fd, raw, strlen(raw)), 0, "send");
}

Test(cgi, keepalive_and_pipelining_after_cgi, .fini = cgx_fini)
{
	struct srv *s = &server;
	struct http_resp r;
	char v[64];

	prepare(s, CGX_CFG("1"));
	cr_assert_eq(cgx_script(s, "hello.sh", hello_sh), 0);
	cr_assert_eq(cgx_script(s, "slowhello.sh", slowhello_sh), 0);
	cr_assert_eq(cgx_script(s, "echo.sh", echo_sh), 0);
	cr_assert_eq(cgx_script(s, "len.sh",
				"printf 'Content-Type: text/plain\\n"
				"Content-Length: 3\\n\\nxyz'\n"),
		     0);
	start(s);
	int fd = http_connect(s->port);
	cr_assert(fd >= 0);
	send_str(fd, "GET /cgi-bin/slowhello.sh HTTP/1.1\r\nHost: a\r\n\r\n"
		     "POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: a\r\n"
		     "Content-Length: 3\r\n\r\nabc");

	cr_assert_eq(http_read(fd, &r, false), 0, "first CGI response");
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "hello\n");
	cr_expect(resp_header(&r, "Transfer-Encoding", v, sizeof(v)) &&
		      strcasecmp(v, "chunked") == 0,
		  "a streaming script without Content-Length: chunked: %s",
		  r.head);
	cr_expect_not(r.closed);
	http_resp_free(&r);

	cr_assert_eq(http_read(fd, &r, false), 0, "second (pipelined) CGI");
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "abc");
	cr_expect_not(r.closed);
	http_resp_free(&r);

	send_str(fd, "GET /cgi-bin/len.sh HTTP/1.1\r\nHost: a\r\n\r\n");
	cr_assert_eq(http_read(fd, &r, false), 0, "CGI with Content-Length");
	cr_expect_eq(r.status, 200, "%s", r.head);
	cr_expect_str_eq(r.body, "xyz");
	cr_expect_null(resp_header(&r, "Transfer-Encoding", v, sizeof(v)));
	cr_expect_not(r.closed);
	http_resp_free(&r);

	/* HEAD: no body, and the connection goes on (RFC 9110 §9.3.2) */
	static const char *const heads[] = {
	    "/cgi-bin/slowhello.sh", "/cgi-bin/hello.sh", "/cgi-bin/len.sh"};
	for (size_t i = 0; i < 3; i++) {
		char raw[256];
		snprintf(raw, sizeof(raw),
			 "HEAD %s HTTP/1.1\r\nHost: a\r\n\r\n", heads[i]);
		send_str(fd, raw);
		cr_assert_eq(http_read(fd, &r, true), 0, "HEAD %s", heads[i]);
		cr_expect_eq(r.status, 200);
		bool closed = r.closed;
		http_resp_free(&r);
		cr_assert_not(closed, "HEAD %s: Connection: close", heads[i]);
		cr_assert_not(closed_silently(fd),
			      "HEAD %s: the server closed the connection "
			      "without Connection: close",
			      heads[i]);
	}

	send_str(fd, "GET /index.html HTTP/1.1\r\nHost: a\r\n"
		     "Connection: close\r\n\r\n");
	cr_assert_eq(http_read(fd, &r, false), 0, "static after CGI");
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "hello\n");
	cr_expect(r.closed);
	cr_expect(wait_closed(fd, 5000), "server did not close");
	http_resp_free(&r);
	close(fd);
	srv_stop(s);
}

Test(cgi, http10_response_is_close_delimited, .fini = cgx_fini)
{
	static const char *const requests[] = {
	    "GET /cgi-bin/slowhello.sh HTTP/1.0\r\n\r\n",
	    "GET /cgi-bin/slowhello.sh HTTP/1.0\r\nHost: a\r\n"
	    "Connection: keep-alive\r\n\r\n",
	    /* a length the server may learn: still closed for 1.0 */
	    "GET /cgi-bin/hello.sh HTTP/1.0\r\n\r\n",
	};
	struct srv *s = &server;
	struct cgx_resp r;
	char v[64] = "";

	prepare(s, CGX_CFG("1"));
	cr_assert_eq(cgx_script(s, "hello.sh", hello_sh), 0);
	cr_assert_eq(cgx_script(s, "slowhello.sh", slowhello_sh), 0);
	cr_assert_eq(cgx_script(s, "env.py", env_py), 0);
	start(s);
	for (size_t i = 0; i < 3; i++) {
		int fd = http_connect(s->port);
		cr_assert(fd >= 0);
		cr_expect_eq(exchange_fd(fd, requests[i], &r), 0,
			     "request %zu: incomplete", i);
		cr_expect_eq(r.status, 200, "request %zu: %s", i, r.head);
		cr_expect_null(
		    cgx_header(&r, "Transfer-Encoding", v, sizeof(v)),
		    "request %zu: chunked to HTTP/1.0", i);
		if (i < 2)
			cr_expect_null(
			    cgx_header(&r, "Content-Length", v, sizeof(v)),
			    "request %zu: Content-Length %s for a "
			    "streaming script",
			    i, v);
		cr_expect_str_eq(r.keep, "hello\n", "request %zu", i);
		cr_expect(r.eof || wait_closed(fd, 2000),
			  "request %zu: connection not closed", i);
		close(fd);
		cgx_resp_free(&r);
	}
	cr_expect_eq(
	    cgx_request(s->port, "GET /cgi-bin/env.py HTTP/1.0\r\n\r\n", &r),
	    200);
	cgx_expect_env(r.keep, "SERVER_PROTOCOL", "HTTP/1.0");
	cgx_resp_free(&r);
	srv_stop(s);
}
