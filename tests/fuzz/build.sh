#!/bin/sh
# build.sh [NAME...] - build the libFuzzer harnesses tests/fuzz/fuzz_NAME.c
# (all of them by default) into build/fuzz/fuzz_NAME, with clang and
# -fsanitize=fuzzer,address,undefined.
#
# Every src/ file but main.c is compiled once (coverage-instrumented,
# ASan+UBSan) into build/fuzz/obj/ and put in one archive; each harness
# links against it, so the linker takes just the modules the harness
# reaches, whichever file they live in.  A src/ file that does not compile
# is reported and left out: only harnesses that need it then fail.
# Objects are rebuilt when their source or any header is newer.
set -eu

cd "$(dirname "$0")/../.."

CC=${FUZZ_CC:-clang}
OUT=build/fuzz

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "build.sh: $CC not found (sudo apt-get install -y clang" \
	     "libclang-rt-dev)" >&2
	exit 1
fi
if ! pkg-config --exists libconfig; then
	echo "build.sh: libconfig not found (sudo apt-get install -y" \
	     "libconfig-dev pkg-config)" >&2
	exit 1
fi

CFG_CFLAGS=$(pkg-config --cflags libconfig)
# libssl: the config loader builds the TLS contexts (config_tls.c);
# zlib and libbrotli: compress.c
CFG_LIBS="$(pkg-config --libs libconfig openssl zlib libbrotlienc)"
# libnghttp2: the HTTP/2 session (src/worker/h2.c)
CFG_LIBS="$CFG_LIBS $(pkg-config --libs libnghttp2)"
BASE="-std=c17 -D_GNU_SOURCE -Iinclude $CFG_CFLAGS -g -O1 \
-fno-omit-frame-pointer -fsanitize=address,undefined \
-fno-sanitize-recover=undefined"
WARN="-Wall -Wextra -Wshadow -Wstrict-prototypes -Wvla"

mkdir -p "$OUT/obj"

# The newest header: an object older than it is rebuilt.
newest_header=$(ls -t include/*.h src/*/*.h 2>/dev/null |
	head -n 1)

objs=""
for src in src/*/*.c; do
	[ "$src" = src/master/main.c ] && continue
	obj="$OUT/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')"
	if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] ||
	   { [ -n "$newest_header" ] && [ "$newest_header" -nt "$obj" ]; }; then
		# Warnings are shown, not fatal: the real build owns -Werror.
		# shellcheck disable=SC2086
		if ! $CC $BASE $WARN -fsanitize=fuzzer-no-link -c "$src" \
		     -o "$obj"; then
			echo "build.sh: $src does not compile; left out" >&2
			rm -f "$obj"
			continue
		fi
	fi
	objs="$objs $obj"
done
rm -f "$OUT/libwebserv-fuzz.a"
# shellcheck disable=SC2086
ar rcs "$OUT/libwebserv-fuzz.a" $objs

if [ $# -eq 0 ]; then
	set -- $(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')
fi
status=0
for name in "$@"; do
	src=tests/fuzz/fuzz_$name.c
	if [ ! -e "$src" ]; then
		echo "build.sh: no harness $src" >&2
		status=1
		continue
	fi
	# shellcheck disable=SC2086
	if ! $CC $BASE $WARN -Werror -fsanitize=fuzzer "$src" \
	     "$OUT/libwebserv-fuzz.a" $CFG_LIBS -o "$OUT/fuzz_$name"; then
		echo "build.sh: fuzz_$name failed to build" >&2
		status=1
	fi
done
exit $status
