/*
 * cgi_proc.c - start a CGI script (fork + exec), hand its pipes and pidfd
 * to the event loop, signal its process group, reap it.
 *
 * Invariant: the script receives exactly fds 0-2, default signal
 * dispositions, an empty signal mask and its own process group; the
 * worker's ends are O_NONBLOCK | O_CLOEXEC.  cgi_spawn either succeeds or
 * leaves nothing behind (no fd, no zombie).  Between fork and exec the
 * child calls only async-signal-safe functions and never returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgi.h"

/* What the child needs, all prepared before fork. */
struct cgi_child {
	const char *interpreter;
	const char *cwd;
	char *argv[3];
	char *const *envp;
	int fd[3];		/* become the script's 0, 1, 2 */
	int status_fd;		/* errno pipe, write end (CLOEXEC) */
	unsigned fd_limit;	/* highest fd to close when close_range is
				 * not available */
};

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* Close fds lo..hi (hi may be ~0U). */
static void child_close_range(unsigned lo, unsigned hi, unsigned fd_limit)
{
	if (lo > hi)
		return;
	if (close_range(lo, hi, 0) == 0)
		return;
	/* Kernel before 5.9: one by one. */
	for (unsigned fd = lo; fd <= hi && fd <= fd_limit; fd++)
		close((int)fd);
}

static void __attribute__((noreturn))
child_fail(int status_fd)
{
	int err = errno;

	/* A short write is impossible (4 bytes < PIPE_BUF); if the write
	 * fails anyway the parent sees EOF and takes the failure as an exec
	 * that succeeded and exited 127: still reported, just later. */
	if (write(status_fd, &err, sizeof(err)) == -1)
		_exit(127);
	_exit(127);
}

/* The script's fds: move ours above 2 first so that no dup2 clobbers a
 * source (the worker may hold pipe ends at 0-2 if it closed them), and so
 * that dup2 always creates a new, non-CLOEXEC fd 0-2. */
static int child_fds(struct cgi_child *c)
{
	int high[3];

	for (int i = 0; i < 3; i++)
		if ((high[i] = fcntl(c->fd[i], F_DUPFD_CLOEXEC, 3)) == -1)
			return -1;
	if ((c->status_fd = fcntl(c->status_fd, F_DUPFD_CLOEXEC, 3)) == -1)
		return -1;
	for (int i = 0; i < 3; i++)
		if (dup2(high[i], i) == -1)
			return -1;
	/* Everything else goes; the errno pipe closes itself at exec. */
	child_close_range(3, (unsigned)c->status_fd - 1, c->fd_limit);
	child_close_range((unsigned)c->status_fd + 1, ~0U, c->fd_limit);
	return 0;
}

static void __attribute__((noreturn))
child_run(struct cgi_child *c)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t empty;

	/* Ignored signals stay ignored across exec (the worker ignores
	 * SIGPIPE): reset all, then unblock (the parent blocked all around
	 * fork so no worker handler can run in here). */
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	sigemptyset(&empty);
	sigprocmask(SIG_SETMASK, &empty, NULL);
	if (setpgid(0, 0) == -1 || child_fds(c) == -1)
		child_fail(c->status_fd);
	if (c->cwd && chdir(c->cwd) == -1)
		child_fail(c->status_fd);
	execve(c->interpreter, c->argv, c->envp);
	child_fail(c->status_fd);
}

static int set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags == -1)
		return -1;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/*
 * Create the pipes: in[0], out[1], err[1] are the child's (blocking), the
 * other ends the worker's (non-blocking).  All CLOEXEC.  0 / -1; on
 * failure whatever was opened is closed by the caller (fds start at -1).
 */
static int make_pipes(int in[2], int out[2], int err[2], int status[2],
		      bool err_pipe)
{
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1 ||
	    (err_pipe && pipe2(err, O_CLOEXEC) == -1) ||
	    pipe2(status, O_CLOEXEC) == -1)
		return -1;
	if (set_nonblock(in[1]) == -1 || set_nonblock(out[0]) == -1 ||
	    (err_pipe && set_nonblock(err[0]) == -1))
		return -1;
	return 0;
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

static void wait_child(pid_t pid)
{
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
}

static unsigned open_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur > 1u << 20)
		return 1u << 20;
	return (unsigned)rl.rlim_cur;
}

/* fork with every signal blocked: see child_run.  Returns the pid. */
static pid_t fork_child(struct cgi_child *c)
{
	sigset_t all, old;
	pid_t pid;
	int saved;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	if ((pid = fork()) == 0)
		child_run(c);
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return pid;
}

/* After fork: learn how exec went, open the pidfd.  0 / -1 (reaped). */
static int spawn_finish(pid_t pid, int status_fd, int *pidfd,
			int *exec_errno)
{
	int err;

	/* Also set from here, so a cgi_kill right after we return cannot
	 * race the child's own setpgid (EACCES once it exec'd: harmless). */
	setpgid(pid, pid);
	if ((err = read_exec_errno(status_fd)) != 0) {
		wait_child(pid);
		*exec_errno = err;
		errno = err;
		return -1;
	}
	if ((*pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1) {
		err = errno;
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		wait_child(pid);
		errno = err;
		return -1;
	}
	return 0;
}

int cgi_spawn(const char *interpreter, const char *script, const char *cwd,
	      char *const *envp, int stderr_fd, struct cgi_proc *out,
	      int *exec_errno)
{
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, err[2] = { -1, -1 };
	int status[2] = { -1, -1 };
	struct cgi_child c = {
		.interpreter = interpreter,
		.cwd = cwd,
		.argv = { (char *)interpreter, (char *)script, NULL },
		.envp = envp,
		.fd_limit = open_fd_limit(),
	};
	int pidfd, saved;
	pid_t pid;

	*exec_errno = 0;
	*out = (struct cgi_proc){ .pid = -1, .pidfd = -1, .stdin_fd = -1,
				  .stdout_fd = -1, .stderr_fd = -1 };
	if (make_pipes(in, outp, err, status, stderr_fd < 0) == -1)
		goto fail;
	c.fd[0] = in[0];
	c.fd[1] = outp[1];
	c.fd[2] = stderr_fd < 0 ? err[1] : stderr_fd;
	c.status_fd = status[1];
	if ((pid = fork_child(&c)) == -1)
		goto fail;
	close_fd(&in[0]);
	close_fd(&outp[1]);
	close_fd(&err[1]);
	close_fd(&status[1]);
	if (spawn_finish(pid, status[0], &pidfd, exec_errno) == -1)
		goto fail;
	close_fd(&status[0]);
	*out = (struct cgi_proc){ .pid = pid, .pidfd = pidfd,
				  .stdin_fd = in[1], .stdout_fd = outp[0],
				  .stderr_fd = err[0] };
	return 0;
fail:
	saved = errno;
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&outp[0]);
	close_fd(&outp[1]);
	close_fd(&err[0]);
	close_fd(&err[1]);
	close_fd(&status[0]);
	close_fd(&status[1]);
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
