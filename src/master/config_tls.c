/*
 * config_tls.c - the TLS settings (DESIGN.md §8): the " tls" listen flag,
 * a server's 'tls' certificate/key pairs, the http-level tls_* settings,
 * and the SSL_CTX of each server, built here, in the master, while it may
 * still read root-only key files; forked workers inherit the contexts.
 * -t therefore checks exactly what will serve: each file readable and
 * parsed, each key matching its certificate, and a warning (file:line)
 * when a certificate expires within 14 days or already has.
 * Invariant: a server with a TLS listen address has an ssl_ctx in any
 * config that loads; a broken pair fails the load (so a reload keeps the
 * old generation).  Never touches a socket.
 */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config_int.h"

#define TLS_V12			 (1u << 0)
#define TLS_V13			 (1u << 1)
#define TLS_EXPIRY_WARN_S	 (14L * 24 * 3600)
#define TLS_HANDSHAKE_DEFAULT_MS 10000u
#define TLS_TIMEOUT_MAX_MS	 (3600u * 1000u)

/* Mozilla's "intermediate" TLSv1.2 list: forward secret AEADs only (no
 * CBC, no RSA key exchange).  TLSv1.3 keeps OpenSSL's default suites. */
#define TLS_CIPHERS_DEFAULT                                                    \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"           \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"           \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

void cfg_tls_defaults(struct config *cfg)
{
	cfg->tls_protocols = TLS_V12 | TLS_V13;
	cfg->tls_ciphers = NULL;
	cfg->tls_handshake_timeout = TLS_HANDSHAKE_DEFAULT_MS;
	cfg->tls_session_tickets = true;
}

/* ---- listen "ADDR tls" ------------------------------------------------- */

bool cfg_listen_h2_word(const char *word, size_t len)
{
	return len == 2 && strncmp(word, "h2", 2) == 0;
}

bool cfg_listen_h2(const char *text)
{
	const char *sp = strchr(text, ' ');

	while (sp != NULL) {
		const char *word = sp + strspn(sp, " ");
		size_t wlen = strcspn(word, " ");
		if (cfg_listen_h2_word(word, wlen))
			return true;
		sp = wlen ? strchr(word, ' ') : NULL;
	}
	return false;
}

int cfg_listen_flags(const char *text, char *addr, size_t cap, bool *tls,
		     const char **why)
{
	const char *sp = strchr(text, ' ');
	size_t len = sp ? (size_t)(sp - text) : strlen(text);

	*tls = false;
	*why = NULL;
	if (len >= cap) {
		*why = "too long";
		return -1;
	}
	memcpy(addr, text, len);
	addr[len] = '\0';
	while (sp != NULL) {
		const char *word = sp + strspn(sp, " ");
		size_t wlen = strcspn(word, " ");
		if (wlen == 0)
			break;
		if (wlen == 3 && strncmp(word, "tls", 3) == 0) {
			*tls = true;
		} else if (cfg_listen_h2_word(word, wlen)) {
			/* cfg_listen_h2() reads it */
		} else {
			*why = "unknown flag (known: \"tls\", \"h2\")";
			return -1;
		}
		sp = strchr(word, ' ');
	}
	return 0;
}

/* ---- http-level settings ----------------------------------------------- */

void cfg_h_tls_protocols(struct cfg_ctx *ctx, const config_setting_t *s,
			 struct cfg_target *t)
{
	unsigned mask = 0;
	int n = cfg_list(ctx, s);

	(void)t;
	if (n < 0)
		return;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = cfg_list_at(s, i);
		const char *v;
		if (cfg_string(ctx, e, &v) < 0)
			continue;
		if (strcmp(v, "TLSv1.2") == 0)
			mask |= TLS_V12;
		else if (strcmp(v, "TLSv1.3") == 0)
			mask |= TLS_V13;
		else
			cfg_err(ctx, e,
				"tls_protocols: \"%s\" is not offered (only "
				"\"TLSv1.2\", \"TLSv1.3\")",
				v);
	}
	if (mask == 0 && n == 0)
		cfg_err(ctx, s, "'tls_protocols' must not be empty");
	else if (mask != 0)
		ctx->cfg->tls_protocols = mask;
}

