#!/usr/bin/env bash
# make bench: webserv next to nginx, lighttpd and h2o on 127.0.0.1, all
# started by the driver from configs it writes into a temp dir, the
# scenarios interleaved in one run (tests/bench/bench.py says the knobs).
#   tests/bench/run.sh                         # every scenario, 10 s each
#   SCENARIOS="a e" DURATION=5 tests/bench/run.sh
#   SERVERS=webserv SCENARIOS=a DURATION=1 tests/bench/run.sh   # smoke
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# tools: installed when we are root and apt can, otherwise whatever exists
declare -A pkg=([wrk]=wrk [h2load]=nghttp2-client [nginx]=nginx-light
	[lighttpd]=lighttpd [h2o]=h2o)
missing=()
for t in "${!pkg[@]}"; do
	command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || missing+=("${pkg[$t]}")
done
# lighttpd's TLS is a module of its own package
[ -e /usr/lib/lighttpd/mod_openssl.so ] || missing+=(lighttpd-mod-openssl)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "installing ${missing[*]}" >&2
	# the packages' own services must not start: policy-rc.d says no
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		echo "apt-get could not install ${missing[*]}: going on without" >&2
fi
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
# c=1000 and the 10,000 idle connections need the fds
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
# runs x (duration + warm-up + pauses) + start-up + the idle scenario, twice
n=$(wc -w <<<"${SCENARIOS:-a b c d e f g h i j k s l m n o p q r}")
s=$(wc -w <<<"${SERVERS:-nginx lighttpd h2o webserv} ${WEBSERV_ALT:-}")
total=${TOTAL_TIMEOUT:-$(((n * s * (${DURATION:-10} + ${WARMUP:-1} + 3) * ${ROUNDS:-1} + 60 * s + 60) * 2))}
exec timeout --signal=TERM --kill-after=30 "$total" "$PY" "$here/bench.py" "$@"
