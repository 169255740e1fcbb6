"""Binance WebSocket API against the simulator, driven by the `websockets` client library."""

from __future__ import annotations

import asyncio
import json

import aiohttp
from websockets.asyncio.client import connect

from fastorder.sim import Simulator

ORDER = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01",
         "price": "49000.00"}


async def rpc(ws, rid, method, params=None):
    msg = {"id": rid, "method": method}
    if params is not None:
        msg["params"] = params
    await ws.send(json.dumps(msg))
    return json.loads(await asyncio.wait_for(ws.recv(), 5))


def test_utility_methods_and_errors(h):
    async def main():
        async with Simulator(venues=("binance",)) as sim, connect(sim.url("binance", "ws")) as ws:
            r = await rpc(ws, 1, "ping")
            assert r["id"] == 1 and r["status"] == 200 and r["result"] == {}
            assert r["rateLimits"][0]["rateLimitType"] == "REQUEST_WEIGHT"
            r = await rpc(ws, "t", "v3/time")
            assert r["status"] == 200 and abs(r["result"]["serverTime"] - h.ms()) < 5000
            r = await rpc(ws, 3, "ping", {"returnRateLimits": False})
            assert "rateLimits" not in r
            # returnRateLimits is an ordinary, signed parameter of signed requests
            r = await rpc(ws, 5, "order.place", h.bn_ws_params(dict(ORDER, returnRateLimits="false")))
            assert r["status"] == 200 and "rateLimits" not in r
            r = await rpc(ws, 4, "no.such.method")
            assert r["status"] == 400 and r["error"]["code"] == -1020
            await ws.send("{not json")
            r = json.loads(await ws.recv())
            assert r["id"] is None and r["status"] == 400 and "error" in r
        async with Simulator(venues=("binance",)) as sim, connect(sim.url("binance", "ws") + "?returnRateLimits=false") as ws:
            r = await rpc(ws, 1, "ping")
            assert "rateLimits" not in r
    h.run(main())


def test_signed_order_place_status_cancel_and_rest_agrees(h):
    async def main():
        async with Simulator(venues=("binance",)) as sim, connect(sim.url("binance", "ws")) as ws:
            r = await rpc(ws, "a", "order.place", h.bn_ws_params(dict(ORDER, newClientOrderId="ws1")))
            assert r["status"] == 200, r
            o = r["result"]
            assert o["status"] == "NEW" and o["clientOrderId"] == "ws1" and o["price"] == "49000.00000000"
            kinds = [(x["rateLimitType"], x["interval"]) for x in r["rateLimits"]]
            assert ("ORDERS", "SECOND") in kinds and ("ORDERS", "DAY") in kinds
            r = await rpc(ws, "b", "order.status", h.bn_ws_params({"symbol": "BTCUSDT", "orderId": o["orderId"]}))
            assert r["status"] == 200 and r["result"]["status"] == "NEW"
            ws_view = r["result"]
            # the same order through REST
            q = h.bn_query({"symbol": "BTCUSDT", "origClientOrderId": "ws1", "timestamp": h.ms()})
            async with aiohttp.ClientSession() as s:
                async with s.get(sim.url("binance") + "/api/v3/order?" + q, headers={"X-MBX-APIKEY": h.BN_KEY}) as resp:
                    assert await resp.json() == ws_view
            r = await rpc(ws, "c", "order.cancel", h.bn_ws_params({"symbol": "BTCUSDT", "origClientOrderId": "ws1"}))
            assert r["status"] == 200 and r["result"]["status"] == "CANCELED"
            assert r["result"]["origClientOrderId"] == "ws1"
            r = await rpc(ws, "d", "order.cancel", h.bn_ws_params({"symbol": "BTCUSDT", "origClientOrderId": "ws1"}))
            assert r["status"] == 400 and r["error"] == {"code": -2011, "msg": "Unknown order sent."}
            r = await rpc(ws, "e", "order.status", h.bn_ws_params({"symbol": "BTCUSDT", "orderId": 1}))
            assert r["error"]["code"] == -2013
            assert sim.order("binance", client_order_id="ws1")["status"] == "CANCELED"
            # numbers given as JSON numbers are signed by their text
            p = h.bn_ws_params({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
                                "quantity": 0.01, "price": 49000})
            r = await rpc(ws, "f", "order.place", p)
            assert r["status"] == 200, r
    h.run(main())


def test_ws_rejections(h):
    async def main():
        async with Simulator(venues=("binance",)) as sim, connect(sim.url("binance", "ws")) as ws:
            p = h.bn_ws_params(ORDER)
            p["signature"] = "0" * 64
            r = await rpc(ws, 1, "order.place", p)
            assert r["status"] == 400 and r["error"] == {"code": -1022, "msg": "Signature for this request is not valid."}
            p = dict(ORDER, timestamp=h.ms())
            r = await rpc(ws, 2, "order.place", p)  # not logged in, no apiKey
            assert r["error"]["code"] == -1102 and "apiKey" in r["error"]["msg"]
            p = h.bn_ws_params(ORDER, ed25519=False)
            p["apiKey"] = "x" * 64
            r = await rpc(ws, 3, "order.place", p)
            assert r["status"] == 401 and r["error"]["code"] == -2015
            r = await rpc(ws, 4, "order.place", h.bn_ws_params(dict(ORDER, timestamp=h.ms() - 10_000)))
            assert r["error"]["code"] == -1021
            r = await rpc(ws, 5, "order.place", h.bn_ws_params(dict(ORDER, price="49000.001")))
            assert r["error"] == {"code": -1013, "msg": "Filter failure: PRICE_FILTER"}
            r = await rpc(ws, 6, "order.place", h.bn_ws_params(dict(ORDER, symbol="XYZ")))
            assert r["error"]["code"] == -1121
            r = await rpc(ws, 7, "order.place", h.bn_ws_params(dict(ORDER, bogus="1")))
            assert r["error"]["code"] == -1104
            # HMAC keys cannot log on (docs: session authentication is Ed25519-only)
            r = await rpc(ws, 8, "session.logon", h.bn_ws_params({}))
            assert r["status"] == 400 and r["error"]["code"] == -4056
            bad = h.bn_ws_params({}, ed25519=True)
            bad["signature"] = h.bn_sign_ed25519("something else")
            r = await rpc(ws, 9, "session.logon", bad)
            assert r["error"]["code"] == -1022
    h.run(main())


