/*
 * precond.h - conditional requests (RFC 9110 §13): If-Match,
 * If-Unmodified-Since, If-None-Match and If-Modified-Since, evaluated in
 * the order of §13.2.2 against the target resource's current state.
 * Pure: no I/O; the caller says what the resource is now.
 */
#ifndef WEBSERV_PRECOND_H
#define WEBSERV_PRECOND_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "http.h"

/* The selected representation's validators, as a GET would send them. */
struct precond_target {
	bool exists;	  /* false: no current representation */
	const char *etag; /* strong entity-tag, quotes included */
	size_t etag_len;
	time_t mtime; /* Last-Modified */
};

#define PRECOND_PASS 0 /* go on: every condition present holds */

/*
 * Evaluate req's preconditions (RFC 9110 §13.2.2) against t at time now.
 * Returns PRECOND_PASS, 304 (If-None-Match / If-Modified-Since on GET or
 * HEAD: not modified) or 412 (Precondition Failed).
 * 1. If-Match (strong comparison, "*" = exists) false: 412.
 * 2. Else If-Unmodified-Since (a valid date, the resource exists) with
 *    mtime later than it: 412.
 * 3. If-None-Match (weak comparison, "*" = exists) false: 304 for GET and
 *    HEAD, 412 for other methods.
 * 4. Else, GET and HEAD only, If-Modified-Since (a valid date, not in the
 *    future, the resource exists) not earlier than mtime: 304.
 * A malformed entity-tag list matches nothing; an invalid date is ignored.
 * The caller has already decided that the request without its conditions
 * would succeed (§13.2.1): a missing file's 404 is not this function's.
 */
int precond_eval(const struct http_request *req, const struct precond_target *t,
		 time_t now);

#endif
