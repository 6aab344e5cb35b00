/*
 * cgi_proc.c - start a CGI script, hand its pipes and pidfd to the event
 * loop, signal its process group, reap it.
 *
 * Two ways to start it, same contract:
 *   - posix_spawn (glibc >= 2.34, the default): glibc clones with
 *     CLONE_VM | CLONE_VFORK, so no page tables are copied and the exec
 *     error comes back as the return value.  Measured on the (noisy,
 *     shared) dev VM, cgi_spawn of /bin/true: 0.6-3 ms at any RSS with
 *     posix_spawn; 6-7 ms at a small RSS and 13-23 ms at 256 MiB with
 *     fork, whose cost grows with the worker's page tables.  One glibc
 *     quirk: its two reserved signals (32, 33) reach the script ignored;
 *     glibc programs re-arm them, nothing else may use them.
 *   - fork + exec with an errno pipe (other libcs, older glibc, or
 *     -DCGI_SPAWN_FORK): the child calls only async-signal-safe functions
 *     and never returns.
 *
 * Invariant: the script receives exactly fds 0-2, default signal
 * dispositions, an empty signal mask and its own process group; the
 * worker's ends are O_NONBLOCK | O_CLOEXEC.  cgi_spawn either succeeds or
 * leaves nothing behind (no fd, no zombie).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgi.h"

#if !defined(CGI_SPAWN_FORK) && defined(__GLIBC__) &&                          \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
#define CGI_POSIX_SPAWN 1 /* addclosefrom_np is glibc 2.34 */
#else
#define CGI_POSIX_SPAWN 0
#endif

/* What the child needs, all prepared before it starts. */
struct cgi_child {
	const char *interpreter;
	const char *cwd;
	char *argv[3];
	char *const *envp;
	int fd[3];	   /* become the script's 0, 1, 2; all >= 3 */
	int status_fd;	   /* fork: errno pipe, write end; >= 3 */
	unsigned fd_limit; /* fork: highest fd to close when close_range
			    * is not available */
};

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/*
 * Keep *fd (ours, CLOEXEC) away from 0-2, so that making the script's
 * 0-2 never overwrites a source and dup2 never meets fd == newfd (which
 * would keep CLOEXEC).  Only a worker that closed its stdio gets pipe
 * ends that low.  0 / -1.
 */
static int fd_above_stdio(int *fd)
{
	int high;

	if (*fd > 2)
		return 0;
	if ((high = fcntl(*fd, F_DUPFD_CLOEXEC, 3)) == -1)
		return -1;
	close(*fd);
	*fd = high;
	return 0;
}

#if CGI_POSIX_SPAWN

/* Start the child; 0, or an errno (posix_spawn's convention). */
static int start_child(const struct cgi_child *c, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	int err;

	sigfillset(&all);
	sigdelset(&all, SIGKILL); /* no disposition to reset */
	sigdelset(&all, SIGSTOP);
	sigemptyset(&none);
	if ((err = posix_spawn_file_actions_init(&fa)) != 0)
		return err;
	if ((err = posix_spawnattr_init(&attr)) != 0)
		goto fail_actions;
	/* The sources are >= 3: no action undoes another. */
	for (int i = 0; i < 3 && err == 0; i++)
		err = posix_spawn_file_actions_adddup2(&fa, c->fd[i], i);
	if (err == 0)
		err = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (err == 0 && c->cwd)
		err = posix_spawn_file_actions_addchdir_np(&fa, c->cwd);
	/* Ignored signals stay ignored across exec (the worker ignores
	 * SIGPIPE): every signal back to SIG_DFL, none blocked. */
	if (err == 0)
		err = posix_spawnattr_setflags(
		    &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
			       POSIX_SPAWN_SETSIGMASK);
	if (err == 0)
		err = posix_spawnattr_setpgroup(&attr, 0);
	if (err == 0)
		err = posix_spawnattr_setsigdefault(&attr, &all);
	if (err == 0)
		err = posix_spawnattr_setsigmask(&attr, &none);
	if (err == 0)
		err = posix_spawn(pid, c->interpreter, &fa, &attr, c->argv,
				  c->envp);
	posix_spawnattr_destroy(&attr);
fail_actions:
	posix_spawn_file_actions_destroy(&fa);
	return err;
}

