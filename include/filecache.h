/*
 * filecache.h - a worker's cache of open static files.
 *
 * An entry holds a regular file opened beneath its root (so the
 * RESOLVE_BENEATH guarantee was checked when it was opened), its stat,
 * its ETag and Last-Modified text, and - for small files - the whole
 * content, so a hit costs one stat(2) and the answer leaves in a single
 * sendmsg.  A hit is only taken when stat() of the path still shows the
 * same device, inode, size, mtime and ctime: a replaced, edited or
 * re-linked file (including a path swapped for a symlink elsewhere) is
 * opened again, through the confined open.  Entries in use by responses
 * are reference-counted; eviction never closes a file under a response.
 */
#ifndef WEBSERV_FILECACHE_H
#define WEBSERV_FILECACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#define FC_ETAG_MAX 64

struct file_cache;

struct fc_entry {
	int fd;		  /* -1 when data holds the whole file */
	const char *data; /* the content (small files), or NULL */
	struct stat st;
	char etag[FC_ETAG_MAX];
	size_t etag_len;
	char modified[30]; /* Last-Modified, IMF-fixdate */
	/* private to filecache.c */
	struct file_cache *cache; /* NULL: not cached, freed on release */
	struct fc_entry *hnext;
	struct fc_entry *prev, *next; /* LRU, most recent first */
	unsigned refs;
	bool detached; /* out of the table, freed at refs 0 */
	size_t bytes;
	unsigned long hash;
	char key[]; /* "base/rel" */
};

/* A cache of at most max_entries files and max_bytes of content; files
 * up to small_max bytes are held in memory.  NULL on ENOMEM. */
struct file_cache *fc_create(size_t max_entries, size_t max_bytes,
			     size_t small_max);
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
/* Drop a reference taken by fc_lookup / fc_insert. */
void fc_release(struct fc_entry *e);

#endif
