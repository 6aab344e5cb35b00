/*
 * parser_chars.c - the octet classes of the request head and the lexical
 * checks built on them: word-at-a-time scans of a field value and of a
 * request-target, OWS trimming, list elements (RFC 9110 §5.6.1), tokens
 * (§5.6.2) and uri-host [ ":" port ] (§7.2, RFC 3986 §3.2.2-3.2.3).
 *
 * Invariant: parser_ctype is the one definition of which octet may stand
 * where.  The word-at-a-time fast paths skip only octets it accepts and
 * the octet loop after them asks the table, so a scan ends exactly where
 * a byte-by-byte one would.
 * Never reads at or past the end it is given, allocates, copies or keeps
 * state: every result points into the caller's bytes.
 */
#include <stdint.h>
#include <string.h>

#include "parser_int.h"

#define NO  0
#define V_  CT_VALUE
#define VG  (CT_VALUE | CT_TARGET)
#define TV  (CT_TCHAR | CT_VALUE)
#define VGH (CT_VALUE | CT_TARGET | CT_HOST)
#define TVG (CT_TCHAR | CT_VALUE | CT_TARGET)
#define ALL (CT_TCHAR | CT_VALUE | CT_TARGET | CT_HOST)

/* clang-format off */
const unsigned char parser_ctype[256] = {
	/* NUL .. SI: only HTAB is allowed, in field values */
	NO, NO, NO, NO, NO, NO, NO, NO, NO, V_, NO, NO, NO, NO, NO, NO,
	/* DLE .. US */
	NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO,
	/* SP ! " # $ % & ' ( ) * + , - . / */
	V_, ALL, VG, TV, ALL, ALL, ALL, ALL,
	VGH, VGH, ALL, ALL, VGH, ALL, ALL, VG,
	/* 0 1 2 3 4 5 6 7 8 9 : ; < = > ? */
	ALL, ALL, ALL, ALL, ALL, ALL, ALL, ALL,
	ALL, ALL, VG, VGH, VG, VGH, VG, VG,
	/* @ A .. O */
	VG, ALL, ALL, ALL, ALL, ALL, ALL, ALL,
	ALL, ALL, ALL, ALL, ALL, ALL, ALL, ALL,
	/* P .. Z [ \ ] ^ _ */
	ALL, ALL, ALL, ALL, ALL, ALL, ALL, ALL,
	ALL, ALL, ALL, VG, VG, VG, TVG, ALL,
	/* ` a .. o */
	TVG, ALL, ALL, ALL, ALL, ALL, ALL, ALL,
	ALL, ALL, ALL, ALL, ALL, ALL, ALL, ALL,
	/* p .. z { | } ~ DEL */
	ALL, ALL, ALL, ALL, ALL, ALL, ALL, ALL,
	ALL, ALL, ALL, VG, TVG, VG, ALL, NO,
	/* 0x80 .. 0xff: obs-text, allowed in field values only */
	V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_,
	V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_,
	V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_,
	V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_,
	V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_,
	V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_,
	V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_,
	V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_, V_,
};
/* clang-format on */

#undef NO
#undef V_
#undef VG
#undef TV
#undef VGH
#undef TVG
#undef ALL

static inline bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * Word-at-a-time scanning (SWAR): eight octets are skipped at once while
 * none of them can end the run; the octet loop then finds the exact end.
 * ANY_BELOW(x, n) is non-zero iff some octet of x is below n (n <= 128);
 * ANY_EQUAL(x, c) iff some octet equals c.
 * (Not formatted: clang-format would read "(x) - ONES" as a cast.)
 */
/* clang-format off */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS (ONES * 0x80)
#define ANY_BELOW(x, n) (((x) - ONES * (n)) & ~(x) & HIGHS)
#define ANY_EQUAL(x, c) ANY_BELOW((x) ^ (ONES * (c)), 1)
/* clang-format on */

static inline uint64_t load64(const char *s)
{
	uint64_t x;

	memcpy(&x, s, sizeof(x));
	return x;
}

/* End of the run of field-value octets (CT_VALUE) starting at i. */
size_t parser_scan_value(const char *b, size_t i, size_t end)
{
	while (end - i >= 8) {
		uint64_t x = load64(b + i);

		if (ANY_BELOW(x, 0x20) | ANY_EQUAL(x, 0x7f))
			break;
		i += 8;
	}
	while (i < end && is_class(b[i], CT_VALUE))
		i++;
	return i;
}

/* End of the run of request-target octets (CT_TARGET) starting at i. */
size_t parser_scan_target(const char *b, size_t i, size_t end)
{
	while (end - i >= 8) {
		uint64_t x = load64(b + i);

		if (ANY_BELOW(x, 0x21) | ANY_EQUAL(x, '#') |
		    ANY_EQUAL(x, 0x7f) | (x & HIGHS))
			break;
		i += 8;
	}
	while (i < end && is_class(b[i], CT_TARGET))
		i++;
	return i;
}

struct slice parser_trim_ows(const char *s, size_t len)
{
	while (len > 0 && is_ows(s[0])) {
		s++;
		len--;
	}
	while (len > 0 && is_ows(s[len - 1]))
		len--;
	return (struct slice){s, len};
}

/*
 * Next non-empty element of a comma-separated list (RFC 9110 §5.6.1:
 * empty elements are ignored), OWS trimmed.  false when none is left.
 */
bool parser_list_next(struct slice *rest, struct slice *elem)
{
	while (rest->len > 0) {
		const char *comma = memchr(rest->ptr, ',', rest->len);
		size_t n = comma ? (size_t)(comma - rest->ptr) : rest->len;

		*elem = parser_trim_ows(rest->ptr, n);
		if (comma)
			n++;
		rest->ptr += n;
		rest->len -= n;
		if (elem->len > 0)
			return true;
	}
	return false;
}

bool parser_is_token(struct slice s)
{
	if (s.len == 0)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (!is_class(s.ptr[i], CT_TCHAR))
			return false;
	return true;
}

/* s[i] is '%': two hex digits must follow (RFC 3986 §2.1). */
static bool pct_ok(const char *s, size_t len, size_t i)
{
	return i + 2 < len && is_hex(s[i + 1]) && is_hex(s[i + 2]);
}

/*
 * Host = uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2-3.2.3).
 * An IPv4address is a reg-name as far as octets go; an IP-literal is
 * checked for its octets only.  No userinfo ('@' is refused), no '/'.
 * The host part must not be empty: the request's URI is an http(s) URI,
 * and one with an empty host is invalid (RFC 9110 §4.2.1, §4.2.2).
 * need_port: authority-form of CONNECT (RFC 9110 §9.3.6).
 */
bool parser_host_valid(struct slice h, bool need_port)
{
	const char *s = h.ptr;
	size_t i = 0, port;

	if (h.len == 0 || s[0] == ':')
		return false;
	if (s[0] == '[') {
		for (i = 1; i < h.len && s[i] != ']'; i++)
			if (!is_class(s[i], CT_HOST) && s[i] != ':')
				return false;
		if (i == h.len || i == 1)
			return false;
		i++;
	} else {
		for (; i < h.len && s[i] != ':'; i++) {
			if (!is_class(s[i], CT_HOST))
				return false;
			if (s[i] == '%' && !pct_ok(s, h.len, i))
				return false;
		}
	}
	if (i == h.len)
		return !need_port;
	if (s[i] != ':')
		return false;
	port = ++i;
	for (; i < h.len; i++)
		if (!is_digit(s[i]))
			return false;
	return !need_port || i > port;
}
