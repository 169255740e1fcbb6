"""The simulator's Binance REST new-order path in process, without sockets: its cost per order in CPU
instructions (valgrind's callgrind, repeatable on a noisy machine) or in µs (a warm loop).

Signed crossing IOC orders (HMAC) are fed straight to ``HttpProtocol.data_received``, so llhttp, the
request object, the Binance handler (parameters, signature, timestamp window, filters, matching) and the
reply bytes are all counted; the event loop and the kernel are not. ``time.time`` is frozen so that the
pre-signed requests stay inside their recvWindow however slowly valgrind runs.

    python bench/sim_inprocess.py --time                 # µs per order, warm loop
    python bench/sim_inprocess.py --instructions         # instructions per order (needs valgrind)

Instructions per order = (total for 3,000 orders - total for 1,000) / 2,000: start-up cancels out.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse

FROZEN_S = 1764084000.5   # the clock every request is signed and checked at


def requests(n: int) -> list[bytes]:
    from fastorder.sim import creds

    secret = creds.BINANCE_HMAC_SECRET.encode()
    out = []
    for i in range(n):
        q = urllib.parse.urlencode({
            "symbol": "BTCUSDT", "side": "SELL" if i % 2 else "BUY", "type": "LIMIT", "timeInForce": "IOC",
            "quantity": "0.001", "price": "49000" if i % 2 else "51000", "newClientOrderId": f"x{i}",
            "newOrderRespType": "RESULT", "recvWindow": 60000, "timestamp": int(FROZEN_S * 1000)})
        q += "&signature=" + hmac.new(secret, q.encode(), hashlib.sha256).hexdigest()
        out.append((f"POST /api/v3/order?{q} HTTP/1.1\r\nHost: 127.0.0.1:8881\r\nX-MBX-APIKEY: "
                    f"{creds.BINANCE_HMAC_KEY}\r\nUser-Agent: fastorder\r\nContent-Length: 0\r\n\r\n").encode())
    return out


class _Transport:
    def __init__(self) -> None:
        self.last = b""

    def write(self, data: bytes) -> None:
        self.last = data

    def get_extra_info(self, name: str, default=None):
        return ("127.0.0.1", 50000) if name == "peername" else default

    def close(self) -> None:
        pass


def protocol():
    from fastorder.sim.binance import Binance, BinanceLimits
    from fastorder.sim.creds import Credentials
    from fastorder.sim.faults import FaultPlan
    from fastorder.sim.http import HttpProtocol
    from fastorder.sim.server import VenueServer

    app = Binance(Credentials.default().binance, BinanceLimits(enabled=False))
    site = VenueServer("binance", app, FaultPlan(None), "127.0.0.1", 0, None, asyncio.new_event_loop())
    t = _Transport()
    proto = HttpProtocol(site)
    proto.connection_made(t)
    return proto, t


def feed(n: int, path: str) -> None:
    """The child process under callgrind: the first n orders of the file, checked. The file always holds
    the same 3,000 orders, so loading it costs the same in every run and cancels out."""
    import pickle

    time.time = lambda: FROZEN_S
    with open(path, "rb") as f:
        reqs = pickle.load(f)
    proto, t = protocol()
    for r in reqs[:n]:
        proto.data_received(r)
    if b" 200 OK" not in t.last[:20]:
        raise SystemExit(f"the simulator refused the order: {t.last[:300]!r}")


def instructions(n: int, path: str) -> int:
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          os.path.realpath(sys.executable), os.path.abspath(__file__), "--feed", str(n), path],
                         capture_output=True, text=True, timeout=900)
    m = re.search(r"Collected : (\d+)", out.stderr)
    if out.returncode != 0 or m is None:
        raise SystemExit(f"valgrind failed:\n{out.stderr[-2000:]}")
    return int(m.group(1))


def timed(n: int, warm: int) -> None:
    time.time = lambda: FROZEN_S
    reqs = requests(warm + n)
    proto, _ = protocol()
    for r in reqs[:warm]:
        proto.data_received(r)
    ts = []
    perf = time.perf_counter_ns
    for r in reqs[warm:]:
        t0 = perf()
        proto.data_received(r)
        ts.append((perf() - t0) / 1000)
    ts.sort()
    print(f"µs per order (warm loop, {n} orders): min {ts[0]:.1f}  p50 {ts[n // 2]:.1f}  "
          f"p90 {ts[int(n * 0.9)]:.1f}  mean {sum(ts) / n:.1f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instructions", action="store_true", help="instructions per order, with callgrind")
    ap.add_argument("--time", action="store_true", help="µs per order in a warm loop")
    ap.add_argument("--orders", type=int, default=10000, help="orders timed by --time (default 10000)")
    ap.add_argument("--feed", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if args.feed is not None:
        feed(int(args.feed[0]), args.feed[1])
        return 0
    if not (args.instructions or args.time):
        args.time = True
    if args.time:
        timed(args.orders, 1000)
    if args.instructions:
        if shutil.which("valgrind") is None:
            print("--instructions needs valgrind (apt-get install valgrind)", file=sys.stderr)
            return 2
        import pickle
        import tempfile

        with tempfile.NamedTemporaryFile(suffix=".pickle") as f:
            pickle.dump(requests(3000), f)
            f.flush()
            a, b = instructions(1000, f.name), instructions(3000, f.name)
        print(f"instructions per order: {(b - a) // 2000:,}  (callgrind; 3,000 orders minus 1,000)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
