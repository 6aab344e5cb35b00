/*
 * conn_tls.c - a connection's transport: every byte a connection reads
 * or writes goes through conn_recv / conn_send / conn_sendv /
 * conn_send_file, which are the plain socket calls on a cleartext
 * address and OpenSSL on a TLS one (DESIGN.md §8).  Also the TLS
 * handshake state (driven by epoll: WANT_READ / WANT_WRITE become the
 * connection's events), the cleartext-request-on-a-TLS-port answer, SNI
 * (the servername callback switches to the named server's SSL_CTX) and
 * the 421 check.
 * Invariants: a retried SSL_write gets the same leading bytes (the
 * caller's counters only move on success); errors are mapped to errno
 * (EAGAIN: wait for epoll) so the callers keep one code path.
 * Never blocks; never holds a whole file in memory.  Files: where the
 * kernel offers the "tls" ULP (/proc/sys/net/ipv4/tcp_available_ulp),
 * OpenSSL is asked for kTLS (SSL_OP_ENABLE_KTLS) and, once it has put
 * the send side in the kernel (BIO_get_ktls_send), SSL_sendfile sends
 * from the page cache; otherwise (and when OpenSSL could not use kTLS
 * for the cipher) pread into a 16 KiB buffer and SSL_write, one record.
 */
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "router.h"
#include "tls_sniff.h"

#define TLS_RECORD CONN_TLS_RECORD

/* One worker is one thread: a shared bounce buffer for TLS writes. */
static unsigned char tls_out[TLS_RECORD];

static int sni_select(SSL *ssl, int *alert, void *arg)
{
	struct conn *c = SSL_get_app_data(ssl);
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	const struct server *srv;

	(void)alert;
	(void)arg;
	if (c == NULL || name == NULL)
		return SSL_TLSEXT_ERR_NOACK;
	srv = router_server(c->w->cfg, c->listen_idx,
			    (struct slice){name, strlen(name)});
	c->tls_sni = true;
	if (srv == NULL || srv->ssl_ctx == NULL)
		return SSL_TLSEXT_ERR_OK;
	c->tls_server = srv;
	if (srv->ssl_ctx != SSL_get_SSL_CTX(ssl))
		SSL_set_SSL_CTX(ssl, srv->ssl_ctx);
	return SSL_TLSEXT_ERR_OK;
}

/* Does the kernel offer kTLS?  Read once per worker. */
static bool ktls_offered;

static bool kernel_has_tls_ulp(void)
{
	char buf[256];
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_available_ulp", "re");
	bool found = false;

	if (f == NULL)
		return false;
	if (fgets(buf, sizeof(buf), f) != NULL)
		for (char *t = strtok(buf, " \n"); t != NULL;
		     t = strtok(NULL, " \n"))
			if (strcmp(t, "tls") == 0)
				found = true;
	fclose(f);
	return found;
}

void conn_tls_init(const struct config *cfg)
{
	bool any = false;

	for (size_t i = 0; i < cfg->server_count; i++)
		any |= cfg->servers[i].ssl_ctx != NULL;
	ktls_offered = any && kernel_has_tls_ulp();
	if (any)
		log_debug("kTLS: %s", ktls_offered
					  ? "the kernel offers the tls ULP"
					  : "not offered by the kernel: files "
					    "go by pread + SSL_write");
	for (size_t i = 0; i < cfg->server_count; i++)
		if (cfg->servers[i].ssl_ctx != NULL)
			SSL_CTX_set_tlsext_servername_callback(
			    cfg->servers[i].ssl_ctx, sni_select);
}

int conn_tls_start(struct conn *c)
{
	const struct config *cfg = c->w->cfg;
	const struct server *srv =
	    router_server(cfg, c->listen_idx, (struct slice){"", 0});

	if (srv == NULL || srv->ssl_ctx == NULL)
		return -1;
	c->ssl = SSL_new(srv->ssl_ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		ERR_clear_error();
		return -1;
	}
	if (ktls_offered)
		SSL_set_options(c->ssl, SSL_OP_ENABLE_KTLS);
	SSL_set_app_data(c->ssl, c);
	SSL_set_accept_state(c->ssl);
	c->tls_server = srv;
	c->state = CONN_TLS_HANDSHAKE;
	conn_arm(c, cfg->tls_handshake_timeout);
	return 0;
}

