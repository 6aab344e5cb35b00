/*
 * conn.h - a worker's event loop objects: the worker context and its
 * connections.  Shared by worker.c (loop, accept, commands) and conn.c
 * (the per-connection state machine); nothing outside src/worker uses it.
 *
 * epoll_event.data.ptr always points to an object whose first member is
 * an enum ev_kind, so the loop can dispatch on it.
 */
#ifndef WEBSERV_CONN_H
#define WEBSERV_CONN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "body.h"
#include "config.h"
#include "handler.h"
#include "http.h"
#include "request_id.h"
#include "response.h"
#include "stats.h"
#include "timer.h"

enum ev_kind { EV_LISTENER = 1, EV_CONN, EV_CHANNEL, EV_SIGNAL, EV_CGI };

/* Result of one non-blocking step (DESIGN.md §6). */
enum io_result { IO_OK, IO_AGAIN, IO_ERROR };

struct listener {
	enum ev_kind kind;
	int fd;
	size_t idx;	 /* config.listens[idx] */
	bool registered; /* in our epoll set */
};

struct conn;
struct cgi_job;

struct worker {
	const struct config *cfg;
	int epfd;
	enum ev_kind chan_kind; /* epoll tag for chan */
	int chan;
	enum ev_kind sig_kind; /* epoll tag for sigfd */
	int sigfd;
	struct listener *listeners;
	size_t listener_count;
	struct conn **conns; /* indexed by fd */
	size_t conn_cap;
	size_t conn_count;
	struct conn *dead; /* closed, freed at the end of the loop turn */
	size_t cgi_count;  /* CGI processes not yet reaped */
	struct cgi_job *cgi_jobs; /* every job, attached or not */
	struct cgi_job *cgi_dead; /* over, freed at the end of the turn */
	struct xfer *xfer_pool;	  /* freed request states, reused */
	struct file_cache *files; /* open static files */
	uint64_t files_swept;	  /* when fc_sweep last ran */
	size_t xfer_pooled;
	struct timers timers;
	uint64_t now; /* ms, monotonic, updated once per turn */
	bool draining;
	bool stopping;
	uint64_t drain_deadline;
	uint64_t accept_resume;	  /* accepting paused until (EMFILE) */
	unsigned accepts;	  /* since the last EPOLLEXCLUSIVE re-arm */
	int access_fd;		  /* -1: off */
	struct stats_slot *stats; /* this worker's counters (shared map) */
	const struct stats_shared *stats_all; /* everyone's: status pages */
	/* access_log_buffer: whole lines waiting (access_log.c) */
	char *access_buf;
	size_t access_len;
	uint64_t access_flush_at; /* ms: when access_buf must go out */
};

enum conn_state {
	CONN_READ_HEAD, /* idle (x == NULL) or reading a request head */
	CONN_READ_BODY,
	CONN_WRITE,
	CONN_CGI,    /* body to the script, its output to the client */
	CONN_LINGER, /* response sent, draining input before close */
	CONN_CLOSED,
	CONN_TLS_HANDSHAKE, /* before READ_HEAD on a TLS address */
	CONN_PROXY,	    /* reading the PROXY header (before TLS and HTTP) */
	CONN_H2,	    /* an HTTP/2 session (h2.c) */
};

enum body_sink { SINK_NONE, SINK_DISCARD, SINK_UPLOAD, SINK_CGI };

/* Per-request state: taken when bytes arrive, given back when idle (to a
 * small per-worker pool, so keep-alive traffic does not malloc). */
