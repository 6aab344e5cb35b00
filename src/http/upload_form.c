/*
 * upload_form.c - the files a POST stores into a directory: each gets a
 * new name (the client's file name made safe, "name-1.ext" .. "name-99.ext"
 * on a collision, then a generated "upload-<time>-<hex>"), is recorded for
 * the response and for a rollback; a multipart/form-data body is parsed
 * here, one file per part with a filename.  upload.c owns the target, the
 * temporary file and the linking.
 *
 * Invariant: a name is taken with an atomic link that fails on EEXIST, so
 * an existing file is never overwritten; up->stored lists exactly the
 * files this upload linked, with their device and inode.
 * Never: keeps a name with '/', a leading '.' or a byte outside
 * [A-Za-z0-9._-]; removes on rollback a file that is no longer the one
 * it stored.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "multipart.h"
#include "upload.h"
#include "upload_int.h"

/* Remember a stored file for the response and for a rollback. */
static int upload_record(struct upload *up, const char *name)
{
	struct upload_stored *s;
	struct stat st;

	if (up->stored_count == up->stored_cap) {
		size_t cap = up->stored_cap ? up->stored_cap * 2 : 4;

		s = reallocarray(up->stored, cap, sizeof(*s));
		if (s == NULL)
			return -1;
		up->stored = s;
		up->stored_cap = cap;
	}
	if (fstat(up->fd, &st) == -1)
		return -1;
	s = &up->stored[up->stored_count++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	return 0;
}

/* "stem-n.ext" from name, the stem cut so the result fits NAME_MAX. */
static void upload_numbered(const char *name, int n, char *out, size_t cap)
{
	const char *dot = strrchr(name, '.');
	size_t len = strlen(name);
	size_t stem = dot && dot != name ? (size_t)(dot - name) : len;
	size_t ext = len - stem;
	char suffix[16];
	int slen = snprintf(suffix, sizeof(suffix), "-%d", n);

	if (stem + (size_t)slen + ext > NAME_MAX) {
		if (ext + (size_t)slen >= NAME_MAX) /* absurd extension */
			ext = 0;
		stem = NAME_MAX - (size_t)slen - ext;
		if (stem > len)
			stem = len;
	}
	snprintf(out, cap, "%.*s%s%.*s", (int)stem, name, suffix, (int)ext,
		 name + len - ext);
}

static void upload_generated(char *out, size_t cap)
{
	char hex[9];

	upload_random_hex(hex, 8);
	snprintf(out, cap, "upload-%lld-%s", (long long)time(NULL), hex);
}

/*
 * Store the complete file under a new name: want ("" for a generated
 * one), else the next free numbered or generated name.  0 / -1, with
 * up->status set.
 */
int upload_store_new(struct upload *up, const char *want)
{
	char name[NAME_MAX + 1];
	int tries = 0;

	for (int n = 0; want[0] != '\0' && n < UPLOAD_NAME_TRIES; n++) {
		if (n == 0)
			snprintf(name, sizeof(name), "%s", want);
		else
			upload_numbered(want, n, name, sizeof(name));
		if (upload_place(up, name, false) == 0)
			goto placed;
		if (errno != EEXIST)
			goto fail;
	}
	for (;;) {
		upload_generated(name, sizeof(name));
		if (upload_place(up, name, false) == 0)
			goto placed;
		if (errno != EEXIST || ++tries == UPLOAD_RANDOM_TRIES)
			goto fail;
	}
placed:
	if (upload_record(up, name) == -1) {
		unlinkat(up->dir_fd, name, 0);
		goto fail;
	}
	upload_tmp_close(up);
	return 0;
fail:
	up->status = upload_errno_status(errno);
	upload_tmp_close(up);
	return -1;
}

size_t upload_safe_name(const char *in, size_t len, char *out, size_t cap)
{
	size_t start = 0, n = 0;

	for (size_t i = 0; i < len; i++)
		if (in[i] == '/' || in[i] == '\\')
			start = i + 1;
	while (start < len && in[start] == '.')
		start++;
	for (size_t i = start; i < len && n < NAME_MAX && n + 1 < cap; i++) {
		unsigned char c = (unsigned char)in[i];
		bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
			    c == '-';

		out[n++] = keep ? (char)c : '_';
	}
	if (cap > 0)
		out[n] = '\0';
	return n;
}

/* multipart callbacks: a part with a filename becomes a file. */
static int upload_on_part(void *ctx, const struct multipart_part *part)
{
	struct upload *up = ctx;

	up->name[0] = '\0';
	/* An empty file input is sent as filename="" (HTML): no file. */
	if (!part->has_disposition || part->filename == NULL ||
	    part->filename_len == 0)
		return 0;
	if (up->stored_count == UPLOAD_MAX_FILES) {
		up->status = 413; /* bounds up->stored and the files */
		return -1;
	}
	upload_safe_name(part->filename, part->filename_len, up->name,
			 sizeof(up->name));
	if (upload_tmp_open(up) == -1) {
		up->status = upload_errno_status(errno);
		return -1;
	}
	return 0;
}

static int upload_on_data(void *ctx, const char *data, size_t len)
{
	struct upload *up = ctx;

	if (up->fd == -1) /* a field: ignored */
		return 0;
	return upload_write_all(up, data, len);
}

static int upload_on_part_end(void *ctx)
{
	struct upload *up = ctx;

	if (up->fd == -1)
		return 0;
	return upload_store_new(up, up->name);
}

static const struct multipart_callbacks upload_callbacks = {
    .on_part = upload_on_part,
    .on_data = upload_on_data,
    .on_part_end = upload_on_part_end,
};

/* Remove the files this upload stored, if they are still ours. */
void upload_unstore(struct upload *up)
{
	struct stat st;

	for (size_t i = 0; i < up->stored_count; i++) {
		const struct upload_stored *s = &up->stored[i];
		int r = fstatat(up->dir_fd, s->name, &st, AT_SYMLINK_NOFOLLOW);

		/* Replaced by another request meanwhile: theirs now. */
		if (r == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
			unlinkat(up->dir_fd, s->name, 0);
	}
	up->stored_count = 0;
}

int upload_form_begin(struct upload *up, const struct slice *ctype)
{
	char boundary[MULTIPART_BOUNDARY_MAX + 1];
	int blen;

	up->mode = UPLOAD_MULTIPART;
	blen = multipart_boundary(ctype->ptr, ctype->len, boundary,
				  sizeof(boundary));
	if (blen < 0)
		return 400;
	up->mp = multipart_new(boundary, (size_t)blen, &upload_callbacks, up);
	return up->mp ? 0 : 500;
}

int upload_form_write(struct upload *up, const char *data, size_t len)
{
	if (multipart_feed(up->mp, data, len) == -1) {
		if (multipart_error(up->mp) != MULTIPART_ERR_CALLBACK)
			up->status = 400;
		return -1;
	}
	return 0;
}

int upload_form_finish(struct upload *up)
{
	if (multipart_finish(up->mp) == -1) {
		if (multipart_error(up->mp) != MULTIPART_ERR_CALLBACK)
			up->status = 400;
		return -1;
	}
	if (up->stored_count == 0) {
		up->status = 400; /* no file in the form */
		return -1;
	}
	return 0;
}
