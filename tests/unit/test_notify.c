/*
 * Unit tests of notify.c: the sd_notify datagram, to a path socket and to
 * an abstract one ("@name").
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

static int bind_dgram(const char *name, bool abstract)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 2};
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	cr_assert(fd >= 0);
	memcpy(sun.sun_path + (abstract ? 1 : 0), name, len);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sun,
			  (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				      len + (abstract ? 1 : 0))),
		     0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void expect_message(int fd, const char *want)
{
	char buf[512];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	cr_assert_gt(n, 0, "no datagram");
	buf[n] = '\0';
	cr_expect_str_eq(buf, want);
}

Test(notify, path_socket)
{
	char path[64];

	snprintf(path, sizeof(path), "/tmp/webserv-notify-%d.sock",
		 (int)getpid());
	unlink(path);
	int fd = bind_dgram(path, false);
	setenv("NOTIFY_SOCKET", path, 1);
	cr_expect_eq(notify_send("READY=1\nSTATUS=%s", "serving"), 0);
	expect_message(fd, "READY=1\nSTATUS=serving");
	close(fd);
	unlink(path);
}

Test(notify, abstract_socket)
{
	char name[64], env[70];

	snprintf(name, sizeof(name), "webserv-notify-test-%d", (int)getpid());
	int fd = bind_dgram(name, true);
	snprintf(env, sizeof(env), "@%s", name);
	setenv("NOTIFY_SOCKET", env, 1);
	cr_expect_eq(notify_send("STOPPING=1"), 0);
	expect_message(fd, "STOPPING=1");
	close(fd);
}

Test(notify, no_socket_is_a_no_op_and_bad_names_fail)
{
	unsetenv("NOTIFY_SOCKET");
	cr_expect_eq(notify_send("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "relative/name", 1);
	cr_expect_eq(notify_send("READY=1"), -1);
	setenv("NOTIFY_SOCKET", "/nonexistent/dir/sock", 1);
	cr_expect_eq(notify_send("READY=1"), -1);
}
