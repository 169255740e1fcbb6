"""`fastorder bench` arguments and output."""

from __future__ import annotations

import argparse
import json
import shlex
import sys

from fastorder.bench.runner import Settings, resolve_rtt_method, run_bench


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--orders", type=int, default=2000, help="measured orders per row (default 2000)")
    p.add_argument("--warmup", type=int, default=300, help="unmeasured orders first (default 300)")
    p.add_argument("--rows", nargs="*", default=[], metavar="ROW",
                   help="only these rows: binance, binance-ws, okx-rest, htx, aiohttp, aiohttp-per-order, websockets, ccxt, …")
    p.add_argument("--no-baselines", action="store_true", help="fastorder rows only")
    p.add_argument("--tls", action="store_true", help="HTTPS/WSS to the simulator (a throwaway test CA)")
    p.add_argument("--tls-engine", choices=("compiled", "loop"), default="compiled",
                   help="with --tls, the fastorder rows' TLS: compiled (OpenSSL in the transport, the default) "
                        "or loop (the event loop's TLS transport)")
    p.add_argument("--rate", type=float, default=0.0,
                   help="open loop at this many orders/s, latency from each order's intended send time")
    p.add_argument("--inflight", type=int, default=1, help="orders in flight at once (closed loop)")
    p.add_argument("--pin", action=argparse.BooleanOptionalAction, default=True,
                   help="pin the client to CPU 0 and the simulator to the last CPU (default; --no-pin: don't)")
    p.add_argument("--gc-freeze", action=argparse.BooleanOptionalAction, default=True,
                   help="gc.freeze() after the warm-up (default; --no-gc-freeze: don't)")
    p.add_argument("--json", metavar="PATH", help="write the results (schema fastorder-bench/1) to PATH")
    p.add_argument("--plot", metavar="PATH.png", help="write the percentile plot (needs matplotlib)")
    p.add_argument("--hdr", metavar="PATH", help="write an HdrHistogram log, one tagged interval per row")
    p.add_argument("--rtt", metavar="DURATION", default="",
                   help="an emulated network round trip between client and simulator, e.g. 0.5ms, 500us, 1ms: "
                        "netem in a namespace pair where the kernel has sch_netem and we are root, else a "
                        "userspace delay relay; the fastorder rows are also measured without it first, and each "
                        "is checked against p50 <= RTT + 1.2 x its loopback p50; with --ops, rows across the delay "
                        "relay follow the loopback rows")
    p.add_argument("--rtt-method", choices=("auto", "netem", "relay"), default="auto",
                   help="how to emulate --rtt (default auto: netem if it works here, else the relay)")
    p.add_argument("--halt-poll", metavar="DURATION", default=None,
                   help="opt-in, needs root and the haltpoll cpuidle governor (KVM guests): set "
                        "/sys/module/haltpoll/parameters/guest_halt_poll_ns to this (e.g. 2ms, 200us, 0) for "
                        "the run and restore it afterwards; idle vCPUs then poll that long before halting "
                        "(see `fastorder tune`). Without it the setting is only read and printed")
    p.add_argument("--events", action="store_true",
                   help="order-event rows instead: place -> ack, place -> first event, place -> fill event per "
                        "venue with a private stream, and the stream dropped mid-burst of max(--orders, 1000) "
                        "orders (every final state reported exactly once)")
    p.add_argument("--ops", action="store_true",
                   help="trading-operation rows instead: requote (amend_order vs cancel_order + place_order on the "
                        "same resting order) per venue with amend, and a batch of 20 orders (the venue's batch "
                        "request vs 20 pipelined single orders) per venue with batch order entry; --orders "
                        "requotes and --orders/10 batches per row")
    p.add_argument("--gap", metavar="DURATION", default="",
                   help="closed loop with this idle time before each order, every row (e.g. 10ms, 100ms): the "
                        "client's thread sleeps meanwhile, the simulator busy-polls through it; the fastorder rows "
                        "are measured with and without keep_warm side by side")
    p.add_argument("--sporadic", metavar="DURATION", default="10ms",
                   help="the default run's sporadic rows (binance rest/ws, aiohttp, websockets again, each order "
                        "after this idle time; fastorder with and without keep_warm); 0: none (default 10ms)")
    p.add_argument("--keep-warm", metavar="DURATION", default="",
                   help="the fastorder rows' connect(keep_warm=...) interval (default: off for back-to-back rows, "
                        "2ms for the keep_warm sporadic rows)")
    p.add_argument("--spin", action="store_true",
                   help="fastorder rows wait for replies by polling the socket (burns the client's CPU; "
                        "closed loop, --inflight 1; with --tls only the compiled TLS engine)")


