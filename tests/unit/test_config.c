/*
 * test_config.c - config_load(): schema, defaults, inheritance, @include,
 * relative paths, location order, and every error with its FILE:LINE.
 * Each test writes its config into a fresh mkdtemp directory; expected
 * line numbers are found in the config text itself (line_of), never taken
 * from the loader's output.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_fixture.h"
#include "method.h"

static void setup(void)
{
	fixture_start("wscfg");
	mkdir_in("up");
	mkdir_in("cgi");
	mkdir_in("conf.d");
	put("plain.txt", "not a directory\n");
	put("noexec.sh", "#!/bin/sh\n");
	char path[256];
	snprintf(path, sizeof(path), "%s/noexec.sh", dir);
	cr_assert_eq(chmod(path, 0644), 0);
}

TestSuite(config, .init = setup, .fini = teardown);

/* From LeakSanitizer when the build has it (ASan): non-zero on a leak.
 * Criterion passes a test whose process merely leaked at exit, so the
 * tests ask after every free and every load (only cfg and errors, both
 * reachable, may be held then). */
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

static void assert_no_leak(void)
{
	if (__lsan_do_recoverable_leak_check != NULL)
		cr_assert_eq(__lsan_do_recoverable_leak_check(), 0,
			     "memory leaked: see the LeakSanitizer report");
}

static struct config *load_file(const char *name)
{
	char path[256];

	config_free(cfg);
	free(errors);
	cfg = NULL;
	errors = NULL;
	assert_no_leak();
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cfg = config_load(path, &errors);
	assert_no_leak();
	if (cfg != NULL)
		cr_assert_null(errors);
	else
		cr_assert_not_null(errors);
	return cfg;
}

static struct config *load_ok(const char *text)
{
	put("webserv.cfg", text);
	load_file("webserv.cfg");
	cr_assert_not_null(cfg, "unexpected errors:\n%s", errors);
	return cfg;
}

static void load_bad(const char *text)
{
	put("webserv.cfg", text);
	load_file("webserv.cfg");
	cr_assert_null(cfg, "expected errors, config loaded");
}

/* 1-based line of the first line of text containing marker. */
/* Some line of errors starts with "DIR/file:line: " and holds needle. */
static void expect_error(const char *file, int line, const char *needle)
{
	char prefix[320];
	const char *p = errors;

	cr_assert_not_null(errors);
	snprintf(prefix, sizeof(prefix), "%s/%s:%d: ", dir, file, line);
	for (; p != NULL && *p != '\0'; p = strchr(p, '\n') + 1) {
		const char *end = strchr(p, '\n');
		cr_assert_not_null(end, "error text must end in a newline");
		if (strncmp(p, prefix, strlen(prefix)) != 0)
			continue;
		if (memmem(p, (size_t)(end - p), needle, strlen(needle)))
			return;
	}
	cr_assert_fail("no error \"%s...%s\" in:\n%s", prefix, needle, errors);
}

static void expect_at(const char *text, const char *marker, const char *needle)
{
	expect_error("webserv.cfg", line_of(text, marker), needle);
}

static size_t error_lines(void)
{
	size_t n = 0;

	for (const char *p = errors; p && *p; p++)
		n += *p == '\n';
	return n;
}

static void expect_path(const char *got, const char *rel)
{
	char want[256];

	snprintf(want, sizeof(want), "%s/%s", dir, rel);
	cr_assert_not_null(got, "path for %s is NULL", rel);
	cr_assert_str_eq(got, want);
}

static const struct location *find_loc(const struct server *srv,
				       const char *path)
{
	for (size_t i = 0; i < srv->location_count; i++)
		if (strcmp(srv->locations[i].path, path) == 0)
			return &srv->locations[i];
	cr_assert_fail("no location %s", path);
	return NULL;
}

#define GET_HEAD (METHOD_BIT(HTTP_GET) | METHOD_BIT(HTTP_HEAD))
#define WRITES                                                                 \
	(METHOD_BIT(HTTP_POST) | METHOD_BIT(HTTP_PUT) | METHOD_BIT(HTTP_DELETE))

/* ---- defaults ------------------------------------------------------------ */

Test(config, defaults_minimal)
{
	const char *text = "servers = ( {\n"
			   "  listen = [ \"8080\" ];\n"
			   "  root = \"www\";\n"
			   "} );\n";
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	load_ok(text);
	cr_assert_eq(cfg->workers, (unsigned)(cpus < 1 ? 1 : cpus));
	cr_assert_null(cfg->pid_file);
	cr_assert_str_eq(cfg->error_log, "stderr");
	cr_assert_eq(cfg->log_level, LOG_LEVEL_INFO);
	cr_assert_null(cfg->user);
	cr_assert_null(cfg->group);
	cr_assert_null(cfg->access_log);
	cr_assert_eq(cfg->header_buffer, 8 * 1024);
	cr_assert_eq(cfg->client_max_body_size, 1024 * 1024);
	cr_assert_eq(cfg->max_connections, 10000);
	cr_assert_eq(cfg->timeouts.keepalive, 15000);
	cr_assert_eq(cfg->timeouts.header, 10000);
	cr_assert_eq(cfg->timeouts.body, 30000);
	cr_assert_eq(cfg->timeouts.send, 30000);
	cr_assert_eq(cfg->timeouts.cgi, 30000);
	cr_assert_eq(cfg->timeouts.shutdown, 30000);
	cr_assert_not_null(cfg->mime);
	expect_path(cfg->path, "webserv.cfg");

	cr_assert_eq(cfg->server_count, 1);
	const struct server *srv = &cfg->servers[0];
	cr_assert_eq(srv->line, line_of(text, "{"));
	cr_assert_eq(srv->name_count, 0);
	cr_assert_eq(srv->default_server, false);
	cr_assert_eq(srv->location_count, 1);
	const struct location *loc = &srv->locations[0];
	cr_assert_str_eq(loc->path, "/");
	cr_assert_eq(loc->path_len, 1);
	expect_path(loc->root, "www");
	cr_assert_null(loc->alias);
	cr_assert_eq(loc->index_count, 1);
	cr_assert_str_eq(loc->index[0], "index.html");
	cr_assert_eq(loc->autoindex, false);
	cr_assert_eq(loc->methods, GET_HEAD);
	cr_assert_eq(loc->redirect_code, 0);
	cr_assert_null(loc->upload_dir);
	cr_assert_eq(loc->cgi_count, 0);
	cr_assert_eq(loc->error_page_count, 0);
	cr_assert_eq(loc->allow_count, 0);
	cr_assert_eq(loc->status, false);
	cr_assert_eq(loc->client_max_body_size, 1024 * 1024);
	cr_assert_eq(loc->timeouts.keepalive, 15000);
	cr_assert_eq(loc->timeouts.cgi, 30000);
}

Test(config, workers_values)
{
	static const struct {
		const char *value;
		long want; /* -1: CPUs */
	} cases[] = {
	    {"\"auto\"", -1}, {"0", -1}, {"1", 1}, {"3", 3}, {"1024", 1024},
	};
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text),
			 "workers = %s;\nservers = ( { "
			 "listen = [ \"8080\" ]; root = \"www\"; } );\n",
			 cases[i].value);
		load_ok(text);
		cr_assert_eq(
		    cfg->workers,
		    (unsigned)(cases[i].want < 0 ? cpus : cases[i].want),
		    "workers = %s", cases[i].value);
	}
}

