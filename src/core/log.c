/*
 * log.c - the process's error log.
 * Writes whole lines with one write(2) so lines from master and workers
 * sharing a file never interleave mid-line.  Never allocates.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *const level_names[] = {"error", "warn", "info", "debug"};

static struct {
	int fd;
	enum log_level level;
	char path[4096];
} log_state = {.fd = STDERR_FILENO, .level = LOG_LEVEL_INFO};

int log_level_from_name(const char *name)
{
	for (int l = 0; l < 4; l++)
		if (strcmp(name, level_names[l]) == 0)
			return l;
	return -1;
}

static int log_open_fd(const char *path)
{
	if (strcmp(path, "stderr") == 0)
		return STDERR_FILENO;
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

int log_open(const char *path, enum log_level level)
{
	int fd;

	if (strlen(path) >= sizeof(log_state.path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = log_open_fd(path)) == -1)
		return -1;
	log_close();
	log_state.fd = fd;
	log_state.level = level;
	memcpy(log_state.path, path, strlen(path) + 1);
	return 0;
}

int log_reopen(void)
{
	int fd;

	if (log_state.path[0] == '\0' || log_state.fd == STDERR_FILENO)
		return 0;
	if ((fd = log_open_fd(log_state.path)) == -1)
		return -1;
	/* dup3 keeps the fd number stable for anyone who cached it */
	if (dup3(fd, log_state.fd, O_CLOEXEC) == -1) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

void log_set_level(enum log_level level)
{
	log_state.level = level;
}

void log_close(void)
{
	if (log_state.fd != STDERR_FILENO)
		close(log_state.fd);
	log_state.fd = STDERR_FILENO;
	log_state.path[0] = '\0';
}

/* Set per event by the worker: 128 bytes at most (request_id.h). */
static char log_request_id[129];

void log_set_request_id(const char *id)
{
	size_t n = id ? strnlen(id, sizeof(log_request_id) - 1) : 0;

	memcpy(log_request_id, id ? id : "", n);
	log_request_id[n] = '\0';
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[2048];
	struct tm tm;
	time_t now = time(NULL);
	va_list ap;
	int saved_errno = errno;
	size_t len;
	int n;

	if (level > log_state.level)
		return;
	localtime_r(&now, &tm);
	len = strftime(line, sizeof(line), "%Y/%m/%d %H:%M:%S", &tm);
	n = snprintf(line + len, sizeof(line) - len,
		     " [%s] %d: ", level_names[level], (int)getpid());
	if (n > 0)
		len += (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	va_end(ap);
	if (n > 0)
		len += (size_t)n;
	if (log_request_id[0] != '\0' && len < sizeof(line)) {
		n = snprintf(line + len, sizeof(line) - len, ", request_id: %s",
			     log_request_id);
		if (n > 0)
			len += (size_t)n;
	}
	if (len >= sizeof(line))
		len = sizeof(line) - 1; /* truncated: keep the newline */
	line[len++] = '\n';
	while (write(log_state.fd, line, len) == -1 && errno == EINTR)
		;
	errno = saved_errno;
}
