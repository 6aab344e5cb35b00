/*
 * cgi.c - runs CGI scripts (RFC 3875) inside the worker's event loop.
 *
 * A job ties a connection to a script: the request body streams to the
 * script's stdin as it is decoded, the script's stdout streams to the
 * client (Content-Length when the script gave one, else chunked for
 * HTTP/1.1, else close-delimited), stderr goes to the error log.  Both
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
#include "conn.h"
#include "log.h"
#include "router.h"

#define CGI_OUT_CAP	   (64 * 1024) /* framed output waiting for the client */
#define CGI_CHUNK_HEAD	   10	/* "%08zx\r\n": fixed width, no memmove */
#define CGI_KILL_GRACE_MS  1000 /* SIGTERM, then SIGKILL after this */
#define CGI_MAX_PER_WORKER 64	/* more concurrent scripts: 503 */
#define CGI_STDERR_LINES   100	/* per script; the rest is dropped */
#define CGI_REDIRECTS_MAX  4
/* How long a parsed head is held back to learn the body's length: a
 * script that ends within it gets Content-Length, a streaming one starts
 * streaming (chunked) after it. */
#define CGI_HOLD_MS 20

enum cgi_role { ROLE_STDIN, ROLE_STDOUT, ROLE_STDERR, ROLE_PIDFD, ROLE_COUNT };

struct cgi_tag {
	enum ev_kind kind; /* EV_CGI, first: the loop dispatches on it */
	enum cgi_role role;
	struct cgi_job *job;
};

struct cgi_job {
	struct cgi_tag tags[ROLE_COUNT];
	bool watched[ROLE_COUNT]; /* in the epoll set */
	struct worker *w;
	struct conn *c;		     /* NULL once detached */
	struct cgi_job *prev, *next; /* w->cgi_jobs */
	struct cgi_proc proc;
	struct timer timer; /* detached: next kill step */
	bool killing;	    /* SIGTERM sent */
	bool dead;	    /* freed at the end of the loop turn */
	bool exited;
	bool stdout_eof;
	bool stdout_paused;
	bool local_redirect; /* head said: re-run as GET of Location */
	size_t head_len;     /* CGI head parsed: its length in out */
	bool head_done;	     /* response head built */
	bool chunked;	     /* chunked framing to the client */
	bool discard;	     /* body not sent (HEAD, 204, 304) */
	bool has_length;     /* the script gave Content-Length */
	uint64_t length_left;
	bool body_done;	 /* request body fully received */
	bool stdin_gone; /* the script closed its stdin */
	char *in;	 /* body bytes the pipe has not taken yet */
	size_t in_len;
	size_t in_cap;
	char *out; /* CGI head, then framed body for the client */
	size_t out_len;
	size_t out_sent;
	unsigned err_lines;
	char err[512];
	size_t err_len;
};

/*
 * Watch fd for events, or stop watching it (events 0).  A pipe that is
 * merely masked would still report EPOLLHUP/EPOLLERR (level-triggered:
 * forever), so "not now" means out of the epoll set.  0 / -1.
 */
static int watch(struct cgi_job *job, enum cgi_role role, int fd,
		 uint32_t events)
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

static void close_fd(struct cgi_job *job, enum cgi_role role)
{
	int *fds[ROLE_COUNT] = {&job->proc.stdin_fd, &job->proc.stdout_fd,
				&job->proc.stderr_fd, &job->proc.pidfd};
	int *fd = fds[role];

	if (*fd == -1)
		return;
	watch(job, role, *fd, 0);
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
	close_fd(job, ROLE_STDIN);
	close_fd(job, ROLE_STDOUT);
	close_fd(job, ROLE_STDERR);
	close_fd(job, ROLE_PIDFD);
	if (job->prev)
		job->prev->next = job->next;
	else
		w->cgi_jobs = job->next;
	if (job->next)
		job->next->prev = job->prev;
	w->cgi_count--;
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
		free(job);
	}
}