void conn_tls_free(struct conn *c)
{
	if (c->ssl == NULL)
		return;
	/* best effort close_notify: the socket is non-blocking */
	if (SSL_is_init_finished(c->ssl))
		SSL_shutdown(c->ssl);
	ERR_clear_error();
	SSL_free(c->ssl);
	c->ssl = NULL;
}

bool conn_tls_pending(const struct conn *c)
{
	/* read ahead: whole records may wait undecrypted, which
	 * SSL_pending does not count */
	return c->ssl != NULL && SSL_has_pending(c->ssl);
}

/* r from an SSL call that did not succeed: errno for the caller; 0 for a
 * clean or abrupt end of the peer's data. */
static ssize_t tls_fail(struct conn *c, int r)
{
	int err = SSL_get_error(c->ssl, r);

	c->tls_flip = false;
	switch (err) {
	case SSL_ERROR_WANT_WRITE:
		c->tls_flip = true; /* a read that must write first */
		__attribute__((fallthrough));
	case SSL_ERROR_WANT_READ:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (errno == 0 || errno == EAGAIN)
			return 0; /* EOF without close_notify */
		return -1;
	default:
		log_debug("%s: %s", __func__,
			  ERR_reason_error_string(ERR_peek_last_error())
			      ?: "TLS error");
		ERR_clear_error();
		errno = EPROTO;
		return -1;
	}
}

ssize_t conn_recv(struct conn *c, void *buf, size_t len)
{
	int r;

	if (c->ssl == NULL)
		return recv(c->fd, buf, len, 0);
	if (len > INT32_MAX)
		len = INT32_MAX;
	ERR_clear_error();
	errno = 0;
	r = SSL_read(c->ssl, buf, (int)len);
	if (r > 0) {
		c->tls_flip = false;
		return r;
	}
	return tls_fail(c, r);
}

static ssize_t tls_write(struct conn *c, const void *buf, size_t len)
{
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_write(c->ssl, buf, (int)len);
	if (r > 0)
		return r;
	r = (int)tls_fail(c, r);
	if (r == 0)
		errno = EPIPE;
	return -1;
}

ssize_t conn_send(struct conn *c, const void *buf, size_t len, bool more)
{
	if (c->ssl == NULL)
		return send(c->fd, buf, len,
			    MSG_NOSIGNAL | (more ? MSG_MORE : 0));
	if (len > TLS_RECORD * 4)
		len = TLS_RECORD * 4;
	return tls_write(c, buf, len);
}

ssize_t conn_sendv(struct conn *c, const struct iovec *iov, int count,
		   bool more)
{
	size_t len = 0;

	if (c->ssl == NULL) {
		struct msghdr msg = {.msg_iov = (struct iovec *)iov,
				     .msg_iovlen = (size_t)count};
		return sendmsg(c->fd, &msg,
			       MSG_NOSIGNAL | (more ? MSG_MORE : 0));
	}
	/* head and a small body in one record */
	for (int i = 0; i < count && len < sizeof(tls_out); i++) {
		size_t part = iov[i].iov_len;
		if (part > sizeof(tls_out) - len)
			part = sizeof(tls_out) - len;
		memcpy(tls_out + len, iov[i].iov_base, part);
		len += part;
	}
	return tls_write(c, tls_out, len);
}

