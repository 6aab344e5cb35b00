/*
 * cgi_head.c - parse the header block a CGI script writes before its body
 * (RFC 3875 §6): Status, Location, Content-Type, Content-Length, and the
 * fields passed on to the client.
 *
 * Stateless: the block is looked at only once its empty line has arrived,
 * so any prefix of a valid block is CGI_INCOMPLETE and the answer never
 * depends on how the output was split.  Slices point into the caller's
 * buffer.  Pure: never does I/O, never allocates.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "cgi.h"

/* RFC 9110 §5.6.2 tchar. */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool name_is(struct slice name, const char *lit)
{
	return name.len == strlen(lit) &&
	       strncasecmp(name.ptr, lit, name.len) == 0;
}

/*
 * Length of the block in buf[0..len) through its empty line ("\n" or
 * "\r\n" right after a line end, or at the very start); 0 if none yet.
 */
static size_t head_end(const char *buf, size_t len)
{
	size_t start = 0;

	while (start < len) {
		const char *nl = memchr(buf + start, '\n', len - start);
		size_t end;

		if (nl == NULL)
			return 0;
		end = (size_t)(nl - buf);
		if (end == start || (end == start + 1 && buf[start] == '\r'))
			return end + 1;
		start = end + 1;
	}
	return 0;
}

/*
 * Split the line p[0..n) (no LF; a final CR is its CRLF's) into a field.
 * RFC 9112 §5: token name, no whitespace before ':', OWS around the value,
 * no CTL but HTAB in it (a lone CR is one).  A line that starts with
 * whitespace (obs-fold, §5.2) fails the token test.  0 / -1.
 */
static int head_split(const char *p, size_t n, struct http_header *field)
{
	const char *colon;
	size_t v, end;

	if (n > 0 && p[n - 1] == '\r')
		n--;
	if ((colon = memchr(p, ':', n)) == NULL || colon == p)
		return -1;
	field->name = (struct slice){p, (size_t)(colon - p)};
	for (size_t i = 0; i < field->name.len; i++)
		if (!is_tchar((unsigned char)p[i]))
			return -1;
	v = field->name.len + 1;
	end = n;
	while (v < end && (p[v] == ' ' || p[v] == '\t'))
		v++;
	while (end > v && (p[end - 1] == ' ' || p[end - 1] == '\t'))
		end--;
	for (size_t i = v; i < end; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -1;
	}
	field->value = (struct slice){p + v, end - v};
	return 0;
}

/* RFC 3875 §6.3.3: Status = status-code SP reason-phrase; the reason is
 * optional here ("Status: 404" is common). */
static int head_status(struct slice v, struct cgi_response_head *out)
{
	const char *p = v.ptr;
	int code;

	if (out->has_status || v.len < 3 || !is_digit((unsigned char)p[0]) ||
	    !is_digit((unsigned char)p[1]) || !is_digit((unsigned char)p[2]))
		return -1;
	if (v.len > 3 && p[3] != ' ')
		return -1;
	code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	if (code < 200 || code > 599)
		return -1;
	out->status = code;
	out->has_status = true;
	out->reason = (struct slice){v.len > 4 ? p + 4 : p + v.len,
				     v.len > 4 ? v.len - 4 : 0};
	return 0;
}

static int head_length(struct slice v, struct cgi_response_head *out)
{
	int64_t n = 0;

	if (out->content_length >= 0 || v.len == 0)
		return -1;
	for (size_t i = 0; i < v.len; i++) {
		unsigned d = (unsigned)((unsigned char)v.ptr[i] - '0');

		if (d > 9 || n > (INT64_MAX - (int64_t)d) / 10)
			return -1;
		n = n * 10 + (int64_t)d;
	}
	out->content_length = n;
	return 0;
}

/* Framing and hop-by-hop fields are the server's (RFC 9110 §7.6.1), and
 * so are Date and Server, which response_status always writes. */
static bool head_dropped(struct slice name)
{
	static const char *const names[] = {
	    "Connection",	 "Keep-Alive", "Proxy-Connection",
	    "Transfer-Encoding", "TE",	       "Trailer",
	    "Upgrade",		 "Date",       "Server",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (name_is(name, names[i]))
			return true;
	return false;
}

static int head_field(const struct http_header *f,
		      struct cgi_response_head *out)
{
	if (name_is(f->name, "Status"))
		return head_status(f->value, out);
	if (name_is(f->name, "Content-Length"))
		return head_length(f->value, out);
	if (name_is(f->name, "Location")) {
		if (out->location.len || f->value.len == 0)
			return -1;
		out->location = f->value;
		return 0;
	}
	if (name_is(f->name, "Content-Type")) {
		if (out->content_type.len || f->value.len == 0)
			return -1;
		out->content_type = f->value;
		return 0;
	}
	if (head_dropped(f->name))
		return 0;
	if (out->header_count == CGI_MAX_HEADERS)
		return -1;
	out->headers[out->header_count++] = *f;
	return 0;
}

/* RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ),
 * then ':' and something after it. */
static bool is_absolute_uri(struct slice s)
{
	size_t i = 0;

	if (s.len == 0 || !is_alpha((unsigned char)s.ptr[0]))
		return false;
	for (i = 1; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];

		if (c == ':')
			return i + 1 < s.len;
		if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' &&
		    c != '.')
			return false;
	}
	return false;
}

/* RFC 3875 §6.2: which of the response types the fields make. */
static int head_kind(struct cgi_response_head *out)
{
	if (out->location.len) {
		bool local = out->location.ptr[0] == '/';

		/* §6.2.2: local-redir-response is Location alone; with a
		 * Status the script means the client to see it (Apache). */
		if (local && !out->has_status) {
			out->kind = CGI_RESPONSE_LOCAL_REDIRECT;
			return 0;
		}
		if (!local && !is_absolute_uri(out->location))
			return -1;
		out->kind = CGI_RESPONSE_CLIENT_REDIRECT;
		if (!out->has_status)
			out->status = 302;
		return 0;
	}
	/* §6.3.1 obliges the script to send Content-Type with a body, but
	 * nothing makes its absence the server's failure: the response is
	 * passed on without one, none invented (Apache, lighttpd); RFC 9110
	 * §8.3 leaves a missing type to the recipient. */
	out->kind = CGI_RESPONSE_DOCUMENT;
	return 0;
}

int cgi_parse_head(const char *buf, size_t len, size_t limit,
		   struct cgi_response_head *out)
{
	size_t scan, end, start, fields = 0;

	if (limit > INT_MAX)
		limit = INT_MAX;
	scan = len < limit ? len : limit;
	if ((end = head_end(buf, scan)) == 0)
		return len >= limit ? CGI_ERROR : CGI_INCOMPLETE;
	*out = (struct cgi_response_head){.status = 200, .content_length = -1};
	for (start = 0;;) {
		const char *nl = memchr(buf + start, '\n', end - start);
		size_t line_len = (size_t)(nl - (buf + start));
		struct http_header field;

		/* The empty line: head_end guarantees it is the last. */
		if (line_len == 0 || (line_len == 1 && buf[start] == '\r'))
			break;
		if (head_split(buf + start, line_len, &field) == -1 ||
		    head_field(&field, out) == -1)
			return CGI_ERROR;
		start += line_len + 1;
		fields++;
	}
	/* §6.2: every response type has at least one field */
	if (fields == 0 || head_kind(out) == -1)
		return CGI_ERROR;
	return (int)end;
}
