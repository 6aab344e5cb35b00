/*
 * real_ip.h - the client's address behind trusted proxies (real_ip_from,
 * DESIGN.md §11): X-Forwarded-For read from the right.  Pure.
 */
#ifndef WEBSERV_REAL_IP_H
#define WEBSERV_REAL_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "config.h"

/*
 * hop: the address the request came from (the TCP peer, or the PROXY
 * protocol's source).  When hop is in trusted (count > 0), the
 * X-Forwarded-For fields of the block fields[0..len) are read from the
 * right (the last field line's last entry first), skipping trusted
 * addresses: the first untrusted one is the client; when every entry is
 * trusted, the leftmost; an entry that is not an address stops the walk
 * at the last good one (nginx's real_ip_recursive).  true with *out set
 * (port 0) when an address was taken from the field, false (out
 * untouched) when hop stays the client.
 */
bool real_ip_find(const struct cidr *trusted, size_t count,
		  const struct sockaddr *hop, const char *fields, size_t len,
		  struct sockaddr_storage *out);

#endif
