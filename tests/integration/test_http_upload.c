/*
 * Integration tests of writes over real sockets (DESIGN.md §7 "Writes",
 * issue 3 "Writes"): PUT, POST (raw and multipart/form-data), DELETE,
 * chunked bodies, aborted and concurrent uploads, 100 MB streamed with a
 * constant memory footprint, and disk full (507) on a small tmpfs in a
 * private mount namespace (root only).  Nothing half-written may ever be
 * visible or left behind.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "harness_extra.h"

#define UP_CFG(workers)                                                        \
	"workers = " workers ";\n"                                             \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"off\"; };\n"                                  \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"                   \
	"  root = \"@DIR@/www\";\n"                                            \
	"  locations = ( { path = \"/\"; },\n"                                 \
	"    { path = \"/up/\"; alias = \"@DIR@/up\";\n"                       \
	"      upload_dir = \"@DIR@/up\";\n"                                   \
	"      client_max_body_size = \"200m\"; },\n"                          \
	"    { path = \"/full/\"; alias = \"@DIR@/full\";\n"                   \
	"      upload_dir = \"@DIR@/full\";\n"                                 \
	"      client_max_body_size = \"10m\"; } );\n"                         \
	"} );\n"

static int up_dirs(const char *dir)
{
	return hx_mkdir(dir, "up") | hx_mkdir(dir, "full");
}

static void start(struct srv *s, const char *cfg)
{
	cr_assert_eq(hx_start(s, cfg, up_dirs), 0, "webserv did not start");
}

/* Send head, then body bytes of stream seed (chunk > 0: chunked); the
 * response in r.  Returns hx_send_body's result. */
static int upload(int port, const char *head, uint64_t size, uint64_t seed,
		  size_t chunk, struct http_resp *r)
{
	int fd = http_connect(port);
	int rc;

	cr_assert(fd >= 0);
	cr_assert_eq(send_all(fd, head, strlen(head)), 0);
	rc = hx_send_body(fd, size, seed, chunk, 0, NULL);
	cr_assert_neq(rc, -1, "%s: send failed", head);
	cr_assert_eq(http_read(fd, r, false), 0, "%s: no response", head);
	close(fd);
	return rc;
}

static void put(int port, const char *path, uint64_t size, uint64_t seed,
		size_t chunk, int status)
{
	char head[512];
	struct http_resp r;

	if (chunk)
		snprintf(head, sizeof(head),
			 "PUT %s HTTP/1.1\r\nHost: a\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n",
			 path);
	else
		snprintf(head, sizeof(head),
			 "PUT %s HTTP/1.1\r\nHost: a\r\n"
			 "Content-Length: %llu\r\n\r\n",
			 path, (unsigned long long)size);
	upload(port, head, size, seed, chunk, &r);
	cr_expect_eq(r.status, status, "PUT %s: %d, want %d", path, r.status,
		     status);
	http_resp_free(&r);
}

/* GET path must return size bytes of stream seed. */
static void expect_content(int port, const char *path, uint64_t size,
			   uint64_t seed)
{
	struct http_resp r;
	char *want = malloc(size + 1);

	hx_fill(want, size, seed, 0);
	cr_assert_eq(http_get(port, path, &r), 0);
	cr_expect_eq(r.status, 200, "GET %s: %d", path, r.status);
	cr_expect(r.body_len == size && memcmp(r.body, want, size) == 0,
		  "GET %s: %zu bytes, not the %llu uploaded", path, r.body_len,
		  (unsigned long long)size);
	http_resp_free(&r);
	free(want);
}

static void expect_file(const struct srv *s, const char *name, uint64_t size,
			uint64_t seed)
{
	char path[512];
	uint64_t bad = 0;

	cr_expect(hx_file_matches(hx_path(path, sizeof(path), s->dir, name),
				  size, seed, &bad),
		  "%s differs from byte %llu", name, (unsigned long long)bad);
}

/* The worker(s) hold no file open in dir, and dir holds only `keep`
 * entries (temporaries included), within 2 s. */
