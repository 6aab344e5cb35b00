/*
 * fuzz.h - helpers shared by the libFuzzer harnesses in tests/fuzz/:
 * a check that stops the run with a message (assert() could be compiled
 * out), exact-size heap copies (so ASan sees any read past the length a
 * function was given), and a small generator of piece sizes that turns a
 * few input bytes into a reproducible way of splitting the rest.
 * Header-only: every harness is one .c file plus the modules it tests.
 */
#ifndef WEBSERV_FUZZ_H
#define WEBSERV_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An invariant of the code under test does not hold: report and abort,
 * which libFuzzer records as a crash with its input. */
#define FUZZ_CHECK(cond, ...)                                                  \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, \
				__LINE__, #cond);                              \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			abort();                                               \
		}                                                              \
	} while (0)

/* A copy of data[0..len) in a block of exactly len bytes (1 when len is
 * 0, never read). */
static inline char *fuzz_dup(const void *data, size_t len)
{
	char *p = malloc(len ? len : 1);

	FUZZ_CHECK(p != NULL, "out of memory");
	if (len)
		memcpy(p, data, len);
	return p;
}

/*
 * Piece sizes for feeding a stream in pieces: xorshift32 seeded from two
 * input bytes, sizes 1..max with max picked by the low bits of the first
 * byte (one byte at a time up to large pieces).
 */
struct fuzz_split {
	uint32_t state;
	size_t max;
};

static inline void fuzz_split_init(struct fuzz_split *s, uint8_t b0, uint8_t b1)
{
	static const size_t maxes[8] = {1, 2, 3, 5, 8, 17, 64, 700};

	s->state = 0x9e3779b9u ^ ((uint32_t)b0 << 8 | b1);
	s->max = maxes[b0 & 7];
}

static inline size_t fuzz_split_next(struct fuzz_split *s, size_t left)
{
	uint32_t x = s->state;
	size_t n;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	s->state = x;
	n = 1 + x % s->max;
	return n < left ? n : left;
}

#endif
