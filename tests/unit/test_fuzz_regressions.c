/*
 * test_fuzz_regressions.c - inputs found by the libFuzzer harnesses in
 * tests/fuzz/ that broke a module's contract, each kept as a test so the
 * bug cannot come back.  Every test names the harness and the input (the
 * minimised crash, escaped) and asserts the contract from the header, not
 * the code's current output.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "multipart.h"

TestSuite(fuzzreg);

/* ---- multipart (fuzz_multipart) ---------------------------------------- */

struct mp_seen {
	int parts;
	bool nul_inside; /* a string of on_part held a NUL before its end */
};

static bool str_ok(const char *s, size_t len)
{
	return s == NULL || (strlen(s) == len && s[len] == '\0');
}

static int seen_part(void *ctx, const struct multipart_part *part)
{
	struct mp_seen *seen = ctx;

	seen->parts++;
	if (!str_ok(part->name, part->name_len) ||
	    !str_ok(part->filename, part->filename_len) ||
	    !str_ok(part->content_type, part->content_type_len))
		seen->nul_inside = true;
	return 0;
}

static int seen_data(void *ctx, const char *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return 0;
}

static int seen_end(void *ctx)
{
	(void)ctx;
	return 0;
}

/*
 * fuzz_multipart: a NUL byte in a part's header section reached on_part
 * inside name, filename or Content-Type, whose strings multipart.h
 * promises to be NUL-terminated at their length and free of NUL (a
 * consumer using them as C strings would see "a" for "a\0.php").  RFC
 * 9110 §5.5: NUL in a field value is invalid, so the body is refused
 * (MULTIPART_ERR_SYNTAX) and on_part never sees such a string.  Found as
 * Content-Type: text/pl\x05\x09\x00mulart/form-data...; minimised to the
 * cases below.
 */
static const char *const nul_heads[] = {
    "Content-Disposition: form-data; name=\"f\"\r\n"
    "Content-Type: a\0b\r\n",
    "Content-Disposition: form-data; name=\"f\"; filename=\"a\0b\"\r\n",
    "Content-Disposition: form-data; name=\"f\0g\"\r\n",
    "Content-Disposition: form-data; name=\"f\\\0g\"\r\n",
    "Content-Disposition: form-data; name=f\r\nX-Other: \0\r\n",
};

/* The heads above hold exactly one NUL: their length is found past it. */
static size_t head_len(const char *head)
{
	size_t first = strlen(head);

	return first + 1 + strlen(head + first + 1);
}

static void feed_body(const char *head, size_t piece, struct mp_seen *seen,
		      int *fed, enum multipart_error *err)
{
	static const struct multipart_callbacks cb = {seen_part, seen_data,
						      seen_end};
	char body[512];
	size_t hlen = head_len(head), len = 0;
	struct multipart *mp = multipart_new("B", 1, &cb, seen);

	cr_assert_not_null(mp);
	memcpy(body, "--B\r\n", 5);
	len = 5;
	memcpy(body + len, head, hlen);
	len += hlen;
	memcpy(body + len, "\r\ndata\r\n--B--\r\n", 15);
	len += 15;
	*fed = 0;
	for (size_t pos = 0; pos < len && *fed == 0; pos += piece) {
		size_t n = len - pos < piece ? len - pos : piece;
		*fed = multipart_feed(mp, body + pos, n);
	}
	*err = multipart_error(mp);
	multipart_free(mp);
}

Test(fuzzreg, multipart_nul_in_part_header)
{
	static const size_t pieces[] = {1, 3, 512};

	for (size_t h = 0; h < sizeof(nul_heads) / sizeof(nul_heads[0]); h++)
		for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]);
		     i++) {
			struct mp_seen seen = {0};
			enum multipart_error err;
			int fed;

			feed_body(nul_heads[h], pieces[i], &seen, &fed, &err);
			cr_expect(!seen.nul_inside,
				  "head %zu, pieces of %zu: on_part saw a "
				  "string with a NUL inside",
				  h, pieces[i]);
			cr_expect_eq(seen.parts, 0,
				     "head %zu, pieces of %zu: on_part called",
				     h, pieces[i]);
			cr_expect_eq(fed, -1,
				     "head %zu, pieces of %zu: body accepted",
				     h, pieces[i]);
			cr_expect_eq(err, MULTIPART_ERR_SYNTAX,
				     "head %zu, pieces of %zu: error %d", h,
				     pieces[i], (int)err);
		}
}

/* ---- config (fuzz_config) ---------------------------------------------- */

