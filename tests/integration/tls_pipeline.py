#!/usr/bin/env python3
"""Pipelined HTTP/1.1 over TLS, every request its own TLS record and all
the records in one write(2), so the server gets them in one segment.

Run by tests/integration/test_tls.c: `tls_pipeline.py PORT N PATH`.  Sends
N GETs of PATH (the last with Connection: close) and prints the status
code of every response it reads before the server closes, one per line.
Every wait is bounded (10 s)."""
import socket
import ssl
import sys

port, count, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
sock = socket.create_connection(("127.0.0.1", port), timeout=10)
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = ctx.wrap_bio(inc, out, server_hostname="localhost")


def flush():
    data = out.read()
    if data:
        sock.sendall(data)


def fill():
    data = sock.recv(65536)
    if not data:
        inc.write_eof()
    inc.write(data)
    return bool(data)


while True:  # the handshake, through the memory BIOs
    try:
        tls.do_handshake()
        break
    except ssl.SSLWantReadError:
        flush()
        fill()
flush()
for i in range(count):  # one SSLObject.write: one record each
    last = "Connection: close\r\n" if i == count - 1 else ""
    tls.write(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n{last}\r\n"
              .encode())
sock.sendall(out.read())  # all the records in one write
got = b""
while True:
    try:
        chunk = tls.read(65536)
        if not chunk:
            break
        got += chunk
    except ssl.SSLWantReadError:
        if not fill():
            break
    except (ssl.SSLEOFError, ssl.SSLZeroReturnError):
        break
while got:  # response after response, each framed by Content-Length
    head, sep, got = got.partition(b"\r\n\r\n")
    if not sep:
        print("incomplete head", file=sys.stderr)
        break
    lines = head.split(b"\r\n")
    length = [int(h.split(b":", 1)[1]) for h in lines[1:]
              if h.lower().startswith(b"content-length:")]
    print(lines[0].split()[1].decode())
    got = got[length[0] if length else 0:]
