/*
 * fuzz_tls.c - libFuzzer harness for the TLS input path: the cleartext
 * detector (tls_sniff, src/http/tls_sniff.c), a server SSL object made
 * from the SSL_CTXs the config loader builds, fed the input as the
 * client's bytes over memory BIOs (so the SNI callback of
 * src/worker/conn_tls.c picks the server on fuzzed ClientHellos), and the
 * 421 check (conn_tls_misdirected) against every server.
 *
 * Setup (once): a temporary directory with two ECDSA P-256 certificates
 * made by the openssl CLI and a config of three servers on one TLS
 * address: a.test (the default) and c.test with certificate A, b.test
 * with certificate B.
 * Input: byte 0 and 1 choose how the rest is split into pieces (fuzz.h),
 * the rest is what the client sends.  Checks:
 *   - tls_sniff on every prefix up to 16 bytes: a 0x16 first byte is
 *     TLS; PLAIN exactly for upper-case letters that are all there is
 *     or end at a space; once TLS or OTHER, longer prefixes keep the
 *     verdict, and PLAIN after the space stays PLAIN;
 *   - the handshake never crashes, leaks or loops on any bytes; when the
 *     SNI callback ran, the connection's server is the one router_server
 *     gives for the name (or the default) and the SSL object uses that
 *     server's SSL_CTX;
 *   - conn_tls_misdirected is true exactly when SNI was given, it picked
 *     a server, and the Host's server has another certificate (c.test
 *     shares a.test's: never 421 between them).
 * A seed corpus (tests/fuzz/corpus/tls) holds real ClientHellos with and
 * without SNI, made by Python's ssl module.
 */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "conn.h"
#include "fuzz.h"
#include "router.h"
#include "tls_sniff.h"

static char dir[64];
static struct config *cfg;
static struct worker fake_worker;

static void run(const char *cmd)
{
	FUZZ_CHECK(system(cmd) == 0, "setup failed: %s", cmd);
}