static void expect_clean(const struct srv *s, const char *sub, int keep)
{
	char path[512], names[2048];
	pid_t pids[8];
	int n, open_count;
	long deadline = hx_now_ms() + 2000;

	hx_path(path, sizeof(path), s->dir, sub);
	int w = srv_workers(s, pids, 8);
	do {
		open_count = 0;
		for (int i = 0; i < w; i++)
			open_count += hx_open_under(pids[i], path);
		n = hx_list_dir(path, names, sizeof(names));
		if (open_count == 0 && n == keep)
			break;
		usleep(50000);
	} while (hx_now_ms() < deadline);
	cr_expect_eq(n, keep, "%s holds: %s", sub, names);
	cr_expect_eq(open_count, 0, "a worker still holds a file in %s", sub);
}

Test(http, put_creates_201_replaces_204_byte_exact, .fini = hx_fini)
{
	struct srv s;

	start(&s, UP_CFG("1"));
	put(s.port, "/up/f.bin", 70001, 1, 0, 201);
	expect_file(&s, "up/f.bin", 70001, 1);
	expect_content(s.port, "/up/f.bin", 70001, 1);
	put(s.port, "/up/f.bin", 5003, 2, 0, 204);
	expect_file(&s, "up/f.bin", 5003, 2);
	expect_content(s.port, "/up/f.bin", 5003, 2);
	/* an empty body is a file too */
	put(s.port, "/up/empty", 0, 3, 0, 201);
	expect_file(&s, "up/empty", 0, 3);
	expect_clean(&s, "up", 2);
	srv_stop(&s);
}

Test(http, chunked_put, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char path[512];

	start(&s, UP_CFG("1"));
	put(s.port, "/up/c.bin", 100007, 4, 4000, 201);
	expect_file(&s, "up/c.bin", 100007, 4);
	/* extensions ignored, trailers dropped */
	cr_assert_eq(
	    http_do(s.port,
		    "PUT /up/t.txt HTTP/1.1\r\nHost: a\r\n"
		    "Transfer-Encoding: chunked\r\nConnection: close\r\n"
		    "\r\n5;name=value\r\nhello\r\n1;x\r\n!\r\n0\r\n"
		    "X-Trailer: y\r\n\r\n",
		    &r),
	    0);
	cr_expect_eq(r.status, 201);
	http_resp_free(&r);
	char *got =
	    read_file(hx_path(path, sizeof(path), s.dir, "up/t.txt"), NULL);
	cr_expect(got && strcmp(got, "hello!") == 0, "stored %s", got);
	free(got);
	expect_clean(&s, "up", 2);
	srv_stop(&s);
}

#define BOUNDARY "----webservTestBoundary42"

