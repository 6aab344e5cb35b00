/*
 * config_fixture.h - what the config_load() test files share: a fresh
 * mkdtemp directory per test with the config written into it, the result
 * (cfg, errors) freed after each test, and line_of() to find an expected
 * line number in the config text itself.  Header-only: each test file
 * includes it once and gets its own copy (the state is per file).
 */
#ifndef WEBSERV_TEST_CONFIG_FIXTURE_H
#define WEBSERV_TEST_CONFIG_FIXTURE_H

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"

static char dir[64];
static char *errors;
static struct config *cfg;

/* Write dir/name with text. */
static inline void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

static inline void mkdir_in(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_eq(mkdir(path, 0755), 0, "mkdir %s", path);
}

/* A fresh directory /tmp/PREFIX-XXXXXX with www/ in it; nothing loaded. */
static inline void fixture_start(const char *prefix)
{
	snprintf(dir, sizeof(dir), "/tmp/%s-XXXXXX", prefix);
	cr_assert_not_null(mkdtemp(dir));
	mkdir_in("www");
	errors = NULL;
	cfg = NULL;
}

static inline int fixture_rm(const char *path, const struct stat *st, int flag,
			     struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Free what the test loaded and remove its directory. */
static inline void teardown(void)
{
	config_free(cfg);
	free(errors);
	nftw(dir, fixture_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* The 1-based line of text where marker first occurs. */
static inline int line_of(const char *text, const char *marker)
{
	const char *hit = strstr(text, marker);
	int line = 1;

	cr_assert_not_null(hit, "marker %s", marker);
	for (const char *p = text; p < hit; p++)
		line += *p == '\n';
	return line;
}

#endif
