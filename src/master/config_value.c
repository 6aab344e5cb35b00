/*
 * config_value.c - typed readers for libconfig settings, path resolution
 * and the deep copy that carries inherited values down to locations.
 * Each reader checks the setting's type and range, reports its own
 * "FILE:LINE: message" and returns -1, so callers just skip the setting.
 * Never keeps a pointer into libconfig's tree beyond the load.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_int.h"
#include "router.h"
#include "units.h"

#define SECONDS_MAX (UINT64_MAX / 1000)

void *cfg_calloc(struct cfg_ctx *ctx, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL)
		ctx->oom = true;
	return p;
}

char *cfg_strdup(struct cfg_ctx *ctx, const char *s)
{
	char *copy = strdup(s);

	if (copy == NULL)
		ctx->oom = true;
	return copy;
}

/* The name to show: a list element is named after its list. */
static const char *shown_name(const config_setting_t *s)
{
	for (; s != NULL; s = config_setting_parent(s))
		if (config_setting_name(s) != NULL)
			return config_setting_name(s);
	return "value";
}

int cfg_string(struct cfg_ctx *ctx, const config_setting_t *s, const char **out)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_err(ctx, s, "'%s' must be a string", shown_name(s));
		return -1;
	}
	*out = config_setting_get_string(s);
	if (**out == '\0') {
		cfg_err(ctx, s, "'%s' must not be empty", shown_name(s));
		return -1;
	}
	return 0;
}

int cfg_bool(struct cfg_ctx *ctx, const config_setting_t *s, bool *out)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		cfg_err(ctx, s, "'%s' must be true or false", shown_name(s));
		return -1;
	}
	*out = config_setting_get_bool(s) != 0;
	return 0;
}

static bool is_int(const config_setting_t *s)
{
	return config_setting_type(s) == CONFIG_TYPE_INT ||
	       config_setting_type(s) == CONFIG_TYPE_INT64;
}

int cfg_int(struct cfg_ctx *ctx, const config_setting_t *s, long long *out)
{
	if (!is_int(s)) {
		cfg_err(ctx, s, "'%s' must be an integer", shown_name(s));
		return -1;
	}
	*out = config_setting_get_int64(s);
	return 0;
}

/* Well formed (digits and a known unit) yet rejected: it overflowed. */
static bool duration_overflows(const char *text)
{
	static const char *const units[] = {"", "ms", "s", "m", "h"};
	const char *unit = text + strspn(text, "0123456789");

	if (unit == text)
		return false;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcasecmp(unit, units[i]) == 0)
			return true;
	return false;
}

static void size_err(struct cfg_ctx *ctx, const config_setting_t *s,
		     const char *text)
{
	const char *name = shown_name(s);
	const char *unit = text + strspn(text, "0123456789");

	if (text[0] == '-')
		cfg_err(ctx, s, "'%s' must not be negative", name);
	else if (unit != text &&
		 (unit[0] == '\0' ||
		  (unit[1] == '\0' && strchr("kKmMgG", unit[0]))))
		cfg_err(ctx, s, "'%s': \"%s\" is too large", name, text);
	else
		cfg_err(ctx, s,
			"'%s': \"%s\" is not a size like \"512\", "
			"\"8k\", \"10m\" or \"1g\"",
			name, text);
}

/* libconfig 1.5 keeps a plain integer in 32 bits: 3000000000 reads as a
 * negative number (and 5000000000 as 705032704), so say how to write it. */
static void negative_err(struct cfg_ctx *ctx, const config_setting_t *s)
{
	if (config_setting_type(s) == CONFIG_TYPE_INT)
		cfg_err(ctx, s,
			"'%s' must not be negative (integers above "
			"2147483647 need an L suffix, or use a string: \"3g\")",
			shown_name(s));
	else
		cfg_err(ctx, s, "'%s' must not be negative", shown_name(s));
}

