/*
 * Integration tests of the process model and the command line: the real
 * binary on 127.0.0.1, free ports, temp dirs, readiness from our own
 * NOTIFY_SOCKET, stopped by its pid.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define BASE_CFG                                                               \
	"workers = 2;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"log_level = \"info\";\n"                                              \
	"http = { access_log = \"off\"; shutdown_timeout = 10; };\n"           \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"                   \
	"  root = \"@DIR@/www\"; index = [ \"index.html\" ]; } );\n"

#define TWO_PORT_CFG                                                           \
	"workers = 2;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"off\"; shutdown_timeout = 10; };\n"           \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@\", "                      \
	"\"127.0.0.1:@PORT2@\" ];\n"                                           \
	"  root = \"@DIR@/www\"; } );\n"

static long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void start(struct srv *s, const char *cfg, const char *const *args)
{
	cr_assert_eq(srv_prepare(s, cfg), 0, "prepare");
	cr_assert_eq(srv_start(s, args), 0, "webserv did not become ready");
}

static void expect_hello(int port)
{
	struct http_resp r;

	cr_assert_eq(http_get(port, "/index.html", &r), 0, "no response");
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "hello\n");
	http_resp_free(&r);
}

static bool pid_alive(pid_t pid)
{
	return kill(pid, 0) == 0;
}

/* --- command line ---------------------------------------------------- */

Test(cli, help_and_version)
{
	char out[4096];

	cr_expect_eq(
	    run_webserv((const char *[]){"-h", NULL}, out, sizeof(out)), 0);
	cr_expect(strstr(out, "usage: webserv") != NULL);
	cr_expect_eq(
	    run_webserv((const char *[]){"-V", NULL}, out, sizeof(out)), 0);
	cr_expect(strstr(out, "webserv ") == out);
}

Test(cli, bad_arguments_exit_1_with_usage)
{
	static const char *const cases[][4] = {
	    {"-w", "abc", NULL},   {"-w", "-1", NULL},
	    {"-w", "99999", NULL}, {"-f", "/nonexistent/x.cfg", NULL},
	    {"-x", NULL},	   {"-s", "explode", "-f", NULL},
	    {"stray", NULL},
	};
	char out[4096];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *args[5] = {0};
		for (int a = 0; a < 4 && cases[i][a]; a++)
			args[a] = cases[i][a];
		if (strcmp(args[0], "-s") == 0) /* needs a readable file */
			args[3] = "/dev/null";
		cr_expect_eq(run_webserv(args, out, sizeof(out)), 1,
			     "case %zu (%s) should exit 1: %s", i, args[0],
			     out);
		cr_expect(strstr(out, "usage:") != NULL ||
			      strstr(out, "webserv:"),
			  "case %zu: no message", i);
	}
}

Test(cli, check_good_and_bad_config)
{
	struct srv s;
	char out[8192], expect[512];

	cr_assert_eq(srv_prepare(&s, BASE_CFG), 0);
	cr_expect_eq(run_webserv((const char *[]){"-t", "-f", s.cfg, NULL}, out,
				 sizeof(out)),
		     0, "%s", out);
	cr_expect(strstr(out, "configuration ok") != NULL, "%s", out);

	/* two errors, on lines 2 and 4: both reported with file:line */
	write_file(s.dir, "webserv.cfg",
		   "workers = 1;\n"
		   "wrokers_typo = 3;\n"
		   "servers = ( { listen = [ \"127.0.0.1:8080\" ];\n"
		   "  root = \"/etc/passwd\"; } );\n",
		   -1);
	cr_expect_eq(run_webserv((const char *[]){"-t", "-f", s.cfg, NULL}, out,
				 sizeof(out)),
		     1, "%s", out);
	snprintf(expect, sizeof(expect), "%s:2: ", s.cfg);
	cr_expect(strstr(out, expect) != NULL, "want %s in: %s", expect, out);
	snprintf(expect, sizeof(expect), "%s:4: ", s.cfg);
	cr_expect(strstr(out, expect) != NULL, "want %s in: %s", expect, out);
	srv_stop(&s);
}

