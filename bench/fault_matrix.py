"""The fault matrix (issue: no order lost, none duplicated, every final state equal to the venue's).

    python bench/fault_matrix.py --orders 1000 --p 0.05          # the full run (13 rows x 5 paths)
    python bench/fault_matrix.py --orders 40 --faults "drop after" "5xx unknown"
    python bench/fault_matrix.py --faults "tls handshake" "tls bad cert" --paths okx-ws
    python bench/fault_matrix.py --tls                            # every cell over TLS

Each cell: a fresh simulator, the fault injected with probability p on the cell's transport after the
session is connected, a burst of IOC orders (4 in flight), recovery with the faults off, then every order
checked against the simulator's record. `none` is the control row (no fault). Per-connection faults: `slow
read` is set before connecting (every connection); the TLS rows always run over TLS and fail handshakes of
new connections (the first for certain, later ones with their own probability), with connections dropped
after processing (p) so that reconnects happen. The `429 then 418` row runs at a tenth of p: each firing
blocks the session for its 1 s Retry-After (`RATE` in fastorder/bench/faultmatrix.py). `fired` counts
firings (all kinds; the footer splits them by kind); `p50/p99 ms` are the round trips of the orders answered
directly. Prints the table; exits 1 if any cell loses, duplicates, mismatches or leaves an order unsettled.
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
    ap.add_argument("--tls", action="store_true", help="run every cell over TLS (the TLS rows always are)")
    a = ap.parse_args()
    paths = [tuple(x.split("-", 1)) for x in a.paths] if a.paths else None
    if paths and any(p not in PATHS for p in paths):
        ap.error(f"paths must be among {['-'.join(p) for p in PATHS]}")

    def progress(i: int, n: int, label: str) -> None:
        print(f"\r[{i}/{n}] {label:<40}", end="" if i < n else "\n", file=sys.stderr, flush=True)

    cells = asyncio.run(run_matrix(orders=a.orders, p=a.p, seed=a.seed, faults=a.faults, paths=paths,
                                   progress=progress, tls=a.tls))
    print(f"fault matrix: {a.orders} orders per cell, fault probability {a.p}, seed {a.seed}"
          + (", all over TLS" if a.tls else ""))
    print(table(cells))
    return 0 if all(c.ok for c in cells) else 1


if __name__ == "__main__":
    sys.exit(main())
