/*
 * pidfile.c - see pidfile.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pidfile.h"

int pidfile_write(const char *path)
{
	char tmp[4096];
	FILE *f;
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);

	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((f = fopen(tmp, "we")) == NULL)
		return -1;
	fprintf(f, "%d\n", (int)getpid());
	if (fclose(f) != 0 || rename(tmp, path) == -1) {
		int saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return 0;
}

pid_t pidfile_read(const char *path)
{
	char buf[32] = "";
	FILE *f = fopen(path, "re");
	long pid;

	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	pid = strtol(buf, NULL, 10);
	if (pid <= 1) {
		errno = EINVAL;
		return -1;
	}
	return (pid_t)pid;
}

void pidfile_remove(const char *path)
{
	if (pidfile_read(path) == getpid())
		unlink(path);
}
