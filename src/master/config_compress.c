/*
 * config_compress.c - the compression settings (DESIGN.md §10), in http,
 * a server or a location: static_compressed, compress, compress_types,
 * compress_min_size, compress_level.  Like every inheritable setting, a
 * scope's own value replaces its parent's whole.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "encoding.h"

#define COMPRESS_LEVEL_MIN 1
#define COMPRESS_LEVEL_MAX 9

/* static_compressed = [ "br", "gzip" ]; compress = [ "br", "gzip" ]; */
void cfg_h_codings(struct cfg_ctx *ctx, const config_setting_t *s,
		   struct cfg_target *t)
{
	const char *name = config_setting_name(s);
	bool is_static = strcmp(name, "static_compressed") == 0;
	uint8_t *list =
	    is_static ? t->loc->static_compressed : t->loc->compress;
	size_t *count = is_static ? &t->loc->static_compressed_count
				  : &t->loc->compress_count;
	int n = cfg_list(ctx, s);
	size_t got = 0;

	if (n < 0)
		return;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = cfg_list_at(s, i);
		const char *v;
		if (cfg_string(ctx, e, &v) < 0)
			continue;
		int enc = encoding_from_name(v, strlen(v));
		if (enc < 0 || strcmp(v, encoding_name(enc)) != 0) {
			cfg_err(ctx, e,
				"unknown coding \"%s\" in '%s' (\"br\", "
				"\"gzip\")",
				v, name);
			continue;
		}
		bool twice = false;
		for (size_t k = 0; k < got; k++)
			twice |= list[k] == enc;
		if (twice) {
			cfg_err(ctx, e, "coding \"%s\" is listed twice", v);
			continue;
		}
		list[got++] = (uint8_t)enc;
	}
	*count = got;
}

/* "type/subtype", a whole type ("text/" then a star) or a lone star:
 * RFC 9110 §8.3.1 tokens, lower-case. */
static bool media_range_ok(const char *v)
{
	const char *slash = strchr(v, '/');
	static const char tspecials[] = "!#$&-^_.+";

	if (strcmp(v, "*") == 0)
		return true;
	if (slash == NULL || slash == v || slash[1] == '\0')
		return false;
	for (const char *p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (p == slash || (p == slash + 1 && c == '*' && p[1] == '\0'))
			continue;
		if (!(islower(c) || isdigit(c) || strchr(tspecials, c)))
			return false;
	}
	return strchr(slash + 1, '/') == NULL;
}

void cfg_h_compress_types(struct cfg_ctx *ctx, const config_setting_t *s,
			  struct cfg_target *t)
{
	struct location *loc = t->loc;
	int n = cfg_list(ctx, s);
	char **types;
	size_t count = 0;

	if (n < 0 ||
	    (types = cfg_calloc(ctx, (size_t)n + 1, sizeof(*types))) == NULL)
		return;
	if (n == 0)
		cfg_err(ctx, s,
			"'compress_types' must not be empty (leave out "
			"'compress' to compress nothing)");
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = cfg_list_at(s, i);
		const char *v;
		if (cfg_string(ctx, e, &v) < 0)
			continue;
		if (!media_range_ok(v)) {
			cfg_err(ctx, e,
				"bad media type \"%s\" in 'compress_types' "
				"(lower-case, like \"text/html\", "
				"\"text/*\")",
				v);
			continue;
		}
		if ((types[count] = cfg_strdup(ctx, v)) != NULL)
			count++;
	}
	cfg_compress_clear(loc);
	loc->compress_types = types;
	loc->compress_type_count = count;
}

void cfg_h_compress_min_size(struct cfg_ctx *ctx, const config_setting_t *s,
			     struct cfg_target *t)
{
	uint64_t v;

	if (cfg_size(ctx, s, &v) == 0)
		t->loc->compress_min_size = v > SIZE_MAX ? SIZE_MAX : (size_t)v;
}

void cfg_h_compress_level(struct cfg_ctx *ctx, const config_setting_t *s,
			  struct cfg_target *t)
{
	long long v;

	if (cfg_int(ctx, s, &v) < 0)
		return;
	if (v < COMPRESS_LEVEL_MIN || v > COMPRESS_LEVEL_MAX)
		cfg_err(ctx, s, "compress_level must be %d .. %d",
			COMPRESS_LEVEL_MIN, COMPRESS_LEVEL_MAX);
	else
		t->loc->compress_level = (int)v;
}

void cfg_compress_clear(struct location *loc)
{
	for (size_t i = 0; i < loc->compress_type_count; i++)
		free(loc->compress_types[i]);
	free(loc->compress_types);
	loc->compress_types = NULL;
	loc->compress_type_count = 0;
}

int cfg_compress_copy(struct cfg_ctx *ctx, struct location *dst,
		      const struct location *src)
{
	dst->compress_types = NULL;
	dst->compress_type_count = 0;
	if (src->compress_types == NULL)
		return 0;
	dst->compress_types =
	    cfg_calloc(ctx, src->compress_type_count + 1, sizeof(char *));
	if (dst->compress_types == NULL)
		return -1;
	for (size_t i = 0; i < src->compress_type_count; i++) {
		dst->compress_types[i] =
		    cfg_strdup(ctx, src->compress_types[i]);
		if (dst->compress_types[i] == NULL)
			return -1;
		dst->compress_type_count++;
	}
	return 0;
}
