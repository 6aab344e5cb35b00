/*
 * cgi_int.h - what cgi.c (jobs, processes, the request body) and
 * cgi_out.c (the script's output to the client) share.  Private to
 * src/worker.
 */
#ifndef WEBSERV_CGI_INT_H
#define WEBSERV_CGI_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgi.h"
#include "conn.h"

#define CGI_OUT_CAP	   (64 * 1024) /* framed output waiting for the client */
#define CGI_CHUNK_HEAD	   10	/* "%08zx\r\n": fixed width, no memmove */
#define CGI_KILL_GRACE_MS  1000 /* SIGTERM, then SIGKILL after this */
#define CGI_MAX_PER_WORKER 64	/* more concurrent scripts: 503 */
#define CGI_STDERR_LINES   100	/* per script; the rest is dropped */
#define CGI_REDIRECTS_MAX  4
/* Where chunked request bodies are spooled (see cgi.c). */
#define CGI_SPOOL_DIR "/tmp"
/* How long a parsed head is held back to learn the body's length: a
 * script that ends within it gets Content-Length, a streaming one starts
 * streaming (chunked) after it. */
#define CGI_HOLD_MS 20
/* A script's stdin buffer when an HTTP/2 stream feeds it: at least the
 * stream's receive window (65,535), which is what the client may send
 * before the pipe has taken any of it. */
#define CGI_STREAM_IN_CAP (64 * 1024)

enum cgi_role { ROLE_STDIN, ROLE_STDOUT, ROLE_STDERR, ROLE_PIDFD, ROLE_COUNT };

struct cgi_job;

/*
 * Where a job's response goes: the connection itself (HTTP/1.1, cgi.c's
 * cgi_sink_http1) or one HTTP/2 stream of it (h2.c).  The job reads the
 * script and builds x->resp; the sink puts it on the wire.
 */
struct cgi_sink {
	/* x->resp holds the script's head: encode it.  0 / -1 */
	int (*head)(struct cgi_job *job);
	/* the job has news (output, exit, a local redirect): drive it */
	void (*wake)(struct cgi_job *job);
	/* output moved: the script gets ms more (its cgi_timeout) */
	void (*arm)(struct cgi_job *job, uint64_t ms);
	/* the job is detached, nothing was sent: answer status */
	void (*fail)(struct conn *c, void *ctx, int status);
	/* the job is detached, the head was sent: the response is cut */
	void (*cut)(struct conn *c, void *ctx);
};

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
	struct xfer *x;		     /* its request (c->x for HTTP/1.1) */
	const struct cgi_sink *sink; /* where its response goes */
	void *sink_ctx;		     /* the sink's (h2: the stream) */
	bool raw;		     /* the sink frames the body (h2) */
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
	bool spooling;	  /* chunked body to spool_fd; no process yet */
	bool counted;	  /* the process counts in w->cgi_count */
	int spool_fd;	  /* the de-chunked body (unlinked file), or -1 */
	uint64_t spooled; /* bytes in spool_fd */
	bool body_done;	  /* request body fully received */
	bool stdin_gone;  /* the script closed its stdin */
	char *in;	  /* body bytes the pipe has not taken yet */
	size_t in_len;
	size_t in_cap;
	char *out; /* CGI head, then framed body for the client */
	size_t out_len;
	size_t out_sent;
	unsigned err_lines;
	char err[512];
	size_t err_len;
	/* its request's id, for log lines after the client is gone */
	char request_id[REQUEST_ID_MAX + 1];
	/* compress (DESIGN.md §10): the script's bytes wait in zin until
	 * the compressor has taken them into out; zpending: input, a flush
	 * or the end is still to be compressed */
	struct compressor *z;
	char *zin; /* CGI_OUT_CAP bytes */
	size_t zin_len, zin_pos;
	int zmode; /* enum compress_flush */
	bool zpending;
	bool zdirty; /* fed since the last flush */
	bool zdone;  /* the compressed stream is complete in out */
	/* The end of the response waits for the script's status (a script
	 * killed or failing after part of its output must not look
	 * complete): wstatus once exited, final chunk queued. */
	int wstatus;
	bool final_queued;
};

