/*
 * Integration tests of HTTP/2 (DESIGN.md §9, issue 14): curl
 * --http2-prior-knowledge and --http2 (ALPN), nghttp for concurrent
 * streams, h2load across reloads, and tests/integration/h2_probe.py
 * (python3-h2's hpack, raw frames) for protocol errors and floods.
 * Suite "http" (integration): `make unit` leaves it out.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness_extra.h"

#define H2_CFG                                                                 \
	"workers = 2;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"@DIR@/access.log\"; };\n"                     \
	"servers = (\n"                                                        \
	"  { listen = [ \"127.0.0.1:@PORT@ h2\", \"127.0.0.1:@PORT2@\" ];\n"   \
	"    server_names = [ \"localhost\" ];\n"                              \
	"    root = \"@DIR@/www\";\n"                                          \
	"    index = [ \"index.html\" ];\n"                                    \
	"    locations = ( { path = \"/\"; },\n"                               \
	"      { path = \"/d/\"; autoindex = true; },\n"                       \
	"      { path = \"/status\"; status = true; },\n"                      \
	"      { path = \"/up/\"; alias = \"@DIR@/up\"; upload_dir = "         \
	"\"@DIR@/up\";\n"                                                      \
	"        methods = [ \"GET\", \"PUT\", \"POST\", \"DELETE\" ];\n"      \
	"        client_max_body_size = \"3m\"; },\n"                          \
	"      { path = \"/old/\"; redirect = { code = 301; to = \"/\"; }; } " \
	");\n"                                                                 \
	"  }\n"                                                                \
	");\n"

#define H2_TLS_CFG                                                             \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"servers = (\n"                                                        \
	"  { listen = [ \"127.0.0.1:@PORT@ tls h2\", \"127.0.0.1:@PORT2@ "     \
	"tls\" ];\n"                                                           \
	"    server_names = [ \"localhost\" ];\n"                              \
	"    root = \"@DIR@/www\";\n"                                          \
	"    tls = { certificate = \"@DIR@/a.pem\"; key = \"@DIR@/a.key\"; "   \
	"}; }\n"                                                               \
	");\n"

#define BIG_SIZE (2u * 1024 * 1024 + 77)

static int h2_files(const char *dir)
{
	char *big = malloc(BIG_SIZE);
	int rc = 0;

	if (big == NULL)
		return -1;
	hx_fill(big, BIG_SIZE, 9, 0);
	rc |= write_file(dir, "www/big.bin", big, BIG_SIZE);
	free(big);
	rc |= write_file(dir, "www/d/a.txt", "a\n", -1);
	rc |= hx_mkdir(dir, "up");
	return rc;
}

static int tls_files(const char *dir)
{
	char cmd[1024], out[4096];

	snprintf(cmd, sizeof(cmd),
		 "cd %s && openssl req -x509 -newkey ec -pkeyopt "
		 "ec_paramgen_curve:P-256 -nodes -keyout a.key -out a.pem "
		 "-days 30 -subj /CN=localhost 2>&1",
		 dir);
	if (hx_sh(cmd, out, sizeof(out)) != 0)
		return -1;
	return h2_files(dir);
}

static int sh(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int sh(char *out, size_t cap, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return hx_sh(cmd, out, cap);
}

#define H2C "curl -sS --max-time 20 --http2-prior-knowledge "

Test(http, h2c_prior_knowledge_serves_like_http1, .fini = hx_fini,
     .timeout = 90)
{
	struct srv s;
	char out[8192], etag[256];

	cr_assert_eq(hx_start(&s, H2_CFG, h2_files), 0);
	cr_expect_eq(sh(out, sizeof(out),
			H2C "-w ' %%{http_version}' http://127.0.0.1:%d/ 2>&1",
			s.port),
		     0, "%s", out);
	cr_expect_str_eq(out, "hello\n 2");
	/* a file bigger than every window, byte for byte */
	cr_expect_eq(sh(out, sizeof(out),
			H2C "-o %s/got.bin http://127.0.0.1:%d/big.bin && cmp "
			    "%s/got.bin %s/www/big.bin && echo same",
			s.dir, s.port, s.dir, s.dir),
		     0, "%s", out);
	cr_expect_str_eq(out, "same\n");
	/* Range */
	cr_expect_eq(
	    sh(out, sizeof(out),
	       H2C "-r 1048570-1048579 -o %s/r.bin -w '%%{http_code}' "
		   "http://127.0.0.1:%d/big.bin && dd if=%s/www/big.bin "
		   "bs=1 skip=1048570 count=10 2>/dev/null | cmp - %s/r.bin "
		   "&& echo same",
	       s.dir, s.port, s.dir, s.dir),
	    0, "%s", out);
	cr_expect_str_eq(out, "206same\n");
	/* conditional: 304 without a body */
	cr_assert_eq(sh(out, sizeof(out),
			H2C "-I http://127.0.0.1:%d/ | tr -d '\\r' | "
			    "sed -n 's/^etag: //p'",
			s.port),
		     0, "%s", out);
	snprintf(etag, sizeof(etag), "%.*s", (int)strcspn(out, "\n"), out);
	cr_assert(etag[0] == '"', "etag: %s", out);
	cr_expect_eq(sh(out, sizeof(out),
			H2C "-H 'If-None-Match: %s' -o /dev/null -w "
			    "'%%{http_code} %%{size_download}' "
			    "http://127.0.0.1:%d/",
			etag, s.port),
		     0, "%s", out);
	cr_expect_str_eq(out, "304 0");
	/* errors, redirect, autoindex, HEAD (one curl per URL: curl 7.88
	 * fails to reuse an h2c connection, h2o's too) */
	cr_expect_eq(sh(out, sizeof(out),
			H2C "-o /dev/null -w '%%{http_code} ' "
			    "http://127.0.0.1:%d/nope && " H2C
			    "-o /dev/null -w '%%{http_code} ' "
			    "http://127.0.0.1:%d/old/x && " H2C
			    "http://127.0.0.1:%d/d/ | grep -c a.txt",
			s.port, s.port, s.port),
		     0, "%s", out);
	cr_expect_str_eq(out, "404 301 1\n");
	cr_expect_eq(sh(out, sizeof(out),
			H2C "-I -w '%%{size_download}' "
			    "http://127.0.0.1:%d/big.bin | tr -d '\\r' | grep "
			    "-E '^content-length|^[0-9]+$'",
			s.port),
		     0, "%s", out);
	cr_expect(strstr(out, "content-length: 2097229\n0") != NULL, "%s", out);
	/* HTTP/1.1 on the same port, and on the port without h2 the
	 * preface is no request */
	cr_expect_eq(sh(out, sizeof(out),
			"curl -sS --max-time 20 -w ' %%{http_version}' "
			"http://127.0.0.1:%d/",
			s.port),
		     0, "%s", out);
	cr_expect_str_eq(out, "hello\n 1.1");
	cr_expect_neq(sh(out, sizeof(out),
			 H2C "-o /dev/null http://127.0.0.1:%d/ 2>&1", s.port2),
		      0, "h2 on a listen without the flag: %s", out);
	/* the status page counts h2 connections and streams (9 curl runs
	 * over h2 above, one stream each; this one is the 10th) */
	cr_expect_eq(sh(out, sizeof(out),
			H2C "http://127.0.0.1:%d/status | grep HTTP/2", s.port),
		     0, "%s", out);
	cr_expect_str_eq(out, "HTTP/2 connections: 10\nHTTP/2 streams: 10\n");
	/* the access log says HTTP/2.0 */
	cr_expect_eq(sh(out, sizeof(out),
			"grep -c '\"GET /big.bin HTTP/2.0\" 200 2097229' "
			"%s/access.log",
			s.dir),
		     0, "%s", out);
	srv_stop(&s);
}

