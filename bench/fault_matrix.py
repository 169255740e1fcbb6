"""The fault matrix (issue: no order lost, none duplicated, every final state equal to the venue's).

    python bench/fault_matrix.py --orders 1000 --p 0.05          # the full run (~10 faults x 5 paths)
    python bench/fault_matrix.py --orders 40 --faults "drop after" "5xx unknown"

Each cell: a fresh simulator, the fault injected with probability p on the cell's transport after the
session is connected, a burst of IOC orders (4 in flight), recovery with the faults off, then every order
checked against the simulator's record. Prints the table; exits 1 if any cell loses, duplicates, mismatches
or leaves an order unsettled.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from fastorder.bench.faultmatrix import FAULTS, PATHS, run_matrix, table


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=1000, help="orders per cell (default 1000)")
    ap.add_argument("--p", type=float, default=0.05, help="fault probability per request (default 0.05)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--faults", nargs="*", choices=list(FAULTS), help="only these faults")
    ap.add_argument("--paths", nargs="*", help="only these venue-transport pairs, e.g. binance-ws htx-rest")
    a = ap.parse_args()
    paths = [tuple(x.split("-", 1)) for x in a.paths] if a.paths else None
    if paths and any(p not in PATHS for p in paths):
        ap.error(f"paths must be among {['-'.join(p) for p in PATHS]}")

    def progress(i: int, n: int, label: str) -> None:
        print(f"\r[{i}/{n}] {label:<40}", end="" if i < n else "\n", file=sys.stderr, flush=True)

    cells = asyncio.run(run_matrix(orders=a.orders, p=a.p, seed=a.seed, faults=a.faults, paths=paths,
                                   progress=progress))
    print(f"fault matrix: {a.orders} orders per cell, fault probability {a.p}, seed {a.seed}")
    print(table(cells))
    return 0 if all(c.ok for c in cells) else 1


if __name__ == "__main__":
    sys.exit(main())
