/*
 * autoindex.c - the HTML listing of a directory (static.c's helper).
 *
 * Invariant: every name from the file system reaches the page only
 * HTML-escaped (text) or percent-encoded (href), so a file called
 * "<script>" or "a\"b" can neither inject markup nor break an attribute;
 * hrefs are relative and encoded, so "a:b" is never read as a scheme.
 * A symlink's size and date are shown only when it resolves beneath the
 * base: the listing never reveals anything about files outside the root.
 * Never follows "." or ".."; dotfiles are listed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "path.h"
#include "static.h"

struct ai_entry {
	char *name;
	bool is_dir;
	bool known; /* size and mtime are valid */
	uint64_t size;
	time_t mtime;
};

struct ai_list {
	struct ai_entry *items;
	size_t count;
	size_t cap;
};

struct ai_buf {
	char *data;
	size_t len;
	size_t cap;
	bool failed; /* ENOMEM: the page is abandoned */
};

static void ai_append(struct ai_buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (n > SIZE_MAX / 2 - b->len) {
		b->failed = true;
		return;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		char *grown = realloc(b->data, cap);
		if (!grown) {
			b->failed = true;
			return;
		}
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

static void ai_puts(struct ai_buf *b, const char *s)
{
	ai_append(b, s, strlen(s));
}

/* HTML-escaped, in pieces (each input byte is at most 6 output bytes). */
static void ai_html(struct ai_buf *b, const char *s, size_t n)
{
	char out[6 * 128 + 1];

	while (n > 0) {
		size_t piece = n < 128 ? n : 128;
		ssize_t got = html_escape(s, piece, out, sizeof(out));
		if (got < 0) {
			b->failed = true;
			return;
		}
		ai_append(b, out, (size_t)got);
		s += piece;
		n -= piece;
	}
}

/* Percent-encoded (each input byte is at most 3 output bytes). */
static void ai_url(struct ai_buf *b, const char *s, size_t n)
{
	char out[3 * 128 + 1];

	while (n > 0) {
		size_t piece = n < 128 ? n : 128;
		ssize_t got = path_url_encode(s, piece, out, sizeof(out));
		if (got < 0) {
			b->failed = true;
			return;
		}
		ai_append(b, out, (size_t)got);
		s += piece;
		n -= piece;
	}
}

/* Directories first, then by name, byte order (locale-independent). */
static int ai_compare(const void *a, const void *b)
{
	const struct ai_entry *x = a, *y = b;

	if (x->is_dir != y->is_dir)
		return x->is_dir ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * What name is: lstat first; a symlink is described by its target only
 * when that target opens beneath base (else: a file, size unknown).
 */
static void ai_describe(int dirfd, const char *base, const char *rel,
			struct ai_entry *e)
{
	char name[PATH_MAX];
	struct stat st;
	size_t rel_len = strcmp(rel, ".") == 0 ? 0 : strlen(rel);

	e->known = false;
	e->is_dir = false;
	if (fstatat(dirfd, e->name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return;
	if (S_ISLNK(st.st_mode)) {
		int n = snprintf(name, sizeof(name), "%.*s%s", (int)rel_len,
				 rel, e->name);
		if (n < 0 || (size_t)n >= sizeof(name))
			return;
		int fd = static_open_beneath(base, name, O_PATH, 0);
		if (fd == -1)
			return;
		int rc = fstat(fd, &st);
		close(fd);
		if (rc == -1)
			return;
	}
	e->known = true;
	e->is_dir = S_ISDIR(st.st_mode);
	e->size = (uint64_t)st.st_size;
	e->mtime = st.st_mtime;
}

static int ai_add(struct ai_list *list, const char *name)
{
	if (list->count == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 64;
		struct ai_entry *grown =
		    reallocarray(list->items, cap, sizeof(*grown));
		if (!grown)
			return -1;
		list->items = grown;
		list->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return -1;
	list->items[list->count++] = (struct ai_entry){.name = copy};
	return 0;
}

static void ai_list_free(struct ai_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i].name);
	free(list->items);
}

/* A name a request can reach: path_canonical() refuses control bytes
 * and backslashes, so a link to such a name would only lead to a 400. */
static bool ai_reachable(const char *name)
{
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			return false;
	return true;
}

/* Read every entry but the hidden ones: names starting with a dot, so
 * "." and "..", but also .git, .htpasswd and an upload's temporary file
 * (nginx and lighttpd hide them too), and names no request can reach.
 * 0 / -1 (errno). */
static int ai_read(DIR *dir, const char *base, const char *rel,
		   struct ai_list *list)
{
	struct dirent *de;

	for (;;) {
		errno = 0;
		if (!(de = readdir(dir)))
			return errno ? -1 : 0;
		if (de->d_name[0] == '.' || !ai_reachable(de->d_name))
			continue;
		if (ai_add(list, de->d_name) == -1)
			return -1;
		ai_describe(dirfd(dir), base, rel,
			    &list->items[list->count - 1]);
	}
}

/* One table row: name (escaped) linking to href (encoded), date, size. */
static void ai_row(struct ai_buf *b, const struct ai_entry *e)
{
	char cell[64];
	size_t name_len = strlen(e->name);
	struct tm tm;

	ai_puts(b, "<tr><td><a href=\"");
	ai_url(b, e->name, name_len);
	ai_puts(b, e->is_dir ? "/\">" : "\">");
	ai_html(b, e->name, name_len);
	ai_puts(b, e->is_dir ? "/</a></td><td>" : "</a></td><td>");
	if (e->known && gmtime_r(&e->mtime, &tm) &&
	    strftime(cell, sizeof(cell), "%Y-%m-%d %H:%M", &tm) > 0)
		ai_puts(b, cell);
	ai_puts(b, "</td><td>");
	if (e->known && !e->is_dir &&
	    snprintf(cell, sizeof(cell), "%" PRIu64, e->size) > 0)
		ai_puts(b, cell);
	else
		ai_puts(b, "-");
	ai_puts(b, "</td></tr>\n");
}

static void ai_render(struct ai_buf *b, const char *path, size_t len,
		      const struct ai_list *list)
{
	ai_puts(b, "<!DOCTYPE html>\n<html>\n<head>\n"
		   "<meta charset=\"utf-8\">\n<title>Index of ");
	ai_html(b, path, len);
	ai_puts(b, "</title>\n</head>\n<body>\n<h1>Index of ");
	ai_html(b, path, len);
	ai_puts(b, "</h1>\n<table>\n<tr><th>Name</th><th>Last modified"
		   " (UTC)</th><th>Size</th></tr>\n");
	if (!(len == 1 && path[0] == '/'))
		ai_puts(b, "<tr><td><a href=\"../\">../</a></td><td></td>"
			   "<td>-</td></tr>\n");
	for (size_t i = 0; i < list->count; i++)
		ai_row(b, &list->items[i]);
	ai_puts(b, "</table>\n</body>\n</html>\n");
}

int static_autoindex(int dirfd, const char *base, const char *rel,
		     const char *path, size_t len, bool head_only,
		     struct response *resp)
{
	struct ai_list list = {0};
	struct ai_buf page = {0};
	DIR *dir = fdopendir(dirfd);

	if (!dir) {
		log_error("%s: fdopendir %s/%s: %s", __func__, base, rel,
			  strerror(errno));
		close(dirfd);
		return 500;
	}
	if (ai_read(dir, base, rel, &list) == -1) {
		log_error("%s: readdir %s/%s: %s", __func__, base, rel,
			  strerror(errno));
		goto fail;
	}
	if (list.count > 1)
		qsort(list.items, list.count, sizeof(*list.items), ai_compare);
	ai_render(&page, path, len, &list);
	if (page.failed) {
		log_error("%s: %s/%s: out of memory", __func__, base, rel);
		goto fail;
	}
	closedir(dir);
	ai_list_free(&list);
	response_status(resp, 200);
	response_header(resp, "Content-Type", "text/html; charset=utf-8");
	response_header(resp, "Content-Length", "%zu", page.len);
	if (head_only) {
		free(page.data);
		resp->body_kind = BODY_NONE;
		return 200;
	}
	resp->mem = page.data;
	resp->mem_len = page.len;
	resp->body_kind = BODY_MEM;
	return 200;
fail:
	free(page.data);
	ai_list_free(&list);
	closedir(dir);
	return 500;
}
