/*
 * test_body.c - chunked decoding: good bodies cut into pieces at every
 * split point give the same bytes; malformed framing is -1; once done,
 * the bytes that follow (the next request) are left untouched.
 *
 * The feeding loop plays the connection: each call gets a heap buffer of
 * exactly the unconsumed bytes plus the new piece, so ASan catches reads
 * or writes past len.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"

#define TAIL "GET /next HTTP/1.1\r\n"

struct run {
	char *out; /* decoded bytes, concatenated */
	size_t out_len;
	char *left; /* bytes never consumed (after done) */
	size_t left_len;
	size_t consumed; /* input bytes consumed, all calls */
	bool done;
	bool error;
	uint64_t total;
};

static void run_free(struct run *r)
{
	free(r->out);
	free(r->left);
}

/*
 * Feed in[0..len) cut before each offset of cuts[] (ascending).  Stops
 * feeding at the first error or once done; what was not consumed then is
 * r->left (pending bytes and the pieces never given).
 */
static void feed(const char *in, size_t len, const size_t *cuts, size_t ncuts,
		 struct run *r)
{
	struct chunked c;
	char *pending = NULL;
	size_t pending_len = 0, from = 0;

	*r = (struct run){.out = malloc(len + 1)};
	cr_assert_not_null(r->out);
	chunked_init(&c);
	for (size_t i = 0; i <= ncuts && !r->done && !r->error; i++) {
		size_t to = i < ncuts ? cuts[i] : len;
		size_t n = pending_len + (to - from);
		char *buf = malloc(n ? n : 1);
		size_t out_len = 12345;
		ssize_t used;

		cr_assert_not_null(buf);
		if (pending_len)
			memcpy(buf, pending, pending_len);
		memcpy(buf + pending_len, in + from, to - from);
		from = to;
		free(pending);
		pending = NULL;
		used = chunked_decode(&c, buf, n, &out_len);
		if (used < 0) {
			r->error = true;
			free(buf);
			break;
		}
		cr_assert_leq((size_t)used, n);
		cr_assert_leq(out_len, (size_t)used);
		memcpy(r->out + r->out_len, buf, out_len);
		r->out_len += out_len;
		r->consumed += (size_t)used;
		r->done = c.done;
		pending_len = n - (size_t)used;
		if (pending_len) {
			pending = malloc(pending_len);
			memcpy(pending, buf + used, pending_len);
		}
		free(buf);
	}
	r->total = c.total;
	r->left_len = pending_len + (len - from);
	r->left = malloc(r->left_len + 1);
	if (pending_len)
		memcpy(r->left, pending, pending_len);
	memcpy(r->left + pending_len, in + from, len - from);
	free(pending);
}

struct good {
	const char *in;
	size_t len;
	const char *want;
	size_t want_len;
};

#define GOOD(in, want)                                                         \
	{                                                                      \
		in, sizeof(in) - 1, want, sizeof(want) - 1                     \
	}

static const struct good good_cases[] = {
    GOOD("4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n\r\n",
	 "Wikipedia in\r\n\r\nchunks."),
    GOOD("0\r\n\r\n", ""),
    GOOD("000\r\n\r\n", ""),
    GOOD("3;a=b\r\nabc\r\n2 ; x ; y = \"q;\\\"uo\"\r\nde\r\n0;last\r\n\r\n",
	 "abcde"),
    GOOD("a;n=\"\"\r\n0123456789\r\n0;x=\"\\\\\";y=tok\t;z\r\n\r\n",
	 "0123456789"),
    GOOD("2;q=\"a b\tc!#\x80\"\r\nxy\r\n0\r\n\r\n", "xy"),
    GOOD("1\r\na\r\n0\r\nExpires: never\r\nX-T:1\r\nX-E:\r\n\r\n", "a"),
    GOOD("0\r\nX: caf\xc3\xa9 \t\r\n\r\n", ""),
    GOOD("1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0001\r\n!\r\n0\r\n\r\n",
	 "abcdefghijklmnopqrstuvwxyz!"),
    GOOD("1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n",
	 "abcdefghijklmnopqrstuvwxyz"),
    /* Framing-looking bytes inside chunk data are data. */
    GOOD("5\r\n0\r\n\r\n\r\n2\r\n\r\n\r\n0\r\n\r\n", "0\r\n\r\n\r\n"),
    GOOD("3\r\n\0\xff\n\r\n0\r\n\r\n", "\0\xff\n"),
};

