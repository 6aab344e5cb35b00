/*
 * static.c - GET and HEAD of files and directories beneath a location's
 * root or alias: mapping, index files, 301 to the slash form, ETag /
 * Last-Modified with the preconditions of RFC 9110 §13 (304, 412; precond.c), a
 * single Range with 206 / 416. The listing lives in autoindex.c, the HTTP-date
 * parser in date.c.
 *
 * Invariant: every file is opened beneath the base directory
 * (static_open.c: openat2 RESOLVE_BENEATH), so neither ".." nor a symlink
 * (absolute or relative) can reach outside it; the canonical path has no
 * ".." anyway.
 * static_serve() either fills resp completely or, on an error status,
 * leaves it untouched for the caller's error page.  It never reads a
 * body into memory: a file goes out as BODY_FILE for sendfile().
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"
#include "encoding.h"
#include "log.h"
#include "path.h"
#include "precond.h"
#include "static.h"

int static_map(const struct location *loc, const char *path, size_t len,
	       const char **base, char *rel, size_t cap)
{
	const char *tail = path;
	size_t tail_len = len;

	if (loc->alias) {
		size_t plen = loc->path_len;
		/* "/cgi-bin" in the location "/cgi-bin/" is the alias itself */
		if (len + 1 == plen && loc->path[plen - 1] == '/')
			plen = len;
		/* the prefix must end on a segment boundary */
		if (len < plen || memcmp(path, loc->path, plen) != 0 ||
		    (len > plen && plen > 0 && path[plen - 1] != '/' &&
		     path[plen] != '/')) {
			errno = EINVAL;
			return -1;
		}
		tail += plen;
		tail_len -= plen;
		*base = loc->alias;
	} else {
		*base = loc->root;
	}
	if (*base == NULL) {
		errno = EINVAL;
		return -1;
	}
	while (tail_len > 0 && *tail == '/') {
		tail++;
		tail_len--;
	}
	if (tail_len == 0) {
		tail = ".";
		tail_len = 1;
	}
	if (tail_len >= cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(rel, tail, tail_len);
	rel[tail_len] = '\0';
	return 0;
}

