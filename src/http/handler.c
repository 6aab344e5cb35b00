/*
 * handler.c - what a parsed request gets: route it (vhost, location), then
 * allow list, redirect, methods, status pages, body limits, CGI, writes,
 * static files, and error pages with the original status.
 *
 * Invariant: every NEXT_RESPOND leaves a complete response in resp, and
 * route->loc is set whenever a server exists.  An index file is served as
 * an internal redirect (a new pass over the same server's locations),
 * bounded by HANDLER_MAX_HOPS; an error page is one plain file read, never
 * routed again, never a CGI script: no loops, no recursion.
 * Never touches a socket; the file I/O is opening (and, for DELETE,
 * unlinking) beneath the configured roots through static.c and upload.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handler.h"
#include "method.h"
#include "mime.h"
#include "path.h"
#include "redirect.h"
#include "router.h"
#include "static.h"
#include "status.h"
#include "upload.h"

/* Index files chained through other locations: nginx allows ten
 * internal redirects; an index needs one, a few are generous. */
#define HANDLER_MAX_HOPS 4
/* handle_location: serve route->path again (index redirect). */
#define HANDLE_REROUTE (-1)

static bool method_is(const struct http_request *req, enum http_method m)
{
	return req->method == m;
}

/*
 * Methods a location can really answer, for Allow (RFC 9110 §10.2.1):
 * the configured ones, less writes where there is no upload_dir.  A CGI
 * script may answer any method, so a script keeps the location's list;
 * script: whether the resource is one.
 */
static unsigned location_allow(const struct location *loc, bool script)
{
	unsigned can = METHOD_BIT(HTTP_GET) | METHOD_BIT(HTTP_HEAD) |
		       METHOD_BIT(HTTP_OPTIONS);

	if (loc->status)
		return loc->methods &
		       (METHOD_BIT(HTTP_GET) | METHOD_BIT(HTTP_HEAD));
	if (loc->cgi_count > 0 && script)
		return loc->methods;
	if (loc->upload_dir != NULL)
		can |= METHOD_BIT(HTTP_POST) | METHOD_BIT(HTTP_PUT) |
		       METHOD_BIT(HTTP_DELETE);
	return loc->methods & can;
}

static void add_allow(struct response *resp, unsigned methods)
{
	char list[128];

	method_allow_list(methods, list, sizeof(list));
	response_header(resp, "Allow", "%s", list);
}

static bool name_has_ext(const char *name, size_t len, const char *ext)
{
	size_t ext_len = strlen(ext);

	/* The name must be more than the extension: ".py" alone is not. */
	return len > ext_len &&
	       strncasecmp(name + len - ext_len, ext, ext_len) == 0;
}

/*
 * Find the CGI script in path: the first segment after the location's
 * directory part (loc->path up to its last '/') whose name ends with one
 * of loc's cgi extensions.  Sets *script_len (the script's URI is
 * path[0..*script_len)) and returns the handler, or NULL.
 */
static const struct cgi_handler *cgi_split(const struct location *loc,
					   const char *path, size_t len,
					   size_t *script_len)
{
	size_t seg = loc->path_len;

	if (loc->cgi_count == 0)
		return NULL;
	while (seg > 0 && loc->path[seg - 1] != '/')
		seg--;
	while (seg < len) {
		const char *slash = memchr(path + seg, '/', len - seg);
		size_t end = slash ? (size_t)(slash - path) : len;

		for (size_t i = 0; i < loc->cgi_count; i++) {
			if (!name_has_ext(path + seg, end - seg,
					  loc->cgi[i].ext))
				continue;
			*script_len = end;
			return &loc->cgi[i];
		}
		seg = end + 1;
	}
	return NULL;
}

/* Allow for the resource route names: in a CGI location, a file that is
 * no script is served like any static file. */
static unsigned route_allow(const struct http_route *route)
{
	size_t script_len;

	return location_allow(route->loc,
			      cgi_split(route->loc, route->path,
					route->path_len, &script_len) != NULL);
}

/* Status for a failed open beneath a root, as static.c maps it. */
static int open_error_status(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
		return 404;
	case ENAMETOOLONG:
		return 414;
	case EACCES:
	case EPERM:
	case EXDEV:
	case ELOOP:
		return 403;
	default:
		return 500;
	}
}

