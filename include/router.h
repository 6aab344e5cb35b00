/*
 * router.h - virtual host and location selection; CIDR checks.  Pure.
 */
#ifndef WEBSERV_ROUTER_H
#define WEBSERV_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "config.h"
#include "http.h"

/*
 * Server for a request that arrived on config->listens[listen_idx] with
 * this Host value: exact case-insensitive server_names match (port
 * ignored), else the default_server on that address, else the first
 * server on that address.  NULL only for a config without servers.
 */
const struct server *router_server(const struct config *cfg, size_t listen_idx,
				   struct slice host);
/* Longest prefix match on a segment boundary; never NULL ("/" exists). */
const struct location *router_location(const struct server *srv,
				       const char *path, size_t len);
/* Host value without its port and one trailing dot; an IP-literal keeps
 * its brackets: "[::1]:8080" -> "[::1]", "Example.test.:80" ->
 * "Example.test".  Points into host. */
struct slice router_host_name(struct slice host);
/* Location path lp covers path on a segment boundary: "/status" covers
 * "/status" and "/status/x", not "/statusbar"; "/up/" covers "/up/x",
 * not "/up". */
bool router_prefix_match(const char *lp, size_t lp_len, const char *path,
			 size_t len);
/* true when list is empty or addr is in one of the networks. */
bool cidr_allows(const struct cidr *list, size_t count,
		 const struct sockaddr *addr);
/* Parse "10.0.0.0/8", "::1", "192.168.1.7": 0 / -1. */
int cidr_parse(const char *text, struct cidr *out);

#endif
