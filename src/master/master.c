/*
 * master.c - the supervisor: forks workers, turns signals into commands,
 * reloads without dropping a request.
 *
 * Invariants: the master never handles a request; it owns every listen fd
 * for as long as any worker may use it (removed addresses are closed only
 * when the last worker of an older generation is gone); a reload commits
 * only when every new worker said ready, so until then the old generation
 * serves untouched.  Signals arrive through a signalfd, never a handler.
 * The shared counter map (stats.h) is mapped before the first fork; a
 * procs[] slot and its counter slot are the same index, and a reaped
 * worker's counters are folded into the totals before the slot is reused.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"
#include "master.h"
#include "notify.h"
#include "pidfile.h"
#include "stats.h"
#include "timer.h"
#include "worker.h"

#define PROCS_MAX		2048
#define RELOAD_READY_TIMEOUT_MS 30000
#define BACKOFF_MIN_MS		100
#define BACKOFF_MAX_MS		10000
#define QUICK_DEATH_MS		1000
#define FAST_STOP_GRACE_MS	2000
#define SIGFD_TAG		UINT64_MAX

enum stop_mode { STOP_NONE, STOP_GRACEFUL, STOP_FAST };

struct proc {
	pid_t pid; /* 0: free slot */
	int chan;
	unsigned gen;
	bool ready;
	bool draining;
	uint64_t started;
};

struct retired_fd {
	int fd;
	unsigned gen; /* last generation that may use it */
};

struct master {
	struct config *cfg;
	int *fds; /* parallel to cfg->listens */
	unsigned gen;
	const char *cfg_path;
	int workers_override;
	pid_t pid;
	int epfd;
	int sigfd;
	struct stats_shared *stats; /* one slot per procs[] entry */
	struct proc procs[PROCS_MAX];
	struct retired_fd *retired;
	size_t retired_count;
	/* reload in progress: next generation not yet ready */
	struct config *next_cfg;
	int *next_fds;
	uint64_t reload_deadline;
	pid_t reply_pids[16];
	size_t reply_count;
	bool reload_again;
	/* respawn */
	unsigned fatal_count; /* current generation workers that exited 2 */
	uint64_t respawn_at;
	uint64_t backoff;
	bool announced; /* READY=1 sent for the first generation */
	enum stop_mode stop;
	uint64_t stop_deadline;
	int exit_code;
};

static unsigned target_workers(const struct master *m, const struct config *cfg)
{
	long cpus;

	if (m->workers_override > 0)
		return (unsigned)m->workers_override;
	if (m->workers_override < 0)
		return cfg->workers;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus > 0 ? (unsigned)cpus : 1;
}

static size_t count_procs(const struct master *m, unsigned gen, bool ready_only)
{
	size_t n = 0;

	for (size_t i = 0; i < PROCS_MAX; i++)
		if (m->procs[i].pid && m->procs[i].gen == gen &&
		    (!ready_only || m->procs[i].ready))
			n++;
	return n;
}

static void send_cmd(struct proc *p, char cmd)
{
	if (p->chan == -1)
		return;
	if (send(p->chan, &cmd, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == -1 &&
	    errno != EPIPE && errno != ECONNRESET)
		log_warn("%s: worker %d: %s", __func__, (int)p->pid,
			 strerror(errno));
}

static void send_all(struct master *m, char cmd, unsigned below_gen)
{
	for (size_t i = 0; i < PROCS_MAX; i++)
		if (m->procs[i].pid && m->procs[i].gen < below_gen) {
			if (cmd == CHAN_DRAIN)
				m->procs[i].draining = true;
			send_cmd(&m->procs[i], cmd);
		}
}

static bool fd_in(int fd, const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] == fd)
			return true;
	return false;
}

/* In a new worker: drop every fd of the master's that is not ours. */
static void child_close_foreign(struct master *m, const struct config *cfg,
				const int *fds)
{
	close(m->epfd);
	close(m->sigfd);
	for (size_t i = 0; i < PROCS_MAX; i++)
		if (m->procs[i].pid && m->procs[i].chan != -1)
			close(m->procs[i].chan);
	for (size_t i = 0; i < m->cfg->listen_count; i++)
		if (!fd_in(m->fds[i], fds, cfg->listen_count))
			close(m->fds[i]);
	for (size_t i = 0; m->next_cfg && i < m->next_cfg->listen_count; i++)
		if (!fd_in(m->next_fds[i], fds, cfg->listen_count))
			close(m->next_fds[i]);
	for (size_t i = 0; i < m->retired_count; i++)
		close(m->retired[i].fd);
}

