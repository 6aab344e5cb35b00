/*
 * multipart.c - streaming multipart/form-data parser (RFC 7578, framing
 * of RFC 2046 §5.1.1).
 *
 * The body is: preamble, then "--boundary" transport-padding CRLF, a
 * header section ended by an empty line, the part's data, and CRLF
 * "--boundary" again; after the last part "--boundary--" and an epilogue.
 * The delimiter that ends a part's data is therefore D = CRLF "--"
 * boundary, and its CRLF belongs to the delimiter, not to the data.
 *
 * Invariant: bytes that could still be the start of D are held back, and
 * they are always exactly D[0..match): so nothing is copied to hold them,
 * and a delimiter split across feeds at any point is still found.  A
 * boundary never contains CR (RFC 2046 bchars), so CR occurs in D only at
 * D[0]: after a mismatch no suffix of the held bytes can start D again,
 * and the plain "emit the held bytes, restart at the current byte" step
 * is the exact matcher (no KMP table needed).  The preamble runs the same
 * matcher as if a CRLF had just been seen, since the first delimiter may
 * start the body (RFC 2046: "the CRLF preceding the boundary delimiter
 * line is conceptually attached to the boundary").
 *
 * Only a part's header section is buffered (MULTIPART_HEADER_MAX bytes).
 * The parser never does I/O; callbacks decide what data becomes.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "multipart.h"

enum mp_state {
	MP_PREAMBLE,   /* before the first delimiter: discarded */
	MP_DELIM_TAIL, /* right after "--boundary" */
	MP_DELIM_PAD,  /* transport padding (LWSP) before CRLF */
	MP_DELIM_LF,   /* CR seen after the delimiter line */
	MP_CLOSE_DASH, /* one '-' of the close delimiter seen */
	MP_HEADERS,    /* part header section */
	MP_DATA,       /* part data */
	MP_EPILOGUE,   /* after "--boundary--": ignored */
	MP_FAILED,
};

struct multipart {
	enum mp_state state;
	enum multipart_error error;
	struct multipart_callbacks cb;
	void *ctx;
	char delim[4 + MULTIPART_BOUNDARY_MAX]; /* CRLF "--" boundary */
	size_t delim_len;
	size_t match; /* held bytes: delim[0..match) */
	size_t hdr_len;
	char hdr[MULTIPART_HEADER_MAX];
};

/* A parameter of a header value: name=token or name="quoted". */
struct mp_param {
	const char *name;
	size_t name_len;
	const char *value; /* raw: quotes and escapes still in */
	size_t value_len;
	bool quoted;
};

/* RFC 9110 §5.6.2 tchar. */
static bool mp_is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 2046 §5.1.1 bchars. */
static bool mp_is_bchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	return c != '\0' && strchr("'()+_,-./:=? ", c) != NULL;
}

