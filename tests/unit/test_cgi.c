/*
 * test_cgi.c - CGI environment, response-head parser, and process
 * spawning (real /bin/sh scripts in a temporary directory).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgi.h"
#include "response.h"

#define S(lit)                                                                 \
	{                                                                      \
		lit, sizeof(lit) - 1                                           \
	}

/* ---- environment ------------------------------------------------------ */

static size_t env_count(char **envp, const char *name)
{
	size_t n = 0, len = strlen(name);

	for (char **e = envp; *e; e++)
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
			n++;
	return n;
}

/* Value of name; NULL when unset.  Fails the test if set twice. */
static const char *env_get(char **envp, const char *name)
{
	size_t len = strlen(name);

	cr_assert_leq(env_count(envp, name), 1, "%s set twice", name);
	for (char **e = envp; *e; e++)
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
			return *e + len + 1;
	return NULL;
}

/* As the parser hands them over: every field line with its CRLF. */
static const char test_fields[] = "Host: example.test:8080\r\n"
				  "user-agent: curl/8.0\r\n"
				  "X-Forwarded-For: 10.0.0.1\r\n"
				  "Accept: text/html\r\n"
				  "Proxy: http://evil.test:1\r\n"
				  "Content-Length: 5\r\n"
				  "content-type: text/plain\r\n"
				  "X_Under: underscore\r\n"
				  "X.Dot: dot\r\n"
				  "Cookie: a=1\r\n"
				  "ACCEPT:text/plain \r\n"
				  "Cookie: b=2\r\n"
				  "Authorization: Basic eDp5\r\n"
				  "Proxy-Authorization: Basic eTp6\r\n"
				  "X-Empty: \r\n"
				  "X-9-Digits: d\r\n"
				  "Transfer-Encoding: chunked\r\n"
				  "Connection: keep-alive, Upgrade\r\n"
				  "TE: trailers\r\nTrailer: X-T\r\n"
				  "Upgrade: h2c\r\nKeep-Alive: 5\r\n"
				  "Proxy-Connection: close\r\n";

static struct cgi_request_info test_info(void)
{
	return (struct cgi_request_info){
	    .method = S("POST"),
	    .request_uri = S("/cgi-bin/t.py/extra/p?a=1&b=%20"),
	    .query = S("a=1&b=%20"),
	    .script_name = S("/cgi-bin/t.py"),
	    .path_info = S("/extra/p"),
	    .script_filename = S("/srv/www/cgi-bin/t.py"),
	    .document_root = S("/srv/www/cgi-bin"),
	    .server_name = S("example.test"),
	    .server_port = 8080,
	    .server_addr = S("127.0.0.1"),
	    .server_protocol = S("HTTP/1.1"),
	    .remote_addr = S("192.0.2.7"),
	    .remote_port = 54321,
	    .content_length = 5,
	    .content_type = S("text/plain"),
	    .fields = S(test_fields),
	};
}

struct env_expect {
	const char *name;
	const char *value; /* NULL: must be unset */
};

static const struct env_expect full_expect[] = {
    {"GATEWAY_INTERFACE", "CGI/1.1"},
    {"SERVER_SOFTWARE", SERVER_SOFTWARE},
    {"SERVER_NAME", "example.test"},
    {"SERVER_PORT", "8080"},
    {"SERVER_ADDR", "127.0.0.1"},
    {"SERVER_PROTOCOL", "HTTP/1.1"},
    {"REQUEST_METHOD", "POST"},
    {"REQUEST_URI", "/cgi-bin/t.py/extra/p?a=1&b=%20"},
    {"QUERY_STRING", "a=1&b=%20"},
    {"SCRIPT_NAME", "/cgi-bin/t.py"},
    {"SCRIPT_FILENAME", "/srv/www/cgi-bin/t.py"},
    {"DOCUMENT_ROOT", "/srv/www/cgi-bin"},
    {"PATH_INFO", "/extra/p"},
    {"PATH_TRANSLATED", "/srv/www/cgi-bin/extra/p"},
    {"CONTENT_LENGTH", "5"},
    {"CONTENT_TYPE", "text/plain"},
    {"REMOTE_ADDR", "192.0.2.7"},
    {"REMOTE_PORT", "54321"},
    {"REDIRECT_STATUS", "200"},
    {"PATH", "/opt/test/bin:/usr/bin"},
    {"HTTP_HOST", "example.test:8080"},
    {"HTTP_USER_AGENT", "curl/8.0"},
    {"HTTP_X_FORWARDED_FOR", "10.0.0.1"},
    {"HTTP_ACCEPT", "text/html, text/plain"},
    {"HTTP_COOKIE", "a=1; b=2"},
    {"HTTP_AUTHORIZATION", "Basic eDp5"},
    {"HTTP_X_EMPTY", ""},
    {"HTTP_X_9_DIGITS", "d"},
    /* httpoxy, and fields already in CONTENT_* */
    {"HTTP_PROXY", NULL},
    {"HTTP_CONTENT_LENGTH", NULL},
    {"HTTP_CONTENT_TYPE", NULL},
    {"HTTP_PROXY_AUTHORIZATION", NULL},
    /* connection-level fields the server handles (RFC 3875 §4.1.18):
     * the script gets a de-chunked body with CONTENT_LENGTH */
    {"HTTP_TRANSFER_ENCODING", NULL},
    {"HTTP_CONNECTION", NULL},
    {"HTTP_TE", NULL},
    {"HTTP_TRAILER", NULL},
    {"HTTP_UPGRADE", NULL},
    {"HTTP_KEEP_ALIVE", NULL},
    {"HTTP_PROXY_CONNECTION", NULL},
    /* names that do not map one-to-one */
    {"HTTP_X_UNDER", NULL},
    {"HTTP_X_DOT", NULL},
    {"HTTP_X.DOT", NULL},
    {"REQUEST_SCHEME", "http"},
    {"HTTPS", NULL}, /* only over TLS */
    /* nothing else of the server's environment */
    {"WEBSERV_TEST_SECRET", NULL},
    {"HOME", NULL},
};

Test(cgi_env, every_variable)
{
	struct cgi_request_info info = test_info();
	size_t expected_set = 0;
	size_t total = 0;
	char **envp;

	setenv("PATH", "/opt/test/bin:/usr/bin", 1);
	setenv("WEBSERV_TEST_SECRET", "leak", 1);
	setenv("HOME", "/root", 1);
	envp = cgi_build_env(&info);
	cr_assert_not_null(envp);
	for (size_t i = 0; i < sizeof(full_expect) / sizeof(full_expect[0]);
	     i++) {
		const struct env_expect *x = &full_expect[i];
		const char *got = env_get(envp, x->name);

		if (x->value == NULL) {
			cr_expect_null(got, "%s should be unset, is '%s'",
				       x->name, got);
			continue;
		}
		expected_set++;
		cr_expect_not_null(got, "%s unset", x->name);
		if (got)
			cr_expect_str_eq(got, x->value, "%s", x->name);
	}
	/* Nothing beyond what is listed above. */
	for (char **e = envp; *e; e++)
		total++;
	cr_expect_eq(total, expected_set, "%zu variables, expected %zu", total,
		     expected_set);
	cgi_free_env(envp);
}

