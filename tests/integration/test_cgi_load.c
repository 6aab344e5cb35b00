/*
 * Integration tests of CGI streaming and supervision: output streamed
 * while the script runs, 100 MB through a filter both ways at once,
 * bounded worker memory for a big output to a slow reader, a script that
 * never reads its body, cgi_timeout -> 504 and killed, client disconnect
 * -> the process group killed, no zombies after hundreds of scripts, the
 * per-worker cap -> 503, graceful stop.  Scripts are written by the tests.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgi_helpers.h"

/* Static, not on a test's stack: cgx_fini stops it after a failed
 * assertion has left the test. */
static struct srv server;

static const char hello_sh[] =
    "printf 'Content-Type: text/plain\\n\\nhello\\n'\n";

static void prepare(struct srv *s, const char *tmpl)
{
	cr_assert_eq(cgx_prepare(s, tmpl), 0, "prepare");
}

static void start(struct srv *s)
{
	cr_assert_eq(srv_start(s, NULL), 0, "webserv did not become ready");
}

/* Connect and send raw; the fd. */
static int open_request(const struct srv *s, const char *raw)
{
	int fd = http_connect(s->port);

	cr_assert(fd >= 0, "connect");
	cr_assert_eq(send_all(fd, raw, strlen(raw)), 0, "send");
	return fd;
}

Test(cgi, output_is_streamed_while_the_script_runs, .fini = cgx_fini)
{
	struct srv *s = &server;
	struct cgx_resp r;

	prepare(s, CGX_CFG("1"));
	cr_assert_eq(
	    cgx_script(s, "stream.sh",
		       "printf 'Content-Type: text/plain\\n\\nfirst\\n'\n"
		       "sleep 1\nprintf 'second\\n'\n"),
	    0);
	start(s);
	long t0 = cgx_now_ms();
	int fd = open_request(s, "GET /cgi-bin/stream.sh HTTP/1.1\r\n"
				 "Host: a\r\nConnection: close\r\n\r\n");
	cgx_resp_init(&r, 64);
	cr_assert_eq(cgx_pump(fd, &r, NULL, 6, 3000), 0,
		     "first line never came: %s", r.head);
	long first = cgx_now_ms() - t0;
	cr_expect_str_eq(r.keep, "first\n");
	cr_expect_lt(first, 800, "first line after %ld ms: not streamed",
		     first);
	cr_assert_eq(cgx_pump(fd, &r, NULL, 0, 5000), 0, "no end");
	long all = cgx_now_ms() - t0;
	cr_expect_geq(all - first, 500, "the rest came %ld ms later",
		      all - first);
	cr_expect_str_eq(r.keep, "first\nsecond\n");
	close(fd);
	cgx_resp_free(&r);
	srv_stop(s);
}

/* The response must be the upper-cased request body, in order. */
struct upper_check {
	struct cgx_rng rng;
	bool bad;
	uint64_t bad_at;
};

static void check_upper(struct cgx_resp *r, const char *p, size_t n)
{
	static char want[262144];
	struct upper_check *chk = r->arg;
	uint64_t at = r->body_len - n;

	while (n > 0 && !chk->bad) {
		size_t part = n < sizeof(want) ? n : sizeof(want);
		cgx_rng_fill(&chk->rng, want, part, true);
		for (size_t i = 0; i < part; i++)
			want[i] = (char)(want[i] - 'a' + 'A');
		if (memcmp(want, p, part) != 0) {
			chk->bad = true;
			for (size_t i = 0; i < part; i++)
				if (want[i] != p[i]) {
					chk->bad_at = at + i;
					break;
				}
		}
		p += part;
		n -= part;
		at += part;
	}
}

