/*
 * harness_extra.c - see harness_extra.h.  Test-only code: blocking
 * sockets with timeouts (from http_connect), bounded loops, no cleverness.
 * Never leaves a process behind: every child it forks is the server the
 * caller stops with srv_stop, or is reaped here.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness_extra.h"

#define HX_PIECE (256 * 1024) /* body bytes per send */

long hx_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

char *hx_path(char *out, size_t cap, const char *dir, const char *name)
{
	if (snprintf(out, cap, "%s/%s", dir, name) >= (int)cap)
		out[0] = '\0';
	return out;
}

int hx_mkdir(const char *dir, const char *name)
{
	char path[1024];

	hx_path(path, sizeof(path), dir, name);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(path, 0755) == -1 && errno != EEXIST ? -1 : 0;
}

static struct srv hx_last; /* for hx_fini: a copy, not the test's */

void hx_track(const struct srv *s)
{
	hx_last = *s;
}

void hx_fini(void)
{
	if (hx_last.pid > 0 && waitpid(hx_last.pid, NULL, WNOHANG) == 0) {
		kill(hx_last.pid, SIGKILL);
		waitpid(hx_last.pid, NULL, 0);
	}
	hx_last.pid = 0;
	hx_last.notify_fd = -1; /* the test's srv_stop may have closed it */
	if (hx_last.dir[0])
		srv_stop(&hx_last);
	hx_last.dir[0] = '\0';
}

int hx_start(struct srv *s, const char *tmpl, int (*setup)(const char *dir))
{
	int rc;

	if (srv_prepare(s, tmpl) == -1)
		return -1;
	hx_track(s);
	if (setup && setup(s->dir) == -1)
		return -1;
	rc = srv_start(s, NULL);
	hx_track(s);
	return rc;
}

int hx_do(int port, const char *raw, size_t len, struct http_resp *r)
{
	int fd, rc;

	memset(r, 0, sizeof(*r));
	if (memchr(raw, '\0', len) == NULL) {
		/* http_do, whose reader forgets what follows the response */
		char *text = malloc(len + 1);
		if (text == NULL)
			return -1;
		memcpy(text, raw, len);
		text[len] = '\0';
		rc = http_do(port, text, r);
		free(text);
		return rc;
	}
	if ((fd = http_connect(port)) == -1)
		return -1;
	rc = send_all(fd, raw, len);
	if (rc == 0)
		rc = http_read(fd, r, strncmp(raw, "HEAD ", 5) == 0);
	close(fd);
	return rc;
}

int hx_status(int port, const char *raw)
{
	struct http_resp r;
	int status;

	memset(&r, 0, sizeof(r));
	if (http_do(port, raw, &r) == -1) {
		http_resp_free(&r);
		return -1;
	}
	status = r.status;
	http_resp_free(&r);
	return status;
}

ssize_t hx_read_head_raw(int fd, char *out, size_t cap, int timeout_ms)
{
	long deadline = hx_now_ms() + timeout_ms;
	size_t n = 0;

	out[0] = '\0';
	while (n + 1 < cap) {
		long left = deadline - hx_now_ms();
		struct pollfd pfd = {.fd = fd, .events = POLLIN};

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		ssize_t got = recv(fd, out + n, cap - 1 - n, 0);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
		out[n] = '\0';
		if (strstr(out, "\r\n\r\n"))
			break;
	}
	return n > 0 ? (ssize_t)n : -1;
}

int hx_wait_end(int fd, int timeout_ms)
{
	long deadline = hx_now_ms() + timeout_ms;
	char buf[16384];

	for (;;) {
		long left = deadline - hx_now_ms();
		struct pollfd pfd = {.fd = fd, .events = POLLIN};

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return 0;
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0)
			return 1;
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return 2;
	}
}

bool hx_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	return poll(&pfd, 1, timeout_ms) > 0;
}

/* splitmix64: a good, tiny, seekable generator. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void hx_fill(char *buf, size_t n, uint64_t seed, uint64_t offset)
{
	uint64_t word = 0, word_idx = UINT64_MAX;

	for (size_t i = 0; i < n; i++) {
		uint64_t o = offset + i;
		if (o / 8 != word_idx) {
			word_idx = o / 8;
			word = mix(seed * 0x100000001b3ULL ^ word_idx);
		}
		buf[i] = (char)(word >> (8 * (o % 8)));
	}
}

bool hx_file_matches(const char *path, uint64_t size, uint64_t seed,
		     uint64_t *bad_at)
{
	size_t cap = 1024 * 1024;
	char *got = malloc(cap), *want = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t off = 0;
	bool ok = got && want && fd != -1;

	while (ok) {
		ssize_t n = read(fd, got, cap);
		if (n <= 0) {
			ok = n == 0 && off == size;
			break;
		}
		hx_fill(want, (size_t)n, seed, off);
		size_t i = 0;
		while (i < (size_t)n && off + i < size && got[i] == want[i])
			i++;
		off += i;
		if (i < (size_t)n) {
			ok = false;
			break;
		}
	}
	if (bad_at)
		*bad_at = off;
	if (fd != -1)
		close(fd);
	free(got);
	free(want);
	return ok;
}

static void sample(pid_t pid, long *max_rss_kb)
{
	long kb;

	if (pid > 0 && max_rss_kb && (kb = proc_rss_kb(pid)) > *max_rss_kb)
		*max_rss_kb = kb;
}

static int send_piece(int fd, const char *data, size_t len)
{
	if (hx_readable(fd, 0))
		return 1; /* the server answered early */
	if (send_all(fd, data, len) == -1)
		return hx_readable(fd, 1000) ? 1 : -1;
	return 0;
}