Test(cgi_env, minimal_request)
{
	struct cgi_request_info info = {
	    .method = S("GET"),
	    .request_uri = S("/cgi-bin/t.sh"),
	    .script_name = S("/cgi-bin/t.sh"),
	    .script_filename = S("/srv/t.sh"),
	    .document_root = S("/srv"),
	    .server_name = S("localhost"),
	    .server_port = 80,
	    .server_protocol = S("HTTP/1.0"),
	    .remote_addr = S("::1"),
	    .remote_port = 1,
	    .content_length = -1,
	};
	char **envp;

	unsetenv("PATH");
	envp = cgi_build_env(&info);
	cr_assert_not_null(envp);
	/* RFC 3875 §4.1.7: QUERY_STRING is always set. */
	cr_expect_str_eq(env_get(envp, "QUERY_STRING"), "");
	cr_expect_null(env_get(envp, "PATH_INFO"));
	cr_expect_null(env_get(envp, "PATH_TRANSLATED"));
	cr_expect_null(env_get(envp, "CONTENT_LENGTH"));
	cr_expect_null(env_get(envp, "CONTENT_TYPE"));
	cr_expect_null(env_get(envp, "SERVER_ADDR"));
	cr_expect_str_eq(env_get(envp, "PATH"), "/usr/local/bin:/usr/bin:/bin");
	cr_expect_str_eq(env_get(envp, "SERVER_PROTOCOL"), "HTTP/1.0");
	cr_expect_str_eq(env_get(envp, "REMOTE_ADDR"), "::1");
	cr_expect_str_eq(env_get(envp, "SERVER_PORT"), "80");
	cgi_free_env(envp);
}

Test(cgi_env, zero_length_body_and_chunked)
{
	struct cgi_request_info info = test_info();
	char **envp;

	info.content_length = 0;
	envp = cgi_build_env(&info);
	cr_assert_not_null(envp);
	cr_expect_str_eq(env_get(envp, "CONTENT_LENGTH"), "0");
	cgi_free_env(envp);

	info.content_length = -1; /* chunked: streamed, length unknown */
	envp = cgi_build_env(&info);
	cr_assert_not_null(envp);
	cr_expect_null(env_get(envp, "CONTENT_LENGTH"));
	cr_expect_null(env_get(envp, "HTTP_CONTENT_LENGTH"));
	cgi_free_env(envp);
}