int cfg_size(struct cfg_ctx *ctx, const config_setting_t *s, uint64_t *out)
{
	const char *name = shown_name(s);

	if (is_int(s)) {
		long long v = config_setting_get_int64(s);
		if (v < 0) {
			negative_err(ctx, s);
			return -1;
		}
		*out = (uint64_t)v;
	} else if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		const char *text = config_setting_get_string(s);
		if (parse_size(text, out) < 0) {
			size_err(ctx, s, text);
			return -1;
		}
	} else {
		cfg_err(ctx, s,
			"'%s' must be a size: bytes or a string like \"10m\"",
			name);
		return -1;
	}
	if (*out > SIZE_MAX) {
		cfg_err(ctx, s, "'%s' is too large", name);
		return -1;
	}
	return 0;
}

int cfg_duration(struct cfg_ctx *ctx, const config_setting_t *s, uint64_t *ms)
{
	const char *name = shown_name(s);

	if (is_int(s)) {
		long long v = config_setting_get_int64(s);
		if (v < 0) {
			negative_err(ctx, s);
			return -1;
		}
		if ((uint64_t)v > SECONDS_MAX) {
			cfg_err(ctx, s, "'%s' is too large", name);
			return -1;
		}
		*ms = (uint64_t)v * 1000;
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_err(ctx, s,
			"'%s' must be a duration: seconds or a string "
			"like \"500ms\", \"30s\", \"2m\"",
			name);
		return -1;
	}
	const char *text = config_setting_get_string(s);
	if (parse_duration(text, ms) == 0)
		return 0;
	if (text[0] == '-')
		cfg_err(ctx, s, "'%s' must not be negative", name);
	else if (duration_overflows(text))
		cfg_err(ctx, s, "'%s': \"%s\" is too large", name, text);
	else
		cfg_err(ctx, s,
			"'%s': \"%s\" is not a duration like "
			"\"500ms\", \"30s\", \"2m\"",
			name, text);
	return -1;
}

int cfg_group(struct cfg_ctx *ctx, const config_setting_t *s)
{
	if (config_setting_is_group(s))
		return 0;
	if (config_setting_name(s) == NULL)
		cfg_err(ctx, s, "each '%s' entry must be a group { ... }",
			shown_name(s));
	else
		cfg_err(ctx, s, "'%s' must be a group { ... }", shown_name(s));
	return -1;
}

int cfg_list(struct cfg_ctx *ctx, const config_setting_t *s)
{
	if (config_setting_is_array(s) || config_setting_is_list(s))
		return config_setting_length(s);
	if (config_setting_is_scalar(s))
		return 1;
	cfg_err(ctx, s, "'%s' must be a list [ ... ]", shown_name(s));
	return -1;
}

const config_setting_t *cfg_list_at(const config_setting_t *s, int i)
{
	if (config_setting_is_scalar(s))
		return s;
	return config_setting_get_elem(s, (unsigned)i);
}

