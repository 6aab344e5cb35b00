/*
 * test_multipart.c - the streaming multipart/form-data parser, fed every
 * body whole, split at every point, split at every pair of points, one
 * byte at a time and in random pieces: the transcript of callbacks must
 * not depend on how the bytes arrive.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "multipart.h"

#define B  "AaB03x"
#define CD "Content-Disposition: form-data"

/* What the callbacks saw: "{cd name filename type}data|" per part. */
struct transcript {
	char text[65536];
	size_t len;
	int fail_on_data; /* make on_data fail on its n-th call */
	int data_calls;
};

static void tr_add(struct transcript *tr, const char *s, size_t n)
{
	cr_assert(n <= sizeof(tr->text) - 1 - tr->len, "transcript full");
	memcpy(tr->text + tr->len, s, n);
	tr->len += n;
	tr->text[tr->len] = '\0';
}

static void tr_str(struct transcript *tr, const char *s, size_t n)
{
	if (s == NULL) {
		tr_add(tr, "-", 1);
		return;
	}
	cr_assert_eq(strlen(s), n, "value length and NUL disagree");
	tr_add(tr, "'", 1);
	tr_add(tr, s, n);
	tr_add(tr, "'", 1);
}

static int on_part(void *ctx, const struct multipart_part *part)
{
	struct transcript *tr = ctx;

	tr_add(tr, part->has_disposition ? "{cd " : "{nocd ",
	       part->has_disposition ? 4 : 6);
	tr_str(tr, part->name, part->name_len);
	tr_add(tr, " ", 1);
	tr_str(tr, part->filename, part->filename_len);
	tr_add(tr, " ", 1);
	tr_str(tr, part->content_type, part->content_type_len);
	tr_add(tr, "}", 1);
	return 0;
}

static int on_data(void *ctx, const char *data, size_t len)
{
	struct transcript *tr = ctx;

	cr_assert_gt(len, 0, "empty data callback");
	if (++tr->data_calls == tr->fail_on_data)
		return -1;
	tr_add(tr, data, len);
	return 0;
}

static int on_part_end(void *ctx)
{
	tr_add(ctx, "|", 1);
	return 0;
}

static const struct multipart_callbacks callbacks = {
    .on_part = on_part,
    .on_data = on_data,
    .on_part_end = on_part_end,
};

/* Feed body in the pieces ending at cuts[] (sorted), then finish. */
static enum multipart_error run(const char *boundary, const char *body,
				size_t len, const size_t *cuts, size_t ncuts,
				struct transcript *tr)
{
	struct multipart *mp;
	enum multipart_error err = MULTIPART_OK;
	size_t at = 0;

	tr->len = 0;
	tr->text[0] = '\0';
	tr->data_calls = 0;
	mp = multipart_new(boundary, strlen(boundary), &callbacks, tr);
	cr_assert_not_null(mp);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : len;

		if (multipart_feed(mp, body + at, to - at) == -1) {
			err = multipart_error(mp);
			cr_assert_neq(err, MULTIPART_OK);
			/* A failed parser stays failed. */
			cr_assert_eq(multipart_feed(mp, "x", 1), -1);
			goto done;
		}
		at = to;
	}
	if (multipart_finish(mp) == -1) {
		err = multipart_error(mp);
		cr_assert_neq(err, MULTIPART_OK);
	}
done:
	multipart_free(mp);
	return err;
}

struct mp_case {
	const char *what;
	const char *boundary;
	const char *body;
	size_t body_len; /* 0: strlen(body) */
	enum multipart_error err;
	const char *expect; /* transcript, when err is MULTIPART_OK */
};