void cfg_h_tls_ciphers(struct cfg_ctx *ctx, const config_setting_t *s,
		       struct cfg_target *t)
{
	const char *v;
	SSL_CTX *probe;

	(void)t;
	if (cfg_string(ctx, s, &v) < 0)
		return;
	probe = SSL_CTX_new(TLS_server_method());
	if (probe == NULL) {
		ctx->oom = true;
		return;
	}
	if (SSL_CTX_set_cipher_list(probe, v) != 1)
		cfg_err(ctx, s,
			"tls_ciphers \"%s\": no cipher OpenSSL knows in it", v);
	else if ((ctx->cfg->tls_ciphers = cfg_strdup(ctx, v)) == NULL)
		ctx->oom = true;
	ERR_clear_error();
	SSL_CTX_free(probe);
}

void cfg_h_tls_handshake_timeout(struct cfg_ctx *ctx, const config_setting_t *s,
				 struct cfg_target *t)
{
	uint64_t ms;

	(void)t;
	if (cfg_duration(ctx, s, &ms) < 0)
		return;
	if (ms == 0 || ms > TLS_TIMEOUT_MAX_MS)
		cfg_err(ctx, s, "'tls_handshake_timeout' must be 1ms .. 1h");
	else
		ctx->cfg->tls_handshake_timeout = ms;
}

void cfg_h_tls_session_tickets(struct cfg_ctx *ctx, const config_setting_t *s,
			       struct cfg_target *t)
{
	(void)t;
	cfg_bool(ctx, s, &ctx->cfg->tls_session_tickets);
}

/* ---- a server's 'tls' --------------------------------------------------- */

/* One { certificate = ...; key = ...; } group into *pair. */
static void read_pair(struct cfg_ctx *ctx, const config_setting_t *g,
		      struct tls_pair *pair)
{
	const config_setting_t *cert = NULL, *key = NULL;
	const char *v;

	if (cfg_group(ctx, g) < 0)
		return;
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *m = config_setting_get_elem(g, i);
		const char *name = config_setting_name(m);
		if (strcmp(name, "certificate") == 0)
			cert = m;
		else if (strcmp(name, "key") == 0)
			key = m;
		else
			cfg_err(ctx, m,
				"unknown setting '%s' in tls (only "
				"'certificate' and 'key')",
				name);
	}
	if (cert == NULL || key == NULL) {
		cfg_err(ctx, g, "tls needs both 'certificate' and 'key'");
		return;
	}
	if (cfg_string(ctx, cert, &v) == 0)
		pair->certificate = cfg_path(ctx, v);
	if (cfg_string(ctx, key, &v) == 0)
		pair->key = cfg_path(ctx, v);
}

void cfg_h_tls(struct cfg_ctx *ctx, const config_setting_t *s,
	       struct cfg_target *t)
{
	struct server *srv = t->srv;
	int n = config_setting_is_group(s) ? 1 : cfg_list(ctx, s);

	if (n < 0)
		return;
	if (n == 0) {
		cfg_err(ctx, s, "'tls' must not be empty");
		return;
	}
	srv->tls = cfg_calloc(ctx, (size_t)n, sizeof(*srv->tls));
	if (srv->tls == NULL)
		return;
	srv->tls_count = (size_t)n;
	if (config_setting_is_group(s)) {
		read_pair(ctx, s, &srv->tls[0]);
		return;
	}
	for (int i = 0; i < n; i++)
		read_pair(ctx, config_setting_get_elem(s, (unsigned)i),
			  &srv->tls[i]);
}

/* ---- session ticket keys ------------------------------------------------ */

