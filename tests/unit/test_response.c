/*
 * test_response.c - reason phrases, IMF-fixdate, head building (bounds,
 * header injection), built-in error pages and which statuses have none.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "response.h"

struct reason_case {
	int status;
	const char *text;
};

/* Phrases as RFC 9110 §15 (and RFC 4918 §11.5 for 507) spell them. */
static const struct reason_case reason_cases[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {305, "Use Proxy"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Content"},
    {426, "Upgrade Required"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {507, "Insufficient Storage"},
    /* Not defined (306 and 418 are "unused" in RFC 9110). */
    {0, "Unknown"},
    {99, "Unknown"},
    {199, "Unknown"},
    {306, "Unknown"},
    {418, "Unknown"},
    {599, "Unknown"},
    {1000, "Unknown"},
    {-404, "Unknown"},
};

Test(response, reason_table)
{
	for (size_t i = 0; i < sizeof(reason_cases) / sizeof(reason_cases[0]);
	     i++)
		cr_expect_str_eq(http_reason(reason_cases[i].status),
				 reason_cases[i].text, "status %d",
				 reason_cases[i].status);
}

struct date_case {
	time_t t;
	const char *text;
};

static const struct date_case date_cases[] = {
    {784111777, "Sun, 06 Nov 1994 08:49:37 GMT"}, /* RFC 9110 §5.6.7 */
    {0, "Thu, 01 Jan 1970 00:00:00 GMT"},
    {951782400, "Tue, 29 Feb 2000 00:00:00 GMT"}, /* leap day */
    {1700000000, "Tue, 14 Nov 2023 22:13:20 GMT"},
    {253402300799, "Fri, 31 Dec 9999 23:59:59 GMT"},
    /* Past year 9999: cannot be four digits, the epoch instead. */
    {253402300800, "Thu, 01 Jan 1970 00:00:00 GMT"},
};

Test(response, date_format)
{
	for (size_t i = 0; i < sizeof(date_cases) / sizeof(date_cases[0]);
	     i++) {
		char out[30];

		memset(out, 'x', sizeof(out));
		http_date(date_cases[i].t, out);
		cr_expect_str_eq(out, date_cases[i].text, "t=%lld",
				 (long long)date_cases[i].t);
		cr_expect_eq(strlen(out), 29);
	}
}

Test(response, init_is_empty)
{
	struct response resp;

	memset(&resp, 0x5a, sizeof(resp));
	response_init(&resp);
	cr_expect_eq(resp.status, 0);
	cr_expect_eq(resp.fd, -1);
	cr_expect_eq(resp.body_kind, BODY_NONE);
	cr_expect_null(resp.mem);
	cr_expect_eq(resp.head_len, 0);
	cr_expect_not(resp.head_overflow);
	cr_expect_not(resp.close);
}

/* Value of header name in head ("" when absent), into out. */
static const char *head_value(const struct response *resp, const char *name,
			      char *out, size_t cap)
{
	char key[64];
	const char *p, *end;

	snprintf(key, sizeof(key), "\r\n%s: ", name);
	out[0] = '\0';
	p = strstr(resp->head, key);
	if (p == NULL)
		return out;
	p += strlen(key);
	end = strstr(p, "\r\n");
	cr_assert_not_null(end, "header line not terminated");
	cr_assert_lt((size_t)(end - p), cap);
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return out;
}

Test(response, status_line_date_server)
{
	struct response resp;
	char date[64], before[30], after[30];
	time_t t0, t1;

	response_init(&resp);
	t0 = time(NULL);
	response_status(&resp, 404);
	t1 = time(NULL);
	cr_expect_eq(resp.status, 404);
	cr_expect_eq(strncmp(resp.head, "HTTP/1.1 404 Not Found\r\n", 24), 0,
		     "head: %s", resp.head);
	http_date(t0, before);
	http_date(t1, after);
	head_value(&resp, "Date", date, sizeof(date));
	cr_expect(strcmp(date, before) == 0 || strcmp(date, after) == 0,
		  "Date: %s", date);
	head_value(&resp, "Server", date, sizeof(date));
	cr_expect_str_eq(date, "webserv/0.1");
	cr_expect_eq(resp.head_len, strlen(resp.head));
	cr_expect_eq(strcmp(resp.head + resp.head_len - 2, "\r\n"), 0);
	cr_expect_not(resp.head_overflow);
	/* A second status line replaces the first, never appends. */
	response_status(&resp, 200);
	cr_expect_eq(strncmp(resp.head, "HTTP/1.1 200 OK\r\n", 17), 0);
	cr_expect_null(strstr(resp.head, "404"));
	response_reset(&resp);
}

/* The status line, written by hand, says what snprintf would for every
 * code webserv can send, and the odd ones still get three digits. */
Test(response, status_line_every_code)
{
	struct response resp;
	char want[128];

	response_init(&resp);
	for (int code = 100; code <= 599; code++) {
		response_status(&resp, code);
		snprintf(want, sizeof(want), "HTTP/1.1 %03d %s\r\n", code,
			 http_reason(code));
		cr_assert_eq(strncmp(resp.head, want, strlen(want)), 0,
			     "%d: %s", code, resp.head);
	}
	response_status(&resp, 42);
	cr_expect_eq(strncmp(resp.head, "HTTP/1.1 042 ", 13), 0, "%s",
		     resp.head);
	response_reset(&resp);
}

Test(response, header_append)
{
	struct response resp;
	char val[64];

	response_init(&resp);
	response_status(&resp, 200);
	response_header(&resp, "Content-Length", "%d", 42);
	response_header(&resp, "X-Name", "%s-%s", "a", "b");
	cr_expect_str_eq(head_value(&resp, "Content-Length", val, sizeof(val)),
			 "42");
	cr_expect_str_eq(head_value(&resp, "X-Name", val, sizeof(val)), "a-b");
	/* the copying paths: a "%s" value and a literal */
	response_header(&resp, "X-Str", "%s", "v%d");
	response_header(&resp, "X-Lit", "plain");
	cr_expect_str_eq(head_value(&resp, "X-Str", val, sizeof(val)), "v%d");
	cr_expect_str_eq(head_value(&resp, "X-Lit", val, sizeof(val)), "plain");
	/* lengths, formatted by hand: as printf would */
	const uint64_t lens[] = {0, 7, 10, 1024, 18446744073709551615u};
	char want[32];
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		response_status(&resp, 200);
		response_header(&resp, "A", "%" PRIu64, lens[i]);
		response_header(&resp, "B", "%zu", (size_t)lens[i]);
		snprintf(want, sizeof(want), "%" PRIu64, lens[i]);
		cr_expect_str_eq(head_value(&resp, "A", val, sizeof(val)),
				 want);
		cr_expect_str_eq(head_value(&resp, "B", val, sizeof(val)),
				 want);
	}
	cr_expect_eq(resp.head_len, strlen(resp.head));
	cr_expect_not(resp.head_overflow);
}

Test(response, header_injection_dropped)
{
	struct response resp;
	size_t len;

	response_init(&resp);
	response_status(&resp, 302);
	len = resp.head_len;
	response_header(&resp, "Location", "%s", "/a\r\nSet-Cookie: x=1");
	cr_expect(resp.head_overflow);
	cr_expect_eq(resp.head_len, len);
	cr_expect_null(strstr(resp.head, "Set-Cookie"));
	cr_expect_null(strstr(resp.head, "Location"));
	response_header(&resp, "Location", "%s", "/b\nX: y");
	cr_expect_null(strstr(resp.head, "X: y"));
	cr_expect_eq(resp.head_len, strlen(resp.head));
}

/* The head never grows past its array and never keeps half a line. */
Test(response, head_overflow_is_safe)
{
	struct response *resp = malloc(sizeof(*resp));
	char big[1000];
	int added = 0;

	cr_assert_not_null(resp);
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	response_init(resp);
	response_status(resp, 200);
	while (!resp->head_overflow && added < 100) {
		response_header(resp, "X-Big", "%s", big);
		added++;
	}
	cr_expect(resp->head_overflow);
	cr_expect_lt(added, 100);
	cr_expect_lt(resp->head_len, (size_t)RESPONSE_HEAD_MAX);
	cr_expect_eq(resp->head_len, strlen(resp->head));
	cr_expect_eq(strcmp(resp->head + resp->head_len - 2, "\r\n"), 0);
	/* Every kept X-Big line is whole. */
	const char *p = resp->head;
	int whole = 0;

	while ((p = strstr(p, "X-Big: ")) != NULL) {
		cr_expect_eq(strncmp(p + 7 + 999, "\r\n", 2), 0);
		p += 7;
		whole++;
	}
	cr_expect_eq(whole, added - 1);
	/* The fields behind head were not written over. */
	cr_expect_eq(resp->fd, -1);
	cr_expect_eq(resp->body_kind, BODY_NONE);
	cr_expect_null(resp->mem);
	/* A small header that still fits is accepted; the flag stays. */
	size_t before = resp->head_len;

	response_header(resp, "X-S", "1");
	cr_expect_eq(resp->head_len, before + strlen("X-S: 1\r\n"));
	cr_expect(resp->head_overflow);
	/* A status line starts over and clears the flag. */
	response_status(resp, 200);
	cr_expect_not(resp->head_overflow);
	free(resp);
}

/* Fill the head up to exactly RESPONSE_HEAD_MAX - 1 bytes: accepted. */
Test(response, head_exact_fit)
{
	struct response resp;
	char value[RESPONSE_HEAD_MAX];
	size_t room;

	response_init(&resp);
	response_status(&resp, 200);
	/* "X: " + value + "\r\n" + NUL == what is left. */
	room = RESPONSE_HEAD_MAX - resp.head_len - strlen("X: \r\n") - 1;
	memset(value, 'a', room);
	value[room] = '\0';
	response_header(&resp, "X", "%s", value);
	cr_expect_not(resp.head_overflow);
	cr_expect_eq(resp.head_len, (size_t)RESPONSE_HEAD_MAX - 1);
	cr_expect_eq(resp.head[resp.head_len], '\0');
	/* One byte more does not fit. */
	response_status(&resp, 200);
	value[room] = 'a';
	value[room + 1] = '\0';
	size_t before = resp.head_len;

	response_header(&resp, "X", "%s", value);
	cr_expect(resp.head_overflow);
	cr_expect_eq(resp.head_len, before);
}

static long content_length(const struct response *resp)
{
	char val[64];

	head_value(resp, "Content-Length", val, sizeof(val));
	if (val[0] == '\0')
		return -1;
	return strtol(val, NULL, 10);
}

Test(response, builtin_error_page)
{
	struct response resp;
	char val[128];

	response_init(&resp);
	response_builtin_error(&resp, 404, false);
	cr_expect_eq(resp.status, 404);
	cr_expect_eq(strncmp(resp.head, "HTTP/1.1 404 Not Found\r\n", 24), 0);
	cr_assert_eq(resp.body_kind, BODY_MEM);
	cr_assert_not_null(resp.mem);
	cr_expect_eq(content_length(&resp), (long)resp.mem_len);
	cr_expect_str_eq(head_value(&resp, "Content-Type", val, sizeof(val)),
			 "text/html; charset=utf-8");

	char *body = strndup(resp.mem, resp.mem_len);

	cr_assert_not_null(body);
	cr_expect_not_null(strstr(body, "<title>404 Not Found</title>"), "%s",
			   body);
	cr_expect_not_null(strstr(body, "<h1>404 Not Found</h1>"));
	cr_expect_eq(strncmp(body, "<html>", 6), 0);
	cr_expect_not_null(strstr(body, "</html>"));
	free(body);
	response_reset(&resp);
	cr_expect_null(resp.mem);
	cr_expect_eq(resp.body_kind, BODY_NONE);
}

Test(response, builtin_error_head_has_no_body)
{
	struct response get, head;

	response_init(&get);
	response_init(&head);
	response_builtin_error(&get, 503, false);
	response_builtin_error(&head, 503, true);
	cr_expect_eq(head.status, 503);
	cr_expect_eq(head.body_kind, BODY_NONE);
	cr_expect_null(head.mem);
	cr_expect_eq(head.mem_len, 0);
	/* RFC 9110 §9.3.2: the same header fields as the GET would get. */
	cr_expect_eq(content_length(&head), (long)get.mem_len);
	cr_expect_gt(get.mem_len, 0);
	response_reset(&get);
	response_reset(&head);
}

Test(response, no_body_statuses)
{
	static const int statuses[] = {100, 101, 204, 304};

	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		struct response resp;
		char val[64];

		response_init(&resp);
		response_builtin_error(&resp, statuses[i], false);
		cr_expect_eq(resp.status, statuses[i]);
		cr_expect_eq(resp.body_kind, BODY_NONE, "status %d",
			     statuses[i]);
		cr_expect_null(resp.mem);
		cr_expect_eq(content_length(&resp), -1, "status %d",
			     statuses[i]);
		cr_expect_str_eq(
		    head_value(&resp, "Content-Type", val, sizeof(val)), "");
		cr_expect_not(response_status_has_body(statuses[i]));
	}
	cr_expect(response_status_has_body(200));
	cr_expect(response_status_has_body(404));
	cr_expect(response_status_has_body(301));
}