#define WARN_CFG                                                               \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"off\"; };\n"                                  \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"                   \
	"  root = \"@DIR@/www\";\n"                                            \
	"  locations = ( { path = \"/\";\n"                                    \
	"    methods = [ \"GET\", \"POST\" ]; } ); } );\n"

/* A warning (file:line) does not fail -t, and the error log has it at
 * start-up and at each reload. */
Test(cli, warnings_are_shown_and_logged)
{
	struct srv s;
	char out[8192], expect[512];
	char *log;

	cr_assert_eq(srv_prepare(&s, WARN_CFG), 0);
	cr_expect_eq(run_webserv((const char *[]){"-t", "-f", s.cfg, NULL}, out,
				 sizeof(out)),
		     0, "%s", out);
	/* line 8 of WARN_CFG holds the methods */
	snprintf(expect, sizeof(expect), "%s:8: warning: POST allowed", s.cfg);
	cr_expect(strstr(out, expect) != NULL, "want %s in: %s", expect, out);
	cr_expect(strstr(out, "configuration ok") != NULL, "%s", out);
	srv_stop(&s);

	start(&s, WARN_CFG, NULL);
	cr_expect_eq(
	    run_webserv((const char *[]){"-s", "reload", "-f", s.cfg, NULL},
			out, sizeof(out)),
	    0, "%s", out);
	snprintf(expect, sizeof(expect), "%s:8: warning: POST allowed", s.cfg);
	log = read_file(s.err_log, NULL);
	cr_assert_not_null(log);
	/* once at start, once at the reload */
	const char *first = strstr(log, expect);
	cr_expect(first != NULL, "want %s in the log: %s", expect, log);
	cr_expect(first != NULL && strstr(first + 1, expect) != NULL,
		  "want it twice in the log: %s", log);
	free(log);
	srv_stop(&s);
}

Test(cli, bind_failure_exits_2_naming_the_address)
{
	struct srv s;
	char out[4096], addr[64];
	int holder;

	cr_assert_eq(srv_prepare(&s, BASE_CFG), 0);
	/* hold the port ourselves */
	holder = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons((uint16_t)s.port),
				  .sin_addr.s_addr = htonl(0x7f000001)};
	cr_assert_eq(bind(holder, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(holder, 1), 0);
	cr_expect_eq(
	    run_webserv((const char *[]){"-f", s.cfg, NULL}, out, sizeof(out)),
	    2);
	close(holder);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", s.port);
	char *log = read_file(s.err_log, NULL);
	cr_expect(log && strstr(log, addr), "error log lacks %s: %s", addr,
		  log ? log : "(none)");
	free(log);
	srv_stop(&s);
}

Test(cli, signal_reload_exit_codes)
{
	struct srv s;
	char out[4096];

	start(&s, BASE_CFG, NULL);
	cr_expect_eq(
	    run_webserv((const char *[]){"-s", "reload", "-f", s.cfg, NULL},
			out, sizeof(out)),
	    0, "%s", out);
	expect_hello(s.port);
	/* a broken file: exit 1, old config keeps serving */
	write_file(s.dir, "webserv.cfg", "servers = ( { listen = 5; } );\n",
		   -1);
	cr_expect_eq(
	    run_webserv((const char *[]){"-s", "reload", "-f", s.cfg, NULL},
			out, sizeof(out)),
	    1, "%s", out);
	expect_hello(s.port);
	srv_write_config(&s, BASE_CFG);
	cr_expect_eq(
	    run_webserv((const char *[]){"-s", "stop", "-f", s.cfg, NULL}, out,
			sizeof(out)),
	    0, "%s", out);
	int status = srv_wait_exit(&s, 10000);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	srv_stop(&s);
}

/* --- processes ------------------------------------------------------------ */

