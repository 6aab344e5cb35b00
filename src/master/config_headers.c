/*
 * config_headers.c - headers = { Cache-Control = "max-age=3600"; };
 * (http, server, location): fields added to every response there, error
 * responses and 304 included (nginx's add_header ... always).
 * Unlike the other lists these merge per name: a scope starts from its
 * parent's fields and its own replace those of the same name
 * (case-insensitive) or are appended.  An empty value is refused.
 * Fields webserv writes itself (framing, Date, Server...) are refused:
 * a second Content-Length or Connection would break the response.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"

/* Written by webserv: never set from the configuration. */
static const char *const owned[] = {
    "Content-Length",
    "Transfer-Encoding",
    "Connection",
    "Keep-Alive",
    "Proxy-Connection",
    "Upgrade",
    "Trailer",
    "TE",
    "Date",
    "Server",
    "Content-Type",
    "Content-Encoding",
    "Content-Range",
    "Location",
    "ETag",
    "Last-Modified",
    "X-Request-Id",
};

/* RFC 9110 §5.6.2 tchar. */
static bool is_tchar(unsigned char ch)
{
	if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= 'A' && ch <= 'Z'))
		return true;
	return ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

static bool is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!is_tchar((unsigned char)*s))
			return false;
	return true;
}

/* A field value: no CR, LF (libconfig strings hold no NUL). */
static bool value_ok(const char *v)
{
	return strpbrk(v, "\r\n") == NULL;
}

static bool is_owned(const char *name)
{
	for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		if (strcasecmp(name, owned[i]) == 0)
			return true;
	return false;
}

void cfg_h_headers(struct cfg_ctx *ctx, const config_setting_t *s,
		   struct cfg_target *t)
{
	if (cfg_group(ctx, s) < 0)
		return;
	for (int i = 0; i < config_setting_length(s) && !ctx->oom; i++) {
		const config_setting_t *e =
		    config_setting_get_elem(s, (unsigned)i);
		const char *name = config_setting_name(e);
		const char *value;

		if (cfg_string(ctx, e, &value) < 0)
			continue;
		if (name == NULL || !is_token(name)) {
			cfg_err(ctx, e, "header name \"%s\" is not a token",
				name ? name : "");
			continue;
		}
		if (is_owned(name)) {
			cfg_err(ctx, e,
				"header '%s' is written by webserv itself "
				"and cannot be set in 'headers'",
				name);
			continue;
		}
		if (!value_ok(value)) {
			cfg_err(ctx, e,
				"header '%s': the value must not hold CR or "
				"LF",
				name);
			continue;
		}
		cfg_nv_set(ctx, &t->loc->headers, &t->loc->header_count, name,
			   value, true);
	}
}
