/*
 * config.h - the immutable, fully resolved configuration.
 *
 * config_load() reads a libconfig file, validates every setting and resolves
 * inheritance (http -> server -> location) so that each location carries its
 * effective values: nobody downstream ever walks up a parent chain.
 * After load the struct is never written; workers share it copy-on-write.
 */
#ifndef WEBSERV_CONFIG_H
#define WEBSERV_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "encoding.h"

struct mime_table;

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

/* All durations in milliseconds. */
struct timeouts {
	uint64_t keepalive;
	uint64_t header;
	uint64_t body;
	uint64_t send;
	uint64_t cgi;
	uint64_t shutdown;
};

struct cidr {
	int family;	  /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network byte order, masked */
	unsigned prefix;  /* bits */
};

struct error_page {
	int code;
	char *uri;
};

struct cgi_handler {
	char *ext;	   /* ".py", with the dot */
	char *interpreter; /* absolute, executable */
};

/* One NAME = "value" of a group merged per name down the levels:
 * headers (a response field) and cgi_params (a meta-variable whose value
 * holds $variables, expanded by cgi.h). */
struct name_value {
	char *name;
	char *value;
};

struct location {
	char *path; /* "/uploads/" as written */
	size_t path_len;
	/* Paths: absolute, lexically cleaned, no trailing '/' except for
	 * "/" itself. */
	char *root;  /* NULL with alias, or none needed (redirect...) */
	char *alias; /* NULL unless the location sets it */
	char **index;
	size_t index_count;
	bool autoindex;
	unsigned methods;  /* bit (1u << enum http_method) per method */
	int redirect_code; /* 0: no redirect */
	char *redirect_to;
	char *upload_dir; /* absolute or NULL: writes not allowed */
	struct cgi_handler *cgi;
	size_t cgi_count;
	struct error_page *error_pages;
	size_t error_page_count;
	size_t client_max_body_size;
	struct timeouts timeouts;
	bool status;
	struct cidr *allow; /* empty: everyone allowed */
	size_t allow_count;
	int line; /* of its group; a synthesised "/": its server's */
	/* headers: merged per name down http -> server -> location (the
	 * nearest level wins), in the order first written */
	struct name_value *headers;
	size_t header_count;
	/* Compression (DESIGN.md §10): codings as enum content_coding, in
	 * the order written (the server's preference on a tie). */
	uint8_t static_compressed[ENC_OFFER_MAX]; /* .br / .gz siblings */
	size_t static_compressed_count;
	uint8_t compress[ENC_OFFER_MAX]; /* on the fly */
	size_t compress_count;
	char **compress_types; /* lower-case; NULL: the built-in list */
	size_t compress_type_count;
	size_t compress_min_size;
	int compress_level; /* 1..9: gzip level and brotli quality */
	/* cgi_params, merged down http -> server -> location (the nearest
	 * wins per name); set or override the scripts' meta-variables */
	struct name_value *cgi_params;
	size_t cgi_param_count;
};

struct listen_addr {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char *text; /* canonical: "127.0.0.1:8080", "[::1]:8080" */
	bool tls;   /* "8443 tls": every server on it speaks TLS */
	/* "8080 proxy_protocol": each connection begins with a PROXY
	 * header (v1 or v2), read before TLS and HTTP */
	bool proxy_protocol;
	bool h2; /* "8080 h2", "443 tls h2": HTTP/2 too (h2.c) */
};

/* One certificate (leaf + chain, PEM) and its private key; absolute. */
struct tls_pair {
	char *certificate;
	char *key;
};

struct ssl_ctx_st;

struct server {
	size_t *listens; /* indexes into config.listens */
	size_t listen_count;
	char **names; /* lower-case */
	size_t name_count;
	bool default_server;
	/* Sorted by path length, longest first; always holds a "/" entry
	 * (synthesised from the server's settings when not written). */
	struct location *locations;
	size_t location_count;
	int line;
	/* TLS: the pairs of its 'tls' setting and the context built from
	 * them by the master at load (NULL when none); workers inherit it. */
	struct tls_pair *tls;
	size_t tls_count;
	struct ssl_ctx_st *ssl_ctx;
};

struct config {
	char *path;	  /* absolute path of the main file */
	unsigned workers; /* resolved: >= 1 ("auto"/0 = CPUs) */
	char *pid_file;	  /* absolute or NULL */
	char *error_log;  /* "stderr" or absolute path */
	enum log_level log_level;
	char *user;
	char *group;
	char *access_log; /* NULL = off, "stdout", or absolute path */
	size_t header_buffer;
	size_t client_max_body_size;
	unsigned max_connections;
	struct timeouts timeouts;
	struct listen_addr *listens; /* distinct addresses */
	size_t listen_count;
	struct server *servers;
	size_t server_count;
	struct mime_table *mime; /* /etc/mime.types + fallback */
	/* "FILE:LINE: warning: message\n" lines, or NULL: things that load
	 * but are probably not what was meant (shown by -t, logged at start
	 * and reload) */
	char *warnings;
	/* http-level headers: for responses no location was chosen for
	 * (a request that does not parse) */
	struct name_value *headers;
	size_t header_count;
	/* TLS (http scope) */
	unsigned tls_protocols;		/* bit 0: TLSv1.2, bit 1: TLSv1.3 */
	char *tls_ciphers;		/* TLSv1.2 cipher list; NULL: default */
	uint64_t tls_handshake_timeout; /* ms */
	bool tls_session_tickets;
	/* Access log (DESIGN.md §11, config_log.c): the compiled format
	 * (never NULL after load), the buffer (0: one write per line) and
	 * how long a buffered line may wait (ms). */
	struct log_format *access_log_format;
	size_t access_log_buffer;
	uint64_t access_log_flush;
	/* Behind a balancer (config_proxy.c): trusted proxies whose
	 * X-Forwarded-For is believed; the PROXY header deadline (ms). */
	struct cidr *real_ip_from;
	size_t real_ip_from_count;
	uint64_t proxy_protocol_timeout;
};

/*
 * Load, validate and resolve the file at path.  On success returns the
 * config and sets *errors to NULL.  On failure returns NULL and sets *errors
 * to a malloc'd text with one "FILE:LINE: message\n" line per problem found
 * (every problem, not just the first).  The caller frees *errors.
 * FILE is absolute (an @include'd file when the setting is there); a file
 * that cannot be read gives "FILE: cannot read: reason".  *errors is NULL
 * on failure only when even the message could not be allocated.
 * Defaults and the exact rules: the comment at the top of config.c.
 */
struct config *config_load(const char *path, char **errors);
void config_free(struct config *cfg);
/* Each of cfg->warnings as a warning in the error log. */
void config_log_warnings(const struct config *cfg);

#endif
