"""`fastorder bench --ops`: the trading operations a quoting strategy repeats, per venue and transport, against
the simulator (its own thread and event loop, same process), through the public session API only:

- requote: move one resting order to another price. `amend_order` (one request; the venue's amend, where the
  venue module has one) against `cancel_order` then `place_order` (two round trips), on the same order, the
  two interleaved in one run. The target: amend p50 <= 0.55 x cancel+place p50.
- batch: 20 new orders, the call until the last one's result. `place_orders(batch=True)` (the venue's batch
  request of up to `batch_limit`, where it has one) against `place_orders(batch=False)` (20 single requests in
  flight together), interleaved; the orders are cancelled between rounds, outside the timing.

A venue module without amend (or batch order entry) has no row of that kind: nothing is emulated here.

Each venue is measured twice, one after the other: with the simulator in a thread of this process (it shares the
GIL and the core with the client, so its Python work adds to both sides' times), then, with `--pin` (the
default) on a machine of two or more CPUs, with the simulator in its own process (`fastorder sim`) pinned to
the last CPU and busy-polling between requests while the client runs pinned to CPU 0 (rows marked "sim-proc").
Every reply still waits for the simulator's processing (one in flight): read the same-run ratios, not the
absolute times.

On loopback a round trip costs little more than the work at its two ends, so these rows compare the work of
one amend with the work of a cancel and a place. `--rtt 1ms` adds rows (marked "rtt") with the simulator's
process behind the userspace delay relay (fastorder.net.relay, on the simulator's CPU), which holds every
chunk half the round trip each way: the case of a quoting strategy whose venue is a network away, where an
amend saves a whole round trip.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import fastorder
from fastorder.bench.events import _pct
from fastorder.errors import NotSupported
from fastorder.sim import creds
from fastorder.venues.operations import TradingOps

perf_ns = time.perf_counter_ns

#: per venue: symbol, a resting buy price below the simulator's book, the order size, credentials, transports
VENUES: dict[str, dict[str, Any]] = {
    "binance": dict(symbol="BTCUSDT", px=Decimal("46000"), qty="0.001", transports=("rest", "ws"),
                    creds=dict(key=creds.BINANCE_HMAC_KEY, secret=creds.BINANCE_HMAC_SECRET)),
    "okx": dict(symbol="BTC-USDT", px=Decimal("46000"), qty="0.001", transports=("rest", "ws"),
                creds=dict(key=creds.OKX_KEY, secret=creds.OKX_SECRET, passphrase=creds.OKX_PASSPHRASE)),
    "htx": dict(symbol="btcusdt", px=Decimal("46000"), qty="0.001", transports=("rest",),
                creds=dict(key=creds.HTX_KEY, secret=creds.HTX_SECRET)),
}
BATCH = 20
TARGET = 0.55


@dataclass
class Pair:
    """Two ways of doing one thing, measured interleaved in one run (µs per repetition)."""

    name: str
    a_name: str
    b_name: str
    a: list[float] = field(default_factory=list)
    b: list[float] = field(default_factory=list)
    target: float | None = None
    simulator: str = "thread"   # "thread": in this process; "process": its own, pinned to another CPU
    rtt_us: float = 0.0         # the emulated round trip the requests crossed (0: plain loopback)

    @property
    def ratio(self) -> float:
        return _pct(self.a, .5) / _pct(self.b, .5)

    def lines(self) -> list[str]:
        out = []
        for label, xs in ((self.a_name, self.a), (self.b_name, self.b)):
            out.append(f"{self.name + ' ' + label:50} {len(xs):6d} {_pct(xs, .5):9.1f} {_pct(xs, .9):9.1f} "
                       f"{_pct(xs, .99):9.1f}")
        verdict = "" if self.target is None else (
            f"  (target <= {self.target:.2f}: {'met' if self.ratio <= self.target else 'NOT met'})")
        out.append(f"{'':50} ratio of p50s {self.a_name} / {self.b_name}: {self.ratio:.3f}{verdict}")
        return out

    def to_json(self) -> dict[str, Any]:
        return {"row": self.name, "a": self.a_name, "b": self.b_name, "n": len(self.a),
                "a_us": {q: _pct(self.a, p) for q, p in (("p50", .5), ("p90", .9), ("p99", .99))},
                "b_us": {q: _pct(self.b, p) for q, p in (("p50", .5), ("p90", .9), ("p99", .99))},
                "ratio_p50": self.ratio, "target": self.target, "simulator": self.simulator,
                "rtt_us": self.rtt_us or None}


async def has_amend(s: Any, cfg: dict[str, Any]) -> bool:
    """The venue module amends (one without raises NotSupported, before anything is sent)."""
    if type(s)._amend is TradingOps._amend:
        return False
    o = await s.place_order(cfg["symbol"], "buy", cfg["qty"], _px(cfg, 0))
    try:
        await s.amend_order(cfg["symbol"], order_id=o.order_id, price=_px(cfg, 1))
        return True
    except NotSupported:
        return False
    finally:
        await s.cancel_all(cfg["symbol"])


def _px(cfg: dict[str, Any], k: int) -> str:
    return str(cfg["px"] - k)


async def requote(s: Any, cfg: dict[str, Any], n: int, warmup: int, name: str) -> Pair:
    """amend_order vs cancel_order + place_order, alternating, each moving a resting order between two prices."""
    row = Pair(name + " requote", "amend", "cancel+place", target=TARGET)
    sym, qty = cfg["symbol"], cfg["qty"]
    amended = await s.place_order(sym, "buy", qty, _px(cfg, 0))
    replaced = await s.place_order(sym, "buy", qty, _px(cfg, 0))
    try:
        for i in range(warmup + n):
            px = _px(cfg, 1 + i % 2)   # alternate between two prices: every requote moves the order
            t0 = perf_ns()
            ack = await s.amend_order(sym, order_id=amended.order_id, price=px)
            t1 = perf_ns()
            await s.cancel_order(sym, order_id=replaced.order_id)
            replaced = await s.place_order(sym, "buy", qty, px)
            t2 = perf_ns()
            if ack.order_id and ack.order_id != amended.order_id:   # a venue that replaces: follow the new id
                amended = ack
            if i >= warmup:
                row.a.append((t1 - t0) / 1000)
                row.b.append((t2 - t1) / 1000)
    finally:
        await s.cancel_all(sym)
    return row


async def batch(s: Any, cfg: dict[str, Any], n: int, warmup: int, name: str) -> Pair:
    """place_orders(batch=True) vs place_orders(batch=False) for BATCH orders, time to the last result."""
    row = Pair(name + f" batch of {BATCH}", "venue batch", "pipelined singles")
    sym, qty = cfg["symbol"], cfg["qty"]
    orders = [{"symbol": sym, "side": "buy", "quantity": qty, "price": _px(cfg, 10 + k)} for k in range(BATCH)]
    for i in range(warmup + n):
        for use_batch, xs in ((True, row.a), (False, row.b)):
            t0 = perf_ns()
            res = await s.place_orders(orders, batch=use_batch)
            t1 = perf_ns()
            bad = [r for r in res if isinstance(r, BaseException)]
            if bad:
                raise RuntimeError(f"{name}: {len(bad)} of a batch failed: {bad[0]!r}")
            await s.cancel_orders(sym, order_ids=[r.order_id for r in res])
            if i >= warmup:
                xs.append((t1 - t0) / 1000)
    return row


async def venue_rows(venue: str, transport: str, urls: dict[str, str], n: int, warmup: int,
                     simulator: str = "thread", rtt_us: float = 0.0) -> list[Pair]:
    cfg = VENUES[venue]
    kw: dict[str, Any] = dict(cfg["creds"], url=urls["rest"], timeout=5.0, connections=2, rate_limit=False)
    if transport == "ws":
        kw["ws_url"] = urls["ws"]
    name = f"{venue}-{transport}" + (" sim-proc" if simulator == "process" else "") + (
        f" rtt {rtt_us:g}us" if rtt_us else "")
    rows: list[Pair] = []
    async with fastorder.connect(venue, transport, **kw) as s:
        if await has_amend(s, cfg):
            rows.append(await requote(s, cfg, n, warmup, name))
        if s.batch_limit:
            rows.append(await batch(s, cfg, max(1, n // 10), max(1, warmup // 10), name))
    for r in rows:
        r.simulator, r.rtt_us = simulator, rtt_us
    return rows


#: the simulator process busy-polls this long after each request (as `fastorder bench` runs it on a CPU of its
#: own): a reply is not delayed by the wake-up of a CPU that went idle during the client's part of a requote
SPIN_US = 2000


def _through(relay: Any, url: str) -> str:
    """`url` with its port replaced by the relay's port that reaches it through the delay."""
    from urllib.parse import urlsplit, urlunsplit
    parts = urlsplit(url)
    port = relay.ports[(parts.hostname, parts.port)]
    return urlunsplit(parts._replace(netloc=f"{parts.hostname}:{port}"))


