"""``fastorder sim``: run the exchange simulator on loopback until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import signal
import sys

from .binance import BinanceLimits
from .server import ALL_VENUES, VENUES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--venue", action="append", choices=ALL_VENUES,
                        help="venue to serve (repeatable; default: all three, on consecutive ports)")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1; loopback only "
                        "unless --allow-remote)")
    parser.add_argument("--allow-remote", action="store_true", help="allow a non-loopback bind address")
    parser.add_argument("--port", type=int, default=8881,
                        help="first port; venue i listens on PORT+i (default 8881; 0 = ephemeral ports)")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS/WSS with a throwaway test CA")
    parser.add_argument("--fault", action="append", default=[], metavar="SPEC",
                        help="fault spec, e.g. 'latency:ms=2,jitter=1;drop:phase=after,nth=50' "
                             "(see fastorder.sim.faults)")
    parser.add_argument("--seed", type=int, default=0, help="seed for faults and generated ids")
    parser.add_argument("--no-rate-limits", action="store_true",
                        help="count weight/orders but never reject with 429/418 (for benchmarks), all venues")
    parser.add_argument("--ws-lifetime", type=float, default=86400.0, help="Binance WS-API connection lifetime (s)")
    parser.add_argument("--ws-timing-field", action="store_true",
                        help='add "simProcessingUs" to every WebSocket JSON reply (per-reply processing time)')
    parser.add_argument("--spin-us", type=float, default=0.0, metavar="US",
                        help="busy-poll the event loop for US µs after each request instead of sleeping "
                             "(keeps caches warm; burns a CPU while traffic flows; use with --cpus)")
    parser.add_argument("--warm-us", type=float, default=0.0, metavar="US",
                        help="with --spin-us: while polling through a quiet spell, replay the last order request "
                             "every US µs in the venue's validation-only form (Binance POST .../order/test; a WebSocket order.place's "
                             "parsing, signature and filter checks), so "
                             "the request path stays in cache; nothing of it reaches a client or the book "
                             "(for benchmarks)")
    parser.add_argument("--gc-auto", action="store_true",
                        help="leave Python's automatic garbage collection on (default: collect only while "
                             "traffic pauses, so no collection lands in the middle of a request)")
    parser.add_argument("--cpus", default="", help="pin the simulator process to these CPUs, e.g. '1' or '2,3'")
    parser.add_argument("--ready-json", action="store_true",
                        help="print one JSON line with the URLs when ready (for SimulatorProcess)")


class IdleCollector:
    """The simulator process collects garbage while traffic pauses, not in the middle of a request.

    The request path makes no reference cycles (bench/sim_inprocess.py: 0 unreachable objects after 1,000
    orders), so reference counting frees it; the collector only has the growing order store to walk, and
    its automatic runs put 0.3-2 ms pauses into the tail of the simulator's processing time (p99.9 350 ->
    200 µs on this machine with it off). So automatic collection is off; every ``every_s`` the collector
    runs if no chunk arrived since the last look (or ``max_chunks`` arrived since it last ran), then freezes
    the survivors so the next run skips them; every ``full_every``-th run first unfreezes, so cycles among
    long-lived objects (closed connections) are still found.
    """

    def __init__(self, loop, every_s: float = 0.1, max_chunks: int = 20_000, full_every: int = 10, count=None):
        from .http import chunks_received

        self.loop, self.every_s, self.max_chunks, self.full_every = loop, every_s, max_chunks, full_every
        self._count = count or chunks_received   # () -> chunks received so far
        self._seen = self._at_run = self._count()
        self.runs = 0

    def start(self) -> IdleCollector:
        gc.disable()
        self.loop.call_later(self.every_s, self._tick)
        return self

    def _tick(self) -> None:
        n = self._count()
        if (n == self._seen and n != self._at_run) or n - self._at_run >= self.max_chunks:
            self.runs += 1
            if self.runs % self.full_every == 0:
                gc.unfreeze()
            gc.collect()
            gc.freeze()
            self._at_run = n
        self._seen = n
        self.loop.call_later(self.every_s, self._tick)


async def _serve(args) -> int:
    from .simulator import Simulator

    venues = tuple(dict.fromkeys(args.venue)) if args.venue else VENUES
    limits = BinanceLimits(enabled=not args.no_rate_limits)
    sim = Simulator(venues=venues, host=args.host, port=args.port, tls=args.tls,
                    faults=";".join(args.fault) or None, seed=args.seed, binance_limits=limits,
                    allow_remote=args.allow_remote, ws_lifetime=args.ws_lifetime,
                    okx_limit_per_2s=0 if args.no_rate_limits else 60,
                    htx_limit_per_2s=0 if args.no_rate_limits else 100, ws_timing_field=args.ws_timing_field)
    await sim.start()
    if args.spin_us > 0:
        from .http import Spinner, set_spinner

        set_spinner(Spinner(asyncio.get_running_loop(), args.spin_us, args.warm_us))
    # A long-lived simulator keeps every order: move the start-up heap out of the collector's way, and
    # collect only while traffic pauses.
    gc.collect()
    gc.freeze()
    if not args.gc_auto:
        IdleCollector(asyncio.get_running_loop()).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if args.ready_json:
        print(json.dumps({"urls": sim.urls(), "ca_file": sim.ca_file, "pid": os.getpid()}), flush=True)
    else:
        print(f"fastorder sim: serving {', '.join(venues)} ({'TLS' if args.tls else 'plaintext'})", flush=True)
        for v, u in sim.urls().items():
            print(f"  {v:8s} " + "  ".join(f"{k}={x}" for k, x in u.items()), flush=True)
        if sim.ca_file:
            print(f"  test CA certificate: {sim.ca_file}", flush=True)
        if sim.faults:
            print("  faults: " + "; ".join(f.describe() for f in sim.faults.faults), flush=True)
        print("  processing time: X-Sim-Processing-Us header (REST), GET /_sim/stats (all)", flush=True)
    try:
        await stop.wait()
    finally:
        await sim.stop()
    return 0


def run(args) -> int:
    if args.cpus:
        try:
            os.sched_setaffinity(0, {int(c) for c in args.cpus.split(",") if c.strip()})
        except (AttributeError, OSError, ValueError) as e:
            print(f"fastorder sim: cannot pin to CPUs {args.cpus!r}: {e}", file=sys.stderr)
            return 2
    try:
        import uvloop
        runner = uvloop.run
    except ImportError:  # pragma: no cover
        runner = asyncio.run
    try:
        return runner(_serve(args))
    except ValueError as e:  # bad fault spec, refused bind address
        print(f"fastorder sim: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"fastorder sim: cannot listen: {e}", file=sys.stderr)
        return 1


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="fastorder sim", description=__doc__)
    add_arguments(p)
    return run(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
