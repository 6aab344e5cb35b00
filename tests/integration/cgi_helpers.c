/*
 * cgi_helpers.c - see cgi_helpers.h.  Test-only code: the exchange engine
 * is one poll loop over one non-blocking socket; the response decoder is
 * incremental so that nothing big is ever held in memory.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgi_helpers.h"

long cgx_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

char *cgx_path(const struct srv *s, const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", s->dir, name);
	return out;
}

int cgx_script(const struct srv *s, const char *name, const char *text)
{
	char rel[512], path[800];

	snprintf(rel, sizeof(rel), "cgi/%s", name);
	if (write_file(s->dir, rel, text, -1) == -1)
		return -1;
	return chmod(cgx_path(s, rel, path, sizeof(path)), 0755);
}

const char *cgx_env_get(const char *dump, const char *name, char *out,
			size_t cap)
{
	size_t name_len = strlen(name);

	for (const char *line = dump; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		if (len > name_len && line[name_len] == '=' &&
		    strncmp(line, name, name_len) == 0) {
			size_t n = len - name_len - 1;
			if (n >= cap)
				n = cap - 1;
			memcpy(out, line + name_len + 1, n);
			out[n] = '\0';
			return out;
		}
		line = eol ? eol + 1 : NULL;
	}
	return NULL;
}

void cgx_expect_env(const char *dump, const char *name, const char *want)
{
	char got[1024];

	if (cgx_env_get(dump, name, got, sizeof(got)) == NULL)
		cr_expect_fail("%s is not set (want \"%s\")", name, want);
	else
		cr_expect_str_eq(got, want, "%s", name);
}

void cgx_expect_unset(const char *dump, const char *name)
{
	char got[1024] = "";

	cr_expect_null(cgx_env_get(dump, name, got, sizeof(got)),
		       "%s must not be set, is \"%s\"", name, got);
}

/* The server of the running test, for cgx_fini. */
static struct srv *cgx_current;

int cgx_prepare(struct srv *s, const char *tmpl)
{
	char path[800];

	cgx_current = s;
	if (srv_prepare(s, tmpl) == -1)
		return -1;
	if (mkdir(cgx_path(s, "cgi", path, sizeof(path)), 0755) == -1)
		return -1;
	if (write_file(s->dir, "interp", "#!/bin/sh\nexec /bin/sh \"$@\"\n",
		       -1) == -1)
		return -1;
	return chmod(cgx_path(s, "interp", path, sizeof(path)), 0755);
}

void cgx_fini(void)
{
	/* srv_stop is safe on a server already stopped: pid 0, fd -1 */
	if (cgx_current)
		srv_stop(cgx_current);
	cgx_current = NULL;
}

/* --- generated content ------------------------------------------------- */

void cgx_rng_init(struct cgx_rng *rng, uint64_t seed)
{
	rng->state = seed * 0x9E3779B97F4A7C15ull + 1;
}

void cgx_rng_fill(struct cgx_rng *rng, char *buf, size_t n, bool letters)
{
	uint64_t x = rng->state;

	for (size_t i = 0; i < n; i++) {
		/* xorshift64 */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] =
		    letters ? (char)('a' + (x >> 32) % 26) : (char)(x >> 24);
	}
	rng->state = x;
}

/* --- source ------------------------------------------------------------- */

void cgx_src_init(struct cgx_src *src, const char *head, const char *data,
		  uint64_t total, size_t chunk, uint64_t seed, bool letters)
{
	memset(src, 0, sizeof(*src));
	src->head = head;
	src->head_len = strlen(head);
	src->data = data;
	src->total = total;
	src->chunk = chunk > CGX_CHUNK_MAX ? CGX_CHUNK_MAX : chunk;
	src->letters = letters;
	cgx_rng_init(&src->rng, seed);
}

bool cgx_src_done(const struct cgx_src *src)
{
	return src->head_off == src->head_len && src->off == src->len &&
	       src->made == src->total && (src->chunk == 0 || src->terminated);
}

static void src_body(struct cgx_src *src, char *at, size_t n)
{
	if (src->data)
		memcpy(at, src->data + src->made, n);
	else
		cgx_rng_fill(&src->rng, at, n, src->letters);
	src->made += n;
}

