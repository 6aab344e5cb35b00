/*
 * conn.c - the connection state machine (DESIGN.md §6):
 *   READ_HEAD -> READ_BODY -> WRITE -> READ_HEAD (keep-alive) | LINGER
 * One function per state (READ_BODY in conn_body.c, WRITE in
 * conn_write.c); each returns IO_OK (state changed: run the next
 * step now), IO_AGAIN (wait for epoll) or IO_ERROR (close).
 *
 * Invariants: an idle connection holds no buffer (c->x == NULL); request
 * slices point into x->buf, which never moves while the request lives;
 * buf[pos..len) are bytes not yet consumed (pipelined requests included);
 * a connection is freed only at the end of a loop turn.  Never blocks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "h2.h"
#include "listen.h"
#include "log.h"
#include "upload.h"

#define BODY_ROOM (16 * 1024) /* read room for body bytes past the head */
/* an unwanted body up to this size is read and dropped, not closed on */
#define DISCARD_MAX	    (64 * 1024)
#define LINGER_MS	    2000
#define DRAIN_IDLE_GRACE_MS 1000
#define MIN_PROGRESS	    1024 /* bytes per timeout period, else cut */
#define XFER_POOL_MAX	    64	 /* per worker: ~30 KiB each */

/* Move c to another connection gauge (STAT_WAITING, _READING, _WRITING). */
static void conn_set_phase(struct conn *c, enum stats_gauge phase)
{
	if (c->phase == phase)
		return;
	stats_sub(&c->w->stats->gauge[c->phase], 1);
	stats_add(&c->w->stats->gauge[phase], 1);
	c->phase = (uint8_t)phase;
}

void conn_set_events(struct conn *c, uint32_t events)
{
	struct epoll_event ev = {.data.ptr = c};

	if (c->tls_flip)
		events |= EPOLLOUT; /* OpenSSL must write before it reads */
	ev.events = events;
	if (c->events == events)
		return;
	if (!c->in_epoll) {
		c->events = events; /* conn_new registers it */
		return;
	}
	if (epoll_ctl(c->w->epfd, EPOLL_CTL_MOD, c->fd, &ev) == -1)
		log_warn("%s: epoll_ctl: %s", __func__, strerror(errno));
	c->events = events;
}

void conn_arm(struct conn *c, uint64_t duration)
{
	c->progress = 0;
	if (timer_arm(&c->w->timers, &c->timer, duration, c->w->now) == -1)
		log_error("%s: too many distinct timeouts", __func__);
}

/* Count bytes moved; a phase deadline moves on only after real progress,
 * so a client trickling a byte at a time is still cut (slowloris). */
void conn_progress(struct conn *c, size_t n, uint64_t duration)
{
	c->progress += n;
	if (c->progress >= MIN_PROGRESS)
		conn_arm(c, duration);
}

const struct timeouts *conn_timeouts(const struct conn *c)
{
	if (c->x && c->x->route.loc)
		return &c->x->route.loc->timeouts;
	return &c->w->cfg->timeouts;
}

/*
 * A new connection is served at once, before epoll hears of it: with
 * deferred accept its first bytes are already there, so a one-request
 * connection (Connection: close) costs accept, recv, send, close and
 * never an epoll_ctl.  It joins the epoll set only if it outlives that
 * first pass.  One that arrives with nothing to read has been silent for
 * LISTEN_DEFER_MS already: its header deadline is shortened by as much,
 * so it is cut header_timeout after its handshake, as without deferral.
 */
