/*
 * test_status.c - the status page (status.c) as a pure function, the
 * shared counter map (stats.c: slots, folding a dead worker's counters,
 * snapshots), and status locations through http_handle (methods, formats,
 * allow list, HEAD).
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler.h"
#include "method.h"
#include "stats.h"
#include "status.h"

static struct stats_totals sample(void)
{
	struct stats_totals t = {.workers = 2,
				 .generation = 3,
				 .uptime_s = 3600,
				 .start_time_s = 1700000000};

	t.ctr[STAT_ACCEPTED] = 10;
	t.ctr[STAT_HANDLED] = 9;
	t.ctr[STAT_REQUESTS] = 25;
	t.ctr[STAT_RESP_1XX] = 1;
	t.ctr[STAT_RESP_2XX] = 20;
	t.ctr[STAT_RESP_3XX] = 2;
	t.ctr[STAT_RESP_4XX] = 3;
	t.ctr[STAT_RESP_5XX] = 4;
	t.ctr[STAT_BYTES_SENT] = 123456789012ULL;
	t.ctr[STAT_COMPRESSED] = 6;
	t.ctr[STAT_COMPRESSED_BYTES] = 4567;
	t.ctr[STAT_H2_CONNECTIONS] = 8;
	t.ctr[STAT_H2_STREAMS] = 11;
	t.gauge[STAT_READING] = 1;
	t.gauge[STAT_WRITING] = 2;
	t.gauge[STAT_WAITING] = 4;
	t.gauge[STAT_CGI] = 5;
	return t;
}

static char page[STATUS_BODY_MAX];

/* --- text ----------------------------------------------------------------- */

Test(status_page, text_is_nginx_stub_status_then_ours)
{
	struct stats_totals t = sample();
	/* nginx's four lines, trailing spaces included */
	const char want[] = "Active connections: 7 \n"
			    "server accepts handled requests\n"
			    " 10 9 25 \n"
			    "Reading: 1 Writing: 2 Waiting: 4 \n"
			    "Responses: 1xx: 1 2xx: 20 3xx: 2 4xx: 3 5xx: 4\n"
			    "Bytes sent: 123456789012\n"
			    "CGI processes: 5\n"
			    "Workers: 2\n"
			    "Generation: 3\n"
			    "Uptime: 3600\n"
			    "Compressed responses: 6\n"
			    "Compressed bytes sent: 4567\n"
			    "HTTP/2 connections: 8\n"
			    "HTTP/2 streams: 11\n";
	size_t len = status_render(&t, STATUS_TEXT, page, sizeof(page));

	cr_expect_eq(len, strlen(want));
	cr_expect_str_eq(page, want);
}

Test(status_page, largest_values_fit)
{
	struct stats_totals t;

	memset(&t, 0xff, sizeof(t));
	/* active = the sum of three UINT64_MAX gauges wraps: still a number */
	cr_expect_lt(status_render(&t, STATUS_TEXT, page, sizeof(page)),
		     sizeof(page));
	cr_expect_lt(status_render(&t, STATUS_PROMETHEUS, page, sizeof(page)),
		     sizeof(page));
}

Test(status_page, short_buffer_is_cut_and_terminated)
{
	struct stats_totals t = sample();
	size_t full = status_render(&t, STATUS_TEXT, page, sizeof(page));
	char small[16];

	memset(small, 'x', sizeof(small));
	cr_expect_eq(status_render(&t, STATUS_TEXT, small, 10), full);
	cr_expect_eq(small[9], '\0');
	cr_expect_eq(small[10], 'x', "wrote past cap");
	cr_expect_eq(memcmp(small, page, 9), 0);
	cr_expect_eq(status_render(&t, STATUS_PROMETHEUS, NULL, 0),
		     status_render(&t, STATUS_PROMETHEUS, page, sizeof(page)));
}

/* --- Prometheus ------------------------------------------------------------
 */

/* Value of the sample `name` (with its labels, if any) in text; -1. */
static long long sample_value(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, n) == 0 && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return -1;
}

