/*
 * config.c - load a libconfig file into the immutable struct config.
 *
 * Reads the whole schema (DESIGN.md §4), validates every setting and
 * resolves inheritance http -> server -> location, so that each location
 * carries its effective values.  Every problem is collected as one
 * "FILE:LINE: message" line (FILE may be an @include'd file) and all of
 * them are reported in one run.  Strings are copied out of libconfig,
 * whose tree is destroyed before config_load() returns.
 * Invariant: a returned config is complete and valid; never a partial one.
 * Never opens a socket, never changes process state (no chdir, no setuid).
 *
 * Defaults (when a setting is absent):
 *   workers              "auto": one per online CPU (0 means the same)
 *   pid_file             none
 *   error_log            "stderr"
 *   log_level            "info"
 *   user, group          none (no privilege drop)
 *   access_log           "off"
 *   access_log_format    "combined"  access_log_buffer 0 (a write per line)
 *   access_log_flush     1s
 *   real_ip_from         none (X-Forwarded-For is not read)
 *   proxy_protocol_timeout 5s
 *   keepalive_timeout    15s      header_timeout     10s
 *   body_timeout         30s      send_timeout       30s
 *   cgi_timeout          30s      shutdown_timeout   30s
 *   header_buffer        "8k"     (1k .. 1m)
 *   client_max_body_size "1m"
 *   max_connections      10000    (per worker, 1 .. 1048576)
 *   static_compressed    none     compress       none
 *   compress_types       text, JavaScript, JSON, XML, SVG... (compress.c)
 *   compress_min_size    256      compress_level 6 (1 .. 9)
 *   index                [ "index.html" ]
 *   autoindex            false
 *   error_pages          none (built-in pages)
 *   allow                none (everyone)
 *   methods              GET, HEAD; plus POST, PUT, DELETE when the
 *                        location has upload_dir; plus POST when it has cgi
 *   root                 none: a location that serves files needs root
 *                        (from http, its server or itself) or alias
 *   "/" location         synthesised from the server's settings when the
 *                        server does not write one
 * Relative paths (root, alias, upload_dir, pid_file, error_log and
 * access_log files) are relative to the directory of the main config file;
 * so are @include file names.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_int.h"
#include "log.h"
#include "mime.h"

#define MIME_TYPES_PATH	    "/etc/mime.types"
#define WORKERS_MAX	    1024
#define MAX_CONNECTIONS_MAX 1048576u
#define HEADER_BUFFER_MIN   1024u
#define HEADER_BUFFER_MAX   (1024u * 1024u)

/* ---- the schema: which names exist where ------------------------------- */

static cfg_handler h_workers, h_pid_file, h_error_log, h_log_level, h_user,
    h_group, h_http, h_servers, h_access_log, h_header_buffer,
    h_max_connections;

#define INHERITED (SCOPE_HTTP | SCOPE_SERVER | SCOPE_LOCATION)

