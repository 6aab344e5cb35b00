/*
 * parser.c - HTTP/1.1 request-head parser (RFC 9112 §2-§3, §5-§6.3).
 *
 * One linear pass over buf[0..min(len, limit)).  Every call starts again
 * at byte 0 and keeps no state, so a call with more bytes of the same head
 * repeats the earlier decisions exactly: the answer never depends on how
 * the bytes were split.  Each rule is checked at the first byte that can
 * break it, so a bad request is refused before its head is complete; rules
 * about a whole field line are checked when its CRLF arrives, rules about
 * the whole head (Host present) at the blank line.
 *
 * Strictness (where the RFCs leave a choice):
 * - bare LF and bare CR are errors everywhere in the head, also in the
 *   empty lines allowed before the request line;
 * - the target holds only VCHARs without '#' (no fragment, no raw UTF-8);
 * - "Content-Length: 4, 4" and two Content-Length lines are 400 even when
 *   the values agree;
 * - a transfer coding with parameters is 400, any coding but chunked 501;
 * - an unknown method is 501 as soon as its token ends;
 * - HTTP/1.x with x > 1 is served as HTTP/1.1 (RFC 9110 §2.5), any other
 *   major version or HTTP/0.x is 505;
 * - unknown expectations are ignored, and so is 100-continue in HTTP/1.0
 *   (RFC 9110 §10.1.1); unknown Connection options are ignored;
 * - a Host without a host ("", ":80") is 400 (RFC 9110 §4.2.1: an http
 *   URI with an empty host is invalid), as in nginx.
 *
 * The octet classes and the lexical checks (token, list element, host)
 * live in parser_chars.c.
 *
 * Never allocates and never copies: every slice points into buf (or, for
 * an absolute-form target without a path, at a constant "/").  Never reads
 * at or past buf[len]; never does I/O.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "http.h"
#include "parser_int.h"

enum step { STEP_OK, STEP_MORE, STEP_ERR };

struct parse {
	const char *buf;
	size_t end; /* bytes we may look at: min(len, limit) */
	size_t pos; /* first byte not yet parsed */
	struct http_request *req;
	int status;	/* set with STEP_ERR */
	bool in_fields; /* request line done: too long is now 431 */
	unsigned host_count;
	bool te_seen;
	bool conn_close;
	bool conn_keep_alive;
	struct slice authority; /* absolute-form or authority-form target */
};

static inline char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

