/*
 * listen.c - bind the listening sockets (master only, before fork).
 * Sockets are shared by all workers of every generation; a reload reuses
 * the fd of an unchanged address so no queued connection is ever lost.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"

#define LISTEN_BACKLOG 4096

int listen_open(const struct listen_addr *addr)
{
	int family = addr->addr.ss_family;
	int one = 1, defer_secs = LISTEN_DEFER_MS / 1000;
	int fd;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		goto fail_close;
	/* "[::]:80" means IPv6 only: "0.0.0.0:80" is a listen entry of its own
	 */
	if (family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == -1)
		goto fail_close;
	/*
	 * No Nagle: the tail of a response (or a whole small one written
	 * after a pipelined one) would otherwise wait for the peer's delayed
	 * ACK, about 40 ms.  Accepted sockets inherit it from this one.
	 *
	 * No TCP_NOTSENT_LOWAT: with a 1 MiB bound, a 10 MiB response took
	 * 23 sendfile calls and 10 wakeups (nginx: 12 and 5), and the
	 * loopback delivery to the client ran inside them, on the worker's
	 * time: 1.3x nginx's CPU per request (median of 12 rounds).  Without it
	 * the worker queues up to the autotuned buffer (4 MiB, tcp_wmem), is
	 * woken when the free space reaches half of what is queued, and the
	 * client's ACKs send the rest: 0.99x nginx's, no less throughput (bench
	 * d, A/B in one run; README).
	 */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_secs,
		       sizeof(defer_secs)) == -1)
		goto fail_close;
	if (bind(fd, (const struct sockaddr *)&addr->addr, addr->addr_len) ==
	    -1)
		goto fail_close;
	if (listen(fd, LISTEN_BACKLOG) == -1)
		goto fail_close;
	return fd;
fail_close : {
	int saved = errno;
	close(fd);
	errno = saved;
}
fail:
	log_error("cannot listen on %s: %s", addr->text, strerror(errno));
	return -1;
}

static bool same_addr(const struct listen_addr *a, const struct listen_addr *b)
{
	return a->addr_len == b->addr_len &&
	       memcmp(&a->addr, &b->addr, a->addr_len) == 0;
}

long listen_find(const struct config *cfg, const struct listen_addr *addr)
{
	for (size_t i = 0; i < cfg->listen_count; i++)
		if (same_addr(&cfg->listens[i], addr))
			return (long)i;
	return -1;
}

int *listen_open_all(const struct config *cfg, const struct config *old,
		     const int *old_fds)
{
	int *fds =
	    calloc(cfg->listen_count ? cfg->listen_count : 1, sizeof(*fds));
	size_t i;

	if (fds == NULL)
		return NULL;
	for (i = 0; i < cfg->listen_count; i++) {
		long prev = old ? listen_find(old, &cfg->listens[i]) : -1;
		fds[i] =
		    prev >= 0 ? old_fds[prev] : listen_open(&cfg->listens[i]);
		if (fds[i] == -1)
			goto fail_close;
	}
	return fds;
fail_close:
	while (i-- > 0)
		if (!old || listen_find(old, &cfg->listens[i]) < 0)
			close(fds[i]);
	free(fds);
	return NULL;
}
