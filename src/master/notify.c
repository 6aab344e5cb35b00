/*
 * notify.c - sd_notify(3) without libsystemd.
 * The protocol is one AF_UNIX datagram of newline-separated assignments
 * to the socket named by $NOTIFY_SOCKET; a leading '@' names an abstract
 * socket (first byte of sun_path is NUL).  Never blocks: a full socket
 * drops the message, as libsystemd does.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

int notify_send(const char *fmt, ...)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char msg[512];
	socklen_t sun_len;
	size_t name_len;
	va_list ap;
	ssize_t sent;
	int n;
	int fd;

	if (name == NULL || name[0] == '\0')
		return 0;
	name_len = strlen(name);
	if ((name[0] != '/' && name[0] != '@') ||
	    name_len >= sizeof(sun.sun_path)) {
		log_warn("%s: unusable NOTIFY_SOCKET \"%s\"", __func__, name);
		return -1;
	}
	memcpy(sun.sun_path, name, name_len);
	if (name[0] == '@')
		sun.sun_path[0] = '\0';
	sun_len =
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + name_len);

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -1;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		goto fail;
	do
		sent = sendto(fd, msg, (size_t)n, MSG_NOSIGNAL,
			      (struct sockaddr *)&sun, sun_len);
	while (sent == -1 && errno == EINTR);
	close(fd);
	if (sent == -1)
		goto fail;
	return 0;
fail:
	log_warn("%s: %s: %s", __func__, name, strerror(errno));
	return -1;
}
