/*
 * fuzz_path.c - libFuzzer harness for path_canonical, path_url_encode and
 * html_escape (src/http/path.c).
 *
 * Input: byte 0 chooses the output capacity (ample, or 0..63 bytes), the
 * rest is a raw request path.  Checks the contract of include/path.h:
 *   - a result starts with '/', is NUL-terminated at its length, holds no
 *     NUL, no "//", no "." or ".." segment (so no "/../", "/./", nor a
 *     final "/.."), no byte below 0x20, no 0x7f, no backslash: it names
 *     nothing above the root;
 *   - it equals what an independent reference (decode, then RFC 3986
 *     §5.2.4 on the segments, never above "/") gives, and -1 exactly when
 *     the reference refuses the input;
 *   - canonicalising a result without '%' again gives the same result;
 *     path_url_encode of any result canonicalises back to it;
 *   - a short capacity gives -1 or the same result, never an overflow
 *     (outputs live in exact-size blocks);
 *   - html_escape leaves no markup character and unescapes back.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "fuzz.h"
#include "path.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * The reference: split the raw path on '/', decode each segment (refusing
 * bad escapes, controls, DEL, '\\' and an encoded '/'), then keep a stack
 * of segments.  out must hold len + 2 bytes.
 */
static ssize_t ref_canonical(const char *raw, size_t len, char *out)
{
	size_t i = 1, o = 1;

	if (len == 0 || raw[0] != '/')
		return -1;
	out[0] = '/';
	while (i <= len) {
		size_t start = o;
		bool last;
		while (i < len && raw[i] != '/') {
			unsigned char c = (unsigned char)raw[i++];
			if (c == '%') {
				if (len - i < 2 || hexval(raw[i]) < 0 ||
				    hexval(raw[i + 1]) < 0)
					return -1;
				c = (unsigned char)(hexval(raw[i]) << 4 |
						    hexval(raw[i + 1]));
				i += 2;
			}
			if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
				return -1;
			out[o++] = (char)c;
		}
		last = i >= len;
		i++; /* the '/' */
		if (o - start == 0 || (o - start == 1 && out[start] == '.')) {
			o = start;
		} else if (o - start == 2 && out[start] == '.' &&
			   out[start + 1] == '.') {
			o = start;
			if (o > 1) {
				o--; /* the '/' ending the previous segment */
				while (out[o - 1] != '/')
					o--;
			}
		} else if (!last) {
			out[o++] = '/';
		}
	}
	out[o] = '\0';
	return (ssize_t)o;
}

static void check_shape(const char *p, size_t n)
{
	FUZZ_CHECK(n >= 1 && p[0] == '/', "result does not start with '/'");
	FUZZ_CHECK(p[n] == '\0' && strlen(p) == n, "NUL inside the result");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		FUZZ_CHECK(c >= 0x20 && c != 0x7f && c != '\\',
			   "byte 0x%02x in the result", c);
	}
	for (size_t i = 0; i < n; i++) {
		size_t seg;
		if (p[i] != '/')
			continue;
		seg = strcspn(p + i + 1, "/");
		FUZZ_CHECK(!(seg == 0 && i + 1 < n), "\"//\" in the result");
		FUZZ_CHECK(!(seg == 1 && p[i + 1] == '.'),
			   "\".\" segment in the result");
		FUZZ_CHECK(!(seg == 2 && p[i + 1] == '.' && p[i + 2] == '.'),
			   "\"..\" segment in the result");
	}
}

static void check_again(const char *p, size_t n)
{
	char *again = malloc(n + 1);
	ssize_t r;

	FUZZ_CHECK(again != NULL, "out of memory");
	r = path_canonical(p, n, again, n + 1);
	FUZZ_CHECK(r == (ssize_t)n && memcmp(again, p, n) == 0,
		   "not idempotent: %zd", r);
	free(again);
}

static void check_url_round_trip(const char *p, size_t n)
{
	size_t cap = 3 * n + 1;
	char *enc = malloc(cap), *back = malloc(cap);
	ssize_t elen, r;

	FUZZ_CHECK(enc != NULL && back != NULL, "out of memory");
	elen = path_url_encode(p, n, enc, cap);
	FUZZ_CHECK(elen >= 0, "url-encoding does not fit 3n + 1");
	r = path_canonical(enc, (size_t)elen, back, cap);
	FUZZ_CHECK(r == (ssize_t)n && memcmp(back, p, n) == 0,
		   "url-encoded result canonicalises to something else");
	free(enc);
	free(back);
}

static void check_html(const char *in, size_t len)
{
	static const char *const ent[5] = {"&amp;", "&lt;", "&gt;", "&quot;",
					   "&#39;"};
	static const char chr[5] = {'&', '<', '>', '"', '\''};
	size_t cap = 6 * len + 1, j = 0;
	char *esc = malloc(cap);
	ssize_t n;

	FUZZ_CHECK(esc != NULL, "out of memory");
	n = html_escape(in, len, esc, cap);
	FUZZ_CHECK(n >= 0 && esc[n] == '\0', "html_escape failed");
	for (ssize_t i = 0; i < n; j++) {
		FUZZ_CHECK(j < len, "escaped text too long");
		FUZZ_CHECK(strchr("<>\"'", esc[i]) == NULL || esc[i] == '\0',
			   "markup character left");
		if (esc[i] != '&') {
			FUZZ_CHECK(esc[i] == in[j], "escaped text differs");
			i++;
			continue;
		}
		int k = 0;
		while (k < 5 && strncmp(esc + i, ent[k], strlen(ent[k])) != 0)
			k++;
		FUZZ_CHECK(k < 5 && chr[k] == in[j], "bad entity");
		i += (ssize_t)strlen(ent[k]);
	}
	FUZZ_CHECK(j == len, "escaped text too short");
	free(esc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *raw = (const char *)data + 1;
	size_t len, cap;
	char *out, *ref, *small;
	ssize_t n, want, m;

	if (size < 1)
		return 0;
	len = size - 1;
	out = malloc(len + 2);
	ref = malloc(len + 2);
	FUZZ_CHECK(out != NULL && ref != NULL, "out of memory");

	n = path_canonical(raw, len, out, len + 2);
	want = ref_canonical(raw, len, ref);
	FUZZ_CHECK(n == want && (n < 0 || memcmp(out, ref, (size_t)n) == 0),
		   "path_canonical %zd, reference %zd", n, want);
	if (n >= 0) {
		check_shape(out, (size_t)n);
		if (memchr(out, '%', (size_t)n) == NULL)
			check_again(out, (size_t)n);
		check_url_round_trip(out, (size_t)n);
	}

	if (data[0] >= 0xc0) {
		cap = data[0] & 0x3f;
		small = malloc(cap ? cap : 1);
		FUZZ_CHECK(small != NULL, "out of memory");
		m = path_canonical(raw, len, small, cap);
		FUZZ_CHECK(m < 0 || (m == n && (size_t)m < cap &&
				     memcmp(small, out, (size_t)m + 1) == 0),
			   "cap %zu: %zd, ample cap: %zd", cap, m, n);
		free(small);
	}
	check_html(raw, len);
	free(out);
	free(ref);
	return 0;
}