Test(config, methods_defaults)
{
	load_ok("servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
		"  locations = (\n"
		"    { path = \"/up/\"; upload_dir = \"up\"; },\n"
		"    { path = \"/cgi/\"; cgi = ( { ext = \".sh\"; "
		"interpreter = \"/bin/sh\"; } ); },\n"
		"    { path = \"/both/\"; upload_dir = \"up\"; cgi = ( { ext = "
		"\".sh\"; interpreter = \"/bin/sh\"; } ); },\n"
		"    { path = \"/plain/\"; }\n"
		"  ); } );\n");
	const struct server *srv = &cfg->servers[0];
	cr_assert_eq(find_loc(srv, "/up/")->methods, GET_HEAD | WRITES);
	cr_assert_eq(find_loc(srv, "/cgi/")->methods,
		     GET_HEAD | METHOD_BIT(HTTP_POST));
	cr_assert_eq(find_loc(srv, "/both/")->methods, GET_HEAD | WRITES);
	cr_assert_eq(find_loc(srv, "/plain/")->methods, GET_HEAD);
	cr_assert_eq(find_loc(srv, "/")->methods, GET_HEAD);
	expect_path(find_loc(srv, "/up/")->upload_dir, "up");
	cr_assert_eq(find_loc(srv, "/cgi/")->cgi_count, 1);
	cr_assert_str_eq(find_loc(srv, "/cgi/")->cgi[0].ext, ".sh");
	cr_assert_str_eq(find_loc(srv, "/cgi/")->cgi[0].interpreter, "/bin/sh");
}

Test(config, explicit_methods_beat_defaults)
{
	load_ok("servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
		"  methods = [ \"GET\" ];\n"
		"  locations = ( { path = \"/up/\"; upload_dir = \"up\"; },\n"
		"    { path = \"/x/\"; methods = [ \"GET\", \"OPTIONS\", "
		"\"DELETE\" ]; } ); } );\n");
	const struct server *srv = &cfg->servers[0];
	cr_assert_eq(find_loc(srv, "/up/")->methods, GET_HEAD);
	cr_assert_eq(find_loc(srv, "/")->methods, GET_HEAD);
	cr_assert_eq(find_loc(srv, "/x/")->methods,
		     GET_HEAD | METHOD_BIT(HTTP_OPTIONS) |
			 METHOD_BIT(HTTP_DELETE));
}

/* nginx: client_max_body_size 0 disables the check */
Test(config, body_size_zero_is_no_limit)
{
	load_ok(
	    "http = { client_max_body_size = 0; };\n"
	    "servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
	    "  locations = ( { path = \"/z/\"; client_max_body_size = "
	    "\"0\"; },\n"
	    "    { path = \"/k/\"; client_max_body_size = \"1k\"; } ); } );\n");
	const struct server *srv = &cfg->servers[0];
	cr_assert_eq(cfg->client_max_body_size, SIZE_MAX);
	cr_assert_eq(find_loc(srv, "/")->client_max_body_size, SIZE_MAX);
	cr_assert_eq(find_loc(srv, "/z/")->client_max_body_size, SIZE_MAX);
	cr_assert_eq(find_loc(srv, "/k/")->client_max_body_size, 1024);
}

/* RFC 9110 §9.1: GET brings HEAD; nothing else brings anything */
Test(config, get_brings_head_and_nothing_else_does)
{
	load_ok("servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
		"  locations = ( { path = \"/g/\"; methods = [ \"GET\" ]; },\n"
		"    { path = \"/d/\"; methods = [ \"DELETE\", \"POST\" ]; "
		"} ); } );\n");
	const struct server *srv = &cfg->servers[0];
	cr_assert_eq(find_loc(srv, "/g/")->methods, GET_HEAD);
	cr_assert_eq(find_loc(srv, "/d/")->methods,
		     METHOD_BIT(HTTP_DELETE) | METHOD_BIT(HTTP_POST));
}

/* ---- inheritance -----------------------------------------------------------
 */

Test(config, inherit_http_server_location)
{
	mkdir_in("www/s");
	mkdir_in("www/l");
	load_ok(
	    "http = {\n"
	    "  root = \"www\"; index = [ \"a.html\" ]; autoindex = true;\n"
	    "  error_pages = ( { codes = [ 404 ]; uri = \"/h404.html\"; } );\n"
	    "  client_max_body_size = \"2k\"; methods = [ \"GET\" ];\n"
	    "  allow = [ \"10.0.0.0/8\" ]; body_timeout = 7;\n"
	    "};\n"
	    "servers = (\n"
	    "  { listen = [ \"8080\" ];\n"
	    "    locations = ( { path = \"/l/\"; root = \"www/l\"; } ); },\n"
	    "  { listen = [ \"8081\" ]; root = \"www/s\"; index = [ \"s.html\","
	    " \"t.html\" ];\n"
	    "    autoindex = false; client_max_body_size = 300;\n"
	    "    error_pages = ( { codes = [ 500, 502 ]; uri = \"/s5.html\"; } "
	    ");\n"
	    "    methods = [ \"GET\", \"POST\" ]; allow = [ \"::1\" ];\n"
	    "    locations = ( { path = \"/l/\"; index = [ \"l.html\" ];\n"
	    "      autoindex = true; client_max_body_size = \"1m\";\n"
	    "      error_pages = ( { codes = [ 403 ]; uri = \"/l403.html\"; } "
	    ");\n"
	    "      methods = [ \"PUT\" ]; allow = [ \"127.0.0.1\", \"::1\" ]; "
	    "} ); }\n"
	    ");\n");
	cr_assert_eq(cfg->client_max_body_size, 2048);
	cr_assert_eq(cfg->timeouts.body, 7000);

	/* Server 1 sets nothing: its "/" is http's; its /l/ only changes root.
	 */
	const struct server *s1 = &cfg->servers[0];
	const struct location *l = find_loc(s1, "/");
	expect_path(l->root, "www");
	cr_assert_eq(l->index_count, 1);
	cr_assert_str_eq(l->index[0], "a.html");
	cr_assert(l->autoindex);
	cr_assert_eq(l->error_page_count, 1);
	cr_assert_eq(l->error_pages[0].code, 404);
	cr_assert_str_eq(l->error_pages[0].uri, "/h404.html");
	cr_assert_eq(l->client_max_body_size, 2048);
	cr_assert_eq(l->methods, GET_HEAD);
	cr_assert_eq(l->allow_count, 1);
	cr_assert_eq(l->allow[0].family, AF_INET);
	cr_assert_eq(l->allow[0].prefix, 8);
	cr_assert_eq(l->timeouts.body, 7000);
	l = find_loc(s1, "/l/");
	expect_path(l->root, "www/l");
	cr_assert_str_eq(l->index[0], "a.html");
	cr_assert_eq(l->methods, GET_HEAD);

	/* Server 2 overrides everything; its location again. */
	const struct server *s2 = &cfg->servers[1];
	l = find_loc(s2, "/");
	expect_path(l->root, "www/s");
	cr_assert_eq(l->index_count, 2);
	cr_assert_str_eq(l->index[1], "t.html");
	cr_assert_not(l->autoindex);
	cr_assert_eq(l->client_max_body_size, 300);
	cr_assert_eq(l->error_page_count, 2);
	cr_assert_eq(l->error_pages[0].code, 500);
	cr_assert_eq(l->error_pages[1].code, 502);
	cr_assert_str_eq(l->error_pages[1].uri, "/s5.html");
	cr_assert_eq(l->methods, GET_HEAD | METHOD_BIT(HTTP_POST));
	cr_assert_eq(l->allow_count, 1);
	cr_assert_eq(l->allow[0].family, AF_INET6);
	l = find_loc(s2, "/l/");
	expect_path(l->root, "www/s");
	cr_assert_eq(l->index_count, 1);
	cr_assert_str_eq(l->index[0], "l.html");
	cr_assert(l->autoindex);
	cr_assert_eq(l->client_max_body_size, 1024 * 1024);
	cr_assert_eq(l->error_page_count, 1, "lists are replaced, not merged");
	cr_assert_eq(l->error_pages[0].code, 403);
	cr_assert_eq(l->methods, METHOD_BIT(HTTP_PUT));
	cr_assert_eq(l->allow_count, 2);
	cr_assert_eq(l->timeouts.body, 7000);
}