Test(integration, ready_pid_file_and_clean_exit)
{
	struct srv s;
	char pid_path[400];
	char *text;

	start(&s, BASE_CFG, NULL);
	snprintf(pid_path, sizeof(pid_path), "%s/webserv.pid", s.dir);
	text = read_file(pid_path, NULL);
	cr_assert(text != NULL, "no pid file");
	cr_expect_eq(atoi(text), s.pid);
	free(text);
	expect_hello(s.port);
	kill(s.pid, SIGTERM);
	cr_assert_eq(srv_wait_notify(&s, "STOPPING=1", 5000), 0);
	int status = srv_wait_exit(&s, 10000);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d",
		  status);
	cr_expect_eq(access(pid_path, F_OK), -1, "pid file left behind");
	srv_stop(&s);
}

Test(integration, worker_count_from_command_line)
{
	struct srv s;
	pid_t pids[16];

	start(&s, BASE_CFG, (const char *[]){"-w", "4", NULL});
	cr_expect_eq(srv_workers(&s, pids, 16), 4);
	expect_hello(s.port);
	srv_stop(&s);
}

Test(integration, get_is_byte_exact)
{
	struct srv s;
	struct http_resp r;
	size_t size = 3 * 1024 * 1024 + 17;
	char *data = malloc(size);

	cr_assert_eq(srv_prepare(&s, BASE_CFG), 0);
	srand(42);
	for (size_t i = 0; i < size; i++)
		data[i] = (char)rand();
	char www[400];
	snprintf(www, sizeof(www), "%s/www", s.dir);
	cr_assert_eq(write_file(www, "blob.bin", data, (long)size), 0);
	cr_assert_eq(srv_start(&s, NULL), 0);
	cr_assert_eq(http_get(s.port, "/blob.bin", &r), 0);
	cr_expect_eq(r.status, 200);
	cr_assert_eq(r.body_len, size);
	cr_expect_eq(memcmp(r.body, data, size), 0, "body differs");
	http_resp_free(&r);
	free(data);
	srv_stop(&s);
}

Test(integration, keepalive_and_pipelining)
{
	struct srv s;
	struct http_resp r;
	const char two[] = "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n"
			   "GET /missing HTTP/1.1\r\nHost: a\r\n\r\n";

	start(&s, BASE_CFG, NULL);
	int fd = http_connect(s.port);
	cr_assert(fd >= 0);
	cr_assert_eq(send_all(fd, two, sizeof(two) - 1), 0);
	cr_assert_eq(http_read(fd, &r, false), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "hello\n");
	cr_expect_not(r.closed);
	http_resp_free(&r);
	cr_assert_eq(http_read(fd, &r, false), 0);
	cr_expect_eq(r.status, 404, "second pipelined request");
	http_resp_free(&r);
	/* and the connection still serves a third one */
	const char third[] = "HEAD /index.html HTTP/1.1\r\nHost: a\r\n"
			     "Connection: close\r\n\r\n";
	cr_assert_eq(send_all(fd, third, sizeof(third) - 1), 0);
	cr_assert_eq(http_read(fd, &r, true), 0);
	cr_expect_eq(r.status, 200);
	cr_expect(r.closed);
	cr_expect(wait_closed(fd, 5000), "server did not close");
	http_resp_free(&r);
	close(fd);
	srv_stop(&s);
}

Test(integration, killed_worker_is_replaced_within_a_second)
{
	struct srv s;
	pid_t before[8], after[8];

	start(&s, BASE_CFG, NULL);
	cr_assert_eq(srv_workers(&s, before, 8), 2);
	kill(before[0], SIGKILL);
	long deadline = ms_now() + 1000;
	bool replaced = false;
	while (ms_now() < deadline && !replaced) {
		int n = srv_workers(&s, after, 8);
		for (int i = 0; i < n; i++)
			if (after[i] != before[0] && after[i] != before[1])
				replaced = n == 2;
		if (!replaced)
			usleep(20000);
	}
	cr_expect(replaced, "no new worker within 1 s");
	for (int i = 0; i < 20; i++)
		expect_hello(s.port);
	srv_stop(&s);
}

