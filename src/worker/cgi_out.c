/*
 * cgi_out.c - a CGI script's output on its way to the client: the header
 * block parsed (and held CGI_HOLD_MS to learn the length), the client's
 * response head built, the body framed (Content-Length, chunked, or
 * close-delimited), stderr forwarded to the error log.
 * With compress, the body is compressed as it streams: a sync flush
 * each time the script pauses (its pipe is empty), so what it wrote
 * reaches the client now, not when it ends.
 * Invariant: at most CGI_OUT_CAP bytes wait for the client (and as many
 * for the compressor); past that the script's stdout is not read
 * (back-pressure).  Never blocks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgi_int.h"
#include "compress.h"
#include "log.h"

/* Frame body bytes at out[out_len + CGI_CHUNK_HEAD ...] just read. */
static void frame(struct cgi_job *job, size_t n)
{
	if (!job->chunked) {
		job->out_len += n;
		return;
	}
	char *at = job->out + job->out_len;
	char size[CGI_CHUNK_HEAD + 1];

	/* leading zeros are valid chunk-size digits (RFC 9112 §7.1) */
	snprintf(size, sizeof(size), "%08zx\r\n", n);
	memcpy(at, size, CGI_CHUNK_HEAD);
	memcpy(at + CGI_CHUNK_HEAD + n, "\r\n", 2);
	job->out_len += CGI_CHUNK_HEAD + n + 2;
}

/* Keep at most what the script announced with Content-Length. */
static size_t clamp(struct cgi_job *job, size_t n)
{
	if (!job->has_length)
		return n;
	if (n > job->length_left)
		n = (size_t)job->length_left;
	job->length_left -= n;
	return n;
}

/* Room kept in out for a chunk's framing. */
#define Z_RESERVE (CGI_CHUNK_HEAD + 2)

/*
 * Compress what waits in zin (and the flush or end asked for) into out,
 * framed; stops early when out is nearly full (the client must take it
 * first).  0 / -1 (the library failed).
 */
static int zpump(struct cgi_job *job)
{
	while (job->zpending) {
		size_t took, made;
		if (CGI_OUT_CAP - job->out_len < Z_RESERVE + 1024)
			return 0;
		char *at = job->out + job->out_len +
			   (job->chunked ? CGI_CHUNK_HEAD : 0);
		int rc =
		    compressor_step(job->z, job->zin + job->zin_pos,
				    job->zin_len - job->zin_pos, &took, at,
				    CGI_OUT_CAP - job->out_len - Z_RESERVE,
				    &made, (enum compress_flush)job->zmode);
		if (rc < 0)
			return -1;
		job->zin_pos += took;
		if (made)
			frame(job, made);
		if (rc == 1) {
			job->zin_pos = job->zin_len = 0;
			job->zpending = false;
			/* the final chunk waits for the script's status
			 * (cgi.c: flush_end) */
			if (job->zmode == COMPRESS_FINISH)
				job->zdone = true;
			job->zmode = COMPRESS_RUN;
		}
	}
	return 0;
}

/* Ask zpump for mode over n new bytes in zin (n 0: a flush / the end). */
static int zfeed(struct cgi_job *job, size_t n, enum compress_flush mode)
{
	job->zin_len = n;
	job->zin_pos = 0;
	job->zmode = mode;
	job->zpending = true;
	job->zdirty = mode == COMPRESS_RUN;
	return zpump(job);
}

bool cgi_out_complete(const struct cgi_job *job)
{
	return job->z == NULL || job->zdone;
}

/* Does the script's head say "do not compress"?  Content-Encoding (it
 * is compressed already) or Cache-Control: no-transform. */
static bool head_forbids(const struct cgi_response_head *h)
{
	for (size_t i = 0; i < h->header_count; i++) {
		const struct http_header *f = &h->headers[i];
		if (f->name.len == 16 &&
		    strncasecmp(f->name.ptr, "Content-Encoding", 16) == 0)
			return true;
		if (f->name.len == 13 &&
		    strncasecmp(f->name.ptr, "Cache-Control", 13) == 0 &&
		    memmem(f->value.ptr, f->value.len, "no-transform", 12))
			return true;
	}
	return false;
}

