/*
 * Integration tests of `status = true` locations (DESIGN.md §4) against
 * the real binary with one worker: the counters move by exactly the
 * requests and connections made, the gauges follow open connections,
 * both formats parse (text: nginx's stub_status layout byte for byte),
 * HEAD has no body, other methods are 405, the allow list gives 403,
 * any vhost and any path below the location serve it, and no counter
 * goes backwards when the worker is SIGKILLed and respawned or when a
 * SIGHUP reload replaces it.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness_extra.h"

#define STATUS_CFG                                                             \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"off\"; };\n"                                  \
	"servers = (\n"                                                        \
	"  { listen = [ \"127.0.0.1:@PORT@\" ]; root = \"@DIR@/www\";\n"       \
	"    locations = ( { path = \"/\"; },\n"                               \
	"      { path = \"/status\"; status = true;\n"                         \
	"        allow = [ \"127.0.0.0/8\", \"::1\" ]; },\n"                   \
	"      { path = \"/private-status\"; status = true;\n"                 \
	"        allow = [ \"10.0.0.0/8\" ]; } ); },\n"                        \
	"  { listen = [ \"127.0.0.1:@PORT@\" ];\n"                             \
	"    server_names = [ \"other.test\" ]; root = \"@DIR@/www\";\n"       \
	"    locations = ( { path = \"/metrics\"; status = true; } ); }\n"     \
	");\n"

/* The text page, every number of it. */
struct st {
	long active, accepts, handled, requests;
	long reading, writing, waiting;
	long resp[5];
	long bytes, cgi, workers, gen, uptime;
	long compressed, compressed_bytes;
	long h2_conns, h2_streams;
};

static void start(struct srv *s)
{
	cr_assert_eq(hx_start(s, STATUS_CFG, NULL), 0, "webserv did not start");
}

/* The text page in body, strictly: the layout rebuilt from the numbers
 * must be the page itself.  0 / -1. */
static int parse_text(const char *body, struct st *t)
{
	char again[1024];
	int n = sscanf(body,
		       "Active connections: %ld \nserver accepts handled "
		       "requests\n %ld %ld %ld \nReading: %ld Writing: %ld "
		       "Waiting: %ld \nResponses: 1xx: %ld 2xx: %ld 3xx: %ld "
		       "4xx: %ld 5xx: %ld\nBytes sent: %ld\nCGI processes: "
		       "%ld\nWorkers: %ld\nGeneration: %ld\nUptime: %ld\n"
		       "Compressed responses: %ld\nCompressed bytes sent: "
		       "%ld\nHTTP/2 connections: %ld\nHTTP/2 streams: %ld\n",
		       &t->active, &t->accepts, &t->handled, &t->requests,
		       &t->reading, &t->writing, &t->waiting, &t->resp[0],
		       &t->resp[1], &t->resp[2], &t->resp[3], &t->resp[4],
		       &t->bytes, &t->cgi, &t->workers, &t->gen, &t->uptime,
		       &t->compressed, &t->compressed_bytes, &t->h2_conns,
		       &t->h2_streams);
	if (n != 21)
		return -1;
	snprintf(again, sizeof(again),
		 "Active connections: %ld \n"
		 "server accepts handled requests\n"
		 " %ld %ld %ld \n"
		 "Reading: %ld Writing: %ld Waiting: %ld \n"
		 "Responses: 1xx: %ld 2xx: %ld 3xx: %ld 4xx: %ld 5xx: %ld\n"
		 "Bytes sent: %ld\nCGI processes: %ld\nWorkers: %ld\n"
		 "Generation: %ld\nUptime: %ld\n"
		 "Compressed responses: %ld\nCompressed bytes sent: %ld\n"
		 "HTTP/2 connections: %ld\nHTTP/2 streams: %ld\n",
		 t->active, t->accepts, t->handled, t->requests, t->reading,
		 t->writing, t->waiting, t->resp[0], t->resp[1], t->resp[2],
		 t->resp[3], t->resp[4], t->bytes, t->cgi, t->workers, t->gen,
		 t->uptime, t->compressed, t->compressed_bytes, t->h2_conns,
		 t->h2_streams);
	return strcmp(again, body) == 0 ? 0 : -1;
}

