/*
 * response.c - status lines, headers and built-in pages of a response.
 *
 * Invariant: resp->head_len < RESPONSE_HEAD_MAX and resp->head is
 * NUL-terminated at head_len; a header that does not fit (or whose value
 * would break the framing with CR/LF) is dropped whole and sets
 * head_overflow, so the head is never written past its end and never holds
 * half a line.  Never does socket I/O; the only state is the per-second
 * cache of the current Date header.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "filecache.h"
#include "response.h"

struct reason {
	int status;
	const char *text;
};

/* RFC 9110 §15 (every status it defines), plus 507 (RFC 4918 §11.5). */
static const struct reason reasons[] = {
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
    {431, "Request Header Fields Too Large"}, /* RFC 6585 §5 */
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {507, "Insufficient Storage"},
};

static const char *const day_names[7] = {
    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};

static const char *const month_names[12] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

const char *http_reason(int status)
{
	size_t lo = 0, hi = sizeof(reasons) / sizeof(reasons[0]);

	/* The table is sorted by status. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (reasons[mid].status == status)
			return reasons[mid].text;
		if (reasons[mid].status < status)
			lo = mid + 1;
		else
			hi = mid;
	}
	return "Unknown";
}

/*
 * RFC 9110 §5.6.7: IMF-fixdate, always GMT, English names whatever the
 * locale (so no strftime).  A time that gmtime cannot express in four
 * year digits is written as the epoch rather than overflowing out[30].
 */
void http_date(time_t t, char *out)
{
	struct tm tm;
	int n;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < -1900 ||
	    tm.tm_year > 9999 - 1900) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	/* Every field is range-checked above, so 29 characters exactly. */
	n = snprintf(out, 30, "%s, %02d %s %04d %02d:%02d:%02d GMT",
		     day_names[tm.tm_wday], tm.tm_mday, month_names[tm.tm_mon],
		     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	assert(n == 29);
	(void)n;
}

/*
 * The Date of the current second.  Every response formats it, so the
 * string is kept until the clock moves on; other times (Last-Modified)
 * go through http_date and do not evict it.
 */
static const char *date_now(void)
{
	static time_t cached_t = (time_t)-1;
	static char cached[30];
	time_t now = time(NULL);

	if (now != cached_t) {
		http_date(now, cached);
		cached_t = now;
	}
	return cached;
}

void response_init(struct response *resp)
{
	/* Field by field: clearing the 4 KiB head on every request is waste. */
	resp->status = 0;
	resp->head[0] = '\0';
	resp->head_len = 0;
	resp->head_overflow = false;
	resp->body_kind = BODY_NONE;
	resp->mem = NULL;
	resp->mem_len = 0;
	resp->fd = -1;
	resp->file_off = 0;
	resp->file_len = 0;
	resp->close = false;
	resp->cached = NULL;
	resp->stream = NULL;
	resp->compressed = false;
}

/* Drop the body (memory or file), keep the head and the close flag. */
void response_body_release(struct response *resp)
{
	if (resp->stream) {
		resp->stream->free(resp->stream);
		resp->stream = NULL;
	}
	if (resp->cached) {
		fc_release(resp->cached);
		resp->cached = NULL;
		resp->mem = NULL;
		resp->fd = -1;
	}
	free(resp->mem);
	resp->mem = NULL;
	resp->mem_len = 0;
	if (resp->fd != -1)
		close(resp->fd);
	resp->fd = -1;
	resp->file_off = 0;
	resp->file_len = 0;
	resp->body_kind = BODY_NONE;
}

void response_reset(struct response *resp)
{
	response_body_release(resp);
	response_init(resp);
}

/* Append raw bytes to the head, all or nothing; keeps the NUL. */
static void head_append(struct response *resp, const char *data, size_t len)
{
	if (len >= RESPONSE_HEAD_MAX - resp->head_len) {
		resp->head_overflow = true;
		return;
	}
	memcpy(resp->head + resp->head_len, data, len);
	resp->head_len += len;
	resp->head[resp->head_len] = '\0';
}

void response_status(struct response *resp, int status)
{
	char line[128];
	int n;

	resp->status = status;
	resp->head_len = 0;
	resp->head[0] = '\0';
	resp->head_overflow = false;
	/* RFC 9112 §4: status-line = HTTP-version SP status-code SP [reason]
	 * (written by hand for every response: snprintf costs more) */
	const char *reason = http_reason(status);
	size_t rlen = strlen(reason);
	if (status >= 100 && status <= 999 && 15 + rlen < sizeof(line)) {
		memcpy(line, "HTTP/1.1 ", 9);
		line[9] = (char)('0' + status / 100);
		line[10] = (char)('0' + status / 10 % 10);
		line[11] = (char)('0' + status % 10);
		line[12] = ' ';
		memcpy(line + 13, reason, rlen);
		memcpy(line + 13 + rlen, "\r\n", 2);
		n = (int)(15 + rlen);
	} else {
		n = snprintf(line, sizeof(line), "HTTP/1.1 %03d %s\r\n", status,
			     reason);
	}
	if (n < 0 || (size_t)n >= sizeof(line)) {
		resp->head_overflow = true;
		return;
	}
	head_append(resp, line, (size_t)n);
	response_header(resp, "Date", "%s", date_now());
	response_header(resp, "Server", "%s", SERVER_SOFTWARE);
}

void response_header(struct response *resp, const char *name, const char *fmt,
		     ...)
{
	size_t start = resp->head_len;
	size_t room, name_len = strlen(name);
	va_list ap;
	int n;

	/* "name: " + value + "\r\n" + NUL must fit, else nothing is kept. */
	if (name_len + 2 >= RESPONSE_HEAD_MAX - start)
		goto overflow;
	memcpy(resp->head + start, name, name_len);
	memcpy(resp->head + start + name_len, ": ", 2);
	room = RESPONSE_HEAD_MAX - start - name_len - 2;
	if (strcmp(fmt, "%s") == 0 || strchr(fmt, '%') == NULL) {
		/* a string or a literal, most fields: a copy, no printf */
		const char *v = fmt;
		size_t len;
		if (fmt[0] == '%') {
			va_start(ap, fmt);
			v = va_arg(ap, const char *);
			va_end(ap);
			if (v ==
			    NULL) /* printf's "(null)" would be no better */
				v = "";
		}
		len = strlen(v);
		if (len + 2 >= room)
			goto overflow;
		memcpy(resp->head + start + name_len + 2, v, len);
		n = (int)len;
	} else if (strcmp(fmt, "%" PRIu64) == 0 || strcmp(fmt, "%zu") == 0) {
		/* a length, the other field of every response */
		char digits[24];
		size_t len = 0;
		uint64_t v;
		va_start(ap, fmt);
		v = fmt[1] == 'z' ? (uint64_t)va_arg(ap, size_t)
				  : va_arg(ap, uint64_t);
		va_end(ap);
		do
			digits[sizeof(digits) - ++len] = (char)('0' + v % 10);
		while ((v /= 10) > 0);
		if (len + 2 >= room)
			goto overflow;
		memcpy(resp->head + start + name_len + 2,
		       digits + sizeof(digits) - len, len);
		n = (int)len;
	} else {
		va_start(ap, fmt);
		n = vsnprintf(resp->head + start + name_len + 2, room, fmt, ap);
		va_end(ap);
		if (n < 0 || (size_t)n + 2 >= room)
			goto overflow;
	}
	/* RFC 9110 §5.5: a field value never holds CR or LF; one that does
	 * would let its source inject headers, so it is dropped. */
	if (memchr(resp->head + start + name_len + 2, '\r', (size_t)n) ||
	    memchr(resp->head + start + name_len + 2, '\n', (size_t)n))
		goto overflow;
	resp->head_len = start + name_len + 2 + (size_t)n;
	memcpy(resp->head + resp->head_len, "\r\n", 3);
	resp->head_len += 2;
	return;
overflow:
	resp->head_len = start;
	resp->head[start] = '\0';
	resp->head_overflow = true;
}

/* RFC 9110 §6.4.1: 1xx, 204 and 304 responses never carry content. */
bool response_status_has_body(int status)
{
	return status >= 200 && status != 204 && status != 304;
}

void response_builtin_error(struct response *resp, int status, bool head_only)
{
	char page[512];
	const char *reason = http_reason(status);
	int n;

	response_body_release(resp);
	response_status(resp, status);
	if (!response_status_has_body(status))
		return;
	n = snprintf(page, sizeof(page),
		     "<html><head><title>%d %s</title></head>"
		     "<body><h1>%d %s</h1><hr><p>webserv</p></body></html>\n",
		     status, reason, status, reason);
	if (n < 0 || (size_t)n >= sizeof(page))
		n = 0;
	if (!head_only && n > 0) {
		resp->mem = malloc((size_t)n);
		if (resp->mem == NULL)
			n = 0; /* out of memory: an empty page, still framed */
	}
	response_header(resp, "Content-Type", "text/html; charset=utf-8");
	/* RFC 9110 §9.3.2: HEAD gets the same Content-Length as GET. */
	response_header(resp, "Content-Length", "%d", n);
	if (resp->mem == NULL)
		return;
	memcpy(resp->mem, page, (size_t)n);
	resp->mem_len = (size_t)n;
	resp->body_kind = BODY_MEM;
}
