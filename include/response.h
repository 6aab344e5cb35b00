/*
 * response.h - what a request is answered with, before any I/O.
 * The http layer fills a struct response; the connection layer adds the
 * Connection header and the blank line, then writes head and body.
 */
#ifndef WEBSERV_RESPONSE_H
#define WEBSERV_RESPONSE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define RESPONSE_HEAD_MAX 4096
#define SERVER_SOFTWARE	  "webserv/0.1"

struct fc_entry;

enum body_kind { BODY_NONE, BODY_MEM, BODY_FILE, BODY_STREAM };

/*
 * BODY_STREAM: a body made while it is sent, in bounded pieces (a file
 * compressed on the fly).  next() sets *piece to the next bytes to send
 * (framing included; valid until the next call) and returns their
 * length, 0 when the body is over, -1 on error.  The connection layer
 * keeps piece / piece_len / piece_sent; free() releases the stream.
 */
struct body_stream {
	ssize_t (*next)(struct body_stream *bs, const char **piece);
	void (*free)(struct body_stream *bs);
	const char *piece;
	size_t piece_len;
	size_t piece_sent;
};

struct response {
	int status;
	char head[RESPONSE_HEAD_MAX]; /* status line + headers, no blank line;
				       * always NUL-terminated at head_len */
	size_t head_len;
	bool head_overflow; /* a header was dropped: it did not fit, or
			     * its value held CR/LF (answer 500) */
	enum body_kind body_kind;
	char *mem; /* BODY_MEM: malloc'd, owned */
	size_t mem_len;
	int fd; /* BODY_FILE: owned, -1 otherwise */
	off_t file_off;
	off_t file_len;
	bool close; /* the server will close after this response */
	/* set: mem / fd belong to this file cache entry (not freed or
	 * closed here); the reference is dropped by response_reset */
	struct fc_entry *cached;
	struct body_stream *stream; /* BODY_STREAM: owned */
	bool compressed;	    /* has a Content-Encoding (statistics) */
};

/* Reason phrase for status ("Not Found"); "Unknown" if none. */
const char *http_reason(int status);
/* IMF-fixdate (RFC 9110 §5.6.7) into out[30] (29 chars + NUL).  A time
 * outside years 0..9999 is written as the epoch. */
void http_date(time_t t, char *out);
/* false for 1xx, 204 and 304, which never carry content (RFC 9110 §6.4.1). */
bool response_status_has_body(int status);

/* Empty response: status 0, fd -1. */
void response_init(struct response *resp);
/* Drop the body (memory, fd or cache reference); keep head and close. */
void response_body_release(struct response *resp);
/* Release body memory and fd; back to response_init state. */
void response_reset(struct response *resp);
/* Start the head again: status line, Date (cached per second), Server.
 * Clears head_overflow; the body and the close flag are kept. */
void response_status(struct response *resp, int status);
/* Append "name: value\r\n"; all or nothing (see head_overflow). */
void response_header(struct response *resp, const char *name, const char *fmt,
		     ...) __attribute__((format(printf, 3, 4)));
/* Built-in HTML error page for status as the body (Content-Type,
 * Content-Length headers included); any previous body is released and the
 * head restarted.  head_only: HEAD, headers without the body.  1xx, 204
 * and 304 get only the status line, Date and Server. */
void response_builtin_error(struct response *resp, int status, bool head_only);

struct config;
struct location;
/* The configured `headers` of loc appended (NULL: not routed; those of
 * the default server on listen_idx). */
void response_add_fields(struct response *resp, const struct config *cfg,
			 size_t listen_idx, const struct location *loc);

#endif
