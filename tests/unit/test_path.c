/*
 * test_path.c - path_canonical (traversal, encodings, rejections,
 * idempotence), path_url_encode and html_escape.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "path.h"

struct canon_case {
	const char *raw;
	size_t raw_len;	  /* 0: strlen(raw) */
	const char *want; /* NULL: must be rejected (400) */
};

static const struct canon_case canon_cases[] = {
    {"/", 0, "/"},
    {"/index.html", 0, "/index.html"},
    {"/a/b/c", 0, "/a/b/c"},
    {"/a/b/", 0, "/a/b/"},
    {"//a///b//", 0, "/a/b/"},
    {"/./a/./b/.", 0, "/a/b/"},
    {"/a/..", 0, "/"},
    {"/a/../", 0, "/"},
    {"/a/b/..", 0, "/a/"},
    {"/a/.", 0, "/a/"},
    {"/.", 0, "/"},
    {"/..", 0, "/"},
    {"/../..", 0, "/"},
    {"/../../etc/passwd", 0, "/etc/passwd"},
    {"/a/b/../../../../etc/passwd", 0, "/etc/passwd"},
    {"/a/../b/../c", 0, "/c"},
    {"/a/b/../c/./d", 0, "/a/c/d"},
    {"/%2e%2e/%2e%2e/etc/passwd", 0, "/etc/passwd"},
    {"/%2E%2e/", 0, "/"},
    {"/a/%2E%2e/b", 0, "/b"},
    {"/a/.%2e/b", 0, "/b"},
    {"/a/%2e/b", 0, "/a/b"},
    /* decoded once: the result is the literal name "%2e%2e" */
    {"/%252e%252e/x", 0, "/%2e%2e/x"},
    {"/%25", 0, "/%"},
    /* dots that are not dot segments */
    {"/...", 0, "/..."},
    {"/..a/b..", 0, "/..a/b.."},
    {"/.hidden", 0, "/.hidden"},
    {"/a./.b", 0, "/a./.b"},
    /* overlong UTF-8 for '.' stays two literal bytes */
    {"/%c0%ae%c0%ae/x", 0, "/\xc0\xae\xc0\xae/x"},
    {"/%C0%AE/", 0, "/\xc0\xae/"},
    {"/caf%C3%A9", 0, "/caf\xc3\xa9"},
    {"/a%20b", 0, "/a b"},
    {"/a+b", 0, "/a+b"},
    {"/%3F%23", 0, "/?#"},
    {"/%41", 0, "/A"},
    /* rejected */
    {"", 0, NULL},
    {"a/b", 0, NULL},
    {"%2fetc", 0, NULL},
    {"/a%2fb", 0, NULL},
    {"/a%2Fb", 0, NULL},
    {"/..%2f..%2fetc", 0, NULL},
    {"/a%00b", 0, NULL},
    {"/a\0b", 4, NULL},
    {"/a\\b", 0, NULL},
    {"/..\\..\\etc", 0, NULL},
    {"/a%5cb", 0, NULL},
    {"/a%5Cb", 0, NULL},
    {"/%", 0, NULL},
    {"/%2", 0, NULL},
    {"/%zz", 0, NULL},
    {"/%2g", 0, NULL},
    {"/%%32%65", 0, NULL},
    {"/a%0d%0aX:%20y", 0, NULL},
    {"/a%0a", 0, NULL},
    {"/a%09", 0, NULL},
    {"/a%7f", 0, NULL},
    {"/a%1f", 0, NULL},
    {"/a\tb", 0, NULL},
    {"/a\x7f", 0, NULL},
};

#define CANON_COUNT (sizeof(canon_cases) / sizeof(canon_cases[0]))

static size_t raw_len(const struct canon_case *c)
{
	return c->raw_len ? c->raw_len : strlen(c->raw);
}

Test(path, canonical_table)
{
	for (size_t i = 0; i < CANON_COUNT; i++) {
		const struct canon_case *c = &canon_cases[i];
		char out[256];
		memset(out, 'Z', sizeof(out));
		ssize_t n =
		    path_canonical(c->raw, raw_len(c), out, sizeof(out));
		if (!c->want) {
			cr_expect_eq(n, -1,
				     "case %zu \"%s\" accepted as \"%s\"", i,
				     c->raw, n >= 0 ? out : "");
			continue;
		}
		cr_expect_eq(n, (ssize_t)strlen(c->want),
			     "case %zu \"%s\": length %zd", i, c->raw, n);
		if (n >= 0)
			cr_expect_str_eq(out, c->want, "case %zu \"%s\"", i,
					 c->raw);
	}
}

/* A result never holds a dot segment, "//", a backslash or a control. */
static void check_invariant(const char *p, size_t len)
{
	cr_assert(len >= 1 && p[0] == '/');
	cr_expect_eq(strlen(p), len);
	cr_expect_null(strstr(p, "//"), "\"%s\"", p);
	cr_expect_null(strstr(p, "/./"), "\"%s\"", p);
	cr_expect_null(strstr(p, "/../"), "\"%s\"", p);
	cr_expect_null(strchr(p, '\\'), "\"%s\"", p);
	cr_expect(!(len >= 2 && strcmp(p + len - 2, "/.") == 0), "\"%s\"", p);
	cr_expect(!(len >= 3 && strcmp(p + len - 3, "/..") == 0), "\"%s\"", p);
	for (size_t i = 0; i < len; i++)
		cr_expect((unsigned char)p[i] >= 0x20 && p[i] != 0x7f);
}

