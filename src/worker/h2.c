/*
 * h2.c - HTTP/2 connections (DESIGN.md §9): nghttp2 does framing, HPACK,
 * flow control and the protocol checks (pseudo-headers, connection-specific
 * fields, content-length against DATA); this file maps streams onto the
 * request handling HTTP/1.1 uses.
 *
 * A stream's header block is written out as an HTTP/1.1 head ("GET /p
 * HTTP/1.1", Host from :authority, the fields) into its own struct xfer
 * and parsed by http_parse_head, so every rule and limit of the parser
 * (header_buffer: 431) holds per stream; http_handle() answers it into a
 * struct response, whose field lines (after the status line, without the
 * connection-specific ones) become the HEADERS frame and whose body is
 * read in frame-sized pieces by a data provider (bounded memory).
 * A stream's script (its body in, its output out) is h2_cgi.c; what the
 * two share is h2_int.h.
 */
#include "h2.h"

#include <errno.h>
#include <stddef.h>
#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cgi_int.h"
#include "handler.h"
#include "http.h"
#include "log.h"
#include "request_id.h"
#include "response.h"
#include "upload.h"

#include "h2_int.h"

int h2_sniff(const char *buf, size_t len)
{
	size_t n = len < H2_PREFACE_LEN ? len : H2_PREFACE_LEN;

	if (memcmp(buf, H2_PREFACE, n) != 0)
		return 0;
	return len >= H2_PREFACE_LEN ? 1 : -1;
}

/* ---- streams ------------------------------------------------------------ */

static struct h2_stream *stream_new(struct conn *c, int32_t id)
{
	size_t cap = c->w->cfg->header_buffer;
	struct h2_stream *s = malloc(sizeof(*s));
	struct xfer *x;

	if (s == NULL)
		return NULL;
	/* the pseudo-header buffers are written before they are read:
	 * zero only what precedes them (a stream is made per request) */
	memset(s, 0, offsetof(struct h2_stream, method));
	s->method[0] = '\0';
	x = s->x = malloc(sizeof(*x) + cap);
	if (x == NULL) {
		free(s);
		return NULL;
	}
	/* likewise the route's paths: http_handle fills the route, and
	 * until then only server and loc are read */
	memset(x, 0, offsetof(struct xfer, route));
	x->route.server = NULL;
	x->route.loc = NULL;
	x->route.path[0] = '\0';
	x->route.path_len = 0;
	x->route.script_len = 0;
	x->route.cgi = NULL;
	memset(&x->sink, 0,
	       offsetof(struct xfer, buf) - offsetof(struct xfer, sink));
	x->cap = cap;
	x->started = c->w->now;
	response_init(&x->resp);
	s->id = id;
	s->c = c;
	s->timer.owner = TIMER_H2_STREAM;
	return s;
}

static void stream_free(struct h2_stream *s)
{
	if (s->x->upload != NULL) /* reset or cut before its end */
		upload_abort(s->x->upload);
	timer_disarm(&s->timer);
	if (s->spooling)
		close(s->spool_fd);
	if (s->x->cgi != NULL) /* reset or cut: the script goes */
		cgi_job_detach(s->x->cgi, true);
	free(s->x->redirect);
	response_reset(&s->x->resp);
	free(s->x);
	free(s);
}

/* Append to the stream's head text; false (too_big) when it does not fit
 * (two bytes are kept for the blank line). */
static bool head_put(struct h2_stream *s, const char *p, size_t n)
{
	struct xfer *x = s->x;

	if (s->too_big || x->len + n + 2 > x->cap) {
		s->too_big = true;
		return false;
	}
	memcpy(x->buf + x->len, p, n);
	x->len += n;
	return true;
}

static void head_line(struct h2_stream *s)
{
	if (s->line_done)
		return;
	s->line_done = true;
	head_put(s, s->method, strlen(s->method));
	head_put(s, " ", 1);
	head_put(s, s->path, s->path_len);
	head_put(s, " HTTP/1.1\r\n", 11);
	if (s->authority_len > 0) {
		head_put(s, "Host: ", 6);
		head_put(s, s->authority, s->authority_len);
		head_put(s, "\r\n", 2);
	}
}

