/*
 * Integration tests of timeouts and slow clients over real sockets
 * (issue 3 "Timeouts and slow clients"): a partial head or body gets 408
 * and a close within about its timeout, an idle keep-alive connection is
 * closed after keepalive_timeout, a trickling client is cut at
 * header_timeout however often it sends a byte (slowloris), a reader
 * that stops reading is cut at send_timeout, and hundreds of slow
 * connections never delay a normal request.  Every wait is bounded;
 * loopback only.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness_extra.h"

#define SLOW_CFG(header_timeout)                                               \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"off\"; header_timeout = \"" header_timeout    \
	"\";\n"                                                                \
	"  body_timeout = \"1s\"; keepalive_timeout = \"1s\";\n"               \
	"  send_timeout = \"1s\"; };\n"                                        \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"                   \
	"  root = \"@DIR@/www\";\n"                                            \
	"  locations = ( { path = \"/\"; },\n"                                 \
	"    { path = \"/up/\"; alias = \"@DIR@/up\";\n"                       \
	"      upload_dir = \"@DIR@/up\"; } );\n"                              \
	"} );\n"

/* The timeouts are 1 s: an end must come after most of it, and well
 * before a gap-based or missing timeout would end the connection. */
#define CUT_MIN_MS 700
#define CUT_MAX_MS 2500

static int up_dir(const char *dir)
{
	return hx_mkdir(dir, "up");
}

static void start(struct srv *s, const char *cfg)
{
	cr_assert_eq(hx_start(s, cfg, up_dir), 0, "webserv did not start");
}

static void expect_up_empty(const struct srv *s)
{
	char path[512], names[1024];

	cr_expect_eq(hx_list_dir(hx_path(path, sizeof(path), s->dir, "up"),
				 names, sizeof(names)),
		     0, "up/ holds %s", names);
}

/*
 * Send partial on a new connection, then wait: the server must answer
 * 408 and close, between CUT_MIN_MS and CUT_MAX_MS after the send.
 */
static void expect_408(int port, const char *partial)
{
	struct http_resp r;
	int fd = http_connect(port);
	long t0, took;

	cr_assert(fd >= 0);
	t0 = hx_now_ms();
	cr_assert_eq(send_all(fd, partial, strlen(partial)), 0);
	cr_assert(hx_readable(fd, CUT_MAX_MS + 1000), "%s: nothing after %d ms",
		  partial, CUT_MAX_MS + 1000);
	took = hx_now_ms() - t0;
	cr_assert_eq(http_read(fd, &r, false), 0, "%s: no 408", partial);
	cr_expect_eq(r.status, 408, "%s: %d", partial, r.status);
	cr_expect(took >= CUT_MIN_MS && took <= CUT_MAX_MS, "%s: after %ld ms",
		  partial, took);
	cr_expect_neq(hx_wait_end(fd, 1000), 0, "%s: not closed", partial);
	http_resp_free(&r);
	close(fd);
}

Test(slow, partial_head_is_408_then_closed, .fini = hx_fini, .timeout = 30)
{
	struct srv s;

	start(&s, SLOW_CFG("1s"));
	expect_408(s.port, "GET / HTTP/1.1\r\nHost: a\r\n");
	expect_408(s.port, "GET /index.ht");
	/* a connection that never sends is closed too */
	int fd = http_connect(s.port);
	long t0 = hx_now_ms();
	cr_assert(fd >= 0);
	cr_expect_neq(hx_wait_end(fd, CUT_MAX_MS), 0, "silent client kept");
	cr_expect_geq(hx_now_ms() - t0, CUT_MIN_MS, "closed too early");
	close(fd);
	srv_stop(&s);
}

/*
 * Deferred accept hands a silent connection over only after about a
 * second: the cut must still come header_timeout after the handshake,
 * and a request sent after that second is served as usual.
 */
