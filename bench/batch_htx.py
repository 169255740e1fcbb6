"""HTX: 20 orders as batch requests (POST /v1/order/batch-orders, 10 a request: 2 requests) against 20
pipelined single orders (POST /v1/order/orders/place), same session, same run, over loopback to the
simulator: the time from the call to the last ack.

    python bench/batch_htx.py [--rounds 41] [--orders 20]

Rounds alternate (batch, then singles, then batch...) so both see the same machine state; each round's orders
rest on the book and are cancelled (cancel_all, untimed) before the next. Prints p50/p90/p99 of each and the
ratio of the p50s. On a shared machine the absolute numbers move; the same-run ratio is what to read.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


async def main(rounds: int, n: int) -> None:
    import fastorder
    from fastorder.sim import Simulator, creds

    async with Simulator(venues=("htx",), htx_limit_per_2s=0, seed=1) as sim:
        async with fastorder.connect("htx", "rest", url=sim.url("htx"), allow_plaintext=True, key=creds.HTX_KEY,
                                     secret=creds.HTX_SECRET, rate_limit=False, connections=4,
                                     timeout=5.0) as s:
            orders = [{"symbol": "btcusdt", "side": "buy", "quantity": "0.001", "price": "46000"} for _ in range(n)]
            times: dict[bool, list[float]] = {True: [], False: []}
            for r in range(rounds * 2 + 2):
                batch = r % 2 == 0
                t0 = time.perf_counter_ns()
                res = await s.place_orders([dict(o) for o in orders], batch=batch)
                dt = (time.perf_counter_ns() - t0) / 1000
                bad = [x for x in res if isinstance(x, BaseException)]
                if bad:
                    raise SystemExit(f"an order failed: {bad[0]!r}")
                await s.cancel_all("btcusdt")
                if r >= 2:   # the first pair warms up
                    times[batch].append(dt)
    b, p = times[True], times[False]
    print(f"HTX REST, {n} orders to the last ack, µs over {len(b)} rounds each (loopback simulator, "
          "interleaved; a shared machine: read the ratio)")
    for name, xs in (("batch-orders (10 a request)", b), ("pipelined singles", p)):
        print(f"  {name:30s} p50 {pct(xs, .5):9.0f}  p90 {pct(xs, .9):9.0f}  p99 {pct(xs, .99):9.0f}  "
              f"mean {statistics.fmean(xs):9.0f}")
    print(f"  ratio batch/singles at p50: {pct(b, .5) / pct(p, .5):.2f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=41)
    ap.add_argument("--orders", type=int, default=20)
    a = ap.parse_args()
    asyncio.run(main(a.rounds, a.orders))