/* The coding of the script's response (ENC_IDENTITY: none); *vary set
 * when Accept-Encoding decided it. */
static int cgi_coding(struct cgi_job *job, const struct cgi_response_head *h,
		      bool *vary)
{
	struct xfer *x = job->x;

	*vary = false;
	if (!response_status_has_body(h->status) || h->status == 206 ||
	    h->content_type.len == 0 || head_forbids(h))
		return ENC_IDENTITY;
	return compress_choose(x->route.loc, &x->req, h->content_type.ptr,
			       h->content_type.len, h->content_length, vary);
}

/*
 * A local redirect (RFC 3875 §6.2.2) is never sent as it is: the server
 * serves its Location instead, at most CGI_REDIRECTS_MAX times per
 * request.  Past that it is a cycle (nginx: "rewrite or internal
 * redirection cycle"): 500, logged.  0, or the error status.
 */
static int local_redirect(struct cgi_job *job,
			  const struct cgi_response_head *h)
{
	struct xfer *x = job->x;

	if (x->redirects >= CGI_REDIRECTS_MAX) {
		log_error("cgi: %s: internal redirection cycle while "
			  "redirecting to \"%.*s\" (request \"%.*s\")",
			  x->route.script_file, (int)h->location.len,
			  h->location.ptr, (int)x->req.target.len,
			  x->req.target.ptr);
		return 500;
	}
	free(x->redirect);
	x->redirect = strndup(h->location.ptr, h->location.len);
	if (x->redirect == NULL)
		return 502;
	job->local_redirect = true;
	return 0;
}

/* Compressed with enc: chunked (HTTP/1.0: close-delimited), the
 * script's Content-Length only bounds what is read.  0 / -1 (ENOMEM). */
static int start_compression(struct cgi_job *job,
			     const struct cgi_response_head *h, int enc)
{
	struct xfer *x = job->x;
	struct response *resp = &x->resp;

	if (h->content_length >= 0) {
		job->has_length = true;
		job->length_left = (uint64_t)h->content_length;
	}
	response_header(resp, "Content-Encoding", "%s", encoding_name(enc));
	resp->compressed = true;
	if (job->raw) {
		/* framed by the sink (h2: DATA frames, END_STREAM) */
	} else if (x->req.minor >= 1) {
		job->chunked = !x->head_only;
		response_header(resp, "Transfer-Encoding", "chunked");
	} else {
		x->req.keep_alive = false;
	}
	if (x->head_only)
		return 0;
	job->z = compressor_new(enc, x->route.loc->compress_level);
	job->zin = malloc(CGI_OUT_CAP);
	return job->z && job->zin ? 0 : -1;
}

/* The CGI head is parsed and held: build the client's response head.
 * length_known: stdout ended, so what is buffered is the whole body.
 * 0, or the status of the error response (502, or 500 for a redirect
 * cycle). */
