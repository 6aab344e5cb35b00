/*
 * pidfile.h - the master's pid file: written atomically at start,
 * removed at exit only if it still names this process, read by
 * `webserv -s`.
 */
#ifndef WEBSERV_PIDFILE_H
#define WEBSERV_PIDFILE_H

#include <sys/types.h>

/* Write getpid() to path through path.tmp and rename.  0 / -1 (errno). */
int pidfile_write(const char *path);
/* The pid in path; -1 with errno (EINVAL: no pid in it). */
pid_t pidfile_read(const char *path);
/* Remove path if it names this process (a newer master may own it). */
void pidfile_remove(const char *path);

#endif
