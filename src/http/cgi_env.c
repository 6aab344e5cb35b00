/*
 * cgi_env.c - the CGI/1.1 meta-variables (RFC 3875 §4.1) of a request.
 *
 * Strings are appended, NUL-separated, to one growing text buffer; at the
 * end the vector and the strings are laid out in a single block so the
 * caller frees one pointer.  Invariant: every variable name is emitted at
 * most once.  Pure: reads only getenv("PATH"), never does I/O, never
 * passes anything else of the server's environment on.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cgi.h"
#include "response.h"

struct env_text {
	char *data;
	size_t len;
	size_t cap;
	size_t count; /* complete "NAME=value" strings */
	bool failed;  /* an allocation failed: everything is moot */
};

static void env_put(struct env_text *t, const char *p, size_t n)
{
	if (t->failed || n == 0)
		return;
	if (n > t->cap - t->len) {
		size_t cap = t->cap ? t->cap : 1024;

		while (n > cap - t->len) {
			if (cap > SIZE_MAX / 2) {
				t->failed = true;
				return;
			}
			cap *= 2;
		}
		char *data = realloc(t->data, cap);
		if (data == NULL) {
			t->failed = true;
			return;
		}
		t->data = data;
		t->cap = cap;
	}
	memcpy(t->data + t->len, p, n);
	t->len += n;
}

/* A value: an environment string cannot hold a NUL, so it ends there. */
static void env_put_value(struct env_text *t, const char *p, size_t n)
{
	const char *nul = n ? memchr(p, '\0', n) : NULL;

	env_put(t, p, nul ? (size_t)(nul - p) : n);
}

static void env_end(struct env_text *t)
{
	env_put(t, "", 1);
	t->count++;
}

static void env_add(struct env_text *t, const char *name, const char *value,
		    size_t value_len)
{
	env_put(t, name, strlen(name));
	env_put(t, "=", 1);
	env_put_value(t, value, value_len);
	env_end(t);
}

static void env_add_str(struct env_text *t, const char *name, const char *s)
{
	env_add(t, name, s, strlen(s));
}

static void env_add_slice(struct env_text *t, const char *name, struct slice s)
{
	env_add(t, name, s.ptr, s.len);
}

static void env_add_num(struct env_text *t, const char *name, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)v);

	if (n < 0 || (size_t)n >= sizeof(num)) {
		t->failed = true;
		return;
	}
	env_add(t, name, num, (size_t)n);
}