static bool is_conn_field(const char *name, size_t len)
{
	static const char *const names[] = {"connection", "keep-alive",
					    "transfer-encoding", "upgrade",
					    "proxy-connection"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len &&
		    strncasecmp(name, names[i], len) == 0)
			return true;
	return false;
}

/* ---- responses ---------------------------------------------------------- */

/* A body made as it goes (a file compressed on the fly, raw pieces:
 * the DATA frames are its framing). */
static ssize_t stream_read(struct h2_stream *s, uint8_t *buf, size_t len,
			   uint32_t *flags)
{
	struct body_stream *bs = s->x->resp.stream;
	size_t n = 0;

	while (n < len) {
		if (bs->piece_sent == bs->piece_len) {
			ssize_t got = bs->next(bs, &bs->piece);
			if (got < 0) {
				log_error("h2: a compressed body failed");
				return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
			}
			if (got == 0) {
				*flags |= NGHTTP2_DATA_FLAG_EOF;
				break;
			}
			bs->piece_len = (size_t)got;
			bs->piece_sent = 0;
		}
		size_t k = bs->piece_len - bs->piece_sent;
		if (k > len - n)
			k = len - n;
		memcpy(buf + n, bs->piece + bs->piece_sent, k);
		bs->piece_sent += k;
		n += k;
	}
	s->sent += n;
	s->x->body_bytes += n;
	return (ssize_t)n;
}