/*
 * fuzz_config: a config value echoed in an error message kept its line
 * breaks, so one problem came out as several lines and the text after
 * the break passed for a line of its own, breaking config.h's "one
 * FILE:LINE: message line per problem" (and letting a value forge error
 * lines in `webserv -t` output and the logs).  Found as
 *   user = "nndex = false;\n    errorp";
 * (a raw line break inside the string).  Each case below gives exactly
 * one error (the value it echoes), which must be one line starting with
 * the file's name, without control characters.
 */
static const char *const echoed_values[] = {
    "user = \"nobody-x\nFAKE:1: injected\";\n",
    "user = \"nobody-x\\nFAKE:1: injected\";\n",
    "group = \"nogroup-x\\r\\x1b[2Jy\";\n",
    "log_level = \"loud\\nFAKE:1: injected\";\n",
};

static void check_one_error_line(const char *value)
{
	char dir[] = "/tmp/wsfuzzreg-XXXXXX", path[64];
	char *errors = NULL;
	struct config *cfg;
	FILE *f;
	size_t lines = 0;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/w.cfg", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"%sservers = ( { listen = [ \"8080\" ]; root = \".\"; } );\n",
		value);
	fclose(f);
	cfg = config_load(path, &errors);
	unlink(path);
	rmdir(dir);
	config_free(cfg);
	cr_assert_null(cfg, "config accepted");
	cr_assert_not_null(errors);
	for (const char *line = errors; *line != '\0'; lines++) {
		const char *nl = strchr(line, '\n');
		cr_assert_not_null(nl, "unterminated line in: %s", errors);
		cr_expect(strncmp(line, path, strlen(path)) == 0 &&
			      line[strlen(path)] == ':',
			  "line without the file's name in: %s", errors);
		for (const char *c = line; c < nl; c++)
			cr_expect((unsigned char)*c >= 0x20 && *c != 0x7f,
				  "control character 0x%02x in: %s",
				  (unsigned char)*c, errors);
		line = nl + 1;
	}
	cr_expect_eq(lines, 1, "%zu lines for one problem: %s", lines, errors);
	free(errors);
}

Test(fuzzreg, config_error_one_line_per_problem)
{
	for (size_t i = 0; i < sizeof(echoed_values) / sizeof(echoed_values[0]);
	     i++)
		check_one_error_line(echoed_values[i]);
}

/*
 * fuzz_config ("fuzz target exited"): an @include naming a directory --
 * "www" below, or "" which names the config's own directory -- made
 * libconfig 1.5's flex scanner fail to read it ("input in flex scanner
 * failed") and call exit(2) inside config_load, so a SIGHUP reload with
 * such a file killed the master instead of keeping the old config
 * (DESIGN.md §5).  config_load must return, with an error.  Run in a
 * child so that the exit is observed rather than suffered.
 */
#define TEXT(s)                                                                \
	{                                                                      \
		s, sizeof(s) - 1                                               \
	}
static const struct {
	const char *text;
	size_t len;
} dir_includes[] = {
    TEXT("@include \"www\"\n"),
    TEXT("@include \"\"\n"),
    TEXT("workers = 1;\n@include \"www/\"\nlog_level = \"warn\";\n"),
    /* a NUL inside the quotes: libconfig reads the name up to it, "",
     * the config's directory (found by fuzz_config after 20k runs) */
    TEXT("@include \"\0\0inc.cfg\"\n"),
    TEXT("workers = 1;\n@include \"www\0\"\n"),
};

static void check_include_returns(const char *text, size_t len)
{
	char dir[] = "/tmp/wsfuzzreg-XXXXXX", path[64], www[64];
	FILE *f;
	pid_t pid;
	int status;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(www, sizeof(www), "%s/www", dir);
	cr_assert_eq(mkdir(www, 0700), 0);
	snprintf(path, sizeof(path), "%s/w.cfg", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fwrite(text, 1, len, f);
	fprintf(f, "servers = ( { listen = [ \"8080\" ]; root = \".\"; } );\n");
	fclose(f);
	fflush(NULL);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		char *errors = NULL;
		struct config *cfg = config_load(path, &errors);
		/* 0: returned with errors, as it must; 3: accepted */
		_exit(cfg == NULL && errors != NULL ? 0 : 3);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	unlink(path);
	rmdir(www);
	rmdir(dir);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "config_load with %s: %s %d", text,
		  WIFEXITED(status) ? "the process exited with"
				    : "the process died of signal",
		  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

Test(fuzzreg, config_include_directory_returns)
{
	for (size_t i = 0; i < sizeof(dir_includes) / sizeof(dir_includes[0]);
	     i++)
		check_include_returns(dir_includes[i].text,
				      dir_includes[i].len);
}