static int spawn(struct master *m, const struct config *cfg, const int *fds,
		 unsigned gen)
{
	struct epoll_event ev = {.events = EPOLLIN};
	size_t slot;
	int sv[2];
	pid_t pid;

	for (slot = 0; slot < PROCS_MAX && m->procs[slot].pid; slot++)
		;
	if (slot == PROCS_MAX) {
		log_error("%s: too many worker processes", __func__);
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_error("%s: socketpair: %s", __func__, strerror(errno));
		return -1;
	}
	stats_slot_open(m->stats, slot);
	if ((pid = fork()) == -1) {
		log_error("%s: fork: %s", __func__, strerror(errno));
		stats_slot_retire(m->stats, slot);
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		sigset_t none;

		close(sv[0]);
		child_close_foreign(m, cfg, fds);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != m->pid)
			_exit(0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		int rc = worker_run(cfg, fds, sv[1], m->stats, slot);
		log_close();
		exit(rc);
	}
	close(sv[1]);
	m->procs[slot] = (struct proc){
	    .pid = pid, .chan = sv[0], .gen = gen, .started = clock_ms()};
	ev.data.u64 = slot;
	if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, sv[0], &ev) == -1)
		log_error("%s: epoll_ctl: %s", __func__, strerror(errno));
	log_info("worker %d started (generation %u)", (int)pid, gen);
	return 0;
}

static void reply_reload(struct master *m, bool ok)
{
	union sigval v = {.sival_int = 0};

	for (size_t i = 0; i < m->reply_count; i++)
		if (sigqueue(m->reply_pids[i], ok ? SIGUSR1 : SIGUSR2, v) == -1)
			log_warn("%s: pid %d: %s", __func__,
				 (int)m->reply_pids[i], strerror(errno));
	m->reply_count = 0;
}

/* Close the fds a failed reload bound that the current config lacks. */
static void drop_next(struct master *m)
{
	for (size_t i = 0; i < m->next_cfg->listen_count; i++)
		if (!fd_in(m->next_fds[i], m->fds, m->cfg->listen_count))
			close(m->next_fds[i]);
	free(m->next_fds);
	config_free(m->next_cfg);
	m->next_fds = NULL;
	m->next_cfg = NULL;
}

static void reload_fail(struct master *m, const char *why)
{
	if (m->next_cfg &&
	    strcmp(m->next_cfg->error_log, m->cfg->error_log) != 0 &&
	    log_open(m->cfg->error_log, m->cfg->log_level) == -1)
		log_warn("cannot reopen error log %s: %s", m->cfg->error_log,
			 strerror(errno));
	log_error("reload failed: %s; still serving the previous configuration",
		  why);
	if (m->next_cfg) {
		for (size_t i = 0; i < PROCS_MAX; i++)
			if (m->procs[i].pid && m->procs[i].gen == m->gen + 1) {
				send_cmd(&m->procs[i], CHAN_STOP);
				kill(m->procs[i].pid, SIGKILL);
			}
		drop_next(m);
	}
	notify_send("READY=1\nSTATUS=reload failed: %s", why);
	reply_reload(m, false);
}

static void reload_start(struct master *m)
{
	struct config *cfg;
	char *errors = NULL;
	struct timespec ts;
	unsigned n;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify_send("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading",
		    (unsigned long long)ts.tv_sec * 1000000ULL +
			(unsigned long long)ts.tv_nsec / 1000);
	log_info("reloading %s", m->cfg_path);
	if ((cfg = config_load(m->cfg_path, &errors)) == NULL) {
		for (char *line = strtok(errors ? errors : "", "\n"); line;
		     line = strtok(NULL, "\n"))
			log_error("%s", line);
		free(errors);
		reload_fail(m, "invalid configuration");
		return;
	}
	config_log_warnings(cfg);
	if ((m->next_fds = listen_open_all(cfg, m->cfg, m->fds)) == NULL) {
		config_free(cfg);
		reload_fail(m, "cannot bind a new listen address");
		return;
	}
	/* the new generation inherits the master's error log: open the new
	 * file (if it moved) before forking it; reload_fail goes back */
	if (strcmp(cfg->error_log, m->cfg->error_log) != 0 &&
	    log_open(cfg->error_log, m->cfg->log_level) == -1)
		log_error("cannot open error log %s: %s", cfg->error_log,
			  strerror(errno));
	m->next_cfg = cfg;
	m->reload_deadline = clock_ms() + RELOAD_READY_TIMEOUT_MS;
	n = target_workers(m, cfg);
	for (unsigned i = 0; i < n; i++)
		if (spawn(m, cfg, m->next_fds, m->gen + 1) == -1) {
			reload_fail(m, "cannot start new workers");
			return;
		}
}