Test(cgi, chunked_100mb_through_an_upper_casing_script, .timeout = 120,
     .fini = cgx_fini)
{
	const uint64_t total = 100ull * 1000 * 1000;
	const uint64_t seed = 20240607;
	struct srv *s = &server;
	struct cgx_src *src = malloc(sizeof(*src));
	struct cgx_resp r;
	struct upper_check chk = {.bad = false};

	cr_assert_not_null(src);
	prepare(s, CGX_CFG("1"));
	cr_assert_eq(cgx_script(s, "upper.sh",
				"printf 'Content-Type: text/plain\\n\\n'\n"
				"exec tr a-z A-Z\n"),
		     0);
	start(s);
	/* the same stream twice: sent, and expected upper-cased */
	cgx_src_init(src,
		     "POST /cgi-bin/upper.sh HTTP/1.1\r\nHost: a\r\n"
		     "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
		     NULL, total, 65000, seed, true);
	cgx_resp_init(&r, 0);
	cgx_rng_init(&chk.rng, seed);
	r.on_body = check_upper;
	r.arg = &chk;
	long t0 = cgx_now_ms();
	int rc = cgx_exchange(s->port, src, &r, 100000);
	cr_expect_eq(rc, 0,
		     "incomplete after %ld ms: status %d, %llu bytes "
		     "back, body %s sent",
		     cgx_now_ms() - t0, r.status,
		     (unsigned long long)r.body_len,
		     cgx_src_done(src) ? "all" : "not all");
	cr_log_info("100 MB up and back in %ld ms", cgx_now_ms() - t0);
	cr_expect_eq(r.status, 200, "%s", r.head);
	cr_expect_eq(r.body_len, total, "got %llu bytes back",
		     (unsigned long long)r.body_len);
	cr_expect_not(chk.bad, "first wrong byte at offset %llu",
		      (unsigned long long)chk.bad_at);
	cr_expect_not(src->broken, "the server stopped reading the body");
	cgx_resp_free(&r);
	free(src);
	srv_stop(s);
}

/* Worker memory while a 300 MB output goes to a slow client. */
struct big_check {
	pid_t worker;
	long max_rss;
	uint64_t next_sample;
	bool nonzero;
};

static void check_big(struct cgx_resp *r, const char *p, size_t n)
{
	struct big_check *chk = r->arg;

	for (size_t i = 0; i < n && !chk->nonzero; i++)
		chk->nonzero = p[i] != 0;
	if (r->body_len >= chk->next_sample) {
		long rss = proc_rss_kb(chk->worker);
		if (rss > chk->max_rss)
			chk->max_rss = rss;
		chk->next_sample += 8 * 1024 * 1024;
	}
}

Test(cgi, big_output_to_a_slow_reader_keeps_memory_bounded, .timeout = 60,
     .fini = cgx_fini)
{
	const uint64_t total = 300ull * 1000 * 1000;
	struct srv *s = &server;
	struct cgx_resp r;
	struct big_check chk = {.max_rss = 0};

	prepare(s, CGX_CFG("1"));
	cr_assert_eq(cgx_script(s, "hello.sh", hello_sh), 0);
	cr_assert_eq(cgx_script(s, "big.sh",
				"printf 'Content-Type: application/octet-stream"
				"\\n\\n'\nexec head -c 300000000 /dev/zero\n"),
		     0);
	start(s);
	chk.worker = cgx_worker(s);
	cr_assert_gt(chk.worker, 0, "one worker");
	/* warm up: buffers of a first CGI request exist */
	cr_assert_eq(cgx_request(s->port,
				 "GET /cgi-bin/hello.sh HTTP/1.1\r\n"
				 "Host: a\r\nConnection: close\r\n\r\n",
				 &r),
		     200);
	cgx_resp_free(&r);
	long rss0 = proc_rss_kb(chk.worker);
	cr_assert_gt(rss0, 0);

	/* /long/: the slow phase must not meet the 2 s cgi_timeout */
	int fd = open_request(s, "GET /long/big.sh HTTP/1.1\r\nHost: a\r\n"
				 "Connection: close\r\n\r\n");
	cgx_resp_init(&r, 0);
	r.on_body = check_big;
	r.arg = &chk;
	for (int i = 0; i < 15; i++) { /* 1.5 s reading 64 KiB / 100 ms */
		cr_assert_geq(cgx_read_some(fd, &r, 65536, 5000), 0,
			      "slow read %d", i);
		long rss = proc_rss_kb(chk.worker);
		if (rss > chk.max_rss)
			chk.max_rss = rss;
		usleep(100000);
	}
	cr_expect_eq(r.status, 200, "%s", r.head);
	cr_expect_lt(r.body_len, total / 2, "the slow phase read %llu bytes",
		     (unsigned long long)r.body_len);
	uint64_t slow_bytes = r.body_len;
	long t0 = cgx_now_ms();
	cr_expect_eq(cgx_pump(fd, &r, NULL, 0, 45000), 0,
		     "incomplete: %llu bytes after %ld ms",
		     (unsigned long long)r.body_len, cgx_now_ms() - t0);
	close(fd);
	cr_expect_eq(r.body_len, total, "got %llu bytes",
		     (unsigned long long)r.body_len);
	cr_expect_not(chk.nonzero, "bytes other than the script's zeros");
	cr_log_info("worker VmRSS %ld kB before, at most %ld kB during; "
		    "slow phase read %llu bytes, the rest took %ld ms",
		    rss0, chk.max_rss, (unsigned long long)slow_bytes,
		    cgx_now_ms() - t0);
	cr_expect_lt(chk.max_rss - rss0, 50 * 1024,
		     "worker VmRSS grew from %ld kB to %ld kB", rss0,
		     chk.max_rss);
	cgx_resp_free(&r);
	srv_stop(s);
}