/* Feed whole, in every 2-piece split, byte by byte, and (for short
 * inputs) in every 3-piece split; each must decode to want and stop
 * right before the tail. */
static void check_good(const char *body, size_t body_len, const char *want,
		       size_t want_len, size_t idx)
{
	size_t len = body_len + sizeof(TAIL) - 1;
	char *in = malloc(len);
	size_t *cuts = malloc((len + 1) * sizeof(*cuts));
	struct run r;

	memcpy(in, body, body_len);
	memcpy(in + body_len, TAIL, sizeof(TAIL) - 1);
	for (size_t k = 0; k < len; k++)
		cuts[k] = k + 1;

#define CHECK(what)                                                            \
	do {                                                                   \
		cr_assert_not(r.error, "case %zu %s: error", idx, what);       \
		cr_assert(r.done, "case %zu %s: not done", idx, what);         \
		cr_assert_eq(r.out_len, want_len, "case %zu %s: %zu bytes",    \
			     idx, what, r.out_len);                            \
		cr_assert(memcmp(r.out, want, want_len) == 0,                  \
			  "case %zu %s: wrong bytes", idx, what);              \
		cr_assert_eq(r.total, want_len, "case %zu %s", idx, what);     \
		cr_assert_eq(r.consumed, body_len, "case %zu %s", idx, what);  \
		cr_assert_eq(r.left_len, sizeof(TAIL) - 1, "case %zu %s", idx, \
			     what);                                            \
		cr_assert(memcmp(r.left, TAIL, r.left_len) == 0,               \
			  "case %zu %s: tail changed", idx, what);             \
		run_free(&r);                                                  \
	} while (0)

	feed(in, len, NULL, 0, &r);
	CHECK("whole");
	feed(in, len, cuts, len - 1, &r);
	CHECK("byte by byte");
	for (size_t k = 0; k <= len; k++) {
		feed(in, len, &k, 1, &r);
		CHECK("two pieces");
	}
	for (size_t a = 0; len < 200 && a <= len; a++) {
		for (size_t b = a; b <= len; b++) {
			size_t two[2] = {a, b};

			feed(in, len, two, 2, &r);
			CHECK("three pieces");
		}
	}
#undef CHECK
	free(cuts);
	free(in);
}

Test(chunked, good_bodies_in_every_split)
{
	for (size_t i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++)
		check_good(good_cases[i].in, good_cases[i].len,
			   good_cases[i].want, good_cases[i].want_len, i);
}

/* 200 chunks of 1 to 61 bytes and one of 0x1ab, hex in both cases. */
Test(chunked, many_chunks)
{
	size_t cap = 16384, len = 0, want_len = 0;
	char *body = malloc(cap), *want = malloc(cap);

	for (int i = 0; i <= 200; i++) {
		int size = i == 0 ? 0x1ab : (i * 7) % 61 + 1;

		len += (size_t)snprintf(body + len, cap - len,
					i % 2 ? "%x\r\n" : "%X\r\n", size);
		for (int k = 0; k < size; k++) {
			char ch = (char)('a' + (i + k) % 26);

			body[len++] = ch;
			want[want_len++] = ch;
		}
		memcpy(body + len, "\r\n", 2);
		len += 2;
	}
	len += (size_t)snprintf(body + len, cap - len, "0\r\n\r\n");
	cr_assert_gt(want_len, 6000);
	check_good(body, len, want, want_len, 1000);
	free(body);
	free(want);
}

struct bad {
	const char *in;
	size_t len;
};

