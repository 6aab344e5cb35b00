/*
 * upload_reply.c - what a completed upload answers (see upload.c for the
 * rules): 204 for a replacing PUT; 201 Created with the Location of the
 * first stored file and a text/plain list of every stored file's URI; or,
 * for a browser's form, 303 See Other (RFC 9110 §15.4.4) to the directory,
 * whose listing shows the new files, with a short HTML page for a client
 * that does not follow it.  URIs are percent-encoded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "path.h"
#include "upload_int.h"

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* [p, end) without leading and trailing OWS. */
static void trim(const char **p, const char **end)
{
	while (*p < *end && is_ows(**p))
		(*p)++;
	while (*end > *p && is_ows((*end)[-1]))
		(*end)--;
}

/* The parameters [p, end) of a media range (each after a ';') hold a q of
 * zero: "0", "0." or "0.0" to "0.000" (RFC 9110 §12.4.2). */
static bool q_is_zero(const char *p, const char *end)
{
	while (p < end) {
		const char *next = memchr(p, ';', (size_t)(end - p));
		const char *v = p, *v_end = next ? next : end;

		trim(&v, &v_end);
		if (v_end - v >= 2 && strncasecmp(v, "q=", 2) == 0) {
			v += 2;
			if (v == v_end || *v++ != '0')
				return false;
			if (v < v_end && *v++ != '.')
				return false;
			if (v_end - v > 3)
				return false;
			while (v < v_end && *v == '0')
				v++;
			return v == v_end;
		}
		p = next ? next + 1 : end;
	}
	return false;
}

bool upload_wants_page(const struct http_request *req)
{
	struct slice accept = http_header_get(req, "Accept");
	const char *p = accept.ptr, *end = accept.ptr + accept.len;

	while (p < end) {
		const char *next = memchr(p, ',', (size_t)(end - p));
		const char *elem_end = next ? next : end;
		const char *params = memchr(p, ';', (size_t)(elem_end - p));
		const char *range = p, *range_end = params ? params : elem_end;

		trim(&range, &range_end);
		if (range_end - range == 9 &&
		    strncasecmp(range, "text/html", 9) == 0 &&
		    !(params && q_is_zero(params + 1, elem_end)))
			return true;
		p = next ? next + 1 : end;
	}
	return false;
}

/* The URI of name in the target directory (name NULL: the directory),
 * percent-encoded into out. */
static ssize_t upload_uri(const struct upload *up, const char *name, char *out,
			  size_t cap)
{
	char raw[sizeof(up->dir_uri) + NAME_MAX + 1];
	size_t name_len = name ? strlen(name) : 0;

	memcpy(raw, up->dir_uri, up->dir_uri_len);
	if (name_len > 0) /* memcpy from NULL is undefined, even for 0 */
		memcpy(raw + up->dir_uri_len, name, name_len);
	return path_url_encode(raw, up->dir_uri_len + name_len, out, cap);
}

/* Append len bytes to the malloc'd body (*total so far).  Out of memory:
 * the body is left as it was (a shorter page or list; the files are in). */
static void append(char **body, size_t *total, const char *text, size_t len)
{
	char *grown = realloc(*body, *total + len + 1);

	if (grown == NULL)
		return;
	memcpy(grown + *total, text, len);
	*total += len;
	grown[*total] = '\0';
	*body = grown;
}

/* One link of the page: <a href="uri">uri</a> between before and after. */
static void append_link(char **body, size_t *total, const char *uri,
			size_t uri_len, const char *before, const char *after)
{
	char esc[6 * (3 * (PATH_MAX + NAME_MAX) + 2)];
	char line[2 * sizeof(esc) + 64];
	ssize_t e = html_escape(uri, uri_len, esc, sizeof(esc));
	int len;

	if (e < 0)
		return;
	len = snprintf(line, sizeof(line), "%s<a href=\"%.*s\">%.*s</a>%s",
		       before, (int)e, esc, (int)e, esc, after);
	if (len > 0 && (size_t)len < sizeof(line))
		append(body, total, line, (size_t)len);
}

static void upload_page(const struct upload *up, struct response *resp,
			char **body, size_t *total)
{
	static const char head[] =
	    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<title>Uploaded</title>\n"
	    "<link rel=\"stylesheet\" href=\"/style.css\">\n"
	    "</head>\n<body>\n<main>\n<h1>Uploaded</h1>\n<ul>\n";
	static const char tail[] = " &middot; <a href=\"/\">Home</a></p>\n"
				   "</main>\n</body>\n</html>\n";
	char uri[3 * (PATH_MAX + NAME_MAX) + 2];
	ssize_t n;

	response_status(resp, 303);
	append(body, total, head, sizeof(head) - 1);
	for (size_t i = 0; i < up->stored_count; i++) {
		n = upload_uri(up, up->stored[i].name, uri, sizeof(uri));
		if (n >= 0)
			append_link(body, total, uri, (size_t)n, "<li>",
				    "</li>\n");
	}
	append(body, total, "</ul>\n", 6);
	n = upload_uri(up, NULL, uri, sizeof(uri));
	if (n >= 0) {
		response_header(resp, "Location", "%s", uri);
		append_link(body, total, uri, (size_t)n,
			    "<p>See every file in ", "");
	}
	append(body, total, tail, sizeof(tail) - 1);
	response_header(resp, "Content-Type", "text/html; charset=utf-8");
}

static void upload_list(const struct upload *up, struct response *resp,
			char **body, size_t *total)
{
	char uri[3 * (PATH_MAX + NAME_MAX) + 2];
	size_t count = up->mode == UPLOAD_FILE ? 1 : up->stored_count;
	bool located = false;
	ssize_t n;

	response_status(resp, 201);
	for (size_t i = 0; i < count; i++) {
		n = upload_uri(
		    up, up->mode == UPLOAD_FILE ? up->name : up->stored[i].name,
		    uri, sizeof(uri));
		if (n < 0)
			continue;
		if (!located)
			response_header(resp, "Location", "%s", uri);
		located = true;
		uri[n] = '\n';
		append(body, total, uri, (size_t)n + 1);
	}
	response_header(resp, "Content-Type", "text/plain");
}

void upload_respond(const struct upload *up, struct response *resp,
		    bool head_only)
{
	char *body = NULL;
	size_t total = 0;

	if (up->mode == UPLOAD_FILE && up->replaced) {
		response_status(resp, 204); /* RFC 9110 §9.3.4 */
		return;
	}
	if (up->browser_form && up->mode == UPLOAD_MULTIPART)
		upload_page(up, resp, &body, &total);
	else
		upload_list(up, resp, &body, &total);
	response_header(resp, "Content-Length", "%zu", total);
	if (body != NULL && !head_only) {
		resp->body_kind = BODY_MEM;
		resp->mem = body;
		resp->mem_len = total;
	} else {
		free(body);
	}
}
