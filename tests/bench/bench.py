#!/usr/bin/python3
"""webserv's own benchmark: webserv next to nginx, lighttpd and h2o, one run.

Everything lives in a fresh temp dir: docroot, each server's config, logs.
Every server listens on a free 127.0.0.1 port, all of them run at once and
the scenarios are interleaved (per scenario, every server back to back;
the order rotates each round), so machine drift hits them alike.  Only the
ratios inside one run mean something on a shared machine.

Knobs (environment):
  SCENARIOS   [all: "a b c d e f g h i j k s l m n o p q r"] (see SCEN)
  SERVERS     ["nginx lighttpd h2o webserv"]  those not installed are left out
  DURATION    [10]  seconds per measured run    WARMUP [1]  seconds before it
  ROUNDS      [1]   interleaved rounds (the median is reported)
  WEBSERV_BIN [../../webserv]   the binary under test
  WEBSERV_ALT ["" ]  "name=/path/to/webserv ..." more webserv binaries,
              measured like webserv (for A/B runs of two builds)
  IDLE_CONNS  [10000]  connections held by scenario g
  IDLE_TLS_CONNS [3000]  those of m (TLS) and r (h2 over TLS)
  S_TIME      [8]   openssl s_time processes at once in scenario s
  OUT         [$WORKDIR/results]  where the .md and .jsonl go
  WORKDIR     [mkdtemp]  its docroot is removed at the end unless KEEP=1;
              configs, logs and results stay
run.sh bounds the whole run with timeout(1) (TOTAL_TIMEOUT, default from
the scenario count); on SIGTERM the driver stops its servers by pid.

A scenario may say needs={'tls'} (or 'h2', 'h2c', 'gzip', 'cgi'); a server
takes part only when its features cover them.  The client is per scenario:
wrk (HTTP/1.1, also over TLS), h2load (HTTP/2 over TLS and h2c), openssl
s_time (resumed TLS sessions), or the driver itself (idle connections).
Every server gets three ports: HTTP/1.1, TLS (ALPN h2 and http/1.1) and
h2c, and the same ECDSA P-256 certificate made at the start of the run.
"""
import gzip, json, os, random, re, resource, selectors, shutil, signal
import select, socket, ssl, statistics, struct, subprocess, sys, tempfile
import time, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ENV = os.environ
DURATION = int(ENV.get('DURATION', '10'))
WARMUP = int(ENV.get('WARMUP', '1'))
ROUNDS = int(ENV.get('ROUNDS', '1'))
SCENARIOS = ENV.get('SCENARIOS', 'a b c d e f g h i j k s l m n o p q r'
                    ).replace(',', ' ').split()
WANT_SERVERS = ENV.get('SERVERS', 'nginx lighttpd h2o webserv').split()
IDLE_CONNS = int(ENV.get('IDLE_CONNS', '10000'))
IDLE_TLS_CONNS = int(ENV.get('IDLE_TLS_CONNS', '3000'))
S_TIME = int(ENV.get('S_TIME', '8'))
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
    'g': dict(desc='idle keep-alive conns: server RSS per conn', idle='h1'),
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
    # TLS (issue 13): every server on a second port with the same ECDSA
    # P-256 certificate made at bench time; wrk speaks HTTP/1.1 over it
    # (no ALPN).  k makes a full handshake per request (wrk resumes no
    # session), s the same with resumption (openssl s_time -reuse, S_TIME
    # processes in parallel), m holds idle TLS keep-alive connections.
    'j': dict(desc='TLS 1 KiB, keep-alive, c=100', path='/index.html',
              c=100, scheme='https', needs={'tls'}),
    'k': dict(desc='TLS 1 KiB, new connection per request, c=50',
              path='/index.html', c=50, hdr='Connection: close',
              scheme='https', needs={'tls'}),
    's': dict(desc='TLS 1 KiB, new connection, session resumed',
              path='/index.html', scheme='https', tool='s_time',
              needs={'tls'}),
    'l': dict(desc='TLS 10 MiB, keep-alive, c=10', path='/10m.bin', c=10,
              scheme='https', needs={'tls'}),
    'm': dict(desc='idle TLS keep-alive conns: server RSS per conn',
              idle='tls', needs={'tls'}),
    # HTTP/2 (issue 14): h2load, over TLS (ALPN h2) and h2c (prior
    # knowledge, a third port), c connections of m streams each.
    'n': dict(desc='h2 TLS 1 KiB, c=100 m=10', path='/index.html', c=100,
              m=10, scheme='h2', tool='h2load', needs={'h2'}),
    'o': dict(desc='h2c 1 KiB, c=100 m=10', path='/index.html', c=100,
              m=10, scheme='h2c', tool='h2load', needs={'h2c'}),
    'p': dict(desc='h2 TLS 100 KiB, c=100 m=10', path='/100k.bin', c=100,
              m=10, scheme='h2', tool='h2load', needs={'h2'}),
    'q': dict(desc='h2 TLS 10 MiB, c=10 m=1', path='/10m.bin', c=10, m=1,
              scheme='h2', tool='h2load', needs={'h2'}),
    'r': dict(desc='idle h2 TLS conns: server RSS per conn', idle='h2',
              needs={'h2'}),
}
ORDER = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 's', 'l',
         'm', 'n', 'o', 'p', 'q', 'r']


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


