/*
 * access_log.c - one line per response in nginx's "combined" format, so
 * existing log tools read it:
 *   $remote_addr - - [$time_local] "$request" $status $body_bytes_sent
 *   "$http_referer" "$http_user_agent"
 * Client-supplied text is escaped as nginx does ("\xHH" for '"', '\\' and
 * bytes outside printable ASCII), so a request can't forge log lines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"

int access_log_open(struct worker *w)
{
	const char *path = w->cfg->access_log;
	int fd;

	if (path == NULL)
		return 0;
	if (strcmp(path, "stdout") == 0) {
		w->access_fd = STDOUT_FILENO;
		return 0;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1) {
		log_error("cannot open access log %s: %s", path,
			  strerror(errno));
		return -1;
	}
	if (w->access_fd > STDERR_FILENO)
		close(w->access_fd);
	w->access_fd = fd;
	return 0;
}

/* Append s escaped; returns the new length (never past cap - 1). */
static size_t put_escaped(char *out, size_t len, size_t cap, const char *s,
			  size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n && len + 4 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\') {
			out[len++] = '\\';
			out[len++] = 'x';
			out[len++] = hex[ch >> 4];
			out[len++] = hex[ch & 15];
		} else {
			out[len++] = (char)ch;
		}
	}
	return len;
}

static size_t put_text(char *out, size_t len, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (len + 1 >= cap)
		return len;
	if (n > cap - len - 1)
		n = cap - len - 1;
	memcpy(out + len, s, n);
	return len + n;
}

static const char *time_local(void)
{
	static char text[64];
	static time_t cached;
	time_t now = time(NULL);
	struct tm tm;

	if (now != cached) {
		localtime_r(&now, &tm);
		strftime(text, sizeof(text), "%d/%b/%Y:%H:%M:%S %z", &tm);
		cached = now;
	}
	return text;
}

/* Length of the first line of buf (the raw request line). */
static size_t first_line_len(const char *buf, size_t len)
{
	size_t n = 0;

	while (n < len && n < 1024 && buf[n] != '\r' && buf[n] != '\n')
		n++;
	return n;
}

void conn_peer_text(const struct conn *c, char *out, size_t cap)
{
	const void *addr = c->peer.sa.sa_family == AF_INET6
			       ? (const void *)&c->peer.in6.sin6_addr
			       : (const void *)&c->peer.in.sin_addr;

	if (inet_ntop(c->peer.sa.sa_family, addr, out, (socklen_t)cap) == NULL)
		snprintf(out, cap, "-");
}

void access_log_write(const struct conn *c, bool parsed)
{
	const struct xfer *x = c->x;
	char line[4096];
	char peer[INET6_ADDRSTRLEN];
	size_t len = 0;
	int n;

	if (c->w->access_fd == -1 || x == NULL)
		return;
	conn_peer_text(c, peer, sizeof(peer));
	n = snprintf(line, sizeof(line), "%s - - [%s] \"", peer, time_local());
	if (n < 0)
		return;
	len = (size_t)n;
	if (parsed) {
		len =
		    put_escaped(line, len, sizeof(line), x->req.method_name.ptr,
				x->req.method_name.len);
		len = put_text(line, len, sizeof(line), " ");
		len = put_escaped(line, len, sizeof(line), x->req.target.ptr,
				  x->req.target.len);
		len = put_text(line, len, sizeof(line),
			       x->req.minor == 2 ? " HTTP/2.0"
			       : x->req.minor	 ? " HTTP/1.1"
						 : " HTTP/1.0");
	} else {
		len = put_escaped(line, len, sizeof(line), x->buf,
				  first_line_len(x->buf, x->len));
	}
	n = snprintf(line + len, sizeof(line) - len, "\" %d %llu \"",
		     x->resp.status, (unsigned long long)x->body_bytes);
	if (n > 0 && (size_t)n < sizeof(line) - len)
		len += (size_t)n;
	if (parsed && x->req.referer.len)
		len = put_escaped(line, len, sizeof(line), x->req.referer.ptr,
				  x->req.referer.len);
	else
		len = put_text(line, len, sizeof(line), "-");
	len = put_text(line, len, sizeof(line), "\" \"");
	if (parsed && x->req.user_agent.len)
		len = put_escaped(line, len, sizeof(line),
				  x->req.user_agent.ptr, x->req.user_agent.len);
	else
		len = put_text(line, len, sizeof(line), "-");
	len = put_text(line, len, sizeof(line), "\"\n");
	while (write(c->w->access_fd, line, len) == -1 && errno == EINTR)
		;
}
