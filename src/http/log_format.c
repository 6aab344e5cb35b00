/*
 * log_format.c - compile access_log_format into ops (literal text or a
 * variable) and render one line from a request's values.
 *
 * Invariant: a rendered line is whole and well-formed for its escape
 * (a JSON line always parses): every literal fits, because the values
 * share only the room the literals leave (share_room).  Client
 * bytes are always escaped, so a request cannot forge a line.
 * Never does I/O.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log_format.h"

static const char *const var_names[LV_COUNT] = {
    [LV_REMOTE_ADDR] = "remote_addr",
    [LV_REMOTE_USER] = "remote_user",
    [LV_TIME_LOCAL] = "time_local",
    [LV_TIME_ISO8601] = "time_iso8601",
    [LV_MSEC] = "msec",
    [LV_REQUEST] = "request",
    [LV_REQUEST_METHOD] = "request_method",
    [LV_REQUEST_URI] = "request_uri",
    [LV_SERVER_PROTOCOL] = "server_protocol",
    [LV_STATUS] = "status",
    [LV_BODY_BYTES_SENT] = "body_bytes_sent",
    [LV_BYTES_SENT] = "bytes_sent",
    [LV_HTTP_REFERER] = "http_referer",
    [LV_HTTP_USER_AGENT] = "http_user_agent",
    [LV_REQUEST_ID] = "request_id",
    [LV_REQUEST_TIME] = "request_time",
    [LV_HOST] = "host",
    [LV_SCHEME] = "scheme",
    [LV_SSL_PROTOCOL] = "ssl_protocol",
    [LV_SSL_CIPHER] = "ssl_cipher",
    [LV_SERVER_PORT] = "server_port",
    [LV_REMOTE_PORT] = "remote_port",
    [LV_REALIP_REMOTE_ADDR] = "realip_remote_addr",
};

/* nginx's "combined", which goaccess and every log tool read. */
static const char combined[] =
    "$remote_addr - $remote_user [$time_local] \"$request\" $status "
    "$body_bytes_sent \"$http_referer\" \"$http_user_agent\"";

/* Numbers unquoted: the worker always gives them a value. */
static const char json[] =
    "{\"time\":\"$time_iso8601\",\"remote_addr\":\"$remote_addr\","
    "\"request_id\":\"$request_id\",\"request\":\"$request\","
    "\"method\":\"$request_method\",\"uri\":\"$request_uri\","
    "\"protocol\":\"$server_protocol\",\"status\":$status,"
    "\"body_bytes_sent\":$body_bytes_sent,\"bytes_sent\":$bytes_sent,"
    "\"request_time\":$request_time,\"host\":\"$host\","
    "\"scheme\":\"$scheme\",\"referer\":\"$http_referer\","
    "\"user_agent\":\"$http_user_agent\","
    "\"ssl_protocol\":\"$ssl_protocol\",\"ssl_cipher\":\"$ssl_cipher\"}";

static bool name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || (ch >= 'A' && ch <= 'Z');
}

static int lookup(const char *name, size_t len)
{
	for (int i = 0; i < LV_COUNT; i++)
		if (strlen(var_names[i]) == len &&
		    memcmp(var_names[i], name, len) == 0)
			return i;
	if (len > 5 && memcmp(name, "http_", 5) == 0)
		return LV_HTTP_FIELD;
	return -1;
}

static void add_op(struct log_format *f, int var, size_t off, size_t len)
{
	f->ops[f->op_count++] = (struct log_op){
	    .var = (uint8_t)var, .off = (uint32_t)off, .len = (uint32_t)len};
}

/* The ops of spec; text holds a copy of spec (literals point into it). */
static int parse(struct log_format *f, const char *spec, char *why, size_t cap)
{
	size_t n = strlen(spec), lit = 0, i = 0;

	while (i < n) {
		size_t start = i, name, name_len;
		bool brace;

		while (i < n && spec[i] != '$')
			i++;
		if (i > start) {
			add_op(f, LV_LITERAL, start, i - start);
			lit += i - start;
		}
		if (i == n)
			break;
		brace = i + 1 < n && spec[i + 1] == '{';
		name = i + 1 + brace;
		name_len = 0;
		while (name + name_len < n && name_char(spec[name + name_len]))
			name_len++;
		if (brace &&
		    (name + name_len >= n || spec[name + name_len] != '}')) {
			snprintf(why, cap, "unclosed ${ in access_log_format");
			return -1;
		}
		int var = name_len ? lookup(spec + name, name_len) : -1;
		if (var < 0) {
			snprintf(why, cap,
				 "unknown variable $%.*s in access_log_format",
				 (int)(name_len ? name_len : 1),
				 name_len ? spec + name : spec + i + 1);
			return -1;
		}
		if (var == LV_HTTP_FIELD)
			add_op(f, var, name + 5, name_len - 5);
		else
			add_op(f, var, 0, 0);
		if (var < LV_COUNT)
			f->uses |= 1u << var;
		i = name + name_len + brace;
	}
	if (lit > LOG_FORMAT_LITERAL_MAX) {
		snprintf(why, cap,
			 "access_log_format has more than %d bytes "
			 "of text",
			 LOG_FORMAT_LITERAL_MAX);
		return -1;
	}
	f->lit_total = lit;
	return 0;
}