/* An earlier body (memory and file) is released, not leaked. */
Test(response, builtin_error_releases_body)
{
	struct response resp;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	cr_assert_neq(fd, -1);
	response_init(&resp);
	response_status(&resp, 200);
	resp.body_kind = BODY_FILE;
	resp.fd = fd;
	resp.file_len = 10;
	resp.close = true;
	response_builtin_error(&resp, 500, false);
	cr_expect_eq(fcntl(fd, F_GETFD), -1);
	cr_expect_eq(errno, EBADF);
	cr_expect_eq(resp.fd, -1);
	cr_expect_eq(resp.body_kind, BODY_MEM);
	cr_expect(resp.close, "close flag kept");
	/* The memory body of the first page is freed by the second (ASan). */
	response_builtin_error(&resp, 502, false);
	cr_expect_not_null(strstr(resp.head, "502 Bad Gateway"));
	response_reset(&resp);
	cr_expect_not(resp.close);
}

Test(response, reset_closes_file)
{
	struct response resp;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	cr_assert_neq(fd, -1);
	response_init(&resp);
	response_status(&resp, 200);
	resp.body_kind = BODY_FILE;
	resp.fd = fd;
	response_reset(&resp);
	cr_expect_eq(fcntl(fd, F_GETFD), -1);
	cr_expect_eq(resp.fd, -1);
	cr_expect_eq(resp.status, 0);
	cr_expect_eq(resp.head_len, 0);
}
