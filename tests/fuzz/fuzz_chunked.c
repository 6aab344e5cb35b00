/*
 * fuzz_chunked.c - libFuzzer harness for chunked_decode (src/http/body.c).
 *
 * Input: bytes 0-1 choose how the rest is cut into pieces; the rest is a
 * chunked body (and maybe pipelined bytes after it).  The body is decoded
 * once whole and once fed piece by piece, each piece in its own exact-size
 * buffer (decoding is in place).  Checks the contract of include/body.h:
 *   - both ways agree: error or not, done or not, bytes consumed, bytes
 *     decoded and c->total;
 *   - each call: out_len <= consumed <= len, consumed < len only once
 *     done, c->total counts the output, a call after done consumes 0 and
 *     a call after an error fails again;
 *   - a body that decoded to D is decoded back to D when the harness
 *     re-encodes D in chunks of its own (with an extension and a
 *     trailer): a valid body the decoder must accept exactly.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "body.h"
#include "fuzz.h"

struct decode_result {
	bool error;
	bool done;
	size_t consumed;
	char *out; /* decoded bytes */
	size_t out_len;
	uint64_t total;
};

/* One chunked_decode call on an exact-size copy of in[0..len). */
static ssize_t decode_piece(struct chunked *c, const char *in, size_t len,
			    struct decode_result *r)
{
	char *buf = fuzz_dup(in, len);
	size_t out_len = 0;
	bool was_done = c->done;
	ssize_t n = chunked_decode(c, buf, len, &out_len);

	if (n < 0) {
		r->error = true;
		free(buf);
		return n;
	}
	FUZZ_CHECK((size_t)n <= len, "consumed %zd of %zu", n, len);
	FUZZ_CHECK(out_len <= (size_t)n, "out %zu > consumed %zd", out_len, n);
	FUZZ_CHECK((size_t)n == len || c->done, "consumed %zd of %zu, not done",
		   n, len);
	FUZZ_CHECK(!was_done || (n == 0 && out_len == 0),
		   "call after done consumed %zd", n);
	memcpy(r->out + r->out_len, buf, out_len);
	r->out_len += out_len;
	r->consumed += (size_t)n;
	FUZZ_CHECK(c->total == r->out_len, "total %llu, output %zu",
		   (unsigned long long)c->total, r->out_len);
	free(buf);
	return n;
}

static void decode_whole(const char *in, size_t len, struct decode_result *r)
{
	struct chunked c;
	size_t dummy = 0;
	char one = 'x';

	chunked_init(&c);
	if (decode_piece(&c, in, len, r) < 0) {
		FUZZ_CHECK(chunked_decode(&c, &one, 1, &dummy) == -1,
			   "a call after an error did not fail");
		return;
	}
	r->done = c.done;
	r->total = c.total;
	if (c.done)
		decode_piece(&c, in, len, r); /* consumes nothing */
}

static void decode_pieces(const char *in, size_t len, struct fuzz_split *s,
			  struct decode_result *r)
{
	struct chunked c;
	size_t pos = 0, dummy = 0;
	char one = 'x';

	chunked_init(&c);
	while (pos < len) {
		size_t n = fuzz_split_next(s, len - pos);
		if (decode_piece(&c, in + pos, n, r) < 0) {
			FUZZ_CHECK(chunked_decode(&c, &one, 1, &dummy) == -1,
				   "a call after an error did not fail");
			return;
		}
		pos += n;
	}
	r->done = c.done;
	r->total = c.total;
}

/* D re-encoded in chunks sized by s; returns the encoding's length. */
static size_t encode(const char *d, size_t len, struct fuzz_split *s, char *out,
		     size_t cap)
{
	size_t pos = 0, o = 0;

	while (pos < len) {
		size_t n = fuzz_split_next(s, len - pos);
		int w = snprintf(out + o, cap - o, "%zx;ext=\"v\"\r\n", n);
		FUZZ_CHECK(w > 0 && (size_t)w < cap - o - n - 2, "encode: cap");
		o += (size_t)w;
		memcpy(out + o, d + pos, n);
		o += n;
		memcpy(out + o, "\r\n", 2);
		o += 2;
		pos += n;
	}
	FUZZ_CHECK(cap - o >= 19, "encode: cap");
	memcpy(out + o, "0\r\nX-Trailer: t\r\n\r\n", 19);
	return o + 19;
}

static void check_reencode(const struct decode_result *w, uint8_t seed)
{
	struct fuzz_split s;
	struct decode_result r = {0};
	/* Per data byte at most itself, "1;ext=\"v\"\r\n" and CRLF; the end. */
	size_t cap = w->out_len * 16 + 32;
	char *enc = malloc(cap);
	size_t enc_len;

	fuzz_split_init(&s, seed, (uint8_t)w->out_len);
	FUZZ_CHECK(enc != NULL, "out of memory");
	enc_len = encode(w->out, w->out_len, &s, enc, cap);
	r.out = malloc(enc_len);
	FUZZ_CHECK(r.out != NULL, "out of memory");
	decode_whole(enc, enc_len, &r);
	FUZZ_CHECK(!r.error && r.done && r.consumed == enc_len,
		   "re-encoded body: error %d done %d consumed %zu of %zu",
		   r.error, r.done, r.consumed, enc_len);
	FUZZ_CHECK(r.out_len == w->out_len &&
		       memcmp(r.out, w->out, r.out_len) == 0,
		   "re-encoded body decodes differently");
	free(r.out);
	free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decode_result whole = {0}, pieces = {0};
	struct fuzz_split s;
	const char *in = (const char *)data + 2;
	size_t len;

	if (size < 2)
		return 0;
	len = size - 2;
	whole.out = malloc(len + 1);
	pieces.out = malloc(len + 1);
	FUZZ_CHECK(whole.out && pieces.out, "out of memory");
	decode_whole(in, len, &whole);
	fuzz_split_init(&s, data[0], data[1]);
	decode_pieces(in, len, &s, &pieces);

	FUZZ_CHECK(whole.error == pieces.error, "error: whole %d, pieces %d",
		   whole.error, pieces.error);
	if (!whole.error) {
		FUZZ_CHECK(whole.done == pieces.done &&
			       whole.consumed == pieces.consumed &&
			       whole.total == pieces.total,
			   "whole: done %d consumed %zu; pieces: done %d "
			   "consumed %zu",
			   whole.done, whole.consumed, pieces.done,
			   pieces.consumed);
		FUZZ_CHECK(whole.out_len == pieces.out_len &&
			       memcmp(whole.out, pieces.out, whole.out_len) ==
				   0,
			   "decoded bytes differ");
		if (whole.done)
			check_reencode(&whole, data[0]);
	}
	free(whole.out);
	free(pieces.out);
	return 0;
}