int log_format_compile(const char *spec, struct log_format *out, char *why,
		       size_t cap)
{
	*out = (struct log_format){.escape = LOG_ESCAPE_DEFAULT};
	if (strcmp(spec, "combined") == 0) {
		spec = combined;
	} else if (strcmp(spec, "json") == 0) {
		spec = json;
		out->escape = LOG_ESCAPE_JSON;
	} else if (spec[0] == '\0') {
		snprintf(why, cap, "access_log_format is empty");
		return -1;
	}
	/* at most two ops per '$' (a literal before each variable) + 1 */
	size_t ops = 1;
	for (const char *p = spec; *p; p++)
		ops += *p == '$' ? 2 : 0;
	if (ops > LOG_FORMAT_OPS_MAX) {
		snprintf(why, cap,
			 "access_log_format has more than %d "
			 "variables",
			 LOG_FORMAT_OPS_MAX / 2 - 1);
		return -1;
	}
	out->text = strdup(spec);
	out->ops = calloc(ops, sizeof(*out->ops));
	if (out->text == NULL || out->ops == NULL) {
		snprintf(why, cap, "out of memory");
		goto fail;
	}
	if (parse(out, spec, why, cap) < 0)
		goto fail;
	return 0;
fail:
	log_format_free(out);
	return -1;
}

void log_format_free(struct log_format *f)
{
	free(f->text);
	free(f->ops);
	*f = (struct log_format){0};
}

static inline bool plain_byte(unsigned char ch)
{
	return ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\';
}

/* Append s escaped, not past limit; whole escapes only. */
static size_t put_value(char *out, size_t len, size_t limit, const char *s,
			size_t n, enum log_escape esc)
{
	static const char hex[] = "0123456789abcdef";
	static const char upper[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		size_t need = esc == LOG_ESCAPE_JSON ? 6 : 4;

		if (plain_byte(ch)) {
			/* a run of plain bytes (most of a line): one copy */
			size_t run = 1;
			while (i + run < n && len + run < limit &&
			       plain_byte((unsigned char)s[i + run]))
				run++;
			if (len + run > limit)
				break;
			memcpy(out + len, s + i, run);
			len += run;
			i += run - 1;
			continue;
		}
		if (esc == LOG_ESCAPE_JSON && (ch == '"' || ch == '\\'))
			need = 2;
		if (len + need > limit)
			break;
		if (need == 2) {
			out[len++] = '\\';
			out[len++] = (char)ch;
		} else if (esc == LOG_ESCAPE_JSON) {
			memcpy(out + len, "\\u00", 4);
			out[len + 4] = hex[ch >> 4];
			out[len + 5] = hex[ch & 15];
			len += 6;
		} else {
			out[len++] = '\\';
			out[len++] = 'x';
			out[len++] = upper[ch >> 4];
			out[len++] = upper[ch & 15];
		}
	}
	return len;
}

static bool field_name_eq(const char *field, size_t flen, const char *var,
			  size_t vlen)
{
	if (flen != vlen)
		return false;
	for (size_t i = 0; i < flen; i++) {
		char a = field[i], b = var[i];
		a = (char)(a >= 'A' && a <= 'Z' ? a + 32 : a == '-' ? '_' : a);
		b = (char)(b >= 'A' && b <= 'Z' ? b + 32 : b);
		if (a != b)
			return false;
	}
	return true;
}

static struct slice field_value(const struct log_values *v, const char *name,
				size_t len)
{
	struct http_header h;
	size_t pos = 0;

	while (v->fields.ptr &&
	       http_header_next(v->fields.ptr, v->fields.len, &pos, &h))
		if (field_name_eq(h.name.ptr, h.name.len, name, len))
			return h.value;
	return (struct slice){NULL, 0};
}

