/*
 * fuzz_cgi_head.c - libFuzzer harness for cgi_parse_head
 * (src/http/cgi_head.c).
 *
 * Input: bytes 0-1 choose a split point, byte 2 the limit, the rest is a
 * CGI script's output.  Checks the contract of include/cgi.h:
 *   - stateless: the whole output parsed twice gives the same answer;
 *   - every split is correct: a prefix gives CGI_INCOMPLETE or the answer
 *     of the whole (same length and fields), a complete block of n bytes
 *     is CGI_INCOMPLETE at n - 1, the whole is CGI_INCOMPLETE only below
 *     the limit;
 *   - a parsed head is sane: length within the limit, status 200..599,
 *     content_length >= -1, the kind matches Location / Status /
 *     Content-Type as the header describes, slices inside the block,
 *     passed fields are tokens with trimmed CTL-free values and never one
 *     the server owns (nor Status, Location, Content-Type,
 *     Content-Length, which are parsed).
 */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "cgi.h"
#include "fuzz.h"

struct head_result {
	int ret;
	struct cgi_response_head head;
};

static size_t pick_limit(uint8_t b)
{
	if (b == 0xff)
		return SIZE_MAX;
	if (b == 0xfe)
		return 0;
	if (b >= 0x80)
		return (size_t)(b & 0x7f) * 2 + 1;
	return CGI_HEAD_LIMIT;
}

static void check_inside(struct slice s, const char *base, size_t n,
			 const char *what)
{
	if (s.len == 0)
		return;
	FUZZ_CHECK(s.ptr >= base && s.ptr <= base + n &&
		       s.len <= (size_t)(base + n - s.ptr),
		   "%s slice outside the block", what);
}

static bool name_is(struct slice s, const char *lit)
{
	return s.len == strlen(lit) && strncasecmp(s.ptr, lit, s.len) == 0;
}

static void check_field(const struct http_header *h)
{
	static const char *const owned[] = {
	    "Connection",
	    "Keep-Alive",
	    "Proxy-Connection",
	    "Transfer-Encoding",
	    "TE",
	    "Trailer",
	    "Upgrade",
	    "Date",
	    "Server",
	    "Status",
	    "Location",
	    "Content-Type",
	    "Content-Length",
	};

	FUZZ_CHECK(h->name.len > 0, "empty field name");
	for (size_t i = 0; i < h->name.len; i++) {
		unsigned char c = (unsigned char)h->name.ptr[i];
		FUZZ_CHECK(c > 0x20 && c < 0x7f &&
			       !strchr("\"(),/:;<=>?@[\\]{}", c),
			   "byte 0x%02x in a field name", c);
	}
	for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		FUZZ_CHECK(!name_is(h->name, owned[i]), "%s passed on",
			   owned[i]);
	for (size_t i = 0; i < h->value.len; i++) {
		unsigned char c = (unsigned char)h->value.ptr[i];
		FUZZ_CHECK(c == '\t' || (c >= 0x20 && c != 0x7f),
			   "CTL 0x%02x in a value", c);
	}
	if (h->value.len > 0)
		FUZZ_CHECK(h->value.ptr[0] != ' ' && h->value.ptr[0] != '\t' &&
			       h->value.ptr[h->value.len - 1] != ' ' &&
			       h->value.ptr[h->value.len - 1] != '\t',
			   "value not trimmed");
}

static void check_head(const struct cgi_response_head *h, const char *base,
		       size_t n)
{
	FUZZ_CHECK(h->status >= 200 && h->status <= 599, "status %d",
		   h->status);
	FUZZ_CHECK(h->content_length >= -1, "content_length %lld",
		   (long long)h->content_length);
	FUZZ_CHECK(h->header_count <= CGI_MAX_HEADERS, "%zu fields",
		   h->header_count);
	check_inside(h->reason, base, n, "reason");
	check_inside(h->location, base, n, "location");
	check_inside(h->content_type, base, n, "content_type");
	switch (h->kind) {
	case CGI_RESPONSE_LOCAL_REDIRECT:
		FUZZ_CHECK(h->location.len > 0 && h->location.ptr[0] == '/' &&
			       !h->has_status,
			   "local redirect");
		break;
	case CGI_RESPONSE_CLIENT_REDIRECT:
		FUZZ_CHECK(h->location.len > 0, "client redirect");
		FUZZ_CHECK(h->has_status || h->status == 302,
			   "client redirect without Status: %d", h->status);
		break;
	case CGI_RESPONSE_DOCUMENT:
		/* Content-Type may be absent: passed through (cgi.h) */
		FUZZ_CHECK(h->location.len == 0, "document with Location");
		break;
	default:
		FUZZ_CHECK(false, "kind %d", (int)h->kind);
	}
	FUZZ_CHECK(h->has_status || h->reason.len == 0,
		   "reason without Status");
	for (size_t i = 0; i < h->header_count; i++) {
		check_inside(h->headers[i].name, base, n, "name");
		check_inside(h->headers[i].value, base, n, "value");
		check_field(&h->headers[i]);
	}
}

