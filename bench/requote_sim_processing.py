"""The simulator's own processing time per request of a requote (µs, measured by the simulator: last byte of
the request in -> reply handed to the kernel), so the client's speed does not enter the numbers: `amend_order`
against `cancel_order` + `place_order`, per venue with amend and transport, the simulator in its own process
(pinned to the last CPU, the client to CPU 0, where there are two or more).

    python bench/requote_sim_processing.py                  # 1000 requotes per row
    python bench/requote_sim_processing.py --n 3000 --venue binance

Each requote is three requests, one at a time (amend; cancel; place), so the simulator's i-th samples pair
with them (`GET /_sim/stats?samples=1`, reset after a warm-up). Binance's price amend is one
order.cancelReplace: the simulator validates the new order, cancels, places and writes both reports.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import urllib.request

ROWS = (("binance", "rest"), ("binance", "ws"), ("okx", "rest"), ("okx", "ws"))


def _admin(url: str, path: str, method: str = "GET") -> dict:
    with urllib.request.urlopen(urllib.request.Request(url + path, method=method), timeout=10) as r:  # loopback
        return json.loads(r.read())


async def row(venue: str, transport: str, n: int, warmup: int) -> str:
    import fastorder
    from fastorder.bench.ops import VENUES, _px
    from fastorder.sim import SimulatorProcess

    cfg = VENUES[venue]
    ncpu = os.cpu_count() or 1
    with SimulatorProcess(venues=(venue,), cpus=[ncpu - 1] if ncpu > 1 else None,
                          extra_args=["--no-rate-limits"]) as sim:
        urls = sim.urls[venue]
        kw = dict(cfg["creds"], url=urls["rest"], timeout=5.0, connections=1, rate_limit=False)
        if transport == "ws":
            kw["ws_url"] = urls["ws"]
        async with fastorder.connect(venue, transport, **kw) as s:
            sym, qty = cfg["symbol"], cfg["qty"]
            a = await s.place_order(sym, "buy", qty, _px(cfg, 0))
            r = await s.place_order(sym, "buy", qty, _px(cfg, 0))
            for i in range(warmup + n):
                if i == warmup:
                    _admin(urls["rest"], "/_sim/stats/reset", "POST")
                px = _px(cfg, 1 + i % 2)
                a = await s.amend_order(sym, order_id=a.order_id, price=px)   # Binance: a new order id each time
                await s.cancel_order(sym, order_id=r.order_id)
                r = await s.place_order(sym, "buy", qty, px)
            xs = _admin(urls["rest"], "/_sim/stats?samples=1")["samples"][transport]
            await s.cancel_all(sym)
    if len(xs) != 3 * n:
        raise RuntimeError(f"{venue}-{transport}: {len(xs)} samples for {n} requotes")
    am, ca, pl = (statistics.median(xs[k::3]) for k in range(3))
    return (f"{venue + '-' + transport:14} amend {am:7.1f}   cancel {ca:7.1f}   place {pl:7.1f}   "
            f"amend / (cancel + place) {am / (ca + pl):.3f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--venue", choices=("binance", "okx"), action="append", help="both unless given")
    a = p.parse_args()
    if (os.cpu_count() or 1) > 1 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    print(f"simulator processing per request, p50 µs, {a.n} requotes per row (simulator in its own process)")
    for venue, transport in ROWS:
        if a.venue is None or venue in a.venue:
            print(asyncio.run(row(venue, transport, a.n, a.warmup)))


if __name__ == "__main__":
    main()
