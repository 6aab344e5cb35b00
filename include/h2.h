/*
 * h2.h - HTTP/2 on a connection (src/worker/h2.c), nghttp2 for framing,
 * HPACK and flow control.  A stream's request becomes the same struct
 * http_request the HTTP/1.1 parser makes and runs through http_handle();
 * its struct response is encoded as HEADERS + DATA (README "How it works
 * inside": HTTP/2).
 */
#ifndef WEBSERV_H2_H
#define WEBSERV_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conn.h"

/* Limits (README "HTTP/2"). */
#define H2_MAX_STREAMS	     128 /* SETTINGS_MAX_CONCURRENT_STREAMS */
#define H2_MAX_CONTINUATIONS 8	 /* CONTINUATION frames per header block */
#define H2_RESET_BURST	     200 /* RST_STREAMs a client may send at once, */
#define H2_RESET_RATE	     50	 /* then this many per second (44487) */
#define H2_MAX_SETTINGS	     32	 /* entries in one SETTINGS frame */
#define H2_MAX_CHEAP_FRAMES                                                    \
	1000 /* empty DATA, PRIORITY, PING, SETTINGS,                          \
	      * WINDOW_UPDATE(0) per second */

/* The client connection preface (RFC 9113 §3.4). */
#define H2_PREFACE     "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN 24
/* frames gathered into one send: four 16 KiB DATA frames with their
 * headers, which over TLS go as four full records */
#define H2_WBUF		  (4 * (16384 + 9))
#define H2_LINGER_MS	  2000 /* reading after the last GOAWAY */
#define H2_READS_PER_TURN 64   /* 16 KiB reads of a connection per loop turn */

/* buf[0..len) against the preface: 1 it is one, 0 it is not, -1 too short
 * to tell (a prefix of it).  Pure. */
int h2_sniff(const char *buf, size_t len);
/* Turn c into an HTTP/2 connection; in[0..len) is what was read so far
 * (the preface first).  IO_OK: state CONN_H2, run h2_step. */
enum io_result h2_start(struct conn *c, const char *in, size_t len);
/* The next bytes nghttp2 has to send (valid until the next call): >0
 * their length, 0 none, <0 an nghttp2 error.  No I/O (the fuzzer drives
 * a session with h2_start and this alone). */
ssize_t h2_output(struct conn *c, const uint8_t **out);
/* The CONN_H2 state: read, feed nghttp2, write. */
enum io_result h2_step(struct conn *c);
/* Reload or stop: GOAWAY, open streams finish, then the connection ends. */
void h2_drain(struct conn *c);
/* Its deadline passed: the final GOAWAY is due, or the connection is
 * idle too long (closed). */
void h2_on_timeout(struct conn *c);
/* conn_close: free the session and its streams. */
void h2_free(struct conn *c);
/* A stream's timer (its script's cgi_timeout) expired. */
struct timer;
void h2_stream_timeout(struct timer *t);
/* Offer "h2" by ALPN on the TLS addresses that have the h2 flag. */
void h2_tls_init(const struct config *cfg);

#endif
