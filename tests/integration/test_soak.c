/*
 * Soak test (issue 6, "Hostile and faulty peers", last bullet): 50 000
 * requests of mixed kinds leave the workers' RSS and fd count where they
 * started.
 *
 * The binary: the release build, $WEBSERV_SRC/webserv (what users run;
 * `make test` builds it first), or $WEBSERV_SOAK_BIN.  Not the ASan
 * build: ASan puts every free in a quarantine (256 MB by default) and
 * adds shadow memory and allocator caches of its own, so its RSS grows by
 * tens of MB here with no leak at all (measured: about +60 MB a worker);
 * a small quarantine_size_mb still leaves the rest.  Leaks in the ASan
 * build are LSan's job, in every other test and in this one's traffic
 * when $WEBSERV_SOAK_BIN names it.  Here glibc malloc, as in production,
 * is what a leak has to show through.
 *
 * Traffic: two workers; SOAK_SLOTS clients in this one thread, driven by
 * poll, each on a connection that lives until something closes it.  Each
 * job is a kind of kinds[] drawn by weight; about one cacheable GET in
 * seven opens a pipelined batch of 2-4.  Every response is checked (status,
 * length, content or its first KEEP_CAP bytes, Location, who closes);
 * mismatches are counted by kind and must total 0.
 *
 * Measuring, after a warm-up of SOAK_WARMUP requests and after the soak:
 * the client closes everything and pins each worker's open-file cache to
 * the same content (every one of CHURN_FILES files, more than the 1024 a
 * worker caches, then the blob, on a connection served by that worker);
 * then waits, bounded, until /proc shows neither worker holding a client
 * connection or a CGI child.  Asserted: the same worker pids; the same
 * fds, exactly, by kind (sockets, pipes, anon inodes, files; the master's
 * too); VmRSS growth of each worker at most RSS_SLACK_KB.
 *
 * The bound.  Without a leak, 50 000 requests grow a worker's VmRSS by
 * 130-350 KiB (10 runs, release build, noisy 2-core VM).  That is
 * malloc's high-water mark, not live memory: seen through gdb's
 * malloc_stats, the live bytes grow by 0-50 KiB, and each kind alone,
 * warmed up, moves them by at most 384 bytes in 3000 requests.  A leak
 * in every request costs at least malloc's 32-byte chunk (40 bytes: 48),
 * and one worker serves at least 25 000 requests: 781 KiB (40 bytes:
 * 1172 KiB) over and above that noise.  RSS_SLACK_KB = 768 fails any of
 * them and leaves twice the noise seen.
 * Uploads stay under 4 KiB: read back, they sit in the file cache's
 * memory, and bigger ones raised the noise to 450 KiB.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgi_helpers.h"
#include "harness_extra.h"

#define SOAK_CFG                                                               \
	"workers = 2;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"@DIR@/access.log\"; keepalive_timeout = "     \
	"60;\n"                                                                \
	"  client_max_body_size = \"64k\"; shutdown_timeout = 5; };\n"         \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"                   \
	"  root = \"@DIR@/www\"; index = [ \"index.html\" ];\n"                \
	"  locations = ( { path = \"/\"; methods = [ \"GET\", \"HEAD\" ]; "    \
	"},\n"                                                                 \
	"    { path = \"/list/\"; autoindex = true; },\n"                      \
	"    { path = \"/old/\"; redirect = { code = 301; to = \"/new/\"; }; " \
	"},\n"                                                                 \
	"    { path = \"/up/\"; alias = \"@DIR@/up\"; upload_dir = "           \
	"\"@DIR@/up\";\n"                                                      \
	"      methods = [ \"GET\", \"PUT\", \"POST\", \"DELETE\" ]; },\n"     \
	"    { path = \"/cgi-bin/\"; alias = \"@DIR@/cgi\";\n"                 \
	"      methods = [ \"GET\", \"POST\" ]; cgi_timeout = \"10s\";\n"      \
	"      cgi = ( { ext = \".sh\"; interpreter = \"/bin/sh\"; } ); } "    \
	");\n"                                                                 \
	"} );\n"

#define SOAK_SLOTS    12
#define SOAK_WARMUP   10000
#define SOAK_REQUESTS 50000
#define RSS_SLACK_KB  768
#define CHURN_FILES   1500 /* > the 1024 entries of a worker's file cache */
#define BLOB_SIZE     (200 * 1024)
#define BLOB_SEED     0xb10bULL
#define UP_NAMES      4	   /* PUT/DELETE names per slot */
#define UP_MAX	      4096 /* upload sizes */
#define ECHO_MAX      2000 /* CGI echo sizes */
#define OUT_CAP	      (UP_MAX + 2048)
#define KEEP_CAP      4096
#define PIPE_MAX      4
#define JOB_MS	      10000
#define DRAIN_MS      5000
#define HOST	      "Host: soak\r\n"
#define SMALL	      "a small file, always cached\n"
#define BOUNDARY      "soakBoundary7c1e"

/* Kinds built in code; the rest of kinds[] are fixed requests. */
enum kind {
	K_FIXED,
	K_CHURN,
	K_BLOB,
	K_RANGE,
	K_PUT,
	K_PUT_CHUNKED,
	K_GET_UP,
	K_DELETE,
	K_POST_RAW,
	K_POST_FORM,
	K_FOLLOW_DELETE,
	K_CGI_POST,
	K_ABORT_BODY,
	K_ABORT_RESP
};