Test(http, post_multipart_stores_every_file_with_safe_names, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char bin[3000], head[512], loc[512], path[512], names[1024];
	static char body[16384];
	size_t cap = sizeof(body), n = 0;

	hx_fill(bin, sizeof(bin), 5, 0);
	/* almost a delimiter: "\r\n--" and the boundary less its last
	 * byte (the whole boundary after CRLF-- would be one, RFC 2046) */
	memcpy(bin + 1500, "\r\n--" BOUNDARY, 4 + sizeof(BOUNDARY) - 2);
	bin[1500 + 4 + sizeof(BOUNDARY) - 2] = 'Z';
	n +=
	    (size_t)snprintf(body + n, cap - n,
			     "--" BOUNDARY "\r\n"
			     "Content-Disposition: form-data; name=\"note\"\r\n"
			     "\r\njust a field\r\n"
			     "--" BOUNDARY "\r\n"
			     "Content-Disposition: form-data; name=\"f1\"; "
			     "filename=\"../../evil.txt\"\r\n"
			     "Content-Type: text/plain\r\n\r\n"
			     "evil content\r\n"
			     "--" BOUNDARY "\r\n"
			     "Content-Disposition: form-data; name=\"f2\"; "
			     "filename=\"my file?.bin\"\r\n"
			     "Content-Type: application/octet-stream\r\n\r\n");
	memcpy(body + n, bin, sizeof(bin));
	n += sizeof(bin);
	n += (size_t)snprintf(body + n, cap - n, "\r\n--" BOUNDARY "--\r\n");

	start(&s, UP_CFG("1"));
	int fd = http_connect(s.port);
	cr_assert(fd >= 0);
	snprintf(head, sizeof(head),
		 "POST /up/ HTTP/1.1\r\nHost: a\r\n"
		 "Content-Type: multipart/form-data; boundary=" BOUNDARY "\r\n"
		 "Content-Length: %zu\r\n\r\n",
		 n);
	cr_assert_eq(send_all(fd, head, strlen(head)), 0);
	cr_assert_eq(send_all(fd, body, n), 0);
	cr_assert_eq(http_read(fd, &r, false), 0);
	close(fd);
	cr_expect_eq(r.status, 201, "multipart POST: %d %s", r.status, r.body);
	cr_expect(resp_header(&r, "Location", loc, sizeof(loc)) &&
		      strcmp(hx_location_path(loc), "/up/evil.txt") == 0,
		  "Location %s", loc);
	http_resp_free(&r);

	/* exactly the two files, with safe names, nothing outside */
	cr_expect_eq(hx_list_dir(hx_path(path, sizeof(path), s.dir, "up"),
				 names, sizeof(names)),
		     2, "up/: %s", names);
	char *evil =
	    read_file(hx_path(path, sizeof(path), s.dir, "up/evil.txt"), NULL);
	cr_expect(evil && strcmp(evil, "evil content") == 0, "evil.txt: %s",
		  evil);
	free(evil);
	cr_expect_neq(
	    access(hx_path(path, sizeof(path), s.dir, "evil.txt"), F_OK), 0,
	    "escaped the upload dir");
	cr_expect_neq(
	    access(hx_path(path, sizeof(path), s.dir, "www/evil.txt"), F_OK),
	    0);
	char *other = strtok(names, "/");
	while (other && strcmp(other, "evil.txt") == 0)
		other = strtok(NULL, "/");
	cr_assert(other, "second file missing");
	for (const char *p = other; *p; p++)
		cr_expect(isalnum((unsigned char)*p) || strchr("._-", *p),
			  "unsafe name %s", other);
	cr_expect(other[0] != '.' && strstr(other, "file"), "name %s", other);
	char rel[300];
	snprintf(rel, sizeof(rel), "up/%s", other);
	size_t got_len = 0;
	char *got =
	    read_file(hx_path(path, sizeof(path), s.dir, rel), &got_len);
	cr_expect(got && got_len == sizeof(bin) &&
		      memcmp(got, bin, sizeof(bin)) == 0,
		  "%s content differs", other);
	free(got);
	/* what was stored is served back at its Location */
	snprintf(rel, sizeof(rel), "/up/%s", other);
	cr_assert_eq(http_get(s.port, rel, &r), 0);
	cr_expect(r.status == 200 && r.body_len == sizeof(bin));
	http_resp_free(&r);
	srv_stop(&s);
}

