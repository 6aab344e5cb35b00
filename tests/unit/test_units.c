/*
 * test_units.c - parse_size() and parse_duration(): tables of good values
 * with their exact results, and of bad ones (signs, spaces, unknown units,
 * empty numbers, values that overflow uint64_t).
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include "units.h"

#define K 1024ull
#define M (1024ull * 1024)
#define G (1024ull * 1024 * 1024)

Test(units, sizes_good)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} cases[] = {
	    {"0", 0},
	    {"1", 1},
	    {"512", 512},
	    {"0512", 512},
	    {"8k", 8 * K},
	    {"8K", 8 * K},
	    {"10m", 10 * M},
	    {"10M", 10 * M},
	    {"1g", G},
	    {"3G", 3 * G},
	    {"0k", 0},
	    {"18446744073709551615", UINT64_MAX},
	    /* 2^64 / 2^30 = 2^34: one below fits, 2^34 itself overflows. */
	    {"17179869183g", 17179869183ull * G},
	    {"18014398509481983k", 18014398509481983ull * K},
	    {"17592186044415m", 17592186044415ull * M},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t got = 12345;
		cr_assert_eq(parse_size(cases[i].text, &got), 0, "\"%s\"",
			     cases[i].text);
		cr_assert_eq(got, cases[i].bytes, "\"%s\": %llu", cases[i].text,
			     (unsigned long long)got);
	}
}

Test(units, sizes_bad)
{
	static const char *const bad[] = {
	    "",
	    "k",
	    "m",
	    "-1",
	    "+1",
	    " 1",
	    "1 ",
	    "1 k",
	    "1kb",
	    "1.5k",
	    "1t",
	    "1b",
	    "0x10",
	    "1e3",
	    "k1",
	    "18446744073709551616", /* 2^64 */
	    "99999999999999999999999",
	    "17179869184g",	  /* 2^34 g = 2^64 */
	    "18014398509481984k", /* 2^54 k = 2^64 */
	    "17592186044416m",	  /* 2^44 m = 2^64 */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t got = 0;
		cr_assert_eq(parse_size(bad[i], &got), -1,
			     "\"%s\" accepted "
			     "as %llu",
			     bad[i], (unsigned long long)got);
	}
}

Test(units, durations_good)
{
	static const struct {
		const char *text;
		uint64_t ms;
	} cases[] = {
	    {"0", 0},
	    {"30", 30000},
	    {"30s", 30000},
	    {"30S", 30000},
	    {"500ms", 500},
	    {"500MS", 500},
	    {"0ms", 0},
	    {"2m", 120000},
	    {"1h", 3600000},
	    {"18446744073709551615ms", UINT64_MAX},
	    {"18446744073709551s", 18446744073709551000ull},
	    {"307445734561825m", 307445734561825ull * 60000},
	    {"5124095576030h", 5124095576030ull * 3600000},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t got = 12345;
		cr_assert_eq(parse_duration(cases[i].text, &got), 0, "\"%s\"",
			     cases[i].text);
		cr_assert_eq(got, cases[i].ms, "\"%s\": %llu", cases[i].text,
			     (unsigned long long)got);
	}
}

Test(units, durations_bad)
{
	static const char *const bad[] = {
	    "",
	    "s",
	    "ms",
	    "-1",
	    "+1",
	    "1.5s",
	    "1d",
	    "1 s",
	    " 1",
	    "1s ",
	    "1sec",
	    "1mss",
	    "1us",
	    "0x10",
	    "18446744073709552", /* seconds: * 1000 overflows */
	    "18446744073709552s",
	    "18446744073709551616ms", /* 2^64 */
	    "307445734561826m",	      /* * 60000 overflows */
	    "5124095576031h",	      /* * 3600000 overflows */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t got = 0;
		cr_assert_eq(parse_duration(bad[i], &got), -1,
			     "\"%s\" "
			     "accepted as %llu",
			     bad[i], (unsigned long long)got);
	}
}
