/*
 * parser_int.h - private to src/http/parser*.c: the octet classes and the
 * lexical checks (parser_chars.c) that the request-head grammar
 * (parser.c) is built on.  Nothing outside the parser includes this.
 */
#ifndef WEBSERV_PARSER_INT_H
#define WEBSERV_PARSER_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

/* Octet classes, one table lookup per byte on the hot loops. */
#define CT_TCHAR  0x01 /* tchar, RFC 9110 §5.6.2 */
#define CT_VALUE  0x02 /* field-vchar, SP or HTAB, RFC 9110 §5.5 */
#define CT_TARGET 0x04 /* VCHAR except '#': request-target octet */
#define CT_HOST	  0x08 /* unreserved / sub-delims / '%' (RFC 3986) */

/* Octet -> CT_* bits. */
extern const unsigned char parser_ctype[256];

static inline bool is_class(char c, unsigned char cls)
{
	return parser_ctype[(unsigned char)c] & cls;
}

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* End of the run of field-value octets (CT_VALUE) starting at i. */
size_t parser_scan_value(const char *b, size_t i, size_t end);
/* End of the run of request-target octets (CT_TARGET) starting at i. */
size_t parser_scan_target(const char *b, size_t i, size_t end);
/* s[0..len) without leading and trailing OWS. */
struct slice parser_trim_ows(const char *s, size_t len);
/* Next non-empty element of a comma-separated list, OWS trimmed (RFC 9110
 * §5.6.1); *rest advances past it.  false when none is left. */
bool parser_list_next(struct slice *rest, struct slice *elem);
/* s is a token (RFC 9110 §5.6.2): one or more tchar. */
bool parser_is_token(struct slice s);
/* h is uri-host [ ":" port ] with a non-empty host (RFC 9110 §7.2);
 * need_port: the port must be there (CONNECT's authority-form). */
bool parser_host_valid(struct slice h, bool need_port);

#endif
