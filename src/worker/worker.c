/*
 * worker.c - a worker process: one level-triggered epoll loop over the
 * shared listen sockets (EPOLLEXCLUSIVE), its connections, the master's
 * channel and a signalfd.
 *
 * Invariants: the loop never blocks except in epoll_wait; a draining
 * worker takes its listeners out of epoll before closing them (other
 * processes still hold them) and accepts what the kernel already queued
 * for it; connection structs are freed only at the end of a loop turn.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "h2.h"
#include "log.h"
#include "worker.h"

#define ACCEPT_BATCH	64
#define REARM_EVERY	16 /* accepts between EPOLLEXCLUSIVE re-arms */
#define EMFILE_PAUSE_MS 100
#define EVENTS_MAX	256
/* Open-file cache: entries (at most a quarter of the fds), bytes of
 * content, largest file held whole, how often paths are stat'ed again. */
#define FILES_MAX	 1024
#define FILES_BYTES	 (32u << 20)
#define FILES_SMALL	 (32u << 10)
#define FILES_RECHECK_MS 1000
#define FILES_SWEEP_MS	 5000  /* deleted files let go within this */
#define FILES_IDLE_MS	 60000 /* an entry unused this long is closed */

static int listener_add(struct worker *w, struct listener *l)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE,
				 .data.ptr = l};

	if (l->registered)
		return 0;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, l->fd, &ev) == -1) {
		log_error("%s: epoll_ctl: %s", __func__, strerror(errno));
		return -1;
	}
	l->registered = true;
	return 0;
}

static void listener_del(struct worker *w, struct listener *l)
{
	if (!l->registered)
		return;
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, l->fd, NULL);
	l->registered = false;
}

static void listeners_pause(struct worker *w, uint64_t until)
{
	for (size_t i = 0; i < w->listener_count; i++)
		listener_del(w, &w->listeners[i]);
	w->accept_resume = until;
}

/* Accept a batch; false when accepting must pause. */
static bool accept_batch(struct worker *w, struct listener *l)
{
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage peer;
		socklen_t peer_len = sizeof(peer);
		int fd;

		if (w->conn_count >= w->cfg->max_connections) {
			listeners_pause(w, UINT64_MAX);
			return false;
		}
		fd = accept4(l->fd, (struct sockaddr *)&peer, &peer_len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				log_warn("accept: %s: pausing %d ms",
					 strerror(errno), EMFILE_PAUSE_MS);
				listeners_pause(w, w->now + EMFILE_PAUSE_MS);
				return false;
			}
			/* EAGAIN, or an error of that one connection */
			return true;
		}
		stats_add(&w->stats->ctr[STAT_ACCEPTED], 1);
		conn_new(w, fd, l->idx, (struct sockaddr *)&peer, peer_len);
		w->accepts++;
	}
	return true;
}

static void on_listener(struct worker *w, struct listener *l)
{
	if (!accept_batch(w, l) || w->draining)
		return;
	/* Re-arm so the kernel's exclusive wake-ups rotate among workers
	 * instead of favouring the one that happens to be first. */
	if (w->accepts >= REARM_EVERY) {
		w->accepts = 0;
		listener_del(w, l);
		listener_add(w, l);
	}
}

static void resume_accepting(struct worker *w)
{
	if (w->draining || w->accept_resume == 0)
		return;
	if (w->accept_resume == UINT64_MAX) {
		if (w->conn_count >= w->cfg->max_connections)
			return;
	} else if (w->now < w->accept_resume) {
		return;
	}
	w->accept_resume = 0;
	for (size_t i = 0; i < w->listener_count; i++)
		listener_add(w, &w->listeners[i]);
}

static void drain(struct worker *w)
{
	if (w->draining)
		return;
	w->draining = true;
	w->drain_deadline = w->now + w->cfg->timeouts.shutdown;
	log_info("draining %zu connections", w->conn_count);
	for (size_t i = 0; i < w->listener_count; i++) {
		struct listener *l = &w->listeners[i];
		/* out of epoll first: only then is no wake-up ours any more,
		 * so one last batch takes whatever the kernel queued for us */
		listener_del(w, l);
		accept_batch(w, l);
		close(l->fd);
		l->fd = -1;
	}
	w->accept_resume = 0;
	for (size_t fd = 0; fd < w->conn_cap; fd++)
		if (w->conns[fd])
			conn_drain(w->conns[fd]);
}