/* Every new worker is ready: the new generation takes over. */
static void reload_commit(struct master *m)
{
	struct retired_fd *r;

	for (size_t i = 0; i < m->cfg->listen_count; i++) {
		if (fd_in(m->fds[i], m->next_fds, m->next_cfg->listen_count))
			continue;
		r = realloc(m->retired, (m->retired_count + 1) * sizeof(*r));
		if (r == NULL) {
			close(m->fds[i]); /* old workers keep their own copy */
			continue;
		}
		m->retired = r;
		m->retired[m->retired_count++] =
		    (struct retired_fd){.fd = m->fds[i], .gen = m->gen};
	}
	send_all(m, CHAN_DRAIN, m->gen + 1);
	free(m->fds);
	config_free(m->cfg);
	m->cfg = m->next_cfg;
	m->fds = m->next_fds;
	m->next_cfg = NULL;
	m->next_fds = NULL;
	m->gen++;
	stats_set_generation(m->stats, m->gen);
	m->fatal_count = 0;
	log_set_level(m->cfg->log_level);
	log_info("reload done: generation %u serving", m->gen);
	notify_send("READY=1\nSTATUS=serving (generation %u)", m->gen);
	reply_reload(m, true);
}

static void close_retired(struct master *m)
{
	size_t kept = 0;

	for (size_t i = 0; i < m->retired_count; i++) {
		bool used = false;
		for (size_t p = 0; p < PROCS_MAX; p++)
			if (m->procs[p].pid &&
			    m->procs[p].gen <= m->retired[i].gen)
				used = true;
		if (used)
			m->retired[kept++] = m->retired[i];
		else
			close(m->retired[i].fd);
	}
	m->retired_count = kept;
}

static void on_exit_status(struct master *m, struct proc *p, int status)
{
	bool quick = clock_ms() - p->started < QUICK_DEATH_MS;
	bool fatal =
	    WIFEXITED(status) && WEXITSTATUS(status) == WORKER_EXIT_FATAL;

	if (WIFSIGNALED(status))
		log_error("worker %d killed by signal %d", (int)p->pid,
			  WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		log_error("worker %d exited with status %d", (int)p->pid,
			  WEXITSTATUS(status));
	else
		log_info("worker %d exited", (int)p->pid);

	if (m->next_cfg && p->gen == m->gen + 1 && !p->ready) {
		reload_fail(m, "a new worker died before it was ready");
		return;
	}
	if (m->stop || p->gen != m->gen || p->draining)
		return;
	if (fatal) {
		m->fatal_count++;
		return;
	}
	/* back-off only for workers that die right after they start */
	if (quick)
		m->backoff = m->backoff ? m->backoff * 2 : BACKOFF_MIN_MS;
	else
		m->backoff = 0;
	if (m->backoff > BACKOFF_MAX_MS)
		m->backoff = BACKOFF_MAX_MS;
	m->respawn_at = clock_ms() + m->backoff;
}

static void reap(struct master *m)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t i = 0; i < PROCS_MAX; i++) {
			struct proc *p = &m->procs[i];
			if (p->pid != pid)
				continue;
			if (p->chan != -1)
				close(p->chan);
			p->chan = -1;
			on_exit_status(m, p, status);
			/* its counters live on in the totals, its gauges end */
			stats_slot_retire(m->stats, i);
			p->pid = 0;
			break;
		}
	}
	close_retired(m);
}