static const char *mp_skip_ows(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static const char *mp_skip_token(const char *p, const char *end)
{
	while (p < end && mp_is_tchar((unsigned char)*p))
		p++;
	return p;
}

/*
 * Next ";" OWS name "=" value of a header value (RFC 9110 §5.6.6) at
 * *pos, which is just past the media or disposition type.  Returns 1 with
 * *out filled, 0 at the end, -1 on bad syntax.  An empty parameter
 * (";;" or a trailing ";") is skipped, as senders do emit it.
 */
static int mp_next_param(const char **pos, const char *end,
			 struct mp_param *out)
{
	const char *p = mp_skip_ows(*pos, end);

	for (;;) {
		if (p == end)
			return 0;
		if (*p != ';')
			return -1;
		p = mp_skip_ows(p + 1, end);
		if (p < end && *p != ';')
			break;
	}
	out->name = p;
	p = mp_skip_token(p, end);
	out->name_len = (size_t)(p - out->name);
	if (out->name_len == 0 || p == end || *p != '=')
		return -1;
	p++;
	out->quoted = p < end && *p == '"';
	if (out->quoted) {
		out->value = ++p;
		while (p < end && *p != '"')
			p += (*p == '\\' && p + 1 < end) ? 2 : 1;
		if (p == end)
			return -1;
		out->value_len = (size_t)(p - out->value);
		p++;
	} else {
		out->value = p;
		p = mp_skip_token(p, end);
		out->value_len = (size_t)(p - out->value);
		if (out->value_len == 0)
			return -1;
	}
	*pos = p;
	return 1;
}

/*
 * Copy a parameter value to dst without its escapes; returns the length.
 * dst may be the value's own storage minus one (in-place decoding only
 * ever moves bytes left).  A backslash escapes only '"' and '\\': browsers
 * send Windows paths ("C:\dir\a.txt") unescaped in filename, so any other
 * backslash is kept as a literal byte.
 */
static size_t mp_unquote(const struct mp_param *prm, char *dst)
{
	size_t n = 0;

	for (size_t i = 0; i < prm->value_len; i++) {
		char c = prm->value[i];

		if (prm->quoted && c == '\\' && i + 1 < prm->value_len &&
		    (prm->value[i + 1] == '"' || prm->value[i + 1] == '\\'))
			c = prm->value[++i];
		dst[n++] = c;
	}
	return n;
}

/* The type/subtype (or disposition type) before the parameters. */
static const char *mp_type_end(const char *p, const char *end)
{
	while (p < end && *p != ';' && *p != ' ' && *p != '\t')
		p++;
	return p;
}

bool multipart_is_form_data(const char *ctype, size_t len)
{
	static const char want[] = "multipart/form-data";
	const char *end = ctype + len;
	const char *p = mp_skip_ows(ctype, end);
	const char *type_end = mp_type_end(p, end);

	return (size_t)(type_end - p) == sizeof(want) - 1 &&
	       strncasecmp(p, want, sizeof(want) - 1) == 0;
}

int multipart_boundary(const char *ctype, size_t len, char *out, size_t cap)
{
	const char *end = ctype + len;
	const char *p = mp_type_end(mp_skip_ows(ctype, end), end);
	struct mp_param prm;
	int r;

	if (cap <= MULTIPART_BOUNDARY_MAX)
		return -1;
	while ((r = mp_next_param(&p, end, &prm)) == 1) {
		if (prm.name_len != 8 || strncasecmp(prm.name, "boundary", 8))
			continue;
		if (prm.value_len > MULTIPART_BOUNDARY_MAX * 2)
			return -1;
		char tmp[MULTIPART_BOUNDARY_MAX * 2];
		size_t n = mp_unquote(&prm, tmp);

		if (n == 0 || n > MULTIPART_BOUNDARY_MAX || tmp[n - 1] == ' ')
			return -1;
		for (size_t i = 0; i < n; i++)
			if (!mp_is_bchar((unsigned char)tmp[i]))
				return -1;
		memcpy(out, tmp, n);
		out[n] = '\0';
		return (int)n;
	}
	return -1;
}

struct multipart *multipart_new(const char *boundary, size_t boundary_len,
				const struct multipart_callbacks *cb, void *ctx)
{
	struct multipart *mp;

	if (boundary_len == 0 || boundary_len > MULTIPART_BOUNDARY_MAX)
		return NULL;
	for (size_t i = 0; i < boundary_len; i++)
		if (!mp_is_bchar((unsigned char)boundary[i]))
			return NULL;
	if ((mp = calloc(1, sizeof(*mp))) == NULL)
		return NULL;
	mp->state = MP_PREAMBLE;
	mp->cb = *cb;
	mp->ctx = ctx;
	memcpy(mp->delim, "\r\n--", 4);
	memcpy(mp->delim + 4, boundary, boundary_len);
	mp->delim_len = 4 + boundary_len;
	mp->match = 2; /* the body's start counts as a CRLF */
	return mp;
}

void multipart_free(struct multipart *mp)
{
	free(mp);
}

enum multipart_error multipart_error(const struct multipart *mp)
{
	return mp->error;
}

static int mp_fail(struct multipart *mp, enum multipart_error err)
{
	mp->state = MP_FAILED;
	mp->error = err;
	return -1;
}

static int mp_emit(struct multipart *mp, const char *data, size_t len)
{
	if (len == 0 || mp->state != MP_DATA || mp->cb.on_data == NULL)
		return 0;
	if (mp->cb.on_data(mp->ctx, data, len) == -1)
		return mp_fail(mp, MULTIPART_ERR_CALLBACK);
	return 0;
}

/*
 * Preamble or data: look for the delimiter in p[0..len).  Data (nothing,
 * in the preamble) is passed on in one piece per call, plus the held
 * bytes of an earlier call when they turn out not to be a delimiter.
 * Returns the bytes consumed, or -1.
 */
static long mp_body(struct multipart *mp, const char *p, size_t len)
{
	size_t carried = mp->match; /* held by earlier calls */
	size_t i = 0;

	while (i < len) {
		if (mp->match == 0) {
			const char *cr = memchr(p + i, '\r', len - i);

			if (cr == NULL) {
				i = len;
				break;
			}
			i = (size_t)(cr - p) + 1;
			mp->match = 1;
			continue;
		}
		if (p[i] == mp->delim[mp->match]) {
			i++;
			if (++mp->match < mp->delim_len)
				continue;
			/* Delimiter complete: the data ends where it began. */
			if (mp_emit(mp, p, i - (mp->delim_len - carried)) == -1)
				return -1;
			mp->match = 0;
			if (mp->state == MP_DATA && mp->cb.on_part_end &&
			    mp->cb.on_part_end(mp->ctx) == -1)
				return mp_fail(mp, MULTIPART_ERR_CALLBACK);
			mp->state = MP_DELIM_TAIL;
			return (long)i;
		}
		/* Mismatch: the held bytes were data after all. */
		if (carried > 0 && mp_emit(mp, mp->delim, carried) == -1)
			return -1;
		carried = 0;
		mp->match = 0;
	}
	if (mp_emit(mp, p, len - (mp->match - carried)) == -1)
		return -1;
	return (long)len;
}

/* One byte of the rest of a delimiter line (RFC 2046 §5.1.1). */
static int mp_delim_byte(struct multipart *mp, char c)
{
	switch (mp->state) {
	case MP_DELIM_TAIL:
		if (c == '-') {
			mp->state = MP_CLOSE_DASH;
			return 0;
		}
		/* fall through */
	case MP_DELIM_PAD:
		if (c == ' ' || c == '\t')
			mp->state = MP_DELIM_PAD;
		else if (c == '\r')
			mp->state = MP_DELIM_LF;
		else
			return mp_fail(mp, MULTIPART_ERR_SYNTAX);
		return 0;
	case MP_DELIM_LF:
		if (c != '\n')
			return mp_fail(mp, MULTIPART_ERR_SYNTAX);
		mp->state = MP_HEADERS;
		mp->hdr_len = 0;
		return 0;
	case MP_CLOSE_DASH:
		if (c != '-')
			return mp_fail(mp, MULTIPART_ERR_SYNTAX);
		mp->state = MP_EPILOGUE;
		return 0;
	default:
		return mp_fail(mp, MULTIPART_ERR_SYNTAX);
	}
}

static bool mp_name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

/* Content-Disposition: form-data; name="x"; filename="y" (RFC 7578
 * §4.2).  Values are decoded in place; their NULs are set by the caller
 * once the whole section is parsed.  0 / -1 (syntax). */
static int mp_disposition(char *value, const char *end,
			  struct multipart_part *part)
{
	const char *p = mp_type_end(value, end);
	bool form_data = mp_name_is(value, (size_t)(p - value), "form-data");
	struct mp_param prm;
	int r;

	while ((r = mp_next_param(&p, end, &prm)) == 1) {
		char *dst = (char *)prm.value - prm.quoted;
		const char **slot = NULL;
		size_t *slot_len = NULL;

		if (mp_name_is(prm.name, prm.name_len, "name")) {
			slot = &part->name;
			slot_len = &part->name_len;
		} else if (mp_name_is(prm.name, prm.name_len, "filename")) {
			slot = &part->filename;
			slot_len = &part->filename_len;
		}
		/* The first of a repeated parameter wins; filename* (RFC
		 * 7578 §4.2: senders must not use it) is just another name. */
		if (slot == NULL || *slot != NULL || !form_data)
			continue;
		*slot_len = mp_unquote(&prm, dst);
		*slot = dst;
	}
	if (r == -1)
		return -1;
	part->has_disposition = form_data;
	return 0;
}

/* One header line [line, end) without its CRLF.  The first
 * Content-Disposition and Content-Type count; *cd_seen tracks the
 * former.  0 / -1. */
static int mp_header_line(char *line, char *end, struct multipart_part *part,
			  bool *cd_seen)
{
	char *colon = memchr(line, ':', (size_t)(end - line));
	char *value;

	if (colon == NULL || colon == line ||
	    mp_skip_token(line, colon) != colon)
		return -1;
	value = (char *)mp_skip_ows(colon + 1, end);
	while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (mp_name_is(line, (size_t)(colon - line), "content-disposition")) {
		if (*cd_seen)
			return 0;
		*cd_seen = true;
		return mp_disposition(value, end, part);
	}
	if (mp_name_is(line, (size_t)(colon - line), "content-type") &&
	    part->content_type == NULL) {
		part->content_type = value;
		part->content_type_len = (size_t)(end - value);
	}
	return 0;
}

/*
 * The header section hdr[0..hdr_len) is complete (it ends with the empty
 * line's CRLF): parse it and announce the part.  0 / -1.
 */
static int mp_part_begin(struct multipart *mp)
{
	struct multipart_part part = {0};
	char *p = mp->hdr, *end = mp->hdr + mp->hdr_len - 2;
	bool cd_seen = false;

	/* RFC 9110 §5.5: NUL in a field is invalid (and would cut the
	 * NUL-terminated strings handed to on_part short). */
	if (memchr(mp->hdr, '\0', mp->hdr_len) != NULL)
		return mp_fail(mp, MULTIPART_ERR_SYNTAX);
	/* RFC 5322 §2.2.3 unfolding: CRLF before WSP is not a line end. */
	for (char *q = p; q + 2 < end; q++)
		if (q[0] == '\r' && q[1] == '\n' &&
		    (q[2] == ' ' || q[2] == '\t'))
			q[0] = q[1] = ' ';
	while (p < end) {
		char *eol = memchr(p, '\r', (size_t)(end - p));

		/* Every line ends in CRLF: checked while buffering. */
		if (eol == NULL || eol[1] != '\n')
			return mp_fail(mp, MULTIPART_ERR_SYNTAX);
		if (mp_header_line(p, eol, &part, &cd_seen) == -1)
			return mp_fail(mp, MULTIPART_ERR_SYNTAX);
		p = eol + 2;
	}
	/* Every value is followed by at least one byte of its own source
	 * (closing quote, delimiter or CR): room for its NUL. */
	if (part.name)
		((char *)part.name)[part.name_len] = '\0';
	if (part.filename)
		((char *)part.filename)[part.filename_len] = '\0';
	if (part.content_type)
		((char *)part.content_type)[part.content_type_len] = '\0';
	mp->state = MP_DATA;
	mp->match = 0;
	if (mp->cb.on_part && mp->cb.on_part(mp->ctx, &part) == -1)
		return mp_fail(mp, MULTIPART_ERR_CALLBACK);
	return 0;
}

/* Buffer header bytes up to the empty line.  Consumed bytes or -1. */
static long mp_headers(struct multipart *mp, const char *p, size_t len)
{
	const char *lf = memchr(p, '\n', len);
	size_t n = lf ? (size_t)(lf - p) + 1 : len;

	if (n > sizeof(mp->hdr) - mp->hdr_len)
		return mp_fail(mp, MULTIPART_ERR_HEADER_TOO_LONG);
	memcpy(mp->hdr + mp->hdr_len, p, n);
	mp->hdr_len += n;
	if (lf == NULL)
		return (long)n;
	/* A line must end in CRLF; bare LF is not MIME. */
	if (mp->hdr_len < 2 || mp->hdr[mp->hdr_len - 2] != '\r')
		return mp_fail(mp, MULTIPART_ERR_SYNTAX);
	if (mp->hdr_len == 2 ||
	    (mp->hdr_len >= 4 &&
	     memcmp(mp->hdr + mp->hdr_len - 4, "\r\n\r\n", 4) == 0)) {
		if (mp_part_begin(mp) == -1)
			return -1;
	}
	return (long)n;
}

int multipart_feed(struct multipart *mp, const char *data, size_t len)
{
	while (len > 0) {
		long used = 1;

		switch (mp->state) {
		case MP_PREAMBLE:
		case MP_DATA:
			used = mp_body(mp, data, len);
			break;
		case MP_HEADERS:
			used = mp_headers(mp, data, len);
			break;
		case MP_EPILOGUE:
			return 0; /* RFC 2046: to be ignored */
		case MP_FAILED:
			return -1;
		default:
			if (mp_delim_byte(mp, *data) == -1)
				return -1;
			break;
		}
		if (used < 0)
			return -1;
		data += used;
		len -= (size_t)used;
	}
	return mp->state == MP_FAILED ? -1 : 0;
}

int multipart_finish(struct multipart *mp)
{
	if (mp->state == MP_EPILOGUE)
		return 0;
	if (mp->state != MP_FAILED)
		mp_fail(mp, MULTIPART_ERR_TRUNCATED);
	return -1;
}
