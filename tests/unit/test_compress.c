/*
 * test_compress.c - compress.c as pure functions: which media types
 * compress_types admits (and the built-in list), which responses
 * compress_choose compresses, and that what the compressors write
 * decodes (with zlib's inflate) to what they were given: whole, as a
 * stream with sync flushes, and as a chunked file stream.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "compress.h"

static struct location loc_with(char **types, size_t n)
{
	struct location loc;

	memset(&loc, 0, sizeof(loc));
	loc.compress_types = types;
	loc.compress_type_count = n;
	loc.compress[0] = ENC_BR;
	loc.compress[1] = ENC_GZIP;
	loc.compress_count = 2;
	loc.compress_min_size = 256;
	loc.compress_level = 6;
	return loc;
}

Test(compress, types_table)
{
	char *mine[] = {"text/*", "application/json", "*"};
	struct location dflt = loc_with(NULL, 0), some = loc_with(mine, 2),
			all = loc_with(mine + 2, 1);
	static const struct {
		const char *type;
		bool dflt, some, all;
	} cases[] = {
	    {"text/html", true, true, true},
	    {"text/html; charset=utf-8", true, true, true},
	    {"TEXT/CSS", true, true, true},
	    {"text/", false, false, true},
	    {"texts/html", false, false, true},
	    {"application/json", true, true, true},
	    {"application/json ; charset=utf-8", true, true, true},
	    {"application/jsonx", false, false, true},
	    {"application/javascript", true, false, true},
	    {"image/svg+xml", true, false, true},
	    {"image/png", false, false, true},
	    {"application/octet-stream", false, false, true},
	    {"", false, false, true},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *t = cases[i].type;
		cr_expect_eq(compress_type_ok(&dflt, t, strlen(t)),
			     cases[i].dflt, "default list: %s", t);
		cr_expect_eq(compress_type_ok(&some, t, strlen(t)),
			     cases[i].some, "text/*, json: %s", t);
		cr_expect_eq(compress_type_ok(&all, t, strlen(t)), cases[i].all,
			     "*: %s", t);
	}
}

/* A request head with these field lines, parsed. */
static struct http_request req_of(const char *fields, char *buf, size_t cap)
{
	struct http_request req;
	int status, n;

	snprintf(buf, cap, "GET / HTTP/1.1\r\nHost: a\r\n%s\r\n", fields);
	n = http_parse_head(buf, strlen(buf), cap, &req, &status);
	cr_assert_gt(n, 0, "head: %s", buf);
	return req;
}

Test(compress, choose_table)
{
	struct location loc = loc_with(NULL, 0), off = loc_with(NULL, 0);
	static const struct {
		const char *fields;
		const char *type;
		long long size;
		int want;
		bool vary;
	} cases[] = {
	    {"Accept-Encoding: gzip, br\r\n", "text/html", 1000, ENC_BR, true},
	    {"Accept-Encoding: gzip\r\n", "text/html", 1000, ENC_GZIP, true},
	    {"Accept-Encoding: gzip\r\n", "text/html", -1, ENC_GZIP, true},
	    {"", "text/html", 1000, ENC_IDENTITY, true},
	    {"Accept-Encoding: identity;q=0\r\n", "text/html", 1000,
	     ENC_IDENTITY, true},
	    /* below the minimum, another type: no Vary either */
	    {"Accept-Encoding: gzip\r\n", "text/html", 255, ENC_IDENTITY,
	     false},
	    {"Accept-Encoding: gzip\r\n", "text/html", 256, ENC_GZIP, true},
	    {"Accept-Encoding: gzip\r\n", "image/png", 1000, ENC_IDENTITY,
	     false},
	    /* RFC 9111 §5.2.1.6 */
	    {"Accept-Encoding: gzip\r\nCache-Control: no-transform\r\n",
	     "text/html", 1000, ENC_IDENTITY, true},
	    {"Accept-Encoding: gzip\r\nCache-Control: max-age=0, "
	     "No-Transform\r\n",
	     "text/html", 1000, ENC_IDENTITY, true},
	    {"Accept-Encoding: gzip\r\nCache-Control: no-cache\r\n",
	     "text/html", 1000, ENC_GZIP, true},
	};
	char buf[1024];
	bool vary;

	off.compress_count = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_request req =
		    req_of(cases[i].fields, buf, sizeof(buf));
		const char *t = cases[i].type;
		int got = compress_choose(&loc, &req, t, strlen(t),
					  cases[i].size, &vary);
		cr_expect_eq(got, cases[i].want, "%s %s %lld: %d",
			     cases[i].fields, t, cases[i].size, got);
		cr_expect_eq(vary, cases[i].vary, "%s %s: vary",
			     cases[i].fields, t);
		cr_expect_eq(compress_choose(&off, &req, t, strlen(t),
					     cases[i].size, &vary),
			     ENC_IDENTITY);
		cr_expect(!vary);
	}
}

/* n bytes of text with some repetition. */
static char *sample_text(size_t n)
{
	char *t = malloc(n + 1);
	unsigned x = 7;

	cr_assert_not_null(t);
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		t[i] = "abc <p>de</p>\n"[(x >> 16) % 14];
	}
	return t;
}

