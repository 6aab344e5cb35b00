/*
 * conn_proxy.c - a connection behind a balancer: the client's address
 * from X-Forwarded-For when the connection comes from a trusted proxy
 * (real_ip_from).  c->hop is where the bytes come from; c->peer, what
 * allow, the logs and REMOTE_ADDR see, is set here per request.
 */
#include <string.h>

#include "conn.h"
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
