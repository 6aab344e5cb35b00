/*
 * test_upload.c - PUT, POST (raw, multipart) and DELETE in a temporary
 * upload_dir: status codes, Location, stored bytes, sanitised names,
 * concurrent uploads to one name, nothing left after an abort or error,
 * confinement to upload_dir.  Running as root hides EACCES, and ENOSPC
 * needs a small file system: both are left to the integration tests.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http.h"
#include "response.h"
#include "upload.h"

static char tmp_root[64]; /* holds up/ and outside/ */
static char up_dir[PATH_MAX];
static char outside[PATH_MAX];
static struct location loc;

static void setup(void)
{
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/test-upload-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp_root));
	snprintf(up_dir, sizeof(up_dir), "%s/up", tmp_root);
	snprintf(outside, sizeof(outside), "%s/outside", tmp_root);
	cr_assert_eq(mkdir(up_dir, 0755), 0);
	cr_assert_eq(mkdir(outside, 0755), 0);
	memset(&loc, 0, sizeof(loc));
	loc.path = "/uploads/";
	loc.path_len = strlen(loc.path);
	loc.upload_dir = up_dir;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void teardown(void)
{
	nftw(tmp_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(upload, .init = setup, .fini = teardown);

/* dir/name in one of two buffers: two may be used in one call. */
static char *path_in(const char *dir, const char *name)
{
	static char buf[2][PATH_MAX * 2];
	static int which;

	which = !which;
	snprintf(buf[which], sizeof(buf[which]), "%s/%s", dir, name);
	return buf[which];
}

/* Entries of dir, sorted, joined by ','; dot files too, except the
 * ".upload-" temporaries when temps is false. */
static const char *list_dir(const char *dir, bool temps)
{
	static char out[65536];
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	size_t len = 0;

	cr_assert_geq(n, 0);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		const char *s = names[i]->d_name;

		if (strcmp(s, ".") != 0 && strcmp(s, "..") != 0 &&
		    (temps || strncmp(s, ".upload-", 8) != 0)) {
			int w = snprintf(out + len, sizeof(out) - len, "%s%s",
					 len ? "," : "", s);

			cr_assert(w > 0 && (size_t)w < sizeof(out) - len,
				  "listing too long");
			len += (size_t)w;
		}
		free(names[i]);
	}
	free(names);
	return out;
}

/* Number of entries in dir, "." and ".." aside. */
static int count_dir(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, NULL);

	cr_assert_geq(n, 2);
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return n - 2;
}

/* What is left in dir: everything, temporaries included. */
static const char *listing(const char *dir)
{
	return list_dir(dir, true);
}

/* What a reader sees while an upload runs.  With O_TMPFILE nothing of
 * it; with the named-temporary fallback only a ".upload-" name. */
static const char *visible(const char *dir)
{
	return list_dir(dir, false);
}

/* File contents (NUL-terminated copy) or NULL. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

static void expect_file(const char *dir, const char *name, const char *want,
			size_t want_len)
{
	size_t len;
	char *got = slurp(path_in(dir, name), &len);

	cr_assert_not_null(got, "%s missing", name);
	cr_assert_eq(len, want_len, "%s: %zu bytes, want %zu", name, len,
		     want_len);
	cr_assert(memcmp(got, want, len) == 0, "%s: content differs", name);
	free(got);
}

static void put_file(const char *dir, const char *name, const char *text)
{
	FILE *f = fopen(path_in(dir, name), "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

/* The value of header name in resp's head, or "" when absent. */
static const char *header(const struct response *resp, const char *name)
{
	static char value[8192];
	size_t nlen = strlen(name);
	const char *p = resp->head;

	value[0] = '\0';
	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			const char *v = p + nlen + 2, *e = strstr(v, "\r\n");

			snprintf(value, sizeof(value), "%.*s", (int)(e - v), v);
			break;
		}
	}
	return value;
}

/* The request's field lines ("Name: value\r\n"...), or NULL: none. */
static const char *fields_text;

static struct http_request request(enum http_method m, const char *ctype)
{
	struct http_request req;

	memset(&req, 0, sizeof(req));
	req.method = m;
	if (fields_text) {
		req.fields.ptr = fields_text;
		req.fields.len = strlen(fields_text);
	}
	if (ctype) {
		req.content_type.ptr = ctype;
		req.content_type.len = strlen(ctype);
	}
	return req;
}

/*
 * One whole request: begin, body in pieces of `piece` bytes (0: one
 * write), finish.  Returns the status: resp->status on success.
 */
