"""HTTP keep-alive round-trip benchmark against nginx: fastorder vs aiohttp, httpx and requests, with C clients
(bench/c/fo_bench_peer.c and ``wrk -t1 -c1``) as the floor.

The request is an order-sized Binance-style POST (query-string body, X-MBX-APIKEY header); nginx answers
with a fixed order-sized JSON (``return 200``).  nginx (one worker) is pinned to --server-cpu, each client
runs in its own process pinned to --client-cpu; one request in flight.  Plaintext and TLS 1.3 rows (same
nginx, a throwaway self-signed certificate; wrk is the C floor for TLS) are interleaved in every round, and a
second table gives what TLS adds to each client from those side-by-side rows: the compiled TLS engine
(OpenSSL in fastorder's transport, the default, with its own TLS 1.3 record layer; "OpenSSL records": the
same engine with SSL_write/SSL_read for the records), the event loop's TLS transport ("loop TLS"), aiohttp,
wrk.

aiohttp is configured the common tuned way: one long-lived ClientSession with a
TCPConnector (keep-alive pool, DNS cache), ``session.post(url, data=..., headers=...)`` and ``await
resp.read()``.

`--gap MS` makes every client sporadic: an idle gap before each measured round trip (the Python clients sleep in
epoll, the C client in nanosleep; wrk cannot, so its rows are left out), and adds `place_order` rows: a
Binance REST session (fastorder.connect) against the same nginx, which serves the venue's start-up paths
(ping, time, the simulator's exchangeInfo) and a fixed order reply; cold, with keep_warm, and with
keep_warm_kernel. nginx sleeps in epoll between requests as it would anyway; every client meets it alike.

    python bench/transport_http.py --n 5000 --rounds 3
    python bench/transport_http.py --n 200 --rounds 3 --skip-slow --skip-loop-tls --gap 10
    python bench/transport_http.py --n 1000 --rounds 3 --skip-slow --c-server

--c-server adds a second suite against bench/c/tls13_http_server.c (plaintext and TLS 1.3 ports, pinned like
nginx), whose TLS records cost the server little (fastorder's compiled record layer after OpenSSL's
handshake): nginx's own TLS work (11-14 µs per round trip) is then not inside the TLS rows' p50 difference.

Server CPU: over each client's run the server process's CPU time (user and system, /proc/PID/task/*/schedstat:
nginx's worker, or the C server serving that row) is divided by the round trips the client made (warm-up
included).  With one request in flight that CPU time is on the round trip's path, but for what the server
does after sending its reply (nginx: a read that finds nothing yet), so the TLS table splits each TLS row's p50
difference into the server's share (its extra CPU per TLS round trip, which no client can remove: an upper
bound) and the rest (the client's share).  wrk's rows give the same split for a C client.  The same split in
instructions, which load does not move: bench/tls_records.py --server-share.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import transport_common as tc  # noqa: E402

APIKEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
BODY_LEN = 180
REPLY = ('{"symbol":"BTCUSDT","orderId":28,"orderListId":-1,"clientOrderId":"6gCrw2kRUAF9CvJDGP16IP",'
         '"transactTime":1507725176595,"price":"50000.00","origQty":"0.00100000","status":"NEW"}')


def body() -> bytes:
    return bytes(ord("a") + i % 26 for i in range(BODY_LEN))


# ---- clients -------------------------------------------------------------------------------------------


async def c_fastorder(host, port, n, mode, cafile, engine="compiled"):
    import ssl

    from fastorder.transport import HttpTemplate, open_http

    ctx = ssl.create_default_context(cafile=cafile) if cafile else False
    ctx, engine = tc.tls_for_engine(ctx, engine)
    conn = await open_http(host, port, tls=ctx, server_hostname="localhost" if cafile else None, tls_engine=engine)
    tpl = HttpTemplate("POST", "/order", f"{host}:{port}", [("X-MBX-APIKEY", APIKEY),
                                                           ("Content-Type", "application/x-www-form-urlencoded")])
    b = body()
    r = await conn.send(tpl, None, b)
    assert r.status == 200 and r.body == REPLY.encode()
    res = await tc.measure_mode(mode, n, lambda i: conn.send(tpl, None, b),
                                lambda i, cb: conn.send_cb(tpl, cb, None, b), conn.spin)
    conn.close()
    return res


async def c_aiohttp(host, port, n, mode, cafile):
    import ssl

    import aiohttp

    scheme = "https" if cafile else "http"
    ctx = ssl.create_default_context(cafile=cafile) if cafile else None
    url = f"{scheme}://{'localhost' if cafile else host}:{port}/order"
    conn = aiohttp.TCPConnector(limit=100, ttl_dns_cache=300, keepalive_timeout=60, ssl=ctx if ctx else False)
    headers = {"X-MBX-APIKEY": APIKEY, "Content-Type": "application/x-www-form-urlencoded"}
    b = body()
    async with aiohttp.ClientSession(connector=conn) as s:
        async def one(i):
            async with s.post(url, data=b, headers=headers) as r:
                return await r.read()

        return await tc.measure_await(n, one)


async def c_httpx(host, port, n, mode, cafile):
    import ssl

    import httpx

    scheme = "https" if cafile else "http"
    url = f"{scheme}://{'localhost' if cafile else host}:{port}/order"
    verify = ssl.create_default_context(cafile=cafile) if cafile else True
    headers = {"X-MBX-APIKEY": APIKEY, "Content-Type": "application/x-www-form-urlencoded"}
    b = body()
    async with httpx.AsyncClient(verify=verify) as c:
        async def one(i):
            r = await c.post(url, content=b, headers=headers)
            return r.content

        return await tc.measure_await(n, one)


def c_requests(host, port, n, mode, cafile):
    import requests

    scheme = "https" if cafile else "http"
    url = f"{scheme}://{'localhost' if cafile else host}:{port}/order"
    headers = {"X-MBX-APIKEY": APIKEY, "Content-Type": "application/x-www-form-urlencoded"}
    b = body()
    s = requests.Session()
    s.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment overrides verify=
    s.verify = cafile if cafile else True
    return tc.measure_blocking(n, lambda i: s.post(url, data=b, headers=headers).content)


async def c_place_order(host, port, n, mode, cafile, keep_warm=""):
    """`place_order` of a Binance REST session against nginx (which serves the venue's start-up paths and a
    fixed order reply), optionally with keep_warm ("on", "kernel"), and spin_us ("+spin" appended)."""
    import ssl

    import fastorder

    scheme = "https" if cafile else "http"
    kw: dict = dict(key=APIKEY, secret="s" * 64, url=f"{scheme}://{'localhost' if cafile else host}:{port}",
                    rate_limit=False, timeout=2.0)
    if cafile:
        kw["ssl_context"] = ssl.create_default_context(cafile=cafile)
    warm, _, spin = keep_warm.partition("+")
    if warm:
        kw.update(keep_warm=True, keep_warm_kernel=warm == "kernel")
    if spin:   # wait for each reply polling the socket, up to 2 ms (longer than any reply here takes)
        kw["spin_us"] = 2000
    client_ns = []

    async def one(i):
        ack = await s.place_order("BTCUSDT", "buy", "0.001", "46000", tif="IOC")
        client_ns.append(ack.latency.client_ns)

    async with fastorder.connect("binance", "rest", **kw) as s:
        lat, cpu = await tc.measure_await(n, one)
    # the session's own client part (the call to its bytes handed to the kernel) of the measured orders
    PLACE_EXTRA["client_part_p50_ns"] = sorted(client_ns[-n:])[n // 2]
    return lat, cpu


PLACE_EXTRA: dict = {}   # what the place_order client adds to its printed stats


CLIENTS = {"fastorder": c_fastorder, "aiohttp": c_aiohttp, "httpx": c_httpx, "requests": c_requests,
           "place_order": c_place_order}


def client_main(a) -> None:
    import uvloop

    fn = CLIENTS[a.run_client]
    tc.set_gap(a.gap / 1000)
    name = os.environ.get("FO_COMM")
    if name:   # a name of its own in kernel traces (bench/gap_split.py), where every Python process is "python"
        Path("/proc/self/comm").write_text(name[:15])
    if a.run_client == "place_order":
        lat, cpu = uvloop.run(fn("127.0.0.1", a.port, a.n, a.mode, a.cafile, a.keep_warm))
    elif a.run_client == "fastorder":
        lat, cpu = uvloop.run(fn("127.0.0.1", a.port, a.n, a.mode, a.cafile, a.tls_engine))
    elif asyncio.iscoroutinefunction(fn):
        lat, cpu = uvloop.run(fn("127.0.0.1", a.port, a.n, a.mode, a.cafile))
    else:
        lat, cpu = fn("127.0.0.1", a.port, a.n, a.mode, a.cafile)
    print(json.dumps(dict(tc.percentiles(lat, cpu), **PLACE_EXTRA)))


# ---- wrk ---------------------------------------------------------------------------------------------------


def wrk_cmd(url: str, seconds: int, script: Path) -> list[str]:
    return ["wrk", "-t1", "-c1", f"-d{seconds}s", "--latency", "-s", str(script), url]


def parse_wrk(text: str) -> dict:
    def us(v: str) -> float:
        m = re.match(r"([\d.]+)(us|ms|s)", v)
        x = float(m.group(1))
        return x * {"us": 1e3, "ms": 1e6, "s": 1e9}[m.group(2)]

    dist = dict(re.findall(r"^\s+(\d+)%\s+(\S+)", text, re.M))
    lat = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", text)
    reqs = int(re.search(r"(\d+) requests in", text).group(1))
    # wrk prints 50/75/90/99; it has no p99.9.  "max" is wrk's own Max column; mean is its Avg.
    return {"n": reqs, "p50": us(dist["50"]), "p90": us(dist["90"]), "p99": us(dist["99"]), "p999": us(dist["99"]),
            "max": us(lat.group(3)), "mean": us(lat.group(1)), "cpu_ns": 0}


# ---- nginx -------------------------------------------------------------------------------------------------


ORDER_REPLY = ('{"symbol":"BTCUSDT","orderId":28,"orderListId":-1,"clientOrderId":"6gCrw2kRUAF9CvJDGP16IP",'
               '"transactTime":1507725176595,"price":"46000.00","origQty":"0.00100000","executedQty":"0.00000000",'
               '"cummulativeQuoteQty":"0.00000000","status":"EXPIRED","timeInForce":"IOC","type":"LIMIT",'
               '"side":"BUY","workingTime":1507725176595,"fills":[],"selfTradePreventionMode":"NONE"}')


def exchange_info(work: Path) -> Path:
    """The simulator's Binance exchangeInfo document, for nginx to serve to a session's start-up."""
    import urllib.request

    from fastorder.sim import SimulatorProcess

    with SimulatorProcess(venues=("binance",)) as sim:
        with urllib.request.urlopen(sim.urls["binance"]["rest"] + "/api/v3/exchangeInfo", timeout=10) as r:  # loopback
            (work / "exchangeInfo.json").write_bytes(r.read())
    return work / "exchangeInfo.json"


def start_nginx(work: Path, port: int, tls_port: int, cert: Path, key: Path, cpu: int) -> subprocess.Popen:

    user = "user root;" if os.geteuid() == 0 else ""
    conf = f"""
{user}
worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {work}/body; proxy_temp_path {work}/proxy; fastcgi_temp_path {work}/fcgi;
    uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
    keepalive_requests 10000000; keepalive_timeout 300s;
    ssl_protocols TLSv1.3;
    server {{
        listen 127.0.0.1:{port};
        listen 127.0.0.1:{tls_port} ssl;
        ssl_certificate {cert}; ssl_certificate_key {key};
        location = /order {{ default_type application/json; return 200 '{REPLY}'; }}
        location = /api/v3/order {{ default_type application/json; return 200 '{ORDER_REPLY}'; }}
        location = /api/v3/ping {{ default_type application/json; return 200 '{{}}'; }}
        location = /api/v3/time {{ default_type application/json; return 200 '{{"serverTime":1765000000000}}'; }}
        location = /api/v3/exchangeInfo {{ default_type application/json; alias {work}/exchangeInfo.json; }}
    }}
}}
"""
    (work / "nginx.conf").write_text(conf)
    nginx = tc.which_nginx()
    if not nginx:
        sys.exit("nginx not found: apt-get install nginx-light")
    return subprocess.Popen(tc.SCHED_PREFIX + ["taskset", "-c", str(cpu), nginx, "-p", str(work), "-c", str(work / "nginx.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_rounds(a, clients: dict, lua: Path | None = None, server_pids=None) -> dict:
    """``a.rounds`` rounds of every client in turn (interleaved); the summary of each client's rounds.
    ``server_pids(name)``: the processes serving that client, whose CPU time per round trip is measured over
    its run (``srv_ns``)."""
    rounds = {k: [] for k in clients}
    for r in range(a.rounds):
        for name, cmd in clients.items():
            pids = server_pids(name) if server_pids else []
            if cmd[0] == "wrk":
                def run(cmd=cmd):
                    res = subprocess.run(["taskset", "-c", str(a.client_cpu)] + wrk_cmd(cmd[1], a.wrk_seconds, lua),
                                         capture_output=True, text=True, check=True)
                    return parse_wrk(res.stdout)

                rounds[name].append(tc.with_server_cpu(pids, run, lambda res: res["n"]))
            else:
                rounds[name].append(tc.with_server_cpu(
                    pids, lambda cmd=cmd: tc.run_client(cmd, a.client_cpu, gap_s=a.gap / 1000),
                    lambda res: res["n"] + tc.warm_up(res["n"])))
            print(f"  round {r + 1} {name}: p50 {rounds[name][-1]['p50'] / 1000:.1f} µs", file=sys.stderr)
    return tc.summarize(rounds)


def c_server_suite(a, work: Path, peer: Path, cert: Path, key: Path) -> list[str]:
    """The same clients against bench/c/tls13_http_server.c, plaintext and TLS 1.3, whose TLS (the compiled
    record layer after OpenSSL's handshake) costs the server little: the TLS rows' p50 differences are then
    mostly the client's.  Markdown lines."""
    exe = work / "tls13_http_server"
    subprocess.run(["cc", "-O2", "-Wall", "-I", str(Path(__file__).resolve().parent.parent / "csrc"), "-o", str(exe),
                    str(Path(__file__).resolve().parent / "c" / "tls13_http_server.c"), "-lssl", "-lcrypto"],
                   check=True)
    def py(name, p, mode="future", cafile=None, engine="compiled"):
        return tc.self_cmd("transport_http.py", "--run-client", name, "--port", str(p), "--n", str(a.n), "--mode", mode,
                           "--tls-engine", engine, "--gap", str(a.gap)) + (["--cafile", cafile] if cafile else [])

    port, tls_port = tc.free_port(), tc.free_port()
    servers = [subprocess.Popen(tc.SCHED_PREFIX + ["taskset", "-c", str(a.server_cpu), str(exe), str(p), REPLY] + extra)
               for p, extra in ((port, []), (tls_port, [str(cert), str(key)]))]
    try:
        tc.wait_port(port, servers[0])
        tc.wait_port(tls_port, servers[1])
        ca = str(cert)
        clients = {
            "C client (floor)": [str(peer), "http-client", str(port), str(a.n), "/order", str(BODY_LEN)],
            "fastorder (await Future)": py("fastorder", port),
            "fastorder (await Future), TLS": py("fastorder", tls_port, cafile=ca),
            "fastorder (await Future), TLS, OpenSSL records": py("fastorder", tls_port, cafile=ca,
                                                                  engine="openssl-records"),
            "fastorder (callback)": py("fastorder", port, "cb"),
            "fastorder (callback), TLS": py("fastorder", tls_port, "cb", cafile=ca),
            "fastorder (callback), TLS, OpenSSL records": py("fastorder", tls_port, "cb", cafile=ca,
                                                             engine="openssl-records"),
            "fastorder spin()": py("fastorder", port, "spin"),
            "fastorder spin(), TLS": py("fastorder", tls_port, "spin", cafile=ca),
        }
        # the TLS rows are served by the TLS server process, the others by the plaintext one
        summary = run_rounds(a, clients, server_pids=lambda name: [servers[1 if "TLS" in name else 0].pid])
    finally:
        for s in servers:
            tc.stop(s)
    t = tc.table(summary, {"C client (floor)": "C"}, "HTTP/1.1 keep-alive POST round trip, the C server "
                 "(bench/c/tls13_http_server.c), plaintext and TLS 1.3 rows interleaved")
    cost = tc.tls_cost(summary, [
        ("fastorder (await Future), TLS", "fastorder (await Future)"),
        ("fastorder (callback), TLS", "fastorder (callback)"),
        ("fastorder spin(), TLS", "fastorder spin()"),
        ("fastorder (await Future), TLS, OpenSSL records", "fastorder (await Future)"),
        ("fastorder (callback), TLS, OpenSSL records", "fastorder (callback)")])
    print(t + "\n\n" + cost + "\n")
    return [t, "", "**What TLS costs against the C server, same run**", "", cost, ""]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--client-cpu", type=int, default=1)
    ap.add_argument("--wrk-seconds", type=int, default=3)
    ap.add_argument("--skip-slow", action="store_true", help="skip httpx and requests")
    ap.add_argument("--markdown", type=Path)
    ap.add_argument("--run-client")
    ap.add_argument("--mode", default="future")
    ap.add_argument("--port", type=int)
    ap.add_argument("--cafile")
    ap.add_argument("--tls-engine", default="compiled")
    ap.add_argument("--skip-loop-tls", action="store_true", help="skip the rows with the loop's TLS transport")
    ap.add_argument("--gap", type=float, default=0.0, metavar="MS",
                    help="sporadic: an idle gap of MS milliseconds before each measured round trip (every client, "
                         "the C one too; wrk cannot, so its rows are left out); adds place_order rows (a Binance "
                         "REST session against nginx) cold, with keep_warm and with keep_warm_kernel")
    ap.add_argument("--keep-warm", default="")
    ap.add_argument("--c-server", action="store_true",
                    help="also a suite against bench/c/tls13_http_server.c, a server whose TLS costs little")
    ap.add_argument("--c-server-only", action="store_true", help="only the --c-server suite (no nginx)")
    ap.add_argument("--fifo", type=int, default=0, metavar="PRIO",
                    help="run nginx and every client SCHED_FIFO at PRIO (chrt, root): other work on the machine "
                         "no longer delays their wake-ups")
    a = ap.parse_args()
    tc.set_fifo(a.fifo)
    if a.run_client:
        return client_main(a)

    work = tc.tmpdir()
    peer = tc.build_peer(work)
    cert, key = tc.self_signed_cert(work)
    if a.c_server_only:
        out = c_server_suite(a, work, peer, cert, key)
        if a.markdown:
            a.markdown.write_text("\n".join(out) + "\n")
        return
    exchange_info(work)
    lua = work / "post.lua"
    lua.write_text(f'wrk.method = "POST"\nwrk.body = "{body().decode()}"\n'
                   f'wrk.headers["X-MBX-APIKEY"] = "{APIKEY}"\n'
                   'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n')
    port, tls_port = tc.free_port(), tc.free_port()
    nginx = start_nginx(work, port, tls_port, cert, key, a.server_cpu)
    out = [f"Machine: {tc.machine()}", f"Command: `python bench/transport_http.py --n {a.n} --rounds {a.rounds}"
           f"{' --skip-slow' if a.skip_slow else ''}{f' --gap {a.gap:g}' if a.gap else ''}"
           f"{f' --fifo {a.fifo}' if a.fifo else ''}`; "
           f"nginx (1 worker) on CPU {a.server_cpu}, clients on CPU {a.client_cpu}; {a.rounds} interleaved rounds "
           f"× {a.n} round trips (wrk: {a.wrk_seconds} s per round), median over rounds.", ""]
    try:
        tc.wait_port(port, nginx)

        def py(name, p, mode="future", cafile=None, engine="compiled", keep_warm=""):
            cmd = tc.self_cmd("transport_http.py", "--run-client", name, "--port", str(p), "--n", str(a.n),
                              "--mode", mode, "--tls-engine", engine, "--gap", str(a.gap), "--keep-warm", keep_warm)
            return cmd + (["--cafile", cafile] if cafile else [])

        # One suite, plaintext and TLS rows interleaved round by round (same nginx, two ports), so the TLS
        # cost is read from rows measured side by side.
        ca = str(cert)
        c_cmd = [str(peer), "http-client", str(port), str(a.n), "/order", str(BODY_LEN)]
        clients = {
            "C client (floor)": c_cmd,
            "wrk -t1 -c1": ("wrk", f"http://127.0.0.1:{port}/order"),
            "wrk -t1 -c1, TLS": ("wrk", f"https://127.0.0.1:{tls_port}/order"),
            "fastorder (await Future)": py("fastorder", port),
            "fastorder (await Future), TLS": py("fastorder", tls_port, cafile=ca),
            "fastorder (callback)": py("fastorder", port, "cb"),
            "fastorder (callback), TLS": py("fastorder", tls_port, "cb", cafile=ca),
            "fastorder spin()": py("fastorder", port, "spin"),
            "fastorder spin(), TLS": py("fastorder", tls_port, "spin", cafile=ca),
            "C client, spinning": c_cmd + ["spin"],
            "fastorder (await Future), TLS, OpenSSL records": py("fastorder", tls_port, cafile=ca,
                                                                  engine="openssl-records"),
            "fastorder (callback), TLS, OpenSSL records": py("fastorder", tls_port, "cb", cafile=ca,
                                                             engine="openssl-records"),
        }
        if not a.skip_loop_tls:
            clients["fastorder (await Future), loop TLS"] = py("fastorder", tls_port, cafile=ca, engine="loop")
            clients["fastorder (callback), loop TLS"] = py("fastorder", tls_port, "cb", cafile=ca, engine="loop")
        clients["place_order"] = py("place_order", port)
        clients["place_order, keep_warm"] = py("place_order", port, keep_warm="on")
        clients["place_order, keep_warm +kernel"] = py("place_order", port, keep_warm="kernel")
        if a.gap:
            clients["place_order, spin_us"] = py("place_order", port, keep_warm="+spin")
            clients["place_order, keep_warm +kernel, spin_us"] = py("place_order", port, keep_warm="kernel+spin")
        clients["aiohttp"] = py("aiohttp", port)
        clients["aiohttp, TLS"] = py("aiohttp", tls_port, cafile=ca)
        if not a.skip_slow:
            clients["httpx (async)"] = py("httpx", port)
            clients["requests"] = py("requests", port)
        if a.gap:   # wrk has no idle gap between requests
            clients = {k: v for k, v in clients.items() if v[0] != "wrk"}
        workers = tc.children(nginx.pid)   # the one worker: nginx's master does no request work
        for _ in range(100):
            if workers:
                break
            time.sleep(0.02)
            workers = tc.children(nginx.pid)
        summary = run_rounds(a, clients, lua, server_pids=lambda name: workers)
        t = tc.table(summary, {"C client (floor)": "C", "wrk -t1 -c1": "wrk", "aiohttp": "aiohttp"},
                     "HTTP/1.1 keep-alive POST round trip, nginx, plaintext and TLS 1.3 rows interleaved")
        cost = tc.tls_cost(summary, [
            ("fastorder (await Future), TLS", "fastorder (await Future)"),
            ("fastorder (callback), TLS", "fastorder (callback)"),
            ("fastorder spin(), TLS", "fastorder spin()"),
            ("fastorder (await Future), TLS, OpenSSL records", "fastorder (await Future)"),
            ("fastorder (callback), TLS, OpenSSL records", "fastorder (callback)"),
            ("fastorder (await Future), loop TLS", "fastorder (await Future)"),
            ("fastorder (callback), loop TLS", "fastorder (callback)"),
            ("aiohttp, TLS", "aiohttp"), ("wrk -t1 -c1, TLS", "wrk -t1 -c1")], wrk="wrk -t1 -c1, TLS")
        print(t + "\n\n" + cost + "\n")
        out.extend([t, "", "**What TLS costs, same run** (TLS rows: compiled TLS unless named loop TLS)", "", cost, ""])
    finally:
        tc.stop(nginx)
    out.append("wrk reports 50/75/90/99 % only: its p99.9 column repeats p99, its CPU is not measured.")
    if a.c_server:
        out.extend([""] + c_server_suite(a, work, peer, cert, key))
    if a.markdown:
        a.markdown.write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