/* GET the text page on a connection of its own; returns once the server
 * closed it, so its response is counted and it is gone from the gauges
 * of the next page. */
static struct st fetch(int port)
{
	struct http_resp r;
	struct st t;
	char type[128], cache[64];

	const char get[] = "GET /status HTTP/1.1\r\nHost: localhost\r\n"
			   "Connection: close\r\n\r\n";
	int fd = http_connect(port);

	cr_assert(fd >= 0);
	cr_assert_eq(send_all(fd, get, sizeof(get) - 1), 0);
	cr_assert_eq(http_read(fd, &r, false), 0, "no status page");
	/* closed: the server is done with it, its response counted */
	cr_expect(wait_closed(fd, 5000), "status connection left open");
	close(fd);
	cr_assert_eq(r.status, 200);
	cr_expect_str_eq(resp_header(&r, "Content-Type", type, sizeof(type)),
			 "text/plain; charset=utf-8");
	cr_expect_str_eq(resp_header(&r, "Cache-Control", cache, sizeof(cache)),
			 "no-store");
	cr_assert_eq(parse_text(r.body, &t), 0, "not the layout:\n%s", r.body);
	cr_expect_eq(t.active, t.reading + t.writing + t.waiting);
	http_resp_free(&r);
	return t;
}

/* Value of sample `name` in a Prometheus page; -1 when absent. */
static long prom_value(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, n) == 0 && p[n] == ' ')
			return strtol(p + n + 1, NULL, 10);
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return -1;
}

/* Every counter of b is at least a's. */
static void expect_not_backwards(const struct st *a, const struct st *b,
				 const char *when)
{
	cr_expect_geq(b->accepts, a->accepts, "%s: accepts", when);
	cr_expect_geq(b->handled, a->handled, "%s: handled", when);
	cr_expect_geq(b->requests, a->requests, "%s: requests", when);
	for (int i = 0; i < 5; i++)
		cr_expect_geq(b->resp[i], a->resp[i], "%s: %dxx", when, i + 1);
	cr_expect_geq(b->bytes, a->bytes, "%s: bytes", when);
}

/* n GET /index.html on one connection, the last with Connection: close;
 * returns once the server has closed it (so the last response is fully
 * done on its side, counted).  Body bytes read go to *body_bytes. */
/* raw is refused with status, and no counters leak into the answer. */
static void expect_refused(int port, const char *raw, int status)
{
	struct http_resp r;

	cr_assert_eq(http_do(port, raw, &r), 0, "%.30s", raw);
	cr_expect_eq(r.status, status, "%.30s", raw);
	cr_expect_null(strstr(r.body, "accepts"), "%.30s", raw);
	http_resp_free(&r);
}

static void requests_then_close(int port, int n, long *body_bytes)
{
	struct http_resp r;
	char req[128];
	int fd = http_connect(port);

	cr_assert(fd >= 0);
	for (int i = 0; i < n; i++) {
		snprintf(req, sizeof(req),
			 "GET /index.html HTTP/1.1\r\nHost: a\r\n%s\r\n",
			 i == n - 1 ? "Connection: close\r\n" : "");
		cr_assert_eq(send_all(fd, req, strlen(req)), 0);
		cr_assert_eq(http_read(fd, &r, false), 0, "request %d", i);
		cr_expect_eq(r.status, 200);
		*body_bytes += (long)r.body_len;
		http_resp_free(&r);
	}
	cr_expect(wait_closed(fd, 5000), "not closed after Connection: close");
	close(fd);
}

