/*
 * harness.h - integration test support: start the real webserv binary
 * ($WEBSERV_BIN) on 127.0.0.1 with a free port and a temporary directory,
 * wait for READY=1 on a NOTIFY_SOCKET the test owns, talk raw HTTP, stop
 * it by its pid.
 */
#ifndef WEBSERV_TEST_HARNESS_H
#define WEBSERV_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct srv {
	pid_t pid;
	int port;
	int port2;	   /* a second free port for tests that need one */
	char dir[256];	   /* temp dir: config, docroot, logs */
	char cfg[320];	   /* dir/webserv.cfg */
	char err_log[320]; /* dir/error.log */
	int notify_fd;	   /* our NOTIFY_SOCKET */
	char notify_path[320];
};

/* A port nobody listens on right now (bind to 0, read it back). */
int free_port(void);
/* mkdtemp under /tmp; returns 0 / -1. */
int make_tmpdir(char *out, size_t cap);
/* Write len bytes (len -1: strlen) to dir/name, creating parents. */
int write_file(const char *dir, const char *name, const char *data, long len);
/* Read a whole file into a malloc'd buffer; NULL on error. */
char *read_file(const char *path, size_t *len);

/*
 * Prepare s: temp dir with www/ (index.html "hello\n"), free ports, and
 * the config from tmpl with @PORT@, @PORT2@ and @DIR@ substituted
 * (pid_file = @DIR@/webserv.pid and error_log = @DIR@/error.log are
 * conventions of the templates).
 */
int srv_prepare(struct srv *s, const char *tmpl);
/* Rewrite the config from tmpl (same substitutions). */
int srv_write_config(struct srv *s, const char *tmpl);
/* Start webserv with extra args (NULL-terminated, may be NULL) and wait
 * up to 10 s for READY=1.  0 / -1 (the process is stopped on failure). */
int srv_start(struct srv *s, const char *const *args);
/* Wait up to timeout_ms for a notify message containing text. 0 / -1. */
int srv_wait_notify(struct srv *s, const char *text, int timeout_ms);
/* SIGTERM, wait up to 15 s (then SIGKILL); returns the exit status as
 * from waitpid, and removes the temp dir. */
int srv_stop(struct srv *s);
/* Wait for the master to exit within timeout_ms; exit status or -1. */
int srv_wait_exit(struct srv *s, int timeout_ms);
/* Worker pids (children of the master); returns how many. */
int srv_workers(const struct srv *s, pid_t *pids, int max);
/* VmRSS of pid in KiB, -1 if unknown. */
long proc_rss_kb(pid_t pid);
/* After fork+exec of s->pid: wait up to 10 s ($WEBSERV_READY_MS) for
 * READY=1; on failure kill it.  0 / -1. */
int srv_await_ready(struct srv *s);
/* Run the binary with args, wait; captures stdout+stderr. exit code. */
int run_webserv(const char *const *args, char *out, size_t cap);

/* --- raw HTTP ----------------------------------------------------------- */
struct http_resp {
	int status;
	char head[16384]; /* status line + headers, NUL-terminated */
	char *body;	  /* malloc'd, NUL-terminated */
	size_t body_len;
	bool closed; /* server closed after it */
};

int http_connect(int port);
int send_all(int fd, const char *data, size_t len);
/* Read one response from fd (Content-Length, chunked or close-delimited).
 * head_only: the request was HEAD.  0 / -1 (timeout 10 s). */
int http_read(int fd, struct http_resp *r, bool head_only);
/* Connect, send raw, read one response, close.  0 / -1. */
int http_do(int port, const char *raw, struct http_resp *r);
/* GET path with Host: localhost, one connection. */
int http_get(int port, const char *path, struct http_resp *r);
/* Value of field name (case-insensitive) in a response head text (status
 * line first, CRLF lines), copied into out; NULL if absent. */
const char *head_field(const char *head, const char *name, char *out,
		       size_t cap);
/* Header value (case-insensitive name) copied into out; NULL if absent. */
const char *resp_header(const struct http_resp *r, const char *name, char *out,
			size_t cap);
void http_resp_free(struct http_resp *r);
/* True when the peer closed fd within timeout_ms (EOF or reset). */
bool wait_closed(int fd, int timeout_ms);

#endif