/*
 * One random secret per master process, made at the first load that
 * needs it and kept over every reload (this is the master's memory:
 * -s reload and SIGHUP reuse it, workers inherit it by fork).  The keys
 * that encrypt tickets are derived from it per period of
 * TICKET_PERIOD_S (HMAC-SHA256 of the secret, a label and the period
 * number), so every worker of every generation computes the same keys
 * without talking to the others, and they rotate on their own: a ticket
 * is made with the current period's key and accepted with the current
 * or the previous one (then renewed); older tickets get a full handshake.
 */
#define TICKET_PERIOD_S 3600
static unsigned char ticket_secret[32];
static bool ticket_secret_made;

static void ticket_derive(const char *label, uint64_t period,
			  unsigned char out[32])
{
	unsigned char msg[16] = {0};
	unsigned int len = 32;

	memcpy(msg, label, strlen(label) < 8 ? strlen(label) : 8);
	for (int i = 0; i < 8; i++)
		msg[8 + i] = (unsigned char)(period >> (56 - 8 * i));
	HMAC(EVP_sha256(), ticket_secret, sizeof(ticket_secret), msg,
	     sizeof(msg), out, &len);
}

/* key_name: 8 bytes naming this master's secret, then the period. */
static void ticket_name(uint64_t period, unsigned char name[16])
{
	unsigned char id[32];

	ticket_derive("name", 0, id);
	memcpy(name, id, 8);
	for (int i = 0; i < 8; i++)
		name[8 + i] = (unsigned char)(period >> (56 - 8 * i));
}

/* A period's keys, derived once per worker and period (the derivation
 * and an implicit cipher fetch per ticket cost more than the ticket). */
struct ticket_period {
	uint64_t period;
	bool made;
	unsigned char name[16], aes[32], mac[32];
};

static const struct ticket_period *ticket_period_keys(uint64_t period)
{
	static struct ticket_period slot[2];
	struct ticket_period *t = &slot[period & 1];

	if (!t->made || t->period != period) {
		t->period = period;
		ticket_name(period, t->name);
		ticket_derive("aes", period, t->aes);
		ticket_derive("hmac", period, t->mac);
		t->made = true;
	}
	return t;
}

static int ticket_keys(SSL *ssl, unsigned char key_name[16],
		       unsigned char iv[EVP_MAX_IV_LENGTH],
		       EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	static EVP_CIPHER *aes_cbc;
	uint64_t now = (uint64_t)time(NULL) / TICKET_PERIOD_S, period = now;
	const struct ticket_period *t;
	OSSL_PARAM params[3];
	int rc = 1;

	(void)ssl;
	if (aes_cbc == NULL &&
	    (aes_cbc = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL)) == NULL)
		return -1;
	if (enc) {
		t = ticket_period_keys(now);
		memcpy(key_name, t->name, 16);
		if (RAND_bytes(iv, 16) != 1)
			return -1;
	} else {
		for (int i = 0; i < 8; i++)
			period =
			    i ? period << 8 | key_name[8 + i] : key_name[8];
		if (period != now && period + 1 != now)
			return 0; /* too old (or not ours): full handshake */
		t = ticket_period_keys(period);
		if (memcmp(t->name, key_name, 16) != 0)
			return 0; /* another master's: full handshake */
		rc = period == now ? 1 : 2; /* 2: issue a fresh ticket */
	}
	params[0] = OSSL_PARAM_construct_octet_string(
	    OSSL_MAC_PARAM_KEY, (void *)t->mac, sizeof(t->mac));
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_MAC_CTX_set_params(hctx, params) != 1 ||
	    (enc ? EVP_EncryptInit_ex(cctx, aes_cbc, NULL, t->aes, iv)
		 : EVP_DecryptInit_ex(cctx, aes_cbc, NULL, t->aes, iv)) != 1)
		rc = -1;
	return rc;
}

static bool ticket_setup(SSL_CTX *sc)
{
	if (!ticket_secret_made) {
		if (RAND_bytes(ticket_secret, sizeof(ticket_secret)) != 1)
			return false;
		ticket_secret_made = true;
	}
	/* a ticket outlives at most two periods of keys */
	SSL_CTX_set_timeout(sc, 2 * TICKET_PERIOD_S);
	return SSL_CTX_set_tlsext_ticket_key_evp_cb(sc, ticket_keys) == 1;
}

