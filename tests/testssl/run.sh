#!/usr/bin/env bash
# testssl.sh (Debian's testssl.sh package, command `testssl`) against
# webserv's default TLS settings: the release binary on 127.0.0.1 with a
# free port, a throwaway ECDSA P-256 certificate and no tls_* setting, so
# that tls_protocols, tls_ciphers and tickets are the defaults.  Fails on
# any "NOT ok" or "VULNERABLE" finding, on any finding testssl rates
# MEDIUM, HIGH or CRITICAL, and when testssl itself fails.
#
# The checks (MODE, default "selected"): protocols (-p), cipher
# categories (-s), forward secrecy (-f), server defaults (-S), server
# preference (-P) and every vulnerability check (-U), with --fast; the
# full per-cipher enumeration (-E) is left out, it adds minutes and
# no finding.  MODE=full runs testssl without a selection.  Bounded by
# TESTSSL_TIMEOUT (default 600 s).  TESTSSL_HTTP adds settings to the
# http group (to see a weaker setting fail: TESTSSL_HTTP='tls_protocols =
# [ "TLSv1.1", "TLSv1.2" ];').
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${WEBSERV_BIN:-./webserv}
MODE=${MODE:-selected}
command -v testssl >/dev/null || {
	echo "testssl missing: sudo apt-get install -y testssl.sh" >&2
	exit 1
}
dir=$(mktemp -d /tmp/webserv-testssl.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$dir/www"
echo hello > "$dir/www/index.html"
# a throwaway CA (given to testssl with --add-ca) and a leaf that names an
# OCSP responder: certificate properties are not what is tested, the
# server's TLS settings are
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$dir/ca.key" -out "$dir/ca.pem" -days 365 \
	-subj /CN=webserv-testssl-ca 2>/dev/null
printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	"authorityInfoAccess=OCSP;URI:http://ocsp.invalid/" \
	"crlDistributionPoints=URI:http://crl.invalid/ca.crl" \
	"keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
	>"$dir/leaf.ext"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$dir/key.pem" -out "$dir/leaf.csr" -subj /CN=localhost 2>/dev/null
openssl x509 -req -in "$dir/leaf.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
	-CAcreateserial -days 365 -extfile "$dir/leaf.ext" -out "$dir/leaf.pem" \
	2>/dev/null
cat "$dir/leaf.pem" "$dir/ca.pem" >"$dir/cert.pem"
cat > "$dir/webserv.cfg" <<CFG
workers = 1;
pid_file = "$dir/webserv.pid";
error_log = "$dir/error.log";
http = { ${TESTSSL_HTTP:-} };
servers = ( {
    listen = [ "127.0.0.1:$port tls" ];
    server_names = [ "localhost" ];
    root = "$dir/www";
    tls = { certificate = "$dir/cert.pem"; key = "$dir/key.pem"; };
    locations = ( { path = "/"; } );
} );
CFG
"$BIN" -f "$dir/webserv.cfg" &
pid=$!
for _ in $(seq 100); do
	curl -sk --max-time 2 -o /dev/null "https://127.0.0.1:$port/" && break
	sleep 0.1
done
curl -sk --max-time 5 -o /dev/null "https://127.0.0.1:$port/" || {
	echo "webserv did not answer on $port" >&2
	cat "$dir/error.log" >&2 || true
	exit 1
}
if [ "$MODE" = full ]; then
	checks=()
else
	checks=(--fast -p -s -f -S -P -U)
fi
rc=0
timeout "${TESTSSL_TIMEOUT:-600}" testssl --quiet --color 0 --warnings off \
	--sneaky --ip one --add-ca "$dir/ca.pem" \
	--csvfile "$dir/out.csv" "${checks[@]}" "localhost:$port" >"$dir/out.txt" 2>&1 ||
	rc=$?
cat "$dir/out.txt"
# testssl's exit code counts findings it could not decide, too: only a
# timeout or a missing result counts, the findings are read below
if [ "$rc" = 124 ] || ! grep -q "Done " "$dir/out.txt"; then
	echo "testssl did not finish (exit $rc)" >&2
	exit 1
fi
bad=$(grep -E "NOT ok|VULNERABLE" "$dir/out.txt" | grep -v "not vulnerable" || true)
# and testssl's own rating: a MEDIUM, HIGH or CRITICAL finding fails too
# (LOW and INFO are printed: OCSP stapling not offered is LOW, say)
sev=$(awk -F'","' '$4 ~ /^(MEDIUM|HIGH|CRITICAL)$/ {sub(/^"/, "", $1); print $1 ": " $4 ": " $5}' "$dir/out.csv" || true)
awk -F'","' '$4 == "LOW" {sub(/^"/, "", $1); print "low: " $1 ": " $5}' "$dir/out.csv" || true
bad="$bad${bad:+$'\n'}$sev"
bad=${bad#$'\n'}
if [ -n "$bad" ]; then
	echo "testssl findings:" >&2
	echo "$bad" >&2
	exit 1
fi
echo "testssl: no NOT ok, no VULNERABLE ($MODE)"