static int run(enum http_method m, const char *ctype, const char *path,
	       const char *body, size_t len, size_t piece,
	       struct response *resp)
{
	struct http_request req = request(m, ctype);
	struct upload *up;
	int status = 0;

	response_init(resp);
	up = upload_begin(&loc, &req, path, strlen(path), &status);
	if (up == NULL) {
		cr_assert_geq(status, 400);
		return status;
	}
	for (size_t at = 0; at < len;) {
		size_t n = piece && piece < len - at ? piece : len - at;

		if (upload_write(up, body + at, n, &status) == -1) {
			upload_abort(up);
			cr_assert_geq(status, 400);
			return status;
		}
		at += n;
	}
	if (upload_finish(up, resp, false, &status) == -1) {
		cr_assert_geq(status, 400);
		return status;
	}
	return resp->status;
}

static int simple(enum http_method m, const char *path, const char *body)
{
	struct response resp;
	int status = run(m, NULL, path, body, strlen(body), 0, &resp);

	response_reset(&resp);
	return status;
}

Test(upload, put_new_then_replace)
{
	struct response resp;

	cr_assert_eq(
	    run(HTTP_PUT, "text/plain", "/uploads/a.txt", "hello", 5, 0, &resp),
	    201);
	cr_assert_str_eq(header(&resp, "Location"), "/uploads/a.txt");
	cr_assert_str_eq(header(&resp, "Content-Length"), "15");
	cr_assert_eq(resp.mem_len, 15);
	cr_assert(memcmp(resp.mem, "/uploads/a.txt\n", 15) == 0);
	response_reset(&resp);
	expect_file(up_dir, "a.txt", "hello", 5);

	cr_assert_eq(run(HTTP_PUT, NULL, "/uploads/a.txt", "bye", 3, 1, &resp),
		     204);
	/* RFC 9110 §8.6: no Content-Length in a 204. */
	cr_assert_str_eq(header(&resp, "Content-Length"), "");
	cr_assert_eq(resp.body_kind, BODY_NONE);
	response_reset(&resp);
	expect_file(up_dir, "a.txt", "bye", 3);
	cr_assert_str_eq(listing(up_dir), "a.txt");
}

Test(upload, put_large_body_in_small_pieces)
{
	static char body[300000];
	struct response resp;

	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (char)(i * 7 + i / 251);
	cr_assert_eq(run(HTTP_PUT, NULL, "/uploads/big", body, sizeof(body),
			 4093, &resp),
		     201);
	response_reset(&resp);
	expect_file(up_dir, "big", body, sizeof(body));
	cr_assert_eq(run(HTTP_PUT, NULL, "/uploads/big", body, 5000, 1, &resp),
		     204);
	response_reset(&resp);
	expect_file(up_dir, "big", body, 5000);
}

Test(upload, put_empty_body)
{
	cr_assert_eq(simple(HTTP_PUT, "/uploads/empty", ""), 201);
	expect_file(up_dir, "empty", "", 0);
}

Test(upload, put_in_subdirectory_and_encoded_location)
{
	struct response resp;

	cr_assert_eq(mkdir(path_in(up_dir, "sub"), 0755), 0);
	cr_assert_eq(
	    run(HTTP_PUT, NULL, "/uploads/sub/a b%.txt", "x", 1, 0, &resp),
	    201);
	cr_assert_str_eq(header(&resp, "Location"),
			 "/uploads/sub/a%20b%25.txt");
	response_reset(&resp);
	expect_file(up_dir, "sub/a b%.txt", "x", 1);
}

Test(upload, put_conflicts)
{
	cr_assert_eq(mkdir(path_in(up_dir, "sub"), 0755), 0);
	put_file(up_dir, "file", "f");
	/* RFC 4918 §9.7.1: missing parent collection. */
	cr_assert_eq(simple(HTTP_PUT, "/uploads/nodir/a.txt", "x"), 409);
	cr_assert_eq(simple(HTTP_PUT, "/uploads/file/a.txt", "x"), 409);
	/* A file never replaces a directory; no PUT to a collection. */
	cr_assert_eq(simple(HTTP_PUT, "/uploads/sub", "x"), 409);
	cr_assert_eq(simple(HTTP_PUT, "/uploads/sub/", "x"), 409);
	cr_assert_eq(simple(HTTP_PUT, "/uploads/", "x"), 409);
	cr_assert_eq(simple(HTTP_PUT, "/uploads", "x"), 409);
	cr_assert_str_eq(listing(up_dir), "file,sub");
	cr_assert_str_eq(listing(path_in(up_dir, "sub")), "");
}