#define BAD(s)                                                                 \
	{                                                                      \
		s, sizeof(s) - 1                                               \
	}

static const struct bad bad_cases[] = {
    BAD("g\r\n"),
    BAD("\r\n"),
    BAD(";a\r\n"),
    BAD(" 1\r\na\r\n0\r\n\r\n"),
    BAD("+1\r\na\r\n"),
    BAD("-1\r\na\r\n"),
    BAD("0x1\r\na\r\n"),
    BAD("1_0\r\n"),
    BAD("1\0\r\n"),
    BAD("1\r\nab\r\n0\r\n\r\n"),
    BAD("1\r\nab\n0\r\n\r\n"),
    BAD("1\r\na\n\n0\r\n\r\n"),
    BAD("1;a\0=b\r\n"),
    BAD("0\r\nX\0Y: a\r\n\r\n"),
    BAD("1\r\na\n0\r\n\r\n"),
    BAD("1\r\na\rX"),
    BAD("1\na\r\n0\r\n\r\n"),
    BAD("1\ra"),
    BAD("1\r\na\r\n0\r\n\n"),
    BAD("1\r\na\r\n0\r\n\r\r"),
    BAD("1\r\na\r\n0\n\r\n"),
    BAD("8000000000000000\r\n"),
    BAD("FFFFFFFFFFFFFFFFF\r\n"),
    BAD("10000000000000000\r\n"),
    BAD("1 \r\na\r\n0\r\n\r\n"),
    BAD("1 2\r\n"),
    BAD("1;\r\n"),
    BAD("1; \r\n"),
    BAD("1;a=\r\n"),
    BAD("1;a =\r\n"),
    BAD("1;a \r\n"),
    BAD("1;a=\"x\r\n"),
    BAD("1;a b\r\n"),
    BAD("1;a=b c\r\n"),
    BAD("1;a=\"x\"y\r\n"),
    BAD("1;a=\"x\" \r\n"),
    BAD("1;a=\"\x01\"\r\n"),
    BAD("1;a=\"\\\x7f\"\r\n"),
    BAD("1;a(b)\r\n"),
    BAD("1;a=b\n"),
    BAD("0\r\nX: a\r\n b\r\n\r\n"),
    BAD("0\r\n X: a\r\n\r\n"),
    BAD("0\r\nX\r\n\r\n"),
    BAD("0\r\n: a\r\n\r\n"),
    BAD("0\r\nX : a\r\n\r\n"),
    BAD("0\r\nX: a\n\r\n"),
    BAD("0\r\nX: a\rb\r\n\r\n"),
    BAD("0\r\nX: a\x01\r\n\r\n"),
    BAD("0\r\nX: a\x7f\r\n\r\n"),
    BAD("0\r\nX: a\r\n\n"),
};

static void check_bad(const char *in, size_t len, size_t idx)
{
	size_t *cuts = malloc((len + 1) * sizeof(*cuts));
	struct run r;

	for (size_t k = 0; k < len; k++)
		cuts[k] = k + 1;
	feed(in, len, NULL, 0, &r);
	cr_assert(r.error, "bad case %zu whole: no error", idx);
	cr_assert_not(r.done, "bad case %zu", idx);
	run_free(&r);
	feed(in, len, cuts, len - 1, &r);
	cr_assert(r.error, "bad case %zu byte by byte: no error", idx);
	cr_assert_not(r.done, "bad case %zu", idx);
	run_free(&r);
	free(cuts);
}

Test(chunked, bad_framing_is_an_error)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		check_bad(bad_cases[i].in, bad_cases[i].len, i);
}

/* A chunk-size line of exactly CHUNKED_LINE_MAX bytes (CRLF included)
 * passes; one byte more fails.  Long runs of leading zeros too. */
