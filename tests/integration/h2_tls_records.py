#!/usr/bin/env python3
"""The TLS records an HTTP/2 download comes in (over ALPN h2).

Run by tests/integration/test_h2.c: `h2_tls_records.py PORT PATH`.  GETs
PATH with windows wide open (python3-h2), reads the raw TLS stream
beside it and prints "BYTES FULL SMALL": the body's length, how many
application-data records carry a full 16 KiB and how many carry under
1 KiB (a DATA frame's header sent alone would be one of these).  Every
wait is bounded (20 s)."""
import socket
import ssl
import sys

import h2.config
import h2.connection
import h2.events
import h2.settings

port, path = int(sys.argv[1]), sys.argv[2]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(["h2"])
sock = socket.create_connection(("127.0.0.1", port), timeout=20)
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = ctx.wrap_bio(inc, out, server_hostname="localhost")
raw = b""        # TLS bytes not yet split into records
records = []     # lengths of application-data records (ciphertext)


def fill():
    global raw
    data = sock.recv(65536)
    if not data:
        raise SystemExit("FAIL: the server closed the connection")
    inc.write(data)
    raw += data
    while len(raw) >= 5 and len(raw) >= 5 + int.from_bytes(raw[3:5], "big"):
        n = int.from_bytes(raw[3:5], "big")
        if raw[0] == 23:
            records.append(n)
        raw = raw[5 + n:]


while True:
    try:
        tls.do_handshake()
        break
    except ssl.SSLWantReadError:
        sock.sendall(out.read())
        fill()
if tls.selected_alpn_protocol() != "h2":
    raise SystemExit("FAIL: ALPN gave %r" % tls.selected_alpn_protocol())
records.clear()  # from here on: the download
conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
conn.initiate_connection()
conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 2**31 - 1})
conn.increment_flow_control_window(2**31 - 1 - 65535)
conn.send_headers(1, [(":method", "GET"), (":scheme", "https"),
                      (":path", path), (":authority", "localhost")],
                  end_stream=True)
body, done = 0, False
while not done:
    tls.write(conn.data_to_send())
    sock.sendall(out.read())
    try:
        data = tls.read(65536)
    except ssl.SSLWantReadError:
        fill()
        continue
    for ev in conn.receive_data(data):
        if isinstance(ev, h2.events.DataReceived):
            body += len(ev.data)
        elif isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset)):
            done = True
full = sum(1 for n in records if n >= 16384)
small = sum(1 for n in records if n < 1024)
print(body, full, small)
