/*
 * main.c - the command line (DESIGN.md §3): parse options, check the
 * config (-t), signal a running master (-s) or become the master.
 * Exit codes: 0 clean, 1 config or usage error, 2 runtime failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "master.h"
#include "pidfile.h"

#ifndef WEBSERV_CONFIG_DEFAULT
#define WEBSERV_CONFIG_DEFAULT "/etc/webserv/webserv.cfg"
#endif
#define WEBSERV_VERSION "0.1.0"
#define WORKERS_MAX	1024
#define SIGNAL_WAIT_MS	60000

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: webserv [-f FILE] [-w N] [-t] [-s SIGNAL] [-h] [-V]\n"
	    "  -f FILE    config file (default %s)\n"
	    "  -w N       worker processes, 0 = one per CPU (overrides "
	    "`workers`)\n"
	    "  -t         check the config and exit\n"
	    "  -s SIGNAL  reload | stop | quit | reopen: signal the running "
	    "master\n"
	    "  -h         this help\n"
	    "  -V         version\n",
	    WEBSERV_CONFIG_DEFAULT);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "webserv: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	usage(stderr);
	return 1;
}

static int parse_workers(const char *text, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(text, &end, 10);
	if (errno || end == text || *end != '\0' || n < 0 || n > WORKERS_MAX)
		return -1;
	*out = (int)n;
	return 0;
}

static struct config *load_or_report(const char *path)
{
	char *errors = NULL;
	struct config *cfg = config_load(path, &errors);

	if (cfg == NULL) {
		fputs(errors ? errors : "webserv: cannot load config\n",
		      stderr);
		free(errors);
	} else if (cfg->warnings != NULL) {
		fputs(cfg->warnings, stderr);
	}
	return cfg;
}

static pid_t read_pid(const char *pid_file)
{
	pid_t pid = pidfile_read(pid_file);

	if (pid == -1 && errno == EINVAL)
		fprintf(stderr, "webserv: no pid in %s\n", pid_file);
	else if (pid == -1)
		fprintf(
		    stderr,
		    "webserv: cannot read pid file %s: %s (is it running?)\n",
		    pid_file, strerror(errno));
	return pid;
}

/* -s reload: SIGHUP carrying a reply request, then wait for the answer. */
static int signal_reload(pid_t pid)
{
	union sigval v = {.sival_int = RELOAD_REPLY_MAGIC};
	struct timespec wait = {.tv_sec = SIGNAL_WAIT_MS / 1000};
	siginfo_t info;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (sigqueue(pid, SIGHUP, v) == -1) {
		fprintf(stderr, "webserv: signal %d: %s\n", (int)pid,
			strerror(errno));
		return 1;
	}
	do
		sig = sigtimedwait(&set, &info, &wait);
	while (sig == -1 && errno == EINTR);
	if (sig == SIGUSR1) {
		printf("reload done\n");
		return 0;
	}
	if (sig == SIGUSR2)
		fprintf(stderr,
			"webserv: reload failed: the previous "
			"configuration is still serving (see the error log)\n");
	else
		fprintf(stderr, "webserv: no answer to the reload in %d s\n",
			SIGNAL_WAIT_MS / 1000);
	return 1;
}

/* Has pid exited?  A zombie has: only its parent's wait is missing. */
static bool exited(pid_t pid)
{
	char path[64], stat[256];
	const char *end;
	ssize_t n;
	int fd;

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	n = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	if (n <= 0)
		return false;
	stat[n] = '\0';
	/* "pid (comm) S ...": comm may hold spaces and parentheses */
	end = strrchr(stat, ')');
	return end != NULL && end[1] == ' ' && end[2] == 'Z';
}

/* stop/quit: wait until the master has gone (polled where there is no
 * pidfd_open: kernels before 5.3, valgrind). */