/* Kill step: SIGTERM to the group, then SIGKILL after a grace. */
static void kill_step(struct cgi_job *job)
{
	if (job->exited)
		return;
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
static void job_detach(struct cgi_job *job, bool kill)
{
	uint64_t grace = job->c ? job->c->x->route.loc->timeouts.cgi : 0;

	if (job->c)
		job->c->x->cgi = NULL;
	job->c = NULL;
	close_fd(job, ROLE_STDIN);
	close_fd(job, ROLE_STDOUT);
	if (job->exited) {
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
		job_detach(c->x->cgi, true);
}

static bool release_head(struct cgi_job *job, bool length_known);

void cgi_on_timer(struct timer *t)
{
	struct cgi_job *job =
	    (struct cgi_job *)((char *)t - offsetof(struct cgi_job, timer));
	struct conn *c = job->c;

	if (c == NULL) {
		kill_step(job);
		return;
	}
	/* the head hold is over: the script streams */
	if (!job->head_done && release_head(job, false) &&
	    c->state == CONN_CGI && c->x->cgi == job)
		conn_run(c);
}

void cgi_kill_all(struct worker *w)
{
	while (w->cgi_jobs) {
		struct cgi_job *job = w->cgi_jobs;
		if (job->c)
			job->c->x->cgi = NULL;
		if (!job->exited) {
			int status;
			cgi_kill(&job->proc, SIGKILL);
			while (cgi_reap(&job->proc, &status) == 0)
				usleep(1000);
		}
		job_free(job);
	}
}

/* --- start ------------------------------------------------------------ */

static char **build_env(struct conn *c)
{
	struct xfer *x = c->x;
	const struct http_request *req = &x->req;
	const struct http_route *route = &x->route;
	struct cgi_request_info info = {0};
	struct sockaddr_storage local;
	socklen_t local_len = sizeof(local);
	char remote[INET6_ADDRSTRLEN], server[INET6_ADDRSTRLEN];
	const char *path_info = route->path + route->script_len;
	const struct server *srv = route->server;

	info.method = req->method_name;
	info.request_uri = req->target;
	info.query = req->query;
	info.script_name = (struct slice){route->path, route->script_len};
	info.path_info = (struct slice){path_info, strlen(path_info)};
	info.script_filename =
	    (struct slice){route->script_file, strlen(route->script_file)};
	info.document_root =
	    (struct slice){route->script_base, strlen(route->script_base)};
	info.server_name = router_host_name(req->host);
	if (info.server_name.len == 0 && srv->name_count)
		info.server_name =
		    (struct slice){srv->names[0], strlen(srv->names[0])};
	if (getsockname(c->fd, (struct sockaddr *)&local, &local_len) == 0 &&
	    cgi_addr_text((struct sockaddr *)&local, server, sizeof(server),
			  &info.server_port) == 0) {
		info.server_addr = (struct slice){server, strlen(server)};
		if (info.server_name.len == 0)
			info.server_name = info.server_addr;
	}
	info.server_protocol = req->minor ? (struct slice){"HTTP/1.1", 8}
					  : (struct slice){"HTTP/1.0", 8};
	if (cgi_addr_text(&c->peer.sa, remote, sizeof(remote),
			  &info.remote_port) == 0)
		info.remote_addr = (struct slice){remote, strlen(remote)};
	info.content_length =
	    req->has_length ? (int64_t)req->content_length : -1;
	info.content_type = req->content_type;
	info.headers = req->headers;
	info.header_count = req->header_count;
	return cgi_build_env(&info);
}

static int spawn(struct conn *c, struct cgi_proc *proc)
{
	const struct http_route *route = &c->x->route;
	char cwd[PATH_MAX];
	char *slash;
	char **envp = build_env(c);
	int exec_errno = 0;
	int rc;

	if (envp == NULL)
		return 503;
	/* RFC 3875 §7.2: the working directory is the script's */
	snprintf(cwd, sizeof(cwd), "%s", route->script_file);
	slash = strrchr(cwd, '/');
	if (slash && slash != cwd)
		*slash = '\0';
	rc = cgi_spawn(route->cgi->interpreter, route->script_file, cwd, envp,
		       -1, proc, &exec_errno);
	cgi_free_env(envp);
	if (rc == 0)
		return 0;
	if (exec_errno) {
		log_error("cgi: cannot run %s %s: %s", route->cgi->interpreter,
			  route->script_file, strerror(exec_errno));
		return 502;
	}
	log_error("cgi: cannot start %s: %s", route->script_file,
		  strerror(errno));
	return 503;
}

static enum io_result refuse_busy(struct conn *c, bool has_body)
{
	struct xfer *x = c->x;
	struct http_ctx ctx = {
	    .cfg = c->w->cfg, .listen_idx = c->listen_idx, .peer = &c->peer.sa};

	log_warn("cgi: %zu scripts running: refusing %s", c->w->cgi_count,
		 x->route.script_file);
	response_reset(&x->resp);
	http_error(&ctx, &x->route, 503, x->head_only, &x->resp);
	response_header(&x->resp, "Retry-After", "5");
	x->resp.close = has_body;
	return conn_begin_write(c);
}

static struct cgi_job *job_new(struct conn *c, const struct cgi_proc *proc)
{
	struct worker *w = c->w;
	struct cgi_job *job = calloc(1, sizeof(*job));

	if (job == NULL)
		return NULL;
	job->out = malloc(CGI_OUT_CAP);
	job->in_cap = c->x->cap;
	job->in = malloc(job->in_cap);
	if (job->out == NULL || job->in == NULL) {
		free(job->out);
		free(job->in);
		free(job);
		return NULL;
	}
	job->w = w;
	job->c = c;
	job->proc = *proc;
	job->timer.owner = TIMER_CGI;
	for (int r = 0; r < ROLE_COUNT; r++)
		job->tags[r] = (struct cgi_tag){
		    .kind = EV_CGI, .role = (enum cgi_role)r, .job = job};
	job->next = w->cgi_jobs;
	if (w->cgi_jobs)
		w->cgi_jobs->prev = job;
	w->cgi_jobs = job;
	w->cgi_count++;
	return job;
}

enum io_result cgi_start(struct conn *c)
{
	struct xfer *x = c->x;
	struct http_request *req = &x->req;
	bool has_body =
	    req->chunked || (req->has_length && req->content_length > 0);
	struct cgi_proc proc;
	struct cgi_job *job;
	int status;

	if (c->w->cgi_count >= CGI_MAX_PER_WORKER)
		return refuse_busy(c, has_body);
	if ((status = spawn(c, &proc)) != 0)
		return conn_respond_error(c, status, has_body);
	if ((job = job_new(c, &proc)) == NULL) {
		int wstatus;
		cgi_kill(&proc, SIGKILL);
		while (cgi_reap(&proc, &wstatus) == 0)
			usleep(1000);
		cgi_proc_close(&proc);
		return conn_respond_error(c, 503, has_body);
	}
	/* stdin is watched only while bytes wait for room (flush_stdin) */
	if (watch(job, ROLE_STDOUT, proc.stdout_fd, EPOLLIN) == -1 ||
	    watch(job, ROLE_PIDFD, proc.pidfd, EPOLLIN) == -1 ||
	    watch(job, ROLE_STDERR, proc.stderr_fd, EPOLLIN) == -1) {
		log_error("cgi: epoll_ctl: %s", strerror(errno));
		x->cgi = job;
		job_detach(job, true);
		return conn_respond_error(c, 503, has_body);
	}
	x->cgi = job;
	x->sink = SINK_CGI;
	x->body_limit = x->route.loc->client_max_body_size;
	job->body_done = !has_body;
	if (has_body && req->expect_continue && x->pos == x->len &&
	    req->minor >= 1)
		send(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25,
		     MSG_NOSIGNAL | MSG_DONTWAIT);
	c->state = CONN_CGI;
	conn_arm(c, x->route.loc->timeouts.cgi);
	return IO_OK;
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
			close_fd(job, ROLE_STDIN);
		}
	}
	if (job->stdin_gone)
		done = job->in_len;
	memmove(job->in, job->in + done, job->in_len - done);
	job->in_len -= done;
	if (watch(job, ROLE_STDIN, job->proc.stdin_fd,
		  job->in_len ? EPOLLOUT : 0) == -1) {
		job->stdin_gone = true;
		job->in_len = 0;
		close_fd(job, ROLE_STDIN);
	}
	return job->in_len == 0;
}