static ssize_t body_read(nghttp2_session *ng, int32_t id, uint8_t *buf,
			 size_t len, uint32_t *flags, nghttp2_data_source *src,
			 void *user)
{
	struct h2_stream *s = src->ptr;
	struct response *resp = &s->x->resp;
	size_t n = 0;

	(void)ng;
	(void)id;
	(void)user;
	if (resp->body_kind == BODY_MEM) {
		n = resp->mem_len - s->sent;
		if (n > len)
			n = len;
		memcpy(buf, resp->mem + s->sent, n);
	} else if (resp->body_kind == BODY_STREAM) {
		return stream_read(s, buf, len, flags);
	} else if (resp->body_kind == BODY_FILE) {
		uint64_t left = (uint64_t)resp->file_len - s->sent;
		ssize_t got;
		n = left < len ? (size_t)left : len;
		do
			got = pread(resp->fd, buf, n,
				    resp->file_off + (off_t)s->sent);
		while (got == -1 && errno == EINTR);
		if (got <= 0 && n > 0) {
			log_error("h2: read of a file body failed");
			return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
		}
		n = (size_t)got;
	}
	s->sent += n;
	s->x->body_bytes += n;
	if ((resp->body_kind == BODY_MEM && s->sent >= resp->mem_len) ||
	    (resp->body_kind == BODY_FILE &&
	     s->sent >= (uint64_t)resp->file_len))
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

#define NV_MAX 64

/* A value new in every response (the request id) is never put in the
 * HPACK table: it would only push out the fields that repeat, and each
 * insertion lengthens the encoder's search of the table. */
static uint8_t field_flags(const char *name, size_t len)
{
	return len == 12 && memcmp(name, "x-request-id", 12) == 0
		   ? NGHTTP2_NV_FLAG_NO_INDEX
		   : NGHTTP2_NV_FLAG_NONE;
}

/* HEADERS (+ DATA) for s->x->resp: the field lines after the status line,
 * names lower-cased, connection-specific ones dropped. */
int h2_submit(struct conn *c, struct h2_stream *s)
{
	struct xfer *x = s->x;
	struct response *resp = &x->resp;
	nghttp2_nv nv[NV_MAX];
	char names[RESPONSE_HEAD_MAX];
	char status[8];
	size_t n = 0, used = 0;
	const char *p, *end;
	nghttp2_data_provider prov = {.source.ptr = s,
				      .read_callback = body_read};

	response_add_fields(resp, c->w->cfg, c->listen_idx, x->route.loc);
	if (x->request_id[0] != '\0')
		response_header(resp, "X-Request-Id", "%s", x->request_id);
	if (resp->head_overflow) {
		log_error("%s: response head too large", __func__);
		return -1;
	}
	if (x->head_only || !response_status_has_body(resp->status))
		response_body_release(resp);
	status[0] = (char)('0' + (unsigned)resp->status / 100 % 10);
	status[1] = (char)('0' + (unsigned)resp->status / 10 % 10);
	status[2] = (char)('0' + (unsigned)resp->status % 10);
	status[3] = '\0';
	nv[n++] = (nghttp2_nv){(uint8_t *)":status", (uint8_t *)status, 7, 3,
			       NGHTTP2_NV_FLAG_NONE};
	p = memchr(resp->head, '\n', resp->head_len);
	end = resp->head + resp->head_len;
	for (p = p ? p + 1 : end; p < end && n < NV_MAX;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *colon = memchr(p, ':', (size_t)(end - p));
		const char *v;
		size_t nlen, vlen;
		if (eol == NULL)
			eol = end;
		if (colon == NULL || colon > eol)
			break;
		nlen = (size_t)(colon - p);
		v = colon + 1;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		vlen = (size_t)(eol - v);
		if (vlen > 0 && v[vlen - 1] == '\r')
			vlen--;
		if (!is_conn_field(p, nlen) && used + nlen <= sizeof(names)) {
			for (size_t i = 0; i < nlen; i++) {
				char ch = p[i];
				names[used + i] =
				    ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
			}
			nv[n++] = (nghttp2_nv){(uint8_t *)names + used,
					       (uint8_t *)v, nlen, vlen,
					       field_flags(names + used, nlen)};
			used += nlen;
		}
		p = eol + 1;
	}
	s->answered = true;
	if (x->cgi != NULL) /* even without a body: the end waits for the
			     * script's status */
		prov.read_callback = h2_cgi_body_read;
	return nghttp2_submit_response(
	    c->h2->ng, s->id, nv, n,
	    resp->body_kind == BODY_NONE && x->cgi == NULL ? NULL : &prov);
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

/* c->peer becomes this stream's client (real_ip_from looks at its
 * X-Forwarded-For): streams share the connection, so it is set again
 * for each use. */
static void stream_peer(struct conn *c, struct xfer *x)
{
	struct xfer *keep = c->x;

	c->x = x;
	conn_real_ip(c);
	c->x = keep;
}

/* The upload's body is complete: store it, answer. */
static int upload_end(struct conn *c, struct h2_stream *s)
{
	struct xfer *x = s->x;
	struct upload *up = x->upload;
	struct http_ctx ctx = ctx_of(c);
	int status;

	x->upload = NULL;
	if (upload_finish(up, &x->resp, x->head_only, &status) == -1) {
		response_reset(&x->resp);
		http_error(&ctx, &x->route, status, x->head_only, &x->resp);
	}
	return h2_submit(c, s);
}

/* The upload failed while its body came (413, 507...): drop it, answer;
 * nghttp2 discards the rest of the stream's DATA. */
static int upload_fail(struct conn *c, struct h2_stream *s, int status)
{
	struct xfer *x = s->x;
	struct http_ctx ctx = ctx_of(c);

	upload_abort(x->upload);
	x->upload = NULL;
	response_reset(&x->resp);
	http_error(&ctx, &x->route, status, x->head_only, &x->resp);
	return h2_submit(c, s);
}

/* ---- requests ----------------------------------------------------------- */

/* x->resp becomes the error response status. */
void h2_error(struct conn *c, struct h2_stream *s, int status)
{
	struct xfer *x = s->x;
	struct http_ctx ctx = ctx_of(c);

	response_reset(&x->resp);
	http_error(&ctx, &x->route, status, x->head_only, &x->resp);
	if (status == 503)
		response_header(&x->resp, "Retry-After", "5");
}

/* The header block is complete: parse the head, answer. */
static int stream_request(struct conn *c, struct h2_stream *s)
{
	struct xfer *x = s->x;
	struct http_ctx ctx = ctx_of(c);
	int status = 400, rc;

	head_line(s);
	/* a body without content-length: framed "chunked" for the parser,
	 * so http_handle sees a body of unknown length (held to
	 * client_max_body_size while it comes, as for HTTP/1.1) */
	if (s->body && !s->has_length)
		head_put(s, "Transfer-Encoding: chunked\r\n", 28);
	stats_add(&c->w->stats->ctr[STAT_REQUESTS], 1);
	stats_add(&c->w->stats->ctr[STAT_H2_STREAMS], 1);
	if (!s->too_big) {
		memcpy(x->buf + x->len, "\r\n", 2);
		x->len += 2;
	}
	rc = s->too_big
		 ? HTTP_ERROR
		 : http_parse_head(x->buf, x->len, x->cap, &x->req, &status);
	if (s->too_big)
		status = 431;
	if (rc <= 0) {
		request_id_assign(x->request_id, NULL);
		http_error(&ctx, NULL, rc == HTTP_ERROR ? status : 400, false,
			   &x->resp);
		return h2_submit(c, s);
	}
	x->parsed = true;
	stream_peer(c, x);
	x->head_len = (size_t)rc;
	x->head_only = x->req.method == HTTP_HEAD;
	request_id_assign(x->request_id, &x->req);
	log_set_request_id(x->request_id);
	return h2_answer(c, s);
}

/* Expect: 100-continue on a body that is going to be read: the interim
 * response, so the client sends it now (RFC 9110 §10.1.1) rather than
 * after a wait of its own. */
static void stream_continue(struct conn *c, struct h2_stream *s)
{
	nghttp2_nv nv = {(uint8_t *)":status", (uint8_t *)"100", 7, 3,
			 NGHTTP2_NV_FLAG_NONE};

	if (s->x->req.expect_continue && s->body && !s->body_ended)
		nghttp2_submit_headers(c->h2->ng, NGHTTP2_FLAG_NONE, s->id,
				       NULL, &nv, 1, NULL);
}

/* http_handle() answers the parsed request (again after a CGI local
 * redirect): a response, an upload, or a script. */
int h2_answer(struct conn *c, struct h2_stream *s)
{
	struct xfer *x = s->x;
	struct http_ctx ctx = ctx_of(c);
	int status = 500;
	enum http_next next;

	/* HTTP/2.0 for the handler (a body made as it goes is not
	 * chunked), CGI's SERVER_PROTOCOL and the access log */
	x->req.minor = 2;
	next = http_handle(&ctx, &x->req, &x->route, &x->resp);
	if (conn_tls_misdirected(c, x->route.server)) {
		response_reset(&x->resp);
		http_error(&ctx, &x->route, 421, x->head_only, &x->resp);
	} else if (next == NEXT_UPLOAD) {
		x->upload = upload_begin(x->route.loc, &x->req, x->route.path,
					 x->route.path_len, &status);
		if (x->upload == NULL) {
			http_error(&ctx, &x->route, status, x->head_only,
				   &x->resp);
		} else {
			x->body_limit = x->route.loc->client_max_body_size;
			stream_continue(c, s);
			if (s->body)
				return 0; /* answered at END_STREAM */
			return upload_end(c, s);
		}
	} else if (next == NEXT_CGI) {
		stream_continue(c, s);
		return h2_cgi(c, s);
	}
	return h2_submit(c, s);
}

/* ---- nghttp2 callbacks -------------------------------------------------- */

/* Frames that cost the client nothing and us a little: bounded per
 * second, then GOAWAY(ENHANCE_YOUR_CALM). */
static int cheap_frame(struct conn *c)
{
	struct h2_session *h = c->h2;

	if (c->w->now - h->cheap_since >= 1000) {
		h->cheap_since = c->w->now;
		h->cheap = 0;
	}
	if (++h->cheap <= H2_MAX_CHEAP_FRAMES)
		return 0;
	log_warn("h2: frame flood from a client, connection cut");
	nghttp2_session_terminate_session(h->ng, NGHTTP2_ENHANCE_YOUR_CALM);
	return 0;
}

static int on_begin_frame(nghttp2_session *ng, const nghttp2_frame_hd *hd,
			  void *user)
{
	struct conn *c = user;

	(void)ng;
	switch (hd->type) {
	case NGHTTP2_DATA:
		if (hd->length == 0 && !(hd->flags & NGHTTP2_FLAG_END_STREAM))
			return cheap_frame(c);
		break;
	case NGHTTP2_PRIORITY:
	case NGHTTP2_PING:
	case NGHTTP2_SETTINGS:
		return cheap_frame(c);
	default:
		break;
	}
	return 0;
}

static int on_begin_headers(nghttp2_session *ng, const nghttp2_frame *f,
			    void *user)
{
	struct conn *c = user;
	struct h2_stream *s;

	if (f->hd.type != NGHTTP2_HEADERS ||
	    f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	s = stream_new(c, f->hd.stream_id);
	if (s == NULL)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	s->next = c->h2->streams;
	c->h2->streams = s;
	c->h2->open++;
	nghttp2_session_set_stream_user_data(ng, f->hd.stream_id, s);
	return 0;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *f,
		     const uint8_t *name, size_t nlen, const uint8_t *value,
		     size_t vlen, uint8_t flags, void *user)
{
	struct h2_stream *s;

	(void)flags;
	(void)user;
	if (f->hd.type != NGHTTP2_HEADERS)
		return 0; /* trailers are not kept */
	s = nghttp2_session_get_stream_user_data(ng, f->hd.stream_id);
	if (s == NULL || s->too_big)
		return 0;
	if (nlen > 0 && name[0] == ':') {
		/* nghttp2 checked them (RFC 9113 §8.3): once each, first */
		if (nlen == 7 && memcmp(name, ":method", 7) == 0) {
			if (vlen >= sizeof(s->method)) {
				s->too_big = true;
			} else {
				memcpy(s->method, value, vlen);
				s->method[vlen] = '\0';
			}
		} else if (nlen == 5 && memcmp(name, ":path", 5) == 0) {
			if (vlen > sizeof(s->path))
				s->too_big = true;
			else
				memcpy(s->path, value, s->path_len = vlen);
		} else if (nlen == 10 && memcmp(name, ":authority", 10) == 0) {
			if (vlen > sizeof(s->authority))
				s->too_big = true;
			else
				memcpy(s->authority, value,
				       s->authority_len = vlen);
		}
		return 0;
	}
	head_line(s);
	if (nlen == 14 && memcmp(name, "content-length", 14) == 0)
		s->has_length = true;
	/* :authority wins over Host (RFC 9113 §8.3.1) */
	if (s->authority_len > 0 && nlen == 4 && memcmp(name, "host", 4) == 0)
		return 0;
	if (head_put(s, (const char *)name, nlen))
		if (head_put(s, ": ", 2))
			if (head_put(s, (const char *)value, vlen))
				head_put(s, "\r\n", 2);
	return 0;
}

static int on_end_stream(nghttp2_session *ng, const nghttp2_frame *f,
			 struct conn *c);

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *f,
			 void *user)
{
	struct conn *c = user;
	struct h2_stream *s;

	if (f->hd.type == NGHTTP2_HEADERS &&
	    f->headers.cat == NGHTTP2_HCAT_REQUEST &&
	    (f->hd.flags & NGHTTP2_FLAG_END_HEADERS)) {
		s = nghttp2_session_get_stream_user_data(ng, f->hd.stream_id);
		if (s != NULL)
			s->body = !(f->hd.flags & NGHTTP2_FLAG_END_STREAM);
		if (s != NULL && !s->answered && stream_request(c, s) != 0)
			nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE,
						  f->hd.stream_id,
						  NGHTTP2_INTERNAL_ERROR);
	}
	if ((f->hd.type == NGHTTP2_DATA || f->hd.type == NGHTTP2_HEADERS) &&
	    (f->hd.flags & NGHTTP2_FLAG_END_STREAM))
		return on_end_stream(ng, f, c);
	return 0;
}

/* The end of a request body (DATA, or trailers, with END_STREAM). */
static int on_end_stream(nghttp2_session *ng, const nghttp2_frame *f,
			 struct conn *c)
{
	struct h2_stream *s =
	    nghttp2_session_get_stream_user_data(ng, f->hd.stream_id);

	if (s == NULL)
		return 0;
	s->body_ended = true;
	if (s->feeding && s->x->cgi != NULL) {
		cgi_body_end(s->x->cgi); /* EOF once its stdin is empty */
		return 0;
	}
	if (s->spooling) {
		if (h2_spool_end(c, s) != 0)
			nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, s->id,
						  NGHTTP2_INTERNAL_ERROR);
		return 0;
	}
	if (s->answered || s->x->upload == NULL)
		return 0;
	if (upload_end(c, s) != 0)
		nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, s->id,
					  NGHTTP2_INTERNAL_ERROR);
	return 0;
}

