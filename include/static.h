/*
 * static.h - GET/HEAD of files and directories beneath a root: opening
 * with openat2(RESOLVE_BENEATH) so nothing outside the root (or through a
 * symlink out of it) is ever served; index files; autoindex; ETag and
 * Last-Modified with the preconditions (304, 412) of a file; single Range
 * with 206/416.
 */
#ifndef WEBSERV_STATIC_H
#define WEBSERV_STATIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"
#include "http.h"
#include "filecache.h"
#include "mime.h"
#include "response.h"

/* Return values of static_serve besides an HTTP status. */
#define STATIC_INDEX_REDIRECT 1 /* serve index_path as a new request */

/*
 * Map the canonical URI path to the file system for loc: root + path, or
 * alias + (path minus loc->path).  Writes the path relative to the base
 * directory (no leading '/', "." for the base itself) to rel, and the
 * base (root or alias) to *base.  Returns 0 / -1 (too long).
 */
int static_map(const struct location *loc, const char *path, size_t len,
	       const char **base, char *rel, size_t cap);

/*
 * Answer GET/HEAD of path from loc into resp.  cache (may be NULL) is
 * the worker's open-file cache, consulted and filled for regular files.
 * Returns the status put in resp (200, 206, 301, 304), or an error status
 * (403, 404, 412, 414, 416, 500) with resp untouched so the caller can add
 * an error page, or STATIC_INDEX_REDIRECT with index_path (NUL-terminated)
 * set to the URI of the index file to serve as a new request.  For 416,
 * index_path holds the Content-Range value the error page must carry:
 * the unsatisfied-range form with the file's length (RFC 9110 §14.4,
 * §15.5.17).
 * path is the canonical (decoded) URI path; index_path is in the same
 * form (path + index name): re-route it without canonicalising it again.
 * Headers put: Content-Type, Content-Length, Last-Modified, ETag,
 * Accept-Ranges, Content-Range (206), Location (301); never
 * Connection.  HEAD gets GET's headers and BODY_NONE; Range applies to
 * GET only (RFC 9110 §14.2).  Index names holding '/' are skipped.
 * Preconditions (RFC 9110 §13.2.2, precond.h) apply to a file: 304 or
 * 412; a directory's redirect or listing is answered unconditionally.
 */
int static_serve(const struct location *loc, const struct http_request *req,
		 const char *path, size_t len, const struct mime_table *mime,
		 struct file_cache *cache, char *index_path, size_t index_cap,
		 struct response *resp);

/*
 * The index file of the directory path names (it ends with '/'), as
 * static_serve would redirect to it: 1 with index_path (path + name,
 * NUL-terminated) set, 0 when path is no such directory or holds no
 * index.  For the methods other than GET, which judge the resource that
 * will answer (an index CGI script) rather than the directory.
 */
int static_index_of(const struct location *loc, const char *path, size_t len,
		    char *index_path, size_t index_cap);

/* 301 to path + "/" (query kept), for a directory named without its
 * slash (RFC 9110 §15.4.2).  Returns 301, or 414 when too long. */
int static_redirect_slash(const struct http_request *req, const char *path,
			  size_t len, struct response *resp);

/* Open rel beneath the directory base (no escape, no symlink out).
 * flags as open(2).  Returns fd or -1 with errno (EXDEV/ELOOP: escape).
 * O_CLOEXEC is always added.  Symlinks that stay beneath base work.
 * On a kernel without openat2 (ENOSYS) it falls back to
 * static_open_nofollow. */
int static_open_beneath(const char *base, const char *rel, int flags,
			mode_t mode);
/* The same, walking rel one component at a time with O_NOFOLLOW: every
 * symlink is refused (ELOOP) and ".." too (EXDEV).  The fallback for
 * kernels before 5.6; exposed so that it can be tested everywhere. */
int static_open_nofollow(const char *base, const char *rel, int flags,
			 mode_t mode);

/*
 * autoindex.c (static_serve's helper): the listing of the directory open
 * at dirfd (owned: always closed), which is rel beneath base, for the
 * canonical URI path (ending in '/').  Sorted by name, directories first;
 * names HTML-escaped and URL-encoded.  200 with the page as BODY_MEM
 * (BODY_NONE and GET's Content-Length for head_only), or 500 with resp
 * untouched.
 */
int static_autoindex(int dirfd, const char *base, const char *rel,
		     const char *path, size_t len, bool head_only,
		     struct response *resp);

/* ETag of a file: "\"<mtime-hex>-<size-hex>\"" into out (mtime in
 * nanoseconds); returns length, 0 when cap is too small. */
size_t static_etag(const struct stat *st, char *out, size_t cap);

/* Range (RFC 9110 §14): parse one "bytes=" range against size.
 * RANGE_NONE: no usable header (malformed, another unit, or several
 * ranges: ignored, the whole file is sent).  RANGE_UNSATISFIABLE: first
 * >= size, "-0", or an empty file.  RANGE_OK: [*first, *last] inside. */
enum range_result { RANGE_NONE, RANGE_OK, RANGE_UNSATISFIABLE };
enum range_result static_parse_range(const char *value, size_t len,
				     uint64_t size, uint64_t *first,
				     uint64_t *last);
/* Parse an IMF-fixdate (and the two obsolete forms, RFC 9110 §5.6.7):
 * 0 / -1.  Locale-independent; a two-digit rfc850 year more than 50
 * years ahead is taken in the previous century. */
int http_parse_date(const char *text, size_t len, time_t *out);

#endif
