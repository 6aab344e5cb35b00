/*
 * test_config_warn.c - config_load()'s warnings: settings that load but
 * will not do what they seem to, each reported as "FILE:LINE: warning:
 * message" in cfg->warnings while the load succeeds.  Expected line
 * numbers are found in the config text itself (line_of).
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_fixture.h"

static void setup(void)
{
	fixture_start("wswarn");
	mkdir_in("up");
}

TestSuite(config_warn, .init = setup, .fini = teardown);

static void load_ok(const char *text)
{
	char path[256];

	put("webserv.cfg", text);
	snprintf(path, sizeof(path), "%s/webserv.cfg", dir);
	cfg = config_load(path, &errors);
	cr_assert_not_null(cfg, "unexpected errors:\n%s", errors);
}

/* Some line of the warnings is "DIR/webserv.cfg:LINE: warning: ..." and
 * holds needle. */
static void expect_warning(int line, const char *needle)
{
	char prefix[320];
	const char *p = cfg->warnings;

	cr_assert_not_null(p, "no warnings at all");
	snprintf(prefix, sizeof(prefix), "%s/webserv.cfg:%d: warning: ", dir,
		 line);
	for (; p != NULL && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : 0) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (strncmp(p, prefix, strlen(prefix)) == 0 &&
		    memmem(p, len, needle, strlen(needle)) != NULL)
			return;
	}
	cr_assert_fail("want \"%s...%s\" in:\n%s", prefix, needle,
		       cfg->warnings);
}

Test(config_warn, clean_config_has_none)
{
	load_ok("servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
		"  locations = ( { path = \"/up/\"; upload_dir = \"up\";\n"
		"    methods = [ \"GET\", \"POST\", \"PUT\", \"DELETE\" ]; } );"
		" } );\n");
	cr_expect_null(cfg->warnings, "%s", cfg->warnings);
}

/* POST where no upload_dir or cgi takes a body: 405 at run time */
Test(config_warn, methods_nothing_accepts)
{
	const char *text =
	    "servers = ( { listen = [ \"8080\" ]; root = \"www\";\n"
	    "  locations = (\n"
	    "    { path = \"/form/\";\n"
	    "      methods = [ \"GET\", \"POST\" ]; },\n"
	    "    { path = \"/files/\";\n"
	    "      methods = [ \"GET\", \"PUT\", \"DELETE\" ]; },\n"
	    "    { path = \"/cgi/\"; cgi = ( { ext = \".sh\"; interpreter = "
	    "\"/bin/sh\"; } );\n"
	    "      methods = [ \"GET\", \"POST\" ]; },\n"
	    "    { path = \"/app/\"; cgi = ( { ext = \".sh\"; interpreter = "
	    "\"/bin/sh\"; } );\n"
	    "      methods = [ \"GET\", \"PUT\", \"DELETE\" ]; }\n"
	    "  ); } );\n";

	load_ok(text);
	expect_warning(line_of(text, "\"GET\", \"POST\" ]; },"),
		       "POST allowed but nothing here accepts a body (no "
		       "upload_dir, no cgi): it gets 405");
	expect_warning(line_of(text, "\"PUT\", \"DELETE\""), "PUT allowed");
	expect_warning(line_of(text, "\"PUT\", \"DELETE\""), "DELETE allowed");
	/* the CGI location takes POST: not named */
	cr_expect_null(strstr(cfg->warnings, "webserv.cfg:8:"), "%s",
		       cfg->warnings);
	/* a script takes PUT and DELETE too: not named */
	cr_expect_null(strstr(cfg->warnings, "webserv.cfg:10:"), "%s",
		       cfg->warnings);
}