Test(status, counters_move_by_exactly_what_was_done, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	long body = 0;
	int keep;

	start(&s);
	struct st a = fetch(s.port);
	cr_expect_eq(a.workers, 1);
	cr_expect_eq(a.gen, 1);
	cr_expect_eq(a.writing, 1, "the status request itself");
	/* 4 requests on one connection, 1 more on each of two others */
	requests_then_close(s.port, 4, &body);
	requests_then_close(s.port, 1, &body);
	requests_then_close(s.port, 1, &body);
	/* and a kept-alive one: a 200 and a 404, then it stays open */
	keep = http_connect(s.port);
	cr_assert(keep >= 0);
	const char two[] = "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n"
			   "GET /nothing HTTP/1.1\r\nHost: a\r\n\r\n";
	cr_assert_eq(send_all(keep, two, sizeof(two) - 1), 0);
	cr_assert_eq(http_read(keep, &r, false), 0);
	cr_expect_eq(r.status, 200);
	http_resp_free(&r);
	cr_assert_eq(http_read(keep, &r, false), 0);
	cr_expect_eq(r.status, 404);
	http_resp_free(&r);

	struct st b = fetch(s.port);
	/* the connections: 3 closed, 1 kept, and b's own */
	cr_expect_eq(b.accepts - a.accepts, 5);
	cr_expect_eq(b.handled - a.handled, 5);
	/* 8 requests, plus b itself (a counted itself already) */
	cr_expect_eq(b.requests - a.requests, 9);
	/* responses: 7 x 200 and a's own (b is not done yet), one 404 */
	cr_expect_eq(b.resp[1] - a.resp[1], 8);
	cr_expect_eq(b.resp[3] - a.resp[3], 1);
	cr_expect_eq(b.resp[0] - a.resp[0], 0);
	cr_expect_eq(b.resp[2] - a.resp[2], 0);
	cr_expect_eq(b.resp[4] - a.resp[4], 0);
	cr_expect_gt(b.bytes - a.bytes, body + 8 * 100,
		     "bytes sent: heads and bodies");
	/* gauges: the kept-alive connection waits, b writes */
	cr_expect_eq(b.active, 2);
	cr_expect_eq(b.waiting, 1);
	cr_expect_eq(b.writing, 1);
	cr_expect_eq(b.reading, 0);
	cr_expect_eq(b.cgi, 0);
	close(keep);
	srv_stop(&s);
}

/* Connections that sent half a head are Reading, kept-alive idle ones
 * Waiting; closing them takes them off. */
Test(status, gauges_follow_open_connections, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	int partial[3], idle[2];
	const char half[] = "GET /index.html HTTP/1.1\r\nHost:";
	const char get[] = "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n";
	struct st t;

	start(&s);
	for (int i = 0; i < 2; i++) {
		idle[i] = http_connect(s.port);
		cr_assert(idle[i] >= 0);
		cr_assert_eq(send_all(idle[i], get, sizeof(get) - 1), 0);
		cr_assert_eq(http_read(idle[i], &r, false), 0);
		http_resp_free(&r);
	}
	for (int i = 0; i < 3; i++) {
		partial[i] = http_connect(s.port);
		cr_assert(partial[i] >= 0);
		cr_assert_eq(send_all(partial[i], half, sizeof(half) - 1), 0);
	}
	long deadline = hx_now_ms() + 3000;
	do {
		t = fetch(s.port);
		if (t.reading == 3)
			break;
		usleep(20000);
	} while (hx_now_ms() < deadline);
	cr_expect_eq(t.reading, 3);
	cr_expect_eq(t.waiting, 2);
	cr_expect_eq(t.writing, 1);
	cr_expect_eq(t.active, 6);

	for (int i = 0; i < 3; i++)
		close(partial[i]);
	for (int i = 0; i < 2; i++)
		close(idle[i]);
	deadline = hx_now_ms() + 3000;
	do {
		t = fetch(s.port);
		if (t.active == 1)
			break;
		usleep(20000);
	} while (hx_now_ms() < deadline);
	cr_expect_eq(t.active, 1, "closed connections still counted");
	cr_expect_eq(t.reading, 0);
	cr_expect_eq(t.waiting, 0);
	srv_stop(&s);
}