static void close_all(struct worker *w)
{
	for (size_t fd = 0; fd < w->conn_cap; fd++)
		if (w->conns[fd])
			conn_close(w->conns[fd]);
}

static void on_channel(struct worker *w)
{
	char cmd;
	ssize_t n = recv(w->chan, &cmd, 1, MSG_DONTWAIT);

	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* the master is gone: finish what we have, take nothing new */
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->chan, NULL);
		drain(w);
		return;
	}
	switch (cmd) {
	case CHAN_DRAIN:
		drain(w);
		break;
	case CHAN_STOP:
		w->stopping = true;
		break;
	case CHAN_REOPEN:
		if (log_reopen() == -1 || access_log_open(w) == -1)
			log_error("reopen logs: %s", strerror(errno));
		break;
	}
}

static void on_signal(struct worker *w)
{
	struct signalfd_siginfo si;

	while (read(w->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGINT)
			w->stopping = true;
		else
			drain(w);
	}
}

static void on_timers(struct worker *w)
{
	struct timer *t;

	while ((t = timers_expired(&w->timers, w->now)) != NULL) {
		if (t->owner == TIMER_CGI)
			cgi_on_timer(t);
		else if (t->owner == TIMER_H2_STREAM)
			h2_stream_timeout(t);
		else
			conn_on_timeout(
			    (struct conn *)((char *)t -
					    offsetof(struct conn, timer)));
		log_set_request_id(NULL);
	}
}

static int loop_timeout(struct worker *w)
{
	uint64_t next = timers_next(&w->timers);

	if (w->draining && w->drain_deadline < next)
		next = w->drain_deadline;
	if (w->accept_resume && w->accept_resume != UINT64_MAX &&
	    w->accept_resume < next)
		next = w->accept_resume;
	if (w->files && w->files_swept + FILES_SWEEP_MS < next)
		next = w->files_swept + FILES_SWEEP_MS;
	if (access_log_deadline(w) < next)
		next = access_log_deadline(w);
	if (next == UINT64_MAX)
		return -1;
	if (next <= w->now)
		return 0;
	return next - w->now > 60000 ? 60000 : (int)(next - w->now);
}

static void dispatch(struct worker *w, struct epoll_event *ev)
{
	enum ev_kind *kind = ev->data.ptr;

	switch (*kind) {
	case EV_LISTENER:
		on_listener(w, ev->data.ptr);
		break;
	case EV_CONN:
		conn_on_event(ev->data.ptr, ev->events);
		break;
	case EV_CHANNEL:
		on_channel(w);
		break;
	case EV_SIGNAL:
		on_signal(w);
		break;
	case EV_CGI:
		cgi_on_event(ev->data.ptr, ev->events);
		break;
	}
	log_set_request_id(NULL);
}

static void loop(struct worker *w)
{
	struct epoll_event events[EVENTS_MAX];

	for (;;) {
		if (w->stopping)
			close_all(w);
		if (w->draining && w->now >= w->drain_deadline) {
			log_warn("shutdown_timeout: closing %zu connections",
				 w->conn_count);
			close_all(w);
		}
		conn_free_dead(w);
		cgi_free_dead(w);
		/* a draining worker also waits for its scripts to be reaped
		 * (killed ones go within a second) */
		if ((w->draining || w->stopping) && w->conn_count == 0 &&
		    (w->cgi_count == 0 || w->stopping))
			return;
		int n =
		    epoll_wait(w->epfd, events, EVENTS_MAX, loop_timeout(w));
		if (n == -1 && errno != EINTR) {
			log_error("%s: epoll_wait: %s", __func__,
				  strerror(errno));
			return;
		}
		w->now = clock_ms();
		for (int i = 0; i < n; i++)
			dispatch(w, &events[i]);
		on_timers(w);
		access_log_tick(w);
		resume_accepting(w);
		if (w->now >= w->files_swept + FILES_SWEEP_MS) {
			fc_sweep(w->files, FILES_IDLE_MS);
			w->files_swept = w->now;
		}
	}
}