Test(upload, put_name_too_long)
{
	char path[400];

	memcpy(path, "/uploads/", 9);
	memset(path + 9, 'n', NAME_MAX + 1);
	path[9 + NAME_MAX + 1] = '\0';
	cr_assert_eq(simple(HTTP_PUT, path, "x"), 414);
	path[9 + NAME_MAX] = '\0';
	cr_assert_eq(simple(HTTP_PUT, path, "x"), 201);
}

Test(upload, put_over_a_symlink_replaces_the_link_only)
{
	put_file(outside, "secret", "keep me");
	cr_assert_eq(
	    symlink(path_in(outside, "secret"), path_in(up_dir, "link")), 0);
	cr_assert_eq(simple(HTTP_PUT, "/uploads/link", "new"), 204);
	expect_file(outside, "secret", "keep me", 7);
	struct stat st;
	cr_assert_eq(lstat(path_in(up_dir, "link"), &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	expect_file(up_dir, "link", "new", 3);
}

Test(upload, symlinks_out_of_upload_dir_are_refused)
{
	cr_assert_eq(symlink(outside, path_in(up_dir, "out")), 0);
	cr_assert_eq(simple(HTTP_PUT, "/uploads/out/x.txt", "x"), 403);
	cr_assert_eq(simple(HTTP_POST, "/uploads/out/", "x"), 403);
	cr_assert_eq(upload_delete(&loc, NULL, "/uploads/out/x", 14), 403);
	cr_assert_str_eq(listing(outside), "");
	/* A symlink that stays inside is fine (RESOLVE_BENEATH). */
	cr_assert_eq(mkdir(path_in(up_dir, "sub"), 0755), 0);
	cr_assert_eq(symlink("sub", path_in(up_dir, "in")), 0);
	cr_assert_eq(simple(HTTP_PUT, "/uploads/in/y.txt", "y"), 201);
	expect_file(up_dir, "sub/y.txt", "y", 1);
}

Test(upload, post_raw_to_a_directory_gets_a_generated_name)
{
	struct response resp;
	const char *loc1, *name;
	char first[NAME_MAX + 1];
	unsigned long long t;
	char hex[9];
	int used = 0;

	cr_assert_eq(run(HTTP_POST, "application/octet-stream", "/uploads/",
			 "raw body", 8, 3, &resp),
		     201);
	loc1 = header(&resp, "Location");
	cr_assert(strncmp(loc1, "/uploads/", 9) == 0, "%s", loc1);
	name = loc1 + 9;
	cr_assert_eq(sscanf(name, "upload-%llu-%8[0-9a-f]%n", &t, hex, &used),
		     2, "%s", name);
	cr_assert_eq((size_t)used, strlen(name), "%s", name);
	cr_assert_str_eq(listing(up_dir), name);
	expect_file(up_dir, name, "raw body", 8);
	snprintf(first, sizeof(first), "%s", name);
	response_reset(&resp);

	/* A second one never replaces the first. */
	cr_assert_eq(run(HTTP_POST, NULL, "/uploads", "two", 3, 0, &resp), 201);
	name = header(&resp, "Location") + 9;
	cr_assert_str_neq(name, first);
	expect_file(up_dir, name, "two", 3);
	expect_file(up_dir, first, "raw body", 8);
	response_reset(&resp);
}

/* POST creates: a taken name gets the next free one, as a form's files. */
Test(upload, post_raw_to_a_file_path_never_replaces)
{
	struct response resp;

	cr_assert_eq(simple(HTTP_POST, "/uploads/p.txt", "one"), 201);
	cr_assert_eq(run(HTTP_POST, NULL, "/uploads/p.txt", "two", 3, 0, &resp),
		     201);
	cr_assert_str_eq(header(&resp, "Location"), "/uploads/p-1.txt");
	response_reset(&resp);
	expect_file(up_dir, "p.txt", "one", 3);
	expect_file(up_dir, "p-1.txt", "two", 3);
	cr_assert_eq(simple(HTTP_POST, "/uploads/nodir/p.txt", "x"), 409);
	cr_assert_eq(simple(HTTP_POST, "/uploads/nodir/", "x"), 404);
}

/* A conditional PUT whose target changes while its body comes is 412 at
 * the end, and the file another request wrote stays (RFC 9110 §13.1.4). */
Test(upload, conditional_put_sees_a_change_during_its_body)
{
	static const char later[] = "Sun, 06 Nov 2095 08:49:37 GMT";
	struct http_request req = request(HTTP_PUT, NULL);
	struct response resp;
	struct upload *up;
	int status = 0;

	put_file(up_dir, "c.txt", "old");
	req.if_unmodified_since = (struct slice){later, sizeof(later) - 1};
	up = upload_begin(&loc, &req, "/uploads/c.txt", 14, &status);
	cr_assert_not_null(up, "refused at once: %d", status);
	cr_assert_eq(upload_write(up, "mine", 4, &status), 0);
	put_file(up_dir, "c.txt", "theirs!");
	response_init(&resp);
	cr_expect_eq(upload_finish(up, &resp, false, &status), -1);
	cr_expect_eq(status, 412);
	expect_file(up_dir, "c.txt", "theirs!", 7);

	/* If-None-Match: * creates only, also when the file appears late */
	req = request(HTTP_PUT, NULL);
	req.if_none_match = (struct slice){"*", 1};
	up = upload_begin(&loc, &req, "/uploads/n.txt", 14, &status);
	cr_assert_not_null(up, "refused at once: %d", status);
	cr_assert_eq(upload_write(up, "mine", 4, &status), 0);
	put_file(up_dir, "n.txt", "theirs");
	cr_expect_eq(upload_finish(up, &resp, false, &status), -1);
	cr_expect_eq(status, 412);
	expect_file(up_dir, "n.txt", "theirs", 6);
	response_reset(&resp);
}

#define CT "multipart/form-data; boundary=XyZ"
#define PART(name, file)                                                       \
	"--XyZ\r\nContent-Disposition: form-data; name=\"" name "\"" file      \
	"\r\n\r\n"
#define FN(f) "; filename=\"" f "\""
#define END   "\r\n--XyZ--\r\n"

static const char form[] =
    "preamble\r\n" PART("title", "") "not a file\r\n" PART(
	"a",
	FN("../../etc/"
	   "passwd")) "root:x:0:0\r\n" PART("b",
					    FN("..\\x")) "win\r\n" PART("c",
									FN(".hi"
									   "dde"
									   "n")) "dot\r\n" PART("d",
												FN("a b.txt")) "--XyZ in "
													       "data\r\n\r\n" PART(
														   "e",
														   FN("")) "\r\n"
															   "--XyZ\r\nContent-Type: text/plain\r\n\r\nno disposition" END;

static void check_form_result(const struct response *resp)
{
	static const char uris[] = "/uploads/passwd\n/uploads/x\n"
				   "/uploads/hidden\n/uploads/a_b.txt\n";

	cr_assert_eq(resp->status, 201);
	cr_assert_str_eq(header(resp, "Location"), "/uploads/passwd");
	cr_assert_str_eq(header(resp, "Content-Type"), "text/plain");
	cr_assert_eq(resp->mem_len, sizeof(uris) - 1);
	cr_assert(memcmp(resp->mem, uris, resp->mem_len) == 0, "%.*s",
		  (int)resp->mem_len, resp->mem);
	cr_assert_str_eq(listing(up_dir), "a_b.txt,hidden,passwd,x");
	expect_file(up_dir, "passwd", "root:x:0:0", 10);
	expect_file(up_dir, "x", "win", 3);
	expect_file(up_dir, "hidden", "dot", 3);
	expect_file(up_dir, "a_b.txt", "--XyZ in data\r\n", 15);
}

Test(upload, post_multipart_sanitised_names)
{
	struct response resp;

	cr_assert_eq(
	    run(HTTP_POST, CT, "/uploads/", form, sizeof(form) - 1, 0, &resp),
	    201);
	check_form_result(&resp);
	response_reset(&resp);
}

Test(upload, post_multipart_one_byte_pieces)
{
	struct response resp;

	cr_assert_eq(
	    run(HTTP_POST, CT, "/uploads/", form, sizeof(form) - 1, 1, &resp),
	    201);
	check_form_result(&resp);
	response_reset(&resp);
}

Test(upload, post_multipart_same_name_gets_numbered)
{
	static const char body1[] = PART("f", FN("r.tar.gz")) "1" END;
	static const char body2[] = PART("f", FN("dir/r.tar.gz")) "2" END;
	static const char body3[] =
	    PART("f", FN("noext")) "3"
				   "\r\n" PART("g", FN("noext")) "4" END;
	struct response resp;

	cr_assert_eq(
	    run(HTTP_POST, CT, "/uploads/", body1, sizeof(body1) - 1, 0, &resp),
	    201);
	response_reset(&resp);
	cr_assert_eq(
	    run(HTTP_POST, CT, "/uploads/", body2, sizeof(body2) - 1, 0, &resp),
	    201);
	cr_assert_str_eq(header(&resp, "Location"), "/uploads/r.tar-1.gz");
	response_reset(&resp);
	cr_assert_eq(
	    run(HTTP_POST, CT, "/uploads/", body3, sizeof(body3) - 1, 0, &resp),
	    201);
	cr_assert_eq(resp.mem_len,
		     strlen("/uploads/noext\n/uploads/noext-1\n"));
	cr_assert(memcmp(resp.mem, "/uploads/noext\n/uploads/noext-1\n",
			 resp.mem_len) == 0);
	response_reset(&resp);
	cr_assert_str_eq(listing(up_dir), "noext,noext-1,r.tar-1.gz,r.tar.gz");
	expect_file(up_dir, "r.tar.gz", "1", 1);
	expect_file(up_dir, "r.tar-1.gz", "2", 1);
	expect_file(up_dir, "noext", "3", 1);
	expect_file(up_dir, "noext-1", "4", 1);
}

Test(upload, numbered_name_stays_within_name_max)
{
	char body[1024], name[NAME_MAX + 1], want[NAME_MAX + 1];
	struct response resp;
	int n;

	memset(name, 'l', NAME_MAX - 4);
	memcpy(name + NAME_MAX - 4, ".txt", 5);
	n = snprintf(body, sizeof(body), PART("f", "; filename=\"%s\"") "z" END,
		     name);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(
		    run(HTTP_POST, CT, "/uploads/", body, (size_t)n, 0, &resp),
		    201);
		response_reset(&resp);
	}
	memset(want, 'l', NAME_MAX - 6);
	memcpy(want + NAME_MAX - 6, "-1.txt", 7);
	expect_file(up_dir, name, "z", 1);
	expect_file(up_dir, want, "z", 1);
}

Test(upload, concurrent_uploads_to_one_name_keep_both)
{
	static const char head_a[] = PART("f", FN("same.txt"));
	struct http_request req = request(HTTP_POST, CT);
	struct upload *a, *b;
	struct response ra, rb;
	int status;

	a = upload_begin(&loc, &req, "/uploads/", 9, &status);
	b = upload_begin(&loc, &req, "/uploads/", 9, &status);
	cr_assert(a && b);
	cr_assert_eq(upload_write(a, head_a, sizeof(head_a) - 1, &status), 0);
	cr_assert_eq(upload_write(b, head_a, sizeof(head_a) - 1, &status), 0);
	for (int i = 0; i < 1000; i++) {
		cr_assert_eq(upload_write(a, "AAAAAAAA", 8, &status), 0);
		cr_assert_eq(upload_write(b, "bbbb", 4, &status), 0);
	}
	/* Nothing visible before the parts end. */
	cr_assert_str_eq(visible(up_dir), "");
	cr_assert_eq(upload_write(b, END, strlen(END), &status), 0);
	cr_assert_eq(upload_write(a, END, strlen(END), &status), 0);
	response_init(&ra);
	response_init(&rb);
	cr_assert_eq(upload_finish(a, &ra, false, &status), 0);
	cr_assert_eq(upload_finish(b, &rb, false, &status), 0);
	cr_assert_str_eq(listing(up_dir), "same-1.txt,same.txt");
	char *sa = slurp(path_in(up_dir, "same.txt"), NULL);
	char *sb = slurp(path_in(up_dir, "same-1.txt"), NULL);
	cr_assert_eq(strlen(sa), 4000);
	cr_assert_eq(strspn(sa, "b"), 4000);
	cr_assert_eq(strlen(sb), 8000);
	cr_assert_eq(strspn(sb, "A"), 8000);
	cr_assert_str_eq(header(&ra, "Location"), "/uploads/same-1.txt");
	cr_assert_str_eq(header(&rb, "Location"), "/uploads/same.txt");
	free(sa);
	free(sb);
	response_reset(&ra);
	response_reset(&rb);
}

Test(upload, concurrent_puts_last_complete_one_wins)
{
	struct http_request req = request(HTTP_PUT, NULL);
	struct upload *a, *b;
	struct response ra, rb;
	int status;

	a = upload_begin(&loc, &req, "/uploads/t", 10, &status);
	b = upload_begin(&loc, &req, "/uploads/t", 10, &status);
	cr_assert(a && b);
	for (int i = 0; i < 100; i++) {
		cr_assert_eq(upload_write(a, "aaaa", 4, &status), 0);
		cr_assert_eq(upload_write(b, "bb", 2, &status), 0);
	}
	response_init(&ra);
	response_init(&rb);
	cr_assert_eq(upload_finish(a, &ra, false, &status), 0);
	cr_assert_eq(ra.status, 201);
	cr_assert_eq(upload_finish(b, &rb, false, &status), 0);
	cr_assert_eq(rb.status, 204);
	cr_assert_str_eq(listing(up_dir), "t");
	char *s = slurp(path_in(up_dir, "t"), NULL);
	cr_assert_eq(strlen(s), 200);
	cr_assert_eq(strspn(s, "b"), 200);
	free(s);
	response_reset(&ra);
	response_reset(&rb);
}

Test(upload, abort_leaves_nothing)
{
	struct http_request put = request(HTTP_PUT, NULL);
	struct http_request raw = request(HTTP_POST, "text/plain");
	struct http_request mp = request(HTTP_POST, CT);
	static const char partial[] = PART(
	    "a", FN("done.txt")) "complete"
				 "\r\n" PART("b", FN("half.txt")) "half of it";
	struct upload *up;
	int status;

	put_file(up_dir, "old", "original");
	up = upload_begin(&loc, &put, "/uploads/old", 12, &status);
	cr_assert_not_null(up);
	cr_assert_eq(upload_write(up, "partial", 7, &status), 0);
	upload_abort(up);
	up = upload_begin(&loc, &put, "/uploads/new", 12, &status);
	cr_assert_not_null(up);
	cr_assert_eq(upload_write(up, "partial", 7, &status), 0);
	upload_abort(up);
	up = upload_begin(&loc, &raw, "/uploads/", 9, &status);
	cr_assert_not_null(up);
	cr_assert_eq(upload_write(up, "partial", 7, &status), 0);
	upload_abort(up);
	/* A multipart body cut short: its complete file goes too. */
	up = upload_begin(&loc, &mp, "/uploads/", 9, &status);
	cr_assert_not_null(up);
	cr_assert_eq(upload_write(up, partial, sizeof(partial) - 1, &status),
		     0);
	cr_assert_str_eq(visible(up_dir), "done.txt,old");
	upload_abort(up);
	cr_assert_str_eq(listing(up_dir), "old");
	expect_file(up_dir, "old", "original", 8);
}

Test(upload, bad_multipart_bodies)
{
	static const char no_files[] = PART("field", "") "value" END;
	static const char empty_file[] = PART("f", FN("")) END;
	static const char truncated[] =
	    PART("a", FN("ok.txt")) "data"
				    "\r\n" PART("b", FN("b.txt")) "more";
	static const char garbage[] =
	    PART("a", FN("ok.txt")) "data"
				    "\r\n--XyZ junk\r\n";
	struct response resp;

	cr_assert_eq(run(HTTP_POST, CT, "/uploads/", no_files,
			 sizeof(no_files) - 1, 0, &resp),
		     400);
	cr_assert_eq(run(HTTP_POST, CT, "/uploads/", empty_file,
			 sizeof(empty_file) - 1, 0, &resp),
		     400);
	cr_assert_eq(run(HTTP_POST, CT, "/uploads/", truncated,
			 sizeof(truncated) - 1, 1, &resp),
		     400);
	cr_assert_eq(run(HTTP_POST, CT, "/uploads/", garbage,
			 sizeof(garbage) - 1, 0, &resp),
		     400);
	cr_assert_eq(
	    run(HTTP_POST, "multipart/form-data", "/uploads/", "", 0, 0, &resp),
	    400);
	cr_assert_eq(run(HTTP_POST, "multipart/form-data; boundary=\"a",
			 "/uploads/", "", 0, 0, &resp),
		     400);
	cr_assert_str_eq(listing(up_dir), "");
}

Test(upload, multipart_targets)
{
	static const char body[] = PART("f", FN("in.txt")) "sub" END;
	struct response resp;

	cr_assert_eq(mkdir(path_in(up_dir, "sub"), 0755), 0);
	/* An existing directory named without its slash. */
	cr_assert_eq(run(HTTP_POST, CT, "/uploads/sub", body, sizeof(body) - 1,
			 0, &resp),
		     201);
	cr_assert_str_eq(header(&resp, "Location"), "/uploads/sub/in.txt");
	response_reset(&resp);
	expect_file(up_dir, "sub/in.txt", "sub", 3);
	cr_assert_eq(run(HTTP_POST, CT, "/uploads/nodir/", body,
			 sizeof(body) - 1, 0, &resp),
		     404);
	cr_assert_eq(run(HTTP_POST, CT, "/uploads/file.txt", body,
			 sizeof(body) - 1, 0, &resp),
		     409);
	cr_assert_str_eq(listing(up_dir), "sub");
}

/* A form whose client takes text/html (a browser) gets 303 to the
 * directory and a page; anyone else 201 and the list. */
Test(upload, browser_form_gets_303_by_accept)
{
	static const char body[] = PART("f", FN("b.txt")) "b" END;
	static const struct {
		const char *accept; /* NULL: no Accept field */
		int status;
	} cases[] = {
	    {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;"
	     "q=0.8",
	     303},
	    {"text/plain, TEXT/HTML ;q=1", 303},
	    {"text/html;level=1; q=0.5", 303},
	    {"text/html;q=0.001", 303},
	    {NULL, 201},
	    {"*/*", 201},
	    {"text/*", 201},
	    {"application/json", 201},
	    {"text/html;q=0", 201},
	    {"text/html ; Q=0.000", 201},
	    {"text/html;q=0.", 201},
	    {"text/htmlx, xtext/html", 201},
	};
	char fields[256];
	struct response resp;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fields_text = NULL;
		if (cases[i].accept) {
			snprintf(fields, sizeof(fields), "Accept: %s\r\n",
				 cases[i].accept);
			fields_text = fields;
		}
		int got = run(HTTP_POST, CT, "/uploads/", body,
			      sizeof(body) - 1, 0, &resp);
		cr_expect_eq(got, cases[i].status, "Accept: %s: %d",
			     cases[i].accept ? cases[i].accept : "(none)", got);
		if (got == 303)
			cr_expect_str_eq(header(&resp, "Location"),
					 "/uploads/");
		else
			cr_expect_not_null(
			    strstr(header(&resp, "Location"), "/uploads/b"));
		response_reset(&resp);
	}
	fields_text = NULL;
}