Test(config, alias_replaces_inherited_root)
{
	load_ok(
	    "servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
	    "  locations = ( { path = \"/cgi-bin/\"; alias = \"cgi/\"; } ); "
	    "} );\n");
	const struct location *l = find_loc(&cfg->servers[0], "/cgi-bin/");
	expect_path(l->alias, "cgi");
	cr_assert_null(l->root);
	expect_path(find_loc(&cfg->servers[0], "/")->root, "www");
}

Test(config, timeouts_at_each_level)
{
	load_ok("http = { keepalive_timeout = 1; header_timeout = \"2s\";\n"
		"  body_timeout = \"500ms\"; send_timeout = \"2m\";\n"
		"  cgi_timeout = 9; shutdown_timeout = \"1h\"; };\n"
		"servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
		"  header_timeout = 3; cgi_timeout = \"4s\";\n"
		"  locations = ( { path = \"/a/\"; cgi_timeout = \"250ms\";\n"
		"    keepalive_timeout = 0; send_timeout = 5;\n"
		"    shutdown_timeout = 0; body_timeout = 6; } ); } );\n");
	cr_assert_eq(cfg->timeouts.keepalive, 1000);
	cr_assert_eq(cfg->timeouts.header, 2000);
	cr_assert_eq(cfg->timeouts.body, 500);
	cr_assert_eq(cfg->timeouts.send, 120000);
	cr_assert_eq(cfg->timeouts.cgi, 9000);
	cr_assert_eq(cfg->timeouts.shutdown, 3600000);
	const struct location *l = find_loc(&cfg->servers[0], "/");
	cr_assert_eq(l->timeouts.keepalive, 1000);
	cr_assert_eq(l->timeouts.header, 3000);
	cr_assert_eq(l->timeouts.cgi, 4000);
	cr_assert_eq(l->timeouts.send, 120000);
	l = find_loc(&cfg->servers[0], "/a/");
	cr_assert_eq(l->timeouts.keepalive, 0);
	cr_assert_eq(l->timeouts.header, 3000);
	cr_assert_eq(l->timeouts.body, 6000);
	cr_assert_eq(l->timeouts.send, 5000);
	cr_assert_eq(l->timeouts.cgi, 250);
	cr_assert_eq(l->timeouts.shutdown, 0);
}

Test(config, http_only_settings)
{
	load_ok("http = { header_buffer = \"16k\"; max_connections = 50;\n"
		"  client_max_body_size = 12345; };\n"
		"servers = ( { listen = [ \"8080\" ]; root = \"www\"; } );\n");
	cr_assert_eq(cfg->header_buffer, 16384);
	cr_assert_eq(cfg->max_connections, 50);
	cr_assert_eq(cfg->client_max_body_size, 12345);
	cr_assert_eq(cfg->servers[0].locations[0].client_max_body_size, 12345);
}

/* ---- @include and paths -----------------------------------------------------
 */

Test(config, include_relative_to_config_dir)
{
	put("conf.d/http.cfg", "http = { max_connections = 77; };\n");
	put("conf.d/servers.cfg",
	    "servers = ( { listen = [ \"8080\" ]; root = \"www\"; } );\n");
	load_ok("workers = 2;\n"
		"@include \"conf.d/http.cfg\"\n"
		"@include \"conf.d/servers.cfg\"\n");
	cr_assert_eq(cfg->workers, 2);
	cr_assert_eq(cfg->max_connections, 77);
	cr_assert_eq(cfg->server_count, 1);
	/* Paths in an included file are still relative to the main file. */
	expect_path(cfg->servers[0].locations[0].root, "www");
}

Test(config, errors_in_included_file_name_it)
{
	const char *inc = "servers = (\n"
			  "  { listen = [ \"8080\" ];\n"
			  "    root = \"www\";\n"
			  "    autoindex = \"yes\";\n"
			  "  } );\n";
	const char *text = "workers = 1;\n"
			   "http = { bogus = 1; };\n"
			   "@include \"conf.d/servers.cfg\"\n";

	put("conf.d/servers.cfg", inc);
	load_bad(text);
	expect_error("conf.d/servers.cfg", line_of(inc, "autoindex"),
		     "'autoindex' must be true or false");
	expect_at(text, "bogus", "unknown setting 'bogus'");
	cr_assert_eq(error_lines(), 2, "errors:\n%s", errors);
}

Test(config, syntax_error_in_included_file)
{
	const char *inc = "log_level = \"info\";\n\npid_file = = \"x\";\n";

	put("conf.d/bad.cfg", inc);
	load_bad("workers = 1;\n@include \"conf.d/bad.cfg\"\n");
	expect_error("conf.d/bad.cfg", 3, "syntax error");
}

Test(config, syntax_error_in_main_file)
{
	load_bad("workers = 1;\nservers = ( { listen = [ \"8080\" ] } );\n"
		 "servers2 = ;\n");
	expect_error("webserv.cfg", 3, "syntax error");
}

Test(config, missing_include)
{
	const char *text = "workers = 1;\n\n@include \"conf.d/nope.cfg\"\n";

	load_bad(text);
	expect_at(text, "@include",
		  "cannot open include file "
		  "\"conf.d/nope.cfg\"");
}

Test(config, missing_file)
{
	char want[256];

	load_file("does-not-exist.cfg");
	cr_assert_null(cfg);
	snprintf(want, sizeof(want), "%s/does-not-exist.cfg: ", dir);
	cr_assert(strncmp(errors, want, strlen(want)) == 0, "%s", errors);
	cr_assert(strstr(errors, "No such file") != NULL, "%s", errors);
}

Test(config, relative_paths_resolved)
{
	mkdir_in("www/html");
	mkdir_in("logs");
	load_ok(
	    "pid_file = \"logs/../logs/ws.pid\";\n"
	    "error_log = \"./logs/error.log\";\n"
	    "http = { access_log = \"logs//access.log\"; };\n"
	    "servers = ( { listen = [ \"8080\" ]; root = \"www/./html/\";\n"
	    "  error_pages = ( { codes = [ 404 ]; uri = \"/e/404.html\"; } );\n"
	    "  locations = ( { path = \"/u/\"; upload_dir = \"up/\"; },\n"
	    "    { path = \"/c/\"; alias = \"www/html/../../cgi\"; },\n"
	    "    { path = \"/abs/\"; root = \"/tmp/\"; } ); } );\n");
	expect_path(cfg->pid_file, "logs/ws.pid");
	expect_path(cfg->error_log, "logs/error.log");
	expect_path(cfg->access_log, "logs/access.log");
	const struct server *srv = &cfg->servers[0];
	expect_path(find_loc(srv, "/")->root, "www/html");
	cr_assert_str_eq(find_loc(srv, "/")->error_pages[0].uri, "/e/404.html");
	expect_path(find_loc(srv, "/u/")->upload_dir, "up");
	expect_path(find_loc(srv, "/c/")->alias, "cgi");
	cr_assert_str_eq(find_loc(srv, "/abs/")->root, "/tmp");
}

Test(config, access_and_error_log_keywords)
{
	load_ok(
	    "error_log = \"stderr\";\nhttp = { access_log = \"stdout\"; };\n"
	    "servers = ( { listen = [ \"8080\" ]; root = \"www\"; } );\n");
	cr_assert_str_eq(cfg->error_log, "stderr");
	cr_assert_str_eq(cfg->access_log, "stdout");
	load_ok("http = { access_log = \"off\"; };\nlog_level = \"debug\";\n"
		"servers = ( { listen = [ \"8080\" ]; root = \"www\"; } );\n");
	cr_assert_null(cfg->access_log);
	cr_assert_eq(cfg->log_level, LOG_LEVEL_DEBUG);
	/* The other log's keyword is an error, not a file of that name. */
	const char *text =
	    "error_log = \"stdout\";\n"
	    "http = { access_log = \"stderr\"; };\n"
	    "servers = ( { listen = [ \"8080\" ]; root = \"www\"; "
	    "} );\n";
	load_bad(text);
	expect_at(text, "error_log", "error_log is \"stderr\" or a path");
	expect_at(text, "access_log",
		  "access_log is a path, \"stdout\" or "
		  "\"off\"");
	cr_assert_eq(error_lines(), 2, "%s", errors);
}