Test(cgi, script_that_never_reads_its_body, .fini = cgx_fini)
{
	static const char *const heads[] = {
	    "POST /cgi-bin/noread.sh HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 1048576\r\nConnection: close\r\n\r\n",
	    "POST /cgi-bin/noread.sh HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
	};
	struct srv *s = &server;
	struct cgx_src src;
	struct cgx_resp r;

	prepare(s, CGX_CFG("1"));
	cr_assert_eq(
	    cgx_script(s, "noread.sh",
		       "printf 'Content-Type: text/plain\\n\\nok\\n'\n"),
	    0);
	start(s);
	for (size_t i = 0; i < 2; i++) {
		long t0 = cgx_now_ms();
		cgx_src_init(&src, heads[i], NULL, 1048576, i ? 16384 : 0, i,
			     false);
		cgx_resp_init(&r, 64);
		cr_expect_eq(cgx_exchange(s->port, &src, &r, 10000), 0,
			     "case %zu: no complete response (%s)", i, r.head);
		cr_expect_eq(r.status, 200, "case %zu: %s", i, r.head);
		cr_expect_str_eq(r.keep, "ok\n", "case %zu", i);
		cr_expect_lt(cgx_now_ms() - t0, 5000, "case %zu: slow", i);
		cgx_resp_free(&r);
	}
	cr_expect_eq(cgx_request(s->port,
				 "GET /index.html HTTP/1.1\r\n"
				 "Host: a\r\nConnection: close\r\n\r\n",
				 &r),
		     200);
	cgx_resp_free(&r);
	srv_stop(s);
}

Test(cgi, hang_is_504_within_the_timeout_and_killed, .fini = cgx_fini)
{
	struct srv *s = &server;
	struct cgx_resp r;

	prepare(s, CGX_CFG("1"));
	cr_assert_eq(cgx_script(s, "hang.sh",
				"echo $$ > hang.pid\n"
				"sleep 30 &\necho $! > hang.child\nwait\n"),
		     0);
	start(s);
	long t0 = cgx_now_ms();
	int status = cgx_request(s->port,
				 "GET /cgi-bin/hang.sh HTTP/1.1\r\n"
				 "Host: a\r\nConnection: close\r\n\r\n",
				 &r);
	long took = cgx_now_ms() - t0;
	cr_expect_eq(status, 504, "%s", r.head);
	cr_expect(took >= 1500 && took <= 4000,
		  "504 after %ld ms for a 2 s cgi_timeout", took);
	cgx_resp_free(&r);
	pid_t pid = cgx_read_pid(s, "cgi/hang.pid", 1000);
	pid_t child = cgx_read_pid(s, "cgi/hang.child", 1000);
	cr_assert_gt(pid, 0, "the script never ran");
	cr_assert_gt(child, 0, "the script never started its child");
	/* the script is killed and reaped (not even a zombie) */
	cr_expect(cgx_wait_gone(pid, 2000, false),
		  "script %d still there (state %c)", (int)pid,
		  cgx_proc_state(pid));
	/* its child, in its process group, is killed too (an orphan's
	 * zombie is its reaper's business, not the server's) */
	cr_expect(cgx_wait_gone(child, 2000, true),
		  "grandchild %d still running (state %c)", (int)child,
		  cgx_proc_state(child));
	kill(child, SIGKILL);
	srv_stop(s);
}