static const struct mp_case cases[] = {
    {"simple file", B,
     "--" B "\r\n" CD "; name=\"f\"; filename=\"a.txt\"\r\n"
     "Content-Type: text/plain\r\n\r\nhello\r\n--" B "--\r\n",
     0, MULTIPART_OK, "{cd 'f' 'a.txt' 'text/plain'}hello|"},
    {"two files", B,
     "--" B "\r\n" CD "; name=\"a\"; filename=\"1.bin\"\r\n\r\n"
     "first\r\n--" B "\r\n" CD "; name=\"b\"; filename=\"2.bin\"\r\n\r\n"
     "second\r\n--" B "--",
     0, MULTIPART_OK, "{cd 'a' '1.bin' -}first|{cd 'b' '2.bin' -}second|"},
    {"field then file", B,
     "--" B "\r\n" CD "; name=\"title\"\r\n\r\nMy title\r\n"
     "--" B "\r\n" CD "; name=\"up\"; filename=\"x.png\"\r\n"
     "Content-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n\r\n--" B "--\r\n",
     0, MULTIPART_OK,
     "{cd 'title' - -}My title|{cd 'up' 'x.png' "
     "'image/png'}\x89PNG\r\n\x1a\n|"},
    {"quoted boundary with space and colon", "a b:c",
     "--a b:c\r\n" CD "; name=q\r\n\r\nv\r\n--a b:c--", 0, MULTIPART_OK,
     "{cd 'q' - -}v|"},
    {"boundary-like bytes in data", B,
     "--" B "\r\n" CD "; name=\"f\"; filename=\"d\"\r\n\r\n"
     "a--" B "\r\n--AaB0\r\n\r\r\n-\r--" B "\n\r\n--AaB03y\r"
     "\r\n--" B "--",
     0, MULTIPART_OK,
     "{cd 'f' 'd' -}a--" B "\r\n--AaB0\r\n\r\r\n-\r--" B "\n"
     "\r\n--AaB03y\r|"},
    {"CR LF in data, data ends in CR", B,
     "--" B "\r\n" CD "; name=f; filename=g\r\n\r\n"
     "line1\r\nline2\r\n\r\r\n--" B "--\r\n",
     0, MULTIPART_OK, "{cd 'f' 'g' -}line1\r\nline2\r\n\r|"},
    {"preamble, padding and epilogue", B,
     "This is a preamble --" B "\r\n--AaB03\r\n--" B " \t\r\n" CD
     "; name=p\r\n\r\nbody\r\n--" B "--  \r\nepilogue --" B "\r\n",
     0, MULTIPART_OK, "{cd 'p' - -}body|"},
    {"leading CRLF before the first delimiter", B,
     "\r\n--" B "\r\n" CD "; name=p\r\n\r\nz\r\n--" B "--", 0, MULTIPART_OK,
     "{cd 'p' - -}z|"},
    {"empty part data and no headers", B,
     "--" B "\r\n\r\n\r\n--" B "\r\n" CD "; name=e\r\n\r\n\r\n--" B "--", 0,
     MULTIPART_OK, "{nocd - - -}|{cd 'e' - -}|"},
    {"no parts at all", B, "--" B "--\r\n", 0, MULTIPART_OK, ""},
    {"no Content-Disposition", B,
     "--" B "\r\nContent-Type: text/plain\r\n\r\ndata\r\n--" B "--", 0,
     MULTIPART_OK, "{nocd - - 'text/plain'}data|"},
    {"disposition other than form-data", B,
     "--" B "\r\nContent-Disposition: attachment; filename=\"a\"\r\n\r\n"
     "d\r\n--" B "--",
     0, MULTIPART_OK, "{nocd - - -}d|"},
    {"quoted-string escapes; Windows path kept", B,
     "--" B "\r\n" CD "; name=\"a\\\"b\\\\c\"; "
     "filename=\"C:\\dir\\x;y.txt\"\r\n\r\nd\r\n--" B "--",
     0, MULTIPART_OK, "{cd 'a\"b\\c' 'C:\\dir\\x;y.txt' -}d|"},
    {"case-insensitive names, token values, first wins", B,
     "--" B "\r\ncontent-disposition: FORM-DATA ;NAME=n1; FileName=f1;"
     " name=n2; filename*=UTF-8''f2\r\n"
     "CONTENT-TYPE:  text/x  \r\nX-Other: 1\r\n"
     "Content-Disposition: form-data; name=late\r\n\r\nd\r\n--" B "--",
     0, MULTIPART_OK, "{cd 'n1' 'f1' 'text/x'}d|"},
    {"folded header line", B,
     "--" B "\r\n" CD ";\r\n name=\"f\";\r\n\tfilename=\"z\"\r\n\r\n"
     "d\r\n--" B "--",
     0, MULTIPART_OK, "{cd 'f' 'z' -}d|"},
    {"empty filename", B,
     "--" B "\r\n" CD "; name=\"f\"; filename=\"\"\r\n\r\n\r\n--" B "--", 0,
     MULTIPART_OK, "{cd 'f' '' -}|"},
    {"missing close delimiter: ends in data", B,
     "--" B "\r\n" CD "; name=f\r\n\r\npartial data", 0,
     MULTIPART_ERR_TRUNCATED, NULL},
    {"missing close delimiter: ends after a delimiter", B,
     "--" B "\r\n" CD "; name=f\r\n\r\nd\r\n--" B "\r\n", 0,
     MULTIPART_ERR_TRUNCATED, NULL},
    {"missing close delimiter: half of it", B,
     "--" B "\r\n" CD "; name=f\r\n\r\nd\r\n--" B "-", 0,
     MULTIPART_ERR_TRUNCATED, NULL},
    {"missing close delimiter: inside headers", B,
     "--" B "\r\n" CD "; name=f\r\n", 0, MULTIPART_ERR_TRUNCATED, NULL},
    {"empty body", B, "", 0, MULTIPART_ERR_TRUNCATED, NULL},
    {"preamble only", B, "no delimiter here --" B, 0, MULTIPART_ERR_TRUNCATED,
     NULL},
    {"garbage after the boundary", B,
     "--" B "Z\r\n" CD "; name=f\r\n\r\nd\r\n--" B "--", 0,
     MULTIPART_ERR_SYNTAX, NULL},
    {"padding then dashes", B,
     "--" B "\r\n" CD "; name=f\r\n\r\nd\r\n--" B " --", 0,
     MULTIPART_ERR_SYNTAX, NULL},
    {"bare LF after the delimiter", B,
     "--" B "\n" CD "; name=f\r\n\r\nd\r\n--" B "--", 0, MULTIPART_ERR_SYNTAX,
     NULL},
    {"bare LF in headers", B, "--" B "\r\n" CD "; name=f\n\r\nd\r\n--" B "--",
     0, MULTIPART_ERR_SYNTAX, NULL},
    {"bare CR in headers", B,
     "--" B "\r\n" CD "; name=f\rX: y\r\n\r\nd\r\n--" B "--", 0,
     MULTIPART_ERR_SYNTAX, NULL},
    {"header without colon", B,
     "--" B "\r\nContent-Disposition form-data\r\n\r\nd\r\n--" B "--", 0,
     MULTIPART_ERR_SYNTAX, NULL},
    {"header name with a space", B,
     "--" B "\r\nContent Disposition: form-data\r\n\r\nd\r\n--" B "--", 0,
     MULTIPART_ERR_SYNTAX, NULL},
    {"unterminated quoted filename", B,
     "--" B "\r\n" CD "; name=\"f\"; filename=\"abc\r\n\r\nd\r\n--" B "--", 0,
     MULTIPART_ERR_SYNTAX, NULL},
    {"parameter without value", B,
     "--" B "\r\n" CD "; name=\r\n\r\nd\r\n--" B "--", 0, MULTIPART_ERR_SYNTAX,
     NULL},
    {"junk after disposition type", B,
     "--" B "\r\n" CD " junk; name=f\r\n\r\nd\r\n--" B "--", 0,
     MULTIPART_ERR_SYNTAX, NULL},
};