struct conn *conn_new(struct worker *w, int fd, size_t listen_idx,
		      const struct sockaddr *peer, socklen_t peer_len)
{
	struct epoll_event ev;
	struct conn *c;

	if ((size_t)fd >= w->conn_cap || (c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("%s: cannot take connection (fd %d)", __func__, fd);
		close(fd);
		return NULL;
	}
	c->kind = EV_CONN;
	c->phase = STAT_WAITING;
	stats_add(&w->stats->ctr[STAT_HANDLED], 1);
	stats_add(&w->stats->gauge[STAT_WAITING], 1);
	c->fd = fd;
	c->w = w;
	c->listen_idx = (uint32_t)listen_idx;
	c->state = CONN_READ_HEAD;
	c->events = EPOLLIN;
	if (peer_len > sizeof(c->peer))
		peer_len = sizeof(c->peer);
	memcpy(&c->peer, peer, peer_len);
	memcpy(&c->hop, peer, peer_len);
	w->conns[fd] = c;
	w->conn_count++;
	/* the first request must arrive within header_timeout */
	conn_arm(c, w->cfg->timeouts.header);
	if (w->cfg->listens[listen_idx].proxy_protocol)
		conn_proxy_start(c);
	else if (w->cfg->listens[listen_idx].tls && conn_tls_start(c) == -1) {
		log_warn("%s: cannot start TLS (fd %d)", __func__, fd);
		conn_close(c);
		return NULL;
	}
	if (w->draining)
		conn_drain(c);
	conn_run(c);
	if (c->state == CONN_READ_HEAD && !c->heard && !w->draining) {
		uint64_t header = w->cfg->timeouts.header;
		if (header > LISTEN_DEFER_MS)
			conn_arm(c, header - LISTEN_DEFER_MS);
		else
			conn_close(c);
	}
	if (c->state == CONN_CLOSED)
		return NULL;
	ev = (struct epoll_event){.events = c->events, .data.ptr = c};
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		log_warn("%s: epoll_ctl: %s", __func__, strerror(errno));
		conn_close(c);
		return NULL;
	}
	c->in_epoll = true;
	return c;
}

static void xfer_free(struct conn *c)
{
	if (c->x == NULL)
		return;
	if (c->x->upload)
		upload_abort(c->x->upload);
	if (c->x->cgi)
		cgi_detach(c);
	response_reset(&c->x->resp);
	free(c->x->redirect);
	c->x->redirect = NULL;
	if (c->w->xfer_pooled < XFER_POOL_MAX) {
		c->x->next_free = c->w->xfer_pool;
		c->w->xfer_pool = c->x;
		c->w->xfer_pooled++;
	} else {
		free(c->x);
	}
	c->x = NULL;
}

void conn_free_pool(struct worker *w)
{
	while (w->xfer_pool) {
		struct xfer *x = w->xfer_pool;
		w->xfer_pool = x->next_free;
		free(x);
	}
	w->xfer_pooled = 0;
}

/*
 * A request ends before its response did (client gone, a timeout, a fast
 * stop): it is logged all the same, as nginx does, with the status it was
 * getting and the body bytes that left; 499 (nginx's "client closed
 * request") when no response had begun.
 */
static void log_cut_request(struct conn *c)
{
	struct xfer *x = c->x;

	if (x->resp.status == 0)
		x->resp.status = 499;
	log_info("request \"%.*s %.*s\" ended early: %d, %llu body bytes "
		 "sent",
		 (int)x->req.method_name.len, x->req.method_name.ptr,
		 (int)x->req.target.len, x->req.target.ptr, x->resp.status,
		 (unsigned long long)x->body_bytes);
	access_log_write(c, true);
	x->logged = true;
}

void conn_close(struct conn *c)
{
	struct worker *w = c->w;

	if (c->state == CONN_CLOSED)
		return;
	timer_disarm(&c->timer);
	if (c->x && c->x->parsed && !c->x->logged)
		log_cut_request(c);
	xfer_free(c);
	/* close() alone leaves the epoll set: no other process holds the
	 * socket (cgi_spawn returns only once the child has exec'd, and
	 * exec closed it there: every fd is CLOEXEC) */
	h2_free(c);
	conn_tls_free(c);
	conn_proxy_free(c);
	close(c->fd);
	w->conns[c->fd] = NULL;
	w->conn_count--;
	stats_sub(&w->stats->gauge[c->phase], 1);
	c->state = CONN_CLOSED;
	c->next_dead = w->dead;
	w->dead = c;
}

void conn_free_dead(struct worker *w)
{
	while (w->dead) {
		struct conn *c = w->dead;
		w->dead = c->next_dead;
		free(c);
	}
}

/* Fresh per-request state; the bytes in buf[pos..len) are kept. */
static void xfer_start(struct xfer *x)
{
	/* x->req is initialised by the parser; x->parsed says if it was */
	x->route.server = NULL;
	x->route.loc = NULL;
	x->route.path_len = 0;
	response_init(&x->resp);
	x->sink = SINK_NONE;
	x->chunked = false;
	x->body_left = 0;
	x->body_limit = 0;
	x->upload = NULL;
	x->cgi = NULL;
	free(x->redirect);
	x->redirect = NULL;
	x->redirects = 0;
	x->body_unread = false;
	x->parsed = false;
	x->logged = false;
	x->head_only = false;
	x->keep_alive = false;
	x->head_sent = 0;
	x->mem_sent = 0;
	x->body_bytes = 0;
	x->head_len = 0;
	x->request_id[0] = '\0';
}

