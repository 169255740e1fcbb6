"""Instructions per encode + sign of one Binance order, spot against USDⓈ-M perp, REST and WebSocket
(valgrind callgrind: deterministic, so a busy machine does not move them). The same orders as
bench/bench_encode.py's "binance perp vs spot" groups.

    python bench/encode_instructions.py            # 2000 calls per entry
    python bench/encode_instructions.py --n 5000

Each entry runs in its own process under callgrind, once with N calls and once with none (the baseline:
imports, setup); instructions per call = (with - without) / N.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile

ENTRIES = ("bn_spot_rest_request", "bn_perp_rest_request", "bn_perp_rest_hedge", "bn_ws_compiled",
           "bn_perp_ws_compiled", "bn_perp_ws_hedge")


def child(entry: str, n: int) -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    # under valgrind the interpreter may not see its venv: the checkout (built in place) and bench/ first
    sys.path[:0] = [here, os.path.dirname(here)]
    import bench_encode

    fn = getattr(bench_encode, entry)
    for _ in range(n):
        fn()


def count(entry: str, n: int) -> int:
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "cg.out")
        r = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, __file__,
                            "--child", entry, "--n", str(n)], capture_output=True, text=True, timeout=600)
        m = re.search(r"Collected : (\d+)", r.stderr)
        if r.returncode or not m:
            raise SystemExit(f"callgrind failed for {entry}: {r.stderr[-2000:]}")
        return int(m.group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--child")
    a = ap.parse_args()
    if a.child:
        child(a.child, a.n)
        return
    per = {}
    for e in ENTRIES:
        per[e] = (count(e, a.n) - count(e, 0)) / a.n
    print(f"instructions per call (callgrind, {a.n} calls, baseline subtracted)")
    for e in ENTRIES:
        base = per["bn_spot_rest_request"] if "rest" in e else per["bn_ws_compiled"]
        print(f"  {e:<24} {per[e]:9.0f}  {per[e] / base:.3f}x the spot order's")


if __name__ == "__main__":
    main()
