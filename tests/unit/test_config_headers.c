/*
 * test_config_headers.c - headers = { Name = "value"; } at http, server
 * and location: merged per name (the nearest level wins), refused with
 * FILE:LINE for fields webserv writes itself and for bad names/values.
 */
#include "config_fixture.h"

static void setup(void)
{
	fixture_start("wshdr");
}

TestSuite(config_headers, .init = setup, .fini = teardown);

static void load(const char *text)
{
	char path[256];

	config_free(cfg);
	free(errors);
	errors = NULL;
	put("webserv.cfg", text);
	snprintf(path, sizeof(path), "%s/webserv.cfg", dir);
	cfg = config_load(path, &errors);
}

static const struct location *find_loc(const char *path)
{
	const struct server *srv = &cfg->servers[0];

	for (size_t i = 0; i < srv->location_count; i++)
		if (strcmp(srv->locations[i].path, path) == 0)
			return &srv->locations[i];
	cr_assert_fail("no location %s", path);
	return NULL;
}

static const char *field(const struct location *loc, const char *name)
{
	for (size_t i = 0; i < loc->header_count; i++)
		if (strcmp(loc->headers[i].name, name) == 0)
			return loc->headers[i].value;
	return NULL;
}

Test(config_headers, merged_per_name_nearest_wins)
{
	load("http = { root = \"www\";\n"
	     "  headers = { Cache-Control = \"max-age=60\"; X-A = \"http\"; };"
	     " };\n"
	     "servers = ( { listen = [ \"8080\" ];\n"
	     "  headers = { X-A = \"server\"; X-B = \"server\"; };\n"
	     "  locations = (\n"
	     "    { path = \"/l/\"; headers = { x-b = \"loc\"; X-C = \"c\"; };"
	     " },\n"
	     "    { path = \"/plain/\"; } ); } );\n");
	cr_assert_not_null(cfg, "errors:\n%s", errors);
	const struct location *l = find_loc("/l/");
	cr_assert_eq(l->header_count, 4);
	cr_assert_str_eq(field(l, "Cache-Control"), "max-age=60");
	cr_assert_str_eq(field(l, "X-A"), "server");
	/* replaced case-insensitively, keeping the first spelling */
	cr_assert_str_eq(field(l, "X-B"), "loc");
	cr_assert_str_eq(field(l, "X-C"), "c");
	const struct location *p = find_loc("/plain/");
	cr_assert_eq(p->header_count, 3);
	cr_assert_str_eq(field(p, "X-B"), "server");
	const struct location *root = find_loc("/");
	cr_assert_str_eq(field(root, "X-A"), "server");
	/* the http level, for responses without a location */
	cr_assert_eq(cfg->header_count, 2);
	cr_assert_str_eq(cfg->headers[1].value, "http");
}

Test(config_headers, none_by_default)
{
	load("servers = ( { listen = [ \"8080\" ]; root = \"www\"; } );\n");
	cr_assert_not_null(cfg, "errors:\n%s", errors);
	cr_assert_eq(find_loc("/")->header_count, 0);
	cr_assert_eq(cfg->header_count, 0);
}

struct bad_case {
	const char *entry; /* inside headers = { ... } */
	const char *needle;
};

Test(config_headers, refused_with_file_and_line)
{
	static const struct bad_case cases[] = {
	    {"Content-Length = \"5\";", "written by webserv"},
	    {"transfer-encoding = \"chunked\";", "written by webserv"},
	    {"Connection = \"close\";", "written by webserv"},
	    {"Date = \"x\";", "written by webserv"},
	    {"Server = \"x\";", "written by webserv"},
	    {"X-Request-Id = \"x\";", "written by webserv"},
	    {"X-Bad = \"a\\nb\";", "CR or"},
	    {"X-Bad = \"a\\rb\";", "CR or"},
	    {"X-Bad = 5;", "X-Bad"},
	    {"X*Bad = \"v\";", ""}, /* '*' is a tchar: loads */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text),
			 "servers = ( { listen = [ \"8080\" ];\n"
			 "  root = \"www\";\n"
			 "  headers = {\n"
			 "    X-Ok = \"fine\";\n"
			 "    %s\n"
			 "  }; } );\n",
			 cases[i].entry);
		load(text);
		if (cases[i].needle[0] == '\0') {
			cr_assert_not_null(cfg, "%s: %s", cases[i].entry,
					   errors);
			continue;
		}
		cr_assert_null(cfg, "%s loaded", cases[i].entry);
		char want[320];
		snprintf(want, sizeof(want), "%s/webserv.cfg:%d: ", dir,
			 line_of(text, cases[i].entry));
		cr_assert_not_null(strstr(errors, want), "%s: want %s in %s",
				   cases[i].entry, want, errors);
		cr_assert_not_null(strstr(errors, cases[i].needle), "%s: %s",
				   cases[i].entry, errors);
	}
}

Test(config_headers, must_be_a_group)
{
	const char *text = "servers = ( { listen = [ \"8080\" ];\n"
			   "  root = \"www\";\n"
			   "  headers = [ \"X-A: b\" ]; } );\n";
	load(text);
	cr_assert_null(cfg);
	char want[320];
	snprintf(want, sizeof(want), "%s/webserv.cfg:3: ", dir);
	cr_assert_not_null(strstr(errors, want), "%s", errors);
}