/*
 * Fill route's CGI fields for the script at path[0..script_len): its file
 * system path, checked to be a regular file beneath the location's base
 * (so neither "..", nor a symlink out of the root, nor a directory is
 * ever handed to an interpreter).  0, or an error status.
 */
static int cgi_locate(struct http_route *route, size_t script_len)
{
	char rel[PATH_MAX];
	const char *base;
	struct stat st;
	int fd, n, status = 0;

	if (static_map(route->loc, route->path, script_len, &base, rel,
		       sizeof(rel)) == -1)
		return errno == ENAMETOOLONG ? 414 : 500;
	n = snprintf(route->script_file, sizeof(route->script_file), "%s/%s",
		     base, rel);
	if (n < 0 || (size_t)n >= sizeof(route->script_file)) {
		status = 414;
		goto fail;
	}
	/* O_NONBLOCK: a FIFO named like a script must not hang the worker. */
	fd = static_open_beneath(base, rel, O_RDONLY | O_CLOEXEC | O_NONBLOCK,
				 0);
	if (fd == -1) {
		status = open_error_status(errno);
		goto fail;
	}
	if (fstat(fd, &st) == -1)
		status = 500;
	else if (!S_ISREG(st.st_mode))
		status = 403;
	close(fd);
	if (status != 0)
		goto fail;
	route->script_base = base;
	return 0;
fail:
	route->script_file[0] = '\0';
	return status;
}

static int respond_error(const struct http_ctx *ctx,
			 const struct http_route *route,
			 const struct http_request *req, int status,
			 struct response *resp)
{
	http_error(ctx, route, status, method_is(req, HTTP_HEAD), resp);
	return NEXT_RESPOND;
}

/* RFC 9110 §15.4: the location's "redirect" with a small page. */
static int respond_redirect(const struct http_ctx *ctx,
			    const struct http_route *route,
			    const struct http_request *req,
			    struct response *resp)
{
	const struct location *loc = route->loc;

	struct redirect_vars vars = {.scheme = ctx->tls
						   ? (struct slice){"https", 5}
						   : (struct slice){"http", 4},
				     .host = router_host_name(req->host),
				     .request_uri = req->target};
	char to[RESPONSE_HEAD_MAX / 2];

	if (loc->redirect_to == NULL)
		return respond_error(ctx, route, req, loc->redirect_code, resp);
	if (vars.host.len == 0 && route->server->name_count > 0)
		vars.host = (struct slice){route->server->names[0],
					   strlen(route->server->names[0])};
	if (redirect_expand(loc->redirect_to, &vars, to, sizeof(to)) < 0)
		return respond_error(ctx, route, req, 500, resp);
	response_builtin_error(resp, loc->redirect_code,
			       method_is(req, HTTP_HEAD));
	response_header(resp, "Location", "%s", to);
	return NEXT_RESPOND;
}

/* RFC 9110 §9.3.7: OPTIONS answered by the server itself. */
static int respond_options(unsigned allow, struct response *resp)
{
	response_status(resp, 204);
	add_allow(resp, allow);
	return NEXT_RESPOND;
}

/* RFC 9112 §6.3: a write whose body has no framing at all is refused
 * rather than read as empty. */
static bool needs_length(const struct http_request *req)
{
	return (method_is(req, HTTP_POST) || method_is(req, HTTP_PUT)) &&
	       !req->has_length && !req->chunked;
}

/* DELETE inside upload_dir: 204 or an error page. */
static int respond_delete(const struct http_ctx *ctx,
			  const struct http_route *route,
			  const struct http_request *req, struct response *resp)
{
	int status =
	    upload_delete(route->loc, req, route->path, route->path_len);

	if (status != 204)
		return respond_error(ctx, route, req, status, resp);
	response_status(resp, 204);
	return NEXT_RESPOND;
}

/* GET/HEAD from the file system; an index becomes a new pass. */
/* "/uploads" when a location "/uploads/" exists: the user means the
 * directory (nginx answers such a request with 404 unless the root holds
 * the directory too; a redirect to the location is what people expect). */