static int wait_exit(pid_t pid)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
	bool gone;

	if (pidfd == -1 && errno == ESRCH)
		return 0;
	if (pidfd != -1) {
		gone = poll(&pfd, 1, SIGNAL_WAIT_MS) == 1;
		close(pidfd);
	} else {
		int waited = 0;
		while (!(gone = exited(pid)) && waited < SIGNAL_WAIT_MS) {
			usleep(10000);
			waited += 10;
		}
	}
	if (!gone)
		fprintf(stderr, "webserv: %d still running\n", (int)pid);
	return gone ? 0 : 1;
}

static int send_signal(const char *path, const char *name)
{
	static const struct {
		const char *name;
		int sig;
	} table[] = {{"reload", SIGHUP},
		     {"stop", SIGTERM},
		     {"quit", SIGQUIT},
		     {"reopen", SIGUSR1}};
	struct config *cfg;
	pid_t pid;
	int sig = 0;
	int rc;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(name, table[i].name) == 0)
			sig = table[i].sig;
	if (sig == 0)
		return usage_error(
		    "unknown signal \"%s\" (reload, stop, quit, reopen)", name);
	/* a reload of a broken file would fail: say why right here */
	if ((cfg = load_or_report(path)) == NULL)
		return 1;
	if (cfg->pid_file == NULL) {
		fprintf(
		    stderr,
		    "webserv: %s sets no pid_file: cannot find the master\n",
		    path);
		config_free(cfg);
		return 1;
	}
	pid = read_pid(cfg->pid_file);
	config_free(cfg);
	if (pid == -1)
		return 1;
	if (sig == SIGHUP)
		return signal_reload(pid);
	if (kill(pid, sig) == -1) {
		fprintf(stderr, "webserv: signal %d: %s\n", (int)pid,
			strerror(errno));
		return 1;
	}
	rc = 0;
	if (sig == SIGTERM || sig == SIGQUIT)
		rc = wait_exit(pid);
	return rc;
}

int main(int argc, char **argv)
{
	const char *path = WEBSERV_CONFIG_DEFAULT;
	const char *sig_name = NULL;
	char abs_path[PATH_MAX];
	struct config *cfg;
	bool check = false;
	int workers = -1;
	int opt, rc;

	opterr = 0;
	while ((opt = getopt(argc, argv, ":f:w:ts:hV")) != -1) {
		switch (opt) {
		case 'f':
			path = optarg;
			break;
		case 'w':
			if (parse_workers(optarg, &workers) == -1)
				return usage_error(
				    "-w wants a number of workers "
				    "from 0 to 1024, not \"%s\"",
				    optarg);
			break;
		case 't':
			check = true;
			break;
		case 's':
			sig_name = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("webserv %s\n", WEBSERV_VERSION);
			return 0;
		case ':':
			return usage_error("option -%s needs a value",
					   (char[]){(char)optopt, '\0'});
		default:
			return usage_error("unknown option -%s",
					   (char[]){(char)optopt, '\0'});
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);
	if (access(path, R_OK) == -1) {
		fprintf(stderr, "webserv: cannot read config %s: %s\n", path,
			strerror(errno));
		usage(stderr);
		return 1;
	}
	/* a reload must find the file again whatever the cwd becomes */
	if (realpath(path, abs_path) != NULL)
		path = abs_path;
	if (sig_name)
		return send_signal(path, sig_name);
	if ((cfg = load_or_report(path)) == NULL)
		return 1;
	if (check) {
		printf("configuration ok: %s\n", path);
		config_free(cfg);
		return 0;
	}
	if (log_open(cfg->error_log, cfg->log_level) == -1) {
		fprintf(stderr, "webserv: cannot open error log %s: %s\n",
			cfg->error_log, strerror(errno));
		config_free(cfg);
		return 2;
	}
	/* stderr has them already (load_or_report) */
	if (strcmp(cfg->error_log, "stderr") != 0)
		config_log_warnings(cfg);
	rc = master_run(cfg, path, workers);
	log_close();
	return rc;
}