size_t static_etag(const struct stat *st, char *out, size_t cap)
{
	/* nanoseconds: a same-size rewrite within one second still changes
	 * the tag, which a strong validator (If-Range, If-Match) relies on;
	 * the inode: the kernel stamps mtime at a clock tick (~4 ms), and an
	 * upload (a new file renamed over the old) of the same size within
	 * one tick would otherwise keep the old tag */
	uint64_t mtime_ns = (uint64_t)st->st_mtim.tv_sec * 1000000000u +
			    (uint64_t)st->st_mtim.tv_nsec;
	int n = snprintf(out, cap, "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"",
			 (uint64_t)st->st_ino, mtime_ns, (uint64_t)st->st_size);

	if (n < 0 || (size_t)n >= cap) {
		if (cap > 0)
			out[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

static const char *static_skip_ows(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/*
 * RFC 9110 §13.1.5 If-Range: the Range applies only when the validator
 * still matches: an entity-tag by strong comparison (a weak one never
 * does), a date when it equals Last-Modified exactly.
 */
static bool static_if_range_ok(const struct http_request *req, const char *etag,
			       size_t etag_len, time_t mtime)
{
	struct slice v = req->if_range;
	time_t when;

	if (v.len == 0)
		return true;
	if (v.ptr[0] == '"')
		return v.len == etag_len && memcmp(v.ptr, etag, etag_len) == 0;
	if (v.len >= 2 && v.ptr[0] == 'W' && v.ptr[1] == '/')
		return false;
	return http_parse_date(v.ptr, v.len, &when) == 0 && when == mtime;
}

/* 1*DIGIT, saturating at UINT64_MAX (a huge position is still a
 * position: past the end, or clipped to it). */
static bool static_digits(const char **pp, const char *end, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (p == end || *p < '0' || *p > '9')
		return false;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
	}
	*pp = p;
	*out = v;
	return true;
}

/* Skip OWS and empty list elements (RFC 9110 §5.6.1). */
static const char *static_skip_list_sep(const char *p, const char *end)
{
	for (p = static_skip_ows(p, end); p < end && *p == ',';)
		p = static_skip_ows(p + 1, end);
	return p;
}

enum range_result static_parse_range(const char *value, size_t len,
				     uint64_t size, uint64_t *first,
				     uint64_t *last)
{
	const char *p = value, *end = value + len;
	uint64_t a = 0, b = UINT64_MAX;
	bool suffix = false;

	/* RFC 9110 §14.1: range-unit is case-insensitive */
	if (len < 6 || strncasecmp(p, "bytes=", 6) != 0)
		return RANGE_NONE;
	p = static_skip_list_sep(p + 6, end);
	if (p < end && *p == '-') {
		suffix = true;
		p++;
		if (!static_digits(&p, end, &b))
			return RANGE_NONE;
	} else {
		if (!static_digits(&p, end, &a) || p == end || *p++ != '-')
			return RANGE_NONE;
		if (p < end && *p >= '0' && *p <= '9') {
			static_digits(&p, end, &b);
			if (b < a)
				return RANGE_NONE; /* §14.1.1: invalid */
		}
	}
	/* a second range-spec (or garbage): ignore the header, §14.2 */
	if (static_skip_list_sep(p, end) != end)
		return RANGE_NONE;
	if (size == 0)
		return RANGE_UNSATISFIABLE;
	if (suffix) {
		if (b == 0)
			return RANGE_UNSATISFIABLE;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return RANGE_OK;
	}
	if (a >= size)
		return RANGE_UNSATISFIABLE;
	*first = a;
	*last = b >= size ? size - 1 : b;
	return RANGE_OK;
}

/* errno of a failed open -> the status the client gets. */
static int static_errno_status(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
		return 404;
	case EACCES:
	case EPERM:
	case EXDEV:
	case ELOOP:
		return 403;
	case ENAMETOOLONG:
		return 414;
	default:
		return 500;
	}
}

/* RFC 9110 §15.4.2: a directory named without its slash. */
int static_redirect_slash(const struct http_request *req, const char *path,
			  size_t len, struct response *resp)
{
	char enc[RESPONSE_HEAD_MAX];

	if (path_url_encode(path, len, enc, sizeof(enc)) == -1)
		return 414;
	response_status(resp, 301);
	if (req->has_query)
		response_header(resp, "Location", "%s/?%.*s", enc,
				(int)req->query.len, req->query.ptr);
	else
		response_header(resp, "Location", "%s/", enc);
	response_header(resp, "Content-Length", "0");
	resp->body_kind = BODY_NONE;
	return 301;
}

/* The first index name that is a regular file beneath base, or NULL. */
static const char *static_find_index(const struct location *loc,
				     const char *base, const char *rel)
{
	char name[PATH_MAX];
	size_t rel_len = strcmp(rel, ".") == 0 ? 0 : strlen(rel);
	struct stat st;

	for (size_t i = 0; i < loc->index_count; i++) {
		const char *idx = loc->index[i];
		/* a name that would make the new URI non-canonical */
		if (idx[0] == '\0' || strchr(idx, '/') ||
		    strcmp(idx, ".") == 0 || strcmp(idx, "..") == 0)
			continue;
		int n = snprintf(name, sizeof(name), "%.*s%s", (int)rel_len,
				 rel, idx);
		if (n < 0 || (size_t)n >= sizeof(name))
			continue;
		int fd = static_open_beneath(base, name, O_PATH, 0);
		if (fd == -1)
			continue;
		bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
		close(fd);
		if (regular)
			return idx;
	}
	return NULL;
}

int static_index_of(const struct location *loc, const char *path, size_t len,
		    char *index_path, size_t index_cap)
{
	char rel[PATH_MAX];
	const char *base, *idx;
	struct stat st;
	int fd, n;

	if (len == 0 || path[len - 1] != '/' ||
	    static_map(loc, path, len, &base, rel, sizeof(rel)) == -1)
		return 0;
	fd = static_open_beneath(base, rel, O_PATH | O_DIRECTORY, 0);
	if (fd == -1)
		return 0;
	n = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
	close(fd);
	if (!n || (idx = static_find_index(loc, base, rel)) == NULL)
		return 0;
	n = snprintf(index_path, index_cap, "%.*s%s", (int)len, path, idx);
	return n >= 0 && (size_t)n < index_cap;
}

/* A directory (fd owned): 301, index redirect, listing or 403. */
static int static_directory(const struct location *loc,
			    const struct http_request *req, const char *path,
			    size_t len, const char *base, const char *rel,
			    int fd, char *index_path, size_t index_cap,
			    struct response *resp)
{
	const char *idx;

	if (len == 0 || path[len - 1] != '/') {
		close(fd);
		return static_redirect_slash(req, path, len, resp);
	}
	idx = static_find_index(loc, base, rel);
	if (idx) {
		close(fd);
		int n = snprintf(index_path, index_cap, "%.*s%s", (int)len,
				 path, idx);
		if (n < 0 || (size_t)n >= index_cap)
			return 414;
		return STATIC_INDEX_REDIRECT;
	}
	if (!loc->autoindex) {
		close(fd);
		return 403;
	}
	return static_autoindex(fd, base, rel, path, len,
				req->method == HTTP_HEAD, resp);
}

/*
 * RFC 9110 §15.5.17: the range is not there.  The error page is the
 * caller's (resp untouched, as for every error status); the complete
 * length it must carry in Content-Range goes to out.
 */
static int static_unsatisfiable(uint64_t size, char *out, size_t cap)
{
	int n = snprintf(out, cap, "bytes */%" PRIu64, size);

	return n < 0 || (size_t)n >= cap ? 500 : 416;
}

/*
 * The precompressed sibling rel + ".br" / ".gz" beneath base: a regular
 * file not older than file (DESIGN.md §10), referenced, or NULL.  A
 * missing one is remembered in file's entry for the cache's recheck
 * interval (1 s), so a sibling made later is found within it.
 */
static struct fc_entry *static_sibling(struct file_cache *cache,
				       const char *base, const char *rel,
				       enum content_coding enc,
				       struct fc_entry *file)
{
	const struct stat *orig = &file->st;
	char name[PATH_MAX];
	struct fc_entry *e;
	struct stat st;
	int fd,
	    n = snprintf(name, sizeof(name), "%s%s", rel, encoding_suffix(enc));

	if (n < 0 || (size_t)n >= sizeof(name) || strcmp(rel, ".") == 0)
		return NULL;
	if ((e = fc_lookup(cache, base, name)) == NULL) {
		/* a missing sibling is not looked for on every request */
		if (fc_sibling_missing(file, enc))
			return NULL;
		fd = static_open_beneath(base, name,
					 O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
		if (fd == -1) {
			if (errno == ENOENT)
				fc_set_sibling_missing(file, enc);
			return NULL;
		}
		if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
			close(fd);
			return NULL;
		}
		if ((e = fc_insert(cache, base, name, fd, &st)) == NULL)
			return NULL;
	}
	/* older than the file: a stale leftover of an earlier version */
	if (e->st.st_mtim.tv_sec < orig->st_mtim.tv_sec ||
	    (e->st.st_mtim.tv_sec == orig->st_mtim.tv_sec &&
	     e->st.st_mtim.tv_nsec < orig->st_mtim.tv_nsec)) {
		fc_release(e);
		return NULL;
	}
	return e;
}

/* The representation a GET of a file is answered with (RFC 9110 §3.2). */
struct static_rep {
	struct fc_entry *e; /* the file or its sibling (referenced) */
	int enc;	    /* Content-Encoding, ENC_IDENTITY: none */
	const char *data;   /* compressed here (e's cached copy), or NULL */
	size_t data_len;
	bool stream; /* compressed while it is sent (not in memory) */
	bool vary;   /* the choice depended on Accept-Encoding */
	char etag[FC_ETAG_MAX + 8];
	size_t etag_len;
};

/*
 * The compressed copy of a file held in memory, made on first use.  It is
 * made once per version, so it gets the smallest output (gzip 9, brotli
 * 11) whatever compress_level says: the cost is paid once, the bytes
 * saved on every response.
 */
static bool static_encoded(struct fc_entry *e, enum content_coding enc)
{
	int level = enc == ENC_BR ? 11 : 9;
	char *out;
	size_t out_len;

	if (e->enc_data[enc])
		return true;
	if (compress_whole(enc, level, e->data, (size_t)e->st.st_size, &out,
			   &out_len) == -1) {
		log_error("%s: %s: cannot compress", __func__, e->key);
		return false;
	}
	fc_set_encoded(e, enc, out, out_len);
	return true;
}

/*
 * Choose the representation of e (our reference moves into rep): a
 * precompressed sibling (static_compressed), a copy compressed in memory
 * (compress, for a file the cache holds), or the file itself.  A GET
 * with Range gets identity: a 206 is never compressed on the fly.
 */
static void static_choose(const struct location *loc,
			  const struct http_request *req,
			  struct file_cache *cache, const char *base,
			  const char *rel, const char *type, struct fc_entry *e,
			  struct static_rep *rep)
{
	struct slice ae = http_header_get(req, "Accept-Encoding");
	bool vary;
	int enc;

	*rep = (struct static_rep){.e = e, .enc = ENC_IDENTITY};
	if (loc->static_compressed_count > 0) {
		uint8_t offer[ENC_OFFER_MAX];
		size_t n = loc->static_compressed_count;

		rep->vary = true;
		memcpy(offer, loc->static_compressed, n);
		/* the client's best coding that has a sibling: without an
		 * a.css.br, "gzip, br" still gets a.css.gz */
		while (n > 0 &&
		       (enc = encoding_choose(ae.ptr ? ae.ptr : "", ae.len,
					      ae.ptr != NULL, offer, n)) > 0) {
			struct fc_entry *sib =
			    static_sibling(cache, base, rel, enc, e);
			if (sib) {
				fc_release(e);
				rep->e = sib;
				rep->enc = enc;
				goto etag;
			}
			size_t k = 0;
			for (size_t i = 0; i < n; i++)
				if (offer[i] != enc)
					offer[k++] = offer[i];
			n = k;
		}
	}
	enc = compress_choose(loc, req, type, strlen(type),
			      (long long)e->st.st_size, &vary);
	rep->vary |= vary;
	if (enc > 0 && !(req->method == HTTP_GET && req->range.len) &&
	    (e->data == NULL || static_encoded(e, enc))) {
		rep->enc = enc;
		/* a file the cache holds: its copy compressed once; else
		 * (large, or no room) compressed as it goes out */
		rep->stream = e->data == NULL;
		rep->data = e->data ? e->enc_data[enc] : NULL;
		rep->data_len = e->data ? e->enc_len[enc] : 0;
		/* RFC 9110 §8.8.3: another representation, another tag:
		 * the file's with the coding inside the quotes */
		int n = snprintf(rep->etag, sizeof(rep->etag), "%.*s-%s\"",
				 (int)(e->etag_len - 1), e->etag,
				 encoding_name(enc));
		rep->etag_len =
		    n > 0 && (size_t)n < sizeof(rep->etag) ? (size_t)n : 0;
		return;
	}
etag:
	memcpy(rep->etag, rep->e->etag, rep->e->etag_len + 1);
	rep->etag_len = rep->e->etag_len;
}

/* Content-Encoding and Vary of a representation. */
static void static_rep_headers(const struct static_rep *rep,
			       struct response *resp)
{
	if (rep->enc != ENC_IDENTITY) {
		response_header(resp, "Content-Encoding", "%s",
				encoding_name(rep->enc));
		resp->compressed = true;
	}
	if (rep->vary)
		response_header(resp, "Vary", "Accept-Encoding");
}

/*
 * 200 with a file compressed as it is sent: its length is not known
 * before, so chunked (HTTP/1.0: close-delimited; HTTP/2: raw, its DATA
 * frames are the framing).  rep->e's reference
 * goes to the response (the stream reads its fd).
 */
static int static_stream(const struct location *loc,
			 const struct http_request *req, const char *type,
			 const struct static_rep *rep, struct response *resp)
{
	struct fc_entry *e = rep->e;
	bool chunked = req->minor == 1;

	response_status(resp, 200);
	response_header(resp, "Content-Type", "%s", type);
	if (chunked)
		response_header(resp, "Transfer-Encoding", "chunked");
	else if (req->minor == 0)
		resp->close = true;
	response_header(resp, "Last-Modified", "%s", e->modified);
	response_header(resp, "ETag", "%s", rep->etag);
	static_rep_headers(rep, resp);
	resp->body_kind = BODY_NONE;
	if (req->method == HTTP_HEAD) {
		fc_release(e);
		return 200;
	}
	resp->stream =
	    compress_file_stream(rep->enc, loc->compress_level, e->fd, 0,
				 (off_t)e->st.st_size, chunked);
	if (resp->stream == NULL) {
		fc_release(e);
		return 500;
	}
	resp->cached = e;
	resp->body_kind = BODY_STREAM;
	return 200;
}

/*
 * A regular file (the entry's reference is ours): 200, 206, 304, or 412
 * and 416 with resp untouched (416: Content-Range's value in out).  The
 * preconditions see the very ETag and Last-Modified this response sends
 * (RFC 9110 §13.2.2: before Range), those of the representation chosen.
 */
static int static_file(const struct location *loc,
		       const struct http_request *req, const char *path,
		       size_t len, const struct mime_table *mime,
		       struct file_cache *cache, const char *base,
		       const char *rel, struct fc_entry *orig, char *out,
		       size_t cap, struct response *resp)
{
	const char *type = mime_type(mime, path, len);
	struct static_rep rep;

	static_choose(loc, req, cache, base, rel, type, orig, &rep);
	struct fc_entry *e = rep.e;
	const struct stat *st = &e->st;
	const struct precond_target now = {true, rep.etag, rep.etag_len,
					   st->st_mtime};
	uint64_t size = rep.data ? rep.data_len : (uint64_t)st->st_size;
	uint64_t first = 0, last = size ? size - 1 : 0;
	int status = precond_eval(req, &now, time(NULL));

	if (status == 412) {
		fc_release(e);
		return 412;
	}
	if (status == 304) {
		/* §15.4.5: ETag and Vary yes; other metadata SHOULD NOT */
		response_status(resp, 304);
		response_header(resp, "ETag", "%s", rep.etag);
		if (rep.vary)
			response_header(resp, "Vary", "Accept-Encoding");
		resp->body_kind = BODY_NONE;
		fc_release(e);
		return 304;
	}
	if (rep.stream)
		return static_stream(loc, req, type, &rep, resp);
	status = 200;
	/* §14.2: Range is defined for GET only; HEAD ignores it.  It
	 * applies to the representation sent (a sibling's bytes). */
	if (req->method == HTTP_GET && req->range.len > 0 && rep.data == NULL &&
	    static_if_range_ok(req, rep.etag, rep.etag_len, st->st_mtime)) {
		switch (static_parse_range(req->range.ptr, req->range.len, size,
					   &first, &last)) {
		case RANGE_OK:
			status = 206;
			break;
		case RANGE_UNSATISFIABLE:
			fc_release(e);
			return static_unsatisfiable(size, out, cap);
		case RANGE_NONE:
			break;
		}
	}
	uint64_t body_len = size ? last - first + 1 : 0;
	response_status(resp, status);
	response_header(resp, "Content-Type", "%s", type);
	response_header(resp, "Content-Length", "%" PRIu64, body_len);
	response_header(resp, "Last-Modified", "%s", e->modified);
	response_header(resp, "ETag", "%s", rep.etag);
	if (rep.data == NULL)
		response_header(resp, "Accept-Ranges", "bytes");
	static_rep_headers(&rep, resp);
	if (status == 206)
		response_header(resp, "Content-Range",
				"bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first,
				last, size);
	if (req->method == HTTP_HEAD || body_len == 0) {
		fc_release(e);
		resp->body_kind = BODY_NONE;
		return status;
	}
	/* the response borrows the entry's content or fd */
	resp->cached = e;
	if (rep.data || e->data) {
		resp->body_kind = BODY_MEM;
		resp->mem = (char *)(rep.data ? rep.data : e->data) + first;
		resp->mem_len = (size_t)body_len;
	} else {
		resp->body_kind = BODY_FILE;
		resp->fd = e->fd;
		resp->file_off = (off_t)first;
		resp->file_len = (off_t)body_len;
	}
	return status;
}

int static_serve(const struct location *loc, const struct http_request *req,
		 const char *path, size_t len, const struct mime_table *mime,
		 struct file_cache *cache, char *index_path, size_t index_cap,
		 struct response *resp)
{
	char rel[PATH_MAX];
	const char *base;
	struct fc_entry *e;
	struct stat st;
	int fd;

	if (static_map(loc, path, len, &base, rel, sizeof(rel)) == -1)
		return errno == ENAMETOOLONG ? 414 : 500;
	if ((e = fc_lookup(cache, base, rel)) != NULL)
		return static_file(loc, req, path, len, mime, cache, base, rel,
				   e, index_path, index_cap, resp);
	/* O_NONBLOCK: opening a FIFO must not hang the worker */
	fd =
	    static_open_beneath(base, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
	if (fd == -1) {
		int status = static_errno_status(errno);
		if (status == 500)
			log_error("%s: %s/%s: %s", __func__, base, rel,
				  strerror(errno));
		return status;
	}
	if (fstat(fd, &st) == -1) {
		log_error("%s: fstat %s/%s: %s", __func__, base, rel,
			  strerror(errno));
		close(fd);
		return 500;
	}
	if (S_ISDIR(st.st_mode))
		return static_directory(loc, req, path, len, base, rel, fd,
					index_path, index_cap, resp);
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return 403;
	}
	if ((e = fc_insert(cache, base, rel, fd, &st)) == NULL)
		return 500;
	return static_file(loc, req, path, len, mime, cache, base, rel, e,
			   index_path, index_cap, resp);
}
