/*
 * master.h - the supervising process: workers, signals, reload.
 */
#ifndef WEBSERV_MASTER_H
#define WEBSERV_MASTER_H

#include "config.h"

/* sigqueue() value that asks the master to answer a SIGHUP when the
 * reload is done: SIGUSR1 = serving the new config, SIGUSR2 = failed. */
#define RELOAD_REPLY_MAGIC 0x77736872

/*
 * Run the master with a loaded config (ownership passes): bind, fork
 * workers, supervise until stopped.  workers_override < 0: use the file's.
 * Returns the process exit code (0 clean stop, 2 runtime failure).
 */
int master_run(struct config *cfg, const char *cfg_path, int workers_override);

#endif
