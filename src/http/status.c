/*
 * status.c - the page of a `status = true` location, from a snapshot of
 * the counters (stats.h).
 *
 * Text: the first four lines are nginx's stub_status, byte for byte
 * (trailing spaces included), so the tools that scrape nginx read it;
 * our own "Name: value" lines follow.  Prometheus: text exposition format
 * 0.0.4, every family with its # HELP and # TYPE lines, counters named
 * *_total, gauges without.  Pure: never reads a counter or the clock.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "status.h"

struct page {
	char *out;
	size_t cap;
	size_t len; /* what the page needs, even past cap */
};

static void put(struct page *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(struct page *p, const char *fmt, ...)
{
	size_t room = p->len < p->cap ? p->cap - p->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? p->out + p->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		p->len += (size_t)n;
}

static bool value_is(const char *v, size_t len, const char *word)
{
	return len == strlen(word) && strncasecmp(v, word, len) == 0;
}

enum status_format status_format_parse(const char *query, size_t len)
{
	static const char key[] = "format=";
	enum status_format format = STATUS_TEXT;
	size_t pos = 0;

	while (pos < len) {
		const char *param = query + pos;
		const char *amp = memchr(param, '&', len - pos);
		size_t plen = amp ? (size_t)(amp - param) : len - pos;

		pos += plen + 1;
		if (plen < sizeof(key) - 1 ||
		    strncasecmp(param, key, sizeof(key) - 1) != 0)
			continue;
		param += sizeof(key) - 1;
		plen -= sizeof(key) - 1;
		if (plen == 0 || value_is(param, plen, "text"))
			format = STATUS_TEXT;
		else if (value_is(param, plen, "prometheus"))
			format = STATUS_PROMETHEUS;
		else
			format = STATUS_FORMAT_BAD;
	}
	return format;
}

const char *status_content_type(enum status_format format)
{
	if (format == STATUS_PROMETHEUS)
		return "text/plain; version=0.0.4; charset=utf-8";
	return "text/plain; charset=utf-8";
}

static uint64_t active(const struct stats_totals *t)
{
	return t->gauge[STAT_WAITING] + t->gauge[STAT_READING] +
	       t->gauge[STAT_WRITING];
}

static void render_text(struct page *p, const struct stats_totals *t)
{
	const uint64_t *c = t->ctr;

	/* nginx stub_status: these four lines exactly */
	put(p, "Active connections: %" PRIu64 " \n", active(t));
	put(p, "server accepts handled requests\n");
	put(p, " %" PRIu64 " %" PRIu64 " %" PRIu64 " \n", c[STAT_ACCEPTED],
	    c[STAT_HANDLED], c[STAT_REQUESTS]);
	put(p,
	    "Reading: %" PRIu64 " Writing: %" PRIu64 " Waiting: %" PRIu64 " \n",
	    t->gauge[STAT_READING], t->gauge[STAT_WRITING],
	    t->gauge[STAT_WAITING]);
	/* ours */
	put(p,
	    "Responses: 1xx: %" PRIu64 " 2xx: %" PRIu64 " 3xx: %" PRIu64
	    " 4xx: %" PRIu64 " 5xx: %" PRIu64 "\n",
	    c[STAT_RESP_1XX], c[STAT_RESP_2XX], c[STAT_RESP_3XX],
	    c[STAT_RESP_4XX], c[STAT_RESP_5XX]);
	put(p, "Bytes sent: %" PRIu64 "\n", c[STAT_BYTES_SENT]);
	put(p, "CGI processes: %" PRIu64 "\n", t->gauge[STAT_CGI]);
	put(p, "Workers: %" PRIu64 "\n", t->workers);
	put(p, "Generation: %" PRIu64 "\n", t->generation);
	put(p, "Uptime: %" PRIu64 "\n", t->uptime_s);
	put(p, "Compressed responses: %" PRIu64 "\n", c[STAT_COMPRESSED]);
	put(p, "Compressed bytes sent: %" PRIu64 "\n",
	    c[STAT_COMPRESSED_BYTES]);
	put(p, "HTTP/2 connections: %" PRIu64 "\n", c[STAT_H2_CONNECTIONS]);
	put(p, "HTTP/2 streams: %" PRIu64 "\n", c[STAT_H2_STREAMS]);
}

/* One family without labels: # HELP, # TYPE, the sample. */
static void family(struct page *p, const char *name, const char *type,
		   const char *help, uint64_t value)
{
	put(p,
	    "# HELP webserv_%s %s\n# TYPE webserv_%s %s\nwebserv_%s %" PRIu64
	    "\n",
	    name, help, name, type, name, value);
}

static void render_prometheus(struct page *p, const struct stats_totals *t)
{
	const uint64_t *c = t->ctr;

	family(p, "connections_accepted_total", "counter",
	       "Client connections accepted.", c[STAT_ACCEPTED]);
	family(p, "connections_handled_total", "counter",
	       "Client connections taken over by a worker.", c[STAT_HANDLED]);
	family(p, "connections_active", "gauge",
	       "Open client connections (reading + writing + waiting).",
	       active(t));
	family(p, "connections_reading", "gauge",
	       "Connections receiving a request head.", t->gauge[STAT_READING]);
	family(p, "connections_writing", "gauge",
	       "Connections busy with a request (body, CGI or response).",
	       t->gauge[STAT_WRITING]);
	family(p, "connections_waiting", "gauge",
	       "Idle connections waiting for a request.",
	       t->gauge[STAT_WAITING]);
	family(p, "requests_total", "counter",
	       "Requests received (complete heads, and refused ones).",
	       c[STAT_REQUESTS]);
	put(p, "# HELP webserv_responses_total Responses sent, by status "
	       "class.\n# TYPE webserv_responses_total counter\n");
	for (int i = 0; i < 5; i++)
		put(p, "webserv_responses_total{class=\"%dxx\"} %" PRIu64 "\n",
		    i + 1, c[STAT_RESP_1XX + i]);
	family(p, "sent_bytes_total", "counter",
	       "Bytes written to clients, headers included.",
	       c[STAT_BYTES_SENT]);
	family(p, "cgi_processes", "gauge", "CGI processes running.",
	       t->gauge[STAT_CGI]);
	family(p, "workers", "gauge", "Worker processes running.", t->workers);
	family(p, "config_generation", "gauge",
	       "Configuration generation serving (1 at start, +1 per reload).",
	       t->generation);
	family(p, "uptime_seconds", "gauge",
	       "Seconds since the master process started.", t->uptime_s);
	family(p, "start_time_seconds", "gauge",
	       "Start time of the master process, Unix time.", t->start_time_s);
	family(p, "compressed_responses_total", "counter",
	       "Responses sent with a Content-Encoding (compress, "
	       "static_compressed).",
	       c[STAT_COMPRESSED]);
	family(p, "compressed_sent_bytes_total", "counter",
	       "Body bytes of those responses sent, as compressed.",
	       c[STAT_COMPRESSED_BYTES]);
	family(p, "h2_connections_total", "counter",
	       "Client connections that spoke HTTP/2.", c[STAT_H2_CONNECTIONS]);
	family(p, "h2_streams_total", "counter", "HTTP/2 requests (streams).",
	       c[STAT_H2_STREAMS]);
}

size_t status_render(const struct stats_totals *t, enum status_format format,
		     char *out, size_t cap)
{
	struct page p = {.out = out, .cap = cap};

	if (cap > 0)
		out[0] = '\0';
	if (format == STATUS_PROMETHEUS)
		render_prometheus(&p, t);
	else
		render_text(&p, t);
	return p.len;
}
