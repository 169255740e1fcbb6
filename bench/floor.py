"""How close a fastorder Binance REST order comes to the least any asyncio client can do on this machine.

Three senders take turns against one simulator process (pinned to the last CPU, busy-polling after each
request as in `fastorder bench`), with the client pinned to CPU 0, in interleaved rounds:

- **floor**: the minimum an asyncio client does for an order, every cost that can be paid early paid
  before the clock starts: the turn's requests signed in advance (HMAC-SHA256, the query the aiohttp baseline
  sends, recvWindow 5 s: a turn lasts well under a second), then per
  order one write of the ready bytes, the reply read up to its Content-Length, ``orjson.loads`` and the
  echoed client id checked. No validation, no encoding, no signing, no latency split, no Ack on the clock.
- **fastorder**: ``session.place_order`` (validation, encoding, signing, the transport, the Ack).
- **aiohttp (shared session)**: the bench's aiohttp baseline (``fastorder.bench.baselines.AiohttpShared``).

The same order (BTCUSDT LIMIT IOC BUY 0.001 @ 46000, newOrderRespType RESULT) for all three. It prints each
sender's percentiles (µs, around each order) and the p50 ratios from the same run: fastorder / floor says
what fastorder's own work costs; floor / aiohttp is the best ratio any client could show here against the
aiohttp sender, since the kernel's loopback path, the sleeping CPU's wake-up and the simulator are common to
all three.

    python bench/floor.py                      # 4 rounds x 2,000 orders per sender
    python bench/floor.py --rounds 6 --orders 3000 --json floor.json
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import orjson  # noqa: E402

from fastorder.bench.baselines import _signed_query  # noqa: E402
from fastorder.bench.runner import ACCOUNTS, PRICE, QTY, SYMBOL  # noqa: E402
from fastorder.sim import SimulatorProcess, creds  # noqa: E402


def signed_request(host: str, clid: str) -> bytes:
    # the query the aiohttp baseline sends (same parameters, same signing), as one ready request
    q = _signed_query(clid, PRICE, QTY, SYMBOL["binance"])
    return (f"POST /api/v3/order?{q} HTTP/1.1\r\nHost: {host}\r\nX-MBX-APIKEY: {creds.BINANCE_HMAC_KEY}\r\n"
            f"Content-Length: 0\r\n\r\n").encode()


class _Floor(asyncio.Protocol):
    """One keep-alive connection; a reply is complete when its Content-Length body is in."""

    def __init__(self) -> None:
        self.buf = b""
        self.fut: asyncio.Future | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buf = self.buf + data
        head = buf.find(b"\r\n\r\n")
        if head < 0:
            self.buf = buf
            return
        i = buf.lower().find(b"content-length:", 0, head)
        n = int(buf[i + 15:buf.index(b"\r\n", i)]) if i >= 0 else 0
        if len(buf) < head + 4 + n:
            self.buf = buf
            return
        self.buf = b""
        if self.fut is not None and not self.fut.done():
            self.fut.set_result(buf[head + 4:head + 4 + n])


class Floor:
    name = "floor (pre-signed bytes)"

    def __init__(self, url: str) -> None:
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.ready: list[tuple[str, bytes]] = []

    async def start(self) -> None:
        import socket

        loop = asyncio.get_running_loop()
        self.t, self.p = await loop.create_connection(_Floor, self.host, self.port)
        self.t.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def prepare(self, clids: list[str]) -> None:   # off the clock
        self.ready = [(c, signed_request(f"{self.host}:{self.port}", c)) for c in clids]
        self.ready.reverse()

    async def send(self, clid: str) -> dict:
        c, data = self.ready.pop()
        assert c == clid
        p = self.p
        p.fut = asyncio.get_running_loop().create_future()
        self.t.write(data)
        return orjson.loads(await p.fut)

    async def close(self) -> None:
        self.t.close()


class Fastorder:
    name = "fastorder binance rest"

    def __init__(self, url: str) -> None:
        import fastorder
        self.session = fastorder.connect("binance", "rest", **ACCOUNTS["binance"], url=url, rate_limit=False,
                                         timeout=2.0)

    async def start(self) -> None:
        await self.session.__aenter__()

    def prepare(self, clids: list[str]) -> None:
        pass

    async def send(self, clid: str) -> dict:
        ack = await self.session.place_order(SYMBOL["binance"], "buy", QTY, PRICE, tif="IOC", client_order_id=clid)
        return {"clientOrderId": ack.client_order_id, "orderId": ack.order_id}

    async def close(self) -> None:
        await self.session.__aexit__(None, None, None)


class Aiohttp:
    name = "aiohttp (shared session)"

    def __init__(self, url: str) -> None:
        from fastorder.bench.baselines import AiohttpShared
        self.inner = AiohttpShared(url, PRICE, QTY)

    async def start(self) -> None:
        await self.inner.start()

    def prepare(self, clids: list[str]) -> None:
        pass

    async def send(self, clid: str) -> dict:
        return await self.inner.send(clid)

    async def close(self) -> None:
        await self.inner.close()


def pct(us: list[float]) -> dict[str, float]:
    s = sorted(us)
    n = len(s)
    at = lambda q: s[min(n - 1, int(q / 100 * n))]  # noqa: E731
    return {"n": n, "p50": at(50), "p90": at(90), "p99": at(99), "p99.9": at(99.9), "max": s[-1],
            "mean": sum(s) / n}


async def run(url: str, orders: int, rounds: int, warmup: int) -> dict[str, dict[str, float]]:
    senders = [Floor(url), Fastorder(url), Aiohttp(url)]
    for s in senders:
        await s.start()
    lat: dict[str, list[float]] = {s.name: [] for s in senders}
    seq = 0
    perf = time.perf_counter_ns
    try:
        for r in range(rounds):
            for s in (senders if r % 2 == 0 else senders[::-1]):   # alternate the order of turns
                clids = [f"fl{os.getpid()}x{seq + i}" for i in range(warmup + orders)]
                seq += len(clids)
                s.prepare(clids)
                for c in clids[:warmup]:
                    await s.send(c)
                gc.collect()
                gc.freeze()
                out = lat[s.name]
                for c in clids[warmup:]:
                    t0 = perf()
                    reply = await s.send(c)
                    t1 = perf()
                    if reply.get("clientOrderId") != c:
                        raise SystemExit(f"{s.name}: a reply not for {c}: {reply}")
                    out.append((t1 - t0) / 1000)
                gc.unfreeze()
    finally:
        for s in senders:
            await s.close()
    return {name: pct(v) for name, v in lat.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=2000, help="measured orders per sender per round")
    ap.add_argument("--rounds", type=int, default=4, help="interleaved rounds (default 4)")
    ap.add_argument("--warmup", type=int, default=200, help="unmeasured orders at the start of each turn")
    ap.add_argument("--json", metavar="PATH", help="write the results here")
    args = ap.parse_args(argv)
    import uvloop

    ncpu = os.cpu_count() or 1
    sim_cpus = [ncpu - 1] if ncpu >= 2 else None
    with SimulatorProcess(venues=("binance",), cpus=sim_cpus,
                          extra_args=["--no-rate-limits", "--spin-us", "2000"]) as sp:
        if ncpu >= 2:
            os.sched_setaffinity(0, {0})
        res = uvloop.run(run(sp.urls["binance"]["rest"], args.orders, args.rounds, args.warmup))
    print(f"# {platform.machine()}, {ncpu} CPUs, Python {platform.python_version()}, load average "
          f"{os.getloadavg()[0]:.2f}; client CPU 0, simulator CPU {sim_cpus}; {args.rounds} rounds x "
          f"{args.orders} orders per sender")
    print(f"{'sender':30s} {'n':>6s} " + " ".join(f"{k:>8s}" for k in ("p50", "p90", "p99", "p99.9", "max", "mean")))
    for name, p in res.items():
        print(f"{name:30s} {p['n']:6d} " + " ".join(f"{p[k]:8.1f}" for k in ("p50", "p90", "p99", "p99.9", "max", "mean")))
    fl, fo, ai = (res[n]["p50"] for n in (Floor.name, Fastorder.name, Aiohttp.name))
    print(f"p50 ratios: fastorder / floor {fo / fl:.3f} (+{fo - fl:.1f} µs); fastorder / aiohttp {fo / ai:.3f}; "
          f"floor / aiohttp {fl / ai:.3f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": res, "p50_ratios": {"fastorder/floor": fo / fl, "fastorder/aiohttp": fo / ai,
                                                      "floor/aiohttp": fl / ai}}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