static void remove_dir_tree(void)
{
	char cmd[128];

	if (cfg != NULL)
		config_free(cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_tls: could not remove %s\n", dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char cmd[1024], path[128], *errors = NULL;
	FILE *f;

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/webserv-fuzz-XXXXXX",
		 tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	FUZZ_CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	atexit(remove_dir_tree);
	for (int i = 0; i < 2; i++) {
		snprintf(
		    cmd, sizeof(cmd),
		    "cd %s && mkdir -p www && openssl req -x509 -newkey ec "
		    "-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "
		    "%c.key -out %c.pem -days 365 -subj /CN=%c.test "
		    ">/dev/null 2>&1",
		    dir, "ab"[i], "ab"[i], "ab"[i]);
		run(cmd);
	}
	snprintf(path, sizeof(path), "%s/webserv.cfg", dir);
	f = fopen(path, "w");
	FUZZ_CHECK(f != NULL, "open %s", path);
	fprintf(f,
		"workers = 1;\nlog_level = \"error\";\nservers = (\n"
		"  { listen = [ \"127.0.0.1:1 tls\" ]; server_names = [ "
		"\"a.test\" ];\n    root = \"%s/www\";\n    tls = { "
		"certificate = \"%s/a.pem\"; key = \"%s/a.key\"; }; },\n"
		"  { listen = [ \"127.0.0.1:1 tls\" ]; server_names = [ "
		"\"b.test\" ];\n    root = \"%s/www\";\n    tls = { "
		"certificate = \"%s/b.pem\"; key = \"%s/b.key\"; }; },\n"
		"  { listen = [ \"127.0.0.1:1 tls\" ]; server_names = [ "
		"\"c.test\" ];\n    root = \"%s/www\";\n    tls = { "
		"certificate = \"%s/a.pem\"; key = \"%s/a.key\"; }; }\n);\n",
		dir, dir, dir, dir, dir, dir, dir, dir, dir);
	fclose(f);
	cfg = config_load(path, &errors);
	FUZZ_CHECK(cfg != NULL, "config: %s", errors ? errors : "?");
	free(errors);
	FUZZ_CHECK(cfg->server_count == 3 && cfg->listen_count == 1,
		   "%zu servers, %zu addresses", cfg->server_count,
		   cfg->listen_count);
	conn_tls_init(cfg);
	fake_worker.cfg = cfg;
	return 0;
}

static void check_sniff(const unsigned char *p, size_t n)
{
	enum tls_sniff prev = TLS_SNIFF_OTHER;

	FUZZ_CHECK(tls_sniff(p, 0) == TLS_SNIFF_OTHER, "empty input");
	for (size_t m = 1; m <= n && m <= 16; m++) {
		unsigned char *copy = (unsigned char *)fuzz_dup(p, m);
		enum tls_sniff v = tls_sniff(copy, m);

		free(copy);
		FUZZ_CHECK(v == TLS_SNIFF_TLS || v == TLS_SNIFF_PLAIN ||
			       v == TLS_SNIFF_OTHER,
			   "verdict %d", (int)v);
		FUZZ_CHECK((v == TLS_SNIFF_TLS) == (p[0] == 0x16),
			   "TLS verdict %d for first byte %#x", (int)v, p[0]);
		/* PLAIN: a method token (upper-case letters) that is all
		 * there is so far or ends at a space */
		size_t k = 0;
		while (k < m && p[k] >= 'A' && p[k] <= 'Z')
			k++;
		FUZZ_CHECK((v == TLS_SNIFF_PLAIN) ==
			       (k > 0 && (k == m || p[k] == ' ')),
			   "verdict %d for %.*s", (int)v, (int)m,
			   (const char *)p);
		if (m > 1 && prev != TLS_SNIFF_PLAIN)
			FUZZ_CHECK(v == prev, "verdict %d after %d at %zu",
				   (int)v, (int)prev, m);
		if (m > 1 && prev == TLS_SNIFF_PLAIN && k < m - 1)
			FUZZ_CHECK(v == TLS_SNIFF_PLAIN,
				   "PLAIN lost after the space at %zu", m);
		prev = v;
	}
}

static bool same_certificates(const struct server *x, const struct server *y)
{
	if (x->tls_count != y->tls_count)
		return false;
	for (size_t k = 0; k < x->tls_count; k++)
		if (strcmp(x->tls[k].certificate, y->tls[k].certificate) != 0)
			return false;
	return true;
}

static void check_sni(const struct conn *c, SSL *ssl)
{
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	const struct server *def = router_server(cfg, 0, (struct slice){"", 0});

	if (!c->tls_sni) {
		FUZZ_CHECK(c->tls_server == def, "server moved without SNI");
		FUZZ_CHECK(SSL_get_SSL_CTX(ssl) == def->ssl_ctx,
			   "context moved without SNI");
	} else if (name != NULL) {
		const struct server *want =
		    router_server(cfg, 0, (struct slice){name, strlen(name)});
		if (want == NULL || want->ssl_ctx == NULL)
			want = def;
		FUZZ_CHECK(c->tls_server == want, "SNI %s picked server %s",
			   name, c->tls_server->names[0]);
		FUZZ_CHECK(SSL_get_SSL_CTX(ssl) == want->ssl_ctx,
			   "SNI %s: the context is not its server's", name);
	}
	for (size_t i = 0; i < cfg->server_count; i++) {
		const struct server *srv = &cfg->servers[i];
		bool want = c->tls_sni && srv != c->tls_server &&
			    !same_certificates(srv, c->tls_server);
		FUZZ_CHECK(conn_tls_misdirected(c, srv) == want,
			   "421 for %s after SNI %s: %d", srv->names[0],
			   name ? name : "(none)", !want);
	}
	FUZZ_CHECK(!conn_tls_misdirected(c, NULL), "421 without a server");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conn c;
	struct fuzz_split split;
	SSL *ssl;
	BIO *in, *out;
	const struct server *def;
	size_t off = 2;

	if (size < 3)
		return 0;
	check_sniff(data + 2, size - 2);
	def = router_server(cfg, 0, (struct slice){"", 0});
	FUZZ_CHECK(def != NULL && def->ssl_ctx != NULL, "no default server");
	memset(&c, 0, sizeof(c));
	c.w = &fake_worker;
	c.listen_idx = 0;
	c.tls_server = def;
	ssl = SSL_new(def->ssl_ctx);
	in = BIO_new(BIO_s_mem());
	out = BIO_new(BIO_s_mem());
	FUZZ_CHECK(ssl != NULL && in != NULL && out != NULL, "SSL_new");
	BIO_set_mem_eof_return(in, -1); /* empty: WANT_READ, not EOF */
	SSL_set_bio(ssl, in, out);
	SSL_set_app_data(ssl, &c);
	SSL_set_accept_state(ssl);
	c.ssl = ssl;
	fuzz_split_init(&split, data[0], data[1]);
	while (off < size) {
		size_t n = fuzz_split_next(&split, size - off);
		char sink[4096];
		int r;

		FUZZ_CHECK(BIO_write(in, data + off, (int)n) == (int)n,
			   "BIO_write");
		off += n;
		ERR_clear_error();
		r = SSL_do_handshake(ssl);
		while (BIO_read(out, sink, sizeof(sink)) > 0)
			;
		if (r == 1) {
			/* finished (cannot happen without a real client,
			 * but a read must still behave) */
			SSL_read(ssl, sink, sizeof(sink));
			break;
		}
		r = SSL_get_error(ssl, r);
		if (r != SSL_ERROR_WANT_READ && r != SSL_ERROR_WANT_WRITE)
			break;
	}
	ERR_clear_error();
	check_sni(&c, ssl);
	SSL_free(ssl);
	return 0;
}
