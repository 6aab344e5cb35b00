#!/bin/sh
# run.sh [SECONDS] [NAME...] - build the libFuzzer harnesses, then run each
# (all by default) for SECONDS (default 30) and print one summary line per
# harness.  Exits non-zero when a harness failed to build or found a crash,
# a leak, a timeout or an out-of-memory: its input is then saved under
# build/fuzz/artifacts/NAME/ (reproduce with build/fuzz/fuzz_NAME FILE).
#
# Each harness starts from its seeds, tests/fuzz/corpus/NAME/, copied into
# build/fuzz/corpus-NAME/, where what it learns accumulates across runs
# (the repository's corpus is never written).  Bounded: -max_total_time,
# plus a per-input timeout.  The full log is build/fuzz/NAME.log.
set -u

cd "$(dirname "$0")/../.."

secs=${1:-30}
[ $# -gt 0 ] && shift
case $secs in
'' | *[!0-9]*)
	echo "usage: tests/fuzz/run.sh [SECONDS] [NAME...]" >&2
	exit 2
	;;
esac
if [ $# -eq 0 ]; then
	set -- $(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')
fi

tests/fuzz/build.sh "$@" || exit 1

OUT=build/fuzz
# libconfig leaks on some syntax errors: suppressed, ours are not.
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:allocator_may_return_null=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

# Inputs as large as the 8 KiB limits the parsers enforce.
max_len() {
	case $1 in
	parser | cgi_head) echo 9000 ;;
	multipart) echo 10000 ;;
	range) echo 256 ;;
	*) echo 4096 ;;
	esac
}

# The value of the last "name: value" pair of libFuzzer's status lines.
last_stat() {
	grep -o "$1: *[0-9]*" "$2" | tail -n 1 | sed 's/.*: *//'
}

failed=0
for name in "$@"; do
	corpus=$OUT/corpus-$name
	artifacts=$OUT/artifacts/$name
	log=$OUT/$name.log
	mkdir -p "$corpus" "$artifacts"
	if [ -d tests/fuzz/corpus/$name ]; then
		cp tests/fuzz/corpus/$name/* "$corpus"/
	fi
	"$OUT/fuzz_$name" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -max_len="$(max_len "$name")" \
		-dict=tests/fuzz/http.dict -artifact_prefix="$artifacts/" \
		-print_final_stats=1 "$corpus" >"$log" 2>&1
	rc=$?
	runs=$(last_stat 'stat::number_of_executed_units' "$log")
	rate=$(last_stat 'stat::average_exec_per_sec' "$log")
	cov=$(last_stat 'cov' "$log")
	ft=$(last_stat 'ft' "$log")
	corp=$(ls "$corpus" | wc -l)
	found=$(grep -o "Test unit written to [^ ]*" "$log" | tail -n 1 |
		sed 's/Test unit written to //')
	if [ $rc -eq 0 ] && [ -z "$found" ]; then
		result=ok
	else
		result="FAILED (exit $rc${found:+, input $found}; see $log)"
		failed=1
	fi
	printf 'fuzz_%-10s %s runs, %s/s, cov %s, ft %s, corpus %s: %s\n' \
		"$name" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" \
		"$corp" "$result"
done
exit $failed