static int build_head(struct cgi_job *job, bool length_known)
{
	struct xfer *x = job->x;
	struct response *resp = &x->resp;
	size_t head_len = job->head_len;
	size_t body = job->out_len - head_len;
	struct cgi_response_head *h = malloc(sizeof(*h));
	int rc = 502;

	/* stateless parser: the same bytes give the same head again */
	if (h == NULL || cgi_parse_head(job->out, job->out_len, CGI_HEAD_LIMIT,
					h) != (int)head_len)
		goto done;
	if (length_known && h->content_length < 0)
		h->content_length = (int64_t)body;

	if (h->kind == CGI_RESPONSE_LOCAL_REDIRECT) {
		rc = local_redirect(job, h);
		goto done;
	}
	response_reset(resp);
	response_status(resp, h->status);
	if (h->content_type.len)
		response_header(resp, "Content-Type", "%.*s",
				(int)h->content_type.len, h->content_type.ptr);
	if (h->location.len)
		response_header(resp, "Location", "%.*s", (int)h->location.len,
				h->location.ptr);
	for (size_t i = 0; i < h->header_count; i++) {
		const struct http_header *f = &h->headers[i];
		char name[128];
		if (f->name.len >= sizeof(name))
			continue;
		memcpy(name, f->name.ptr, f->name.len);
		name[f->name.len] = '\0';
		response_header(resp, name, "%.*s", (int)f->value.len,
				f->value.ptr);
	}
	job->discard = x->head_only || !response_status_has_body(h->status) ||
		       (h->kind == CGI_RESPONSE_CLIENT_REDIRECT &&
			h->content_type.len == 0);
	bool vary;
	int enc = cgi_coding(job, h, &vary);
	if (vary)
		response_header(resp, "Vary", "Accept-Encoding");
	if (!response_status_has_body(h->status)) {
		/* no framing headers at all (RFC 9110 §8.6) */
	} else if (job->discard && !x->head_only) {
		response_header(resp, "Content-Length", "0");
	} else if (enc > 0) {
		if (start_compression(job, h, enc) == -1)
			goto done;
	} else if (h->content_length >= 0) {
		job->has_length = true;
		job->length_left = (uint64_t)h->content_length;
		response_header(resp, "Content-Length", "%lld",
				(long long)h->content_length);
	} else if (job->raw) {
		/* framed by the sink (h2: DATA frames, END_STREAM) */
	} else if (x->req.minor >= 1) {
		job->chunked = !x->head_only;
		response_header(resp, "Transfer-Encoding", "chunked");
	} else {
		x->req.keep_alive = false; /* HTTP/1.0: close-delimited */
	}
	/* the request body must be read before the connection can be
	 * reused; a script that answers early closes it instead */
	if (!job->body_done && x->body_left > 64 * 1024)
		resp->close = true;
	if (job->sink->head(job) == -1)
		goto done;
	job->head_done = true;
	timer_disarm(&job->timer);
	/* what followed the CGI head is the first piece of the body */
	body = job->discard ? 0 : clamp(job, body);
	memmove(job->out + (job->chunked ? CGI_CHUNK_HEAD : 0),
		job->out + head_len, body);
	job->out_len = 0;
	if (job->z) {
		/* the first piece: out now, as the script may pause */
		memcpy(job->zin, job->out + (job->chunked ? CGI_CHUNK_HEAD : 0),
		       body);
		if (zfeed(job, body,
			  job->stdout_eof ? COMPRESS_FINISH : COMPRESS_FLUSH) ==
		    -1)
			goto done;
		rc = 0;
		goto done;
	}
	if (body)
		frame(job, body);
	rc = 0;
done:
	free(h);
	return rc;
}

/* Answer status (the normal error page) instead of the script's output;
 * why: what to log, NULL when the caller logged it. */
static void fail(struct cgi_job *job, int status, const char *why)
{
	struct conn *c = job->c;

	if (why)
		log_error("cgi: %s: %s", job->x->route.script_file, why);
	cgi_job_detach(job, true);
	job->sink->fail(c, job->sink_ctx, status);
}

/* Answer 502 for a script whose output can't be used. */
static void bad_gateway(struct cgi_job *job, const char *why)
{
	fail(job, 502, why);
}

/* Stop holding the head: build it now.  false when the job is gone. */
bool cgi_release_head(struct cgi_job *job, bool length_known)
{
	int status = build_head(job, length_known);

	if (status == 0)
		return true;
	fail(job, status,
	     status == 502 ? "cannot build the response head" : NULL);
	return false;
}

/* The compressor failed with the head sent: nothing to do but close. */
static int zfail(struct cgi_job *job)
{
	struct conn *c = job->c;

	log_error("cgi: %s: compression failed", job->x->route.script_file);
	cgi_job_detach(job, true);
	job->sink->cut(c, job->sink_ctx);
	return -1;
}

/*
 * One read of a compressed script's stdout (the head is sent).  Returns
 * 1: read again, 0: wait (empty pipe, or out full: paused), -1: the job
 * is gone.
 */
