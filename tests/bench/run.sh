#!/usr/bin/env bash
# make bench: webserv side by side with nginx (and lighttpd for CGI) using
# the shared benchmark kit (../shared/bench), bounded in time, on
# 127.0.0.1 only.  Without nginx installed, webserv is measured alone.
#   tests/bench/run.sh                  # scenarios a-g, 10 s each
#   SCENARIOS="a e" DURATION=5 tests/bench/run.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
kit=${BENCH_KIT:-$root/../shared/bench}
if [ ! -x "$kit/run.sh" ]; then
	echo "benchmark kit not found at $kit (set BENCH_KIT)" >&2
	exit 1
fi
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
servers=()
command -v nginx >/dev/null && servers+=(nginx)
command -v lighttpd >/dev/null && servers+=(lighttpd)
servers+=(webserv)
[ ${#servers[@]} -eq 1 ] && echo "nginx not installed: measuring webserv alone" >&2
export WEBSERV_BIN="$root/webserv"
export DURATION="${DURATION:-10}"
# the kit stops by itself; this is a safety net for a stuck run
exec timeout 1200 "$kit/run.sh" "${servers[@]}"
