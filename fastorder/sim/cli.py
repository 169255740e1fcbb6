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
from .server import VENUES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--venue", action="append", choices=VENUES,
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
    parser.add_argument("--cpus", default="", help="pin the simulator process to these CPUs, e.g. '1' or '2,3'")
    parser.add_argument("--ready-json", action="store_true",
                        help="print one JSON line with the URLs when ready (for SimulatorProcess)")


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

        set_spinner(Spinner(asyncio.get_running_loop(), args.spin_us))
    # A long-lived simulator keeps every order: move the start-up heap out of the collector's way.
    gc.collect()
    gc.freeze()
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