/* Frame the next piece of body into src->buf. */
static void src_refill(struct cgx_src *src)
{
	uint64_t rest = src->total - src->made;
	size_t piece = src->chunk ? src->chunk : CGX_CHUNK_MAX;

	src->len = src->off = 0;
	if (rest < piece)
		piece = (size_t)rest;
	if (src->chunk == 0) {
		src_body(src, src->buf, piece);
		src->len = piece;
		return;
	}
	if (piece == 0) {
		if (!src->terminated)
			src->len = (size_t)snprintf(src->buf, sizeof(src->buf),
						    "0\r\n\r\n");
		src->terminated = true;
		return;
	}
	int h = snprintf(src->buf, sizeof(src->buf), "%zx\r\n", piece);
	src_body(src, src->buf + h, piece);
	memcpy(src->buf + h + piece, "\r\n", 2);
	src->len = (size_t)h + piece + 2;
}

/* The next bytes to send: *p, returns how many (0: nothing left). */
static size_t src_peek(struct cgx_src *src, const char **p)
{
	if (src->head_off < src->head_len) {
		*p = src->head + src->head_off;
		return src->head_len - src->head_off;
	}
	if (src->off == src->len)
		src_refill(src);
	*p = src->buf + src->off;
	return src->len - src->off;
}

static void src_advance(struct cgx_src *src, size_t n)
{
	if (src->head_off < src->head_len) {
		src->head_off += n;
		return;
	}
	src->off += n;
	src->body_sent += n;
}

/* --- response decoder ---------------------------------------------------- */

enum {
	ST_HEAD,
	ST_SIZE,
	ST_DATA,
	ST_DATA_END,
	ST_TRAILER,
	ST_LENGTH,
	ST_CLOSE,
	ST_DONE
};

void cgx_resp_init(struct cgx_resp *r, size_t keep_cap)
{
	memset(r, 0, sizeof(*r));
	r->keep_cap = keep_cap;
	r->keep = calloc(1, keep_cap + 1);
}

void cgx_resp_free(struct cgx_resp *r)
{
	free(r->keep);
	r->keep = NULL;
}

const char *cgx_header(const struct cgx_resp *r, const char *name, char *out,
		       size_t cap)
{
	return head_field(r->head, name, out, cap);
}

static void deliver(struct cgx_resp *r, const char *p, size_t n)
{
	size_t room = r->keep_cap - r->keep_len;

	if (n == 0)
		return;
	if (r->keep && room) {
		size_t take = n < room ? n : room;
		memcpy(r->keep + r->keep_len, p, take);
		r->keep_len += take;
		r->keep[r->keep_len] = '\0';
	}
	r->body_len += n;
	if (r->on_body)
		r->on_body(r, p, n);
}

/* The head is complete: framing from its fields (RFC 9112 §6.3). */
static void head_parsed(struct cgx_resp *r)
{
	char v[64];

	if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1) {
		r->error = true;
		return;
	}
	if (r->status < 200) { /* interim: the real head follows */
		r->head_len = 0;
		r->head[0] = '\0';
		return;
	}
	r->head_done = true;
	if (cgx_header(r, "Transfer-Encoding", v, sizeof(v))) {
		r->chunked = true;
		r->state = ST_SIZE;
	} else if (cgx_header(r, "Content-Length", v, sizeof(v))) {
		r->has_length = true;
		r->left = strtoull(v, NULL, 10);
		r->state = r->left ? ST_LENGTH : ST_DONE;
	} else {
		r->state = ST_CLOSE;
	}
	if (r->head_only || r->status == 204 || r->status == 304)
		r->state = ST_DONE;
	r->done = r->state == ST_DONE;
}

/* Consume head bytes; returns how many of p were used. */
static size_t feed_head(struct cgx_resp *r, const char *p, size_t n)
{
	size_t old = r->head_len;
	size_t room = sizeof(r->head) - 1 - old;
	size_t take = n < room ? n : room;
	size_t from = old > 3 ? old - 3 : 0;
	char *end;

	memcpy(r->head + old, p, take);
	r->head_len += take;
	r->head[r->head_len] = '\0';
	end = memmem(r->head + from, r->head_len - from, "\r\n\r\n", 4);
	if (end == NULL) {
		if (r->head_len == sizeof(r->head) - 1)
			r->error = true;
		return take;
	}
	r->head_len = (size_t)(end - r->head) + 4;
	r->head[r->head_len] = '\0';
	head_parsed(r);
	return r->head_len - old;
}

