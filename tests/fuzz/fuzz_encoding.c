/*
 * fuzz_encoding.c - libFuzzer harness for encoding_choose
 * (src/http/encoding.c).
 *
 * Input: byte 0 chooses the offer (none, gzip, br, both in either
 * order), the rest is an Accept-Encoding value.  Checks the contract in
 * include/encoding.h:
 *   - the result is -1, identity or one of the codings offered;
 *   - the answer does not depend on case;
 *   - with both codings offered, the order decides neither a refusal
 *     (-1) nor whether identity is the answer;
 *   - appending ", identity;q=0" (identity not listed before) never
 *     makes identity the answer; prepending empty list elements changes
 * nothing. Reads an exact-size copy so ASan catches over-reads.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "encoding.h"
#include "fuzz.h"

static int choose(const char *v, size_t len, const uint8_t *offer, size_t n)
{
	char *copy = fuzz_dup(v, len);
	int r = encoding_choose(copy, len, true, offer, n);

	free(copy);
	return r;
}

static const uint8_t offers[5][2] = {
    {0, 0}, {ENC_GZIP, 0}, {ENC_BR, 0}, {ENC_GZIP, ENC_BR}, {ENC_BR, ENC_GZIP}};
static const size_t offer_len[5] = {0, 1, 1, 2, 2};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	unsigned which = data[0] % 5;
	const char *v = (const char *)data + 1;
	size_t len = size - 1;
	const uint8_t *offer = offers[which];
	size_t n = offer_len[which];
	int r = choose(v, len, offer, n);

	FUZZ_CHECK(r == -1 || r == ENC_IDENTITY || (n > 0 && r == offer[0]) ||
		       (n > 1 && r == offer[1]),
		   "result %d not offered", r);

	char *flip = fuzz_dup(v, len);
	for (size_t i = 0; i < len; i++)
		flip[i] = (char)(isupper((unsigned char)flip[i])
				     ? tolower((unsigned char)flip[i])
				     : toupper((unsigned char)flip[i]));
	FUZZ_CHECK(choose(flip, len, offer, n) == r, "case changes the answer");
	free(flip);

	if (n == 2) {
		const uint8_t rev[2] = {offer[1], offer[0]};
		int r2 = choose(v, len, rev, 2);
		FUZZ_CHECK((r == -1) == (r2 == -1), "order changes refusal");
		FUZZ_CHECK((r == ENC_IDENTITY) == (r2 == ENC_IDENTITY),
			   "order changes identity");
	}

	char *more = malloc(len + 32);
	FUZZ_CHECK(more != NULL, "out of memory");
	memcpy(more, ", ,", 3);
	memcpy(more + 3, v, len);
	FUZZ_CHECK(choose(more, len + 3, offer, n) == r,
		   "leading empty elements change the answer");
	memcpy(more, v, len);
	memcpy(more + len, ", identity;q=0", 14);
	more[len + 14] = '\0';
	/* unless identity was already listed with a weight (the higher
	 * weight of a repeated coding counts) */
	if (memchr(v, '\0', len) == NULL &&
	    strcasestr(more, "identity") == more + len + 2)
		FUZZ_CHECK(choose(more, len + 14, offer, n) != ENC_IDENTITY,
			   "identity;q=0 appended, identity chosen");
	free(more);
	return 0;
}
