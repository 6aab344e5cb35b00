/*
 * h2_cgi.c - CGI over HTTP/2: a stream's request body goes into its
 * script's stdin with flow control as back-pressure (a stream's window
 * reopens as the pipe takes bytes), or is spooled first when it has no
 * content-length; the script's output comes back through the stream's
 * data provider (cgi_out.c parses it, h2_submit sends the head).
 * Invariant: a stream with a job has x->cgi set until the job detaches.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h2_int.h"
#include "handler.h"
#include "http.h"
#include "log.h"

/* Body bytes the script's pipe took go back to the stream's window:
 * the client sends more only as the script reads (the connection's
 * window moved when they came, so other streams never wait). */
void h2_window(struct conn *c, struct h2_stream *s)
{
	const struct cgi_job *job = s->x->cgi;
	uint64_t done = s->fed - (s->feeding && job ? job->in_len : 0);

	if (done > s->consumed) {
		nghttp2_session_consume_stream(c->h2->ng, s->id,
					       (size_t)(done - s->consumed));
		s->consumed = done;
	}
}

/* The stream's script is gone or done with its stdin: the body still to
 * come is dropped, and what its stdin held goes back to the window, so
 * the client can finish sending.  (RFC 9113 §8.1 would allow a
 * RST_STREAM(NO_ERROR) after the response instead, as nginx sends: curl
 * 7.88 takes that for an error.) */
void h2_unfeed(struct conn *c, struct h2_stream *s)
{
	s->feeding = false;
	h2_window(c, s);
}

void h2_detach(struct conn *c, struct h2_stream *s, bool kill)
{
	cgi_job_detach(s->x->cgi, kill);
	h2_unfeed(c, s);
}

/* A script's output (cgi_out.c) in DATA frames: deferred while its pipe
 * has nothing (the script's events resume it), END_STREAM only when its
 * output ended and it exited 0; a failure after the head is a
 * RST_STREAM(INTERNAL_ERROR), so it never looks complete. */
ssize_t h2_cgi_body_read(nghttp2_session *ng, int32_t id, uint8_t *buf,
			 size_t len, uint32_t *flags, nghttp2_data_source *src,
			 void *user)
{
	struct h2_stream *s = src->ptr;
	struct cgi_job *job = s->x->cgi;
	char why[64];
	size_t n;
	int end;

	(void)ng;
	(void)id;
	(void)user;
	if (job == NULL)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	n = cgi_out_take(job, (char *)buf, len);
	end = cgi_out_end(job, why, sizeof(why));
	if (end == 0 && n == 0) {
		s->deferred = true;
		return NGHTTP2_ERR_DEFERRED;
	}
	if (end == 0 || (end < 0 && n > 0))
		return (ssize_t)n;
	timer_disarm(&s->timer);
	if (end < 0) {
		log_error("cgi: %s: %s after %llu body bytes were sent: "
			  "stream reset",
			  s->x->route.script_file, why,
			  (unsigned long long)s->x->body_bytes);
		s->x->resp.status = 502;
		h2_detach(s->c, s, false);
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	}
	*flags |= NGHTTP2_DATA_FLAG_EOF;
	h2_detach(s->c, s, false);
	return (ssize_t)n;
}

static int cgi_head(struct cgi_job *job)
{
	return h2_submit(job->c, job->sink_ctx) == 0 ? 0 : -1;
}

/* Drive the connection from a script's event: output for a deferred
 * stream, or a local redirect to serve instead. */
static void cgi_wake(struct cgi_job *job)
{
	struct conn *c = job->c;
	struct h2_stream *s = job->sink_ctx;

	if (job->local_redirect) {
		cgi_redirect_request(s->x, job->body_done);
		timer_disarm(&s->timer);
		h2_detach(c, s, true);
		if (h2_answer(c, s) != 0)
			nghttp2_submit_rst_stream(c->h2->ng, NGHTTP2_FLAG_NONE,
						  s->id,
						  NGHTTP2_INTERNAL_ERROR);
	} else {
		if (s->feeding) {
			h2_window(c, s);
			if (s->body_ended)
				cgi_body_end(
				    job); /* EOF once its stdin is empty */
		}
		if (s->deferred) {
			s->deferred = false;
			nghttp2_session_resume_data(c->h2->ng, s->id);
		}
	}
	conn_run(c);
}

static void cgi_arm(struct cgi_job *job, uint64_t ms)
{
	struct h2_stream *s = job->sink_ctx;

	timer_arm(&job->w->timers, &s->timer, ms, job->w->now);
}

