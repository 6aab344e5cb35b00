#!/usr/bin/env python3
"""Protocol errors and floods against webserv's HTTP/2 (h2c prior knowledge).

Run by tests/integration/test_h2.c: `h2_probe.py PORT CASE [ARG]`.  Prints one
line "ok ..." and exits 0 when the server behaved, else "FAIL ..." and 1.
HPACK comes from python3-h2's hpack; the flood frames are written raw
(they are what a hostile client sends).  Every wait is bounded.
"""
import socket
import struct
import sys
import time

import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST, SETTINGS, PING, GOAWAY, WINDOW, CONT = (
    0, 1, 2, 3, 4, 6, 7, 8, 9)
END_STREAM, END_HEADERS = 0x1, 0x4


def frame(ftype, flags, sid, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", sid) + payload


def req_block(enc, path="/", method="GET", extra=()):
    hdrs = [(":method", method), (":scheme", "http"), (":path", path),
            (":authority", "localhost")] + list(extra)
    return enc.encode(hdrs)


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.s.sendall(PREFACE + frame(SETTINGS, 0, 0))
        self.buf = b""
        self.dec = hpack.Decoder()
        self.dec.max_allowed_table_size = 65536
        self.enc = hpack.Encoder()
        self.closed = False

    def send(self, data):
        """False when the server cut the connection while we sent."""
        try:
            self.s.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            self.closed = True
            return False

    def frames(self, until, timeout=10):
        """Read frames until until(type, flags, sid, payload) is true, EOF
        or timeout; returns what stopped it: 'match', 'eof', 'timeout'."""
        end = time.monotonic() + timeout
        while True:
            while len(self.buf) >= 9:
                n = int.from_bytes(self.buf[0:3], "big")
                if len(self.buf) < 9 + n:
                    break
                t, fl = self.buf[3], self.buf[4]
                sid = struct.unpack(">I", self.buf[5:9])[0] & 0x7fffffff
                p = self.buf[9:9 + n]
                self.buf = self.buf[9 + n:]
                if t == SETTINGS and not fl & 1:
                    self.send(frame(SETTINGS, 1, 0))
                if until(t, fl, sid, p):
                    return "match"
            left = end - time.monotonic()
            if left <= 0:
                return "timeout"
            self.s.settimeout(left)
            try:
                got = self.s.recv(65536)
            except socket.timeout:
                return "timeout"
            except ConnectionResetError:
                return "eof"
            if not got:
                return "eof"
            self.buf += got


def goaway_code(p):
    return struct.unpack(">I", p[4:8])[0] if len(p) >= 8 else -1


def expect_cut(c, what):
    """The connection ends with a GOAWAY (or is closed) after a flood."""
    seen = {}

    def until(t, fl, sid, p):
        if t == GOAWAY:
            seen["code"] = goaway_code(p)
        return False
    r = c.frames(until, timeout=20)
    if "code" in seen or c.closed or r == "eof":
        print("ok %s: cut (GOAWAY %s, %s)" % (what, seen.get("code"), r))
        return 0
    print("FAIL %s: connection still open after the flood (%s)" % (what, r))
    return 1


def status_of(c, sid, timeout=10):
    """:status of stream sid, or ('rst', code), or None."""
    out = {}

    def until(t, fl, s, p):
        if s != sid:
            return False
        if t == HEADERS:
            block = p
            if fl & 0x8:  # PADDED
                block = block[1:len(block) - p[0]]
            if fl & 0x20:  # PRIORITY
                block = block[5:]
            out["status"] = dict(c.dec.decode(block)).get(":status")
            return True
        if t == RST:
            out["status"] = ("rst", struct.unpack(">I", p[:4])[0])
            return True
        return False
    c.frames(until, timeout)
    return out.get("status")


def case_rapid_reset(port):
    c = Conn(port)
    data = b""
    for i in range(3000):
        sid = 2 * i + 1
        data += frame(HEADERS, END_HEADERS | END_STREAM, sid,
                      req_block(c.enc))
        data += frame(RST, 0, sid, struct.pack(">I", 8))
    c.send(data)
    return expect_cut(c, "rapid reset")


def case_continuation(port):
    c = Conn(port)
    c.send(frame(HEADERS, END_STREAM, 1, req_block(c.enc)))
    piece = c.enc.encode([("x-a", "b" * 10)])
    for _ in range(200):
        if not c.send(frame(CONT, 0, 1, piece) * 50):
            break
    return expect_cut(c, "CONTINUATION flood")


def case_ping(port):
    c = Conn(port)
    for _ in range(50):
        if not c.send(frame(PING, 0, 0, b"12345678") * 100):
            break
    return expect_cut(c, "PING flood")


def case_settings(port):
    c = Conn(port)
    for _ in range(50):
        if not c.send(frame(SETTINGS, 0, 0) * 100):
            break
    return expect_cut(c, "SETTINGS flood")


def case_empty_data(port):
    c = Conn(port)
    c.send(frame(HEADERS, END_HEADERS, 1,
                 req_block(c.enc, "/", "POST")))
    for _ in range(50):
        if not c.send(frame(DATA, 0, 1) * 100):
            break
    return expect_cut(c, "empty DATA flood")


def case_priority(port):
    c = Conn(port)
    for i in range(50):
        blob = b"".join(frame(PRIORITY, 0, 2 * (i * 100 + k) + 1,
                              struct.pack(">IB", 0, 16))
                        for k in range(100))
        if not c.send(blob):
            break
    return expect_cut(c, "PRIORITY flood")


def case_header_bomb(port):
    c = Conn(port)
    extra = [("x-h%d" % i, "v" * 100) for i in range(200)]
    block = req_block(c.enc, extra=extra)
    # over the 16 KiB frame size: HEADERS, then CONTINUATION
    c.send(frame(HEADERS, END_STREAM, 1, block[:16000]) +
           frame(CONT, END_HEADERS, 1, block[16000:]))
    st = status_of(c, 1)
    if st == "431" or (isinstance(st, tuple) and st[0] == "rst"):
        print("ok header bomb: %s" % (st,))
        return 0
    print("FAIL header bomb: %r" % (st,))
    return 1


def expect_rst(port, what, block, flags=END_HEADERS | END_STREAM, more=b""):
    c = Conn(port)
    c.send(frame(HEADERS, flags, 1, block(c.enc)) + more)
    st = status_of(c, 1)
    if isinstance(st, tuple) and st == ("rst", 1):
        print("ok %s: RST_STREAM(PROTOCOL_ERROR)" % what)
        return 0
    print("FAIL %s: %r" % (what, st))
    return 1


def case_conn_field(port):
    return expect_rst(port, "connection field",
                      lambda e: req_block(e, extra=[("connection",
                                                     "keep-alive")]))


def case_no_path(port):
    return expect_rst(port, "missing :path",
                      lambda e: e.encode([(":method", "GET"),
                                          (":scheme", "http"),
                                          (":authority", "localhost")]))


def case_upper_name(port):
    return expect_rst(port, "upper-case field name",
                      lambda e: req_block(e, extra=[("X-Big", "1")]))


def case_content_length(port):
    c = Conn(port)
    c.send(frame(HEADERS, END_HEADERS, 1,
                 req_block(c.enc, "/", "POST",
                           [("content-length", "10")])) +
           frame(DATA, END_STREAM, 1, b"12345"))
    got = {}

    def until(t, fl, sid, p):
        if sid == 1 and t == RST:
            got["rst"] = struct.unpack(">I", p[:4])[0]
            return True
        return False
    c.frames(until)
    if got.get("rst") == 1:
        print("ok content-length mismatch: RST_STREAM(PROTOCOL_ERROR)")
        return 0
    print("FAIL content-length mismatch: %r" % got)
    return 1


def case_streams(port):
    """Many concurrent streams on one connection all answered 200."""
    c = Conn(port)
    n = 100
    data = b"".join(frame(HEADERS, END_HEADERS | END_STREAM, 2 * i + 1,
                          req_block(c.enc)) for i in range(n))
    c.send(data)
    seen = set()

    def until(t, fl, sid, p):
        if t == HEADERS:
            if dict(c.dec.decode(p)).get(":status") == "200":
                seen.add(sid)
        return len(seen) == n
    c.frames(until)
    if len(seen) == n:
        print("ok %d streams answered" % n)
        return 0
    print("FAIL %d of %d streams answered" % (len(seen), n))
    return 1


def case_request_id(port):
    """X-Request-Id is new in every response: sent never-indexed (it
    would only push the repeating fields out of the HPACK table)."""
    c = Conn(port)
    ids = []
    for i in range(3):
        sid = 2 * i + 1
        c.send(frame(HEADERS, END_HEADERS | END_STREAM, sid,
                     req_block(c.enc)))
        got = []

        def until(t, fl, s, p):
            if t == HEADERS and s == sid:
                got.extend(c.dec.decode(p))
                return True
            return False
        c.frames(until)
        rid = [h for h in got if h[0] == "x-request-id"]
        if len(rid) != 1 or rid[0].indexable:
            print("FAIL stream %d: x-request-id %r" % (sid, rid))
            return 1
        ids.append(rid[0][1])
    if len(set(ids)) != 3:
        print("FAIL request ids repeat: %r" % ids)
        return 1
    print("ok x-request-id never indexed, %d distinct" % len(ids))
    return 0


def case_cgi_window(port, go):
    """A script that does not read its stdin stalls its own stream's
    window only: the client is held to a bounded amount, the connection
    window keeps moving, another stream is answered meanwhile; once the
    script reads (file go appears) the whole body reaches it."""
    c = Conn(port)
    total = 2000000
    c.send(frame(HEADERS, END_HEADERS, 1,
                 req_block(c.enc, "/cgi/hold.sh", "POST",
                           [("content-length", str(total))])))
    st = {"conn": 65535, "stream": 65535, "sent": 0, "moved": 0.0,
          "status3": None, "body1": b"", "end1": False, "rst": None}

    def pump():
        while st["sent"] < total:
            n = min(st["conn"], st["stream"], 16384, total - st["sent"])
            if n <= 0:
                return
            last = st["sent"] + n == total
            c.send(frame(DATA, END_STREAM if last else 0, 1, b"x" * n))
            st["sent"] += n
            st["conn"] -= n
            st["stream"] -= n

    def until(t, fl, sid, p):
        if t == WINDOW:
            inc = struct.unpack(">I", p[:4])[0] & 0x7fffffff
            if sid == 0:
                st["conn"] += inc
            elif sid == 1:
                st["stream"] += inc
                st["moved"] = time.monotonic()
        elif t == HEADERS and sid == 3:
            st["status3"] = dict(c.dec.decode(p)).get(":status")
        elif t == HEADERS:
            c.dec.decode(p)
        elif t == DATA and sid == 1:
            st["body1"] += p
            st["end1"] = bool(fl & END_STREAM)
        elif t == RST and sid == 1:
            st["rst"] = struct.unpack(">I", p[:4])[0]
        pump()
        return st["end1"] or st["rst"] is not None
    # phase 1: send as the windows allow until stream 1 stops moving
    pump()
    st["moved"] = time.monotonic()
    deadline = time.monotonic() + 30
    while time.monotonic() - st["moved"] < 1.5:
        if time.monotonic() > deadline or c.frames(until, 0.2) != "timeout":
            print("FAIL stream never stalled: %d sent, rst %r" %
                  (st["sent"], st["rst"]))
            return 1
    held = st["sent"]
    if held >= 1000000:
        print("FAIL a stalled script let %d bytes in" % held)
        return 1
    # phase 2: another stream on the same connection is answered
    c.send(frame(HEADERS, END_HEADERS | END_STREAM, 3, req_block(c.enc)))
    deadline = time.monotonic() + 10
    while st["status3"] is None and time.monotonic() < deadline:
        c.frames(until, 0.2)
    if st["status3"] != "200" or st["conn"] < 16384:
        print("FAIL stream 3 while 1 stalled: %r, connection window %d" %
              (st["status3"], st["conn"]))
        return 1
    # phase 3: the script reads, the rest goes
    open(go, "w").close()
    c.frames(until, 30)
    if not st["end1"] or b"%d" % total not in st["body1"]:
        print("FAIL after the script read: %d sent, end %r, rst %r, %r" %
              (st["sent"], st["end1"], st["rst"], st["body1"][:80]))
        return 1
    print("ok cgi window: held at %d bytes, stream 3 answered, "
          "%d bytes read by the script" % (held, total))
    return 0


def case_cgi_reset(port, pidfile):
    """A stream reset while its script runs: the script is killed."""
    import os
    c = Conn(port)
    c.send(frame(HEADERS, END_HEADERS | END_STREAM, 1,
                 req_block(c.enc, "/cgi/forever.sh")))
    end = time.monotonic() + 20
    while not os.path.exists(pidfile) and time.monotonic() < end:
        time.sleep(0.05)
    try:
        pid = int(open(pidfile).read())
    except (OSError, ValueError):
        print("FAIL the script never started")
        return 1
    c.send(frame(RST, 0, 1, struct.pack(">I", 8)))  # CANCEL

    def running():
        try:  # a zombie not yet reaped has stopped too
            return open("/proc/%d/stat" % pid).read().split()[2] != "Z"
        except OSError:
            return False
    while running() and time.monotonic() < end:
        time.sleep(0.05)
    if running():
        print("FAIL script %d still runs after RST_STREAM" % pid)
        return 1
    c.send(frame(HEADERS, END_HEADERS | END_STREAM, 3, req_block(c.enc)))
    st = status_of(c, 3)
    if st != "200":
        print("FAIL the connection after the reset: %r" % (st,))
        return 1
    print("ok cgi reset: script %d killed, connection serves on" % pid)
    return 0


def case_cgi_busy(port, go, n="64"):
    """More scripts than a worker runs at once (n): 503 with Retry-After
    for the one too many, the others are answered once they can end."""
    n = int(n)
    c = Conn(port)
    c.send(b"".join(frame(HEADERS, END_HEADERS | END_STREAM, 2 * i + 1,
                          req_block(c.enc, "/cgi/hold.sh?2"))
                    for i in range(n + 1)))
    got = {}

    def until(t, fl, sid, p):
        if t == HEADERS:
            h = dict(c.dec.decode(p))
            got[sid] = (h.get(":status"), h.get("retry-after"))
        return len(got) >= 1
    c.frames(until, 20)
    first = list(got.values())
    open(go, "w").close()

    def until_all(t, fl, sid, p):
        until(t, fl, sid, p)
        return len(got) == n + 1
    c.frames(until_all, 60)
    busy = [v for v in got.values() if v[0] == "503"]
    fine = [v for v in got.values() if v[0] == "200"]
    if first != [("503", "5")] or len(busy) != 1 or len(fine) != n:
        print("FAIL first %r, %d answered: %d 503, %d 200" %
              (first, len(got), len(busy), len(fine)))
        return 1
    print("ok cgi busy: stream %d of %d refused with 503, the rest 200" %
          (n + 1, n + 1))
    return 0


if __name__ == "__main__":
    sys.exit(globals()["case_" + sys.argv[2]](int(sys.argv[1]),
                                              *sys.argv[3:]))
