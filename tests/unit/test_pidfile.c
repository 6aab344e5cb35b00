/*
 * Unit tests of the pid file (src/master/pidfile.c): written whole,
 * read back, removed only when it names this process.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pidfile.h"

static char dir[64];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/webserv-pidfile-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/w.pid", dir);
	unlink(path);
	rmdir(dir);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

TestSuite(pidfile, .init = make_dir, .fini = remove_dir);

Test(pidfile, written_then_read_back_then_removed)
{
	char path[128], tmp[140];
	struct stat st;

	snprintf(path, sizeof(path), "%s/w.pid", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	cr_assert_eq(pidfile_write(path), 0);
	cr_expect_eq(pidfile_read(path), getpid());
	cr_expect_eq(stat(tmp, &st), -1, "the temporary file was left");
	pidfile_remove(path);
	cr_expect_eq(stat(path, &st), -1, "our own pid file was kept");
}

Test(pidfile, another_process_file_is_not_removed)
{
	char path[128], other[32];
	struct stat st;

	snprintf(path, sizeof(path), "%s/w.pid", dir);
	snprintf(other, sizeof(other), "%d\n", (int)getpid() + 1);
	put(path, other);
	pidfile_remove(path);
	cr_expect_eq(stat(path, &st), 0, "a newer master's pid file removed");
	cr_expect_eq(pidfile_read(path), getpid() + 1);
}

Test(pidfile, unreadable_or_empty_is_an_error)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/w.pid", dir);
	errno = 0;
	cr_expect_eq(pidfile_read(path), -1);
	cr_expect_eq(errno, ENOENT);
	const char *bad[] = {"", "abc\n", "1\n", "-5\n", "0\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(path, bad[i]);
		errno = 0;
		cr_expect_eq(pidfile_read(path), -1, "\"%s\" read as a pid",
			     bad[i]);
		cr_expect_eq(errno, EINVAL, "\"%s\"", bad[i]);
	}
}

Test(pidfile, write_into_a_missing_directory_fails)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/none/w.pid", dir);
	cr_expect_eq(pidfile_write(path), -1);
	cr_expect_eq(errno, ENOENT);
}