static int on_data(nghttp2_session *ng, uint8_t flags, int32_t id,
		   const uint8_t *data, size_t len, void *user)
{
	struct conn *c = user;
	struct h2_stream *s = nghttp2_session_get_stream_user_data(ng, id);
	int status = 500;

	(void)flags;
	/* the connection's window moves at once; a stream's own window
	 * only as its script reads (stream_window) */
	nghttp2_session_consume_connection(ng, len);
	if (s != NULL && s->feeding && s->x->cgi != NULL) {
		size_t took = cgi_feed_job(s->x->cgi, (const char *)data, len);
		s->fed += took;
		if (took < len) { /* more than its window: cannot be */
			log_error("h2: a stream's body outgrew its window");
			nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, id,
						  NGHTTP2_FLOW_CONTROL_ERROR);
		}
		h2_window(c, s);
		return 0;
	}
	nghttp2_session_consume_stream(ng, id, len);
	if (s == NULL || s->answered || (s->x->upload == NULL && !s->spooling))
		return 0; /* not wanted: nghttp2 still counts it for
			   * content-length */
	s->body_got += len;
	bool over = s->x->body_limit > 0 && s->body_got > s->x->body_limit;
	if (over)
		status = 413;
	if (s->spooling)
		return h2_spool_data(c, s, data, len, over);
	if ((over || upload_write(s->x->upload, (const char *)data, len,
				  &status) != 0) &&
	    upload_fail(c, s, status) != 0)
		nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, id,
					  NGHTTP2_INTERNAL_ERROR);
	return 0;
}