int hx_send_body(int fd, uint64_t total, uint64_t seed, size_t chunk,
		 pid_t sample_pid, long *max_rss_kb)
{
	size_t piece_max = chunk ? chunk : HX_PIECE;
	char *buf = malloc(piece_max + 32);
	uint64_t off = 0;
	int rc = 0;

	if (buf == NULL)
		return -1;
	while (off < total && rc == 0) {
		size_t piece =
		    total - off < piece_max ? (size_t)(total - off) : piece_max;
		size_t head = 0;
		if (chunk)
			head = (size_t)snprintf(buf, 32, "%zx\r\n", piece);
		hx_fill(buf + head, piece, seed, off);
		if (chunk)
			memcpy(buf + head + piece, "\r\n", 2);
		rc = send_piece(fd, buf, head + piece + (chunk ? 2 : 0));
		off += piece;
		sample(sample_pid, max_rss_kb);
	}
	if (rc == 0 && chunk)
		rc = send_piece(fd, "0\r\n\r\n", 5);
	free(buf);
	return rc;
}

int hx_blast(int fd, uint64_t total)
{
	static const char zeros[65536];

	while (total > 0) {
		size_t n =
		    total < sizeof(zeros) ? (size_t)total : sizeof(zeros);
		if (send_all(fd, zeros, n) == -1)
			return -1;
		total -= n;
	}
	return 0;
}

int hx_list_dir(const char *dir, char *out, size_t cap)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t len = 0;
	int count = 0;

	if (d == NULL)
		return -1;
	if (out && cap)
		out[0] = '\0';
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		count++;
		if (out && len < cap) {
			int n = snprintf(out + len, cap - len, "%s%s",
					 len ? "/" : "", e->d_name);
			len = n < 0 ? cap : len + (size_t)n;
		}
	}
	closedir(d);
	return count;
}

/* Is fd (a name in /proc/PID/fd) open for writing?  From its fdinfo. */
static bool fd_writable(pid_t pid, const char *fd)
{
	char path[320], line[128];
	unsigned flags = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)pid, fd);
	if ((f = fopen(path, "re")) == NULL)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "flags: %o", &flags) == 1)
			break;
	fclose(f);
	return (flags & O_ACCMODE) != O_RDONLY;
}

int hx_open_under(pid_t pid, const char *prefix)
{
	char dir_path[64], fd_path[320], target[1024];
	size_t plen = strlen(prefix);
	struct dirent *e;
	int count = 0;
	DIR *d;

	snprintf(dir_path, sizeof(dir_path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(dir_path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(fd_path, sizeof(fd_path), "%s/%s", dir_path,
			 e->d_name);
		ssize_t n = readlink(fd_path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, prefix, plen) == 0 &&
		    (fd_writable(pid, e->d_name) ||
		     strstr(target, " (deleted)") != NULL))
			count++;
	}
	closedir(d);
	return count;
}

const char *hx_location_path(const char *v)
{
	const char *scheme = strstr(v, "://");

	if (scheme == NULL || scheme > strchr(v, '/'))
		return v;
	const char *path = strchr(scheme + 3, '/');
	return path ? path : "/";
}

/* The child: private mounts, the tmpfs, exec.  Reports failures on
 * report_fd: 'n' (namespaces or mounts refused here), 'x' (exec). */
static void tmpfs_child(struct srv *s, const char *mnt, const char *size_opt,
			int report_fd)
{
	const char *bin = getenv("WEBSERV_BIN");
	char *const argv[] = {(char *)bin, "-f", s->cfg, NULL};
	int null = open("/dev/null", O_WRONLY);

	/* a test killed by its timeout takes this server with it */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (unshare(CLONE_NEWNS) == -1 ||
	    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mount("tmpfs", mnt, "tmpfs", MS_NOSUID | MS_NODEV, size_opt) ==
		-1) {
		(void)!write(report_fd, "n", 1);
		_exit(126);
	}
	setenv("NOTIFY_SOCKET", s->notify_path, 1);
	dup2(null, STDOUT_FILENO);
	if (bin)
		execv(bin, argv);
	(void)!write(report_fd, "x", 1);
	_exit(127);
}

int hx_start_tmpfs(struct srv *s, const char *sub, const char *size_opt)
{
	char mnt[512], code = 0;
	int report[2];

	if (geteuid() != 0)
		return 1;
	hx_path(mnt, sizeof(mnt), s->dir, sub);
	if (pipe2(report, O_CLOEXEC) == -1)
		return -1;
	if ((s->pid = fork()) == -1)
		return -1;
	if (s->pid == 0)
		tmpfs_child(s, mnt, size_opt, report[1]);
	hx_track(s);
	close(report[1]);
	ssize_t n = read(report[0], &code, 1);
	close(report[0]);
	if (n == 1) {
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
		return code == 'n' ? 1 : -1;
	}
	return srv_await_ready(s);
}

int hx_sh(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	size_t len = 0, n;
	int st;

	if (p == NULL)
		return -1;
	while (cap > 1 && (n = fread(out + len, 1, cap - 1 - len, p)) > 0)
		len += n;
	if (cap > 0)
		out[len] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