static const struct cfg_spec specs[] = {
    {"workers", SCOPE_MAIN, h_workers},
    {"pid_file", SCOPE_MAIN, h_pid_file},
    {"error_log", SCOPE_MAIN, h_error_log},
    {"log_level", SCOPE_MAIN, h_log_level},
    {"user", SCOPE_MAIN, h_user},
    {"group", SCOPE_MAIN, h_group},
    {"http", SCOPE_MAIN, h_http},
    {"servers", SCOPE_MAIN, h_servers},
    {"access_log", SCOPE_HTTP, h_access_log},
    {"header_buffer", SCOPE_HTTP, h_header_buffer},
    {"max_connections", SCOPE_HTTP, h_max_connections},
    {"keepalive_timeout", INHERITED, cfg_h_timeout},
    {"header_timeout", INHERITED, cfg_h_timeout},
    {"body_timeout", INHERITED, cfg_h_timeout},
    {"send_timeout", INHERITED, cfg_h_timeout},
    {"cgi_timeout", INHERITED, cfg_h_timeout},
    {"shutdown_timeout", INHERITED, cfg_h_timeout},
    {"client_max_body_size", INHERITED, cfg_h_body_size},
    {"root", INHERITED, cfg_h_root},
    {"index", INHERITED, cfg_h_index},
    {"autoindex", INHERITED, cfg_h_autoindex},
    {"error_pages", INHERITED, cfg_h_error_pages},
    {"methods", INHERITED, cfg_h_methods},
    {"allow", INHERITED, cfg_h_allow},
    {"headers", INHERITED, cfg_h_headers},
    {"listen", SCOPE_SERVER, cfg_h_listen},
    {"server_names", SCOPE_SERVER, cfg_h_server_names},
    {"default_server", SCOPE_SERVER, cfg_h_default_server},
    {"locations", SCOPE_SERVER, cfg_h_locations},
    {"path", SCOPE_LOCATION, cfg_h_path},
    {"alias", SCOPE_LOCATION, cfg_h_alias},
    {"redirect", SCOPE_LOCATION, cfg_h_redirect},
    {"upload_dir", SCOPE_LOCATION, cfg_h_upload_dir},
    {"cgi", SCOPE_LOCATION, cfg_h_cgi},
    {"status", SCOPE_LOCATION, cfg_h_status},
    {"tls", SCOPE_SERVER, cfg_h_tls},
    {"tls_protocols", SCOPE_HTTP, cfg_h_tls_protocols},
    {"tls_ciphers", SCOPE_HTTP, cfg_h_tls_ciphers},
    {"tls_handshake_timeout", SCOPE_HTTP, cfg_h_tls_handshake_timeout},
    {"tls_session_tickets", SCOPE_HTTP, cfg_h_tls_session_tickets},
    {"code", SCOPE_REDIRECT, cfg_h_redirect_code},
    {"to", SCOPE_REDIRECT, cfg_h_redirect_to},
    {"ext", SCOPE_CGI, cfg_h_cgi_ext},
    {"interpreter", SCOPE_CGI, cfg_h_cgi_interpreter},
    {"codes", SCOPE_ERROR_PAGE, cfg_h_page_codes},
    {"uri", SCOPE_ERROR_PAGE, cfg_h_page_uri},
    {"static_compressed", INHERITED, cfg_h_codings},
    {"compress", INHERITED, cfg_h_codings},
    {"compress_types", INHERITED, cfg_h_compress_types},
    {"compress_min_size", INHERITED, cfg_h_compress_min_size},
    {"compress_level", INHERITED, cfg_h_compress_level},
    {"cgi_params", INHERITED, cfg_h_cgi_params},
    {"access_log_format", SCOPE_HTTP, cfg_h_access_log_format},
    {"access_log_buffer", SCOPE_HTTP, cfg_h_access_log_buffer},
    {"access_log_flush", SCOPE_HTTP, cfg_h_access_log_flush},
    {"real_ip_from", SCOPE_HTTP, cfg_h_real_ip_from},
    {"proxy_protocol_timeout", SCOPE_HTTP, cfg_h_proxy_protocol_timeout},
};

#define SPEC_COUNT (sizeof(specs) / sizeof(specs[0]))

const char *cfg_scope_name(enum cfg_scope scope)
{
	switch (scope) {
	case SCOPE_MAIN:
		return "the top level";
	case SCOPE_HTTP:
		return "http";
	case SCOPE_SERVER:
		return "a server";
	case SCOPE_LOCATION:
		return "a location";
	case SCOPE_REDIRECT:
		return "a redirect";
	case SCOPE_CGI:
		return "a cgi entry";
	case SCOPE_ERROR_PAGE:
		return "an error_pages entry";
	}
	return "?";
}

/* "http, a server or a location" for the scopes in mask. */
static void scope_list(unsigned mask, char *out, size_t cap)
{
	size_t len = 0;
	unsigned left = mask;

	out[0] = '\0';
	for (unsigned bit = 1; bit <= SCOPE_ERROR_PAGE; bit <<= 1) {
		if (!(mask & bit))
			continue;
		left &= ~bit;
		const char *sep = len == 0 ? "" : left ? ", " : " or ";
		int n = snprintf(out + len, cap - len, "%s%s", sep,
				 cfg_scope_name((enum cfg_scope)bit));
		if (n < 0 || (size_t)n >= cap - len)
			return;
		len += (size_t)n;
	}
}

/* Closest name valid in scope, or NULL when nothing is close enough. */
static const char *suggest(const char *name, enum cfg_scope scope)
{
	const char *best = NULL;
	size_t best_dist = SIZE_MAX;
	size_t len = strlen(name);

	for (size_t i = 0; i < SPEC_COUNT; i++) {
		if (!(specs[i].scopes & scope))
			continue;
		size_t clen = strlen(specs[i].name);
		size_t d = cfg_edit_distance(name, specs[i].name);
		size_t longest = len > clen ? len : clen;
		bool prefix =
		    len >= 4 && strncmp(name, specs[i].name, len) == 0;
		if ((d * 3 <= longest || prefix) && d < best_dist) {
			best = specs[i].name;
			best_dist = d;
		}
	}
	return best;
}