/* ---- contexts ----------------------------------------------------------- */

/* The protocol a server offers by ALPN.  "h2" goes first here once
 * HTTP/2 exists (DESIGN.md §9). */
static const unsigned char alpn_offer[] = "\x08http/1.1";

static int alpn_select(SSL *ssl, const unsigned char **out,
		       unsigned char *outlen, const unsigned char *in,
		       unsigned inlen, void *arg)
{
	unsigned char *sel;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, alpn_offer,
				  sizeof(alpn_offer) - 1, in,
				  inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

static const char *ssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : "not valid";
}

/* The 'certificate' or 'key' member of the i-th pair of 'tls', for
 * messages (the group itself when not found). */
static const config_setting_t *pair_member(const config_setting_t *tls,
					   size_t i, const char *name)
{
	const config_setting_t *g =
	    config_setting_is_group(tls)
		? tls
		: config_setting_get_elem(tls, (unsigned)i);
	const config_setting_t *m =
	    g ? config_setting_get_member(g, name) : NULL;

	return m ? m : (g ? g : tls);
}

static bool file_readable(struct cfg_ctx *ctx, const config_setting_t *s,
			  const char *path)
{
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		cfg_err(ctx, s, "cannot read \"%s\": %s", path,
			strerror(errno));
		return false;
	}
	fclose(f);
	return true;
}

static void warn_expiry(struct cfg_ctx *ctx, const config_setting_t *s,
			const char *path, X509 *cert)
{
	time_t soon = time(NULL) + TLS_EXPIRY_WARN_S;
	const ASN1_TIME *end = cert ? X509_get0_notAfter(cert) : NULL;

	if (end == NULL)
		return;
	if (X509_cmp_current_time(end) <= 0)
		cfg_warn(ctx, s, "certificate \"%s\" has expired", path);
	else if (X509_cmp_time(end, &soon) <= 0)
		cfg_warn(ctx, s, "certificate \"%s\" expires within 14 days",
			 path);
}

static bool load_pair(struct cfg_ctx *ctx, SSL_CTX *sc,
		      const config_setting_t *tls, size_t i,
		      const struct tls_pair *pair)
{
	const config_setting_t *cs = pair_member(tls, i, "certificate");
	const config_setting_t *ks = pair_member(tls, i, "key");

	if (pair->certificate == NULL || pair->key == NULL)
		return false;
	if (!file_readable(ctx, cs, pair->certificate) ||
	    !file_readable(ctx, ks, pair->key))
		return false;
	ERR_clear_error();
	if (SSL_CTX_use_certificate_chain_file(sc, pair->certificate) != 1) {
		cfg_err(ctx, cs, "certificate \"%s\": %s", pair->certificate,
			ssl_reason());
		return false;
	}
	warn_expiry(ctx, cs, pair->certificate, SSL_CTX_get0_certificate(sc));
	if (SSL_CTX_use_PrivateKey_file(sc, pair->key, SSL_FILETYPE_PEM) != 1) {
		cfg_err(ctx, ks, "key \"%s\": %s (or not the key of \"%s\")",
			pair->key, ssl_reason(), pair->certificate);
		return false;
	}
	if (SSL_CTX_check_private_key(sc) != 1) {
		cfg_err(ctx, ks, "key \"%s\" does not match certificate \"%s\"",
			pair->key, pair->certificate);
		return false;
	}
	return true;
}