struct xfer {
	struct xfer *next_free; /* in worker.xfer_pool */
	struct http_request req;
	struct http_route route;
	struct response resp;
	enum body_sink sink;
	bool chunked;
	uint64_t body_left; /* Content-Length bytes still to come */
	uint64_t body_limit;
	struct chunked dec;
	struct upload *upload;
	struct cgi_job *cgi; /* CONN_CGI: the running script */
	char *redirect;	     /* CGI local redirect target (owned) */
	unsigned redirects;  /* internal redirects of this request */
	bool parsed;	     /* req holds a parsed head */
	bool logged;	     /* its access-log line is written */
	bool head_only;
	bool keep_alive; /* decided when the response starts */
	/* a body was left unread (a CGI redirected before taking it all):
	 * the connection ends with a lingering read, not a reset */
	bool body_unread;
	size_t head_sent;
	size_t mem_sent;
	uint64_t body_bytes; /* response body bytes sent (access log) */
	size_t head_len;     /* request head length in buf */
	size_t pos;	     /* first unprocessed byte in buf */
	size_t len;	     /* bytes in buf */
	/* X-Request-Id: kept from the request or made; "" until the
	 * request is counted */
	char request_id[REQUEST_ID_MAX + 1];
	uint64_t started; /* ms (worker.now): $request_time */
	size_t cap;
	char buf[];
};

struct conn {
	enum ev_kind kind;
	enum conn_state state;
	int fd;
	uint32_t events; /* current epoll interest */
	bool in_epoll;	 /* false until the first pass at accept is over */
	bool heard;	 /* a byte of a request has arrived */
	uint8_t phase;	 /* STAT_WAITING, _READING or _WRITING: the
			  * gauge this connection counts in */
	uint32_t listen_idx;
	struct worker *w;
	struct xfer *x; /* NULL while idle */
	struct timer timer;
	uint64_t progress; /* bytes moved since the timer was armed */
	struct conn *next_dead;
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} peer;
	/* TLS (conn_tls.c); ssl NULL on a cleartext address */
	struct ssl_st *ssl;
	const struct server *tls_server; /* chosen by SNI, else default */
	bool tls_sni;			 /* the client sent a server name */
	bool tls_sniffed;		 /* first bytes looked at */
	bool tls_plain;			 /* cleartext on a TLS address: 400 */
	bool tls_flip;			 /* a read waits to write */
	/* Behind a balancer (conn_proxy.c): the address the connection
	 * comes from (the TCP peer, or the PROXY header's source); peer is
	 * the client: hop, or X-Forwarded-For's answer for this request
	 * when hop is in real_ip_from. */
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} hop;
	unsigned char *proxy_buf; /* CONN_PROXY: the header so far */
	size_t proxy_len;
	/* HTTP/2 (h2.c): the session once the preface came, else NULL;
	 * h2_off: the first bytes were no preface (HTTP/1.1 for good) */
	struct h2_session *h2;
	bool h2_off;
};

/* Take over an accepted socket.  NULL on ENOMEM (fd closed). */
struct conn *conn_new(struct worker *w, int fd, size_t listen_idx,
		      const struct sockaddr *peer, socklen_t peer_len);
/* epoll told us about c. */
void conn_on_event(struct conn *c, uint32_t events);
/* c's deadline passed. */
void conn_on_timeout(struct conn *c);
/* The worker started draining: close c if idle (after a short grace). */
void conn_drain(struct conn *c);
/* Close now; the struct is freed at the end of the loop turn. */
void conn_close(struct conn *c);
/* Free the closed connections. */
void conn_free_dead(struct worker *w);
/* Free the pooled request states (worker exit). */
void conn_free_pool(struct worker *w);
/* Run c's state machine until it has to wait (conn.c). */
void conn_run(struct conn *c);
/* Steps conn.c shares with cgi.c. */
int conn_finish_head(struct conn *c);
enum io_result conn_begin_write(struct conn *c);
enum io_result conn_respond_error(struct conn *c, int status, bool must_close);
enum io_result conn_response_done(struct conn *c);
/* Consume buffered body bytes into the sink: IO_OK body complete,
 * IO_AGAIN more input needed, IO_ERROR with *status. */
enum io_result conn_consume_body(struct conn *c, int *status);
/* recv more request bytes after compacting: >0 bytes, 0 EOF, -1 errno. */
ssize_t conn_recv_body(struct conn *c);
/* Re-handle the request after an internal redirect (CGI Location). */
enum io_result conn_start_request(struct conn *c);
void conn_set_events(struct conn *c, uint32_t events);
/* Expect: 100-continue (RFC 9110 §10.1.1): tell the client to send. */
void conn_send_continue(struct conn *c);
/* The READ_BODY state and its entries (conn_body.c). */
enum io_result conn_start_body(struct conn *c, enum body_sink sink,
			       uint64_t limit);
