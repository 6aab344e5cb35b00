/*
 * compress.c - see compress.h.  zlib writes the gzip wrapper itself
 * (windowBits 15 + 16); brotli's encoder runs with BROTLI_MODE_TEXT
 * and the level given as its quality.  Invariant: a compressor's
 * internal buffers are the library's (bounded by window and level);
 * compress.c never holds more than what one step was given.
 */
#include <brotli/encode.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>
#include <errno.h>
#include <stdio.h>

#include "compress.h"

/* When compress_types is not set (README: configuration reference). */
static const char *const default_types[] = {
    "text/*",
    "application/javascript",
    "application/json",
    "application/xml",
    "application/xhtml+xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/manifest+json",
    "application/wasm",
    "image/svg+xml",
    "image/x-icon",
};

static bool type_match(const char *pattern, const char *type, size_t len)
{
	size_t plen = strlen(pattern);

	if (strcmp(pattern, "*") == 0)
		return true;
	if (plen >= 2 && pattern[plen - 1] == '*' && pattern[plen - 2] == '/')
		return len > plen - 1 &&
		       strncasecmp(type, pattern, plen - 1) == 0;
	return len == plen && strncasecmp(type, pattern, len) == 0;
}

bool compress_type_ok(const struct location *loc, const char *type, size_t len)
{
	const char *semi = memchr(type, ';', len);

	if (semi)
		len = (size_t)(semi - type);
	while (len > 0 && (type[len - 1] == ' ' || type[len - 1] == '\t'))
		len--;
	if (loc->compress_types == NULL) {
		for (size_t i = 0;
		     i < sizeof(default_types) / sizeof(default_types[0]); i++)
			if (type_match(default_types[i], type, len))
				return true;
		return false;
	}
	for (size_t i = 0; i < loc->compress_type_count; i++)
		if (type_match(loc->compress_types[i], type, len))
			return true;
	return false;
}

bool compress_request_allows(const struct http_request *req)
{
	struct slice cc = http_header_get(req, "Cache-Control");

	for (size_t i = 0; i + 12 <= cc.len; i++)
		if (strncasecmp(cc.ptr + i, "no-transform", 12) == 0)
			return false;
	return true;
}

int compress_choose(const struct location *loc, const struct http_request *req,
		    const char *type, size_t type_len, long long size,
		    bool *vary)
{
	struct slice ae;
	int enc;

	*vary = false;
	if (loc->compress_count == 0 || !compress_type_ok(loc, type, type_len))
		return ENC_IDENTITY;
	if (size >= 0 && (unsigned long long)size < loc->compress_min_size)
		return ENC_IDENTITY;
	*vary = true;
	if (!compress_request_allows(req))
		return ENC_IDENTITY;
	ae = http_header_get(req, "Accept-Encoding");
	enc = encoding_choose(ae.ptr ? ae.ptr : "", ae.len, ae.ptr != NULL,
			      loc->compress, loc->compress_count);
	/* nothing acceptable: identity anyway (RFC 9110 §12.5.3 allows
	 * it, as nginx does), rather than 406 */
	return enc < 0 ? ENC_IDENTITY : enc;
}

struct compressor {
	enum content_coding enc;
	z_stream zs;
	BrotliEncoderState *br;
};

struct compressor *compressor_new(enum content_coding enc, int level)
{
	struct compressor *z = calloc(1, sizeof(*z));

