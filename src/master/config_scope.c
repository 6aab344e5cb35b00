/*
 * config_scope.c - handlers for the settings that live in http, a server
 * or a location, and for the location-only ones (path, alias, redirect,
 * upload_dir, cgi, status).
 * Each handler overwrites (freeing) the value its scope inherited, so a
 * scope's own setting always wins over its parent's.  Lists (index,
 * error_pages, allow, cgi) are replaced whole, never merged.
 * Never resolves anything across settings: config_server.c does that.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgi.h"
#include "config_int.h"
#include "method.h"
#include "router.h"

/* 365 days: keeps "now + timeout" far from overflowing anywhere. */
#define TIMEOUT_MAX_MS (365ull * 24 * 3600 * 1000)

static void replace(char **field, char *value)
{
	free(*field);
	*field = value;
}

void cfg_h_root(struct cfg_ctx *ctx, const config_setting_t *s,
		struct cfg_target *t)
{
	const char *v;
	char *path;

	if (cfg_string(ctx, s, &v) < 0)
		return;
	path = cfg_path(ctx, v);
	if (path == NULL)
		return;
	cfg_check_dir(ctx, s, path, "requests there get 404");
	replace(&t->loc->root, path);
	t->flags->root = s;
}

void cfg_h_alias(struct cfg_ctx *ctx, const config_setting_t *s,
		 struct cfg_target *t)
{
	const char *v;
	char *path;

	if (cfg_string(ctx, s, &v) < 0)
		return;
	path = cfg_path(ctx, v);
	if (path == NULL)
		return;
	cfg_check_dir(ctx, s, path, "requests there get 404");
	replace(&t->loc->alias, path);
	t->flags->alias = s;
}

void cfg_h_upload_dir(struct cfg_ctx *ctx, const config_setting_t *s,
		      struct cfg_target *t)
{
	const char *v;
	char *path;

	if (cfg_string(ctx, s, &v) < 0)
		return;
	path = cfg_path(ctx, v);
	if (path == NULL)
		return;
	cfg_check_dir(ctx, s, path,
		      "requests there get 404, writes 500 until it is made");
	replace(&t->loc->upload_dir, path);
}

void cfg_h_index(struct cfg_ctx *ctx, const config_setting_t *s,
		 struct cfg_target *t)
{
	struct location *loc = t->loc;
	int n = cfg_list(ctx, s);
	char **names;
	size_t count = 0;

	t->flags->index_set = true;
	if (n < 0 ||
	    (names = cfg_calloc(ctx, (size_t)n, sizeof(*names))) == NULL)
		return;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = cfg_list_at(s, i);
		const char *v;
		if (cfg_string(ctx, e, &v) < 0)
			continue;
		if (strchr(v, '/') != NULL) {
			cfg_err(ctx, e,
				"index \"%s\" must be a file name, without '/'",
				v);
			continue;
		}
		if ((names[count] = cfg_strdup(ctx, v)) != NULL)
			count++;
	}
	for (size_t i = 0; i < loc->index_count; i++)
		free(loc->index[i]);
	free(loc->index);
	loc->index = names;
	loc->index_count = count;
}

void cfg_h_autoindex(struct cfg_ctx *ctx, const config_setting_t *s,
		     struct cfg_target *t)
{
	cfg_bool(ctx, s, &t->loc->autoindex);
}

void cfg_h_status(struct cfg_ctx *ctx, const config_setting_t *s,
		  struct cfg_target *t)
{
	cfg_bool(ctx, s, &t->loc->status);
}

void cfg_h_body_size(struct cfg_ctx *ctx, const config_setting_t *s,
		     struct cfg_target *t)
{
	uint64_t v;

	/* 0 is "no limit", as in nginx */
	if (cfg_size(ctx, s, &v) == 0)
		t->loc->client_max_body_size = v == 0 ? SIZE_MAX : (size_t)v;
}

void cfg_h_timeout(struct cfg_ctx *ctx, const config_setting_t *s,
		   struct cfg_target *t)
{
	const char *name = config_setting_name(s);
	struct timeouts *to = &t->loc->timeouts;
	uint64_t *field;
	uint64_t ms;

