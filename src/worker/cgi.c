/*
 * cgi.c - runs CGI scripts (RFC 3875) inside the worker's event loop.
 *
 * A job ties a connection to a script: a request body with a length
 * streams to the script's stdin as it arrives (a chunked one is spooled
 * first, see cgi_spool_open), the script's stdout streams to the
 * client (cgi_out.c: Content-Length when the script gave one, else
 * chunked for HTTP/1.1, else close-delimited), stderr goes to the error
 * log.  This file: the job's life, the process, the request body
 * (cgi_start.c starts it).  Both
 * directions are back-pressured: stdout is not read while the client has
 * CGI_OUT_CAP bytes pending, the client is not read while stdin is full.
 * The process is watched through its pidfd: no SIGCHLD, no zombie.
 *
 * Invariants: a job outlives its connection only as a detached job whose
 * process is being killed (or finishing) and awaited through the pidfd;
 * every job is on w->cgi_jobs until its process is reaped.  Never blocks
 * (the spawn itself waits only for the exec).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgi.h"
#include "cgi_int.h"
#include "compress.h"
#include "conn.h"
#include "log.h"
#include "router.h"

/*
 * Watch fd for events, or stop watching it (events 0).  A pipe that is
 * merely masked would still report EPOLLHUP/EPOLLERR (level-triggered:
 * forever), so "not now" means out of the epoll set.  0 / -1.
 */
int cgi_watch(struct cgi_job *job, enum cgi_role role, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events,
				 .data.ptr = &job->tags[role]};
	bool on = events != 0;
	int op;

	if (fd == -1 || job->watched[role] == on)
		return 0;
	op = on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL;
	if (epoll_ctl(job->w->epfd, op, fd, &ev) == -1)
		return -1;
	job->watched[role] = on;
	return 0;
}

void cgi_close_fd(struct cgi_job *job, enum cgi_role role)
{
	int *fds[ROLE_COUNT] = {&job->proc.stdin_fd, &job->proc.stdout_fd,
				&job->proc.stderr_fd, &job->proc.pidfd};
	int *fd = fds[role];

	if (*fd == -1)
		return;
	cgi_watch(job, role, *fd, 0);
	close(*fd);
	*fd = -1;
}

/*
 * The job is over: close everything and unlink it.  The memory itself is
 * freed at the end of the loop turn (cgi_free_dead): events of this same
 * epoll batch may still point at its tags.
 */
static void job_free(struct cgi_job *job)
{
	struct worker *w = job->w;

	timer_disarm(&job->timer);
	cgi_close_fd(job, ROLE_STDIN);
	cgi_close_fd(job, ROLE_STDOUT);
	cgi_end_stderr(job);
	cgi_close_fd(job, ROLE_PIDFD);
	if (job->spool_fd != -1)
		close(job->spool_fd); /* unlinked: the body is gone */
	job->spool_fd = -1;
	if (job->prev)
		job->prev->next = job->next;
	else
		w->cgi_jobs = job->next;
	if (job->next)
		job->next->prev = job->prev;
	if (job->counted) {
		w->cgi_count--;
		stats_sub(&w->stats->gauge[STAT_CGI], 1);
	}
	job->dead = true;
	job->c = NULL;
	job->next = w->cgi_dead;
	w->cgi_dead = job;
}

void cgi_free_dead(struct worker *w)
{
	while (w->cgi_dead) {
		struct cgi_job *job = w->cgi_dead;
		w->cgi_dead = job->next;
		free(job->in);
		free(job->out);
		compressor_free(job->z);
		free(job->zin);
		free(job);
	}
}

/* Kill step: SIGTERM to the group, then SIGKILL after a grace. */
static void kill_step(struct cgi_job *job)
{
	if (job->exited) {
		/* the script is gone, not what it started: a background
		 * child still holding stdout is in its group */
		cgi_kill(&job->proc, SIGKILL);
		return;
	}
	cgi_kill(&job->proc, job->killing ? SIGKILL : SIGTERM);
	job->killing = true;
	if (timer_arm(&job->w->timers, &job->timer, CGI_KILL_GRACE_MS,
		      job->w->now) == -1)
		cgi_kill(&job->proc, SIGKILL);
}

/*
 * Cut the job from its connection.  kill: the script is not wanted any
 * more (client gone, timeout, error); else it finished its output and
 * gets cgi_timeout to exit by itself.  Freed once reaped.
 */
