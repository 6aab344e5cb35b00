/*
 * partial_io.c - an LD_PRELOAD shim for the hostile integration tests
 * (tests/integration/test_hostile.c): makes socket I/O as awkward as the
 * kernel is allowed to make it.  write, writev, send, sendto, sendmsg,
 * sendfile, read, recv, recvfrom on a TCP socket randomly return a short
 * count (at least one byte), fail with EINTR, or fail with EAGAIN (only
 * when the fd is O_NONBLOCK, as the kernel would).
 *
 * Invariant: only fds that fstat calls S_ISSOCK and that are stream
 * sockets of AF_INET/AF_INET6 are touched; pipes, files, epoll, signalfd
 * and the AF_UNIX master channel / NOTIFY_SOCKET always pass straight
 * through.  A short count never exceeds what the caller asked for and is
 * never 0 for a non-zero request, so no EOF is ever faked.
 *
 * Controlled by PARTIAL_IO_SEED (a number): unset or empty, the shim only
 * forwards.  Decisions come from a seeded xorshift generator, so a seed
 * gives the same decision sequence in every process (each worker forks
 * with the same state).  Built by the test itself:
 *   cc -shared -fPIC -o shim.so partial_io.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define PIO_MAX_IOV 64

enum pio_action { PIO_PASS, PIO_SHORT, PIO_EINTR, PIO_EAGAIN };

static int pio_state; /* 0 unknown, 1 active, -1 off */
static uint64_t pio_rng;

static void pio_init(void)
{
	const char *seed = getenv("PARTIAL_IO_SEED");

	if (seed == NULL || *seed == '\0') {
		pio_state = -1;
		return;
	}
	pio_rng = strtoull(seed, NULL, 0) * 0x9e3779b97f4a7c15ULL + 1;
	pio_state = 1;
}

static uint64_t pio_next(void)
{
	pio_rng ^= pio_rng << 13;
	pio_rng ^= pio_rng >> 7;
	pio_rng ^= pio_rng << 17;
	return pio_rng;
}

/* A TCP socket?  Checked on every call: fds are reused. */
static int pio_is_tcp(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct stat st;
	int type;
	socklen_t tlen = sizeof(type);

	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode))
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == -1 ||
	    type != SOCK_STREAM)
		return 0;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return 0;
	return ss.ss_family == AF_INET || ss.ss_family == AF_INET6;
}

/* What to do with this call; *len is shortened for PIO_SHORT. */
static enum pio_action pio_decide(int fd, size_t *len)
{
	uint64_t r;

	if (pio_state == 0)
		pio_init();
	if (pio_state != 1 || *len == 0 || !pio_is_tcp(fd))
		return PIO_PASS;
	r = pio_next();
	switch (r % 8) {
	case 0:
		return PIO_EINTR;
	case 1:
		if (fcntl(fd, F_GETFL) & O_NONBLOCK)
			return PIO_EAGAIN;
		return PIO_SHORT;
	case 2:
	case 3:
	case 4:
		if (*len > 1)
			*len = 1 + (size_t)((r >> 8) % (*len - 1));
		return PIO_SHORT;
	default:
		return PIO_PASS;
	}
}

/* -1 with errno for the failing actions, 0 to go on with the call. */
static int pio_fail(enum pio_action a)
{
	if (a == PIO_EINTR) {
		errno = EINTR;
		return -1;
	}
	if (a == PIO_EAGAIN) {
		errno = EAGAIN;
		return -1;
	}
	return 0;
}

/* The next definition of name (libc's), looked up once. */
#define PIO_REAL(name)                                                         \
	static __typeof__(&name) real_##name;                                  \
	if (real_##name == NULL)                                               \
	real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

static size_t iov_total(const struct iovec *iov, int cnt)
{
	size_t total = 0;

	for (int i = 0; i < cnt; i++)
		total += iov[i].iov_len;
	return total;
}

/* Copy of iov cut to want bytes into out (PIO_MAX_IOV entries); count. */
static int iov_cut(const struct iovec *iov, int cnt, size_t want,
		   struct iovec *out)
{
	int n = 0;

	for (int i = 0; i < cnt && n < PIO_MAX_IOV && want > 0; i++) {
		out[n] = iov[i];
		if (out[n].iov_len > want)
			out[n].iov_len = want;
		want -= out[n].iov_len;
		n++;
	}
	return n;
}

ssize_t write(int fd, const void *buf, size_t len)
{
	PIO_REAL(write);
	enum pio_action a = pio_decide(fd, &len);

	if (pio_fail(a))
		return -1;
	return real_write(fd, buf, len);
}

ssize_t read(int fd, void *buf, size_t len)
{
	PIO_REAL(read);
	enum pio_action a = pio_decide(fd, &len);

	if (pio_fail(a))
		return -1;
	return real_read(fd, buf, len);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	PIO_REAL(send);
	enum pio_action a = pio_decide(fd, &len);

	if (pio_fail(a))
		return -1;
	return real_send(fd, buf, len, flags);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags,
	       const struct sockaddr *to, socklen_t tolen)
{
	PIO_REAL(sendto);
	enum pio_action a = pio_decide(fd, &len);

	if (pio_fail(a))
		return -1;
	return real_sendto(fd, buf, len, flags, to, tolen);
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	PIO_REAL(recv);
	enum pio_action a = pio_decide(fd, &len);

	if (pio_fail(a))
		return -1;
	return real_recv(fd, buf, len, flags);
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
		 struct sockaddr *from, socklen_t *fromlen)
{
	PIO_REAL(recvfrom);
	enum pio_action a = pio_decide(fd, &len);

	if (pio_fail(a))
		return -1;
	return real_recvfrom(fd, buf, len, flags, from, fromlen);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	PIO_REAL(writev);
	struct iovec cut[PIO_MAX_IOV];
	size_t total = cnt > 0 ? iov_total(iov, cnt) : 0;
	size_t want = total;
	enum pio_action a = pio_decide(fd, &want);

	if (pio_fail(a))
		return -1;
	if (want == total)
		return real_writev(fd, iov, cnt);
	return real_writev(fd, cut, iov_cut(iov, cnt, want, cut));
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	PIO_REAL(sendmsg);
	struct iovec cut[PIO_MAX_IOV];
	struct msghdr copy;
	int cnt = (int)msg->msg_iovlen;
	size_t total = iov_total(msg->msg_iov, cnt);
	size_t want = total;
	enum pio_action a = pio_decide(fd, &want);

	if (pio_fail(a))
		return -1;
	if (want == total)
		return real_sendmsg(fd, msg, flags);
	copy = *msg;
	copy.msg_iov = cut;
	copy.msg_iovlen = (size_t)iov_cut(msg->msg_iov, cnt, want, cut);
	return real_sendmsg(fd, &copy, flags);
}

ssize_t sendfile(int out_fd, int in_fd, off_t *offset, size_t count)
{
	PIO_REAL(sendfile);
	enum pio_action a = pio_decide(out_fd, &count);

	if (pio_fail(a))
		return -1;
	return real_sendfile(out_fd, in_fd, offset, count);
}

ssize_t sendfile64(int out_fd, int in_fd, off_t *offset, size_t count)
{
	return sendfile(out_fd, in_fd, offset, count);
}
