"""`fastorder bench --events`: order-event rows per venue with a private stream, against the simulator (its
own thread and event loop, same process), closed loop, one order in flight:

- place -> ack: the call until place_order returned (a resting limit order);
- place -> first event: the call until that order's first stream event was read (its recv_ns);
- place -> fill event: an aggressive IOC order, the call until its first TRADE event was read;
- stream drop: a burst of N orders (half resting then canceled, half IOC that fill or expire), the stream cut
  at the burst's middle; every order's final state must be reported exactly once (0 missing, 0 duplicated)
  and equal to the simulator's record.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import fastorder
from fastorder.events import OrderEvent, StreamGap
from fastorder.types import FINAL_STATES

perf_ns = time.perf_counter_ns

# venues whose private stream fastorder reads, with the simulator's credentials
STREAM_VENUES = {
    "binance": dict(symbol="BTCUSDT", rest_px="46000", take_px="54000", qty="0.001",
                    creds=dict(key="vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
                               secret="NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")),
    "htx": dict(symbol="btcusdt", rest_px="46000", take_px="54000", qty="0.001", transport="rest",
                creds=dict(key="e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx", secret="b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx")),
    "okx": dict(symbol="BTC-USDT", rest_px="46000", take_px="54000", qty="0.001",
                creds=dict(key="985d5b66-57ce-40fb-b714-afc0b9787083", secret="22582BD0CFF14C41EDBF1AB98506286D",
                           passphrase="Sim-Passphrase-1")),
}
# the venue's final word for the engine's states, where it differs (OKX reports an IOC rest as canceled)
FINAL_AS = {"binance": {"EXPIRED_IN_MATCH": "EXPIRED"},
            "okx": {"EXPIRED": "CANCELED", "EXPIRED_IN_MATCH": "CANCELED"},
            "htx": {"EXPIRED": "CANCELED", "EXPIRED_IN_MATCH": "CANCELED"}}


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


@dataclass
class LatencyRow:
    name: str
    us: list[float] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.name:34} {len(self.us):6d} {_pct(self.us, .5):9.1f} {_pct(self.us, .9):9.1f} "
                f"{_pct(self.us, .99):9.1f}")


@dataclass
class DropRow:
    venue: str
    orders: int
    dropped_after: int = 0
    gaps: int = 0
    gaps_closed: int = 0
    snapshot_events: int = 0
    missing: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.duplicated or self.mismatched) and self.gaps >= 1 \
            and self.gaps == self.gaps_closed

    def line(self) -> str:
        return (f"{self.venue}: stream dropped after order {self.dropped_after} of {self.orders}: "
                f"gaps {self.gaps} (closed {self.gaps_closed}), snapshot events {self.snapshot_events}, "
                f"missing {len(self.missing)}, duplicated {len(self.duplicated)}, "
                f"mismatched {len(self.mismatched)} -> {'ok' if self.ok else 'FAIL'}")


class _Firsts:
    """on_event listener: the first event and the first fill of every client id (recv_ns, in the reader)."""

    def __init__(self) -> None:
        self.first: dict[str, int] = {}
        self.fill: dict[str, int] = {}
        self.waiting: dict[str, tuple[asyncio.Future, bool]] = {}

    def __call__(self, ev: Any) -> None:
        if not isinstance(ev, OrderEvent):
            return
        c = ev.client_order_id
        self.first.setdefault(c, ev.recv_ns)
        if ev.exec_type == "TRADE":
            self.fill.setdefault(c, ev.recv_ns)
        w = self.waiting.get(c)
        if w is not None and (not w[1] or ev.exec_type == "TRADE") and not w[0].done():
            w[0].set_result(None)

    async def wait(self, clid: str, fill: bool, timeout: float = 5.0) -> None:
        if clid in (self.fill if fill else self.first):
            return
        fut = asyncio.get_running_loop().create_future()
        self.waiting[clid] = (fut, fill)
        try:
            await asyncio.wait_for(fut, timeout)
        finally:
            self.waiting.pop(clid, None)


async def latency_rows(venue: str, urls: dict, orders: int, warmup: int) -> list[LatencyRow]:
    v = STREAM_VENUES[venue]
    ack_row, first_row, fill_row = (LatencyRow(f"{venue} place -> ack"), LatencyRow(f"{venue} place -> first event"),
                                    LatencyRow(f"{venue} place -> fill event (IOC)"))
    firsts = _Firsts()
    async with fastorder.connect(venue, v.get("transport", "ws"), url=urls["rest"], ws_url=urls["ws"], events=True,
                                 connections=1,
                                 rate_limit=False, timeout=2.0, **v["creds"]) as s:
        s.on_event(firsts)
        for i in range(warmup + orders):
            clid = f"evb{i}"
            t0 = perf_ns()
            await s.place_order(v["symbol"], "buy", v["qty"], v["rest_px"], client_order_id=clid)
            t_ack = perf_ns()
            await firsts.wait(clid, False)
            if i >= warmup:
                ack_row.us.append((t_ack - t0) / 1000)
                first_row.us.append((firsts.first[clid] - t0) / 1000)
            await s.cancel_order(v["symbol"], client_order_id=clid)
            clid = f"evf{i}"
            t0 = perf_ns()
            await s.place_order(v["symbol"], "buy", v["qty"], v["take_px"], tif="IOC", client_order_id=clid)
            await firsts.wait(clid, True)
            if i >= warmup:
                fill_row.us.append((firsts.fill[clid] - t0) / 1000)
    return [ack_row, first_row, fill_row]


async def drop_row(venue: str, urls: dict, orders: int, cut: Any, record: Any, inflight: int = 20) -> DropRow:
    """`cut()` drops the stream (on the simulator's side); `record(clid)` is the simulator's status of an order."""
    v = STREAM_VENUES[venue]
    row = DropRow(venue, orders)
    finals: dict[str, list[OrderEvent]] = {}

    def listen(ev: Any) -> None:
        if isinstance(ev, StreamGap):
            row.gaps += 1
            row.gaps_closed += ev.closed
        elif ev.status in FINAL_STATES:
            finals.setdefault(ev.client_order_id, []).append(ev)
            row.snapshot_events += ev.snapshot

    async with fastorder.connect(venue, v.get("transport", "ws"), url=urls["rest"], ws_url=urls["ws"], events=True,
                                 connections=2,
                                 rate_limit=False, timeout=2.0, **v["creds"]) as s:
        s.on_event(listen)
        clids = [f"drop{i}" for i in range(orders)]
        resting = []
        for start in range(0, orders, inflight):
            batch = []
            for i in range(start, min(orders, start + inflight)):
                take = i % 2 == 1
                batch.append(dict(symbol=v["symbol"], side="buy", quantity=v["qty"],
                                  price=v["take_px"] if take else v["rest_px"], tif="IOC" if take else "GTC",
                                  client_order_id=clids[i]))
                if not take:
                    resting.append(clids[i])
            if start <= orders // 2 < start + inflight:
                row.dropped_after = start
                await cut()
            await s.place_orders(batch)
        for start in range(0, len(resting), inflight):
            await asyncio.gather(*(s.cancel_order(v["symbol"], client_order_id=c)
                                   for c in resting[start:start + inflight]), return_exceptions=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and (len(finals) < orders or row.gaps < 1):
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)   # anything late (a duplicate) would arrive now
    for c in clids:
        got = finals.get(c, [])
        if not got:
            row.missing.append(c)
        elif len(got) > 1:
            row.duplicated.append(c)
        elif got[0].status != await record(c):
            row.mismatched.append(c)
    return row


def run_events(args: Any) -> int:
    from fastorder.sim import BinanceLimits
    from fastorder.sim.simulator import SimulatorThread

    venues = [r for r in (args.rows or STREAM_VENUES) if r in STREAM_VENUES]
    print(f"order events: {args.orders} orders per row after {args.warmup} warm-up, closed loop, one in flight; "
          "the simulator runs in a thread of this process (shares the GIL: the numbers include its work)")
    print(f"{'row':34} {'n':>6} {'p50 µs':>9} {'p90 µs':>9} {'p99 µs':>9}")
    ok = True
    for venue in venues:
        th = SimulatorThread(venues=(venue,), binance_limits=BinanceLimits(enabled=False), okx_limit_per_2s=0,
                             htx_limit_per_2s=0, seed=1)
        sim = th.start()
        try:
            urls = {"rest": sim.url(venue, "rest"), "ws": sim.url(venue, "events")}
            for r in asyncio.run(latency_rows(venue, urls, args.orders, args.warmup)):
                print(r.line())
            app = sim.apps[venue]

            async def cut(th: Any = th, app: Any = app) -> None:
                await asyncio.get_running_loop().run_in_executor(None, th.call, app.stream.drop)

            async def record(clid: str, app: Any = app, venue: str = venue) -> str:
                o = app.ex.find("main", cid=clid)
                status = o.status if o is not None else "MISSING"
                return FINAL_AS[venue].get(status, status)

            row = asyncio.run(drop_row(venue, urls, max(args.orders, 1000), cut, record))
            print(row.line())
            ok = ok and row.ok
        finally:
            th.stop()
    return 0 if ok else 1