/* s[0..len) equals the lower-case lit, ignoring ASCII case. */
static bool ascii_ieq(const char *s, size_t len, const char *lit,
		      size_t lit_len)
{
	if (len != lit_len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (ascii_lower(s[i]) != lit[i])
			return false;
	return true;
}

#define SLICE_IS(sl, lit) ascii_ieq((sl).ptr, (sl).len, lit, sizeof(lit) - 1)

static int fail(struct parse *p, int status)
{
	p->status = status;
	return STEP_ERR;
}

/* Leading empty lines (RFC 9112 §2.2); they count against the limit. */
static int skip_empty_lines(struct parse *p)
{
	while (p->pos < p->end) {
		char c = p->buf[p->pos];

		if (c != '\r')
			return c == '\n' ? fail(p, 400) : STEP_OK;
		if (p->pos + 1 >= p->end)
			return STEP_MORE;
		if (p->buf[p->pos + 1] != '\n')
			return fail(p, 400);
		p->pos += 2;
	}
	return STEP_MORE;
}

/* method = token SP (RFC 9112 §3, RFC 9110 §9.1: case-sensitive). */
static int parse_method(struct parse *p)
{
	struct http_request *req = p->req;
	size_t i = p->pos;

	while (i < p->end && is_class(p->buf[i], CT_TCHAR))
		i++;
	if (i == p->end)
		return STEP_MORE;
	if (p->buf[i] != ' ' || i == p->pos)
		return fail(p, 400);
	req->method_name = (struct slice){p->buf + p->pos, i - p->pos};
	req->method =
	    method_from_name(req->method_name.ptr, req->method_name.len);
	if (req->method == HTTP_METHOD_UNKNOWN)
		return fail(p, 501);
	p->pos = i + 1;
	return STEP_OK;
}

/* path [ "?" query ]: the query starts after the first '?'. */
static void split_query(struct http_request *req, const char *s, size_t len)
{
	const char *q = memchr(s, '?', len);

	if (!q) {
		req->path = (struct slice){s, len};
		return;
	}
	req->path = (struct slice){s, (size_t)(q - s)};
	req->query = (struct slice){q + 1, len - (size_t)(q - s) - 1};
	req->has_query = true;
}

/*
 * absolute-form (RFC 9112 §3.2.2): "http" or "https" "://" authority,
 * then an optional path-abempty and query.  The authority replaces Host.
 * An empty path means "/" (RFC 9110 §4.2.3).
 */
static int absolute_form(struct parse *p, struct slice t)
{
	static const char root[] = "/";
	const char *colon = memchr(t.ptr, ':', t.len);
	struct slice scheme, auth;
	size_t i;

	if (!colon)
		return fail(p, 400);
	scheme = (struct slice){t.ptr, (size_t)(colon - t.ptr)};
	if (!SLICE_IS(scheme, "http") && !SLICE_IS(scheme, "https"))
		return fail(p, 400);
	i = scheme.len + 1;
	if (t.len - i < 2 || t.ptr[i] != '/' || t.ptr[i + 1] != '/')
		return fail(p, 400);
	i += 2;
	auth.ptr = t.ptr + i;
	while (i < t.len && t.ptr[i] != '/' && t.ptr[i] != '?')
		i++;
	auth.len = (size_t)(t.ptr + i - auth.ptr);
	if (!parser_host_valid(auth, false))
		return fail(p, 400);
	p->authority = auth;
	if (i < t.len && t.ptr[i] == '/') {
		split_query(p->req, t.ptr + i, t.len - i);
		return STEP_OK;
	}
	p->req->path = (struct slice){root, 1};
	if (i < t.len) {
		p->req->query = (struct slice){t.ptr + i + 1, t.len - i - 1};
		p->req->has_query = true;
	}
	return STEP_OK;
}

/*
 * Which of the four forms (RFC 9112 §3.2): origin-form for everything,
 * asterisk-form only for OPTIONS, authority-form only (and always) for
 * CONNECT, absolute-form otherwise.  OPTIONS * gets path "*"; CONNECT gets
 * an empty path and its authority as host.
 */
static int target_form(struct parse *p, struct slice t)
{
	struct http_request *req = p->req;

	if (req->method == HTTP_CONNECT) {
		if (!parser_host_valid(t, true))
			return fail(p, 400);
		p->authority = t;
		req->path = (struct slice){t.ptr, 0};
		return STEP_OK;
	}
	if (t.ptr[0] == '/') {
		split_query(req, t.ptr, t.len);
		return STEP_OK;
	}
	if (t.len == 1 && t.ptr[0] == '*') {
		if (req->method != HTTP_OPTIONS)
			return fail(p, 400);
		req->path = t;
		return STEP_OK;
	}
	return absolute_form(p, t);
}

/* request-target SP: octets checked as they come, the form at the SP. */
static int parse_target(struct parse *p)
{
	size_t i = parser_scan_target(p->buf, p->pos, p->end);

	if (i == p->end)
		return STEP_MORE;
	/* CTL, DEL, '#', non-ASCII, a second SP, CR or LF: 400. */
	if (p->buf[i] != ' ' || i == p->pos)
		return fail(p, 400);
	p->req->target = (struct slice){p->buf + p->pos, i - p->pos};
	p->pos = i + 1;
	return target_form(p, p->req->target);
}

/*
 * HTTP-version CRLF, exactly "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3,
 * case-sensitive), each octet checked as it arrives; the version itself
 * is judged once the line is complete, so "HTTP/2.0x" is 400, not 505.
 */
static int parse_version(struct parse *p)
{
	static const char shape[] = "HTTP/d.d\r\n";
	const char *v = p->buf + p->pos;
	size_t n = sizeof(shape) - 1;

	for (size_t k = 0; k < n; k++) {
		if (p->pos + k >= p->end)
			return STEP_MORE;
		if (shape[k] == 'd' ? !is_digit(v[k]) : v[k] != shape[k])
			return fail(p, 400);
	}
	if (v[5] != '1')
		return fail(p, 505);
	p->req->minor = v[7] == '0' ? 0 : 1;
	p->pos += n;
	return STEP_OK;
}

static void keep_first(struct slice *slot, struct slice value)
{
	if (!slot->ptr)
		*slot = value;
}

/* A singleton field sent twice (RFC 9110 §5.3): neither line counts, as
 * if absent (len 0); ptr stays set, so a third line cannot revive it. */
static void keep_single(struct slice *slot, struct slice value)
{
	if (!slot->ptr)
		*slot = value;
	else
		slot->len = 0;
}

/* RFC 9112 §3.2: exactly one Host, and a valid one. */
static int host_field(struct parse *p, struct slice v)
{
	if (++p->host_count > 1 || !parser_host_valid(v, false))
		return fail(p, 400);
	p->req->host = v;
	return STEP_OK;
}

/*
 * Content-Length = 1*DIGIT (RFC 9110 §8.6), at most 2^63 - 1.  A list,
 * even of equal values, and a second line are refused: RFC 9112 §6.3
 * allows that, and it leaves no room for disagreement between hops.
 */
static int length_field(struct parse *p, struct slice v)
{
	uint64_t n = 0;

	if (p->te_seen || p->req->has_length || v.len == 0)
		return fail(p, 400);
	for (size_t i = 0; i < v.len; i++) {
		if (!is_digit(v.ptr[i]))
			return fail(p, 400);
		unsigned d = (unsigned)(v.ptr[i] - '0');
		if (n > ((uint64_t)INT64_MAX - d) / 10)
			return fail(p, 400);
		n = n * 10 + d;
	}
	p->req->has_length = true;
	p->req->content_length = n;
	return STEP_OK;
}

/*
 * Transfer-Encoding (RFC 9112 §6.1, §6.3, §7): refused with
 * Content-Length (smuggling) and in HTTP/1.0; chunked must be the final
 * coding and appear once (400); any other coding is unknown to us (501).
 * Several lines form one list.
 */
static int transfer_field(struct parse *p, struct slice v)
{
	struct http_request *req = p->req;
	struct slice rest = v, coding;
	bool unknown = false, any = false;

	if (req->minor == 0 || req->has_length)
		return fail(p, 400);
	while (parser_list_next(&rest, &coding)) {
		if (!parser_is_token(coding) || req->chunked)
			return fail(p, 400);
		if (SLICE_IS(coding, "chunked"))
			req->chunked = true;
		else
			unknown = true;
		any = true;
	}
	if (!any)
		return fail(p, 400);
	if (unknown)
		return fail(p, 501);
	p->te_seen = true;
	return STEP_OK;
}

/* Connection = #connection-option (RFC 9112 §9.3, §9.6). */
static void connection_field(struct parse *p, struct slice v)
{
	struct slice opt;

	while (parser_list_next(&v, &opt)) {
		if (SLICE_IS(opt, "close"))
			p->conn_close = true;
		else if (SLICE_IS(opt, "keep-alive"))
			p->conn_keep_alive = true;
	}
}

/* Expect (RFC 9110 §10.1.1): only 100-continue, and never in HTTP/1.0. */
static void expect_field(struct parse *p, struct slice v)
{
	struct slice e;

	if (p->req->minor == 0)
		return;
	while (parser_list_next(&v, &e))
		if (SLICE_IS(e, "100-continue"))
			p->req->expect_continue = true;
}

/* What a complete field line means to us; unknown fields are ignored. */
static int field_meaning(struct parse *p, struct slice n, struct slice v)
{
	struct http_request *req = p->req;

	switch (n.len) {
	case 4:
		if (SLICE_IS(n, "host"))
			return host_field(p, v);
		break;
	case 5:
		if (SLICE_IS(n, "range"))
			keep_single(&req->range, v);
		break;
	case 6:
		if (SLICE_IS(n, "expect"))
			expect_field(p, v);
		break;
	case 7:
		if (SLICE_IS(n, "referer"))
			keep_first(&req->referer, v);
		break;
	case 8:
		if (SLICE_IS(n, "if-range"))
			keep_first(&req->if_range, v);
		else if (SLICE_IS(n, "if-match"))
			keep_first(&req->if_match, v);
		break;
	case 10:
		if (SLICE_IS(n, "connection"))
			connection_field(p, v);
		else if (SLICE_IS(n, "user-agent"))
			keep_first(&req->user_agent, v);
		break;
	case 12:
		if (SLICE_IS(n, "content-type"))
			keep_first(&req->content_type, v);
		break;
	case 13:
		if (SLICE_IS(n, "if-none-match"))
			keep_first(&req->if_none_match, v);
		break;
	case 14:
		if (SLICE_IS(n, "content-length"))
			return length_field(p, v);
		break;
	case 17:
		if (SLICE_IS(n, "transfer-encoding"))
			return transfer_field(p, v);
		if (SLICE_IS(n, "if-modified-since"))
			keep_first(&req->if_modified_since, v);
		break;
	case 19:
		if (SLICE_IS(n, "if-unmodified-since"))
			keep_first(&req->if_unmodified_since, v);
		break;
	}
	return STEP_OK;
}

/*
 * field-line = field-name ":" OWS field-value OWS CRLF (RFC 9112 §5):
 * no whitespace before the colon (§5.1), no CTL but HTAB and no DEL in
 * the value (RFC 9110 §5.5), CR only right before LF.
 */
static int parse_field_line(struct parse *p, struct http_header *h)
{
	const char *b = p->buf;
	size_t i = p->pos, value;

	while (i < p->end && is_class(b[i], CT_TCHAR))
		i++;
	if (i == p->end)
		return STEP_MORE;
	if (b[i] != ':' || i == p->pos)
		return fail(p, 400);
	h->name = (struct slice){b + p->pos, i - p->pos};
	value = ++i;
	i = parser_scan_value(b, i, p->end);
	if (i == p->end)
		return STEP_MORE;
	if (b[i] != '\r')
		return fail(p, 400);
	if (i + 1 == p->end)
		return STEP_MORE;
	if (b[i + 1] != '\n')
		return fail(p, 400);
	h->value = parser_trim_ows(b + value, i - value);
	p->pos = i + 2;
	return STEP_OK;
}

/* Field lines up to and including the blank line. */
static int parse_fields(struct parse *p)
{
	struct http_request *req = p->req;
	int rc;

	p->in_fields = true;
	req->fields = (struct slice){p->buf + p->pos, 0};
	for (;;) {
		if (p->pos >= p->end)
			return STEP_MORE;
		char c = p->buf[p->pos];
		if (c == '\r') {
			if (p->pos + 1 == p->end)
				return STEP_MORE;
			if (p->buf[p->pos + 1] != '\n')
				return fail(p, 400);
			req->fields.len =
			    (size_t)(p->buf + p->pos - req->fields.ptr);
			p->pos += 2;
			return STEP_OK;
		}
		/* RFC 9112 §5.2 obs-fold, §2.2 whitespace after the
		 * request line: both refused. */
		if (is_ows(c))
			return fail(p, 400);
		/* no count limit: header_buffer bounds the head (431) */
		struct http_header h;
		if ((rc = parse_field_line(p, &h)) != STEP_OK)
			return rc;
		req->header_count++;
		if ((rc = field_meaning(p, h.name, h.value)) != STEP_OK)
			return rc;
	}
}

/* Rules about the head as a whole. */
static int finish_head(struct parse *p)
{
	struct http_request *req = p->req;

	/* RFC 9112 §3.2: HTTP/1.1 without Host is 400. */
	if (req->minor == 1 && p->host_count == 0)
		return fail(p, 400);
	if (p->authority.ptr)
		req->host = p->authority;
	if (req->minor == 1)
		req->keep_alive = !p->conn_close;
	else
		req->keep_alive = p->conn_keep_alive && !p->conn_close;
	return STEP_OK;
}

int http_parse_head(const char *buf, size_t len, size_t limit,
		    struct http_request *req, int *status)
{
	struct parse p = {.buf = buf, .req = req};
	int rc;

	memset(req, 0, sizeof(*req));
	req->method = HTTP_METHOD_UNKNOWN;
	if (limit > INT_MAX)
		limit = INT_MAX;
	p.end = len < limit ? len : limit;

	if ((rc = skip_empty_lines(&p)) == STEP_OK &&
	    (rc = parse_method(&p)) == STEP_OK &&
	    (rc = parse_target(&p)) == STEP_OK &&
	    (rc = parse_version(&p)) == STEP_OK &&
	    (rc = parse_fields(&p)) == STEP_OK)
		rc = finish_head(&p);

	if (rc == STEP_OK)
		return (int)p.pos;
	if (rc == STEP_MORE && len < limit)
		return HTTP_INCOMPLETE;
	if (rc == STEP_MORE)
		p.status = p.in_fields ? 431 : 414;
	*status = p.status;
	return HTTP_ERROR;
}

/*
 * The block was validated by the parser (name ":" OWS value OWS CRLF),
 * so a line is cut at its LF and its first ':'.  Still safe on anything:
 * a line without LF ends at len, one without ':' is all name.
 */
bool http_header_next(const char *fields, size_t len, size_t *pos,
		      struct http_header *field)
{
	const char *line, *nl, *colon;
	size_t line_len;

	if (*pos >= len)
		return false;
	line = fields + *pos;
	nl = memchr(line, '\n', len - *pos);
	line_len = nl ? (size_t)(nl - line) : len - *pos;
	*pos += line_len + (nl != NULL);
	if (line_len > 0 && line[line_len - 1] == '\r')
		line_len--;
	colon = memchr(line, ':', line_len);
	if (colon == NULL) {
		field->name = (struct slice){line, line_len};
		field->value = (struct slice){line + line_len, 0};
		return true;
	}
	field->name = (struct slice){line, (size_t)(colon - line)};
	field->value =
	    parser_trim_ows(colon + 1, line_len - field->name.len - 1);
	return true;
}

struct slice http_header_get(const struct http_request *req, const char *name)
{
	size_t name_len = strlen(name);
	struct http_header h;
	size_t pos = 0;

	while (http_header_next(req->fields.ptr, req->fields.len, &pos, &h)) {
		if (h.name.len != name_len)
			continue;
		size_t k = 0;
		while (k < name_len &&
		       ascii_lower(h.name.ptr[k]) == ascii_lower(name[k]))
			k++;
		if (k == name_len)
			return h.value;
	}
	return (struct slice){NULL, 0};
}
