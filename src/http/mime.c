/*
 * mime.c - file name extension -> media type, from /etc/mime.types
 * (Debian's media-types: a type, then its extensions; '#' comments) plus
 * a built-in table that fills whatever the file lacks, so the common web
 * types work even when the file is missing.
 *
 * Invariant: after mime_load() the table is never written; every string a
 * lookup returns lives in the table's arena until mime_free().  Lookups
 * are one open-addressing hash probe per candidate suffix, no allocation.
 * The first mapping of an extension wins (the file before the built-ins).
 * Types are ready to be put in a Content-Type header: text types carry
 * "; charset=utf-8", and a type with any byte outside an RFC 9110 token
 * is skipped at load, so nothing from the file can inject a header.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mime.h"

#define MIME_DEFAULT  "application/octet-stream"
#define MIME_CHARSET  "; charset=utf-8"
#define MIME_EXT_MAX  64 /* longer extensions are never looked up */
#define MIME_TYPE_MAX 127

struct mime_entry {
	uint32_t hash;
	uint32_t ext_off; /* arena offsets; 0 ext_off = empty slot */
	uint32_t type_off;
};

struct mime_table {
	char *arena; /* NUL-terminated strings, back to back */
	size_t arena_len;
	size_t arena_cap;
	struct mime_entry *slots;
	size_t slot_count; /* power of two */
	size_t used;
	unsigned max_ext_dots; /* "tar.gz" = 1: how many suffixes to try */
};

/* Ready-made header values, charset included. */
static const char *const mime_builtin[][2] = {
    {"html", "text/html" MIME_CHARSET},
    {"htm", "text/html" MIME_CHARSET},
    {"css", "text/css" MIME_CHARSET},
    {"js", "text/javascript" MIME_CHARSET},
    {"mjs", "text/javascript" MIME_CHARSET},
    {"json", "application/json" MIME_CHARSET},
    {"txt", "text/plain" MIME_CHARSET},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"svg", "image/svg+xml"},
    {"ico", "image/vnd.microsoft.icon"},
    {"pdf", "application/pdf"},
    {"wasm", "application/wasm"},
    {"xml", "application/xml"},
    {"mp4", "video/mp4"},
    {"woff2", "font/woff2"},
    {"webp", "image/webp"},
};

#define MIME_BUILTIN_COUNT (sizeof(mime_builtin) / sizeof(mime_builtin[0]))

/* FNV-1a over the lower-cased bytes. */
static uint32_t mime_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)tolower((unsigned char)s[i]);
		h *= 16777619u;
	}
	return h;
}

