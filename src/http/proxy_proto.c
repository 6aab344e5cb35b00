/*
 * proxy_proto.c - PROXY protocol v1 (text) and v2 (binary) headers, as
 * HAProxy's proxy-protocol.txt defines them.
 *
 * Invariant: an answer depends only on buf[0..len); a prefix of a valid
 * header is PROXY_INCOMPLETE, anything else PROXY_INVALID at the first
 * byte that rules it out, so a garbage connection is closed at once and
 * a slow one waits only for bytes that may still make a header.
 * Never does I/O.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "proxy_proto.h"

#define V1_MAX 107 /* "PROXY TCP6 " + 2 x 39 + 2 x 5 + spaces + CRLF */

static const unsigned char v2_sig[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
					 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

/* "65535" without leading zeros into *port; false if not one. */
static bool parse_port(const char *s, size_t n, unsigned *port)
{
	unsigned v = 0;

	if (n == 0 || n > 5 || (s[0] == '0' && n > 1))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*port = v;
	return true;
}

static bool set_addr(int family, const char *s, size_t n, unsigned port,
		     struct sockaddr_storage *out)
{
	char text[INET6_ADDRSTRLEN];

	if (n == 0 || n >= sizeof(text))
		return false;
	memcpy(text, s, n);
	text[n] = '\0';
	memset(out, 0, sizeof(*out));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)out;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		return inet_pton(AF_INET, text, &in->sin_addr) == 1;
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons((uint16_t)port);
	return inet_pton(AF_INET6, text, &in6->sin6_addr) == 1;
}

/* The fields of a complete v1 line (line[0..n), CRLF excluded). */
static int parse_v1_line(const char *line, size_t n, struct proxy_info *out)
{
	const char *f[6];
	size_t flen[6], count = 0, i = 0;
	unsigned sport, dport;
	int family;

	if (n >= 13 && memcmp(line, "PROXY UNKNOWN", 13) == 0) {
		/* the rest, if any, is to be ignored (spec 2.1) */
		if (n > 13 && line[13] != ' ')
			return PROXY_INVALID;
		out->has_addr = false;
		return 0;
	}
	while (i <= n && count < 6) {
		size_t start = i;
		while (i < n && line[i] != ' ')
			i++;
		f[count] = line + start;
		flen[count++] = i - start;
		i++; /* the single space */
	}
	if (count != 6 || i <= n)
		return PROXY_INVALID; /* too few or too many fields */
	if (flen[1] == 4 && memcmp(f[1], "TCP4", 4) == 0)
		family = AF_INET;
	else if (flen[1] == 4 && memcmp(f[1], "TCP6", 4) == 0)
		family = AF_INET6;
	else
		return PROXY_INVALID;
	if (!parse_port(f[4], flen[4], &sport) ||
	    !parse_port(f[5], flen[5], &dport) ||
	    !set_addr(family, f[2], flen[2], sport, &out->src) ||
	    !set_addr(family, f[3], flen[3], dport, &out->dst))
		return PROXY_INVALID;
	out->has_addr = true;
	return 0;
}

/* Bytes a v1 line may hold before its CRLF. */
static bool v1_char(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= 'a' && ch <= 'f') || ch == '.' || ch == ':' || ch == ' ';
}

static int parse_v1(const unsigned char *buf, size_t len,
		    struct proxy_info *out)
{
	static const char prefix[] = "PROXY ";
	size_t i;

	for (i = 0; i < len && i < 6; i++)
		if (buf[i] != (unsigned char)prefix[i])
			return PROXY_INVALID;
	for (; i < len && i < V1_MAX; i++) {
		if (buf[i] == '\r') {
			if (i + 1 == len)
				return PROXY_INCOMPLETE;
			if (buf[i + 1] != '\n' ||
			    parse_v1_line((const char *)buf, i, out) < 0)
				return PROXY_INVALID;
			return (int)(i + 2);
		}
		if (!v1_char(buf[i]))
			return PROXY_INVALID;
	}
	return i >= V1_MAX ? PROXY_INVALID : PROXY_INCOMPLETE;
}

static int parse_v2(const unsigned char *buf, size_t len,
		    struct proxy_info *out)
{
	size_t body, need;

	for (size_t i = 0; i < len && i < 12; i++)
		if (buf[i] != v2_sig[i])
			return PROXY_INVALID;
	if (len >= 13 && (buf[12] >> 4 != 2 || (buf[12] & 15) > 1))
		return PROXY_INVALID; /* version 2; LOCAL or PROXY */
	if (len < 16)
		return PROXY_INCOMPLETE;
	body = (size_t)buf[14] << 8 | buf[15];
	if (16 + body > PROXY_HEADER_MAX)
		return PROXY_INVALID;
	need = 16 + body;
	unsigned family = buf[13] >> 4, transport = buf[13] & 15;
	if (family > 3 || transport > 2)
		return PROXY_INVALID;
	size_t addr_len = family == 1 ? 12 : family == 2 ? 36 : 0;
	if (family == 3)
		addr_len = 216;
	if (body < addr_len)
		return PROXY_INVALID; /* the address block must fit */
	if (len < need)
		return PROXY_INCOMPLETE;
	out->has_addr = false;
	if ((buf[12] & 15) == 0 || transport != 1 ||
	    (family != 1 && family != 2))
		return (int)need; /* LOCAL, UDP, UNIX, UNSPEC: keep the peer */
	const unsigned char *a = buf + 16;
	memset(&out->src, 0, sizeof(out->src));
	memset(&out->dst, 0, sizeof(out->dst));
	if (family == 1) {
		struct sockaddr_in *s = (struct sockaddr_in *)&out->src;
		struct sockaddr_in *d = (struct sockaddr_in *)&out->dst;
		s->sin_family = d->sin_family = AF_INET;
		memcpy(&s->sin_addr, a, 4);
		memcpy(&d->sin_addr, a + 4, 4);
		memcpy(&s->sin_port, a + 8, 2);
		memcpy(&d->sin_port, a + 10, 2);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&out->src;
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&out->dst;
		s->sin6_family = d->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, a, 16);
		memcpy(&d->sin6_addr, a + 16, 16);
		memcpy(&s->sin6_port, a + 32, 2);
		memcpy(&d->sin6_port, a + 34, 2);
	}
	out->has_addr = true;
	return (int)need;
}

int proxy_parse(const unsigned char *buf, size_t len, struct proxy_info *out)
{
	if (len == 0)
		return PROXY_INCOMPLETE;
	if (buf[0] == 'P')
		return parse_v1(buf, len, out);
	if (buf[0] == 0x0d)
		return parse_v2(buf, len, out);
	return PROXY_INVALID;
}