Test(http, h2_alpn_on_tls_h2_only, .fini = hx_fini, .timeout = 60)
{
	struct srv s;
	char out[4096];

	cr_assert_eq(hx_start(&s, H2_TLS_CFG, tls_files), 0);
	cr_expect_eq(
	    sh(out, sizeof(out),
	       "curl -sS -k --max-time 20 --http2 -o %s/got.bin -w "
	       "'%%{http_version}' https://127.0.0.1:%d/big.bin && cmp "
	       "%s/got.bin %s/www/big.bin && echo same",
	       s.dir, s.port, s.dir, s.dir),
	    0, "%s", out);
	cr_expect_str_eq(out, "2same\n");
	/* the DATA goes in full 16 KiB records, not each frame's header in
	 * a tiny record of its own */
	unsigned long body = 0, full = 0, small = 99999;
	cr_expect_eq(sh(out, sizeof(out),
			"timeout 60 /usr/bin/python3 \"$WEBSERV_SRC\"/tests/"
			"integration/h2_tls_records.py %d /big.bin",
			s.port),
		     0, "%s", out);
	cr_expect_eq(sscanf(out, "%lu %lu %lu", &body, &full, &small), 3, "%s",
		     out);
	cr_expect_eq(body, BIG_SIZE);
	cr_expect_geq(full, BIG_SIZE / 16384 - 4, "%s", out);
	cr_expect_leq(small, 8, "%s", out);
	/* http/1.1 is still offered there; the plain "tls" port offers
	 * only http/1.1 */
	cr_expect_eq(sh(out, sizeof(out),
			"curl -sS -k --max-time 20 --http1.1 -w "
			"' %%{http_version}' https://127.0.0.1:%d/ && curl -sS "
			"-k --max-time 20 --http2 -w ' %%{http_version}' "
			"https://127.0.0.1:%d/",
			s.port, s.port2),
		     0, "%s", out);
	cr_expect_str_eq(out, "hello\n 1.1hello\n 1.1");
	srv_stop(&s);
}

