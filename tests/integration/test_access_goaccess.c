/*
 * The default access-log format is nginx's "combined": Debian's goaccess
 * with --log-format=COMBINED parses every line webserv wrote, hostile
 * request lines and User-Agents included, with 0 failures.  The real
 * binary on 127.0.0.1, a free port, a temp dir; goaccess is a TEST_TOOL.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "harness_extra.h"

#define GA_CFG                                                                 \
	"workers = 1;\n"                                                       \
	"pid_file = \"@DIR@/webserv.pid\";\n"                                  \
	"error_log = \"@DIR@/error.log\";\n"                                   \
	"http = { access_log = \"@DIR@/access.log\"; };\n"                     \
	"servers = ( { listen = [ \"127.0.0.1:@PORT@\" ];\n"                   \
	"  root = \"@DIR@/www\"; } );\n"

Test(access_log, combined_parses_in_goaccess, .fini = hx_fini)
{
	static const char *const reqs[] = {
	    "GET /index.html HTTP/1.1\r\nHost: localhost\r\n"
	    "Connection: close\r\n\r\n",
	    "GET /missing?q=%22x%22 HTTP/1.1\r\nHost: localhost\r\n"
	    "User-Agent: evil \"quoted\" \\ back\xc3\xa9\r\n"
	    "Referer: http://x/\"\r\nConnection: close\r\n\r\n",
	    "HEAD / HTTP/1.0\r\n\r\n",
	    "GET / HTTP/1.1\r\n\r\n", /* 400: no Host */
	    "GET /\"a\"b HTTP/1.1\r\nHost: localhost\r\n"
	    "Connection: close\r\n\r\n",
	};
	struct srv s;
	char cmd[1024], out[4096] = "";
	int n = (int)(sizeof(reqs) / sizeof(reqs[0]));

	cr_assert_eq(hx_start(&s, GA_CFG, NULL), 0, "no start");
	for (int i = 0; i < n; i++)
		cr_assert_geq(hx_status(s.port, reqs[i]), 100, "request %d", i);
	/* stopped (every line written), the temp dir kept for goaccess */
	cr_assert_eq(kill(s.pid, SIGTERM), 0);
	cr_assert_eq(srv_wait_exit(&s, 15000), 0);

	snprintf(
	    cmd, sizeof(cmd),
	    "cd '%s' && timeout 60 goaccess access.log "
	    "--log-format=COMBINED --no-global-config -o report.json "
	    "</dev/null >goaccess.out 2>&1; python3 -c "
	    "'import json; g=json.load(open(\"report.json\"))[\"general\"]; "
	    "print(g[\"valid_requests\"], g[\"failed_requests\"])' "
	    "2>&1 || cat goaccess.out",
	    s.dir);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t got = fread(out, 1, sizeof(out) - 1, p);
	out[got] = '\0';
	cr_expect_eq(pclose(p), 0);
	int valid = -1, failed = -1;
	cr_assert_eq(sscanf(out, "%d %d", &valid, &failed), 2, "%s", out);
	cr_expect_eq(failed, 0, "goaccess failed on %d lines", failed);
	cr_expect_eq(valid, n, "valid %d of %d", valid, n);
	srv_stop(&s); /* removes the temp dir */
}
