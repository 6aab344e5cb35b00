/*
 * test_filecache.c - the open-file cache against a real temporary tree:
 * a hit returns the same entry and content; every change to the file
 * itself (write, chmod, unlink, rename over it) is a miss at once, even
 * with a path recheck interval far in the future; a directory swapped on
 * the way is a miss once the path is checked again; eviction keeps the
 * number of open fds bounded.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filecache.h"

#define NEVER 3600000u /* recheck interval no test reaches */

static char root[64];

static void put(const char *rel, const char *text, time_t mtime)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	cr_assert_not_null(f = fopen(p, "w"), "%s", p);
	fputs(text, f);
	fclose(f);
	struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
	cr_assert_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
}

static char *path_of(const char *rel)
{
	static char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return p;
}

/* Open rel and insert it, as static.c does; the entry, unreferenced. */
static struct fc_entry *add(struct file_cache *fc, const char *rel)
{
	struct stat st;
	int fd = open(path_of(rel), O_RDONLY | O_CLOEXEC);
	struct fc_entry *e;

	cr_assert_neq(fd, -1, "%s", rel);
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_not_null(e = fc_insert(fc, root, rel, fd, &st));
	fc_release(e);
	return e;
}

static bool hit(struct file_cache *fc, const char *rel)
{
	struct fc_entry *e = fc_lookup(fc, root, rel);
	fc_release(e);
	return e != NULL;
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	cr_assert_not_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/test_fc_XXXXXX");
	cr_assert_not_null(mkdtemp(root));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(filecache, .init = setup, .fini = teardown);

Test(filecache, hit_gives_the_same_entry_and_content)
{
	struct file_cache *fc = fc_create(8, 1 << 20, 1024, NEVER);
	struct fc_entry *e, *again;

	put("a.txt", "hello", 1000000);
	e = add(fc, "a.txt");
	again = fc_lookup(fc, root, "a.txt");
	cr_assert_eq(again, e);
	cr_assert_not_null(again->data);
	cr_expect_eq(memcmp(again->data, "hello", 5), 0);
	fc_release(again);
	cr_expect(!hit(fc, "b.txt"));
	fc_destroy(fc);
}

Test(filecache, write_to_the_file_is_a_miss)
{
	struct file_cache *fc = fc_create(8, 1 << 20, 1024, NEVER);

	put("a.txt", "hello", 1000000);
	add(fc, "a.txt");
	/* same size, same mtime as before: only the content and ctime
	 * moved, and ctime may not have (same clock tick) */
	put("a.txt", "HELLO", 1000001);
	cr_expect(!hit(fc, "a.txt"), "edited file served from the cache");
	fc_destroy(fc);
}

Test(filecache, chmod_is_a_miss)
{
	struct file_cache *fc = fc_create(8, 1 << 20, 1024, NEVER);

	put("a.txt", "hello", 1000000);
	add(fc, "a.txt");
	cr_assert_eq(chmod(path_of("a.txt"), 0), 0);
	cr_expect(!hit(fc, "a.txt"), "mode change not seen");
	fc_destroy(fc);
}

Test(filecache, unlink_is_a_miss)
{
	struct file_cache *fc = fc_create(8, 1 << 20, 1024, NEVER);

	put("a.txt", "hello", 1000000);
	add(fc, "a.txt");
	cr_assert_eq(unlink(path_of("a.txt")), 0);
	cr_expect(!hit(fc, "a.txt"), "deleted file still served");
	fc_destroy(fc);
}

Test(filecache, rename_over_is_a_miss_even_with_equal_metadata)
{
	struct file_cache *fc = fc_create(8, 1 << 20, 1024, NEVER);
	char to[PATH_MAX];

	put("a.txt", "hello", 1000000);
	put("new.txt", "HELLO", 1000000); /* same size and mtime */
	add(fc, "a.txt");
	snprintf(to, sizeof(to), "%s", path_of("a.txt"));
	cr_assert_eq(rename(path_of("new.txt"), to), 0);
	cr_expect(!hit(fc, "a.txt"), "replaced file still served");
	fc_destroy(fc);
}

Test(filecache, directory_swap_is_a_miss_when_the_path_is_rechecked)
{
	struct file_cache *fc = fc_create(8, 1 << 20, 1024, 0);
	char from[PATH_MAX], to[PATH_MAX];

	cr_assert_eq(mkdir(path_of("d"), 0755), 0);
	cr_assert_eq(mkdir(path_of("d.new"), 0755), 0);
	put("d/f.txt", "hello", 1000000);
	put("d.new/f.txt", "HELLO", 1000000);
	add(fc, "d/f.txt");
	cr_expect(hit(fc, "d/f.txt"));
	/* the deploy pattern: new tree renamed over the old one's name */
	snprintf(from, sizeof(from), "%s", path_of("d"));
	snprintf(to, sizeof(to), "%s", path_of("d.old"));
	cr_assert_eq(rename(from, to), 0);
	snprintf(from, sizeof(from), "%s", path_of("d.new"));
	snprintf(to, sizeof(to), "%s", path_of("d"));
	cr_assert_eq(rename(from, to), 0);
	cr_expect(!hit(fc, "d/f.txt"), "old tree served after the swap");
	fc_destroy(fc);
}

Test(filecache, eviction_keeps_open_fds_bounded)
{
	struct file_cache *fc = fc_create(4, 1 << 20, 1024, NEVER);
	int before = open_fds();
	char name[32];

	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "f%d.txt", i);
		put(name, "x", 1000000);
		add(fc, name);
	}
	cr_expect_leq(open_fds() - before, 4, "%d fds held for 4 entries",
		      open_fds() - before);
	cr_expect(hit(fc, "f19.txt"));
	cr_expect(!hit(fc, "f0.txt"), "evicted entry still cached");
	fc_destroy(fc);
	cr_expect_eq(open_fds(), before, "fds left after fc_destroy");
}