ssize_t conn_send_file(struct conn *c, int fd, off_t off, size_t len)
{
	ssize_t n;

	if (c->ssl == NULL)
		return sendfile(c->fd, fd, &off, len);
	if (ktls_offered && BIO_get_ktls_send(SSL_get_wbio(c->ssl))) {
		ossl_ssize_t r;

		ERR_clear_error();
		errno = 0;
		r = SSL_sendfile(c->ssl, fd, off, len, 0);
		if (r >= 0)
			return r;
		if (tls_fail(c, -1) == 0)
			errno = EPIPE;
		return -1;
	}
	if (len > sizeof(tls_out))
		len = sizeof(tls_out);
	do
		n = pread(fd, tls_out, len, off);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return n;
	return tls_write(c, tls_out, (size_t)n);
}

void conn_tls_shutdown(struct conn *c)
{
	if (c->ssl != NULL && SSL_is_init_finished(c->ssl)) {
		ERR_clear_error();
		SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
}

/* ---- handshake ---------------------------------------------------------- */

enum io_result conn_tls_step_handshake(struct conn *c)
{
	int r;

	if (!c->tls_sniffed) {
		unsigned char first[8];
		ssize_t n = recv(c->fd, first, sizeof(first), MSG_PEEK);
		if (n == 0)
			return IO_ERROR;
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN) {
				conn_set_events(c, EPOLLIN);
				return IO_AGAIN;
			}
			return IO_ERROR;
		}
		c->tls_sniffed = true;
		if (tls_sniff(first, (size_t)n) == TLS_SNIFF_PLAIN) {
			/* answered in cleartext, as nginx does */
			SSL_free(c->ssl);
			c->ssl = NULL;
			c->tls_plain = true;
			c->state = CONN_READ_HEAD;
			conn_arm(c, c->w->cfg->timeouts.header);
			return IO_OK;
		}
	}
	ERR_clear_error();
	r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		c->state = CONN_READ_HEAD;
		c->heard = true;
		conn_arm(c, c->w->cfg->timeouts.header);
		conn_set_events(c, EPOLLIN);
		return IO_OK;
	}
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		conn_set_events(c, EPOLLIN);
		return IO_AGAIN;
	case SSL_ERROR_WANT_WRITE:
		conn_set_events(c, EPOLLOUT);
		return IO_AGAIN;
	default:
		log_debug("%s: handshake failed: %s", __func__,
			  ERR_reason_error_string(ERR_peek_last_error())
			      ?: "connection closed");
		ERR_clear_error();
		return IO_ERROR;
	}
}

/* ---- what a TLS request may get instead of its response ---------------- */

static const char plain_page[] =
    "<html><head><title>400 The plain HTTP request was sent to HTTPS "
    "port</title></head><body><h1>400 Bad Request</h1><p>The plain HTTP "
    "request was sent to HTTPS port</p><hr><p>webserv</p></body></html>\n";

enum io_result conn_tls_plain_reply(struct conn *c)
{
	struct response *resp = &c->x->resp;

	response_reset(resp);
	response_status(resp, 400);
	response_header(resp, "Content-Type", "text/html; charset=utf-8");
	response_header(resp, "Content-Length", "%zu", sizeof(plain_page) - 1);
	if (!c->x->head_only) {
		resp->mem = malloc(sizeof(plain_page) - 1);
		if (resp->mem != NULL) {
			memcpy(resp->mem, plain_page, sizeof(plain_page) - 1);
			resp->mem_len = sizeof(plain_page) - 1;
			resp->body_kind = BODY_MEM;
		}
	}
	resp->close = true;
	return conn_begin_write(c);
}

bool conn_tls_misdirected(const struct conn *c, const struct server *srv)
{
	const struct server *sni = c->tls_server;

	if (c->ssl == NULL || !c->tls_sni || srv == NULL || srv == sni ||
	    sni == NULL)
		return false;
	/* the same certificate may serve both (RFC 9110 §15.5.20) */
	if (srv->tls_count == sni->tls_count && srv->tls_count > 0) {
		size_t k = 0;
		while (k < srv->tls_count &&
		       strcmp(srv->tls[k].certificate,
			      sni->tls[k].certificate) == 0)
			k++;
		if (k == srv->tls_count)
			return false;
	}
	return true;
}