/* The HTTP/1.1 sink: the job is the connection's request. */
extern const struct cgi_sink cgi_sink_http1;

/* Start a script for x, a request of c that sink answers (an HTTP/2
 * stream): x->cgi is the job.  stdin_file: the script's stdin (a
 * spooled body, the caller's to close), or -1 for a pipe that is fed
 * (cgi_feed_job) when has_body, else closed.  length: CONTENT_LENGTH,
 * -1 none.  NULL with *status (502, 503) when it cannot run. */
struct cgi_job *cgi_start_job(struct conn *c, struct xfer *x,
			      const struct cgi_sink *sink, void *ctx,
			      bool has_body, int stdin_file, int64_t length,
			      int *status);
/* An unlinked file in CGI_SPOOL_DIR for a body of unknown length, or
 * -1 (errno). */
int cgi_spool_open(void);
/* Body bytes for the script's stdin: how many it took (the rest waits
 * for room: cgi_sink wake). */
size_t cgi_feed_job(struct cgi_job *job, const char *data, size_t n);
/* The request body is complete: EOF on the script's stdin once the
 * bytes pending went. */
void cgi_body_end(struct cgi_job *job);
/* A local redirect: x->req becomes a GET of x->redirect. */
void cgi_redirect_request(struct xfer *x, bool body_done);
/* Up to len body bytes of the output into buf (the head is built); the
 * pipe is read again once all went.  The count. */
size_t cgi_out_take(struct cgi_job *job, char *buf, size_t len);
/* After the output taken: 0 more may come, 1 the response is complete
 * (stdout ended, the script exited 0), -1 it failed (why in buf). */
int cgi_out_end(const struct cgi_job *job, char *why, size_t cap);

/* cgi_out.c: the compressed output is complete (or not compressed). */
bool cgi_out_complete(const struct cgi_job *job);

/* Watch fd for events, or take it out of epoll (events 0).  0 / -1. */
int cgi_watch(struct cgi_job *job, enum cgi_role role, int fd, uint32_t events);
/* Stop watching and close one of the script's fds. */
void cgi_close_fd(struct cgi_job *job, enum cgi_role role);
/* Cut the job from its connection; kill: the script is not wanted. */
void cgi_job_detach(struct cgi_job *job, bool kill);

/* cgi_start.c: a chunked body is spooled (bytes appended: 0, or -1 with
 * *status), then the script runs on it (IO_OK, or an error response). */
int cgi_spool_write(struct cgi_job *job, const char *data, size_t n,
		    int *status);
enum io_result cgi_spool_done(struct conn *c, struct cgi_job *job);

/* Read the script's stdout; false when the job is gone (502 sent). */
bool cgi_read_stdout(struct cgi_job *job);
/* Forward the script's stderr to the error log, rate-limited. */
void cgi_read_stderr(struct cgi_job *job);
/* The job ends: read what its stderr still holds, log the last line
 * even without its newline, close it. */
void cgi_end_stderr(struct cgi_job *job);
/* Stop holding the parsed head: build it.  false when the job is gone. */
bool cgi_release_head(struct cgi_job *job, bool length_known);
/* NULL when the script exited 0, else what happened ("killed by
 * signal 9", "exited with status 3") in buf.  Only once job->exited. */
const char *cgi_exit_problem(const struct cgi_job *job, char *buf, size_t cap);
/* stdout ended with the head held: once the status is known, build the
 * head (length known) or, if the script failed, answer 502.  false when
 * the job is gone. */
bool cgi_settle_head(struct cgi_job *job);
/* Send the response head, then the framed output.  IO_OK: all sent. */
enum io_result cgi_flush_out(struct conn *c, struct cgi_job *job);

#endif