static size_t put_request(const struct log_values *v, char *out, size_t len,
			  size_t limit, enum log_escape esc)
{
	const struct slice *m = &v->v[LV_REQUEST_METHOD];

	len = put_value(out, len, limit, m->ptr, m->len, esc);
	len = put_value(out, len, limit, " ", 1, esc);
	len = put_value(out, len, limit, v->v[LV_REQUEST_URI].ptr,
			v->v[LV_REQUEST_URI].len, esc);
	len = put_value(out, len, limit, " ", 1, esc);
	return put_value(out, len, limit, v->v[LV_SERVER_PROTOCOL].ptr,
			 v->v[LV_SERVER_PROTOCOL].len, esc);
}

/* Bytes s takes once escaped. */
static size_t escaped_len(struct slice s, enum log_escape esc)
{
	size_t n = 0;

	for (size_t i = 0; i < s.len; i++) {
		unsigned char ch = (unsigned char)s.ptr[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
			n += 1;
		else if (esc == LOG_ESCAPE_JSON)
			n += ch == '"' || ch == '\\' ? 2 : 6;
		else
			n += 4;
	}
	return n;
}

static struct slice op_value(const struct log_format *f,
			     const struct log_values *v,
			     const struct log_op *op)
{
	if (op->var == LV_HTTP_FIELD)
		return field_value(v, f->text + op->off, op->len);
	return v->v[op->var];
}

static size_t op_len(const struct log_format *f, const struct log_values *v,
		     const struct log_op *op)
{
	if (op->var == LV_REQUEST && v->v[LV_REQUEST_METHOD].len)
		return escaped_len(v->v[LV_REQUEST_METHOD], f->escape) + 2 +
		       escaped_len(v->v[LV_REQUEST_URI], f->escape) +
		       escaped_len(v->v[LV_SERVER_PROTOCOL], f->escape);
	return escaped_len(op_value(f, v, op), f->escape) + 1; /* "-" */
}

static size_t capped_total(const struct log_format *f, const size_t *want,
			   size_t cap)
{
	size_t total = 0;

	for (size_t i = 0; i < f->op_count; i++)
		if (f->ops[i].var != LV_LITERAL)
			total += want[i] < cap ? want[i] : cap;
	return total;
}

/*
 * Room for each value: all it needs when the line has room for
 * everything, else the largest cap C such that every value cut to C
 * fits: one huge field is cut, the short ones (the status after it)
 * stay whole.
 */
static void share_room(const struct log_format *f, const struct log_values *v,
		       size_t room, size_t *want)
{
	size_t lo = 0, hi = room;

	size_t bound = 0;

	/* the common case, without looking at the bytes: even if every
	 * byte took the longest escape (6), everything fits */
	for (size_t i = 0; i < f->op_count; i++) {
		const struct log_op *op = &f->ops[i];
		size_t n = op->var == LV_LITERAL      ? 0
			   : op->var == LV_HTTP_FIELD ? v->fields.len
			   : op->var == LV_REQUEST
			       ? v->v[LV_REQUEST].len +
				     v->v[LV_REQUEST_URI].len +
				     v->v[LV_REQUEST_METHOD].len + 16
			       : v->v[op->var].len;
		want[i] = SIZE_MAX;
		bound += 6 * n + 1;
	}
	if (bound <= room)
		return;
	for (size_t i = 0; i < f->op_count; i++)
		if (f->ops[i].var != LV_LITERAL)
			want[i] = op_len(f, v, &f->ops[i]);
	if (capped_total(f, want, SIZE_MAX) <= room)
		return;
	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;
		if (capped_total(f, want, mid) <= room)
			lo = mid;
		else
			hi = mid - 1;
	}
	for (size_t i = 0; i < f->op_count; i++)
		if (f->ops[i].var != LV_LITERAL && want[i] > lo)
			want[i] = lo;
}

size_t log_format_render(const struct log_format *f, const struct log_values *v,
			 char *out, size_t cap)
{
	size_t want[LOG_FORMAT_OPS_MAX];
	size_t len = 0;

	share_room(f, v, cap - 1 - f->lit_total, want);
	for (size_t i = 0; i < f->op_count; i++) {
		const struct log_op *op = &f->ops[i];
		size_t limit = want[i] == SIZE_MAX ? cap - 1 : len + want[i];
		size_t start = len;
		struct slice s;

		if (op->var == LV_LITERAL) {
			memcpy(out + len, f->text + op->off, op->len);
			len += op->len;
			continue;
		}
		if (op->var == LV_REQUEST && v->v[LV_REQUEST_METHOD].len) {
			len = put_request(v, out, len, limit, f->escape);
		} else {
			s = op_value(f, v, op);
			len =
			    put_value(out, len, limit, s.ptr, s.len, f->escape);
		}
		if (len == start && f->escape == LOG_ESCAPE_DEFAULT &&
		    len < limit)
			out[len++] = '-';
	}
	out[len++] = '\n';
	return len;
}