Test(status_page, prometheus_values)
{
	struct stats_totals t = sample();

	status_render(&t, STATUS_PROMETHEUS, page, sizeof(page));
	static const struct {
		const char *name;
		long long value;
	} want[] = {
	    {"webserv_connections_accepted_total", 10},
	    {"webserv_connections_handled_total", 9},
	    {"webserv_connections_active", 7},
	    {"webserv_connections_reading", 1},
	    {"webserv_connections_writing", 2},
	    {"webserv_connections_waiting", 4},
	    {"webserv_requests_total", 25},
	    {"webserv_responses_total{class=\"1xx\"}", 1},
	    {"webserv_responses_total{class=\"2xx\"}", 20},
	    {"webserv_responses_total{class=\"3xx\"}", 2},
	    {"webserv_responses_total{class=\"4xx\"}", 3},
	    {"webserv_responses_total{class=\"5xx\"}", 4},
	    {"webserv_sent_bytes_total", 123456789012LL},
	    {"webserv_cgi_processes", 5},
	    {"webserv_workers", 2},
	    {"webserv_config_generation", 3},
	    {"webserv_uptime_seconds", 3600},
	    {"webserv_start_time_seconds", 1700000000},
	    {"webserv_compressed_responses_total", 6},
	    {"webserv_compressed_sent_bytes_total", 4567},
	    {"webserv_h2_connections_total", 8},
	    {"webserv_h2_streams_total", 11},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_expect_eq(sample_value(page, want[i].name), want[i].value,
			     "%s", want[i].name);
}

static bool metric_name_ok(const char *s, size_t n)
{
	if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return false;
	return true;
}

/*
 * Exposition format 0.0.4: every sample's family was announced by # HELP
 * then # TYPE (counter: name ends in _total; gauge: it does not), each
 * family once; a sample is `name[{labels}] value`; the page ends in \n.
 */
Test(status_page, prometheus_is_well_formed)
{
	struct stats_totals t = sample();
	char family[128] = "", type[16] = "", seen[2048] = " ";
	size_t len = status_render(&t, STATUS_PROMETHEUS, page, sizeof(page));
	int samples = 0;

	cr_assert_gt(len, 0);
	cr_expect_eq(page[len - 1], '\n');
	for (char *line = strtok(page, "\n"); line; line = strtok(NULL, "\n")) {
		char name[128], word[16];
		if (strncmp(line, "# HELP ", 7) == 0) {
			cr_assert_eq(sscanf(line + 7, "%127s", family), 1);
			cr_expect(metric_name_ok(family, strlen(family)), "%s",
				  line);
			cr_expect(strlen(line + 7) > strlen(family) + 1,
				  "no help text: %s", line);
			/* each family once */
			char key[132];
			snprintf(key, sizeof(key), " %s ", family);
			cr_expect_null(strstr(seen, key), "twice: %s", family);
			strncat(seen, family, sizeof(seen) - strlen(seen) - 2);
			strcat(seen, " ");
			type[0] = '\0';
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			cr_assert_eq(sscanf(line + 7, "%127s %15s", name, word),
				     2);
			cr_expect_str_eq(name, family, "TYPE before HELP");
			cr_expect(strcmp(word, "counter") == 0 ||
				      strcmp(word, "gauge") == 0,
				  "%s", line);
			size_t n = strlen(name);
			bool total =
			    n > 6 && strcmp(name + n - 6, "_total") == 0;
			cr_expect_eq(total, strcmp(word, "counter") == 0,
				     "naming: %s", line);
			snprintf(type, sizeof(type), "%s", word);
			continue;
		}
		cr_expect_neq(line[0], '#', "unknown comment: %s", line);
		size_t n = strcspn(line, "{ ");
		cr_expect(metric_name_ok(line, n), "%s", line);
		cr_expect(n == strlen(family) && strncmp(line, family, n) == 0,
			  "sample outside its family: %s", line);
		cr_expect_neq(type[0], '\0', "no TYPE: %s", line);
		char *value = strrchr(line, ' ');
		cr_assert_not_null(value);
		char *end;
		strtoull(value + 1, &end, 10);
		cr_expect(end != value + 1 && *end == '\0', "value: %s", line);
		samples++;
	}
	cr_expect_eq(samples, 22);
}

/* --- format= ------------------------------------------------------------- */

Test(status_page, format_from_the_query)
{
	static const struct {
		const char *query;
		enum status_format want;
	} cases[] = {
	    {"", STATUS_TEXT},
	    {"format=text", STATUS_TEXT},
	    {"format=", STATUS_TEXT},
	    {"format=prometheus", STATUS_PROMETHEUS},
	    {"format=Prometheus", STATUS_PROMETHEUS},
	    {"a=1&format=prometheus&b", STATUS_PROMETHEUS},
	    {"format=prometheus&format=text", STATUS_TEXT},
	    {"format=xml", STATUS_FORMAT_BAD},
	    {"format=prometheusx", STATUS_FORMAT_BAD},
	    {"format=prom", STATUS_FORMAT_BAD},
	    {"xformat=prometheus", STATUS_TEXT},
	    {"formats=prometheus", STATUS_TEXT},
	    {"&&", STATUS_TEXT},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(
		    status_format_parse(cases[i].query, strlen(cases[i].query)),
		    cases[i].want, "%s", cases[i].query);
	/* the query is not NUL-terminated in a request buffer */
	cr_expect_eq(status_format_parse("format=prometheusXYZ", 17),
		     STATUS_PROMETHEUS);
	cr_expect_eq(status_format_parse(NULL, 0), STATUS_TEXT);
	cr_expect_str_eq(status_content_type(STATUS_PROMETHEUS),
			 "text/plain; version=0.0.4; charset=utf-8");
	cr_expect_str_eq(status_content_type(STATUS_TEXT),
			 "text/plain; charset=utf-8");
}

/* --- the shared map --------------------------------------------------------
 */

Test(stats, snapshot_sums_slots_and_retired)
{
	struct stats_shared *s = stats_create(8);
	struct stats_totals t;

	cr_assert_not_null(s);
	struct stats_slot *a = stats_slot_open(s, 0);
	struct stats_slot *b = stats_slot_open(s, 3);
	stats_add(&a->ctr[STAT_REQUESTS], 5);
	stats_add(&b->ctr[STAT_REQUESTS], 7);
	stats_add(&a->gauge[STAT_WAITING], 2);
	stats_add(&b->gauge[STAT_WRITING], 1);
	stats_add(&b->gauge[STAT_WRITING], 1);
	stats_sub(&b->gauge[STAT_WRITING], 1);
	stats_snapshot(s, &t);
	cr_expect_eq(t.ctr[STAT_REQUESTS], 12);
	cr_expect_eq(t.gauge[STAT_WAITING], 2);
	cr_expect_eq(t.gauge[STAT_WRITING], 1);
	cr_expect_eq(t.workers, 2);
	cr_expect_eq(t.generation, 1);
	cr_expect_lt(t.uptime_s, 5);
	cr_expect_gt(t.start_time_s, 1600000000);
	stats_destroy(s);
}

Test(stats, a_dead_workers_counters_stay_and_its_gauges_go)
{
	struct stats_shared *s = stats_create(4);
	struct stats_totals before, after;

	cr_assert_not_null(s);
	struct stats_slot *a = stats_slot_open(s, 0);
	struct stats_slot *b = stats_slot_open(s, 1);
	for (int i = 0; i < STAT_COUNTERS; i++) {
		stats_add(&a->ctr[i], 100 + (uint64_t)i);
		stats_add(&b->ctr[i], 1);
	}
	stats_add(&a->gauge[STAT_READING], 3);
	stats_add(&a->gauge[STAT_CGI], 2);
	stats_add(&b->gauge[STAT_WAITING], 1);
	stats_snapshot(s, &before);

	stats_slot_retire(s, 0); /* reaped */
	stats_snapshot(s, &after);
	for (int i = 0; i < STAT_COUNTERS; i++)
		cr_expect_eq(after.ctr[i], before.ctr[i], "counter %d", i);
	cr_expect_eq(after.gauge[STAT_READING], 0);
	cr_expect_eq(after.gauge[STAT_CGI], 0);
	cr_expect_eq(after.gauge[STAT_WAITING], 1);
	cr_expect_eq(after.workers, 1);
	cr_expect_eq(s->seq % 2, 0);

	/* the slot is clean for its next worker, which counts on top */
	a = stats_slot_open(s, 0);
	for (int i = 0; i < STAT_COUNTERS; i++)
		cr_expect_eq(a->ctr[i], 0);
	stats_add(&a->ctr[STAT_REQUESTS], 1);
	stats_snapshot(s, &after);
	cr_expect_eq(after.ctr[STAT_REQUESTS], before.ctr[STAT_REQUESTS] + 1);
	cr_expect_eq(after.workers, 2);
	stats_set_generation(s, 2);
	stats_snapshot(s, &after);
	cr_expect_eq(after.generation, 2);
	stats_destroy(s);
}

Test(stats, slots_have_their_own_cache_lines)
{
	cr_expect_eq(sizeof(struct stats_slot) % 64, 0);
	cr_expect_eq(offsetof(struct stats_shared, slots) % 64, 0);
}

/* --- through http_handle ------------------------------------------------- */

static struct location locs[2];
static size_t listen0[] = {0};
static struct server server;
static struct config cfg;
static struct cidr loopback;
static struct sockaddr_in peer_local, peer_remote;
static struct http_ctx ctx;
static struct stats_shared *shared;
static struct http_request req;
static struct http_route route;
static struct response resp;

static void setup(void)
{
	locs[0] = (struct location){.path = "/status",
				    .path_len = 7,
				    .methods = METHOD_BIT(HTTP_GET) |
					       METHOD_BIT(HTTP_HEAD),
				    .status = true,
				    .allow = &loopback,
				    .allow_count = 1,
				    .client_max_body_size = 1000};
	locs[1] = (struct location){.path = "/",
				    .path_len = 1,
				    .root = "/nonexistent",
				    .methods = METHOD_BIT(HTTP_GET) |
					       METHOD_BIT(HTTP_HEAD)};
	loopback = (struct cidr){.family = AF_INET, .addr = {127}, .prefix = 8};
	server = (struct server){.listens = listen0,
				 .listen_count = 1,
				 .default_server = true,
				 .locations = locs,
				 .location_count = 2};
	cfg = (struct config){
	    .servers = &server, .server_count = 1, .listen_count = 1};
	peer_local.sin_family = AF_INET;
	peer_local.sin_addr.s_addr = htonl(0x7f000001);
	peer_remote.sin_family = AF_INET;
	peer_remote.sin_addr.s_addr = htonl(0x0a000001);
	shared = stats_create(2);
	cr_assert_not_null(shared);
	struct stats_slot *slot = stats_slot_open(shared, 0);
	stats_add(&slot->ctr[STAT_REQUESTS], 41);
	stats_add(&slot->ctr[STAT_ACCEPTED], 3);
	ctx = (struct http_ctx){.cfg = &cfg,
				.peer = (const struct sockaddr *)&peer_local,
				.stats = shared};
}

static void teardown(void)
{
	response_reset(&resp);
	stats_destroy(shared);
}

TestSuite(status_handler, .init = setup, .fini = teardown);

static enum http_next run(const char *raw)
{
	int status = 0;
	int n = http_parse_head(raw, strlen(raw), 8192, &req, &status);

	cr_assert_gt(n, 0, "unparsable: %s", raw);
	response_reset(&resp);
	response_init(&resp);
	return http_handle(&ctx, &req, &route, &resp);
}

static const char *field(const char *name)
{
	static char value[256];
	char key[64];
	const char *p, *end;

	snprintf(key, sizeof(key), "\r\n%s: ", name);
	value[0] = '\0';
	if ((p = strstr(resp.head, key)) == NULL)
		return value;
	p += strlen(key);
	end = strstr(p, "\r\n");
	snprintf(value, sizeof(value), "%.*s", (int)(end - p), p);
	return value;
}

static char *body_text(void)
{
	static char text[STATUS_BODY_MAX + 1];

	cr_assert_eq(resp.body_kind, BODY_MEM);
	memcpy(text, resp.mem, resp.mem_len);
	text[resp.mem_len] = '\0';
	return text;
}

Test(status_handler, get_text_and_prometheus)
{
	char len[32];

	cr_expect_eq(run("GET /status HTTP/1.1\r\nHost: a\r\n\r\n"),
		     NEXT_RESPOND);
	cr_expect_eq(resp.status, 200);
	cr_expect_str_eq(field("Content-Type"), "text/plain; charset=utf-8");
	cr_expect_str_eq(field("Cache-Control"), "no-store");
	char *text = body_text();
	snprintf(len, sizeof(len), "%zu", strlen(text));
	cr_expect_str_eq(field("Content-Length"), len);
	cr_expect_not_null(strstr(text, "server accepts handled requests\n"
					" 3 0 41 \n"),
			   "%s", text);

	run("GET /status?format=prometheus HTTP/1.1\r\nHost: a\r\n\r\n");
	cr_expect_eq(resp.status, 200);
	cr_expect_str_eq(field("Content-Type"),
			 "text/plain; version=0.0.4; charset=utf-8");
	cr_expect_eq(sample_value(body_text(), "webserv_requests_total"), 41);

	/* a prefix location: anything below it is the page too */
	run("GET /status/x?format=text HTTP/1.1\r\nHost: a\r\n\r\n");
	cr_expect_eq(resp.status, 200);
	cr_expect_not_null(strstr(body_text(), "Active connections: "));
}

Test(status_handler, head_has_the_length_and_no_body)
{
	run("GET /status HTTP/1.1\r\nHost: a\r\n\r\n");
	char get_len[32];
	snprintf(get_len, sizeof(get_len), "%s", field("Content-Length"));

	run("HEAD /status HTTP/1.1\r\nHost: a\r\n\r\n");
	cr_expect_eq(resp.status, 200);
	cr_expect_eq(resp.body_kind, BODY_NONE);
	cr_expect_str_eq(field("Content-Length"), get_len);
}

Test(status_handler, other_methods_are_405_with_allow)
{
	static const char *const raws[] = {
	    "POST /status HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
	    "DELETE /status HTTP/1.1\r\nHost: a\r\n\r\n",
	    "OPTIONS /status HTTP/1.1\r\nHost: a\r\n\r\n",
	};

	for (size_t i = 0; i < sizeof(raws) / sizeof(raws[0]); i++) {
		run(raws[i]);
		cr_expect_eq(resp.status, 405, "%s", raws[i]);
		cr_expect_str_eq(field("Allow"), "GET, HEAD", "%s", raws[i]);
	}
	/* even when the location's methods list more */
	locs[0].methods |= METHOD_BIT(HTTP_POST) | METHOD_BIT(HTTP_OPTIONS);
	run(raws[0]);
	cr_expect_eq(resp.status, 405);
	cr_expect_str_eq(field("Allow"), "GET, HEAD");
	run(raws[2]);
	cr_expect_eq(resp.status, 405);
}

Test(status_handler, unknown_format_is_400)
{
	run("GET /status?format=json HTTP/1.1\r\nHost: a\r\n\r\n");
	cr_expect_eq(resp.status, 400);
}

Test(status_handler, allow_list_applies)
{
	ctx.peer = (const struct sockaddr *)&peer_remote;
	run("GET /status HTTP/1.1\r\nHost: a\r\n\r\n");
	cr_expect_eq(resp.status, 403);
	cr_expect(resp.mem == NULL ||
		  memmem(resp.mem, resp.mem_len, "accepts", 7) == NULL);
}

Test(status_handler, without_counters_503)
{
	ctx.stats = NULL;
	run("GET /status HTTP/1.1\r\nHost: a\r\n\r\n");
	cr_expect_eq(resp.status, 503);
}