static bool slice_same(struct slice a, const char *ab, struct slice b,
		       const char *bb)
{
	return a.len == b.len && (a.len == 0 || a.ptr - ab == b.ptr - bb);
}

static void check_same(const struct cgi_response_head *a, const char *ab,
		       const struct cgi_response_head *b, const char *bb)
{
	FUZZ_CHECK(a->kind == b->kind && a->status == b->status &&
		       a->has_status == b->has_status &&
		       a->content_length == b->content_length &&
		       a->header_count == b->header_count,
		   "scalar fields differ");
	FUZZ_CHECK(slice_same(a->reason, ab, b->reason, bb) &&
		       slice_same(a->location, ab, b->location, bb) &&
		       slice_same(a->content_type, ab, b->content_type, bb),
		   "slices differ");
	for (size_t i = 0; i < a->header_count; i++)
		FUZZ_CHECK(slice_same(a->headers[i].name, ab,
				      b->headers[i].name, bb) &&
			       slice_same(a->headers[i].value, ab,
					  b->headers[i].value, bb),
			   "field %zu differs", i);
}

static struct head_result whole, again, part;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len, limit, k;
	char *buf, *pre;

	if (size < 3)
		return 0;
	limit = pick_limit(data[2]);
	len = size - 3;
	buf = fuzz_dup(data + 3, len);

	whole.ret = cgi_parse_head(buf, len, limit, &whole.head);
	FUZZ_CHECK(whole.ret == CGI_INCOMPLETE || whole.ret == CGI_ERROR ||
		       (whole.ret > 0 && (size_t)whole.ret <= len &&
			(size_t)whole.ret <= limit),
		   "return %d for %zu bytes, limit %zu", whole.ret, len, limit);
	FUZZ_CHECK(whole.ret != CGI_INCOMPLETE || len < limit,
		   "incomplete at %zu bytes, limit %zu", len, limit);
	if (whole.ret > 0)
		check_head(&whole.head, buf, (size_t)whole.ret);

	again.ret = cgi_parse_head(buf, len, limit, &again.head);
	FUZZ_CHECK(again.ret == whole.ret, "second parse %d, first %d",
		   again.ret, whole.ret);
	if (whole.ret > 0)
		check_same(&again.head, buf, &whole.head, buf);

	k = ((size_t)data[0] | (size_t)data[1] << 8) % (len + 1);
	pre = fuzz_dup(buf, k);
	part.ret = cgi_parse_head(pre, k, limit, &part.head);
	if (part.ret == CGI_INCOMPLETE)
		FUZZ_CHECK(whole.ret < 0 || (size_t)whole.ret > k,
			   "prefix of %zu incomplete, whole complete at %d", k,
			   whole.ret);
	else if (part.ret == CGI_ERROR)
		FUZZ_CHECK(whole.ret == CGI_ERROR,
			   "prefix of %zu: error, whole %d", k, whole.ret);
	else
		FUZZ_CHECK(part.ret == whole.ret, "prefix of %zu: %d, whole %d",
			   k, part.ret, whole.ret);
	if (part.ret > 0)
		check_same(&part.head, pre, &whole.head, buf);
	free(pre);

	if (whole.ret > 0) {
		k = (size_t)whole.ret - 1;
		pre = fuzz_dup(buf, k);
		part.ret = cgi_parse_head(pre, k, limit, &part.head);
		FUZZ_CHECK(part.ret == CGI_INCOMPLETE,
			   "block of %d bytes: %d one byte short", whole.ret,
			   part.ret);
		free(pre);
	}
	free(buf);
	return 0;
}