static size_t case_len(const struct mp_case *c)
{
	return c->body_len ? c->body_len : strlen(c->body);
}

/* The reference: one piece.  NUL case checked by hand. */
static void check(const struct mp_case *c, enum multipart_error err,
		  const struct transcript *tr, const char *how)
{
	cr_assert_eq(err, c->err, "%s (%s): error %d, want %d", c->what, how,
		     err, c->err);
	if (c->err == MULTIPART_OK && c->expect)
		cr_assert_str_eq(tr->text, c->expect, "%s (%s)", c->what, how);
}

Test(multipart, whole_body)
{
	static struct transcript tr;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mp_case *c = &cases[i];

		check(c, run(c->boundary, c->body, case_len(c), NULL, 0, &tr),
		      &tr, "whole");
	}
}

Test(multipart, every_split_point)
{
	static struct transcript tr;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mp_case *c = &cases[i];
		size_t len = case_len(c);

		for (size_t cut = 0; cut <= len; cut++) {
			char how[32];

			snprintf(how, sizeof(how), "split at %zu", cut);
			check(c, run(c->boundary, c->body, len, &cut, 1, &tr),
			      &tr, how);
		}
	}
}

Test(multipart, every_pair_of_split_points)
{
	static struct transcript tr;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mp_case *c = &cases[i];
		size_t len = case_len(c);

		for (size_t a = 0; a <= len; a++) {
			for (size_t b = a; b <= len; b++) {
				size_t cuts[2] = {a, b};
				char how[48];

				snprintf(how, sizeof(how), "split at %zu, %zu",
					 a, b);
				check(c,
				      run(c->boundary, c->body, len, cuts, 2,
					  &tr),
				      &tr, how);
			}
		}
	}
}

