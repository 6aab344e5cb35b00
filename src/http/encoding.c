/*
 * encoding.c - Accept-Encoding negotiation (RFC 9110 §12.5.3), see
 * encoding.h.  One pass over the field value, weights kept as integers
 * 0..1000 (no floating point).  Never reads outside ae[0..len).
 */
#include <string.h>
#include <strings.h>

#include "encoding.h"

#define Q_MAX	1000
#define Q_UNSET (-1)

static const char *const names[ENC_COUNT] = {"identity", "gzip", "br"};
static const char *const suffixes[ENC_COUNT] = {"", ".gz", ".br"};

const char *encoding_name(enum content_coding enc)
{
	return (unsigned)enc < ENC_COUNT ? names[enc] : "identity";
}

const char *encoding_suffix(enum content_coding enc)
{
	return (unsigned)enc < ENC_COUNT ? suffixes[enc] : "";
}

static bool token_is(const char *p, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(p, name, len) == 0;
}

int encoding_from_name(const char *name, size_t len)
{
	if (token_is(name, len, "gzip"))
		return ENC_GZIP;
	if (token_is(name, len, "br"))
		return ENC_BR;
	return -1;
}

/* RFC 9110 §5.6.2 tchar */
static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *skip_ows(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* §12.4.2 qvalue: "0" [ "." 0*3DIGIT ] / "1" [ "." 0*3("0") ]; -1 bad. */
static int parse_qvalue(const char *p, const char *end)
{
	int q, scale = 100;

	if (p == end || (*p != '0' && *p != '1'))
		return -1;
	q = (*p++ - '0') * Q_MAX;
	if (p < end && *p == '.') {
		p++;
		for (int i = 0; i < 3 && p < end && *p >= '0' && *p <= '9';
		     i++, p++, scale /= 10)
			q += (*p - '0') * scale;
	}
	if (p != end || q > Q_MAX)
		return -1;
	return q;
}

/*
 * The weight of one element's parameters p[0..end): ";q=..." (the only
 * parameter §12.5.3 defines; "Q" too, §12.4.2: case-insensitive).  Other
 * parameters are skipped.  Returns 0..1000, or -1 when malformed.
 */
static int parse_params(const char *p, const char *end)
{
	int q = Q_MAX;

	while ((p = skip_ows(p, end)) < end) {
		const char *name, *val;
		if (*p++ != ';')
			return -1;
		p = skip_ows(p, end);
		name = p;
		while (p < end && is_tchar((unsigned char)*p))
			p++;
		size_t name_len = (size_t)(p - name);
		if (name_len == 0 || p == end || *p++ != '=')
			return -1;
		val = p;
		while (p < end && is_tchar((unsigned char)*p))
			p++;
		if (name_len == 1 && (*name == 'q' || *name == 'Q')) {
			q = parse_qvalue(val, p);
			if (q < 0)
				return -1;
		}
	}
	return q;
}

/* What the field says, per coding: weight or Q_UNSET. */
struct accept {
	int q[ENC_COUNT];
	int star;
};

static void note(struct accept *a, const char *tok, size_t len, int q)
{
	int enc;

	if (token_is(tok, len, "*")) {
		a->star = q;
		return;
	}
	if (token_is(tok, len, "identity"))
		enc = ENC_IDENTITY;
	else if (token_is(tok, len, "x-gzip")) /* §8.4.1.3 */
		enc = ENC_GZIP;
	else
		enc = encoding_from_name(tok, len);
	/* a coding listed twice: the higher weight counts */
	if (enc >= 0 && q > a->q[enc])
		a->q[enc] = q;
}

static void parse_field(struct accept *a, const char *ae, size_t len)
{
	const char *p = ae, *end = ae + len;

	while (p < end) {
		const char *elem_end = memchr(p, ',', (size_t)(end - p));
		if (elem_end == NULL)
			elem_end = end;
		const char *tok = skip_ows(p, elem_end), *t = tok;
		while (t < elem_end && is_tchar((unsigned char)*t))
			t++;
		if (t > tok) {
			int q = parse_params(t, elem_end);
			if (q >= 0)
				note(a, tok, (size_t)(t - tok), q);
		}
		p = elem_end < end ? elem_end + 1 : end;
	}
}

int encoding_choose(const char *ae, size_t len, bool present,
		    const uint8_t *offer, size_t n)
{
	struct accept a = {{Q_UNSET, Q_UNSET, Q_UNSET}, Q_UNSET};
	int best = ENC_IDENTITY, best_q, id_q;

	if (!present)
		return ENC_IDENTITY;
	parse_field(&a, ae, len);
	/* identity: acceptable unless refused by name or by "*;q=0" */
	id_q = a.q[ENC_IDENTITY];
	if (id_q == Q_UNSET)
		id_q = a.star == 0 ? 0 : 1;
	best_q = id_q;
	for (size_t i = 0; i < n; i++) {
		int enc = offer[i];
		if (enc <= ENC_IDENTITY || enc >= ENC_COUNT)
			continue;
		int q = a.q[enc] != Q_UNSET ? a.q[enc] : a.star;
		/* strictly better than what we have; identity's implicit
		 * weight (1 of 1000) loses to any listed coding */
		if (q > 0 && (q > best_q ||
			      (best == ENC_IDENTITY && q == best_q && q > 0))) {
			best = enc;
			best_q = q;
		}
	}
	if (best_q <= 0)
		return -1;
	return best;
}