void cgi_job_detach(struct cgi_job *job, bool kill)
{
	uint64_t grace = job->c ? job->x->route.loc->timeouts.cgi : 0;

	if (job->c && job->x->cgi == job)
		job->x->cgi = NULL;
	job->c = NULL;
	cgi_close_fd(job, ROLE_STDIN);
	cgi_close_fd(job, ROLE_STDOUT);
	if (job->exited || job->proc.pid <= 0) { /* spooling: no process */
		if (job->exited)
			cgi_kill(&job->proc, SIGKILL); /* stragglers */
		job_free(job);
		return;
	}
	if (kill)
		kill_step(job);
	else if (timer_arm(&job->w->timers, &job->timer, grace, job->w->now) ==
		 -1)
		kill_step(job);
}

void cgi_detach(struct conn *c)
{
	if (c->x && c->x->cgi)
		cgi_job_detach(c->x->cgi, true);
}

void cgi_on_timer(struct timer *t)
{
	struct cgi_job *job =
	    (struct cgi_job *)((char *)t - offsetof(struct cgi_job, timer));
	struct conn *c = job->c;

	log_set_request_id(job->request_id);
	if (c == NULL) {
		kill_step(job);
		return;
	}
	/* the head hold is over: the script streams (unless its output
	 * has ended: then the head waits for its status) */
	if (!job->head_done && !job->stdout_eof &&
	    cgi_release_head(job, false) && job->c == c)
		job->sink->wake(job);
}

void cgi_kill_all(struct worker *w)
{
	while (w->cgi_jobs) {
		struct cgi_job *job = w->cgi_jobs;
		if (job->c && job->x->cgi == job)
			job->x->cgi = NULL;
		if (!job->exited && job->proc.pid > 0) {
			int status;
			cgi_kill(&job->proc, SIGKILL);
			while (cgi_reap(&job->proc, &status) == 0)
				usleep(1000);
		}
		job_free(job);
	}
}

/* --- request body -> stdin ---------------------------------------------- */

/* Write what is pending to stdin; true when nothing is left. */
static bool flush_stdin(struct cgi_job *job)
{
	size_t done = 0;

	while (done < job->in_len && !job->stdin_gone) {
		ssize_t n = write(job->proc.stdin_fd, job->in + done,
				  job->in_len - done);
		if (n > 0) {
			done += (size_t)n;
		} else if (n == -1 && errno == EINTR) {
			continue;
		} else if (n == -1 && errno == EAGAIN) {
			break;
		} else {
			/* EPIPE: the script stopped reading; the rest of
			 * the body is read from the client and dropped */
			job->stdin_gone = true;
			cgi_close_fd(job, ROLE_STDIN);
		}
	}
	if (job->stdin_gone)
		done = job->in_len;
	memmove(job->in, job->in + done, job->in_len - done);
	job->in_len -= done;
	if (cgi_watch(job, ROLE_STDIN, job->proc.stdin_fd,
		      job->in_len ? EPOLLOUT : 0) == -1) {
		job->stdin_gone = true;
		job->in_len = 0;
		cgi_close_fd(job, ROLE_STDIN);
	}
	return job->in_len == 0;
}

int cgi_feed(struct conn *c, const char *data, size_t n, int *status)
{
	struct cgi_job *job = c->x->cgi;

	if (job->spooling)
		return cgi_spool_write(job, data, n, status);
	/* everything fed between two reads fits: in_cap is the buffer size */
	if (n > job->in_cap - job->in_len) {
		*status = 500;
		return -1;
	}
	cgi_feed_job(job, data, n);
	return 0;
}

size_t cgi_feed_job(struct cgi_job *job, const char *data, size_t n)
{
	if (job->stdin_gone)
		return n; /* dropped: the script does not read */
	if (n > job->in_cap - job->in_len)
		n = job->in_cap - job->in_len;
	memcpy(job->in + job->in_len, data, n);
	job->in_len += n;
	flush_stdin(job);
	return n;
}

void cgi_body_end(struct cgi_job *job)
{
	job->body_done = true;
	if (job->in_len == 0)
		cgi_close_fd(job, ROLE_STDIN); /* EOF for the script */
}

/* Move the request body along: IO_AGAIN (waiting for the client or the
 * script), IO_OK (body complete), IO_ERROR (*status: error response). */
static enum io_result pump_body(struct conn *c, int *status)
{
	struct cgi_job *job = c->x->cgi;

