/*
 * log_format.h - access_log_format (DESIGN.md §11): "combined", "json" or
 * a string of nginx-style $variables, compiled once at config load and
 * rendered per request into a caller's buffer.  Pure: no I/O.
 */
#ifndef WEBSERV_LOG_FORMAT_H
#define WEBSERV_LOG_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

enum log_var {
	LV_REMOTE_ADDR,
	LV_REMOTE_USER,
	LV_TIME_LOCAL,
	LV_TIME_ISO8601,
	LV_MSEC,
	LV_REQUEST,
	LV_REQUEST_METHOD,
	LV_REQUEST_URI,
	LV_SERVER_PROTOCOL,
	LV_STATUS,
	LV_BODY_BYTES_SENT,
	LV_BYTES_SENT,
	LV_HTTP_REFERER,
	LV_HTTP_USER_AGENT,
	LV_REQUEST_ID,
	LV_REQUEST_TIME,
	LV_HOST,
	LV_SCHEME,
	LV_SSL_PROTOCOL,
	LV_SSL_CIPHER,
	LV_SERVER_PORT,
	LV_REMOTE_PORT,
	LV_REALIP_REMOTE_ADDR,
	LV_COUNT,
	LV_HTTP_FIELD, /* $http_<name>: any request field */
	LV_LITERAL,
};

/* How values are escaped: nginx's default ("\xHH" for '"', '\\' and
 * bytes outside printable ASCII; an empty value is "-"), or JSON
 * (every byte outside printable ASCII, '"' and '\\' as "\u00HH" or
 * "\"", "\\": the line is ASCII and always valid JSON; empty is ""). */
enum log_escape { LOG_ESCAPE_DEFAULT, LOG_ESCAPE_JSON };

struct log_op {
	uint8_t var;  /* enum log_var */
	uint32_t off; /* LV_LITERAL: text; LV_HTTP_FIELD: the field name */
	uint32_t len;
};

struct log_format {
	enum log_escape escape;
	char *text; /* literals and field names */
	struct log_op *ops;
	size_t op_count;
	size_t lit_total; /* bytes of literal text */
	uint32_t uses;	  /* bit (1u << enum log_var) per variable used */
};

/* Whether f renders variable var (so its value need not be made). */
#define LOG_FORMAT_USES(f, var) (((f)->uses >> (var)) & 1u)

/* Every value as bytes (len 0: empty); request: the raw request line,
 * used for $request when method is empty (a request that did not
 * parse); fields: the request's field block, for $http_<name>. */
struct log_values {
	struct slice v[LV_COUNT];
	struct slice fields;
};

/* Longest literal text a format may hold: a line always has room for
 * all of its literals, so a long value is cut, never the structure. */
#define LOG_FORMAT_LITERAL_MAX 1024
/* Ops in a format (a variable and the text before it are two). */
#define LOG_FORMAT_OPS_MAX 256

/*
 * Compile spec ("combined", "json" or a format string) into *out.
 * 0, or -1 with *why set to a static message; unknown variables are
 * written into why_buf (cap bytes) naming the variable.
 */
int log_format_compile(const char *spec, struct log_format *out, char *why,
		       size_t cap);
void log_format_free(struct log_format *f);
/*
 * One line into out (cap >= 2 * LOG_FORMAT_LITERAL_MAX), ending with
 * '\n'; never more than cap bytes, always whole: a value that does not
 * fit is cut at an escape boundary, the literals are never cut.
 * Returns the length.
 */
size_t log_format_render(const struct log_format *f, const struct log_values *v,
			 char *out, size_t cap);

#endif
