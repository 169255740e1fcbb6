"""Soak: many orders through one session against the simulator in its own process, with the client's memory,
file descriptors and asyncio tasks sampled as it goes. Resources must stay flat after warm-up.

    python bench/soak.py --orders 100000 --venue binance --transport ws [--events]

Prints a sample line every `--every` orders and the verdict; exits 1 if RSS grows by more than
`--max-rss-growth-mib` after the first sample, or the fd or task counts change. With `--events` the session
also has its private order stream open (`connect(..., events=True)`, one more connection) and every order's
final state must arrive as an event exactly once (counted by an `on_event` callback).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tempfile
import time

import psutil

import fastorder
from fastorder.bench.runner import ACCOUNTS, SYMBOL
from fastorder.sim import SimulatorProcess


async def soak(args: argparse.Namespace, urls: dict) -> int:
    proc = psutil.Process()
    kw = dict(ACCOUNTS[args.venue], url=urls["rest"], rate_limit=False, connections=2, timeout=2.0)
    if args.transport == "ws":
        kw["ws_url"] = urls["ws"]
    if args.events:
        kw["events"] = True
        kw.setdefault("ws_url", urls["events"])
    journal = os.path.join(tempfile.mkdtemp(prefix="fastorder-soak-"), "journal.log")
    samples = []
    failed = 0
    # final events seen per order (order i has client id soak<i>): a byte each, allocated up front, so the
    # check itself does not grow the process
    finals = bytearray(args.orders + 1)
    nfinal = 0

    def on_event(ev) -> None:
        nonlocal nfinal
        if getattr(ev, "is_final", False):
            i = int(ev.client_order_id[4:])
            finals[i] = min(finals[i] + 1, 255)
            nfinal += finals[i] == 1

    async with fastorder.connect(args.venue, args.transport, journal=journal, **kw) as s:
        if args.events:
            s.on_event(on_event)
        t0 = time.monotonic()
        lat = []
        for i in range(1, args.orders + 1):
            t = time.perf_counter_ns()
            try:
                ack = await s.place_order(SYMBOL[args.venue], "buy", "0.001", "46000", tif="IOC",
                                          client_order_id=f"soak{i}")
                assert ack.order_id
            except Exception:
                failed += 1
            lat.append(time.perf_counter_ns() - t)
            if i % args.every == 0:
                s.journal.compact()   # a long-running client compacts its journal; settled orders go
                gc.collect()
                samples.append((i, proc.memory_info().rss / 2**20, proc.num_fds(), len(asyncio.all_tasks()),
                                len(s.journal.pending())))
                lat.sort()
                print(f"{i:>8} orders  rss {samples[-1][1]:7.1f} MiB  fds {samples[-1][2]:3}  tasks {samples[-1][3]:3}"
                      f"  journal pending {samples[-1][4]}  p50 {lat[len(lat) // 2] / 1000:6.1f} µs"
                      f"  p99 {lat[int(len(lat) * .99)] / 1000:7.1f} µs  failed {failed}"
                      + (f"  final events {nfinal}" if args.events else ""), flush=True)
                lat.clear()
        wall = time.monotonic() - t0
        if args.events:   # the last orders' final events may still be on their way
            for _ in range(100):
                if nfinal >= args.orders - failed:
                    break
                await asyncio.sleep(0.05)
            stream = s.stream
            ev_line = (f"events: {stream.events} passed on, final states of {nfinal} orders "
                       f"(repeated {sum(n > 1 for n in finals)}), gaps {stream.gaps}, malformed "
                       f"{stream.malformed}, orders tracked at the end {len(stream.tracked)}")
    base = samples[0]
    growth = max(x[1] for x in samples) - base[1]
    fds_ok = all(x[2] == base[2] for x in samples)
    tasks_ok = all(x[3] == base[3] for x in samples)
    ok = growth <= args.max_rss_growth_mib and fds_ok and tasks_ok and failed == 0
    if args.events:
        events_ok = nfinal == args.orders - failed and max(finals) == 1
        ok = ok and events_ok
        print(ev_line + (" -> every final state exactly once" if events_ok else " -> MISSING OR REPEATED"))
    print(f"\n{args.orders} orders in {wall:.0f} s via {args.venue} {args.transport}"
          f"{' with events' if args.events else ''}: RSS growth after the first sample "
          f"{growth:.1f} MiB (limit {args.max_rss_growth_mib}), fds {'flat' if fds_ok else 'CHANGED'}, tasks "
          f"{'flat' if tasks_ok else 'CHANGED'}, failed {failed} -> {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--every", type=int, default=10_000)
    ap.add_argument("--venue", default="binance", choices=sorted(SYMBOL))
    ap.add_argument("--transport", default="ws", choices=["ws", "rest"])
    ap.add_argument("--max-rss-growth-mib", type=float, default=8.0)
    ap.add_argument("--events", action="store_true", help="open the private order stream too")
    args = ap.parse_args()
    ncpu = os.cpu_count() or 1
    with SimulatorProcess(venues=(args.venue,), cpus=[ncpu - 1] if ncpu > 1 else None,
                          extra_args=["--no-rate-limits"]) as p:
        if ncpu > 1:
            os.sched_setaffinity(0, {0})
        try:
            import uvloop
            return uvloop.run(soak(args, p.urls[args.venue]))
        except ImportError:
            return asyncio.run(soak(args, p.urls[args.venue]))


if __name__ == "__main__":
    sys.exit(main())