static void unknown_setting(struct cfg_ctx *ctx, const config_setting_t *s,
			    enum cfg_scope scope)
{
	const char *name = config_setting_name(s);
	const char *near;
	char scopes[128];

	for (size_t i = 0; i < SPEC_COUNT; i++) {
		if (strcmp(specs[i].name, name) != 0)
			continue;
		scope_list(specs[i].scopes, scopes, sizeof(scopes));
		cfg_err(ctx, s, "'%s' is not allowed in %s (only in %s)", name,
			cfg_scope_name(scope), scopes);
		return;
	}
	near = suggest(name, scope);
	if (near != NULL)
		cfg_err(ctx, s,
			"unknown setting '%s' in %s; did you mean '%s'?", name,
			cfg_scope_name(scope), near);
	else
		cfg_err(ctx, s, "unknown setting '%s' in %s", name,
			cfg_scope_name(scope));
}

void cfg_walk(struct cfg_ctx *ctx, const config_setting_t *group,
	      enum cfg_scope scope, struct cfg_target *t)
{
	if (cfg_group(ctx, group) < 0)
		return;
	for (int i = 0; i < config_setting_length(group) && !ctx->oom; i++) {
		const config_setting_t *s =
		    config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s);
		size_t k;

		for (k = 0; k < SPEC_COUNT; k++)
			if ((specs[k].scopes & scope) &&
			    strcmp(specs[k].name, name) == 0)
				break;
		if (k == SPEC_COUNT)
			unknown_setting(ctx, s, scope);
		else
			specs[k].fn(ctx, s, t);
	}
}

/* ---- top level and http ------------------------------------------------ */

static void h_workers(struct cfg_ctx *ctx, const config_setting_t *s,
		      struct cfg_target *t)
{
	long long n;

	(void)t;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		if (strcmp(config_setting_get_string(s), "auto") != 0)
			cfg_err(ctx, s, "workers must be a number or \"auto\"");
		ctx->cfg->workers = 0;
		return;
	}
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		cfg_err(ctx, s, "workers must be a number or \"auto\"");
		return;
	}
	if (cfg_int(ctx, s, &n) < 0)
		return;
	if (n < 0 || n > WORKERS_MAX)
		cfg_err(ctx, s, "workers must be 0 (auto) .. %d, not %lld",
			WORKERS_MAX, n);
	else
		ctx->cfg->workers = (unsigned)n;
}

/* A file the server will create: its directory must exist. */
static char *file_path(struct cfg_ctx *ctx, const config_setting_t *s,
		       const char *text)
{
	char *path = cfg_path(ctx, text);
	struct stat st;

	if (path == NULL)
		return NULL;
	char *slash = strrchr(path, '/');
	*slash = '\0';
	if (stat(slash == path ? "/" : path, &st) == -1 || !S_ISDIR(st.st_mode))
		cfg_err(ctx, s, "directory \"%s\" does not exist",
			slash == path ? "/" : path);
	*slash = '/';
	return path;
}

static void set_str(char **field, char *value)
{
	free(*field);
	*field = value;
}

static void h_pid_file(struct cfg_ctx *ctx, const config_setting_t *s,
		       struct cfg_target *t)
{
	const char *v;

	(void)t;
	if (cfg_string(ctx, s, &v) == 0)
		set_str(&ctx->cfg->pid_file, file_path(ctx, s, v));
}

static void h_error_log(struct cfg_ctx *ctx, const config_setting_t *s,
			struct cfg_target *t)
{
	const char *v;

	(void)t;
	if (cfg_string(ctx, s, &v) < 0)
		return;
	/* Keywords the other log takes would silently become file names. */
	if (strcmp(v, "stderr") == 0)
		set_str(&ctx->cfg->error_log, cfg_strdup(ctx, v));
	else if (strcmp(v, "stdout") == 0 || strcmp(v, "off") == 0)
		cfg_err(ctx, s, "error_log is \"stderr\" or a path");
	else
		set_str(&ctx->cfg->error_log, file_path(ctx, s, v));
}

static void h_log_level(struct cfg_ctx *ctx, const config_setting_t *s,
			struct cfg_target *t)
{
	const char *v;
	int level;

	(void)t;
	if (cfg_string(ctx, s, &v) < 0)
		return;
	level = log_level_from_name(v);
	if (level < 0)
		cfg_err(ctx, s,
			"log_level \"%s\" is not one of error, warn, "
			"info, debug",
			v);
	else
		ctx->cfg->log_level = (enum log_level)level;
}

static void h_user(struct cfg_ctx *ctx, const config_setting_t *s,
		   struct cfg_target *t)
{
	const char *v;

