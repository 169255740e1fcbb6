"""An independent OKX client besides ccxt, pointed at the simulator, trades unchanged: OKX's own Python SDK,
python-okx (PyPI ``python-okx``, github.com/okxapi/python-okx). It signs requests itself (stdlib hmac), sends
its own headers (``x-simulated-trading`` on every request: ``"0"`` live, ``"1"`` demo) over httpx, and reads the
replies with its own code, so it checks the simulator's wire format against a second reading of the docs.

REST: the SDK takes its base URL as ``domain=``: the simulator's loopback address (plaintext http). WebSocket:
its factory always passes a TLS context (certifi plus the default verify paths), so it is pointed at the
simulator's TLS port with the simulator's test CA named by ``SSL_CERT_FILE``. Nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest

from fastorder.sim import Simulator, SimulatorThread, creds

pytest.importorskip("okx.Trade")
import okx.Account as Account  # noqa: E402
import okx.PublicData as PublicData  # noqa: E402
import okx.Trade as Trade  # noqa: E402
from okx.websocket.WsPrivateAsync import WsPrivateAsync  # noqa: E402

# the SDK posts its JSON body as data=str, which httpx deprecates: the SDK's warning, not ours
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>' to upload raw bytes/text content.:DeprecationWarning")

KEYS = dict(api_key=creds.OKX_KEY, api_secret_key=creds.OKX_SECRET, passphrase=creds.OKX_PASSPHRASE)


def test_official_sdk_rest_place_query_cancel_and_rejects():
    with SimulatorThread(venues=("okx",)) as sim:
        base = sim.url("okx")
        with PublicData.PublicAPI(flag="0", domain=base) as pub:
            inst = pub.get_instruments(instType="SPOT", instId="BTC-USDT")
        assert inst["code"] == "0" and inst["data"][0]["instIdCode"] == 10001

        with Trade.TradeAPI(**KEYS, flag="0", domain=base) as t:
            r = t.place_order(instId="BTC-USDT", tdMode="cash", side="buy", ordType="limit", px="49000", sz="0.001",
                              clOrdId="sdk1")
            assert r["code"] == "0" and r["data"][0]["sCode"] == "0", r
            oid = r["data"][0]["ordId"]
            q = t.get_order(instId="BTC-USDT", ordId=oid)
            assert q["code"] == "0", q
            o = q["data"][0]
            assert (o["state"], o["clOrdId"], o["px"], o["sz"], o["side"]) == ("live", "sdk1", "49000", "0.001", "buy")
            assert t.get_order(instId="BTC-USDT", clOrdId="sdk1")["data"][0]["ordId"] == oid
            c = t.cancel_order(instId="BTC-USDT", clOrdId="sdk1")
            assert c["code"] == "0" and c["data"][0]["sCode"] == "0" and c["data"][0]["ordId"] == oid, c
            assert t.get_order(instId="BTC-USDT", ordId=oid)["data"][0]["state"] == "canceled"
            assert sim.order("okx", int(oid))["status"] == "CANCELED"

            # rejected requests, as OKX rejects them: a price off the tick, an order the balance cannot cover,
            # an unknown order; nothing reaches the book
            before = len(sim.orders("okx"))
            r = t.place_order(instId="BTC-USDT", tdMode="cash", side="buy", ordType="limit", px="49000.05", sz="0.001")
            assert r["code"] == "1" and r["data"][0]["sCode"] == "51000", r
            r = t.place_order(instId="BTC-USDT", tdMode="cash", side="buy", ordType="limit", px="50000", sz="100")
            assert r["code"] == "1" and r["data"][0]["sCode"] == "51008", r
            assert t.get_order(instId="BTC-USDT", clOrdId="nosuch1")["code"] == "51603"
            assert len(sim.orders("okx")) == before

        # the SDK's demo flag sends x-simulated-trading: 1, so the live key is refused (50101) and the demo key
        # accepted; a wrong passphrase is 50105
        with Trade.TradeAPI(**KEYS, flag="1", domain=base) as t:
            r = t.place_order(instId="BTC-USDT", tdMode="cash", side="buy", ordType="limit", px="49000", sz="0.001")
            assert r["code"] == "50101", r
        demo = dict(KEYS, api_key=creds.OKX_DEMO_KEY)
        with Trade.TradeAPI(**demo, flag="1", domain=base) as t:
            r = t.place_order(instId="BTC-USDT", tdMode="cash", side="buy", ordType="limit", px="49000", sz="0.001")
            assert r["code"] == "0", r
            assert sim.order("okx", int(r["data"][0]["ordId"]), account="demo")["status"] == "NEW"
        with Trade.TradeAPI(**dict(KEYS, passphrase="wrong"), flag="0", domain=base) as t:
            assert t.place_order(instId="BTC-USDT", tdMode="cash", side="buy", ordType="limit", px="49000",
                                 sz="0.001")["code"] == "50105"


@contextlib.asynccontextmanager
async def sdk_ws(monkeypatch):
    """The SDK's private WebSocket to a TLS simulator, logged in: (simulator, SDK client, next reply)."""
    async with Simulator(venues=("okx",), tls=True) as sim:
        monkeypatch.setenv("SSL_CERT_FILE", sim.ca_file)   # the SDK's TLS context trusts the test CA
        replies: asyncio.Queue = asyncio.Queue()
        ws = WsPrivateAsync(apiKey=creds.OKX_KEY, passphrase=creds.OKX_PASSPHRASE, secretKey=creds.OKX_SECRET,
                            url=sim.url("okx", "ws"))
        await ws.connect()
        assert ws.websocket is not None, "the SDK could not connect"
        ws.callback = lambda m: replies.put_nowait(json.loads(m))
        consumer = asyncio.get_running_loop().create_task(ws.consume())

        async def reply():
            return await asyncio.wait_for(replies.get(), 5)
        try:
            await ws.login()
            assert (await reply())["event"] == "login"
            yield sim, ws, reply
        finally:
            await ws.stop()
            consumer.cancel()
            await asyncio.gather(consumer, return_exceptions=True)