	if (strcmp(name, "keepalive_timeout") == 0)
		field = &to->keepalive;
	else if (strcmp(name, "header_timeout") == 0)
		field = &to->header;
	else if (strcmp(name, "body_timeout") == 0)
		field = &to->body;
	else if (strcmp(name, "send_timeout") == 0)
		field = &to->send;
	else if (strcmp(name, "cgi_timeout") == 0)
		field = &to->cgi;
	else
		field = &to->shutdown;
	if (cfg_duration(ctx, s, &ms) < 0)
		return;
	/* keepalive 0: no keep-alive; shutdown 0: stop at once.  Any other
	 * timeout at 0 would fail every request. */
	if (ms == 0 && field != &to->keepalive && field != &to->shutdown)
		cfg_err(ctx, s, "'%s' must be more than 0", name);
	else if (ms > TIMEOUT_MAX_MS)
		cfg_err(ctx, s, "'%s' must be at most 365 days", name);
	else
		*field = ms;
}

void cfg_h_methods(struct cfg_ctx *ctx, const config_setting_t *s,
		   struct cfg_target *t)
{
	int n = cfg_list(ctx, s);
	unsigned bits = 0;

	t->flags->methods_set = true;
	if (n < 0)
		return;
	if (n == 0)
		cfg_err(ctx, s, "'methods' must not be empty");
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = cfg_list_at(s, i);
		const char *v;
		if (cfg_string(ctx, e, &v) < 0)
			continue;
		enum http_method m = method_from_name(v, strlen(v));
		if (m == HTTP_METHOD_UNKNOWN)
			cfg_err(
			    ctx, e,
			    "unknown method \"%s\" (methods are "
			    "upper case: GET, HEAD, POST, PUT, DELETE, ...)",
			    v);
		else
			bits |= METHOD_BIT(m);
	}
	/* RFC 9110 §9.1: where GET is served, so is HEAD (nginx's
	 * limit_except GET allows HEAD too) */
	if (bits & METHOD_BIT(HTTP_GET))
		bits |= METHOD_BIT(HTTP_HEAD);
	t->loc->methods = bits;
}

void cfg_h_allow(struct cfg_ctx *ctx, const config_setting_t *s,
		 struct cfg_target *t)
{
	cfg_cidr_list(ctx, s, "leave it out to allow everyone", &t->loc->allow,
		      &t->loc->allow_count);
}

void cfg_h_path(struct cfg_ctx *ctx, const config_setting_t *s,
		struct cfg_target *t)
{
	const char *v;

	t->flags->path = s;
	if (cfg_string(ctx, s, &v) < 0)
		return;
	if (v[0] != '/') {
		cfg_err(ctx, s, "location path \"%s\" must start with '/'", v);
		return;
	}
	replace(&t->loc->path, cfg_strdup(ctx, v));
	t->loc->path_len = t->loc->path ? strlen(v) : 0;
}

/* ---- redirect = { code = 301; to = "/new/"; } ------------------------ */

void cfg_h_redirect(struct cfg_ctx *ctx, const config_setting_t *s,
		    struct cfg_target *t)
{
	struct cfg_target sub = {.redirect_loc = t->loc};

	if (cfg_group(ctx, s) < 0)
		return;
	cfg_walk(ctx, s, SCOPE_REDIRECT, &sub);
	if (!sub.seen_code)
		cfg_err(ctx, s,
			"redirect needs a 'code' (301, 302, 303, 307 or 308)");
	if (!sub.seen_to)
		cfg_err(ctx, s, "redirect needs 'to'");
	/* A bad or missing code was reported above; still mark this as a
	 * redirect so no follow-on "has no root" error is added. */
	if (t->loc->redirect_code == 0)
		t->loc->redirect_code = 301;
}

void cfg_h_redirect_code(struct cfg_ctx *ctx, const config_setting_t *s,
			 struct cfg_target *t)
{
	long long code;

	t->seen_code = true;
	if (cfg_int(ctx, s, &code) < 0)
		return;
	/* RFC 9110 §15.4: the redirections that carry a Location. */
	if (code != 301 && code != 302 && code != 303 && code != 307 &&
	    code != 308)
		cfg_err(ctx, s,
			"redirect code %lld is not 301, 302, 303, 307 or 308",
			code);
	else
		t->redirect_loc->redirect_code = (int)code;
}

void cfg_h_redirect_to(struct cfg_ctx *ctx, const config_setting_t *s,
		       struct cfg_target *t)
{
	const char *v;

	t->seen_to = true;
	if (cfg_string(ctx, s, &v) < 0)
		return;
	if (strpbrk(v, " \t\r\n") != NULL) {
		cfg_err(ctx, s,
			"redirect target must not contain spaces or "
			"line breaks");
		return;
	}
	replace(&t->redirect_loc->redirect_to, cfg_strdup(ctx, v));
}

