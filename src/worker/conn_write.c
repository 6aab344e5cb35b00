/*
 * conn_write.c - the WRITE state: a response's head and in-memory body
 * with one sendmsg (MSG_MORE when a file follows), then the file with
 * sendfile (over TLS: one record, then 16 KiB reads; conn_tls.c).  Invariant:
 * x->head_sent / x->mem_sent / resp->file_off say exactly what reached the
 * socket, so a short write resumes where it stopped.  Never blocks.
 */
#include <errno.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "conn.h"
#include "log.h"

/* bytes of file a connection may send per loop turn: others get theirs */
#define FILE_TURN_BYTES (1u << 20)

static enum io_result write_head_mem(struct conn *c, bool more)
{
	struct xfer *x = c->x;
	struct response *resp = &x->resp;

	while (x->head_sent < resp->head_len ||
	       (resp->body_kind == BODY_MEM && x->mem_sent < resp->mem_len)) {
		struct iovec iov[2];
		int iovcnt = 0;
		ssize_t n;

		if (x->head_sent < resp->head_len) {
			iov[iovcnt].iov_base = resp->head + x->head_sent;
			iov[iovcnt++].iov_len = resp->head_len - x->head_sent;
		}
		if (resp->body_kind == BODY_MEM &&
		    x->mem_sent < resp->mem_len) {
			iov[iovcnt].iov_base = resp->mem + x->mem_sent;
			iov[iovcnt++].iov_len = resp->mem_len - x->mem_sent;
		}
		n = conn_sendv(c, iov, (int)iovcnt, more);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? IO_AGAIN : IO_ERROR;
		}
		conn_progress(c, (size_t)n, conn_timeouts(c)->send);
		stats_add(&c->w->stats->ctr[STAT_BYTES_SENT], (uint64_t)n);
		size_t head_part = resp->head_len - x->head_sent;
		if ((size_t)n <= head_part) {
			x->head_sent += (size_t)n;
		} else {
			x->head_sent = resp->head_len;
			x->mem_sent += (size_t)n - head_part;
			x->body_bytes += (size_t)n - head_part;
		}
	}
	return IO_OK;
}

/* n bytes of the file body reached the socket. */
static void file_sent(struct conn *c, size_t n)
{
	struct response *resp = &c->x->resp;

	resp->file_off += (off_t)n;
	resp->file_len -= (off_t)n;
	c->x->body_bytes += n;
	stats_add(&c->w->stats->ctr[STAT_BYTES_SENT], n);
	conn_progress(c, n, conn_timeouts(c)->send);
}

/*
 * The file body goes out by sendfile.  pread + send through a buffer was
 * tried: faster on one kernel's loopback, but on 6.18 it costs 3x the
 * server CPU per 10 MiB response and cuts throughput by a third (bench
 * kit, scenarios c and d).
 */
static enum io_result write_file(struct conn *c)
{
	struct response *resp = &c->x->resp;
	size_t turn = 0;

	while (resp->file_len > 0) {
		if (turn >= FILE_TURN_BYTES)
			return IO_AGAIN; /* EPOLLOUT brings us back */
		size_t want = resp->file_len > FILE_TURN_BYTES
				  ? FILE_TURN_BYTES
				  : (size_t)resp->file_len;
		off_t off = resp->file_off; /* file_sent moves it on */
		ssize_t n = conn_send_file(c, resp->fd, off, want);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? IO_AGAIN : IO_ERROR;
		}
		if (n == 0) {
			/* the file shrank under us: the length we promised
			 * can't be kept, so the connection must end */
			log_warn("%s: file truncated while sending", __func__);
			return IO_ERROR;
		}
		file_sent(c, (size_t)n);
		turn += (size_t)n;
	}
	return IO_OK;
}

/* A body made as it goes (BODY_STREAM): each piece sent, then the next. */
static enum io_result write_stream(struct conn *c)
{
	struct body_stream *bs = c->x->resp.stream;
	size_t turn = 0;

	for (;;) {
		if (bs->piece_sent == bs->piece_len) {
			if (turn >= FILE_TURN_BYTES)
				return IO_AGAIN;
			ssize_t len = bs->next(bs, &bs->piece);
			if (len <= 0)
				return len == 0 ? IO_OK : IO_ERROR;
			bs->piece_len = (size_t)len;
			bs->piece_sent = 0;
		}
		ssize_t n = send(c->fd, bs->piece + bs->piece_sent,
				 bs->piece_len - bs->piece_sent, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? IO_AGAIN : IO_ERROR;
		}
		bs->piece_sent += (size_t)n;
		c->x->body_bytes += (size_t)n;
		stats_add(&c->w->stats->ctr[STAT_BYTES_SENT], (uint64_t)n);
		conn_progress(c, (size_t)n, conn_timeouts(c)->send);
		turn += (size_t)n;
	}
}

enum io_result conn_step_write(struct conn *c)
{
	struct response *resp = &c->x->resp;
	bool file = resp->body_kind == BODY_FILE && resp->file_len > 0;
	bool stream = resp->body_kind == BODY_STREAM && resp->stream;
	enum io_result rc = write_head_mem(c, file || stream);

	if (rc == IO_OK && file)
		rc = write_file(c);
	if (rc == IO_OK && stream)
		rc = write_stream(c);
	if (rc == IO_AGAIN) {
		conn_set_events(c, EPOLLOUT);
		return IO_AGAIN;
	}
	if (rc == IO_ERROR)
		return IO_ERROR;
	return conn_response_done(c);
}
