/*
 * cgi_start.c - starting a CGI job (cgi.c runs it): the environment, the
 * process, and for a chunked request body the spool that comes first.
 *
 * A body with a Content-Length streams to the script's stdin pipe.  A
 * chunked body is de-chunked into an unlinked temporary file until it is
 * complete (client_max_body_size: 413; body_timeout: 408), and only then
 * is the script started, with the file as its stdin and CONTENT_LENGTH
 * set (RFC 3875 §4.1.2, §4.2), as nginx and lighttpd do.  Invariant: a
 * spooling job has no process (proc.pid == -1) and does not count in
 * w->cgi_count; a client that goes away mid-spool leaves nothing behind
 * (the file has no name) and nothing is run.  Never blocks but on the
 * spool's disk writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cgi.h"
#include "cgi_int.h"
#include "conn.h"
#include "log.h"
#include "router.h"

/* length: CONTENT_LENGTH, -1 for none. */
static char **build_env(struct conn *c, struct xfer *x, int64_t length)
{
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
	info.server_protocol = req->minor == 2 ? (struct slice){"HTTP/2.0", 8}
			       : req->minor    ? (struct slice){"HTTP/1.1", 8}
					       : (struct slice){"HTTP/1.0", 8};
	if (cgi_addr_text(&c->peer.sa, remote, sizeof(remote),
			  &info.remote_port) == 0)
		info.remote_addr = (struct slice){remote, strlen(remote)};
	info.content_length = length;
	info.content_type = req->content_type;
	info.https = c->ssl != NULL;
	info.fields = req->fields;
	info.request_id = (struct slice){x->request_id, strlen(x->request_id)};
	info.params = route->loc->cgi_params;
	info.param_count = route->loc->cgi_param_count;
	info.uri = (struct slice){route->path, route->path_len};
	info.scheme =
	    info.https ? (struct slice){"https", 5} : (struct slice){"http", 4};
	return cgi_build_env(&info);
}

/* Start the script; stdin_file: its stdin (a spooled body) or -1 for a
 * pipe.  0, or the status of the error response (502, 503). */
static int spawn(struct conn *c, struct xfer *x, struct cgi_proc *proc,
		 int stdin_file, int64_t length)
{
	const struct http_route *route = &x->route;
	char cwd[PATH_MAX];
	char *slash;
	char **envp = build_env(c, x, length);
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
		       stdin_file, -1, proc, &exec_errno);
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

/* The script runs: the job holds its process, which counts. */
static void job_attach(struct cgi_job *job, const struct cgi_proc *proc)
{
	struct worker *w = job->w;

	job->proc = *proc;
	job->counted = true;
	w->cgi_count++;
	stats_add(&w->stats->gauge[STAT_CGI], 1);
}

/* A job for x, a request of c; proc NULL: no process yet (a chunked
 * body spools).  Its sink is the HTTP/1.1 one. */
static struct cgi_job *job_new(struct conn *c, struct xfer *x,
			       const struct cgi_proc *proc)
{
	struct worker *w = c->w;
	struct cgi_job *job = calloc(1, sizeof(*job));

	if (job == NULL)
		return NULL;
	job->out = malloc(CGI_OUT_CAP);
	job->in_cap = x->cap;
	job->in = malloc(job->in_cap);
	if (job->out == NULL || job->in == NULL) {
		free(job->out);
		free(job->in);
		free(job);
		return NULL;
	}
	job->w = w;
	job->c = c;
	job->x = x;
	job->sink = &cgi_sink_http1;
	memcpy(job->request_id, x->request_id, sizeof(job->request_id));
	job->proc = (struct cgi_proc){.pid = -1,
				      .pidfd = -1,
				      .stdin_fd = -1,
				      .stdout_fd = -1,
				      .stderr_fd = -1};
	job->spool_fd = -1;
	job->timer.owner = TIMER_CGI;
	for (int r = 0; r < ROLE_COUNT; r++)
		job->tags[r] = (struct cgi_tag){
		    .kind = EV_CGI, .role = (enum cgi_role)r, .job = job};
	job->next = w->cgi_jobs;
	if (w->cgi_jobs)
		w->cgi_jobs->prev = job;
	w->cgi_jobs = job;
	if (proc)
		job_attach(job, proc);
	return job;
}

