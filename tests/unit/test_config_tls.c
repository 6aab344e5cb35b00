/*
 * test_config_tls.c - the TLS settings of config_load(): the " tls"
 * listen flag, a server's tls pairs (built into an SSL_CTX at load),
 * http-level tls_*; every refusal with its FILE:LINE, the expiry warning.
 * Keys and certificates are made with the openssl CLI in a temp dir.
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

/* A self-signed certificate NAME.pem and key NAME.key, valid for days. */
static void make_cert(const char *name, const char *alg, int days)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "cd %s && openssl req -x509 -newkey %s -nodes -keyout %s.key "
		 "-out %s.pem -days %d -subj /CN=localhost >/dev/null 2>&1",
		 dir, alg, name, name, days);
	cr_assert_eq(system(cmd), 0, "openssl: %s", cmd);
}

#define EC "ec -pkeyopt ec_paramgen_curve:P-256"

static void setup(void)
{
	fixture_start("wstlscfg");
}

TestSuite(config_tls, .init = setup, .fini = teardown);

static void load(const char *text)
{
	char path[256];

	put("webserv.cfg", text);
	snprintf(path, sizeof(path), "%s/webserv.cfg", dir);
	cfg = config_load(path, &errors);
}

/* errors holds "DIR/webserv.cfg:LINE: ...what..." */
static void expect_error(int line, const char *what)
{
	char want[512];

	cr_assert_null(cfg, "loaded, expected an error about %s", what);
	cr_assert_not_null(errors);
	snprintf(want, sizeof(want), "%s/webserv.cfg:%d: ", dir, line);
	cr_expect_not_null(strstr(errors, want), "no '%s' in:\n%s", want,
			   errors);
	cr_expect_not_null(strstr(errors, what), "no '%s' in:\n%s", what,
			   errors);
}

Test(config_tls, listen_flag_and_context)
{
	make_cert("a", EC, 90);
	load("servers = ( { listen = [ \"127.0.0.1:8443 tls\", \"8080\" ];\n"
	     "  root = \"www\";\n"
	     "  tls = { certificate = \"a.pem\"; key = \"a.key\"; }; } );\n");
	cr_assert_not_null(cfg, "errors:\n%s", errors);
	cr_assert_eq(cfg->listen_count, 2);
	cr_expect(cfg->listens[0].tls);
	cr_expect_str_eq(cfg->listens[0].text, "127.0.0.1:8443");
	cr_expect(!cfg->listens[1].tls);
	cr_assert_eq(cfg->servers[0].tls_count, 1);
	cr_expect_not_null(cfg->servers[0].ssl_ctx);
	cr_expect_null(cfg->warnings, "%s", cfg->warnings);
	/* defaults */
	cr_expect_eq(cfg->tls_protocols, 3u);
	cr_expect_eq(cfg->tls_handshake_timeout, 10000u);
	cr_expect(cfg->tls_session_tickets);
}

Test(config_tls, rsa_and_ecdsa_pairs)
{
	make_cert("r", "rsa:2048", 90);
	make_cert("e", EC, 90);
	load("servers = ( { listen = [ \"8443 tls\" ]; root = \"www\";\n"
	     "  tls = ( { certificate = \"r.pem\"; key = \"r.key\"; },\n"
	     "          { certificate = \"e.pem\"; key = \"e.key\"; } ); } "
	     ");\n");
	cr_assert_not_null(cfg, "errors:\n%s", errors);
	cr_expect_eq(cfg->servers[0].tls_count, 2);
	cr_expect_not_null(cfg->servers[0].ssl_ctx);
}

Test(config_tls, unknown_listen_flag)
{
	load("servers = ( { root = \"www\";\n"
	     "  listen = [ \"8443 ssl\" ]; } );\n");
	expect_error(2, "unknown flag");
}

Test(config_tls, tls_listen_needs_certificate)
{
	load("servers = ( { root = \"www\";\n"
	     "  listen = [ \"8443 tls\" ]; } );\n");
	expect_error(2, "needs a 'tls' certificate");
}

Test(config_tls, address_tls_for_all_or_none)
{
	make_cert("a", EC, 90);
	load("servers = ( { root = \"www\"; listen = [ \"8443 tls\" ];\n"
	     "  tls = { certificate = \"a.pem\"; key = \"a.key\"; }; },\n"
	     "  { root = \"www\"; server_names = [ \"b\" ];\n"
	     "    listen = [ \"8443\" ]; } );\n");
	expect_error(4, "TLS for all or for none");
}

