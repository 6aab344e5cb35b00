/*
 * conn_body.c - the READ_BODY state: a request body (Content-Length or
 * chunked) read into its sink (an upload, a CGI's stdin, or dropped),
 * with 100 Continue when the client waits for it.  The body limit is
 * checked on each chunk's size line, before its bytes are read.  Never
 * blocks.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "conn.h"
#include "log.h"
#include "upload.h"

static const char continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";

void conn_send_continue(struct conn *c)
{
	ssize_t n =
	    conn_send(c, continue_line, sizeof(continue_line) - 1, false);

	/* a fresh socket buffer always takes 25 bytes; if not, the client
	 * will send the body after its own timeout anyway (RFC 9110 §10.1.1) */
	if (n != (ssize_t)(sizeof(continue_line) - 1))
		log_debug("%s: could not send 100 Continue", __func__);
	if (n > 0)
		stats_add(&c->w->stats->ctr[STAT_BYTES_SENT], (uint64_t)n);
	if (n == (ssize_t)(sizeof(continue_line) - 1))
		stats_add(&c->w->stats->ctr[STAT_RESP_1XX], 1);
}

enum io_result conn_finish_body(struct conn *c)
{
	struct xfer *x = c->x;
	int status;

	if (x->sink == SINK_UPLOAD) {
		struct upload *up = x->upload;
		x->upload = NULL;
		x->sink = SINK_NONE;
		if (upload_finish(up, &x->resp, x->head_only, &status) == -1)
			return conn_respond_error(c, status, false);
	}
	x->sink = SINK_NONE;
	return conn_begin_write(c);
}

enum io_result conn_start_body(struct conn *c, enum body_sink sink,
			       uint64_t limit)
{
	struct xfer *x = c->x;

	x->sink = sink;
	x->body_limit = limit;
	if (x->req.expect_continue && x->pos == x->len && x->req.minor >= 1)
		conn_send_continue(c);
	c->state = CONN_READ_BODY;
	conn_arm(c, conn_timeouts(c)->body);
	return IO_OK;
}

/* Hand decoded body bytes to the sink.  0, or -1 with *status. */
static int feed(struct conn *c, const char *data, size_t n, int *status)
{
	struct xfer *x = c->x;

	if (n == 0)
		return 0;
	if (x->sink == SINK_UPLOAD)
		return upload_write(x->upload, data, n, status);
	if (x->sink == SINK_CGI)
		return cgi_feed(c, data, n, status);
	return 0;
}

/* Consume buffered body bytes.  IO_OK: body complete; IO_AGAIN: more
 * input needed; IO_ERROR: an error response was started (*status). */
enum io_result conn_consume_body(struct conn *c, int *status)
{
	struct xfer *x = c->x;
	char *data = x->buf + x->pos;
	size_t avail = x->len - x->pos;

	if (!x->chunked) {
		size_t n = avail < x->body_left ? avail : (size_t)x->body_left;
		if (feed(c, data, n, status) == -1)
			return IO_ERROR;
		x->pos += n;
		x->body_left -= n;
		return x->body_left == 0 ? IO_OK : IO_AGAIN;
	}
	while (x->pos < x->len && !x->dec.done) {
		size_t out = 0;
		ssize_t used = chunked_decode(&x->dec, x->buf + x->pos,
					      x->len - x->pos, &out);
		if (used < 0) {
			*status = 400;
			return IO_ERROR;
		}
		/* the size line announces the chunk: refuse it before reading
		 */
		if (x->dec.total + x->dec.chunk_left > x->body_limit) {
			*status = 413;
			return IO_ERROR;
		}
		if (feed(c, x->buf + x->pos, out, status) == -1)
			return IO_ERROR;
		x->pos += (size_t)used;
		if (used == 0)
			break; /* an incomplete line: needs more bytes */
	}
	return x->dec.done ? IO_OK : IO_AGAIN;
}

ssize_t conn_recv_body(struct conn *c)
{
	struct xfer *x = c->x;
	ssize_t n;

	/* keep the head in place; unconsumed bytes move down to it */
	if (x->pos > x->head_len) {
		memmove(x->buf + x->head_len, x->buf + x->pos, x->len - x->pos);
		x->len -= x->pos - x->head_len;
		x->pos = x->head_len;
	}
	if (x->len == x->cap) {
		errno = ENOBUFS; /* a chunk line the decoder should have cut */
		return -1;
	}
	do
		n = conn_recv(c, x->buf + x->len, x->cap - x->len);
	while (n == -1 && errno == EINTR);
	if (n > 0) {
		x->len += (size_t)n;
		conn_progress(c, (size_t)n, conn_timeouts(c)->body);
	}
	return n;
}

enum io_result conn_step_read_body(struct conn *c)
{
	int status = 500;
	ssize_t n;

	for (;;) {
		enum io_result rc = conn_consume_body(c, &status);
		if (rc == IO_OK)
			return conn_finish_body(c);
		if (rc == IO_ERROR)
			return conn_respond_error(c, status, true);
		n = conn_recv_body(c);
		if (n > 0)
			continue;
		if (n == -1 && errno == ENOBUFS)
			return conn_respond_error(c, 400, true);
		if (n == -1 && errno == EAGAIN) {
			conn_set_events(c, EPOLLIN);
			return IO_AGAIN;
		}
		return IO_ERROR; /* client gone mid-body: upload aborted */
	}
}
