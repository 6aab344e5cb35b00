/*
 * upload_int.h - private to src/http/upload*.c: the upload's state and
 * the helpers upload.c (target, temporary file, linking into place),
 * upload_form.c (new names, stored files, multipart parts) and
 * upload_reply.c (the answer) share.
 * Nothing outside the upload module includes this.
 */
#ifndef WEBSERV_UPLOAD_INT_H
#define WEBSERV_UPLOAD_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "http.h"
#include "multipart.h"
#include "response.h"

#define UPLOAD_NAME_TRIES   100	 /* "name.ext", "name-1.ext" .. "-99" */
#define UPLOAD_RANDOM_TRIES 16	 /* generated names before giving up */
#define UPLOAD_MAX_FILES    1000 /* files in one multipart body, else 413 */
#define UPLOAD_TMP_NAME_MAX 32

enum upload_mode {
	UPLOAD_FILE,	  /* PUT */
	UPLOAD_RAW,	  /* POST of a raw body: a new file */
	UPLOAD_MULTIPART, /* POST of multipart/form-data */
};

struct upload_stored {
	char name[NAME_MAX + 1];
	dev_t dev; /* to remove only our own file on rollback */
	ino_t ino;
};

struct upload {
	enum upload_mode mode;
	int dir_fd; /* the directory the files go to */
	int fd;	    /* file being written, -1 between parts */
	char tmp_name[UPLOAD_TMP_NAME_MAX]; /* "": fd is an O_TMPFILE */
	char name[NAME_MAX + 1];	    /* UPLOAD_FILE: the target's name;
					     * UPLOAD_RAW: the wanted one ("": any) */
	char dir_uri[PATH_MAX + 1];	    /* URI of dir_fd, ends in '/' */
	size_t dir_uri_len;
	struct multipart *mp;
	bool replaced;
	/* PUT with preconditions (RFC 9110 §13): the target as they saw
	 * it, checked again before the file is placed */
	bool conditional;
	bool existed;
	struct stat seen;
	int status; /* error status once failed */
	struct upload_stored *stored;
	size_t stored_count;
	size_t stored_cap;
	/* a browser's form (multipart/form-data, Accept: text/html): it gets
	 * 303 to the listing and a short page instead of 201 */
	bool browser_form;
};

/* upload.c */

/* errno of a failed file operation -> the status the client gets. */
int upload_errno_status(int err);
/* digits (<= 16) random hex digits and a NUL into out. */
void upload_random_hex(char *out, size_t digits);
/* Open up->fd, the file to write in dir_fd (an O_TMPFILE when it can be
 * linked later, else a named temporary).  0 / -1 (errno). */
int upload_tmp_open(struct upload *up);
/* Close the file being written; a named temporary is removed. */
void upload_tmp_close(struct upload *up);
/* All of data to up->fd.  0 / -1 with up->status set. */
int upload_write_all(struct upload *up, const char *data, size_t len);
/* Give the complete file its final name in dir_fd.  replace: rename over
 * an existing file (PUT); else fail with EEXIST, atomically.  0 / -1. */
int upload_place(struct upload *up, const char *name, bool replace);

/* upload_form.c */

/* Store the complete file under a new name in dir_fd: want ("" for a
 * generated one), else the next free numbered or generated name; the
 * file is recorded in up->stored.  0 / -1, with up->status set. */
int upload_store_new(struct upload *up, const char *want);
/* Remove the files this upload stored, if they are still ours. */
void upload_unstore(struct upload *up);
/* Start a multipart/form-data POST into dir_fd, the boundary taken from
 * the Content-Type ctype.  0 / status (400 no boundary, 500). */
int upload_form_begin(struct upload *up, const struct slice *ctype);
/* Feed body bytes to the form.  0 / -1 with up->status set, or left 0
 * for the caller's 500. */
int upload_form_write(struct upload *up, const char *data, size_t len);
/* The form's body is complete.  0 / -1 with up->status set (400 when
 * malformed or when no file was stored), or left 0 for the caller's 500. */
int upload_form_finish(struct upload *up);

/* upload_reply.c */

/* The client takes an HTML page: its Accept names text/html with a q
 * above 0 (a browser's navigation; curl sends a wildcard of any type, an
 * API client its own type). */
bool upload_wants_page(const struct http_request *req);
/* The answer to a completed upload into resp (head_only: HEAD). */
void upload_respond(const struct upload *up, struct response *resp,
		    bool head_only);

#endif