/*
 * posix_spawn returns one errno for both sides (glibc reaps the child
 * when it failed).  EAGAIN and ENOMEM are the clone's: setup failures;
 * anything else failed in the child (dup2, chdir, execve).
 */
static int spawn(struct cgi_child *c, pid_t *pid, int *exec_errno)
{
	int err = start_child(c, pid);

	if (err == 0)
		return 0;
	if (err != EAGAIN && err != ENOMEM)
		*exec_errno = err;
	errno = err;
	return -1;
}

#else /* fork + exec */

/* Close fds lo..hi (hi may be ~0U). */
static void child_close_range(unsigned lo, unsigned hi, unsigned fd_limit)
{
	if (lo > hi)
		return;
#ifdef SYS_close_range
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return;
#endif
	/* Kernel before 5.9: one by one. */
	for (unsigned fd = lo; fd <= hi && fd <= fd_limit; fd++)
		close((int)fd);
}

static void __attribute__((noreturn)) child_fail(int status_fd)
{
	int err = errno;
	/* 4 bytes < PIPE_BUF: all or nothing.  If even this fails the
	 * parent sees EOF and then a script that exited 127. */
	ssize_t n = write(status_fd, &err, sizeof(err));

	(void)n;
	_exit(127);
}

static void __attribute__((noreturn)) child_run(const struct cgi_child *c)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t empty;

	/* Ignored signals stay ignored across exec (the worker ignores
	 * SIGPIPE): reset all, then unblock (the parent blocked all around
	 * fork so no worker handler can run in here). */
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	sigemptyset(&empty);
	sigprocmask(SIG_SETMASK, &empty, NULL);
	if (setpgid(0, 0) == -1)
		child_fail(c->status_fd);
	/* Sources are >= 3: dup2 makes fresh, non-CLOEXEC 0-2. */
	for (int i = 0; i < 3; i++)
		if (dup2(c->fd[i], i) == -1)
			child_fail(c->status_fd);
	/* Everything else goes; the errno pipe closes itself at exec. */
	child_close_range(3, (unsigned)c->status_fd - 1, c->fd_limit);
	child_close_range((unsigned)c->status_fd + 1, ~0U, c->fd_limit);
	if (c->cwd && chdir(c->cwd) == -1)
		child_fail(c->status_fd);
	execve(c->interpreter, c->argv, c->envp);
	child_fail(c->status_fd);
}

/* The errno the child reported, or 0 when it exec'd (EOF). */
static int read_exec_errno(int fd)
{
	int err;
	ssize_t n;

	do
		n = read(fd, &err, sizeof(err));
	while (n == -1 && errno == EINTR);
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(err) || err == 0)
		return EIO;
	return err;
}

static unsigned open_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur > 1u << 20)
		return 1u << 20;
	return (unsigned)rl.rlim_cur;
}

/*
 * fork with every signal blocked (see child_run), then wait on the errno
 * pipe: EOF means the exec happened, 4 bytes are the child's errno.
 */
static int spawn(struct cgi_child *c, pid_t *pid, int *exec_errno)
{
	int status[2], err;
	sigset_t all, old;

	if (pipe2(status, O_CLOEXEC) == -1)
		return -1;
	if (fd_above_stdio(&status[1]) == -1)
		goto fail_pipe;
	c->status_fd = status[1];
	c->fd_limit = open_fd_limit();
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	if ((*pid = fork()) == 0)
		child_run(c);
	err = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close_fd(&status[1]);
	if (*pid == -1) {
		errno = err;
		goto fail_pipe;
	}
	/* Also from here, so that a cgi_kill right after we return cannot
	 * race the child's own setpgid (EACCES once it exec'd: fine). */
	setpgid(*pid, *pid);
	err = read_exec_errno(status[0]);
	close_fd(&status[0]);
	if (err == 0)
		return 0;
	while (waitpid(*pid, NULL, 0) == -1 && errno == EINTR)
		;
	*exec_errno = err;
	errno = err;
	return -1;
fail_pipe:
	err = errno;
	close_fd(&status[0]);
	close_fd(&status[1]);
	errno = err;
	return -1;
}

#endif