Test(upload, location_prefix_without_slash)
{
	loc.path = "/up";
	loc.path_len = 3;
	cr_assert_eq(simple(HTTP_PUT, "/up/f", "x"), 201);
	expect_file(up_dir, "f", "x", 1);
	cr_assert_eq(simple(HTTP_PUT, "/upx", "x"), 403);
	cr_assert_eq(simple(HTTP_PUT, "/other/f", "x"), 403);
	cr_assert_eq(upload_delete(&loc, NULL, "/upf", 4), 403);
	cr_assert_eq(upload_delete(&loc, NULL, "/up/f", 5), 204);
}

Test(upload, methods_and_locations_without_upload_dir)
{
	struct http_request get = request(HTTP_GET, NULL);
	int status = 0;

	cr_assert_null(upload_begin(&loc, &get, "/uploads/x", 10, &status));
	cr_assert_eq(status, 405);
	loc.upload_dir = NULL;
	cr_assert_eq(simple(HTTP_PUT, "/uploads/x", "x"), 403);
	cr_assert_eq(upload_delete(&loc, NULL, "/uploads/x", 10), 403);
}

struct delete_case {
	const char *path;
	int status;
};

Test(upload, delete)
{
	static const struct delete_case tab[] = {
	    {"/uploads/file", 204},	 {"/uploads/file", 404},
	    {"/uploads/missing", 404},	 {"/uploads/nodir/x", 404},
	    {"/uploads/sub", 403},	 {"/uploads/sub/", 403},
	    {"/uploads/sub/inner", 204}, {"/uploads/other/", 404},
	    {"/uploads/other", 204},	 {"/uploads/", 403},
	    {"/uploads", 403},		 {"/elsewhere/file", 403},
	    {"/uploads/link", 204},	 {"/uploads/dirlink", 204},
	};

	cr_assert_eq(mkdir(path_in(up_dir, "sub"), 0755), 0);
	put_file(up_dir, "file", "f");
	put_file(up_dir, "other", "o");
	put_file(up_dir, "sub/inner", "i");
	put_file(outside, "target", "t");
	cr_assert_eq(
	    symlink(path_in(outside, "target"), path_in(up_dir, "link")), 0);
	cr_assert_eq(symlink(outside, path_in(up_dir, "dirlink")), 0);
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		cr_assert_eq(
		    upload_delete(&loc, NULL, tab[i].path, strlen(tab[i].path)),
		    tab[i].status, "DELETE %s", tab[i].path);
	/* The links went, not what they point to. */
	cr_assert_str_eq(listing(up_dir), "sub");
	cr_assert_str_eq(listing(path_in(up_dir, "sub")), "");
	cr_assert_str_eq(listing(outside), "target");
	expect_file(outside, "target", "t", 1);
}