Test(slow, silent_connection_is_cut_header_timeout_after_connect,
     .fini = hx_fini, .timeout = 30)
{
	struct srv s;
	struct http_resp r;
	const char get[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	int fd;
	long t0, took;

	start(&s, SLOW_CFG("3s"));
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	t0 = hx_now_ms();
	cr_expect_eq(hx_wait_end(fd, 5000), 1, "silent client kept");
	took = hx_now_ms() - t0;
	cr_expect(took >= 2700 && took <= 3600, "cut %ld ms after connect",
		  took);
	close(fd);

	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	cr_expect_eq(hx_wait_end(fd, 1500), 0, "closed while silent");
	cr_assert_eq(send_all(fd, get, sizeof(get) - 1), 0);
	cr_assert_eq(http_read(fd, &r, false), 0, "no answer");
	cr_expect_eq(r.status, 200);
	http_resp_free(&r);
	close(fd);
	srv_stop(&s);
}

Test(slow, partial_body_is_408_then_closed, .fini = hx_fini, .timeout = 30)
{
	struct srv s;

	start(&s, SLOW_CFG("1s"));
	expect_408(s.port, "PUT /up/s.txt HTTP/1.1\r\nHost: a\r\n"
			   "Content-Length: 100\r\n\r\nonly ten b");
	expect_408(s.port, "PUT /up/c.txt HTTP/1.1\r\nHost: a\r\n"
			   "Transfer-Encoding: chunked\r\n\r\n10\r\nabc");
	expect_up_empty(&s);
	srv_stop(&s);
}

Test(slow, idle_keepalive_is_closed_after_its_timeout, .fini = hx_fini,
     .timeout = 30)
{
	struct srv s;
	struct http_resp r;
	const char get[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	int fd;

	start(&s, SLOW_CFG("1s"));
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	/* timed from before the request: the idle clock starts later, so a
	 * test process that stalls can only make the wait look longer */
	long t0 = hx_now_ms();
	cr_assert_eq(send_all(fd, get, sizeof(get) - 1), 0);
	cr_assert_eq(http_read(fd, &r, false), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_not(r.closed);
	http_resp_free(&r);
	cr_expect_eq(hx_wait_end(fd, CUT_MAX_MS), 1, "idle connection kept");
	long took = hx_now_ms() - t0;
	cr_expect(took >= CUT_MIN_MS && took <= CUT_MAX_MS + 100,
		  "closed after %ld ms", took);
	close(fd);
	srv_stop(&s);
}

/* keepalive_timeout set on locations, the http one far away */
#define KEEPALIVE_CFG                                                          \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"off\"; keepalive_timeout = 30; };\n"          \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"                   \
	"  root = \"@DIR@/www\";\n"                                            \
	"  locations = ( { path = \"/\"; },\n"                                 \
	"    { path = \"/brief/\"; keepalive_timeout = \"1s\"; },\n"           \
	"    { path = \"/none/\"; keepalive_timeout = 0; } );\n"               \
	"} );\n"

Test(slow, idle_keepalive_timeout_is_the_locations, .fini = hx_fini,
     .timeout = 30)
{
	struct srv s;
	struct http_resp r;
	const char get[] = "GET /brief/x HTTP/1.1\r\nHost: a\r\n\r\n";
	int fd;

	start(&s, KEEPALIVE_CFG);
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	cr_assert_eq(send_all(fd, get, sizeof(get) - 1), 0);
	cr_assert_eq(http_read(fd, &r, false), 0);
	cr_expect_eq(r.status, 404);
	cr_expect_not(r.closed);
	http_resp_free(&r);
	long t0 = hx_now_ms();
	cr_expect_eq(hx_wait_end(fd, CUT_MAX_MS), 1,
		     "kept past the location's 1 s");
	long took = hx_now_ms() - t0;
	cr_expect(took >= CUT_MIN_MS, "closed after %ld ms", took);
	close(fd);
	srv_stop(&s);
}

/* nginx: keepalive_timeout 0 disables keep-alive, and the response says
 * so (RFC 9112 §9.6: close is announced). */
Test(slow, keepalive_timeout_zero_answers_connection_close, .fini = hx_fini,
     .timeout = 30)
{
	struct srv s;
	struct http_resp r;
	char v[32];
	const char get[] = "GET /none/x HTTP/1.1\r\nHost: a\r\n\r\n";
	int fd;

	start(&s, KEEPALIVE_CFG);
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	cr_assert_eq(send_all(fd, get, sizeof(get) - 1), 0);
	cr_assert_eq(http_read(fd, &r, false), 0);
	cr_expect_eq(r.status, 404);
	cr_expect(resp_header(&r, "Connection", v, sizeof(v)) != NULL &&
		      strcasecmp(v, "close") == 0,
		  "no Connection: close");
	http_resp_free(&r);
	cr_expect_eq(hx_wait_end(fd, 1000), 1, "connection kept open");
	close(fd);
	srv_stop(&s);
}

/*
 * Send prefix, then one byte of filler every 200 ms: the server must
 * end the connection within CUT_MAX_MS although no gap exceeds 200 ms.
 */
static void expect_trickle_cut(int port, const char *prefix)
{
	int fd = http_connect(port);
	long t0 = hx_now_ms(), took = -1;

	cr_assert(fd >= 0);
	cr_assert_eq(send_all(fd, prefix, strlen(prefix)), 0);
	while (hx_now_ms() - t0 < 6000) {
		if (hx_readable(fd, 200)) {
			took = hx_now_ms() - t0;
			break;
		}
		if (send(fd, "x", 1, MSG_NOSIGNAL) != 1) {
			took = hx_now_ms() - t0;
			break;
		}
	}
	cr_expect_geq(took, 0, "%s: a byte every 200 ms kept it for 6 s",
		      prefix);
	cr_expect_leq(took, CUT_MAX_MS, "%s: cut only after %ld ms", prefix,
		      took);
	cr_expect_neq(hx_wait_end(fd, 2000), 0, "%s: not closed", prefix);
	close(fd);
}

Test(slow, trickling_clients_are_cut, .fini = hx_fini, .timeout = 30)
{
	struct srv s;

	start(&s, SLOW_CFG("1s"));
	/* slowloris: the head never completes */
	expect_trickle_cut(s.port, "GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ");
	/* slow body: a byte at a time, far under any sane rate */
	expect_trickle_cut(s.port, "PUT /up/t.txt HTTP/1.1\r\nHost: a\r\n"
				   "Content-Length: 100000\r\n\r\n");
	expect_up_empty(&s);
	srv_stop(&s);
}

Test(slow, reader_that_stops_reading_is_cut, .fini = hx_fini, .timeout = 30)
{
	const size_t size = 16u << 20;
	struct srv s;
	char *data = malloc(size), www[400];
	int small = 16384;
	const char get[] = "GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n";

	cr_assert_eq(srv_prepare(&s, SLOW_CFG("1s")), 0);
	hx_track(&s);
	cr_assert_eq(up_dir(s.dir), 0);
	hx_fill(data, size, 3, 0);
	cr_assert_eq(write_file(hx_path(www, sizeof(www), s.dir, "www"),
				"big.bin", data, (long)size),
		     0);
	free(data);
	cr_assert_eq(srv_start(&s, NULL), 0);
	hx_track(&s);

	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons((uint16_t)s.port),
				  .sin_addr.s_addr = htonl(0x7f000001)};
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(send_all(fd, get, sizeof(get) - 1), 0);
	/* read nothing for 3 s: send_timeout (1 s) passes without progress */
	usleep(3000000);
	size_t got = 0;
	char buf[65536];
	int end = 0;
	for (;;) {
		if (!hx_readable(fd, 2000))
			break;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0) {
			end = n == 0 ? 1 : 2;
			break;
		}
		got += (size_t)n;
	}
	cr_expect_neq(end, 0, "connection still open after the stall");
	cr_expect_lt(got, size, "the whole file arrived: not cut");
	close(fd);
	srv_stop(&s);
}

/*
 * Hundreds of connections each sending a request head a byte at a time
 * (header_timeout 10 s: none is cut during the test) while normal GETs
 * are answered, each within 2 s.  One worker holds all of them.
 */
Test(slow, slow_connections_do_not_delay_others, .fini = hx_fini, .timeout = 60)
{
	enum { SLOW = 300, ROUNDS = 30 };
	static int fds[SLOW];
	struct srv s;
	int opened = 0;

	start(&s, SLOW_CFG("10s"));
	for (int i = 0; i < SLOW; i++) {
		static const char head[] = "GET / HTTP/1.1\r\nHost: a\r\n";
		fds[i] = http_connect(s.port);
		if (fds[i] == -1)
			break;
		opened++;
		send(fds[i], head, sizeof(head) - 1, MSG_NOSIGNAL);
	}
	cr_assert_eq(opened, SLOW, "could not open the slow connections");
	long worst = 0;
	int answered = 0;
	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < SLOW; i++)
			send(fds[i], round ? "x" : "X-Slow: ", round ? 1 : 8,
			     MSG_NOSIGNAL | MSG_DONTWAIT);
		usleep(100000);
		if (round % 5 != 2)
			continue;
		struct http_resp r;
		long t0 = hx_now_ms();
		if (http_get(s.port, "/index.html", &r) == 0 &&
		    r.status == 200 && strcmp(r.body, "hello\n") == 0)
			answered++;
		long took = hx_now_ms() - t0;
		worst = took > worst ? took : worst;
		http_resp_free(&r);
	}
	cr_expect_eq(answered, ROUNDS / 5, "normal requests failed");
	cr_expect_lt(worst, 2000, "a normal GET took %ld ms", worst);
	/* the slow ones were really held, not dropped */
	int still_open = 0;
	for (int i = 0; i < SLOW; i++)
		still_open += !hx_readable(fds[i], 0);
	cr_expect_geq(still_open, SLOW - 5, "only %d slow connections held",
		      still_open);
	for (int i = 0; i < SLOW; i++)
		close(fds[i]);
	srv_stop(&s);
}