Test(filecache, sweep_lets_go_of_deleted_and_idle_files)
{
	struct file_cache *fc = fc_create(8, 1 << 20, 1024, NEVER);
	int before = open_fds();

	put("gone.txt", "hello", 1000000);
	put("kept.txt", "hello", 1000000);
	add(fc, "gone.txt");
	add(fc, "kept.txt");
	cr_assert_eq(open_fds() - before, 2);
	cr_assert_eq(unlink(path_of("gone.txt")), 0);
	/* the open fd would keep the deleted file's blocks allocated */
	fc_sweep(fc, NEVER);
	cr_expect_eq(open_fds() - before, 1, "deleted file still held");
	cr_expect(hit(fc, "kept.txt"));
	fc_sweep(fc, 0); /* everything is idle for 0 ms */
	cr_expect_eq(open_fds(), before, "idle entry still held");
	cr_expect(!hit(fc, "kept.txt"));
	fc_destroy(fc);
}

Test(filecache, missing_sibling_is_remembered_for_the_recheck_interval)
{
	struct file_cache *fc = fc_create(8, 1 << 20, 1024, NEVER);
	struct file_cache *fresh = fc_create(8, 1 << 20, 1024, 0);
	struct stat st;
	int fd;

	put("a.css", "x{}", 1000000);
	struct fc_entry *e = add(fc, "a.css"), *f = add(fresh, "a.css");
	cr_expect(!fc_sibling_missing(e, ENC_BR), "known before looked for");
	fc_set_sibling_missing(e, ENC_BR);
	cr_expect(fc_sibling_missing(e, ENC_BR));
	cr_expect(!fc_sibling_missing(e, ENC_GZIP), "one coding marks another");
	/* recheck interval 0: looked for again at once */
	fc_set_sibling_missing(f, ENC_BR);
	cr_expect(!fc_sibling_missing(f, ENC_BR));
	/* an uncached entry (no cache) lives for one request: no mark */
	cr_assert_neq(fd = open(path_of("a.css"), O_RDONLY | O_CLOEXEC), -1);
	cr_assert_eq(fstat(fd, &st), 0);
	struct fc_entry *u = fc_insert(NULL, root, "a.css", fd, &st);
	cr_assert_not_null(u);
	fc_set_sibling_missing(u, ENC_BR);
	cr_expect(!fc_sibling_missing(u, ENC_BR));
	fc_release(u);
	fc_destroy(fc);
	fc_destroy(fresh);
}