#define F_PIPE	 1u  /* may follow in a pipelined batch */
#define F_CLOSES 2u  /* the server closes after it */
#define F_HEAD	 4u  /* a HEAD request */
#define F_LOC	 8u  /* hint is the Location path */
#define F_ETAG	 16u /* "%s" in req is the ETag, else Last-Modified */
#define F_ABORT	 32u /* the client leaves after sending req */

static const struct kind_spec {
	const char *name;
	unsigned weight; /* per mille */
	unsigned flags;
	const char *req; /* the request; NULL: built in add_request */
	int status;
	const char *body; /* the whole body, or NULL */
	const char *hint; /* in the body, or the Location (F_LOC) */
	enum kind build;
} kinds[] = {
#define GET(path) "GET " path " HTTP/1.1\r\n" HOST "\r\n"
#define FIXED(name, weight, flags, req, status, body, hint)                    \
	{                                                                      \
		name, weight, flags, req, status, body, hint, K_FIXED          \
	}
#define BUILT(name, weight, flags, build)                                      \
	{                                                                      \
		name, weight, flags, NULL, 0, NULL, NULL, build                \
	}
    FIXED("small", 150, F_PIPE, GET("/small.txt"), 200, SMALL, NULL),
    FIXED("index", 40, F_PIPE, GET("/"), 200, "hello\n", NULL),
    FIXED("head", 40, F_PIPE | F_HEAD,
	  "HEAD /blob.bin HTTP/1.1\r\n" HOST "\r\n", 200, NULL, NULL),
    FIXED("etag 304", 40, F_PIPE | F_ETAG,
	  "GET /small.txt HTTP/1.1\r\n" HOST "If-None-Match: %s\r\n\r\n", 304,
	  NULL, NULL),
    FIXED("ims 304", 20, F_PIPE,
	  "GET /small.txt HTTP/1.1\r\n" HOST "If-Modified-Since: %s\r\n\r\n",
	  304, NULL, NULL),
    FIXED("404", 40, F_PIPE, GET("/missing/x.txt"), 404, NULL, NULL),
    FIXED("405", 20, F_PIPE, "DELETE /small.txt HTTP/1.1\r\n" HOST "\r\n", 405,
	  NULL, NULL),
    FIXED("autoindex", 30, F_PIPE, GET("/list/"), 200, NULL, "href=\"b.txt\""),
    FIXED("redirect", 20, F_PIPE | F_LOC, GET("/old/x.html"), 301, NULL,
	  "/new/"),
    FIXED("dir 301", 10, F_PIPE | F_LOC, GET("/list"), 301, NULL, "/list/"),
    FIXED("range 416", 10, F_PIPE,
	  "GET /blob.bin HTTP/1.1\r\n" HOST "Range: bytes=300000-\r\n\r\n", 416,
	  NULL, NULL),
    FIXED("connection close", 50, F_CLOSES,
	  "GET /small.txt HTTP/1.1\r\n" HOST "Connection: close\r\n\r\n", 200,
	  SMALL, NULL),
    FIXED("http/1.0", 15, F_CLOSES, "GET /small.txt HTTP/1.0\r\n\r\n", 200,
	  SMALL, NULL),
    FIXED("cgi", 10, 0, GET("/cgi-bin/hello.sh"), 200, "hello\n", NULL),
    FIXED("501", 5, F_CLOSES, "BREW /pot HTTP/1.1\r\n" HOST "\r\n", 501, NULL,
	  NULL),
    /* over the 64k limit: refused at the head, the body never read */
    FIXED("413", 10, F_CLOSES,
	  "PUT /up/big.bin HTTP/1.1\r\n" HOST
	  "Content-Length: 1048576\r\n\r\nsome of the body",
	  413, NULL, NULL),
    FIXED("400 field", 5, F_CLOSES,
	  "GET / HTTP/1.1\r\n" HOST "Bad Header\r\n\r\n", 400, NULL, NULL),
    FIXED("400 bare LF", 5, F_CLOSES, "GET / HTTP/1.1\r\n" HOST "X: y\n\r\n",
	  400, NULL, NULL),
    FIXED("400 no Host", 5, F_CLOSES, "GET / HTTP/1.1\r\n\r\n", 400, NULL,
	  NULL),
    FIXED("400 two CL", 5, F_CLOSES,
	  "PUT /up/cl HTTP/1.1\r\n" HOST
	  "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab",
	  400, NULL, NULL),
    FIXED("400 line", 5, F_CLOSES, "GET  / HTTP/1.1\r\n" HOST "\r\n", 400, NULL,
	  NULL),
    FIXED("400 chunk", 5, F_CLOSES,
	  "POST /up/ HTTP/1.1\r\n" HOST
	  "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n",
	  400, NULL, NULL),
    FIXED("abort in head", 15, F_ABORT,
	  "GET /small.txt HTTP/1.1\r\n" HOST "X-Half: ", 0, NULL, NULL),
    BUILT("churn (cache miss)", 150, F_PIPE, K_CHURN),
    BUILT("200 KiB", 30, F_PIPE, K_BLOB),
    BUILT("range", 40, F_PIPE, K_RANGE),
    BUILT("put", 45, 0, K_PUT),
    BUILT("put chunked", 25, 0, K_PUT_CHUNKED),
    BUILT("get upload", 30, F_PIPE, K_GET_UP),
    BUILT("delete", 30, 0, K_DELETE),
    BUILT("post raw", 20, 0, K_POST_RAW),
    BUILT("post multipart", 20, 0, K_POST_FORM),
    BUILT("delete posted", 0, 0, K_FOLLOW_DELETE),
    BUILT("cgi post", 5, 0, K_CGI_POST),
    BUILT("abort in body", 15, F_ABORT, K_ABORT_BODY),
    BUILT("abort in response", 15, 0, K_ABORT_RESP),
#undef BUILT
#undef FIXED
#undef GET
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

struct expect {
	int kind; /* in kinds[] */
	int status;
	long body_len;	  /* -1: any */
	const char *body; /* the whole body, or NULL */
	char text[40];	  /* room for body */
	long stream_off;  /* >= 0: body = hx_fill(seed) from there */
	uint64_t seed;
	bool follow;	/* DELETE its Location next */
	bool abort_mid; /* the client leaves at the first body bytes */
};

enum phase { S_IDLE, S_XFER, S_EOF, S_ABORT };

struct slot {
	int id, fd;
	enum phase phase;
	uint64_t rng;
	long deadline;
	char out[OUT_CAP];
	size_t out_len, out_off;
	struct expect exp[PIPE_MAX];
	int n_exp, cur;
	struct cgx_resp resp;
	bool resp_live;
	bool up_exists[UP_NAMES];
	size_t up_size[UP_NAMES];
	char follow[160]; /* a Location to DELETE next, or "" */
	unsigned churn_next;
};

struct soak {
	struct srv srv;
	pid_t pids[2];
	char etag[128], modified[64];
	struct slot slots[SOAK_SLOTS];
	long issued, target;
	long count[N_KINDS], bad[N_KINDS];
	int follow_kind; /* the DELETE of a posted file */
	int logged;
};

/* Static: big, and hx_fini finds the server after a failed assert. */
static struct soak soak;

/* --- the client side ----------------------------------------------------- */

static unsigned rnd(struct slot *sl, unsigned n)
{
	sl->rng ^= sl->rng << 13;
	sl->rng ^= sl->rng >> 7;
	sl->rng ^= sl->rng << 17;
	return (unsigned)((sl->rng >> 16) % n);
}

__attribute__((format(printf, 2, 3))) static void out_add(struct slot *sl,
							  const char *fmt, ...)
{
	size_t room = sizeof(sl->out) - sl->out_len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sl->out + sl->out_len, room, fmt, ap);
	va_end(ap);
	cr_assert(n >= 0 && (size_t)n < room, "request too long");
	sl->out_len += (size_t)n;
}

