/*
 * handler.h - decide what a parsed request gets: route it (vhost,
 * location), check allow/methods, redirect, status page, static file,
 * DELETE, error pages.  Requests that carry a body to store or to a CGI are
 * handed back to the connection layer with their route.  File I/O only; no
 * sockets.
 */
#ifndef WEBSERV_HANDLER_H
#define WEBSERV_HANDLER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "config.h"
#include "http.h"
#include "filecache.h"
#include "response.h"
#include "stats.h"

struct http_ctx {
	const struct config *cfg;
	size_t listen_idx; /* config.listens[] the request came on */
	const struct sockaddr *peer;
	struct file_cache *files; /* the worker's open-file cache, or NULL */
	/* the server's counters, for status locations (NULL: 503) */
	const struct stats_shared *stats;
	bool tls; /* the request came over TLS ($scheme, 421) */
};

struct http_route {
	const struct server *server;
	const struct location *loc;
	char path[PATH_MAX]; /* canonical URI path, NUL-terminated;
			      * after an index redirect, the index
			      * file's path; empty when malformed */
	size_t path_len;
	/*
	 * NEXT_CGI only (script_len 0 otherwise).  The script is the first
	 * path segment after the location's directory whose name ends with
	 * a cgi ext (compared case-insensitively): for
	 * "/cgi-bin/app.py/extra", path[0..script_len) is
	 * "/cgi-bin/app.py" (SCRIPT_NAME, RFC 3875 §4.1.13) and
	 * path + script_len is "/extra" (PATH_INFO §4.1.5, NUL-terminated,
	 * "" when none).  cgi is the matching handler (its interpreter runs
	 * the script); script_base is the root or alias directory the
	 * script was found beneath (DOCUMENT_ROOT, points into the config);
	 * script_file is the script's file system path (script_base + '/' +
	 * the mapped relative path, SCRIPT_FILENAME), which was a regular
	 * file beneath script_base when the request was routed.
	 */
	size_t script_len;
	const struct cgi_handler *cgi;
	const char *script_base;
	char script_file[PATH_MAX];
};

enum http_next {
	NEXT_RESPOND, /* resp is complete: write it (discard any body) */
	NEXT_UPLOAD,  /* PUT/POST into loc->upload_dir: stream the body */
	NEXT_CGI,     /* run a CGI script (issue: CGI) */
};

/*
 * Route req and decide.  resp must be empty (response_init).  For
 * NEXT_RESPOND resp holds the full answer (errors included, with custom
 * error pages).  For NEXT_UPLOAD and NEXT_CGI, route says where; the
 * Content-Length limit (413) and 411 are already checked, a chunked body
 * must still be held to route->loc->client_max_body_size while read.
 * resp->close is never set here: the connection layer decides it from
 * the framing (e.g. an unread body after an error).
 */
enum http_next http_handle(const struct http_ctx *ctx,
			   const struct http_request *req,
			   struct http_route *route, struct response *resp);

/*
 * Error response for status: the location's (or server's) error_pages
 * entry served with the original status when the page exists, else the
 * built-in page.  route may be NULL (no server known yet: built-in page).
 * head_only for HEAD.  Adds Allow for 405 when route is known.  The page
 * is read as a plain file of the location its uri maps to (never run: a
 * uri naming a CGI script gets the built-in page); 1xx/204/304 get none.
 */
void http_error(const struct http_ctx *ctx, const struct http_route *route,
		int status, bool head_only, struct response *resp);

#endif
