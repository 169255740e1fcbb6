"""fastorder's own cost per order, without I/O: `Session.place_order` end to end — validation, encoding,
signing, the transport's request path, the reply's HTTP/WS parse, the venue reply handling, the Ack, the
latency recording — with every byte kept in the process.

Each session is opened against the in-process simulator (plaintext loopback) and makes one real order, whose
reply is kept. Then its connection is swapped for a fresh protocol object of the real transport
(`HttpClientProtocol` / `WSClientProtocol`) on a fake asyncio transport: what the protocol writes is
swallowed and the kept reply (the WebSocket one with the request's own id) is handed to the protocol's
`data_received`, by default through `loop.call_soon` (so the awaiting task is woken through the event loop
as a real reply would wake it; `--sync` hands it over inside the write). The fake transport carries a real,
idle loopback TCP socket so that `tcp_rtt()` (TCP_INFO) works as on a real connection; no byte goes over it.
What is left out: the send and receive system calls, epoll, and the simulator.

    python bench/client_overhead.py                       # every venue x transport, 20,000 orders each
    python bench/client_overhead.py --rows binance-rest --orders 5000 --profile   # + cProfile top entries
    # instructions per order: two runs with different --orders under callgrind, the difference divided
    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p python bench/client_overhead.py \\
        --rows binance-rest --orders 1000 --warmup 200 --quiet

Prints p50/p90/p99/p99.9/max/mean in µs per row (per-order times, perf_counter_ns around each awaited
`place_order`). `--json PATH` writes them; `--compare PATH` prints the ratio to an earlier --json.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import hashlib
import json
import os
import socket
import sys
import time
from typing import Any

import fastorder
from fastorder.bench.runner import ACCOUNTS, PRICE, QTY, SYMBOL  # the test accounts and order the bench uses
from fastorder.bench.runner import FASTORDER_ROWS as ROWS
from fastorder.sim import BinanceLimits, Simulator
from fastorder.transport.http import HttpClientProtocol
from fastorder.transport.ws import WSClientProtocol, build_frame

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class _Sockets:
    """A connected, idle loopback TCP pair: gives the fake transport a real fd for TCP_INFO."""

    def __init__(self) -> None:
        lst = socket.socket()
        lst.bind(("127.0.0.1", 0))
        lst.listen(1)
        self.client = socket.create_connection(lst.getsockname())
        self.server, _ = lst.accept()
        lst.close()

    def close(self) -> None:
        self.client.close()
        self.server.close()


class FakeTransport(asyncio.Transport):
    """Swallows writes; answers each one with `reply(data)` (bytes or None) into the protocol."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket, reply: Any, sync: bool) -> None:
        super().__init__()
        self._loop, self._sock, self.reply, self.sync = loop, sock, reply, sync
        self.proto: Any = None
        self._closing = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name == "socket":
            return self._sock
        if name == "sslcontext":   # not None: the protocol writes through write() instead of the socket
            return True
        return default

    def get_write_buffer_size(self) -> int:
        return 0

    def write(self, data: Any) -> None:
        out = self.reply(data)
        if out is None:
            return
        if self.sync:
            self.proto.data_received(out)
        else:
            self._loop.call_soon(self.proto.data_received, out)

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._loop.call_soon(self.proto.connection_lost, None)

    abort = close


def _raw_http(resp: Any) -> bytes:
    head = [b"HTTP/1.1 %d %s" % (resp.status, resp.reason or b"OK")]
    head += [name + b": " + value for name, value in resp.headers]
    return b"\r\n".join(head) + b"\r\n\r\n" + resp.body


def _ws_template(reply: bytes) -> tuple[bytes, bytes]:
    """Split a WS reply around its request id's digits: (before, after)."""
    i = reply.index(b'"id":') + 5
    if reply[i:i + 1] == b'"':
        i += 1
    j = i
    while reply[j:j + 1].isdigit():
        j += 1
    return reply[:i], reply[j:]


