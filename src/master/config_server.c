/*
 * config_server.c - servers and their locations: listen addresses, names,
 * inheritance down to each location, the synthesised "/" location, the
 * longest-first sort, and the checks that span several servers (names and
 * default_server per address, addresses that cannot all be bound).
 * Invariant: every server it leaves in the config has locations sorted
 * longest path first, one of them "/", each with its effective values.
 * Never binds or resolves a host name: addresses are numeric.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"
#include "method.h"

/* ---- listen ------------------------------------------------------------- */

/* "8080" | "*:8080" | "localhost:8080" | "1.2.3.4:8080" | "[::1]:8080".
 * Returns NULL or the reason text is not a listen address. */
static const char *parse_listen(const char *text, struct sockaddr_storage *ss,
				socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + 1] = "";
	const char *port_text = text;
	unsigned long port = 0;

	memset(ss, 0, sizeof(*ss));
	if (text[0] == '[') {
		const char *end = strchr(text, ']');
		if (end == NULL || end[1] != ':')
			return "an IPv6 address is written \"[::1]:8080\"";
		if ((size_t)(end - text - 1) >= sizeof(host))
			return "not an IPv6 address";
		memcpy(host, text + 1, (size_t)(end - text - 1));
		port_text = end + 2;
	} else if (strchr(text, ':') != NULL) {
		const char *colon = strrchr(text, ':');
		if (colon != strchr(text, ':'))
			return "an IPv6 address needs brackets: \"[::1]:8080\"";
		if ((size_t)(colon - text) >= sizeof(host))
			return "not a numeric address";
		memcpy(host, text, (size_t)(colon - text));
		port_text = colon + 1;
	}
	if (port_text[0] == '\0' || strlen(port_text) > 5 ||
	    strspn(port_text, "0123456789") != strlen(port_text))
		return "the port must be a number 1 .. 65535";
	port = strtoul(port_text, NULL, 10);
	if (port == 0 || port > 65535)
		return "the port must be 1 .. 65535";
	if (text[0] == '[') {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return "not an IPv6 address";
		*len = sizeof(*sin6);
		return NULL;
	}
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	*len = sizeof(*sin);
	if (host[0] == '\0' || strcmp(host, "*") == 0)
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (strcasecmp(host, "localhost") == 0)
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return "not a numeric IPv4 address (or \"*\", \"localhost\")";
	return NULL;
}

static uint16_t addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_port;
	return ((const struct sockaddr_in6 *)ss)->sin6_port;
}