/* RFC 3875 §4.1.18 maps '-' to '_': allow only what maps one-to-one. */
static bool header_name_ok(struct slice name)
{
	if (name.len == 0)
		return false;
	for (size_t i = 0; i < name.len; i++) {
		unsigned char c = (unsigned char)name.ptr[i];

		if (!(c == '-' || (c >= '0' && c <= '9') ||
		      (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
			return false;
	}
	return true;
}

static bool name_is(struct slice name, const char *lit)
{
	return name.len == strlen(lit) &&
	       strncasecmp(name.ptr, lit, name.len) == 0;
}

/*
 * Fields never passed as HTTP_*: Proxy (httpoxy: a script's HTTP client
 * would take HTTP_PROXY for its proxy setting), the two already given as
 * CONTENT_*, Proxy-Authorization (for proxies, not for us), and the
 * connection-level fields the server handles itself (RFC 3875 §4.1.18
 * lets them go; RFC 9110 §7.6.1): the script gets a de-chunked body with
 * CONTENT_LENGTH, so Transfer-Encoding would only mislead it.
 */
static bool header_withheld(struct slice name)
{
	static const char *const names[] = {
	    "Proxy",
	    "Content-Length",
	    "Content-Type",
	    "Proxy-Authorization",
	    "Connection",
	    "Keep-Alive",
	    "Proxy-Connection",
	    "TE",
	    "Trailer",
	    "Transfer-Encoding",
	    "Upgrade",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (name_is(name, names[i]))
			return true;
	return false;
}

static bool same_name(struct slice a, struct slice b)
{
	return a.len == b.len && strncasecmp(a.ptr, b.ptr, a.len) == 0;
}

/* A request field bound for the environment, and where it came. */
struct env_field {
	struct http_header hdr;
	size_t order;
};

/* By name (ignoring case), then by order: namesakes end up adjacent and
 * in the order they came. */
static int env_field_cmp(const void *pa, const void *pb)
{
	const struct env_field *a = pa, *b = pb;
	size_t n = a->hdr.name.len < b->hdr.name.len ? a->hdr.name.len
						     : b->hdr.name.len;
	int c = strncasecmp(a->hdr.name.ptr, b->hdr.name.ptr, n);

	if (c != 0)
		return c;
	if (a->hdr.name.len != b->hdr.name.len)
		return a->hdr.name.len < b->hdr.name.len ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* HTTP_<NAME>=v1, v2... for the count namesakes f[0..count). */
static void env_add_header(struct env_text *t, const struct env_field *f,
			   size_t count)
{
	struct slice name = f[0].hdr.name;
	const char *sep = name_is(name, "Cookie") ? "; " : ", ";

	env_put(t, "HTTP_", 5);
	for (size_t i = 0; i < name.len; i++) {
		char c = name.ptr[i];

		if (c == '-')
			c = '_';
		else if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		env_put(t, &c, 1);
	}
	env_put(t, "=", 1);
	for (size_t j = 0; j < count; j++) {
		if (j > 0)
			env_put(t, sep, 2);
		env_put_value(t, f[j].hdr.value.ptr, f[j].hdr.value.len);
	}
	env_end(t);
}

/* The fields that are passed, sorted by name (env_field_cmp); *count of
 * them.  NULL with count 0 when there are none; NULL with t->failed on
 * allocation failure. */
static struct env_field *env_fields(struct env_text *t, struct slice block,
				    size_t *count)
{
	struct env_field *f;
	size_t n = 0, lines = 0, pos = 0;
	struct http_header h;

	*count = 0;
	while (http_header_next(block.ptr, block.len, &pos, &h))
		lines++;
	if (lines == 0)
		return NULL;
	if ((f = calloc(lines, sizeof(*f))) == NULL) {
		t->failed = true;
		return NULL;
	}
	pos = 0;
	while (http_header_next(block.ptr, block.len, &pos, &h)) {
		if (!header_name_ok(h.name) || header_withheld(h.name))
			continue;
		f[n] = (struct env_field){.hdr = h, .order = n};
		n++;
	}
	if (n > 1)
		qsort(f, n, sizeof(*f), env_field_cmp);
	*count = n;
	return f;
}

/* Every passed field once, its namesakes joined: sorting makes this
 * O(n log n), so a head of thousands of fields costs little. */
static void env_add_headers(struct env_text *t,
			    const struct cgi_request_info *info)
{
	size_t n;
	struct env_field *f = env_fields(t, info->fields, &n);

	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && same_name(f[j].hdr.name, f[i].hdr.name))
			j++;
		env_add_header(t, f + i, j - i);
		i = j;
	}
	free(f);
}

static void env_add_paths(struct env_text *t,
			  const struct cgi_request_info *info)
{
	env_add_slice(t, "SCRIPT_NAME", info->script_name);
	env_add_slice(t, "SCRIPT_FILENAME", info->script_filename);
	env_add_slice(t, "DOCUMENT_ROOT", info->document_root);
	/* RFC 3875 §4.1.5-6: set when the URI has path info; otherwise
	 * PATH_TRANSLATED must be unset too. */
	if (info->path_info.len == 0)
		return;
	env_add_slice(t, "PATH_INFO", info->path_info);
	env_put(t, "PATH_TRANSLATED=", 16);
	env_put_value(t, info->document_root.ptr, info->document_root.len);
	env_put_value(t, info->path_info.ptr, info->path_info.len);
	env_end(t);
}

/* --- cgi_params ----------------------------------------------------- */

enum cgi_var {
	VAR_URI,
	VAR_REQUEST_URI,
	VAR_QUERY_STRING,
	VAR_DOCUMENT_ROOT,
	VAR_SCRIPT_FILENAME,
	VAR_PATH_INFO,
	VAR_HOST,
	VAR_SCHEME,
	VAR_REMOTE_ADDR,
	VAR_SERVER_PORT,
	VAR_REQUEST_ID,
	VAR_COUNT
};

static const char *const var_names[VAR_COUNT] = {
    [VAR_URI] = "uri",
    [VAR_REQUEST_URI] = "request_uri",
    [VAR_QUERY_STRING] = "query_string",
    [VAR_DOCUMENT_ROOT] = "document_root",
    [VAR_SCRIPT_FILENAME] = "script_filename",
    [VAR_PATH_INFO] = "path_info",
    [VAR_HOST] = "host",
    [VAR_SCHEME] = "scheme",
    [VAR_REMOTE_ADDR] = "remote_addr",
    [VAR_SERVER_PORT] = "server_port",
    [VAR_REQUEST_ID] = "request_id",
};

static bool var_char(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* The variable at p[0] == '$': its index (-1 unknown), its name
 * (*name, *name_len) and the bytes it spans (*span); *span 0: a plain
 * '$'. */
static int var_at(const char *p, const char **name, size_t *name_len,
		  size_t *span)
{
	size_t n = 0;
	bool braced = p[1] == '{';
	const char *start = p + 1 + braced;

	/* a name starts with a letter or '_': "$5" is text */
	while (var_char(start[n]) &&
	       (n > 0 || start[0] < '0' || start[0] > '9'))
		n++;
	*name = start;
	*name_len = n;
	*span = 0;
	if (braced && start[n] != '}') {
		*name_len = strlen(start);
		*span = 2 + *name_len;
		return -1;
	}
	if (n == 0 && !braced)
		return -1; /* a '$' of its own */
	*span = 1 + braced + n + braced;
	for (int v = 0; v < VAR_COUNT; v++)
		if (strlen(var_names[v]) == n &&
		    strncmp(var_names[v], start, n) == 0)
			return v;
	return -1;
}

const char *cgi_param_unknown_var(const char *value, size_t *len)
{
	for (const char *p = strchr(value, '$'); p; p = strchr(p + 1, '$')) {
		const char *name;
		size_t span;

		if (var_at(p, &name, len, &span) == -1 && span > 0)
			return name;
		if (span > 1)
			p += span - 1;
	}
	return NULL;
}

bool cgi_param_name_ok(const char *name)
{
	if (name[0] == '\0' || (name[0] >= '0' && name[0] <= '9'))
		return false;
	for (const char *p = name; *p; p++)
		if (!var_char(*p))
			return false;
	return true;
}

static void env_put_var(struct env_text *t, const struct cgi_request_info *info,
			int v)
{
	char num[16];
	struct slice s = {"", 0};

	switch ((enum cgi_var)v) {
	case VAR_URI:
		s = info->uri;
		break;
	case VAR_REQUEST_URI:
		s = info->request_uri;
		break;
	case VAR_QUERY_STRING:
		s = info->query;
		break;
	case VAR_DOCUMENT_ROOT:
		s = info->document_root;
		break;
	case VAR_SCRIPT_FILENAME:
		s = info->script_filename;
		break;
	case VAR_PATH_INFO:
		s = info->path_info;
		break;
	case VAR_HOST:
		s = info->server_name;
		break;
	case VAR_SCHEME:
		s = info->scheme.len ? info->scheme : (struct slice){"http", 4};
		break;
	case VAR_REMOTE_ADDR:
		s = info->remote_addr;
		break;
	case VAR_SERVER_PORT:
		snprintf(num, sizeof(num), "%u", info->server_port);
		s = (struct slice){num, strlen(num)};
		break;
	case VAR_REQUEST_ID:
		s = info->request_id;
		break;
	case VAR_COUNT:
		break;
	}
	env_put_value(t, s.ptr, s.len);
}

/* NAME=value with the variables of value expanded (an unknown one, which
 * the config loader refuses, stays as written). */
static void env_add_param(struct env_text *t,
			  const struct cgi_request_info *info,
			  const struct name_value *param)
{
	const char *p = param->value, *dollar;

	env_put(t, param->name, strlen(param->name));
	env_put(t, "=", 1);
	while ((dollar = strchr(p, '$')) != NULL) {
		const char *name;
		size_t name_len, span;
		int v = var_at(dollar, &name, &name_len, &span);

		env_put_value(t, p, (size_t)(dollar - p));
		if (v >= 0)
			env_put_var(t, info, v);
		else
			env_put(t, dollar, span ? span : 1);
		p = dollar + (span ? span : 1);
	}
	env_put_value(t, p, strlen(p));
	env_end(t);
}

/* The entry s ("NAME=value") is overridden by a cgi_params entry. */
static bool overridden(const char *s, const struct cgi_request_info *info)
{
	size_t n = strcspn(s, "=");

	for (size_t i = 0; i < info->param_count; i++)
		if (strlen(info->params[i].name) == n &&
		    memcmp(info->params[i].name, s, n) == 0)
			return true;
	return false;
}

/* Lay the strings out behind the vector in one block; the first fixed
 * entries are the server's own, dropped where a cgi_params entry (they
 * follow) gives the same name. */
static char **env_finish(struct env_text *t,
			 const struct cgi_request_info *info, size_t fixed)
{
	size_t vec_size = (t->count + 1) * sizeof(char *);
	char **envp;
	char *strings;
	size_t off = 0, kept = 0;

	if (t->failed || t->len > SIZE_MAX - vec_size)
		goto fail;
	if ((envp = malloc(vec_size + t->len)) == NULL)
		goto fail;
	strings = (char *)(envp + t->count + 1);
	memcpy(strings, t->data, t->len);
	for (size_t i = 0; i < t->count; i++) {
		if (i >= fixed || !overridden(strings + off, info))
			envp[kept++] = strings + off;
		off += strlen(strings + off) + 1;
	}
	envp[kept] = NULL;
	free(t->data);
	return envp;
fail:
	free(t->data);
	errno = ENOMEM;
	return NULL;
}

char **cgi_build_env(const struct cgi_request_info *info)
{
	struct env_text t = {0};
	const char *path = getenv("PATH");

	env_add_str(&t, "GATEWAY_INTERFACE", "CGI/1.1");
	env_add_str(&t, "SERVER_SOFTWARE", SERVER_SOFTWARE);
	env_add_slice(&t, "SERVER_NAME", info->server_name);
	env_add_num(&t, "SERVER_PORT", info->server_port);
	if (info->server_addr.len)
		env_add_slice(&t, "SERVER_ADDR", info->server_addr);
	env_add_slice(&t, "SERVER_PROTOCOL", info->server_protocol);
	env_add_str(&t, "REQUEST_SCHEME", info->https ? "https" : "http");
	if (info->https)
		env_add_str(&t, "HTTPS", "on");
	env_add_slice(&t, "REQUEST_METHOD", info->method);
	env_add_slice(&t, "REQUEST_URI", info->request_uri);
	env_add_slice(&t, "QUERY_STRING", info->query);
	env_add_paths(&t, info);
	if (info->content_length >= 0)
		env_add_num(&t, "CONTENT_LENGTH",
			    (uint64_t)info->content_length);
	if (info->content_type.len)
		env_add_slice(&t, "CONTENT_TYPE", info->content_type);
	env_add_slice(&t, "REMOTE_ADDR", info->remote_addr);
	env_add_num(&t, "REMOTE_PORT", info->remote_port);
	/* php-cgi (force-cgi-redirect) runs only when this is set. */
	env_add_str(&t, "REDIRECT_STATUS", "200");
	if (info->request_id.len)
		env_add_slice(&t, "REQUEST_ID", info->request_id);
	env_add_str(&t, "PATH", path && *path ? path : CGI_DEFAULT_PATH);
	env_add_headers(&t, info);
	size_t fixed = t.count;
	for (size_t i = 0; i < info->param_count; i++)
		env_add_param(&t, info, &info->params[i]);
	return env_finish(&t, info, fixed);
}

void cgi_free_env(char **envp)
{
	free(envp);
}

int cgi_addr_text(const struct sockaddr *sa, char *host, size_t cap,
		  unsigned *port)
{
	const void *addr;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		addr = &in->sin_addr;
		*port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)sa;

		addr = &in6->sin6_addr;
		*port = ntohs(in6->sin6_port);
	} else {
		return -1;
	}
	if (cap > (size_t)(socklen_t)-1)
		cap = (socklen_t)-1;
	if (inet_ntop(sa->sa_family, addr, host, (socklen_t)cap) == NULL)
		return -1;
	return 0;
}