async def _capture(session: Any, venue: str, transport: str) -> Any:
    """One real order through the simulator; returns its raw reply (HTTP bytes, or the WS template)."""
    got: dict[str, Any] = {}
    if transport == "rest":
        real = session.rest_send

        async def rest_send(data, lat, t_call):
            resp = await real(data, lat, t_call)
            got["r"] = resp
            return resp

        session.rest_send = rest_send
    else:
        real_ws = session.ws_send

        async def ws_send(req_id, data, lat, t_call):
            reply = await real_ws(req_id, data, lat, t_call)
            got["r"] = reply
            return reply

        session.ws_send = ws_send
    await session.place_order(SYMBOL[venue], "buy", QTY, PRICE, tif="IOC")
    del session.__dict__["rest_send" if transport == "rest" else "ws_send"]   # back to the class's method
    return _raw_http(got["r"]) if transport == "rest" else _ws_template(got["r"])


def _swap_http(session: Any, raw: bytes, sync: bool, socks: _Sockets) -> None:
    loop = asyncio.get_running_loop()
    tr = FakeTransport(loop, socks.client, lambda data: raw, sync)
    proto = HttpClientProtocol(read_timeout=session.timeout)
    tr.proto = proto
    proto.connection_made(tr)
    pool = session._pool
    old = list(pool._conns)
    pool._conns = [proto]
    for c in old:
        c.close()