int cgi_feed(struct conn *c, const char *data, size_t n, int *status)
{
	struct cgi_job *job = c->x->cgi;

	if (job->stdin_gone)
		return 0;
	/* everything fed between two reads fits: in_cap is the buffer size */
	if (n > job->in_cap - job->in_len) {
		*status = 500;
		return -1;
	}
	memcpy(job->in + job->in_len, data, n);
	job->in_len += n;
	flush_stdin(job);
	return 0;
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
		close_fd(job, ROLE_STDIN); /* EOF for the script */
	return IO_OK;
}

/* --- stdout -> client ---------------------------------------------------- */

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

/* The CGI head is parsed and held: build the client's response head.
 * length_known: stdout ended, so what is buffered is the whole body. */
static int build_head(struct cgi_job *job, bool length_known)
{
	struct xfer *x = job->c->x;
	struct response *resp = &x->resp;
	size_t head_len = job->head_len;
	size_t body = job->out_len - head_len;
	struct cgi_response_head *h = malloc(sizeof(*h));
	int rc = -1;

	/* stateless parser: the same bytes give the same head again */
	if (h == NULL || cgi_parse_head(job->out, job->out_len, CGI_HEAD_LIMIT,
					h) != (int)head_len)
		goto done;
	if (length_known && h->content_length < 0)
		h->content_length = (int64_t)body;

	if (h->kind == CGI_RESPONSE_LOCAL_REDIRECT &&
	    x->redirects < CGI_REDIRECTS_MAX) {
		free(x->redirect);
		x->redirect = strndup(h->location.ptr, h->location.len);
		if (x->redirect == NULL)
			goto done;
		job->local_redirect = true;
		rc = 0;
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
	if (!response_status_has_body(h->status)) {
		/* no framing headers at all (RFC 9110 §8.6) */
	} else if (job->discard && !x->head_only) {
		response_header(resp, "Content-Length", "0");
	} else if (h->content_length >= 0) {
		job->has_length = true;
		job->length_left = (uint64_t)h->content_length;
		response_header(resp, "Content-Length", "%lld",
				(long long)h->content_length);
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
	if (conn_finish_head(job->c) == -1)
		goto done;
	job->head_done = true;
	timer_disarm(&job->timer);
	/* what followed the CGI head is the first piece of the body */
	body = job->discard ? 0 : clamp(job, body);
	memmove(job->out + (job->chunked ? CGI_CHUNK_HEAD : 0),
		job->out + head_len, body);
	job->out_len = 0;
	if (body)
		frame(job, body);
	if (job->chunked && job->stdout_eof) {
		memcpy(job->out + job->out_len, "0\r\n\r\n", 5);
		job->out_len += 5;
	}
	rc = 0;
done:
	free(h);
	return rc;
}

/* Answer 502 for a script whose output can't be used. */
static void bad_gateway(struct cgi_job *job, const char *why)
{
	struct conn *c = job->c;

	log_error("cgi: %s: %s", c->x->route.script_file, why);
	job_detach(job, true);
	/* called from the script's events: the client side must be
	 * driven from here, nothing else will wake it */
	if (conn_respond_error(c, 502, true) == IO_ERROR)
		conn_close(c);
	else
		conn_run(c);
}

/* Stop holding the head: build it now.  false when the job is gone. */
static bool release_head(struct cgi_job *job, bool length_known)
{
	if (build_head(job, length_known) == 0)
		return true;
	bad_gateway(job, "cannot build the response head");
	return false;
}

/* Read the script's stdout into the output buffer.  false when the job
 * is gone (detached after an error). */
static bool read_stdout(struct cgi_job *job)
{
	while (!job->stdout_eof && !job->local_redirect) {
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
			watch(job, ROLE_STDOUT, job->proc.stdout_fd, 0);
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
			close_fd(job, ROLE_STDOUT);
			if (!job->head_done && job->head_len)
				return release_head(job, true);
			if (!job->head_done) {
				bad_gateway(
				    job, job->out_len
					     ? "output ends inside its header"
					     : "no output");
				return false;
			}
			if (job->chunked) {
				memcpy(job->out + job->out_len, "0\r\n\r\n", 5);
				job->out_len += 5;
			}
			return true;
		}
		if (job->c)
			conn_arm(job->c, job->c->x->route.loc->timeouts.cgi);
		if (job->head_done) {
			if (!job->discard &&
			    (n = (ssize_t)clamp(job, (size_t)n)))
				frame(job, (size_t)n);
			continue;
		}
		job->out_len += (size_t)n;
		if (job->head_len) {
			/* holding the head: send once the buffer is full */
			if (CGI_OUT_CAP - job->out_len < CGI_CHUNK_HEAD + 1024)
				return release_head(job, false);
			continue;
		}
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
			return release_head(job, false);
	}
	return true;
}

static void read_stderr(struct cgi_job *job)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(job->proc.stderr_fd, buf, sizeof(buf))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return;
		for (ssize_t i = 0; i < n; i++) {
			bool eol = buf[i] == '\n';
			if (!eol && job->err_len < sizeof(job->err) - 1)
				job->err[job->err_len++] = buf[i];
			if (!eol && job->err_len < sizeof(job->err) - 1)
				continue;
			/* rate limit: a chatty script can't flood the log */
			if (job->err_lines < CGI_STDERR_LINES)
				log_warn("cgi stderr (pid %d): %.*s",
					 (int)job->proc.pid, (int)job->err_len,
					 job->err);
			else if (job->err_lines == CGI_STDERR_LINES)
				log_warn("cgi stderr (pid %d): more output "
					 "dropped",
					 (int)job->proc.pid);
			job->err_lines++;
			job->err_len = 0;
		}
	}
	close_fd(job, ROLE_STDERR);
}