Test(cgi, client_disconnect_kills_the_process_group, .fini = cgx_fini)
{
	static const char *const reqs[] = {
	    /* before any output */
	    "GET /long/sleeper.sh?a HTTP/1.1\r\nHost: a\r\n\r\n",
	    /* after the head and some body went out */
	    "GET /long/talker.sh?b HTTP/1.1\r\nHost: a\r\n\r\n",
	    /* in the middle of the request body */
	    "POST /long/sleeper.sh?c HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 1000000\r\n\r\nsome of the body",
	};
	static const char *const tags[] = {"a", "b", "c"};
	struct srv *s = &server;
	char name[32];

	prepare(s, CGX_CFG("1"));
	cr_assert_eq(cgx_script(s, "sleeper.sh",
				"echo $$ > $QUERY_STRING.pid\n"
				"sleep 100 &\necho $! > $QUERY_STRING.child\n"
				"sleep 30\n"),
		     0);
	cr_assert_eq(cgx_script(s, "talker.sh",
				"printf 'Content-Type: text/plain\\n\\n"
				"started\\n'\n"
				"echo $$ > $QUERY_STRING.pid\n"
				"sleep 100 &\necho $! > $QUERY_STRING.child\n"
				"sleep 30\n"),
		     0);
	start(s);
	for (size_t i = 0; i < 3; i++) {
		int fd = open_request(s, reqs[i]);
		snprintf(name, sizeof(name), "cgi/%s.pid", tags[i]);
		pid_t pid = cgx_read_pid(s, name, 5000);
		snprintf(name, sizeof(name), "cgi/%s.child", tags[i]);
		pid_t child = cgx_read_pid(s, name, 5000);
		cr_assert(pid > 0 && child > 0, "case %s: script not running",
			  tags[i]);
		if (i == 1) {
			struct cgx_resp r;
			cgx_resp_init(&r, 64);
			cr_expect_eq(cgx_pump(fd, &r, NULL, 8, 3000), 0,
				     "talker's first line");
			cgx_resp_free(&r);
		}
		close(fd);
		cr_expect(cgx_wait_gone(pid, 2000, false),
			  "case %s: script %d alive 2 s after the client left "
			  "(state %c)",
			  tags[i], (int)pid, cgx_proc_state(pid));
		cr_expect(cgx_wait_gone(child, 2000, true),
			  "case %s: grandchild %d alive 2 s after the client "
			  "left (state %c)",
			  tags[i], (int)child, cgx_proc_state(child));
		kill(child, SIGKILL);
	}
	srv_stop(s);
}

/* One request on a fresh connection: the status (-1: none). */
static int one_status(const struct srv *s, const char *path)
{
	char raw[256];
	struct cgx_resp r;
	int status;

	snprintf(raw, sizeof(raw),
		 "GET %s HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
		 path);
	status = cgx_request(s->port, raw, &r);
	cgx_resp_free(&r);
	return status;
}

/* A round of 10 requests at once; how many got the expected status
 * (crash: every other one runs a script that dies by SIGSEGV -> 502). */
static int round_of_10(const struct srv *s, bool crash)
{
	static const char hello[] = "GET /cgi-bin/hello.sh HTTP/1.1\r\n"
				    "Host: a\r\nConnection: close\r\n\r\n";
	static const char dies[] = "GET /cgi-bin/crash.sh HTTP/1.1\r\n"
				   "Host: a\r\nConnection: close\r\n\r\n";
	const char *reqs[10];
	struct cgx_resp rs[10];
	int ok = 0;

	for (int i = 0; i < 10; i++)
		reqs[i] = crash && i % 2 ? dies : hello;
	cgx_request_all(s->port, reqs, 10, rs, 5000);
	for (int i = 0; i < 10; i++) {
		ok +=
		    rs[i].done && rs[i].status == (reqs[i] == dies ? 502 : 200);
		cgx_resp_free(&rs[i]);
	}
	return ok;
}

Test(cgi, no_zombies_after_hundreds_of_scripts, .timeout = 60, .fini = cgx_fini)
{
	struct srv *s = &server;
	pid_t worker, kids[16];
	char states[16];
	int ok = 0, n;

	prepare(s, CGX_CFG("1"));
	cr_assert_eq(cgx_script(s, "hello.sh", hello_sh), 0);
	cr_assert_eq(cgx_script(s, "crash.sh", "kill -SEGV $$\n"), 0);
	cr_assert_eq(cgx_script(s, "slow.sh",
				"sleep 5\nprintf 'Content-Type: text/plain"
				"\\n\\nlate\\n'\n"),
		     0);
	start(s);
	worker = cgx_worker(s);
	cr_assert_gt(worker, 0);
	for (int i = 0; i < 150; i++)
		ok += one_status(s, "/cgi-bin/hello.sh") == 200;
	cr_expect_eq(ok, 150, "sequential: %d of 150 as expected", ok);
	ok = 0;
	for (int round = 0; round < 15; round++)
		ok += round_of_10(s, round >= 12);
	cr_expect_eq(ok, 150,
		     "concurrent: %d of 150 as expected (15 crashed "
		     "scripts should give 502)",
		     ok);
	for (int i = 0; i < 10; i++) { /* clients that leave early */
		int fd = open_request(s, "GET /cgi-bin/slow.sh HTTP/1.1\r\n"
					 "Host: a\r\n\r\n");
		usleep(20000);
		close(fd);
	}
	/* everything is reaped within a short wait */
	long deadline = cgx_now_ms() + 4000;
	while ((n = cgx_children(worker, kids, states, 16)) > 0 &&
	       cgx_now_ms() < deadline)
		usleep(50000);
	for (int i = 0; i < n && i < 16; i++)
		cr_expect_fail("worker %d still has child %d in state %c",
			       (int)worker, (int)kids[i], states[i]);
	cr_expect_eq(n, 0, "%d children left", n);
	cr_expect_eq(cgx_worker(s), worker, "the worker was replaced");
	srv_stop(s);
}