def _swap_ws(session: Any, template: tuple[bytes, bytes], sync: bool, socks: _Sockets) -> None:
    loop = asyncio.get_running_loop()
    before, after = template
    state = {"hs": None}

    def reply(data: bytes) -> bytes | None:
        if state["hs"] is None:   # the handshake request: answered by the harness below
            state["hs"] = bytes(data)
            return None
        return build_frame(1, before + str(session._req_seq).encode() + after, mask=False)

    tr = FakeTransport(loop, socks.client, reply, sync)
    proto = WSClientProtocol("127.0.0.1", "/", on_message=lambda p, b: session._on_ws_message(p, b, proto),
                             read_timeout=session.timeout)
    tr.proto = proto
    proto.connection_made(tr)
    key = next(line.split(b": ", 1)[1] for line in state["hs"].split(b"\r\n")
               if line.lower().startswith(b"sec-websocket-key:"))
    accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
    proto.data_received(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
    assert proto.handshake.done() and proto.handshake.exception() is None
    old = list(session.ws_pool.conns)
    session.ws_pool.conns = [proto]
    for c in old:
        c.close()


def _pct(sorted_us: list[float], q: float) -> float:
    return sorted_us[min(len(sorted_us) - 1, int(q / 100 * len(sorted_us)))]


def summary(us: list[float]) -> dict[str, float]:
    s = sorted(us)
    return {"n": len(s), "p50": _pct(s, 50), "p90": _pct(s, 90), "p99": _pct(s, 99), "p99.9": _pct(s, 99.9),
            "max": s[-1], "mean": sum(s) / len(s)}


async def run_row(sim: Simulator, venue: str, transport: str, args: argparse.Namespace) -> dict[str, float]:
    kw: dict[str, Any] = dict(ACCOUNTS[venue], url=sim.url(venue, "rest"), rate_limit=False, timeout=2.0,
                              connections=1)
    if transport == "ws":
        kw["ws_url"] = sim.url(venue, "ws")
    socks = _Sockets()
    session = fastorder.connect(venue, transport, **kw)
    await session.__aenter__()
    try:
        raw = await _capture(session, venue, transport)
        (_swap_http if transport == "rest" else _swap_ws)(session, raw, args.sync, socks)
        sym = SYMBOL[venue]
        place = session.place_order
        for _ in range(args.warmup):
            await place(sym, "buy", QTY, PRICE, tif="IOC")
        gc.collect()
        gc.freeze()
        perf = time.perf_counter_ns
        out = [0] * args.orders
        prof = None
        if args.profile:
            import cProfile
            prof = cProfile.Profile()
            prof.enable()
        for i in range(args.orders):
            t0 = perf()
            ack = await place(sym, "buy", QTY, PRICE, tif="IOC")
            out[i] = perf() - t0
        if prof is not None:
            prof.disable()
            import pstats
            pstats.Stats(prof).sort_stats("tottime").print_stats(args.profile)
        gc.unfreeze()
        assert ack.order_id and ack.client_order_id, ack
        return summary([x / 1000 for x in out])
    finally:
        await session.__aexit__(None, None, None)
        socks.close()


async def main(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    wanted = {r.lower() for r in args.rows} if args.rows else None
    rows = [(v, t) for v, t in ROWS if wanted is None or f"{v}-{t}" in wanted or v in wanted]
    results: dict[str, dict[str, float]] = {}
    async with Simulator(venues=tuple(sorted({v for v, _ in rows})), tls=False, faults=None, seed=1,
                         binance_limits=BinanceLimits(enabled=False), okx_limit_per_2s=0,
                         htx_limit_per_2s=0) as sim:
        for _ in range(args.repeat):
            for v, t in rows:
                r = await run_row(sim, v, t, args)
                key = f"{v}-{t}"
                if key in results:   # several repeats: keep each one's numbers, report the median run
                    results[key].setdefault("runs", []).append(r)
                else:
                    results[key] = dict(r, runs=[r])
    for r in results.values():
        runs = sorted(r.pop("runs"), key=lambda x: x["p50"])
        r.update(runs[len(runs) // 2])
    return results


def report(results: dict[str, dict[str, float]], earlier: dict[str, Any] | None) -> None:
    cols = ("p50", "p90", "p99", "p99.9", "max", "mean")
    print(f"{'row':14} {'orders':>7} " + " ".join(f"{c:>8}" for c in cols) + ("  p50/mean vs earlier" if earlier else ""))
    for key, r in results.items():
        line = f"{key:14} {int(r['n']):7d} " + " ".join(f"{r[c]:8.2f}" for c in cols)
        e = (earlier or {}).get("rows", {}).get(key)
        if e:
            line += f"  {r['p50'] / e['p50']:.3f} / {r['mean'] / e['mean']:.3f}"
        print(line)


def callgrind(args: argparse.Namespace, argv: list[str]) -> int:
    """Instructions per order (valgrind's callgrind, Ir): deterministic where times on this machine are not."""
    import re
    import subprocess
    import tempfile

    n = args.orders if "--orders" in argv else 500
    wanted = {r.lower() for r in args.rows} if args.rows else None
    rows = [f"{v}-{t}" for v, t in ROWS if wanted is None or f"{v}-{t}" in wanted or v in wanted]
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for row in rows:
            got = []
            for k in (n, 3 * n):
                cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.{row}.{k}", sys.executable,
                       os.path.abspath(__file__), "--rows", row, "--orders", str(k), "--warmup", str(args.warmup),
                       "--quiet"] + (["--sync"] if args.sync else [])
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
                m = re.search(r"Collected : (\d+)", r.stderr)
                if r.returncode != 0 or m is None:
                    print(r.stderr[-2000:], file=sys.stderr)
                    return 1
                got.append(int(m.group(1)))
            per = (got[1] - got[0]) / (2 * n)
            out[row] = {"ir_per_order": per}
            print(f"{row:14} {per:12,.0f} instructions per order   ({got[0]:,} at {n}, {got[1]:,} at {3 * n})",
                  flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"mode": "sync" if args.sync else "loop", "callgrind": out}, f, indent=1)
    return 0


def cli(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", nargs="*", default=[], help="binance-rest binance-ws okx-rest okx-ws htx-rest (or a venue)")
    p.add_argument("--orders", type=int, default=20_000)
    p.add_argument("--warmup", type=int, default=2_000)
    p.add_argument("--repeat", type=int, default=1, help="run every row this many times; report the median run")
    p.add_argument("--sync", action="store_true", help="hand the reply over inside the write (no event-loop turn)")
    p.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile the measured orders, print top N")
    p.add_argument("--json", metavar="PATH")
    p.add_argument("--compare", metavar="PATH", help="an earlier --json: print the ratios to it")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--callgrind", action="store_true",
                   help="instructions per order instead of times: each row run under callgrind with --orders "
                        "and 3x --orders, the difference divided by 2x --orders (default 500)")
    args = p.parse_args(argv)
    if args.orders < 1 or args.orders > 10_000_000 or args.warmup < 0:
        p.error("--orders in 1..10,000,000, --warmup >= 0")
    if args.callgrind:
        return callgrind(args, argv or sys.argv[1:])
    results = asyncio.run(main(args))
    earlier = json.load(open(args.compare)) if args.compare else None
    if not args.quiet:
        print(f"python {sys.version.split()[0]}  pid {os.getpid()}  cpus {os.cpu_count()}  "
              f"affinity {sorted(os.sched_getaffinity(0))}  mode {'sync' if args.sync else 'loop'}")
        report(results, earlier)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"mode": "sync" if args.sync else "loop", "orders": args.orders, "rows": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(cli())
