"""OKX v5 REST and private WebSocket against the simulator (aiohttp + websockets, independent signer)."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from websockets.asyncio.client import connect

from fastorder.sim import Simulator

PLACE = {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "limit", "px": "49000", "sz": "0.01"}


class Rest:
    def __init__(self, h, sim, s):
        self.h, self.s, self.base = h, s, sim.url("okx")

    async def call(self, method, path, body=None, headers=None, sign=True, **kw):
        data = json.dumps(body, separators=(",", ":")) if body is not None else ""
        hdr = self.h.okx_headers(method, path, data, **kw) if sign else {}
        if headers is not None:
            hdr.update(headers)
            hdr = {k: v for k, v in hdr.items() if v is not None}
        async with self.s.request(method, self.base + path, data=data or None, headers=hdr) as r:
            return r.status, await r.json(content_type=None)


def scenario(h, fn, **kw):
    async def main():
        async with Simulator(venues=("okx",), **kw) as sim, aiohttp.ClientSession() as s:
            await fn(Rest(h, sim, s), sim)
    h.run(main())


def test_public_time_and_instruments(h):
    async def t(c, sim):
        st, r = await c.call("GET", "/api/v5/public/time", sign=False)
        assert st == 200 and r["code"] == "0" and abs(int(r["data"][0]["ts"]) - h.ms()) < 5000
        st, r = await c.call("GET", "/api/v5/public/instruments?instType=SPOT", sign=False)
        assert st == 200 and r["code"] == "0"
        btc = next(i for i in r["data"] if i["instId"] == "BTC-USDT")
        assert isinstance(btc["instIdCode"], int) and btc["tickSz"] == "0.1" and btc["minSz"] == "0.00001"
        assert btc["state"] == "live" and btc["baseCcy"] == "BTC" and btc["quoteCcy"] == "USDT"
        st, r = await c.call("GET", "/api/v5/public/instruments", sign=False)
        assert (st, r["code"]) == (400, "50014")
    scenario(h, t)


def test_rest_place_query_cancel(h):
    async def t(c, sim):
        st, r = await c.call("POST", "/api/v5/trade/order", dict(PLACE, clOrdId="b15", tag="t1"))
        assert st == 200 and r["code"] == "0" and r["msg"] == "", r
        item = r["data"][0]
        assert item["sCode"] == "0" and item["clOrdId"] == "b15" and item["tag"] == "t1" and item["ordId"].isdigit()
        assert int(r["outTime"]) >= int(r["inTime"]) > 0
        path = f"/api/v5/trade/order?instId=BTC-USDT&ordId={item['ordId']}"
        st, q = await c.call("GET", path)
        assert q["code"] == "0" and q["data"][0]["state"] == "live" and q["data"][0]["px"] == "49000"
        st, q2 = await c.call("GET", "/api/v5/trade/order?instId=BTC-USDT&clOrdId=b15")
        assert q2["data"] == q["data"]
        st, r = await c.call("POST", "/api/v5/trade/cancel-order", {"instId": "BTC-USDT", "clOrdId": "b15"})
        assert r["code"] == "0" and r["data"][0]["sCode"] == "0" and r["data"][0]["ordId"] == item["ordId"]
        st, q = await c.call("GET", path)
        assert q["data"][0]["state"] == "canceled"
        st, r = await c.call("POST", "/api/v5/trade/cancel-order", {"instId": "BTC-USDT", "clOrdId": "b15"})
        assert r["code"] == "1" and r["data"][0]["sCode"] == "51400"   # 51401 is Nitro Spread's
        st, r = await c.call("POST", "/api/v5/trade/cancel-order", {"instId": "BTC-USDT", "ordId": "123"})
        assert r["code"] == "1" and r["data"][0]["sCode"] == "51400"
        st, q = await c.call("GET", "/api/v5/trade/order?instId=BTC-USDT&ordId=1")
        assert q["code"] == "51603" and q["data"] == []
        # taker / market / ioc / fok / post_only
        st, r = await c.call("POST", "/api/v5/trade/order", dict(PLACE, px="50100"))
        oid = r["data"][0]["ordId"]
        st, q = await c.call("GET", f"/api/v5/trade/order?instId=BTC-USDT&ordId={oid}")
        assert q["data"][0]["state"] == "filled" and q["data"][0]["avgPx"] == "50000.5"
        st, r = await c.call("POST", "/api/v5/trade/order", {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy",
                                                             "ordType": "market", "sz": "100"})
        oid = r["data"][0]["ordId"]
        st, q = await c.call("GET", f"/api/v5/trade/order?instId=BTC-USDT&ordId={oid}")
        assert q["data"][0]["state"] == "filled" and q["data"][0]["sz"] == "100"
        st, r = await c.call("POST", "/api/v5/trade/order", dict(PLACE, ordType="fok", px="50000.5", sz="5"))
        oid = r["data"][0]["ordId"]
        st, q = await c.call("GET", f"/api/v5/trade/order?instId=BTC-USDT&ordId={oid}")
        assert q["data"][0]["state"] == "canceled" and q["data"][0]["accFillSz"] == "0"
        st, r = await c.call("POST", "/api/v5/trade/order", dict(PLACE, ordType="post_only", px="51000"))
        oid = r["data"][0]["ordId"]
        st, q = await c.call("GET", f"/api/v5/trade/order?instId=BTC-USDT&ordId={oid}")
        assert q["data"][0]["state"] == "canceled" and q["data"][0]["accFillSz"] == "0"
        st, r = await c.call("POST", "/api/v5/trade/order", dict(PLACE, ordType="ioc", px="50001", sz="3"))
        oid = r["data"][0]["ordId"]
        st, q = await c.call("GET", f"/api/v5/trade/order?instId=BTC-USDT&ordId={oid}")
        assert q["data"][0]["state"] == "canceled" and 0 < float(q["data"][0]["accFillSz"]) < 3
    scenario(h, t)


@pytest.mark.parametrize("change,status,code", [
    ({"OK-ACCESS-KEY": None}, 401, "50103"),
    ({"OK-ACCESS-PASSPHRASE": None}, 401, "50104"),
    ({"OK-ACCESS-SIGN": None}, 401, "50106"),
    ({"OK-ACCESS-TIMESTAMP": None}, 401, "50107"),
    ({"OK-ACCESS-KEY": "11111111-2222-3333-4444-555555555555"}, 401, "50111"),
    ({"OK-ACCESS-PASSPHRASE": "wrong"}, 401, "50105"),
    ({"OK-ACCESS-TIMESTAMP": "1538054050"}, 401, "50112"),
    ({"OK-ACCESS-SIGN": "dI6rrL9rXW/HdaPKJ/6LC1OgvH4/PYju6R3CqixMTNQ="}, 401, "50113"),
])
def test_rest_auth_rejections(h, change, status, code):
    async def t(c, sim):
        st, r = await c.call("POST", "/api/v5/trade/order", PLACE, headers=change)
        assert (st, r["code"]) == (status, code), r
        assert sim.orders("okx") == []
    scenario(h, t)


def test_rest_timestamp_window_and_signature_coverage(h):
    async def t(c, sim):
        import datetime as dt
        old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=45)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        st, r = await c.call("POST", "/api/v5/trade/order", PLACE, ts=old)
        assert (st, r["code"]) == (401, "50102")
        # the query string is part of the signed path for GET
        hdr = h.okx_headers("GET", "/api/v5/trade/order", "")
        async with c.s.get(c.base + "/api/v5/trade/order?instId=BTC-USDT&ordId=1", headers=hdr) as resp:
            assert resp.status == 401 and (await resp.json())["code"] == "50113"
        st, r = await c.call("POST", "/api/v5/trade/order", PLACE, secret="0" * 32)
        assert r["code"] == "50113"
    scenario(h, t)


@pytest.mark.parametrize("body,code,scode", [
    ({k: v for k, v in PLACE.items() if k != "instId"}, "50014", None),
    ({k: v for k, v in PLACE.items() if k != "sz"}, "50014", None),
    ({k: v for k, v in PLACE.items() if k != "px"}, "50014", None),
    (dict(PLACE, instId="FOO-BAR"), "1", "51001"),
    (dict(PLACE, side="hold"), "51000", None),
    (dict(PLACE, ordType="twap"), "51000", None),
    (dict(PLACE, clOrdId="has-dash"), "51000", None),
    (dict(PLACE, sz="1e-3"), "51000", None),
    (dict(PLACE, px="49000.05"), "1", "51000"),
    (dict(PLACE, sz="0.000000001"), "1", "51121"),
    (dict(PLACE, sz="0.000001"), "1", "51020"),
    (dict(PLACE, sz="100"), "1", "51008"),
    (dict(PLACE, tdMode="cross"), "1", "51010"),
])
def test_rest_place_rejections(h, body, code, scode):
    async def t(c, sim):
        st, r = await c.call("POST", "/api/v5/trade/order", body)
        assert r["code"] == code, r
        if scode:
            assert st == 200 and r["data"][0]["sCode"] == scode and r["msg"] == "Operation failed."
        else:
            assert r["data"] == []
        assert sim.orders("okx") == []
    scenario(h, t)


def test_rest_duplicate_clordid_and_rate_limit(h):
    async def t(c, sim):
        st, r = await c.call("POST", "/api/v5/trade/order", dict(PLACE, clOrdId="dup"))
        assert r["code"] == "0"
        st, r = await c.call("POST", "/api/v5/trade/order", dict(PLACE, clOrdId="dup"))
        assert r["code"] == "1" and r["data"][0]["sCode"] == "51016"
        st, r = await c.call("POST", "/api/v5/trade/order", PLACE)
        assert r["code"] == "0"
        st, r = await c.call("POST", "/api/v5/trade/order", PLACE)
        assert (st, r["code"]) == (429, "50011")
    scenario(h, t, okx_limit_per_2s=3)


def test_ws_login_order_cancel_ping(h):
    async def main():
        async with Simulator(venues=("okx",)) as sim, connect(sim.url("okx", "ws")) as ws:
            await ws.send("ping")
            assert await ws.recv() == "pong"
            await ws.send(json.dumps({"id": "1", "op": "order", "args": [{"instIdCode": 10001}]}))
            r = json.loads(await ws.recv())
            assert r["code"] == "60011" and r["id"] == "1"
            await ws.send(json.dumps(h.okx_login_args()))
            r = json.loads(await ws.recv())
            assert r["event"] == "login" and r["code"] == "0" and r["connId"]
            await ws.send(json.dumps(h.okx_login_args()))
            assert json.loads(await ws.recv())["code"] == "60031"
            a = {k: v for k, v in PLACE.items() if k != "instId"}
            await ws.send(json.dumps({"id": "1512", "op": "order", "args": [dict(a, instIdCode=10001, clOrdId="w1")]}))
            r = json.loads(await ws.recv())
            assert r["id"] == "1512" and r["op"] == "order" and r["code"] == "0", r
            assert r["data"][0]["sCode"] == "0" and int(r["outTime"]) >= int(r["inTime"])
            oid = r["data"][0]["ordId"]
            assert sim.order("okx", oid)["status"] == "NEW"
            # instId alone is ignored after the instIdCode migration
            await ws.send(json.dumps({"id": "2", "op": "order", "args": [PLACE]}))
            r = json.loads(await ws.recv())
            assert r["code"] == "50014" and "instIdCode" in r["msg"]
            await ws.send(json.dumps({"id": "3", "op": "order", "args": [dict(a, instIdCode=99999)]}))
            r = json.loads(await ws.recv())
            assert r["code"] == "1" and r["data"][0]["sCode"] == "51001"
            await ws.send(json.dumps({"id": "4", "op": "order", "args": [dict(a, instIdCode=10001, sz="100")]}))
            r = json.loads(await ws.recv())
            assert r["code"] == "1" and r["data"][0]["sCode"] == "51008"
            await ws.send(json.dumps({"id": "5", "op": "cancel-order", "args": [{"instIdCode": 10001, "ordId": oid}]}))
            r = json.loads(await ws.recv())
            assert r["code"] == "0" and r["data"][0]["sCode"] == "0"
            assert sim.order("okx", oid)["status"] == "CANCELED"
            assert sim.order("okx", oid)["venue_status"] == "canceled"
            await ws.send(json.dumps({"id": "6", "op": "nope", "args": []}))
            assert json.loads(await ws.recv())["code"] == "60012"
            await ws.send("{bad json")
            assert json.loads(await ws.recv())["event"] == "error"
    h.run(main())


@pytest.mark.parametrize("kw,code", [
    ({"key": "k-unknown"}, "60005"),
    ({"passphrase": "nope"}, "60024"),
    ({"ts": "1538054050"}, "60006"),
    ({"ts": "abc"}, "60004"),
    ({"secret": "0" * 32}, "60007"),
])
def test_ws_login_rejections(h, kw, code):
    async def main():
        async with Simulator(venues=("okx",)) as sim, connect(sim.url("okx", "ws")) as ws:
            await ws.send(json.dumps(h.okx_login_args(**kw)))
            r = json.loads(await ws.recv())
            assert r["event"] == "error" and r["code"] == code, r
    h.run(main())


def test_ws_idle_close_4004(h):
    async def main():
        async with Simulator(venues=("okx",), okx_idle_timeout=0.8) as sim, connect(sim.url("okx", "ws")) as ws:
            await asyncio.sleep(0.2)
            await ws.send("ping")  # activity postpones the idle close
            assert await ws.recv() == "pong"
            t0 = asyncio.get_running_loop().time()
            try:
                await asyncio.wait_for(ws.recv(), 3)
                raise AssertionError("expected close")
            except Exception as e:  # noqa: BLE001
                assert type(e).__name__.startswith("ConnectionClosed")
                assert e.rcvd.code == 4004
            assert 0.6 < asyncio.get_running_loop().time() - t0 < 2.5
    h.run(main())


def test_exp_time(h):
    async def t(c, sim):
        st, r = await c.call("POST", "/api/v5/trade/order", dict(PLACE, clOrdId="e1"),
                             headers={"expTime": str(h.ms() + 5000)})
        assert r["code"] == "0"
        st, r = await c.call("POST", "/api/v5/trade/order", dict(PLACE, clOrdId="e2"),
                             headers={"expTime": str(h.ms() - 1)})
        assert st == 200 and r["code"] == "50036" and r["data"] == []   # expTime already passed: not processed
        assert sim.order("okx", client_order_id="e2") is None
        async with connect(sim.url("okx", "ws")) as ws:
            await ws.send(json.dumps(h.okx_login_args()))
            await ws.recv()
            a = {k: v for k, v in PLACE.items() if k != "instId"}
            for exp, code in ((h.ms() + 5000, "0"), (h.ms() - 1, "50036"), ("soon", "51000")):
                await ws.send(json.dumps({"id": "9", "op": "order", "expTime": str(exp),
                                          "args": [dict(a, instIdCode=10001)]}))
                assert json.loads(await ws.recv())["code"] == code
    scenario(h, t)


def test_rest_batch_orders(h):
    async def t(c, sim):
        st, r = await c.call("POST", "/api/v5/trade/batch-orders", [dict(PLACE, clOrdId="b1"), dict(PLACE, clOrdId="b2")])
        assert r["code"] == "0" and [i["sCode"] for i in r["data"]] == ["0", "0"]
        st, r = await c.call("POST", "/api/v5/trade/batch-orders", [dict(PLACE, clOrdId="b3"), dict(PLACE, sz="100")])
        assert r["code"] == "2" and [i["sCode"] for i in r["data"]] == ["0", "51008"]
        st, r = await c.call("POST", "/api/v5/trade/batch-orders", [dict(PLACE, instId="X-Y")])
        assert r["code"] == "1" and r["data"][0]["sCode"] == "51001"
        st, r = await c.call("POST", "/api/v5/trade/batch-orders", [PLACE] * 21)
        assert r["code"] == "51000" and r["data"] == []
        st, r = await c.call("POST", "/api/v5/trade/batch-orders", {"not": "a list"})
        assert (st, r["code"]) == (400, "50002")
        assert {o["client_order_id"] for o in sim.orders("okx")} == {"b1", "b2", "b3"}
    scenario(h, t)


def test_ws_batch_ops(h):
    async def main():
        async with Simulator(venues=("okx",)) as sim, connect(sim.url("okx", "ws")) as ws:
            await ws.send(json.dumps(h.okx_login_args()))
            await ws.recv()
            a = {k: v for k, v in PLACE.items() if k != "instId"}
            await ws.send(json.dumps({"id": "b1", "op": "batch-orders", "args": [
                dict(a, instIdCode=10001, clOrdId="x1"), dict(a, instIdCode=10001, sz="100")]}))
            r = json.loads(await ws.recv())
            assert r["code"] == "2" and [i["sCode"] for i in r["data"]] == ["0", "51008"]
            oid = r["data"][0]["ordId"]
            await ws.send(json.dumps({"id": "b2", "op": "batch-cancel-orders", "args": [
                {"instIdCode": 10001, "ordId": oid}, {"instIdCode": 10001, "ordId": "1"}]}))
            r = json.loads(await ws.recv())
            assert r["code"] == "2" and [i["sCode"] for i in r["data"]] == ["0", "51400"]
            await ws.send(json.dumps({"id": "b3", "op": "batch-orders", "args": [dict(a, instIdCode=10001)] * 21}))
            assert json.loads(await ws.recv())["code"] == "60013"
            assert sim.order("okx", oid)["status"] == "CANCELED"
    h.run(main())