Test(integration, workers_exit_when_master_dies)
{
	struct srv s;
	pid_t pids[8];

	start(&s, BASE_CFG, NULL);
	int n = srv_workers(&s, pids, 8);
	cr_assert_eq(n, 2);
	kill(s.pid, SIGKILL);
	srv_wait_exit(&s, 5000);
	long deadline = ms_now() + 5000;
	while (ms_now() < deadline &&
	       (pid_alive(pids[0]) || pid_alive(pids[1])))
		usleep(20000);
	cr_expect_not(pid_alive(pids[0]) || pid_alive(pids[1]),
		      "orphan workers");
	srv_stop(&s);
}

Test(integration, graceful_stop_finishes_a_slow_download)
{
	struct srv s;
	size_t size = 8 * 1024 * 1024;
	char *data = malloc(size);
	char www[400];
	char req[] = "GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n";

	cr_assert_eq(srv_prepare(&s, BASE_CFG), 0);
	for (size_t i = 0; i < size; i++)
		data[i] = (char)(i * 7 + i / 4096);
	snprintf(www, sizeof(www), "%s/www", s.dir);
	cr_assert_eq(write_file(www, "big.bin", data, (long)size), 0);
	cr_assert_eq(srv_start(&s, NULL), 0);

	/* a small receive window (set before connect, so it is advertised
	 * from the start) keeps most of the file in the server */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int small = 65536;
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons((uint16_t)s.port),
				  .sin_addr.s_addr = htonl(0x7f000001)};
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(send_all(fd, req, sizeof(req) - 1), 0);
	char first[1024];
	cr_assert(recv(fd, first, sizeof(first), MSG_WAITALL) > 0);
	kill(s.pid, SIGTERM); /* mid-download */
	usleep(300000);	      /* let the master pass the drain on */
	/* read the rest slowly-ish: the response must complete intact */
	char *all = malloc(size + 65536);
	size_t got = sizeof(first);
	memcpy(all, first, sizeof(first));
	for (;;) {
		ssize_t n = recv(fd, all + got, 65536, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got > size) /* head + body received */
			break;
		usleep(1000); /* a slow reader */
	}
	char *body = memmem(all, got, "\r\n\r\n", 4);
	cr_assert(body != NULL);
	body += 4;
	while ((size_t)(body - all) + size > got) {
		ssize_t n = recv(fd, all + got, size + 65536 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	cr_assert_eq(got - (size_t)(body - all), size, "download cut short");
	cr_expect_eq(memcmp(body, data, size), 0, "download corrupted");
	close(fd);
	int status = srv_wait_exit(&s, 15000);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d",
		  status);
	free(all);
	free(data);
	srv_stop(&s);
}

/* --- reload --------------------------------------------------------------- */

Test(reload, adding_a_port_serves_it_and_old_workers_exit)
{
	struct srv s;
	pid_t old[8];

	start(&s, BASE_CFG, NULL);
	cr_assert_eq(srv_workers(&s, old, 8), 2);
	cr_expect_eq(http_connect(s.port2), -1, "second port open too early");
	srv_write_config(&s, TWO_PORT_CFG);
	kill(s.pid, SIGHUP);
	cr_assert_eq(srv_wait_notify(&s, "RELOADING=1\nMONOTONIC_USEC=", 5000),
		     0, "RELOADING=1 with MONOTONIC_USEC expected");
	cr_assert_eq(srv_wait_notify(&s, "READY=1", 10000), 0);
	expect_hello(s.port);
	expect_hello(s.port2);
	long deadline = ms_now() + 5000;
	while (ms_now() < deadline && (pid_alive(old[0]) || pid_alive(old[1])))
		usleep(20000);
	cr_expect_not(pid_alive(old[0]) || pid_alive(old[1]),
		      "old generation still running");
	srv_stop(&s);
}

