/*
 * Integration tests of connections over real sockets (DESIGN.md §7,
 * issue 3 "Keep-alive and pipelining"): several requests on one
 * connection, HTTP/1.0 closing unless keep-alive is asked, Connection:
 * close, pipelined requests (with bodies, more than a buffer holds)
 * answered in order, a request arriving a byte at a time, a head just
 * under the limit, a client that half-closes after its requests, and
 * Nagle off on served connections.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness_extra.h"
#include "listen.h"

#define CONN_CFG                                                               \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"off\"; header_buffer = \"8k\"; };\n"          \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"                   \
	"  root = \"@DIR@/www\";\n"                                            \
	"  locations = ( { path = \"/\"; },\n"                                 \
	"    { path = \"/up/\"; alias = \"@DIR@/up\";\n"                       \
	"      upload_dir = \"@DIR@/up\"; } );\n"                              \
	"} );\n"

static int make_dirs(const char *dir)
{
	return hx_mkdir(dir, "up");
}

static void start(struct srv *s)
{
	cr_assert_eq(hx_start(s, CONN_CFG, make_dirs), 0,
		     "webserv did not start");
}

/* --- keep-alive and pipelining --------------------------------------- */

Test(http, several_requests_on_one_connection, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	int fd;
	const char get[] = "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n";

	start(&s);
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	for (int i = 0; i < 5; i++) {
		cr_assert_eq(send_all(fd, get, sizeof(get) - 1), 0);
		cr_assert_eq(http_read(fd, &r, false), 0, "request %d", i);
		cr_expect_eq(r.status, 200);
		cr_expect_str_eq(r.body, "hello\n");
		cr_expect_not(r.closed, "request %d closed", i);
		http_resp_free(&r);
	}
	/* Connection: close is honoured */
	const char last[] = "GET /index.html HTTP/1.1\r\nHost: a\r\n"
			    "Connection: close\r\n\r\n";
	cr_assert_eq(send_all(fd, last, sizeof(last) - 1), 0);
	cr_assert_eq(http_read(fd, &r, false), 0);
	cr_expect_eq(r.status, 200);
	cr_expect(r.closed, "no Connection: close");
	cr_expect_eq(hx_wait_end(fd, 3000), 1, "not closed cleanly");
	http_resp_free(&r);
	close(fd);
	srv_stop(&s);
}

Test(http, http10_closes_by_default, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;

	start(&s);
	/* no Host: fine in HTTP/1.0 */
	static const char *const reqs[] = {
	    "GET /index.html HTTP/1.0\r\n\r\n",
	    "GET /index.html HTTP/1.0\r\nHost: a\r\n\r\n",
	};
	for (size_t i = 0; i < 2; i++) {
		int fd = http_connect(s.port);
		cr_assert(fd >= 0);
		cr_assert_eq(send_all(fd, reqs[i], strlen(reqs[i])), 0);
		cr_assert_eq(http_read(fd, &r, false), 0, "%s: no response",
			     reqs[i]);
		cr_expect_eq(r.status, 200);
		cr_expect_str_eq(r.body, "hello\n");
		cr_expect_eq(hx_wait_end(fd, 3000), 1, "HTTP/1.0 left open");
		http_resp_free(&r);
		close(fd);
	}
	srv_stop(&s);
}

Test(http, http10_keep_alive_when_asked, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char conn[64];
	int fd;
	const char ka[] = "GET /index.html HTTP/1.0\r\nHost: a\r\n"
			  "Connection: keep-alive\r\n\r\n";

	start(&s);
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(send_all(fd, ka, sizeof(ka) - 1), 0);
		cr_assert_eq(http_read(fd, &r, false), 0, "request %d", i);
		cr_expect_eq(r.status, 200);
		cr_expect_str_eq(r.body, "hello\n");
		cr_expect(resp_header(&r, "Connection", conn, sizeof(conn)) &&
			      strcasecmp(conn, "keep-alive") == 0,
			  "1.0 keep-alive not confirmed");
		http_resp_free(&r);
	}
	close(fd);
	srv_stop(&s);
}

