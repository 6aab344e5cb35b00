/*
 * upload.c - writes inside a location's upload_dir: PUT, POST (a raw body
 * or the files of a multipart/form-data body) and DELETE.
 *
 * The target is upload_dir + (URI path minus the location prefix).  What
 * each request gets (choices follow nginx's dav module and RFC 4918 where
 * HTTP itself is silent):
 *
 * - PUT /p/a/b: the body becomes upload_dir/a/b; 201 Created with
 *   Location when new, 204 No Content when it replaced a file (or a
 *   symlink: the link itself is replaced, never its target).  A missing
 *   parent directory is 409 Conflict (RFC 4918 §9.7.1, nginx), a path
 *   ending in '/' or naming a directory is 409 too (a file never replaces
 *   a directory), a name longer than NAME_MAX is 414.
 * - POST to a file path: a raw body is stored under that name, or when
 *   it is taken under the next free name as a form's files are
 *   ("name-1.ext"...): POST creates, it never replaces (DESIGN §7: 201
 *   with the Location of the stored file).  A multipart/form-data body
 *   there is 409: its files are stored into a directory, and the target
 *   is none.
 * - POST to a directory (a path ending in '/', the location prefix itself,
 *   or an existing directory): a missing directory is 404.
 *   . multipart/form-data: every part with a non-empty filename is stored
 *     under upload_safe_name(filename); parts without one (plain fields,
 *     an empty file input, a part without Content-Disposition) are
 *     ignored.  No stored file at all is 400, as is a malformed body.
 *   . any other body: stored as "upload-<unix time>-<8 hex digits>", no
 *     extension (the type is unknown).
 *   201, Location of the first stored file, and a text/plain body with
 *   one URI per stored file.  A browser's form (multipart/form-data from
 *   a client whose Accept names text/html, as every browser's navigation
 *   does, and curl's does not) gets 303 See Other to the directory (its
 *   listing) and a short HTML page linking each stored file instead, so
 *   the person who pressed "Upload" lands on the listing.  An existing file is
 * never overwritten: the next free of "name-1.ext" .. "name-99.ext" is used,
 * then a generated name.  A failed multipart body removes the files it already
 * stored. More than UPLOAD_MAX_FILES files in one body is 413.
 * - DELETE: a file or symlink (the link itself) is unlinked: 204; missing
 *   404; a directory, the location prefix itself or anything outside the
 *   upload area 403.
 * - Preconditions (RFC 9110 §13.1.1-13.1.4, order of §13.2.2) of PUT and
 *   DELETE are evaluated against the target as it is, with the ETag and
 *   Last-Modified a GET of it sends (static_etag; a symlink's are its
 *   own, as it is the link that is replaced): 412 before a byte of the
 *   body is written.  No current file: If-Match fails, If-None-Match: *
 *   holds.  DELETE of a missing file stays 404 (§13.2.1: it would not
 *   have succeeded anyway).  A conditional PUT looks at the target again
 *   when its body is complete: changed meanwhile is 412 too, and one that
 *   found no file never replaces one that appeared (linkat, EEXIST).
 *   POST creates a new file and evaluates none.
 * - Errors: ENOSPC/EDQUOT 507, EACCES/EPERM/EROFS 403, an escape through a
 *   symlink 403, anything else 500 (logged).
 *
 * Invariants: every file is written to an unnamed O_TMPFILE in its final
 * directory and linked into place complete (linkat fails with EEXIST
 * atomically, so concurrent uploads never clobber each other's new
 * names); a replacing PUT links it under a temporary ".upload-<hex>" name
 * and renames that over the target, which is atomic.  Where O_TMPFILE or
 * /proc is missing a named ".upload-<hex>" temporary (O_EXCL) is used
 * instead.  Every name is used relative to a directory fd opened with
 * static_open_beneath (openat2 RESOLVE_BENEATH), so no symlink leads out
 * of upload_dir; the final component is never followed.  (A test build
 * may define UPLOAD_NO_TMPFILE to run the named-temporary fallback.)
 * The naming of new files, their record and the multipart parts live in
 * upload_form.c, the answers (201 list, 303 page) in upload_reply.c; this
 * file owns the target, the temporary and the link.
 * Never: buffers a body, follows a symlink out of upload_dir, leaves a
 * temporary or partial file behind after an error or upload_abort.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "multipart.h"
#include "path.h"
#include "precond.h"
#include "static.h"
#include "upload.h"
#include "upload_int.h"

int upload_errno_status(int err)
{
	switch (err) {
	case ENOSPC:
	case EDQUOT:
		return 507;
	case EACCES:
	case EPERM:
	case EROFS:
	case EISDIR:
	case EXDEV: /* openat2 RESOLVE_BENEATH: escape attempt */
	case ELOOP: /* a symlink where none may be */
		return 403;
	case ENAMETOOLONG:
		return 414;
	case EFBIG:
		return 413;
	default:
		log_warn("upload: %s", strerror(err));
		return 500;
	}
}