Test(multipart, one_byte_pieces)
{
	static struct transcript tr;
	static size_t cuts[4096];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mp_case *c = &cases[i];
		size_t len = case_len(c);

		cr_assert_lt(len, 4096);
		for (size_t k = 0; k < len; k++)
			cuts[k] = k + 1;
		check(c, run(c->boundary, c->body, len, cuts, len, &tr), &tr,
		      "1-byte pieces");
	}
}

Test(multipart, random_pieces)
{
	static struct transcript tr;
	static size_t cuts[4096];
	unsigned seed = 12345;

	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const struct mp_case *c = &cases[i];
			size_t len = case_len(c), n = 0, at = 0;
			char how[32];

			while (at < len) {
				at += 1 + (size_t)(rand_r(&seed) % 9);
				cuts[n++] = at < len ? at : len;
			}
			snprintf(how, sizeof(how), "random round %d", round);
			check(c, run(c->boundary, c->body, len, cuts, n, &tr),
			      &tr, how);
		}
	}
}

Test(multipart, nul_bytes_in_data_pass_through)
{
	static const char body[] =
	    "--" B "\r\n" CD "; name=f\r\n\r\na\0b\r\n--" B "--";
	static struct transcript tr;
	size_t cut = 20;

	cr_assert_eq(run(B, body, sizeof(body) - 1, &cut, 1, &tr),
		     MULTIPART_OK);
	cr_assert_eq(tr.len, strlen("{cd 'f' - -}") + 4);
	cr_assert(memcmp(tr.text, "{cd 'f' - -}a\0b|", tr.len) == 0);
}

static size_t append(char *buf, size_t cap, size_t at, const char *s)
{
	size_t n = strlen(s);

	cr_assert_leq(n, cap - at);
	memcpy(buf + at, s, n);
	return at + n;
}

Test(multipart, long_data_passes_in_few_calls)
{
	static char body[200000];
	static struct transcript tr;
	size_t n = 0;
	int wrote;
	struct multipart *mp;

	wrote =
	    snprintf(body, sizeof(body), "--%s\r\n%s; name=f\r\n\r\n", B, CD);
	n = (size_t)wrote;
	for (size_t i = 0; i < 60000; i++)
		body[n++] = (char)('a' + i % 26);
	n = append(body, sizeof(body), n, "\r\n--" B "--");
	memset(&tr, 0, sizeof(tr));
	mp = multipart_new(B, strlen(B),
			   &(struct multipart_callbacks){.on_data = on_data},
			   &tr);
	cr_assert_not_null(mp);
	cr_assert_eq(multipart_feed(mp, body, n), 0);
	cr_assert_eq(multipart_finish(mp), 0);
	/* No byte-at-a-time callbacks: streaming must stay cheap. */
	cr_assert_eq(tr.data_calls, 1);
	cr_assert_eq(tr.len, 60000);
	multipart_free(mp);
}

Test(multipart, header_section_too_long)
{
	static char body[MULTIPART_HEADER_MAX + 200];
	static struct transcript tr;
	size_t n = 0, cut = 100;

	n += (size_t)snprintf(body, sizeof(body), "--%s\r\n%s; name=\"", B, CD);
	while (n < MULTIPART_HEADER_MAX + 20)
		body[n++] = 'x';
	n = append(body, sizeof(body), n, "\"\r\n\r\nd\r\n--" B "--");
	cr_assert_eq(run(B, body, n, &cut, 1, &tr),
		     MULTIPART_ERR_HEADER_TOO_LONG);
	cr_assert_eq(run(B, body, n, NULL, 0, &tr),
		     MULTIPART_ERR_HEADER_TOO_LONG);
}

Test(multipart, header_section_at_the_limit)
{
	static char body[MULTIPART_HEADER_MAX + 200];
	static struct transcript tr;
	size_t n, start, cut = 50;

	n = (size_t)snprintf(body, sizeof(body), "--%s\r\n", B);
	start = n;
	n += (size_t)snprintf(body + n, sizeof(body) - n,
			      "%s; name=f\r\nX: ", CD);
	while (n - start < MULTIPART_HEADER_MAX - 4)
		body[n++] = 'y';
	n = append(body, sizeof(body), n, "\r\n\r\nd\r\n--" B "--");
	cr_assert_eq(run(B, body, n, &cut, 1, &tr), MULTIPART_OK);
	cr_assert_str_eq(tr.text, "{cd 'f' - -}d|");
}