static int set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags == -1)
		return -1;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/*
 * The pipes: in[0], out[1], err[1] are the child's (blocking, >= 3), the
 * other ends the worker's (non-blocking).  All CLOEXEC.  stdin_file >= 0:
 * in[0] is a dup of it and in[1] stays -1.  stderr_fd >= 0: err[1] is a
 * dup of it and err[0] stays -1.  0 / -1; on failure the caller closes
 * whatever is not -1.
 */
static int make_pipes(int in[2], int out[2], int err[2], int stdin_file,
		      int stderr_fd)
{
	if (stdin_file >= 0)
		in[0] = fcntl(stdin_file, F_DUPFD_CLOEXEC, 3);
	else if (pipe2(in, O_CLOEXEC) == 0 && set_nonblock(in[1]) == -1)
		return -1;
	if (in[0] == -1 || pipe2(out, O_CLOEXEC) == -1)
		return -1;
	if (stderr_fd >= 0)
		err[1] = fcntl(stderr_fd, F_DUPFD_CLOEXEC, 3);
	else if (pipe2(err, O_CLOEXEC) == 0 && set_nonblock(err[0]) == -1)
		return -1;
	if (err[1] == -1 || fd_above_stdio(&in[0]) == -1 ||
	    fd_above_stdio(&out[1]) == -1 || fd_above_stdio(&err[1]) == -1)
		return -1;
	if (set_nonblock(out[0]) == -1)
		return -1;
	return 0;
}

/* The script runs: watch it through a pidfd, or undo everything. */
static int open_pidfd(pid_t pid, int *pidfd)
{
	int err;

	if ((*pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) != -1)
		return 0;
	err = errno;
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
	errno = err;
	return -1;
}

int cgi_spawn(const char *interpreter, const char *script, const char *cwd,
	      char *const *envp, int stdin_file, int stderr_fd,
	      struct cgi_proc *out, int *exec_errno)
{
	int in[2] = {-1, -1}, outp[2] = {-1, -1}, err[2] = {-1, -1};
	struct cgi_child c = {
	    .interpreter = interpreter,
	    .cwd = cwd,
	    .argv = {(char *)interpreter, (char *)script, NULL},
	    .envp = envp,
	};
	int pidfd, saved;
	pid_t pid;

	*exec_errno = 0;
	*out = (struct cgi_proc){.pid = -1,
				 .pidfd = -1,
				 .stdin_fd = -1,
				 .stdout_fd = -1,
				 .stderr_fd = -1};
	if (make_pipes(in, outp, err, stdin_file, stderr_fd) == -1)
		goto fail;
	c.fd[0] = in[0];
	c.fd[1] = outp[1];
	c.fd[2] = err[1];
	if (spawn(&c, &pid, exec_errno) == -1)
		goto fail;
	close_fd(&in[0]);
	close_fd(&outp[1]);
	close_fd(&err[1]);
	if (open_pidfd(pid, &pidfd) == -1)
		goto fail;
	*out = (struct cgi_proc){.pid = pid,
				 .pidfd = pidfd,
				 .stdin_fd = in[1],
				 .stdout_fd = outp[0],
				 .stderr_fd = err[0]};
	return 0;
fail:
	saved = errno;
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&outp[0]);
	close_fd(&outp[1]);
	close_fd(&err[0]);
	close_fd(&err[1]);
	errno = saved;
	return -1;
}

int cgi_kill(const struct cgi_proc *proc, int sig)
{
	if (proc->pid <= 0) {
		errno = ESRCH;
		return -1;
	}
	return kill(-proc->pid, sig);
}

int cgi_reap(struct cgi_proc *proc, int *wstatus)
{
	pid_t r;

	if (proc->reaped || proc->pid <= 0) {
		errno = ECHILD;
		return -1;
	}
	do
		r = waitpid(proc->pid, wstatus, WNOHANG);
	while (r == -1 && errno == EINTR);
	if (r <= 0)
		return r == 0 ? 0 : -1;
	proc->reaped = true;
	return 1;
}

void cgi_proc_close(struct cgi_proc *proc)
{
	close_fd(&proc->pidfd);
	close_fd(&proc->stdin_fd);
	close_fd(&proc->stdout_fd);
	close_fd(&proc->stderr_fd);
}