/*
 * The target relative to upload_dir: path minus the location prefix,
 * without leading slashes ("" for the prefix itself, also when it is
 * written without its trailing '/').  -1: not inside the location.
 */
static int upload_rel(const struct location *loc, const char *path, size_t len,
		      const char **rel, size_t *rel_len)
{
	const char *pre = loc->path;
	size_t plen = loc->path_len;

	if (len >= plen && memcmp(path, pre, plen) == 0) {
		*rel = path + plen;
		*rel_len = len - plen;
		/* "/up" is not a prefix of "/upx": segment boundary. */
		if (plen > 0 && pre[plen - 1] != '/' && *rel_len > 0 &&
		    **rel != '/')
			return -1;
	} else if (plen > 1 && pre[plen - 1] == '/' && len == plen - 1 &&
		   memcmp(path, pre, len) == 0) {
		*rel = path + len;
		*rel_len = 0;
	} else {
		return -1;
	}
	while (*rel_len > 0 && **rel == '/') {
		(*rel)++;
		(*rel_len)--;
	}
	return 0;
}

/*
 * Open the directory rel ("" for upload_dir itself) beneath upload_dir:
 * static_open_beneath (openat2 RESOLVE_BENEATH) refuses ".." and any
 * symlink that leads out, with EXDEV or ELOOP.
 */
static int upload_open_in(const struct location *loc, const char *rel)
{
	int fd = static_open_beneath(loc->upload_dir, rel[0] ? rel : ".",
				     O_RDONLY | O_DIRECTORY, 0);

	/* The config let it be missing (made after start, a late mount):
	 * the operator's problem, not the client's path, so 500 and a
	 * line that names it. */
	if (fd == -1 && errno == ENOENT && access(loc->upload_dir, F_OK)) {
		log_error("upload: upload_dir \"%s\" (location \"%s\") "
			  "does not exist: %s",
			  loc->upload_dir, loc->path, strerror(ENOENT));
		errno = EIO;
	}
	return fd;
}

/* digits (<= 16) random hex digits and a NUL into out. */
void upload_random_hex(char *out, size_t digits)
{
	uint64_t v;

	assert(digits <= 16);
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v)) {
		/* No entropy yet: a collision only costs another try. */
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		v = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15u ^
		    (uint64_t)getpid();
	}
	for (size_t i = 0; i < digits; i++, v >>= 4)
		out[i] = "0123456789abcdef"[v & 15];
	out[digits] = '\0';
}

/*
 * Give the file being written a fresh ".upload-<hex>" name in dir_fd:
 * a new file created with O_EXCL, or when proc is set a link to the
 * O_TMPFILE it names.  0 / -1.
 */
static int upload_tmp_name(struct upload *up, const char *proc)
{
	for (int tries = 0; tries < UPLOAD_RANDOM_TRIES; tries++) {
		memcpy(up->tmp_name, ".upload-", 8);
		upload_random_hex(up->tmp_name + 8, 16);
		if (proc ? linkat(AT_FDCWD, proc, up->dir_fd, up->tmp_name,
				  AT_SYMLINK_FOLLOW) == 0
			 : (up->fd = openat(up->dir_fd, up->tmp_name,
					    O_WRONLY | O_CREAT | O_EXCL |
						O_NOFOLLOW | O_CLOEXEC,
					    0644)) != -1)
			return 0;
		if (errno != EEXIST)
			break;
	}
	up->tmp_name[0] = '\0';
	return -1;
}

static void upload_proc_path(int fd, char *out, size_t cap)
{
	int n = snprintf(out, cap, "/proc/self/fd/%d", fd);

	if (n < 0 || (size_t)n >= cap)
		out[0] = '\0';
}

