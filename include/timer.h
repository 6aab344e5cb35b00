/*
 * timer.h - deadlines for connections, O(1) to arm, move and expire.
 * One intrusive FIFO queue per distinct duration: every timer in a queue
 * was armed with the same duration, so appending at the tail keeps the
 * queue sorted by deadline.  A worker has a handful of durations (the
 * configured timeouts), so finding the earliest deadline is a short scan.
 */
#ifndef WEBSERV_TIMER_H
#define WEBSERV_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIMER_QUEUES_MAX 32

enum timer_owner { TIMER_CONN, TIMER_CGI, TIMER_H2_STREAM };

struct timer {
	struct timer *prev;
	struct timer *next;
	uint64_t deadline;	/* ms, monotonic; 0 when not armed */
	enum timer_owner owner; /* what the timer is embedded in */
};

struct timer_queue {
	struct timer head; /* sentinel of a circular list */
	uint64_t duration;
};

struct timers {
	struct timer_queue queues[TIMER_QUEUES_MAX];
	size_t count;
};

void timers_init(struct timers *ts);
/* (Re)arm t to fire duration ms after now.  0 / -1 (too many durations). */
int timer_arm(struct timers *ts, struct timer *t, uint64_t duration,
	      uint64_t now);
void timer_disarm(struct timer *t);
static inline bool timer_armed(const struct timer *t)
{
	return t->next != NULL;
}
/* Earliest deadline, UINT64_MAX when nothing is armed. */
uint64_t timers_next(const struct timers *ts);
/* One timer whose deadline is <= now, disarmed; NULL when none. */
struct timer *timers_expired(struct timers *ts, uint64_t now);
/* Monotonic clock in ms. */
uint64_t clock_ms(void);

#endif
