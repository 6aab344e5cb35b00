/*
 * method.c - method names <-> enum, and Allow header lists.
 * Pure: no I/O.
 */
#include <stdio.h>
#include <string.h>

#include "method.h"

static const char *const method_names[HTTP_METHOD_COUNT] = {
    [HTTP_GET] = "GET",		[HTTP_HEAD] = "HEAD",
    [HTTP_POST] = "POST",	[HTTP_PUT] = "PUT",
    [HTTP_DELETE] = "DELETE",	[HTTP_OPTIONS] = "OPTIONS",
    [HTTP_PATCH] = "PATCH",	[HTTP_TRACE] = "TRACE",
    [HTTP_CONNECT] = "CONNECT",
};

enum http_method method_from_name(const char *name, size_t len)
{
	for (int m = 0; m < HTTP_METHOD_COUNT; m++)
		if (strlen(method_names[m]) == len &&
		    memcmp(method_names[m], name, len) == 0)
			return (enum http_method)m;
	return HTTP_METHOD_UNKNOWN;
}

const char *method_name(enum http_method m)
{
	if (m < 0 || m >= HTTP_METHOD_COUNT)
		return "UNKNOWN";
	return method_names[m];
}

size_t method_allow_list(unsigned methods, char *out, size_t cap)
{
	size_t len = 0;

	if (cap == 0)
		return 0;
	out[0] = '\0';
	for (int m = 0; m < HTTP_METHOD_COUNT; m++) {
		if (!(methods & METHOD_BIT(m)))
			continue;
		int n = snprintf(out + len, cap - len, "%s%s", len ? ", " : "",
				 method_names[m]);
		if (n < 0 || (size_t)n >= cap - len) {
			out[len] = '\0';
			break;
		}
		len += (size_t)n;
	}
	return len;
}
