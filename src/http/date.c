/*
 * date.c - the HTTP-date parser (RFC 9110 §5.6.7): IMF-fixdate and the
 * two obsolete forms a recipient must accept, rfc850-date and
 * asctime-date; static.c needs it for If-Modified-Since and If-Range.
 *
 * Invariant: a date is accepted only when the whole text matches one of
 * the three forms exactly and names a real calendar day and time; the
 * result is UTC (timegm), whatever the process's time zone.
 * Never: depends on the locale (no strptime), reads past text[len], or
 * writes *out on failure.
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "static.h"

/* A cursor over a date being parsed by hand (no strptime: locale). */
struct date_cursor {
	const char *p;
	const char *end;
};

static bool date_lit(struct date_cursor *c, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return false;
	c->p += n;
	return true;
}

/* Exactly n digits; a leading space counts as a zero when pad is set
 * (asctime's "Nov  6"). */
static bool date_num(struct date_cursor *c, int n, bool pad, int *out)
{
	int v = 0;

	if (c->end - c->p < n)
		return false;
	for (int i = 0; i < n; i++) {
		char ch = c->p[i];
		if (pad && i == 0 && ch == ' ')
			ch = '0';
		if (ch < '0' || ch > '9')
			return false;
		v = v * 10 + (ch - '0');
	}
	c->p += n;
	*out = v;
	return true;
}

static bool date_month(struct date_cursor *c, int *mon)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

	if (c->end - c->p < 3)
		return false;
	for (int m = 0; m < 12; m++)
		if (memcmp(c->p, months + 3 * m, 3) == 0) {
			c->p += 3;
			*mon = m;
			return true;
		}
	return false;
}

/* "HH:MM:SS" into tm. */
static bool date_time(struct date_cursor *c, struct tm *tm)
{
	return date_num(c, 2, false, &tm->tm_hour) && date_lit(c, ":") &&
	       date_num(c, 2, false, &tm->tm_min) && date_lit(c, ":") &&
	       date_num(c, 2, false, &tm->tm_sec);
}

/* The day name: 3 letters, or the long form for rfc850; -1 if none. */
static int date_day_name(struct date_cursor *c, bool *long_form)
{
	static const char *const days[7] = {"Monday",	"Tuesday", "Wednesday",
					    "Thursday", "Friday",  "Saturday",
					    "Sunday"};

	for (int d = 0; d < 7; d++) {
		size_t n = strlen(days[d]);
		if ((size_t)(c->end - c->p) > n &&
		    memcmp(c->p, days[d], n) == 0 && c->p[n] == ',') {
			c->p += n;
			*long_form = true;
			return d;
		}
		if (c->end - c->p > 3 && memcmp(c->p, days[d], 3) == 0) {
			c->p += 3;
			*long_form = false;
			return d;
		}
	}
	return -1;
}

/* RFC 850's two-digit year: at most 50 years ahead (RFC 9110 §5.6.7). */
static int date_full_year(int yy)
{
	time_t now = time(NULL);
	struct tm tm;
	int year, this_year = 2000;

	if (gmtime_r(&now, &tm))
		this_year = tm.tm_year + 1900;
	year = this_year - this_year % 100 + yy;
	if (year > this_year + 50)
		year -= 100;
	return year;
}

static bool date_valid(const struct tm *tm)
{
	static const int mdays[12] = {31, 29, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31};
	int year = tm->tm_year + 1900;
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	if (tm->tm_mday < 1 || tm->tm_mday > mdays[tm->tm_mon] ||
	    (tm->tm_mon == 1 && !leap && tm->tm_mday > 28))
		return false;
	/* second 60: a leap second, which the grammar allows */
	return tm->tm_hour <= 23 && tm->tm_min <= 59 && tm->tm_sec <= 60;
}

int http_parse_date(const char *text, size_t len, time_t *out)
{
	struct date_cursor c = {text, text + len};
	struct tm tm = {0};
	bool long_form = false, ok;
	int year = 0;

	if (date_day_name(&c, &long_form) < 0)
		return -1;
	if (long_form) {
		/* rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT" */
		ok = date_lit(&c, ", ") &&
		     date_num(&c, 2, false, &tm.tm_mday) && date_lit(&c, "-") &&
		     date_month(&c, &tm.tm_mon) && date_lit(&c, "-") &&
		     date_num(&c, 2, false, &year) && date_lit(&c, " ") &&
		     date_time(&c, &tm) && date_lit(&c, " GMT");
		if (ok)
			year = date_full_year(year);
	} else if (date_lit(&c, ", ")) {
		/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
		ok = date_num(&c, 2, false, &tm.tm_mday) && date_lit(&c, " ") &&
		     date_month(&c, &tm.tm_mon) && date_lit(&c, " ") &&
		     date_num(&c, 4, false, &year) && date_lit(&c, " ") &&
		     date_time(&c, &tm) && date_lit(&c, " GMT");
	} else {
		/* asctime-date: "Sun Nov  6 08:49:37 1994" */
		ok = date_lit(&c, " ") && date_month(&c, &tm.tm_mon) &&
		     date_lit(&c, " ") && date_num(&c, 2, true, &tm.tm_mday) &&
		     date_lit(&c, " ") && date_time(&c, &tm) &&
		     date_lit(&c, " ") && date_num(&c, 4, false, &year);
	}
	if (!ok || c.p != c.end)
		return -1;
	tm.tm_year = year - 1900;
	if (!date_valid(&tm))
		return -1;
	*out = timegm(&tm);
	return 0;
}