Test(chunked, size_line_bound)
{
	size_t cap = CHUNKED_LINE_MAX + 64;
	char *in = malloc(cap);
	size_t len;

	for (int extra = 0; extra <= 1; extra++) {
		size_t names = CHUNKED_LINE_MAX - 4 + (size_t)extra;

		memcpy(in, "1;", 2);
		memset(in + 2, 'n', names);
		len = 2 + names;
		memcpy(in + len, "\r\nx\r\n0\r\n\r\n", 10);
		len += 10;
		cr_assert_eq(len - 8, CHUNKED_LINE_MAX + (size_t)extra);
		if (extra)
			check_bad(in, len, 2000);
		else
			check_good(in, len, "x", 1, 2000);

		memset(in, '0', CHUNKED_LINE_MAX - 3 + (size_t)extra);
		len = CHUNKED_LINE_MAX - 3 + (size_t)extra;
		memcpy(in + len, "1\r\ny\r\n0\r\n\r\n", 11);
		len += 11;
		if (extra)
			check_bad(in, len, 2001);
		else
			check_good(in, len, "y", 1, 2001);
	}
	free(in);
}

/* The trailer section, its final CRLF included, is at most
 * CHUNKED_TRAILER_MAX bytes. */
Test(chunked, trailer_bound)
{
	size_t cap = CHUNKED_TRAILER_MAX + 64;
	char *in = malloc(cap);

	for (int extra = 0; extra <= 1; extra++) {
		size_t value = CHUNKED_TRAILER_MAX - 6 + (size_t)extra;
		size_t len = 0;

		memcpy(in, "0\r\nX:", 5);
		len = 5;
		memset(in + len, 'v', value);
		len += value;
		memcpy(in + len, "\r\n\r\n", 4);
		len += 4;
		cr_assert_eq(len - 3, CHUNKED_TRAILER_MAX + (size_t)extra);
		if (extra)
			check_bad(in, len, 3000);
		else
			check_good(in, len, "", 0, 3000);
	}
	free(in);
}

/* 2^63 - 1 is the largest chunk accepted. */
Test(chunked, largest_chunk_size)
{
	char in[] = "7FFFFFFFFFFFFFFF\r\nabc";
	struct chunked c;
	size_t out_len;

	chunked_init(&c);
	cr_assert_eq(chunked_decode(&c, in, sizeof(in) - 1, &out_len),
		     (ssize_t)sizeof(in) - 1);
	cr_assert_eq(out_len, 3);
	cr_assert(memcmp(in, "abc", 3) == 0);
	cr_assert_eq(c.chunk_left, (uint64_t)INT64_MAX - 3);
	cr_assert_eq(c.total, 3);
	cr_assert_not(c.done);
}

Test(chunked, done_leaves_pipelined_bytes)
{
	char in[] = "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
	struct chunked c;
	size_t out_len = 99;

	chunked_init(&c);
	cr_assert_eq(chunked_decode(&c, in, sizeof(in) - 1, &out_len), 13);
	cr_assert(c.done);
	cr_assert_eq(out_len, 3);
	cr_assert(memcmp(in, "abc", 3) == 0);
	cr_assert_str_eq(in + 13, "GET / HTTP/1.1\r\n");
	/* Once done, nothing more is consumed. */
	cr_assert_eq(chunked_decode(&c, in + 13, sizeof(in) - 14, &out_len), 0);
	cr_assert_eq(out_len, 0);
	cr_assert_str_eq(in + 13, "GET / HTTP/1.1\r\n");
}

Test(chunked, error_is_sticky)
{
	char bad[] = "z\r\n";
	char good[] = "0\r\n\r\n";
	struct chunked c;
	size_t out_len;

	chunked_init(&c);
	cr_assert_eq(chunked_decode(&c, bad, 3, &out_len), -1);
	cr_assert_eq(chunked_decode(&c, good, 5, &out_len), -1);
	cr_assert_not(c.done);
}

Test(chunked, empty_input_consumes_nothing)
{
	char buf[1] = {'x'};
	struct chunked c;
	size_t out_len = 7;

	chunked_init(&c);
	cr_assert_eq(chunked_decode(&c, buf, 0, &out_len), 0);
	cr_assert_eq(out_len, 0);
	cr_assert_not(c.done);
}