static void out_raw(struct slot *sl, const char *p, size_t n)
{
	cr_assert(n <= sizeof(sl->out) - sl->out_len, "request too long");
	memcpy(sl->out + sl->out_len, p, n);
	sl->out_len += n;
}

/* End the head with the body's framing (length or chunked); the body. */
static void out_body(struct slot *sl, const char *p, size_t n, bool chunked)
{
	if (!chunked) {
		out_add(sl, "Content-Length: %zu\r\n\r\n", n);
		out_raw(sl, p, n);
		return;
	}
	out_add(sl, "Transfer-Encoding: chunked\r\n\r\n");
	for (size_t off = 0, piece; off < n; off += piece) {
		piece = 256 + rnd(sl, 1024);
		piece = piece < n - off ? piece : n - off;
		out_add(sl, "%zx\r\n", piece);
		out_raw(sl, p + off, piece);
		out_add(sl, "\r\n");
	}
	out_add(sl, "0\r\n\r\n");
}

static struct expect *expect_new(struct slot *sl, int kd, int status)
{
	struct expect *e = &sl->exp[sl->n_exp++];

	memset(e, 0, sizeof(*e));
	e->kind = kd;
	e->status = status;
	e->body_len = e->stream_off = -1;
	return e;
}

static void expect_stream(struct expect *e, long len, uint64_t seed, long off)
{
	e->body_len = len;
	e->seed = seed;
	e->stream_off = off;
}

/* PUT, GET or DELETE of one of the slot's names, after its model. */
static void add_upload(struct slot *sl, int kd, char *buf)
{
	unsigned j = rnd(sl, UP_NAMES);
	uint64_t seed = 1000 + (uint64_t)sl->id * UP_NAMES + j;
	size_t n = 1 + rnd(sl, UP_MAX);
	bool had = sl->up_exists[j];
	const char *method = kinds[kd].build == K_GET_UP   ? "GET"
			     : kinds[kd].build == K_DELETE ? "DELETE"
							   : "PUT";

	out_add(sl, "%s /up/s%d-%u.bin HTTP/1.1\r\n" HOST, method, sl->id, j);
	if (kinds[kd].build == K_GET_UP) {
		out_add(sl, "\r\n");
		if (had)
			expect_stream(expect_new(sl, kd, 200),
				      (long)sl->up_size[j], seed, 0);
		else
			expect_new(sl, kd, 404);
	} else if (kinds[kd].build == K_DELETE) {
		out_add(sl, "\r\n");
		expect_new(sl, kd, had ? 204 : 404);
		sl->up_exists[j] = false;
	} else {
		hx_fill(buf, n, seed, 0);
		out_body(sl, buf, n, kinds[kd].build == K_PUT_CHUNKED);
		expect_new(sl, kd, had ? 204 : 201);
		sl->up_exists[j] = true;
		sl->up_size[j] = n;
	}
}

