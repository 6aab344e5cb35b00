/*
 * body.c - chunked transfer decoding (RFC 9112 §7.1), in place.
 *
 * A byte-at-a-time state machine for the framing lines and one memmove per
 * run of chunk data.  Every byte given is consumed (a partial line lives
 * in struct chunked) until the last chunk's trailer section ends; from then
 * on nothing is consumed, so pipelined bytes stay where they are.  Output
 * is written at or before the byte being read, so decoding in place never
 * overwrites input not yet read.
 *
 * Strict: the size is 1*HEXDIG with no sign, prefix or leading space,
 * below 2^63; extensions must follow the grammar (quoted strings
 * included) and the size line is at most CHUNKED_LINE_MAX bytes; every CR
 * must be followed by LF and every LF preceded by CR; trailer lines must
 * be field lines (no obs-fold) and the section is at most
 * CHUNKED_TRAILER_MAX bytes; trailers are dropped.
 * Never allocates; never does I/O.
 */
#include <assert.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "body.h"

enum chunked_state {
	/* chunk-size [ chunk-ext ] CRLF, counted in line_len */
	CH_SIZE_FIRST,	   /* first HEXDIG */
	CH_SIZE,	   /* more HEXDIG, or what follows the size */
	CH_EXT_BWS,	   /* BWS before ';' */
	CH_EXT_NAME_BWS,   /* BWS after ';' */
	CH_EXT_NAME,	   /* chunk-ext-name */
	CH_EXT_NAME_END,   /* BWS after the name: '=' or ';' next */
	CH_EXT_VAL_BWS,	   /* BWS after '=' */
	CH_EXT_TOKEN,	   /* token value */
	CH_EXT_QUOTED,	   /* inside a quoted-string value */
	CH_EXT_QUOTED_ESC, /* after a backslash in it */
	CH_EXT_QUOTED_END, /* after the closing quote */
	CH_SIZE_LF,	   /* LF ending the size line */
	/* chunk-data CRLF */
	CH_DATA,
	CH_DATA_CR,
	CH_DATA_LF,
	/* trailer-section CRLF, counted in trailer_len */
	CH_TRAILER, /* start of a trailer line or the final CRLF */
	CH_TRAILER_NAME,
	CH_TRAILER_VALUE,
	CH_TRAILER_LF,
	CH_END_LF, /* LF of the final CRLF */
	CH_DONE,
	CH_ERROR,
};

