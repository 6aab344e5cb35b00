/*
 * redirect.h - the variables of a location's redirect.to (DESIGN.md §8):
 * $scheme, $host and $request_uri, so that the http -> https redirect is
 * one location (to = "https://$host$request_uri").  Pure.
 */
#ifndef WEBSERV_REDIRECT_H
#define WEBSERV_REDIRECT_H

#include <stddef.h>
#include <sys/types.h>

#include "http.h"

struct redirect_vars {
	struct slice scheme;	  /* "http" | "https" */
	struct slice host;	  /* Host without its port, or a server name */
	struct slice request_uri; /* the request target as sent */
};

/* tmpl with each variable replaced into out[0..cap) (NUL-terminated).
 * A '$' not starting one of the names is kept as written.  Returns the
 * length, -1 when it does not fit. */
ssize_t redirect_expand(const char *tmpl, const struct redirect_vars *v,
			char *out, size_t cap);

#endif