Test(config, relative_config_path)
{
	cr_assert_eq(chdir(dir), 0);
	put("webserv.cfg",
	    "servers = ( { listen = [ \"8080\" ]; root = \"www\"; } );\n");
	config_free(cfg);
	cfg = config_load("webserv.cfg", &errors);
	cr_assert_not_null(cfg, "%s", errors);
	expect_path(cfg->path, "webserv.cfg");
	expect_path(cfg->servers[0].locations[0].root, "www");
}

/* ---- servers, locations, listen
 * ---------------------------------------------- */

Test(config, locations_sorted_longest_first)
{
	load_ok("servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
		"  locations = ( { path = \"/a\"; }, { path = \"/\"; },\n"
		"    { path = \"/abc/\"; }, { path = \"/ab\"; },\n"
		"    { path = \"/zz\"; } ); } );\n");
	static const char *const want[] = {"/abc/", "/ab", "/zz", "/a", "/"};
	const struct server *srv = &cfg->servers[0];
	cr_assert_eq(srv->location_count, 5);
	for (size_t i = 0; i < 5; i++) {
		cr_assert_str_eq(srv->locations[i].path, want[i]);
		cr_assert_eq(srv->locations[i].path_len, strlen(want[i]));
	}
}

Test(config, root_location_synthesised_from_server)
{
	const char *text = "servers = (\n"
			   "  { listen = [ \"8080\" ]; root = \"www\";\n"
			   "    index = [ \"home.html\" ]; autoindex = true;\n"
			   "    methods = [ \"GET\", \"POST\" ];\n"
			   "    locations = (\n"
			   "      { path = \"/x/\"; autoindex = false; }\n"
			   "    ); } );\n";

	load_ok(text);
	const struct server *srv = &cfg->servers[0];
	cr_assert_eq(srv->location_count, 2);
	const struct location *l = &srv->locations[1];
	cr_assert_str_eq(l->path, "/");
	expect_path(l->root, "www");
	cr_assert_str_eq(l->index[0], "home.html");
	cr_assert(l->autoindex);
	cr_assert_eq(l->methods, GET_HEAD | METHOD_BIT(HTTP_POST));
	cr_assert_eq(l->line, line_of(text, "{ listen"));
	cr_assert_eq(srv->locations[0].line, line_of(text, "{ path"));
	cr_assert_not(srv->locations[0].autoindex);
}

Test(config, location_only_settings)
{
	load_ok("servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
		"  locations = (\n"
		"    { path = \"/old/\"; redirect = { code = 308; to = "
		"\"https://x.test/new/\"; }; },\n"
		"    { path = \"/status\"; status = true; allow = [ "
		"\"127.0.0.0/8\", \"::1\" ]; }\n"
		"  ); } );\n");
	const struct location *l = find_loc(&cfg->servers[0], "/old/");
	cr_assert_eq(l->redirect_code, 308);
	cr_assert_str_eq(l->redirect_to, "https://x.test/new/");
	l = find_loc(&cfg->servers[0], "/status");
	cr_assert(l->status);
	cr_assert_eq(l->allow_count, 2);
	cr_assert_eq(l->allow[0].family, AF_INET);
	cr_assert_eq(l->allow[0].prefix, 8);
	cr_assert_eq(l->allow[1].family, AF_INET6);
	cr_assert_eq(l->allow[1].prefix, 128);
}

Test(config, listen_forms)
{
	static const struct {
		const char *in, *text;
		int family;
		unsigned port;
	} cases[] = {
	    {"8080", "0.0.0.0:8080", AF_INET, 8080},
	    {"*:8081", "0.0.0.0:8081", AF_INET, 8081},
	    {"127.0.0.1:1", "127.0.0.1:1", AF_INET, 1},
	    {"localhost:65535", "127.0.0.1:65535", AF_INET, 65535},
	    {"[::1]:8080", "[::1]:8080", AF_INET6, 8080},
	    {"[::]:80", "[::]:80", AF_INET6, 80},
	    {"[2001:DB8::1]:443", "[2001:db8::1]:443", AF_INET6, 443},
	    {"10.1.2.3:080", "10.1.2.3:80", AF_INET, 80},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text),
			 "servers = ( { listen = [ \"%s\" ];"
			 " root = \"www\"; } );\n",
			 cases[i].in);
		load_ok(text);
		cr_assert_eq(cfg->listen_count, 1);
		const struct listen_addr *l = &cfg->listens[0];
		cr_assert_str_eq(l->text, cases[i].text, "%s", cases[i].in);
		cr_assert_eq(l->addr.ss_family, cases[i].family);
		if (cases[i].family == AF_INET) {
			const struct sockaddr_in *sin = (const void *)&l->addr;
			cr_assert_eq(l->addr_len, sizeof(*sin));
			cr_assert_eq(ntohs(sin->sin_port), cases[i].port);
		} else {
			const struct sockaddr_in6 *sin6 =
			    (const void *)&l->addr;
			cr_assert_eq(l->addr_len, sizeof(*sin6));
			cr_assert_eq(ntohs(sin6->sin6_port), cases[i].port);
		}
		cr_assert_eq(cfg->servers[0].listen_count, 1);
		cr_assert_eq(cfg->servers[0].listens[0], 0);
	}
}

Test(config, listen_bad)
{
	static const char *const bad[] = {
	    "0",
	    "65536",
	    "127.0.0.1:0",
	    "127.0.0.1:70000",
	    "::1:80",
	    "[::1]80",
	    "[::1]",
	    "[nope]:80",
	    "example.com:80",
	    "1.2.3:80",
	    "8080x",
	    ":",
	    "127.0.0.1:",
	    "-1",
	    "[::1]:99999999",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text),
			 "servers = ( { root = \"www\";\n"
			 "  listen = [ \"8080\",\n  \"%s\" ]; } );\n",
			 bad[i]);
		load_bad(text);
		char needle[64];
		snprintf(needle, sizeof(needle), "listen \"%s\"", bad[i]);
		expect_error("webserv.cfg", 3, needle);
		cr_assert_eq(error_lines(), 1, "%s", errors);
	}
}

Test(config, listen_dedup_across_servers)
{
	load_ok("servers = (\n"
		"  { listen = [ \"127.0.0.1:8080\", \"[::1]:8080\" ];"
		" root = \"www\"; server_names = [ \"a.test\" ]; },\n"
		"  { listen = [ \"localhost:8080\", \"9090\" ]; root = \"www\";"
		" server_names = [ \"b.test\" ]; },\n"
		"  { listen = [ \"*:9090\" ]; root = \"www\"; }\n"
		");\n");
	cr_assert_eq(cfg->listen_count, 3);
	cr_assert_str_eq(cfg->listens[0].text, "127.0.0.1:8080");
	cr_assert_str_eq(cfg->listens[1].text, "[::1]:8080");
	cr_assert_str_eq(cfg->listens[2].text, "0.0.0.0:9090");
	cr_assert_eq(cfg->servers[1].listen_count, 2);
	cr_assert_eq(cfg->servers[1].listens[0], 0);
	cr_assert_eq(cfg->servers[1].listens[1], 2);
	cr_assert_eq(cfg->servers[2].listens[0], 2);
}

