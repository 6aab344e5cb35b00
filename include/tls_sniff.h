/*
 * tls_sniff.h - tell a TLS ClientHello from a cleartext HTTP request by
 * its first bytes, before OpenSSL sees them (DESIGN.md §8: a cleartext
 * request on a TLS port gets a 400 page that says so).  Pure.
 */
#ifndef WEBSERV_TLS_SNIFF_H
#define WEBSERV_TLS_SNIFF_H

#include <stddef.h>

enum tls_sniff {
	TLS_SNIFF_TLS,	 /* a TLS handshake record (0x16) */
	TLS_SNIFF_PLAIN, /* looks like an HTTP request line */
	TLS_SNIFF_OTHER, /* neither: OpenSSL refuses it */
};

/* p[0..n): the first bytes the client sent (n >= 1). */
enum tls_sniff tls_sniff(const unsigned char *p, size_t n);

#endif
