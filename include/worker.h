/*
 * worker.h - what the master needs to know about a worker process.
 */
#ifndef WEBSERV_WORKER_H
#define WEBSERV_WORKER_H

#include "config.h"
#include "stats.h"

/* One-byte messages on the master <-> worker socketpair. */
#define CHAN_READY  'R' /* worker -> master: accepting */
#define CHAN_DRAIN  'D' /* master -> worker: stop accepting, finish, exit */
#define CHAN_STOP   'S' /* master -> worker: exit now */
#define CHAN_REOPEN 'O' /* master -> worker: reopen log files */

/* Worker exit code that means "a fatal config or privilege problem":
 * the master does not respawn it. */
#define WORKER_EXIT_FATAL 2

/* Run a worker in this (forked) process until it is told to stop or its
 * master is gone; it counts into stats->slots[slot] (stats.h).  Returns
 * the process exit code. */
int worker_run(const struct config *cfg, const int *listen_fds, int chan,
	       struct stats_shared *stats, size_t slot);

#endif