Test(status, prometheus_format_parses, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char type[128];
	static const char *const families[][2] = {
	    {"webserv_connections_accepted_total", "counter"},
	    {"webserv_connections_handled_total", "counter"},
	    {"webserv_connections_active", "gauge"},
	    {"webserv_connections_reading", "gauge"},
	    {"webserv_connections_writing", "gauge"},
	    {"webserv_connections_waiting", "gauge"},
	    {"webserv_requests_total", "counter"},
	    {"webserv_responses_total", "counter"},
	    {"webserv_sent_bytes_total", "counter"},
	    {"webserv_cgi_processes", "gauge"},
	    {"webserv_workers", "gauge"},
	    {"webserv_config_generation", "gauge"},
	    {"webserv_uptime_seconds", "gauge"},
	    {"webserv_start_time_seconds", "gauge"},
	    {"webserv_compressed_responses_total", "counter"},
	    {"webserv_compressed_sent_bytes_total", "counter"},
	    {"webserv_h2_connections_total", "counter"},
	    {"webserv_h2_streams_total", "counter"},
	};

	start(&s);
	cr_assert_eq(http_do(s.port,
			     "GET /status?format=prometheus HTTP/1.1\r\n"
			     "Host: localhost\r\nConnection: close\r\n\r\n",
			     &r),
		     0);
	cr_assert_eq(r.status, 200);
	cr_expect_str_eq(resp_header(&r, "Content-Type", type, sizeof(type)),
			 "text/plain; version=0.0.4; charset=utf-8");
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		char help[128], typeline[128];
		snprintf(help, sizeof(help), "# HELP %s ", families[i][0]);
		snprintf(typeline, sizeof(typeline), "# TYPE %s %s\n",
			 families[i][0], families[i][1]);
		const char *h = strstr(r.body, help);
		const char *t = strstr(r.body, typeline);
		cr_expect(h && t && h < t, "%s: HELP then TYPE",
			  families[i][0]);
	}
	/* every line is a comment or `name[{labels}] number` */
	for (char *line = strtok(r.body, "\n"); line;
	     line = strtok(NULL, "\n")) {
		char *end;
		if (line[0] == '#')
			continue;
		char *sp = strrchr(line, ' ');
		cr_assert_not_null(sp, "%s", line);
		strtol(sp + 1, &end, 10);
		cr_expect(*end == '\0' && end > sp + 1, "%s", line);
		cr_expect_eq(strncmp(line, "webserv_", 8), 0, "%s", line);
	}
	http_resp_free(&r);

	/* the same counters as the text page: one request later */
	cr_assert_eq(http_do(s.port,
			     "GET /status?format=prometheus HTTP/1.1\r\n"
			     "Host: localhost\r\nConnection: close\r\n\r\n",
			     &r),
		     0);
	long requests = prom_value(r.body, "webserv_requests_total");
	long accepted =
	    prom_value(r.body, "webserv_connections_accepted_total");
	long ok = prom_value(r.body, "webserv_responses_total{class=\"2xx\"}");
	cr_expect_eq(requests, 2);
	cr_expect_eq(accepted, 2);
	cr_expect_eq(ok, 1);
	cr_expect_eq(prom_value(r.body, "webserv_workers"), 1);
	cr_expect_eq(prom_value(r.body, "webserv_config_generation"), 1);
	cr_expect_eq(prom_value(r.body, "webserv_connections_writing"), 1);
	cr_expect_gt(prom_value(r.body, "webserv_start_time_seconds"),
		     1600000000);
	http_resp_free(&r);
	struct st t = fetch(s.port);
	cr_expect_eq(t.requests, requests + 1);
	cr_expect_eq(t.accepts, accepted + 1);
	cr_expect_eq(t.resp[1], ok + 1);
	srv_stop(&s);
}

