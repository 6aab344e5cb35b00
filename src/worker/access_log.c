/*
 * access_log.c - one line per response in the access_log_format of the
 * config (log_format.c renders it; the default is nginx's "combined", so
 * existing log tools read it), written at once or gathered in
 * access_log_buffer and written whole at its size, after access_log_flush,
 * at reopen (SIGUSR1) and when the worker exits (stop, reload's drain).
 * Invariant: the buffer holds whole lines only and each write(2) carries
 * whole lines, so an O_APPEND file shared by every worker never gets a
 * torn or interleaved line.  Client bytes are escaped by the renderer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "log_format.h"

#define LINE_MAX_BYTES 16384

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_error("access log: write: %s",
				  n == 0 ? "nothing written" : strerror(errno));
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

void access_log_flush(struct worker *w)
{
	if (w->access_len > 0 && w->access_fd != -1)
		write_all(w->access_fd, w->access_buf, w->access_len);
	w->access_len = 0;
}

void access_log_tick(struct worker *w)
{
	if (w->access_len > 0 && w->now >= w->access_flush_at)
		access_log_flush(w);
}

uint64_t access_log_deadline(const struct worker *w)
{
	return w->access_len > 0 ? w->access_flush_at : UINT64_MAX;
}

int access_log_open(struct worker *w)
{
	const char *path = w->cfg->access_log;
	size_t size = w->cfg->access_log_buffer;
	int fd;

	access_log_flush(w); /* into the old file, before it goes */
	if (path == NULL)
		return 0;
	if (size > 0 && w->access_buf == NULL) {
		/* room for one more line than the size: the size is when
		 * it goes out, a line never waits for room */
		if ((w->access_buf = malloc(size + LINE_MAX_BYTES)) == NULL)
			return -1;
	}
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

/* Length of the first line of buf (the raw request line). */
static size_t first_line_len(const char *buf, size_t len)
{
	size_t n = 0;

	while (n < len && n < 1024 && buf[n] != '\r' && buf[n] != '\n')
		n++;
	return n;
}

static void addr_text(const struct sockaddr *sa, char *out, size_t cap)
{
	/* IPv4 by hand: inet_ntop goes through sprintf, which was a third
	 * of what a logged request cost */
	if (sa->sa_family == AF_INET && cap >= INET_ADDRSTRLEN) {
		const unsigned char *b =
		    (const unsigned char *)&((const struct sockaddr_in *)sa)
			->sin_addr;
		char *p = out;
		for (int i = 0; i < 4; i++) {
			unsigned v = b[i];
			if (i > 0)
				*p++ = '.';
			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
		}
		*p = '\0';
		return;
	}
	const void *addr =
	    sa->sa_family == AF_INET6
		? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
		: (const void *)&((const struct sockaddr_in *)sa)->sin_addr;

	if (inet_ntop(sa->sa_family, addr, out, (socklen_t)cap) == NULL)
		snprintf(out, cap, "-");
}

void conn_peer_text(const struct conn *c, char *out, size_t cap)
{
	addr_text(&c->peer.sa, out, cap);
}

/* The times of this second, made once a second. */
struct log_times {
	time_t second;
	char local[40];
	char iso[40];
};

static const struct log_times *log_times(time_t now)
{
	static struct log_times t;
	struct tm tm;

	if (now != t.second) {
		localtime_r(&now, &tm);
		strftime(t.local, sizeof(t.local), "%d/%b/%Y:%H:%M:%S %z", &tm);
		strftime(t.iso, sizeof(t.iso), "%Y-%m-%dT%H:%M:%S%z", &tm);
		/* ISO 8601 as nginx: "+02:00", not "+0200" */
		size_t n = strlen(t.iso);
		if (n >= 5 && n + 1 < sizeof(t.iso)) {
			memmove(t.iso + n - 1, t.iso + n - 2, 3);
			t.iso[n - 2] = ':';
		}
		t.second = now;
	}
	return &t;
}

static struct slice text(const char *s)
{
	return (struct slice){s, s ? strlen(s) : 0};
}

static int addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	return 0;
}

/* $host: the Host value without its port (nginx) */
static struct slice host_of(const struct http_request *req)
{
	struct slice h = req->host;
	size_t n = h.len;

	if (n > 0 && h.ptr[0] != '[') {
		const char *colon = memchr(h.ptr, ':', n);
		if (colon)
			n = (size_t)(colon - h.ptr);
	} else if (n > 0) {
		const char *end = memchr(h.ptr, ']', n);
		if (end)
			n = (size_t)(end - h.ptr) + 1;
	}
	return (struct slice){h.ptr, n};
}

/* n in decimal into out (>= 21 bytes), NUL-terminated; snprintf is a
 * measurable share of a log line's cost. */