Test(http, h2_many_concurrent_streams, .fini = hx_fini, .timeout = 90)
{
	struct srv s;
	char out[16384];

	cr_assert_eq(hx_start(&s, H2_CFG, h2_files), 0);
	/* 40 streams of 2 MiB at once over one connection (nghttp -m) */
	cr_expect_eq(
	    sh(out, sizeof(out),
	       "timeout 60 nghttp -n -s -m 40 "
	       "http://127.0.0.1:%d/big.bin | grep -c ' 200 .*big.bin'",
	       s.port),
	    0, "%s", out);
	cr_expect_str_eq(out, "40\n");
	cr_expect_eq(
	    sh(out, sizeof(out),
	       "timeout 60 /usr/bin/python3 "
	       "\"$WEBSERV_SRC\"/tests/integration/h2_probe.py %d streams",
	       s.port),
	    0, "%s", out);
	/* the request id, new in every response, stays out of HPACK's
	 * table */
	cr_expect_eq(
	    sh(out, sizeof(out),
	       "timeout 60 /usr/bin/python3 "
	       "\"$WEBSERV_SRC\"/tests/integration/h2_probe.py %d request_id",
	       s.port),
	    0, "%s", out);
	srv_stop(&s);
}

/* Each hostile pattern is cut or refused, and the server serves on. */
Test(http, h2_protocol_errors_and_floods, .fini = hx_fini, .timeout = 180)
{
	static const char *const cases[] = {
	    "rapid_reset", "continuation", "ping",	    "settings",
	    "empty_data",  "priority",	   "header_bomb",   "conn_field",
	    "no_path",	   "upper_name",   "content_length"};
	struct srv s;
	char out[4096];

	cr_assert_eq(hx_start(&s, H2_CFG, h2_files), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(sh(out, sizeof(out),
				"timeout 60 /usr/bin/python3 "
				"\"$WEBSERV_SRC\"/tests/integration/"
				"h2_probe.py %d %s 2>&1",
				s.port, cases[i]),
			     0, "%s: %s", cases[i], out);
		cr_expect_eq(
		    sh(out, sizeof(out), H2C "http://127.0.0.1:%d/", s.port), 0,
		    "after %s: %s", cases[i], out);
		cr_expect_str_eq(out, "hello\n", "after %s", cases[i]);
	}
	srv_stop(&s);
}

/* h2load during each of 5 reloads: every request that started on a
 * connection the old generation holds ends (GOAWAY lets it finish, or
 * refuses the few sent after the final GOAWAY), none times out, none
 * gets an error status; after them h2load loses nothing.  h2load does not open
 * a new connection after a GOAWAY, so the requests it had not started by then
 * count as failed without ever being sent (h2o does the same). */
Test(reload, h2_reloads_finish_open_streams, .fini = hx_fini, .timeout = 180)
{
	struct srv s;
	char out[8192];
	unsigned started, done, ok;

	cr_assert_eq(hx_start(&s, H2_CFG, h2_files), 0);
	for (int i = 0; i < 5; i++) {
		char path[400];
		FILE *f;
		snprintf(path, sizeof(path), "%s/h2load.%d", s.dir, i);
		cr_assert_eq(sh(out, sizeof(out),
				"(timeout 100 h2load -n 100000 -c 10 -m 10 "
				"http://127.0.0.1:%d/ > %s 2>&1; echo end >> "
				"%s) </dev/null >/dev/null 2>&1 & sleep 0.3",
				s.port, path, path),
			     0);
		kill(s.pid, SIGHUP);
		cr_expect_eq(srv_wait_notify(&s, "READY=1", 10000), 0,
			     "reload %d did not complete", i);
		cr_assert_eq(
		    sh(out, sizeof(out),
		       "for t in $(seq 1000); do grep -q ^end %s && "
		       "break; sleep 0.1; done; grep -E '^(requests|status "
		       "codes):' %s",
		       path, path),
		    0, "%s", out);
		f = fmemopen(out, strlen(out), "r");
		cr_assert(f != NULL);
		cr_assert_eq(fscanf(f,
				    "requests: %*u total, %u started, %u "
				    "done, %u succeeded",
				    &started, &done, &ok),
			     3, "%s", out);
		fclose(f);
		/* none hangs; the few that crossed the final GOAWAY are
		 * refused (REFUSED_STREAM: never processed, safe to retry),
		 * the others succeed; no error status */
		cr_expect(started > 0 && started == done, "reload %d: %s", i,
			  out);
		cr_expect(ok > 0 && started - ok <= 10 * 10, "reload %d: %s", i,
			  out);
		cr_expect(strstr(out, "0 4xx, 0 5xx") != NULL, "%s", out);
		cr_expect(strstr(out, " 0 timeout") != NULL, "%s", out);
	}
	cr_expect_eq(sh(out, sizeof(out),
			"timeout 100 h2load -n 5000 -c 10 -m 10 "
			"http://127.0.0.1:%d/ | grep ^requests:",
			s.port),
		     0, "%s", out);
	cr_expect(strstr(out, "5000 succeeded, 0 failed") != NULL, "%s", out);
	srv_stop(&s);
}