static void respawn_due(struct master *m)
{
	unsigned want = target_workers(m, m->cfg);
	size_t live = 0;

	if (m->stop || m->respawn_at == 0 || clock_ms() < m->respawn_at)
		return;
	m->respawn_at = 0;
	for (size_t i = 0; i < PROCS_MAX; i++)
		if (m->procs[i].pid && m->procs[i].gen == m->gen &&
		    !m->procs[i].draining)
			live++;
	while (live + m->fatal_count < want) {
		if (spawn(m, m->cfg, m->fds, m->gen) == -1) {
			m->respawn_at = clock_ms() + BACKOFF_MAX_MS;
			return;
		}
		live++;
	}
}

static void stop_begin(struct master *m, enum stop_mode mode)
{
	if (m->stop == STOP_FAST || m->stop == mode)
		return;
	if (m->next_cfg)
		reload_fail(m, "stopping");
	m->stop = mode;
	notify_send("STOPPING=1\nSTATUS=stopping");
	if (mode == STOP_GRACEFUL) {
		log_info("graceful stop");
		send_all(m, CHAN_DRAIN, UINT32_MAX);
		/* workers bound themselves by shutdown_timeout; this is a
		 * safety net for a stuck one */
		m->stop_deadline =
		    clock_ms() + m->cfg->timeouts.shutdown + 2000;
	} else {
		log_info("fast stop");
		send_all(m, CHAN_STOP, UINT32_MAX);
		m->stop_deadline = clock_ms() + FAST_STOP_GRACE_MS;
	}
}

static void on_signal(struct master *m, const struct signalfd_siginfo *si)
{
	switch (si->ssi_signo) {
	case SIGHUP:
		if (si->ssi_code == SI_QUEUE &&
		    si->ssi_int == RELOAD_REPLY_MAGIC &&
		    m->reply_count < sizeof(m->reply_pids) / sizeof(pid_t))
			m->reply_pids[m->reply_count++] = (pid_t)si->ssi_pid;
		if (m->stop)
			reply_reload(m, false);
		else if (m->next_cfg)
			m->reload_again = true;
		else
			reload_start(m);
		break;
	case SIGTERM:
	case SIGQUIT:
		stop_begin(m, STOP_GRACEFUL);
		break;
	case SIGINT:
		stop_begin(m, STOP_FAST);
		break;
	case SIGUSR1:
		log_info("reopening log files");
		if (log_reopen() == -1)
			log_error("reopen error log: %s", strerror(errno));
		send_all(m, CHAN_REOPEN, UINT32_MAX);
		break;
	case SIGCHLD:
		reap(m);
		break;
	}
}

static void on_channel(struct master *m, size_t slot)
{
	struct proc *p = &m->procs[slot];
	char msg[16];
	ssize_t n = recv(p->chan, msg, sizeof(msg), MSG_DONTWAIT);

	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* the worker is exiting: SIGCHLD will reap it */
		epoll_ctl(m->epfd, EPOLL_CTL_DEL, p->chan, NULL);
		close(p->chan);
		p->chan = -1;
		return;
	}
	if (msg[0] != CHAN_READY || p->ready)
		return;
	p->ready = true;
	if (p->draining)
		send_cmd(p, CHAN_DRAIN);
	if (m->next_cfg && p->gen == m->gen + 1 &&
	    count_procs(m, p->gen, true) == target_workers(m, m->next_cfg))
		reload_commit(m);
}

static int signals_open(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Until when may the loop sleep? */
static int next_timeout(const struct master *m)
{
	uint64_t now = clock_ms();
	uint64_t next = UINT64_MAX;

	if (m->respawn_at)
		next = m->respawn_at;
	if (m->next_cfg && m->reload_deadline < next)
		next = m->reload_deadline;
	if (m->stop && m->stop_deadline < next)
		next = m->stop_deadline;
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int)(next - now > 60000 ? 60000 : next - now);
}

static bool any_procs(const struct master *m)
{
	for (size_t i = 0; i < PROCS_MAX; i++)
		if (m->procs[i].pid)
			return true;
	return false;
}

