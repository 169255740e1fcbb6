"""`fastorder tune`: what is tuned on this host and in this process, with a verdict and the reason."""

from __future__ import annotations

import argparse
import json
import sys

from fastorder import tune


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--apply", action="store_true",
                   help="apply the in-process settings (CPU pinning, gc thresholds, gc.freeze) and print — "
                        "never run — the host-level commands")
    p.add_argument("--cpu", type=int, help="with --apply: the CPU to pin to (default: chosen away from NIC IRQs)")


def run(args: argparse.Namespace) -> int:
    checks = tune.report()
    applied = tune.apply(args.cpu) if args.apply else []
    cmds = tune.host_commands(checks)
    if args.json:
        json.dump({"checks": [c.as_dict() for c in checks], "summary": tune.summary(checks),
                   "applied": applied, "host_commands": [{"command": c, "effect": e} for c, e in cmds]},
                  sys.stdout, indent=1, default=str)
        print()
        return 0
    width = max(len(c.name) for c in checks)
    for c in checks:
        print(f"{c.verdict.upper():<7} {c.name:<{width}}  {c.value}")
        print(f"        {'':<{width}}  {c.reason}")
        if c.fix and c.verdict in ("advice", "wrong"):
            print(f"        {'':<{width}}  fix: {c.fix}")
    if applied:
        print("\napplied to this process:")
        for a in applied:
            print(f"  - {a}")
    if cmds:
        print("\nhost-level commands (not run; review, then run as root if you agree):")
        for c, e in cmds:
            print(f"  {c}\n      # {e[:150]}")
    return 0