static int setup(struct worker *w, const int *listen_fds)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct rlimit rl;
	size_t files_max = FILES_MAX;
	sigset_t set;

	request_id_init(); /* after the fork: a prefix of its own */
	signal(SIGPIPE, SIG_IGN);
	conn_tls_init(w->cfg);
	h2_tls_init(w->cfg);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (w->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) == -1 ||
	    (w->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return -1;
	ev.data.ptr = &w->sig_kind;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->sigfd, &ev) == -1)
		return -1;
	ev.data.ptr = &w->chan_kind;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->chan, &ev) == -1)
		return -1;

	w->conn_cap = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY) {
		if (rl.rlim_cur > w->conn_cap)
			w->conn_cap = rl.rlim_cur;
		if (rl.rlim_cur / 4 < files_max)
			files_max = rl.rlim_cur / 4;
	}
	if ((w->conns = calloc(w->conn_cap, sizeof(*w->conns))) == NULL)
		return -1;
	w->listener_count = w->cfg->listen_count;
	w->listeners = calloc(w->listener_count ? w->listener_count : 1,
			      sizeof(*w->listeners));
	if (w->listeners == NULL)
		return -1;
	for (size_t i = 0; i < w->listener_count; i++) {
		w->listeners[i] = (struct listener){
		    .kind = EV_LISTENER, .fd = listen_fds[i], .idx = i};
		if (listener_add(w, &w->listeners[i]) == -1)
			return -1;
	}
	/* without a cache every request opens its file: slower, not wrong */
	w->files =
	    fc_create(files_max, FILES_BYTES, FILES_SMALL, FILES_RECHECK_MS);
	if (w->files == NULL)
		log_warn("no memory for the file cache");
	return access_log_open(w);
}

/*
 * Started as root with `user` set: become that user (and `group`, else
 * the user's primary group) once the sockets and logs are open, so a
 * compromised worker - or a CGI script, which inherits it - holds no root
 * power.  0 / -1 (fatal: never serve with the wrong identity).
 */
static int drop_privileges(const struct config *cfg)
{
	struct passwd *pw;
	struct group *gr;
	gid_t gid;

	if (geteuid() != 0 || cfg->user == NULL)
		return 0;
	if ((pw = getpwnam(cfg->user)) == NULL) {
		log_error("user \"%s\" not found", cfg->user);
		return -1;
	}
	gid = pw->pw_gid;
	if (cfg->group) {
		if ((gr = getgrnam(cfg->group)) == NULL) {
			log_error("group \"%s\" not found", cfg->group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (initgroups(cfg->user, gid) == -1 || setgid(gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		log_error("cannot become %s: %s", cfg->user, strerror(errno));
		return -1;
	}
	/* a credential change clears the parent-death signal: set it again */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	return 0;
}

int worker_run(const struct config *cfg, const int *listen_fds, int chan,
	       struct stats_shared *stats, size_t slot)
{
	static struct worker w;
	char ready = CHAN_READY;
	int rc = 0;

	w = (struct worker){.cfg = cfg,
			    .chan = chan,
			    .chan_kind = EV_CHANNEL,
			    .sig_kind = EV_SIGNAL,
			    .epfd = -1,
			    .sigfd = -1,
			    .access_fd = -1,
			    .stats = &stats->slots[slot],
			    .stats_all = stats};
	timers_init(&w.timers);
	w.now = clock_ms();
	if (setup(&w, listen_fds) == -1) {
		log_error("worker setup: %s", strerror(errno));
		rc = WORKER_EXIT_FATAL;
		goto done;
	}
	if (drop_privileges(cfg) == -1) {
		rc = WORKER_EXIT_FATAL;
		goto done;
	}
	if (send(chan, &ready, 1, MSG_NOSIGNAL) == -1)
		goto done; /* master gone already */
	loop(&w);
done:
	cgi_kill_all(&w);
	cgi_free_dead(&w);
	conn_free_dead(&w);
	conn_free_pool(&w);
	fc_destroy(w.files);
	for (size_t i = 0; i < w.listener_count; i++)
		if (w.listeners[i].fd != -1)
			close(w.listeners[i].fd);
	free(w.listeners);
	free(w.conns);
	access_log_flush(&w); /* stop, reload's drain: no line is lost */
	free(w.access_buf);
	if (w.access_fd > STDERR_FILENO)
		close(w.access_fd);
	close(w.epfd);
	close(w.sigfd);
	close(chan);
	return rc;
}
