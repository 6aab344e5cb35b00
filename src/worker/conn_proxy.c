/*
 * conn_proxy.c - a connection behind a balancer: the client's address
 * from X-Forwarded-For when the connection comes from a trusted proxy
 * (real_ip_from), and the PROXY protocol header on a proxy_protocol
 * address.  c->hop is where the bytes come from (the PROXY header's
 * source when there is one); c->peer, what allow, the logs and
 * REMOTE_ADDR see, is set here per request.
 *
 * The PROXY header is read with MSG_PEEK and only its own bytes are
 * consumed, so what follows it (a TLS ClientHello, a request) is left in
 * the socket for the next state; bytes seen while the header is still
 * incomplete are all header bytes and are consumed at once, so a slow
 * balancer never makes level-triggered epoll spin.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conn.h"
#include "log.h"
#include "proxy_proto.h"
#include "real_ip.h"

void conn_peer_from_hop(struct conn *c)
{
	memcpy(&c->peer, &c->hop, sizeof(c->peer));
}

void conn_real_ip(struct conn *c)
{
	const struct config *cfg = c->w->cfg;
	struct sockaddr_storage client;

	conn_peer_from_hop(c);
	if (cfg->real_ip_from_count == 0 || c->x == NULL || !c->x->parsed)
		return;
	if (real_ip_find(cfg->real_ip_from, cfg->real_ip_from_count,
			 (const struct sockaddr *)&c->hop, c->x->req.fields.ptr,
			 c->x->req.fields.len, &client))
		memcpy(&c->peer, &client, sizeof(c->peer));
}

void conn_proxy_start(struct conn *c)
{
	c->state = CONN_PROXY;
	conn_arm(c, c->w->cfg->proxy_protocol_timeout);
}

void conn_proxy_free(struct conn *c)
{
	free(c->proxy_buf);
	c->proxy_buf = NULL;
}

/* Take n bytes the peek saw (they are header bytes). 0 / -1. */
static int consume(struct conn *c, size_t n)
{
	unsigned char sink[256];

	while (n > 0) {
		ssize_t got =
		    recv(c->fd, sink, n < sizeof(sink) ? n : sizeof(sink), 0);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		n -= (size_t)got;
	}
	return 0;
}

/* The header is in: its source is the client; then TLS or HTTP. */
static enum io_result proxy_done(struct conn *c, const struct proxy_info *pi)
{
	const struct config *cfg = c->w->cfg;

	if (pi->has_addr) {
		memcpy(&c->hop, &pi->src, sizeof(c->hop));
		conn_peer_from_hop(c);
	}
	conn_proxy_free(c);
	if (cfg->listens[c->listen_idx].tls) {
		if (conn_tls_start(c) == -1) {
			log_warn("%s: cannot start TLS (fd %d)", __func__,
				 c->fd);
			return IO_ERROR;
		}
		return IO_OK;
	}
	c->state = CONN_READ_HEAD;
	conn_arm(c, cfg->timeouts.header);
	return IO_OK;
}

enum io_result conn_proxy_step(struct conn *c)
{
	struct proxy_info pi;
	ssize_t n;
	int rc;

	if (c->proxy_buf == NULL &&
	    (c->proxy_buf = malloc(PROXY_HEADER_MAX)) == NULL)
		return IO_ERROR;
	n = recv(c->fd, c->proxy_buf + c->proxy_len,
		 PROXY_HEADER_MAX - c->proxy_len, MSG_PEEK);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return IO_AGAIN;
	if (n <= 0)
		return IO_ERROR; /* gone before its header: nothing to say */
	rc = proxy_parse(c->proxy_buf, c->proxy_len + (size_t)n, &pi);
	if (rc == PROXY_INVALID) {
		log_info("bad PROXY protocol header: closed");
		return IO_ERROR;
	}
	if (rc == PROXY_INCOMPLETE) {
		if (consume(c, (size_t)n) == -1 ||
		    c->proxy_len + (size_t)n >= PROXY_HEADER_MAX)
			return IO_ERROR;
		c->proxy_len += (size_t)n;
		return IO_AGAIN;
	}
	if (consume(c, (size_t)rc - c->proxy_len) == -1)
		return IO_ERROR;
	return proxy_done(c, &pi);
}
