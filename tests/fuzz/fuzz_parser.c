/*
 * fuzz_parser.c - libFuzzer harness for http_parse_head (src/http/parser.c).
 *
 * Input: bytes 0-1 choose a split point, byte 2 the header limit, the rest
 * is the request head.  Checks the contract of include/http.h:
 *   - parsing is stateless: the whole input parsed twice gives the same
 *     answer and the same request;
 *   - every split is correct: a prefix gives HTTP_INCOMPLETE or the very
 *     answer of the whole (same length and request, or the same error
 *     status), and a complete head of n bytes is HTTP_INCOMPLETE at n - 1;
 *   - a parsed request is sane: slices inside the head (but the "/" of
 *     an absolute-form target without a path), values trimmed,
 *     field names non-empty and free of ':', http_header_next walks
 *     exactly header_count fields (no count limit),
 *     never both Content-Length and chunked, minor 0 or 1;
 *   - an error status is one the header lists;
 *   - http_header_get returns the first field of a name.
 * Each parse reads its own exact-size copy so ASan catches over-reads.
 */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "http.h"

struct parse_result {
	int ret;
	int status;
	struct http_request req;
};

static size_t pick_limit(uint8_t b)
{
	if (b == 0xff)
		return SIZE_MAX; /* clamped to INT_MAX by the parser */
	if (b == 0xfe)
		return 0;
	if (b >= 0x80)
		return (size_t)(b & 0x7f) * 3 + 1; /* small: 414 / 431 paths */
	return 8192;
}

static void parse(const char *buf, size_t len, size_t limit,
		  struct parse_result *r)
{
	r->status = -1;
	r->ret = http_parse_head(buf, len, limit, &r->req, &r->status);
}

/* A slice of length > 0 lies inside base[0..n). */
static void check_inside(struct slice s, const char *base, size_t n,
			 const char *what)
{
	if (s.len == 0)
		return;
	FUZZ_CHECK(s.ptr >= base && s.ptr <= base + n &&
		       s.len <= (size_t)(base + n - s.ptr),
		   "%s slice outside the head", what);
}