Test(http, pipelined_requests_are_answered_in_order, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char path[512];
	int fd;
	const char batch[] =
	    "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n"
	    "PUT /up/p.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz"
	    "GET /up/p.txt HTTP/1.1\r\nHost: a\r\n\r\n"
	    "PUT /up/q.txt HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "2\r\nab\r\n1;x=y\r\nc\r\n0\r\n\r\n"
	    "HEAD /index.html HTTP/1.1\r\nHost: a\r\n\r\n"
	    "GET /missing HTTP/1.1\r\nHost: a\r\n\r\n"
	    "GET /up/q.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	static const struct {
		int status;
		bool head;
		const char *body;
	} want[] = {
	    {200, false, "hello\n"}, {201, false, NULL}, {200, false, "xyz"},
	    {201, false, NULL},	     {200, true, ""},	 {404, false, NULL},
	    {200, false, "abc"},
	};

	start(&s);
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	cr_assert_eq(send_all(fd, batch, sizeof(batch) - 1), 0, "one write");
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		cr_assert_eq(http_read(fd, &r, want[i].head), 0,
			     "response %zu missing", i);
		cr_expect_eq(r.status, want[i].status, "response %zu: %d", i,
			     r.status);
		if (want[i].body)
			cr_expect_str_eq(r.body, want[i].body, "response %zu",
					 i);
		http_resp_free(&r);
	}
	cr_expect_eq(hx_wait_end(fd, 3000), 1, "not closed after the last");
	close(fd);
	char *got =
	    read_file(hx_path(path, sizeof(path), s.dir, "up/p.txt"), NULL);
	cr_expect(got && strcmp(got, "xyz") == 0);
	free(got);
	srv_stop(&s);
}

/* More pipelined requests than the header buffer holds at once. */
Test(http, many_pipelined_requests_in_one_write, .fini = hx_fini)
{
	enum { COUNT = 300 };
	static char batch[COUNT * 64];
	struct srv s;
	size_t n = 0;
	int fd, ok = 0;

	for (int i = 0; i < COUNT; i++)
		n += (size_t)snprintf(
		    batch + n, sizeof(batch) - n,
		    "GET /index.html?%d HTTP/1.1\r\nHost: a"
		    "\r\n%s\r\n",
		    i, i == COUNT - 1 ? "Connection: close\r\n" : "");
	start(&s);
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	cr_assert_eq(send_all(fd, batch, n), 0);
	for (int i = 0; i < COUNT; i++) {
		struct http_resp r;
		if (http_read(fd, &r, false) != 0) {
			http_resp_free(&r);
			break;
		}
		ok += r.status == 200 && strcmp(r.body, "hello\n") == 0;
		http_resp_free(&r);
	}
	cr_expect_eq(ok, COUNT, "%d of %d pipelined requests answered", ok,
		     COUNT);
	cr_expect_eq(hx_wait_end(fd, 3000), 1, "not closed after the last");
	close(fd);
	srv_stop(&s);
}

/* Every byte in its own segment: the head is parsed at every split. */
Test(http, request_arriving_a_byte_at_a_time, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	const char req[] = "GET /index.html HTTP/1.1\r\nHost: a\r\n"
			   "User-Agent: trickle\r\nConnection: close\r\n\r\n";
	int one = 1, fd;

	start(&s);
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (size_t i = 0; i < sizeof(req) - 1; i++) {
		cr_assert_eq(send_all(fd, req + i, 1), 0, "byte %zu", i);
		usleep(2000);
	}
	cr_assert_eq(http_read(fd, &r, false), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "hello\n");
	http_resp_free(&r);
	close(fd);
	srv_stop(&s);
}

/* A head of about 8000 bytes fits an 8k header_buffer. */
Test(http, head_just_under_the_limit_is_served, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	static char raw[8192];
	size_t n;

	start(&s);
	n = (size_t)snprintf(raw, sizeof(raw),
			     "GET /index.html HTTP/1.1\r\nHost: a\r\n"
			     "Connection: close\r\n");
	for (int i = 0; n + 110 < 8000; i++) {
		n += (size_t)snprintf(raw + n, sizeof(raw) - n,
				      "X-Pad-%02d: ", i);
		memset(raw + n, 'p', 90);
		n += 90;
		n += (size_t)snprintf(raw + n, sizeof(raw) - n, "\r\n");
	}
	n += (size_t)snprintf(raw + n, sizeof(raw) - n, "\r\n");
	cr_assert_lt(n, 8100);
	cr_assert_eq(hx_do(s.port, raw, n, &r), 0);
	cr_expect_eq(r.status, 200, "a %zu-byte head: %d", n, r.status);
	http_resp_free(&r);
	srv_stop(&s);
}

