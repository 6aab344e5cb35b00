/*
 * h2_int.h - what h2.c (the session, the streams, their requests and
 * responses) and h2_cgi.c (a stream's script: its body in, its output
 * out) share.  Private to src/worker.
 */
#ifndef WEBSERV_H2_INT_H
#define WEBSERV_H2_INT_H

#include <nghttp2/nghttp2.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgi_int.h"
#include "conn.h"
#include "h2.h"
#include "timer.h"

struct h2_stream {
	struct h2_stream *next;
	int32_t id;
	bool line_done; /* request line and Host written into x->buf */
	bool too_big;	/* the head outgrew header_buffer: 431 */
	bool answered;
	bool has_length;   /* the client sent content-length */
	bool body;	   /* DATA frames follow the header block */
	uint64_t body_got; /* upload bytes taken (x->body_limit allowed) */
	uint64_t sent;	   /* body bytes handed to nghttp2 */
	bool deferred;	   /* its script's output is awaited */
	bool body_ended;   /* END_STREAM came */
	bool feeding;	   /* DATA goes to its script's stdin pipe */
	bool spooling;	   /* DATA goes to spool_fd, the script waits */
	int spool_fd;
	uint64_t fed;	   /* body bytes its script took */
	uint64_t consumed; /* of those, given back to the stream window */
	struct conn *c;
	struct timer timer; /* its script's cgi_timeout */
	struct xfer *x;
	size_t path_len, authority_len;
	/* pseudo-headers until the request line is written (not zeroed:
	 * method, path and authority must stay the last members) */
	char method[32];
	char path[8192];
	char authority[512];
};

_Static_assert(CGI_STREAM_IN_CAP >= NGHTTP2_INITIAL_WINDOW_SIZE,
	       "a script's stdin buffer holds a stream's window");

struct h2_session {
	nghttp2_session *ng;
	struct h2_stream *streams;
	size_t open;
	const uint8_t *out; /* from nghttp2_session_mem_send, unsent */
	size_t out_len;
	uint8_t *wbuf; /* H2_WBUF bytes while output waits, else NULL */
	size_t wlen, wsent;
	bool draining;	   /* the shutdown notice is sent */
	bool goaway;	   /* the final GOAWAY is sent */
	uint64_t drain_at; /* when the notice went */
	/* cheap-frame flood counter (per second) */
	uint64_t cheap_since;
	unsigned cheap;
	unsigned continuations; /* in the current header block */
	/* the first stream's request id in the log while a callback runs */
};

/* h2.c: a stream's response (HEADERS, DATA from its body or script) */
int h2_submit(struct conn *c, struct h2_stream *s);
/* h2.c: http_handle() answers the parsed request (again after a CGI
 * local redirect) */
int h2_answer(struct conn *c, struct h2_stream *s);
/* h2.c: s answers with an error page of status */
void h2_error(struct conn *c, struct h2_stream *s, int status);

/* h2_cgi.c */
void h2_window(struct conn *c, struct h2_stream *s);
void h2_unfeed(struct conn *c, struct h2_stream *s);
void h2_detach(struct conn *c, struct h2_stream *s, bool kill);
ssize_t h2_cgi_body_read(nghttp2_session *ng, int32_t id, uint8_t *buf,
			 size_t len, uint32_t *flags, nghttp2_data_source *src,
			 void *user);
int h2_cgi(struct conn *c, struct h2_stream *s);
int h2_spool_end(struct conn *c, struct h2_stream *s);
int h2_spool_data(struct conn *c, struct h2_stream *s, const uint8_t *data,
		  size_t len, bool over);

#endif