	while (!job->body_done) {
		if (job->in_len)
			return IO_AGAIN; /* stdin full: don't read */
		enum io_result rc = conn_consume_body(c, status);
		if (rc == IO_ERROR)
			return IO_ERROR;
		if (rc == IO_OK) {
			job->body_done = true;
			break;
		}
		if (job->in_len)
			return IO_AGAIN;
		ssize_t n = conn_recv_body(c);
		if (n > 0)
			continue;
		if (n == -1 && errno == EAGAIN)
			return IO_AGAIN;
		*status = 0; /* client gone or broken framing */
		return IO_ERROR;
	}
	if (job->in_len == 0)
		cgi_close_fd(job, ROLE_STDIN); /* EOF for the script */
	return IO_OK;
}

/* Location: /local with no Status: serve that URI instead (RFC 3875
 * §6.2.2), as a GET, the script's own output dropped. */
void cgi_redirect_request(struct xfer *x, bool body_done)
{
	struct http_request *req = &x->req;
	char *query = strchr(x->redirect, '?');

	if (!body_done) {
		req->keep_alive = false; /* the rest is not read */
		x->body_unread = true;
	}
	x->redirects++;
	x->sink = SINK_NONE;
	req->method = x->head_only ? HTTP_HEAD : HTTP_GET;
	req->method_name =
	    x->head_only ? (struct slice){"HEAD", 4} : (struct slice){"GET", 3};
	req->path =
	    (struct slice){x->redirect, query ? (size_t)(query - x->redirect)
					      : strlen(x->redirect)};
	req->query = query ? (struct slice){query + 1, strlen(query + 1)}
			   : (struct slice){"", 0};
	req->has_query = query != NULL;
	/* a GET has no body: nothing of the POST's reaches the script
	 * (RFC 3875 §4.1.2-3: CONTENT_* describe the request's body) */
	req->has_length = false;
	req->content_length = 0;
	req->chunked = false;
	req->content_type = (struct slice){NULL, 0};
	req->expect_continue = false;
	response_reset(&x->resp);
	x->head_sent = 0;
}

static enum io_result local_redirect(struct conn *c, struct cgi_job *job)
{
	cgi_redirect_request(c->x, job->body_done);
	cgi_job_detach(job, true);
	return conn_start_request(c);
}

/*
 * The script's output is all sent, and it failed (killed by a signal,
 * non-zero exit): the response must not end like a complete one.  Close
 * without the final chunk (or short of Content-Length), logged and
 * counted as 502.
 */
static enum io_result cut_response(struct conn *c, struct cgi_job *job,
				   const char *why)
{
	struct xfer *x = c->x;

	log_error("cgi: %s: %s after %llu body bytes were sent: response "
		  "cut, 502",
		  x->route.script_file, why, (unsigned long long)x->body_bytes);
	cgi_job_detach(job, false);
	x->resp.status = 502;
	stats_add(&c->w->stats->ctr[STAT_RESP_1XX + 4], 1);
	access_log_write(c, x->parsed);
	x->logged = true;
	return IO_ERROR;
}

/* Everything framed so far is sent and stdout ended: once the script's
 * status is known, the final chunk (chunked, exit 0) follows. */
static enum io_result flush_end(struct conn *c, struct cgi_job *job)
{
	enum io_result rc = cgi_flush_out(c, job);
	char why[64];

	if (rc != IO_OK || !job->stdout_eof || !job->exited || !job->chunked ||
	    job->final_queued || !cgi_out_complete(job) ||
	    cgi_exit_problem(job, why, sizeof(why)) != NULL)
		return rc;
	memcpy(job->out, "0\r\n\r\n", 5);
	job->out_len = 5;
	job->final_queued = true;
	return cgi_flush_out(c, job);
}

enum io_result cgi_step(struct conn *c)
{
	struct xfer *x = c->x;
	struct cgi_job *job = x->cgi;
	uint32_t events = 0;
	int status = 500;
	enum io_result rc;

	if (job->local_redirect)
		return local_redirect(c, job);
	rc = pump_body(c, &status);
	if (rc == IO_ERROR) {
		/* broken body framing or limit before the answer started:
		 * tell the client; otherwise all that is left is to close
		 * (a spooling job has no process: nothing was run) */
		if (job->head_done || status == 0)
			return IO_ERROR;
		cgi_job_detach(job, true);
		return conn_respond_error(c, status, true);
	}
	if (job->spooling) {
		if (rc == IO_OK)
			return cgi_spool_done(c, job);
		conn_set_events(c, EPOLLIN);
		return IO_AGAIN;
	}
	if (rc == IO_AGAIN && job->in_len == 0)
		events |= EPOLLIN;
	if (job->head_done) {
		char why[64];

		rc = flush_end(c, job);
		if (rc == IO_ERROR)
			return IO_ERROR;
		if (rc == IO_AGAIN)
			events |= EPOLLOUT;
		else if (job->stdout_eof && job->exited &&
			 cgi_out_complete(job) &&
			 cgi_exit_problem(job, why, sizeof(why)) != NULL)
			return cut_response(c, job, why);
		else if (job->stdout_eof && job->exited &&
			 cgi_out_complete(job)) {
			/* complete: a body the script never read still has
			 * to leave the connection before it can be reused */
			if (!job->body_done)
				x->keep_alive = false;
			if (job->has_length && job->length_left &&
			    !job->discard)
				x->keep_alive = false; /* short output */
			cgi_job_detach(job, false);
			return conn_response_done(c);
		}
	}
	if (job->body_done)
		events |= EPOLLRDHUP;
	conn_set_events(c, events);
	return IO_AGAIN;
}