struct name_case {
	const char *in;
	const char *out;
};

Test(upload, safe_name)
{
	static const struct name_case tab[] = {
	    {"report.pdf", "report.pdf"},
	    {"../../etc/passwd", "passwd"},
	    {"..\\x", "x"},
	    {"C:\\Users\\me\\My File.txt", "My_File.txt"},
	    {".hidden", "hidden"},
	    {"...", ""},
	    {"dir/", ""},
	    {"a b.txt", "a_b.txt"},
	    {"x;rm -rf *", "x_rm_-rf__"},
	    {"caf\xc3\xa9.txt", "caf__.txt"},
	    {"a..b", "a..b"},
	    {"-_.09AZaz", "-_.09AZaz"},
	    {"tab\there", "tab_here"},
	};
	char out[NAME_MAX + 1], in[600];

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		size_t n = upload_safe_name(tab[i].in, strlen(tab[i].in), out,
					    sizeof(out));

		cr_assert_eq(n, strlen(tab[i].out), "%s", tab[i].in);
		cr_assert_str_eq(out, tab[i].out, "%s", tab[i].in);
	}
	memset(in, 'a', sizeof(in));
	cr_assert_eq(upload_safe_name(in, sizeof(in), out, sizeof(out)),
		     NAME_MAX);
	cr_assert_eq(strlen(out), NAME_MAX);
	/* A NUL byte inside is not a terminator, just a bad byte. */
	cr_assert_eq(upload_safe_name("a\0b", 3, out, sizeof(out)), 3);
	cr_assert_str_eq(out, "a_b");
}