Test(cgi_env, header_name_mapping)
{
	static const struct {
		struct slice line;
		const char *var; /* NULL: no HTTP_* at all */
	} cases[] = {
	    {S("a: v\r\n"), "HTTP_A"},
	    {S("x-a-b-c: v\r\n"), "HTTP_X_A_B_C"},
	    {S("Accept-Encoding: v\r\n"), "HTTP_ACCEPT_ENCODING"},
	    {S("DNT:v"), "HTTP_DNT"},
	    {S("proxy: v\r\n"), NULL},
	    {S("PROXY: v\r\n"), NULL},
	    {S("Content-length: v\r\n"), NULL},
	    {S("x_y: v\r\n"), NULL},
	    {S("x y: v\r\n"), NULL},
	    {S("x=y: v\r\n"), NULL},
	    {S("x\xc3\xa9: v\r\n"), NULL},
	    {S(": v\r\n"), NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cgi_request_info info = {
		    .content_length = -1,
		    .fields = cases[i].line,
		};
		char **envp = cgi_build_env(&info);
		size_t http_vars = 0;

		cr_assert_not_null(envp);
		for (char **e = envp; *e; e++)
			if (strncmp(*e, "HTTP_", 5) == 0)
				http_vars++;
		if (cases[i].var) {
			cr_expect_eq(http_vars, 1, "case %zu", i);
			cr_expect_str_eq(env_get(envp, cases[i].var), "v",
					 "case %zu", i);
		} else {
			cr_expect_eq(http_vars, 0, "case %zu", i);
		}
		cgi_free_env(envp);
	}
}

Test(cgi_env, nul_in_value_ends_it)
{
	static const char fields[] = "X-A: ab\0cd\r\nX-B: after\r\n";
	struct cgi_request_info info = test_info();
	char **envp;

	info.fields = (struct slice){fields, sizeof(fields) - 1};
	envp = cgi_build_env(&info);
	cr_assert_not_null(envp);
	cr_expect_str_eq(env_get(envp, "HTTP_X_A"), "ab");
	cr_expect_str_eq(env_get(envp, "HTTP_X_B"), "after");
	cr_expect_str_eq(env_get(envp, "REDIRECT_STATUS"), "200");
	cgi_free_env(envp);
}

/* No count limit: every field of a big head, namesakes joined in order
 * (the parser's count limit of 100 is gone; sorting keeps it cheap). */
Test(cgi_env, thousands_of_fields)
{
	enum { N = 3000 };
	static char fields[N * 24];
	struct cgi_request_info info = test_info();
	size_t len = 0, http_vars = 0;
	char name[32], want[64];
	char **envp;

	/* H0, H2, ...: distinct names; X-Odd: 1, 3, ...: one joined */
	for (int i = 0; i < N; i++)
		len +=
		    (size_t)snprintf(fields + len, sizeof(fields) - len,
				     i % 2 ? "X-Odd: %d\r\n" : "H%d: v\r\n", i);
	info.fields = (struct slice){fields, len};
	envp = cgi_build_env(&info);
	cr_assert_not_null(envp);
	for (char **e = envp; *e; e++)
		if (strncmp(*e, "HTTP_", 5) == 0)
			http_vars++;
	cr_expect_eq(http_vars, N / 2 + 1, "%zu HTTP_ variables", http_vars);
	cr_expect_str_eq(env_get(envp, "HTTP_H0"), "v");
	snprintf(name, sizeof(name), "HTTP_H%d", N - 2);
	cr_expect_str_eq(env_get(envp, name), "v");
	snprintf(want, sizeof(want), "1, 3, 5, 7, ");
	cr_expect(strncmp(env_get(envp, "HTTP_X_ODD"), want, strlen(want)) == 0,
		  "joined in order: %.40s", env_get(envp, "HTTP_X_ODD"));
	cgi_free_env(envp);
}

Test(cgi_env, addr_text)
{
	struct sockaddr_in in = {.sin_family = AF_INET,
				 .sin_port = htons(8080),
				 .sin_addr.s_addr = htonl(0x7f000001)};
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6,
				   .sin6_port = htons(443),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	char host[64];
	unsigned port = 0;

	cr_assert_eq(
	    cgi_addr_text((struct sockaddr *)&in, host, sizeof(host), &port),
	    0);
	cr_expect_str_eq(host, "127.0.0.1");
	cr_expect_eq(port, 8080);
	cr_assert_eq(
	    cgi_addr_text((struct sockaddr *)&in6, host, sizeof(host), &port),
	    0);
	cr_expect_str_eq(host, "::1");
	cr_expect_eq(port, 443);
	cr_expect_eq(
	    cgi_addr_text((struct sockaddr *)&un, host, sizeof(host), &port),
	    -1);
	cr_expect_eq(cgi_addr_text((struct sockaddr *)&in, host, 4, &port), -1);
}

/* ---- response head ---------------------------------------------------- */

/* Parse the first n bytes of text from an exact-size heap copy, so that
 * ASan catches any read past n. */
static int parse_n(const char *text, size_t n, size_t limit,
		   struct cgi_response_head *out)
{
	char *copy = malloc(n ? n : 1);
	int r;

	cr_assert_not_null(copy);
	memcpy(copy, text, n);
	r = cgi_parse_head(copy, n, limit, out);
	free(copy);
	return r;
}

struct head_ok {
	const char *in; /* exactly the head, empty line last */
	int status;
	enum cgi_response_kind kind;
	const char *location;	  /* "" none */
	const char *content_type; /* "" none */
	int64_t content_length;
	const char *reason;
	size_t header_count;
	const char *h_name; /* first passed-through field */
	const char *h_value;
};

static const struct head_ok head_ok_cases[] = {
    {"Content-Type: text/html\r\n\r\n", 200, CGI_RESPONSE_DOCUMENT, "",
     "text/html", -1, "", 0, NULL, NULL},
    {"Content-Type: text/plain\n\n", 200, CGI_RESPONSE_DOCUMENT, "",
     "text/plain", -1, "", 0, NULL, NULL},
    {"Status: 404 Not Found\nContent-Type: text/html\r\n\n", 404,
     CGI_RESPONSE_DOCUMENT, "", "text/html", -1, "Not Found", 0, NULL, NULL},
    {"Status: 404\r\nContent-Type: text/html\r\n\r\n", 404,
     CGI_RESPONSE_DOCUMENT, "", "text/html", -1, "", 0, NULL, NULL},
    {"content-type:a/b\nSTATUS:   503 Busy Now  \n\n", 503,
     CGI_RESPONSE_DOCUMENT, "", "a/b", -1, "Busy Now", 0, NULL, NULL},
    {"Status: 201 Created\nLocation: /new/1\nContent-Type: text/plain\n\n", 201,
     CGI_RESPONSE_CLIENT_REDIRECT, "/new/1", "text/plain", -1, "Created", 0,
     NULL, NULL},
    {"Location: /other?x=1\n\n", 200, CGI_RESPONSE_LOCAL_REDIRECT, "/other?x=1",
     "", -1, "", 0, NULL, NULL},
    {"Location: https://example.com/x\r\n\r\n", 302,
     CGI_RESPONSE_CLIENT_REDIRECT, "https://example.com/x", "", -1, "", 0, NULL,
     NULL},
    {"Location: http://e.test/\nStatus: 301 Moved\n\n", 301,
     CGI_RESPONSE_CLIENT_REDIRECT, "http://e.test/", "", -1, "Moved", 0, NULL,
     NULL},
    {"Location: mailto:a@b.test\nContent-Type: text/html\n\n", 302,
     CGI_RESPONSE_CLIENT_REDIRECT, "mailto:a@b.test", "text/html", -1, "", 0,
     NULL, NULL},
    {"Content-Type: text/html\nContent-Length: 42\nSet-Cookie: a=1\n"
     "Set-Cookie: b=2\nX-Custom:   spaced  value \t\n\n",
     200, CGI_RESPONSE_DOCUMENT, "", "text/html", 42, "", 3, "Set-Cookie",
     "a=1"},
    {"Content-Type: x/y\nConnection: close\nTransfer-Encoding: chunked\n"
     "Server: evil\nDate: x\nKeep-Alive: 5\nUpgrade: h2c\nTE: trailers\n"
     "Trailer: X\nProxy-Connection: close\nX-A: 1\n\n",
     200, CGI_RESPONSE_DOCUMENT, "", "x/y", -1, "", 1, "X-A", "1"},
    {"Status: 204 No Content\n\n", 204, CGI_RESPONSE_DOCUMENT, "", "", -1,
     "No Content", 0, NULL, NULL},
    {"Status: 304\r\nETag: \"x\"\r\n\r\n", 304, CGI_RESPONSE_DOCUMENT, "", "",
     -1, "", 1, "ETag", "\"x\""},
    {"Content-Type: a/b\nX-T: a\tb\n\n", 200, CGI_RESPONSE_DOCUMENT, "", "a/b",
     -1, "", 1, "X-T", "a\tb"},
    {"Content-Type: a/b\nX-U: caf\xc3\xa9\n\n", 200, CGI_RESPONSE_DOCUMENT, "",
     "a/b", -1, "", 1, "X-U", "caf\xc3\xa9"},
    {"Content-Type: a/b\nX-E:\n\n", 200, CGI_RESPONSE_DOCUMENT, "", "a/b", -1,
     "", 1, "X-E", ""},
    {"Content-Type: a/b\nContent-Length: 0\n\n", 200, CGI_RESPONSE_DOCUMENT, "",
     "a/b", 0, "", 0, NULL, NULL},
    {"Content-Type: a/b\nContent-Length: 9223372036854775807\n\n", 200,
     CGI_RESPONSE_DOCUMENT, "", "a/b", INT64_MAX, "", 0, NULL, NULL},
    {"Status: 599 X\nContent-Type: a/b\n\n", 599, CGI_RESPONSE_DOCUMENT, "",
     "a/b", -1, "X", 0, NULL, NULL},
    {"Status: 200\nContent-Type: a/b\n\n", 200, CGI_RESPONSE_DOCUMENT, "",
     "a/b", -1, "", 0, NULL, NULL},
    /* RFC 3875 §6.3.1 obliges the script, not the server: a document
     * without Content-Type is passed through as it is (Apache, lighttpd) */
    {"X-Foo: bar\r\n\r\n", 200, CGI_RESPONSE_DOCUMENT, "", "", -1, "", 1,
     "X-Foo", "bar"},
    {"Status: 200\n\n", 200, CGI_RESPONSE_DOCUMENT, "", "", -1, "", 0, NULL,
     NULL},
    {"Status: 500 Oops\n\n", 500, CGI_RESPONSE_DOCUMENT, "", "", -1, "Oops", 0,
     NULL, NULL},
    {"Content-Length: 3\n\n", 200, CGI_RESPONSE_DOCUMENT, "", "", 3, "", 0,
     NULL, NULL},
};

static void expect_slice(struct slice s, const char *want, const char *what,
			 size_t i)
{
	cr_expect_eq(s.len, strlen(want), "case %zu %s: length %zu", i, what,
		     s.len);
	if (s.len == strlen(want) && s.len > 0)
		cr_expect(memcmp(s.ptr, want, s.len) == 0,
			  "case %zu %s: '%.*s'", i, what, (int)s.len, s.ptr);
}

Test(cgi_head, valid_at_every_split)
{
	static const char body[] = "BODY\nmore: x\n\n";

	for (size_t i = 0; i < sizeof(head_ok_cases) / sizeof(head_ok_cases[0]);
	     i++) {
		const struct head_ok *c = &head_ok_cases[i];
		size_t len = strlen(c->in);
		char full[1024];
		struct cgi_response_head h;
		int r;

		cr_assert_lt(len + sizeof(body), sizeof(full));
		for (size_t k = 0; k < len; k++)
			cr_expect_eq(parse_n(c->in, k, CGI_HEAD_LIMIT, &h),
				     CGI_INCOMPLETE, "case %zu prefix %zu", i,
				     k);
		/* Alone, and followed by a body that looks like fields. */
		memcpy(full, c->in, len);
		memcpy(full + len, body, sizeof(body));
		for (int pass = 0; pass < 2; pass++) {
			size_t n = pass ? len + sizeof(body) - 1 : len;

			memset(&h, 0x5a, sizeof(h));
			r = cgi_parse_head(full, n, CGI_HEAD_LIMIT, &h);
			cr_assert_eq(r, (int)len, "case %zu pass %d: %d", i,
				     pass, r);
			cr_expect_eq(h.status, c->status, "case %zu", i);
			cr_expect_eq(h.kind, c->kind, "case %zu", i);
			cr_expect_eq(h.content_length, c->content_length,
				     "case %zu", i);
			expect_slice(h.location, c->location, "location", i);
			expect_slice(h.content_type, c->content_type, "type",
				     i);
			expect_slice(h.reason, c->reason, "reason", i);
			cr_expect_eq(h.header_count, c->header_count,
				     "case %zu", i);
			if (c->h_name && h.header_count > 0) {
				expect_slice(h.headers[0].name, c->h_name,
					     "name", i);
				expect_slice(h.headers[0].value, c->h_value,
					     "value", i);
			}
		}
	}
}

Test(cgi_head, passthrough_order_and_trim)
{
	static const char in[] =
	    "Content-Type: text/html\r\nSet-Cookie: a=1\r\n"
	    "Cache-Control:no-store\r\nSet-Cookie: b=2 \r\n\r\n";
	struct cgi_response_head h;

	cr_assert_eq(cgi_parse_head(in, sizeof(in) - 1, CGI_HEAD_LIMIT, &h),
		     (int)sizeof(in) - 1);
	cr_assert_eq(h.header_count, 3);
	expect_slice(h.headers[0].value, "a=1", "h0", 0);
	expect_slice(h.headers[1].name, "Cache-Control", "h1", 0);
	expect_slice(h.headers[1].value, "no-store", "h1", 0);
	expect_slice(h.headers[2].value, "b=2", "h2", 0);
	cr_expect_eq(h.has_status, false);
}

struct head_bad {
	const char *in;
	size_t len; /* 0: strlen(in) */
};

static const struct head_bad head_bad_cases[] = {
    {"\n", 0},
    {"\r\n", 0},
    {"Status: 99 Bad\nContent-Type: a/b\n\n", 0},
    {"Status: 1000\nContent-Type: a/b\n\n", 0},
    {"Status: 600 x\nContent-Type: a/b\n\n", 0},
    {"Status: 199 x\nContent-Type: a/b\n\n", 0},
    {"Status: 100 Continue\nContent-Type: a/b\n\n", 0},
    {"Status: 101\nContent-Type: a/b\n\n", 0},
    {"Status: abc\nContent-Type: a/b\n\n", 0},
    {"Status: 20\nContent-Type: a/b\n\n", 0},
    {"Status:\nContent-Type: a/b\n\n", 0},
    {"Status: 404Not Found\nContent-Type: a/b\n\n", 0},
    {"Status: 404\tNot Found\nContent-Type: a/b\n\n", 0},
    {"Status: -40\nContent-Type: a/b\n\n", 0},
    {"Status: 404\nStatus: 404\nContent-Type: a/b\n\n", 0},
    {"Content-Type: a/b\nContent-Type: a/b\n\n", 0},
    {"Location: /a\nLocation: /b\n\n", 0},
    {"Content-Type: a/b\nContent-Length: 1\nContent-Length: 1\n\n", 0},
    {"Content-Type: a/b\nContent-Length: -1\n\n", 0},
    {"Content-Type: a/b\nContent-Length: +1\n\n", 0},
    {"Content-Type: a/b\nContent-Length: 1a\n\n", 0},
    {"Content-Type: a/b\nContent-Length: 1 2\n\n", 0},
    {"Content-Type: a/b\nContent-Length: 9223372036854775808\n\n", 0},
    {"Content-Type: a/b\nContent-Length: 99999999999999999999\n\n", 0},
    {"Content-Type: a/b\nContent-Length:\n\n", 0},
    {"Content-Type:\n\n", 0},
    {"Content-Type:   \n\n", 0},
    {"Location:\n\n", 0},
    {"Location: relative/path\n\n", 0},
    {"Location: :foo\n\n", 0},
    {"Location: http:\n\n", 0},
    {"Location: 1http://x\n\n", 0},
    {"Location: ht tp://x\n\n", 0},
    {"Bad Name: x\nContent-Type: a/b\n\n", 0},
    {"Content-Type : a/b\n\n", 0},
    {": x\nContent-Type: a/b\n\n", 0},
    {"X@Y: 1\nContent-Type: a/b\n\n", 0},
    {"X(Y): 1\nContent-Type: a/b\n\n", 0},
    {"NoColon\nContent-Type: a/b\n\n", 0},
    {" Content-Type: a/b\n\n", 0},
    {"Content-Type: a/b\n continued\n\n", 0},
    {"Content-Type: a/b\n\tcontinued\n\n", 0},
    {"Content-Type: a/b\nX: a\x01"
     "b\n\n",
     0},
    {"Content-Type: a/b\nX: a\rb\n\n", 0},
    {"Content-Type: a/b\r\r\n\r\n", 0},
    {"Content-Type: a/b\nX: a\x7f\n\n", 0},
    {"Content-Type: a/b\nX: a\x1b[0m\n\n", 0},
    {"Content-Type: a/b\nX: a\0b\n\n", 26},
    {"Content-Type: a/b\nX\0Y: 1\n\n", 26},
    {"Content-Type: a/b\n\rX: 1\n\n", 0},
};

Test(cgi_head, errors)
{
	for (size_t i = 0;
	     i < sizeof(head_bad_cases) / sizeof(head_bad_cases[0]); i++) {
		const struct head_bad *c = &head_bad_cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		struct cgi_response_head h;

		cr_assert(len >= 1 && c->in[len - 1] == '\n', "case %zu", i);
		/* A prefix may be incomplete or already wrong, never OK. */
		for (size_t k = 0; k < len; k++) {
			int r = parse_n(c->in, k, CGI_HEAD_LIMIT, &h);

			cr_expect(r == CGI_INCOMPLETE || r == CGI_ERROR,
				  "case %zu prefix %zu: %d", i, k, r);
		}
		cr_expect_eq(parse_n(c->in, len, CGI_HEAD_LIMIT, &h), CGI_ERROR,
			     "case %zu", i);
	}
}

Test(cgi_head, too_many_fields)
{
	char in[4096];
	size_t len = 0;
	struct cgi_response_head h;
	int n;

	n = snprintf(in, sizeof(in), "Content-Type: a/b\n");
	len += (size_t)n;
	for (int i = 0; i < CGI_MAX_HEADERS; i++) {
		n = snprintf(in + len, sizeof(in) - len, "X-%d: v\n", i);
		cr_assert(n > 0 && (size_t)n < sizeof(in) - len);
		len += (size_t)n;
	}
	in[len] = '\n';
	cr_expect_eq(cgi_parse_head(in, len + 1, sizeof(in), &h), (int)len + 1);
	cr_expect_eq(h.header_count, CGI_MAX_HEADERS);
	/* Dropped fields do not count. */
	memcpy(in + len, "Date: x\n\n", 9);
	cr_expect_eq(cgi_parse_head(in, len + 9, sizeof(in), &h), (int)len + 9);
	memcpy(in + len, "X-Last: v\n\n", 11);
	cr_expect_eq(cgi_parse_head(in, len + 11, sizeof(in), &h), CGI_ERROR);
}

Test(cgi_head, limit)
{
	static const char in[] = "Content-Type: text/plain\r\nX-Pad: 0123456789"
				 "\r\n\r\nbody";
	size_t head = sizeof(in) - 1 - 4;
	struct cgi_response_head h;

	/* Exactly at the limit: fine; one byte over: too large. */
	cr_expect_eq(cgi_parse_head(in, sizeof(in) - 1, head, &h), (int)head);
	cr_expect_eq(cgi_parse_head(in, head, head, &h), (int)head);
	cr_expect_eq(cgi_parse_head(in, sizeof(in) - 1, head - 1, &h),
		     CGI_ERROR);
	cr_expect_eq(cgi_parse_head(in, head - 1, head - 1, &h), CGI_ERROR);
	/* Not complete yet, still under the limit: wait for more. */
	cr_expect_eq(cgi_parse_head(in, head - 1, head, &h), CGI_INCOMPLETE);
	cr_expect_eq(cgi_parse_head(in, 10, 11, &h), CGI_INCOMPLETE);
	cr_expect_eq(cgi_parse_head(in, 11, 11, &h), CGI_ERROR);
	cr_expect_eq(cgi_parse_head(in, 0, 11, &h), CGI_INCOMPLETE);
}

Test(cgi_head, oversize_stream)
{
	size_t size = 3 * CGI_HEAD_LIMIT;
	char *big = malloc(size);
	struct cgi_response_head h;

	cr_assert_not_null(big);
	/* A script that never ends its head (one endless field). */
	memcpy(big, "X-Long: ", 8);
	memset(big + 8, 'a', size - 8);
	cr_expect_eq(
	    cgi_parse_head(big, CGI_HEAD_LIMIT - 1, CGI_HEAD_LIMIT, &h),
	    CGI_INCOMPLETE);
	cr_expect_eq(cgi_parse_head(big, CGI_HEAD_LIMIT, CGI_HEAD_LIMIT, &h),
		     CGI_ERROR);
	cr_expect_eq(cgi_parse_head(big, size, CGI_HEAD_LIMIT, &h), CGI_ERROR);
	/* Many short lines past the limit, terminated only after it. */
	for (size_t i = 0; i + 7 < size; i += 7)
		memcpy(big + i, "X-A: 1\n", 7);
	memcpy(big + size - 2, "\n\n", 2);
	cr_expect_eq(cgi_parse_head(big, size, CGI_HEAD_LIMIT, &h), CGI_ERROR);
	free(big);
}

/* ---- processes -------------------------------------------------------- */

static char test_dir[] = "/tmp/webserv-cgi-XXXXXX";
static char script_path[PATH_MAX];

static void make_dir(void)
{
	cr_assert_not_null(mkdtemp(test_dir));
}

/* Write file name in test_dir with text; its path into out[PATH_MAX]. */
static void write_file(const char *name, const char *text, mode_t mode,
		       char *out)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", test_dir, name);
	int fd;

	cr_assert(n > 0 && n < PATH_MAX);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	cr_assert_neq(fd, -1, "%s: %s", out, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void remove_dir(void)
{
	DIR *d = opendir(test_dir);
	struct dirent *e;
	char path[PATH_MAX + 300];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", test_dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(test_dir);
}

static size_t count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	size_t n = 0;

	cr_assert_not_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static char **simple_env(void)
{
	struct cgi_request_info info = test_info();
	char **envp = cgi_build_env(&info);

	cr_assert_not_null(envp);
	return envp;
}

static void spawn_script(const char *text, struct cgi_proc *proc)
{
	char **envp = simple_env();
	int exec_errno = -1;

	write_file("t.sh", text, 0644, script_path);
	cr_assert_eq(cgi_spawn("/bin/sh", script_path, test_dir, envp, -1, -1,
			       proc, &exec_errno),
		     0, "spawn: %s", strerror(errno));
	cr_assert_eq(exec_errno, 0);
	cgi_free_env(envp);
}

struct output {
	char out[65536];
	size_t out_len;
	char err[4096];
	size_t err_len;
};

static void read_some(int *fd, char *buf, size_t cap, size_t *len)
{
	ssize_t n = read(*fd, buf + *len, cap - 1 - *len);

	if (n > 0) {
		*len += (size_t)n;
		buf[*len] = '\0';
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		close(*fd);
		*fd = -1;
	}
	cr_assert_lt(*len, cap - 1, "output too large");
}

/* Feed input, read stdout and stderr to EOF, wait for the exit. */
static int run_to_end(struct cgi_proc *proc, const char *input,
		      struct output *o)
{
	size_t in_len = strlen(input);
	int wstatus = 0;

	memset(o, 0, sizeof(*o));
	if (in_len)
		cr_assert_eq(write(proc->stdin_fd, input, in_len),
			     (ssize_t)in_len);
	close(proc->stdin_fd);
	proc->stdin_fd = -1;
	while (proc->stdout_fd >= 0 || proc->stderr_fd >= 0) {
		struct pollfd pfd[2] = {
		    {.fd = proc->stdout_fd, .events = POLLIN},
		    {.fd = proc->stderr_fd, .events = POLLIN}};

		cr_assert_gt(poll(pfd, 2, 10000), 0, "script hangs");
		if (pfd[0].revents)
			read_some(&proc->stdout_fd, o->out, sizeof(o->out),
				  &o->out_len);
		if (pfd[1].revents)
			read_some(&proc->stderr_fd, o->err, sizeof(o->err),
				  &o->err_len);
	}
	struct pollfd pidfd = {.fd = proc->pidfd, .events = POLLIN};
	cr_assert_eq(poll(&pidfd, 1, 10000), 1, "script does not exit");
	cr_assert_eq(cgi_reap(proc, &wstatus), 1);
	cr_assert(proc->reaped);
	cgi_proc_close(proc);
	return wstatus;
}

/* The line of out that starts with prefix, or NULL. */
static const char *find_line(const char *out, const char *prefix)
{
	size_t len = strlen(prefix);

	for (const char *p = out; *p;) {
		const char *nl = strchr(p, '\n');

		if (strncmp(p, prefix, len) == 0)
			return p;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return NULL;
}

static void expect_line(const char *out, const char *line)
{
	const char *p = find_line(out, line);

	cr_expect(p && (p[strlen(line)] == '\n' || p[strlen(line)] == '\0'),
		  "no line '%s' in:\n%s", line, out);
}

TestSuite(cgi_spawn, .init = make_dir, .fini = remove_dir, .timeout = 30);

Test(cgi_spawn, env_cwd_stdin_stderr)
{
	struct cgi_proc proc;
	struct output o;
	char real[PATH_MAX], line[PATH_MAX + 16];
	int wstatus;

	setenv("WEBSERV_TEST_SECRET", "leak", 1);
	setenv("PATH", "/usr/bin:/bin", 1);
	spawn_script("echo BEGIN\n"
		     "env\n"
		     "echo \"PWD_IS=$(pwd -P)\"\n"
		     "echo ARGV0_IS=$0\n"
		     "echo STDIN:\n"
		     "cat\n"
		     "echo :STDIN\n"
		     "echo to-stderr >&2\n"
		     "exit 3\n",
		     &proc);
	cr_assert_gt(proc.pid, 0);
	wstatus = run_to_end(&proc, "hello body\nline 2\n", &o);
	cr_expect(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 3,
		  "wstatus %#x", wstatus);
	expect_line(o.out, "BEGIN");
	expect_line(o.out, "GATEWAY_INTERFACE=CGI/1.1");
	expect_line(o.out, "QUERY_STRING=a=1&b=%20");
	expect_line(o.out, "HTTP_ACCEPT=text/html, text/plain");
	expect_line(o.out, "CONTENT_LENGTH=5");
	expect_line(o.out, "PATH=/usr/bin:/bin");
	cr_expect_null(find_line(o.out, "WEBSERV_TEST_SECRET="));
	cr_expect_null(find_line(o.out, "HTTP_PROXY="));
	cr_assert_not_null(realpath(test_dir, real));
	snprintf(line, sizeof(line), "PWD_IS=%s", real);
	expect_line(o.out, line);
	snprintf(line, sizeof(line), "ARGV0_IS=%s", script_path);
	expect_line(o.out, line);
	cr_expect_not_null(
	    strstr(o.out, "STDIN:\nhello body\nline 2\n:STDIN\n"),
	    "stdin not echoed:\n%s", o.out);
	cr_expect_str_eq(o.err, "to-stderr\n");
}

Test(cgi_spawn, worker_ends_nonblocking_cloexec)
{
	struct cgi_proc proc;
	struct output o;
	int fds[3];

	spawn_script("exit 0\n", &proc);
	fds[0] = proc.stdin_fd;
	fds[1] = proc.stdout_fd;
	fds[2] = proc.stderr_fd;
	for (int i = 0; i < 3; i++) {
		cr_expect(fcntl(fds[i], F_GETFL) & O_NONBLOCK, "fd %d", i);
		cr_expect(fcntl(fds[i], F_GETFD) & FD_CLOEXEC, "fd %d", i);
	}
	cr_expect(fcntl(proc.pidfd, F_GETFD) & FD_CLOEXEC);
	cr_expect_eq(run_to_end(&proc, "", &o), 0);
	cr_expect_eq(proc.stdin_fd, -1);
	cr_expect_eq(proc.pidfd, -1);
}

/* Only 0-2 reach the script, even fds the worker leaked without CLOEXEC,
 * and the script's 0-2 are blocking. */
Test(cgi_spawn, only_fds_0_to_2)
{
	struct cgi_proc proc;
	struct output o;
	int leak = open("/dev/null", O_RDONLY);

	cr_assert_neq(leak, -1);
	cr_assert_eq(dup2(leak, 77), 77);
	spawn_script("[ -e /proc/self/fd/77 ] && echo LEAK77\n"
		     "for f in 0 1 2; do\n"
		     "  grep '^flags:' /proc/self/fdinfo/$f\n"
		     "done\n"
		     "exec ls -l /proc/self/fd\n",
		     &proc);
	cr_expect_eq(run_to_end(&proc, "", &o), 0, "%s", o.err);
	cr_expect_null(strstr(o.out, "LEAK77"));
	/* ls lists its own fds: 0-2 and the directory it reads. */
	for (const char *p = strstr(o.out, "total"); p && *p;) {
		const char *nl = strchr(p, '\n');
		const char *arrow = strstr(p, " -> ");
		const char *name;

		if (arrow == NULL || (nl && arrow > nl))
			goto next;
		name = arrow;
		while (name > p && name[-1] != ' ')
			name--;
		if (strtol(name, NULL, 10) > 2)
			cr_expect(strncmp(arrow + 4, "/proc/", 6) == 0,
				  "inherited: %.*s", (int)(nl - name), name);
	next:
		p = nl ? nl + 1 : NULL;
	}
	/* fdinfo flags are octal; O_NONBLOCK is 04000. */
	for (const char *p = o.out; (p = strstr(p, "flags:")); p++) {
		unsigned long flags = strtoul(p + 6, NULL, 8);

		cr_expect_eq(flags & O_NONBLOCK, 0, "script fd non-blocking");
	}
	cr_expect_not_null(strstr(o.out, "flags:"), "%s", o.out);
	close(leak);
	close(77);
}

static void move_high(int *fd)
{
	int high = fcntl(*fd, F_DUPFD_CLOEXEC, 10);

	cr_assert_neq(high, -1);
	close(*fd);
	*fd = high;
}

/* A worker whose fds 0-2 are closed gets pipe ends there: no dup2 may
 * clobber another, and each must lose CLOEXEC in the child. */
Test(cgi_spawn, worker_without_stdio)
{
	struct cgi_proc proc;
	struct output o;
	char **envp = simple_env();
	int saved[3], exec_errno;

	for (int i = 0; i < 3; i++) {
		saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 10);
		cr_assert_neq(saved[i], -1);
	}
	write_file("t.sh", "cat\necho done\necho e >&2\n", 0644, script_path);
	close(0);
	close(1);
	close(2);
	cr_assert_eq(cgi_spawn("/bin/sh", script_path, NULL, envp, -1, -1,
			       &proc, &exec_errno),
		     0);
	cr_expect_lt(proc.stdin_fd, 3, "the test did not place a pipe at 0-2");
	/* Move our ends away before stdio comes back. */
	move_high(&proc.stdin_fd);
	move_high(&proc.stdout_fd);
	move_high(&proc.stderr_fd);
	move_high(&proc.pidfd);
	for (int i = 0; i < 3; i++)
		dup2(saved[i], i);
	cr_expect_eq(run_to_end(&proc, "in\n", &o), 0);
	cr_expect_str_eq(o.out, "in\ndone\n");
	cr_expect_str_eq(o.err, "e\n");
	for (int i = 0; i < 3; i++)
		close(saved[i]);
	cgi_free_env(envp);
}

/* Field 5 of /proc/PID/stat (pgrp); the comm field may hold spaces. */
static long stat_field(const char *stat, int field)
{
	const char *p = strrchr(stat, ')');

	cr_assert_not_null(p);
	p += 2; /* field 3 */
	for (int f = 3; f < field; f++) {
		p = strchr(p, ' ');
		cr_assert_not_null(p);
		p++;
	}
	return strtol(p, NULL, 10);
}

Test(cgi_spawn, own_process_group)
{
	struct cgi_proc proc;
	struct output o;
	pid_t pid;

	spawn_script("cat /proc/$$/stat\n", &proc);
	pid = proc.pid;
	cr_expect_eq(run_to_end(&proc, "", &o), 0);
	cr_expect_eq(strtol(o.out, NULL, 10), pid, "%s", o.out);
	cr_expect_eq(stat_field(o.out, 5), pid, "pgrp: %s", o.out);
	cr_expect_neq(stat_field(o.out, 5), getpgrp());
}

static void on_usr2(int sig)
{
	(void)sig;
}

Test(cgi_spawn, default_signals_empty_mask)
{
	struct cgi_proc proc;
	struct output o;
	sigset_t block;
	struct sigaction sa = {.sa_handler = on_usr2};
	const char *ignored;
	unsigned long long mask;

	/* The worker's state: SIGPIPE ignored, signals blocked, handlers. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	sigaction(SIGUSR2, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, NULL);
	spawn_script("exec grep -E '^Sig(Blk|Ign):' /proc/self/status\n",
		     &proc);
	cr_expect_eq(run_to_end(&proc, "", &o), 0);
	expect_line(o.out, "SigBlk:\t0000000000000000");
	ignored = find_line(o.out, "SigIgn:\t");
	cr_assert_not_null(ignored, "%s", o.out);
	/* glibc's posix_spawn leaves its two reserved signals (32, 33:
	 * SIGCANCEL, SIGSETXID) ignored, by design; glibc programs re-arm
	 * them, nobody else may use them.  Everything else is SIG_DFL. */
	mask = strtoull(ignored + 8, NULL, 16);
	cr_expect_eq(mask & ~((1ull << 31) | (1ull << 32)), 0, "%s", o.out);
}

Test(cgi_spawn, exec_failures_leave_nothing)
{
	static const struct {
		const char *interpreter;
		const char *cwd;
		int err;
	} cases[] = {
	    {"/nonexistent/interpreter", NULL, ENOENT},
	    {"not-executable", NULL, EACCES},
	    {"/bin/sh", "not-a-dir", ENOTDIR},
	    {"/bin/sh", "/nonexistent/dir", ENOENT},
	};
	char plain[PATH_MAX];
	char **envp = simple_env();
	size_t fds_before;

	write_file("not-executable", "#!/bin/sh\n", 0644, plain);
	write_file("not-a-dir", "x", 0644, script_path);
	fds_before = count_fds();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char interp[PATH_MAX], cwd[PATH_MAX];
		struct cgi_proc proc;
		int exec_errno = 0;

		snprintf(interp, sizeof(interp), "%s%s",
			 cases[i].interpreter[0] == '/' ? "" : test_dir,
			 cases[i].interpreter[0] == '/' ? cases[i].interpreter
							: "/not-executable");
		if (cases[i].cwd)
			snprintf(cwd, sizeof(cwd), "%s%s%s",
				 cases[i].cwd[0] == '/' ? "" : test_dir,
				 cases[i].cwd[0] == '/' ? "" : "/",
				 cases[i].cwd);
		errno = 0;
		cr_expect_eq(cgi_spawn(interp, plain, cases[i].cwd ? cwd : NULL,
				       envp, -1, -1, &proc, &exec_errno),
			     -1, "case %zu", i);
		cr_expect_eq(exec_errno, cases[i].err, "case %zu: %s", i,
			     strerror(exec_errno));
		cr_expect_eq(errno, cases[i].err, "case %zu", i);
		cr_expect_eq(proc.pidfd, -1);
		cr_expect_eq(proc.stdin_fd, -1);
		cr_expect_eq(proc.stdout_fd, -1);
		cr_expect_eq(proc.stderr_fd, -1);
		/* No zombie, no child at all, no fd left open. */
		cr_expect_eq(waitpid(-1, NULL, WNOHANG), -1, "case %zu", i);
		cr_expect_eq(errno, ECHILD, "case %zu", i);
		cr_expect_eq(count_fds(), fds_before, "case %zu", i);
	}
	cgi_free_env(envp);
}

Test(cgi_spawn, stderr_to_given_fd)
{
	struct cgi_proc proc;
	struct output o;
	char **envp = simple_env();
	int log_pipe[2], exec_errno;
	char buf[64] = {0};

	cr_assert_eq(pipe2(log_pipe, O_CLOEXEC), 0);
	write_file("t.sh", "echo out; echo err-line >&2\n", 0644, script_path);
	cr_assert_eq(cgi_spawn("/bin/sh", script_path, NULL, envp, -1,
			       log_pipe[1], &proc, &exec_errno),
		     0);
	cr_expect_eq(proc.stderr_fd, -1);
	cr_expect_eq(run_to_end(&proc, "", &o), 0);
	close(log_pipe[1]);
	cr_expect_gt(read(log_pipe[0], buf, sizeof(buf) - 1), 0);
	cr_expect_str_eq(buf, "err-line\n");
	cr_expect_str_eq(o.out, "out\n");
	close(log_pipe[0]);
	cgi_free_env(envp);
}

/* Read stdout until a full first line; return it as a number. */
static long read_first_line(struct cgi_proc *proc)
{
	char buf[128];
	size_t len = 0;

	while (memchr(buf, '\n', len) == NULL) {
		struct pollfd pfd = {.fd = proc->stdout_fd, .events = POLLIN};
		ssize_t n;

		cr_assert_eq(poll(&pfd, 1, 10000), 1);
		n = read(proc->stdout_fd, buf + len, sizeof(buf) - 1 - len);
		cr_assert_gt(n, 0);
		len += (size_t)n;
	}
	buf[len] = '\0';
	return strtol(buf, NULL, 10);
}

/* Wait up to 10 s for pid (our child) to end; its wait status. */
static int wait_for(pid_t pid)
{
	int wstatus;

	for (int i = 0; i < 1000; i++) {
		pid_t r = waitpid(pid, &wstatus, WNOHANG);

		cr_assert_neq(r, -1, "waitpid %d: %s", pid, strerror(errno));
		if (r == pid)
			return wstatus;
		usleep(10000);
	}
	cr_assert_fail("%d did not end", pid);
	return -1;
}

Test(cgi_spawn, kill_reaches_grandchild)
{
	struct cgi_proc proc;
	struct pollfd pidfd;
	char path[64], stat[512];
	long grandchild;
	int wstatus, fd;
	ssize_t n;

	/* Orphans come to us, so we can see how the grandchild ended. */
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	spawn_script("sleep 60 &\necho $!\nwait\n", &proc);
	grandchild = read_first_line(&proc);
	cr_assert_gt(grandchild, 0);
	snprintf(path, sizeof(path), "/proc/%ld/stat", grandchild);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_neq(fd, -1);
	n = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	cr_assert_gt(n, 0);
	stat[n] = '\0';
	cr_expect_eq(stat_field(stat, 5), proc.pid, "grandchild's group");

	cr_expect_eq(cgi_reap(&proc, &wstatus), 0, "still running");
	pidfd = (struct pollfd){.fd = proc.pidfd, .events = POLLIN};
	cr_expect_eq(poll(&pidfd, 1, 0), 0, "pidfd readable while running");

	cr_assert_eq(cgi_kill(&proc, SIGTERM), 0);
	cr_assert_eq(poll(&pidfd, 1, 10000), 1);
	cr_assert_eq(cgi_reap(&proc, &wstatus), 1);
	cr_expect(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGTERM,
		  "script: wstatus %#x", wstatus);
	wstatus = wait_for((pid_t)grandchild);
	cr_expect(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGTERM,
		  "grandchild: wstatus %#x", wstatus);
	cr_expect_eq(cgi_reap(&proc, &wstatus), -1, "reaped twice");
	cgi_proc_close(&proc);
	cgi_proc_close(&proc);
}

/* A script that ignores SIGTERM needs the second step. */
Test(cgi_spawn, sigkill_after_ignored_sigterm)
{
	struct cgi_proc proc;
	struct pollfd pidfd;
	int wstatus;

	spawn_script("trap '' TERM\necho 1\nexec sleep 60\n", &proc);
	cr_assert_eq(read_first_line(&proc), 1);
	pidfd = (struct pollfd){.fd = proc.pidfd, .events = POLLIN};
	cr_assert_eq(cgi_kill(&proc, SIGTERM), 0);
	cr_expect_eq(poll(&pidfd, 1, 300), 0, "died of an ignored SIGTERM");
	cr_assert_eq(cgi_kill(&proc, SIGKILL), 0);
	cr_assert_eq(poll(&pidfd, 1, 10000), 1);
	cr_assert_eq(cgi_reap(&proc, &wstatus), 1);
	cr_expect(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL,
		  "wstatus %#x", wstatus);
	cgi_proc_close(&proc);
}

/* ---- cgi_params ------------------------------------------------------- */

/* Each param sets its variable with the variables expanded, overriding
 * the server's own of that name; nothing is set twice. */
Test(cgi_env, params_set_and_override)
{
	static const char fields[] = "Host: example.test\r\n";
	const struct name_value params[] = {
	    {"PATH_INFO", "$uri"},
	    {"SCRIPT_NAME", "/app${path_info}"},
	    {"APP_ALL", "$request_uri|$query_string|$document_root|"
			"$script_filename|$host|$scheme|$remote_addr|"
			"$server_port|$request_id"},
	    {"PRICE", "5$ and $ alone, $5"},
	    {"HTTP_HOST", "forced"},
	    {"EMPTY", ""},
	};
	struct cgi_request_info info = test_info();

	info.fields = (struct slice)S(fields);
	info.uri = (struct slice)S("/cgi-bin/t.py/extra/p");
	info.request_id = (struct slice)S("abc-123"); /* kept or made */
	info.params = params;
	info.param_count = sizeof(params) / sizeof(params[0]);
	char **envp = cgi_build_env(&info);

	cr_assert_not_null(envp);
	cr_expect_str_eq(env_get(envp, "PATH_INFO"), "/cgi-bin/t.py/extra/p");
	cr_expect_str_eq(env_get(envp, "SCRIPT_NAME"), "/app/extra/p");
	cr_expect_str_eq(env_get(envp, "APP_ALL"),
			 "/cgi-bin/t.py/extra/p?a=1&b=%20|a=1&b=%20|"
			 "/srv/www/cgi-bin|/srv/www/cgi-bin/t.py|"
			 "example.test|http|192.0.2.7|8080|abc-123");
	cr_expect_str_eq(env_get(envp, "PRICE"), "5$ and $ alone, $5");
	cr_expect_str_eq(env_get(envp, "HTTP_HOST"), "forced");
	cr_expect_str_eq(env_get(envp, "EMPTY"), "");
	/* the others stay */
	cr_expect_str_eq(env_get(envp, "REQUEST_METHOD"), "POST");
	cr_expect_str_eq(env_get(envp, "PATH_TRANSLATED"),
			 "/srv/www/cgi-bin/extra/p");
	cgi_free_env(envp);
}

Test(cgi_env, param_variables_checked)
{
	static const struct {
		const char *value;
		const char *unknown; /* NULL: all known */
	} cases[] = {
	    {"$uri", NULL},
	    {"${uri}x", NULL},
	    {"a$uri$request_uri b", NULL},
	    {"$ $5 5$", NULL},
	    {"plain", NULL},
	    {"$request_id$server_port", NULL},
	    {"$urx", "urx"},
	    {"ok $uri then $nope.", "nope"},
	    {"${uri", "uri"},
	    {"${}", ""},
	    {"$URI", "URI"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = 99;
		const char *bad = cgi_param_unknown_var(cases[i].value, &len);

		if (cases[i].unknown == NULL) {
			cr_expect_null(bad, "%s: %s", cases[i].value, bad);
			continue;
		}
		cr_expect_not_null(bad, "%s", cases[i].value);
		if (bad)
			cr_expect(len == strlen(cases[i].unknown) &&
				      strncmp(bad, cases[i].unknown, len) == 0,
				  "%s: got %.*s", cases[i].value, (int)len,
				  bad);
	}
	cr_expect(cgi_param_name_ok("PATH_INFO"));
	cr_expect(cgi_param_name_ok("_x9"));
	cr_expect_not(cgi_param_name_ok("9X"));
	cr_expect_not(cgi_param_name_ok("A-B"));
	cr_expect_not(cgi_param_name_ok(""));
}
Test(cgi_env, https_request)
{
	struct cgi_request_info info = test_info();
	char **envp;

	info.https = true;
	envp = cgi_build_env(&info);
	cr_assert_not_null(envp);
	cr_expect_str_eq(env_get(envp, "HTTPS"), "on");
	cr_expect_str_eq(env_get(envp, "REQUEST_SCHEME"), "https");
	cgi_free_env(envp);
}
