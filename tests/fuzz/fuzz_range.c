/*
 * fuzz_range.c - libFuzzer harness for static_parse_range
 * (src/http/static.c) and http_parse_date (src/http/date.c).
 *
 * Input: byte 0 chooses the file size (0, 1, 2, 10, 1000, INT64_MAX,
 * UINT64_MAX or byte 1), the rest is a header value given to both
 * parsers.  Checks the contracts in include/static.h:
 *   - RANGE_OK gives first <= last < size; an empty file is never OK;
 *     whether a value is usable (not RANGE_NONE) does not depend on the
 *     size; the unit is case-insensitive; "bytes=FIRST-LAST" made from a
 *     result gives that result back;
 *   - a parsed date formatted again as an IMF-fixdate parses to the same
 *     time; an IMF-fixdate input (without a leap second) names exactly
 *     the day and time it spells (only the day name may be wrong).
 * Each parser reads its own exact-size copy so ASan catches over-reads.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fuzz.h"
#include "static.h"
#if __has_include("date.h")
#include "date.h"
#endif

static enum range_result range(const char *v, size_t len, uint64_t size,
			       uint64_t *first, uint64_t *last)
{
	char *copy = fuzz_dup(v, len);
	enum range_result r;

	*first = *last = UINT64_MAX - 7;
	r = static_parse_range(copy, len, size, first, last);
	free(copy);
	return r;
}

static void check_range(const char *v, size_t len, uint64_t size)
{
	uint64_t first, last, f2, l2;
	enum range_result r = range(v, len, size, &first, &last);
	enum range_result other;
	char text[64];
	int n;

	FUZZ_CHECK(r == RANGE_NONE || r == RANGE_OK || r == RANGE_UNSATISFIABLE,
		   "result %d", (int)r);
	other = range(v, len, size == 1000 ? 7 : 1000, &f2, &l2);
	FUZZ_CHECK((r == RANGE_NONE) == (other == RANGE_NONE),
		   "usable for one size, not for another");
	if (len >= 6) {
		char *flip = fuzz_dup(v, len);
		for (size_t i = 0; i < 6; i++)
			flip[i] = (char)(isupper((unsigned char)flip[i])
					     ? tolower((unsigned char)flip[i])
					     : toupper((unsigned char)flip[i]));
		other = range(flip, len, size, &f2, &l2);
		FUZZ_CHECK(other == r &&
			       (r != RANGE_OK || (f2 == first && l2 == last)),
			   "the unit's case matters");
		free(flip);
	}
	if (r != RANGE_OK) {
		FUZZ_CHECK(size > 0 || r != RANGE_OK, "OK for an empty file");
		return;
	}
	FUZZ_CHECK(size > 0 && first <= last && last < size,
		   "range %" PRIu64 "-%" PRIu64 " of %" PRIu64, first, last,
		   size);
	n = snprintf(text, sizeof(text), "bytes=%" PRIu64 "-%" PRIu64, first,
		     last);
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(text), "snprintf");
	other = range(text, (size_t)n, size, &f2, &l2);
	FUZZ_CHECK(other == RANGE_OK && f2 == first && l2 == last,
		   "%s gives %d %" PRIu64 "-%" PRIu64, text, (int)other, f2,
		   l2);
}

/* t as an IMF-fixdate into out[30]; false when the year has not 4 digits. */
static bool imf_fixdate(time_t t, char *out)
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm;
	int n;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 0 ||
	    tm.tm_year + 1900 > 9999)
		return false;
	n = snprintf(out, 30, "%.3s, %02d %.3s %04d %02d:%02d:%02d GMT",
		     days + 3 * tm.tm_wday, tm.tm_mday, months + 3 * tm.tm_mon,
		     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	FUZZ_CHECK(n == 29, "IMF-fixdate of %d bytes", n);
	return true;
}

static void check_date(const char *v, size_t len)
{
	char *copy = fuzz_dup(v, len);
	char text[30];
	time_t t = (time_t)0x5eed, again = 0;
	int r = http_parse_date(copy, len, &t);

	free(copy);
	if (r != 0) {
		FUZZ_CHECK(r == -1 && t == (time_t)0x5eed,
			   "failure %d wrote the result", r);
		return;
	}
	if (!imf_fixdate(t, text))
		return;
	FUZZ_CHECK(http_parse_date(text, 29, &again) == 0 && again == t,
		   "%s does not parse back", text);
	if (len == 29 && v[3] == ',' && memcmp(v + 23, "60", 2) != 0)
		FUZZ_CHECK(memcmp(v + 3, text + 3, 26) == 0,
			   "%.29s parsed as %s", v, text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t sizes[7] = {0,	1,	   2,	      10,
					  1000, INT64_MAX, UINT64_MAX};
	uint64_t file_size;

	if (size < 2)
		return 0;
	file_size = (data[0] & 7) == 7 ? data[1] : sizes[data[0] & 7];
	check_range((const char *)data + 2, size - 2, file_size);
	check_date((const char *)data + 2, size - 2);
	return 0;
}
