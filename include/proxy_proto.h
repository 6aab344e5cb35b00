/*
 * proxy_proto.h - the PROXY protocol header (HAProxy's spec, versions 1
 * and 2) that a balancer sends before anything else on a connection.
 * Pure: takes bytes, says how many the header takes and who the client
 * is; never reads a socket.
 */
#ifndef WEBSERV_PROXY_PROTO_H
#define WEBSERV_PROXY_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* The longest header accepted: v1's 107 bytes, or v2's 16 + an address
 * block with TLVs up to this (HAProxy sends a few dozen bytes). */
#define PROXY_HEADER_MAX 1024

#define PROXY_INCOMPLETE 0
#define PROXY_INVALID	 (-1)

struct proxy_info {
	/* false: LOCAL (v2), UNKNOWN (v1) or an address family other than
	 * TCP over IPv4/IPv6: the connection's own peer stays the client */
	bool has_addr;
	struct sockaddr_storage src; /* the client, with its port */
	struct sockaddr_storage dst; /* the address it connected to */
};

/*
 * Parse buf[0..len): the header's length (> 0) with *out set when it is
 * complete, PROXY_INCOMPLETE when every byte so far could begin a valid
 * header (read more, up to PROXY_HEADER_MAX), PROXY_INVALID as soon as
 * one cannot.  Never reads past len; the bytes after the header belong
 * to what follows (TLS, HTTP).
 */
int proxy_parse(const unsigned char *buf, size_t len, struct proxy_info *out);

#endif