def _venue_with(venue: str, placement: str, args: Any, out: list[Pair], rtt_us: float = 0.0) -> None:
    """Every row of one venue, the simulator in a thread of this process or in its own pinned process (with
    `rtt_us`, behind the delay relay on the simulator's CPU)."""
    from fastorder.net.relay import RelayProcess
    from fastorder.sim import BinanceLimits, SimulatorProcess
    from fastorder.sim.simulator import SimulatorThread

    n, warmup = args.orders, min(args.warmup, args.orders)
    affinity = None
    if placement == "thread":
        th = SimulatorThread(venues=(venue,), binance_limits=BinanceLimits(enabled=False), okx_limit_per_2s=0,
                             htx_limit_per_2s=0, seed=1)
        sim = th.start()
        stop = th.stop

        def url(kind: str) -> str:
            return str(sim.url(venue, kind))
    else:
        sim_cpus = [(os.cpu_count() or 2) - 1]
        # behind the relay, a reply arrives a whole round trip after the request: the simulator spins that long
        spin = SPIN_US + int(rtt_us)
        proc = SimulatorProcess(venues=(venue,), seed=1, cpus=sim_cpus,
                                extra_args=["--no-rate-limits", "--spin-us", str(spin)]).start()
        relay = None
        if rtt_us:
            from urllib.parse import urlsplit
            targets = {(p.hostname, p.port) for p in map(urlsplit, proc.urls[venue].values())}
            try:
                relay = RelayProcess(sorted(targets), rtt_us / 2, cpus=sim_cpus).start()
            except BaseException:
                proc.stop()
                raise

        def stop() -> None:
            if relay is not None:
                relay.stop()
            proc.stop()
        affinity = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {0})

        def url(kind: str) -> str:
            u = str(proc.urls[venue][kind])
            return _through(relay, u) if relay is not None else u
    try:
        for transport in VENUES[venue]["transports"]:
            urls = {"rest": url("rest")}
            if transport == "ws":
                urls["ws"] = url("ws")
            rows = asyncio.run(venue_rows(venue, transport, urls, n, warmup, placement, rtt_us))
            if not rows:
                print(f"{venue}-{transport}: no amend and no batch order entry in its venue module: no rows")
            for r in rows:
                for line in r.lines():
                    print(line)
            out.extend(rows)
    finally:
        stop()
        if affinity is not None:
            os.sched_setaffinity(0, affinity)