Test(upload, unusable_client_name_gets_a_generated_one)
{
	static const char body[] = PART("f", FN("...")) "dots" END;
	struct response resp;
	const char *name;
	unsigned long long t;
	char hex[9];

	cr_assert_eq(
	    run(HTTP_POST, CT, "/uploads/", body, sizeof(body) - 1, 0, &resp),
	    201);
	name = header(&resp, "Location") + 9;
	cr_assert_eq(sscanf(name, "upload-%llu-%8[0-9a-f]", &t, hex), 2, "%s",
		     name);
	expect_file(up_dir, name, "dots", 4);
	response_reset(&resp);
}

Test(upload, too_many_files_is_413_and_leaves_nothing)
{
	static const char part[] = PART("f", FN("f")) "x\r\n";
	size_t len = 1001 * (sizeof(part) - 1) + sizeof(END);
	char *body = malloc(len), *p = body;
	struct response resp;

	cr_assert_not_null(body);
	for (int i = 0; i < 1001; i++) {
		memcpy(p, part, sizeof(part) - 1);
		p += sizeof(part) - 1;
	}
	/* The last part's CRLF is the delimiter's: "x" END. */
	memcpy(p - 2, END, sizeof(END));
	p += sizeof(END) - 3;
	cr_assert_eq(
	    run(HTTP_POST, CT, "/uploads/", body, (size_t)(p - body), 0, &resp),
	    413);
	cr_assert_str_eq(listing(up_dir), "");
	/* 1000 are fine. */
	memcpy(body + 1000 * (sizeof(part) - 1) - 2, END, sizeof(END));
	cr_assert_eq(run(HTTP_POST, CT, "/uploads/", body,
			 1000 * (sizeof(part) - 1) - 2 + sizeof(END) - 1, 0,
			 &resp),
		     201);
	/* "f", "f-1" .. "f-99", then 900 generated names. */
	/* Each line is "/uploads/f\n" with "f" grown by "-N" or swapped
	 * for a 26-byte generated name. */
	cr_assert_eq(resp.mem_len,
		     1000 * strlen("/uploads/f\n") + 9 * 2 + 90 * 3 + 900 * 25);
	response_reset(&resp);
	cr_assert_eq(count_dir(up_dir), 1000);
	cr_assert_eq(access(path_in(up_dir, "f-99"), F_OK), 0);
	cr_assert_neq(access(path_in(up_dir, "f-100"), F_OK), 0);
	free(body);
}

Test(upload, rollback_spares_a_file_replaced_meanwhile)
{
	static const char partial[] =
	    PART("a", FN("r.txt")) "mine"
				   "\r\n" PART("b", FN("s.txt")) "cut";
	struct http_request mp = request(HTTP_POST, CT);
	struct upload *up;
	int status;

	up = upload_begin(&loc, &mp, "/uploads/", 9, &status);
	cr_assert_not_null(up);
	cr_assert_eq(upload_write(up, partial, sizeof(partial) - 1, &status),
		     0);
	expect_file(up_dir, "r.txt", "mine", 4);
	/* Another client replaces the stored file before the failure. */
	cr_assert_eq(simple(HTTP_PUT, "/uploads/r.txt", "theirs"), 204);
	upload_abort(up);
	cr_assert_str_eq(listing(up_dir), "r.txt");
	expect_file(up_dir, "r.txt", "theirs", 6);
}