static void add_post(struct slot *sl, int kd, char *buf)
{
	size_t n = 1 + rnd(sl, UP_MAX), len;

	if (kinds[kd].build == K_POST_RAW) {
		hx_fill(buf, n, 77, 0);
		out_add(sl, "POST /up/ HTTP/1.1\r\n" HOST
			    "Content-Type: application/octet-stream\r\n");
		out_body(sl, buf, n, false);
	} else {
		len = (size_t)snprintf(buf, 256,
				       "--" BOUNDARY "\r\nContent-Disposition: "
				       "form-data; name=\"f\"; "
				       "filename=\"m%d.bin\"\r\n\r\n",
				       sl->id);
		hx_fill(buf + len, n, 78, 0);
		len += n;
		len +=
		    (size_t)snprintf(buf + len, 64, "\r\n--" BOUNDARY "--\r\n");
		out_add(sl, "POST /up/ HTTP/1.1\r\n" HOST
			    "Content-Type: multipart/form-data; "
			    "boundary=" BOUNDARY "\r\n");
		out_body(sl, buf, len, rnd(sl, 2));
	}
	expect_new(sl, kd, 201)->follow = true;
}

/* Append a request of kind kd to the slot's batch, and its answer. */
static void add_request(struct soak *k, struct slot *sl, int kd)
{
	const struct kind_spec *ks = &kinds[kd];
	static char buf[UP_MAX + 512];
	struct expect *e;
	unsigned a, n;

	k->count[kd]++;
	k->issued++;
	if (ks->req) {
		out_add(sl, ks->req,
			ks->flags & F_ETAG ? k->etag : k->modified);
		if (ks->flags & F_ABORT)
			return;
		e = expect_new(sl, kd, ks->status);
		e->body = ks->body;
		return;
	}
	switch (ks->build) {
	case K_CHURN:
		a = sl->churn_next++ % CHURN_FILES;
		out_add(sl, "GET /c/f%04u.txt HTTP/1.1\r\n" HOST "\r\n", a);
		e = expect_new(sl, kd, 200);
		snprintf(e->text, sizeof(e->text), "churn %04u\n", a);
		e->body = e->text;
		break;
	case K_BLOB:
	case K_ABORT_RESP:
		out_add(sl, "GET /blob.bin HTTP/1.1\r\n" HOST "\r\n");
		e = expect_new(sl, kd, 200);
		expect_stream(e, BLOB_SIZE, BLOB_SEED, 0);
		e->abort_mid = ks->build == K_ABORT_RESP;
		break;
	case K_RANGE:
		a = rnd(sl, BLOB_SIZE - 1);
		n = 1 + rnd(sl, BLOB_SIZE - a < 8192 ? BLOB_SIZE - a : 8192);
		out_add(sl,
			"GET /blob.bin HTTP/1.1\r\n" HOST
			"Range: bytes=%u-%u\r\n\r\n",
			a, a + n - 1);
		expect_stream(expect_new(sl, kd, 206), n, BLOB_SEED, a);
		break;
	case K_POST_RAW:
	case K_POST_FORM:
		add_post(sl, kd, buf);
		break;
	case K_FOLLOW_DELETE:
		out_add(sl, "DELETE %s HTTP/1.1\r\n" HOST "\r\n", sl->follow);
		sl->follow[0] = '\0';
		expect_new(sl, kd, 204);
		break;
	case K_CGI_POST:
		n = 1 + rnd(sl, ECHO_MAX);
		hx_fill(buf, n, 79, 0);
		out_add(sl, "POST /cgi-bin/echo.sh HTTP/1.1\r\n" HOST);
		out_body(sl, buf, n, rnd(sl, 2));
		expect_stream(expect_new(sl, kd, 200), n, 79, 0);
		break;
	case K_ABORT_BODY: /* 1000 of 2000 bytes, then gone */
		out_add(sl,
			"PUT /up/abort-%d.bin HTTP/1.1\r\n" HOST
			"Content-Length: 2000\r\n\r\n",
			sl->id);
		out_raw(sl, buf, 1000);
		break;
	default:
		add_upload(sl, kd, buf);
		break;
	}
}

static int pick(struct slot *sl)
{
	unsigned total = 0, x;

	for (size_t i = 0; i < N_KINDS; i++)
		total += kinds[i].weight;
	x = rnd(sl, total);
	for (size_t i = 0; i < N_KINDS; i++) {
		if (x < kinds[i].weight)
			return (int)i;
		x -= kinds[i].weight;
	}
	return 0;
}

static int soak_connect(int port, int rcvbuf)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd == -1)
		return -1;
	/* before connect: a small window keeps the response in flight */
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* Close the slot's connection (rst: with a reset); the slot is idle. */
static void slot_close(struct slot *sl, bool rst)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	if (sl->fd != -1 && rst)
		setsockopt(sl->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (sl->fd != -1)
		close(sl->fd);
	sl->fd = -1;
	if (sl->resp_live)
		cgx_resp_free(&sl->resp);
	sl->resp_live = false;
	sl->phase = S_IDLE;
}