Test(http, post_raw_body, .fini = hx_fini)
{
	struct srv s;
	struct http_resp r;
	char loc[512];

	start(&s, UP_CFG("1"));
	cr_assert_eq(http_do(s.port,
			     "POST /up/ HTTP/1.1\r\nHost: a\r\n"
			     "Content-Type: application/octet-stream\r\n"
			     "Content-Length: 14\r\nConnection: close\r\n\r\n"
			     "raw body bytes",
			     &r),
		     0);
	cr_expect_eq(r.status, 201);
	cr_assert(resp_header(&r, "Location", loc, sizeof(loc)), "no Location");
	http_resp_free(&r);
	const char *path = hx_location_path(loc);
	cr_expect(strncmp(path, "/up/", 4) == 0, "Location %s", loc);
	cr_assert_eq(http_get(s.port, path, &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "raw body bytes");
	http_resp_free(&r);
	expect_clean(&s, "up", 1);
	srv_stop(&s);
}

/* A raw POST to a file name creates: a taken name is never replaced,
 * the next free one is used (DESIGN §7: 201 with Location). */
Test(http, post_raw_twice_to_one_name_stores_two_files, .fini = hx_fini)
{
	static const char *const bodies[] = {"first", "second"};
	char locs[2][512], raw[512];
	struct http_resp r;
	struct srv s;

	start(&s, UP_CFG("1"));
	for (int i = 0; i < 2; i++) {
		snprintf(raw, sizeof(raw),
			 "POST /up/z.bin HTTP/1.1\r\nHost: a\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
			 strlen(bodies[i]), bodies[i]);
		cr_assert_eq(http_do(s.port, raw, &r), 0);
		cr_expect_eq(r.status, 201, "POST %d: %d", i, r.status);
		cr_assert(resp_header(&r, "Location", locs[i], sizeof(locs[i])),
			  "POST %d: no Location", i);
		http_resp_free(&r);
	}
	cr_expect_str_eq(hx_location_path(locs[0]), "/up/z.bin");
	cr_expect_str_neq(hx_location_path(locs[1]), "/up/z.bin");
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(http_get(s.port, hx_location_path(locs[i]), &r),
			     0);
		cr_expect_eq(r.status, 200, "GET %s", locs[i]);
		cr_expect_str_eq(r.body, bodies[i]);
		http_resp_free(&r);
	}
	expect_clean(&s, "up", 2);
	srv_stop(&s);
}

Test(http, delete_file_missing_directory, .fini = hx_fini)
{
	struct srv s;
	char path[512];

	start(&s, UP_CFG("1"));
	put(s.port, "/up/d.txt", 10, 6, 0, 201);
	cr_assert_eq(hx_mkdir(s.dir, "up/sub"), 0);
	static const struct {
		const char *target;
		int status;
	} cases[] = {
	    {"/up/d.txt", 204},	  {"/up/d.txt", 404}, {"/up/never-was", 404},
	    {"/up/sub/", 403},	  {"/up/sub", 403},   {"/up/", 403},
	    {"/index.html", 405},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char raw[512];
		snprintf(raw, sizeof(raw),
			 "DELETE %s HTTP/1.1\r\nHost: a\r\n"
			 "Connection: close\r\n\r\n",
			 cases[i].target);
		cr_expect_eq(hx_status(s.port, raw), cases[i].status,
			     "DELETE %s", cases[i].target);
	}
	cr_expect_neq(
	    access(hx_path(path, sizeof(path), s.dir, "up/d.txt"), F_OK), 0,
	    "d.txt still there");
	cr_expect_eq(access(hx_path(path, sizeof(path), s.dir, "up/sub"), F_OK),
		     0, "directory removed");
	/* never outside the upload area */
	static const char *const outside[] = {
	    "/up/../www/index.html",
	    "/up/%2e%2e/www/index.html",
	    "/up/..%2fwww%2findex.html",
	    "/up/sub/../../www/index.html",
	};
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		char raw[512];
		snprintf(raw, sizeof(raw),
			 "DELETE %s HTTP/1.1\r\nHost: a\r\n"
			 "Connection: close\r\n\r\n",
			 outside[i]);
		cr_expect_neq(hx_status(s.port, raw), 204, "%s", outside[i]);
	}
	cr_expect_eq(
	    access(hx_path(path, sizeof(path), s.dir, "www/index.html"), F_OK),
	    0, "a DELETE reached outside upload_dir");
	srv_stop(&s);
}

Test(http, aborted_uploads_leave_nothing, .fini = hx_fini)
{
	static const char *const heads[] = {
	    "PUT /up/a.bin HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000"
	    "\r\n\r\n",
	    /* one chunk of 1 MB announced, 300 kB of it sent */
	    "PUT /up/b.bin HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n100000\r\n",
	    "POST /up/ HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n"
	    "\r\n",
	    "POST /up/ HTTP/1.1\r\nHost: a\r\nContent-Type: multipart/"
	    "form-data; boundary=XyZ\r\nContent-Length: 1000000\r\n\r\n"
	    "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; "
	    "filename=\"m.bin\"\r\n\r\n",
	};
	struct srv s;

	start(&s, UP_CFG("1"));
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		int fd = http_connect(s.port);
		cr_assert(fd >= 0);
		cr_assert_eq(send_all(fd, heads[i], strlen(heads[i])), 0);
		/* part of the body, then the client is gone */
		cr_assert_eq(hx_send_body(fd, 300000, 7, 0, 0, NULL), 0);
		usleep(100000);
		close(fd);
	}
	expect_clean(&s, "up", 0);
	srv_stop(&s);
}

