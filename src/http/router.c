/*
 * router.c - which server block and which location answer a request.
 *
 * Virtual hosts: exact, case-insensitive server_names match of the Host
 * value (port and one trailing dot removed) among the servers listening
 * on the address the request came in on; else that address's
 * default_server; else its first server.  Locations: longest prefix that
 * ends on a path-segment boundary, relying on the config's order
 * (longest first, "/" always present).
 * Pure: reads the immutable config, never does I/O, never allocates.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "router.h"

/*
 * The host name part of a Host value (RFC 9110 §7.2: uri-host [ ":" port ]).
 * An IP-literal keeps its brackets ("[::1]:8080" -> "[::1]") so that a
 * colon inside it is not taken for the port separator.  One trailing dot
 * of a fully qualified name is dropped ("example.test." -> "example.test").
 */
struct slice router_host_name(struct slice host)
{
	struct slice name = host;

	if (name.len == 0)
		return name; /* absent (HTTP/1.0): ptr may be NULL */
	if (name.ptr[0] == '[') {
		const char *end = memchr(name.ptr, ']', name.len);

		if (end != NULL)
			name.len = (size_t)(end - name.ptr) + 1;
		return name;
	}
	const char *colon = memchr(name.ptr, ':', name.len);

	if (colon != NULL)
		name.len = (size_t)(colon - name.ptr);
	if (name.len > 0 && name.ptr[name.len - 1] == '.')
		name.len--;
	return name;
}

static bool server_listens_on(const struct server *srv, size_t listen_idx)
{
	for (size_t i = 0; i < srv->listen_count; i++)
		if (srv->listens[i] == listen_idx)
			return true;
	return false;
}

static bool server_has_name(const struct server *srv, struct slice name)
{
	for (size_t i = 0; i < srv->name_count; i++) {
		const char *n = srv->names[i];

		if (strlen(n) == name.len &&
		    strncasecmp(n, name.ptr, name.len) == 0)
			return true;
	}
	return false;
}

const struct server *router_server(const struct config *cfg, size_t listen_idx,
				   struct slice host)
{
	const struct server *first = NULL, *fallback = NULL;
	struct slice name = router_host_name(host);

	for (size_t i = 0; i < cfg->server_count; i++) {
		const struct server *srv = &cfg->servers[i];

		if (!server_listens_on(srv, listen_idx))
			continue;
		if (name.len > 0 && server_has_name(srv, name))
			return srv;
		if (first == NULL)
			first = srv;
		if (srv->default_server && fallback == NULL)
			fallback = srv;
	}
	if (fallback != NULL)
		return fallback;
	if (first != NULL)
		return first;
	/* No server on that address: only a caller's bug gets here. */
	return cfg->server_count > 0 ? &cfg->servers[0] : NULL;
}

/*
 * Does location path lp (lp_len bytes) cover the request path?  Either
 * lp ends with '/' (it is a directory prefix), or the request path ends
 * right after it or continues with a new segment: "/status" covers
 * "/status" and "/status/x" but not "/statusbar".
 */
bool router_prefix_match(const char *lp, size_t lp_len, const char *path,
			 size_t len)
{
	if (lp_len > len || memcmp(lp, path, lp_len) != 0)
		return false;
	if (lp_len == len || lp_len == 0)
		return true;
	return lp[lp_len - 1] == '/' || path[lp_len] == '/';
}

const struct location *router_location(const struct server *srv,
				       const char *path, size_t len)
{
	/* Sorted longest first: the first match is the longest. */
	for (size_t i = 0; i < srv->location_count; i++) {
		const struct location *loc = &srv->locations[i];

		if (router_prefix_match(loc->path, loc->path_len, path, len))
			return loc;
	}
	/* Only a path not starting with '/' misses "/": use the shortest. */
	return srv->location_count > 0
		   ? &srv->locations[srv->location_count - 1]
		   : NULL;
}
