/*
 * test_config_log.c - access_log_format, access_log_buffer and
 * access_log_flush: defaults, accepted values, and FILE:LINE errors.
 */
#include "config_fixture.h"
#include "log_format.h"

static void setup(void)
{
	fixture_start("wslog");
}

TestSuite(config_log, .init = setup, .fini = teardown);

static void load(const char *http)
{
	char path[256], text[1024];

	config_free(cfg);
	free(errors);
	errors = NULL;
	snprintf(text, sizeof(text),
		 "http = { root = \"www\";\n%s\n};\n"
		 "servers = ( { listen = [ \"8080\" ]; } );\n",
		 http);
	put("webserv.cfg", text);
	snprintf(path, sizeof(path), "%s/webserv.cfg", dir);
	cfg = config_load(path, &errors);
}

Test(config_log, defaults)
{
	load("");
	cr_assert_not_null(cfg, "%s", errors);
	cr_assert_not_null(cfg->access_log_format);
	cr_expect_eq(cfg->access_log_format->escape, LOG_ESCAPE_DEFAULT);
	cr_expect_eq(cfg->access_log_buffer, 0);
	cr_expect_eq(cfg->access_log_flush, 1000);
}

Test(config_log, accepted)
{
	load("access_log_format = \"json\"; access_log_buffer = \"64k\";\n"
	     "access_log_flush = \"250ms\";");
	cr_assert_not_null(cfg, "%s", errors);
	cr_expect_eq(cfg->access_log_format->escape, LOG_ESCAPE_JSON);
	cr_expect_eq(cfg->access_log_buffer, 65536);
	cr_expect_eq(cfg->access_log_flush, 250);
	load("access_log_format = \"$remote_addr $request_id $ssl_cipher\";");
	cr_assert_not_null(cfg, "%s", errors);
	cr_expect_eq(cfg->access_log_format->op_count, 5);
}

Test(config_log, refused_with_file_and_line)
{
	static const struct {
		const char *text;
		const char *why;
	} bad[] = {
	    {"access_log_format = \"$status $nope\";",
	     "unknown variable $nope"},
	    {"access_log_format = \"\";", "empty"},
	    {"access_log_format = 3;", "string"},
	    {"access_log_buffer = \"1k\";", "4k .. 16m"},
	    {"access_log_buffer = \"1g\";", "4k .. 16m"},
	    {"access_log_flush = \"0ms\";", "1ms .. 1h"},
	    {"access_log_flush = \"2h\";", "1ms .. 1h"},
	};
	char want[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		load(bad[i].text);
		cr_expect_null(cfg, "accepted %s", bad[i].text);
		snprintf(want, sizeof(want), "webserv.cfg:2: ");
		cr_expect(errors && strstr(errors, want) &&
			      strstr(errors, bad[i].why),
			  "%s: %s", bad[i].text, errors ? errors : "");
	}
}

Test(config_log, real_ip_from_and_proxy_protocol_timeout)
{
	load("");
	cr_assert_not_null(cfg, "%s", errors);
	cr_expect_eq(cfg->real_ip_from_count, 0);
	cr_expect_eq(cfg->proxy_protocol_timeout, 5000);
	load("real_ip_from = [ \"10.0.0.0/8\", \"::1\" ];\n"
	     "proxy_protocol_timeout = \"2s\";");
	cr_assert_not_null(cfg, "%s", errors);
	cr_expect_eq(cfg->real_ip_from_count, 2);
	cr_expect_eq(cfg->proxy_protocol_timeout, 2000);
	static const struct {
		const char *text;
		const char *why;
	} bad[] = {
	    {"real_ip_from = [ \"10.0.0.0/33\" ];", "bad address or network"},
	    {"real_ip_from = [ ];", "must not be empty"},
	    {"real_ip_from = \"nonsense\";", "bad address or network"},
	    {"proxy_protocol_timeout = \"2m\";", "1ms .. 60s"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		load(bad[i].text);
		cr_expect_null(cfg, "accepted %s", bad[i].text);
		cr_expect(errors && strstr(errors, "webserv.cfg:2: ") &&
			      strstr(errors, bad[i].why),
			  "%s: %s", bad[i].text, errors ? errors : "");
	}
}

static void load_servers(const char *servers)
{
	char path[256], text[1024];

	config_free(cfg);
	free(errors);
	errors = NULL;
	snprintf(text, sizeof(text), "http = { root = \"www\"; };\n%s\n",
		 servers);
	put("webserv.cfg", text);
	snprintf(path, sizeof(path), "%s/webserv.cfg", dir);
	cfg = config_load(path, &errors);
}

Test(config_log, listen_proxy_protocol_flag)
{
	load_servers(
	    "servers = ( { listen = [ \"127.0.0.1:8080 proxy_protocol\","
	    " \"127.0.0.1:8081\" ]; } );");
	cr_assert_not_null(cfg, "%s", errors);
	cr_assert_eq(cfg->listen_count, 2);
	cr_expect(cfg->listens[0].proxy_protocol);
	cr_expect(!cfg->listens[0].tls);
	cr_expect(!cfg->listens[1].proxy_protocol);
	cr_expect_str_eq(cfg->listens[0].text, "127.0.0.1:8080");
	/* one address: PROXY for every server on it or for none */
	load_servers(
	    "servers = ( { listen = [ \"8080 proxy_protocol\" ]; },\n"
	    "  { listen = [ \"8080\" ]; server_names = [ \"b\" ]; } );");
	cr_expect_null(cfg);
	cr_expect(errors && strstr(errors, "webserv.cfg:3: ") &&
		      strstr(errors, "PROXY protocol for all or for none"),
		  "%s", errors ? errors : "");
	load_servers("servers = ( { listen = [ \"proxy_protocol\" ]; } );");
	cr_expect_null(cfg);
	load_servers("servers = ( { listen = [ \"8080 proxy\" ]; } );");
	cr_expect_null(cfg);
	cr_expect(errors && strstr(errors, "unknown flag"), "%s",
		  errors ? errors : "");
}