Test(multipart, callback_failure_stops_the_parse)
{
	static const char body[] = "--" B "\r\n" CD "; name=f\r\n\r\n"
				   "abc\r\n--" B "--";
	static struct transcript tr;
	struct multipart *mp;

	memset(&tr, 0, sizeof(tr));
	tr.fail_on_data = 1;
	mp = multipart_new(B, strlen(B), &callbacks, &tr);
	cr_assert_not_null(mp);
	cr_assert_eq(multipart_feed(mp, body, sizeof(body) - 1), -1);
	cr_assert_eq(multipart_error(mp), MULTIPART_ERR_CALLBACK);
	cr_assert_eq(multipart_feed(mp, "--", 2), -1);
	cr_assert_eq(multipart_finish(mp), -1);
	cr_assert_eq(multipart_error(mp), MULTIPART_ERR_CALLBACK);
	multipart_free(mp);
}

Test(multipart, new_rejects_bad_boundaries)
{
	static const struct multipart_callbacks none = {0};
	char long71[72];

	memset(long71, 'a', 71);
	long71[71] = '\0';
	cr_assert_null(multipart_new("", 0, &none, NULL));
	cr_assert_null(multipart_new(long71, 71, &none, NULL));
	cr_assert_null(multipart_new("a\rb", 3, &none, NULL));
	cr_assert_null(multipart_new("a\"b", 3, &none, NULL));
	multipart_free(multipart_new(long71, 70, &none, NULL));
}

struct boundary_case {
	const char *ctype;
	const char *boundary; /* NULL: -1 */
};

Test(multipart, boundary_parameter)
{
	static const struct boundary_case tab[] = {
	    {"multipart/form-data; boundary=AaB03x", "AaB03x"},
	    {"multipart/form-data; boundary=\"a b:c\"", "a b:c"},
	    {"Multipart/Form-Data;charset=utf-8;BOUNDARY=xyz", "xyz"},
	    {"multipart/form-data ; boundary = x", NULL},
	    {"multipart/form-data; boundary=----WebKitFormBoundary7MA4YW"
	     "xkTrZu0gW",
	     "----WebKitFormBoundary7MA4YWxkTrZu0gW"},
	    {"multipart/form-data; foo=\"x;boundary=bad\"; boundary=good",
	     "good"},
	    {"multipart/form-data; boundary=\"q\\\"x\"", NULL},
	    {"multipart/form-data", NULL},
	    {"multipart/form-data;", NULL},
	    {"multipart/form-data; boundary=", NULL},
	    {"multipart/form-data; boundary=\"\"", NULL},
	    {"multipart/form-data; boundary=\"ends in space \"", NULL},
	    {"multipart/form-data; boundary=a*b", NULL},
	    {"multipart/form-data; boundary=\"unterminated", NULL},
	    {"multipart/form-data; boundary=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	     "aaaaaaaaaaa"},
	    {"multipart/form-data; boundary=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	     NULL},
	};
	char out[MULTIPART_BOUNDARY_MAX + 1];

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		int n = multipart_boundary(tab[i].ctype, strlen(tab[i].ctype),
					   out, sizeof(out));

		if (tab[i].boundary == NULL) {
			cr_assert_eq(n, -1, "%s: got %d", tab[i].ctype, n);
			continue;
		}
		cr_assert_eq(n, (int)strlen(tab[i].boundary), "%s",
			     tab[i].ctype);
		cr_assert_str_eq(out, tab[i].boundary);
	}
	cr_assert_eq(multipart_boundary("multipart/form-data; boundary=x", 31,
					out, MULTIPART_BOUNDARY_MAX),
		     -1);
}

Test(multipart, is_form_data)
{
	cr_assert(multipart_is_form_data("multipart/form-data", 19));
	cr_assert(multipart_is_form_data(" MULTIPART/Form-Data ; b=1", 26));
	cr_assert(multipart_is_form_data("multipart/form-data;boundary=x", 30));
	cr_assert_not(multipart_is_form_data("multipart/form-datax", 20));
	cr_assert_not(multipart_is_form_data("multipart/form-dat", 18));
	cr_assert_not(
	    multipart_is_form_data("multipart/mixed; boundary=x", 27));
	cr_assert_not(multipart_is_form_data("text/plain", 10));
	cr_assert_not(multipart_is_form_data("", 0));
	/* Only len bytes count. */
	cr_assert_not(multipart_is_form_data("multipart/form-data", 10));
}