	if (z == NULL)
		return NULL;
	z->enc = enc;
	if (enc == ENC_GZIP) {
		/* windowBits 15 + 16: a gzip header and trailer */
		if (deflateInit2(&z->zs, level, Z_DEFLATED, 15 + 16, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK)
			goto fail;
		return z;
	}
	if (enc == ENC_BR) {
		z->br = BrotliEncoderCreateInstance(NULL, NULL, NULL);
		if (z->br == NULL)
			goto fail;
		BrotliEncoderSetParameter(z->br, BROTLI_PARAM_QUALITY,
					  (uint32_t)level);
		BrotliEncoderSetParameter(z->br, BROTLI_PARAM_MODE,
					  BROTLI_MODE_TEXT);
		/* a 256 KiB window (nginx's brotli module: 512k) bounds the
		 * encoder's memory per stream; the default 4 MiB would cost
		 * megabytes per streaming response */
		BrotliEncoderSetParameter(z->br, BROTLI_PARAM_LGWIN, 18);
		return z;
	}
fail:
	free(z);
	return NULL;
}

void compressor_free(struct compressor *z)
{
	if (z == NULL)
		return;
	if (z->enc == ENC_GZIP)
		deflateEnd(&z->zs);
	else if (z->br)
		BrotliEncoderDestroyInstance(z->br);
	free(z);
}

static int step_gzip(struct compressor *z, const char *in, size_t in_len,
		     size_t *consumed, char *out, size_t out_cap,
		     size_t *produced, enum compress_flush flush)
{
	int mode = flush == COMPRESS_FINISH  ? Z_FINISH
		   : flush == COMPRESS_FLUSH ? Z_SYNC_FLUSH
					     : Z_NO_FLUSH;
	uInt in_n = in_len > UINT32_MAX ? UINT32_MAX : (uInt)in_len;
	uInt out_n = out_cap > UINT32_MAX ? UINT32_MAX : (uInt)out_cap;
	int rc;

	z->zs.next_in = (Bytef *)(uintptr_t)in;
	z->zs.avail_in = in_n;
	z->zs.next_out = (Bytef *)out;
	z->zs.avail_out = out_n;
	rc = deflate(&z->zs, mode);
	*consumed = in_n - z->zs.avail_in;
	*produced = out_n - z->zs.avail_out;
	if (rc == Z_STREAM_ERROR)
		return -1;
	if (flush == COMPRESS_FINISH)
		return rc == Z_STREAM_END ? 1 : 0;
	/* all input taken and room left over: nothing is pending */
	return z->zs.avail_in == 0 && in_n == in_len && z->zs.avail_out > 0 ? 1
									    : 0;
}

static int step_br(struct compressor *z, const char *in, size_t in_len,
		   size_t *consumed, char *out, size_t out_cap,
		   size_t *produced, enum compress_flush flush)
{
	BrotliEncoderOperation op =
	    flush == COMPRESS_FINISH  ? BROTLI_OPERATION_FINISH
	    : flush == COMPRESS_FLUSH ? BROTLI_OPERATION_FLUSH
				      : BROTLI_OPERATION_PROCESS;
	const uint8_t *next_in = (const uint8_t *)in;
	uint8_t *next_out = (uint8_t *)out;
	size_t avail_in = in_len, avail_out = out_cap;

	if (!BrotliEncoderCompressStream(z->br, op, &avail_in, &next_in,
					 &avail_out, &next_out, NULL))
		return -1;
	*consumed = in_len - avail_in;
	*produced = out_cap - avail_out;
	if (BrotliEncoderHasMoreOutput(z->br) || avail_in > 0)
		return 0;
	if (flush == COMPRESS_FINISH)
		return BrotliEncoderIsFinished(z->br) ? 1 : 0;
	return 1;
}

int compressor_step(struct compressor *z, const char *in, size_t in_len,
		    size_t *consumed, char *out, size_t out_cap,
		    size_t *produced, enum compress_flush flush)
{
	if (z->enc == ENC_GZIP)
		return step_gzip(z, in, in_len, consumed, out, out_cap,
				 produced, flush);
	return step_br(z, in, in_len, consumed, out, out_cap, produced, flush);
}

int compress_whole(enum content_coding enc, int level, const char *in,
		   size_t len, char **out, size_t *out_len)
{
	struct compressor *z = compressor_new(enc, level);
	size_t cap = len / 2 + 64, used = 0, pos = 0;
	char *buf = NULL;
	int rc = 0;

	if (z == NULL)
		return -1;
	while (rc == 0) {
		size_t took, made;
		if (cap - used < 64) {
			char *bigger = realloc(buf, cap * 2);
			if (bigger == NULL)
				goto fail;
			buf = bigger;
			cap *= 2;
		} else if (buf == NULL && (buf = malloc(cap)) == NULL) {
			goto fail;
		}
		rc = compressor_step(z, in + pos, len - pos, &took, buf + used,
				     cap - used, &made, COMPRESS_FINISH);
		if (rc < 0)
			goto fail;
		pos += took;
		used += made;
	}
	compressor_free(z);
	*out = buf;
	*out_len = used;
	return 0;
fail:
	free(buf);
	compressor_free(z);
	return -1;
}

/* "%08zx\r\n" before a chunk, "\r\n" after, "0\r\n\r\n" at the end. */
#define CHUNK_HEAD 10
#define CHUNK_TAIL (2 + 5)

struct file_stream {
	struct body_stream bs;
	struct compressor *z;
	int fd;
	off_t off, left; /* of the file, still to read */
	bool chunked;
	bool done;
	size_t in_pos, in_len;
	char in[COMPRESS_PIECE];
	char out[CHUNK_HEAD + COMPRESS_PIECE + CHUNK_TAIL];
};

static void file_stream_free(struct body_stream *bs)
{
	struct file_stream *fs = (struct file_stream *)bs;

	compressor_free(fs->z);
	free(fs);
}

/* Refill the input from the file when it is used up: 0 / -1. */
static int file_stream_read(struct file_stream *fs)
{
	if (fs->in_pos < fs->in_len || fs->left == 0)
		return 0;
	size_t want = fs->left < (off_t)sizeof(fs->in) ? (size_t)fs->left
						       : sizeof(fs->in);
	ssize_t n;
	do
		n = pread(fs->fd, fs->in, want, fs->off);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return -1; /* shrank under us: the stream can't end well */
	fs->in_pos = 0;
	fs->in_len = (size_t)n;
	fs->off += n;
	fs->left -= n;
	return 0;
}

static ssize_t file_stream_next(struct body_stream *bs, const char **piece)
{
	struct file_stream *fs = (struct file_stream *)bs;
	char *data = fs->out + CHUNK_HEAD;
	size_t made = 0;
	int rc = 0;

	if (fs->done)
		return 0;
	/* compress until there is something to send or the end */
	while (made == 0 && rc != 1) {
		if (file_stream_read(fs) == -1)
			return -1;
		bool last = fs->left == 0;
		size_t took;
		rc = compressor_step(fs->z, fs->in + fs->in_pos,
				     fs->in_len - fs->in_pos, &took, data,
				     COMPRESS_PIECE, &made,
				     last ? COMPRESS_FINISH : COMPRESS_RUN);
		if (rc < 0)
			return -1;
		fs->in_pos += took;
		if (!last)
			rc = 0; /* RUN's "all taken" is not the end */
	}
	fs->done = rc == 1;
	if (!fs->chunked) {
		*piece = data;
		return (ssize_t)made;
	}
	char head[CHUNK_HEAD + 1];
	size_t len = 0;
	char *start = data;
	if (made) {
		snprintf(head, sizeof(head), "%08x\r\n", (unsigned)made);
		memcpy(fs->out, head, CHUNK_HEAD);
		memcpy(data + made, "\r\n", 2);
		start = fs->out;
		len = CHUNK_HEAD + made + 2;
	}
	if (fs->done) {
		memcpy(start + len, "0\r\n\r\n", 5);
		len += 5;
	}
	*piece = start;
	return (ssize_t)len;
}

struct body_stream *compress_file_stream(enum content_coding enc, int level,
					 int fd, off_t off, off_t len,
					 bool chunked)
{
	struct file_stream *fs = malloc(sizeof(*fs));

	if (fs == NULL)
		return NULL;
	memset(&fs->bs, 0, sizeof(fs->bs));
	fs->bs.next = file_stream_next;
	fs->bs.free = file_stream_free;
	fs->fd = fd;
	fs->off = off;
	fs->left = len;
	fs->chunked = chunked;
	fs->done = false;
	fs->in_pos = fs->in_len = 0;
	if ((fs->z = compressor_new(enc, level)) == NULL) {
		free(fs);
		return NULL;
	}
	return &fs->bs;
}
