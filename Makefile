# webserv - see README.md.  `make run` serves www/; `make test` runs every
# test under ASan+UBSan.  Dependencies come from pkg-config; when missing
# they are installed with apt (as root) or make stops with the command.

PREFIX     ?= /usr/local
DESTDIR    ?=
CC         ?= cc
PKGS       := libconfig
PKGS       += openssl
TEST_PKGS  := criterion
APT_PKGS   := build-essential pkg-config libconfig-dev libcriterion-dev media-types
APT_PKGS   += libssl-dev
# a command, or command:package when the two differ
TEST_TOOLS := curl wrk
TEST_TOOLS += goaccess
PKGS += zlib libbrotlienc
APT_PKGS += zlib1g-dev libbrotli-dev
TEST_TOOLS += brotli
TEST_TOOLS += php-cgi
TEST_TOOLS += openssl
PKGS += libnghttp2
APT_PKGS += libnghttp2-dev
# HTTP/2 tests: nghttp (concurrent streams), python3-h2's hpack (h2_probe.py)
TEST_TOOLS += nghttp:nghttp2-client

WARN       := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla
BASE_CFLAGS = -std=c17 -D_GNU_SOURCE -Iinclude $(WARN) -MMD -MP \
              $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS        = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TEST_LIBS   = $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)
# man pages and the logrotate snippet (tests/integration/test_ops.c)
TEST_TOOLS += groff
TEST_TOOLS += logrotate
# tests/scale: HAProxy in front of two instances (PROXY protocol)
TEST_TOOLS += haproxy

REL_CFLAGS  := -O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2
SAN_FLAGS   := -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=undefined
ASAN_CFLAGS := -O1 -g $(SAN_FLAGS)