/* ---- cgi = ( { ext = ".py"; interpreter = "/usr/bin/python3"; } ) ----- */

void cfg_h_cgi(struct cfg_ctx *ctx, const config_setting_t *s,
	       struct cfg_target *t)
{
	struct location *loc = t->loc;
	int n = cfg_list(ctx, s);
	struct cgi_handler *list;
	size_t count = 0;

	if (n < 0 || (list = cfg_calloc(ctx, (size_t)n, sizeof(*list))) == NULL)
		return;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = cfg_list_at(s, i);
		struct cfg_target sub = {.cgi = &list[count]};
		if (cfg_group(ctx, e) < 0)
			continue;
		cfg_walk(ctx, e, SCOPE_CGI, &sub);
		struct cgi_handler *h = &list[count];
		if (!sub.seen_code)
			cfg_err(ctx, e, "cgi entry needs 'ext'");
		if (!sub.seen_to)
			cfg_err(ctx, e, "cgi entry needs 'interpreter'");
		for (size_t k = 0; h->ext != NULL && k < count; k++)
			if (strcmp(list[k].ext, h->ext) == 0)
				cfg_err(ctx, e,
					"cgi extension \"%s\" is listed twice",
					h->ext);
		if (h->ext != NULL && h->interpreter != NULL) {
			count++;
			continue;
		}
		free(h->ext);
		free(h->interpreter);
		memset(h, 0, sizeof(*h));
	}
	for (size_t i = 0; i < loc->cgi_count; i++) {
		free(loc->cgi[i].ext);
		free(loc->cgi[i].interpreter);
	}
	free(loc->cgi);
	loc->cgi = list;
	loc->cgi_count = count;
}

/* seen_code / seen_to double as "ext" / "interpreter" seen. */
void cfg_h_cgi_ext(struct cfg_ctx *ctx, const config_setting_t *s,
		   struct cfg_target *t)
{
	const char *v;

	t->seen_code = true;
	if (cfg_string(ctx, s, &v) < 0)
		return;
	if (v[0] != '.' || v[1] == '\0' || strchr(v, '/') != NULL) {
		cfg_err(ctx, s, "cgi ext \"%s\" must be like \".py\"", v);
		return;
	}
	replace(&t->cgi->ext, cfg_strdup(ctx, v));
}

void cfg_h_cgi_interpreter(struct cfg_ctx *ctx, const config_setting_t *s,
			   struct cfg_target *t)
{
	const char *v;
	char *path;
	struct stat st;

	t->seen_to = true;
	if (cfg_string(ctx, s, &v) < 0)
		return;
	/* "./x", "../x": relative to the config's directory, like every
	 * other path (a tool shipped next to the config, as the 42
	 * cgi_tester is); a bare "python3" is no PATH lookup: refused */
	if (v[0] != '/' && strncmp(v, "./", 2) != 0 &&
	    strncmp(v, "../", 3) != 0) {
		cfg_err(ctx, s,
			"cgi interpreter \"%s\" must be an absolute path (or "
			"start with ./ for one relative to the config file)",
			v);
		return;
	}
	if ((path = cfg_path(ctx, v)) == NULL)
		return;
	if (stat(path, &st) == -1) {
		cfg_err(ctx, s, "cgi interpreter \"%s\": %s", path,
			strerror(errno));
		free(path);
		return;
	}
	if (!S_ISREG(st.st_mode) || access(path, X_OK) == -1) {
		cfg_err(ctx, s,
			"cgi interpreter \"%s\" is not an executable file",
			path);
		free(path);
		return;
	}
	replace(&t->cgi->interpreter, path);
}

/* ---- error_pages = ( { codes = [ 404 ]; uri = "/404.html"; } ) -------- */

static void add_pages(struct cfg_ctx *ctx, struct error_page *pages,
		      size_t *count, const struct error_page_entry *entry)
{
	for (size_t i = 0; i < entry->code_count; i++) {
		char *uri = cfg_strdup(ctx, entry->uri);
		if (uri == NULL)
			return;
		pages[*count].code = entry->codes[i];
		pages[*count].uri = uri;
		(*count)++;
	}
}