static bool addr_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(
	    &((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static bool addr_equal(const struct sockaddr_storage *a,
		       const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family || addr_port(a) != addr_port(b))
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return IN6_ARE_ADDR_EQUAL(&((const struct sockaddr_in6 *)a)->sin6_addr,
				  &((const struct sockaddr_in6 *)b)->sin6_addr);
}

static char *listen_text(struct cfg_ctx *ctx, const struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN];
	char text[INET6_ADDRSTRLEN + 16];
	const void *addr =
	    ss->ss_family == AF_INET
		? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
		: (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	int n;

	if (inet_ntop(ss->ss_family, addr, host, sizeof(host)) == NULL)
		return NULL;
	n = snprintf(text, sizeof(text),
		     ss->ss_family == AF_INET ? "%s:%u" : "[%s]:%u", host,
		     (unsigned)ntohs(addr_port(ss)));
	if (n < 0 || (size_t)n >= sizeof(text))
		return NULL;
	return cfg_strdup(ctx, text);
}

/* Index of the address in cfg->listens, added when new; -1 on ENOMEM. */
static long listen_index(struct cfg_ctx *ctx, const config_setting_t *e,
			 const struct sockaddr_storage *ss, socklen_t len)
{
	struct config *cfg = ctx->cfg;
	struct listen_addr *l;

	for (size_t i = 0; i < cfg->listen_count; i++)
		if (addr_equal(&cfg->listens[i].addr, ss))
			return (long)i;
	if (cfg->listen_count == ctx->listen_cap) {
		size_t cap = ctx->listen_cap ? ctx->listen_cap * 2 : 4;
		void *grown = reallocarray(cfg->listens, cap, sizeof(*l));
		if (grown == NULL)
			goto oom;
		cfg->listens = grown;
		grown = reallocarray(ctx->listen_src, cap, sizeof(e));
		if (grown == NULL)
			goto oom;
		ctx->listen_src = grown;
		ctx->listen_cap = cap;
	}
	l = &cfg->listens[cfg->listen_count];
	memset(l, 0, sizeof(*l));
	memcpy(&l->addr, ss, len);
	l->addr_len = len;
	l->text = listen_text(ctx, ss);
	if (l->text == NULL)
		goto oom;
	ctx->listen_src[cfg->listen_count] = e;
	return (long)cfg->listen_count++;
oom:
	ctx->oom = true;
	return -1;
}

void cfg_h_listen(struct cfg_ctx *ctx, const config_setting_t *s,
		  struct cfg_target *t)
{
	struct server *srv = t->srv;
	int n = cfg_list(ctx, s);

	t->srv_info->listen = s;
	if (n < 0)
		return;
	if (n == 0)
		cfg_err(ctx, s, "'listen' must not be empty");
	srv->listens = cfg_calloc(ctx, (size_t)n, sizeof(*srv->listens));
	if (srv->listens == NULL)
		return;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = cfg_list_at(s, i);
		struct sockaddr_storage ss;
		socklen_t len;
		const char *v, *why;
		char addr[INET6_ADDRSTRLEN + 16];
		size_t known;
		bool tls;
		long idx;
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			cfg_err(ctx, e,
				"'listen' must be a string like \"8080\" or "
				"\"127.0.0.1:8080\"");
			continue;
		}
		if (cfg_string(ctx, e, &v) < 0)
			continue;
		char plain[256]; /* v without " proxy_protocol" */
		bool proxy;
		if (cfg_listen_flags(
			cfg_listen_proxy(v, plain, sizeof(plain), &proxy), addr,
			sizeof(addr), &tls, &why) < 0 ||
		    (why = parse_listen(addr, &ss, &len)) != NULL) {
			cfg_err(ctx, e, "listen \"%s\": %s", v, why);
			continue;
		}
		known = ctx->cfg->listen_count;
		if ((idx = listen_index(ctx, e, &ss, len)) < 0)
			return;
		/* h2 on an address in one server is h2 for all of them */
		if (cfg_listen_h2(v))
			ctx->cfg->listens[idx].h2 = true;
		if ((size_t)idx == known)
			ctx->cfg->listens[idx].tls = tls;
		else if (ctx->cfg->listens[idx].tls != tls)
			cfg_err(ctx, e,
				"listen \"%s\": %s is %s in another server "
				"(one address is TLS for all or for none)",
				v, ctx->cfg->listens[idx].text,
				tls ? "cleartext" : "TLS");
		cfg_listen_proxy_set(ctx, e, (size_t)idx, idx == (long)known,
				     proxy);
		for (size_t k = 0; k < srv->listen_count; k++)
			if (srv->listens[k] == (size_t)idx) {
				cfg_err(ctx, e, "listen \"%s\" is listed twice",
					v);
				idx = -1;
				break;
			}
		if (idx >= 0)
			srv->listens[srv->listen_count++] = (size_t)idx;
	}
}

/* ---- server_names, default_server, locations --------------------------- */

static bool name_ok(const char *name)
{
	for (const char *p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' &&
		    *p != '_')
			return false;
	return true;
}

void cfg_h_server_names(struct cfg_ctx *ctx, const config_setting_t *s,
			struct cfg_target *t)
{
	struct server *srv = t->srv;
	int n = cfg_list(ctx, s);

	t->srv_info->names = s;
	if (n < 0)
		return;
	srv->names = cfg_calloc(ctx, (size_t)n, sizeof(*srv->names));
	if (srv->names == NULL)
		return;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = cfg_list_at(s, i);
		const char *v;
		char *name;
		if (cfg_string(ctx, e, &v) < 0)
			continue;
		if (!name_ok(v)) {
			cfg_err(
			    ctx, e,
			    "server name \"%s\" may hold only letters, "
			    "digits, '-', '.' and '_' (names match exactly)",
			    v);
			continue;
		}
		if ((name = cfg_strdup(ctx, v)) == NULL)
			return;
		/* RFC 9110 §4.2.3: host names compare case-insensitively. */
		for (char *p = name; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		srv->names[srv->name_count++] = name;
	}
}