static int on_stream_close(nghttp2_session *ng, int32_t id, uint32_t code,
			   void *user)
{
	struct conn *c = user;
	struct h2_session *h = c->h2;
	struct h2_stream **pp, *s;

	(void)ng;
	(void)code;
	for (pp = &h->streams; (s = *pp) != NULL; pp = &s->next)
		if (s->id == id)
			break;
	if (s == NULL)
		return 0;
	*pp = s->next;
	h->open--;
	if (s->answered) {
		unsigned cls = (unsigned)s->x->resp.status / 100;
		struct xfer *keep = c->x;
		if (cls >= 1 && cls <= 5)
			stats_add(&c->w->stats->ctr[STAT_RESP_1XX + cls - 1],
				  1);
		stream_peer(c, s->x);
		c->x = s->x;
		access_log_write(c, s->x->parsed);
		c->x = keep;
	}
	stream_free(s);
	return 0;
}

/* ---- the connection ----------------------------------------------------- */

static int session_new(struct conn *c)
{
	nghttp2_session_callbacks *cb;
	nghttp2_option *opt;
	struct h2_session *h = calloc(1, sizeof(*h));
	nghttp2_settings_entry iv[] = {
	    {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, H2_MAX_STREAMS},
	    {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
	     (uint32_t)c->w->cfg->header_buffer},
	};
	int rc;

	if (h == NULL)
		return -1;
	if (nghttp2_session_callbacks_new(&cb) != 0) {
		free(h);
		return -1;
	}
	if (nghttp2_option_new(&opt) != 0) {
		nghttp2_session_callbacks_del(cb);
		free(h);
		return -1;
	}
	nghttp2_session_callbacks_set_on_begin_frame_callback(cb,
							      on_begin_frame);
	nghttp2_session_callbacks_set_on_begin_headers_callback(
	    cb, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb,
							       on_stream_close);
	/* windows move as bodies are taken (on_data, stream_window) */
	nghttp2_option_set_no_auto_window_update(opt, 1);
	nghttp2_option_set_max_settings(opt, H2_MAX_SETTINGS);
	/* a closed stream is gone (kept, it would only serve RFC 7540's
	 * priority tree, at a cost per stream in memory and time) */
	nghttp2_option_set_no_closed_streams(opt, 1);
	nghttp2_option_set_max_continuations(opt, H2_MAX_CONTINUATIONS);
	nghttp2_option_set_stream_reset_rate_limit(opt, H2_RESET_BURST,
						   H2_RESET_RATE);
	rc = nghttp2_session_server_new2(&h->ng, cb, c, opt);
	nghttp2_option_del(opt);
	nghttp2_session_callbacks_del(cb);
	if (rc != 0) {
		free(h);
		return -1;
	}
	h->cheap_since = c->w->now;
	c->h2 = h;
	stats_add(&c->w->stats->ctr[STAT_H2_CONNECTIONS], 1);
	if (nghttp2_submit_settings(h->ng, NGHTTP2_FLAG_NONE, iv,
				    sizeof(iv) / sizeof(iv[0])) != 0)
		return -1;
	return 0;
}