Test(config_tls, missing_certificate_file)
{
	make_cert("a", EC, 90);
	load("servers = ( { root = \"www\"; listen = [ \"8443 tls\" ];\n"
	     "  tls = {\n"
	     "    certificate = \"nope.pem\";\n"
	     "    key = \"a.key\"; }; } );\n");
	expect_error(3, "cannot read");
}

Test(config_tls, key_of_another_certificate)
{
	make_cert("a", EC, 90);
	make_cert("b", EC, 90);
	load("servers = ( { root = \"www\"; listen = [ \"8443 tls\" ];\n"
	     "  tls = {\n"
	     "    certificate = \"a.pem\";\n"
	     "    key = \"b.key\"; }; } );\n");
	expect_error(4, "b.key");
}

Test(config_tls, not_a_certificate)
{
	make_cert("a", EC, 90);
	put("junk.pem", "this is not PEM\n");
	load("servers = ( { root = \"www\"; listen = [ \"8443 tls\" ];\n"
	     "  tls = {\n"
	     "    certificate = \"junk.pem\";\n"
	     "    key = \"a.key\"; }; } );\n");
	expect_error(3, "junk.pem");
}

Test(config_tls, pair_needs_both)
{
	load("servers = ( { root = \"www\"; listen = [ \"8443 tls\" ];\n"
	     "  tls = { certificate = \"a.pem\"; }; } );\n");
	expect_error(2, "both 'certificate' and 'key'");
}

Test(config_tls, expiry_warning)
{
	char want[256];

	make_cert("a", EC, 3);
	load("servers = ( { root = \"www\"; listen = [ \"8443 tls\" ];\n"
	     "  tls = {\n"
	     "    certificate = \"a.pem\"; key = \"a.key\"; }; } );\n");
	cr_assert_not_null(cfg, "errors:\n%s", errors);
	cr_assert_not_null(cfg->warnings);
	snprintf(want, sizeof(want), "%s/webserv.cfg:3: warning: ", dir);
	cr_expect_not_null(strstr(cfg->warnings, want), "%s", cfg->warnings);
	cr_expect_not_null(strstr(cfg->warnings, "expires within 14 days"),
			   "%s", cfg->warnings);
}

Test(config_tls, http_settings)
{
	make_cert("a", EC, 90);
	load("http = { tls_protocols = [ \"TLSv1.3\" ];\n"
	     "  tls_handshake_timeout = \"2s\"; tls_session_tickets = false;\n"
	     "  tls_ciphers = \"ECDHE-ECDSA-AES128-GCM-SHA256\"; };\n"
	     "servers = ( { root = \"www\"; listen = [ \"8443 tls\" ];\n"
	     "  tls = { certificate = \"a.pem\"; key = \"a.key\"; }; } );\n");
	cr_assert_not_null(cfg, "errors:\n%s", errors);
	cr_expect_eq(cfg->tls_protocols, 2u);
	cr_expect_eq(cfg->tls_handshake_timeout, 2000u);
	cr_expect(!cfg->tls_session_tickets);
	cr_expect_str_eq(cfg->tls_ciphers, "ECDHE-ECDSA-AES128-GCM-SHA256");
}

Test(config_tls, bad_http_settings)
{
	load("http = {\n"
	     "  tls_protocols = [ \"SSLv3\" ];\n"
	     "  tls_ciphers = \"NOTACIPHER\";\n"
	     "  tls_handshake_timeout = 0; };\n"
	     "servers = ( { root = \"www\"; listen = [ \"8080\" ]; } );\n");
	expect_error(2, "SSLv3");
	expect_error(3, "NOTACIPHER");
	expect_error(4, "tls_handshake_timeout");
}

Test(config_tls, unused_tls_is_a_warning)
{
	load("servers = ( { root = \"www\"; listen = [ \"8080\" ];\n"
	     "  tls = { certificate = \"a.pem\"; key = \"a.key\"; }; } );\n");
	cr_assert_not_null(cfg, "errors:\n%s", errors);
	cr_expect_not_null(
	    strstr(cfg->warnings ? cfg->warnings : "", "'tls' is unused"));
}

Test(config_tls, two_pairs_of_one_key_type)
{
	make_cert("a", EC, 90);
	make_cert("b", EC, 90);
	load("servers = ( { listen = [ \"8443 tls\" ]; root = \"www\";\n"
	     "  tls = ( { certificate = \"a.pem\"; key = \"a.key\"; },\n"
	     "          { certificate = \"b.pem\"; key = \"b.key\"; } ); } "
	     ");\n");
	expect_error(3, "same key type");
}
