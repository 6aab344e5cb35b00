/*
 * tls_sniff.c - a TLS record starts with its content type, 22 for a
 * handshake (RFC 8446 §5.1); an HTTP/1.x request starts with a method
 * token, which is upper-case letters for every method in use (RFC 9110
 * §9).  A request line is taken as cleartext when the bytes seen so far
 * are letters up to a space, or letters only.  Never does I/O.
 */
#include "tls_sniff.h"

enum tls_sniff tls_sniff(const unsigned char *p, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return TLS_SNIFF_OTHER;
	if (p[0] == 0x16)
		return TLS_SNIFF_TLS;
	while (i < n && p[i] >= 'A' && p[i] <= 'Z')
		i++;
	if (i == 0)
		return TLS_SNIFF_OTHER;
	if (i == n || p[i] == ' ')
		return TLS_SNIFF_PLAIN;
	return TLS_SNIFF_OTHER;
}