Test(reload, broken_config_keeps_serving_and_logs_file_line)
{
	struct srv s;
	pid_t before[8], after[8];
	char expect[400];

	start(&s, BASE_CFG, NULL);
	cr_assert_eq(srv_workers(&s, before, 8), 2);
	write_file(
	    s.dir, "webserv.cfg",
	    "workers = 2;\nservers = (\n  { listen = [ \"nonsense\" ]; } );\n",
	    -1);
	kill(s.pid, SIGHUP);
	cr_assert_eq(srv_wait_notify(&s, "READY=1", 10000), 0);
	expect_hello(s.port);
	cr_assert_eq(srv_workers(&s, after, 8), 2);
	cr_expect((after[0] == before[0] || after[0] == before[1]) &&
		      (after[1] == before[0] || after[1] == before[1]),
		  "workers were replaced");
	char *log = read_file(s.err_log, NULL);
	snprintf(expect, sizeof(expect), "%s:3: ", s.cfg);
	cr_expect(log && strstr(log, expect), "error log lacks %s", expect);
	free(log);
	srv_stop(&s);
}

/*
 * The heart of reload: 5 SIGHUPs during a 10 s wrk run with 50 keep-alive
 * connections must give no socket error and no non-2xx response.
 */
Test(reload, five_reloads_under_load_lose_nothing, .timeout = 60)
{
	struct srv s;
	char url[128], www[400], out[16384];
	char kb[1024];
	int pipefd[2];

	memset(kb, 'x', sizeof(kb));
	cr_assert_eq(srv_prepare(&s, BASE_CFG), 0);
	snprintf(www, sizeof(www), "%s/www", s.dir);
	cr_assert_eq(write_file(www, "1k.html", kb, sizeof(kb)), 0);
	cr_assert_eq(srv_start(&s, NULL), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/1k.html", s.port);
	cr_assert_eq(pipe(pipefd), 0);
	pid_t wrk = fork();
	if (wrk == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		execlp("wrk", "wrk", "-t2", "-c50", "-d10s", url, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	for (int i = 0; i < 5; i++) {
		usleep(1500000);
		kill(s.pid, SIGHUP);
		cr_expect_eq(srv_wait_notify(&s, "READY=1", 5000), 0,
			     "reload %d did not complete", i);
	}
	size_t n = 0;
	ssize_t got;
	while ((got = read(pipefd[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += (size_t)got;
	out[n] = '\0';
	close(pipefd[0]);
	int status;
	waitpid(wrk, &status, 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "wrk: %s",
		  out);
	cr_expect(strstr(out, "requests in") != NULL, "%s", out);
	cr_expect(strstr(out, "Socket errors") == NULL, "%s", out);
	cr_expect(strstr(out, "Non-2xx") == NULL, "%s", out);
	srv_stop(&s);
}

Test(integration, sigint_is_a_fast_stop)
{
	struct srv s;

	start(&s, BASE_CFG, NULL);
	/* an idle keep-alive connection would hold a graceful stop for
	 * keepalive_timeout; a fast stop does not wait for it */
	int fd = http_connect(s.port);
	const char req[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	struct http_resp r;
	cr_assert_eq(send_all(fd, req, sizeof(req) - 1), 0);
	cr_assert_eq(http_read(fd, &r, false), 0);
	http_resp_free(&r);
	long t0 = ms_now();
	kill(s.pid, SIGINT);
	int status = srv_wait_exit(&s, 5000);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d",
		  status);
	cr_expect_lt(ms_now() - t0, 3000);
	cr_expect(wait_closed(fd, 2000), "connection left open");
	close(fd);
	srv_stop(&s);
}

Test(integration, fatal_worker_error_is_not_respawned)
{
	struct srv s;
	char dir[400], out[256];

	/* the access log path is a directory: every worker fails to open it
	 * and exits 2, which the master must not turn into a respawn loop */
	cr_assert_eq(
	    srv_prepare(&s, "workers = 2;\n"
			    "pid_file = \"@DIR@/webserv.pid\";\n"
			    "error_log = \"@DIR@/error.log\";\n"
			    "http = { access_log = \"@DIR@/logdir\"; };\n"
			    "servers = ( { listen = [ \"127.0.0.1:@PORT@\" ]; "
			    "root = \"@DIR@/www\"; } );\n"),
	    0);
	snprintf(dir, sizeof(dir), "%s/logdir", s.dir);
	cr_assert_eq(mkdir(dir, 0755), 0);
	long t0 = ms_now();
	int rc =
	    run_webserv((const char *[]){"-f", s.cfg, NULL}, out, sizeof(out));
	cr_expect_eq(rc, 2, "exit code %d", rc);
	cr_expect_lt(ms_now() - t0, 5000, "took too long");
	char *log = read_file(s.err_log, NULL);
	int starts = 0;
	for (char *p = log; p && (p = strstr(p, "started")); p++)
		starts++;
	cr_expect_leq(starts, 2, "workers were respawned %d times", starts);
	free(log);
	srv_stop(&s);
}

Test(integration, workers_and_cgi_drop_to_the_configured_user)
{
	struct srv s;
	struct http_resp r;
	char script[400];
	pid_t pids[4];

	if (geteuid() != 0)
		cr_skip_test("needs root to change user");
	cr_assert_eq(
	    srv_prepare(
		&s,
		"workers = 1;\nuser = \"nobody\";\n"
		"pid_file = \"@DIR@/webserv.pid\";\n"
		"error_log = \"@DIR@/error.log\";\n"
		"servers = ( { listen = [ \"127.0.0.1:@PORT@\" ]; root = "
		"\"@DIR@/www\";\n"
		"  locations = ( { path = \"/cgi/\"; alias = \"@DIR@/cgi\";\n"
		"    cgi = ( { ext = \".sh\"; interpreter = \"/bin/sh\"; } ); "
		"} ); } );\n"),
	    0);
	chmod(s.dir, 0755); /* mkdtemp made it 0700 */
	snprintf(script, sizeof(script), "%s/cgi", s.dir);
	cr_assert_eq(
	    write_file(script, "id.sh",
		       "printf 'Content-Type: text/plain\\r\\n\\r\\n'; id -u\n",
		       -1),
	    0);
	chmod(script, 0755);
	cr_assert_eq(srv_start(&s, NULL), 0);
	cr_assert_eq(srv_workers(&s, pids, 4), 1);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pids[0]);
	char *status = read_file(path, NULL);
	cr_assert(status != NULL);
	cr_expect(strstr(status, "\nUid:\t65534\t65534\t65534\t65534") != NULL,
		  "worker not running as nobody: %s", strstr(status, "Uid:"));
	free(status);
	cr_assert_eq(http_get(s.port, "/cgi/id.sh", &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "65534\n", "CGI ran as uid %s", r.body);
	http_resp_free(&r);
	expect_hello(s.port);
	srv_stop(&s);
}

Test(reload, a_moved_error_log_is_used_by_master_and_new_workers)
{
	struct srv s;
	char path[400];

	start(&s, BASE_CFG, NULL);
	srv_write_config(&s,
			 "workers = 2;\n"
			 "pid_file = \"@DIR@/webserv.pid\";\n"
			 "error_log = \"@DIR@/error2.log\";\n"
			 "servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"
			 "  root = \"@DIR@/www\"; } );\n");
	kill(s.pid, SIGHUP);
	cr_assert_eq(srv_wait_notify(&s, "READY=1", 10000), 0);
	expect_hello(s.port);
	snprintf(path, sizeof(path), "%s/error2.log", s.dir);
	char *log = read_file(path, NULL);
	cr_assert(log != NULL, "new error log not created");
	cr_expect(strstr(log, "reload done") != NULL, "master: %s", log);
	cr_expect(strstr(log, "started (generation 2)") != NULL, "%s", log);
	free(log);
	srv_stop(&s);
}
