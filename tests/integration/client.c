/*
 * client.c - a small, strict HTTP/1.1 client for the integration tests
 * (see harness.h).  Blocking sockets with a 10 s receive timeout.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "harness.h"

int http_connect(int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {.tv_sec = 10};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Buffered reader over fd: bytes past one response stay for the next
 * http_read on the same fd (pipelining), kept per fd in a tiny table. */
struct reader {
	int fd;
	char buf[65536];
	size_t len;
};
static struct reader readers[64];

static struct reader *reader_for(int fd)
{
	struct reader *free_slot = NULL;

	for (size_t i = 0; i < 64; i++) {
		if (readers[i].fd == fd && readers[i].len)
			return &readers[i];
		if (!free_slot && readers[i].len == 0)
			free_slot = &readers[i];
	}
	free_slot->fd = fd;
	free_slot->len = 0;
	return free_slot;
}

/* Ensure at least want bytes buffered; 0 ok, -1 EOF/error. */
static int fill(struct reader *rd, size_t want)
{
	while (rd->len < want) {
		if (rd->len == sizeof(rd->buf))
			return -1;
		ssize_t n = recv(rd->fd, rd->buf + rd->len,
				 sizeof(rd->buf) - rd->len, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		rd->len += (size_t)n;
	}
	return 0;
}

static void take(struct reader *rd, char *out, size_t n)
{
	if (out)
		memcpy(out, rd->buf, n);
	memmove(rd->buf, rd->buf + n, rd->len - n);
	rd->len -= n;
}

static int body_append(struct http_resp *r, const char *data, size_t n)
{
	char *grown = realloc(r->body, r->body_len + n + 1);

	if (grown == NULL)
		return -1;
	r->body = grown;
	memcpy(r->body + r->body_len, data, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return 0;
}

/* Move up to n body bytes out of the reader (reading as needed). */
static int read_exact(struct reader *rd, struct http_resp *r, size_t n)
{
	while (n > 0) {
		if (rd->len == 0 && fill(rd, 1) == -1)
			return -1;
		size_t part = rd->len < n ? rd->len : n;
		if (body_append(r, rd->buf, part) == -1)
			return -1;
		take(rd, NULL, part);
		n -= part;
	}
	return 0;
}

static long line_end(struct reader *rd)
{
	for (;;) {
		char *lf = memchr(rd->buf, '\n', rd->len);
		if (lf)
			return lf - rd->buf + 1;
		if (fill(rd, rd->len + 1) == -1)
			return -1;
	}
}

static int read_chunked(struct reader *rd, struct http_resp *r)
{
	for (;;) {
		long n = line_end(rd);
		char line[128];
		if (n <= 0 || (size_t)n >= sizeof(line))
			return -1;
		take(rd, line, (size_t)n);
		line[n] = '\0';
		size_t size = strtoul(line, NULL, 16);
		if (size == 0)
			break;
		if (read_exact(rd, r, size) == -1 || fill(rd, 2) == -1)
			return -1;
		take(rd, NULL, 2);
	}
	for (;;) { /* trailers until the blank line */
		long n = line_end(rd);
		if (n <= 0)
			return -1;
		take(rd, NULL, (size_t)n);
		if (n <= 2)
			return 0;
	}
}

const char *head_field(const char *head, const char *name, char *out,
		       size_t cap)
{
	size_t name_len = strlen(name);
	const char *p = strchr(head, '\n');

	while (p && *++p) {
		const char *eol = strstr(p, "\r\n");
		if (eol == NULL)
			break;
		if ((size_t)(eol - p) > name_len && p[name_len] == ':' &&
		    strncasecmp(p, name, name_len) == 0) {
			const char *v = p + name_len + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			size_t n = (size_t)(eol - v);
			if (n >= cap)
				n = cap - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return out;
		}
		p = eol + 1;
	}
	return NULL;
}

const char *resp_header(const struct http_resp *r, const char *name, char *out,
			size_t cap)
{
	return head_field(r->head, name, out, cap);
}

int http_read(int fd, struct http_resp *r, bool head_only)
{
	struct reader *rd = reader_for(fd);
	char value[128];
	char *end;

	memset(r, 0, sizeof(*r));
	r->body = calloc(1, 1);
	for (;;) { /* the head, skipping 1xx interim responses */
		rd->buf[rd->len < sizeof(rd->buf) ? rd->len : 0] = '\0';
		while ((end = memmem(rd->buf, rd->len, "\r\n\r\n", 4)) == NULL)
			if (fill(rd, rd->len + 1) == -1)
				return -1;
		size_t head_len = (size_t)(end - rd->buf) + 4;
		if (head_len >= sizeof(r->head))
			return -1;
		take(rd, r->head, head_len);
		r->head[head_len] = '\0';
		if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1)
			return -1;
		if (r->status >= 200)
			break;
	}
	if (resp_header(r, "Connection", value, sizeof(value)) &&
	    strcasecmp(value, "close") == 0)
		r->closed = true;
	if (head_only || r->status == 204 || r->status == 304)
		return 0;
	if (resp_header(r, "Transfer-Encoding", value, sizeof(value)))
		return read_chunked(rd, r);
	if (resp_header(r, "Content-Length", value, sizeof(value)))
		return read_exact(rd, r, strtoull(value, NULL, 10));
	/* close-delimited */
	for (;;) {
		if (rd->len == 0 && fill(rd, 1) == -1)
			break;
		body_append(r, rd->buf, rd->len);
		take(rd, NULL, rd->len);
	}
	r->closed = true;
	return 0;
}

int http_do(int port, const char *raw, struct http_resp *r)
{
	int fd = http_connect(port);
	int rc;

	if (fd == -1)
		return -1;
	rc = send_all(fd, raw, strlen(raw));
	if (rc == 0)
		rc = http_read(fd, r, strncmp(raw, "HEAD ", 5) == 0);
	reader_for(fd)->len = 0;
	close(fd);
	return rc;
}

int http_get(int port, const char *path, struct http_resp *r)
{
	char raw[2048];

	snprintf(
	    raw, sizeof(raw),
	    "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
	    path);
	return http_do(port, raw, r);
}

void http_resp_free(struct http_resp *r)
{
	free(r->body);
	r->body = NULL;
}

bool wait_closed(int fd, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char buf[4096];

	for (;;) {
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return false;
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			return true;
	}
}