static bool names_slash_location(const struct server *srv, const char *path,
				 size_t len)
{
	for (size_t i = 0; i < srv->location_count; i++) {
		const struct location *loc = &srv->locations[i];
		if (loc->path_len == len + 1 && loc->path[len] == '/' &&
		    memcmp(loc->path, path, len) == 0)
			return true;
	}
	return false;
}

static int respond_static(const struct http_ctx *ctx, struct http_route *route,
			  const struct http_request *req, struct response *resp)
{
	char index_path[PATH_MAX];
	size_t len;
	int status;

	index_path[0] = '\0';
	status = static_serve(route->loc, req, route->path, route->path_len,
			      ctx->cfg->mime, ctx->files, index_path,
			      sizeof(index_path), resp);
	if (status == STATIC_INDEX_REDIRECT) {
		len = strnlen(index_path, sizeof(index_path));
		if (len == 0 || len >= sizeof(route->path))
			return respond_error(ctx, route, req, 500, resp);
		memcpy(route->path, index_path, len + 1);
		route->path_len = len;
		return HANDLE_REROUTE;
	}
	/* Not found, but a location "/x/" exists for this "/x": the user
	 * means it.  Checked only here, off the path of found files. */
	if (status == 404 &&
	    names_slash_location(route->server, route->path, route->path_len))
		status = static_redirect_slash(req, route->path,
					       route->path_len, resp);
	/* static.c leaves resp untouched on an error status. */
	if (resp->status != 0)
		return NEXT_RESPOND;
	respond_error(ctx, route, req, status, resp);
	/* RFC 9110 §15.5.17: the page says how long the file is */
	if (status == 416)
		response_header(resp, "Content-Range", "%s", index_path);
	return NEXT_RESPOND;
}

/*
 * A status location: a snapshot of the server's counters (stats.h) as
 * text or Prometheus (status.c), never cached.  GET and HEAD only; an
 * unknown format= is 400 rather than a page the scraper cannot parse.
 */
static int respond_status(const struct http_ctx *ctx,
			  const struct http_route *route,
			  const struct http_request *req, struct response *resp)
{
	struct stats_totals totals;
	enum status_format format;
	char *page;
	size_t len;

	if (!(route_allow(route) & METHOD_BIT(req->method)))
		return respond_error(ctx, route, req, 405, resp);
	format = status_format_parse(req->query.ptr, req->query.len);
	if (format == STATUS_FORMAT_BAD)
		return respond_error(ctx, route, req, 400, resp);
	if (ctx->stats == NULL)
		return respond_error(ctx, route, req, 503, resp);
	if ((page = malloc(STATUS_BODY_MAX)) == NULL)
		return respond_error(ctx, route, req, 500, resp);
	stats_snapshot(ctx->stats, &totals);
	len = status_render(&totals, format, page, STATUS_BODY_MAX);
	if (len >= STATUS_BODY_MAX) {
		free(page);
		return respond_error(ctx, route, req, 500, resp);
	}
	response_status(resp, 200);
	response_header(resp, "Content-Type", "%s",
			status_content_type(format));
	response_header(resp, "Content-Length", "%zu", len);
	response_header(resp, "Cache-Control", "no-store");
	if (method_is(req, HTTP_HEAD)) {
		free(page);
		return NEXT_RESPOND;
	}
	resp->body_kind = BODY_MEM;
	resp->mem = page;
	resp->mem_len = len;
	return NEXT_RESPOND;
}

/* The body of the request is for a CGI script or upload_dir, or not. */
static int handle_writes(const struct http_ctx *ctx, struct http_route *route,
			 const struct http_request *req, struct response *resp)
{
	const struct location *loc = route->loc;

	if (loc->upload_dir == NULL)
		goto not_allowed;
	if (method_is(req, HTTP_DELETE))
		return respond_delete(ctx, route, req, resp);
	if (needs_length(req))
		return respond_error(ctx, route, req, 411, resp);
	return NEXT_UPLOAD;
not_allowed:
	return respond_error(ctx, route, req, 405, resp);
}

/*
 * DESIGN §4: an index is an internal redirect.  For a method other than
 * GET/HEAD (which static_serve redirects itself), a directory whose index
 * is a CGI script is answered by that script: route->path becomes the
 * index so that methods, Allow and the body are judged there (POST / to
 * an index.php front controller).  A plain index file keeps the
 * directory's answer (405, or a write into upload_dir).
 */