/* Collect a line into r->line; true when it is complete. */
static bool take_line(struct cgx_resp *r, const char **p, size_t *n)
{
	while (*n > 0) {
		char ch = **p;
		(*p)++;
		(*n)--;
		if (r->line_len >= sizeof(r->line) - 1) {
			r->error = true;
			return false;
		}
		r->line[r->line_len++] = ch;
		if (ch == '\n') {
			r->line[r->line_len] = '\0';
			r->line_len = 0;
			return true;
		}
	}
	return false;
}

static void feed_chunked(struct cgx_resp *r, const char **p, size_t *n)
{
	char *end;

	switch (r->state) {
	case ST_SIZE:
		if (!take_line(r, p, n))
			return;
		r->left = strtoull(r->line, &end, 16);
		if (end == r->line || (*end != '\r' && *end != ';'))
			r->error = true;
		r->state = r->left ? ST_DATA : ST_TRAILER;
		return;
	case ST_DATA: {
		size_t take = *n < r->left ? *n : (size_t)r->left;
		deliver(r, *p, take);
		*p += take;
		*n -= take;
		r->left -= take;
		if (r->left == 0)
			r->state = ST_DATA_END;
		return;
	}
	case ST_DATA_END:
		if (!take_line(r, p, n))
			return;
		if (strcmp(r->line, "\r\n") != 0)
			r->error = true;
		r->state = ST_SIZE;
		return;
	case ST_TRAILER:
		if (!take_line(r, p, n))
			return;
		if (strcmp(r->line, "\r\n") == 0)
			r->state = ST_DONE;
		return;
	default:
		return;
	}
}

int cgx_feed(struct cgx_resp *r, const char *p, size_t n)
{
	while (n > 0 && !r->error) {
		if (r->state == ST_DONE) {
			r->extra += n;
			break;
		}
		if (r->state == ST_HEAD) {
			size_t used = feed_head(r, p, n);
			p += used;
			n -= used;
		} else if (r->state == ST_LENGTH) {
			size_t take = n < r->left ? n : (size_t)r->left;
			deliver(r, p, take);
			p += take;
			n -= take;
			r->left -= take;
			if (r->left == 0)
				r->state = ST_DONE;
		} else if (r->state == ST_CLOSE) {
			deliver(r, p, n);
			n = 0;
		} else {
			feed_chunked(r, &p, &n);
		}
	}
	r->done = r->state == ST_DONE;
	return r->error ? -1 : 0;
}

static void on_eof(struct cgx_resp *r)
{
	r->eof = true;
	if (r->state == ST_CLOSE)
		r->state = ST_DONE;
	r->done = r->state == ST_DONE;
}

/* --- the exchange --------------------------------------------------------- */

static bool goal(const struct cgx_resp *r, uint64_t until_body)
{
	return r->done ||
	       (until_body && r->head_done && r->body_len >= until_body);
}

/* Send what the socket takes now. */
static void pump_send(int fd, struct cgx_src *src)
{
	const char *p;
	size_t n;

	while (!src->broken && (n = src_peek(src, &p)) > 0) {
		ssize_t sent = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (sent == -1 && errno == EINTR)
			continue;
		if (sent == -1 && errno == EAGAIN)
			return;
		if (sent <= 0) {
			src->broken = true;
			return;
		}
		src_advance(src, (size_t)sent);
	}
}

/* Read what is there; -1 on error, 0 EOF, 1 data or nothing yet. */
static int pump_recv(int fd, struct cgx_resp *r, size_t max)
{
	static char buf[262144];
	size_t want = max < sizeof(buf) ? max : sizeof(buf);
	ssize_t n = recv(fd, buf, want, MSG_DONTWAIT);

	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (n == -1 && errno == ECONNRESET) {
		on_eof(r);
		return 0;
	}
	if (n == -1)
		return -1;
	if (n == 0) {
		on_eof(r);
		return 0;
	}
	return cgx_feed(r, buf, (size_t)n) == -1 ? -1 : 1;
}

int cgx_pump(int fd, struct cgx_resp *r, struct cgx_src *src,
	     uint64_t until_body, int timeout_ms)
{
	long deadline = cgx_now_ms() + timeout_ms;

	while (!goal(r, until_body)) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		long left = deadline - cgx_now_ms();
		bool sending = src && !src->broken && !cgx_src_done(src);

		if (r->eof || r->error || left <= 0)
			return -1;
		if (sending)
			pfd.events |= POLLOUT;
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return -1;
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
			if (pump_recv(fd, r, SIZE_MAX) == -1)
				return -1;
		if (sending && (pfd.revents & (POLLOUT | POLLERR)))
			pump_send(fd, src);
	}
	return 0;
}