static void resp_next(struct slot *sl)
{
	if (sl->resp_live)
		cgx_resp_free(&sl->resp);
	cgx_resp_init(&sl->resp, KEEP_CAP);
	sl->resp.head_only = kinds[sl->exp[sl->cur].kind].flags & F_HEAD;
	sl->resp_live = true;
}

/* The current and the rest of the batch are bad: say why (the first few
 * times), reset the connection.  false. */
__attribute__((format(printf, 3, 4))) static bool
fail(struct soak *k, struct slot *sl, const char *fmt, ...)
{
	int cur = sl->cur < sl->n_exp ? sl->cur : sl->n_exp - 1;
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	for (int i = cur; i < sl->n_exp; i++)
		k->bad[sl->exp[i].kind]++;
	if (k->logged++ < 20)
		cr_log_warn("slot %d, %s (%d of %d in the batch): %s", sl->id,
			    kinds[sl->exp[cur].kind].name, cur + 1, sl->n_exp,
			    why);
	sl->follow[0] = '\0';
	slot_close(sl, true);
	return false;
}

static bool check_response(struct soak *k, struct slot *sl)
{
	const struct expect *e = &sl->exp[sl->cur];
	const struct kind_spec *ks = &kinds[e->kind];
	const struct cgx_resp *r = &sl->resp;
	static char want[KEEP_CAP];
	char v[256];
	bool closes =
	    cgx_header(r, "Connection", v, sizeof(v)) && strcasestr(v, "close");
	const char *loc =
	    cgx_header(r, "Location", v, sizeof(v)) ? hx_location_path(v) : "";

	if (r->status != e->status)
		return fail(k, sl, "status %d, want %d", r->status, e->status);
	if (e->body_len >= 0 && r->body_len != (uint64_t)e->body_len)
		return fail(k, sl, "%llu body bytes, want %ld",
			    (unsigned long long)r->body_len, e->body_len);
	if (e->body && strcmp(r->keep, e->body) != 0)
		return fail(k, sl, "body \"%.60s\"", r->keep);
	if (e->stream_off >= 0) {
		hx_fill(want, r->keep_len, e->seed, (uint64_t)e->stream_off);
		if (memcmp(want, r->keep, r->keep_len) != 0)
			return fail(k, sl, "body content differs");
	}
	if (ks->hint && !(ks->flags & F_LOC) && !strstr(r->keep, ks->hint))
		return fail(k, sl, "body without %s", ks->hint);
	if (ks->hint && (ks->flags & F_LOC) && strcmp(loc, ks->hint) != 0)
		return fail(k, sl, "Location %s, want %s", loc, ks->hint);
	if (closes != ((ks->flags & F_CLOSES) != 0))
		return fail(k, sl, "Connection: close %s",
			    closes ? "unexpected" : "missing");
	if (e->follow) {
		size_t len = strlen(loc);
		if (strncmp(loc, "/up/", 4) != 0 || len >= sizeof(sl->follow))
			return fail(k, sl, "201 with Location \"%s\"", loc);
		memcpy(sl->follow, loc, len + 1);
	}
	return true;
}

static void start_job(struct soak *k, struct slot *sl)
{
	int kd = sl->follow[0] ? k->follow_kind : pick(sl);
	bool fresh = kinds[kd].build == K_ABORT_RESP;

	sl->out_len = sl->out_off = 0;
	sl->n_exp = sl->cur = 0;
	if (fresh && sl->fd != -1)
		slot_close(sl, false); /* a client leaving while idle */
	if (sl->fd == -1)
		sl->fd = soak_connect(k->srv.port, fresh ? 4096 : 0);
	add_request(k, sl, kd);
	while ((kinds[kd].flags & F_PIPE) && sl->n_exp < PIPE_MAX &&
	       rnd(sl, 5) == 0) {
		int next = pick(sl);
		if (kinds[next].flags & F_PIPE)
			add_request(k, sl, next);
	}
	sl->deadline = hx_now_ms() + JOB_MS;
	sl->phase = kinds[kd].flags & F_ABORT ? S_ABORT : S_XFER;
	if (sl->phase == S_XFER)
		resp_next(sl);
	if (sl->fd == -1 && sl->phase == S_XFER)
		fail(k, sl, "connect: %s", strerror(errno));
	else if (sl->fd == -1)
		sl->phase = S_IDLE;
}

/* Decode n received bytes into the batch's responses, in order. */
static void feed(struct soak *k, struct slot *sl, const char *p, size_t n)
{
	while (n > 0) {
		struct cgx_resp *r = &sl->resp;
		uint64_t extra = r->extra;

		if (sl->phase != S_XFER) {
			fail(k, sl, "%zu bytes after the last response", n);
			return;
		}
		if (cgx_feed(r, p, n) == -1) {
			fail(k, sl, "broken framing");
			return;
		}
		if (sl->exp[sl->cur].abort_mid && r->head_done &&
		    (r->body_len > 0 || r->done)) {
			if (r->status != 200)
				fail(k, sl, "status %d, want 200", r->status);
			else
				slot_close(sl, rnd(sl, 2));
			return;
		}
		if (!r->done)
			return;
		size_t used = n - (size_t)(r->extra - extra);
		p += used;
		n -= used;
		if (!check_response(k, sl))
			return;
		if (++sl->cur < sl->n_exp)
			resp_next(sl);
		else if (kinds[sl->exp[sl->cur - 1].kind].flags & F_CLOSES)
			sl->phase = S_EOF;
		else
			sl->phase = S_IDLE;
	}
}