/* Request bodies over HTTP/2 go to the same upload code: PUT (with and
 * without content-length), multipart POST, the size limit, DELETE. */
Test(http, h2_uploads_put_post_delete, .fini = hx_fini, .timeout = 90)
{
	struct srv s;
	char out[4096];

	cr_assert_eq(hx_start(&s, H2_CFG, h2_files), 0);
	/* Expect: 100-continue gets the interim 100 at once */
	cr_expect_eq(
	    sh(out, sizeof(out),
	       H2C "-o /dev/null -w '%%{http_code}' -T %s/www/big.bin "
		   "-v -H 'Expect: 100-continue' "
		   "http://127.0.0.1:%d/up/a.bin 2>%s/v && cmp %s/up/a.bin "
		   "%s/www/big.bin && echo same && grep -o -e "
		   "'^< HTTP/2 100' -e 'Done waiting' %s/v",
	       s.dir, s.port, s.dir, s.dir, s.dir, s.dir),
	    0, "%s", out);
	cr_expect_str_eq(out, "201same\n< HTTP/2 100\n");
	/* no content-length: the body's end is END_STREAM */
	cr_expect_eq(sh(out, sizeof(out),
			"cat %s/www/big.bin | " H2C
			"-o /dev/null -w '%%{http_code}' -T - "
			"http://127.0.0.1:%d/up/b.bin && cmp %s/up/b.bin "
			"%s/www/big.bin && echo same",
			s.dir, s.port, s.dir, s.dir),
		     0, "%s", out);
	cr_expect_str_eq(out, "201same\n");
	/* over client_max_body_size: 413, nothing kept */
	cr_expect_eq(sh(out, sizeof(out),
			"head -c 4000000 /dev/zero > %s/4m && " H2C
			"-o /dev/null -w '%%{http_code}' -T %s/4m "
			"http://127.0.0.1:%d/up/c.bin; ls %s/up",
			s.dir, s.dir, s.port, s.dir),
		     0, "%s", out);
	cr_expect_str_eq(out, "413a.bin\nb.bin\n");
	/* multipart POST, then DELETE */
	cr_expect_eq(sh(out, sizeof(out),
			"printf 'form file' > %s/f.txt && " H2C
			"-o /dev/null -w '%%{http_code} ' -F file=@%s/f.txt "
			"http://127.0.0.1:%d/up/ && cat %s/up/f.txt && " H2C
			"-o /dev/null -w ' %%{http_code}' -X DELETE "
			"http://127.0.0.1:%d/up/a.bin && ls %s/up",
			s.dir, s.dir, s.port, s.dir, s.port, s.dir),
		     0, "%s", out);
	cr_expect_str_eq(out, "201 form file 204b.bin\nf.txt\n");
	srv_stop(&s);
}

#define H2_CGI_CFG                                                             \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"@DIR@/access.log\"; };\n"                     \
	"servers = (\n"                                                        \
	"  { listen = [ \"127.0.0.1:@PORT@ h2\", \"127.0.0.1:@PORT2@\" ];\n"   \
	"    server_names = [ \"localhost\" ];\n"                              \
	"    root = \"@DIR@/www\";\n"                                          \
	"    locations = ( { path = \"/\"; },\n"                               \
	"      { path = \"/cgi/\"; alias = \"@DIR@/cgi\";\n"                   \
	"        methods = [ \"GET\", \"HEAD\", \"POST\" ];\n"                 \
	"        cgi_timeout = \"2s\";\n"                                      \
	"        cgi = ( { ext = \".sh\"; interpreter = \"/bin/sh\"; } ); } "  \
	");\n"                                                                 \
	"  }\n"                                                                \
	");\n"

