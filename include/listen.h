/*
 * listen.h - the master's listening sockets.
 */
#ifndef WEBSERV_LISTEN_H
#define WEBSERV_LISTEN_H

#include "config.h"

/*
 * Deferred accept (TCP_DEFER_ACCEPT): a connection reaches accept() when
 * its first bytes arrive, so a worker reads the request at once instead
 * of registering an empty socket and waiting for it.  A connection that
 * stays silent is handed over only after the kernel's first SYN-ACK
 * retransmission, LISTEN_DEFER_MS after the handshake: a worker counts
 * that time against header_timeout.
 */
#define LISTEN_DEFER_MS 1000

/* Bind and listen on addr: non-blocking, CLOEXEC, SO_REUSEADDR,
 * TCP_NODELAY, deferred accept, IPV6_V6ONLY for IPv6.  Returns the fd, or -1
 * after logging one line with the address and the reason. */
int listen_open(const struct listen_addr *addr);

/*
 * Listen fds for cfg->listens: reuse the fd of an identical address in
 * old (old_fds parallel to old->listens; old may be NULL), bind the rest.
 * Returns a malloc'd array of cfg->listen_count fds, or NULL when a bind
 * failed (the fds this call bound are closed again; reused ones are not).
 */
int *listen_open_all(const struct config *cfg, const struct config *old,
		     const int *old_fds);

/* Index of addr in cfg->listens, or -1. */
long listen_find(const struct config *cfg, const struct listen_addr *addr);

#endif