Test(cgi, per_worker_cap_answers_503_with_retry_after, .timeout = 60,
     .fini = cgx_fini)
{
	enum { N = 70 };
	struct srv *s = &server;
	int fds[N], n200 = 0, n503 = 0, other = 0, retry = 0;

	prepare(s, CGX_CFG("1"));
	/* long enough that the first scripts still run when the last
	 * request arrives, however slow spawning is under ASan */
	cr_assert_eq(cgx_script(s, "nap.sh",
				"sleep 3\nprintf 'Content-Type: text/plain"
				"\\n\\nnap\\n'\n"),
		     0);
	cr_assert_eq(cgx_script(s, "hello.sh", hello_sh), 0);
	start(s);
	for (int i = 0; i < N; i++)
		fds[i] =
		    open_request(s, "GET /long/nap.sh HTTP/1.1\r\n"
				    "Host: a\r\nConnection: close\r\n\r\n");
	for (int i = 0; i < N; i++) {
		struct cgx_resp r;
		char v[64];
		cgx_resp_init(&r, 64);
		if (cgx_pump(fds[i], &r, NULL, 0, 15000) == -1)
			other++;
		else if (r.status == 200 && strcmp(r.keep, "nap\n") == 0)
			n200++;
		else if (r.status == 503) {
			n503++;
			retry +=
			    cgx_header(&r, "Retry-After", v, sizeof(v)) != NULL;
		} else
			other++;
		cgx_resp_free(&r);
		close(fds[i]);
	}
	cr_expect_geq(n503, 1, "no 503 for %d concurrent scripts (%d ok)", N,
		      n200);
	cr_expect_eq(retry, n503, "503 without Retry-After");
	cr_expect_leq(n200, 64, "%d scripts ran at once", n200);
	cr_expect_geq(n200, 32, "only %d scripts ran", n200);
	cr_expect_eq(other, 0, "%d other answers", other);
	/* the cap is released: scripts run again */
	cr_expect_eq(one_status(s, "/cgi-bin/hello.sh"), 200);
	srv_stop(s);
}

Test(cgi, graceful_stop_lets_running_scripts_finish, .fini = cgx_fini)
{
	struct srv *s = &server;
	struct cgx_resp quiet, talky;

	prepare(s, CGX_CFG("1"));
	cr_assert_eq(cgx_script(s, "quiet.sh",
				"echo $$ > quiet.pid\nsleep 1\n"
				"printf 'Content-Type: text/plain\\n\\n"
				"quiet done\\n'\n"),
		     0);
	cr_assert_eq(cgx_script(s, "talky.sh",
				"printf 'Content-Type: text/plain\\n\\n"
				"start\\n'\nsleep 1\nprintf 'done\\n'\n"),
		     0);
	start(s);
	int fq = open_request(s, "GET /cgi-bin/quiet.sh HTTP/1.1\r\n"
				 "Host: a\r\n\r\n");
	int ft = open_request(s, "GET /cgi-bin/talky.sh HTTP/1.1\r\n"
				 "Host: a\r\n\r\n");
	cgx_resp_init(&quiet, 64);
	cgx_resp_init(&talky, 64);
	cr_assert_eq(cgx_pump(ft, &talky, NULL, 6, 3000), 0, "talky started");
	cr_assert_gt(cgx_read_pid(s, "cgi/quiet.pid", 3000), 0,
		     "quiet started");
	cr_assert_eq(kill(s->pid, SIGTERM), 0);
	cr_expect_eq(cgx_pump(ft, &talky, NULL, 0, 8000), 0, "talky cut: %s",
		     talky.keep);
	cr_expect_str_eq(talky.keep, "start\ndone\n");
	cr_expect_eq(cgx_pump(fq, &quiet, NULL, 0, 8000), 0, "quiet cut: %s",
		     quiet.head);
	cr_expect_eq(quiet.status, 200);
	cr_expect_str_eq(quiet.keep, "quiet done\n");
	int status = srv_wait_exit(s, 10000);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "exit status %d", status);
	close(fq);
	close(ft);
	cgx_resp_free(&quiet);
	cgx_resp_free(&talky);
	srv_stop(s);
}