static bool reroute_index_script(struct http_route *route,
				 const struct http_request *req)
{
	char index_path[PATH_MAX];
	const struct location *target;
	size_t len, script_len;

	if (method_is(req, HTTP_GET) || method_is(req, HTTP_HEAD) ||
	    route->loc->status ||
	    !static_index_of(route->loc, route->path, route->path_len,
			     index_path, sizeof(index_path)))
		return false;
	len = strlen(index_path);
	target = router_location(route->server, index_path, len);
	if (target->redirect_code != 0 ||
	    cgi_split(target, index_path, len, &script_len) == NULL ||
	    len >= sizeof(route->path))
		return false;
	memcpy(route->path, index_path, len + 1);
	route->path_len = len;
	return true;
}

/* One pass of the decisions for route->path in route->loc. */
static int handle_location(const struct http_ctx *ctx, struct http_route *route,
			   const struct http_request *req,
			   struct response *resp)
{
	const struct location *loc = route->loc;
	const struct cgi_handler *cgi;
	size_t script_len = 0;
	int status;

	if (loc->allow_count > 0 &&
	    (ctx->peer == NULL ||
	     !cidr_allows(loc->allow, loc->allow_count, ctx->peer)))
		return respond_error(ctx, route, req, 403, resp);
	if (loc->redirect_code != 0)
		return respond_redirect(ctx, route, req, resp);
	if (reroute_index_script(route, req))
		return HANDLE_REROUTE;
	if (req->method < 0 || req->method >= HTTP_METHOD_COUNT ||
	    !(loc->methods & METHOD_BIT(req->method)))
		return respond_error(ctx, route, req, 405, resp);
	if (loc->status)
		return respond_status(ctx, route, req, resp);
	if (method_is(req, HTTP_OPTIONS))
		return respond_options(route_allow(route), resp);
	if (req->has_length && req->content_length > loc->client_max_body_size)
		return respond_error(ctx, route, req, 413, resp);
	cgi = cgi_split(loc, route->path, route->path_len, &script_len);
	if (cgi != NULL) {
		if (needs_length(req))
			return respond_error(ctx, route, req, 411, resp);
		if ((status = cgi_locate(route, script_len)) != 0)
			return respond_error(ctx, route, req, status, resp);
		route->script_len = script_len;
		route->cgi = cgi;
		return NEXT_CGI;
	}
	switch (req->method) {
	case HTTP_GET:
	case HTTP_HEAD:
		return respond_static(ctx, route, req, resp);
	case HTTP_POST:
	case HTTP_PUT:
	case HTTP_DELETE:
		return handle_writes(ctx, route, req, resp);
	default:
		return respond_error(ctx, route, req, 405, resp);
	}
}

static void route_clear(struct http_route *route)
{
	route->server = NULL;
	route->loc = NULL;
	route->path[0] = '\0';
	route->path_len = 0;
	route->script_len = 0;
	route->cgi = NULL;
	route->script_base = NULL;
	route->script_file[0] = '\0';
}

/* "OPTIONS * HTTP/1.1" asks about the server (RFC 9110 §9.3.7). */
static bool is_options_star(const struct http_request *req)
{
	return method_is(req, HTTP_OPTIONS) && req->path.len == 1 &&
	       req->path.ptr[0] == '*';
}

static unsigned server_allow(const struct server *srv)
{
	unsigned allow = 0;

	for (size_t i = 0; i < srv->location_count; i++)
		allow |= location_allow(&srv->locations[i], true);
	return allow;
}

enum http_next http_handle(const struct http_ctx *ctx,
			   const struct http_request *req,
			   struct http_route *route, struct response *resp)
{
	ssize_t len;
	int next;

