#!/bin/sh
# log_cost.sh - what the access log costs on scenario a (1 KiB, keep-alive,
# c=100, wrk on loopback): one webserv -w 2 per variant (no access log,
# a write per line, access_log_buffer = "64k"), all started at once on free
# ports, measured interleaved (ROUNDS rounds of DURATION s each, the order
# rotating), the median req/s of each and its ratio to the unlogged one.
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
VARIANTS="off line buffered"
for r in $(seq 1 "$ROUNDS"); do
	for v in $VARIANTS; do
		eval "port=\$PORT_$v"
		rps=$(wrk -t2 -c100 -d"${DURATION}s" "http://127.0.0.1:$port/index.html" |
			awk '/^Requests\/sec/ {print $2}')
		echo "$v $rps" >> "$DIR/results"
	done
	VARIANTS="$(echo $VARIANTS | awk '{print $2, $3, $1}')"
done
median() { grep "^$1 " "$DIR/results" | awk '{print $2}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
off=$(median off)
echo "variant    req/s (median of $ROUNDS x ${DURATION}s)  vs off"
for v in off line buffered; do
	m=$(median "$v")
	awk -v n="$v" -v m="$m" -v o="$off" 'BEGIN {printf "%-10s %10.0f  %6.1f%%\n", n, m, (m / o - 1) * 100}'
done
echo "lines logged: line $(wc -l < "$DIR/line.log"), buffered $(wc -l < "$DIR/buffered.log") (before its last flush)"
