/*
 * path.c - request path canonicalisation, URL encoding, HTML escaping.
 *
 * Pure: no I/O, no allocation; every output goes to a caller's buffer of
 * known capacity.  The invariant path_canonical() keeps: its result starts
 * with '/', holds no "." or ".." segment, no "//", no NUL, no byte below
 * 0x20 nor 0x7f, no backslash, and names nothing above "/".  It decodes
 * exactly once: "%252e" becomes the literal name "%2e", never a dot.
 */
#include <stdbool.h>
#include <string.h>

#include "path.h"

static int path_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Bytes a decoded path may never hold: controls (the file system would
 * accept them, logs and headers would not), NUL (truncates C strings),
 * '/' from %2F (a slash hidden from the dot-segment pass), and '\\'
 * (a separator on other systems: refused rather than guessed at).
 */
static bool path_byte_bad(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '/' || c == '\\';
}

/*
 * Decode the segment raw[*pos..) up to the next '/' into out[olen..),
 * leaving room for the NUL.  Returns the decoded length or -1.
 */
static ssize_t path_decode_segment(const char *raw, size_t len, size_t *pos,
				   char *out, size_t olen, size_t cap)
{
	size_t seg = 0;

	while (*pos < len && raw[*pos] != '/') {
		unsigned char c = (unsigned char)raw[*pos];
		if (c == '%') {
			if (len - *pos < 3)
				return -1;
			int hi = path_hex((unsigned char)raw[*pos + 1]);
			int lo = path_hex((unsigned char)raw[*pos + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			*pos += 3;
		} else {
			*pos += 1;
		}
		if (path_byte_bad(c))
			return -1;
		if (olen + seg + 1 >= cap)
			return -1;
		out[olen + seg++] = (char)c;
	}
	return (ssize_t)seg;
}

/*
 * RFC 3986 §5.2.4 remove_dot_segments, fused with decoding: out always
 * holds "/" or "/seg/.../" while a later segment may follow, so ".." pops
 * back to the previous '/' and can never climb above the first one.
 */
ssize_t path_canonical(const char *raw, size_t len, char *out, size_t cap)
{
	size_t pos = 1;
	size_t olen = 1;

	if (len == 0 || raw[0] != '/' || cap < 2)
		return -1;
	out[0] = '/';
	while (pos < len) {
		ssize_t seg =
		    path_decode_segment(raw, len, &pos, out, olen, cap);
		bool more = pos < len; /* raw[pos] == '/' */
		if (seg < 0)
			return -1;
		pos += more;
		if (seg == 0)
			continue; /* "//": merged */
		if (seg == 1 && out[olen] == '.')
			continue; /* "/./" or a final "/.": directory */
		if (seg == 2 && out[olen] == '.' && out[olen + 1] == '.') {
			if (olen > 1)
				olen--;
			while (out[olen - 1] != '/')
				olen--;
			continue;
		}
		olen += (size_t)seg;
		if (more) {
			if (olen + 1 >= cap)
				return -1;
			out[olen++] = '/';
		}
	}
	out[olen] = '\0';
	return (ssize_t)olen;
}

/* RFC 3986 §2.3 unreserved, plus '/' which separates segments. */
static bool path_url_keep(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~' || c == '/';
}

ssize_t path_url_encode(const char *in, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t olen = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (path_url_keep(c)) {
			if (cap - olen < 2)
				return -1;
			out[olen++] = (char)c;
			continue;
		}
		if (cap - olen < 4)
			return -1;
		out[olen++] = '%';
		out[olen++] = hex[c >> 4];
		out[olen++] = hex[c & 15];
	}
	if (cap - olen < 1)
		return -1;
	out[olen] = '\0';
	return (ssize_t)olen;
}

ssize_t html_escape(const char *in, size_t len, char *out, size_t cap)
{
	size_t olen = 0;

	for (size_t i = 0; i < len; i++) {
		const char *rep;
		switch (in[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			rep = NULL;
			break;
		}
		size_t rep_len = rep ? strlen(rep) : 1;
		if (cap - olen < rep_len + 1)
			return -1;
		if (rep)
			memcpy(out + olen, rep, rep_len);
		else
			out[olen] = in[i];
		olen += rep_len;
	}
	if (cap - olen < 1)
		return -1;
	out[olen] = '\0';
	return (ssize_t)olen;
}