def test_official_sdk_websocket_login_place_cancel_and_reject(monkeypatch):
    async def main():
        async with sdk_ws(monkeypatch) as (sim, ws, reply):
            # WS order operations name the instrument by instIdCode (instId is ignored there)
            await ws.place_order([{"instIdCode": 10001, "tdMode": "cash", "side": "buy", "ordType": "limit",
                                   "px": "49000", "sz": "0.001", "clOrdId": "sdkws1"}], id="p1")
            r = await reply()
            assert (r["id"], r["code"], r["data"][0]["sCode"]) == ("p1", "0", "0"), r
            oid = r["data"][0]["ordId"]
            assert sim.order("okx", int(oid))["status"] == "NEW"
            await ws.cancel_order([{"instIdCode": 10001, "ordId": oid}], id="c1")
            r = await reply()
            assert (r["id"], r["code"], r["data"][0]["ordId"]) == ("c1", "0", oid), r
            assert sim.order("okx", int(oid))["status"] == "CANCELED"
            # rejected: the instId alone, as older SDK examples send it
            await ws.place_order([{"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "limit",
                                   "px": "49000", "sz": "0.001"}], id="p2")
            r = await reply()
            assert (r["id"], r["code"]) == ("p2", "50014"), r
    asyncio.run(asyncio.wait_for(main(), 30))


