/*
 * units.h - sizes ("512", "8k", "10m", "1g") and durations (30, "500ms",
 * "30s", "2m") as written in the config.  Pure, no I/O.
 */
#ifndef WEBSERV_UNITS_H
#define WEBSERV_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* 0 on success, -1 on a malformed or overflowing value. Case-insensitive
 * suffix; no sign, no spaces, at least one digit. */
int parse_size(const char *text, uint64_t *bytes);
/* Milliseconds.  Suffixes: ms, s, m, h; none = seconds. */
int parse_duration(const char *text, uint64_t *ms);

#endif
