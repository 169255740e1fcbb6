"""What the order journal costs per order under each fsync policy, on this machine's disk.

    python bench/journal_cost.py --orders 20000

One order = `sent()` before sending + `final()` after the reply (two appended records), timed per order;
p50/p90/p99/p99.9/max/mean in µs, and the ratio to the "never" policy in the same run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from fastorder.journal import POLICIES, OrderJournal


def run(policy: str, n: int) -> list[float]:
    d = tempfile.mkdtemp(prefix="fastorder-jcost-")
    out = []
    with OrderJournal(os.path.join(d, "j.log"), fsync=policy) as j:
        for i in range(n):
            clid = f"fo{i:018d}"
            t = time.perf_counter_ns()
            j.sent("binance", "BTCUSDT", clid, "BUY", "0.001", "46000", 1700000000000 + i, 1700000006000 + i)
            j.final(clid, "EXPIRED", str(12000000000 + i))
            out.append((time.perf_counter_ns() - t) / 1000)
    return sorted(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=20000)
    a = ap.parse_args()
    res = {p: run(p, a.orders if p != "always" else max(200, a.orders // 20)) for p in POLICIES}
    base = res["never"][len(res["never"]) // 2]
    print(f"{'policy':<8} {'n':>6} {'p50':>8} {'p90':>8} {'p99':>8} {'p99.9':>9} {'max':>9} {'mean':>8}  vs never (p50)")
    for p, xs in res.items():
        n = len(xs)
        q50, q90, q99, q999 = (xs[min(n - 1, int(q * n))] for q in (.5, .9, .99, .999))
        print(f"{p:<8} {n:>6} {q50:8.1f} {q90:8.1f} {q99:8.1f} {q999:9.1f} {xs[-1]:9.1f} "
              f"{sum(xs) / n:8.1f}  {q50 / base:.1f}x")


if __name__ == "__main__":
    main()