static SSL_CTX *new_context(struct cfg_ctx *ctx)
{
	const struct config *cfg = ctx->cfg;
	SSL_CTX *sc = SSL_CTX_new(TLS_server_method());

	if (sc == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(sc, (cfg->tls_protocols & TLS_V12)
					      ? TLS1_2_VERSION
					      : TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(sc, (cfg->tls_protocols & TLS_V13)
					      ? TLS1_3_VERSION
					      : TLS1_2_VERSION);
	SSL_CTX_set_cipher_list(sc, cfg->tls_ciphers ? cfg->tls_ciphers
						     : TLS_CIPHERS_DEFAULT);
	SSL_CTX_set_options(sc, SSL_OP_NO_RENEGOTIATION |
				    SSL_OP_CIPHER_SERVER_PREFERENCE |
				    SSL_OP_NO_COMPRESSION);
	/* Idle connections give their buffers back; writes may be partial
	 * and retried from a moved buffer (the connection's out buffer). */
	SSL_CTX_set_mode(sc, SSL_MODE_RELEASE_BUFFERS |
				 SSL_MODE_ENABLE_PARTIAL_WRITE |
				 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* A record in one read(2), not a header read and a body read;
	 * records read ahead wait in OpenSSL (conn_tls_pending). */
	SSL_CTX_set_read_ahead(sc, 1);
	/* One worker's session cache would miss in the others: tickets,
	 * with keys every worker derives alike (ticket_keys). */
	SSL_CTX_set_session_cache_mode(sc, SSL_SESS_CACHE_OFF);
	if (!cfg->tls_session_tickets) {
		SSL_CTX_set_options(sc, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(sc, 0);
	} else if (!ticket_setup(sc)) {
		SSL_CTX_free(sc);
		return NULL;
	}
	SSL_CTX_set_alpn_select_cb(sc, alpn_select, NULL);
	return sc;
}

static bool server_has_tls_listen(const struct config *cfg,
				  const struct server *srv)
{
	for (size_t k = 0; k < srv->listen_count; k++)
		if (cfg->listens[srv->listens[k]].tls)
			return true;
	return false;
}

void cfg_tls_build(struct cfg_ctx *ctx)
{
	struct config *cfg = ctx->cfg;

	for (size_t i = 0; i < cfg->server_count && !ctx->oom; i++) {
		struct server *srv = &cfg->servers[i];
		const struct cfg_server_info *info = &ctx->srv_info[i];
		const config_setting_t *tls =
		    info->group ? config_setting_get_member(info->group, "tls")
				: NULL;
		bool ok = true;

		if (!server_has_tls_listen(cfg, srv)) {
			if (tls != NULL)
				cfg_warn(ctx, tls,
					 "'tls' is unused: no listen address "
					 "of this server has the \"tls\" flag");
			continue;
		}
		if (tls == NULL || srv->tls_count == 0) {
			if (tls == NULL)
				cfg_err(ctx,
					info->listen ? info->listen
						     : info->group,
					"a \"tls\" listen address needs a "
					"'tls' certificate in this server");
			continue;
		}
		srv->ssl_ctx = new_context(ctx);
		if (srv->ssl_ctx == NULL) {
			ctx->oom = true;
			return;
		}
		int types[8] = {0};
		for (size_t k = 0; k < srv->tls_count; k++) {
			if (!load_pair(ctx, srv->ssl_ctx, tls, k,
				       &srv->tls[k])) {
				ok = false;
				continue;
			}
			/* OpenSSL keeps one pair per key type: a second
			 * would silently replace the first */
			int type = EVP_PKEY_get_base_id(
			    SSL_CTX_get0_privatekey(srv->ssl_ctx));
			for (size_t j = 0; j < k && j < 8; j++)
				if (types[j] == type)
					cfg_err(
					    ctx,
					    pair_member(tls, k, "certificate"),
					    "a second pair with the same "
					    "key type as \"%s\" (one "
					    "pair per type: RSA, ECDSA, "
					    "Ed25519)",
					    srv->tls[j].certificate);
			if (k < 8)
				types[k] = type;
		}
		ERR_clear_error();
		(void)ok;
	}
}

void cfg_tls_free(struct server *srv)
{
	for (size_t k = 0; k < srv->tls_count; k++) {
		free(srv->tls[k].certificate);
		free(srv->tls[k].key);
	}
	free(srv->tls);
	SSL_CTX_free(srv->ssl_ctx);
}