/*
 * canonical(canonical(x)) == canonical(x) for every accepted case whose
 * result holds no '%': a '%' in a result is a literal name byte (decode
 * once), which a second pass would rightly decode again.
 */
Test(path, idempotent)
{
	for (size_t i = 0; i < CANON_COUNT; i++) {
		const struct canon_case *c = &canon_cases[i];
		char once[256], twice[256];
		ssize_t n1 =
		    path_canonical(c->raw, raw_len(c), once, sizeof(once));
		if (n1 < 0)
			continue;
		check_invariant(once, (size_t)n1);
		if (strchr(once, '%'))
			continue;
		ssize_t n2 =
		    path_canonical(once, (size_t)n1, twice, sizeof(twice));
		cr_expect_eq(n2, n1, "case %zu", i);
		if (n2 >= 0)
			cr_expect_str_eq(twice, once, "case %zu", i);
	}
}

/* Every short path over a hostile alphabet: never crashes, never leaves
 * the root, and the invariant holds for whatever is accepted. */
Test(path, exhaustive_small_alphabet)
{
	static const char *const atoms[] = {"/",   ".", "..",  "%2e", "a",
					    "%2f", "%", "%25", "\\"};
	const size_t natoms = sizeof(atoms) / sizeof(atoms[0]);
	size_t idx[5] = {0};
	size_t combos = 1;

	for (int k = 0; k < 5; k++)
		combos *= natoms;
	for (size_t n = 0; n < combos; n++) {
		char raw[64] = "/";
		size_t len = 1, v = n;
		for (int k = 0; k < 5; k++, v /= natoms) {
			idx[k] = v % natoms;
			size_t alen = strlen(atoms[idx[k]]);
			memcpy(raw + len, atoms[idx[k]], alen);
			len += alen;
		}
		char out[64];
		ssize_t got = path_canonical(raw, len, out, sizeof(out));
		if (got < 0)
			continue;
		check_invariant(out, (size_t)got);
		cr_assert_null(memchr(raw, '\\', len), "accepted \"%s\"", raw);
	}
}

Test(path, capacity)
{
	char out[8];
	cr_expect_eq(path_canonical("/abcdef", 7, out, 8), 7);
	cr_expect_str_eq(out, "/abcdef");
	cr_expect_eq(path_canonical("/abcdefg", 8, out, 8), -1);
	cr_expect_eq(path_canonical("/abcdef/", 8, out, 8), -1);
	cr_expect_eq(path_canonical("/", 1, out, 1), -1);
	cr_expect_eq(path_canonical("/", 1, out, 2), 1);
	/* a long input that shrinks fits a small buffer */
	cr_expect_eq(path_canonical("/a/./b/../../././x", 18, out, 8), 2);
	cr_expect_str_eq(out, "/x");
}

struct enc_case {
	const char *in;
	size_t in_len;
	const char *url;
	const char *html;
};

static const struct enc_case enc_cases[] = {
    {"plain.txt", 0, "plain.txt", "plain.txt"},
    {"/dir/sub/", 0, "/dir/sub/", "/dir/sub/"},
    {"a b", 0, "a%20b", "a b"},
    {"<b>&\"x\".txt", 0, "%3Cb%3E%26%22x%22.txt",
     "&lt;b&gt;&amp;&quot;x&quot;.txt"},
    {"it's", 0, "it%27s", "it&#39;s"},
    {"a:b", 0, "a%3Ab", "a:b"},
    {"100%", 0, "100%25", "100%"},
    {"q?#", 0, "q%3F%23", "q?#"},
    {"~_-.", 0, "~_-.", "~_-."},
    {"caf\xc3\xa9", 0, "caf%C3%A9", "caf\xc3\xa9"},
    {"a\0b", 3, "a%00b", NULL},
    {"", 0, "", ""},
};

Test(path, url_encode_and_html_escape)
{
	for (size_t i = 0; i < sizeof(enc_cases) / sizeof(enc_cases[0]); i++) {
		const struct enc_case *c = &enc_cases[i];
		size_t len = c->in_len ? c->in_len : strlen(c->in);
		char out[128];
		ssize_t n = path_url_encode(c->in, len, out, sizeof(out));
		cr_expect_eq(n, (ssize_t)strlen(c->url), "case %zu", i);
		cr_expect_str_eq(out, c->url, "case %zu", i);
		if (!c->html)
			continue;
		n = html_escape(c->in, len, out, sizeof(out));
		cr_expect_eq(n, (ssize_t)strlen(c->html), "case %zu", i);
		cr_expect_str_eq(out, c->html, "case %zu", i);
	}
}

Test(path, encode_capacity)
{
	char out[6];
	cr_expect_eq(path_url_encode("abcde", 5, out, 6), 5);
	cr_expect_eq(path_url_encode("abcdef", 6, out, 6), -1);
	cr_expect_eq(path_url_encode("ab c", 4, out, 6), -1);
	cr_expect_eq(path_url_encode("a c", 3, out, 6), 5);
	cr_expect_str_eq(out, "a%20c");
	cr_expect_eq(path_url_encode("", 0, out, 0), -1);
	cr_expect_eq(html_escape("a&", 2, out, 6), -1);
	cr_expect_eq(html_escape("&", 1, out, 6), 5);
	cr_expect_str_eq(out, "&amp;");
	cr_expect_eq(html_escape("", 0, out, 0), -1);
}
