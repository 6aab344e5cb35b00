/*
 * status.h - the status page of `status = true` locations: which format a
 * request asks for, and the page itself from a snapshot of the counters.
 * Pure: totals in, text out; never reads a counter or the clock itself.
 */
#ifndef WEBSERV_STATUS_H
#define WEBSERV_STATUS_H

#include <stddef.h>

#include "stats.h"

/* Room for either page (about 2 KiB for Prometheus with 20-digit values). */
#define STATUS_BODY_MAX 4096

enum status_format {
	STATUS_TEXT,	   /* nginx stub_status layout, then extra lines */
	STATUS_PROMETHEUS, /* text exposition format 0.0.4 */
	STATUS_FORMAT_BAD, /* format= names something else: 400 */
};

/* The query (after '?', still encoded): the last "format=" parameter
 * decides; "text" (or none, or empty) is text, "prometheus" is
 * Prometheus, both case-insensitive; any other value is bad. */
enum status_format status_format_parse(const char *query, size_t len);
/* Content-Type of a format's page. */
const char *status_content_type(enum status_format format);
/* Render t as format into out[cap] (NUL-terminated when cap > 0).
 * Returns the page's length; a value >= cap means it was cut. */
size_t status_render(const struct stats_totals *t, enum status_format format,
		     char *out, size_t cap);

#endif