def test_official_sdk_rest_batches_amend_listing_and_balance():
    """The SDK's batch-orders, amend-order (it sends every optional field, empty), amend-batch-orders,
    cancel-batch-orders, orders-pending and account balance, unchanged, against the simulator. (The SDK has no
    cancel-all-after: that is tested with fastorder's own client.)"""
    with SimulatorThread(venues=("okx",)) as sim:
        base = sim.url("okx")
        with Trade.TradeAPI(**KEYS, flag="0", domain=base) as t:
            r = t.place_multiple_orders([
                {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "limit", "px": "45000",
                 "sz": "0.001", "clOrdId": "sdkb1"},
                {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "limit", "px": "45000.05",
                 "sz": "0.001", "clOrdId": "sdkb2"},   # off the tick: that item alone fails
                {"instId": "ETH-USDT", "tdMode": "cash", "side": "sell", "ordType": "post_only", "px": "4000",
                 "sz": "0.01", "clOrdId": "sdkb3"}])
            assert r["code"] == "2" and [d["sCode"] for d in r["data"]] == ["0", "51000", "0"], r
            assert [d["clOrdId"] for d in r["data"]] == ["sdkb1", "sdkb2", "sdkb3"]
            pending = t.get_order_list(instType="SPOT")
            assert pending["code"] == "0" and {o["clOrdId"] for o in pending["data"]} == {"sdkb1", "sdkb3"}
            assert [o["clOrdId"] for o in t.get_order_list(instId="ETH-USDT")["data"]] == ["sdkb3"]

            a = t.amend_order(instId="BTC-USDT", clOrdId="sdkb1", newPx="44000", reqId="rq1")
            assert a["code"] == "0" and a["data"][0]["sCode"] == "0" and a["data"][0]["reqId"] == "rq1", a
            assert t.get_order(instId="BTC-USDT", clOrdId="sdkb1")["data"][0]["px"] == "44000"
            a = t.amend_order(instId="BTC-USDT", clOrdId="nosuch2", newSz="0.002")
            assert a["code"] == "1" and a["data"][0]["sCode"] == "51603", a
            m = t.amend_multiple_orders([{"instId": "BTC-USDT", "clOrdId": "sdkb1", "newSz": "0.002"},
                                         {"instId": "ETH-USDT", "clOrdId": "sdkb3", "newPx": "1000"}])
            # the post-only order may not move to a price that would take: 51511
            assert m["code"] == "2" and [d["sCode"] for d in m["data"]] == ["0", "51511"], m
            assert sim.order("okx", client_order_id="sdkb1")["qty"] == "0.002"

            with Account.AccountAPI(**KEYS, flag="0", domain=base) as acct:
                b = acct.get_account_balance()
                usdt = {d["ccy"]: d for d in b["data"][0]["details"]}["USDT"]
                assert b["code"] == "0" and float(usdt["frozenBal"]) == 44000 * 0.002, usdt

            c = t.cancel_multiple_orders([{"instId": "BTC-USDT", "clOrdId": "sdkb1"},
                                          {"instId": "BTC-USDT", "clOrdId": "sdkb1"}])   # the second: already gone
            assert c["code"] == "2" and [d["sCode"] for d in c["data"]] == ["0", "51400"], c
            assert [o["clOrdId"] for o in t.get_order_list(instType="SPOT")["data"]] == ["sdkb3"]


def test_official_sdk_websocket_batches_and_amend(monkeypatch):
    async def main():
        async with sdk_ws(monkeypatch) as (sim, ws, reply):
            await ws.batch_orders([{"instIdCode": 10001, "tdMode": "cash", "side": "buy", "ordType": "limit",
                                    "px": str(45000 + k), "sz": "0.001", "clOrdId": f"wsb{k}"} for k in range(3)],
                                  id="b1")
            r = await reply()
            assert (r["id"], r["op"], r["code"]) == ("b1", "batch-orders", "0"), r
            await ws.amend_order([{"instIdCode": 10001, "clOrdId": "wsb0", "newSz": "0.002"}], id="a1")
            r = await reply()
            assert (r["id"], r["op"], r["code"], r["data"][0]["sCode"]) == ("a1", "amend-order", "0", "0"), r
            await ws.batch_amend_orders([{"instIdCode": 10001, "clOrdId": "wsb1", "newPx": "44000"},
                                         {"instIdCode": 10001, "clOrdId": "nosuch", "newPx": "44000"}], id="a2")
            r = await reply()
            assert (r["code"], [d["sCode"] for d in r["data"]]) == ("2", ["0", "51603"]), r
            await ws.batch_cancel_orders([{"instIdCode": 10001, "clOrdId": f"wsb{k}"} for k in range(3)],
                                         id="c1")
            r = await reply()
            assert (r["op"], r["code"]) == ("batch-cancel-orders", "0"), r
            truth = {o["client_order_id"]: o for o in sim.orders("okx")}
            assert truth["wsb0"]["qty"] == "0.002" and truth["wsb1"]["price"] == "44000"
            assert all(truth[f"wsb{k}"]["status"] == "CANCELED" for k in range(3))
    asyncio.run(asyncio.wait_for(main(), 30))