def run_ops(args: Any) -> int:
    import json

    from fastorder.net.rtt import parse_duration_us
    try:
        rtt_us = parse_duration_us(args.rtt) if args.rtt else 0.0
    except ValueError as exc:
        print(f"fastorder bench: --rtt: {exc}", file=sys.stderr)
        return 2
    venues = [r for r in (args.rows or VENUES) if r in VENUES]
    ncpu = os.cpu_count() or 1
    placements = ["thread"]
    if args.pin and ncpu >= 2 and hasattr(os, "sched_setaffinity"):
        placements.append("process")
    print(f"trading operations: {args.orders} requotes and {max(1, args.orders // 10)} batches of {BATCH} per row "
          "after a warm-up, one in flight; the simulator in a thread of this process (shares the GIL and the "
          "core)" + (f", then in its own process on CPU {ncpu - 1} (rows 'sim-proc'; the client on CPU 0)"
                     if "process" in placements else "") + (
              f", then in its own process behind an emulated {rtt_us:g} µs round trip (the delay relay on its "
              "CPU; rows 'rtt')" if rtt_us and "process" in placements else "") + ": read the same-run ratios")
    print(f"{'row':50} {'n':>6} {'p50 µs':>9} {'p90 µs':>9} {'p99 µs':>9}")
    out: list[Pair] = []
    if rtt_us and "process" not in placements:
        print("fastorder bench: --ops --rtt needs --pin and two or more CPUs (the relay runs beside the "
              "simulator)", file=sys.stderr)
        return 2
    for venue in venues:
        for placement in placements:
            _venue_with(venue, placement, args, out)
        if rtt_us:
            _venue_with(venue, "process", args, out, rtt_us)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"schema": "fastorder-bench-ops/1", "rows": [r.to_json() for r in out]}, f, indent=1)
    return 0