def test_session_logon_ed25519_then_unsigned_requests(h):
    async def main():
        async with Simulator(venues=("binance",)) as sim, connect(sim.url("binance", "ws")) as ws:
            r = await rpc(ws, 1, "session.logon", h.bn_ws_params({}, ed25519=True))
            assert r["status"] == 200 and r["result"]["apiKey"] == h.BN_ED_KEY and r["result"]["authorizedSince"]
            r = await rpc(ws, 2, "order.place", dict(ORDER, timestamp=h.ms()))
            assert r["status"] == 200 and r["result"]["status"] == "NEW"
            oid = r["result"]["orderId"]
            r = await rpc(ws, 3, "order.place", dict(ORDER))  # timestamp is still mandatory
            assert r["error"]["code"] == -1102 and "timestamp" in r["error"]["msg"]
            r = await rpc(ws, 4, "order.cancel", {"symbol": "BTCUSDT", "orderId": oid, "timestamp": h.ms()})
            assert r["result"]["status"] == "CANCELED"
            r = await rpc(ws, 5, "session.status")
            assert r["result"]["apiKey"] == h.BN_ED_KEY
            r = await rpc(ws, 6, "session.logout")
            assert r["result"]["apiKey"] is None
            r = await rpc(ws, 7, "order.place", dict(ORDER, timestamp=h.ms()))
            assert r["error"]["code"] == -1102
    h.run(main())


def test_server_pings_lifetime_and_shutdown_event(h):
    async def main():
        async with Simulator(venues=("binance",), ws_ping_interval=0.2, ws_lifetime=1.0) as sim:
            async with connect(sim.url("binance", "ws"), ping_interval=None) as ws:
                # websockets answers the server's ping frames automatically; wait for the lifetime end
                msgs = []
                try:
                    while True:
                        msgs.append(json.loads(await asyncio.wait_for(ws.recv(), 3)))
                except Exception as e:  # noqa: BLE001 - ConnectionClosed expected
                    closed = e
                assert msgs and msgs[-1]["event"]["e"] == "serverShutdown"
                assert type(closed).__name__.startswith("ConnectionClosed")
            site = sim.sites["binance"]
            assert site.stats.samples["ws"] is not None
        # explicit shutdown trigger
        async with Simulator(venues=("binance",)) as sim, connect(sim.url("binance", "ws")) as ws:
            await rpc(ws, 1, "ping")
            sim.ws_shutdown("binance")
            m = json.loads(await asyncio.wait_for(ws.recv(), 3))
            assert m["event"]["e"] == "serverShutdown"
    h.run(main())


def test_no_pong_disconnects(h):
    """A client that never answers pings is disconnected after the pong deadline (raw socket client)."""
    async def main():
        import base64
        import os
        async with Simulator(venues=("binance",), ws_ping_interval=0.1, ws_pong_timeout=0.3) as sim:
            r, w = await asyncio.open_connection("127.0.0.1", sim.port("binance"))
            key = base64.b64encode(os.urandom(16)).decode()
            w.write(f"GET /ws-api/v3 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
            head = await r.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 101")
            t0 = asyncio.get_running_loop().time()
            pings = 0
            while True:
                b = await asyncio.wait_for(r.read(2), 3)
                if not b:
                    break
                op, n = b[0] & 0x0F, b[1] & 0x7F
                await r.readexactly(n)
                if op == 9:
                    pings += 1
                if op == 8:
                    break
            assert pings >= 2 and asyncio.get_running_loop().time() - t0 < 2.5
            w.close()
    h.run(main())


def test_optional_per_reply_timing_field(h):
    async def main():
        async with Simulator(venues=("binance", "okx"), ws_timing_field=True) as sim:
            async with connect(sim.url("binance", "ws")) as ws:
                r = await rpc(ws, 1, "ping")
                assert r["status"] == 200 and 0 < r["simProcessingUs"] < 1_000_000
            async with connect(sim.url("okx", "ws")) as ws:
                await ws.send("ping")
                assert await ws.recv() == "pong"  # non-JSON control replies stay untouched
                await ws.send(json.dumps(h.okx_login_args()))
                assert "simProcessingUs" in json.loads(await ws.recv())
        async with Simulator(venues=("binance",)) as sim, connect(sim.url("binance", "ws")) as ws:
            assert "simProcessingUs" not in await rpc(ws, 1, "ping")
    h.run(main())
