/*
 * test_router.c - virtual host selection (names, case, ports, trailing
 * dot, IPv6 literals, default_server against first) and location choice
 * (longest prefix on a segment boundary).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "router.h"

/*
 * Listen addresses 0, 1, 2.  Servers, in config order:
 *   alpha   on 0        names alpha.test
 *   beta    on 0, 1     names beta.test, [::1]      default_server
 *   gamma   on 0, 2     names gamma.test
 *   delta   on 2        names delta.test
 *   epsilon on 1        names epsilon.test, [::2]
 */
static size_t on0[] = {0}, on01[] = {0, 1}, on02[] = {0, 2}, on2[] = {2},
	      on1[] = {1};
static char *alpha_names[] = {"alpha.test"};
static char *beta_names[] = {"beta.test", "[::1]"};
static char *gamma_names[] = {"gamma.test"};
static char *delta_names[] = {"delta.test"};
static char *epsilon_names[] = {"epsilon.test", "[::2]"};

#define SRV(l, n, def)                                                         \
	{                                                                      \
		.listens = l, .listen_count = sizeof(l) / sizeof(l[0]),        \
		.names = n, .name_count = sizeof(n) / sizeof(n[0]),            \
		.default_server = def                                          \
	}

static struct server servers[] = {
    SRV(on0, alpha_names, false),   SRV(on01, beta_names, true),
    SRV(on02, gamma_names, false),  SRV(on2, delta_names, false),
    SRV(on1, epsilon_names, false),
};

enum { ALPHA, BETA, GAMMA, DELTA, EPSILON };

static const struct config cfg = {
    .servers = servers,
    .server_count = sizeof(servers) / sizeof(servers[0]),
    .listen_count = 3,
};

struct vhost_case {
	size_t listen_idx;
	const char *host;
	int want;
};

static const struct vhost_case vhost_cases[] = {
    {0, "alpha.test", ALPHA},
    {0, "ALPHA.Test", ALPHA},	   /* case-insensitive */
    {0, "alpha.test:8080", ALPHA}, /* port ignored */
    {0, "alpha.test.", ALPHA},	   /* FQDN trailing dot */
    {0, "Alpha.Test.:8080", ALPHA},
    {0, "alpha.test..", BETA}, /* only one dot goes */
    {0, "alpha", BETA},	       /* exact, not prefix */
    {0, "alpha.testx", BETA},
    {0, "xalpha.test", BETA},
    {0, "gamma.test", GAMMA},
    {0, "unknown.test", BETA}, /* default_server */
    {0, "", BETA},	       /* no Host (HTTP/1.0) */
    {0, ":8080", BETA},
    {1, "alpha.test", BETA}, /* alpha not on 1 */
    {1, "epsilon.test", EPSILON},
    {1, "[::1]:8080", BETA}, /* IPv6 literal with port */
    {1, "[::1]", BETA},
    {1, "[::2]:8080", EPSILON},
    {1, "[::2]", EPSILON},	/* ':' inside [] is no port */
    {1, "[::2", BETA},		/* unterminated literal */
    {2, "unknown.test", GAMMA}, /* no default: first on 2 */
    {2, "delta.test:9090", DELTA},
    {2, "beta.test", GAMMA}, /* beta not on 2 */
    {2, "", GAMMA},
};

Test(router, vhost_table)
{
	for (size_t i = 0; i < sizeof(vhost_cases) / sizeof(vhost_cases[0]);
	     i++) {
		const struct vhost_case *c = &vhost_cases[i];
		struct slice host = {c->host, strlen(c->host)};
		const struct server *srv =
		    router_server(&cfg, c->listen_idx, host);

		cr_expect_eq(srv, &servers[c->want],
			     "listen %zu host \"%s\": server %td, want %d",
			     c->listen_idx, c->host, srv ? srv - servers : -1,
			     c->want);
	}
}

/* The Host slice is not NUL-terminated in the parser's buffer. */
Test(router, vhost_host_not_terminated)
{
	const char buf[] = "delta.testXYZ";
	struct slice host = {buf, 10};

	cr_expect_eq(router_server(&cfg, 2, host), &servers[DELTA]);
	host.len = 9;
	cr_expect_eq(router_server(&cfg, 2, host), &servers[GAMMA]);
}

struct host_name_case {
	const char *host;
	const char *name;
};