/* A path slice "/" outside the head: the parser's own literal. */
static bool is_root_literal(struct slice s, const char *base, size_t n)
{
	return s.len == 1 && s.ptr[0] == '/' &&
	       (s.ptr < base || s.ptr >= base + n);
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static void check_request(const struct http_request *q, const char *base,
			  size_t n)
{
	const struct slice well_known[] = {
	    q->method_name,
	    q->target,
	    q->query,
	    q->host,
	    q->content_type,
	    q->if_none_match,
	    q->if_modified_since,
	    q->range,
	    q->if_range,
	    q->user_agent,
	    q->referer,
	};

	for (size_t i = 0; i < sizeof(well_known) / sizeof(well_known[0]); i++)
		check_inside(well_known[i], base, n, "well-known");
	/* absolute-form without a path: "/", which is not in the head */
	if (!is_root_literal(q->path, base, n))
		check_inside(q->path, base, n, "path");
	FUZZ_CHECK(q->method_name.len > 0 && q->target.len > 0,
		   "empty method or target");
	FUZZ_CHECK(q->minor == 0 || q->minor == 1, "minor %d", q->minor);
	FUZZ_CHECK(!(q->has_length && q->chunked), "both CL and chunked");
	FUZZ_CHECK(q->has_query || q->query.len == 0, "query without '?'");
	struct http_header field;
	const struct http_header *h = &field;
	size_t pos = 0, count = 0;
	check_inside(q->fields, base, n, "fields");
	while (http_header_next(q->fields.ptr, q->fields.len, &pos, &field)) {
		count++;
		check_inside(h->name, base, n, "name");
		check_inside(h->value, base, n, "value");
		FUZZ_CHECK(h->name.len > 0, "empty field name");
		FUZZ_CHECK(memchr(h->name.ptr, ':', h->name.len) == NULL,
			   "':' in a field name");
		if (h->value.len == 0)
			continue;
		FUZZ_CHECK(!is_ows(h->value.ptr[0]) &&
			       !is_ows(h->value.ptr[h->value.len - 1]),
			   "value not trimmed");
		FUZZ_CHECK(memchr(h->value.ptr, '\r', h->value.len) == NULL &&
			       memchr(h->value.ptr, '\n', h->value.len) == NULL,
			   "CR or LF in a value");
	}
	FUZZ_CHECK(count == q->header_count, "%zu fields walked, %zu counted",
		   count, q->header_count);
}

/* Slices a (into abase) and b (into bbase) name the same offsets. */
static bool slice_same(struct slice a, const char *abase, struct slice b,
		       const char *bbase)
{
	if (a.len != b.len)
		return false;
	return a.len == 0 || a.ptr - abase == b.ptr - bbase;
}

static void check_same_request(const struct http_request *a, const char *ab,
			       const struct http_request *b, const char *bb)
{
	FUZZ_CHECK(a->method == b->method && a->minor == b->minor &&
		       a->has_query == b->has_query &&
		       a->has_length == b->has_length &&
		       a->content_length == b->content_length &&
		       a->chunked == b->chunked &&
		       a->keep_alive == b->keep_alive &&
		       a->expect_continue == b->expect_continue &&
		       a->header_count == b->header_count,
		   "scalar fields differ");
	FUZZ_CHECK(slice_same(a->method_name, ab, b->method_name, bb) &&
		       slice_same(a->target, ab, b->target, bb) &&
		       (slice_same(a->path, ab, b->path, bb) ||
			(a->path.len == 1 && b->path.len == 1 &&
			 a->path.ptr[0] == '/' && b->path.ptr[0] == '/')) &&
		       slice_same(a->query, ab, b->query, bb) &&
		       slice_same(a->host, ab, b->host, bb) &&
		       slice_same(a->content_type, ab, b->content_type, bb) &&
		       slice_same(a->if_none_match, ab, b->if_none_match, bb) &&
		       slice_same(a->if_modified_since, ab,
				  b->if_modified_since, bb) &&
		       slice_same(a->range, ab, b->range, bb) &&
		       slice_same(a->if_range, ab, b->if_range, bb) &&
		       slice_same(a->user_agent, ab, b->user_agent, bb) &&
		       slice_same(a->referer, ab, b->referer, bb),
		   "well-known slices differ");
	/* same offsets in equal heads: the same fields */
	FUZZ_CHECK(slice_same(a->fields, ab, b->fields, bb),
		   "field blocks differ");
}

static bool name_ieq(struct slice a, struct slice b)
{
	return a.len == b.len && strncasecmp(a.ptr, b.ptr, a.len) == 0;
}

/* http_header_get finds the first field of each name. */
static void check_header_get(const struct http_request *q)
{
	struct http_header hi, hj;
	size_t pi = 0;
	char name[256];

	while (http_header_next(q->fields.ptr, q->fields.len, &pi, &hi)) {
		struct slice n = hi.name, got, want = {0};
		size_t pj = 0;
		if (n.len >= sizeof(name))
			continue;
		memcpy(name, n.ptr, n.len);
		name[n.len] = '\0';
		while (want.ptr == NULL && pj < pi &&
		       http_header_next(q->fields.ptr, q->fields.len, &pj, &hj))
			if (name_ieq(hj.name, n))
				want = hj.value;
		got = http_header_get(q, name);
		FUZZ_CHECK(got.len == want.len &&
			       (got.len == 0 || got.ptr == want.ptr),
			   "http_header_get(%s) is not the first %s", name,
			   name);
	}
}

static void check_error_status(int status)
{
	FUZZ_CHECK(status == 400 || status == 414 || status == 431 ||
		       status == 501 || status == 505,
		   "error status %d", status);
}

/* The prefix answer p (of k bytes, into pbase) agrees with the whole w. */
static void check_prefix(const struct parse_result *p, const char *pbase,
			 size_t k, const struct parse_result *w,
			 const char *wbase)
{
	if (p->ret == HTTP_INCOMPLETE) {
		FUZZ_CHECK(w->ret < 0 || (size_t)w->ret > k,
			   "prefix of %zu incomplete, whole complete at %d", k,
			   w->ret);
		return;
	}
	if (p->ret == HTTP_ERROR) {
		FUZZ_CHECK(w->ret == HTTP_ERROR && w->status == p->status,
			   "prefix of %zu: error %d, whole: %d status %d", k,
			   p->status, w->ret, w->status);
		return;
	}
	FUZZ_CHECK(p->ret == w->ret, "prefix of %zu: %d, whole: %d", k, p->ret,
		   w->ret);
	check_same_request(&p->req, pbase, &w->req, wbase);
}

static struct parse_result whole, again, part;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len, limit, k;
	char *buf, *pre;

	if (size < 3)
		return 0;
	limit = pick_limit(data[2]);
	len = size - 3;
	buf = fuzz_dup(data + 3, len);

	parse(buf, len, limit, &whole);
	FUZZ_CHECK(whole.ret == HTTP_INCOMPLETE || whole.ret == HTTP_ERROR ||
		       (whole.ret > 0 && (size_t)whole.ret <= len),
		   "return %d for %zu bytes", whole.ret, len);
	if (whole.ret > 0) {
		FUZZ_CHECK((size_t)whole.ret <= limit,
			   "head of %d bytes past limit %zu", whole.ret, limit);
		check_request(&whole.req, buf, (size_t)whole.ret);
		check_header_get(&whole.req);
	} else if (whole.ret == HTTP_ERROR) {
		check_error_status(whole.status);
	}

	parse(buf, len, limit, &again);
	FUZZ_CHECK(again.ret == whole.ret, "second parse: %d, first: %d",
		   again.ret, whole.ret);
	if (whole.ret == HTTP_ERROR)
		FUZZ_CHECK(again.status == whole.status, "status %d then %d",
			   whole.status, again.status);
	if (whole.ret > 0)
		check_same_request(&again.req, buf, &whole.req, buf);

	k = ((size_t)data[0] | (size_t)data[1] << 8) % (len + 1);
	pre = fuzz_dup(buf, k);
	parse(pre, k, limit, &part);
	check_prefix(&part, pre, k, &whole, buf);
	free(pre);

	if (whole.ret > 0) {
		k = (size_t)whole.ret - 1;
		pre = fuzz_dup(buf, k);
		parse(pre, k, limit, &part);
		FUZZ_CHECK(part.ret == HTTP_INCOMPLETE,
			   "head of %d bytes: %d one byte short", whole.ret,
			   part.ret);
		free(pre);
	}
	free(buf);
	return 0;
}
