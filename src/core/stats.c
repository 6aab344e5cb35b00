/*
 * stats.c - the shared counter region (see stats.h): created by the
 * master, written slot by slot by the workers, summed by whoever serves a
 * status page.
 *
 * Invariant: the sum of a counter over the live slots plus `retired`
 * never decreases.  Workers only add to their own slot; the master moves
 * a dead worker's counters from its slot into `retired` under `seq` (a
 * sequence lock: odd while it writes), and readers retry a snapshot that
 * overlapped such a move.  Never blocks a worker: the only writer that
 * readers wait for is the master, and only for a few stores.
 */
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "stats.h"

/* A reader gives up waiting for a consistent view after this many tries
 * (the master would have to stall mid-fold that long). */
#define SNAPSHOT_TRIES 1000

static uint64_t load(const uint64_t *field)
{
	return __atomic_load_n(field, __ATOMIC_RELAXED);
}

static void store(uint64_t *field, uint64_t value)
{
	__atomic_store_n(field, value, __ATOMIC_RELAXED);
}

struct stats_shared *stats_create(size_t slots)
{
	size_t len =
	    sizeof(struct stats_shared) + slots * sizeof(struct stats_slot);
	struct stats_shared *s;
	struct timespec mono, real;

	/* MAP_SHARED | MAP_ANONYMOUS: inherited by fork, gone at exec (a
	 * CGI script never sees it); pages are touched only when used */
	s = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		 -1, 0);
	if (s == MAP_FAILED)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	s->start_mono_ms =
	    (uint64_t)mono.tv_sec * 1000 + (uint64_t)mono.tv_nsec / 1000000;
	s->start_real_s = (uint64_t)real.tv_sec;
	s->slot_cap = slots;
	s->map_len = len;
	s->generation = 1;
	return s;
}

void stats_destroy(struct stats_shared *s)
{
	if (s != NULL)
		munmap(s, s->map_len);
}

struct stats_slot *stats_slot_open(struct stats_shared *s, size_t slot)
{
	struct stats_slot *sl = &s->slots[slot];

	/* retire left it zeroed (a fresh map is too): only mark it */
	store(&sl->live, 1);
	if (slot + 1 > load(&s->slots_used))
		store(&s->slots_used, slot + 1);
	return sl;
}

void stats_slot_retire(struct stats_shared *s, size_t slot)
{
	struct stats_slot *sl = &s->slots[slot];
	uint64_t seq = load(&s->seq);

	store(&s->seq, seq + 1);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (int i = 0; i < STAT_COUNTERS; i++) {
		store(&s->retired[i], load(&s->retired[i]) + load(&sl->ctr[i]));
		store(&sl->ctr[i], 0);
	}
	for (int i = 0; i < STAT_GAUGES; i++)
		store(&sl->gauge[i], 0);
	store(&sl->live, 0);
	__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
}

void stats_set_generation(struct stats_shared *s, unsigned generation)
{
	store(&s->generation, generation);
}

/* One pass over the region; false when the master moved a slot meanwhile. */
static int snapshot_once(const struct stats_shared *s, struct stats_totals *t)
{
	uint64_t seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
	uint64_t used = load(&s->slots_used);

	memset(t, 0, sizeof(*t));
	if (seq & 1)
		return 0;
	if (used > s->slot_cap)
		used = s->slot_cap;
	for (int i = 0; i < STAT_COUNTERS; i++)
		t->ctr[i] = load(&s->retired[i]);
	for (uint64_t n = 0; n < used; n++) {
		const struct stats_slot *sl = &s->slots[n];
		for (int i = 0; i < STAT_COUNTERS; i++)
			t->ctr[i] += load(&sl->ctr[i]);
		for (int i = 0; i < STAT_GAUGES; i++)
			t->gauge[i] += load(&sl->gauge[i]);
		t->workers += load(&sl->live);
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return load(&s->seq) == seq;
}

void stats_snapshot(const struct stats_shared *s, struct stats_totals *out)
{
	struct timespec now;
	uint64_t now_ms;

	for (int tries = 0; tries < SNAPSHOT_TRIES; tries++) {
		if (snapshot_once(s, out))
			break;
		sched_yield(); /* the master is mid-fold: let it finish */
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	now_ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
	out->generation = load(&s->generation);
	out->start_time_s = s->start_real_s;
	out->uptime_s =
	    now_ms > s->start_mono_ms ? (now_ms - s->start_mono_ms) / 1000 : 0;
}