/* Lexically remove "", "." and ".." segments of an absolute path. */
static void clean_path(char *path)
{
	char *out = path;
	const char *in = path;

	while (*in != '\0') {
		while (*in == '/')
			in++;
		const char *seg = in;
		while (*in != '\0' && *in != '/')
			in++;
		size_t len = (size_t)(in - seg);
		if (len == 0 || (len == 1 && seg[0] == '.'))
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > path && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		memmove(out, seg, len);
		out += len;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

char *cfg_path(struct cfg_ctx *ctx, const char *text)
{
	char *cwd = NULL;
	const char *base = ctx->dir;
	char *path;
	size_t len;

	if (text[0] == '/') {
		path = cfg_strdup(ctx, text);
	} else {
		if (base == NULL) {
			cwd = getcwd(NULL, 0);
			if (cwd == NULL) {
				ctx->oom = true;
				return NULL;
			}
			base = cwd;
		}
		len = strlen(base) + 1 + strlen(text) + 1;
		path = cfg_calloc(ctx, len, 1);
		if (path != NULL)
			snprintf(path, len, "%s/%s", base, text);
		free(cwd);
	}
	if (path != NULL)
		clean_path(path);
	return path;
}

int cfg_check_dir(struct cfg_ctx *ctx, const config_setting_t *s,
		  const char *path, const char *meanwhile)
{
	struct stat st;

	/* nginx and lighttpd start without it: deploy tools, test suites
	 * and late mounts make it after the server starts, and the worker
	 * opens it per request (static.c, upload.c), so it works as soon as
	 * it appears.  A path that is there but no directory is a mistake. */
	if (stat(path, &st) == -1 && errno == ENOENT) {
		cfg_warn(ctx, s, "directory \"%s\" does not exist (yet): %s",
			 path, meanwhile);
		return 0;
	}
	if (stat(path, &st) == -1) {
		cfg_err(ctx, s, "directory \"%s\": %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		cfg_err(ctx, s, "\"%s\" is not a directory", path);
		return -1;
	}
	return 0;
}

/* Levenshtein distance; names longer than 63 characters count as far. */
size_t cfg_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[64];

	if (la >= 64 || lb >= 64)
		return SIZE_MAX / 4;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

void cfg_location_clear(struct location *loc)
{
	free(loc->path);
	free(loc->root);
	free(loc->alias);
	for (size_t i = 0; i < loc->index_count; i++)
		free(loc->index[i]);
	free(loc->index);
	free(loc->redirect_to);
	free(loc->upload_dir);
	for (size_t i = 0; i < loc->cgi_count; i++) {
		free(loc->cgi[i].ext);
		free(loc->cgi[i].interpreter);
	}
	free(loc->cgi);
	for (size_t i = 0; i < loc->error_page_count; i++)
		free(loc->error_pages[i].uri);
	free(loc->error_pages);
	free(loc->allow);
	cfg_nv_free(loc->headers, loc->header_count);
	cfg_compress_clear(loc);
	cfg_nv_free(loc->cgi_params, loc->cgi_param_count);
	memset(loc, 0, sizeof(*loc));
}

/* *dst = copy of src (NULL stays NULL): 0, or -1 out of memory. */
static int dup_str(struct cfg_ctx *ctx, char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL)
		return 0;
	*dst = cfg_strdup(ctx, src);
	return *dst == NULL ? -1 : 0;
}

static int copy_lists(struct cfg_ctx *ctx, struct location *dst,
		      const struct location *src)
{
	dst->index = cfg_calloc(ctx, src->index_count, sizeof(char *));
	dst->cgi = cfg_calloc(ctx, src->cgi_count, sizeof(*dst->cgi));
	dst->error_pages =
	    cfg_calloc(ctx, src->error_page_count, sizeof(*dst->error_pages));
	dst->allow = cfg_calloc(ctx, src->allow_count, sizeof(*dst->allow));
	if (!dst->index || !dst->cgi || !dst->error_pages || !dst->allow)
		return -1;
	for (size_t i = 0; i < src->index_count; i++, dst->index_count++)
		if (dup_str(ctx, &dst->index[i], src->index[i]))
			return -1;
	for (size_t i = 0; i < src->cgi_count; i++) {
		struct cgi_handler *h = &dst->cgi[i];
		dst->cgi_count++;
		if (dup_str(ctx, &h->ext, src->cgi[i].ext) ||
		    dup_str(ctx, &h->interpreter, src->cgi[i].interpreter))
			return -1;
	}
	for (size_t i = 0; i < src->error_page_count; i++) {
		dst->error_page_count++;
		dst->error_pages[i].code = src->error_pages[i].code;
		if (dup_str(ctx, &dst->error_pages[i].uri,
			    src->error_pages[i].uri))
			return -1;
	}
	if (src->allow_count > 0)
		memcpy(dst->allow, src->allow,
		       src->allow_count * sizeof(*dst->allow));
	dst->allow_count = src->allow_count;
	return 0;
}

void cfg_nv_free(struct name_value *list, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(list[i].name);
		free(list[i].value);
	}
	free(list);
}

/* *dst (*dst_count) = a copy of src[0..count): 0 / -1, with what was
 * copied so far in *dst for the caller to free. */
static int nv_copy(struct cfg_ctx *ctx, struct name_value **dst,
		   size_t *dst_count, const struct name_value *src,
		   size_t count)
{
	*dst = NULL;
	*dst_count = 0;
	if (count == 0)
		return 0;
	*dst = cfg_calloc(ctx, count, sizeof(**dst));
	if (*dst == NULL)
		return -1;
	for (size_t i = 0; i < count; i++) {
		struct name_value *e = &(*dst)[i];
		++*dst_count;
		if (dup_str(ctx, &e->name, src[i].name) ||
		    dup_str(ctx, &e->value, src[i].value))
			return -1;
	}
	return 0;
}