Test(config, listen_errors)
{
	const char *text =
	    "servers = (\n"
	    "  { root = \"www\"; listen = [ \"8080\",\n"
	    "      \"*:8080\" ]; },\n"
	    "  { root = \"www\"; listen = [ \"127.0.0.1:8080\" ]; },\n"
	    "  { root = \"www\"; listen = [ ]; },\n"
	    "  { root = \"www\"; }\n"
	    ");\n";

	load_bad(text);
	expect_at(text, "\"*:8080\"", "listed twice");
	expect_at(text, "\"127.0.0.1:8080\"", "overlaps 0.0.0.0:8080");
	expect_at(text, "listen = [ ]", "must not be empty");
	expect_at(text, "{ root = \"www\"; }", "server needs 'listen'");
	cr_assert_eq(error_lines(), 4, "%s", errors);
}

Test(config, server_names_lowercased)
{
	load_ok("servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
		"  server_names = [ \"WWW.Example.TEST\", \"localhost\" ];\n"
		"  default_server = true; } );\n");
	const struct server *srv = &cfg->servers[0];
	cr_assert_eq(srv->name_count, 2);
	cr_assert_str_eq(srv->names[0], "www.example.test");
	cr_assert_str_eq(srv->names[1], "localhost");
	cr_assert(srv->default_server);
}

Test(config, duplicate_server_name_on_address)
{
	const char *text =
	    "servers = (\n"
	    "  { listen = [ \"8080\", \"9090\" ]; root = \"www\";\n"
	    "    server_names = [ \"a.test\", \"b.test\" ]; },\n"
	    "  { listen = [ \"9090\" ]; root = \"www\";\n"
	    "    server_names = [ \"c.test\",\n"
	    "                     \"A.TEST\" ]; },\n"
	    "  { listen = [ \"7070\" ]; root = \"www\";\n"
	    "    server_names = [ \"a.test\" ]; }\n"
	    ");\n";

	load_bad(text);
	expect_at(text, "\"A.TEST\"", "server name \"a.test\" on 0.0.0.0:9090");
	cr_assert_eq(error_lines(), 1,
		     "same name on another address is "
		     "fine:\n%s",
		     errors);
}

Test(config, two_default_servers_on_address)
{
	const char *text = "servers = (\n"
			   "  { listen = [ \"8080\" ]; root = \"www\";\n"
			   "    default_server = true; },\n"
			   "  { listen = [ \"9090\" ]; root = \"www\";\n"
			   "    default_server = true; },\n"
			   "  { listen = [ \"8080\" ]; root = \"www\";\n"
			   "    server_names = [ \"x.test\" ];\n"
			   "    default_server = true; }\n"
			   ");\n";

	load_bad(text);
	expect_error("webserv.cfg", 8, "second default_server on 0.0.0.0:8080");
	cr_assert_eq(error_lines(), 1, "%s", errors);
}

/* ---- errors
 * ------------------------------------------------------------------- */

Test(config, unknown_settings_and_suggestions)
{
	const char *text =
	    "workrs = 2;\n"
	    "frobnicate = 1;\n"
	    "http = { keepalive = 5; access_logs = \"off\"; };\n"
	    "servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
	    "  server_name = [ \"x\" ];\n"
	    "  locations = ( { path = \"/\"; uplod_dir = \"up\"; } );"
	    " } );\n";

	load_bad(text);
	expect_at(text, "workrs",
		  "unknown setting 'workrs' in the top level;"
		  " did you mean 'workers'?");
	expect_at(text, "frobnicate", "unknown setting 'frobnicate'");
	expect_at(text, "keepalive", "did you mean 'keepalive_timeout'?");
	expect_at(text, "access_logs", "did you mean 'access_log'?");
	expect_at(text, "server_name", "did you mean 'server_names'?");
	expect_at(text, "uplod_dir", "did you mean 'upload_dir'?");
	cr_assert_null(strstr(errors, "frobnicate' in the top level; did"),
		       "no suggestion for a far name:\n%s", errors);
	cr_assert_eq(error_lines(), 6, "%s", errors);
}

Test(config, setting_in_wrong_scope)
{
	const char *text =
	    "root = \"www\";\n"
	    "http = { listen = [ \"80\" ]; };\n"
	    "servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
	    "  alias = \"www\"; upload_dir = \"up\";\n"
	    "  header_buffer = \"8k\";\n"
	    "  locations = ( { path = \"/\"; workers = 1; } ); } );\n";

	load_bad(text);
	expect_at(text, "root = \"www\";\nhttp",
		  "'root' is not allowed in "
		  "the top level (only in http, a server or a location)");
	expect_at(text, "listen = [ \"80\" ]",
		  "'listen' is not allowed in "
		  "http (only in a server)");
	expect_at(text, "alias", "'alias' is not allowed in a server");
	expect_at(text, "upload_dir", "'upload_dir' is not allowed");
	expect_at(text, "header_buffer", "only in http");
	expect_at(text, "workers = 1",
		  "'workers' is not allowed in a "
		  "location");
	cr_assert_eq(error_lines(), 6, "%s", errors);
}

Test(config, type_errors)
{
	const char *text =
	    "workers = true;\n"
	    "pid_file = 5;\n"
	    "log_level = \"loud\";\n"
	    "http = 5;\n"
	    "servers = ( { listen = [ 8080 ]; root = \"www\";\n"
	    "  autoindex = \"yes\";\n"
	    "  index = { a = 1; };\n"
	    "  client_max_body_size = 1.5;\n"
	    "  header_timeout = [ 1 ];\n"
	    "  default_server = 1;\n"
	    "  error_pages = { codes = [ 404 ]; uri = \"/x\"; };\n"
	    "  locations = ( { path = \"/s\"; status = \"on\"; redirect = 301;"
	    " } ); } );\n";

	load_bad(text);
	expect_at(text, "workers", "workers must be a number or \"auto\"");
	expect_at(text, "pid_file", "'pid_file' must be a string");
	expect_at(text, "log_level", "not one of error, warn, info, debug");
	expect_at(text, "http", "'http' must be a group");
	expect_at(text, "[ 8080 ]", "'listen' must be a string");
	expect_at(text, "autoindex", "'autoindex' must be true or false");
	expect_at(text, "  index =", "'index' must be a list");
	expect_at(text, "client_max_body_size", "must be a size");
	expect_at(text, "header_timeout", "must be a duration");
	expect_at(text, "default_server", "must be true or false");
	expect_at(text, "error_pages", "'error_pages' must be a list");
	expect_at(text, "status", "'status' must be true or false");
	expect_at(text, "status", "'redirect' must be a group");
	cr_assert_eq(error_lines(), 13, "%s", errors);
}

Test(config, range_errors)
{
	const char *text =
	    "workers = 1025;\n"
	    "http = {\n"
	    "  header_buffer = \"512\";\n"
	    "  max_connections = 0;\n"
	    "  client_max_body_size = -1;\n"
	    "  body_timeout = -5;\n"
	    "  send_timeout = \"99999999999999999999s\";\n"
	    "  cgi_timeout = \"18446744073709551615h\";\n"
	    "  keepalive_timeout = \"400d\";\n"
	    "  header_timeout = 0;\n"
	    "  shutdown_timeout = 40000000;\n"
	    "};\n"
	    "servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
	    "  client_max_body_size = \"99999999999999999999k\";\n"
	    "  locations = ( { path = \"/a/\"; client_max_body_size = "
	    "\"17179869184g\"; },\n"
	    "    { path = \"/b/\"; client_max_body_size = \"10x\"; } ); } );\n";

	load_bad(text);
	expect_at(text, "workers", "workers must be 0 (auto) .. 1024");
	expect_at(text, "header_buffer", "header_buffer must be 1k .. 1m");
	expect_at(text, "max_connections", "max_connections must be 1 ..");
	expect_at(text, "client_max_body_size = -1", "must not be negative");
	expect_at(text, "body_timeout", "must not be negative");
	expect_at(text, "send_timeout", "too large");
	expect_at(text, "cgi_timeout", "too large");
	expect_at(text, "keepalive_timeout", "not a duration");
	expect_at(text, "header_timeout", "must be more than 0");
	expect_at(text, "shutdown_timeout", "at most 365 days");
	expect_at(text, "99999999999999999999k", "too large");
	expect_at(text, "17179869184g", "too large");
	expect_at(text, "\"10x\"", "not a size");
	cr_assert_eq(error_lines(), 13, "%s", errors);
}

