/*
 * stats.h - server-wide live counters (the `status = true` locations).
 *
 * The master maps one shared anonymous region before it forks anything:
 * a header, the "retired" totals of workers that are gone, and one slot
 * per worker process slot.  A slot has a single writer, the worker in it,
 * which only ever adds to its own fields with plain (relaxed atomic)
 * stores: no lock, no system call, no shared cache line with another
 * worker.  Anyone may read every slot with relaxed loads.  When the
 * master reaps a worker it folds the slot's counters into `retired` and
 * clears the slot under a sequence counter, so a snapshot never sees a
 * counter twice or not at all: counters never go backwards across
 * crashes, respawns and reloads.  Gauges (connections by phase, CGI
 * processes) of a dead worker simply vanish.
 */
#ifndef WEBSERV_STATS_H
#define WEBSERV_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic counters: summed over live slots plus the retired totals. */
enum stats_counter {
	STAT_ACCEPTED, /* connections accept()ed */
	STAT_HANDLED,  /* of them, taken over by a worker (not dropped) */
	STAT_REQUESTS, /* request heads complete, or refused (4xx) */
	STAT_RESP_1XX, /* responses by class: 1xx is 100 Continue */
	STAT_RESP_2XX,
	STAT_RESP_3XX,
	STAT_RESP_4XX,
	STAT_RESP_5XX,
	STAT_BYTES_SENT, /* every byte written to clients, heads included */
	STAT_COMPRESSED, /* responses sent with a Content-Encoding */
	STAT_COMPRESSED_BYTES, /* their body bytes sent (chunk framing too) */
	STAT_H2_CONNECTIONS,   /* connections that turned HTTP/2 */
	STAT_H2_STREAMS,       /* HTTP/2 requests (streams with a head) */
	STAT_COUNTERS
};

/* Gauges: what the live workers hold right now. */
enum stats_gauge {
	STAT_WAITING, /* connections idle between requests */
	STAT_READING, /* connections with part of a request head */
	STAT_WRITING, /* connections busy with a request (body, CGI, reply) */
	STAT_CGI,     /* CGI processes not yet reaped */
	STAT_GAUGES
};

struct stats_slot {
	uint64_t ctr[STAT_COUNTERS];
	uint64_t gauge[STAT_GAUGES];
	uint64_t live; /* a worker holds the slot (written by the master) */
} __attribute__((aligned(64)));

struct stats_shared {
	uint64_t seq; /* odd while the master folds or opens a slot */
	uint64_t generation;
	uint64_t start_mono_ms; /* CLOCK_MONOTONIC at master start */
	uint64_t start_real_s;	/* Unix time at master start */
	uint64_t slots_used;	/* slots ever opened: readers scan these */
	uint64_t slot_cap;
	size_t map_len;
	uint64_t retired[STAT_COUNTERS];
	struct stats_slot slots[];
};

/* A consistent view of everything, for the status page. */
struct stats_totals {
	uint64_t ctr[STAT_COUNTERS];
	uint64_t gauge[STAT_GAUGES];
	uint64_t workers; /* live worker processes (all generations) */
	uint64_t generation;
	uint64_t uptime_s;
	uint64_t start_time_s;
};

/* Master, before any fork: map the region for slots worker slots.
 * NULL on failure (errno). */
struct stats_shared *stats_create(size_t slots);
void stats_destroy(struct stats_shared *s);
/* Master, before forking the worker of slot: a clean, live slot. */
struct stats_slot *stats_slot_open(struct stats_shared *s, size_t slot);
/* Master, after reaping the slot's worker (or a failed fork): fold its
 * counters into the retired totals and clear it. */
void stats_slot_retire(struct stats_shared *s, size_t slot);
/* Master: the configuration generation now serving. */
void stats_set_generation(struct stats_shared *s, unsigned generation);
/* Anyone: sum every slot and the retired totals at this moment. */
void stats_snapshot(const struct stats_shared *s, struct stats_totals *out);

/* The one writer of a slot adds (or takes back a gauge).  Relaxed atomic
 * load + store: a plain add in the code, but no data race for readers. */
static inline void stats_add(uint64_t *field, uint64_t n)
{
	__atomic_store_n(field, __atomic_load_n(field, __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
}

static inline void stats_sub(uint64_t *field, uint64_t n)
{
	__atomic_store_n(field, __atomic_load_n(field, __ATOMIC_RELAXED) - n,
			 __ATOMIC_RELAXED);
}

#endif