Test(status, head_has_no_body, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char len[32];
	int fd;

	start(&s);
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	const char head[] = "HEAD /status HTTP/1.1\r\nHost: a\r\n\r\n"
			    "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n";
	cr_assert_eq(send_all(fd, head, sizeof(head) - 1), 0);
	cr_assert_eq(http_read(fd, &r, true), 0);
	cr_expect_eq(r.status, 200);
	cr_assert_not_null(resp_header(&r, "Content-Length", len, sizeof(len)));
	cr_expect_gt(atol(len), 100);
	http_resp_free(&r);
	/* had a body followed the HEAD answer, this would read it */
	cr_assert_eq(http_read(fd, &r, false), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "hello\n");
	http_resp_free(&r);
	close(fd);
	srv_stop(&s);
}

Test(status, other_methods_405_bad_format_400, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char allow[64];
	static const char *const refused[] = {
	    "POST /status HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
	    "Connection: close\r\n\r\nabc",
	    "DELETE /status HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
	    "PUT /status HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n"
	    "Connection: close\r\n\r\n",
	};

	start(&s);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		cr_assert_eq(http_do(s.port, refused[i], &r), 0);
		cr_expect_eq(r.status, 405, "%.20s", refused[i]);
		cr_expect_str_eq(resp_header(&r, "Allow", allow, sizeof(allow)),
				 "GET, HEAD");
		cr_expect_null(strstr(r.body, "accepts"));
		http_resp_free(&r);
	}
	expect_refused(s.port,
		       "GET /status?format=xml HTTP/1.1\r\nHost: a\r\n"
		       "Connection: close\r\n\r\n",
		       400);
	/* all four were requests answered with 4xx */
	struct st t = fetch(s.port);
	cr_expect_eq(t.resp[3], 4);
	cr_expect_eq(t.requests, 5);
	srv_stop(&s);
}

Test(status, allow_list_excluding_us_is_403, .fini = hx_fini)
{
	struct srv s;

	start(&s);
	expect_refused(s.port,
		       "GET /private-status HTTP/1.1\r\nHost: a\r\n"
		       "Connection: close\r\n\r\n",
		       403);
	expect_refused(s.port,
		       "GET /private-status?format=prometheus HTTP/1.1\r\n"
		       "Host: a\r\nConnection: close\r\n\r\n",
		       403);
	/* the one allowing loopback answers */
	struct st t = fetch(s.port);
	cr_expect_eq(t.resp[3], 2);
	srv_stop(&s);
}

Test(status, any_vhost_any_path_below_keep_alive, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	long last = -1;
	int fd;

	start(&s);
	/* another server's status location, and a path below it */
	cr_assert_eq(http_do(s.port,
			     "GET /metrics/x?format=prometheus HTTP/1.1\r\n"
			     "Host: other.test\r\nConnection: close\r\n\r\n",
			     &r),
		     0);
	cr_expect_eq(r.status, 200);
	cr_expect_eq(prom_value(r.body, "webserv_requests_total"), 1);
	http_resp_free(&r);
	/* not a status location in the default server */
	cr_assert_eq(http_do(s.port,
			     "GET /metrics HTTP/1.1\r\nHost: localhost\r\n"
			     "Connection: close\r\n\r\n",
			     &r),
		     0);
	cr_expect_eq(r.status, 404);
	http_resp_free(&r);
	/* five pages on one kept-alive connection: one request apart */
	fd = http_connect(s.port);
	cr_assert(fd >= 0);
	for (int i = 0; i < 5; i++) {
		const char get[] =
		    "GET /status/sub HTTP/1.1\r\nHost: a\r\n\r\n";
		struct st t;
		cr_assert_eq(send_all(fd, get, sizeof(get) - 1), 0);
		cr_assert_eq(http_read(fd, &r, false), 0);
		cr_expect_eq(r.status, 200);
		cr_expect_not(r.closed);
		cr_assert_eq(parse_text(r.body, &t), 0, "%s", r.body);
		if (last >= 0)
			cr_expect_eq(t.requests, last + 1);
		else
			cr_expect_eq(t.requests, 3);
		cr_expect_eq(t.accepts, 3);
		last = t.requests;
		http_resp_free(&r);
	}
	close(fd);
	srv_stop(&s);
}

