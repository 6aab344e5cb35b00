/*
 * notify.h - the systemd notify protocol (sd_notify), written by hand:
 * one datagram to $NOTIFY_SOCKET ("/path" or "@abstract").
 */
#ifndef WEBSERV_NOTIFY_H
#define WEBSERV_NOTIFY_H

/* Send "KEY=VALUE\n..." text.  No-op without NOTIFY_SOCKET.  0 / -1. */
int notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