/* env.sh: the protocol and the query; stream.sh: a body in pieces, paced
 * past the head hold; cut.sh: output, then exit 3; fail.sh: a head, then
 * exit 3 at once; redir.sh: a local redirect; slow.sh: nothing for
 * longer than cgi_timeout. */
static int cgi_files(const char *dir)
{
	int rc = h2_files(dir);

	rc |= write_file(dir, "www/index.html", "hello\n", -1);
	rc |= write_file(dir, "cgi/env.sh",
			 "printf 'Content-Type: text/plain\\nX-Script: "
			 "yes\\n\\n%s %s %s\\n' \"$SERVER_PROTOCOL\" "
			 "\"$REQUEST_METHOD\" \"$QUERY_STRING\"\n",
			 -1);
	rc |= write_file(dir, "cgi/stream.sh",
			 "printf 'Content-Type: text/plain\\n\\none\\n'\n"
			 "sleep 0.3\nprintf 'two\\n'\nsleep 0.3\n"
			 "head -c 300000 /dev/zero | tr '\\0' x\n",
			 -1);
	rc |= write_file(dir, "cgi/cut.sh",
			 "printf 'Content-Type: text/plain\\n\\npart\\n'\n"
			 "sleep 0.3\nprintf 'more\\n'\nexit 3\n",
			 -1);
	rc |= write_file(
	    dir, "cgi/fail.sh",
	    "printf 'Content-Type: text/plain\\n\\nx\\n'\nexit 3\n", -1);
	rc |=
	    write_file(dir, "cgi/redir.sh", "printf 'Location: /\\n\\n'\n", -1);
	rc |= write_file(dir, "cgi/status.sh",
			 "printf 'Status: 418 Teapot\\nContent-Type: "
			 "text/plain\\n\\ntea\\n'\n",
			 -1);
	rc |= write_file(dir, "cgi/slow.sh", "sleep 30\n", -1);
	return rc;
}

/* CGI over h2c: the script's stdout streams in DATA frames, Status: and
 * local redirects as over HTTP/1.1, SERVER_PROTOCOL HTTP/2.0; a script
 * failing after its output resets the stream (never END_STREAM), one
 * failing before it is a 502, one that says nothing a 504. */
Test(http, h2_cgi_get_head_stream_fail, .fini = hx_fini, .timeout = 90)
{
	struct srv s;
	char out[8192];

	cr_assert_eq(hx_start(&s, H2_CGI_CFG, cgi_files), 0);
	cr_expect_eq(sh(out, sizeof(out),
			H2C
			"-i http://127.0.0.1:%d/cgi/env.sh?a=1 2>&1 | tr -d "
			"'\\r' | grep -v '^date:'",
			s.port),
		     0, "%s", out);
	cr_expect(strstr(out, "HTTP/2 200") == out, "%s", out);
	cr_expect(strstr(out, "x-script: yes\n") != NULL, "%s", out);
	cr_expect(strstr(out, "\nHTTP/2.0 GET a=1\n") != NULL, "%s", out);
	/* HEAD: the head, no body */
	cr_expect_eq(sh(out, sizeof(out),
			H2C
			"-I -w '%%{size_download}' "
			"http://127.0.0.1:%d/cgi/env.sh 2>&1 | tr -d '\\r' | "
			"grep -e '^HTTP' -e '^x-script' -e '^[0-9]' | sed "
			"'s/ $//'",
			s.port),
		     0, "%s", out);
	cr_expect_str_eq(out, "HTTP/2 200\nx-script: yes\n0\n");
	/* streamed in pieces, byte for byte */
	cr_expect_eq(sh(out, sizeof(out),
			H2C
			"http://127.0.0.1:%d/cgi/stream.sh | md5sum; (printf "
			"'one\\ntwo\\n'; head -c 300000 /dev/zero | tr '\\0' "
			"x) | md5sum",
			s.port),
		     0, "%s", out);
	cr_expect(strlen(out) > 40 &&
		      memcmp(out, out + strlen(out) / 2, strlen(out) / 2) == 0,
		  "%s", out);
	/* Status: and a local redirect */
	cr_expect_eq(sh(out, sizeof(out),
			H2C
			"-w ' %%{http_code}' http://127.0.0.1:%d/cgi/status.sh "
			"&& " H2C "-w ' %%{http_code}' "
			"http://127.0.0.1:%d/cgi/redir.sh",
			s.port, s.port),
		     0, "%s", out);
	cr_expect_str_eq(out, "tea\n 418hello\n 200");
	/* failed after its output: the stream is reset, curl says so */
	sh(out, sizeof(out),
	   H2C "-w ' %%{http_code}' http://127.0.0.1:%d/cgi/cut.sh 2>&1; echo "
	       "\" rc=$?\"",
	   s.port);
	cr_expect(strstr(out, "part\n") != NULL, "%s", out);
	cr_expect(strstr(out, "INTERNAL_ERROR") != NULL ||
		      strstr(out, "rc=92") != NULL,
		  "%s", out);
	cr_expect(strstr(out, "rc=0") == NULL, "%s", out);
	/* failed before any output went: 502; no output in time: 504 */
	cr_expect_eq(sh(out, sizeof(out),
			H2C "-o /dev/null -w '%%{http_code}' "
			    "http://127.0.0.1:%d/cgi/fail.sh && " H2C
			    "-o /dev/null -w ' %%{http_code}' "
			    "http://127.0.0.1:%d/cgi/slow.sh",
			s.port, s.port),
		     0, "%s", out);
	cr_expect_str_eq(out, "502 504");
	/* the same over HTTP/1.1 on the other port still works */
	cr_expect_eq(sh(out, sizeof(out),
			"curl -sS --max-time 20 http://127.0.0.1:%d/cgi/env.sh",
			s.port2),
		     0, "%s", out);
	cr_expect_str_eq(out, "HTTP/1.1 GET \n");
	srv_stop(&s);
}

