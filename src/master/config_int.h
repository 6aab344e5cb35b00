/*
 * config_int.h - private to src/master/config*.c: the loader's context,
 * error collection, value readers and the per-scope setting handlers.
 * Nothing outside the config loader includes this.
 */
#ifndef WEBSERV_CONFIG_INT_H
#define WEBSERV_CONFIG_INT_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Where a setting may appear (bit set). */
enum cfg_scope {
	SCOPE_MAIN = 1u << 0,
	SCOPE_HTTP = 1u << 1,
	SCOPE_SERVER = 1u << 2,
	SCOPE_LOCATION = 1u << 3,
	SCOPE_REDIRECT = 1u << 4,
	SCOPE_CGI = 1u << 5,
	SCOPE_ERROR_PAGE = 1u << 6,
};

/* Which inheritable settings a scope wrote itself. */
struct cfg_flags {
	bool methods_set;	      /* anywhere up the chain */
	bool index_set;		      /* anywhere up the chain */
	const config_setting_t *root; /* this scope only */
	const config_setting_t *alias;
	const config_setting_t *path;
};

/* Per server: the settings that cross-checks point back at. */
struct cfg_server_info {
	const config_setting_t *group;
	const config_setting_t *listen;
	const config_setting_t *names;
	const config_setting_t *default_server;
};

/* A growing text of "FILE:LINE: msg\n" lines. */
struct cfg_text {
	char *buf;
	size_t len;
	size_t cap;
};

struct cfg_ctx {
	struct config *cfg;
	const char *main_path; /* absolute, as given to libconfig */
	char *dir;	       /* its directory, absolute */
	struct cfg_text err;   /* the errors: any fails the load */
	unsigned err_count;
	struct cfg_text
	    warn; /* "FILE:LINE: warning: msg\n": the load goes on */
	bool oom;
	/* Top level, deferred until the scalars are read. */
	const config_setting_t *http;
	const config_setting_t *servers;
	struct location http_tpl; /* http-level inheritable values */
	struct cfg_flags http_flags;
	/* Parallel to cfg->listens: the entry that first named it. */
	const config_setting_t **listen_src;
	size_t listen_cap;
	struct cfg_server_info *srv_info; /* parallel to cfg->servers */
};

/* What the handlers of one walk write into. */
struct cfg_target {
	struct server *srv;
	struct cfg_server_info *srv_info;
	struct location *loc; /* template or real location */
	struct cfg_flags *flags;
	const config_setting_t *locations; /* deferred */
	struct cgi_handler *cgi;
	struct error_page_entry *page;
	struct location *redirect_loc;
	/* Required pairs seen: redirect code/to, cgi ext/interpreter,
	 * error_pages codes/uri. */
	bool seen_code;
	bool seen_to;
};

/* One error_pages entry while it is read: codes then the shared uri. */
struct error_page_entry {
	int *codes;
	size_t code_count;
	char *uri;
};

typedef void cfg_handler(struct cfg_ctx *ctx, const config_setting_t *s,
			 struct cfg_target *t);

struct cfg_spec {
	const char *name;
	unsigned scopes;
	cfg_handler *fn;
};

/* config_error.c: add one "FILE:LINE: message" line (file NULL: the main
 * file; line 0: none).  cfg_err takes both from the setting. */
void cfg_err(struct cfg_ctx *ctx, const config_setting_t *s, const char *fmt,
	     ...) __attribute__((format(printf, 3, 4)));
