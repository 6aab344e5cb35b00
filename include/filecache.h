/*
 * filecache.h - a worker's cache of open static files.
 *
 * An entry holds a regular file opened beneath its root (so the
 * RESOLVE_BENEATH guarantee was checked when it was opened), its stat,
 * its ETag and Last-Modified text, and - for small files - the whole
 * content, so a hit costs one fstat(2) and the answer leaves in a single
 * sendmsg.  A hit is only taken when fstat of the open file still shows
 * the same size, mtime and ctime and at least one link: an edited,
 * chmod'ed, unlinked or renamed-over file is opened again, through the
 * confined open.  A path that leads elsewhere without the file itself
 * changing (a directory or symlink on the way swapped, as an atomic
 * deploy does) is caught by a stat(2) of the path at most recheck_ms
 * after the last one.  Entries in use by responses are reference-counted;
 * eviction never closes a file under a response.
 */
#ifndef WEBSERV_FILECACHE_H
#define WEBSERV_FILECACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "encoding.h"

#define FC_ETAG_MAX 64

struct file_cache;

struct fc_entry {
	int fd;		  /* the open file */
	const char *data; /* the content (small files), or NULL */
	struct stat st;
	char etag[FC_ETAG_MAX];
	size_t etag_len;
	char modified[30]; /* Last-Modified, IMF-fixdate */
	/* data compressed with each coding (compress.c), made once per
	 * version on first use (fc_set_encoded); NULL: not yet */
	char *enc_data[ENC_COUNT];
	size_t enc_len[ENC_COUNT];
	/* ms when the precompressed sibling (.gz, .br) was found missing,
	 * 0: not known (fc_sibling_missing) */
	uint64_t no_sibling[ENC_COUNT];
	/* private to filecache.c */
	struct file_cache *cache; /* NULL: not cached, freed on release */
	struct fc_entry *hnext;
	struct fc_entry *prev, *next; /* LRU, most recent first */
	unsigned refs;
	bool detached; /* out of the table, freed at refs 0 */
	size_t bytes;
	uint64_t checked; /* ms (monotonic) of the last stat of the path */
	uint64_t used;	  /* ms of the last hit */
	unsigned long hash;
	char key[]; /* "base/rel" */
};

/* A cache of at most max_entries files (each holds an fd) and max_bytes
 * of content; files up to small_max bytes are held in memory; paths are
 * stat'ed again after recheck_ms.  NULL on ENOMEM. */
struct file_cache *fc_create(size_t max_entries, size_t max_bytes,
			     size_t small_max, unsigned recheck_ms);
void fc_destroy(struct file_cache *fc);

/* The entry for base/rel if cached and unchanged (referenced), else NULL. */
struct fc_entry *fc_lookup(struct file_cache *fc, const char *base,
			   const char *rel);
/*
 * Make an entry of an open regular file (fd and st of base/rel; fd is
 * taken over).  fc NULL or too full: an uncached entry that lives until
 * released.  Returns the entry referenced once, or NULL (ENOMEM; fd
 * closed).
 */
struct fc_entry *fc_insert(struct file_cache *fc, const char *base,
			   const char *rel, int fd, const struct stat *st);
/*
 * Drop the entries unused for idle_ms and those whose file was deleted:
 * an open fd keeps a deleted file's blocks allocated, so a worker must
 * not hold one for long (call it every few seconds).
 */
void fc_sweep(struct file_cache *fc, unsigned idle_ms);
/* Keep data[0..len) (malloc'd, taken over) as e's content compressed
 * with enc; counted in the cache's bytes.  Freed with the entry. */
void fc_set_encoded(struct fc_entry *e, enum content_coding enc, char *data,
		    size_t len);
/* The sibling of e with coding enc was looked for and is missing: it is
 * not looked for again for recheck_ms (as a path is not stat'ed again). */
void fc_set_sibling_missing(struct fc_entry *e, enum content_coding enc);
/* True while e's "enc sibling missing" mark is younger than recheck_ms. */
bool fc_sibling_missing(const struct fc_entry *e, enum content_coding enc);
/* Drop a reference taken by fc_lookup / fc_insert. */
void fc_release(struct fc_entry *e);

#endif