enum io_result h2_start(struct conn *c, const char *in, size_t len)
{
	if (session_new(c) != 0)
		return IO_ERROR;
	c->state = CONN_H2;
	c->heard = true;
	if (nghttp2_session_mem_recv(c->h2->ng, (const uint8_t *)in, len) < 0)
		return IO_ERROR;
	if (c->w->draining)
		h2_drain(c);
	return IO_OK;
}

/* All said: half-close and read until the client closes (bounded), so
 * that unread request bytes cannot turn the close into a reset that
 * destroys the last responses. */
static enum io_result linger(struct conn *c)
{
	conn_tls_shutdown(c);
	shutdown(c->fd, SHUT_WR);
	c->state = CONN_LINGER;
	conn_arm(c, H2_LINGER_MS);
	conn_set_events(c, EPOLLIN);
	return IO_OK;
}

ssize_t h2_output(struct conn *c, const uint8_t **out)
{
	return nghttp2_session_mem_send(c->h2->ng, out);
}

/* Write what nghttp2 has: IO_OK all out, IO_AGAIN the socket is full. */
static enum io_result flush(struct conn *c)
{
	struct h2_session *h = c->h2;

	for (;;) {
		ssize_t n;
		bool more;
		if (h->wsent > 0) { /* what a record-sized send left */
			memmove(h->wbuf, h->wbuf + h->wsent,
				h->wlen - h->wsent);
			h->wlen -= h->wsent;
			h->wsent = 0;
		}
		/* gather frames: one send for many (a HEADERS and a DATA
		 * per response would be two syscalls each) */
		while (h->wlen + h->out_len <= H2_WBUF) {
			if (h->out_len > 0) {
				if (h->wbuf == NULL &&
				    (h->wbuf = malloc(H2_WBUF)) == NULL)
					return IO_ERROR;
				memcpy(h->wbuf + h->wlen, h->out, h->out_len);
				h->wlen += h->out_len;
				h->out_len = 0;
			}
			n = h2_output(c, &h->out);
			if (n < 0)
				return IO_ERROR;
			if (n == 0)
				break;
			h->out_len = (size_t)n;
		}
		const uint8_t *p = h->wbuf;
		size_t len = h->wlen;
		more = h->out_len > 0; /* frames that did not fit wait */
		if (len == 0) {	       /* an output larger than the buffer */
			if (h->out_len == 0)
				break;
			p = h->out;
			len = h->out_len;
			more = false;
		}
		/* over TLS, while more follows, whole records only: a 16 KiB
		 * DATA frame and its 9-byte header would otherwise go as a
		 * full record and a tiny one */
		if (c->ssl != NULL && more && len > CONN_TLS_RECORD)
			len -= len % CONN_TLS_RECORD;
		n = conn_send(c, p, len, false);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? IO_AGAIN : IO_ERROR;
		}
		stats_add(&c->w->stats->ctr[STAT_BYTES_SENT], (uint64_t)n);
		if (p == h->out) {
			h->out += n;
			h->out_len -= (size_t)n;
		} else if ((h->wsent += (size_t)n) == h->wlen) {
			h->wsent = h->wlen = 0;
		}
	}
	/* all out: an idle connection holds no buffer */
	free(h->wbuf);
	h->wbuf = NULL;
	return IO_OK;
}

