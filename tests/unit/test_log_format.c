/*
 * test_log_format.c - access_log_format compile and render (log_format.c):
 * "combined" is nginx's line, "json" always parses (every byte a client
 * can send is escaped), $variables resolve, unknown ones are refused, and
 * a value too long for the line is cut without cutting the structure.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "log_format.h"

static struct slice sl(const char *s)
{
	return (struct slice){s, strlen(s)};
}

static void values(struct log_values *v)
{
	*v = (struct log_values){0};
	v->v[LV_REMOTE_ADDR] = sl("192.0.2.7");
	v->v[LV_TIME_LOCAL] = sl("07/Dec/2026:12:00:00 +0000");
	v->v[LV_TIME_ISO8601] = sl("2026-12-07T12:00:00+00:00");
	v->v[LV_REQUEST_METHOD] = sl("GET");
	v->v[LV_REQUEST_URI] = sl("/a?b=1");
	v->v[LV_SERVER_PROTOCOL] = sl("HTTP/1.1");
	v->v[LV_STATUS] = sl("200");
	v->v[LV_BODY_BYTES_SENT] = sl("6");
	v->v[LV_BYTES_SENT] = sl("150");
	v->v[LV_REQUEST_TIME] = sl("0.002");
	v->v[LV_REQUEST_ID] = sl("abc");
	v->v[LV_HTTP_USER_AGENT] = sl("curl/8");
	v->v[LV_SCHEME] = sl("http");
}

static const char *render(const char *spec, const struct log_values *v,
			  char *out, size_t cap)
{
	struct log_format f;
	char why[128];
	size_t n;

	cr_assert_eq(log_format_compile(spec, &f, why, sizeof(why)), 0,
		     "%s: %s", spec, why);
	n = log_format_render(&f, v, out, cap - 1);
	out[n] = '\0';
	log_format_free(&f);
	return out;
}

Test(log_format, combined_is_nginx_combined)
{
	struct log_values v;
	char out[4096];

	values(&v);
	cr_assert_str_eq(render("combined", &v, out, sizeof(out)),
			 "192.0.2.7 - - [07/Dec/2026:12:00:00 +0000] "
			 "\"GET /a?b=1 HTTP/1.1\" 200 6 \"-\" \"curl/8\"\n");
	/* a request that did not parse: its raw line, escaped */
	v.v[LV_REQUEST_METHOD] = sl("");
	v.v[LV_REQUEST] = sl("BAD \"x\"\x01");
	v.v[LV_HTTP_USER_AGENT] = sl("");
	cr_assert_str_eq(render("combined", &v, out, sizeof(out)),
			 "192.0.2.7 - - [07/Dec/2026:12:00:00 +0000] "
			 "\"BAD \\x22x\\x22\\x01\" 200 6 \"-\" \"-\"\n");
}

Test(log_format, variables_and_fields)
{
	struct log_values v;
	char out[4096];
	static const char fields[] = "Host: a\r\nX-Forwarded-For: 10.1.2.3\r\n";

	values(&v);
	v.fields = (struct slice){fields, sizeof(fields) - 1};
	cr_assert_str_eq(
	    render("$status ${request_id}x $scheme "
		   "$http_x_forwarded_for $http_x_none $ssl_cipher "
		   "$request_time",
		   &v, out, sizeof(out)),
	    "200 abcx http 10.1.2.3 - - 0.002\n");
}

Test(log_format, unknown_variables_are_refused)
{
	static const char *const bad[] = {
	    "$nope", "$status $remote_adr", "${status", "x $", "$http_", "",
	};
	struct log_format f;
	char why[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		cr_expect_eq(log_format_compile(bad[i], &f, why, sizeof(why)),
			     -1, "accepted \"%s\"", bad[i]);
		cr_expect_neq(why[0], '\0', "no reason for \"%s\"", bad[i]);
	}
	cr_assert_eq(log_format_compile("$nope", &f, why, sizeof(why)), -1);
	cr_expect(strstr(why, "$nope") != NULL, "%s", why);
}

/* Every byte value in every client field: ASCII out, and each escape
 * decodes back to the byte (checked by decoding \u00HH here). */
Test(log_format, json_escapes_every_byte)
{
	struct log_values v;
	char hostile[256], out[8192], decoded[256];
	size_t n = 0;

	for (int i = 0; i < 256; i++)
		hostile[i] = (char)(i + 1); /* 1..255 then 0 */
	values(&v);
	v.v[LV_HTTP_USER_AGENT] = (struct slice){hostile, 256};
	render("json", &v, out, sizeof(out));
	for (const char *p = out; *p; p++)
		cr_assert(
		    ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f) ||
			*p == '\n',
		    "raw byte %02x", (unsigned char)*p);
	const char *p = strstr(out, "\"user_agent\":\"") + 14;
	while (*p != '"' && n < 256) {
		if (*p != '\\') {
			decoded[n++] = *p++;
		} else if (p[1] == 'u') {
			unsigned b;
			cr_assert_eq(sscanf(p + 2, "%4x", &b), 1);
			decoded[n++] = (char)b;
			p += 6;
		} else {
			cr_assert(p[1] == '"' || p[1] == '\\', "%.2s", p);
			decoded[n++] = p[1];
			p += 2;
		}
	}
	cr_assert_eq(n, 256);
	cr_assert_eq(memcmp(decoded, hostile, 256), 0);
	cr_assert_eq(strncmp(p, "\",\"ssl_protocol\"", 16), 0, "%s", p);
}

/* A value longer than the line: cut, the literals after it kept. */
Test(log_format, a_long_value_never_cuts_the_structure)
{
	static char big[100000];
	struct log_values v;
	char out[4096];

	memset(big, '"', sizeof(big) - 1);
	values(&v);
	v.v[LV_REQUEST_URI] = sl(big);
	render("json", &v, out, sizeof(out));
	size_t n = strlen(out);
	cr_assert_lt(n, sizeof(out));
	cr_assert_str_eq(out + n - 3, "\"}\n", "%s", out + n - 40);
	cr_assert(strstr(out, "\"status\":200,") != NULL);
	cr_assert(strstr(out, "\"ssl_cipher\":\"\"") != NULL);
	/* escapes are whole: no lone backslash before the closing quote */
	const char *uri = strstr(out, "\"uri\":\"") + 7;
	const char *end = strstr(uri, "\",\"protocol\"");
	cr_assert_not_null(end);
	cr_assert_eq((end - uri) % 2, 0);
}
