"""Two costs `fastorder tune` and docs/tuning.md talk about, measured on this machine:

1. A full garbage collection with many long-lived objects, before and after `gc.freeze()`.
2. Handing an order's serialisation to a thread pool (`loop.run_in_executor`) instead of doing it inline.

    python bench/tuning_facts.py                  # 1,000,000 objects, 2,000 hand-offs
    python bench/tuning_facts.py --objects 200000 --handoffs 500

Prints percentiles (µs) of each, measured in the same run. Numbers depend on the machine and on what else
runs on it: read them as orders of magnitude and ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import orjson


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q / 100 * len(xs)))]


def line(name: str, us: list[float]) -> str:
    return (f"{name:<44} n={len(us):>5}  p50 {pct(us, 50):10.1f}  p90 {pct(us, 90):10.1f}  "
            f"p99 {pct(us, 99):10.1f}  max {max(us):10.1f} µs")


def gc_cost(objects: int, repeats: int) -> tuple[list[float], list[float]]:
    # long-lived state of a trading process: many small containers that can hold references (so tracked)
    state = [{"px": str(i), "qty": [i]} for i in range(objects // 2)]
    gc.collect()
    before = []
    for _ in range(repeats):
        t = time.perf_counter_ns()
        gc.collect()
        before.append((time.perf_counter_ns() - t) / 1000)
    gc.freeze()
    after = []
    for _ in range(repeats):
        t = time.perf_counter_ns()
        gc.collect()
        after.append((time.perf_counter_ns() - t) / 1000)
    gc.unfreeze()
    del state
    return before, after


async def handoff_cost(n: int) -> tuple[list[float], list[float]]:
    order = {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "limit", "px": "50000", "sz": "0.001"}
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(1)
    await loop.run_in_executor(pool, orjson.dumps, order)   # the worker thread exists before timing
    inline, pooled = [], []
    for _ in range(n):   # interleaved, so drift touches both alike
        t = time.perf_counter_ns()
        orjson.dumps(order)
        inline.append((time.perf_counter_ns() - t) / 1000)
        t = time.perf_counter_ns()
        await loop.run_in_executor(pool, orjson.dumps, order)
        pooled.append((time.perf_counter_ns() - t) / 1000)
        await asyncio.sleep(0)
    pool.shutdown()
    return inline, pooled


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objects", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--handoffs", type=int, default=2000)
    a = ap.parse_args()
    before, after = gc_cost(a.objects, a.repeats)
    print(f"full collection (gc.collect()) with ~{a.objects:,} tracked objects alive:")
    print(line("  before gc.freeze()", before))
    print(line("  after gc.freeze()", after))
    print(f"  ratio of medians: {statistics.median(before) / max(statistics.median(after), 1e-3):,.0f}x")
    inline, pooled = asyncio.run(handoff_cost(a.handoffs))
    print("serialising one order (orjson.dumps), same run, interleaved:")
    print(line("  inline", inline))
    print(line("  loop.run_in_executor(1-thread pool)", pooled))


if __name__ == "__main__":
    main()