/*
 * The timeouts bound stalls, not honest transfers: an upload and a
 * download that each last well over 1 s (body_timeout, send_timeout) at
 * a steady pace complete.
 */
Test(slow, steady_clients_are_not_cut, .fini = hx_fini, .timeout = 30)
{
	enum { SIZE = 320 * 1024, PIECE = 16 * 1024 };
	struct srv s;
	struct http_resp r;
	char *buf = malloc(SIZE), head[256], path[512];
	int fd;

	start(&s, SLOW_CFG("1s"));
	snprintf(head, sizeof(head),
		 "PUT /up/steady.bin HTTP/1.1\r\n"
		 "Host: a\r\nContent-Length: %d\r\n\r\n",
		 SIZE);
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	cr_assert_eq(send_all(fd, head, strlen(head)), 0);
	long t0 = hx_now_ms();
	for (int off = 0; off < SIZE; off += PIECE) { /* ~2 s */
		hx_fill(buf, PIECE, 9, (uint64_t)off);
		cr_assert_eq(send_all(fd, buf, PIECE), 0, "cut at %d", off);
		usleep(100000);
	}
	cr_assert_eq(http_read(fd, &r, false), 0);
	cr_expect_eq(r.status, 201, "steady upload over %ld ms: %d",
		     hx_now_ms() - t0, r.status);
	http_resp_free(&r);
	close(fd);
	cr_expect(
	    hx_file_matches(hx_path(path, sizeof(path), s.dir, "up/steady.bin"),
			    SIZE, 9, NULL));

	/* a file larger than the socket buffers, read at a steady 2.5 MB/s
	 * (about 3 s): the server waits on a full buffer all along */
	const size_t big = 8u << 20;
	char *data = malloc(big), www[512];
	hx_fill(data, big, 12, 0);
	cr_assert_eq(write_file(hx_path(www, sizeof(www), s.dir, "www"),
				"big8.bin", data, (long)big),
		     0);
	free(data);
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	snprintf(head, sizeof(head),
		 "GET /big8.bin HTTP/1.1\r\n"
		 "Host: a\r\nConnection: close\r\n\r\n");
	cr_assert_eq(send_all(fd, head, strlen(head)), 0);
	size_t got = 0;
	t0 = hx_now_ms();
	for (bool end = false; !end && hx_now_ms() - t0 < 15000;) {
		for (size_t tick = 0; tick < 256 * 1024;) {
			ssize_t n = recv(fd, buf, PIECE, 0);
			if (n <= 0) {
				end = true;
				break;
			}
			tick += (size_t)n;
			got += (size_t)n;
		}
		usleep(100000);
	}
	/* the head is a few hundred bytes on top */
	cr_expect_gt(got, big, "slow download cut after %zu bytes, %ld ms", got,
		     hx_now_ms() - t0);
	close(fd);
	free(buf);
	srv_stop(&s);
}