void cfg_err_at(struct cfg_ctx *ctx, const char *file, int line,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A warning about s: reported (-t, start-up, reload), the load goes on. */
void cfg_warn(struct cfg_ctx *ctx, const config_setting_t *s, const char *fmt,
	      ...) __attribute__((format(printf, 3, 4)));
/* libconfig's own error (syntax, missing include) after a failed read. */
/* Refuse @include of anything but a regular file (recursively): the
 * number of problems reported. */
int cfg_check_includes(struct cfg_ctx *ctx, const char *path, int depth);
void cfg_syntax_error(struct cfg_ctx *ctx, const config_t *lc);
/* "FILE:LINE" of a setting, for messages that point at another one. */
void cfg_where(const struct cfg_ctx *ctx, const config_setting_t *s, char *buf,
	       size_t cap);

/* config.c */
void cfg_walk(struct cfg_ctx *ctx, const config_setting_t *group,
	      enum cfg_scope scope, struct cfg_target *t);
const char *cfg_scope_name(enum cfg_scope scope);

/* config_value.c: each reader reports its own error and returns -1. */
void *cfg_calloc(struct cfg_ctx *ctx, size_t n, size_t size);
char *cfg_strdup(struct cfg_ctx *ctx, const char *s);
int cfg_string(struct cfg_ctx *ctx, const config_setting_t *s,
	       const char **out);
int cfg_bool(struct cfg_ctx *ctx, const config_setting_t *s, bool *out);
int cfg_int(struct cfg_ctx *ctx, const config_setting_t *s, long long *out);
int cfg_size(struct cfg_ctx *ctx, const config_setting_t *s, uint64_t *out);
int cfg_duration(struct cfg_ctx *ctx, const config_setting_t *s, uint64_t *ms);
int cfg_group(struct cfg_ctx *ctx, const config_setting_t *s);
/* A list/array, or a lone scalar taken as a list of one: length or -1. */
int cfg_list(struct cfg_ctx *ctx, const config_setting_t *s);
const config_setting_t *cfg_list_at(const config_setting_t *s, int i);
/* Absolute, lexically cleaned, no trailing '/' (except "/"). */
char *cfg_path(struct cfg_ctx *ctx, const char *text);
/* path is a directory: 0; missing (ENOENT): a warning ending with
 * meanwhile (what requests get until it appears), 0; else an error, -1. */
int cfg_check_dir(struct cfg_ctx *ctx, const config_setting_t *s,
		  const char *path, const char *meanwhile);
size_t cfg_edit_distance(const char *a, const char *b);
void cfg_location_clear(struct location *loc);
int cfg_location_copy(struct cfg_ctx *ctx, struct location *dst,
		      const struct location *src);
void cfg_template_defaults(struct location *tpl);
/* name = value into *list (*count entries): replaces the value of the
 * entry of that name (nocase: names compared ignoring case; the first
 * spelling stays) or appends one.  0 / -1 (out of memory, counted). */
int cfg_nv_set(struct cfg_ctx *ctx, struct name_value **list, size_t *count,
	       const char *name, const char *value, bool nocase);
void cfg_nv_free(struct name_value *list, size_t count);
/* A list of addresses and networks ("10.0.0.0/8", "::1"), for allow and
 * real_ip_from; an empty list is an error saying what leaving the setting
 * out means (empty_hint).  Replaces *nets / *count (the bad entries left
 * out, each reported). */
void cfg_cidr_list(struct cfg_ctx *ctx, const config_setting_t *s,
		   const char *empty_hint, struct cidr **nets, size_t *count);

/* config_scope.c: handlers for settings shared by http/server/location. */
cfg_handler cfg_h_root, cfg_h_alias, cfg_h_index, cfg_h_autoindex,
    cfg_h_error_pages, cfg_h_body_size, cfg_h_methods, cfg_h_allow,
    cfg_h_timeout, cfg_h_path, cfg_h_redirect, cfg_h_upload_dir, cfg_h_cgi,
    cfg_h_status, cfg_h_redirect_code, cfg_h_redirect_to, cfg_h_cgi_ext,
    cfg_h_cgi_interpreter, cfg_h_page_codes, cfg_h_page_uri;
cfg_handler cfg_h_cgi_params;

/* config_headers.c: headers = { Name = "value"; } */
cfg_handler cfg_h_headers;

/* config_server.c */
cfg_handler cfg_h_listen, cfg_h_server_names, cfg_h_default_server,
    cfg_h_locations;
void cfg_servers(struct cfg_ctx *ctx);

/* config_compress.c */
cfg_handler cfg_h_codings, cfg_h_compress_types, cfg_h_compress_min_size,
    cfg_h_compress_level;
void cfg_compress_clear(struct location *loc);
int cfg_compress_copy(struct cfg_ctx *ctx, struct location *dst,
		      const struct location *src);
/* config_tls.c */
cfg_handler cfg_h_tls, cfg_h_tls_protocols, cfg_h_tls_ciphers,
    cfg_h_tls_handshake_timeout, cfg_h_tls_session_tickets;
void cfg_tls_defaults(struct config *cfg);
/* "ADDR [tls]": ADDR into addr (cap bytes), the flag into *tls; -1 and
 * *why on an unknown flag. */
int cfg_listen_flags(const char *text, char *addr, size_t cap, bool *tls,
		     const char **why);
/* The "h2" flag of a listen string ("8080 h2", "443 tls h2"). */
bool cfg_listen_h2_word(const char *word, size_t len);
bool cfg_listen_h2(const char *text);
/* After cfg_servers: each TLS server's SSL_CTX, its files checked. */
void cfg_tls_build(struct cfg_ctx *ctx);
void cfg_tls_free(struct server *srv);

/* config_log.c: access_log_format, access_log_buffer, access_log_flush */
cfg_handler cfg_h_access_log_format, cfg_h_access_log_buffer,
    cfg_h_access_log_flush;
void cfg_log_defaults(struct cfg_ctx *ctx);
void cfg_log_free(struct config *cfg);
/* config_proxy.c: real_ip_from, proxy_protocol_timeout */
cfg_handler cfg_h_real_ip_from, cfg_h_proxy_protocol_timeout;
void cfg_proxy_defaults(struct config *cfg);
void cfg_proxy_free(struct config *cfg);
/* A listen text without its " proxy_protocol" word (into out, cap
 * bytes; text itself when too long), the flag into *proxy. */
const char *cfg_listen_proxy(const char *text, char *out, size_t cap,
			     bool *proxy);
/* listens[idx] takes the flag (first: it was just added), else the
 * flag must match what the address already has (an error at e). */
void cfg_listen_proxy_set(struct cfg_ctx *ctx, const config_setting_t *e,
			  size_t idx, bool first, bool proxy);

#endif