/* shutdown(SHUT_WR) after the requests: they are still answered. */
Test(http, half_closed_client_still_gets_its_responses, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	const char two[] = "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n"
			   "GET /missing HTTP/1.1\r\nHost: a\r\n\r\n";
	int fd;

	start(&s);
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	cr_assert_eq(send_all(fd, two, sizeof(two) - 1), 0);
	cr_assert_eq(shutdown(fd, SHUT_WR), 0);
	cr_assert_eq(http_read(fd, &r, false), 0, "first response lost");
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "hello\n");
	http_resp_free(&r);
	cr_assert_eq(http_read(fd, &r, false), 0, "second response lost");
	cr_expect_eq(r.status, 404);
	http_resp_free(&r);
	cr_expect_eq(hx_wait_end(fd, 3000), 1, "not closed after EOF");
	close(fd);
	srv_stop(&s);
}

/*
 * TCP_NODELAY on the server's end of a connection: with Nagle on, the
 * second of two pipelined responses (or the tail of a big one) waits for
 * the client's delayed ACK, about 40 ms a time.  Read off the worker's own
 * socket, taken with pidfd_getfd (Linux 5.6; skipped where refused).
 */
Test(http, served_connections_inherit_nodelay_and_no_unsent_bound,
     .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	struct sockaddr_storage mine, peer;
	socklen_t mine_len = sizeof(mine);
	pid_t worker;
	char dir_path[64];
	struct dirent *e;
	DIR *d;
	int fd, pidfd, found = 0;
	const char get[] = "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n";

	start(&s);
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	cr_assert_eq(send_all(fd, get, sizeof(get) - 1), 0);
	cr_assert_eq(http_read(fd, &r, false), 0);
	cr_expect_eq(r.status, 200);
	http_resp_free(&r);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&mine, &mine_len), 0);
	cr_assert_eq(srv_workers(&s, &worker, 1), 1);
	pidfd = (int)syscall(SYS_pidfd_open, worker, 0);
	if (pidfd == -1)
		cr_skip_test("pidfd_open: %s", strerror(errno));
	snprintf(dir_path, sizeof(dir_path), "/proc/%d/fd", (int)worker);
	d = opendir(dir_path);
	cr_assert(d != NULL);
	while ((e = readdir(d)) != NULL && !found) {
		socklen_t peer_len = sizeof(peer), opt_len = sizeof(int);
		int n = atoi(e->d_name), on = 0, sfd;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		sfd = (int)syscall(SYS_pidfd_getfd, pidfd, n, 0);
		if (sfd == -1 && (errno == ENOSYS || errno == EPERM)) {
			closedir(d);
			close(pidfd);
			cr_skip_test("pidfd_getfd: %s", strerror(errno));
		}
		if (sfd == -1)
			continue;
		if (getpeername(sfd, (struct sockaddr *)&peer, &peer_len) ==
			0 &&
		    peer_len == mine_len &&
		    memcmp(&peer, &mine, mine_len) == 0) {
			found = 1;
			cr_expect_eq(getsockopt(sfd, IPPROTO_TCP, TCP_NODELAY,
						&on, &opt_len),
				     0);
			cr_expect(on, "Nagle is on for a served connection");
			cr_expect_eq(getsockopt(sfd, IPPROTO_TCP,
						TCP_NOTSENT_LOWAT, &on,
						&opt_len),
				     0);
			/* 0: none of its own, the system's applies; a
			 * 1 MiB bound cost 1.3x nginx's CPU on 10 MiB */
			cr_expect_eq(on, 0, "unsent-bytes bound %d", on);
		}
		close(sfd);
	}
	closedir(d);
	close(pidfd);
	cr_expect(found, "the worker holds no socket connected to us");
	close(fd);
	srv_stop(&s);
}