/* Send the head, then the framed output.  IO_OK: all sent. */
static enum io_result flush_out(struct conn *c, struct cgi_job *job)
{
	struct xfer *x = c->x;
	struct response *resp = &x->resp;

	while (x->head_sent < resp->head_len || job->out_sent < job->out_len) {
		bool head = x->head_sent < resp->head_len;
		const char *p =
		    head ? resp->head + x->head_sent : job->out + job->out_sent;
		size_t len = head ? resp->head_len - x->head_sent
				  : job->out_len - job->out_sent;
		int more = head && job->out_len ? MSG_MORE : 0;
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | more);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return errno == EAGAIN ? IO_AGAIN : IO_ERROR;
		if (head) {
			x->head_sent += (size_t)n;
		} else {
			job->out_sent += (size_t)n;
			x->body_bytes += (uint64_t)n;
		}
		conn_arm(c, x->route.loc->timeouts.cgi);
	}
	job->out_len = job->out_sent = 0;
	if (job->stdout_paused && job->proc.stdout_fd != -1) {
		job->stdout_paused = false;
		watch(job, ROLE_STDOUT, job->proc.stdout_fd, EPOLLIN);
	}
	return IO_OK;
}

/* Location: /local with no Status: serve that URI instead (RFC 3875
 * §6.2.2), as a GET, the script's own output dropped. */