static void cgi_fail(struct conn *c, void *ctx, int status)
{
	struct h2_stream *s = ctx;

	timer_disarm(&s->timer);
	h2_error(c, s, status);
	h2_unfeed(c, s);
	if (h2_submit(c, s) != 0)
		nghttp2_submit_rst_stream(c->h2->ng, NGHTTP2_FLAG_NONE, s->id,
					  NGHTTP2_INTERNAL_ERROR);
	conn_run(c);
}

static void cgi_cut(struct conn *c, void *ctx)
{
	struct h2_stream *s = ctx;

	timer_disarm(&s->timer);
	h2_unfeed(c, s);
	s->x->resp.status = 502;
	nghttp2_submit_rst_stream(c->h2->ng, NGHTTP2_FLAG_NONE, s->id,
				  NGHTTP2_INTERNAL_ERROR);
	conn_run(c);
}

static const struct cgi_sink h2_sink = {.head = cgi_head,
					.wake = cgi_wake,
					.arm = cgi_arm,
					.fail = cgi_fail,
					.cut = cgi_cut};

/* Start the stream's script; answered when its head is parsed.
 * stdin_file: a spooled body, or -1: a pipe, fed with the DATA to come
 * when the request has a body (not after a local redirect: a GET). */
static int cgi_run(struct conn *c, struct h2_stream *s, int stdin_file,
		   int64_t length)
{
	struct xfer *x = s->x;
	bool body = stdin_file < 0 && s->body && x->redirects == 0;
	int status;

	if (cgi_start_job(c, x, &h2_sink, s, body, stdin_file, length,
			  &status) == NULL) {
		h2_error(c, s, status);
		return h2_submit(c, s);
	}
	s->feeding = body;
	if (body && s->body_ended)
		cgi_body_end(x->cgi);
	cgi_arm(x->cgi, x->route.loc->timeouts.cgi);
	return 0;
}

/* A body without content-length is spooled first, as for HTTP/1.1:
 * the script gets CONTENT_LENGTH (RFC 3875 §4.1.2). */
int h2_cgi(struct conn *c, struct h2_stream *s)
{
	struct xfer *x = s->x;

	if (!s->body || x->req.has_length || x->redirects > 0)
		return cgi_run(
		    c, s, -1,
		    x->req.has_length ? (int64_t)x->req.content_length : -1);
	if ((s->spool_fd = cgi_spool_open()) == -1) {
		log_error("cgi: cannot spool a body in %s: %s", CGI_SPOOL_DIR,
			  strerror(errno));
		h2_error(c, s, 500);
		return h2_submit(c, s);
	}
	s->spooling = true;
	x->body_limit = x->route.loc->client_max_body_size;
	return 0;
}

/* The spooled body is complete: run the script on it. */
int h2_spool_end(struct conn *c, struct h2_stream *s)
{
	int fd = s->spool_fd;
	int rc;

	s->spooling = false;
	if (lseek(fd, 0, SEEK_SET) == -1) {
		log_error("cgi: lseek: %s", strerror(errno));
		close(fd);
		h2_error(c, s, 500);
		return h2_submit(c, s);
	}
	rc = cgi_run(c, s, fd, (int64_t)s->body_got);
	close(fd); /* the script holds it now */
	return rc;
}

/* A body for a script, of unknown length, into its spool. */
int h2_spool_data(struct conn *c, struct h2_stream *s, const uint8_t *data,
		  size_t len, bool over)
{
	int status = 413;

	while (!over && len > 0) {
		ssize_t n = write(s->spool_fd, data, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_error("cgi: cannot spool a body: %s",
				  strerror(errno));
			status = errno == ENOSPC ? 507 : 500;
			break;
		}
		data += n;
		len -= (size_t)n;
	}
	if (len == 0)
		return 0;
	close(s->spool_fd);
	s->spooling = false;
	h2_error(c, s, status);
	if (h2_submit(c, s) != 0)
		nghttp2_submit_rst_stream(c->h2->ng, NGHTTP2_FLAG_NONE, s->id,
					  NGHTTP2_INTERNAL_ERROR);
	return 0;
}

void h2_stream_timeout(struct timer *t)
{
	struct h2_stream *s =
	    (struct h2_stream *)((char *)t - offsetof(struct h2_stream, timer));
	struct conn *c = s->c;
	struct cgi_job *job = s->x->cgi;
	bool head_done;

	if (job == NULL)
		return;
	log_set_request_id(s->x->request_id);
	log_error("cgi: %s: no output for the cgi_timeout: killed",
		  s->x->route.script_file);
	head_done = job->head_done;
	cgi_job_detach(job, true);
	if (head_done)
		cgi_cut(c, s);
	else
		cgi_fail(c, s, 504);
}