static struct xfer *xfer_get(struct conn *c)
{
	size_t cap = c->w->cfg->header_buffer + BODY_ROOM;
	struct xfer *x = c->x;

	if (x)
		return x;
	if (c->w->xfer_pool) {
		/* one config per worker: every pooled buffer has this cap */
		x = c->w->xfer_pool;
		c->w->xfer_pool = x->next_free;
		c->w->xfer_pooled--;
	} else if ((x = malloc(sizeof(*x) + cap)) == NULL) {
		return NULL;
	}
	x->cap = cap;
	x->len = 0;
	x->pos = 0;
	x->redirect = NULL;
	xfer_start(x);
	x->started = c->w->now;
	c->x = x;
	return x;
}

static bool is_idle(const struct conn *c)
{
	return c->state == CONN_READ_HEAD && (c->x == NULL || c->x->len == 0);
}

static struct http_ctx ctx_of(const struct conn *c)
{
	return (struct http_ctx){.cfg = c->w->cfg,
				 .listen_idx = c->listen_idx,
				 .peer = &c->peer.sa,
				 .files = c->w->files,
				 .stats = c->w->stats_all,
				 .tls = c->ssl != NULL};
}

/* Finish the head: Connection, blank line; HEAD drops the body. 0 / -1. */
int conn_finish_head(struct conn *c)
{
	struct xfer *x = c->x;
	struct response *resp = &x->resp;

	/* keepalive_timeout = 0 turns keep-alive off (nginx): say so */
	x->keep_alive = x->parsed && x->req.keep_alive && !resp->close &&
			conn_timeouts(c)->keepalive > 0 && !c->w->draining &&
			!c->w->stopping;
	response_add_fields(resp, c->w->cfg, c->listen_idx, x->route.loc);
	if (x->request_id[0] != '\0')
		response_header(resp, "X-Request-Id", "%s", x->request_id);
	if (!x->keep_alive)
		response_header(resp, "Connection", "close");
	else if (x->req.minor == 0)
		response_header(resp, "Connection", "keep-alive");
	if (resp->head_overflow || resp->head_len + 2 > sizeof(resp->head)) {
		log_error("%s: response head too large", __func__);
		return -1;
	}
	memcpy(resp->head + resp->head_len, "\r\n", 2);
	resp->head_len += 2;
	if (x->head_only && resp->body_kind != BODY_NONE)
		response_body_release(resp); /* RFC 9110 §9.3.2 */
	return 0;
}

/* Finish the head and start writing. */
enum io_result conn_begin_write(struct conn *c)
{
	if (conn_finish_head(c) == -1)
		return IO_ERROR;
	c->state = CONN_WRITE;
	conn_arm(c, conn_timeouts(c)->send);
	return IO_OK;
}

/*
 * Answer with an error page.  must_close: the request body (or what is
 * left of it) will not be read, so the connection closes after a
 * lingering read - the client sees the answer, not a reset.
 */
enum io_result conn_respond_error(struct conn *c, int status, bool must_close)
{
	struct xfer *x = c->x;
	struct http_ctx ctx = ctx_of(c);

	if (x->upload) {
		upload_abort(x->upload);
		x->upload = NULL;
	}
	x->sink = SINK_NONE;
	response_reset(&x->resp);
	http_error(&ctx, x->route.loc ? &x->route : NULL, status, x->head_only,
		   &x->resp);
	if (must_close)
		x->resp.close = true;
	return conn_begin_write(c);
}

/* A complete head is in buf[0..head_len): decide what it gets. */
enum io_result conn_start_request(struct conn *c)
{
	struct xfer *x = c->x;
	struct http_request *req = &x->req;
	struct http_ctx ctx = ctx_of(c);
	bool has_body =
	    req->chunked || (req->has_length && req->content_length > 0);
	enum http_next next;
	int status;

