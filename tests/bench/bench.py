#!/usr/bin/python3
"""webserv's own benchmark: webserv next to nginx, lighttpd and h2o, one run.

Everything lives in a fresh temp dir: docroot, each server's config, logs.
Every server listens on a free 127.0.0.1 port, all of them run at once and
the scenarios are interleaved (per scenario, every server back to back;
the order rotates each round), so machine drift hits them alike.  Only the
ratios inside one run mean something on a shared machine.

Knobs (environment):
  SCENARIOS   ["a b c d e f g h i"]   which scenarios (see SCEN below)
  SERVERS     ["nginx lighttpd h2o webserv"]  those not installed are left out
  DURATION    [10]  seconds per measured run    WARMUP [1]  seconds before it
  ROUNDS      [1]   interleaved rounds (the median is reported)
  WEBSERV_BIN [../../webserv]   the binary under test
  WEBSERV_ALT ["" ]  "name=/path/to/webserv ..." more webserv binaries,
              measured like webserv (for A/B runs of two builds)
  IDLE_CONNS  [10000]  connections held by scenario g
  OUT         [$WORKDIR/results]  where the .md and .jsonl go
  WORKDIR     [mkdtemp]  its docroot is removed at the end unless KEEP=1;
              configs, logs and results stay
run.sh bounds the whole run with timeout(1) (TOTAL_TIMEOUT, default from
the scenario count); on SIGTERM the driver stops its servers by pid.

Hooks for later scenarios: a scenario may say needs={'tls'} (or 'h2',
'gzip'); a server takes part only when its FEATURES cover them.  The tool
is per scenario ('wrk' today; 'h2load' is found and its runner is the place
for h2 and TLS scenarios).
"""
import gzip, json, os, random, resource, selectors, shutil, signal, socket
import statistics, subprocess, sys, tempfile, time, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ENV = os.environ
DURATION = int(ENV.get('DURATION', '10'))
WARMUP = int(ENV.get('WARMUP', '1'))
ROUNDS = int(ENV.get('ROUNDS', '1'))
SCENARIOS = ENV.get('SCENARIOS',
                    'a b c d e f g h i').replace(',', ' ').split()
WANT_SERVERS = ENV.get('SERVERS', 'nginx lighttpd h2o webserv').split()
IDLE_CONNS = int(ENV.get('IDLE_CONNS', '10000'))
WEBSERV_BIN = ENV.get('WEBSERV_BIN', os.path.join(ROOT, 'webserv'))
CLK = os.sysconf('SC_CLK_TCK')
PAGE = os.sysconf('SC_PAGE_SIZE')
PY = '/usr/bin/python3'

SIZES = {'/index.html': 1024, '/100k.bin': 100 * 1024, '/10m.bin': 10 << 20,
         '/z/page.html': 20 * 1024, '/zs/page.html': 20 * 1024}
AE = 'Accept-Encoding: gzip, br'  # what a browser sends, give or take q

# id -> scenario.  base: the server ratios are taken against.
SCEN = {
    'a': dict(desc='1 KiB, keep-alive, c=100', path='/index.html', c=100),
    'b': dict(desc='1 KiB, Connection: close, c=50', path='/index.html', c=50,
              hdr='Connection: close'),
    'c': dict(desc='100 KiB, keep-alive, c=100', path='/100k.bin', c=100),
    'd': dict(desc='10 MiB, keep-alive, c=10', path='/10m.bin', c=10),
    'e': dict(desc='1 KiB, keep-alive, c=1000', path='/index.html', c=1000),
    'f': dict(desc='CGI hello.sh, keep-alive, c=20', path='/cgi-bin/hello.sh',
              c=20, base='lighttpd', needs={'cgi'}),
    'g': dict(desc='idle keep-alive conns: server RSS per conn', idle=True),
    # compression (issue 15): a 20 KiB HTML page asked for with
    # Accept-Encoding; h compresses on the fly (nginx gzip on, level 6;
    # webserv compress = br, gzip: once per version, from memory; h2o
    # compress: ON), i serves a pre-made .gz (nginx gzip_static, webserv
    # static_compressed, h2o file.send-compressed).  Each server's answer
    # must carry Content-Encoding and decode to the page.
    'h': dict(desc='20 KiB HTML compressed on the fly, keep-alive, c=100',
              path='/z/page.html', c=100, hdr=AE, needs={'gzip'}),
    'i': dict(desc='20 KiB HTML, pre-made .gz sibling, keep-alive, c=100',
              path='/zs/page.html', c=100, hdr=AE, needs={'gzip_static'}),
    # Later: TLS (needs={'tls'}, scheme https), h2 (tool='h2load',
    # needs={'tls', 'h2'}), h2c (needs={'h2c'}).
}
ORDER = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']


