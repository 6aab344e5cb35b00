/*
 * cgi.c - runs CGI scripts (RFC 3875) inside the worker's event loop.
 *
 * A job ties a connection to a script: the request body streams to the
 * script's stdin as it is decoded, the script's stdout streams to the
 * client (cgi_out.c: Content-Length when the script gave one, else
 * chunked for HTTP/1.1, else close-delimited), stderr goes to the error
 * log.  This file: the job's life, the process, the request body.  Both
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
	cgi_close_fd(job, ROLE_STDERR);
	cgi_close_fd(job, ROLE_PIDFD);
	if (job->prev)
		job->prev->next = job->next;
	else
		w->cgi_jobs = job->next;
	if (job->next)
		job->next->prev = job->prev;
	w->cgi_count--;
	stats_sub(&w->stats->gauge[STAT_CGI], 1);
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
void cgi_job_detach(struct cgi_job *job, bool kill)
{
	uint64_t grace = job->c ? job->c->x->route.loc->timeouts.cgi : 0;

	if (job->c)
		job->c->x->cgi = NULL;
	job->c = NULL;
	cgi_close_fd(job, ROLE_STDIN);
	cgi_close_fd(job, ROLE_STDOUT);
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
		cgi_job_detach(c->x->cgi, true);
}

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
	if (!job->head_done && cgi_release_head(job, false) &&
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
	info.fields = req->fields;
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
	stats_add(&w->stats->gauge[STAT_CGI], 1);
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
	if (cgi_watch(job, ROLE_STDOUT, proc.stdout_fd, EPOLLIN) == -1 ||
	    cgi_watch(job, ROLE_PIDFD, proc.pidfd, EPOLLIN) == -1 ||
	    cgi_watch(job, ROLE_STDERR, proc.stderr_fd, EPOLLIN) == -1) {
		log_error("cgi: epoll_ctl: %s", strerror(errno));
		x->cgi = job;
		cgi_job_detach(job, true);
		return conn_respond_error(c, 503, has_body);
	}
	x->cgi = job;
	x->sink = SINK_CGI;
	x->body_limit = x->route.loc->client_max_body_size;
	job->body_done = !has_body;
	if (has_body && req->expect_continue && x->pos == x->len &&
	    req->minor >= 1)
		conn_send_continue(c);
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
		cgi_close_fd(job, ROLE_STDIN); /* EOF for the script */
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
	cgi_job_detach(job, true);
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
		cgi_job_detach(job, true);
		return conn_respond_error(c, status, true);
	}
	if (rc == IO_AGAIN && job->in_len == 0)
		events |= EPOLLIN;
	if (job->head_done) {
		rc = cgi_flush_out(c, job);
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
		cgi_close_fd(job, ROLE_PIDFD);
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
