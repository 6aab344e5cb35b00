#!/bin/sh
# Stand-in for the 42 school's cgi_tester, for the tests: without a
# non-empty PATH_INFO it refuses (Status: 500, "PATH_INFO not found"),
# else it answers Status: 200 OK with its stdin upper-cased.
if [ -z "$PATH_INFO" ]; then
	printf 'Status: 500 Internal Server Error\r\n'
	printf 'Content-Type: text/html; charset=utf-8\r\n\r\n'
	printf 'PATH_INFO not found'
	exit 0
fi
printf 'Status: 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n'
exec tr 'a-z' 'A-Z'
