/*
 * test_config_h2.c - the " h2" listen flag (issue 14): cleartext h2c and
 * "tls h2", one address h2 for all its servers, refusals with FILE:LINE;
 * and h2_sniff, the client-preface check that picks HTTP/2 on such an
 * address.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_fixture.h"
#include "h2.h"

static void setup(void)
{
	fixture_start("wsh2cfg");
}

TestSuite(config_h2, .init = setup, .fini = teardown);

static void load(const char *text)
{
	char path[256];

	put("webserv.cfg", text);
	snprintf(path, sizeof(path), "%s/webserv.cfg", dir);
	cfg = config_load(path, &errors);
}

Test(config_h2, listen_flag)
{
	static const struct {
		const char *listen;
		bool h2;
	} rows[] = {
	    {"127.0.0.1:8080 h2", true},
	    {"127.0.0.1:8080", false},
	    {"127.0.0.1:8080  h2", true},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text),
			 "servers = ( { listen = [ \"%s\" ]; root = \"www\"; "
			 "} );\n",
			 rows[i].listen);
		load(text);
		cr_assert_not_null(cfg, "%s: %s", rows[i].listen, errors);
		cr_expect_eq(cfg->listens[0].h2, rows[i].h2, "%s",
			     rows[i].listen);
		cr_expect(!cfg->listens[0].tls);
		config_free(cfg);
		cfg = NULL;
	}
}

Test(config_h2, one_address_is_h2_for_all_its_servers)
{
	load("servers = ( { listen = [ \"127.0.0.1:8080 h2\" ]; root = "
	     "\"www\"; },\n"
	     "  { listen = [ \"127.0.0.1:8080\", \"127.0.0.1:8081\" ];\n"
	     "    server_names = [ \"b\" ]; root = \"www\"; } );\n");
	cr_assert_not_null(cfg, "%s", errors);
	cr_assert_eq(cfg->listen_count, 2);
	cr_expect(cfg->listens[0].h2);
	cr_expect(!cfg->listens[1].h2);
}

Test(config_h2, unknown_flag_has_its_line)
{
	char want[256];

	load("servers = ( { root = \"www\";\n"
	     "  listen = [ \"8080 h3\" ]; } );\n");
	cr_assert_null(cfg);
	snprintf(want, sizeof(want), "%s/webserv.cfg:2: ", dir);
	cr_expect_not_null(strstr(errors, want), "%s", errors);
	cr_expect_not_null(strstr(errors, "unknown flag"), "%s", errors);
}

Test(config_h2, preface_sniff)
{
	static const struct {
		const char *in;
		int want;
	} rows[] = {
	    {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 1},
	    {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12", 1},
	    {"PRI * HTTP/2", -1},
	    {"P", -1},
	    {"GET / HTTP/1.1\r\n", 0},
	    {"PRI * HTTP/1.1\r\n\r\n", 0},
	    {"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n", 0},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len = strlen(rows[i].in);
		if (i == 1)
			len = H2_PREFACE_LEN + 3;
		cr_expect_eq(h2_sniff(rows[i].in, len), rows[i].want, "row %zu",
			     i);
	}
}