def log(*a):
    print('[bench]', *a, file=sys.stderr, flush=True)


# --- set-up -----------------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_docroot(d):
    os.makedirs(os.path.join(d, 'cgi-bin'))
    line = b'webserv bench: the quick brown fox jumps over the lazy dog.\n'
    head = b'<!DOCTYPE html>\n<html><head><title>bench</title></head><body><pre>\n'
    tail = b'</pre></body></html>\n'
    fill = (line * 20)[:1024 - len(head) - len(tail)]
    with open(os.path.join(d, 'index.html'), 'wb') as f:
        f.write(head + fill + tail)
    for name, size in (('100k.bin', SIZES['/100k.bin']),
                       ('10m.bin', SIZES['/10m.bin'])):
        with open(os.path.join(d, name), 'wb') as f:
            f.write(os.urandom(size))
    page = html_page(SIZES['/z/page.html'])
    for sub_dir in ('z', 'zs'):
        os.makedirs(os.path.join(d, sub_dir))
        with open(os.path.join(d, sub_dir, 'page.html'), 'wb') as f:
            f.write(page)
        os.chmod(os.path.join(d, sub_dir), 0o755)
    with gzip.open(os.path.join(d, 'zs', 'page.html.gz'), 'wb', 9) as f:
        f.write(page)
    cgi = os.path.join(d, 'cgi-bin', 'hello.sh')
    with open(cgi, 'w') as f:
        f.write('#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\n'
                'printf "hello from sh: method=%s\\n" "$REQUEST_METHOD"\n')
    os.chmod(cgi, 0o755)
    for p in (d, os.path.join(d, 'cgi-bin')):
        os.chmod(p, 0o755)


def html_page(size):
    """size bytes of HTML that compress like a real page (about 3-4x):
    paragraphs of words drawn from a fixed vocabulary, seeded."""
    rng = random.Random(15)
    words = ('server request response header client cache file page static '
             'upload module config worker signal reload socket buffer stream '
             'the a of to and in is for on with as by at from this that it '
             'compress brotli gzip encoding vary accept length content type '
             'nginx lighttpd webserv benchmark latency throughput').split()
    head = b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' \
        b'<title>compression bench</title></head><body>\n'
    tail = b'</body></html>\n'
    body = bytearray()
    while len(body) < size:
        n = rng.randint(40, 90)
        text = ' '.join(rng.choice(words) for _ in range(n))
        cls = rng.choice(('intro', 'note', 'body', 'aside'))
        body += f'<p class="{cls}" id="p{rng.randint(1, 99999)}">' \
            f'{text.capitalize()}.</p>\n'.encode()
    body = bytes(body[:size - len(head) - len(tail)])
    return head + body + tail


def conf_nginx(port, docroot, run):
    tmp = os.path.join(run, 'tmp')
    return f"""worker_processes 2;
worker_rlimit_nofile 20000;
pid {run}/nginx.pid;
error_log {run}/error.log error;
events {{ worker_connections 16384; use epoll; }}
http {{
    access_log off;
    sendfile on; tcp_nopush on; tcp_nodelay on;
    keepalive_timeout 120s; keepalive_requests 1000000;
    server_tokens off;
    open_file_cache max=1000 inactive=60s; open_file_cache_valid 60s;
    types {{ text/html html; application/octet-stream bin; }}
    default_type application/octet-stream;
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fcgi; uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        root {docroot};
        index index.html;
        location /z/ {{ gzip on; gzip_comp_level 6; gzip_min_length 256; }}
        location /zs/ {{ gzip_static on; }}
    }}
}}
"""


