/*
 * harness.c - see harness.h.  Test-only code: blocking sockets with
 * timeouts, no cleverness.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int free_port(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int port = -1;

	if (fd == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

int make_tmpdir(char *out, size_t cap)
{
	if (snprintf(out, cap, "/tmp/webserv-test-XXXXXX") >= (int)cap)
		return -1;
	return mkdtemp(out) ? 0 : -1;
}

static int mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return 0;
}

int write_file(const char *dir, const char *name, const char *data, long len)
{
	char path[1024];
	size_t n = len < 0 ? strlen(data) : (size_t)len;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (mkdirs(path) == -1)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		return -1;
	if (n && write(fd, data, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	return close(fd);
}

char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = (n + 4096 + 1) * 2;
			char *grown = realloc(buf, cap);
			if (grown == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = grown;
		}
		size_t got = fread(buf + n, 1, 4096, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* Replace @PORT@, @PORT2@, @DIR@ in tmpl; malloc'd. */
static char *render(const struct srv *s, const char *tmpl)
{
	size_t cap = strlen(tmpl) * 2 + 4096;
	char *out = malloc(cap);
	size_t n = 0;

	if (out == NULL)
		return NULL;
	for (const char *p = tmpl; *p && n + 512 < cap;) {
		if (strncmp(p, "@PORT2@", 7) == 0) {
			n += (size_t)snprintf(out + n, cap - n, "%d", s->port2);
			p += 7;
		} else if (strncmp(p, "@PORT@", 6) == 0) {
			n += (size_t)snprintf(out + n, cap - n, "%d", s->port);
			p += 6;
		} else if (strncmp(p, "@DIR@", 5) == 0) {
			n += (size_t)snprintf(out + n, cap - n, "%s", s->dir);
			p += 5;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	return out;
}

int srv_write_config(struct srv *s, const char *tmpl)
{
	char *text = render(s, tmpl);
	int rc;

	if (text == NULL)
		return -1;
	rc = write_file(s->dir, "webserv.cfg", text, -1);
	free(text);
	return rc;
}

int srv_prepare(struct srv *s, const char *tmpl)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	memset(s, 0, sizeof(*s));
	s->notify_fd = -1;
	if (make_tmpdir(s->dir, sizeof(s->dir)) == -1)
		return -1;
	s->port = free_port();
	do
		s->port2 = free_port();
	while (s->port2 == s->port);
	snprintf(s->cfg, sizeof(s->cfg), "%s/webserv.cfg", s->dir);
	snprintf(s->err_log, sizeof(s->err_log), "%s/error.log", s->dir);
	snprintf(s->notify_path, sizeof(s->notify_path), "%s/notify.sock",
		 s->dir);
	if (write_file(s->dir, "www/index.html", "hello\n", -1) == -1)
		return -1;
	s->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (strlen(s->notify_path) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, s->notify_path, strlen(s->notify_path) + 1);
	if (s->notify_fd == -1 ||
	    bind(s->notify_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		return -1;
	return tmpl ? srv_write_config(s, tmpl) : 0;
}

int srv_wait_notify(struct srv *s, const char *text, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	char msg[1024];

	for (;;) {
		long left = deadline - now_ms();
		struct pollfd pfd = {.fd = s->notify_fd, .events = POLLIN};
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return -1;
		ssize_t n = recv(s->notify_fd, msg, sizeof(msg) - 1, 0);
		if (n <= 0)
			continue;
		msg[n] = '\0';
		if (strstr(msg, text))
			return 0;
	}
}

int srv_start(struct srv *s, const char *const *args)
{
	const char *bin = getenv("WEBSERV_BIN");
	const char *argv[32] = {bin, "-f", s->cfg};
	int argc = 3;

	if (bin == NULL)
		return -1;
	for (int i = 0; args && args[i] && argc < 31; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;
	if ((s->pid = fork()) == -1)
		return -1;
	if (s->pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		/* a test killed by its timeout must not leave a server behind
		 */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		setenv("NOTIFY_SOCKET", s->notify_path, 1);
		dup2(null, STDOUT_FILENO);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	return srv_await_ready(s);
}

/* How long to wait for READY=1: 10 s, or $WEBSERV_READY_MS for a slow
 * server (valgrind runs it 20-50 times slower). */
static int ready_timeout_ms(void)
{
	const char *env = getenv("WEBSERV_READY_MS");
	long ms = env ? strtol(env, NULL, 10) : 0;

	return ms > 0 && ms <= 600000 ? (int)ms : 10000;
}

int srv_await_ready(struct srv *s)
{
	if (srv_wait_notify(s, "READY=1", ready_timeout_ms()) == 0)
		return 0;
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	s->pid = 0;
	return -1;
}

long proc_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int srv_wait_exit(struct srv *s, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	int status;

	while (now_ms() < deadline) {
		pid_t r = waitpid(s->pid, &status, WNOHANG);
		if (r == s->pid) {
			s->pid = 0;
			return status;
		}
		usleep(10000);
	}
	return -1;
}

static void remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char sub[1024];

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		struct stat st;
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(sub);
		else
			unlink(sub);
	}
	closedir(d);
	rmdir(path);
}

int srv_stop(struct srv *s)
{
	int status = -1;

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		status = srv_wait_exit(s, 15000);
		if (status == -1 && s->pid > 0) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, &status, 0);
			s->pid = 0;
		}
	}
	if (s->notify_fd != -1)
		close(s->notify_fd);
	s->notify_fd = -1;
	if (s->dir[0] && getenv("KEEP_TEST_DIRS") == NULL)
		remove_tree(s->dir);
	return status;
}

int srv_workers(const struct srv *s, pid_t *pids, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && n < max) {
		char path[300], buf[512];
		pid_t pid = (pid_t)atoi(e->d_name);
		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		FILE *f = fopen(path, "re");
		if (f == NULL)
			continue;
		size_t got = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[got] = '\0';
		/* pid (comm) state ppid ... ; comm may hold spaces */
		char *close_paren = strrchr(buf, ')');
		char state;
		int ppid;
		if (close_paren &&
		    sscanf(close_paren + 1, " %c %d", &state, &ppid) == 2 &&
		    ppid == s->pid && state != 'Z')
			pids[n++] = pid;
	}
	closedir(d);
	return n;
}

int run_webserv(const char *const *args, char *out, size_t cap)
{
	const char *bin = getenv("WEBSERV_BIN");
	const char *argv[32] = {bin};
	int pipefd[2];
	int argc = 1, status;
	size_t n = 0;
	pid_t pid;

	for (int i = 0; args[i] && argc < 31; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;
	if (bin == NULL || pipe2(pipefd, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		ssize_t got = read(pipefd[0], out + n, cap - 1 - n);
		if (got <= 0)
			break;
		n += (size_t)got;
		if (n == cap - 1)
			break;
	}
	out[n] = '\0';
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