enum io_result h2_step(struct conn *c)
{
	struct h2_session *h = c->h2;
	uint8_t buf[16384];
	enum io_result wr;
	bool eof = false;

	/* a bounded share per loop turn (the socket is level-triggered):
	 * a client streaming a body as fast as its windows open must not
	 * hold up the worker's other connections and scripts (bytes
	 * OpenSSL holds would not wake epoll: those are read) */
	for (int reads = 0; reads < H2_READS_PER_TURN || conn_tls_pending(c);
	     reads++) {
		ssize_t n = conn_recv(c, buf, sizeof(buf));
		if (n > 0) {
			if (nghttp2_session_mem_recv(h->ng, buf, (size_t)n) < 0)
				return IO_ERROR;
			conn_arm(c, c->w->cfg->timeouts.keepalive
					? c->w->cfg->timeouts.keepalive
					: c->w->cfg->timeouts.header);
			/* answer as we go: a client that writes without
			 * reading still gets its frames */
			if (flush(c) == IO_ERROR)
				return IO_ERROR;
			continue;
		}
		if (n == 0) {
			eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return IO_ERROR;
		break;
	}
	wr = flush(c);
	if (wr == IO_ERROR || eof)
		return IO_ERROR;
	if (wr == IO_AGAIN) {
		conn_set_events(c, EPOLLIN | EPOLLOUT);
		return IO_AGAIN;
	}
	if (h->draining && !h->goaway && c->w->now - h->drain_at >= 100) {
		/* a round trip after the notice: the streams that crossed
		 * it are in, the rest are refused (RFC 9113 §6.8) */
		h->goaway = true;
		nghttp2_submit_goaway(
		    h->ng, NGHTTP2_FLAG_NONE,
		    nghttp2_session_get_last_proc_stream_id(h->ng),
		    NGHTTP2_NO_ERROR, NULL, 0);
		return IO_OK;
	}
	if ((!nghttp2_session_want_read(h->ng) &&
	     !nghttp2_session_want_write(h->ng)) ||
	    (h->goaway && h->open == 0))
		return linger(c);
	if (h->draining && !h->goaway)
		conn_arm(c, 100);
	conn_set_events(c, EPOLLIN);
	return IO_AGAIN;
}

void h2_drain(struct conn *c)
{
	struct h2_session *h = c->h2;

	if (h == NULL || h->draining)
		return;
	h->draining = true;
	h->drain_at = c->w->now;
	nghttp2_submit_shutdown_notice(h->ng);
}

void h2_on_timeout(struct conn *c)
{
	struct h2_session *h = c->h2;

	if (h != NULL && h->draining && !h->goaway) {
		conn_run(c); /* time for the final GOAWAY */
		return;
	}
	/* a stream waits for its script: that has its own deadline */
	for (struct h2_stream *s = h ? h->streams : NULL; s; s = s->next)
		if (s->x->cgi != NULL) {
			conn_arm(c, c->w->cfg->timeouts.keepalive
					? c->w->cfg->timeouts.keepalive
					: c->w->cfg->timeouts.header);
			return;
		}
	conn_close(c);
}

void h2_free(struct conn *c)
{
	struct h2_session *h = c->h2;

	if (h == NULL)
		return;
	nghttp2_session_del(h->ng); /* runs no callbacks */
	while (h->streams) {
		struct h2_stream *s = h->streams;
		h->streams = s->next;
		stream_free(s);
	}
	free(h->wbuf);
	free(h);
	c->h2 = NULL;
}

/* ---- ALPN --------------------------------------------------------------- */

static int alpn_select(SSL *ssl, const unsigned char **out,
		       unsigned char *outlen, const unsigned char *in,
		       unsigned inlen, void *arg)
{
	static const unsigned char both[] = "\x02h2\x08http/1.1";
	static const unsigned char one[] = "\x08http/1.1";
	const struct config *cfg = arg;
	const struct conn *c = SSL_get_app_data(ssl);
	bool h2 = c != NULL && cfg->listens[c->listen_idx].h2;
	unsigned char *sel;

	if (SSL_select_next_proto(&sel, outlen, h2 ? both : one,
				  h2 ? sizeof(both) - 1 : sizeof(one) - 1, in,
				  inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

void h2_tls_init(const struct config *cfg)
{
	bool any = false;

	for (size_t i = 0; i < cfg->listen_count; i++)
		any |= cfg->listens[i].tls && cfg->listens[i].h2;
	if (!any)
		return;
	for (size_t i = 0; i < cfg->server_count; i++)
		if (cfg->servers[i].ssl_ctx != NULL)
			SSL_CTX_set_alpn_select_cb(cfg->servers[i].ssl_ctx,
						   alpn_select, (void *)cfg);
}
