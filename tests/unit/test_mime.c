/*
 * test_mime.c - extension lookups against the system's /etc/mime.types,
 * a private types file (duplicates, comments, hostile types, compound
 * extensions), and the built-in fallback when the file is missing.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mime.h"

static const char *lookup(const struct mime_table *t, const char *name)
{
	return mime_type(t, name, strlen(name));
}

struct mime_case {
	const char *name;
	const char *type;
};

/* Names whose type must not depend on which table is loaded. */
static const struct mime_case common_cases[] = {
    {"index.html", "text/html; charset=utf-8"},
    {"/a/b/INDEX.HTML", "text/html; charset=utf-8"},
    {"x.HtM", "text/html; charset=utf-8"},
    {"style.css", "text/css; charset=utf-8"},
    {"app.js", "text/javascript; charset=utf-8"},
    {"data.json", "application/json; charset=utf-8"},
    {"notes.txt", "text/plain; charset=utf-8"},
    {"a.png", "image/png"},
    {"a.JPG", "image/jpeg"},
    {"a.jpeg", "image/jpeg"},
    {"a.gif", "image/gif"},
    {"logo.svg", "image/svg+xml"},
    {"doc.pdf", "application/pdf"},
    {"m.wasm", "application/wasm"},
    {"v.mp4", "video/mp4"},
    {"f.woff2", "font/woff2"},
    {"archive.unknownext", "application/octet-stream"},
    {"noext", "application/octet-stream"},
    {"trailingdot.", "application/octet-stream"},
    {".html", "application/octet-stream"}, /* dotfile, no ext */
    {"/dir.html/file", "application/octet-stream"},
    {"/dir.d/", "application/octet-stream"},
    {"", "application/octet-stream"},
    {"a.tar.html", "text/html; charset=utf-8"},
};

static void check_cases(const struct mime_table *t,
			const struct mime_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cr_expect_str_eq(lookup(t, cases[i].name), cases[i].type,
				 "name \"%s\"", cases[i].name);
}

Test(mime, system_file)
{
	if (access("/etc/mime.types", R_OK) != 0)
		cr_skip_test("no /etc/mime.types");
	struct mime_table *t = mime_load("/etc/mime.types");
	cr_assert_not_null(t);
	check_cases(t, common_cases,
		    sizeof(common_cases) / sizeof(common_cases[0]));
	/* only in Debian's file, not in the built-ins */
	cr_expect_str_eq(lookup(t, "a.odt"),
			 "application/vnd.oasis.opendocument.text");
	cr_expect_str_eq(lookup(t, "a.csv"), "text/csv; charset=utf-8");
	/* compound extension listed as "sarif.json" */
	cr_expect_str_eq(lookup(t, "r.sarif.json"), "application/sarif+json");
	cr_expect_str_eq(lookup(t, "r.other.json"),
			 "application/json; charset=utf-8");
	mime_free(t);
}

Test(mime, missing_file_uses_builtins)
{
	struct mime_table *t = mime_load("/nonexistent/dir/mime.types");
	cr_assert_not_null(t);
	check_cases(t, common_cases,
		    sizeof(common_cases) / sizeof(common_cases[0]));
	cr_expect_str_eq(lookup(t, "a.xml"), "application/xml");
	cr_expect_str_eq(lookup(t, "favicon.ico"), "image/vnd.microsoft.icon");
	cr_expect_str_eq(lookup(t, "a.odt"), "application/octet-stream");
	mime_free(t);
}

Test(mime, null_table_uses_builtins)
{
	check_cases(NULL, common_cases,
		    sizeof(common_cases) / sizeof(common_cases[0]));
}

static char *write_types(const char *text)
{
	char tmpl[] = "/tmp/test_mime_XXXXXX";
	int fd = mkstemp(tmpl);
	cr_assert_neq(fd, -1);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return strdup(tmpl);
}

Test(mime, private_file)
{
	char *path =
	    write_types("# comment line html\n"
			"\n"
			"text/x-first\tFOO bar # trailing comment baz\n"
			"text/x-second foo qux\n" /* foo: first one wins */
			"application/x-nocomment\n"
			"application/x-tgz tar.gz\n"
			"application/x-gz gz\n"
			"bad\\type/x evil\n" /* not a token: skipped */
			"text/x-inject\r\nX: y crlf\n"
			"image/png png\n"	    /* overrides nothing */
			"application/x-html html\n" /* file beats built-in */
			"noslash nos\n"
			"/x lead\n"
			"x/ trail\n");
	struct mime_table *t = mime_load(path);
	cr_assert_not_null(t);
	cr_expect_str_eq(lookup(t, "a.foo"), "text/x-first; charset=utf-8");
	cr_expect_str_eq(lookup(t, "a.Bar"), "text/x-first; charset=utf-8");
	cr_expect_str_eq(lookup(t, "a.qux"), "text/x-second; charset=utf-8");
	cr_expect_str_eq(lookup(t, "a.baz"), "application/octet-stream");
	cr_expect_str_eq(lookup(t, "a.tar.gz"), "application/x-tgz");
	cr_expect_str_eq(lookup(t, "a.TAR.GZ"), "application/x-tgz");
	cr_expect_str_eq(lookup(t, "a.b.gz"), "application/x-gz");
	cr_expect_str_eq(lookup(t, "tar.gz"), "application/x-gz");
	cr_expect_str_eq(lookup(t, "a.evil"), "application/octet-stream");
	cr_expect_str_eq(lookup(t, "a.crlf"), "application/octet-stream");
	cr_expect_str_eq(lookup(t, "a.nos"), "application/octet-stream");
	cr_expect_str_eq(lookup(t, "a.lead"), "application/octet-stream");
	cr_expect_str_eq(lookup(t, "a.trail"), "application/octet-stream");
	cr_expect_str_eq(lookup(t, "a.html"), "application/x-html");
	/* built-ins still fill what the file lacks */
	cr_expect_str_eq(lookup(t, "a.css"), "text/css; charset=utf-8");
	mime_free(t);
	unlink(path);
	free(path);
}

Test(mime, many_extensions_grow_table)
{
	/* enough entries to force several rehashes */
	size_t cap = 3000 * 24 + 64;
	char *text = malloc(cap);
	size_t len = 0;
	cr_assert_not_null(text);
	for (int i = 0; i < 3000; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"app/x-t%d e%d\n", i, i);
	char *path = write_types(text);
	struct mime_table *t = mime_load(path);
	cr_assert_not_null(t);
	for (int i = 0; i < 3000; i += 7) {
		char name[32], want[32];
		snprintf(name, sizeof(name), "f.E%d", i);
		snprintf(want, sizeof(want), "app/x-t%d", i);
		cr_expect_str_eq(lookup(t, name), want);
	}
	mime_free(t);
	unlink(path);
	free(path);
	free(text);
}

Test(mime, length_bounds_name)
{
	struct mime_table *t = mime_load(NULL);
	cr_assert_not_null(t);
	/* only the first len bytes count */
	cr_expect_str_eq(mime_type(t, "a.html.png", 6),
			 "text/html; charset=utf-8");
	mime_free(t);
	mime_free(NULL);
}
