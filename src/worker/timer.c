/*
 * timer.c - per-duration FIFO deadline queues (see timer.h).
 * Invariant: within a queue, deadlines never decrease from head to tail.
 * Never allocates: queues live in struct timers, timers in their owners.
 */
#include <assert.h>
#include <time.h>

#include "timer.h"

void timers_init(struct timers *ts)
{
	ts->count = 0;
}

static struct timer_queue *queue_for(struct timers *ts, uint64_t duration)
{
	struct timer_queue *q;

	for (size_t i = 0; i < ts->count; i++)
		if (ts->queues[i].duration == duration)
			return &ts->queues[i];
	if (ts->count == TIMER_QUEUES_MAX)
		return NULL;
	q = &ts->queues[ts->count++];
	q->duration = duration;
	q->head.prev = q->head.next = &q->head;
	q->head.deadline = 0;
	return q;
}

void timer_disarm(struct timer *t)
{
	if (t->next == NULL)
		return;
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->prev = t->next = NULL;
	t->deadline = 0;
}

int timer_arm(struct timers *ts, struct timer *t, uint64_t duration,
	      uint64_t now)
{
	struct timer_queue *q = queue_for(ts, duration);

	if (q == NULL)
		return -1;
	timer_disarm(t);
	t->deadline = now + duration;
	t->prev = q->head.prev;
	t->next = &q->head;
	q->head.prev->next = t;
	q->head.prev = t;
	assert(t->prev == &q->head || t->prev->deadline <= t->deadline);
	return 0;
}

uint64_t timers_next(const struct timers *ts)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < ts->count; i++) {
		const struct timer *first = ts->queues[i].head.next;
		if (first != &ts->queues[i].head && first->deadline < next)
			next = first->deadline;
	}
	return next;
}

struct timer *timers_expired(struct timers *ts, uint64_t now)
{
	for (size_t i = 0; i < ts->count; i++) {
		struct timer *first = ts->queues[i].head.next;
		if (first != &ts->queues[i].head && first->deadline <= now) {
			timer_disarm(first);
			return first;
		}
	}
	return NULL;
}

uint64_t clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