static const struct host_name_case host_name_cases[] = {
    {"example.test", "example.test"},
    {"example.test:80", "example.test"},
    {"example.test.", "example.test"},
    {"example.test.:80", "example.test"},
    {"[::1]:8080", "[::1]"},
    {"[::1]", "[::1]"},
    {"[fe80::1:2]:1", "[fe80::1:2]"},
    {"127.0.0.1:8080", "127.0.0.1"},
    {":80", ""},
    {"", ""},
};

Test(router, host_name)
{
	for (size_t i = 0;
	     i < sizeof(host_name_cases) / sizeof(host_name_cases[0]); i++) {
		const struct host_name_case *c = &host_name_cases[i];
		struct slice in = {c->host, strlen(c->host)};
		struct slice out = router_host_name(in);

		cr_expect_eq(out.len, strlen(c->name), "\"%s\"", c->host);
		cr_expect_eq(memcmp(out.ptr, c->name, out.len), 0, "\"%s\"",
			     c->host);
	}
}

/* Longest first, as config.c sorts them. */
#define LOC(p)                                                                 \
	{                                                                      \
		.path = p, .path_len = sizeof(p) - 1                           \
	}
static struct location locations[] = {
    LOC("/uploads/"), LOC("/cgi-bin/"), LOC("/status"), LOC("/a/b/"),
    LOC("/up/"),      LOC("/a/"),	LOC("/"),
};

static const struct server loc_server = {
    .locations = locations,
    .location_count = sizeof(locations) / sizeof(locations[0]),
};

struct loc_case {
	const char *path;
	const char *want;
};

static const struct loc_case loc_cases[] = {
    {"/uploads/x", "/uploads/"},
    {"/uploads/", "/uploads/"},
    {"/uploads/a/b/c", "/uploads/"},
    {"/uploads", "/"}, /* "/uploads/" needs the slash */
    {"/uploadsx", "/"},
    {"/status", "/status"},
    {"/status/", "/status"},
    {"/status/x", "/status"},
    {"/statusbar", "/"}, /* not a segment boundary */
    {"/up", "/"},
    {"/up/", "/up/"},
    {"/up/x", "/up/"},
    {"/upx", "/"},
    {"/a/b/c", "/a/b/"}, /* the longer of two */
    {"/a/b/", "/a/b/"},
    {"/a/b", "/a/"},
    {"/a/bc", "/a/"},
    {"/a/", "/a/"},
    {"/a", "/"},
    {"/", "/"},
    {"/cgi-bin/app.py/extra", "/cgi-bin/"},
    {"/CGI-BIN/app.py", "/"}, /* paths are case-sensitive */
};

Test(router, location_table)
{
	for (size_t i = 0; i < sizeof(loc_cases) / sizeof(loc_cases[0]); i++) {
		const struct loc_case *c = &loc_cases[i];
		const struct location *loc =
		    router_location(&loc_server, c->path, strlen(c->path));

		cr_assert_not_null(loc, "%s", c->path);
		cr_expect_str_eq(loc->path, c->want, "path %s", c->path);
	}
}

/* Only len bytes of the path count. */
Test(router, location_uses_len)
{
	const char *path = "/statusbar";

	cr_expect_str_eq(router_location(&loc_server, path, 7)->path,
			 "/status");
	cr_expect_str_eq(router_location(&loc_server, path, 10)->path, "/");
	cr_expect_str_eq(router_location(&loc_server, "/up/", 3)->path, "/");
}

struct prefix_case {
	const char *lp;
	const char *path;
	bool match;
};

static const struct prefix_case prefix_cases[] = {
    {"/", "/", true},	   {"/", "/anything", true}, {"/x", "/x", true},
    {"/x", "/x/", true},   {"/x", "/xy", false},     {"/x/", "/x", false},
    {"/x/", "/x/y", true}, {"/x/y", "/x", false},    {"/x", "/X", false},
};

Test(router, prefix_match)
{
	for (size_t i = 0; i < sizeof(prefix_cases) / sizeof(prefix_cases[0]);
	     i++) {
		const struct prefix_case *c = &prefix_cases[i];

		cr_expect_eq(router_prefix_match(c->lp, strlen(c->lp), c->path,
						 strlen(c->path)),
			     c->match, "\"%s\" on \"%s\"", c->lp, c->path);
	}
}