SRCS      := $(sort $(wildcard src/core/*.c src/http/*.c src/worker/*.c src/master/*.c))
LIB_SRCS  := $(filter-out src/master/main.c,$(SRCS))
TEST_SRCS := $(sort $(wildcard tests/unit/*.c tests/integration/*.c))

REL_OBJS  := $(SRCS:%.c=build/rel/%.o)
ASAN_OBJS := $(SRCS:%.c=build/asan/%.o)
ASAN_LIB  := $(LIB_SRCS:%.c=build/asan/%.o)
TEST_OBJS := $(TEST_SRCS:%.c=build/asan/%.o)

# The config a bare `webserv` reads.
CONFIG_DEFAULT ?= $(CURDIR)/etc/webserv.cfg
DEFS = -DWEBSERV_CONFIG_DEFAULT='"$(CONFIG_DEFAULT)"'

.PHONY: all run test test-browser unit install install-data clean deps test-deps format format-check bench fuzz \
	bench-smoke \
        valgrind
all: webserv

# --- dependencies ----------------------------------------------------------
build/.deps:
	@if ! command -v pkg-config >/dev/null || ! pkg-config --exists $(PKGS); then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing build dependencies with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PKGS) >/dev/null || exit 1; \
	  else \
	    echo "missing build dependencies (pkg-config $(PKGS)). Run:"; \
	    echo "  sudo apt-get install -y $(APT_PKGS)"; exit 1; \
	  fi; \
	fi
	@mkdir -p build && touch $@

build/.test-deps: build/.deps
	@missing=""; pkg-config --exists $(TEST_PKGS) || missing="libcriterion-dev"; \
	for t in $(TEST_TOOLS); do command -v $${t%%:*} >/dev/null || missing="$$missing $${t#*:}"; done; \
	[ -e /etc/mime.types ] || missing="$$missing media-types"; \
	/usr/bin/python3 -c 'import h2' 2>/dev/null || missing="$$missing python3-h2"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing test dependencies with apt-get:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "missing test dependencies. Run:"; \
	    echo "  sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
	@touch $@

deps: build/.deps
test-deps: build/.test-deps

# --- build ------------------------------------------------------------------
webserv: $(REL_OBJS)
	$(CC) $(REL_CFLAGS) -o $@ $^ $(LIBS)

build/rel/%.o: %.c | build/.deps
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(REL_CFLAGS) $(DEFS) -c -o $@ $<

build/asan/%.o: %.c | build/.deps
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(ASAN_CFLAGS) $(DEFS) -c -o $@ $<

build/asan/webserv: $(ASAN_OBJS)
	$(CC) $(ASAN_CFLAGS) -o $@ $^ $(LIBS)

build/asan/tests/%.o: tests/%.c | build/.test-deps
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(ASAN_CFLAGS) $(DEFS) -Itests -c -o $@ $<

# One Criterion binary for unit and integration tests: one summary line.
build/asan/run-tests: $(ASAN_LIB) $(TEST_OBJS) | build/.test-deps
	$(CC) $(ASAN_CFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS)

# --- run, test --------------------------------------------------------------
# `make run` serves etc/webserv.cfg's site on http://127.0.0.1:8080 and,
# with a self-signed localhost certificate made on first run (never
# committed: build/ is ignored), on https://127.0.0.1:8443.  build/run.cfg
# is etc/webserv.cfg plus that TLS address (build/ and etc/ are siblings,
# so the relative paths stay right).
run: webserv build/run.cfg
	./webserv -f build/run.cfg

build/tls/localhost.pem:
	@mkdir -p build/tls
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	  -keyout build/tls/localhost.key -out $@ -days 365 -subj /CN=localhost \
	  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
	chmod 600 build/tls/localhost.key

build/run.cfg: etc/webserv.cfg build/tls/localhost.pem
	sed -e 's|listen = \[ "127.0.0.1:8080" \];|listen = [ "127.0.0.1:8080", "127.0.0.1:8443 tls" ];\
	    tls = { certificate = "tls/localhost.pem"; key = "tls/localhost.key"; };|' etc/webserv.cfg > $@.tmp
	grep -q '8443 tls' $@.tmp && mv $@.tmp $@

TEST_ENV = WEBSERV_BIN=$(CURDIR)/build/asan/webserv WEBSERV_SRC=$(CURDIR) \
           ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
           LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
           UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

test: build/.test-deps webserv build/asan/webserv build/asan/run-tests test-browser
	$(TEST_ENV) build/asan/run-tests --jobs 2 $(TEST_ARGS)

# A real browser (Debian's chromium + chromium-driver, python3-selenium):
# upload through the default site's form, see the file in the listing;
# screenshots in build/.  Skipped, with the reason, where they are
# missing; BROWSER_TEST=0 skips it on purpose.  Debian's python3, where
# python3-selenium lives (not a pyenv one earlier in PATH).
BROWSER_TEST ?= 1
DEB_PYTHON   ?= $(firstword $(wildcard /usr/bin/python3) python3)
test-browser: webserv
	@if [ "$(BROWSER_TEST)" = 0 ]; then echo "browser test skipped (BROWSER_TEST=0)"; \
	else timeout 300 $(DEB_PYTHON) tests/browser/test_upload.py $(CURDIR) $(CURDIR)/webserv; fi

# The scale-out recipe (tests/scale/run.sh): HAProxy in front of two
# instances, wrk through it while each is reloaded, stopped and started.
.PHONY: test-scale
test: test-scale
test-scale: build/.test-deps webserv
	timeout 150 tests/scale/run.sh $(CURDIR)/webserv

# Only the pure-module tests (fast).
unit: build/.test-deps build/asan/run-tests
	$(TEST_ENV) build/asan/run-tests --filter '!(integration|reload|cli|http|slow|cgi|hostile|status)/*' $(TEST_ARGS)

# Under valgrind (tests/valgrind/run.sh): the integration suite against a
# plain -O1 -g build; the ASan runner only forks and execs the server.
VG_CFLAGS := -O1 -g
VG_OBJS   := $(SRCS:%.c=build/vg/%.o)

build/vg/%.o: %.c | build/.deps
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(VG_CFLAGS) $(DEFS) -c -o $@ $<

build/vg/webserv: $(VG_OBJS)
	$(CC) $(VG_CFLAGS) -o $@ $^ $(LIBS)

valgrind: build/.test-deps build/vg/webserv build/asan/run-tests
	tests/valgrind/run.sh all $(TEST_ARGS)

-include $(VG_OBJS:.o=.d)

# --- install ------------------------------------------------------------------
build/inst/webserv: $(SRCS) | build/.deps
	@mkdir -p build/inst
	$(CC) $(BASE_CFLAGS) $(REL_CFLAGS) -DWEBSERV_CONFIG_DEFAULT='"$(PREFIX)/etc/webserv/webserv.cfg"' \
	  -o $@ $(SRCS) $(LIBS)

install: build/inst/webserv install-data
	install -D -m 0755 build/inst/webserv $(DESTDIR)$(PREFIX)/sbin/webserv

# Everything but the binary (tests/integration/test_ops.c runs it into a
# temporary DESTDIR).  The installed configuration runs its workers as
# www-data: systemd starts the master as root, which binds 80/443, reads
# the keys and opens the logs, then drops (issue 12 item 6).
install-data:
	install -d $(DESTDIR)$(PREFIX)/etc/webserv $(DESTDIR)$(PREFIX)/share/webserv \
	  $(DESTDIR)/var/log/webserv
	[ -e $(DESTDIR)$(PREFIX)/etc/webserv/webserv.cfg ] || \
	  sed -e 's|"\.\./www|"$(PREFIX)/share/webserv/www|g' -e 's|"\.\./webserv\.pid"|"/run/webserv.pid"|' -e 's|"stdout"|"/var/log/webserv/access.log"|' \
	    -e 's|^log_level = .*|&\n# workers and CGI scripts run as this user (the master stays root)\nuser = "www-data";|' \
	    etc/webserv.cfg > $(DESTDIR)$(PREFIX)/etc/webserv/webserv.cfg
	cp -R www $(DESTDIR)$(PREFIX)/share/webserv/
	-[ -n "$(DESTDIR)" ] || [ "$$(id -u)" != 0 ] || ! id www-data >/dev/null 2>&1 || \
	  chown -R www-data: $(PREFIX)/share/webserv/www/uploads
	install -d $(DESTDIR)/etc/systemd/system $(DESTDIR)/etc/logrotate.d
	sed -e 's|@PREFIX@|$(PREFIX)|g' etc/webserv.service > $(DESTDIR)/etc/systemd/system/webserv.service
	sed -e 's|@PREFIX@|$(PREFIX)|g' etc/logrotate.d/webserv > $(DESTDIR)/etc/logrotate.d/webserv
	chmod 0644 $(DESTDIR)/etc/systemd/system/webserv.service $(DESTDIR)/etc/logrotate.d/webserv
	install -D -m 0644 man/webserv.8 $(DESTDIR)$(PREFIX)/share/man/man8/webserv.8
	install -D -m 0644 man/webserv.cfg.5 $(DESTDIR)$(PREFIX)/share/man/man5/webserv.cfg.5

# --- style, bench -----------------------------------------------------------
FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

# libFuzzer harnesses (clang), FUZZ_SECONDS each (default 30).
FUZZ_SECONDS ?= 30
fuzz:
	tests/fuzz/run.sh $(FUZZ_SECONDS)

# the benchmark (tests/bench): webserv next to nginx, lighttpd and h2o
bench: webserv
	tests/bench/run.sh

# a few seconds: the benchmark runs end to end (webserv alone: cleartext,
# TLS and HTTP/2 over TLS, 1 s each)
bench-smoke: webserv
	SERVERS=webserv SCENARIOS="a j n" DURATION=1 WARMUP=0 tests/bench/run.sh

# testssl.sh against the default TLS settings (tests/testssl/run.sh, about
# a minute): fails on NOT ok, VULNERABLE or a MEDIUM+ rating.  Debian's
# package testssl.sh installs the command testssl, hence its own check.
TESTSSL_TOOLS := testssl
TESTSSL_APT   := testssl.sh
.PHONY: testssl
testssl: webserv
	@command -v $(TESTSSL_TOOLS) >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TESTSSL_APT) >/dev/null || exit 1; \
	  else echo "missing testssl. Run:"; echo "  sudo apt-get install -y $(TESTSSL_APT)"; exit 1; fi; }
	tests/testssl/run.sh

clean:
	rm -rf build webserv

-include $(REL_OBJS:.o=.d) $(ASAN_OBJS:.o=.d) $(TEST_OBJS:.o=.d)
