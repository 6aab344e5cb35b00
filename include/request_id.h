/*
 * request_id.h - the id of a request (DESIGN.md §11): a valid incoming
 * X-Request-Id is kept, else one is made from a per-process random prefix
 * (getrandom once, at worker start) and a counter: 32 hex digits, unique
 * across workers and restarts with no syscall per request.
 */
#ifndef WEBSERV_REQUEST_ID_H
#define WEBSERV_REQUEST_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"

#define REQUEST_ID_MAX 128 /* bytes of a kept incoming id */

/* An incoming id we keep: 1..REQUEST_ID_MAX bytes, each 0x21..0x7e
 * except '"' and '\\' (they would need escaping in every log format). */
bool request_id_valid(const char *p, size_t n);
/* prefix and seq as 32 lower-case hex digits + NUL into out[33]. */
void request_id_format(char *out, uint64_t prefix, uint64_t seq);
/* Draw this process's random prefix (getrandom; time and pid without it)
 * and restart the counter.  Each worker calls it once after the fork. */
void request_id_init(void);
/* The next made id into out[33]. */
void request_id_next(char *out);
/* out[REQUEST_ID_MAX + 1]: req's valid X-Request-Id (req NULL: none),
 * else the next made id. */
void request_id_assign(char *out, const struct http_request *req);

#endif
