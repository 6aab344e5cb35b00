/*
 * static_open.c - opening a path beneath a base directory without ever
 * leaving it: openat2(RESOLVE_BENEATH) (static_open_beneath), or, on a
 * kernel without openat2, a walk one component at a time that follows no
 * symlink at all (static_open_nofollow).  Every file the server serves,
 * lists, stores or deletes is opened here.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "static.h"

/* Open the directory comp under cur without following a symlink. */
static int static_nofollow_dir(int cur, const char *comp)
{
	struct stat st;
	int next = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (next == -1)
		return -1;
	if (fstat(next, &st) == -1)
		goto fail_close;
	if (!S_ISDIR(st.st_mode)) {
		errno = S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;
		goto fail_close;
	}
	return next;
fail_close:
	close(next);
	return -1;
}

/* The last component, O_NOFOLLOW; O_PATH would open a link itself. */
static int static_nofollow_final(int cur, const char *comp, int flags,
				 mode_t mode)
{
	struct stat st;
	int fd = openat(cur, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd == -1 || !(flags & O_PATH))
		return fd;
	if (fstat(fd, &st) == 0 && !S_ISLNK(st.st_mode))
		return fd;
	close(fd);
	errno = ELOOP;
	return -1;
}

/*
 * Kernels before 5.6 lack openat2: walk rel one component at a time, each
 * opened with O_NOFOLLOW beneath the previous one.  Stricter than
 * RESOLVE_BENEATH: every symlink is refused (ELOOP), ".." too (EXDEV).
 */
static int static_walk_nofollow(int dirfd, const char *rel, int flags,
				mode_t mode)
{
	char comp[NAME_MAX + 1];
	const char *p = rel;
	int cur = dirfd, fd = -1, err;

	for (;;) {
		size_t n = strcspn(p, "/");
		bool final = p[n] == '\0';
		if (n > NAME_MAX) {
			errno = ENAMETOOLONG;
			break;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (n == 0 || strcmp(comp, ".") == 0) {
			/* "", "." or a trailing '/': the directory itself */
			if (final) {
				fd = openat(cur, ".", flags | O_CLOEXEC, mode);
				break;
			}
		} else if (strcmp(comp, "..") == 0) {
			errno = EXDEV;
			break;
		} else if (final) {
			fd = static_nofollow_final(cur, comp, flags, mode);
			break;
		} else {
			int next = static_nofollow_dir(cur, comp);
			if (next == -1)
				break;
			if (cur != dirfd)
				close(cur);
			cur = next;
		}
		p += n + 1;
	}
	err = errno;
	if (cur != dirfd)
		close(cur);
	errno = err;
	return fd;
}

static int static_openat2(int dirfd, const char *rel, int flags, mode_t mode)
{
	struct open_how how = {
	    .flags = (uint64_t)(unsigned)(flags | O_CLOEXEC),
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	int fd, tries = 0;

	/* openat2 refuses a mode without O_CREAT or O_TMPFILE (EINVAL) */
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		how.mode = mode;
	do {
		fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
		/* EAGAIN: a concurrent rename made ".." unverifiable */
	} while (fd == -1 && (errno == EINTR || errno == EAGAIN) &&
		 ++tries < 8);
	if (fd == -1 && errno == ENOSYS)
		return static_walk_nofollow(dirfd, rel, flags, mode);
	return fd;
}

static int static_open_base(const char *base, const char *rel, int flags,
			    mode_t mode, bool nofollow)
{
	int dirfd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd, err;

	if (dirfd == -1)
		return -1;
	if (nofollow)
		fd = static_walk_nofollow(dirfd, rel, flags, mode);
	else
		fd = static_openat2(dirfd, rel, flags, mode);
	err = errno;
	close(dirfd);
	errno = err;
	return fd;
}

int static_open_beneath(const char *base, const char *rel, int flags,
			mode_t mode)
{
	return static_open_base(base, rel, flags, mode, false);
}

int static_open_nofollow(const char *base, const char *rel, int flags,
			 mode_t mode)
{
	return static_open_base(base, rel, flags, mode, true);
}
