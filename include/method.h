/* method.h - HTTP method names and the bit sets the config uses. */
#ifndef WEBSERV_METHOD_H
#define WEBSERV_METHOD_H

#include <stddef.h>

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_PUT,
	HTTP_DELETE,
	HTTP_OPTIONS,
	HTTP_PATCH,
	HTTP_TRACE,
	HTTP_CONNECT,
	HTTP_METHOD_COUNT,
	HTTP_METHOD_UNKNOWN = -1
};

#define METHOD_BIT(m) (1u << (m))

/* Exact, case-sensitive (RFC 9110 §9.1); HTTP_METHOD_UNKNOWN if none. */
enum http_method method_from_name(const char *name, size_t len);
const char *method_name(enum http_method m);
/* "GET, HEAD, POST" for an Allow header; returns length (truncates safely). */
size_t method_allow_list(unsigned methods, char *out, size_t cap);

#endif