static bool is_tchar(unsigned char c)
{
	/* RFC 9110 §5.6.2 */
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* qdtext and quoted-pair octets (RFC 9110 §5.6.4), without '"' and '\'. */
static bool is_qdtext(unsigned char c)
{
	return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
	       (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}

/* field-vchar, SP, HTAB (RFC 9110 §5.5). */
static bool is_field_octet(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c <= 0x7e) || c >= 0x80;
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* After the size or an extension: BWS, ';' or the end of the line. */
static int ext_next(unsigned char c)
{
	if (is_ws(c))
		return CH_EXT_BWS;
	if (c == ';')
		return CH_EXT_NAME_BWS;
	if (c == '\r')
		return CH_SIZE_LF;
	return CH_ERROR;
}

/*
 * chunk-size [ chunk-ext ] CR (RFC 9112 §7.1, §7.1.1):
 * chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted ) ] ).
 */
static int size_line_step(struct chunked *c, unsigned char ch)
{
	int d;

	switch (c->state) {
	case CH_SIZE_FIRST:
		if ((d = hex_value(ch)) < 0)
			return CH_ERROR;
		c->chunk_left = (uint64_t)d;
		return CH_SIZE;
	case CH_SIZE:
		if ((d = hex_value(ch)) < 0)
			return ext_next(ch);
		if (c->chunk_left > ((uint64_t)INT64_MAX - (uint64_t)d) / 16)
			return CH_ERROR;
		c->chunk_left = c->chunk_left * 16 + (uint64_t)d;
		return CH_SIZE;
	case CH_EXT_BWS:
		if (is_ws(ch))
			return CH_EXT_BWS;
		return ch == ';' ? CH_EXT_NAME_BWS : CH_ERROR;
	case CH_EXT_NAME_BWS:
		if (is_ws(ch))
			return CH_EXT_NAME_BWS;
		return is_tchar(ch) ? CH_EXT_NAME : CH_ERROR;
	case CH_EXT_NAME:
		if (is_tchar(ch))
			return CH_EXT_NAME;
		if (is_ws(ch))
			return CH_EXT_NAME_END;
		return ch == '=' ? CH_EXT_VAL_BWS : ext_next(ch);
	case CH_EXT_NAME_END:
		if (is_ws(ch))
			return CH_EXT_NAME_END;
		if (ch == '=')
			return CH_EXT_VAL_BWS;
		return ch == ';' ? CH_EXT_NAME_BWS : CH_ERROR;
	case CH_EXT_VAL_BWS:
		if (is_ws(ch))
			return CH_EXT_VAL_BWS;
		if (ch == '"')
			return CH_EXT_QUOTED;
		return is_tchar(ch) ? CH_EXT_TOKEN : CH_ERROR;
	case CH_EXT_TOKEN:
		return is_tchar(ch) ? CH_EXT_TOKEN : ext_next(ch);
	case CH_EXT_QUOTED:
		if (ch == '"')
			return CH_EXT_QUOTED_END;
		if (ch == '\\')
			return CH_EXT_QUOTED_ESC;
		return is_qdtext(ch) ? CH_EXT_QUOTED : CH_ERROR;
	case CH_EXT_QUOTED_ESC:
		return is_field_octet(ch) ? CH_EXT_QUOTED : CH_ERROR;
	case CH_EXT_QUOTED_END:
		return ext_next(ch);
	}
	return CH_ERROR;
}

/* The LF ending a size line: data, or the trailer section after "0". */
static int size_line_end(struct chunked *c, unsigned char ch)
{
	if (ch != '\n')
		return CH_ERROR;
	c->line_len = 0;
	if (c->chunk_left == 0) {
		c->trailer_len = 0;
		return CH_TRAILER;
	}
	if (c->chunk_left > UINT64_MAX - c->total)
		return CH_ERROR;
	return CH_DATA;
}

/* trailer-section = *( field-line CRLF ), then CRLF (RFC 9112 §7.1.2). */
static int trailer_step(struct chunked *c, unsigned char ch)
{
	if (++c->trailer_len > CHUNKED_TRAILER_MAX)
		return CH_ERROR;
	switch (c->state) {
	case CH_TRAILER:
		if (ch == '\r')
			return CH_END_LF;
		return is_tchar(ch) ? CH_TRAILER_NAME : CH_ERROR;
	case CH_TRAILER_NAME:
		if (is_tchar(ch))
			return CH_TRAILER_NAME;
		return ch == ':' ? CH_TRAILER_VALUE : CH_ERROR;
	case CH_TRAILER_VALUE:
		if (ch == '\r')
			return CH_TRAILER_LF;
		return is_field_octet(ch) ? CH_TRAILER_VALUE : CH_ERROR;
	case CH_TRAILER_LF:
		return ch == '\n' ? CH_TRAILER : CH_ERROR;
	case CH_END_LF:
		if (ch != '\n')
			return CH_ERROR;
		c->done = true;
		return CH_DONE;
	}
	return CH_ERROR;
}

/* One framing byte (anything but chunk data): the next state. */
static int frame_step(struct chunked *c, unsigned char ch)
{
	if (c->state <= CH_SIZE_LF && ++c->line_len > CHUNKED_LINE_MAX)
		return CH_ERROR;
	switch (c->state) {
	case CH_SIZE_LF:
		return size_line_end(c, ch);
	case CH_DATA_CR:
		return ch == '\r' ? CH_DATA_LF : CH_ERROR;
	case CH_DATA_LF:
		return ch == '\n' ? CH_SIZE_FIRST : CH_ERROR;
	default:
		if (c->state < CH_SIZE_LF)
			return size_line_step(c, ch);
		return trailer_step(c, ch);
	}
}

void chunked_init(struct chunked *c)
{
	*c = (struct chunked){.state = CH_SIZE_FIRST};
}

ssize_t chunked_decode(struct chunked *c, char *buf, size_t len,
		       size_t *out_len)
{
	size_t in = 0, out = 0;

	assert(len <= SSIZE_MAX);
	*out_len = 0;
	if (c->state == CH_ERROR)
		return -1;
	while (in < len && c->state != CH_DONE) {
		if (c->state == CH_DATA) {
			size_t n = len - in;

			if (n > c->chunk_left)
				n = (size_t)c->chunk_left;
			if (out != in)
				memmove(buf + out, buf + in, n);
			in += n;
			out += n;
			c->chunk_left -= n;
			c->total += n;
			if (c->chunk_left == 0)
				c->state = CH_DATA_CR;
			continue;
		}
		c->state = frame_step(c, (unsigned char)buf[in]);
		if (c->state == CH_ERROR)
			return -1;
		in++;
	}
	*out_len = out;
	return (ssize_t)in;
}
