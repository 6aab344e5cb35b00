/*
 * mime.h - file extension to media type, from /etc/mime.types with a
 * built-in fallback.  Loaded once (master, before fork), read-only after.
 */
#ifndef WEBSERV_MIME_H
#define WEBSERV_MIME_H

#include <stddef.h>

struct mime_table;

/* Load path (may be missing: fallback only).  NULL only on ENOMEM. */
struct mime_table *mime_load(const char *path);
void mime_free(struct mime_table *table);
/* Type for a file name ("a/b.HTML" -> "text/html"); charset added for
 * text types; "application/octet-stream" when unknown. */
const char *mime_type(const struct mime_table *table, const char *name,
		      size_t len);

#endif
