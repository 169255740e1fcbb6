"""One TLS 1.3 record through OpenSSL's SSL_write/SSL_read against the compiled record layer
(csrc/fo_tls13.h, what fastorder's link runs after the handshake), same connection, same keys, each suite.

    python bench/tls_records.py                  # ns per call, median of 5 interleaved rounds
    python bench/tls_records.py --callgrind      # instructions per call instead (deterministic; needs valgrind)
    python bench/tls_records.py --round-trips    # fastorder's whole client per HTTP round trip, under callgrind
    python bench/tls_records.py --server-share   # the server's instructions per request, TLS vs plaintext

Compiles bench/c/tls_records.c against the system OpenSSL (needs a C compiler and OpenSSL 3 headers): a real
handshake between a client and a server SSL over memory BIOs, the client's traffic secrets to a fo_tls13
through the key log callback, then SSL_write vs seal of a --size byte record (an order-sized request) and
SSL_read vs open of the server's records of the same size.  With --callgrind each call's instructions are
read from callgrind's inclusive counts of the (not inlined) bench_* wrappers.

--round-trips counts what the records cost the whole client: fastorder's HTTP client (await Future, an
order-sized POST) against bench/c/tls13_http_server.c, plaintext, TLS 1.3 with OpenSSL's records
(``TlsConfig(record_layer="openssl")``) and with the compiled record layer, each run under callgrind for
--rt-lo and --rt-hi round trips; instructions per round trip = the difference / (hi - lo), so start-up and the
handshake cancel out.  Deterministic, so it holds on a loaded machine where CPU time per round trip does not.

--server-share counts the other side: the server's instructions per request, plaintext and TLS 1.3, with each
server under callgrind (counters zeroed before and dumped after each client run, ``callgrind_control``):
nginx (one process, ``master_process off``, TLS through OpenSSL's own records) and bench/c/tls13_http_server.c
(the compiled record layer), driven by fastorder's client (--rt-lo and --rt-hi round trips, itself under
callgrind too) and by ``wrk -t1 -c1`` (--wrk-lo and --wrk-hi seconds; its own count with it).  With one
request in flight the server's extra TLS work is on the round trip's path (all of it but what it does after
sending the reply), and no client can remove it: this is the share of a TLS p50 difference that belongs to
the server.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SUITES = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]
CALLS = [("SSL_write", "bench_ssl_write"), ("seal", "bench_seal"), ("SSL_read", "bench_ssl_read"),
         ("open", "bench_open")]


def build(work: str) -> str:
    exe = os.path.join(work, "tls_records")
    subprocess.run(["cc", "-O2", "-Wall", "-I", os.path.join(ROOT, "csrc"), "-o", exe,
                    os.path.join(HERE, "c", "tls_records.c"), "-lssl", "-lcrypto"], check=True)
    return exe


def cert(work: str, san: bool = False) -> tuple[str, str]:
    c, k = os.path.join(work, "c.pem"), os.path.join(work, "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", k, "-out", c, "-days", "2", "-subj", "/CN=localhost"]
                   + (["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"] if san else []),
                   check=True, capture_output=True)
    return c, k


def timed(exe: str, c: str, k: str, suite: str, size: int, n: int) -> dict[str, float]:
    out = subprocess.run([exe, c, k, suite, str(size), str(n)], check=True, capture_output=True, text=True).stdout
    return {line.split()[0]: float(line.split()[1]) for line in out.splitlines() if not line.startswith("cipher")}


def callgrind(exe: str, c: str, k: str, suite: str, size: int, n: int, work: str) -> dict[str, float]:
    f = os.path.join(work, f"cg.{suite}")
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={f}", exe, c, k, suite, str(size), str(n)],
                   check=True, capture_output=True)
    ann = subprocess.run(["callgrind_annotate", "--inclusive=yes", f], check=True, capture_output=True,
                         text=True).stdout
    res = {}
    for name, fn in CALLS:
        m = re.search(r"^\s*([\d,]+) \([^)]*\)\s+\?\?\?:" + fn + r" ", ann, re.M)
        res[name] = int(m.group(1).replace(",", "")) / (5 * n) if m else float("nan")
    return res


def client(port: int, n: int, mode: str, cafile: str) -> None:
    """--run-client: ``n`` POST round trips (plaintext, or TLS with ``mode`` as the record layer)."""
    import ssl

    import uvloop  # as the transport benchmarks run their clients

    from fastorder.transport import HttpTemplate, open_http
    from fastorder.transport.tls import TlsConfig

    async def run() -> None:
        if mode == "plaintext":
            c = await open_http("127.0.0.1", port, tls=False)
        else:
            cfg = TlsConfig(ssl.create_default_context(cafile=cafile), record_layer=mode)
            c = await open_http("127.0.0.1", port, tls=cfg, server_hostname="localhost")
            assert c.tls["records"] == mode, c.tls
        tpl = HttpTemplate("POST", "/order", "x", [("Content-Type", "application/x-www-form-urlencoded")])
        body = b"a" * 200
        for _ in range(n):
            r = await c.send(tpl, None, body)
            assert r.status == 200
        c.close()

    uvloop.run(run())


def round_trips(work: str, lo: int, hi: int) -> None:
    import socket
    import time

    c, k = cert(work, san=True)
    srv = os.path.join(work, "tls13_http_server")
    subprocess.run(["cc", "-O2", "-Wall", "-I", os.path.join(ROOT, "csrc"), "-o", srv,
                    os.path.join(HERE, "c", "tls13_http_server.c"), "-lssl", "-lcrypto"], check=True)
    ports = {}
    procs = []
    for mode in ("plaintext", "tls"):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports[mode] = s.getsockname()[1]
        procs.append(subprocess.Popen([srv, str(ports[mode]), '{"ok":1}'] + ([c, k] if mode == "tls" else [])))
    time.sleep(0.3)
    try:
        print(f"| client | instructions per round trip | vs plaintext |  (callgrind, ({hi} - {lo} round trips) / "
              f"{hi - lo})")
        print("|---|---:|---:|")
        base = None
        for mode in ("plaintext", "openssl", "compiled"):
            port = ports["plaintext" if mode == "plaintext" else "tls"]
            counts = []
            for n in (lo, hi):
                f = os.path.join(work, f"cg.rt.{mode}.{n}")
                r = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={f}", sys.executable,
                                    __file__, "--run-client", mode, "--port", str(port), "--n", str(n),
                                    "--cafile", c], check=True, capture_output=True, text=True)
                counts.append(int(re.search(r"Collected : (\d+)", r.stderr).group(1)))
            per = (counts[1] - counts[0]) / (hi - lo)
            base = per if base is None else base
            name = {"plaintext": "plaintext", "openssl": "TLS 1.3, OpenSSL records",
                    "compiled": "TLS 1.3, compiled records"}[mode]
            print(f"| {name} | {per:,.0f} | {per - base:+,.0f} |")
            sys.stdout.flush()
    finally:
        for p in procs:
            p.kill()
            p.wait()


def _callgrind_total(path: str) -> int:
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


class _CountedServer:
    """A server process under callgrind whose instructions are counted over each client run."""

    def __init__(self, cmd: list[str], work: str, name: str) -> None:
        self.out = os.path.join(work, f"cg.srv.{name}")
        self.proc = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={self.out}"] + cmd,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.dumps = 0

    def count(self, run) -> tuple[int, object]:
        """(the server's instructions while ``run()`` ran, what it returned)."""
        subprocess.run(["callgrind_control", "-z", str(self.proc.pid)], check=True, capture_output=True)
        res = run()
        subprocess.run(["callgrind_control", "-d", str(self.proc.pid)], check=True, capture_output=True)
        self.dumps += 1
        return _callgrind_total(f"{self.out}.{self.dumps}"), res

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def server_share(work: str, lo: int, hi: int, wrk_lo: int, wrk_hi: int) -> None:
    import shutil

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from transport_common import free_port as port
    from transport_common import wait_port

    def wait(p: int, srv: _CountedServer) -> None:
        wait_port(p, srv.proc, timeout=30.0)   # valgrind starts slowly

    c, k = cert(work, san=True)
    reply = '{"ok":1}'
    body = "a" * 200
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    pp, tp = port(), port()
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""{"user root;" if os.geteuid() == 0 else ""}
master_process off; worker_processes 1; daemon off; pid {work}/nginx.pid; error_log {work}/error.log warn;
events {{ worker_connections 16; }}
http {{
    access_log off; keepalive_requests 10000000; keepalive_timeout 300s; ssl_protocols TLSv1.3;
    client_body_temp_path {work}/b; proxy_temp_path {work}/p; fastcgi_temp_path {work}/f;
    uwsgi_temp_path {work}/u; scgi_temp_path {work}/s;
    server {{
        listen 127.0.0.1:{pp}; listen 127.0.0.1:{tp} ssl; ssl_certificate {c}; ssl_certificate_key {k};
        location = /order {{ default_type application/json; return 200 '{reply}'; }}
    }}
}}
""")
    lua = os.path.join(work, "post.lua")
    with open(lua, "w") as f:
        f.write(f'wrk.method = "POST"\nwrk.body = "{body}"\n'
                'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n')
    csrv = os.path.join(work, "tls13_http_server")
    subprocess.run(["cc", "-O2", "-Wall", "-I", os.path.join(ROOT, "csrc"), "-o", csrv,
                    os.path.join(HERE, "c", "tls13_http_server.c"), "-lssl", "-lcrypto"], check=True)

    def fastorder(mode: str, p: int, n: int) -> int:
        f = os.path.join(work, f"cg.cl.{mode}.{n}")
        r = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={f}", sys.executable, __file__,
                            "--run-client", mode, "--port", str(p), "--n", str(n), "--cafile", c],
                           check=True, capture_output=True, text=True)
        return int(re.search(r"Collected : (\d+)", r.stderr).group(1))

    def wrk(url: str, seconds: int) -> tuple[int, int]:
        f = os.path.join(work, "cg.wrk")
        r = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={f}", "wrk", "-t1", "-c1",
                            f"-d{seconds}s", "-s", lua, url], check=True, capture_output=True, text=True)
        return (int(re.search(r"^\s*(\d+) requests in", r.stdout, re.M).group(1)),
                sum(int(x) for x in re.findall(r"Collected : (\d+)", r.stderr)))

    print("| server | client | server plaintext | server TLS | server +TLS | client plaintext | client TLS | "
          f"client +TLS |  (instructions per request, callgrind; fastorder: ({hi} - {lo}) round trips, wrk: "
          f"({wrk_hi} - {wrk_lo}) s)")
    print("|---|---|---:|---:|---:|---:|---:|---:|")

    def row(server: str, client: str, per: dict) -> None:
        (sp, cp), (st, ct) = per["plaintext"], per["tls"]
        print(f"| {server} | {client} | {sp:,.0f} | {st:,.0f} | {st - sp:+,.0f} | {cp:,.0f} | {ct:,.0f} | "
              f"{ct - cp:+,.0f} |")
        sys.stdout.flush()

    servers = [("nginx (OpenSSL records)", [nginx, "-p", work, "-c", conf], pp, tp, None),
               ("C server (compiled records)", [csrv, str(pp), reply], pp, None, [csrv, str(tp), reply, c, k])]
    for name, cmd, p_plain, p_tls, tls_cmd in servers:
        procs = [_CountedServer(cmd, work, f"{len(name)}a")]
        if tls_cmd:   # the C server: one process per port
            procs.append(_CountedServer(tls_cmd, work, f"{len(name)}b"))
            p_tls = tp
        try:
            wait(p_plain, procs[0])
            wait(p_tls, procs[-1])
            clients = [("fastorder, compiled records", "compiled"), ("fastorder, OpenSSL records", "openssl")]
            for cname, mode in clients + [("wrk -t1 -c1", None)]:
                per = {}
                for kind, p, srv in (("plaintext", p_plain, procs[0]), ("tls", p_tls, procs[-1])):
                    runs = []   # (server instructions, requests, client instructions), short run then long
                    if mode is None:
                        url = f"{'https' if kind == 'tls' else 'http'}://127.0.0.1:{p}/order"
                        for d in (wrk_lo, wrk_hi):
                            sc, (n, cc) = srv.count(lambda d=d, url=url: wrk(url, d))
                            runs.append((sc, n, cc))
                    else:
                        m = "plaintext" if kind == "plaintext" else mode
                        for n in (lo, hi):
                            sc, cc = srv.count(lambda n=n, m=m, p=p: fastorder(m, p, n))
                            runs.append((sc, n, cc))
                    (s0, n0, c0), (s1, n1, c1) = runs
                    per[kind] = ((s1 - s0) / (n1 - n0), (c1 - c0) / (n1 - n0))
                row(name, cname, per)
        finally:
            for s in procs:
                s.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=300)
    ap.add_argument("--n", type=int, default=20000, help="records per call kind per round (5 rounds)")
    ap.add_argument("--callgrind", action="store_true")
    ap.add_argument("--round-trips", action="store_true")
    ap.add_argument("--rt-lo", type=int, default=200)
    ap.add_argument("--rt-hi", type=int, default=1200)
    ap.add_argument("--server-share", action="store_true")
    ap.add_argument("--wrk-lo", type=int, default=2)
    ap.add_argument("--wrk-hi", type=int, default=6)
    ap.add_argument("--run-client", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--cafile", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.run_client:
        return client(a.port, a.n, a.run_client, a.cafile)
    work = tempfile.mkdtemp(prefix="fo_tls_records_")
    if a.round_trips:
        return round_trips(work, a.rt_lo, a.rt_hi)
    if a.server_share:
        return server_share(work, a.rt_lo, a.rt_hi, a.wrk_lo, a.wrk_hi)
    exe = build(work)
    c, k = cert(work)
    unit = "instructions" if a.callgrind else "ns"
    print(f"| suite | SSL_write | seal | SSL_read | open | OpenSSL write+read | compiled seal+open | ratio |  ({unit} per "
          f"{a.size} B record)")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for suite in SUITES:
        if a.callgrind:
            r = callgrind(exe, c, k, suite, a.size, min(a.n, 2000), work)
        else:
            r = timed(exe, c, k, suite, a.size, a.n)
        ossl, ours = r["SSL_write"] + r["SSL_read"], r["seal"] + r["open"]
        print(f"| {suite} | {r['SSL_write']:,.0f} | {r['seal']:,.0f} | {r['SSL_read']:,.0f} | {r['open']:,.0f} | "
              f"{ossl:,.0f} | {ours:,.0f} | {ours / ossl:.2f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