	(void)t;
	if (cfg_string(ctx, s, &v) < 0)
		return;
	if (getpwnam(v) == NULL)
		cfg_err(ctx, s, "unknown user \"%s\"", v);
	set_str(&ctx->cfg->user, cfg_strdup(ctx, v));
}

static void h_group(struct cfg_ctx *ctx, const config_setting_t *s,
		    struct cfg_target *t)
{
	const char *v;

	(void)t;
	if (cfg_string(ctx, s, &v) < 0)
		return;
	if (getgrnam(v) == NULL)
		cfg_err(ctx, s, "unknown group \"%s\"", v);
	set_str(&ctx->cfg->group, cfg_strdup(ctx, v));
}

static void h_http(struct cfg_ctx *ctx, const config_setting_t *s,
		   struct cfg_target *t)
{
	(void)t;
	if (cfg_group(ctx, s) == 0)
		ctx->http = s;
}

static void h_servers(struct cfg_ctx *ctx, const config_setting_t *s,
		      struct cfg_target *t)
{
	(void)t;
	if (!config_setting_is_list(s)) {
		cfg_err(ctx, s,
			"servers must be a list: servers = ( { ... } );");
		return;
	}
	ctx->servers = s;
}

static void h_access_log(struct cfg_ctx *ctx, const config_setting_t *s,
			 struct cfg_target *t)
{
	const char *v;

	(void)t;
	if (cfg_string(ctx, s, &v) < 0)
		return;
	if (strcmp(v, "off") == 0)
		set_str(&ctx->cfg->access_log, NULL);
	else if (strcmp(v, "stdout") == 0)
		set_str(&ctx->cfg->access_log, cfg_strdup(ctx, v));
	else if (strcmp(v, "stderr") == 0)
		cfg_err(ctx, s, "access_log is a path, \"stdout\" or \"off\"");
	else
		set_str(&ctx->cfg->access_log, file_path(ctx, s, v));
}

static void h_header_buffer(struct cfg_ctx *ctx, const config_setting_t *s,
			    struct cfg_target *t)
{
	uint64_t v;

	(void)t;
	if (cfg_size(ctx, s, &v) < 0)
		return;
	if (v < HEADER_BUFFER_MIN || v > HEADER_BUFFER_MAX)
		cfg_err(ctx, s, "header_buffer must be 1k .. 1m");
	else
		ctx->cfg->header_buffer = (size_t)v;
}

static void h_max_connections(struct cfg_ctx *ctx, const config_setting_t *s,
			      struct cfg_target *t)
{
	long long n;

	(void)t;
	if (cfg_int(ctx, s, &n) < 0)
		return;
	if (n < 1 || n > MAX_CONNECTIONS_MAX)
		cfg_err(ctx, s, "max_connections must be 1 .. %u",
			MAX_CONNECTIONS_MAX);
	else
		ctx->cfg->max_connections = (unsigned)n;
}

/* ---- load -------------------------------------------------------------- */

static void set_defaults(struct cfg_ctx *ctx)
{
	struct config *cfg = ctx->cfg;

	cfg->workers = 0;
	cfg->log_level = LOG_LEVEL_INFO;
	cfg_tls_defaults(cfg);
	cfg_log_defaults(ctx);
	cfg_proxy_defaults(cfg);
	cfg->header_buffer = 8 * 1024;
	cfg->max_connections = 10000;
	cfg_template_defaults(&ctx->http_tpl);
}

static void finish_defaults(struct cfg_ctx *ctx)
{
	struct config *cfg = ctx->cfg;

	if (cfg->workers == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		cfg->workers = cpus < 1		    ? 1
			       : cpus > WORKERS_MAX ? WORKERS_MAX
						    : (unsigned)cpus;
	}
	if (cfg->error_log == NULL)
		cfg->error_log = cfg_strdup(ctx, "stderr");
	cfg->timeouts = ctx->http_tpl.timeouts;
	cfg->client_max_body_size = ctx->http_tpl.client_max_body_size;
	cfg->headers = ctx->http_tpl.headers;
	cfg->header_count = ctx->http_tpl.header_count;
	ctx->http_tpl.headers = NULL;
	ctx->http_tpl.header_count = 0;
}