/* inflate a gzip stream: decoded length, -1 on a bad stream.  end:
 * whether the stream must be complete. */
static long gunzip(const char *in, size_t len, char *out, size_t cap, bool end)
{
	z_stream zs;
	int rc;

	memset(&zs, 0, sizeof(zs));
	cr_assert_eq(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)out;
	zs.avail_out = (uInt)cap;
	rc = inflate(&zs, Z_SYNC_FLUSH);
	long got = (long)(cap - zs.avail_out);
	inflateEnd(&zs);
	if (end ? rc != Z_STREAM_END : (rc != Z_OK && rc != Z_BUF_ERROR))
		return -1;
	return got;
}

Test(compress, whole_gzip_decodes)
{
	size_t n = 100000, zlen;
	char *text = sample_text(n), *z, *back = malloc(n + 16);

	cr_assert_eq(compress_whole(ENC_GZIP, 6, text, n, &z, &zlen), 0);
	cr_expect_lt(zlen, n / 2);
	cr_assert_eq(gunzip(z, zlen, back, n + 16, true), (long)n);
	cr_expect(memcmp(back, text, n) == 0);
	free(z);
	cr_assert_eq(compress_whole(ENC_BR, 11, text, n, &z, &zlen), 0);
	cr_expect(zlen > 0 && zlen < n / 2);
	free(z);
	cr_assert_eq(compress_whole(ENC_GZIP, 9, "", 0, &z, &zlen), 0);
	cr_assert_eq(gunzip(z, zlen, back, 16, true), 0);
	free(z);
	free(text);
	free(back);
}

/* What a sync flush has sent decodes at once, before the end. */
Test(compress, stream_flush_makes_output_decodable)
{
	static char out[65536], back[65536];
	struct compressor *z = compressor_new(ENC_GZIP, 6);
	size_t took, made, len = 0;

	cr_assert_not_null(z);
	cr_assert_eq(compressor_step(z, "line one\n", 9, &took, out,
				     sizeof(out), &made, COMPRESS_RUN),
		     1);
	cr_expect_eq(took, 9);
	len += made;
	cr_assert_eq(compressor_step(z, NULL, 0, &took, out + len,
				     sizeof(out) - len, &made, COMPRESS_FLUSH),
		     1);
	len += made;
	cr_assert_eq(gunzip(out, len, back, sizeof(back), false), 9);
	cr_expect(memcmp(back, "line one\n", 9) == 0);
	/* output one byte at a time: still complete in the end */
	int rc = 0;
	size_t fed = 0;
	while (rc != 1) {
		rc = compressor_step(z, "two\n" + fed, 4 - fed, &took,
				     out + len, 1, &made, COMPRESS_FINISH);
		cr_assert_geq(rc, 0);
		fed += took;
		len += made;
		cr_assert_lt(len, sizeof(out));
	}
	cr_assert_eq(gunzip(out, len, back, sizeof(back), true), 13);
	cr_expect(memcmp(back, "line one\ntwo\n", 13) == 0);
	compressor_free(z);
}

/* A file compressed as a chunked stream: de-chunked, it decodes to the
 * file; no piece is larger than one bounded buffer. */
Test(compress, file_stream_is_chunked_and_decodes)
{
	size_t n = 300000;
	char *text = sample_text(n), *all = malloc(n), *back = malloc(n + 16);
	char path[] = "/tmp/wscomp-XXXXXX";
	int fd = mkstemp(path);
	size_t got = 0;

	cr_assert(fd >= 0 && all && back);
	unlink(path);
	cr_assert_eq(write(fd, text, n), (ssize_t)n);
	struct body_stream *bs = compress_file_stream(ENC_GZIP, 6, fd, 1000,
						      (off_t)(n - 1000), true);
	cr_assert_not_null(bs);
	bool last = false;
	for (;;) {
		const char *piece;
		ssize_t len = bs->next(bs, &piece);
		cr_assert_geq(len, 0);
		if (len == 0)
			break;
		cr_assert_leq((size_t)len, COMPRESS_PIECE + 32);
		cr_assert(!last, "a piece after the last chunk");
		const char *p = piece, *end = piece + len;
		while (p < end) {
			char *crlf;
			unsigned long size = strtoul(p, &crlf, 16);
			cr_assert(crlf[0] == '\r' && crlf[1] == '\n');
			p = crlf + 2;
			if (size == 0) {
				cr_assert(p + 2 == end && p[0] == '\r');
				last = true;
				break;
			}
			memcpy(all + got, p, size);
			got += size;
			p += size;
			cr_assert(p[0] == '\r' && p[1] == '\n');
			p += 2;
		}
	}
	cr_expect(last, "no last chunk");
	cr_assert_eq(gunzip(all, got, back, n + 16, true), (long)(n - 1000));
	cr_expect(memcmp(back, text + 1000, n - 1000) == 0);
	bs->free(bs);
	close(fd);
	free(text);
	free(all);
	free(back);
}
