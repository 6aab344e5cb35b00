/*
 * config_error.c - the loader's error list: "FILE:LINE: message" lines,
 * every problem of one load collected in order, FILE made absolute (an
 * @include'd file's name is relative to the config's directory).
 * Never stops the load: callers report and carry on, so one run shows all.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_int.h"

/* ---- error collection -------------------------------------------------- */

static void text_append(struct cfg_ctx *ctx, struct cfg_text *t,
			const char *text, size_t len)
{
	if (t->buf == NULL || len + 1 > t->cap - t->len) {
		size_t cap = t->cap ? t->cap : 256;
		while (cap - t->len < len + 1)
			cap *= 2;
		char *grown = realloc(t->buf, cap);
		if (grown == NULL) {
			ctx->oom = true;
			return;
		}
		t->buf = grown;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, text, len);
	t->len += len;
	t->buf[t->len] = '\0';
}

/* "FILE" or "FILE:LINE" into head; file as libconfig recorded it
 * (include names are relative to the config's directory). */
static size_t where(const struct cfg_ctx *ctx, const char *file, int line,
		    char *head, size_t cap)
{
	int n;

	if (file == NULL)
		file = ctx->main_path ? ctx->main_path : "(config)";
	if (file[0] == '/' || ctx->dir == NULL)
		n = snprintf(head, cap, "%s", file);
	else
		n = snprintf(head, cap, "%s/%s",
			     strcmp(ctx->dir, "/") == 0 ? "" : ctx->dir, file);
	if (n < 0)
		n = 0;
	if ((size_t)n >= cap)
		n = (int)cap - 1;
	if (line > 0) {
		int m = snprintf(head + n, cap - (size_t)n, ":%d", line);
		if (m > 0 && (size_t)m < cap - (size_t)n)
			n += m;
	}
	head[n] = '\0';
	return (size_t)n;
}

static int setting_line(const config_setting_t *s)
{
	int line = (int)config_setting_source_line(s);

	/* The root group has no line of its own. */
	return line > 0 ? line : 1;
}

void cfg_where(const struct cfg_ctx *ctx, const config_setting_t *s, char *buf,
	       size_t cap)
{
	where(ctx, config_setting_source_file(s), setting_line(s), buf, cap);
}

/* One "FILE:LINE: [kind]message" line into t. */
static void line_vat(struct cfg_ctx *ctx, struct cfg_text *t, const char *kind,
		     const char *file, int line, const char *fmt, va_list ap)
{
	char msg[1024];
	char head[PATH_MAX + 64];
	size_t len = where(ctx, file, line, head, sizeof(head));
	int n;

	text_append(ctx, t, head, len);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(msg))
		n = (int)sizeof(msg) - 1;
	/* values from the file are echoed in messages: a line break or an
	 * escape sequence in one must not forge or split error lines */
	for (int i = 0; i < n; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = '?';
	text_append(ctx, t, ": ", 2);
	text_append(ctx, t, kind, strlen(kind));
	text_append(ctx, t, msg, (size_t)n);
	text_append(ctx, t, "\n", 1);
}

static void err_vat(struct cfg_ctx *ctx, const char *file, int line,
		    const char *fmt, va_list ap)
{
	ctx->err_count++;
	line_vat(ctx, &ctx->err, "", file, line, fmt, ap);
}

void cfg_warn(struct cfg_ctx *ctx, const config_setting_t *s, const char *fmt,
	      ...)
{
	va_list ap;

	va_start(ap, fmt);
	line_vat(ctx, &ctx->warn, "warning: ", config_setting_source_file(s),
		 setting_line(s), fmt, ap);
	va_end(ap);
}

void cfg_err_at(struct cfg_ctx *ctx, const char *file, int line,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vat(ctx, file, line, fmt, ap);
	va_end(ap);
}

void cfg_err(struct cfg_ctx *ctx, const config_setting_t *s, const char *fmt,
	     ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vat(ctx, config_setting_source_file(s), setting_line(s), fmt, ap);
	va_end(ap);
}

/* The quoted name of the @include on that line of path, into out. */
static int include_name(const char *path, int line, char *out, size_t cap)
{
	FILE *f;
	char *text = NULL;
	size_t text_cap = 0;
	const char *open = NULL, *close = NULL;
	int n = 0;
	int rc = -1;

	if (line <= 0 || (f = fopen(path, "re")) == NULL)
		return -1;
	while (n < line && getline(&text, &text_cap, f) != -1)
		n++;
	if (n == line)
		open = strstr(text, "@include");
	if (open != NULL && (open = strchr(open, '"')) != NULL)
		close = strchr(open + 1, '"');
	if (close != NULL && (size_t)(close - open - 1) < cap) {
		memcpy(out, open + 1, (size_t)(close - open - 1));
		out[close - open - 1] = '\0';
		rc = 0;
	}
	free(text);
	fclose(f);
	return rc;
}

void cfg_syntax_error(struct cfg_ctx *ctx, const config_t *lc)
{
	const char *file = config_error_file(lc);
	int line = config_error_line(lc);
	char path[PATH_MAX];
	char name[PATH_MAX];

	/* libconfig 1.5 does not say which include is missing: find it. */
	where(ctx, file, 0, path, sizeof(path));
	if (strcmp(config_error_text(lc), "cannot open include file") == 0 &&
	    include_name(path, line, name, sizeof(name)) == 0)
		cfg_err_at(
		    ctx, file, line,
		    "cannot open include file \"%s\" (@include names are "
		    "relative to %s)",
		    name, ctx->dir);
	else
		cfg_err_at(ctx, file, line, "%s", config_error_text(lc));
}

/*
 * libconfig 1.5 calls exit() when an @include names a directory (its
 * scanner fails on the read): walk the @include lines first, recursively,
 * and refuse anything that exists but is not a regular file.  Missing
 * files are left to libconfig, which reports them as a syntax error.
 * Returns the number of problems found.
 */
int cfg_check_includes(struct cfg_ctx *ctx, const char *path, int depth)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t text_cap = 0;
	int line = 0;
	int problems = 0;
	ssize_t len;

	if (f == NULL)
		return 0;
	while ((len = getline(&text, &text_cap, f)) != -1) {
		const char *p = text + strspn(text, " \t");
		const char *open, *close;
		char full[PATH_MAX];
		struct stat st;

		line++;
		/* libconfig stops a string at a NUL: an @include name would
		 * be cut short, even to "", which names a directory */
		if (memchr(text, '\0', (size_t)len) != NULL) {
			cfg_err_at(ctx, path, line, "NUL byte in the file");
			problems++;
			break;
		}
		if (strncmp(p, "@include", 8) != 0 ||
		    (open = strchr(p + 8, '"')) == NULL ||
		    (close = strchr(open + 1, '"')) == NULL)
			continue;
		/* libconfig joins the include dir and the name as written */
		if (snprintf(full, sizeof(full), "%s/%.*s", ctx->dir,
			     (int)(close - open - 1),
			     open + 1) >= (int)sizeof(full) ||
		    stat(full, &st) == -1)
			continue;
		if (!S_ISREG(st.st_mode)) {
			cfg_err_at(ctx, path, line,
				   "@include \"%.*s\" is not a regular file",
				   (int)(close - open - 1), open + 1);
			problems++;
		} else if (depth >= 10) {
			cfg_err_at(ctx, path, line,
				   "@include nested too deeply");
			problems++;
		} else {
			problems += cfg_check_includes(ctx, full, depth + 1);
		}
	}
	free(text);
	fclose(f);
	return problems;
}
