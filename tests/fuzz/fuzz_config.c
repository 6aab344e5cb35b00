/*
 * fuzz_config.c - libFuzzer harness for config_load (src/master/config*.c
 * over libconfig).
 *
 * Input: the text of a config file, written to webserv.cfg in a private
 * temporary directory that also holds www/, up/, cgi-bin/ and inc.cfg (a
 * small file to @include), so relative paths and includes can resolve.
 * Errors are expected; crashes, leaks (libconfig's own leaks on syntax
 * errors are suppressed by tests/fuzz/lsan.supp) and broken results are
 * not.  Checks the contract of include/config.h:
 *   - exactly one of config and error text comes back;
 *   - every error line is "FILE..." with FILE absolute, ends with '\n';
 *   - a config is complete: workers >= 1, at least one server, each with
 *     its listen indexes in range and a "/" location, locations sorted
 *     longest path first, every location's base directory absolute.
 * Inputs that @include a name with ".." or a backslash escape are
 * skipped: libconfig would read any file of the machine (/dev/zero
 * would never end), which tests nothing of ours.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

static char dir[64];
static char cfg_path[96];

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const char *p = data;

	FUZZ_CHECK(fd >= 0, "open %s", path);
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		FUZZ_CHECK(n > 0, "write %s", path);
		p += n;
		len -= (size_t)n;
	}
	close(fd);
}

static void make_dir_tree(void)
{
	static const char inc[] = "workers = 1;\nlog_level = \"warn\";\n";
	const char *tmp = getenv("TMPDIR");
	char path[128];

	snprintf(dir, sizeof(dir), "%s/webserv-fuzz-XXXXXX",
		 tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	FUZZ_CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(cfg_path, sizeof(cfg_path), "%s/webserv.cfg", dir);
	snprintf(path, sizeof(path), "%s/www", dir);
	FUZZ_CHECK(mkdir(path, 0700) == 0, "mkdir www");
	snprintf(path, sizeof(path), "%s/up", dir);
	FUZZ_CHECK(mkdir(path, 0700) == 0, "mkdir up");
	snprintf(path, sizeof(path), "%s/cgi-bin", dir);
	FUZZ_CHECK(mkdir(path, 0700) == 0, "mkdir cgi-bin");
	snprintf(path, sizeof(path), "%s/inc.cfg", dir);
	write_file(path, inc, sizeof(inc) - 1);
}

/* The temporary tree goes when the fuzzer exits. */
static void remove_dir_tree(void)
{
	static const char *const names[] = {"webserv.cfg", "inc.cfg", "www",
					    "up", "cgi-bin"};
	char path[128];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (unlink(path) == -1)
			rmdir(path);
	}
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	make_dir_tree();
	atexit(remove_dir_tree);
	return 0;
}

static bool unsafe_include(const uint8_t *data, size_t size)
{
	return memmem(data, size, "@include", 8) != NULL &&
	       (memmem(data, size, "..", 2) != NULL ||
		memchr(data, '\\', size) != NULL);
}

static void check_errors(const char *errors)
{
	const char *line = errors;

	FUZZ_CHECK(*errors != '\0', "empty error text");
	while (*line != '\0') {
		const char *nl = strchr(line, '\n');
		FUZZ_CHECK(nl != NULL, "error line without '\\n': %s", line);
		FUZZ_CHECK(line[0] == '/',
			   "error without an absolute file: %.*s",
			   (int)(nl - line), line);
		line = nl + 1;
	}
}

static void check_server(const struct config *cfg, const struct server *srv)
{
	bool root_seen = false;

	for (size_t i = 0; i < srv->listen_count; i++)
		FUZZ_CHECK(srv->listens[i] < cfg->listen_count,
			   "listen index %zu out of range", srv->listens[i]);
	for (size_t i = 0; i < srv->location_count; i++) {
		const struct location *loc = &srv->locations[i];
		FUZZ_CHECK(loc->path != NULL &&
			       strlen(loc->path) == loc->path_len,
			   "location path length");
		if (i > 0)
			FUZZ_CHECK(srv->locations[i - 1].path_len >=
				       loc->path_len,
				   "locations not sorted longest first");
		root_seen |= strcmp(loc->path, "/") == 0;
		FUZZ_CHECK(loc->root == NULL || loc->root[0] == '/',
			   "relative root %s", loc->root);
		FUZZ_CHECK(loc->alias == NULL || loc->alias[0] == '/',
			   "relative alias %s", loc->alias);
		FUZZ_CHECK(loc->upload_dir == NULL || loc->upload_dir[0] == '/',
			   "relative upload_dir %s", loc->upload_dir);
	}
	FUZZ_CHECK(root_seen, "server without a \"/\" location");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg;
	char *errors = NULL;

	if (unsafe_include(data, size))
		return 0;
	write_file(cfg_path, data, size);
	cfg = config_load(cfg_path, &errors);
	FUZZ_CHECK((cfg == NULL) != (errors == NULL), "config %p and errors %p",
		   (void *)cfg, (void *)errors);
	if (errors != NULL) {
		check_errors(errors);
		free(errors);
		return 0;
	}
	FUZZ_CHECK(cfg->workers >= 1, "workers %u", cfg->workers);
	FUZZ_CHECK(cfg->server_count >= 1, "no servers");
	FUZZ_CHECK(cfg->mime != NULL, "no MIME table");
	FUZZ_CHECK(cfg->path != NULL && cfg->path[0] == '/', "config path");
	for (size_t i = 0; i < cfg->server_count; i++)
		check_server(cfg, &cfg->servers[i]);
	config_free(cfg);
	return 0;
}
