"""The client's instructions per requote (valgrind callgrind; deterministic, so a busy machine does not move
them): `amend_order` against `cancel_order` + `place_order` on the same resting order, OKX over REST and the
WebSocket, the simulator in another process (not counted).

    python bench/requote_instructions.py               # 300 requotes per mode
    python bench/requote_instructions.py --n 1000

Each mode runs in its own process under callgrind: connect, place the resting order, then N requotes (or none,
the baseline); instructions per requote = (mode total - baseline total) / N.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile

SYM = "BTC-USDT"


async def work(url_rest: str, url_ws: str, transport: str, mode: str, n: int) -> None:
    import fastorder
    from fastorder.sim import creds

    kw = dict(key=creds.OKX_KEY, secret=creds.OKX_SECRET, passphrase=creds.OKX_PASSPHRASE, url=url_rest,
              timeout=60.0, startup_timeout=120.0, connections=1, rate_limit=False, clock_samples=1)
    if transport == "ws":
        kw["ws_url"] = url_ws
    async with fastorder.connect("okx", transport, **kw) as s:
        o = await s.place_order(SYM, "buy", "0.001", "45000")
        for i in range(n if mode != "none" else 0):
            px = str(44000 + i % 2)
            if mode == "amend":
                await s.amend_order(SYM, order_id=o.order_id, price=px)
            else:
                await s.cancel_order(SYM, order_id=o.order_id)
                o = await s.place_order(SYM, "buy", "0.001", px)
        await s.cancel_all(SYM)


def instructions(args: list[str]) -> int:
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "cg.out")
        r = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
                            __file__, *args], capture_output=True, text=True, timeout=3600)
        if r.returncode:
            raise RuntimeError(r.stderr[-3000:])
        with open(out) as f:
            m = re.search(r"^summary:\s+(\d+)", f.read(), re.M)
        if not m:
            raise RuntimeError("no callgrind summary")
        return int(m.group(1))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=300)
    p.add_argument("--run", nargs=5, metavar=("REST", "WS", "TRANSPORT", "MODE", "N"), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.run:
        rest, ws, transport, mode, n = a.run
        asyncio.run(work(rest, ws, transport, mode, int(n)))
        return
    from fastorder.sim.simulator import SimulatorProcess

    with SimulatorProcess(venues=("okx",), extra_args=["--no-rate-limits"]) as sim:
        rest, ws = sim.urls["okx"]["rest"], sim.urls["okx"].get("ws", "")
        print(f"OKX, client instructions per requote (callgrind), {a.n} requotes per mode, simulator not counted")
        for transport in ("rest", "ws"):
            base = instructions(["--run", rest, ws, transport, "none", str(a.n)])
            per = {m: (instructions(["--run", rest, ws, transport, m, str(a.n)]) - base) / a.n
                   for m in ("amend", "cancel+place")}
            print(f"  {transport:4}  amend {per['amend']:10,.0f}   cancel+place {per['cancel+place']:10,.0f}   "
                  f"ratio {per['amend'] / per['cancel+place']:.3f}")


if __name__ == "__main__":
    main()