	x->parsed = true;
	conn_real_ip(c);
	x->head_only = req->method == HTTP_HEAD;
	/* the body's framing: what is left of it stays "unread" until a
	 * sink consumes it (see conn_response_done) */
	x->chunked = req->chunked;
	x->body_left = req->has_length ? req->content_length : 0;
	chunked_init(&x->dec);
	if (c->tls_plain)
		return conn_tls_plain_reply(c);
	next = http_handle(&ctx, req, &x->route, &x->resp);
	if (conn_tls_misdirected(c, x->route.server))
		return conn_respond_error(c, 421, has_body);
	switch (next) {
	case NEXT_RESPOND:
		if (!has_body)
			return conn_begin_write(c);
		if (x->resp.status >= 300 || req->chunked ||
		    req->content_length > DISCARD_MAX) {
			x->resp.close = true;
			return conn_begin_write(c);
		}
		return conn_start_body(c, SINK_DISCARD, DISCARD_MAX);
	case NEXT_UPLOAD:
		x->upload = upload_begin(x->route.loc, req, x->route.path,
					 x->route.path_len, &status);
		if (x->upload == NULL)
			return conn_respond_error(c, status, has_body);
		if (!has_body) {
			x->sink = SINK_UPLOAD;
			return conn_finish_body(c);
		}
		return conn_start_body(c, SINK_UPLOAD,
				       x->route.loc->client_max_body_size);
	case NEXT_CGI:
		return cgi_start(c);
	}
	return conn_respond_error(c, 500, has_body);
}

/* A request head is complete or refused: one more request, and the
 * connection is busy with it until its response is out. */
static void count_request(struct conn *c)
{
	struct xfer *x = c->x;

	/* head_len is set only once a head has parsed */
	request_id_assign(x->request_id, x->head_len ? &x->req : NULL);
	log_set_request_id(x->request_id);
	stats_add(&c->w->stats->ctr[STAT_REQUESTS], 1);
	conn_set_phase(c, STAT_WRITING);
}

static enum io_result step_read_head(struct conn *c)
{
	size_t limit = c->w->cfg->header_buffer;
	struct xfer *x = xfer_get(c);
	int status = 400;
	ssize_t n;

	if (x == NULL)
		return IO_ERROR;
	for (;;) {
		/* an h2 address: the client preface starts HTTP/2 */
		if (x->len > 0 && !c->h2_off &&
		    c->w->cfg->listens[c->listen_idx].h2) {
			int h2 = h2_sniff(x->buf, x->len);
			if (h2 > 0) {
				enum io_result rc = h2_start(c, x->buf, x->len);
				xfer_free(c);
				return rc;
			}
			c->h2_off = h2 == 0;
		}
		if (x->len > 0 &&
		    (c->h2_off || !c->w->cfg->listens[c->listen_idx].h2)) {
			int rc = http_parse_head(x->buf, x->len, limit, &x->req,
						 &status);
			if (rc > 0) {
				x->head_len = x->pos = (size_t)rc;
				count_request(c);
				return conn_start_request(c);
			}
			if (rc == HTTP_ERROR || x->len >= limit) {
				count_request(c);
				return conn_respond_error(
				    c, rc == HTTP_ERROR ? status : 431, true);
			}
		}
		n = conn_recv(c, x->buf + x->len, limit - x->len);
		if (n > 0) {
			if (x->len == 0) /* a request starts */
				conn_arm(c, c->w->cfg->timeouts.header);
			c->heard = true;
			x->len += (size_t)n;
			continue;
		}
		if (n == 0)
			return IO_ERROR; /* client closed */
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return IO_ERROR;
		/* a partial head is "reading"; one that arrives whole never
		 * is (the keep-alive fast path moves a gauge once each way) */
		conn_set_phase(c, x->len ? STAT_READING : STAT_WAITING);
		if (x->len == 0)
			xfer_free(c); /* idle: hold no buffer */
		conn_set_events(c, EPOLLIN);
		return IO_AGAIN;
	}
}

static enum io_result begin_linger(struct conn *c)
{
	conn_tls_shutdown(c);
	shutdown(c->fd, SHUT_WR);
	xfer_free(c);
	c->state = CONN_LINGER;
	conn_arm(c, LINGER_MS);
	conn_set_events(c, EPOLLIN);
	return IO_OK;
}

static enum io_result step_linger(struct conn *c)
{
	char sink[4096];

	for (;;) {
		ssize_t n = recv(c->fd, sink, sizeof(sink), 0);
		if (n > 0)
			continue;
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return IO_AGAIN;
		return IO_ERROR; /* EOF: done */
	}
}

/* The response is out: log it, then the next request or linger. */
enum io_result conn_response_done(struct conn *c)
{
	struct xfer *x = c->x;
	unsigned status_class = (unsigned)x->resp.status / 100;
	/* the location's, read while the request still names it */
	uint64_t idle_ms = conn_timeouts(c)->keepalive;
	size_t left;