def conf_lighttpd(port, docroot, run):
    return f"""server.modules = ( "mod_indexfile", "mod_cgi", "mod_staticfile" )
server.document-root = "{docroot}"
server.bind = "127.0.0.1"
server.port = {port}
server.pid-file = "{run}/lighttpd.pid"
server.errorlog = "{run}/error.log"
server.max-worker = 2
server.max-fds = 20000
server.max-connections = 10000
server.listen-backlog = 4096
server.max-keep-alive-requests = 1000000
server.max-keep-alive-idle = 120
server.max-read-idle = 120
index-file.names = ( "index.html" )
mimetype.assign = ( ".html" => "text/html", "" => "application/octet-stream" )
$HTTP["url"] =~ "^/cgi-bin/" {{ cgi.assign = ( ".sh" => "" ) }}
"""


def conf_h2o(port, docroot, run):
    # started as root, h2o runs as nobody: no pid file in our dir
    return f"""num-threads: 2
max-connections: 16384
error-log: {run}/error.log
http1-request-timeout: 120
listen:
  host: 127.0.0.1
  port: {port}
hosts:
  default:
    paths:
      /z:
        file.dir: {docroot}/z
        compress: ON
      /zs:
        file.dir: {docroot}/zs
        file.send-compressed: ON
      /:
        file.dir: {docroot}
"""


def conf_webserv(port, docroot, run):
    return f"""workers = 2;
pid_file = "{run}/webserv.pid";
error_log = "{run}/error.log";
log_level = "warn";
http = {{ access_log = "off"; keepalive_timeout = 120; max_connections = 16000; }};
servers = ( {{
  listen = [ "127.0.0.1:{port}" ];
  root = "{docroot}";
  index = [ "index.html" ];
  locations = (
    {{ path = "/"; methods = [ "GET", "HEAD" ]; }},
    {{ path = "/z/"; compress = [ "br", "gzip" ]; }},
    {{ path = "/zs/"; static_compressed = [ "br", "gzip" ]; }},
    {{ path = "/cgi-bin/"; methods = [ "GET", "HEAD" ];
       cgi = ( {{ ext = ".sh"; interpreter = "/bin/sh"; }} ); }}
  );
}} );
"""


def server_table():
    """name -> dict(conf, argv, features) for the servers that exist."""
    t = {}
    base = {'static'}
    comp = {'gzip', 'gzip_static'}
    for name, binname, conf, argv, feat in (
            ('nginx', 'nginx', conf_nginx,
             lambda b, c: [b, '-c', c, '-g', 'daemon off;'], base | comp),
            ('lighttpd', 'lighttpd', conf_lighttpd,
             lambda b, c: [b, '-D', '-f', c], base | {'cgi'}),
            ('h2o', 'h2o', conf_h2o, lambda b, c: [b, '-c', c],
             base | comp)):
        path = shutil.which(binname) or shutil.which(binname, path='/usr/sbin')
        if name in WANT_SERVERS and path:
            t[name] = dict(bin=path, conf=conf, argv=argv, features=feat)
        elif name in WANT_SERVERS:
            log(f'{name} not installed: left out')
    ws = [('webserv', WEBSERV_BIN)] if 'webserv' in WANT_SERVERS else []
    for item in ENV.get('WEBSERV_ALT', '').split():
        n, _, p = item.partition('=')
        ws.append((n, p))
    # FEATURES grows with webserv: 'tls', 'h2', 'gzip' switch on the
    # scenarios that need them (WEBSERV_FEATURES="tls h2").
    wfeat = base | {'cgi'} | comp | \
        set(ENV.get('WEBSERV_FEATURES', '').split())
    for n, p in ws:
        if not os.access(p, os.X_OK):
            sys.exit(f'webserv binary {p} not found (make webserv)')
        t[n] = dict(bin=os.path.abspath(p), conf=conf_webserv,
                    argv=lambda b, c: [b, '-w', '2', '-f', c], features=wfeat)
    return t


# --- processes and /proc ------------------------------------------------------

def children_map():
    kids = {}
    for d in os.listdir('/proc'):
        if d.isdigit():
            st = proc_stat(int(d))
            if st:
                kids.setdefault(st[1], []).append(int(d))
    return kids