/* The worker's pid; asserts there is exactly one. */
static pid_t the_worker(const struct srv *s)
{
	pid_t pids[4];

	cr_assert_eq(srv_workers(s, pids, 4), 1);
	return pids[0];
}

/* Wait for a worker other than old; 0 / -1. */
static int wait_new_worker(const struct srv *s, pid_t old)
{
	long deadline = hx_now_ms() + 10000;

	while (hx_now_ms() < deadline) {
		pid_t pids[4];
		int n = srv_workers(s, pids, 4);
		if (n == 1 && pids[0] != old)
			return 0;
		usleep(20000);
	}
	return -1;
}

Test(status, counters_survive_a_killed_worker, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	long body = 0;

	start(&s);
	struct st a = fetch(s.port);
	requests_then_close(s.port, 5, &body);
	/* an idle connection: its gauge dies with the worker */
	int idle = http_connect(s.port);
	cr_assert(idle >= 0);
	const char get[] = "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n";
	cr_assert_eq(send_all(idle, get, sizeof(get) - 1), 0);
	cr_assert_eq(http_read(idle, &r, false), 0);
	http_resp_free(&r);
	struct st mid = fetch(s.port);
	cr_expect_eq(mid.waiting, 1);

	pid_t old = the_worker(&s);
	cr_assert_eq(kill(old, SIGKILL), 0);
	cr_assert_eq(wait_new_worker(&s, old), 0, "no new worker");
	close(idle);
	struct st b = fetch(s.port);
	expect_not_backwards(&mid, &b, "after SIGKILL");
	/* a: itself; then 5 + 1 (idle) + mid; then b */
	cr_expect_eq(b.requests - a.requests, 8);
	cr_expect_eq(b.accepts - a.accepts, 4);
	/* a's, 5, idle's, mid's; b is not done */
	cr_expect_eq(b.resp[1] - a.resp[1], 8);
	cr_expect_gt(b.bytes, mid.bytes);
	cr_expect_eq(b.active, 1, "the dead worker's connections remain");
	cr_expect_eq(b.waiting, 0);
	cr_expect_eq(b.workers, 1);
	cr_expect_eq(b.gen, 1);
	srv_stop(&s);
}

Test(status, counters_survive_a_reload, .fini = hx_fini)
{
	struct srv s;
	long body = 0;

	start(&s);
	struct st a = fetch(s.port);
	requests_then_close(s.port, 5, &body);
	struct st prev = fetch(s.port);
	int fetches = 1; /* after a */
	pid_t old = the_worker(&s);

	cr_assert_eq(kill(s.pid, SIGHUP), 0);
	cr_assert_eq(srv_wait_notify(&s, "READY=1", 10000), 0,
		     "reload did not complete");
	/* until the old worker is gone and folded, and after */
	long deadline = hx_now_ms() + 10000;
	struct st b;
	do {
		b = fetch(s.port);
		fetches++;
		expect_not_backwards(&prev, &b, "during the reload");
		prev = b;
		pid_t pids[4];
		if (b.workers == 1 && srv_workers(&s, pids, 4) == 1 &&
		    pids[0] != old)
			break;
		usleep(20000);
	} while (hx_now_ms() < deadline);
	cr_assert_eq(b.workers, 1, "old worker still counted");
	b = fetch(s.port);
	fetches++;
	expect_not_backwards(&prev, &b, "after the reload");
	cr_expect_eq(b.gen, a.gen + 1);
	cr_expect_eq(b.requests - a.requests, 5 + fetches);
	cr_expect_eq(b.accepts - a.accepts, 1 + fetches);
	cr_expect_eq(b.resp[1] - a.resp[1], 5 + fetches);
	cr_expect_eq(b.active, 1);
	srv_stop(&s);
}