static enum io_result local_redirect(struct conn *c, struct cgi_job *job)
{
	struct xfer *x = c->x;
	struct http_request *req = &x->req;
	char *query = strchr(x->redirect, '?');

	if (!job->body_done)
		req->keep_alive = false; /* the rest is not read */
	job_detach(job, true);
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
	req->has_length = false;
	req->content_length = 0;
	req->chunked = false;
	response_reset(&x->resp);
	x->head_sent = 0;
	return conn_start_request(c);
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
		 * tell the client; otherwise all that is left is to close */
		if (job->head_done || status == 0)
			return IO_ERROR;
		job_detach(job, true);
		return conn_respond_error(c, status, true);
	}
	if (rc == IO_AGAIN && job->in_len == 0)
		events |= EPOLLIN;
	if (job->head_done) {
		rc = flush_out(c, job);
		if (rc == IO_ERROR)
			return IO_ERROR;
		if (rc == IO_AGAIN)
			events |= EPOLLOUT;
		else if (job->stdout_eof) {
			/* complete: a body the script never read still has
			 * to leave the connection before it can be reused */
			if (!job->body_done)
				x->keep_alive = false;
			if (job->has_length && job->length_left &&
			    !job->discard)
				x->keep_alive = false; /* short output */
			job_detach(job, false);
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

	log_error("cgi: %s: no output for the cgi_timeout: killed",
		  c->x->route.script_file);
	if (job->head_done) {
		conn_close(c); /* the response is cut: nothing else to do */
		return;
	}
	job_detach(job, true);
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
	switch (role) {
	case ROLE_STDOUT:
		if (!read_stdout(job))
			return;
		break;
	case ROLE_STDERR:
		read_stderr(job);
		return;
	case ROLE_STDIN:
		if (events & (EPOLLERR | EPOLLHUP)) {
			/* the script closed its stdin: drop the rest */
			job->stdin_gone = true;
			job->in_len = 0;
			close_fd(job, ROLE_STDIN);
		} else if (!flush_stdin(job)) {
			return;
		}
		break; /* room again: the body can move on */
	case ROLE_PIDFD:
		if (cgi_reap(&job->proc, &wstatus) != 1)
			return;
		job->exited = true;
		close_fd(job, ROLE_PIDFD);
		if (WIFSIGNALED(wstatus) && !job->killing)
			log_error("cgi: pid %d killed by signal %d",
				  (int)job->proc.pid, WTERMSIG(wstatus));
		if (c == NULL) {
			/* stragglers in its group go too */
			cgi_kill(&job->proc, SIGKILL);
			job_free(job);
			return;
		}
		break;
	default:
		return;
	}
	if (c && c->state == CONN_CGI && c->x->cgi == job)
		conn_run(c);
}