Test(config, large_integers)
{
	const char *text = "http = { client_max_body_size = 3000000000; };\n"
			   "servers = ( { listen = [ \"80\" ]; root = \"www\";"
			   " } );\n";

	/* libconfig 1.5 wraps a plain 3000000000 to a negative int. */
	load_bad(text);
	expect_at(text, "client_max_body_size", "need an L suffix");
	load_ok("http = { client_max_body_size = 3000000000L;\n"
		"  send_timeout = 4000000L; };\n"
		"servers = ( { listen = [ \"80\" ]; root = \"www\"; } );\n");
	cr_assert_eq(cfg->client_max_body_size, 3000000000u);
	cr_assert_eq(cfg->timeouts.send, 4000000000u);
}

Test(config, workers_negative)
{
	const char *text = "workers = -1;\nservers = ( { listen = [ \"80\" ];"
			   " root = \"www\"; } );\n";

	load_bad(text);
	expect_at(text, "workers", "workers must be 0 (auto) .. 1024");
	load_bad("workers = \"many\";\nservers = ( { listen = [ \"80\" ];"
		 " root = \"www\"; } );\n");
	expect_error("webserv.cfg", 1, "workers must be a number or \"auto\"");
}

Test(config, unknown_methods)
{
	const char *text =
	    "servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
	    "  methods = [ \"GET\",\n"
	    "    \"get\", \"FETCH\" ];\n"
	    "  locations = ( { path = \"/x/\";\n"
	    "    methods = [ ]; } ); } );\n";

	load_bad(text);
	expect_at(text, "\"get\"", "unknown method \"get\"");
	expect_at(text, "\"get\"", "unknown method \"FETCH\"");
	expect_at(text, "methods = [ ]", "'methods' must not be empty");
	cr_assert_eq(error_lines(), 3, "%s", errors);
}

Test(config, missing_directories)
{
	const char *text =
	    "http = { root = \"nowhere\"; };\n"
	    "servers = ( { listen = [ \"8080\" ]; root = \"plain.txt\";\n"
	    "  locations = (\n"
	    "    { path = \"/a/\"; alias = \"missing-alias\"; },\n"
	    "    { path = \"/u/\"; upload_dir = \"/nonexistent/up\"; }\n"
	    "  ); } );\n";

	/* a missing one is a warning (nginx starts and answers 404); a
	 * path that is there but no directory stays an error */
	load_bad(text);
	expect_at(text, "plain.txt", "is not a directory");
	cr_assert_eq(error_lines(), 1, "%s", errors);
}

/* Missing root, alias, upload_dir: the file loads, each is a warning at
 * its line; requests get 404 until the directory appears. */
Test(config, missing_directories_warn)
{
	const char *text =
	    "http = { root = \"nowhere\"; };\n"
	    "servers = ( { listen = [ \"8080\" ];\n"
	    "  locations = (\n"
	    "    { path = \"/a/\"; alias = \"missing-alias\"; },\n"
	    "    { path = \"/u/\"; upload_dir = \"/nonexistent/up\"; }\n"
	    "  ); } );\n";
	char want[512];

	load_ok(text);
	cr_assert_not_null(cfg->warnings);
	snprintf(want, sizeof(want),
		 "%s/webserv.cfg:1: warning: directory \"%s/nowhere\" does "
		 "not exist (yet): requests there get 404\n",
		 dir, dir);
	cr_expect_not_null(strstr(cfg->warnings, want), "%s", cfg->warnings);
	snprintf(want, sizeof(want),
		 "%s/webserv.cfg:4: warning: directory \"%s/missing-alias\" "
		 "does not exist (yet): requests there get 404\n",
		 dir, dir);
	cr_expect_not_null(strstr(cfg->warnings, want), "%s", cfg->warnings);
	snprintf(want, sizeof(want),
		 "%s/webserv.cfg:5: warning: directory \"/nonexistent/up\" "
		 "does not exist (yet): requests there get 404",
		 dir);
	cr_expect_not_null(strstr(cfg->warnings, want), "%s", cfg->warnings);
}

Test(config, cgi_rules)
{
	const char *text =
	    "servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
	    "  locations = ( { path = \"/c/\"; cgi = (\n"
	    "    { ext = \".a\"; interpreter = \"bin/sh\"; },\n"
	    "    { ext = \".b\"; interpreter = \"/no/such/python\"; },\n"
	    "    { ext = \".c\"; interpreter = \"NOEXEC\"; },\n"
	    "    { ext = \".d\"; interpreter = \"/tmp\"; },\n"
	    "    { ext = \"py\"; interpreter = \"/bin/sh\"; },\n"
	    "    { ext = \".sh\"; },\n"
	    "    { ext = \".e\"; interpreter = \"/bin/sh\"; },\n"
	    "    { ext = \".e\"; interpreter = \"/bin/sh\"; }\n"
	    "  ); } ); } );\n";
	char noexec[128], *body;

	snprintf(noexec, sizeof(noexec), "%s/noexec.sh", dir);
	body = malloc(strlen(text) + strlen(noexec) + 1);
	cr_assert_not_null(body);
	const char *mark = strstr(text, "NOEXEC");
	snprintf(body, strlen(text) + strlen(noexec) + 1, "%.*s%s%s",
		 (int)(mark - text), text, noexec, mark + strlen("NOEXEC"));
	load_bad(body);
	expect_at(body, "bin/sh\"; }", "must be an absolute path");
	expect_at(body, "/no/such/python", "No such file");
	expect_at(body, "noexec.sh", "is not an executable file");
	expect_at(body, "\"/tmp\"", "is not an executable file");
	expect_at(body, "\"py\"", "cgi ext \"py\" must be like \".py\"");
	expect_at(body, "{ ext = \".sh\"; }", "cgi entry needs 'interpreter'");
	expect_error("webserv.cfg", line_of(body, "{ ext = \".e\"") + 1,
		     "cgi extension \".e\" is listed twice");
	cr_assert_eq(error_lines(), 7, "%s", errors);
	free(body);
}

Test(config, bad_cidrs)
{
	const char *text =
	    "servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
	    "  allow = [ \"10.0.0.0/8\",\n"
	    "    \"10.0.0.0/33\",\n"
	    "    \"::1/129\", \"garbage\",\n"
	    "    \"/8\" ]; } );\n";

	load_bad(text);
	expect_at(text, "/33", "bad address or network \"10.0.0.0/33\"");
	expect_at(text, "/129", "\"::1/129\"");
	expect_at(text, "/129", "\"garbage\"");
	expect_at(text, "\"/8\"", "\"/8\"");
	cr_assert_eq(error_lines(), 4, "%s", errors);
}

Test(config, location_path_rules)
{
	const char *text =
	    "servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
	    "  locations = (\n"
	    "    { path = \"/a/\"; },\n"
	    "    { path = \"/b/\"; },\n"
	    "    { path = \"/a/\"; autoindex = true; },\n"
	    "    { path = \"relative\"; },\n"
	    "    { autoindex = true; }\n"
	    "  ); } );\n";

	load_bad(text);
	expect_at(text, "{ path = \"/a/\"; autoindex",
		  "location \"/a/\" is "
		  "defined twice");
	expect_at(text, "relative", "must start with '/'");
	expect_at(text, "{ autoindex", "location needs a 'path'");
	cr_assert_eq(error_lines(), 3, "%s", errors);
}

