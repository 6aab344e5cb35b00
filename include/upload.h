/*
 * upload.h - PUT, POST (raw or multipart/form-data) and DELETE inside a
 * location's upload_dir.  Bodies stream to a temporary file in the
 * target directory, renamed into place when complete: no reader ever
 * sees half a file, an aborted upload leaves nothing behind.
 */
#ifndef WEBSERV_UPLOAD_H
#define WEBSERV_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "http.h"
#include "response.h"

struct upload;

/*
 * Begin storing the body of req (PUT or POST) for the canonical URI path
 * in loc->upload_dir.  Returns the upload, or NULL with *status set
 * (400 bad multipart header, 403, 404 missing directory, 405 not PUT or
 * POST, 409 (missing parent, directory in the way), 412 (a PUT's
 * preconditions fail: nothing is written), 414, 500, 507).
 * What each request gets is documented at the top of upload.c.
 */
struct upload *upload_begin(const struct location *loc,
			    const struct http_request *req, const char *path,
			    size_t path_len, int *status);
/* Feed decoded body bytes, in pieces of any size.  0, or -1 with *status
 * (400, 403, 413 too many files, 500, 507); after -1 the caller still
 * calls upload_abort. */
int upload_write(struct upload *up, const char *data, size_t len, int *status);
/* Body complete: rename into place and fill resp (201 + Location, or 204
 * for a replaced PUT target).  Frees up, on success and on failure (then
 * nothing of the upload is left on disk).  0, or -1 with *status (412: a
 * conditional PUT's target changed while the body came). */
int upload_finish(struct upload *up, struct response *resp, bool head_only,
		  int *status);
/* Client gone, limit exceeded, error: remove temporaries, free up. */
void upload_abort(struct upload *up);

/* DELETE path: 204, 404, 403 (directory, outside upload_dir), 412 (req's
 * preconditions fail: the file stays; req NULL: none), 500. */
int upload_delete(const struct location *loc, const struct http_request *req,
		  const char *path, size_t path_len);

/*
 * Reduce a client's file name to a safe base name (pure): the part after
 * the last '/' or '\\', leading dots dropped, every byte outside
 * [A-Za-z0-9._-] replaced by '_', at most NAME_MAX bytes.  Writes a
 * NUL-terminated result to out (cap > NAME_MAX); returns its length,
 * 0 when nothing is left (the caller then generates a name).
 */
size_t upload_safe_name(const char *in, size_t len, char *out, size_t cap);

#endif