static void slot_io(struct soak *k, struct slot *sl, short revents)
{
	static char buf[65536];

	while (sl->out_off < sl->out_len) {
		ssize_t sent = send(sl->fd, sl->out + sl->out_off,
				    sl->out_len - sl->out_off,
				    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (sent == -1 && errno == EINTR)
			continue;
		if (sent == -1 && errno != EAGAIN)
			sl->out_off = sl->out_len; /* answered early: read */
		if (sent <= 0)
			break;
		sl->out_off += (size_t)sent;
	}
	if (sl->phase == S_ABORT) {
		if (sl->out_off == sl->out_len)
			slot_close(sl, rnd(sl, 2));
		return;
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	ssize_t got = recv(sl->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (got == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (got > 0)
		feed(k, sl, buf, (size_t)got);
	else if (sl->phase == S_EOF)
		slot_close(sl, false);
	else
		fail(k, sl, "closed by the server (%s), status %d so far",
		     got == 0 ? "EOF" : strerror(errno), sl->resp.status);
}

/* Issue n more requests over all slots; return when all are answered. */
static void run(struct soak *k, long n)
{
	struct pollfd pfd[SOAK_SLOTS];
	int map[SOAK_SLOTS];

	k->target = k->issued + n;
	for (;;) {
		int np = 0;
		for (int i = 0; i < SOAK_SLOTS; i++) {
			struct slot *sl = &k->slots[i];
			if (sl->phase == S_IDLE &&
			    (k->issued < k->target || sl->follow[0]))
				start_job(k, sl);
			if (sl->phase == S_IDLE)
				continue;
			pfd[np].fd = sl->fd;
			pfd[np].events = POLLIN;
			if (sl->out_off < sl->out_len)
				pfd[np].events |= POLLOUT;
			map[np++] = i;
		}
		if (np == 0)
			return;
		poll(pfd, (nfds_t)np, 100);
		long now = hx_now_ms();
		for (int i = 0; i < np; i++) {
			struct slot *sl = &k->slots[map[i]];
			if (pfd[i].revents)
				slot_io(k, sl, pfd[i].revents);
			if (sl->phase != S_IDLE && now > sl->deadline)
				fail(k, sl, "no answer in %d ms, status %d",
				     JOB_MS, sl->resp.status);
		}
	}
}

static void close_slots(struct soak *k)
{
	for (int i = 0; i < SOAK_SLOTS; i++)
		slot_close(&k->slots[i], false);
}

/* --- the server side, through /proc ------------------------------------ */

/*
 * Look through /proc/net/tcp: with inode 0, for the socket
 * 127.0.0.1:lport -> :rport (its inode, 0 if none); else whether inode
 * is a connection (1) rather than a listener or not TCP at all (0).
 */
static unsigned long tcp_find(unsigned long inode, int lport, int rport)
{
	FILE *f = fopen("/proc/net/tcp", "re");
	char line[512];
	unsigned long ino, found = 0;
	unsigned lp, rp, st;

	while (f && !found && fgets(line, sizeof(line), f)) {
		if (sscanf(line,
			   " %*d: %*x:%x %*x:%x %x %*x:%*x %*x:%*x %*x %*u "
			   "%*u %lu",
			   &lp, &rp, &st, &ino) != 4)
			continue;
		if (inode == 0 && (int)lp == lport && (int)rp == rport)
			found = ino;
		else if (inode && ino == inode)
			found = st != 0x0A; /* 0A: LISTEN */
	}
	if (f)
		fclose(f);
	return found;
}

struct fd_use {
	int total, conns, sockets, pipes, anon, files;
	char list[1024]; /* "fd:target " but churn files, for messages */
};

/* pid's fds by kind; with want, only the fd number that is want. */
static int fd_use(pid_t pid, struct fd_use *u, const char *want)
{
	char dir[64], path[320], target[256];
	struct dirent *de;
	size_t len = 0;
	DIR *d;

	memset(u, 0, sizeof(*u));
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		unsigned long inode;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (want && strcmp(target, want) == 0) {
			int fd = atoi(de->d_name);
			closedir(d);
			return fd;
		}
		u->total++;
		if (sscanf(target, "socket:[%lu]", &inode) == 1) {
			u->sockets++;
			u->conns += want == NULL && tcp_find(inode, 0, 0);
		} else if (strncmp(target, "pipe:", 5) == 0) {
			u->pipes++;
		} else if (strncmp(target, "anon_inode:", 11) == 0) {
			u->anon++;
		} else {
			u->files++;
		}
		if (strstr(target, "/www/c/")) /* the cached churn files */
			continue;
		int w = snprintf(u->list + len, sizeof(u->list) - len, "%s:%s ",
				 de->d_name, target);
		if (w > 0 && (size_t)w < sizeof(u->list) - len)
			len += (size_t)w;
	}
	closedir(d);
	return -1;
}

/* Which worker (0 or 1) holds the server end of our connection fd. */
static int conn_owner(const struct soak *k, int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct fd_use u;
	char want[64];

	if (getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		return -1;
	unsigned long inode = tcp_find(0, k->srv.port, ntohs(sin.sin_port));
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	for (int w = 0; w < 2 && inode; w++)
		if (fd_use(k->pids[w], &u, want) >= 0)
			return w;
	return -1;
}

/* GET path on a blocking keep-alive fd: the status (-1: none). */
static int get_on(int fd, const char *path, struct http_resp *r)
{
	char req[256];
	int len =
	    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n" HOST "\r\n", path);

	if (len < 0 || (size_t)len >= sizeof(req) ||
	    send_all(fd, req, (size_t)len) == -1 ||
	    http_read(fd, r, false) == -1)
		return -1;
	return r->status;
}

/*
 * Give both workers' file caches the same content, whatever came before:
 * on a connection served by each worker, every churn file (more than the
 * cache holds: all earlier entries are evicted), then the blob.
 */
static void pin_caches(struct soak *k)
{
	int fds[2] = {-1, -1};
	struct http_resp r;
	char path[64];

	for (int t = 0; t < 200 && (fds[0] == -1 || fds[1] == -1); t++) {
		int fd = http_connect(k->srv.port);
		cr_assert(fd != -1, "connect");
		cr_assert_eq(get_on(fd, "/", &r), 200);
		http_resp_free(&r);
		int w = conn_owner(k, fd);
		if (w >= 0 && fds[w] == -1)
			fds[w] = fd;
		else
			close(fd);
	}
	cr_assert(fds[0] != -1 && fds[1] != -1,
		  "200 connections never reached both workers");
	for (int w = 0; w < 2; w++) {
		for (unsigned i = 0; i < CHURN_FILES; i++) {
			snprintf(path, sizeof(path), "/c/f%04u.txt", i);
			cr_assert_eq(get_on(fds[w], path, &r), 200, "%s", path);
			http_resp_free(&r);
		}
		cr_assert_eq(get_on(fds[w], "/blob.bin", &r), 200);
		cr_assert_eq(r.body_len, BLOB_SIZE);
		http_resp_free(&r);
		close(fds[w]);
	}
}

struct snapshot {
	struct fd_use fds[2], master;
	long rss[2];
};

/* Wait (bounded) until neither worker holds a client connection or a CGI
 * child; the snapshot then.  false on timeout. */
static bool settle(struct soak *k, struct snapshot *s)
{
	long deadline = hx_now_ms() + DRAIN_MS;
	bool idle;

	do {
		idle = true;
		for (int w = 0; w < 2; w++) {
			fd_use(k->pids[w], &s->fds[w], NULL);
			idle = idle && s->fds[w].conns == 0 &&
			       cgx_children(k->pids[w], NULL, NULL, 0) == 0;
		}
		if (!idle)
			usleep(20 * 1000);
	} while (!idle && hx_now_ms() < deadline);
	fd_use(k->srv.pid, &s->master, NULL);
	for (int w = 0; w < 2; w++)
		s->rss[w] = proc_rss_kb(k->pids[w]);
	return idle;
}

/* --- the test ------------------------------------------------------------ */

static int soak_files(const char *dir)
{
	static char blob[BLOB_SIZE];
	char name[64], text[40], path[600];
	int rc = 0;

	hx_fill(blob, sizeof(blob), BLOB_SEED, 0);
	rc |= write_file(dir, "www/blob.bin", blob, sizeof(blob));
	rc |= write_file(dir, "www/small.txt", SMALL, -1);
	rc |= write_file(dir, "www/list/a.txt", "a\n", -1);
	rc |= write_file(dir, "www/list/b.txt", "b\n", -1);
	rc |= hx_mkdir(dir, "up");
	rc |=
	    write_file(dir, "cgi/hello.sh",
		       "printf 'Content-Type: text/plain\\n\\nhello\\n'\n", -1);
	rc |= write_file(dir, "cgi/echo.sh",
			 "printf 'Content-Type: application/octet-stream"
			 "\\n\\n'\nexec cat\n",
			 -1);
	rc |= chmod(hx_path(path, sizeof(path), dir, "cgi/hello.sh"), 0755);
	rc |= chmod(hx_path(path, sizeof(path), dir, "cgi/echo.sh"), 0755);
	for (unsigned i = 0; i < CHURN_FILES && rc == 0; i++) {
		snprintf(name, sizeof(name), "www/c/f%04u.txt", i);
		snprintf(text, sizeof(text), "churn %04u\n", i);
		rc |= write_file(dir, name, text, -1);
	}
	return rc ? -1 : 0;
}

static void start_server(struct soak *k)
{
	const char *src = getenv("WEBSERV_SRC");
	const char *bin = getenv("WEBSERV_SOAK_BIN");
	char rel[1024];
	struct http_resp r;

	if (bin == NULL && src) {
		snprintf(rel, sizeof(rel), "%s/webserv", src);
		bin = rel;
	}
	if (bin == NULL || access(bin, X_OK) != 0)
		cr_skip_test("no release webserv ($WEBSERV_SRC/webserv or "
			     "$WEBSERV_SOAK_BIN)");
	cr_assert_eq(srv_prepare(&k->srv, SOAK_CFG), 0);
	hx_track(&k->srv);
	cr_assert_eq(soak_files(k->srv.dir), 0);
	/* this process is the test's own (Criterion forks each test) */
	setenv("WEBSERV_BIN", bin, 1);
	cr_assert_eq(srv_start(&k->srv, NULL), 0, "%s did not start", bin);
	hx_track(&k->srv);
	cr_assert_eq(srv_workers(&k->srv, k->pids, 2), 2, "two workers");
	cr_assert_eq(http_get(k->srv.port, "/small.txt", &r), 0);
	cr_assert(
	    resp_header(&r, "ETag", k->etag, sizeof(k->etag)) &&
	    resp_header(&r, "Last-Modified", k->modified, sizeof(k->modified)));
	http_resp_free(&r);
	for (size_t i = 0; i < N_KINDS; i++)
		if (kinds[i].build == K_FOLLOW_DELETE)
			k->follow_kind = (int)i;
	for (int i = 0; i < SOAK_SLOTS; i++) {
		k->slots[i].id = i;
		k->slots[i].fd = -1;
		k->slots[i].rng = 0x50a4ULL * 2654435761ULL + (uint64_t)i;
		k->slots[i].churn_next = (unsigned)i * 97;
	}
}

static void expect_same_fds(const struct fd_use *a, const struct fd_use *b,
			    const char *who)
{
	cr_expect(a->total == b->total && a->sockets == b->sockets &&
		      a->pipes == b->pipes && a->anon == b->anon &&
		      a->files == b->files,
		  "%s fds: %d (sockets %d, pipes %d, anon %d, files %d) -> "
		  "%d (%d, %d, %d, %d)\nbefore: %.300s\nafter:  %.300s",
		  who, a->total, a->sockets, a->pipes, a->anon, a->files,
		  b->total, b->sockets, b->pipes, b->anon, b->files, a->list,
		  b->list);
}

/* up/ holds exactly the names the slots' models say exist. */
static void expect_uploads(const struct soak *k)
{
	char path[600], names[8192];
	int want = 0;

	for (int i = 0; i < SOAK_SLOTS; i++)
		for (int j = 0; j < UP_NAMES; j++)
			want += k->slots[i].up_exists[j];
	int n = hx_list_dir(hx_path(path, sizeof(path), k->srv.dir, "up"),
			    names, sizeof(names));
	cr_expect_eq(n, want, "up/ holds %d names, want %d: %.400s", n, want,
		     names);
	cr_expect(!strstr(names, "abort-") && !strstr(names, "big.bin") &&
		      !strstr(names, "cl"),
		  "an aborted or refused upload left a file: %.400s", names);
}

Test(hostile, soak_50k_mixed_requests_leave_rss_and_fds_unchanged,
     .fini = hx_fini, .timeout = 90)
{
	struct soak *k = &soak;
	struct snapshot before, after;
	pid_t pids[4];
	long bad = 0;

	start_server(k);
	run(k, SOAK_WARMUP);
	close_slots(k);
	pin_caches(k);
	cr_assert(settle(k, &before),
		  "connections or CGI children left %d ms after the warm-up: "
		  "%.300s / %.300s",
		  DRAIN_MS, before.fds[0].list, before.fds[1].list);

	long t0 = hx_now_ms();
	run(k, SOAK_REQUESTS);
	long soak_ms = hx_now_ms() - t0;
	close_slots(k);
	pin_caches(k);
	bool idle = settle(k, &after);

	for (size_t i = 0; i < N_KINDS; i++) {
		bad += k->bad[i];
		if (k->bad[i])
			cr_log_warn("%s: %ld of %ld wrong", kinds[i].name,
				    k->bad[i], k->count[i]);
	}
	cr_log_info("soak: %ld requests in %ld ms; worker VmRSS %ld -> %ld, "
		    "%ld -> %ld KiB; fds %d, %d",
		    k->issued - SOAK_WARMUP, soak_ms, before.rss[0],
		    after.rss[0], before.rss[1], after.rss[1],
		    after.fds[0].total, after.fds[1].total);
	cr_expect_eq(bad, 0, "%ld of %ld responses wrong", bad, k->issued);
	cr_expect(idle,
		  "connections or CGI children left %d ms after the "
		  "soak: %.300s / %.300s",
		  DRAIN_MS, after.fds[0].list, after.fds[1].list);
	cr_assert_eq(srv_workers(&k->srv, pids, 4), 2, "worker count");
	cr_expect((pids[0] == k->pids[0] && pids[1] == k->pids[1]) ||
		      (pids[0] == k->pids[1] && pids[1] == k->pids[0]),
		  "a worker was replaced: it crashed");
	for (int w = 0; w < 2; w++) {
		char who[32];
		snprintf(who, sizeof(who), "worker %d", (int)k->pids[w]);
		expect_same_fds(&before.fds[w], &after.fds[w], who);
		cr_expect_leq(after.rss[w] - before.rss[w], RSS_SLACK_KB,
			      "%s VmRSS grew %ld KiB (%ld -> %ld) in %d "
			      "requests",
			      who, after.rss[w] - before.rss[w], before.rss[w],
			      after.rss[w], SOAK_REQUESTS);
	}
	expect_same_fds(&before.master, &after.master, "master");
	expect_uploads(k);
	int status = srv_stop(&k->srv);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "webserv did not stop cleanly: status %#x", status);
}