Test(config, no_servers)
{
	load_bad("workers = 1;\n");
	expect_error("webserv.cfg", 1, "no servers");
	const char *text = "workers = 1;\n\nservers = ( );\n";
	load_bad(text);
	expect_at(text, "servers", "no servers");
	text = "workers = 1;\nservers = [ ];\n";
	load_bad(text);
	expect_at(text, "servers", "servers must be a list");
}

Test(config, location_needs_root)
{
	const char *text = "servers = (\n"
			   "  { listen = [ \"8080\" ];\n"
			   "    locations = (\n"
			   "      { path = \"/files/\"; },\n"
			   "      { path = \"/cgi/\"; cgi = ( { ext = \".sh\"; "
			   "interpreter = \"/bin/sh\"; } ); }\n"
			   "    ); },\n"
			   "  { listen = [ \"8081\" ]; }\n"
			   ");\n";

	load_bad(text);
	expect_at(text, "/files/",
		  "location \"/files/\" serves files but has "
		  "no root");
	expect_at(text, "/cgi/", "location \"/cgi/\" serves files");
	/* The synthesised "/" of each server, reported at the server. */
	expect_at(text, "{ listen = [ \"8080\" ]", "location \"/\" serves");
	expect_at(text, "{ listen = [ \"8081\" ]", "location \"/\" serves");
	cr_assert_eq(error_lines(), 4, "%s", errors);
}

Test(config, rootless_locations_that_need_none)
{
	load_ok("servers = ( { listen = [ \"8080\" ];\n"
		"  locations = (\n"
		"    { path = \"/\"; redirect = { code = 301; to = "
		"\"https://x/\"; }; },\n"
		"    { path = \"/status\"; status = true; },\n"
		"    { path = \"/drop/\"; upload_dir = \"up\"; methods = [ "
		"\"PUT\" ]; },\n"
		"    { path = \"/a/\"; alias = \"www\"; }\n"
		"  ); } );\n");
	const struct server *srv = &cfg->servers[0];
	cr_assert_eq(srv->location_count, 4);
	cr_assert_null(find_loc(srv, "/")->root);
	cr_assert_eq(find_loc(srv, "/")->redirect_code, 301);
}

Test(config, root_and_alias_together)
{
	const char *text =
	    "servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
	    "  locations = ( { path = \"/a/\"; root = \"www\";\n"
	    "    alias = \"cgi\"; } ); } );\n";

	load_bad(text);
	expect_at(text, "alias", "either root or alias, not both");
	cr_assert_eq(error_lines(), 1, "%s", errors);
}

Test(config, error_pages_rules)
{
	const char *text =
	    "servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
	    "  error_pages = (\n"
	    "    { codes = [ 300, 599 ]; uri = \"/ok.html\"; },\n"
	    "    { codes = [ 404,\n"
	    "        299 ]; uri = \"/e.html\"; },\n"
	    "    { codes = 600; uri = \"/e.html\"; },\n"
	    "    { codes = [ 500 ]; uri = \"e.html\"; },\n"
	    "    { uri = \"/x.html\"; },\n"
	    "    { codes = [ 502 ]; color = \"red\"; uri = \"/y\"; }\n"
	    "  ); } );\n";

	load_bad(text);
	expect_at(text, "299", "error page code 299 is not 300 .. 599");
	expect_at(text, "600", "error page code 600 is not 300 .. 599");
	expect_at(text, "\"e.html\"", "must start with '/'");
	expect_at(text, "{ uri", "error_pages entry needs 'codes'");
	expect_at(text, "color",
		  "unknown setting 'color' in an error_pages "
		  "entry");
	cr_assert_eq(error_lines(), 5, "%s", errors);
}

Test(config, error_pages_expand_codes)
{
	load_ok(
	    "servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
	    "  error_pages = ( { codes = [ 500, 502 ]; uri = \"/5.html\"; },\n"
	    "    { codes = 404; uri = \"/4.html\"; } ); } );\n");
	const struct location *l = &cfg->servers[0].locations[0];
	cr_assert_eq(l->error_page_count, 3);
	cr_assert_eq(l->error_pages[0].code, 500);
	cr_assert_eq(l->error_pages[1].code, 502);
	cr_assert_str_eq(l->error_pages[1].uri, "/5.html");
	cr_assert_eq(l->error_pages[2].code, 404);
	cr_assert_str_eq(l->error_pages[2].uri, "/4.html");
}

Test(config, redirect_rules)
{
	const char *text =
	    "servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
	    "  locations = (\n"
	    "    { path = \"/a/\"; redirect = { code = 200; to = \"/x\"; }; "
	    "},\n"
	    "    { path = \"/b/\"; redirect = { code = 302; }; },\n"
	    "    { path = \"/c/\"; redirect = { to = \"/x\"; }; },\n"
	    "    { path = \"/d/\"; redirect = { code = 301; to = \"/x y\"; }; "
	    "}\n"
	    "  ); } );\n";

	load_bad(text);
	expect_at(text, "code = 200", "redirect code 200 is not 301");
	expect_at(text, "code = 302", "redirect needs 'to'");
	expect_at(text, "{ to = ", "redirect needs a 'code'");
	expect_at(text, "/x y", "must not contain spaces");
	cr_assert_eq(error_lines(), 4, "%s", errors);
}

Test(config, unknown_user_and_group)
{
	const char *text =
	    "user = \"no-such-user-wscfg\";\n"
	    "group = \"no-such-group-wscfg\";\n"
	    "servers = ( { listen = [ \"80\" ]; root = \"www\"; } );\n";

	load_bad(text);
	expect_at(text, "user", "unknown user \"no-such-user-wscfg\"");
	expect_at(text, "group", "unknown group \"no-such-group-wscfg\"");
	load_ok("user = \"root\";\ngroup = \"root\";\n"
		"servers = ( { listen = [ \"80\" ]; root = \"www\"; } );\n");
	cr_assert_str_eq(cfg->user, "root");
	cr_assert_str_eq(cfg->group, "root");
}

Test(config, log_file_directory_must_exist)
{
	const char *text =
	    "error_log = \"nodir/error.log\";\n"
	    "pid_file = \"/no/such/dir/ws.pid\";\n"
	    "http = { access_log = \"nodir/a.log\"; };\n"
	    "servers = ( { listen = [ \"80\" ]; root = \"www\"; } );\n";

	load_bad(text);
	expect_at(text, "error_log", "does not exist");
	expect_at(text, "pid_file", "\"/no/such/dir\" does not exist");
	expect_at(text, "access_log", "does not exist");
	cr_assert_eq(error_lines(), 3, "%s", errors);
}

Test(config, all_errors_in_one_run)
{
	const char *text = "workers = \"x\";\n"
			   "http = { header_buffer = \"1g\"; };\n"
			   "servers = (\n"
			   "  { listen = [ \"0\" ]; root = \"www\"; },\n"
			   "  { listen = [ \"81\" ]; root = \"plain.txt\";\n"
			   "    locations = ( { path = \"x\"; } ); }\n"
			   ");\n";

	load_bad(text);
	expect_error("webserv.cfg", 1, "workers");
	expect_error("webserv.cfg", 2, "header_buffer");
	expect_error("webserv.cfg", 4, "listen \"0\"");
	expect_error("webserv.cfg", 5, "plain.txt");
	expect_error("webserv.cfg", 6, "must start with '/'");
	cr_assert_eq(error_lines(), 5, "%s", errors);
}

Test(config, reload_loop_frees_everything)
{
	/* Under ASan a leak in either path fails the run. */
	for (int i = 0; i < 3; i++) {
		load_ok(
		    "servers = ( { listen = [ \"8080\", \"[::1]:8080\" ];"
		    " root = \"www\"; server_names = [ \"a\" ];\n"
		    "  error_pages = ( { codes = [ 404 ]; uri = \"/x\"; } );\n"
		    "  allow = [ \"::1\" ]; locations = ( { path = \"/c/\";"
		    " cgi = ( { ext = \".sh\"; interpreter = \"/bin/sh\"; } );"
		    " upload_dir = \"up\"; redirect = { code = 302; to = "
		    "\"/\"; };"
		    " } ); } );\n");
		load_bad(
		    "servers = ( { listen = [ \"8080\" ]; root = \"www\";"
		    " error_pages = ( { codes = [ 404 ]; uri = \"x\"; } );"
		    " locations = ( { path = \"/c/\"; cgi = ( { ext = \".sh\";"
		    " interpreter = \"sh\"; } ); } ); } );\n");
	}
}

