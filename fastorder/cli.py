"""The `fastorder` command: one subcommand per tool, each in its own module, imported only when used."""

from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> (module with `add_arguments(parser)` and `run(args) -> int`, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "bench": ("fastorder.bench.cli", "the latency benchmark: every venue x transport and the baselines, one run"),
    "demo": ("fastorder.demo", "encode and sign a sample order for every venue; print bytes and timings"),
    "probe": ("fastorder.net.cli", "find the fastest address of an endpoint: TCP connect, TLS, application RTT"),
    "sim": ("fastorder.sim.cli", "run the embedded exchange simulator on loopback"),
    "tune": ("fastorder.tune.cli", "what is tuned on this host and process, with verdicts and the reasons"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fastorder", description=__doc__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = {}
    for name, (modname, help_) in COMMANDS.items():
        p = sub.add_parser(name, help=help_)
        try:
            mod = importlib.import_module(modname)
        except ImportError as exc:  # a subcommand whose module is missing must not break the others
            p.set_defaults(_broken=f"{name}: unavailable ({exc})")
            continue
        mod.add_arguments(p)
        modules[name] = mod
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    broken = getattr(args, "_broken", None)
    if broken:
        print(broken, file=sys.stderr)
        return 2
    return int(modules[args.command].run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