	route_clear(route);
	route->server = router_server(ctx->cfg, ctx->listen_idx, req->host);
	if (route->server == NULL) {
		http_error(ctx, NULL, 500, method_is(req, HTTP_HEAD), resp);
		return NEXT_RESPOND;
	}
	/* Error pages of a request without a usable path: the server's. */
	route->loc = router_location(route->server, "/", 1);
	if (is_options_star(req))
		return respond_options(server_allow(route->server), resp);
	/* RFC 9110 §9.3.6: CONNECT asks for a tunnel, which an origin
	 * server does not make: 405, as nginx answers (its target names
	 * no path, so the Allow is the server's "/") */
	if (method_is(req, HTTP_CONNECT)) {
		route->path[0] = '\0';
		return respond_error(ctx, route, req, 405, resp);
	}
	len = path_canonical(req->path.ptr, req->path.len, route->path,
			     sizeof(route->path));
	if (len < 0) {
		route->path[0] = '\0';
		return respond_error(ctx, route, req, 400, resp);
	}
	route->path_len = (size_t)len;
	for (int hop = 0; hop <= HANDLER_MAX_HOPS; hop++) {
		route->loc = router_location(route->server, route->path,
					     route->path_len);
		next = handle_location(ctx, route, req, resp);
		if (next != HANDLE_REROUTE)
			return (enum http_next)next;
	}
	/* Index files pointing at index files: a configuration loop. */
	return respond_error(ctx, route, req, 500, resp);
}

static const char *error_page_uri(const struct location *loc, int status)
{
	for (size_t i = 0; i < loc->error_page_count; i++)
		if (loc->error_pages[i].code == status)
			return loc->error_pages[i].uri;
	return NULL;
}

/*
 * The custom page uri, read as a plain file of the location it maps to
 * (never run: a page inside a CGI location is refused rather than its
 * source shown).  0 with resp filled, or -1 and resp untouched.
 */
static int serve_error_page(const struct http_ctx *ctx,
			    const struct server *srv, const char *uri,
			    int status, bool head_only, struct response *resp)
{
	char canon[PATH_MAX], rel[PATH_MAX];
	const struct location *loc;
	const char *base, *type;
	struct stat st;
	size_t script_len;
	ssize_t len;
	bool close_flag;
	int fd;

	len = path_canonical(uri, strlen(uri), canon, sizeof(canon));
	if (len < 0)
		return -1;
	loc = router_location(srv, canon, (size_t)len);
	if (loc == NULL || cgi_split(loc, canon, (size_t)len, &script_len))
		return -1;
	if (static_map(loc, canon, (size_t)len, &base, rel, sizeof(rel)) == -1)
		return -1;
	fd = static_open_beneath(base, rel, O_RDONLY | O_CLOEXEC | O_NONBLOCK,
				 0);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		goto fail_close;
	close_flag = resp->close;
	response_reset(resp);
	resp->close = close_flag;
	response_status(resp, status);
	/* mime_type copes with a NULL table (built-in types only). */
	type = mime_type(ctx->cfg->mime, canon, (size_t)len);
	response_header(resp, "Content-Type", "%s", type);
	response_header(resp, "Content-Length", "%jd", (intmax_t)st.st_size);
	if (head_only) {
		close(fd);
		return 0;
	}
	resp->body_kind = BODY_FILE;
	resp->fd = fd;
	resp->file_off = 0;
	resp->file_len = st.st_size;
	return 0;
fail_close:
	close(fd);
	return -1;
}

void http_error(const struct http_ctx *ctx, const struct http_route *route,
		int status, bool head_only, struct response *resp)
{
	const char *uri = NULL;
	struct http_route fallback;

	/* A request refused before routing (400, 408, 414, 431, 501...)
	 * gets the error pages of the address's default server, as in
	 * nginx. */
	if (route == NULL && ctx->cfg != NULL) {
		route_clear(&fallback);
		fallback.server = router_server(ctx->cfg, ctx->listen_idx,
						(struct slice){"", 0});
		if (fallback.server != NULL) {
			fallback.loc = router_location(fallback.server, "/", 1);
			route = &fallback;
		}
	}

	if (route != NULL && route->server != NULL && route->loc != NULL &&
	    response_status_has_body(status))
		uri = error_page_uri(route->loc, status);
	if (uri == NULL || serve_error_page(ctx, route->server, uri, status,
					    head_only, resp) == -1)
		response_builtin_error(resp, status, head_only);
	/* RFC 9110 §15.5.6: a 405 lists the methods that would work. */
	if (status == 405 && route != NULL && route->loc != NULL)
		add_allow(resp, route_allow(route));
}
