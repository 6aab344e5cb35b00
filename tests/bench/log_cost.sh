#!/bin/sh
# log_cost.sh - what the access log costs on scenario a (1 KiB, keep-alive,
# c=100, wrk on loopback): one webserv -w 2 per variant (no access log,
# a write per line, access_log_buffer = "64k"), all started at once on free
# ports, measured interleaved (ROUNDS rounds of DURATION s each, the order
# rotating), the median req/s of each and its ratio to the unlogged one,
# and the server's CPU per request (user + system time of the master and
# its workers from /proc, over the requests wrk made): on a machine shared
# with other work, req/s moves with the neighbours' load, CPU per request
# much less.
# Every server is stopped by its pid.  Usage: tests/bench/log_cost.sh
set -eu
BIN=${WEBSERV:-$(pwd)/webserv}
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
DIR=$(mktemp -d /tmp/webserv-logcost.XXXXXX)
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	rm -rf "$DIR"
}
trap cleanup EXIT INT TERM
mkdir -p "$DIR/www"
head -c 1024 /dev/zero | tr '\0' a > "$DIR/www/index.html"
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
start() { # name, http settings
	port=$(free_port)
	cat > "$DIR/$1.cfg" <<CFG
workers = 2;
error_log = "$DIR/$1.err";
http = { $2 };
servers = ( { listen = [ "127.0.0.1:$port" ]; root = "$DIR/www"; } );
CFG
	"$BIN" -f "$DIR/$1.cfg" >/dev/null 2>&1 &
	PIDS="$PIDS $!"
	eval "PID_$1=$!"
	eval "PORT_$1=$port"
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$port/index.html"; do
		i=$((i + 1)); [ $i -lt 100 ] || { echo "$1 did not start"; exit 1; }
		sleep 0.1
	done
}
start off 'access_log = "off";'
start line "access_log = \"$DIR/line.log\";"
start buffered "access_log = \"$DIR/buffered.log\"; access_log_buffer = \"64k\";"
# clock ticks (utime + stime) of pid and its children
cpu_ticks() {
	for p in $1 $(pgrep -P "$1"); do
		awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || true
	done | awk '{t += $1} END {print t + 0}'
}
HZ=$(getconf CLK_TCK)
VARIANTS="off line buffered"
for r in $(seq 1 "$ROUNDS"); do
	for v in $VARIANTS; do
		eval "port=\$PORT_$v"
		eval "pid=\$PID_$v"
		t0=$(cpu_ticks "$pid")
		wrk -t2 -c100 -d"${DURATION}s" "http://127.0.0.1:$port/index.html" > "$DIR/wrk.out"
		t1=$(cpu_ticks "$pid")
		rps=$(awk '/^Requests\/sec/ {print $2}' "$DIR/wrk.out")
		reqs=$(awk '/requests in/ {print $1}' "$DIR/wrk.out")
		us=$(awk -v a="$t0" -v b="$t1" -v n="$reqs" -v hz="$HZ" \
			'BEGIN {printf "%.2f", (b - a) * 1e6 / hz / n}')
		echo "$v $rps $us" >> "$DIR/results"
	done
	VARIANTS="$(echo $VARIANTS | awk '{print $2, $3, $1}')"
done
median() { # variant, column
	grep "^$1 " "$DIR/results" | awk -v c="$2" '{print $c}' | sort -n |
		awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
off=$(median off 2)
offcpu=$(median off 3)
echo "variant    req/s  vs off   CPU us/req  vs off   (medians of $ROUNDS x ${DURATION}s)"
for v in off line buffered; do
	m=$(median "$v" 2)
	c=$(median "$v" 3)
	awk -v n="$v" -v m="$m" -v o="$off" -v c="$c" -v oc="$offcpu" 'BEGIN {
		printf "%-10s %6.0f  %+5.1f%%  %10.2f  %+5.1f%%\n", n, m,
		    (m / o - 1) * 100, c, (c / oc - 1) * 100 }'
done
echo "lines logged: line $(wc -l < "$DIR/line.log"), buffered $(wc -l < "$DIR/buffered.log") (before its last flush)"
