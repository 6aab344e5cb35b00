/*
 * units.c - parse config sizes and durations.
 * Pure: takes a string, never does I/O; rejects anything ambiguous (signs,
 * spaces, empty numbers) and anything that would overflow uint64_t.
 */
#include <ctype.h>
#include <stdint.h>
#include <strings.h>

#include "units.h"

/* Leading decimal digits of text into *value; returns the suffix or NULL. */
static const char *parse_digits(const char *text, uint64_t *value)
{
	uint64_t v = 0;
	const char *p = text;

	if (!isdigit((unsigned char)*p))
		return NULL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return NULL;
		v = v * 10 + d;
	}
	*value = v;
	return p;
}

static int scale(uint64_t value, uint64_t factor, uint64_t *out)
{
	if (factor != 0 && value > UINT64_MAX / factor)
		return -1;
	*out = value * factor;
	return 0;
}

int parse_size(const char *text, uint64_t *bytes)
{
	uint64_t value;
	uint64_t factor;
	const char *suffix = parse_digits(text, &value);

	if (suffix == NULL)
		return -1;
	if (suffix[0] == '\0')
		factor = 1;
	else if (suffix[1] != '\0')
		return -1;
	else if (suffix[0] == 'k' || suffix[0] == 'K')
		factor = 1024;
	else if (suffix[0] == 'm' || suffix[0] == 'M')
		factor = 1024 * 1024;
	else if (suffix[0] == 'g' || suffix[0] == 'G')
		factor = 1024 * 1024 * 1024;
	else
		return -1;
	return scale(value, factor, bytes);
}

int parse_duration(const char *text, uint64_t *ms)
{
	uint64_t value;
	uint64_t factor;
	const char *suffix = parse_digits(text, &value);

	if (suffix == NULL)
		return -1;
	if (suffix[0] == '\0' || strcasecmp(suffix, "s") == 0)
		factor = 1000;
	else if (strcasecmp(suffix, "ms") == 0)
		factor = 1;
	else if (strcasecmp(suffix, "m") == 0)
		factor = 60 * 1000;
	else if (strcasecmp(suffix, "h") == 0)
		factor = 3600 * 1000;
	else
		return -1;
	return scale(value, factor, ms);
}
