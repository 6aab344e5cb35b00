/*
 * path.h - request path canonicalisation.  Pure.
 */
#ifndef WEBSERV_PATH_H
#define WEBSERV_PATH_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Canonicalise a raw (percent-encoded) request path: decode once, reject
 * NUL, encoded '/' (%2F) and backslashes (raw or %5C), bad escapes, bytes
 * below 0x20 and 0x7f (raw or decoded), a path not starting with '/';
 * merge "//"; remove "." and ".." segments (RFC 3986 §5.2.4; "%2e" is a
 * dot), never climbing above "/".  A trailing '/' is kept, and a final
 * "/." or "/.." leaves one ("/a/.." -> "/").  Writes a NUL-terminated
 * result to out; returns its length or -1 (400; also when cap is too
 * small for the result or for any intermediate prefix of it).
 * The result is a decoded file-system path: "%252e" gives the literal
 * name "%2e".  Idempotent on results without '%': canonicalising such a
 * result again gives the same result (a '%' in a result is a name byte,
 * which a second pass would decode again).
 */
ssize_t path_canonical(const char *raw, size_t len, char *out, size_t cap);

/* Percent-encode a path for a URL (keeps '/' and unreserved). Returns the
 * length or -1 when cap is too small. */
ssize_t path_url_encode(const char *in, size_t len, char *out, size_t cap);
/* HTML-escape &<>"' ; returns length or -1 when cap is too small. */
ssize_t html_escape(const char *in, size_t len, char *out, size_t cap);

#endif
