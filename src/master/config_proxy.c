/*
 * config_proxy.c - settings for running behind a balancer (DESIGN.md
 * §11), http scope:
 *   real_ip_from = [ "10.0.0.0/8", "::1" ];   # trusted proxies
 *   proxy_protocol_timeout = "5s";            # PROXY header deadline
 * A listen address takes the PROXY protocol with its " proxy_protocol"
 * suffix (config_tls.c reads the flags).
 */
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

#define PROXY_TIMEOUT_MAX (60u * 1000u)

void cfg_proxy_defaults(struct config *cfg)
{
	cfg->proxy_protocol_timeout = 5000;
}

void cfg_proxy_free(struct config *cfg)
{
	free(cfg->real_ip_from);
	cfg->real_ip_from = NULL;
	cfg->real_ip_from_count = 0;
}

void cfg_h_real_ip_from(struct cfg_ctx *ctx, const config_setting_t *s,
			struct cfg_target *t)
{
	(void)t;
	cfg_cidr_list(ctx, s, "leave it out to trust no proxy",
		      &ctx->cfg->real_ip_from, &ctx->cfg->real_ip_from_count);
}

void cfg_h_proxy_protocol_timeout(struct cfg_ctx *ctx,
				  const config_setting_t *s,
				  struct cfg_target *t)
{
	uint64_t ms;

	(void)t;
	if (cfg_duration(ctx, s, &ms) < 0)
		return;
	if (ms < 1 || ms > PROXY_TIMEOUT_MAX)
		cfg_err(ctx, s, "proxy_protocol_timeout must be 1ms .. 60s");
	else
		ctx->cfg->proxy_protocol_timeout = ms;
}

const char *cfg_listen_proxy(const char *text, char *out, size_t cap,
			     bool *proxy)
{
	static const char word[] = "proxy_protocol";
	size_t n = strlen(text), wlen = sizeof(word) - 1, len = 0;

	*proxy = false;
	if (n >= cap)
		return text; /* cfg_listen_flags says it is too long */
	for (size_t i = 0; i < n;) {
		size_t w = strcspn(text + i, " ");
		if (w == wlen && strncmp(text + i, word, wlen) == 0 && i > 0) {
			*proxy = true;
		} else if (w > 0) {
			if (len > 0)
				out[len++] = ' ';
			memcpy(out + len, text + i, w);
			len += w;
		}
		i += w;
		i += strspn(text + i, " ");
	}
	out[len] = '\0';
	return out;
}

void cfg_listen_proxy_set(struct cfg_ctx *ctx, const config_setting_t *e,
			  size_t idx, bool first, bool proxy)
{
	struct listen_addr *l = &ctx->cfg->listens[idx];

	if (first)
		l->proxy_protocol = proxy;
	else if (l->proxy_protocol != proxy)
		cfg_err(ctx, e,
			"listen \"%s\": %s is %s in another server (one "
			"address takes the PROXY protocol for all or for none)",
			config_setting_get_string(e), l->text,
			proxy ? "without proxy_protocol" : "proxy_protocol");
}