static char *u64_text(uint64_t n, char *out)
{
	char tmp[24];
	size_t len = 0;

	do {
		tmp[len++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	for (size_t i = 0; i < len; i++)
		out[i] = tmp[len - 1 - i];
	out[len] = '\0';
	return out;
}

/* "S.mmm" (seconds, milliseconds) */
static char *ms_text(uint64_t sec, uint64_t ms, char *out)
{
	size_t n = strlen(u64_text(sec, out));

	out[n] = '.';
	out[n + 1] = (char)('0' + ms / 100);
	out[n + 2] = (char)('0' + ms / 10 % 10);
	out[n + 3] = (char)('0' + ms % 10);
	out[n + 4] = '\0';
	return out;
}

/* Numbers and addresses, rendered into the caller's storage. */
struct log_numbers {
	char peer[INET6_ADDRSTRLEN];
	char hop[INET6_ADDRSTRLEN];
	char status[24], body[24], bytes[24], msec[32], rtime[32];
	char sport[24], rport[24];
};

/* h2.c marks its streams' requests minor 2 ("HTTP/2.0", as nginx). */
static const char *protocol_name(int minor)
{
	if (minor == 2)
		return "HTTP/2.0";
	return minor == 1 ? "HTTP/1.1" : "HTTP/1.0";
}

static void fill(const struct conn *c, bool parsed, struct log_values *v,
		 struct log_numbers *n)
{
	const struct log_format *f = c->w->cfg->access_log_format;
	const struct xfer *x = c->x;
	const struct log_times *t;
	struct timespec now;
	uint64_t took = c->w->now > x->started ? c->w->now - x->started : 0;

	/* only what the format shows is made: a line is on every request */
	clock_gettime(CLOCK_REALTIME, &now);
	t = log_times(now.tv_sec);
	conn_peer_text(c, n->peer, sizeof(n->peer));
	n->hop[0] = '\0';
	if (LOG_FORMAT_USES(f, LV_REALIP_REMOTE_ADDR)) {
		if (memcmp(&c->hop, &c->peer, sizeof(c->peer)) == 0)
			memcpy(n->hop, n->peer, sizeof(n->hop));
		else
			addr_text(&c->hop.sa, n->hop, sizeof(n->hop));
	}
	u64_text((uint64_t)x->resp.status, n->status);
	u64_text(x->body_bytes, n->body);
	n->bytes[0] = n->msec[0] = n->rtime[0] = n->sport[0] = n->rport[0] =
	    '\0';
	if (LOG_FORMAT_USES(f, LV_BYTES_SENT))
		u64_text(x->body_bytes + x->head_sent, n->bytes);
	if (LOG_FORMAT_USES(f, LV_MSEC))
		ms_text((uint64_t)now.tv_sec, (uint64_t)now.tv_nsec / 1000000,
			n->msec);
	if (LOG_FORMAT_USES(f, LV_REQUEST_TIME))
		ms_text(took / 1000, took % 1000, n->rtime);
	if (LOG_FORMAT_USES(f, LV_SERVER_PORT))
		u64_text((uint64_t)addr_port((const struct sockaddr *)&c->w->cfg
						 ->listens[c->listen_idx]
						 .addr),
			 n->sport);
	if (LOG_FORMAT_USES(f, LV_REMOTE_PORT))
		u64_text((uint64_t)addr_port(&c->peer.sa), n->rport);

	*v = (struct log_values){0};
	v->v[LV_REMOTE_ADDR] = text(n->peer);
	v->v[LV_REALIP_REMOTE_ADDR] = text(n->hop);
	v->v[LV_TIME_LOCAL] = text(t->local);
	v->v[LV_TIME_ISO8601] = text(t->iso);
	v->v[LV_MSEC] = text(n->msec);
	v->v[LV_STATUS] = text(n->status);
	v->v[LV_BODY_BYTES_SENT] = text(n->body);
	v->v[LV_BYTES_SENT] = text(n->bytes);
	v->v[LV_REQUEST_TIME] = text(n->rtime);
	v->v[LV_REQUEST_ID] = text(x->request_id);
	v->v[LV_SCHEME] = text(c->ssl ? "https" : "http");
	v->v[LV_SERVER_PORT] = text(n->sport);
	v->v[LV_REMOTE_PORT] = text(n->rport);
	if (c->ssl && (LOG_FORMAT_USES(f, LV_SSL_PROTOCOL) ||
		       LOG_FORMAT_USES(f, LV_SSL_CIPHER))) {
		v->v[LV_SSL_PROTOCOL] = text(SSL_get_version(c->ssl));
		v->v[LV_SSL_CIPHER] = text(SSL_get_cipher_name(c->ssl));
	}
	if (!parsed) {
		v->v[LV_REQUEST] =
		    (struct slice){x->buf, first_line_len(x->buf, x->len)};
		return;
	}
	v->v[LV_REQUEST_METHOD] = x->req.method_name;
	v->v[LV_REQUEST_URI] = x->req.target;
	v->v[LV_SERVER_PROTOCOL] = text(protocol_name(x->req.minor));
	v->v[LV_HTTP_REFERER] = x->req.referer;
	v->v[LV_HTTP_USER_AGENT] = x->req.user_agent;
	v->v[LV_HOST] = host_of(&x->req);
	v->fields = x->req.fields;
}

void access_log_write(const struct conn *c, bool parsed)
{
	struct worker *w = c->w;
	const struct log_format *f = w->cfg->access_log_format;
	struct log_values v;
	struct log_numbers n;
	char line[LINE_MAX_BYTES];
	size_t len;

	if (w->access_fd == -1 || c->x == NULL || f == NULL)
		return;
	fill(c, parsed, &v, &n);
	if (w->access_buf == NULL) {
		len = log_format_render(f, &v, line, sizeof(line));
		write_all(w->access_fd, line, len);
		return;
	}
	if (w->access_len == 0)
		w->access_flush_at = w->now + w->cfg->access_log_flush;
	w->access_len += log_format_render(f, &v, w->access_buf + w->access_len,
					   LINE_MAX_BYTES);
	if (w->access_len >= w->cfg->access_log_buffer)
		access_log_flush(w);
}