def _progress(done: int, total: int, label: str) -> None:
    width = 30
    filled = int(width * done / max(1, total))
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label:<30}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    from fastorder.bench import report

    if args.events:
        from fastorder.bench.events import run_events
        return run_events(args)
    if args.ops:
        from fastorder.bench.ops import run_ops
        return run_ops(args)
    if args.inflight < 1 or args.orders < 1 or args.warmup < 0 or args.rate < 0:
        print("fastorder bench: --orders and --inflight must be >= 1, --warmup and --rate >= 0", file=sys.stderr)
        return 2
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print("fastorder bench: --plot needs matplotlib (pip install 'fastorder[plot]')", file=sys.stderr)
            return 2
    rtt_us = 0.0
    if args.rtt:
        from fastorder.net.rtt import parse_duration_us
        try:
            rtt_us = parse_duration_us(args.rtt)
        except ValueError as exc:
            print(f"fastorder bench: --rtt: {exc}", file=sys.stderr)
            return 2
    durations = {}
    for opt in ("gap", "sporadic", "keep_warm"):
        text = getattr(args, opt).strip()
        if text in ("", "0", "0ms", "0us", "0s"):
            durations[opt] = 0.0
            continue
        from fastorder.net.rtt import parse_duration_us
        try:
            durations[opt] = parse_duration_us(text)
        except ValueError as exc:
            print(f"fastorder bench: --{opt.replace('_', '-')}: {exc}", file=sys.stderr)
            return 2
    if durations["gap"] and (args.rate or args.inflight != 1):
        print("fastorder bench: --gap is a closed loop with one order in flight (not with --rate or --inflight)",
              file=sys.stderr)
        return 2
    halt_poll_ns = None
    if args.halt_poll is not None:
        from fastorder.net.rtt import parse_duration_us
        from fastorder.tune import haltpoll
        try:
            halt_poll_ns = 0 if args.halt_poll.strip() in ("0", "0ns", "0us", "0ms") else \
                int(round(parse_duration_us(args.halt_poll) * 1000))
        except ValueError as exc:
            print(f"fastorder bench: --halt-poll: {exc}", file=sys.stderr)
            return 2
        if not haltpoll.available():
            print("fastorder bench: --halt-poll: this machine has no haltpoll cpuidle governor "
                  f"(/sys/{haltpoll.PARAMS} is missing; it exists on KVM guests with cpuidle-haltpoll)",
                  file=sys.stderr)
            return 2
    if args.spin and (args.inflight != 1 or args.rate or (args.tls and args.tls_engine == "loop")):
        print("fastorder bench: --spin waits for each reply on the calling core: closed loop and --inflight 1 "
              "only, and over TLS only with --tls-engine compiled (not with --rate, --inflight > 1 or "
              "--tls-engine loop)", file=sys.stderr)
        return 2
    if args.spin and not args.pin:
        print("fastorder bench: warning: --spin with --no-pin: the spinning client may share a CPU with the "
              "simulator and slow it down", file=sys.stderr)
    s = Settings(orders=args.orders, warmup=args.warmup, rows=args.rows, baselines=not args.no_baselines,
                 tls=args.tls, tls_engine=args.tls_engine, rate=args.rate, inflight=args.inflight, pin=args.pin,
                 gc_freeze=args.gc_freeze, rtt_us=rtt_us, rtt_method=args.rtt_method, spin=args.spin,
                 halt_poll_ns=halt_poll_ns, gap_us=durations["gap"], sporadic_us=durations["sporadic"],
                 keep_warm=durations["keep_warm"] / 1e6)
    no_netem = ""
    if rtt_us:
        try:
            s.rtt_method, no_netem = resolve_rtt_method(s)
        except ValueError as exc:
            print(f"fastorder bench: {exc}", file=sys.stderr)
            return 2
        if s.rtt_method == "relay":
            print(f"fastorder bench: emulating the {rtt_us:g} µs round trip with the userspace delay relay "
                  f"({no_netem})", file=sys.stderr)
    command = shlex.join(["fastorder", "bench", *(sys.argv[2:] if sys.argv[1:2] == ["bench"] else [])])
    try:
        bench = run_bench(s, _progress, no_netem)
    except PermissionError as exc:   # only --halt-poll writes to /sys, before anything starts
        print(f"fastorder bench: --halt-poll needs root: {exc}", file=sys.stderr)
        return 2
    print(report.header(bench, command))
    print(report.table(bench))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report.as_dict(bench, command), f, indent=1)
    if args.plot:
        report.plot(bench, args.plot)
    if args.hdr:
        report.hdr_log(bench, args.hdr)
    return 0