void cgi_conn_timeout(struct conn *c)
{
	struct cgi_job *job = c->x->cgi;
	bool body_done = job->body_done;

	if (job->spooling) {
		/* RFC 9110 §15.5.9: the body did not come in body_timeout */
		cgi_job_detach(job, true);
		if (conn_respond_error(c, 408, true) == IO_ERROR)
			conn_close(c);
		else
			conn_run(c);
		return;
	}
	log_error("cgi: %s: no output for the cgi_timeout: killed",
		  c->x->route.script_file);
	if (job->head_done) {
		conn_close(c); /* the response is cut: nothing else to do */
		return;
	}
	cgi_job_detach(job, true);
	if (conn_respond_error(c, 504, !body_done) == IO_ERROR)
		conn_close(c);
	else
		conn_run(c);
}

void cgi_on_event(void *tag, uint32_t events)
{
	struct cgi_job *job = ((struct cgi_tag *)tag)->job;
	enum cgi_role role = ((struct cgi_tag *)tag)->role;
	struct conn *c = job->c;
	int wstatus;

	if (job->dead)
		return; /* an event of this batch for a job already over */
	/* detached (its client gone): its pipes to the client side are
	 * closed, and an event of this batch for one of them is stale */
	if (c == NULL && (role == ROLE_STDOUT || role == ROLE_STDIN))
		return;
	log_set_request_id(job->request_id);
	switch (role) {
	case ROLE_STDOUT:
		if (!cgi_read_stdout(job))
			return;
		break;
	case ROLE_STDERR:
		cgi_read_stderr(job);
		return;
	case ROLE_STDIN:
		if (events & (EPOLLERR | EPOLLHUP)) {
			/* the script closed its stdin: drop the rest */
			job->stdin_gone = true;
			job->in_len = 0;
			cgi_close_fd(job, ROLE_STDIN);
		} else if (!flush_stdin(job)) {
			return;
		}
		break; /* room again: the body can move on */
	case ROLE_PIDFD:
		if (cgi_reap(&job->proc, &wstatus) != 1)
			return;
		job->exited = true;
		job->wstatus = wstatus;
		cgi_close_fd(job, ROLE_PIDFD);
		if (c == NULL) {
			if (WIFSIGNALED(wstatus) && !job->killing)
				log_error("cgi: pid %d killed by signal %d",
					  (int)job->proc.pid,
					  WTERMSIG(wstatus));
			/* stragglers in its group go too */
			cgi_kill(&job->proc, SIGKILL);
			job_free(job);
			return;
		}
		if (!cgi_settle_head(job))
			return;
		break;
	default:
		return;
	}
	if (c && job->c == c)
		job->sink->wake(job);
}

/* ---- the HTTP/1.1 sink: the job is its connection's request ----------- */

static int http1_head(struct cgi_job *job)
{
	return conn_finish_head(job->c);
}

static void http1_wake(struct cgi_job *job)
{
	struct conn *c = job->c;

	if (c->state == CONN_CGI && c->x->cgi == job)
		conn_run(c);
}

static void http1_arm(struct cgi_job *job, uint64_t ms)
{
	conn_arm(job->c, ms);
}

/* called from the script's events: the client side must be driven from
 * here, nothing else will wake it */
static void http1_fail(struct conn *c, void *ctx, int status)
{
	(void)ctx;
	if (conn_respond_error(c, status, true) == IO_ERROR)
		conn_close(c);
	else
		conn_run(c);
}

static void http1_cut(struct conn *c, void *ctx)
{
	(void)ctx;
	conn_close(c);
}

const struct cgi_sink cgi_sink_http1 = {.head = http1_head,
					.wake = http1_wake,
					.arm = http1_arm,
					.fail = http1_fail,
					.cut = http1_cut};