def proc_stat(pid):
    """(pid, ppid, utime+stime, cutime+cstime) in ticks, or None."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            s = f.read()
    except OSError:
        return None
    f = s[s.rindex(')') + 2:].split()
    return (pid, int(f[1]), int(f[11]) + int(f[12]), int(f[13]) + int(f[14]))


def tree(pid):
    kids, out, todo = children_map(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def tree_cpu(pid):
    """CPU seconds of the tree: its live processes plus what they reaped
    (cutime/cstime carries exited CGI children and workers)."""
    total = 0
    for p in tree(pid):
        st = proc_stat(p)
        if st:
            total += st[2] + st[3]
    return total / CLK


def tree_rss(pid):
    total = 0
    for p in tree(pid):
        try:
            with open(f'/proc/{p}/statm') as f:
                total += int(f.read().split()[1]) * PAGE
        except OSError:
            pass
    return total


def machine_cpu():
    with open('/proc/stat') as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v) - v[3] - v[4]) / CLK, sum(v) / CLK  # busy, all


def http_fetch(port, path, hdr=None, timeout=5.0):
    """(head, body) of a GET with Connection: close and hdr."""
    s = socket.create_connection(('127.0.0.1', port), timeout=timeout)
    req = f'GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n'
    s.sendall((req + (hdr + '\r\n' if hdr else '') + '\r\n').encode())
    data = b''
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        data += b
    s.close()
    head, _, body = data.partition(b'\r\n\r\n')
    return head, body


def http_get_coded(port, path, hdr):
    """(coding, decoded body) of a GET with hdr, or (None, why)."""
    head, body = http_fetch(port, path, hdr)
    fields = {}
    for line in head.split(b'\r\n')[1:]:
        k, _, v = line.partition(b':')
        fields[k.strip().lower().decode()] = v.strip().decode()
    if 'chunked' in fields.get('transfer-encoding', ''):
        raw, body = body, b''
        while raw:
            size, _, raw = raw.partition(b'\r\n')
            n = int(size.split(b';')[0], 16)
            if n == 0:
                break
            body, raw = body + raw[:n], raw[n + 2:]
    coding = fields.get('content-encoding')
    try:
        if coding == 'gzip':
            return coding, zlib.decompress(body, 47)
        if coding == 'br':
            return coding, subprocess.run(['brotli', '-d', '-c'], input=body,
                                          capture_output=True,
                                          check=True).stdout
    except (zlib.error, OSError, subprocess.CalledProcessError) as e:
        return None, f'{coding} body does not decode: {e}'
    return None, f'no Content-Encoding (head: {head[:200]!r})'


def http_get(port, path, hdr=None, timeout=5.0):
    head, body = http_fetch(port, path, hdr, timeout)
    status = int(head.split(b' ', 2)[1]) if head.startswith(b'HTTP/') else 0
    return status, body


class Server:
    def __init__(self, name, spec, docroot, top):
        self.name, self.spec = name, spec
        self.run = os.path.join(top, 'run', name)
        os.makedirs(os.path.join(self.run, 'tmp'))
        self.port = free_port()
        self.conf = os.path.join(self.run, 'server.conf')
        with open(self.conf, 'w') as f:
            f.write(spec['conf'](self.port, docroot, self.run))
        self.proc = None

    def start(self):
        out = open(os.path.join(self.run, 'stdout.log'), 'w')
        self.proc = subprocess.Popen(self.spec['argv'](self.spec['bin'],
                                                       self.conf),
                                     stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f'{self.name} exited at start: see '
                                   f'{self.run}/stdout.log')
            try:
                if http_get(self.port, '/index.html', timeout=1)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f'{self.name} not ready on port {self.port}')

    def stop(self):
        if not self.proc or self.proc.poll() is not None:
            return
        pids = tree(self.proc.pid)
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        for p in pids:  # by pid: only the tree we started
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass


# --- measurements -------------------------------------------------------------

WRK_LUA = r'''
done = function(s, lat, req)
  local e = s.errors
  io.write(string.format('WRKJSON {"requests":%d,"bytes":%d,"duration_us":%d,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,' ..
    '"err_timeout":%d,"p50_us":%d,"p99_us":%d}\n', s.requests, s.bytes,
    s.duration, e.connect, e.read, e.write, e.status, e.timeout,
    lat:percentile(50), lat:percentile(99)))
end
'''


def run_wrk(srv, sc, lua, logdir, tag):
    url = f'http://127.0.0.1:{srv.port}{sc["path"]}'
    base = ['wrk', '-t2', f'-c{sc["c"]}', '--timeout', '5s', '--latency',
            '-s', lua]
    if sc.get('hdr'):
        base += ['-H', sc['hdr']]
    if WARMUP > 0:
        subprocess.run(base + [f'-d{WARMUP}s', url], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=WARMUP + 30)
    time.sleep(0.5)
    cpu0, (busy0, all0) = tree_cpu(srv.proc.pid), machine_cpu()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.time()
    p = subprocess.Popen(base + [f'-d{DURATION}s', url], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = p.communicate(timeout=DURATION + 30)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
    wall = time.time() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, reaped
    wrk_cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    cpu1, (busy1, all1) = tree_cpu(srv.proc.pid), machine_cpu()
    with open(os.path.join(logdir, f'{tag}.log'), 'w') as f:
        f.write(out)
    line = [l for l in out.splitlines() if l.startswith('WRKJSON ')]
    if not line:
        return dict(error='wrk gave no result: ' + out[-300:])
    w = json.loads(line[0][8:])
    dur = w['duration_us'] / 1e6
    reqs = w['requests']
    srv_cpu = cpu1 - cpu0
    ncpu = os.cpu_count() or 1
    return dict(
        rps=reqs / dur, mbps=w['bytes'] / dur / 1e6,
        p50_ms=w['p50_us'] / 1e3, p99_ms=w['p99_us'] / 1e3,
        errors=sum(w[k] for k in w if k.startswith('err_')),
        err_detail={k[4:]: w[k] for k in w if k.startswith('err_') and w[k]},
        requests=reqs, srv_cpu_s=srv_cpu,
        cpu_us_req=srv_cpu / reqs * 1e6 if reqs else None,
        srv_cpu_pct=100 * srv_cpu / wall / ncpu,
        wrk_cpu_us_req=wrk_cpu / reqs * 1e6 if reqs else None,
        machine_busy_pct=100 * (busy1 - busy0) / max(all1 - all0, 1e-9))


def run_idle(srv, n):
    """Hold n keep-alive connections, each after one answered request;
    report the server tree's RSS growth per connection."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    n = min(n, hard - 200)
    rss0 = tree_rss(srv.proc.pid)
    sel = selectors.DefaultSelector()
    socks, ok, req = [], 0, b'GET /index.html HTTP/1.1\r\nHost: b\r\n\r\n'
    need = SIZES['/index.html']
    deadline = time.time() + 60
    try:
        for i in range(n):
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect_ex(('127.0.0.1', srv.port))
            except OSError:
                s.close()
                break
            socks.append(s)
            sel.register(s, selectors.EVENT_WRITE, [b'', False])
            if len(socks) % 500 == 0:
                ok += pump(sel, req, need, time.time() + 10, 0)
        ok += pump(sel, req, need, deadline, 1)
        time.sleep(1)
        rss1 = tree_rss(srv.proc.pid)
        alive = 0
        for s in socks:  # a closed connection reads EOF at once
            try:
                alive += s.recv(1, socket.MSG_PEEK) != b''
            except BlockingIOError:
                alive += 1
            except OSError:
                pass
    finally:
        for s in socks:
            s.close()
    return dict(conns=len(socks), answered=ok, alive=alive,
                rss_delta_mib=(rss1 - rss0) / 2**20,
                bytes_per_conn=(rss1 - rss0) / max(alive, 1))


