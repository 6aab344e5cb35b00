#!/bin/sh
# tests/scale/run.sh [WEBSERV] - the scale-out recipe, tested (issue 16):
# Debian's HAProxy in front of two webserv instances on loopback, PROXY
# protocol v2 on (send-proxy-v2, health checks too), a health check on
# each instance's status page, one upload directory shared by both.
# While wrk runs through HAProxy, each instance in turn is reloaded
# (SIGHUP through `webserv -s reload`), then stopped (SIGTERM) and started
# again; wrk must report 0 failed requests (no socket error, no non-2xx),
# and a file uploaded through HAProxy must be readable from both
# instances.  Free ports, a temp dir, every process stopped by its pid,
# bounded by `timeout` in the Makefile.  Exit 0 = pass.
set -eu

BIN=${1:-$(pwd)/webserv}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
DUR=${SCALE_SECONDS:-24}
DIR=$(mktemp -d /tmp/webserv-scale.XXXXXX)
HAPROXY_PID=""
WRK_PID=""
A_PID=""
B_PID=""

say() { echo "scale: $*"; }
fail() {
	say "FAIL: $*"
	for f in "$DIR"/*.err "$DIR"/haproxy.log; do
		[ -s "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }
	done
	exit 1
}
cleanup() {
	for p in $WRK_PID $HAPROXY_PID $A_PID $B_PID; do
		kill "$p" 2>/dev/null || true
	done
	for p in $WRK_PID $HAPROXY_PID $A_PID $B_PID; do
		wait "$p" 2>/dev/null || true
	done
	[ -n "${KEEP_TEST_DIRS:-}" ] || rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for tool in haproxy wrk curl python3; do
	command -v $tool >/dev/null || fail "$tool is not installed"
done

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
PA=$(free_port)
PB=$(free_port)
PF=$(free_port)
PS=$(free_port)

mkdir -p "$DIR/www" "$DIR/uploads"
head -c 1024 /dev/zero | tr '\0' a > "$DIR/www/index.html"

# One config per instance: its own port, pid file and logs; the same
# docroot and upload directory (webserv keeps no other state).
for n in a b; do
	[ $n = a ] && port=$PA || port=$PB
	cat > "$DIR/$n.cfg" <<CFG
workers = 2;
pid_file = "$DIR/$n.pid";
error_log = "$DIR/$n.err";
http = { access_log = "$DIR/$n.access.log"; access_log_buffer = "64k";
  real_ip_from = [ "127.0.0.1" ]; };
servers = ( { listen = [ "127.0.0.1:$port proxy_protocol" ];
  root = "$DIR/www";
  locations = ( { path = "/"; },
    { path = "/uploads/"; alias = "$DIR/uploads";
      upload_dir = "$DIR/uploads"; autoindex = true;
      methods = [ "GET", "HEAD", "PUT", "POST", "DELETE" ]; },
    { path = "/status"; status = true; allow = [ "127.0.0.1" ]; } );
} );
CFG
done

# start NAME: run webserv in the background; its pid in A_PID / B_PID.
start() {
	"$BIN" -f "$DIR/$1.cfg" >>"$DIR/$1.out" 2>&1 &
	[ "$1" = a ] && A_PID=$! || B_PID=$!
}
# ready NAME: its status page answers (through the PROXY protocol).
ready() {
	[ "$1" = a ] && port=$PA || port=$PB
	i=0
	until curl -sf --haproxy-protocol -o /dev/null \
		"http://127.0.0.1:$port/status"; do
		i=$((i + 1))
		[ $i -lt 200 ] || fail "webserv $1 did not become ready"
		sleep 0.05
	done
}
# up NAME: HAProxy's health check sees it UP (its stats CSV).
up() {
	i=0
	until curl -s "http://127.0.0.1:$PS/stats;csv" |
		grep -q "^webservers,$1,.*,UP"; do
		i=$((i + 1))
		[ $i -lt 200 ] || fail "HAProxy never saw $1 up"
		sleep 0.05
	done
}
stop() {
	[ "$1" = a ] && pid=$A_PID || pid=$B_PID
	kill -TERM "$pid"
	wait "$pid" || fail "webserv $1 did not stop cleanly"
	[ "$1" = a ] && A_PID="" || B_PID=""
}

cat > "$DIR/haproxy.cfg" <<CFG
global
    maxconn 1000
defaults
    mode http
    timeout connect 2s
    timeout client 20s
    timeout server 20s
    timeout check 1s
    # a connection refused by an instance that is stopping (its listener
    # closed) is retried on the other one
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response
    option http-server-close
frontend web
    bind 127.0.0.1:$PF
    default_backend webservers
frontend stats
    bind 127.0.0.1:$PS
    stats enable
    stats uri /stats
backend webservers
    balance roundrobin
    option httpchk GET /status
    http-check expect status 200
    server a 127.0.0.1:$PA send-proxy-v2 check check-send-proxy inter 200ms fall 1 rise 2
    server b 127.0.0.1:$PB send-proxy-v2 check check-send-proxy inter 200ms fall 1 rise 2
CFG
haproxy -c -f "$DIR/haproxy.cfg" >"$DIR/haproxy.log" 2>&1 ||
	fail "haproxy -c refused its config"

start a
start b
ready a
ready b
haproxy -db -f "$DIR/haproxy.cfg" >>"$DIR/haproxy.log" 2>&1 &
HAPROXY_PID=$!
up a
up b
say "haproxy :$PF -> webserv a :$PA, b :$PB (PROXY v2)"

# Uploads through the balancer land in the shared directory: visible
# through both instances.
echo "shared by both" > "$DIR/up.txt"
code=$(curl -s -o /dev/null -w '%{http_code}' -T "$DIR/up.txt" \
	"http://127.0.0.1:$PF/uploads/up.txt")
[ "$code" = 201 ] || fail "PUT through haproxy: $code"
for port in $PA $PB; do
	body=$(curl -sf --haproxy-protocol "http://127.0.0.1:$port/uploads/up.txt") ||
		fail "GET of the upload from :$port"
	[ "$body" = "shared by both" ] || fail "upload on :$port: $body"
done
say "upload visible through both instances"

wrk -t2 -c20 -d"${DUR}s" "http://127.0.0.1:$PF/index.html" >"$DIR/wrk.out" 2>&1 &
WRK_PID=$!
sleep 2
for n in a b; do
	"$BIN" -f "$DIR/$n.cfg" -s reload >>"$DIR/$n.out" 2>&1 ||
		fail "reload of $n failed"
	up $n
	say "$n reloaded"
	sleep 1
done
for n in a b; do
	stop $n
	say "$n stopped"
	sleep 1
	start $n
	ready $n
	up $n
	say "$n started again and up"
	sleep 1
done
kill -0 "$WRK_PID" 2>/dev/null ||
	fail "wrk ended before the reloads and restarts were done (SCALE_SECONDS=$DUR too short)"
wait "$WRK_PID" || fail "wrk failed: $(cat "$DIR/wrk.out")"
WRK_PID=""
cat "$DIR/wrk.out"
requests=$(awk '/requests in/ {print $1}' "$DIR/wrk.out")
[ -n "$requests" ] && [ "$requests" -gt 0 ] || fail "wrk made no requests"
if grep -q -e 'Socket errors' -e 'Non-2xx' "$DIR/wrk.out"; then
	fail "failed requests through haproxy"
fi
say "PASS: $requests requests, 0 failed, through 2 reloads and 2 restarts"