void cfg_h_default_server(struct cfg_ctx *ctx, const config_setting_t *s,
			  struct cfg_target *t)
{
	if (cfg_bool(ctx, s, &t->srv->default_server) == 0 &&
	    t->srv->default_server)
		t->srv_info->default_server = s;
}

void cfg_h_locations(struct cfg_ctx *ctx, const config_setting_t *s,
		     struct cfg_target *t)
{
	if (!config_setting_is_list(s)) {
		cfg_err(ctx, s,
			"'locations' must be a list: ( { path = \"/\"; "
			"... } )");
		return;
	}
	t->locations = s;
}

/* ---- locations: effective values --------------------------------------- */

static void default_methods(struct location *loc)
{
	loc->methods = METHOD_BIT(HTTP_GET) | METHOD_BIT(HTTP_HEAD);
	if (loc->upload_dir != NULL)
		loc->methods |= METHOD_BIT(HTTP_POST) | METHOD_BIT(HTTP_PUT) |
				METHOD_BIT(HTTP_DELETE);
	if (loc->cgi_count > 0)
		loc->methods |= METHOD_BIT(HTTP_POST);
}

/* Redirects and status pages, and write-only upload areas, read no files. */
static bool serves_files(const struct location *loc)
{
	unsigned reads = METHOD_BIT(HTTP_GET) | METHOD_BIT(HTTP_HEAD);

	if (loc->redirect_code != 0 || loc->status)
		return false;
	if (loc->upload_dir != NULL && !(loc->methods & reads) &&
	    loc->cgi_count == 0)
		return false;
	return true;
}

/*
 * methods written in this group that nothing here can answer: a body
 * needs upload_dir or cgi, PUT and DELETE need upload_dir or a script
 * (a CGI script takes every method its location allows).  They get 405
 * at run time; say so now (a warning: the file is valid).
 */
static void warn_dead_methods(struct cfg_ctx *ctx, const struct location *loc,
			      const config_setting_t *s)
{
	const config_setting_t *m = config_setting_get_member(s, "methods");

	if (m == NULL || loc->redirect_code != 0 || loc->status)
		return;
	if ((loc->methods & METHOD_BIT(HTTP_POST)) && loc->upload_dir == NULL &&
	    loc->cgi_count == 0)
		cfg_warn(ctx, m,
			 "POST allowed but nothing here accepts a body (no "
			 "upload_dir, no cgi): it gets 405");
	for (int k = 0; k < 2; k++) {
		enum http_method verb = k ? HTTP_DELETE : HTTP_PUT;

		if ((loc->methods & METHOD_BIT(verb)) &&
		    loc->upload_dir == NULL && loc->cgi_count == 0)
			cfg_warn(ctx, m,
				 "%s allowed but there is no upload_dir here: "
				 "it gets 405",
				 k ? "DELETE" : "PUT");
	}
}

/* s: the location's group (or its server's, for a synthesised "/"). */
static void finish_location(struct cfg_ctx *ctx, struct location *loc,
			    const struct cfg_flags *flags,
			    const config_setting_t *s)
{
	loc->line = (int)config_setting_source_line(s);
	if (flags->alias != NULL) {
		if (flags->root != NULL)
			cfg_err(
			    ctx, flags->alias,
			    "a location has either root or alias, not both");
		free(loc->root);
		loc->root = NULL;
	}
	if (!flags->methods_set)
		default_methods(loc);
	if (!flags->index_set) {
		/* Nobody up the chain wrote one: the copied list is empty. */
		free(loc->index);
		loc->index = cfg_calloc(ctx, 1, sizeof(char *));
		if (loc->index != NULL &&
		    (loc->index[0] = cfg_strdup(ctx, "index.html")) != NULL)
			loc->index_count = 1;
	}
	if (serves_files(loc) && loc->root == NULL && loc->alias == NULL)
		cfg_err(ctx, s,
			"location \"%s\" serves files but has no root "
			"(set root in it, its server or http, or alias in it)",
			loc->path);
	warn_dead_methods(ctx, loc, s);
}