static int zread(struct cgi_job *job)
{
	ssize_t n;

	if (job->zpending && zpump(job) == -1)
		return zfail(job);
	if (job->zpending || CGI_OUT_CAP - job->out_len < Z_RESERVE + 1024) {
		job->stdout_paused = true; /* cgi_flush_out resumes */
		cgi_watch(job, ROLE_STDOUT, job->proc.stdout_fd, 0);
		return 0;
	}
	n = read(job->proc.stdout_fd, job->zin, 16 * 1024);
	if (n == -1 && errno == EINTR)
		return 1;
	if (n == -1 && errno == EAGAIN) {
		/* the script paused: what it wrote goes out now */
		if (job->zdirty && zfeed(job, 0, COMPRESS_FLUSH) == -1)
			return zfail(job);
		return 0;
	}
	if (n <= 0) {
		job->stdout_eof = true;
		cgi_close_fd(job, ROLE_STDOUT);
		return zfeed(job, 0, COMPRESS_FINISH) == -1 ? zfail(job) : 0;
	}
	if (job->c)
		job->sink->arm(job, job->x->route.loc->timeouts.cgi);
	if (zfeed(job, clamp(job, (size_t)n), COMPRESS_RUN) == -1)
		return zfail(job);
	return 1;
}

const char *cgi_exit_problem(const struct cgi_job *job, char *buf, size_t cap)
{
	int st = job->wstatus;

	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return NULL;
	if (WIFSIGNALED(st))
		snprintf(buf, cap, "killed by signal %d", WTERMSIG(st));
	else
		snprintf(buf, cap, "exited with status %d", WEXITSTATUS(st));
	return buf;
}

bool cgi_settle_head(struct cgi_job *job)
{
	char why[64];

	if (job->head_done || !job->head_len || !job->stdout_eof ||
	    !job->exited)
		return true;
	if (cgi_exit_problem(job, why, sizeof(why)) != NULL) {
		log_error("cgi: %s: %s, 0 body bytes sent: 502",
			  job->x->route.script_file, why);
		fail(job, 502, NULL);
		return false;
	}
	return cgi_release_head(job, true);
}

/* Read the script's stdout into the output buffer.  false when the job
 * is gone (detached after an error). */
