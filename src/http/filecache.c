/*
 * filecache.c - see filecache.h.
 * A hash table of entries chained by hnext, plus an LRU list for
 * eviction.  Invariant: an entry is in the table and the LRU list exactly
 * when !detached; a detached entry still referenced by a response is
 * freed by its last fc_release.  Never opens a file itself: static.c does
 * the confined open and hands the fd over.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "filecache.h"
#include "response.h"
#include "static.h"

#define FC_BUCKETS 2048 /* power of two */

struct file_cache {
	struct fc_entry *buckets[FC_BUCKETS];
	struct fc_entry *lru; /* most recently used */
	struct fc_entry *lru_tail;
	size_t count;
	size_t bytes;
	size_t max_entries;
	size_t max_bytes;
	size_t small_max;
	uint64_t recheck_ms;
};

struct file_cache *fc_create(size_t max_entries, size_t max_bytes,
			     size_t small_max, unsigned recheck_ms)
{
	struct file_cache *fc = calloc(1, sizeof(*fc));

	if (fc == NULL)
		return NULL;
	fc->max_entries = max_entries;
	fc->max_bytes = max_bytes;
	fc->small_max = small_max;
	fc->recheck_ms = recheck_ms;
	return fc;
}

/* FNV-1a over "base/rel" without building the string twice. */
static unsigned long key_hash(const char *base, const char *rel)
{
	uint64_t h = 1469598103934665603ULL;

	for (const char *p = base; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ '/') * 1099511628211ULL;
	for (const char *p = rel; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return (unsigned long)h;
}

static bool key_equal(const struct fc_entry *e, const char *base,
		      const char *rel)
{
	size_t base_len = strlen(base);

	return strncmp(e->key, base, base_len) == 0 &&
	       e->key[base_len] == '/' &&
	       strcmp(e->key + base_len + 1, rel) == 0;
}

static void entry_free(struct fc_entry *e)
{
	if (e->fd != -1)
		close(e->fd);
	free((void *)e->data);
	for (int i = 0; i < ENC_COUNT; i++)
		free(e->enc_data[i]);
	free(e);
}

static void lru_unlink(struct file_cache *fc, struct fc_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		fc->lru = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		fc->lru_tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push(struct file_cache *fc, struct fc_entry *e)
{
	e->prev = NULL;
	e->next = fc->lru;
	if (fc->lru)
		fc->lru->prev = e;
	fc->lru = e;
	if (fc->lru_tail == NULL)
		fc->lru_tail = e;
}

/* Out of the table; freed now or by its last release. */
static void detach(struct file_cache *fc, struct fc_entry *e)
{
	struct fc_entry **pp = &fc->buckets[e->hash & (FC_BUCKETS - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(fc, e);
	fc->count--;
	fc->bytes -= e->bytes;
	e->detached = true;
	e->cache = NULL;
	if (e->refs == 0)
		entry_free(e);
}

void fc_destroy(struct file_cache *fc)
{
	if (fc == NULL)
		return;
	while (fc->lru)
		detach(fc, fc->lru);
	free(fc);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_nlink > 0 && a->st_mode == b->st_mode &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* A clock read without a system call (vDSO), good to a few ms. */
static uint64_t coarse_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Is e still what its path names?  fstat of the open file catches every
 * change to the file itself: a write (size, mtime), chmod/chown (ctime),
 * and its unlinking or replacement by rename - the old inode loses a link,
 * which moves its ctime and may bring st_nlink to 0.  What fstat cannot
 * see is the path leading elsewhere (a directory or symlink on the way
 * renamed or swapped): stat of the path checks that, at most every
 * recheck_ms.
 */
static bool still_valid(struct file_cache *fc, struct fc_entry *e)
{
	struct stat now;
	uint64_t ms = coarse_ms();

	e->used = ms;
	if (ms - e->checked >= fc->recheck_ms) {
		/* stat follows symlinks: a path now leading to another file
		 * (even outside the root) has another inode */
		if (stat(e->key, &now) == -1 || !same_file(&now, &e->st))
			return false;
		e->checked = ms;
	}
	return fstat(e->fd, &now) == 0 && same_file(&now, &e->st);
}

struct fc_entry *fc_lookup(struct file_cache *fc, const char *base,
			   const char *rel)
{
	unsigned long hash;
	struct fc_entry *e;

	if (fc == NULL)
		return NULL;
	hash = key_hash(base, rel);
	for (e = fc->buckets[hash & (FC_BUCKETS - 1)]; e; e = e->hnext)
		if (e->hash == hash && key_equal(e, base, rel))
			break;
	if (e == NULL)
		return NULL;
	if (!still_valid(fc, e)) {
		detach(fc, e);
		return NULL;
	}
	lru_unlink(fc, e);
	lru_push(fc, e);
	e->refs++;
	return e;
}

void fc_sweep(struct file_cache *fc, unsigned idle_ms)
{
	uint64_t ms = coarse_ms();
	struct fc_entry *e, *prev;
	struct stat st;

	if (fc == NULL)
		return;
	for (e = fc->lru_tail; e; e = prev) {
		prev = e->prev;
		if (ms - e->used >= idle_ms || fstat(e->fd, &st) == -1 ||
		    st.st_nlink == 0)
			detach(fc, e);
	}
}

/* Read a small file whole; the fd stays open for fstat. */
static int load_content(struct fc_entry *e)
{
	size_t size = (size_t)e->st.st_size;
	char *data = malloc(size ? size : 1);
	size_t got = 0;

	if (data == NULL)
		return -1;
	while (got < size) {
		ssize_t n = pread(e->fd, data + got, size - got, (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(data);
			return -1; /* changed under us: keep the fd */
		}
		got += (size_t)n;
	}
	e->data = data;
	e->bytes = size;
	return 0;
}

static void make_room(struct file_cache *fc, size_t bytes)
{
	while (fc->lru_tail && (fc->count >= fc->max_entries ||
				fc->bytes + bytes > fc->max_bytes))
		detach(fc, fc->lru_tail);
}

struct fc_entry *fc_insert(struct file_cache *fc, const char *base,
			   const char *rel, int fd, const struct stat *st)
{
	size_t key_len = strlen(base) + 1 + strlen(rel);
	struct fc_entry *e = malloc(sizeof(*e) + key_len + 1);

	if (e == NULL) {
		close(fd);
		return NULL;
	}
	memset(e, 0, sizeof(*e));
	snprintf(e->key, key_len + 1, "%s/%s", base, rel);
	e->fd = fd;
	e->st = *st;
	e->refs = 1;
	e->checked = e->used = coarse_ms();
	e->etag_len = static_etag(st, e->etag, sizeof(e->etag));
	http_date(st->st_mtime, e->modified);
	if (fc == NULL || fc->max_entries == 0) {
		e->detached = true;
		return e;
	}
	if ((size_t)st->st_size <= fc->small_max)
		load_content(e);
	make_room(fc, e->bytes);
	e->cache = fc;
	e->hash = key_hash(base, rel);
	e->hnext = fc->buckets[e->hash & (FC_BUCKETS - 1)];
	fc->buckets[e->hash & (FC_BUCKETS - 1)] = e;
	lru_push(fc, e);
	fc->count++;
	fc->bytes += e->bytes;
	return e;
}

void fc_set_sibling_missing(struct fc_entry *e, enum content_coding enc)
{
	if (e->cache != NULL) /* an uncached entry is made per request */
		e->no_sibling[enc] = coarse_ms() | 1; /* never 0 */
}

bool fc_sibling_missing(const struct fc_entry *e, enum content_coding enc)
{
	return e->cache != NULL && e->no_sibling[enc] != 0 &&
	       coarse_ms() - e->no_sibling[enc] < e->cache->recheck_ms;
}

void fc_set_encoded(struct fc_entry *e, enum content_coding enc, char *data,
		    size_t len)
{
	if (e->enc_data[enc]) {
		e->bytes -= e->enc_len[enc];
		if (e->cache)
			e->cache->bytes -= e->enc_len[enc];
		free(e->enc_data[enc]);
	}
	e->enc_data[enc] = data;
	e->enc_len[enc] = len;
	e->bytes += len;
	if (e->cache)
		e->cache->bytes += len;
}

void fc_release(struct fc_entry *e)
{
	if (e == NULL || --e->refs > 0)
		return;
	if (e->detached)
		entry_free(e);
}
