/*
 * harness_extra.h - more integration test support for the HTTP tests
 * (test_http_*.c), on top of harness.h: binary-safe requests, raw reads,
 * deterministic large bodies generated on the fly, directory checks,
 * process memory, and a server started in a private mount namespace with
 * a small tmpfs (disk-full tests, root only).
 */
#ifndef WEBSERV_TEST_HARNESS_EXTRA_H
#define WEBSERV_TEST_HARNESS_EXTRA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness.h"

/* Monotonic milliseconds. */
long hx_now_ms(void);

/* mkdir dir/name (and parents); 0 / -1. */
int hx_mkdir(const char *dir, const char *name);
/* "dir/name" into out; out. */
char *hx_path(char *out, size_t cap, const char *dir, const char *name);
/* Run cmd through sh; its stdout (and stderr when cmd redirects it) into
 * out, NUL-terminated.  The exit status; -1: could not run or killed. */
int hx_sh(const char *cmd, char *out, size_t cap);

/* Prepare s from tmpl, run setup(s->dir) if given, start it; 0 / -1.
 * The server is remembered for hx_fini. */
int hx_start(struct srv *s, const char *tmpl, int (*setup)(const char *dir));
/* Remember s (a copy) for hx_fini. */
void hx_track(const struct srv *s);
/*
 * Criterion .fini of every test that starts a server: a failed assertion
 * leaves the test function before its srv_stop, and a server left
 * running would hold the runner's stderr and ports.  Kills the remembered
 * server if it still runs and removes its temp dir.
 */
void hx_fini(void);

/*
 * Connect, send len bytes of raw (binary-safe), read one response (HEAD
 * when raw starts with "HEAD "), close.  0 / -1; r is always freeable.
 * Without a NUL in raw this is http_do, whose reader then forgets bytes
 * past the response; a raw holding a NUL goes its own way, and the
 * harness reader cannot be reset from here: keep those exchanges to
 * well-framed responses.
 */
int hx_do(int port, const char *raw, size_t len, struct http_resp *r);
/* hx_do on a C string; returns the status, -1 without a response. */
int hx_status(int port, const char *raw);

/*
 * Read whatever arrives on fd until "\r\n\r\n" has been seen (or EOF,
 * or timeout_ms): the raw bytes, NUL-terminated, in out.  Returns the
 * length read, -1 on error or timeout with nothing read.  Does not go
 * through the harness reader: use it on a fresh fd only.
 */
ssize_t hx_read_head_raw(int fd, char *out, size_t cap, int timeout_ms);

/*
 * The peer's end of fd within timeout_ms: 1 clean EOF, 2 reset,
 * 0 still open (data read meanwhile is dropped).
 */
int hx_wait_end(int fd, int timeout_ms);
/* Is fd readable (data or EOF) within timeout_ms? */
bool hx_readable(int fd, int timeout_ms);

/* --- deterministic content, addressable by offset -------------------- */
/* Fill buf with n bytes of the stream `seed` starting at offset. */
void hx_fill(char *buf, size_t n, uint64_t seed, uint64_t offset);
/* Does the file hold exactly size bytes of stream seed?  On a mismatch
 * *bad_at (may be NULL) is the first differing offset, or the size. */
bool hx_file_matches(const char *path, uint64_t size, uint64_t seed,
		     uint64_t *bad_at);

/*
 * Send total body bytes of stream seed on fd, as Content-Length data
 * (chunk == 0) or as chunks of `chunk` bytes with the final 0 chunk.
 * Every piece, when sample_pid > 0, samples its VmRSS into *max_rss_kb.
 * Stops early (returns 1) when the server answers (fd readable) before
 * the body is complete; 0 all sent; -1 send error.
 */
int hx_send_body(int fd, uint64_t total, uint64_t seed, size_t chunk,
		 pid_t sample_pid, long *max_rss_kb);

/* Send total zero bytes on fd whatever the server does meanwhile (a
 * client that does not watch for an early answer).  0 / -1. */
int hx_blast(int fd, uint64_t total);

/*
 * Names in dir (not "." and ".."), '/'-separated into out (may be NULL);
 * returns how many, -1 when dir cannot be opened.
 */
int hx_list_dir(const char *dir, char *out, size_t cap);

/* How many of pid's open fds name a path that starts with prefix (an
 * unnamed O_TMPFILE shows as "prefix/#123 (deleted)") and are open for
 * writing or name a deleted file: read-only fds of files that are still
 * there are the open-file cache's; -1 unreadable. */
int hx_open_under(pid_t pid, const char *prefix);

/* Strip "http://host" from a Location value: the path part, or v. */
const char *hx_location_path(const char *v);

/*
 * Start the server like srv_start, but in a private mount namespace
 * where a tmpfs of size_opt ("size=1m") is mounted on s->dir/sub (which
 * must exist).  The tmpfs is only visible to the server: look at it
 * through /proc/<s->pid>/root.  Returns 0, -1 on failure, 1 when this
 * cannot run here (not root, unshare or mount refused): skip then.
 */
int hx_start_tmpfs(struct srv *s, const char *sub, const char *size_opt);

#endif