static void read_file(struct cfg_ctx *ctx, config_t *lc)
{
	struct cfg_target t = {0};
	struct stat st;

	/* fopen() takes a directory; libconfig would then say only "I/O". */
	if (stat(ctx->main_path, &st) == 0 && S_ISDIR(st.st_mode)) {
		cfg_err_at(ctx, NULL, 0, "cannot read: %s", strerror(EISDIR));
		return;
	}
	if (cfg_check_includes(ctx, ctx->main_path, 0) > 0)
		return;
	config_set_include_dir(lc, ctx->dir);
	errno = 0;
	if (config_read_file(lc, ctx->main_path) != CONFIG_TRUE) {
		if (config_error_type(lc) == CONFIG_ERR_FILE_IO)
			cfg_err_at(ctx, NULL, 0, "cannot read: %s",
				   strerror(errno ? errno : EIO));
		else
			cfg_syntax_error(ctx, lc);
		return;
	}
	cfg_walk(ctx, config_root_setting(lc), SCOPE_MAIN, &t);
	if (ctx->http != NULL) {
		t.loc = &ctx->http_tpl;
		t.flags = &ctx->http_flags;
		cfg_walk(ctx, ctx->http, SCOPE_HTTP, &t);
	}
	if (ctx->servers == NULL || config_setting_length(ctx->servers) == 0) {
		if (ctx->servers != NULL)
			cfg_err(ctx, ctx->servers, "no servers defined");
		else
			cfg_err_at(
			    ctx, NULL, 1,
			    "no servers defined "
			    "(servers = ( { listen = [ ... ]; ... } );)");
	} else {
		cfg_servers(ctx);
		cfg_tls_build(ctx);
	}
}

static int init_paths(struct cfg_ctx *ctx, const char *path)
{
	ctx->cfg->path = cfg_path(ctx, path);
	if (ctx->cfg->path == NULL)
		return -1;
	ctx->main_path = ctx->cfg->path;
	ctx->dir = cfg_strdup(ctx, ctx->cfg->path);
	if (ctx->dir == NULL)
		return -1;
	char *slash = strrchr(ctx->dir, '/');
	slash[slash == ctx->dir ? 1 : 0] = '\0';
	return 0;
}

struct config *config_load(const char *path, char **errors)
{
	struct cfg_ctx ctx = {0};
	config_t lc;

	*errors = NULL;
	ctx.cfg = calloc(1, sizeof(*ctx.cfg));
	if (ctx.cfg == NULL)
		return NULL;
	set_defaults(&ctx);
	if (init_paths(&ctx, path) == 0) {
		config_init(&lc);
		read_file(&ctx, &lc);
		config_destroy(&lc);
		finish_defaults(&ctx);
	}
	if (ctx.err_count == 0 && !ctx.oom) {
		ctx.cfg->mime = mime_load(MIME_TYPES_PATH);
		if (ctx.cfg->mime == NULL)
			ctx.oom = true;
	}
	cfg_location_clear(&ctx.http_tpl);
	free(ctx.listen_src);
	free(ctx.srv_info);
	if (ctx.oom) {
		ctx.oom = false;
		cfg_err_at(&ctx, NULL, 0, "out of memory");
	}
	free(ctx.dir);
	if (ctx.err_count > 0) {
		config_free(ctx.cfg);
		free(ctx.warn.buf);
		*errors = ctx.err.buf;
		return NULL;
	}
	free(ctx.err.buf);
	ctx.cfg->warnings = ctx.warn.buf;
	return ctx.cfg;
}

void config_log_warnings(const struct config *cfg)
{
	const char *line = cfg->warnings;

	while (line != NULL && *line != '\0') {
		const char *end = strchr(line, '\n');
		int len = end ? (int)(end - line) : (int)strlen(line);

		log_warn("%.*s", len, line);
		line += len + (end != NULL);
	}
}

void config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->server_count; i++) {
		struct server *srv = &cfg->servers[i];
		for (size_t k = 0; k < srv->location_count; k++)
			cfg_location_clear(&srv->locations[k]);
		for (size_t k = 0; k < srv->name_count; k++)
			free(srv->names[k]);
		free(srv->names);
		free(srv->locations);
		free(srv->listens);
		cfg_tls_free(srv);
	}
	free(cfg->servers);
	cfg_nv_free(cfg->headers, cfg->header_count);
	for (size_t i = 0; i < cfg->listen_count; i++)
		free(cfg->listens[i].text);
	free(cfg->listens);
	free(cfg->path);
	free(cfg->pid_file);
	free(cfg->error_log);
	free(cfg->user);
	free(cfg->group);
	free(cfg->access_log);
	free(cfg->warnings);
	free(cfg->tls_ciphers);
	cfg_log_free(cfg);
	cfg_proxy_free(cfg);
	if (cfg->mime != NULL)
		mime_free(cfg->mime);
	free(cfg);
}