static int compare_locations(const void *a, const void *b)
{
	const struct location *la = a, *lb = b;

	if (la->path_len != lb->path_len)
		return la->path_len > lb->path_len ? -1 : 1;
	return strcmp(la->path, lb->path);
}

static bool read_location(struct cfg_ctx *ctx, struct server *srv,
			  const config_setting_t *e, const struct location *tpl,
			  const struct cfg_flags *srv_flags)
{
	struct location *loc = &srv->locations[srv->location_count];
	struct cfg_flags flags = {.methods_set = srv_flags->methods_set,
				  .index_set = srv_flags->index_set};
	struct cfg_target t = {.srv = srv, .loc = loc, .flags = &flags};

	if (cfg_group(ctx, e) < 0 || cfg_location_copy(ctx, loc, tpl) < 0)
		return false;
	cfg_walk(ctx, e, SCOPE_LOCATION, &t);
	if (flags.path == NULL || loc->path == NULL) {
		if (flags.path == NULL)
			cfg_err(ctx, e, "location needs a 'path'");
		goto drop;
	}
	for (size_t k = 0; k < srv->location_count; k++) {
		if (strcmp(srv->locations[k].path, loc->path) != 0)
			continue;
		cfg_err(ctx, flags.path,
			"location \"%s\" is defined twice in this server",
			loc->path);
		goto drop;
	}
	finish_location(ctx, loc, &flags, e);
	srv->location_count++;
	return strcmp(loc->path, "/") == 0;
drop:
	cfg_location_clear(loc);
	return false;
}

static void read_locations(struct cfg_ctx *ctx, struct server *srv,
			   const config_setting_t *list,
			   const config_setting_t *group,
			   const struct location *tpl,
			   const struct cfg_flags *srv_flags)
{
	int n = list ? config_setting_length(list) : 0;
	bool have_root_path = false;

	srv->locations =
	    cfg_calloc(ctx, (size_t)n + 1, sizeof(struct location));
	if (srv->locations == NULL)
		return;
	for (int i = 0; i < n && !ctx->oom; i++)
		if (read_location(ctx, srv,
				  config_setting_get_elem(list, (unsigned)i),
				  tpl, srv_flags))
			have_root_path = true;
	if (!have_root_path && !ctx->oom) {
		struct location *loc = &srv->locations[srv->location_count];
		struct cfg_flags flags = {.methods_set = srv_flags->methods_set,
					  .index_set = srv_flags->index_set};
		if (cfg_location_copy(ctx, loc, tpl) < 0)
			return;
		srv->location_count++;
		loc->path = cfg_strdup(ctx, "/");
		loc->path_len = 1;
		if (loc->path != NULL)
			finish_location(ctx, loc, &flags, group);
	}
	if (!ctx->oom)
		qsort(srv->locations, srv->location_count,
		      sizeof(*srv->locations), compare_locations);
}

static void read_server(struct cfg_ctx *ctx, const config_setting_t *group,
			struct server *srv, struct cfg_server_info *info)
{
	struct location tpl;
	struct cfg_flags flags = {.methods_set = ctx->http_flags.methods_set,
				  .index_set = ctx->http_flags.index_set};
	struct cfg_target t = {
	    .srv = srv, .srv_info = info, .loc = &tpl, .flags = &flags};

	srv->line = (int)config_setting_source_line(group);
	info->group = group;
	if (cfg_location_copy(ctx, &tpl, &ctx->http_tpl) < 0)
		return;
	cfg_walk(ctx, group, SCOPE_SERVER, &t);
	if (info->listen == NULL)
		cfg_err(ctx, group, "server needs 'listen'");
	if (!ctx->oom)
		read_locations(ctx, srv, t.locations, group, &tpl, &flags);
	cfg_location_clear(&tpl);
}

/* ---- checks across servers --------------------------------------------- */

/* First address both servers listen on, or -1. */
static long shared_listen(const struct server *a, const struct server *b)
{
	for (size_t i = 0; i < a->listen_count; i++)
		for (size_t k = 0; k < b->listen_count; k++)
			if (a->listens[i] == b->listens[k])
				return (long)a->listens[i];
	return -1;
}

