/*
 * multipart.h - streaming multipart/form-data parser (RFC 7578 over the
 * RFC 2046 §5.1 framing).  Bytes go in as they arrive, in pieces of any
 * size (one byte at a time is fine); part headers and data chunks come
 * out through callbacks.  The body is never buffered: the parser keeps
 * one part's header section (at most MULTIPART_HEADER_MAX bytes) and
 * nothing else; a possible delimiter split across pieces is held back
 * implicitly (it can only be a prefix of the delimiter itself).  Pure:
 * no I/O.
 */
#ifndef WEBSERV_MULTIPART_H
#define WEBSERV_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

#define MULTIPART_HEADER_MAX   8192 /* one part's header section */
#define MULTIPART_BOUNDARY_MAX 70   /* RFC 2046 §5.1.1 */

enum multipart_error {
	MULTIPART_OK,
	MULTIPART_ERR_SYNTAX,	       /* bad delimiter line, header, ... */
	MULTIPART_ERR_HEADER_TOO_LONG, /* > MULTIPART_HEADER_MAX */
	MULTIPART_ERR_TRUNCATED,       /* finish before the close delimiter */
	MULTIPART_ERR_CALLBACK,	       /* a callback returned -1 */
};

/*
 * One part's headers, valid only during the on_part callback.  Strings
 * are decoded (quoted-string escapes removed) and NUL-terminated; they
 * may contain any byte but NUL.
 */
struct multipart_part {
	bool has_disposition; /* Content-Disposition: form-data seen */
	const char *name;     /* name parameter, NULL when absent */
	size_t name_len;
	const char *filename; /* filename parameter, NULL when absent */
	size_t filename_len;
	const char *content_type; /* part's Content-Type, NULL: absent */
	size_t content_type_len;
};

/* Each callback returns 0 to go on, -1 to stop the parse
 * (MULTIPART_ERR_CALLBACK). */
struct multipart_callbacks {
	int (*on_part)(void *ctx, const struct multipart_part *part);
	int (*on_data)(void *ctx, const char *data, size_t len);
	int (*on_part_end)(void *ctx);
};

struct multipart;

/*
 * Is the Content-Type value a multipart/form-data media type?  (Type and
 * subtype compare case-insensitively, RFC 9110 §8.3.1.)
 */
bool multipart_is_form_data(const char *ctype, size_t len);

/*
 * The boundary parameter of a Content-Type value (token or
 * quoted-string, RFC 9110 §5.6.6) into out (NUL-terminated).  Returns its
 * length, or -1 when absent or not a valid RFC 2046 boundary (1..70
 * bchars, not ending in a space).  cap must be > MULTIPART_BOUNDARY_MAX.
 */
int multipart_boundary(const char *ctype, size_t len, char *out, size_t cap);

/* A parser for one body.  NULL on a bad boundary or out of memory. */
struct multipart *multipart_new(const char *boundary, size_t boundary_len,
				const struct multipart_callbacks *cb,
				void *ctx);
void multipart_free(struct multipart *mp);

/*
 * Feed the next len body bytes.  0, or -1 once the body is known to be
 * bad (then multipart_error() says why and every later call fails too).
 * Bytes after the close delimiter (the epilogue) are ignored.
 */
int multipart_feed(struct multipart *mp, const char *data, size_t len);

/* The body ended: 0 when the close delimiter was seen, else -1. */
int multipart_finish(struct multipart *mp);

enum multipart_error multipart_error(const struct multipart *mp);

#endif
