"""`fastorder probe`: find the fastest address of an endpoint (TCP connect, TLS handshake, application RTT)."""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import sys

from fastorder.net.probe import VENUE_HOSTS, HostResult, parse_target, probe_host


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("targets", nargs="*", metavar="HOST[:PORT]", help="endpoints to probe (HTTPS by default)")
    p.add_argument("--venue", choices=sorted(VENUE_HOSTS), action="append", default=[],
                   help="probe every documented REST hostname of a venue")
    p.add_argument("--samples", type=int, default=5, help="samples per address (default 5, at most 100)")
    p.add_argument("--timeout", type=float, default=1.0, help="seconds per step (default 1)")
    p.add_argument("--path", default="/", help="the application request's path for HOST targets")
    p.add_argument("--address", action="append", default=[],
                   help="probe these addresses instead of resolving (keeps the hostname for SNI and Host)")
    p.add_argument("--plain", action="store_true", help="no TLS (e.g. the simulator on loopback)")
    p.add_argument("--cafile", help="trust this CA file (e.g. the simulator's test CA)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _fmt(v: float | None) -> str:
    return f"{v:9.1f}" if v is not None else "        -"


def render(results: list[HostResult]) -> str:
    lines = [f"{'host':<24} {'address':<40} {'n':>3} {'connect p50':>11} {'p90':>9} {'tls p50':>9} {'p90':>9} "
             f"{'app p50':>9} {'p90':>9}   (µs)"]
    best_all: list[tuple[float, str, str]] = []
    for r in results:
        if r.error:
            lines.append(f"{r.host:<24} unreachable — {r.error}")
            continue
        if not r.addresses:
            lines.append(f"{r.host:<24} no address")
        for a in r.addresses:
            s = a.stats()
            lines.append(f"{r.host:<24} {a.address:<40} {s['samples']:>3} {_fmt(s['connect_p50_us']):>11} "
                         f"{_fmt(s['connect_p90_us'])} {_fmt(s['tls_p50_us'])} {_fmt(s['tls_p90_us'])} "
                         f"{_fmt(s['app_p50_us'])} {_fmt(s['app_p90_us'])}"
                         + (f"   errors: {'; '.join(s['errors'])}" if s["errors"] and not a.app_us else ""))
        b = r.best
        if b is not None:
            lines.append(f"{'':<24} fastest: {b.address} (median {'application RTT' if b.app_us else 'handshake'} "
                         f"{b.score:.1f} µs)")
            best_all.append((b.score, r.host, b.address))
    if best_all:
        score, host, addr = min(best_all)
        lines.append(f"\nrecommendation: {host} at {addr} (median {score:.1f} µs). Connect to that address "
                     f"and keep '{host}' for SNI, the certificate check and Host; re-probe now and then.")
    else:
        lines.append("\nno endpoint answered: nothing to recommend")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    jobs: list[tuple[str, int, str]] = []
    for v in args.venue:
        jobs += VENUE_HOSTS[v]
    for t in args.targets:
        host, port = parse_target(t)
        jobs.append((host, port, args.path))
    if not jobs:
        print("fastorder probe: give HOST[:PORT] targets or --venue", file=sys.stderr)
        return 2
    ctx = ssl.create_default_context(cafile=args.cafile) if args.cafile else None

    async def main() -> list[HostResult]:
        return [await probe_host(h, p, path, tls=not args.plain, ssl_context=ctx, samples=args.samples,
                                 timeout=args.timeout, addresses=args.address or None) for h, p, path in jobs]

    results = asyncio.run(main())
    if args.json:
        json.dump([{"host": r.host, "port": r.port, "path": r.path, "error": r.error,
                    "best": r.best.address if r.best else None, "addresses": [a.stats() for a in r.addresses]}
                   for r in results], sys.stdout, indent=1)
        print()
    else:
        print(render(results))
    return 0 if any(r.best for r in results) else 1