#define H2_CGI_BODY_CFG                                                        \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"servers = (\n"                                                        \
	"  { listen = [ \"127.0.0.1:@PORT@ h2\", \"127.0.0.1:@PORT2@ tls "     \
	"h2\" ];\n"                                                            \
	"    root = \"@DIR@/www\";\n"                                          \
	"    tls = { certificate = \"@DIR@/a.pem\"; key = \"@DIR@/a.key\"; "   \
	"};\n"                                                                 \
	"    locations = ( { path = \"/\"; },\n"                               \
	"      { path = \"/cgi/\"; alias = \"@DIR@/cgi\";\n"                   \
	"        methods = [ \"GET\", \"POST\" ];\n"                           \
	"        client_max_body_size = \"3m\"; cgi_timeout = \"30s\";\n"      \
	"        cgi = ( { ext = \".sh\"; interpreter = \"/bin/sh\"; } ); } "  \
	");\n"                                                                 \
	"  }\n"                                                                \
	");\n"

/* sum.sh: the body's length and checksum; echo.sh: the body back as it
 * reads it; early.sh: answers without reading; hold.sh: reads only once
 * the file go<query> exists; redir.sh: a local redirect; forever.sh:
 * writes its pid, never ends. */
static int cgi_body_files(const char *dir)
{
	int rc = tls_files(dir);

	rc |= write_file(dir, "www/index.html", "hello\n", -1);
	rc |= write_file(dir, "cgi/sum.sh",
			 "printf 'Content-Type: text/plain\\n\\n'\n"
			 "echo \"$CONTENT_LENGTH\"\nmd5sum\n",
			 -1);
	rc |= write_file(dir, "cgi/echo.sh",
			 "printf 'Content-Type: application/octet-stream\\n\\n'"
			 "\nexec cat\n",
			 -1);
	rc |=
	    write_file(dir, "cgi/early.sh",
		       "printf 'Content-Type: text/plain\\n\\nearly\\n'\n", -1);
	rc |= write_file(dir, "cgi/hold.sh",
			 "while [ ! -e \"go$QUERY_STRING\" ]; do sleep 0.05; "
			 "done\n"
			 "printf 'Content-Type: text/plain\\n\\n'\nwc -c\n",
			 -1);
	rc |=
	    write_file(dir, "cgi/redir.sh", "printf 'Location: /\\n\\n'\n", -1);
	rc |= write_file(dir, "cgi/forever.sh",
			 "echo $$ > pid.tmp && mv pid.tmp pid\n"
			 "while :; do sleep 0.05; done\n",
			 -1);
	return rc;
}

/* Request bodies reach scripts over h2: with content-length streamed
 * through the pipe, without it spooled first (CONTENT_LENGTH still set),
 * both directions at once, client_max_body_size as 413; a script that
 * does not read holds back only its own stream (flow control). */