Test(http, concurrent_puts_of_one_name_never_interleave, .fini = hx_fini)
{
	enum { CLIENTS = 8, SIZE = 300000, PIECE = 16384 };
	struct srv s;
	int fds[CLIENTS];
	char *buf = malloc(PIECE);
	char head[256];

	start(&s, UP_CFG("2"));
	snprintf(head, sizeof(head),
		 "PUT /up/same.bin HTTP/1.1\r\nHost: a\r\n"
		 "Content-Length: %d\r\n\r\n",
		 SIZE);
	for (int i = 0; i < CLIENTS; i++) {
		fds[i] = http_connect(s.port);
		cr_assert(fds[i] >= 0);
		cr_assert_eq(send_all(fds[i], head, strlen(head)), 0);
	}
	/* all bodies progress together, piece by piece */
	for (int off = 0; off < SIZE; off += PIECE) {
		int n = SIZE - off < PIECE ? SIZE - off : PIECE;
		for (int i = 0; i < CLIENTS; i++) {
			hx_fill(buf, (size_t)n, 100 + (uint64_t)i,
				(uint64_t)off);
			cr_assert_eq(send_all(fds[i], buf, (size_t)n), 0);
		}
	}
	for (int i = 0; i < CLIENTS; i++) {
		struct http_resp r;
		cr_assert_eq(http_read(fds[i], &r, false), 0, "client %d", i);
		cr_expect(r.status == 201 || r.status == 204, "client %d: %d",
			  i, r.status);
		http_resp_free(&r);
		close(fds[i]);
	}
	char path[512];
	int matches = 0;
	hx_path(path, sizeof(path), s.dir, "up/same.bin");
	for (int i = 0; i < CLIENTS; i++)
		matches += hx_file_matches(path, SIZE, 100 + (uint64_t)i, NULL);
	cr_expect_eq(matches, 1, "same.bin is not one client's whole body");
	expect_clean(&s, "up", 1);
	free(buf);
	srv_stop(&s);
}

/*
 * 100 MB with Content-Length, then 100 MB chunked: stored byte-exact,
 * while the worker's resident memory stays within 64 MB of where it was.
 */
Test(slow, upload_100mb_in_constant_memory, .fini = hx_fini, .timeout = 120)
{
	const uint64_t size = 100ull << 20;
	const long slack_kb = 64 * 1024;
	struct srv s;
	pid_t worker;
	char head[256], path[512];

	start(&s, UP_CFG("1"));
	cr_assert_eq(srv_workers(&s, &worker, 1), 1);
	for (int chunked = 0; chunked < 2; chunked++) {
		struct http_resp r;
		uint64_t seed = 20 + (uint64_t)chunked;
		/* warm up: one small request, so buffers exist */
		cr_expect_eq(hx_status(s.port, "GET / HTTP/1.1\r\nHost: a\r\n"
					       "Connection: close\r\n\r\n"),
			     200);
		long base = proc_rss_kb(worker), peak = base;
		if (chunked)
			snprintf(
			    head, sizeof(head),
			    "PUT /up/big.bin HTTP/1.1\r\n"
			    "Host: a\r\nTransfer-Encoding: chunked\r\n\r\n");
		else
			snprintf(head, sizeof(head),
				 "PUT /up/big.bin HTTP/1.1\r\n"
				 "Host: a\r\nContent-Length: %llu\r\n\r\n",
				 (unsigned long long)size);
		int fd = http_connect(s.port);
		cr_assert(fd >= 0);
		cr_assert_eq(send_all(fd, head, strlen(head)), 0);
		cr_assert_eq(hx_send_body(fd, size, seed, chunked ? 65536 : 0,
					  worker, &peak),
			     0, "upload %d cut short", chunked);
		cr_assert_eq(http_read(fd, &r, false), 0);
		cr_expect_eq(r.status, chunked ? 204 : 201);
		http_resp_free(&r);
		close(fd);
		cr_log_info("%s: worker RSS %ld kB, peak %ld kB",
			    chunked ? "chunked" : "Content-Length", base, peak);
		cr_expect_lt(peak - base, slack_kb,
			     "%s: worker RSS grew %ld kB (from %ld kB)",
			     chunked ? "chunked" : "Content-Length",
			     peak - base, base);
		expect_file(&s, "up/big.bin", size, seed);
	}
	unlink(hx_path(path, sizeof(path), s.dir, "up/big.bin"));
	srv_stop(&s);
}

