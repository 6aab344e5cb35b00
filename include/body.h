/*
 * body.h - chunked transfer decoding (RFC 9112 §7.1), in place.
 * Chunk extensions are skipped but bounded; trailers are bounded and
 * dropped.  Never does I/O.
 */
#ifndef WEBSERV_BODY_H
#define WEBSERV_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A chunk-size line (size, extensions, CRLF) longer than this is refused. */
#define CHUNKED_LINE_MAX 4096
/* The trailer section (trailer lines and the final CRLF) is bounded too. */
#define CHUNKED_TRAILER_MAX 8192

struct chunked {
	int state;
	uint64_t chunk_left; /* data bytes left in the current chunk */
	size_t line_len;     /* bytes of the current chunk-size line */
	size_t trailer_len;  /* bytes of the trailer section so far */
	uint64_t total;	     /* decoded bytes so far */
	bool done;	     /* last chunk and trailers consumed */
};

void chunked_init(struct chunked *c);

/*
 * Decode buf[0..len).  Decoded data is written in place to
 * buf[0..*out_len) (out_len <= consumed).  Returns the number of input
 * bytes consumed, or -1 on malformed framing (400; every later call
 * returns -1 too).  A partial line is consumed and remembered in *c, so
 * consumed < len only once c->done: buf[consumed..len) were not looked at
 * and hold the next pipelined request.  A call after done consumes 0.
 * Chunk sizes above 2^63 - 1 are refused; c->total counts the decoded
 * bytes so that the caller can enforce its body limit.
 */
ssize_t chunked_decode(struct chunked *c, char *buf, size_t len,
		       size_t *out_len);

#endif