Test(http, h2_cgi_request_bodies, .fini = hx_fini, .timeout = 150)
{
	struct srv s;
	char out[8192];

	cr_assert_eq(hx_start(&s, H2_CGI_BODY_CFG, cgi_body_files), 0);
	cr_assert_eq(sh(out, sizeof(out),
			"head -c 2500000 /dev/urandom > %s/body && md5sum < "
			"%s/body",
			s.dir, s.dir),
		     0);
	char sum[64];
	snprintf(sum, sizeof(sum), "%.32s", out);
	/* content-length: through the pipe */
	cr_expect_eq(sh(out, sizeof(out),
			H2C "--data-binary @%s/body "
			    "http://127.0.0.1:%d/cgi/sum.sh",
			s.dir, s.port),
		     0, "%s", out);
	cr_expect(strncmp(out, "2500000\n", 8) == 0 &&
		      strncmp(out + 8, sum, 32) == 0,
		  "%s (want %s)", out, sum);
	/* Expect: 100-continue: the interim 100 comes, the client does
	 * not wait for its own timeout (uploads: h2_uploads_put_post_delete) */
	cr_expect_eq(sh(out, sizeof(out),
			H2C
			"-v -H 'Expect: 100-continue' --data-binary @%s/body "
			"http://127.0.0.1:%d/cgi/sum.sh 2>&1 | grep -o -e "
			"'^< HTTP/2 100' -e 'Done waiting'",
			s.dir, s.port),
		     0, "%s", out);
	cr_expect_str_eq(out, "< HTTP/2 100\n");
	/* no content-length: spooled, the script still gets the length */
	cr_expect_eq(sh(out, sizeof(out),
			"cat %s/body | " H2C "-X POST -T - "
			"http://127.0.0.1:%d/cgi/sum.sh",
			s.dir, s.port),
		     0, "%s", out);
	cr_expect(strncmp(out, "2500000\n", 8) == 0 &&
		      strncmp(out + 8, sum, 32) == 0,
		  "%s (want %s)", out, sum);
	/* both directions streamed: the body comes back byte for byte */
	cr_expect_eq(sh(out, sizeof(out),
			H2C "--data-binary @%s/body "
			    "http://127.0.0.1:%d/cgi/echo.sh | md5sum",
			s.dir, s.port),
		     0, "%s", out);
	cr_expect(strncmp(out, sum, 32) == 0, "%s (want %s)", out, sum);
	/* over client_max_body_size, with and without content-length */
	cr_expect_eq(sh(out, sizeof(out),
			"head -c 4000000 /dev/zero > %s/4m && " H2C
			"-o /dev/null -w '%%{http_code}' --data-binary @%s/4m "
			"http://127.0.0.1:%d/cgi/sum.sh; cat %s/4m | " H2C
			"-o /dev/null -w ' %%{http_code}' -X POST -T - "
			"http://127.0.0.1:%d/cgi/sum.sh",
			s.dir, s.dir, s.port, s.dir, s.port),
		     0, "%s", out);
	cr_expect_str_eq(out, "413 413");
	/* a script that answers without reading, and a local redirect of a
	 * POST (served as a GET): the unread body is dropped, no hang.
	 * nghttp: curl 7.88 stops sending a body once the response is
	 * complete and then waits for ever (with nginx too) */
	cr_expect_eq(sh(out, sizeof(out),
			"timeout 20 nghttp -d %s/body "
			"http://127.0.0.1:%d/cgi/early.sh && timeout 20 nghttp "
			"-d %s/body http://127.0.0.1:%d/cgi/redir.sh",
			s.dir, s.port, s.dir, s.port),
		     0, "%s", out);
	cr_expect_str_eq(out, "early\nhello\n");
	/* a script that does not read: its window stalls, not the
	 * connection's */
	cr_expect_eq(sh(out, sizeof(out),
			"timeout 90 /usr/bin/python3 "
			"\"$WEBSERV_SRC\"/tests/integration/h2_probe.py %d "
			"cgi_window %s/cgi/go 2>&1",
			s.port, s.dir),
		     0, "%s", out);
	/* the same over TLS (ALPN h2), both directions */
	cr_expect_eq(
	    sh(out, sizeof(out),
	       "curl -sS --max-time 20 --http2 -k -w ' %%{http_version}' "
	       "--data-binary @%s/body https://127.0.0.1:%d/cgi/echo.sh "
	       "-o %s/back && md5sum < %s/back",
	       s.dir, s.port2, s.dir, s.dir),
	    0, "%s", out);
	cr_expect(strncmp(out, " 2", 2) == 0 && strncmp(out + 2, sum, 32) == 0,
		  "%s (want %s)", out, sum);
	/* a reset stream kills its script; one script too many: 503 */
	cr_expect_eq(
	    sh(out, sizeof(out),
	       "timeout 60 /usr/bin/python3 "
	       "\"$WEBSERV_SRC\"/tests/integration/h2_probe.py %d "
	       "cgi_reset %s/cgi/pid 2>&1 && timeout 90 /usr/bin/python3 "
	       "\"$WEBSERV_SRC\"/tests/integration/h2_probe.py %d "
	       "cgi_busy %s/cgi/go2 64 2>&1",
	       s.port, s.dir, s.port, s.dir),
	    0, "%s", out);
	srv_stop(&s);
}

