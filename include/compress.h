/*
 * compress.h - gzip (zlib) and brotli (libbrotli) compression of response
 * bodies, whole (a cached file, compressed once) or as a stream in
 * bounded steps (a large file, CGI output); and which responses may be
 * compressed at all.  No I/O.
 */
#ifndef WEBSERV_COMPRESS_H
#define WEBSERV_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "encoding.h"
#include "http.h"
#include "response.h"

/* Does loc's compress_types (or the built-in list) hold the media type
 * type[0..len) (parameters after ';' ignored, case-insensitive)? */
bool compress_type_ok(const struct location *loc, const char *type, size_t len);

/* The request allows a transformation: no "Cache-Control: no-transform"
 * (RFC 9111 §5.2.1.6). */
bool compress_request_allows(const struct http_request *req);

/* The coding for a response of loc to req with this media type, body
 * size (or -1: unknown, streamed), or ENC_IDENTITY.  *vary: the answer
 * depends on Accept-Encoding (send "Vary: Accept-Encoding"). */
int compress_choose(const struct location *loc, const struct http_request *req,
		    const char *type, size_t type_len, long long size,
		    bool *vary);

/* in[0..len) compressed whole with enc at level into a malloc'd buffer:
 * 0 with *out / *out_len, -1 (ENOMEM or a library failure). */
int compress_whole(enum content_coding enc, int level, const char *in,
		   size_t len, char **out, size_t *out_len);

/* A stream. */
struct compressor;
enum compress_flush {
	COMPRESS_RUN,	/* more input will come */
	COMPRESS_FLUSH, /* make what was given decodable now (sync flush) */
	COMPRESS_FINISH /* no more input: end the stream */
};
struct compressor *compressor_new(enum content_coding enc, int level);
void compressor_free(struct compressor *z);
/*
 * Feed in[0..in_len) and take up to out_cap bytes out.  *consumed and
 * *produced say how much moved.  Returns 1 when the flush (or finish)
 * asked for is complete and all input taken, 0 when it needs to be
 * called again (output full), -1 on a library error.
 */
int compressor_step(struct compressor *z, const char *in, size_t in_len,
		    size_t *consumed, char *out, size_t out_cap,
		    size_t *produced, enum compress_flush flush);

/*
 * A response body (response.h BODY_STREAM): len bytes of the file open at
 * fd (borrowed: the caller keeps it open until the stream is freed) from
 * off, compressed with enc at level in bounded pieces (at most
 * COMPRESS_PIECE bytes of the file read at a time, never the whole file),
 * each piece a chunk when chunked (RFC 9112 §7.1), else raw.  NULL on
 * ENOMEM.
 */
#define COMPRESS_PIECE (32 * 1024)
struct body_stream *compress_file_stream(enum content_coding enc, int level,
					 int fd, off_t off, off_t len,
					 bool chunked);

#endif