	if (status_class >= 1 && status_class <= 5)
		stats_add(&c->w->stats->ctr[STAT_RESP_1XX + status_class - 1],
			  1);
	if (x->resp.compressed) {
		stats_add(&c->w->stats->ctr[STAT_COMPRESSED], 1);
		stats_add(&c->w->stats->ctr[STAT_COMPRESSED_BYTES],
			  x->body_bytes);
	}
	access_log_write(c, x->parsed);
	x->logged = true;
	/* Linger only when request bytes may still be unread (a refused
	 * body, pipelined data): closing on them would reset the
	 * connection and could destroy the response before the client
	 * reads it.  A cleanly consumed request is simply closed. */
	bool unread = x->resp.close || x->body_unread || x->pos < x->len ||
		      (x->chunked ? !x->dec.done : x->body_left > 0);
	response_reset(&x->resp);
	if (!x->keep_alive && unread)
		return begin_linger(c);
	if (!x->keep_alive)
		return IO_ERROR; /* done: conn_run closes it */
	/* pipelined bytes move to the front; the head is no longer needed */
	left = x->len - x->pos;
	memmove(x->buf, x->buf + x->pos, left);
	x->len = left;
	x->pos = 0;
	xfer_start(x);
	x->started = c->w->now;
	conn_peer_from_hop(c);
	c->state = CONN_READ_HEAD;
	conn_set_events(c, EPOLLIN);
	if (left > 0 || conn_tls_pending(c)) {
		conn_arm(c, c->w->cfg->timeouts.header);
		return IO_OK;
	}
	xfer_free(c);
	conn_set_phase(c, STAT_WAITING);
	if (c->w->draining)
		conn_arm(c, DRAIN_IDLE_GRACE_MS);
	else
		conn_arm(c, idle_ms);
	return IO_AGAIN;
}

void conn_run(struct conn *c)
{
	enum io_result rc;

	log_set_request_id(c->x ? c->x->request_id : NULL);

	do {
		switch (c->state) {
		case CONN_READ_HEAD:
			rc = step_read_head(c);
			break;
		case CONN_READ_BODY:
			rc = conn_step_read_body(c);
			break;
		case CONN_WRITE:
			rc = conn_step_write(c);
			break;
		case CONN_CGI:
			rc = cgi_step(c);
			break;
		case CONN_LINGER:
			rc = step_linger(c);
			break;
		case CONN_TLS_HANDSHAKE:
			rc = conn_tls_step_handshake(c);
			break;
		case CONN_PROXY:
			rc = conn_proxy_step(c);
			break;
		case CONN_H2:
			rc = h2_step(c);
			break;
		default:
			return;
		}
	} while (rc == IO_OK);
	if (rc == IO_ERROR)
		conn_close(c);
}

void conn_on_event(struct conn *c, uint32_t events)
{
	if (c->state == CONN_CLOSED)
		return;
	/* While a script runs and nothing is read from the client, a hang-up
	 * is the only news: the script must not outlive its client. */
	if (c->state == CONN_CGI &&
	    (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) &&
	    !(events & EPOLLIN)) {
		conn_close(c);
		return;
	}
	/* other errors surface in the state's own syscalls */
	conn_run(c);
}

void conn_on_timeout(struct conn *c)
{
	log_set_request_id(c->x ? c->x->request_id : NULL);
	switch (c->state) {
	case CONN_READ_HEAD:
		if (is_idle(c)) {
			conn_close(c);
			return;
		}
		/* a request started but did not complete */
		count_request(c);
		__attribute__((fallthrough));
	case CONN_READ_BODY:
		/* RFC 9110 §15.5.9: tell the client before closing */
		if (conn_respond_error(c, 408, true) == IO_OK)
			conn_run(c);
		else
			conn_close(c);
		return;
	case CONN_CGI:
		cgi_conn_timeout(c);
		return;
	case CONN_H2:
		h2_on_timeout(c);
		return;
	default:
		conn_close(c); /* send_timeout, linger over */
	}
}

void conn_drain(struct conn *c)
{
	if (c->state == CONN_H2) {
		h2_drain(c);
		conn_run(c);
		return;
	}
	/* An idle connection gets a short grace: a request already on its
	 * way is still answered (with Connection: close) instead of reset. */
	if (is_idle(c))
		conn_arm(c, DRAIN_IDLE_GRACE_MS);
}