/* Put the script's fds in the epoll set; stdin is watched only while
 * bytes wait for room (flush_stdin).  0 / -1. */
static int watch_proc(struct cgi_job *job)
{
	const struct cgi_proc *proc = &job->proc;

	if (cgi_watch(job, ROLE_STDOUT, proc->stdout_fd, EPOLLIN) == -1 ||
	    cgi_watch(job, ROLE_PIDFD, proc->pidfd, EPOLLIN) == -1 ||
	    cgi_watch(job, ROLE_STDERR, proc->stderr_fd, EPOLLIN) == -1) {
		log_error("cgi: epoll_ctl: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Start the script for x and watch it: its job, or NULL with *status
 * (502, 503).  stdin_file: its stdin, or -1 for a pipe; length:
 * CONTENT_LENGTH, -1 none. */
static struct cgi_job *run(struct conn *c, struct xfer *x, int stdin_file,
			   int64_t length, int *status)
{
	struct cgi_proc proc;
	struct cgi_job *job;

	*status = spawn(c, x, &proc, stdin_file, length);
	if (*status != 0)
		return NULL;
	if ((job = job_new(c, x, &proc)) == NULL) {
		int wstatus;
		cgi_kill(&proc, SIGKILL);
		while (cgi_reap(&proc, &wstatus) == 0)
			usleep(1000);
		cgi_proc_close(&proc);
		*status = 503;
		return NULL;
	}
	if (watch_proc(job) == -1) {
		x->cgi = job;
		cgi_job_detach(job, true);
		*status = 503;
		return NULL;
	}
	return job;
}

/* The body goes to the job (its stdin, or its spool) from now on. */
static enum io_result take_body(struct conn *c, struct cgi_job *job,
				bool has_body, uint64_t deadline)
{
	struct xfer *x = c->x;

	x->cgi = job;
	x->sink = SINK_CGI;
	x->body_limit = x->route.loc->client_max_body_size;
	job->body_done = !has_body;
	if (has_body && x->req.expect_continue && x->pos == x->len &&
	    x->req.minor >= 1)
		conn_send_continue(c);
	c->state = CONN_CGI;
	conn_arm(c, deadline);
	return IO_OK;
}

/*
 * The unlinked file a chunked body is spooled to, in CGI_SPOOL_DIR
 * (/tmp): the FHS makes it exist and world-writable (sticky), so it
 * works after the workers dropped to `user`, whatever the config; the
 * script's or the upload directory need not be writable, or exist.
 * O_TMPFILE: the file never has a name, so nothing is left behind
 * whatever happens, and no name can be raced in the shared directory;
 * where the file system lacks it, mkostemp (O_EXCL) + unlink at once.
 * -1 with errno.
 */
int cgi_spool_open(void)
{
	char name[] = CGI_SPOOL_DIR "/webserv-cgi-XXXXXX";
	int fd = open(CGI_SPOOL_DIR, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd != -1)
		return fd;
	if ((fd = mkostemp(name, O_CLOEXEC)) != -1)
		unlink(name);
	return fd;
}

/* A chunked body: spool it (cgi_feed), then spawn (spool_done). */
static enum io_result spool_start(struct conn *c)
{
	struct cgi_job *job;
	int fd = cgi_spool_open();

	if (fd == -1) {
		log_error("cgi: cannot spool a chunked body in %s: %s",
			  CGI_SPOOL_DIR, strerror(errno));
		return conn_respond_error(c, 500, true);
	}
	if ((job = job_new(c, c->x, NULL)) == NULL) {
		close(fd);
		return conn_respond_error(c, 503, true);
	}
	job->spool_fd = fd;
	job->spooling = true;
	return take_body(c, job, true, conn_timeouts(c)->body);
}

/* The spooled body is complete: run the script on it.  IO_OK, or an
 * error response started. */
enum io_result cgi_spool_done(struct conn *c, struct cgi_job *job)
{
	struct cgi_proc proc;
	int status;

	if (c->w->cgi_count >= CGI_MAX_PER_WORKER) {
		cgi_job_detach(job, true);
		return refuse_busy(c, false);
	}
	if (lseek(job->spool_fd, 0, SEEK_SET) == -1) {
		log_error("cgi: lseek: %s", strerror(errno));
		status = 500;
	} else {
		status =
		    spawn(c, c->x, &proc, job->spool_fd, (int64_t)job->spooled);
	}
	if (status != 0) {
		cgi_job_detach(job, true);
		return conn_respond_error(c, status, false);
	}
	job_attach(job, &proc);
	close(job->spool_fd); /* the script holds it now */
	job->spool_fd = -1;
	job->spooling = false;
	if (watch_proc(job) == -1) {
		cgi_job_detach(job, true);
		return conn_respond_error(c, 503, false);
	}
	conn_arm(c, c->x->route.loc->timeouts.cgi);
	return IO_OK;
}

enum io_result cgi_start(struct conn *c)
{
	struct xfer *x = c->x;
	struct http_request *req = &x->req;
	bool has_body =
	    req->chunked || (req->has_length && req->content_length > 0);
	struct cgi_job *job;
	int status;

	if (c->w->cgi_count >= CGI_MAX_PER_WORKER)
		return refuse_busy(c, has_body);
	if (req->chunked)
		return spool_start(c);
	job = run(c, x, -1, req->has_length ? (int64_t)req->content_length : -1,
		  &status);
	if (job == NULL)
		return conn_respond_error(c, status, has_body);
	return take_body(c, job, has_body, x->route.loc->timeouts.cgi);
}

struct cgi_job *cgi_start_job(struct conn *c, struct xfer *x,
			      const struct cgi_sink *sink, void *ctx,
			      bool has_body, int stdin_file, int64_t length,
			      int *status)
{
	struct cgi_job *job;
	char *in;

	if (c->w->cgi_count >= CGI_MAX_PER_WORKER) {
		log_warn("cgi: %zu scripts running: refusing %s",
			 c->w->cgi_count, x->route.script_file);
		*status = 503;
		return NULL;
	}
	if ((job = run(c, x, stdin_file, length, status)) == NULL)
		return NULL;
	/* the stream may send its whole window before the pipe takes any */
	if (has_body && (in = realloc(job->in, CGI_STREAM_IN_CAP)) == NULL) {
		x->cgi = job;
		cgi_job_detach(job, true);
		*status = 503;
		return NULL;
	}
	if (has_body) {
		job->in = in;
		job->in_cap = CGI_STREAM_IN_CAP;
	}
	job->sink = sink;
	job->sink_ctx = ctx;
	job->raw = true;
	x->cgi = job;
	job->body_done = !has_body;
	if (!has_body)
		cgi_close_fd(job, ROLE_STDIN);
	return job;
}

/* Append decoded body bytes to the spool.  0, or -1 with *status. */
int cgi_spool_write(struct cgi_job *job, const char *data, size_t n,
		    int *status)
{
	while (n > 0) {
		ssize_t w = write(job->spool_fd, data, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			log_error("cgi: spooling a chunked body in %s: %s",
				  CGI_SPOOL_DIR,
				  w == 0 ? "short write" : strerror(errno));
			*status = 500;
			return -1;
		}
		data += w;
		n -= (size_t)w;
		job->spooled += (uint64_t)w;
	}
	return 0;
}