static bool has_name(const struct server *srv, const char *name)
{
	for (size_t i = 0; i < srv->name_count; i++)
		if (strcmp(srv->names[i], name) == 0)
			return true;
	return false;
}

/* The element of server_names that holds name (for its line). */
static const config_setting_t *name_setting(const config_setting_t *names,
					    const char *name)
{
	int n =
	    config_setting_is_scalar(names) ? 1 : config_setting_length(names);

	for (int i = 0; i < n; i++) {
		const config_setting_t *e = cfg_list_at(names, i);
		const char *v = config_setting_get_string(e);
		if (v != NULL && strcasecmp(v, name) == 0)
			return e;
	}
	return names;
}

static void check_server_pair(struct cfg_ctx *ctx, size_t i, size_t j,
			      bool *default_reported)
{
	const struct config *cfg = ctx->cfg;
	const struct server *a = &cfg->servers[i], *b = &cfg->servers[j];
	const struct cfg_server_info *ai = &ctx->srv_info[i];
	const struct cfg_server_info *bi = &ctx->srv_info[j];
	long l = shared_listen(a, b);
	char other[4200];

	if (l < 0)
		return;
	cfg_where(ctx, bi->group, other, sizeof(other));
	if (a->default_server && b->default_server && !*default_reported) {
		cfg_err(ctx, ai->default_server,
			"a second default_server on %s (the first is the "
			"server at %s)",
			cfg->listens[l].text, other);
		*default_reported = true;
	}
	for (size_t k = 0; k < a->name_count; k++) {
		if (!has_name(b, a->names[k]))
			continue;
		/* Report each name once: against its first earlier user. */
		bool earlier = false;
		for (size_t m = 0; m < j && !earlier; m++)
			earlier = shared_listen(a, &cfg->servers[m]) >= 0 &&
				  has_name(&cfg->servers[m], a->names[k]);
		if (!earlier)
			cfg_err(ctx, name_setting(ai->names, a->names[k]),
				"server name \"%s\" on %s is already used by "
				"the server at %s",
				a->names[k], cfg->listens[l].text, other);
	}
}

/* Linux refuses to bind 127.0.0.1:80 next to a listening 0.0.0.0:80 (and
 * [::1]:80 next to [::]:80): say so now rather than fail at bind. */
static void check_overlaps(struct cfg_ctx *ctx)
{
	const struct config *cfg = ctx->cfg;

	for (size_t i = 0; i < cfg->listen_count; i++) {
		const struct sockaddr_storage *a = &cfg->listens[i].addr;
		for (size_t k = 0; k < i; k++) {
			const struct sockaddr_storage *b =
			    &cfg->listens[k].addr;
			if (a->ss_family != b->ss_family ||
			    addr_port(a) != addr_port(b) ||
			    addr_wildcard(a) == addr_wildcard(b))
				continue;
			cfg_err(
			    ctx, ctx->listen_src[i],
			    "listen %s overlaps %s: a wildcard address takes "
			    "the port on every address; use one or the other",
			    cfg->listens[i].text, cfg->listens[k].text);
			break;
		}
	}
}

void cfg_servers(struct cfg_ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	const config_setting_t *list = ctx->servers;
	size_t n = (size_t)config_setting_length(list);

	cfg->servers = cfg_calloc(ctx, n, sizeof(*cfg->servers));
	ctx->srv_info = cfg_calloc(ctx, n, sizeof(*ctx->srv_info));
	if (cfg->servers == NULL || ctx->srv_info == NULL)
		return;
	for (size_t i = 0; i < n && !ctx->oom; i++) {
		const config_setting_t *e =
		    config_setting_get_elem(list, (unsigned)i);
		if (cfg_group(ctx, e) < 0)
			continue;
		read_server(ctx, e, &cfg->servers[cfg->server_count],
			    &ctx->srv_info[cfg->server_count]);
		cfg->server_count++;
	}
	for (size_t i = 0; i < cfg->server_count && !ctx->oom; i++) {
		bool default_reported = false;
		for (size_t j = 0; j < i; j++)
			check_server_pair(ctx, i, j, &default_reported);
	}
	if (!ctx->oom)
		check_overlaps(ctx);
}