def test_official_sdk_trades_a_swap():
    """python-okx, unchanged, on the simulator's perpetual swaps (instType SWAP): the instrument's contract value,
    position mode and leverage, a market order in contracts, the position it opens, a reduce-only close, and
    the rejections OKX gives (posSide against the mode, reduce-only in the position's own direction)."""
    with SimulatorThread(venues=("okx",)) as sim:
        base = sim.url("okx")
        with PublicData.PublicAPI(flag="0", domain=base) as pub:
            inst = pub.get_instruments(instType="SWAP", instId="BTC-USDT-SWAP")
        d = inst["data"][0]
        assert inst["code"] == "0" and (d["ctVal"], d["ctType"], d["settleCcy"], d["lotSz"]) == \
            ("0.01", "linear", "USDT", "1")
        with Account.AccountAPI(**KEYS, flag="0", domain=base) as acct, \
                Trade.TradeAPI(**KEYS, flag="0", domain=base) as t:
            assert acct.get_account_config()["data"][0]["posMode"] == "net_mode"
            r = acct.set_leverage(lever="5", mgnMode="cross", instId="BTC-USDT-SWAP")
            assert r["code"] == "0" and r["data"][0]["lever"] == "5", r
            r = t.place_order(instId="BTC-USDT-SWAP", tdMode="cross", side="buy", ordType="market", sz="4",
                              clOrdId="swap1")
            assert r["code"] == "0" and r["data"][0]["sCode"] == "0", r
            o = t.get_order(instId="BTC-USDT-SWAP", clOrdId="swap1")["data"][0]
            assert (o["state"], o["accFillSz"], o["instType"], o["posSide"], o["lever"]) == \
                ("filled", "4", "SWAP", "net", "5")
            p = acct.get_positions(instType="SWAP")
            assert p["code"] == "0" and [(x["instId"], x["pos"], x["posSide"], x["mgnMode"]) for x in p["data"]] == \
                [("BTC-USDT-SWAP", "4", "net", "cross")], p
            r = t.place_order(instId="BTC-USDT-SWAP", tdMode="cross", side="buy", ordType="limit", px="49000",
                              sz="1", reduceOnly="true")
            assert r["code"] == "1" and r["data"][0]["sCode"] == "51170", r
            r = t.place_order(instId="BTC-USDT-SWAP", tdMode="cross", side="buy", ordType="limit", px="49000",
                              sz="1", posSide="long")
            assert r["code"] == "1" and r["data"][0]["sCode"] == "51000", r
            r = t.place_order(instId="BTC-USDT-SWAP", tdMode="cross", side="sell", ordType="market", sz="4",
                              reduceOnly="true")
            assert r["code"] == "0", r
            assert acct.get_positions(instType="SWAP", instId="BTC-USDT-SWAP")["data"] == []
            r = acct.set_position_mode(posMode="long_short_mode")
            assert r["code"] == "0" and r["data"][0]["posMode"] == "long_short_mode", r
            r = t.place_order(instId="BTC-USDT-SWAP", tdMode="isolated", side="sell", ordType="market", sz="2",
                              posSide="short")
            assert r["code"] == "0", r
            [pos] = acct.get_positions()["data"]
            assert (pos["posSide"], pos["pos"], pos["mgnMode"]) == ("short", "2", "isolated")