bool cgi_read_stdout(struct cgi_job *job)
{
	while (!job->stdout_eof && !job->local_redirect) {
		if (job->head_done && job->z) {
			int zr = zread(job);
			if (zr == 1)
				continue;
			return zr == 0;
		}
		/* holding the head with the buffer full: send it now (a read
		 * of 0 bytes would look like the end of the output) */
		if (!job->head_done && job->head_len &&
		    CGI_OUT_CAP - job->out_len < CGI_CHUNK_HEAD + 1024)
			return cgi_release_head(job, false);
		size_t reserve =
		    job->head_done && job->chunked ? CGI_CHUNK_HEAD + 2 : 0;
		size_t room = CGI_OUT_CAP - job->out_len;
		char *at =
		    job->out + job->out_len +
		    (job->head_done && job->chunked ? CGI_CHUNK_HEAD : 0);
		ssize_t n;

		if (job->head_done && room < reserve + 1024) {
			/* the client is slow: stop reading, the pipe fills
			 * and the script blocks (back-pressure) */
			job->stdout_paused = true;
			cgi_watch(job, ROLE_STDOUT, job->proc.stdout_fd, 0);
			return true;
		}
		if (job->head_done && job->discard) {
			char sink[4096];
			n = read(job->proc.stdout_fd, sink, sizeof(sink));
		} else {
			n = read(job->proc.stdout_fd, at, room - reserve);
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return true;
		if (n <= 0) {
			job->stdout_eof = true;
			cgi_close_fd(job, ROLE_STDOUT);
			/* the head waits for the status (cgi_settle_head) */
			if (!job->head_done && job->head_len)
				return cgi_settle_head(job);
			if (!job->head_done) {
				bad_gateway(
				    job, job->out_len
					     ? "output ends inside its header"
					     : "no output");
				return false;
			}
			/* the final chunk waits for the status (cgi_step) */
			return true;
		}
		if (job->c)
			job->sink->arm(job, job->x->route.loc->timeouts.cgi);
		if (job->head_done) {
			if (!job->discard &&
			    (n = (ssize_t)clamp(job, (size_t)n)))
				frame(job, (size_t)n);
			continue;
		}
		job->out_len += (size_t)n;
		if (job->head_len)
			continue; /* holding the head: see the loop's top */
		struct cgi_response_head *head = malloc(sizeof(*head));
		int rc = head ? cgi_parse_head(job->out, job->out_len,
					       CGI_HEAD_LIMIT, head)
			      : CGI_ERROR;
		free(head);
		if (rc == CGI_INCOMPLETE)
			continue;
		if (rc == CGI_ERROR) {
			bad_gateway(job, "malformed header");
			return false;
		}
		job->head_len = (size_t)rc;
		if (timer_arm(&job->w->timers, &job->timer, CGI_HOLD_MS,
			      job->w->now) == -1)
			return cgi_release_head(job, false);
	}
	return true;
}

/* Log the stderr line gathered in err (rate limited: a chatty script
 * can't flood the log). */
static void err_line(struct cgi_job *job)
{
	if (job->err_lines < CGI_STDERR_LINES)
		log_warn("cgi stderr (pid %d): %.*s", (int)job->proc.pid,
			 (int)job->err_len, job->err);
	else if (job->err_lines == CGI_STDERR_LINES)
		log_warn("cgi stderr (pid %d): more output dropped",
			 (int)job->proc.pid);
	job->err_lines++;
	job->err_len = 0;
}

/* Read what stderr holds now into lines; true at its end (EOF, error). */
static bool stderr_pull(struct cgi_job *job)
{
	char buf[4096];
	ssize_t n;

	for (;;) {
		n = read(job->proc.stderr_fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 || errno != EAGAIN;
		for (ssize_t i = 0; i < n; i++) {
			bool eol = buf[i] == '\n';
			if (!eol && job->err_len < sizeof(job->err) - 1)
				job->err[job->err_len++] = buf[i];
			if (eol || job->err_len == sizeof(job->err) - 1)
				err_line(job);
		}
	}
}

void cgi_read_stderr(struct cgi_job *job)
{
	if (stderr_pull(job))
		cgi_end_stderr(job);
}

void cgi_end_stderr(struct cgi_job *job)
{
	if (job->proc.stderr_fd != -1)
		stderr_pull(job); /* what is still in the pipe */
	if (job->err_len)
		err_line(job); /* the last line, without its newline */
	cgi_close_fd(job, ROLE_STDERR);
}

/* All output went: read the script's stdout again if it was paused. */
static void resume_stdout(struct cgi_job *job)
{
	if (job->stdout_paused && job->proc.stdout_fd != -1) {
		job->stdout_paused = false;
		cgi_watch(job, ROLE_STDOUT, job->proc.stdout_fd, EPOLLIN);
	}
}

/* Send the head, then the framed output.  IO_OK: all sent. */
enum io_result cgi_flush_out(struct conn *c, struct cgi_job *job)
{
	struct xfer *x = c->x;
	struct response *resp = &x->resp;

again:
	while (x->head_sent < resp->head_len || job->out_sent < job->out_len) {
		bool head = x->head_sent < resp->head_len;
		const char *p =
		    head ? resp->head + x->head_sent : job->out + job->out_sent;
		size_t len = head ? resp->head_len - x->head_sent
				  : job->out_len - job->out_sent;
		bool more = head && job->out_len;
		ssize_t n = conn_send(c, p, len, more);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return errno == EAGAIN ? IO_AGAIN : IO_ERROR;
		stats_add(&c->w->stats->ctr[STAT_BYTES_SENT], (uint64_t)n);
		if (head) {
			x->head_sent += (size_t)n;
		} else {
			job->out_sent += (size_t)n;
			x->body_bytes += (uint64_t)n;
		}
		conn_arm(c, x->route.loc->timeouts.cgi);
	}
	job->out_len = job->out_sent = 0;
	/* room again: what the compressor still holds */
	if (job->z && job->zpending) {
		if (zpump(job) == -1)
			return IO_ERROR;
		if (job->out_len)
			goto again;
	}
	resume_stdout(job);
	return IO_OK;
}

size_t cgi_out_take(struct cgi_job *job, char *buf, size_t len)
{
	size_t n = job->out_len - job->out_sent;

	if (n > len)
		n = len;
	memcpy(buf, job->out + job->out_sent, n);
	job->out_sent += n;
	job->x->body_bytes += n;
	if (job->out_sent == job->out_len) {
		job->out_len = job->out_sent = 0;
		resume_stdout(job);
	}
	return n;
}

int cgi_out_end(const struct cgi_job *job, char *why, size_t cap)
{
	if (job->out_len > job->out_sent || !job->stdout_eof || !job->exited)
		return 0;
	return cgi_exit_problem(job, why, cap) != NULL ? -1 : 1;
}
