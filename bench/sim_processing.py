"""Measure the simulator's own processing time per request (µs), per venue and transport.

The simulator runs in a separate process (``fastorder sim --ready-json --no-rate-limits``), optionally pinned
to a CPU; this script is the client: it sends orders one at a time (place passive LIMIT, cancel it, place a
crossing IOC) over keep-alive HTTP/1.1 (raw asyncio streams) and over WebSocket (``websockets``), then reads
the simulator's measurements from ``GET /_sim/stats?samples=1`` and prints p50/p90/p99/p99.9/max/mean.
The time measured is server-side only (arrival of the request's last chunk -> reply handed to the kernel),
so the client's speed does not enter the numbers.

    python bench/sim_processing.py --orders 3000 --sim-cpu 1 --client-cpu 0
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import platform
import sys
import time
import urllib.parse
from datetime import datetime, timezone

BN_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
BN_SECRET = b"NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
OKX_KEY, OKX_SECRET, OKX_PP = "985d5b66-57ce-40fb-b714-afc0b9787083", b"22582BD0CFF14C41EDBF1AB98506286D", "Sim-Passphrase-1"
HTX_KEY, HTX_SECRET = "e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx", b"b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx"


def ms():
    return int(time.time() * 1000)


class Http:
    def __init__(self, host, port):
        self.host, self.port = host, port

    async def open(self):
        self.r, self.w = await asyncio.open_connection(self.host, self.port)
        return self

    async def req(self, method, target, body=b"", headers=()):
        h = "".join(f"{k}: {v}\r\n" for k, v in headers)
        self.w.write(f"{method} {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{h}"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        head = await self.r.readuntil(b"\r\n\r\n")
        n = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                n = int(line.split(b":")[1])
        return json.loads(await self.r.readexactly(n)) if n else None


def bn_q(p):
    q = urllib.parse.urlencode(dict(p, timestamp=ms()))
    return q + "&signature=" + hmac.new(BN_SECRET, q.encode(), hashlib.sha256).hexdigest()


async def binance_rest(host, port, n):
    c = await Http(host, port).open()
    hd = (("X-MBX-APIKEY", BN_KEY),)
    for i in range(n):
        o = await c.req("POST", "/api/v3/order?" + bn_q({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT",
                        "timeInForce": "GTC", "quantity": "0.001", "price": "49000", "newOrderRespType": "RESULT"}),
                        headers=hd)
        await c.req("DELETE", "/api/v3/order?" + bn_q({"symbol": "BTCUSDT", "orderId": o["orderId"]}), headers=hd)
        await c.req("POST", "/api/v3/order?" + bn_q({"symbol": "BTCUSDT", "side": "SELL" if i % 2 else "BUY",
                    "type": "LIMIT", "timeInForce": "IOC", "quantity": "0.001",
                    "price": "49000" if i % 2 else "51000"}), headers=hd)


async def binance_ws(host, port, n):
    from websockets.asyncio.client import connect

    def params(p):
        p = dict(p, apiKey=BN_KEY, timestamp=ms())
        p["signature"] = hmac.new(BN_SECRET, "&".join(f"{k}={p[k]}" for k in sorted(p)).encode(),
                                  hashlib.sha256).hexdigest()
        return p

    async with connect(f"ws://{host}:{port}/ws-api/v3", compression=None) as ws:
        for i in range(n):
            await ws.send(json.dumps({"id": i, "method": "order.place", "params": params(
                {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001",
                 "price": "49000", "newOrderRespType": "RESULT"})}))
            o = json.loads(await ws.recv())["result"]
            await ws.send(json.dumps({"id": i, "method": "order.cancel",
                                      "params": params({"symbol": "BTCUSDT", "orderId": o["orderId"]})}))
            await ws.recv()
            await ws.send(json.dumps({"id": i, "method": "order.place", "params": params(
                {"symbol": "BTCUSDT", "side": "SELL" if i % 2 else "BUY", "type": "LIMIT", "timeInForce": "IOC",
                 "quantity": "0.001", "price": "49000" if i % 2 else "51000"})}))
            await ws.recv()


def okx_hdr(method, path, body):
    t = datetime.now(timezone.utc)
    ts = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
    sign = base64.b64encode(hmac.new(OKX_SECRET, (ts + method + path + body).encode(), hashlib.sha256).digest())
    return (("OK-ACCESS-KEY", OKX_KEY), ("OK-ACCESS-SIGN", sign.decode()), ("OK-ACCESS-TIMESTAMP", ts),
            ("OK-ACCESS-PASSPHRASE", OKX_PP), ("Content-Type", "application/json"))


async def okx_rest(host, port, n):
    c = await Http(host, port).open()
    for i in range(n):
        b = json.dumps({"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "limit", "px": "49000",
                        "sz": "0.001"})
        o = await c.req("POST", "/api/v5/trade/order", b.encode(), okx_hdr("POST", "/api/v5/trade/order", b))
        b = json.dumps({"instId": "BTC-USDT", "ordId": o["data"][0]["ordId"]})
        await c.req("POST", "/api/v5/trade/cancel-order", b.encode(), okx_hdr("POST", "/api/v5/trade/cancel-order", b))
        b = json.dumps({"instId": "BTC-USDT", "tdMode": "cash", "side": "sell" if i % 2 else "buy", "ordType": "ioc",
                        "px": "49000" if i % 2 else "51000", "sz": "0.001"})
        await c.req("POST", "/api/v5/trade/order", b.encode(), okx_hdr("POST", "/api/v5/trade/order", b))


async def okx_ws(host, port, n):
    from websockets.asyncio.client import connect
    async with connect(f"ws://{host}:{port}/ws/v5/private", compression=None) as ws:
        ts = str(int(time.time()))
        sign = base64.b64encode(hmac.new(OKX_SECRET, (ts + "GET/users/self/verify").encode(), hashlib.sha256).digest())
        await ws.send(json.dumps({"op": "login", "args": [{"apiKey": OKX_KEY, "passphrase": OKX_PP, "timestamp": ts,
                                                           "sign": sign.decode()}]}))
        assert json.loads(await ws.recv())["code"] == "0"
        for i in range(n):
            await ws.send(json.dumps({"id": str(i), "op": "order", "args": [{"instIdCode": 10001, "tdMode": "cash",
                                      "side": "buy", "ordType": "limit", "px": "49000", "sz": "0.001"}]}))
            o = json.loads(await ws.recv())
            await ws.send(json.dumps({"id": str(i), "op": "cancel-order", "args": [
                {"instIdCode": 10001, "ordId": o["data"][0]["ordId"]}]}))
            await ws.recv()
            await ws.send(json.dumps({"id": str(i), "op": "order", "args": [{"instIdCode": 10001, "tdMode": "cash",
                                      "side": "sell" if i % 2 else "buy", "ordType": "ioc",
                                      "px": "49000" if i % 2 else "51000", "sz": "0.001"}]}))
            await ws.recv()


def htx_target(host, method, path):
    p = {"AccessKeyId": HTX_KEY, "SignatureMethod": "HmacSHA256", "SignatureVersion": "2",
         "Timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")}
    enc = "&".join(f"{k}={urllib.parse.quote(v, safe='')}" for k, v in sorted(p.items()))
    sig = base64.b64encode(hmac.new(HTX_SECRET, f"{method}\n{host}\n{path}\n{enc}".encode(), hashlib.sha256).digest())
    return f"{path}?{enc}&Signature={urllib.parse.quote(sig.decode(), safe='')}"


async def htx_rest(host, port, n):
    c = await Http(host, port).open()
    hd = (("Content-Type", "application/json"),)
    for i in range(n):
        b = json.dumps({"account-id": "100009", "symbol": "btcusdt", "type": "buy-limit", "amount": "0.001",
                        "price": "49000"}).encode()
        o = await c.req("POST", htx_target(host, "POST", "/v1/order/orders/place"), b, hd)
        p = f"/v1/order/orders/{o['data']}/submitcancel"
        await c.req("POST", htx_target(host, "POST", p), b"{}", hd)
        b = json.dumps({"account-id": "100009", "symbol": "btcusdt", "type": "sell-ioc" if i % 2 else "buy-ioc",
                        "amount": "0.001", "price": "49000" if i % 2 else "51000"}).encode()
        await c.req("POST", htx_target(host, "POST", "/v1/order/orders/place"), b, hd)


RUNS = {("binance", "rest"): binance_rest, ("binance", "ws"): binance_ws, ("okx", "rest"): okx_rest,
        ("okx", "ws"): okx_ws, ("htx", "rest"): htx_rest}


def pct(v):
    v = sorted(v)
    n = len(v)
    q = lambda p: v[min(n - 1, max(0, int(round(p / 100 * n + 0.5)) - 1))]  # noqa: E731
    return {"n": n, "min": v[0], "p50": q(50), "p90": q(90), "p99": q(99), "p99.9": q(99.9), "max": v[-1], "mean": sum(v) / n}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=2000, help="iterations per venue/transport (3 requests each)")
    ap.add_argument("--warmup", type=int, default=200, help="iterations discarded before measuring")
    ap.add_argument("--sim-cpu", type=int, default=None, help="pin the simulator process to this CPU")
    ap.add_argument("--client-cpu", type=int, default=None, help="pin this client process to this CPU")
    ap.add_argument("--sim-spin-us", type=float, default=0.0,
                    help="run the simulator with --spin-us (busy-poll this long after each request)")
    ap.add_argument("--only", default="", help="comma list like binance/rest,okx/ws (default: all)")
    args = ap.parse_args(argv)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from fastorder.sim import SimulatorProcess
    if args.client_cpu is not None:
        os.sched_setaffinity(0, {args.client_cpu})
    runs = [tuple(x.split("/")) for x in args.only.split(",")] if args.only else list(RUNS)
    import uvloop
    out = {}
    with SimulatorProcess(venues=("binance", "okx", "htx"), cpus=[args.sim_cpu] if args.sim_cpu is not None else None,
                          extra_args=["--no-rate-limits"] + (["--spin-us", str(args.sim_spin_us)] if args.sim_spin_us else [])) as sp:
        for venue, tr in runs:
            u = urllib.parse.urlsplit(sp.urls[venue]["rest"])
            uvloop.run(RUNS[(venue, tr)](u.hostname, u.port, args.warmup))
            before = len(sp.stats(venue, samples=True)["samples"][tr])
            t0 = time.perf_counter()
            uvloop.run(RUNS[(venue, tr)](u.hostname, u.port, args.orders))
            wall = time.perf_counter() - t0
            samples = sp.stats(venue, samples=True)["samples"][tr][before:]
            out[(venue, tr)] = (pct(samples), wall)
    c0 = time.thread_time_ns()
    s = 0
    for i in range(1_000_000):
        s += i
    calib = (time.thread_time_ns() - c0) / 1e6
    print(f"# simulator processing time per request (µs) -- {platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, sim cpu={args.sim_cpu}, client cpu={args.client_cpu}, "
          f"sim spin={args.sim_spin_us:g} µs")
    print(f"# machine state: load average {os.getloadavg()[0]:.2f}; calibration loop (1M Python int additions) "
          f"{calib:.0f} ms CPU; {args.orders} iterations x 3 requests (place passive LIMIT, cancel, crossing IOC)")
    print(f"{'venue/transport':16s} {'n':>6s} {'min':>7s} {'p50':>8s} {'p90':>8s} {'p99':>8s} {'p99.9':>8s} {'max':>9s} {'mean':>8s}"
          f" {'req/s':>8s}")
    for (venue, tr), (p, wall) in out.items():
        print(f"{venue + '/' + tr:16s} {p['n']:6d} {p['min']:7.1f} {p['p50']:8.1f} {p['p90']:8.1f} {p['p99']:8.1f} {p['p99.9']:8.1f} "
              f"{p['max']:9.1f} {p['mean']:8.1f} {p['n'] / wall:8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
