/*
 * log.h - the error log: levels, a file or stderr, reopened on SIGUSR1.
 * One log per process; the process context calls log_open once and
 * log_reopen on request.  Lines: "2026/11/22 10:00:00 [warn] 1234: msg".
 */
#ifndef WEBSERV_LOG_H
#define WEBSERV_LOG_H

#include "config.h"

/* path: "stderr" or a file path (opened O_APPEND). 0 / -1 (errno). */
int log_open(const char *path, enum log_level level);
int log_reopen(void);
void log_set_level(enum log_level level);
void log_close(void);
/* Parse "error|warn|info|debug"; -1 if none matches. */
int log_level_from_name(const char *name);

/* The request the next lines are about (copied; NULL or "": none):
 * each line then ends with ", request_id: ID". */
void log_set_request_id(const char *id);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