/* Open the file to write: an O_TMPFILE when it can be linked later. */
int upload_tmp_open(struct upload *up)
{
	char proc[64];

	up->tmp_name[0] = '\0';
#ifdef UPLOAD_NO_TMPFILE /* a test build of the fallback */
	return upload_tmp_name(up, NULL);
#endif
	up->fd =
	    openat(up->dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (up->fd != -1) {
		upload_proc_path(up->fd, proc, sizeof(proc));
		if (proc[0] && access(proc, F_OK) == 0)
			return 0;
		close(up->fd); /* no /proc: linkat could not name it */
		up->fd = -1;
	} else if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
		return -1; /* else: no O_TMPFILE in this kernel or fs */
	}
	return upload_tmp_name(up, NULL);
}

/* Close the file being written; a named temporary is removed. */
void upload_tmp_close(struct upload *up)
{
	if (up->tmp_name[0] != '\0')
		unlinkat(up->dir_fd, up->tmp_name, 0);
	up->tmp_name[0] = '\0';
	if (up->fd != -1)
		close(up->fd);
	up->fd = -1;
}

int upload_write_all(struct upload *up, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(up->fd, data, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			up->status = upload_errno_status(n == 0 ? EIO : errno);
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Replace name with the named temporary: 0 / -1 (errno). */
static int upload_rename_over(struct upload *up, const char *name)
{
	struct stat st;

	if (renameat2(up->dir_fd, up->tmp_name, up->dir_fd, name,
		      RENAME_NOREPLACE) == 0)
		goto placed;
	if (errno == EINVAL) /* file system without RENAME_NOREPLACE */
		up->replaced =
		    fstatat(up->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
	else if (errno == EEXIST)
		up->replaced = true;
	else
		return -1;
	if (renameat(up->dir_fd, up->tmp_name, up->dir_fd, name) == -1)
		return -1;
placed:
	up->tmp_name[0] = '\0';
	return 0;
}

/*
 * Give the complete file its final name in dir_fd.  replace: rename over
 * an existing file (PUT); else fail with EEXIST, atomically.  0 / -1.
 */
int upload_place(struct upload *up, const char *name, bool replace)
{
	char proc[64];

	if (up->tmp_name[0] == '\0') {
		upload_proc_path(up->fd, proc, sizeof(proc));
		if (linkat(AT_FDCWD, proc, up->dir_fd, name,
			   AT_SYMLINK_FOLLOW) == 0)
			return 0;
		if (errno != EEXIST || !replace)
			return -1;
		/* linkat never replaces: give it a temporary name to rename. */
		if (upload_tmp_name(up, proc) == -1)
			return -1;
	} else if (!replace) {
		if (linkat(up->dir_fd, up->tmp_name, up->dir_fd, name, 0) == -1)
			return -1;
		unlinkat(up->dir_fd, up->tmp_name, 0);
		up->tmp_name[0] = '\0';
		return 0;
	}
	return upload_rename_over(up, name);
}

static void upload_free(struct upload *up)
{
	upload_tmp_close(up);
	if (up->dir_fd != -1)
		close(up->dir_fd);
	multipart_free(up->mp);
	free(up->stored);
	free(up);
}

void upload_abort(struct upload *up)
{
	if (up == NULL)
		return;
	upload_unstore(up);
	upload_free(up);
}

/*
 * Split rel (no trailing '/') into its directory, "" for upload_dir
 * itself, and its last segment.  0 / -1 when either is too long.
 */
static int upload_split(const char *rel, size_t len, char dir[PATH_MAX],
			char name[NAME_MAX + 1])
{
	const char *slash = memrchr(rel, '/', len);
	size_t dir_len = slash ? (size_t)(slash - rel) : 0;
	size_t name_len = len - (slash ? dir_len + 1 : 0);

	if (dir_len >= PATH_MAX || name_len > NAME_MAX)
		return -1;
	memcpy(dir, rel, dir_len);
	dir[dir_len] = '\0';
	memcpy(name, rel + len - name_len, name_len);
	name[name_len] = '\0';
	return 0;
}

/* dir_uri = path[0..len) with a trailing '/'.  0 / -1 (too long). */
static int upload_set_dir_uri(struct upload *up, const char *path, size_t len)
{
	bool slash = len > 0 && path[len - 1] == '/';

	if (len + !slash >= sizeof(up->dir_uri))
		return -1;
	memcpy(up->dir_uri, path, len);
	if (!slash)
		up->dir_uri[len++] = '/';
	up->dir_uri[len] = '\0';
	up->dir_uri_len = len;
	return 0;
}

static int upload_dir_status(int err, int missing)
{
	return err == ENOENT || err == ENOTDIR ? missing
					       : upload_errno_status(err);
}

/*
 * POST into the directory rel[0..rel_len) (trailing '/' allowed), whose
 * URI is path[0..len): a multipart body, or a raw one.  0 / status.
 */
static int upload_post_dir(struct upload *up, const struct location *loc,
			   const struct http_request *req, const char *path,
			   size_t len, const char *rel, size_t rel_len)
{
	const struct slice *ctype = &req->content_type;
	char dir[PATH_MAX];

	while (rel_len > 0 && rel[rel_len - 1] == '/')
		rel_len--;
	if (rel_len >= sizeof(dir) || upload_set_dir_uri(up, path, len))
		return 414;
	memcpy(dir, rel, rel_len);
	dir[rel_len] = '\0';
	up->name[0] = '\0'; /* a raw body gets a generated name */
	if (up->dir_fd != -1)
		close(up->dir_fd);
	if ((up->dir_fd = upload_open_in(loc, dir)) == -1)
		return upload_dir_status(errno, 404);
	if (!multipart_is_form_data(ctype->ptr, ctype->len)) {
		up->mode = UPLOAD_RAW;
		if (upload_tmp_open(up) == -1)
			return upload_errno_status(errno);
		return 0;
	}
	return upload_form_begin(up, ctype);
}

/* RFC 9110 §13.2.2 for a write to a file whose lstat is st (NULL: no
 * such file).  0 or 412. */
static int upload_precond(const struct http_request *req, const struct stat *st)
{
	char etag[64];
	struct precond_target now = {st != NULL, etag, 0, 0};

	if (st != NULL) {
		now.etag_len = static_etag(st, etag, sizeof(etag));
		now.mtime = st->st_mtime;
	}
	return precond_eval(req, &now, time(NULL)) == PRECOND_PASS ? 0 : 412;
}

static bool upload_has_precond(const struct http_request *req)
{
	return req->if_match.len > 0 || req->if_unmodified_since.len > 0 ||
	       req->if_none_match.len > 0;
}

/* The conditional PUT's target is still the file its preconditions saw
 * (or still missing).  The ETag's inputs plus the inode. */
static bool upload_target_unchanged(const struct upload *up)
{
	struct stat st;
	bool exists =
	    fstatat(up->dir_fd, up->name, &st, AT_SYMLINK_NOFOLLOW) == 0;

	if (exists != up->existed)
		return false;
	return !exists ||
	       (st.st_dev == up->seen.st_dev && st.st_ino == up->seen.st_ino &&
		st.st_size == up->seen.st_size &&
		st.st_mtim.tv_sec == up->seen.st_mtim.tv_sec &&
		st.st_mtim.tv_nsec == up->seen.st_mtim.tv_nsec);
}

/* A PUT's preconditions against the target now (st NULL: no file),
 * remembered for upload_finish when there are any.  0 or 412. */
static int upload_put_precond(struct upload *up, const struct http_request *req,
			      const struct stat *st)
{
	if (!upload_has_precond(req))
		return 0;
	if (upload_precond(req, st) != 0)
		return 412;
	up->conditional = true;
	up->existed = st != NULL;
	if (st != NULL)
		up->seen = *st;
	return 0;
}

/* Open the target's directory and choose the mode.  0 / status. */
static int upload_target(struct upload *up, const struct location *loc,
			 const struct http_request *req, const char *path,
			 size_t len, const char *rel, size_t rel_len)
{
	bool post = req->method == HTTP_POST;
	char dir[PATH_MAX];
	struct stat st;
	bool exists;
	int status;

	if (rel_len == 0 || rel[rel_len - 1] == '/') {
		if (!post)
			return 409; /* nginx: no PUT to a collection */
		return upload_post_dir(up, loc, req, path, len, rel, rel_len);
	}
	if (upload_split(rel, rel_len, dir, up->name) == -1)
		return 414;
	/* RFC 4918 §9.7.1: no parent collection is 409 Conflict. */
	if ((up->dir_fd = upload_open_in(loc, dir)) == -1)
		return upload_dir_status(errno, 409);
	exists = fstatat(up->dir_fd, up->name, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (exists && S_ISDIR(st.st_mode)) {
		if (!post)
			return 409; /* a file never replaces a directory */
		/* POST /up/sub where sub is a directory: store into it. */
		return upload_post_dir(up, loc, req, path, len, rel, rel_len);
	}
	if (post && multipart_is_form_data(req->content_type.ptr,
					   req->content_type.len))
		return 409;
	if (upload_set_dir_uri(up, path, len - strlen(up->name)) == -1)
		return 414;
	/* POST creates: a new file, named after the target when free */
	up->mode = post ? UPLOAD_RAW : UPLOAD_FILE;
	if (!post &&
	    (status = upload_put_precond(up, req, exists ? &st : NULL)))
		return status;
	return upload_tmp_open(up) == -1 ? upload_errno_status(errno) : 0;
}

struct upload *upload_begin(const struct location *loc,
			    const struct http_request *req, const char *path,
			    size_t path_len, int *status)
{
	const char *rel = NULL;
	size_t rel_len = 0;
	struct upload *up = NULL;

	*status = 0;
	if (req->method != HTTP_PUT && req->method != HTTP_POST)
		*status = 405;
	else if (loc->upload_dir == NULL ||
		 upload_rel(loc, path, path_len, &rel, &rel_len) == -1)
		*status = 403;
	else if ((up = calloc(1, sizeof(*up))) == NULL)
		*status = 500;
	if (*status != 0)
		return NULL;
	up->dir_fd = -1;
	up->fd = -1;
	*status = upload_target(up, loc, req, path, path_len, rel, rel_len);
	if (*status != 0) {
		upload_free(up);
		return NULL;
	}
	up->browser_form =
	    up->mode == UPLOAD_MULTIPART && upload_wants_page(req);
	return up;
}

int upload_write(struct upload *up, const char *data, size_t len, int *status)
{
	if (up->status != 0)
		goto fail;
	if (up->mode != UPLOAD_MULTIPART) {
		if (upload_write_all(up, data, len) == -1)
			goto fail;
		return 0;
	}
	if (upload_form_write(up, data, len) == -1)
		goto fail;
	return 0;
fail:
	if (up->status == 0)
		up->status = 500;
	*status = up->status;
	return -1;
}

int upload_finish(struct upload *up, struct response *resp, bool head_only,
		  int *status)
{
	if (up->status != 0)
		goto fail;
	switch (up->mode) {
	case UPLOAD_FILE:
		if (up->conditional && !upload_target_unchanged(up)) {
			up->status = 412; /* changed while the body came */
			goto fail;
		}
		/* a conditional PUT that found no file creates one only */
		if (upload_place(up, up->name,
				 !up->conditional || up->existed) == -1) {
			/* A directory appeared at the name meanwhile. */
			up->status = errno == EISDIR ? 409
				     : errno == EEXIST
					 ? 412
					 : upload_errno_status(errno);
			goto fail;
		}
		break;
	case UPLOAD_RAW:
		if (upload_store_new(up, up->name) == -1)
			goto fail;
		break;
	case UPLOAD_MULTIPART:
		if (upload_form_finish(up) == -1)
			goto fail;
		break;
	}
	upload_respond(up, resp, head_only);
	upload_free(up);
	return 0;
fail:
	*status = up->status ? up->status : 500;
	upload_abort(up);
	return -1;
}

int upload_delete(const struct location *loc, const struct http_request *req,
		  const char *path, size_t path_len)
{
	const char *rel;
	size_t rel_len;
	char dir[PATH_MAX], name[NAME_MAX + 1];
	bool want_dir;
	struct stat st;
	int dir_fd, status = 204;

	if (loc->upload_dir == NULL ||
	    upload_rel(loc, path, path_len, &rel, &rel_len) == -1)
		return 403;
	want_dir = rel_len > 0 && rel[rel_len - 1] == '/';
	while (rel_len > 0 && rel[rel_len - 1] == '/')
		rel_len--;
	if (rel_len == 0)
		return 403; /* the upload area itself */
	if (upload_split(rel, rel_len, dir, name) == -1)
		return 404; /* cannot exist */
	if ((dir_fd = upload_open_in(loc, dir)) == -1)
		return upload_dir_status(errno, 404);
	/* AT_SYMLINK_NOFOLLOW, unlinkat: a symlink is removed itself. */
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		status = upload_dir_status(errno, 404);
	else if (S_ISDIR(st.st_mode))
		status = 403;
	else if (want_dir)
		status = 404; /* "file/" names no directory */
	else if (req != NULL && upload_precond(req, &st) != 0)
		status = 412; /* the file stays */
	else if (unlinkat(dir_fd, name, 0) == -1)
		status = upload_dir_status(errno, 404);
	close(dir_fd);
	return status;
}
