/*
 * fuzz_multipart.c - libFuzzer harness for the streaming multipart parser
 * (src/http/multipart.c).
 *
 * Input: bytes 0-1 choose how the body is cut into pieces, byte 2 makes
 * on_part fail on its n-th call (>= 0xf0) or never, then a Content-Type
 * value up to the first LF (its boundary parameter, through
 * multipart_boundary), then the body.  The body is fed whole and fed in
 * pieces (each in its own exact-size buffer), then finished.  Checks the
 * contract of include/multipart.h:
 *   - the transcript of callbacks (parts' headers, data with adjacent
 *     chunks merged, part ends), the feed and finish results and the
 *     error do not depend on how the bytes arrive;
 *   - callbacks come in order: on_data and on_part_end only inside a
 *     part, on_part only outside one; strings are NUL-terminated at their
 *     length and hold no NUL; a parse that fails keeps failing;
 *   - finish is 0 exactly when there is no error.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "multipart.h"

struct transcript {
	char *text;
	size_t len, cap;
	size_t data_start; /* where the pending data run begins */
	bool in_part;
	bool in_data; /* a data run is open in text */
	int parts;
	int fail_on_part; /* -1: never */
};

static void tr_add(struct transcript *tr, const void *s, size_t n)
{
	if (tr->len + n > tr->cap) {
		size_t cap = (tr->len + n) * 2 + 64;
		tr->text = realloc(tr->text, cap);
		FUZZ_CHECK(tr->text != NULL, "out of memory");
		tr->cap = cap;
	}
	if (n)
		memcpy(tr->text + tr->len, s, n);
	tr->len += n;
}

/* Length-prefixed, so that no content can pass for structure. */
static void tr_field(struct transcript *tr, char tag, const char *s, size_t n)
{
	size_t len = s == NULL ? SIZE_MAX : n;

	tr_add(tr, &tag, 1);
	tr_add(tr, &len, sizeof(len));
	if (s == NULL)
		return;
	FUZZ_CHECK(s[n] == '\0' && strlen(s) == n,
		   "field '%c' is not NUL-terminated at its length", tag);
	tr_add(tr, s, n);
}

/* Close a data run: its length goes into the slot reserved before it. */
static void tr_end_data(struct transcript *tr)
{
	size_t n;

	if (!tr->in_data)
		return;
	n = tr->len - tr->data_start;
	memcpy(tr->text + tr->data_start - sizeof(n), &n, sizeof(n));
	tr->in_data = false;
}

static int on_part(void *ctx, const struct multipart_part *part)
{
	struct transcript *tr = ctx;

	FUZZ_CHECK(!tr->in_part, "on_part inside a part");
	tr_end_data(tr);
	tr->in_part = true;
	tr_add(tr, part->has_disposition ? "P" : "p", 1);
	tr_field(tr, 'n', part->name, part->name_len);
	tr_field(tr, 'f', part->filename, part->filename_len);
	tr_field(tr, 't', part->content_type, part->content_type_len);
	return tr->parts++ == tr->fail_on_part ? -1 : 0;
}

static int on_data(void *ctx, const char *data, size_t len)
{
	struct transcript *tr = ctx;
	size_t slot = 0;

	FUZZ_CHECK(tr->in_part, "on_data outside a part");
	if (!tr->in_data) {
		tr_add(tr, "D", 1);
		tr_add(tr, &slot, sizeof(slot));
		tr->data_start = tr->len;
		tr->in_data = true;
	}
	tr_add(tr, data, len);
	return 0;
}

static int on_part_end(void *ctx)
{
	struct transcript *tr = ctx;

	FUZZ_CHECK(tr->in_part, "on_part_end outside a part");
	tr_end_data(tr);
	tr->in_part = false;
	tr_add(tr, "E", 1);
	return 0;
}

static const struct multipart_callbacks callbacks = {on_part, on_data,
						     on_part_end};

struct run {
	struct transcript tr;
	bool feed_failed;
	int finish;
	enum multipart_error error;
};

/* Feed in[0..len) in pieces from s (NULL: whole), then finish. */
static void run(const char *boundary, size_t blen, const char *in, size_t len,
		struct fuzz_split *s, struct run *r)
{
	struct multipart *mp =
	    multipart_new(boundary, blen, &callbacks, &r->tr);
	size_t pos = 0;

	FUZZ_CHECK(mp != NULL, "multipart_new refused a valid boundary");
	while (pos < len && !r->feed_failed) {
		size_t n = s ? fuzz_split_next(s, len - pos) : len;
		char *piece = fuzz_dup(in + pos, n);
		if (multipart_feed(mp, piece, n) == -1)
			r->feed_failed = true;
		free(piece);
		pos += n;
	}
	if (r->feed_failed) {
		FUZZ_CHECK(multipart_error(mp) != MULTIPART_OK,
			   "feed failed without an error");
		FUZZ_CHECK(multipart_feed(mp, "x", 1) == -1,
			   "a feed after a failure succeeded");
	}
	r->finish = multipart_finish(mp);
	tr_end_data(&r->tr);
	r->error = multipart_error(mp);
	FUZZ_CHECK(r->finish == -1 || r->error == MULTIPART_OK,
		   "finish 0 with error %d", r->error);
	FUZZ_CHECK(r->finish == 0 || r->error != MULTIPART_OK,
		   "finish failed without an error");
	multipart_free(mp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char boundary[MULTIPART_BOUNDARY_MAX + 2];
	struct run whole = {0}, pieces = {0};
	struct fuzz_split s;
	const char *ctype, *nl, *body;
	int blen, fail_on = -1;
	size_t clen, body_len;

	if (size < 3)
		return 0;
	if (data[2] >= 0xf0)
		fail_on = data[2] & 0x0f;
	ctype = (const char *)data + 3;
	nl = memchr(ctype, '\n', size - 3);
	if (nl == NULL)
		return 0;
	clen = (size_t)(nl - ctype);
	(void)multipart_is_form_data(ctype, clen);
	blen = multipart_boundary(ctype, clen, boundary, sizeof(boundary));
	if (blen < 0)
		return 0;
	FUZZ_CHECK(blen >= 1 && blen <= MULTIPART_BOUNDARY_MAX &&
		       boundary[blen] == '\0' &&
		       strlen(boundary) == (size_t)blen &&
		       boundary[blen - 1] != ' ',
		   "boundary of length %d", blen);
	body = nl + 1;
	body_len = size - 3 - clen - 1;

	whole.tr.fail_on_part = pieces.tr.fail_on_part = fail_on;
	run(boundary, (size_t)blen, body, body_len, NULL, &whole);
	fuzz_split_init(&s, data[0], data[1]);
	run(boundary, (size_t)blen, body, body_len, &s, &pieces);

	FUZZ_CHECK(whole.error == pieces.error &&
		       whole.finish == pieces.finish &&
		       whole.feed_failed == pieces.feed_failed,
		   "whole: error %d finish %d failed %d; pieces: %d %d %d",
		   whole.error, whole.finish, whole.feed_failed, pieces.error,
		   pieces.finish, pieces.feed_failed);
	FUZZ_CHECK(
	    whole.tr.len == pieces.tr.len &&
		(whole.tr.len == 0 ||
		 memcmp(whole.tr.text, pieces.tr.text, whole.tr.len) == 0),
	    "transcripts differ (%zu and %zu bytes)", whole.tr.len,
	    pieces.tr.len);
	free(whole.tr.text);
	free(pieces.tr.text);
	return 0;
}
