"""The client's instructions per requote (valgrind callgrind; deterministic, so a busy machine does not move
them): `amend_order` against `cancel_order` + `place_order` on the same resting order, per venue with amend
(OKX amend-order, Binance's price amend: order.cancelReplace) over REST and the WebSocket, the simulator in
another process (not counted).

    python bench/requote_instructions.py               # 300 requotes per mode, OKX and Binance
    python bench/requote_instructions.py --n 1000 --venue binance

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

SYM = {"okx": "BTC-USDT", "binance": "BTCUSDT"}


async def work(venue: str, url_rest: str, url_ws: str, transport: str, mode: str, n: int) -> None:
    import fastorder
    from fastorder.sim import creds

    kw: dict = dict(url=url_rest, timeout=60.0, startup_timeout=120.0, connections=1, rate_limit=False,
                    clock_samples=1)
    if venue == "okx":
        kw.update(key=creds.OKX_KEY, secret=creds.OKX_SECRET, passphrase=creds.OKX_PASSPHRASE)
    else:
        kw.update(key=creds.BINANCE_HMAC_KEY, secret=creds.BINANCE_HMAC_SECRET)
    if transport == "ws":
        kw["ws_url"] = url_ws
    sym = SYM[venue]
    async with fastorder.connect(venue, transport, **kw) as s:
        o = await s.place_order(sym, "buy", "0.001", "45000")
        # every mode (the baseline too): the first amend of an order this session has not amended reads the
        # order first (Binance), once; so it is not counted per requote
        o = await s.amend_order(sym, order_id=o.order_id, price="44999")
        for i in range(n if mode != "none" else 0):
            px = str(44000 + i % 2)
            if mode == "amend":
                o = await s.amend_order(sym, order_id=o.order_id, price=px)   # Binance: a new order id
            else:
                await s.cancel_order(sym, order_id=o.order_id)
                o = await s.place_order(sym, "buy", "0.001", px)
        await s.cancel_all(sym)


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
    p.add_argument("--venue", choices=tuple(SYM), action="append", help="okx and binance unless given")
    p.add_argument("--run", nargs=6, metavar=("VENUE", "REST", "WS", "TRANSPORT", "MODE", "N"),
                   help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.run:
        venue, rest, ws, transport, mode, n = a.run
        asyncio.run(work(venue, rest, ws, transport, mode, int(n)))
        return
    from fastorder.sim.simulator import SimulatorProcess

    for venue in a.venue or tuple(SYM):
        with SimulatorProcess(venues=(venue,), extra_args=["--no-rate-limits"]) as sim:
            rest, ws = sim.urls[venue]["rest"], sim.urls[venue].get("ws", "")
            print(f"{venue}, client instructions per requote (callgrind), {a.n} requotes per mode, simulator not "
                  "counted")
            for transport in ("rest", "ws"):
                base = instructions(["--run", venue, rest, ws, transport, "none", str(a.n)])
                per = {m: (instructions(["--run", venue, rest, ws, transport, m, str(a.n)]) - base) / a.n
                       for m in ("amend", "cancel+place")}
                print(f"  {transport:4}  amend {per['amend']:10,.0f}   cancel+place {per['cancel+place']:10,.0f}   "
                      f"ratio {per['amend'] / per['cancel+place']:.3f}")


if __name__ == "__main__":
    main()