int cfg_nv_set(struct cfg_ctx *ctx, struct name_value **list, size_t *count,
	       const char *name, const char *value, bool nocase)
{
	struct name_value *grown;
	char *v = cfg_strdup(ctx, value);
	char *n;

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < *count; i++) {
		struct name_value *e = &(*list)[i];
		if ((nocase ? strcasecmp(e->name, name)
			    : strcmp(e->name, name)) == 0) {
			free(e->value);
			e->value = v;
			return 0;
		}
	}
	grown = realloc(*list, (*count + 1) * sizeof(*grown));
	if (grown == NULL) {
		ctx->oom = true;
		free(v);
		return -1;
	}
	*list = grown;
	n = cfg_strdup(ctx, name);
	if (n == NULL) {
		free(v);
		return -1;
	}
	grown[*count] = (struct name_value){n, v};
	++*count;
	return 0;
}

/* dst = deep copy of src; on failure dst is left empty (cleared). */
int cfg_location_copy(struct cfg_ctx *ctx, struct location *dst,
		      const struct location *src)
{
	*dst = *src;
	dst->index = NULL;
	dst->cgi = NULL;
	dst->error_pages = NULL;
	dst->allow = NULL;
	dst->index_count = dst->cgi_count = dst->error_page_count = 0;
	dst->allow_count = 0;
	dst->headers = NULL;
	dst->header_count = 0;
	dst->compress_types = NULL; /* copied by cfg_compress_copy */
	dst->compress_type_count = 0;
	dst->cgi_params = NULL;
	dst->cgi_param_count = 0;
	/* Each dup_str first sets its field to NULL: never a shared one. */
	dst->path = dst->root = dst->alias = NULL;
	dst->redirect_to = dst->upload_dir = NULL;
	if (dup_str(ctx, &dst->path, src->path) ||
	    dup_str(ctx, &dst->root, src->root) ||
	    dup_str(ctx, &dst->alias, src->alias) ||
	    dup_str(ctx, &dst->redirect_to, src->redirect_to) ||
	    dup_str(ctx, &dst->upload_dir, src->upload_dir) ||
	    copy_lists(ctx, dst, src) ||
	    nv_copy(ctx, &dst->cgi_params, &dst->cgi_param_count,
		    src->cgi_params, src->cgi_param_count) ||
	    nv_copy(ctx, &dst->headers, &dst->header_count, src->headers,
		    src->header_count) ||
	    cfg_compress_copy(ctx, dst, src)) {
		cfg_location_clear(dst);
		return -1;
	}
	return 0;
}

/* The http-level starting point; see the defaults list in config.c (the
 * default index and methods are filled in per location, once known). */
void cfg_template_defaults(struct location *tpl)
{
	memset(tpl, 0, sizeof(*tpl));
	tpl->autoindex = false;
	tpl->client_max_body_size = 1024 * 1024;
	tpl->timeouts.keepalive = 15 * 1000;
	tpl->timeouts.header = 10 * 1000;
	tpl->timeouts.body = 30 * 1000;
	tpl->timeouts.send = 30 * 1000;
	tpl->timeouts.cgi = 30 * 1000;
	tpl->timeouts.shutdown = 30 * 1000;
	tpl->compress_min_size = 256;
	tpl->compress_level = 6;
}

void cfg_cidr_list(struct cfg_ctx *ctx, const config_setting_t *s,
		   const char *empty_hint, struct cidr **nets, size_t *count)
{
	int n = cfg_list(ctx, s);
	struct cidr *list;
	size_t k = 0;

	if (n < 0 || (list = cfg_calloc(ctx, (size_t)n, sizeof(*list))) == NULL)
		return;
	if (n == 0)
		cfg_err(ctx, s, "'%s' must not be empty (%s)",
			config_setting_name(s), empty_hint);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = cfg_list_at(s, i);
		const char *v;
		if (cfg_string(ctx, e, &v) < 0)
			continue;
		if (cidr_parse(v, &list[k]) < 0)
			cfg_err(ctx, e,
				"bad address or network \"%s\" "
				"(like \"10.0.0.0/8\", \"::1\")",
				v);
		else
			k++;
	}
	free(*nets);
	*nets = list;
	*count = k;
}