#define H2_COMPRESS_CFG                                                        \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"servers = (\n"                                                        \
	"  { listen = [ \"127.0.0.1:@PORT@ h2\" ];\n"                          \
	"    root = \"@DIR@/www\";\n"                                          \
	"    locations = ( { path = \"/\"; compress = [ \"br\", \"gzip\" ];\n" \
	"        static_compressed = [ \"gzip\" ]; },\n"                       \
	"      { path = \"/cgi/\"; alias = \"@DIR@/cgi\";\n"                   \
	"        compress = [ \"gzip\" ];\n"                                   \
	"        cgi = ( { ext = \".sh\"; interpreter = \"/bin/sh\"; } ); } "  \
	");\n"                                                                 \
	"  }\n"                                                                \
	");\n"

/* page.html: 2 MB of compressible text (many pieces of the compressor);
 * pre.html with a pre.html.gz sibling; page.sh: page.html from a
 * script. */
static int compress_files(const char *dir)
{
	char cmd[1024], out[256];
	int rc = h2_files(dir);

	snprintf(
	    cmd, sizeof(cmd),
	    "cd %s && mkdir -p www cgi && seq 1 300000 | sed "
	    "'s/.*/<p>line & of a page<\\/p>/' > www/page.html && cp "
	    "www/page.html www/pre.html && gzip -k www/pre.html && "
	    "printf \"printf 'Content-Type: text/html\\\\\\\\n\\\\\\\\n'\\n"
	    "cat %s/www/page.html\\n\" > cgi/page.sh",
	    dir, dir);
	rc |= hx_sh(cmd, out, sizeof(out));
	return rc;
}

/* Compression over h2: on the fly (br, gzip) from files and scripts in
 * raw DATA (no chunked framing), precompressed siblings with their
 * length, identity for a client that accepts none. */
Test(http, h2_compression_and_siblings, .fini = hx_fini, .timeout = 90)
{
	struct srv s;
	char out[4096];

	cr_assert_eq(hx_start(&s, H2_COMPRESS_CFG, compress_files), 0);
	cr_expect_eq(
	    sh(out, sizeof(out),
	       "cd %s && " H2C "-H 'Accept-Encoding: gzip' -D h1 -o o.gz "
	       "http://127.0.0.1:%d/page.html && gunzip -c o.gz | cmp - "
	       "www/page.html && " H2C "-H 'Accept-Encoding: br' -D h2 -o o.br "
	       "http://127.0.0.1:%d/page.html && brotli -dc o.br | cmp - "
	       "www/page.html && grep -i -h -e '^content-encoding' -e "
	       "'^transfer-encoding' h1 h2 | tr -d '\\r'",
	       s.dir, s.port, s.port),
	    0, "%s", out);
	cr_expect_str_eq(out, "content-encoding: gzip\ncontent-encoding: br\n");
	/* the .gz sibling as it is, with its length */
	cr_expect_eq(
	    sh(out, sizeof(out),
	       "cd %s && " H2C "-H 'Accept-Encoding: gzip' -o o2.gz -w "
	       "'%%{size_download}' http://127.0.0.1:%d/pre.html && cmp "
	       "o2.gz www/pre.html.gz && stat -c ' %%s' www/pre.html.gz",
	       s.dir, s.port),
	    0, "%s", out);
	{
		unsigned got = 0, want = 1;
		cr_expect(sscanf(out, "%u %u", &got, &want) == 2 && got == want,
			  "%s", out);
	}
	/* a script's output compressed as it streams */
	cr_expect_eq(
	    sh(out, sizeof(out),
	       "cd %s && " H2C "-H 'Accept-Encoding: gzip' -D h3 -o c.gz "
	       "http://127.0.0.1:%d/cgi/page.sh && gunzip -c c.gz | cmp "
	       "- www/page.html && grep -i -c '^content-encoding: gzip' "
	       "h3",
	       s.dir, s.port),
	    0, "%s", out);
	cr_expect_str_eq(out, "1\n");
	/* no Accept-Encoding: identity, byte for byte */
	cr_expect_eq(
	    sh(out, sizeof(out),
	       "cd %s && " H2C "-D h4 http://127.0.0.1:%d/page.html | "
	       "cmp - www/page.html && grep -i -c '^content-encoding' h4",
	       s.dir, s.port),
	    1, "%s", out);
	cr_expect_str_eq(out, "0\n");
	srv_stop(&s);
}