ssize_t cgx_read_some(int fd, struct cgx_resp *r, size_t max, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	uint64_t before = r->body_len;
	size_t head_before = r->head_len;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return -1;
	int rc = pump_recv(fd, r, max);
	if (rc == -1)
		return -1;
	if (rc == 0)
		return 0;
	return (ssize_t)(r->body_len - before + r->head_len - head_before);
}

int cgx_exchange(int port, struct cgx_src *src, struct cgx_resp *r,
		 int timeout_ms)
{
	int fd = http_connect(port);
	int rc;

	if (fd == -1)
		return -1;
	r->head_only = src && strncmp(src->head, "HEAD ", 5) == 0;
	rc = cgx_pump(fd, r, src, 0, timeout_ms);
	close(fd);
	return rc;
}

int cgx_request(int port, const char *raw, struct cgx_resp *r)
{
	struct cgx_src src;

	cgx_resp_init(r, 1024 * 1024);
	cgx_src_init(&src, raw, NULL, 0, 0, 0, false);
	if (cgx_exchange(port, &src, r, 5000) == -1 && !r->head_done)
		return -1;
	return r->status;
}

int cgx_request_all(int port, const char *const *raws, size_t n,
		    struct cgx_resp *rs, int timeout_ms)
{
	long deadline = cgx_now_ms() + timeout_ms;
	int *fds = calloc(n ? n : 1, sizeof(*fds));
	int complete = 0;

	if (fds == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		cgx_resp_init(&rs[i], 1024 * 1024);
		rs[i].head_only = strncmp(raws[i], "HEAD ", 5) == 0;
		fds[i] = http_connect(port);
		if (fds[i] != -1 &&
		    send_all(fds[i], raws[i], strlen(raws[i])) == -1) {
			close(fds[i]);
			fds[i] = -1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		long left = deadline - cgx_now_ms();
		if (fds[i] == -1)
			continue;
		if (cgx_pump(fds[i], &rs[i], NULL, 0,
			     left > 0 ? (int)left : 1) == 0)
			complete++;
		close(fds[i]);
	}
	free(fds);
	return complete;
}

/* --- processes ------------------------------------------------------------ */

pid_t cgx_read_pid(const struct srv *s, const char *name, int timeout_ms)
{
	long deadline = cgx_now_ms() + timeout_ms;
	char path[800];

	cgx_path(s, name, path, sizeof(path));
	do {
		char *text = read_file(path, NULL);
		if (text && strchr(text, '\n')) {
			pid_t pid = (pid_t)atoi(text);
			free(text);
			if (pid > 0)
				return pid;
		}
		free(text);
		usleep(10000);
	} while (cgx_now_ms() < deadline);
	return -1;
}

/* "pid (comm) S ppid ..." of /proc/pid/stat; false if gone. */
static bool proc_stat(pid_t pid, char *state, pid_t *ppid)
{
	char path[64], buf[512];
	FILE *f;
	size_t got;
	int parent;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return false;
	got = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[got] = '\0';
	char *paren = strrchr(buf, ')');
	if (paren == NULL || sscanf(paren + 1, " %c %d", state, &parent) != 2)
		return false;
	*ppid = (pid_t)parent;
	return true;
}

char cgx_proc_state(pid_t pid)
{
	char state;
	pid_t ppid;

	return proc_stat(pid, &state, &ppid) ? state : 0;
}

bool cgx_wait_gone(pid_t pid, int timeout_ms, bool zombie_ok)
{
	long deadline = cgx_now_ms() + timeout_ms;

	for (;;) {
		char state = cgx_proc_state(pid);
		if (state == 0 || (zombie_ok && (state == 'Z' || state == 'X')))
			return true;
		if (cgx_now_ms() >= deadline)
			return false;
		usleep(10000);
	}
}

int cgx_children(pid_t parent, pid_t *pids, char *states, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		pid_t pid = (pid_t)atoi(e->d_name), ppid;
		char state;
		if (pid <= 0 || !proc_stat(pid, &state, &ppid) ||
		    ppid != parent)
			continue;
		if (n < max) {
			pids[n] = pid;
			states[n] = state;
		}
		n++;
	}
	closedir(d);
	return n;
}

pid_t cgx_worker(const struct srv *s)
{
	long deadline = cgx_now_ms() + 5000;
	pid_t pids[8];
	int n;

	while ((n = srv_workers(s, pids, 8)) == 0 && cgx_now_ms() < deadline)
		usleep(20000);
	return n == 1 ? pids[0] : -1;
}
