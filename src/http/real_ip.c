/*
 * real_ip.c - X-Forwarded-For behind trusted proxies (real_ip_from).
 *
 * Only a proxy we trust may say who the client is: the field is read at
 * all only when the connection's own peer is trusted, and from the right,
 * because each proxy appends the address it saw; what is left of the
 * first untrusted entry was written by the client and is never believed.
 * Never does I/O.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "real_ip.h"
#include "router.h"

#define XFF_LINES_MAX 32 /* field lines looked at; the rest are older */

/* One entry ("192.0.2.1", "2001:db8::1", "[2001:db8::1]") into *out. */
static bool parse_addr(const char *s, size_t n, struct sockaddr_storage *out)
{
	char text[INET6_ADDRSTRLEN + 2];

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(text))
		return false;
	memcpy(text, s, n);
	text[n] = '\0';
	memset(out, 0, sizeof(*out));
	struct sockaddr_in *in = (struct sockaddr_in *)out;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
	if (inet_pton(AF_INET, text, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		return true;
	}
	return false;
}

static bool is_ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

/*
 * Walk one field value right to left.  Returns 1 when the client was
 * found (*out), 0 to go on with the line before, -1 to stop (a bad
 * entry: *out holds the last good one if *have).
 */
static int walk_line(const struct cidr *trusted, size_t count,
		     struct slice value, struct sockaddr_storage *out,
		     bool *have)
{
	size_t end = value.len;

	while (end > 0) {
		size_t start = end;
		while (start > 0 && value.ptr[start - 1] != ',')
			start--;
		size_t a = start, b = end;
		while (a < b && is_ows(value.ptr[a]))
			a++;
		while (b > a && is_ows(value.ptr[b - 1]))
			b--;
		end = start > 0 ? start - 1 : 0;
		if (a == b)
			continue; /* empty list element (RFC 9110 §5.6.1) */
		struct sockaddr_storage addr;
		if (!parse_addr(value.ptr + a, b - a, &addr))
			return -1;
		*out = addr;
		*have = true;
		if (!cidr_allows(trusted, count, (struct sockaddr *)&addr))
			return 1;
		if (start == 0)
			break;
	}
	return 0;
}

bool real_ip_find(const struct cidr *trusted, size_t count,
		  const struct sockaddr *hop, const char *fields, size_t len,
		  struct sockaddr_storage *out)
{
	struct slice lines[XFF_LINES_MAX];
	size_t n = 0, pos = 0;
	struct http_header h;
	bool have = false;

	if (count == 0 || fields == NULL || !cidr_allows(trusted, count, hop))
		return false;
	while (http_header_next(fields, len, &pos, &h)) {
		if (h.name.len != 15 ||
		    strncasecmp(h.name.ptr, "X-Forwarded-For", 15) != 0)
			continue;
		if (n == XFF_LINES_MAX)
			memmove(lines, lines + 1, sizeof(lines[0]) * --n);
		lines[n++] = h.value;
	}
	while (n-- > 0) {
		int r = walk_line(trusted, count, lines[n], out, &have);
		if (r != 0)
			break;
	}
	return have;
}