def pump(sel, req, need, deadline, drain):
    """Drive the non-blocking sockets: write the request once, read the
    answer (head + need bytes of body), then leave the socket alone."""
    done = 0
    while sel.get_map() and time.time() < deadline:
        evs = sel.select(0.2)
        if not evs and not drain:
            break
        for key, ev in evs:
            s, st = key.fileobj, key.data
            try:
                if ev & selectors.EVENT_WRITE and not st[1]:
                    s.send(req)
                    st[1] = True
                    sel.modify(s, selectors.EVENT_READ, st)
                    continue
                b = s.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                sel.unregister(s)
                continue
            st[0] += b
            h, sep, body = st[0].partition(b'\r\n\r\n')
            if not b or (sep and len(body) >= need):
                sel.unregister(s)
                done += bool(b)
    return done


# --- report ---------------------------------------------------------------------

def fmt(v, nd=0, unit=''):
    if v is None:
        return '–'
    return f'{v:,.{nd}f}{unit}'


def report(rows, servers, notes):
    out = ['| scenario | server | req/s | MB/s | p50 ms | p99 ms | errors '
           '| srv CPU µs/req | wrk CPU µs/req | req/s vs base '
           '| CPU/req vs base |',
           '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
    for sid in [s for s in ORDER if s in SCENARIOS]:
        for r in [r for r in rows if r['scenario'] == sid]:
            if 'idle' in SCEN[sid]:
                out.append(f'| {sid}: {int(r["conns"])} idle conns | {r["server"]} '
                           f'| – | – | – | – | {int(r["conns"] - r["alive"])} '
                           f'| – | – | RSS +{r["rss_delta_mib"]:.1f} MiB = '
                           f'{r["bytes_per_conn"]:,.0f} B/conn | '
                           f'{fmt(r.get("rss_vs_base"), 2, "x")} |')
                continue
            out.append(
                f'| {sid}: {SCEN[sid]["desc"]} | {r["server"]} | '
                f'{fmt(r["rps"])} | {fmt(r["mbps"], 1)} | '
                f'{fmt(r["p50_ms"], 2)} | {fmt(r["p99_ms"], 2)} | '
                f'{fmt(r["errors"])} | {fmt(r["cpu_us_req"], 1)} | '
                f'{fmt(r.get("wrk_cpu_us_req"), 1)} | '
                f'{fmt(r.get("rps_vs_base"), 2, "x")} | '
                f'{fmt(r.get("cpu_vs_base"), 2, "x")} |')
    text = '\n'.join(out) + '\n'
    if notes:
        text += '\nNotes:\n' + ''.join(f'- {n}\n' for n in notes)
    return text


def median_rows(samples):
    """One row per (scenario, server): the median of the rounds."""
    rows = []
    for (sid, name), rs in samples.items():
        r = dict(rs[0], scenario=sid, server=name, rounds=len(rs))
        for k, v in rs[0].items():  # each number its own median
            if isinstance(v, (int, float)) and k != 'round':
                vals = [x[k] for x in rs if x.get(k) is not None]
                r[k] = statistics.median(vals) if vals else None
        rows.append(r)
    for r in rows:
        base = SCEN[r['scenario']].get('base', 'nginx')
        b = [x for x in rows if x['scenario'] == r['scenario'] and
             x['server'] == base]
        if not b:
            continue
        b = b[0]
        if 'idle' in SCEN[r['scenario']]:
            r['rss_vs_base'] = r['bytes_per_conn'] / b['bytes_per_conn'] \
                if b['bytes_per_conn'] > 0 else None
            continue
        r['rps_vs_base'] = r['rps'] / b['rps'] if b['rps'] else None
        if r['cpu_us_req'] and b['cpu_us_req']:
            r['cpu_vs_base'] = r['cpu_us_req'] / b['cpu_us_req']
    return rows


# --- main ----------------------------------------------------------------------

def main():
    for s in SCENARIOS:
        if s not in SCEN:
            sys.exit(f'unknown scenario {s} (known: {" ".join(ORDER)})')
    if not shutil.which('wrk'):
        sys.exit('wrk is missing: apt-get install wrk')
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    top = ENV.get('WORKDIR') or tempfile.mkdtemp(prefix='webserv-bench-')
    os.makedirs(top, exist_ok=True)
    os.chmod(top, 0o755)  # h2o and nginx workers run as nobody
    docroot, logdir = os.path.join(top, 'www'), os.path.join(top, 'logs')
    outdir = ENV.get('OUT') or os.path.join(top, 'results')
    os.makedirs(logdir, exist_ok=True)
    os.makedirs(outdir, exist_ok=True)
    make_docroot(docroot)
    lua = os.path.join(top, 'report.lua')
    with open(lua, 'w') as f:
        f.write(WRK_LUA)

    table = server_table()
    servers = [Server(n, s, docroot, top) for n, s in table.items()]
    notes, samples = [], {}
    stamp = time.strftime('%Y%m%d-%H%M%S', time.gmtime())
    jsonl = os.path.join(outdir, f'bench-{stamp}.jsonl')

    def on_signal(sig, frm):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    try:
        live = []
        for s in servers:
            try:
                s.start()
                live.append(s)
                log(f'{s.name} pid {s.proc.pid} on 127.0.0.1:{s.port}')
            except RuntimeError as e:
                notes.append(str(e))
                log(e)
        skip = set()
        for s in live:  # each URL once: wrong answer => scenario dropped
            for sid in SCENARIOS:
                sc = SCEN[sid]
                if not sc.get('needs', set()) <= s.spec['features']:
                    skip.add((sid, s.name))
                    continue
                if 'path' not in sc:
                    continue
                st, body = http_get(s.port, sc['path'])
                want = SIZES.get(sc['path'])
                if st != 200 or (want and len(body) != want) or \
                        (sid == 'f' and b'method=GET' not in body):
                    skip.add((sid, s.name))
                    notes.append(f'{s.name}: {sc["path"]} gave {st}, '
                                 f'{len(body)} bytes: {sid} left out')
                elif 'Accept-Encoding' in sc.get('hdr', ''):
                    coding, got = http_get_coded(s.port, sc['path'],
                                                 sc['hdr'])
                    if coding is None or got != body:
                        skip.add((sid, s.name))
                        notes.append(f'{s.name}: {sc["path"]} not '
                                     f'compressed right ({coding}: '
                                     f'{got if coding is None else "differs"}'
                                     f'): {sid} left out')
                    else:
                        notes.append(f'{s.name} {sid}: {coding}')
        with open(jsonl, 'w') as jf:
            meta = dict(kind='meta', stamp=stamp, duration=DURATION,
                        rounds=ROUNDS, cpus=os.cpu_count(),
                        kernel=os.uname().release,
                        servers={s.name: s.spec['bin'] for s in live})
            jf.write(json.dumps(meta) + '\n')
            for rnd in range(ROUNDS):
                order = live[rnd % len(live):] + live[:rnd % len(live)] \
                    if live else []
                for sid in [x for x in ORDER if x in SCENARIOS]:
                    for s in order:
                        if (sid, s.name) in skip or s.proc.poll() is not None:
                            continue
                        if 'idle' in SCEN[sid] and rnd > 0:
                            continue  # memory: one round says it
                        log(f'round {rnd + 1}: {sid} {s.name}')
                        if 'idle' in SCEN[sid]:
                            r = run_idle(s, IDLE_CONNS)
                        else:
                            r = run_wrk(s, SCEN[sid], lua, logdir,
                                        f'{sid}-{s.name}-{rnd}')
                        if 'error' in r:
                            notes.append(f'{s.name} {sid}: {r["error"]}')
                            continue
                        r.update(kind='run', scenario=sid, server=s.name,
                                 round=rnd + 1)
                        jf.write(json.dumps(r) + '\n')
                        jf.flush()
                        samples.setdefault((sid, s.name), []).append(r)
            rows = median_rows(samples)
            for r in rows:
                jf.write(json.dumps(dict(r, kind='summary')) + '\n')
    except KeyboardInterrupt:
        notes.append('interrupted')
        rows = median_rows(samples)
    finally:
        for s in servers:
            s.stop()
    head = (f'One run {stamp} UTC, {os.cpu_count()} CPUs, kernel '
            f'{os.uname().release}, {DURATION} s per run, {ROUNDS} round(s); '
            f'ratios against nginx (lighttpd for CGI) in this run.\n\n')
    text = head + report(rows, servers, notes)
    md = os.path.join(outdir, f'bench-{stamp}.md')
    with open(md, 'w') as f:
        f.write(text)
    print(text)
    log(f'results: {md} {jsonl}')
    if not ENV.get('KEEP'):
        shutil.rmtree(docroot, ignore_errors=True)  # 10 MiB; logs stay
    return 0 if rows else 1


if __name__ == '__main__':
    sys.exit(main())