/* ---- compression (DESIGN.md §10) ----------------------------------------- */

Test(config, compression_defaults_and_inheritance)
{
	const char *text =
	    "http = { compress = [ \"gzip\", \"br\" ]; compress_level = 4; };\n"
	    "servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
	    "  static_compressed = [ \"br\", \"gzip\" ];\n"
	    "  compress_types = [ \"text/*\", \"image/svg+xml\" ];\n"
	    "  locations = ( { path = \"/a/\"; compress = [ ];\n"
	    "      compress_min_size = \"1k\"; },\n"
	    "    { path = \"/b/\"; static_compressed = \"gzip\"; } ); } );\n";
	const struct location *root, *a, *b;

	load_ok(text);
	root = find_loc(&cfg->servers[0], "/");
	a = find_loc(&cfg->servers[0], "/a/");
	b = find_loc(&cfg->servers[0], "/b/");
	cr_assert_eq(root->compress_count, 2);
	cr_expect_eq(root->compress[0], ENC_GZIP);
	cr_expect_eq(root->compress[1], ENC_BR);
	cr_expect_eq(root->compress_level, 4);
	cr_expect_eq(root->compress_min_size, 256);
	cr_assert_eq(root->static_compressed_count, 2);
	cr_expect_eq(root->static_compressed[0], ENC_BR);
	cr_assert_eq(root->compress_type_count, 2);
	cr_expect_str_eq(root->compress_types[1], "image/svg+xml");
	cr_expect_eq(a->compress_count, 0);
	cr_expect_eq(a->compress_min_size, 1024);
	cr_assert_eq(a->compress_type_count, 2);
	cr_expect_str_eq(a->compress_types[0], "text/*");
	cr_assert_eq(b->static_compressed_count, 1);
	cr_expect_eq(b->static_compressed[0], ENC_GZIP);
	cr_expect_eq(b->compress_count, 2);

	load_ok("servers = ( { listen = [ \"8080\" ]; root = \"www\"; } );\n");
	root = find_loc(&cfg->servers[0], "/");
	cr_expect_eq(root->compress_count, 0);
	cr_expect_eq(root->static_compressed_count, 0);
	cr_expect_null(root->compress_types);
	cr_expect_eq(root->compress_min_size, 256);
	cr_expect_eq(root->compress_level, 6);
}

Test(config, compression_errors)
{
	const char *text =
	    "http = { compress = [ \"gzip\", \"deflate\" ];\n"
	    "  compress_level = 10;\n"
	    "  compress_min_size = \"12q\";\n"
	    "};\n"
	    "servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
	    "  static_compressed = [ \"br\", \"GZIP\" ];\n"
	    "  compress_types = [ \"text/html\", \"Text/CSS\", \"html\",\n"
	    "    \"text/html; charset=utf-8\" ];\n"
	    "  locations = ( { path = \"/a/\"; compress = [ \"br\", \"br\" ];\n"
	    "    compress_types = [ ]; compress_level = 0; } ); } );\n";

	load_bad(text);
	expect_at(text, "\"deflate\"", "unknown coding \"deflate\"");
	expect_at(text, "compress_level = 10", "compress_level must be 1 .. 9");
	expect_at(text, "12q", "not a size");
	expect_at(text, "\"GZIP\"", "unknown coding \"GZIP\"");
	expect_at(text, "Text/CSS", "bad media type \"Text/CSS\"");
	expect_at(text, "Text/CSS", "bad media type \"html\"");
	expect_at(text, "charset", "bad media type");
	expect_at(text, "\"br\", \"br\"", "listed twice");
	expect_at(text, "compress_types = [ ]", "must not be empty");
	expect_at(text, "compress_level = 0", "compress_level must be 1 .. 9");
	cr_assert_eq(error_lines(), 10, "%s", errors);
}

/* cgi_params is read at http, server and location level; each level
 * inherits the one above and the nearest wins per name. */
static const char *param_of(const struct location *loc, const char *name)
{
	for (size_t i = 0; i < loc->cgi_param_count; i++)
		if (strcmp(loc->cgi_params[i].name, name) == 0)
			return loc->cgi_params[i].value;
	return NULL;
}

Test(config, cgi_params_inherited_and_merged)
{
	load_ok("http = { cgi_params = { A = \"http\"; B = \"$uri\"; }; };\n"
		"servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
		"  cgi_params = { B = \"server\"; C = "
		"\"${host}:$server_port\"; };\n"
		"  locations = (\n"
		"    { path = \"/t/\"; cgi_params = { PATH_INFO = \"$uri\";\n"
		"        C = \"loc\"; }; },\n"
		"    { path = \"/plain/\"; } ); } );\n");
	const struct server *srv = &cfg->servers[0];
	const struct location *t = find_loc(srv, "/t/");
	const struct location *plain = find_loc(srv, "/plain/");
	const struct location *root = find_loc(srv, "/");

	cr_assert(t && plain && root);
	cr_expect_eq(t->cgi_param_count, 4);
	cr_expect_str_eq(param_of(t, "A"), "http");
	cr_expect_str_eq(param_of(t, "B"), "server");
	cr_expect_str_eq(param_of(t, "C"), "loc");
	cr_expect_str_eq(param_of(t, "PATH_INFO"), "$uri");
	cr_expect_eq(plain->cgi_param_count, 3);
	cr_expect_str_eq(param_of(plain, "C"), "${host}:$server_port");
	cr_expect_null(param_of(plain, "PATH_INFO"));
	cr_expect_eq(root->cgi_param_count, 3);
	cr_expect_str_eq(param_of(root, "B"), "server");
}

Test(config, cgi_params_errors)
{
	const char *text =
	    "http = { cgi_params = { X = \"$nope\"; }; };\n"
	    "servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
	    "  cgi_params = ( \"not a group\" );\n"
	    "  locations = ( { path = \"/t/\"; cgi_params = {\n"
	    "      GOOD = \"$uri\";\n"
	    "      NUM = 5;\n"
	    "      BAD-NAME = \"x\";\n"
	    "      P = \"${uri\"; }; } ); } );\n";

	load_bad(text);
	expect_at(text, "$nope", "unknown variable \"$nope\"");
	expect_at(text, "not a group", "'cgi_params' must be a group");
	expect_at(text, "NUM = 5", "NUM");
	expect_at(text, "BAD-NAME", "\"BAD-NAME\" is no variable name");
	expect_at(text, "P = ", "unknown variable \"$uri\"");
	cr_assert_eq(error_lines(), 5, "%s", errors);
}

/* An interpreter written "./x" is relative to the config's directory
 * (a tool shipped next to it, like the 42 cgi_tester). */
Test(config, cgi_interpreter_relative_to_config)
{
	char path[256], want[300];

	put("tool.sh", "#!/bin/sh\n");
	snprintf(path, sizeof(path), "%s/tool.sh", dir);
	cr_assert_eq(chmod(path, 0755), 0);
	load_ok("servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
		"  locations = ( { path = \"/c/\"; cgi = (\n"
		"    { ext = \".t\"; interpreter = \"./tool.sh\"; } ); } ); } "
		");\n");
	const struct location *c = find_loc(&cfg->servers[0], "/c/");
	snprintf(want, sizeof(want), "%s/tool.sh", dir);
	cr_expect_str_eq(c->cgi[0].interpreter, want);
}
