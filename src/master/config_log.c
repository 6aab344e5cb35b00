/*
 * config_log.c - the access log settings of DESIGN.md §11 (http scope):
 *   access_log_format = "combined" | "json" | "$remote_addr $status ...";
 *   access_log_buffer = "64k";   # 0 (default): one write per line
 *   access_log_flush = "1s";     # a buffered line waits at most this
 * The format is compiled here, so an unknown variable is a -t error with
 * file:line and workers never parse it.
 */
#include <stdlib.h>

#include "config_int.h"
#include "log_format.h"

#define LOG_BUFFER_MAX (16u << 20)
#define LOG_FLUSH_MAX  (3600u * 1000u)

void cfg_log_defaults(struct cfg_ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	char why[128];

	cfg->access_log_buffer = 0;
	cfg->access_log_flush = 1000;
	cfg->access_log_format = cfg_calloc(ctx, 1, sizeof(struct log_format));
	if (cfg->access_log_format &&
	    log_format_compile("combined", cfg->access_log_format, why,
			       sizeof(why)) < 0)
		ctx->oom = true;
}

void cfg_log_free(struct config *cfg)
{
	if (cfg->access_log_format == NULL)
		return;
	log_format_free(cfg->access_log_format);
	free(cfg->access_log_format);
	cfg->access_log_format = NULL;
}

void cfg_h_access_log_format(struct cfg_ctx *ctx, const config_setting_t *s,
			     struct cfg_target *t)
{
	struct log_format f;
	const char *v;
	char why[160];

	(void)t;
	if (cfg_string(ctx, s, &v) < 0 || ctx->cfg->access_log_format == NULL)
		return;
	if (log_format_compile(v, &f, why, sizeof(why)) < 0) {
		cfg_err(ctx, s, "%s", why);
		return;
	}
	log_format_free(ctx->cfg->access_log_format);
	*ctx->cfg->access_log_format = f;
}

void cfg_h_access_log_buffer(struct cfg_ctx *ctx, const config_setting_t *s,
			     struct cfg_target *t)
{
	uint64_t n;

	(void)t;
	if (cfg_size(ctx, s, &n) < 0)
		return;
	if (n != 0 && (n < 4096 || n > LOG_BUFFER_MAX))
		cfg_err(ctx, s,
			"access_log_buffer must be 0 (off) or 4k .. 16m");
	else
		ctx->cfg->access_log_buffer = (size_t)n;
}

void cfg_h_access_log_flush(struct cfg_ctx *ctx, const config_setting_t *s,
			    struct cfg_target *t)
{
	uint64_t ms;

	(void)t;
	if (cfg_duration(ctx, s, &ms) < 0)
		return;
	if (ms < 1 || ms > LOG_FLUSH_MAX)
		cfg_err(ctx, s, "access_log_flush must be 1ms .. 1h");
	else
		ctx->cfg->access_log_flush = ms;
}