# Each server: ports 'http' (HTTP/1.1), 'tls' (HTTPS, ALPN h2 and
# http/1.1) and 'h2c' (cleartext HTTP/2 by prior knowledge; nginx cannot
# have it beside HTTP/1.1 on one port, so everyone gets a third).

def conf_nginx(ports, docroot, run, cert):
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
        listen 127.0.0.1:{ports['http']} backlog=4096;
        listen 127.0.0.1:{ports['tls']} ssl http2 backlog=4096;
        listen 127.0.0.1:{ports['h2c']} http2 backlog=4096;
        ssl_certificate {cert[0]}; ssl_certificate_key {cert[1]};
        ssl_protocols TLSv1.2 TLSv1.3;  # 1.22's default stops at 1.2
        ssl_session_cache shared:SSL:10m; ssl_session_tickets on;
        root {docroot};
        index index.html;
        location /z/ {{ gzip on; gzip_comp_level 6; gzip_min_length 256; }}
        location /zs/ {{ gzip_static on; }}
    }}
}}
"""


LIGHTTPD_TLS = os.path.exists('/usr/lib/lighttpd/mod_openssl.so')


def conf_lighttpd(ports, docroot, run, cert):
    tls = f"""server.modules += ( "mod_openssl" )
$SERVER["socket"] == "127.0.0.1:{ports['tls']}" {{
    ssl.engine = "enable"
    ssl.pemfile = "{cert[0]}"
    ssl.privkey = "{cert[1]}"
}}
""" if LIGHTTPD_TLS else ''
    return f"""server.modules = ( "mod_indexfile", "mod_cgi", "mod_staticfile" )
{tls}
server.document-root = "{docroot}"
server.bind = "127.0.0.1"
server.port = {ports['http']}
$SERVER["socket"] == "127.0.0.1:{ports['h2c']}" {{ }}
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


def conf_h2o(ports, docroot, run, cert):
    # started as root, h2o runs as nobody: no pid file in our dir
    return f"""num-threads: 2
max-connections: 16384
error-log: {run}/error.log
http1-request-timeout: 120
http2-idle-timeout: 120
listen:
  host: 127.0.0.1
  port: {ports['http']}
listen:
  host: 127.0.0.1
  port: {ports['h2c']}
listen:
  host: 127.0.0.1
  port: {ports['tls']}
  ssl:
    certificate-file: {cert[0]}
    key-file: {cert[1]}
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


def conf_webserv(ports, docroot, run, cert):
    return f"""workers = 2;