/*
 * Disk full: the upload area is a 1 MB tmpfs; a larger upload is 507 and
 * leaves neither a file nor used space behind.
 */
Test(http, disk_full_is_507_and_leaves_nothing, .fini = hx_fini)
{
	struct srv s;
	char full[600], names[1024], head[512];
	struct http_resp r;

	cr_assert_eq(srv_prepare(&s, UP_CFG("1")), 0);
	hx_track(&s);
	cr_assert_eq(up_dirs(s.dir), 0);
	int rc = hx_start_tmpfs(&s, "full", "size=1m");
	if (rc == 1) {
		srv_stop(&s);
		cr_skip_test("disk-full test needs root and mount namespaces");
	}
	cr_assert_eq(rc, 0, "webserv did not start");
	/* the server's view of full/ */
	snprintf(full, sizeof(full), "/proc/%d/root%s/full", (int)s.pid, s.dir);
	struct statvfs before, after;
	cr_assert_eq(statvfs(full, &before), 0);
	cr_assert_lt(before.f_blocks * before.f_frsize, 2u << 20,
		     "full/ is not the small tmpfs");

	put(s.port, "/full/small.txt", 100, 8, 0, 201);
	static const struct {
		const char *fmt;
		size_t chunk;
	} cases[] = {
	    {"PUT /full/big.bin HTTP/1.1\r\nHost: a\r\n"
	     "Content-Length: 3000000\r\n\r\n",
	     0},
	    {"PUT /full/big2.bin HTTP/1.1\r\nHost: a\r\n"
	     "Transfer-Encoding: chunked\r\n\r\n",
	     65536},
	    {"POST /full/ HTTP/1.1\r\nHost: a\r\n"
	     "Content-Length: 3000000\r\n\r\n",
	     0},
	    {"PUT /full/small.txt HTTP/1.1\r\nHost: a\r\n"
	     "Content-Length: 3000000\r\n\r\n",
	     0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(head, sizeof(head), "%s", cases[i].fmt);
		upload(s.port, head, 3000000, 9, cases[i].chunk, &r);
		cr_expect_eq(r.status, 507, "case %zu: %d", i, r.status);
		http_resp_free(&r);
	}
	/* only small.txt, intact; the space is free again */
	long deadline = hx_now_ms() + 2000;
	while (hx_list_dir(full, names, sizeof(names)) != 1 &&
	       hx_now_ms() < deadline)
		usleep(50000);
	cr_expect_eq(hx_list_dir(full, names, sizeof(names)), 1, "full/: %s",
		     names);
	cr_assert_eq(statvfs(full, &after), 0);
	cr_expect_gt(after.f_bfree * after.f_frsize,
		     before.f_bfree * before.f_frsize - 64 * 1024,
		     "space still used: %lu of %lu blocks free",
		     (unsigned long)after.f_bfree,
		     (unsigned long)before.f_bfree);
	char small[700];
	snprintf(small, sizeof(small), "%s/small.txt", full);
	cr_expect(hx_file_matches(small, 100, 8, NULL), "small.txt damaged");
	srv_stop(&s);
}