/* Upper bound on the number of codes, to size the array once. */
static size_t count_codes(const config_setting_t *s)
{
	size_t total = 0;

	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e =
		    config_setting_get_elem(s, (unsigned)i);
		const config_setting_t *codes = NULL;
		if (config_setting_is_group(e))
			codes = config_setting_get_member(e, "codes");
		if (codes != NULL)
			total += config_setting_is_scalar(codes)
				     ? 1
				     : (size_t)config_setting_length(codes);
	}
	return total;
}

void cfg_h_error_pages(struct cfg_ctx *ctx, const config_setting_t *s,
		       struct cfg_target *t)
{
	struct location *loc = t->loc;
	struct error_page *pages;
	size_t count = 0;

	if (!config_setting_is_list(s)) {
		cfg_err(ctx, s,
			"'error_pages' must be a list: ( { codes = "
			"[ 404 ]; uri = \"/404.html\"; } )");
		return;
	}
	pages = cfg_calloc(ctx, count_codes(s), sizeof(*pages));
	if (pages == NULL)
		return;
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e =
		    config_setting_get_elem(s, (unsigned)i);
		struct error_page_entry entry = {0};
		struct cfg_target sub = {.page = &entry};
		if (cfg_group(ctx, e) < 0)
			continue;
		cfg_walk(ctx, e, SCOPE_ERROR_PAGE, &sub);
		if (!sub.seen_code)
			cfg_err(ctx, e, "error_pages entry needs 'codes'");
		if (!sub.seen_to)
			cfg_err(ctx, e, "error_pages entry needs 'uri'");
		if (entry.uri != NULL)
			add_pages(ctx, pages, &count, &entry);
		free(entry.codes);
		free(entry.uri);
	}
	for (size_t i = 0; i < loc->error_page_count; i++)
		free(loc->error_pages[i].uri);
	free(loc->error_pages);
	loc->error_pages = pages;
	loc->error_page_count = count;
}

void cfg_h_page_codes(struct cfg_ctx *ctx, const config_setting_t *s,
		      struct cfg_target *t)
{
	struct error_page_entry *entry = t->page;
	int n = cfg_list(ctx, s);

	t->seen_code = true;
	if (n < 0)
		return;
	if (n == 0)
		cfg_err(ctx, s, "'codes' must not be empty");
	entry->codes = cfg_calloc(ctx, (size_t)n, sizeof(int));
	if (entry->codes == NULL)
		return;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = cfg_list_at(s, i);
		long long code;
		if (cfg_int(ctx, e, &code) < 0)
			continue;
		if (code < 300 || code > 599)
			cfg_err(ctx, e,
				"error page code %lld is not 300 .. 599", code);
		else
			entry->codes[entry->code_count++] = (int)code;
	}
}

void cfg_h_page_uri(struct cfg_ctx *ctx, const config_setting_t *s,
		    struct cfg_target *t)
{
	const char *v;

	t->seen_to = true;
	if (cfg_string(ctx, s, &v) < 0)
		return;
	if (v[0] != '/') {
		cfg_err(ctx, s, "error page uri \"%s\" must start with '/'", v);
		return;
	}
	replace(&t->page->uri, cfg_strdup(ctx, v));
}

/* cgi_params = { PATH_INFO = "$uri"; ... }; (DESIGN §11) */
void cfg_h_cgi_params(struct cfg_ctx *ctx, const config_setting_t *s,
		      struct cfg_target *t)
{
	int n;

	if (cfg_group(ctx, s) < 0)
		return;
	n = config_setting_length(s);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e =
		    config_setting_get_elem(s, (unsigned)i);
		const char *name = config_setting_name(e), *value, *bad;
		size_t bad_len;

		if (cfg_string(ctx, e, &value) < 0)
			continue;
		if (name == NULL || !cgi_param_name_ok(name)) {
			cfg_err(ctx, e,
				"cgi_params: \"%s\" is no variable name "
				"(letters, digits, '_')",
				name ? name : "");
			continue;
		}
		if ((bad = cgi_param_unknown_var(value, &bad_len)) != NULL) {
			cfg_err(ctx, e,
				"cgi_params: %s: unknown variable \"$%.*s\" "
				"(known: $uri, $request_uri, $query_string, "
				"$document_root, $script_filename, $path_info, "
				"$host, $scheme, $remote_addr, $server_port, "
				"$request_id)",
				name, (int)bad_len, bad);
			continue;
		}
		cfg_nv_set(ctx, &t->loc->cgi_params, &t->loc->cgi_param_count,
			   name, value, false);
	}
}