pid_file = "{run}/webserv.pid";
error_log = "{run}/error.log";
log_level = "warn";
http = {{ access_log = "off"; keepalive_timeout = 120; max_connections = 16000; }};
servers = ( {{
  listen = [ "127.0.0.1:{ports['http']}", "127.0.0.1:{ports['tls']} tls h2",
             "127.0.0.1:{ports['h2c']} h2" ];
  tls = {{ certificate = "{cert[0]}"; key = "{cert[1]}"; }};
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
    base = {'static', 'tls', 'h2', 'h2c'}
    comp = {'gzip', 'gzip_static'}
    for name, binname, conf, argv, feat in (
            ('nginx', 'nginx', conf_nginx,
             lambda b, c: [b, '-c', c, '-g', 'daemon off;'], base | comp),
            ('lighttpd', 'lighttpd', conf_lighttpd,
             lambda b, c: [b, '-D', '-f', c],
             (base if LIGHTTPD_TLS else {'static', 'h2c'}) | {'cgi'}),
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
    wfeat = base | {'cgi'} | comp
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


def client_tls():
    """A client context that takes the bench's self-signed certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def http_fetch(port, path, hdr=None, timeout=5.0, tls=False):
    """(head, body) of a GET with Connection: close and hdr."""
    s = socket.create_connection(('127.0.0.1', port), timeout=timeout)
    if tls:
        s = client_tls().wrap_socket(s, server_hostname='localhost')
    req = f'GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n'
    s.sendall((req + (hdr + '\r\n' if hdr else '') + '\r\n').encode())
    data = b''
    while True:
        try:
            b = s.recv(1 << 20)
        except ssl.SSLEOFError:  # a close without close_notify
            break
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


def http_get(port, path, hdr=None, timeout=5.0, tls=False):
    head, body = http_fetch(port, path, hdr, timeout, tls)
    status = int(head.split(b' ', 2)[1]) if head.startswith(b'HTTP/') else 0
    return status, body


class Server:
    def __init__(self, name, spec, docroot, top, cert):
        self.name, self.spec = name, spec
        self.run = os.path.join(top, 'run', name)
        os.makedirs(os.path.join(self.run, 'tmp'))
        self.ports = {k: free_port() for k in ('http', 'tls', 'h2c')}
        self.port = self.ports['http']
        self.conf = os.path.join(self.run, 'server.conf')
        with open(self.conf, 'w') as f:
            f.write(spec['conf'](self.ports, docroot, self.run, cert))
        self.proc = None

    def start(self):
        out = open(os.path.join(self.run, 'stdout.log'), 'a')
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


def url_of(srv, sc):
    """The scenario's URL on srv: which port and scheme it speaks."""
    scheme = sc.get('scheme', 'http')
    port = srv.ports['h2c' if scheme == 'h2c' else
                     'tls' if scheme in ('https', 'h2') else 'http']
    web = 'https' if scheme in ('https', 'h2') else 'http'
    return f'{web}://127.0.0.1:{port}{sc["path"]}', port


def run_clients(srv, argvs, logdir, tag):
    """Run the client processes at once, the measured part of a scenario:
    (their outputs, wall seconds, the server tree's CPU seconds, the
    clients' CPU seconds, machine busy %)."""
    time.sleep(0.5)
    cpu0, (busy0, all0) = tree_cpu(srv.proc.pid), machine_cpu()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.time()
    procs = [subprocess.Popen(a, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
             for a in argvs]
    outs = []
    for p in procs:
        try:
            out, _ = p.communicate(timeout=max(t0 + DURATION + 30 -
                                               time.time(), 1))
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
        outs.append((p.returncode, out))
    wall = time.time() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # the clients, reaped
    cli_cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    cpu1, (busy1, all1) = tree_cpu(srv.proc.pid), machine_cpu()
    with open(os.path.join(logdir, f'{tag}.log'), 'w') as f:
        f.write('\n'.join(o for _, o in outs))
    return outs, dict(wall=wall, srv_cpu_s=cpu1 - cpu0, cli_cpu=cli_cpu,
                      machine_busy_pct=100 * (busy1 - busy0) /
                      max(all1 - all0, 1e-9))


def result(m, reqs, nbytes, dur, errors, err_detail, p50_ms=None,
           p99_ms=None, **more):
    """The row of a measured run (m from run_clients)."""
    ncpu = os.cpu_count() or 1
    return dict(
        rps=reqs / dur, mbps=nbytes / dur / 1e6, p50_ms=p50_ms,
        p99_ms=p99_ms, errors=errors, err_detail=err_detail, requests=reqs,
        srv_cpu_s=m['srv_cpu_s'],
        cpu_us_req=m['srv_cpu_s'] / reqs * 1e6 if reqs else None,
        srv_cpu_pct=100 * m['srv_cpu_s'] / m['wall'] / ncpu,
        cli_cpu_us_req=m['cli_cpu'] / reqs * 1e6 if reqs else None,
        machine_busy_pct=m['machine_busy_pct'], **more)


def run_wrk(srv, sc, lua, logdir, tag):
    url, _ = url_of(srv, sc)
    base = ['wrk', '-t2', f'-c{sc["c"]}', '--timeout', '5s', '--latency',
            '-s', lua]
    if sc.get('hdr'):
        base += ['-H', sc['hdr']]
    if WARMUP > 0:
        subprocess.run(base + [f'-d{WARMUP}s', url], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=WARMUP + 30)
    outs, m = run_clients(srv, [base + [f'-d{DURATION}s', url]], logdir, tag)
    out = outs[0][1]
    line = [l for l in out.splitlines() if l.startswith('WRKJSON ')]
    if not line:
        return dict(error='wrk gave no result: ' + out[-300:])
    w = json.loads(line[0][8:])
    return result(m, w['requests'], w['bytes'], w['duration_us'] / 1e6,
                  sum(w[k] for k in w if k.startswith('err_')),
                  {k[4:]: w[k] for k in w if k.startswith('err_') and w[k]},
                  w['p50_us'] / 1e3, w['p99_us'] / 1e3)


def h2load_time(v):
    """h2load's '1.23ms' / '456us' / '1.2s' in ms."""
    n = float(re.match(r'[\d.]+', v).group())
    return n / 1000 if v.endswith('us') else n * 1000 \
        if v.endswith('s') and not v.endswith('ms') else n


def h2load_argv(sc, url):
    return ['h2load', f'-t{min(2, sc["c"])}', f'-c{sc["c"]}', f'-m{sc["m"]}',
            url]


def run_h2load(srv, sc, logdir, tag):
    """h2load for DURATION s (-D); it reports no percentiles, only the
    mean time per request, shown in the p50 column with a note."""
    url, _ = url_of(srv, sc)
    base = h2load_argv(sc, url)
    if WARMUP > 0:
        subprocess.run(base + ['-D', str(WARMUP)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=WARMUP + 30)
    outs, m = run_clients(srv, [base + ['-D', str(DURATION)]], logdir, tag)
    out = outs[0][1]
    fin = re.search(r'finished in ([\d.]+)s', out)
    req = re.search(r'requests: (\d+) total, \d+ started, (\d+) done, '
                    r'(\d+) succeeded, (\d+) failed, (\d+) errored, '
                    r'(\d+) timeout', out)
    codes = re.search(r'status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, '
                      r'(\d+) 5xx', out)
    traffic = re.search(r'traffic: \S+ \((\d+)\) total', out)
    tfr = re.search(r'time for request:\s+(\S+)\s+(\S+)\s+(\S+)', out)
    if not (fin and req and codes and traffic and tfr):
        return dict(error='h2load gave no result: ' + out[-300:])
    done = int(req.group(2))
    detail = dict(failed=int(req.group(4)), errored=int(req.group(5)),
                  timeout=int(req.group(6)),
                  non2xx=sum(int(codes.group(i)) for i in (2, 3, 4)))
    return result(m, done, int(traffic.group(1)), float(fin.group(1)),
                  sum(detail.values()), {k: v for k, v in detail.items() if v},
                  mean_ms=h2load_time(tfr.group(3)))


def run_s_time(srv, sc, logdir, tag):
    """S_TIME openssl s_time -reuse processes for DURATION s, each a
    connection after another (handshake resumed, GET, close).  s_time
    prints a character per connection: 'r' when the session was resumed."""
    url, port = url_of(srv, sc)
    argv = ['openssl', 's_time', '-connect', f'127.0.0.1:{port}', '-www',
            sc['path'], '-reuse', '-time', str(DURATION)]
    outs, m = run_clients(srv, [argv] * S_TIME, logdir, tag)
    n = resumed = failed = 0
    for rc, out in outs:
        got = re.findall(r'(\d+) connections in [\d.]+ real seconds', out)
        if rc != 0 or not got:
            failed += 1
            continue
        n += int(got[-1])
        marks = out.partition('starting\n')[2].partition('\n\n')[0]
        resumed += marks.count('r')
    if not n:
        return dict(error='s_time gave no result: ' + outs[0][1][-300:])
    return result(m, n, n * SIZES[sc['path']], m['wall'], failed,
                  {'s_time_failed': failed} if failed else {},
                  resumed_pct=100 * resumed / n)


# --- idle connections -----------------------------------------------------------

H2_PREFACE = b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'


def h2_frame(ftype, flags, sid, payload=b''):
    return struct.pack('>I', len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack('>I', sid) + payload


# GET https://127.0.0.1/index.html as an HPACK block of static-table
# references only (RFC 7541 appendix A): :method GET (2), :scheme https
# (7), :path and :authority as literals named by index 4 and 1.
H2_GET = bytes([0x82, 0x87, 0x04, 11]) + b'/index.html' + \
    bytes([0x01, 9]) + b'127.0.0.1'
H2_REQ = H2_PREFACE + h2_frame(4, 0, 0) + h2_frame(1, 0x5, 1, H2_GET)
H1_REQ = b'GET /index.html HTTP/1.1\r\nHost: b\r\n\r\n'


class IdleConn:
    """One connection of an idle scenario: connect, TLS handshake (modes
    'tls', 'h2'), one request, its whole answer, then nothing."""

    def __init__(self, mode, port, ctx):
        self.mode, self.ctx, self.buf = mode, ctx, b''
        self.out = H2_REQ if mode == 'h2' else H1_REQ
        self.state, self.ok = 'connect', False
        self.sock = socket.socket()
        self.sock.setblocking(False)
        self.sock.connect_ex(('127.0.0.1', port))

    def step(self, sel, ev):
        """Advance on an event; False once finished (answered or failed)."""
        try:
            if self.state == 'connect':
                if self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    return False
                if self.ctx:
                    sel.unregister(self.sock)
                    self.sock = self.ctx.wrap_socket(
                        self.sock, server_hostname='localhost',
                        do_handshake_on_connect=False)
                    sel.register(self.sock, selectors.EVENT_WRITE, self)
                    self.state = 'handshake'
                else:
                    self.state = 'send'
            if self.state == 'handshake':
                self.sock.do_handshake()
                self.state = 'send'
            if self.state == 'send':
                self.out = self.out[self.sock.send(self.out):]
                if self.out:
                    return True
                self.state = 'read'
                sel.modify(self.sock, selectors.EVENT_READ, self)
                return True
            b = self.sock.recv(65536)
        except ssl.SSLWantReadError:
            sel.modify(self.sock, selectors.EVENT_READ, self)
            return True
        except ssl.SSLWantWriteError:
            sel.modify(self.sock, selectors.EVENT_WRITE, self)
            return True
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            return False
        if not b:
            return False
        self.buf += b
        self.ok = self.h2_done() if self.mode == 'h2' else self.h1_done()
        return not self.ok

    def h1_done(self):
        h, sep, body = self.buf.partition(b'\r\n\r\n')
        return bool(sep) and len(body) >= SIZES['/index.html']

    def h2_done(self):
        """True at END_STREAM of stream 1; the server's SETTINGS acked."""
        while len(self.buf) >= 9:
            n = int.from_bytes(self.buf[:3], 'big')
            if len(self.buf) < 9 + n:
                break
            ftype, flags = self.buf[3], self.buf[4]
            sid = int.from_bytes(self.buf[5:9], 'big') & 0x7fffffff
            self.buf = self.buf[9 + n:]
            if ftype == 4 and not flags & 1:
                self.sock.send(h2_frame(4, 1, 0))
            if sid == 1 and ftype in (0, 1) and flags & 1:
                return True
        return False

    def alive(self):
        """Still open: nothing to read (an EOF or a GOAWAY would be)."""
        p = select.poll()
        p.register(self.sock.fileno(), select.POLLIN | select.POLLRDHUP)
        return not p.poll(0)


def run_idle(srv, n, mode):
    """Hold n keep-alive connections, each after one answered request
    (mode 'h1', 'tls': HTTP/1.1 over TLS, 'h2': HTTP/2 over TLS); report
    the server tree's RSS growth per connection."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    n = min(n, hard - 200)
    ctx = None
    if mode != 'h1':
        ctx = client_tls()
        ctx.set_alpn_protocols(['h2'] if mode == 'h2' else ['http/1.1'])
    port = srv.ports['http' if mode == 'h1' else 'tls']
    rss0 = tree_rss(srv.proc.pid)
    sel = selectors.DefaultSelector()
    conns, ok = [], 0
    batch = 500 if mode == 'h1' else 100  # handshakes cost CPU
    deadline = time.time() + 120
    try:
        for i in range(n):
            try:
                c = IdleConn(mode, port, ctx)
            except OSError:
                break
            conns.append(c)
            sel.register(c.sock, selectors.EVENT_WRITE, c)
            if len(conns) % batch == 0:
                pump(sel, time.time() + 10, 0)
        pump(sel, deadline, 1)
        time.sleep(1)
        rss1 = tree_rss(srv.proc.pid)
        ok = sum(c.ok for c in conns)
        alive = sum(c.ok and c.alive() for c in conns)
    finally:
        for c in conns:
            c.sock.close()
    return dict(conns=len(conns), answered=ok, alive=alive,
                rss_delta_mib=(rss1 - rss0) / 2**20,
                bytes_per_conn=(rss1 - rss0) / max(alive, 1))


def pump(sel, deadline, drain):
    """Drive the connections until each is answered or failed (drain), or
    until nothing moves for 0.2 s."""
    while sel.get_map() and time.time() < deadline:
        evs = sel.select(0.2)
        if not evs and not drain:
            break
        for key, ev in evs:
            c = key.data
            if not c.step(sel, ev):
                try:
                    sel.unregister(c.sock)
                except (KeyError, ValueError):
                    pass


# --- report ---------------------------------------------------------------------

def fmt(v, nd=0, unit=''):
    if v is None:
        return '–'
    return f'{v:,.{nd}f}{unit}'


def report(rows, servers, notes):
    out = ['| scenario | server | req/s | MB/s | p50 ms | p99 ms | errors '
           '| srv CPU µs/req | client CPU µs/req | req/s vs base '
           '| CPU/req vs base |',
           '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
    for sid in [s for s in ORDER if s in SCENARIOS]:
        for r in [r for r in rows if r['scenario'] == sid]:
            if 'idle' in SCEN[sid]:
                what = SCEN[sid]['desc'].split(':')[0]
                out.append(f'| {sid}: {int(r["conns"])} {what} | {r["server"]} '
                           f'| – | – | – | – | {int(r["conns"] - r["alive"])} '
                           f'| – | – | RSS +{r["rss_delta_mib"]:.1f} MiB = '
                           f'{r["bytes_per_conn"]:,.0f} B/conn | '
                           f'{fmt(r.get("rss_vs_base"), 2, "x")} |')
                continue
            p50 = fmt(r['p50_ms'], 2) if r.get('mean_ms') is None else \
                f'mean {r["mean_ms"]:.2f}'
            desc = SCEN[sid]['desc'] + (
                f' ({r["resumed_pct"]:.0f}% resumed)' if 'resumed_pct' in r
                else '')
            out.append(
                f'| {sid}: {desc} | {r["server"]} | '
                f'{fmt(r["rps"])} | {fmt(r["mbps"], 1)} | '
                f'{p50} | {fmt(r["p99_ms"], 2)} | '
                f'{fmt(r["errors"])} | {fmt(r["cpu_us_req"], 1)} | '
                f'{fmt(r.get("cli_cpu_us_req"), 1)} | '
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

def make_cert(top):
    """One self-signed ECDSA P-256 certificate for localhost and
    127.0.0.1, made now, shared by every server: (certificate, key)."""
    d = os.path.join(top, 'tls')
    os.makedirs(d, exist_ok=True)
    cert, key = os.path.join(d, 'cert.pem'), os.path.join(d, 'key.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
                    'ec_paramgen_curve:P-256', '-nodes', '-keyout', key,
                    '-out', cert, '-days', '30', '-subj', '/CN=localhost',
                    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
                   check=True, capture_output=True)
    return cert, key


def tls_params(srv):
    """What a default client gets from srv: version, cipher, ALPN."""
    ctx = client_tls()
    ctx.set_alpn_protocols(['h2', 'http/1.1'])
    try:
        with socket.create_connection(('127.0.0.1', srv.ports['tls']),
                                      timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname='localhost') as t:
                return f'{t.version()} {t.cipher()[0]}, ALPN ' \
                    f'{t.selected_alpn_protocol()}'
    except OSError as e:
        return f'no handshake ({e})'


def preflight(srv, sid):
    """(why srv cannot take part in sid, or None; a note).  why is True
    when it lacks the feature.  Each URL is fetched once and must give the
    whole file (the encoding scenarios a body that decodes to it)."""
    sc = SCEN[sid]
    if not sc.get('needs', set()) <= srv.spec['features']:
        return True, None
    if 'path' not in sc:
        return None, None
    want = SIZES.get(sc['path'])
    url, port = url_of(srv, sc)
    if sc.get('tool') == 'h2load':
        try:
            out = subprocess.run(h2load_argv(dict(sc, c=1, m=1), url) +
                                 ['-n', '2'], capture_output=True, text=True,
                                 timeout=30).stdout
        except subprocess.TimeoutExpired:
            out = 'timed out'
        proto = re.search(r'Application protocol: (\S+)', out)
        if not proto or proto.group(1) not in ('h2', 'h2c') or \
                '2 succeeded' not in out or ' 2 2xx' not in out:
            return f'h2load {url}: ' + (out.strip().splitlines() or
                                        ['nothing'])[-1], None
        return None, None
    try:
        st, body = http_get(port, sc['path'], tls=url.startswith('https'))
    except OSError as e:
        return f'{url}: {e}', None
    if st != 200 or (want and len(body) != want) or \
            (sid == 'f' and b'method=GET' not in body):
        return f'{url} gave {st}, {len(body)} bytes', None
    if 'Accept-Encoding' in sc.get('hdr', ''):
        coding, got = http_get_coded(port, sc['path'], sc['hdr'])
        if coding is None or got != body:
            return f'{sc["path"]} not compressed right ({coding}: ' \
                f'{got if coding is None else "differs"})', None
        return None, f'{sid}: {coding}'
    return None, None


def main():
    for s in SCENARIOS:
        if s not in SCEN:
            sys.exit(f'unknown scenario {s} (known: {" ".join(ORDER)})')
    for tool, pkg in (('wrk', 'wrk'), ('h2load', 'nghttp2-client'),
                      ('openssl', 'openssl')):
        want = {SCEN[x].get('tool', 'wrk') for x in SCENARIOS
                if 'idle' not in SCEN[x]}
        if tool == 'openssl':
            want = {'openssl'}  # the certificate
        if tool in want and not shutil.which(tool):
            sys.exit(f'{tool} is missing: apt-get install {pkg}')
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

    cert = make_cert(top)
    table = server_table()
    servers = [Server(n, s, docroot, top, cert) for n, s in table.items()]
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
            if 'tls' in s.spec['features'] and \
                    any('tls' in SCEN[x].get('needs', ()) for x in SCENARIOS):
                notes.append(f'{s.name} TLS: {tls_params(s)}')
            for sid in SCENARIOS:
                why, note = preflight(s, sid)
                if why:
                    skip.add((sid, s.name))
                    if why is not True:
                        notes.append(f'{s.name}: {why}: {sid} left out')
                if note:
                    notes.append(f'{s.name} {note}')
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
                        sc, tag = SCEN[sid], f'{sid}-{s.name}-{rnd}'
                        tool = sc.get('tool', 'wrk')
                        if 'idle' in sc:
                            # a fresh server: memory freed by the scenarios
                            # before would be reused and hide the growth
                            s.stop()
                            s.start()
                            time.sleep(1)  # start-up settles (h2o frees)
                            r = run_idle(s, IDLE_CONNS if sc['idle'] == 'h1'
                                         else IDLE_TLS_CONNS, sc['idle'])
                        elif tool == 'h2load':
                            r = run_h2load(s, sc, logdir, tag)
                        elif tool == 's_time':
                            r = run_s_time(s, sc, logdir, tag)
                        else:
                            r = run_wrk(s, sc, lua, logdir, tag)
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
