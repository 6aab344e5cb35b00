/*
 * http.h - incremental request-head parser (RFC 9112 §2-§3, §5-§6).
 * Shaped like picohttpparser: (buf, len) in, head length / incomplete /
 * error out.  Slices point into the caller's buffer (zero copy), which
 * therefore must not move while the request is alive.  Never does I/O.
 */
#ifndef WEBSERV_HTTP_H
#define WEBSERV_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "method.h"

#define HTTP_INCOMPLETE (-2)
#define HTTP_ERROR	(-1)

struct slice {
	const char *ptr;
	size_t len;
};

struct http_header {
	struct slice name;
	struct slice value; /* leading/trailing OWS removed */
};

struct http_request {
	enum http_method method;
	struct slice method_name;
	struct slice target; /* request-target as sent */
	/* Path part, still percent-encoded.  absolute-form: the path after
	 * the authority ("/" when empty); OPTIONS *: "*"; CONNECT: empty. */
	struct slice path;
	struct slice query; /* after the first '?', without it */
	bool has_query;
	int minor; /* HTTP/1.<minor>: 0 or 1 */
	/* Every field line, CRLFs included, without the blank line: walk
	 * it with http_header_next.  No count limit: only header_buffer
	 * bounds a head (RFC 9110 §5.4 leaves the limit to the server). */
	struct slice fields;
	size_t header_count; /* field lines in fields */
	/* Well-known headers, located once by the parser (the first line
	 * of each; len 0: absent).  host: the Host value, port included;
	 * for absolute-form and CONNECT the target's authority instead
	 * (RFC 9112 §3.2.2). */
	struct slice host;
	struct slice content_type;
	struct slice if_none_match;
	struct slice if_modified_since;
	struct slice if_match;
	struct slice if_unmodified_since;
	struct slice range;
	struct slice if_range;
	struct slice user_agent;
	struct slice referer;
	/* Framing (RFC 9112 §6). */
	bool has_length;
	uint64_t content_length;
	bool chunked;
	bool keep_alive;      /* version default and Connection header */
	bool expect_continue; /* Expect: 100-continue */
};

/*
 * Parse a request head from buf[0..len).  Returns the head's length
 * (including the blank line and any skipped leading empty lines: the
 * bytes to consume) when complete, HTTP_INCOMPLETE when more bytes are
 * needed, or HTTP_ERROR with *status set (400, 414, 431, 501, 505).
 * limit is the header buffer size (clamped to INT_MAX): a head that
 * cannot complete within limit bytes is 414 while still in the request
 * line, else 431; bytes past limit are never looked at.
 * Leading empty lines before the request line are skipped (RFC 9112 §2.2)
 * and count against limit.  Errors are reported at the first byte that
 * makes the head invalid, before the head is complete.
 * Correct for every split of the input: calling again with more bytes of
 * the same head gives the same answer as one call with all of them (each
 * call parses from byte 0; nothing is kept between calls).  *req is
 * meaningful only when a length is returned.
 */
int http_parse_head(const char *buf, size_t len, size_t limit,
		    struct http_request *req, int *status);

/*
 * The next field line of a field block that http_parse_head accepted
 * (req->fields: fields[0..len)).  *pos starts at 0 and is moved past the
 * line.  true with *field set (slices into fields: the name, the value
 * without its OWS), false when the block is over.  Pure; for any input
 * it never reads outside fields[0..len) and always ends.
 */
bool http_header_next(const char *fields, size_t len, size_t *pos,
		      struct http_header *field);

/* First header named name (case-insensitive); len 0 when absent. */
struct slice http_header_get(const struct http_request *req, const char *name);

#endif