enum io_result conn_finish_body(struct conn *c);
enum io_result conn_step_read_body(struct conn *c);
/* The WRITE state (conn_write.c). */
enum io_result conn_step_write(struct conn *c);
/* Timeouts that apply to c now (its location's, else the server's). */
const struct timeouts *conn_timeouts(const struct conn *c);
/* Count n bytes moved; the phase deadline (duration) moves on only
 * after MIN_PROGRESS bytes, so a trickling client is still cut. */
void conn_progress(struct conn *c, size_t n, uint64_t duration);
void conn_arm(struct conn *c, uint64_t duration);

/* Transport (conn_tls.c): the socket calls, or OpenSSL on a TLS
 * address.  >0 bytes, 0 EOF (recv), -1 with errno (EAGAIN: wait). */
ssize_t conn_recv(struct conn *c, void *buf, size_t len);
ssize_t conn_send(struct conn *c, const void *buf, size_t len, bool more);
ssize_t conn_sendv(struct conn *c, const struct iovec *iov, int count,
		   bool more);
ssize_t conn_send_file(struct conn *c, int fd, off_t off, size_t len);
/* Register the SNI callback on every server context (worker start). */
void conn_tls_init(const struct config *cfg);
/* A connection on a TLS address: its SSL, state CONN_TLS_HANDSHAKE. */
int conn_tls_start(struct conn *c);
enum io_result conn_tls_step_handshake(struct conn *c);
/* Bytes wait inside OpenSSL, decrypted or not (epoll cannot tell). */
bool conn_tls_pending(const struct conn *c);
/* The largest TLS record's payload (RFC 8446 §5.1) */
#define CONN_TLS_RECORD 16384
/* close_notify, best effort. */
void conn_tls_shutdown(struct conn *c);
void conn_tls_free(struct conn *c);
/* The 400 for a cleartext request on a TLS address. */
enum io_result conn_tls_plain_reply(struct conn *c);
/* Host picked srv, SNI another server with another certificate: 421. */
bool conn_tls_misdirected(const struct conn *c, const struct server *srv);

/* Behind a balancer (conn_proxy.c).  A request begins: peer is hop, or
 * the X-Forwarded-For client when hop is trusted (real_ip_from). */
void conn_real_ip(struct conn *c);
/* Between requests: peer is hop again. */
void conn_peer_from_hop(struct conn *c);
/* A connection on a proxy_protocol address: state CONN_PROXY, the
 * header deadline armed; the step reads it, then TLS or HTTP begins. */
void conn_proxy_start(struct conn *c);
enum io_result conn_proxy_step(struct conn *c);
void conn_proxy_free(struct conn *c);

/* CGI driver (cgi.c). */
enum io_result cgi_start(struct conn *c);
enum io_result cgi_step(struct conn *c);
/* Decoded request body bytes for the script.  0 / -1 (*status). */
int cgi_feed(struct conn *c, const char *data, size_t n, int *status);
/* epoll reported one of a script's fds (tag: its data.ptr). */
void cgi_on_event(void *tag, uint32_t events);
void cgi_on_timer(struct timer *t);
void cgi_conn_timeout(struct conn *c);
/* The connection goes away: kill the script (TERM, later KILL). */
void cgi_detach(struct conn *c);
/* Worker exit: SIGKILL every script still running, free every job. */
void cgi_kill_all(struct worker *w);
/* Free the jobs that ended during this loop turn. */
void cgi_free_dead(struct worker *w);

/* Open or reopen (SIGUSR1) the access log. 0 / -1. */
int access_log_open(struct worker *w);
/* Write out the buffered lines (reopen, exit); when they are due. */
void access_log_flush(struct worker *w);
void access_log_tick(struct worker *w);
/* When access_log_tick has work: ms, UINT64_MAX when nothing waits. */
uint64_t access_log_deadline(const struct worker *w);
/* One access_log_format line for c's finished exchange; parsed: whether
 * c->x->req holds a parsed request (else the raw line is logged). */
void access_log_write(const struct conn *c, bool parsed);
/* The peer's address as text. */
void conn_peer_text(const struct conn *c, char *out, size_t cap);

#endif
