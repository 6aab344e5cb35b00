#!/bin/sh
# A streaming clock: one line a second for five seconds.  The output is
# sent as it is produced (chunked), not when the script ends.
printf 'Content-Type: text/plain; charset=utf-8\r\n\r\n'
i=0
while [ $i -lt 5 ]; do
	date '+%H:%M:%S'
	i=$((i + 1))
	[ $i -lt 5 ] && sleep 1
done