/* RFC 9110 §5.6.2 tchar: what a type or subtype may hold. */
static int mime_tchar(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int mime_type_valid(const char *type, size_t len)
{
	const char *slash = memchr(type, '/', len);

	if (!slash || slash == type || slash == type + len - 1 ||
	    len > MIME_TYPE_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (type + i != slash && !mime_tchar((unsigned char)type[i]))
			return 0;
	return 1;
}

/* "text/..." and the two application types browsers read as text. */
static int mime_wants_charset(const char *type, size_t len)
{
	static const char *const text_apps[] = {"application/javascript",
						"application/json"};

	if (len > 5 && strncasecmp(type, "text/", 5) == 0)
		return 1;
	for (size_t i = 0; i < 2; i++)
		if (strlen(text_apps[i]) == len &&
		    strncasecmp(type, text_apps[i], len) == 0)
			return 1;
	return 0;
}

/* Append len bytes and a NUL; returns the offset or 0 on ENOMEM. */
static uint32_t mime_arena_add(struct mime_table *t, const char *s, size_t len,
			       const char *suffix)
{
	size_t slen = suffix ? strlen(suffix) : 0;
	size_t need = len + slen + 1;

	if (t->arena_len + need > UINT32_MAX)
		return 0;
	if (t->arena_len + need > t->arena_cap) {
		size_t cap = t->arena_cap ? t->arena_cap * 2 : 4096;
		while (cap < t->arena_len + need)
			cap *= 2;
		char *grown = realloc(t->arena, cap);
		if (!grown)
			return 0;
		t->arena = grown;
		t->arena_cap = cap;
	}
	uint32_t off = (uint32_t)t->arena_len;
	memcpy(t->arena + off, s, len);
	if (slen)
		memcpy(t->arena + off + len, suffix, slen);
	t->arena[off + len + slen] = '\0';
	t->arena_len += need;
	return off;
}

/* The slot holding ext, or the empty slot where it would go. */
static struct mime_entry *mime_find(const struct mime_table *t, const char *ext,
				    size_t len, uint32_t hash)
{
	size_t mask = t->slot_count - 1;

	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		struct mime_entry *e = &t->slots[i];
		if (e->ext_off == 0)
			return e;
		const char *have = t->arena + e->ext_off;
		if (e->hash == hash && strncasecmp(have, ext, len) == 0 &&
		    have[len] == '\0')
			return e;
	}
}

static int mime_grow(struct mime_table *t)
{
	size_t count = t->slot_count ? t->slot_count * 2 : 256;
	struct mime_entry *old = t->slots;
	size_t old_count = t->slot_count;

	t->slots = calloc(count, sizeof(*t->slots));
	if (!t->slots) {
		t->slots = old;
		return -1;
	}
	t->slot_count = count;
	for (size_t i = 0; i < old_count; i++) {
		if (old[i].ext_off == 0)
			continue;
		const char *ext = t->arena + old[i].ext_off;
		*mime_find(t, ext, strlen(ext), old[i].hash) = old[i];
	}
	free(old);
	return 0;
}

/* Map ext to the type at type_off unless ext is already mapped. */
static int mime_insert(struct mime_table *t, const char *ext, size_t len,
		       uint32_t type_off)
{
	if (len == 0 || len > MIME_EXT_MAX || memchr(ext, '/', len))
		return 0;
	if ((t->used + 1) * 2 > t->slot_count && mime_grow(t) == -1)
		return -1;
	uint32_t hash = mime_hash(ext, len);
	if (mime_find(t, ext, len, hash)->ext_off != 0)
		return 0;
	uint32_t off = mime_arena_add(t, ext, len, NULL);
	if (off == 0)
		return -1;
	for (size_t i = 0; i < len; i++)
		t->arena[off + i] = (char)tolower((unsigned char)ext[i]);
	/* the arena may have moved: find the slot again */
	struct mime_entry *e = mime_find(t, ext, len, hash);
	e->hash = hash;
	e->ext_off = off;
	e->type_off = type_off;
	t->used++;
	unsigned dots = 0;
	for (size_t i = 0; i < len; i++)
		dots += ext[i] == '.';
	if (dots > t->max_ext_dots)
		t->max_ext_dots = dots;
	return 0;
}

static uint32_t mime_add_type(struct mime_table *t, const char *type,
			      size_t len)
{
	return mime_arena_add(
	    t, type, len, mime_wants_charset(type, len) ? MIME_CHARSET : NULL);
}

/* One line of mime.types: "type ext ext ...".  0, or -1 on ENOMEM. */
static int mime_parse_line(struct mime_table *t, char *line)
{
	static const char ws[] = " \t\r\n\v\f";
	char *hash = strchr(line, '#');
	char *save = NULL;

	if (hash)
		*hash = '\0';
	char *type = strtok_r(line, ws, &save);
	if (!type)
		return 0;
	size_t type_len = strlen(type);
	if (!mime_type_valid(type, type_len))
		return 0;
	uint32_t type_off = 0;
	for (char *ext; (ext = strtok_r(NULL, ws, &save));) {
		if (type_off == 0 &&
		    (type_off = mime_add_type(t, type, type_len)) == 0)
			return -1;
		if (mime_insert(t, ext, strlen(ext), type_off) == -1)
			return -1;
	}
	return 0;
}

static int mime_read_file(struct mime_table *t, const char *path)
{
	FILE *fp = fopen(path, "re");
	char *line = NULL;
	size_t line_cap = 0;
	int rc = 0;

	if (!fp) {
		int err = errno;
		if (err == ENOMEM)
			return -1;
		if (err != ENOENT)
			log_warn("%s: %s: %s (built-in types only)", __func__,
				 path, strerror(err));
		return 0;
	}
	while (getline(&line, &line_cap, fp) != -1)
		if ((rc = mime_parse_line(t, line)) == -1)
			break;
	if (rc == 0 && ferror(fp))
		log_warn("%s: %s: read error", __func__, path);
	free(line);
	fclose(fp);
	return rc;
}

struct mime_table *mime_load(const char *path)
{
	struct mime_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	/* offset 0 is reserved: it marks an empty slot */
	if (mime_arena_add(t, "", 0, NULL) != 0 || t->arena_len != 1)
		goto fail;
	if (mime_grow(t) == -1)
		goto fail;
	if (path && mime_read_file(t, path) == -1)
		goto fail;
	for (size_t i = 0; i < MIME_BUILTIN_COUNT; i++) {
		const char *type = mime_builtin[i][1];
		uint32_t off = mime_arena_add(t, type, strlen(type), NULL);
		if (off == 0 ||
		    mime_insert(t, mime_builtin[i][0],
				strlen(mime_builtin[i][0]), off) == -1)
			goto fail;
	}
	return t;
fail:
	mime_free(t);
	return NULL;
}

void mime_free(struct mime_table *table)
{
	if (!table)
		return;
	free(table->arena);
	free(table->slots);
	free(table);
}

/* No table (a caller without config): the built-ins, by linear scan. */
static const char *mime_builtin_type(const char *ext, size_t len)
{
	for (size_t i = 0; i < MIME_BUILTIN_COUNT; i++) {
		const char *known = mime_builtin[i][0];
		if (strlen(known) == len && strncasecmp(known, ext, len) == 0)
			return mime_builtin[i][1];
	}
	return MIME_DEFAULT;
}

const char *mime_type(const struct mime_table *table, const char *name,
		      size_t len)
{
	const char *base = name;
	const char *end = name + len;

	for (const char *p = name; p < end; p++)
		if (*p == '/')
			base = p + 1;
	/* "a.tar.gz": try "tar.gz" then "gz", as many dots as any known
	 * extension has; a leading dot (".profile") starts no extension */
	unsigned max_dots = table ? table->max_ext_dots : 0;
	const char *dots[8];
	unsigned ndots = 0;
	for (const char *p = end;
	     p > base + 1 && ndots <= max_dots && ndots < 8;)
		if (*--p == '.')
			dots[ndots++] = p;
	while (ndots > 0) {
		const char *ext = dots[--ndots] + 1;
		size_t ext_len = (size_t)(end - ext);
		if (ext_len == 0 || ext_len > MIME_EXT_MAX)
			continue;
		if (!table) {
			if (ndots == 0)
				return mime_builtin_type(ext, ext_len);
			continue;
		}
		const struct mime_entry *e =
		    mime_find(table, ext, ext_len, mime_hash(ext, ext_len));
		if (e->ext_off != 0)
			return table->arena + e->type_off;
	}
	return MIME_DEFAULT;
}