static void on_deadlines(struct master *m)
{
	uint64_t now = clock_ms();

	if (m->next_cfg && now >= m->reload_deadline)
		reload_fail(m, "new workers did not become ready in time");
	if (m->stop && now >= m->stop_deadline) {
		for (size_t i = 0; i < PROCS_MAX; i++)
			if (m->procs[i].pid)
				kill(m->procs[i].pid, SIGKILL);
		m->stop_deadline = now + 1000;
	}
	respawn_due(m);
	if (!m->next_cfg && m->reload_again) {
		m->reload_again = false;
		reload_start(m);
	}
}

/* READY=1 once the whole first generation serves. */
static void announce_first(struct master *m)
{
	unsigned want = target_workers(m, m->cfg);

	if (m->announced || m->stop || count_procs(m, m->gen, true) < want)
		return;
	m->announced = true;
	log_info("%u workers serving", want);
	notify_send("READY=1\nSTATUS=serving\nMAINPID=%d", (int)m->pid);
}

static void master_loop(struct master *m)
{
	struct epoll_event events[64];

	while (!(m->stop && !any_procs(m))) {
		int n = epoll_wait(m->epfd, events, 64, next_timeout(m));

		if (n == -1 && errno != EINTR) {
			log_error("%s: epoll_wait: %s", __func__,
				  strerror(errno));
			m->exit_code = 2;
			return;
		}
		for (int i = 0; i < n; i++) {
			if (events[i].data.u64 != SIGFD_TAG) {
				on_channel(m, (size_t)events[i].data.u64);
				continue;
			}
			struct signalfd_siginfo si;
			while (read(m->sigfd, &si, sizeof(si)) == sizeof(si))
				on_signal(m, &si);
		}
		on_deadlines(m);
		if (!m->stop && count_procs(m, m->gen, false) == 0 &&
		    m->fatal_count > 0) {
			log_error("every worker failed fatally; exiting");
			m->exit_code = 2;
			stop_begin(m, STOP_FAST);
		}
		announce_first(m);
	}
}

/* Start the first generation and wait until every worker is ready. */
static int first_generation(struct master *m)
{
	unsigned n = target_workers(m, m->cfg);

	for (unsigned i = 0; i < n; i++)
		if (spawn(m, m->cfg, m->fds, m->gen) == -1)
			return -1;
	return 0;
}

int master_run(struct config *cfg, const char *cfg_path, int workers_override)
{
	static struct master m; /* large: keep it off the stack */
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = SIGFD_TAG};

	m = (struct master){.cfg = cfg,
			    .cfg_path = cfg_path,
			    .workers_override = workers_override,
			    .pid = getpid(),
			    .gen = 1};
	signal(SIGPIPE, SIG_IGN);
	/* before any fork: every worker inherits the one shared map */
	if ((m.stats = stats_create(PROCS_MAX)) == NULL) {
		log_error("%s: counters: mmap: %s", __func__, strerror(errno));
		config_free(cfg);
		return 2;
	}
	if ((m.fds = listen_open_all(cfg, NULL, NULL)) == NULL) {
		stats_destroy(m.stats);
		config_free(cfg);
		return 2;
	}
	if ((m.sigfd = signals_open()) == -1 ||
	    (m.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    epoll_ctl(m.epfd, EPOLL_CTL_ADD, m.sigfd, &ev) == -1) {
		log_error("%s: signals/epoll: %s", __func__, strerror(errno));
		return 2;
	}
	if (cfg->user && geteuid() != 0)
		log_warn("\"user\" is only used when started as root: ignored");
	else if (geteuid() == 0 && cfg->user == NULL)
		log_warn(
		    "workers run as root: set \"user\" to drop privileges");
	if (cfg->pid_file && pidfile_write(cfg->pid_file) == -1) {
		log_error("cannot write pid file %s: %s", cfg->pid_file,
			  strerror(errno));
		return 2;
	}
	if (first_generation(&m) == -1) {
		m.exit_code = 2;
		stop_begin(&m, STOP_FAST);
	}

	master_loop(&m);

	if (m.cfg->pid_file)
		pidfile_remove(m.cfg->pid_file);
	for (size_t i = 0; i < m.cfg->listen_count; i++)
		close(m.fds[i]);
	for (size_t i = 0; i < m.retired_count; i++)
		close(m.retired[i].fd);
	free(m.retired);
	free(m.fds);
	config_free(m.cfg);
	close(m.epfd);
	close(m.sigfd);
	stats_destroy(m.stats);
	log_info("exit");
	return m.exit_code;
}
