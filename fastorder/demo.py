"""`fastorder demo`: encode and sign one sample order for every venue and wire format; print the bytes and
how long each took (median over many runs, this machine, this process).

The keys are the illustrative ones the exchanges publish in their docs (sources in fastorder/sim/creds.py);
nothing is sent.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from fastorder._core.binance import BinanceRest, BinanceWs
from fastorder._core.buffer import WriteBuffer
from fastorder._core.htx import HtxRest
from fastorder._core.ids import ClientIdGenerator
from fastorder._core.numbers import SymbolRules
from fastorder._core.okx import OkxRest, OkxWs
from fastorder._core.sign import HmacSha256

BINANCE_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
BINANCE_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
OKX_SECRET = "22582BD0CFF14C41EDBF1AB98506286D"
HTX_KEY = "e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx"
HTX_SECRET = "b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx"


def samples() -> list[tuple[str, Callable[[WriteBuffer, str, int], None]]]:
    """(label, encode(buf, client_order_id, now_ms)) for one limit order on every venue and wire format."""
    rules = SymbolRules("BTCUSDT", "0.01", "0.00001", min_notional="5")
    bn_rest = BinanceRest(BINANCE_KEY, HmacSha256(BINANCE_SECRET), recv_window=5000)
    bn_ws = BinanceWs(BINANCE_KEY, HmacSha256(BINANCE_SECRET), recv_window=5000)
    okx_rest = OkxRest("okx-demo-key", HmacSha256(OKX_SECRET), "demo-passphrase")
    okx_ws = OkxWs("okx-demo-key", HmacSha256(OKX_SECRET), "demo-passphrase")
    htx = HtxRest(HTX_KEY, HmacSha256(HTX_SECRET), account_id=100009)
    return [
        ("Binance REST  POST /api/v3/order", lambda b, c, t: bn_rest.new_order_request(
            b, "BTCUSDT", "BUY", "LIMIT", time_in_force="IOC", quantity="0.001", price="50000",
            client_order_id=c, timestamp=t, resp_type="ACK", rules=rules)),
        ("Binance WS    order.place", lambda b, c, t: bn_ws.order_place(
            b, c, "BTCUSDT", "BUY", "LIMIT", time_in_force="IOC", quantity="0.001", price="50000",
            client_order_id=c, timestamp=t, resp_type="ACK", rules=rules)),
        ("OKX REST      POST /api/v5/trade/order", lambda b, c, t: okx_rest.place_order_request(
            b, "BTC-USDT", "cash", "buy", "ioc", sz="0.001", px="50000", cl_ord_id=c, timestamp_ms=t,
            rules=rules)),
        ("OKX WS        order (instIdCode)", lambda b, c, t: okx_ws.order(
            b, c, 10001, "cash", "buy", "ioc", sz="0.001", px="50000", cl_ord_id=c, rules=rules)),
        ("HTX REST      POST /v1/order/orders/place", lambda b, c, t: htx.place_order_request(
            b, "btcusdt", "buy-ioc", amount="0.001", price="50000", client_order_id=c,
            timestamp_s=t // 1000, rules=rules)),
    ]


def time_ns(fn: Callable[[WriteBuffer, str, int], None], ids: ClientIdGenerator, runs: int) -> float:
    """Median ns of one encode+sign (client id included), in batches of 100 to amortise the clock read."""
    buf = WriteBuffer()
    now = int(time.time() * 1000)
    per_batch = []
    for _ in range(max(1, runs // 100)):
        t0 = time.perf_counter_ns()
        for _ in range(100):
            buf.clear()
            fn(buf, ids.next(), now)
        per_batch.append((time.perf_counter_ns() - t0) / 100)
    return statistics.median(per_batch)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runs", type=int, default=20000, help="encodes per venue for the timing (default 20000)")


def run(args: argparse.Namespace) -> int:
    ids = ClientIdGenerator("demo")
    now = int(time.time() * 1000)
    print("fastorder demo: one signed limit order per venue and wire format (nothing is sent)\n")
    for label, fn in samples():
        buf = WriteBuffer()
        fn(buf, ids.next(), now)
        ns = time_ns(fn, ids, args.runs)
        print(f"== {label}   {len(buf)} bytes, encode+sign {ns / 1000:.2f} µs (median)")
        print(buf.getvalue().decode("utf-8"))
        print()
    return 0
