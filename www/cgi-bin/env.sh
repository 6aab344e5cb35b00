#!/bin/sh
# Prints the CGI environment the server gave this script (RFC 3875 §4.1).
printf 'Content-Type: text/plain; charset=utf-8\r\n\r\n'
printf 'CGI environment of %s\n\n' "$SCRIPT_NAME"
env | LC_ALL=C sort
