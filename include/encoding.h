/*
 * encoding.h - content codings (RFC 9110 §8.4.1): which one a response
 * is sent with, chosen from the request's Accept-Encoding (§12.5.3) and
 * what the server offers.  Pure: no I/O, no allocation.
 */
#ifndef WEBSERV_ENCODING_H
#define WEBSERV_ENCODING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The codings webserv knows; ENC_IDENTITY is "no coding". */
enum content_coding { ENC_IDENTITY = 0, ENC_GZIP, ENC_BR, ENC_COUNT };

/* At most this many codings are offered (one of each). */
#define ENC_OFFER_MAX (ENC_COUNT - 1)

/* "gzip", "br" (the Content-Encoding token), "identity". */
const char *encoding_name(enum content_coding enc);
/* The file-name suffix of a precompressed sibling: ".gz", ".br"; "" for
 * identity. */
const char *encoding_suffix(enum content_coding enc);
/* "gzip" / "br" (case-insensitive) -> the coding; -1 for anything else
 * (identity is not a coding that can be offered). */
int encoding_from_name(const char *name, size_t len);

/*
 * Choose the coding of a response from the Accept-Encoding field value
 * ae[0..len) (present: whether the field was in the request at all) among
 * offer[0..n) (the server's codings, most preferred first).
 * RFC 9110 §12.5.3: codings compare case-insensitively ("x-gzip" is gzip,
 * §8.4.1.3); each has a weight (";q=", 0..1 with up to three decimals,
 * default 1; q=0 means "not acceptable"); "*" weighs every coding not
 * listed; identity is acceptable unless it is listed with q=0, or "*;q=0"
 * is given and identity is not listed.  No field: identity (any coding
 * would be acceptable, but nothing says the client can decode one).  An
 * empty field: identity only.  The highest weight wins; a tie between
 * codings goes to the server's order, a tie with identity to the coding.
 * A malformed element (bad token or weight) is ignored.
 * Returns the coding, ENC_IDENTITY, or -1 when nothing acceptable is
 * offered (identity refused too: the caller may still send identity,
 * as §12.5.3 allows, or 406).
 */
int encoding_choose(const char *ae, size_t len, bool present,
		    const uint8_t *offer, size_t n);

#endif
