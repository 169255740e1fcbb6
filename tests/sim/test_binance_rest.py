"""Binance REST against the simulator, driven by aiohttp with an independent signer (conftest)."""

from __future__ import annotations

import urllib.parse

import aiohttp
import pytest

from fastorder.sim import BinanceLimits, Simulator


class Client:
    def __init__(self, h, sim, s):
        self.h, self.sim, self.s = h, sim, s
        self.base = sim.url("binance")

    async def call(self, method, path, params=None, signed=True, where="query", key="hmac", ed=False,
                   raw_query=None, raw_body=None, headers=None):
        h = self.h
        params = dict(params or {})
        hdr = {}
        if key == "hmac":
            hdr["X-MBX-APIKEY"] = h.BN_ED_KEY if ed else h.BN_KEY
        elif key:
            hdr["X-MBX-APIKEY"] = key
        hdr.update(headers or {})
        if raw_query is not None or raw_body is not None:
            q, body = raw_query or "", raw_body
        else:
            if signed:
                params.setdefault("timestamp", h.ms())
                q = h.bn_query(params, ed)
            else:
                q = urllib.parse.urlencode(params)
            body = None
            if where == "body":
                q, body = "", q
        if body is not None:
            hdr["Content-Type"] = "application/x-www-form-urlencoded"
        url = self.base + path + ("?" + q if q else "")
        async with self.s.request(method, url, data=body, headers=hdr) as r:
            text = await r.text()
            import json
            return r.status, (json.loads(text) if text else None), r.headers


def scenario(h, fn, **kw):
    async def main():
        async with Simulator(venues=("binance",), **kw) as sim, aiohttp.ClientSession() as s:
            await fn(Client(h, sim, s), sim)
    h.run(main())


LIMIT = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01",
         "price": "49000"}


def test_public_endpoints(h):
    async def t(c, sim):
        st, body, hdr = await c.call("GET", "/api/v3/ping", signed=False, key=None)
        assert (st, body) == (200, {})
        assert int(hdr["X-MBX-USED-WEIGHT-1M"]) >= 1
        assert float(hdr["X-Sim-Processing-Us"]) > 0
        st, body, _ = await c.call("GET", "/api/v3/time", signed=False, key=None)
        assert st == 200 and abs(body["serverTime"] - h.ms()) < 5000
        st, info, _ = await c.call("GET", "/api/v3/exchangeInfo", signed=False, key=None)
        assert st == 200 and len(info["symbols"]) >= 3
        kinds = {rl["rateLimitType"] for rl in info["rateLimits"]}
        assert {"REQUEST_WEIGHT", "ORDERS", "RAW_REQUESTS"} <= kinds
        btc = next(s for s in info["symbols"] if s["symbol"] == "BTCUSDT")
        f = {x["filterType"]: x for x in btc["filters"]}
        assert f["PRICE_FILTER"]["tickSize"] == "0.01000000" and f["LOT_SIZE"]["stepSize"] == "0.00001000"
        assert "NOTIONAL" in f
        st, one, _ = await c.call("GET", "/api/v3/exchangeInfo", {"symbol": "ETHUSDT"}, signed=False, key=None)
        assert [s["symbol"] for s in one["symbols"]] == ["ETHUSDT"]
        st, body, _ = await c.call("GET", "/api/v3/exchangeInfo", {"symbol": "NOPE"}, signed=False, key=None)
        assert (st, body["code"]) == (400, -1121)
        st, body, _ = await c.call("GET", "/api/v3/nothing", signed=False, key=None)
        assert st == 404
    scenario(h, t)


def test_limit_order_lifecycle_query_cancel_open_orders_account(h):
    async def t(c, sim):
        st, acct0, _ = await c.call("GET", "/api/v3/account")
        usdt0 = next(b for b in acct0["balances"] if b["asset"] == "USDT")
        st, o, hdr = await c.call("POST", "/api/v3/order", dict(LIMIT, newClientOrderId="cid-1_A"))
        assert st == 200, o
        assert o["status"] == "NEW" and o["clientOrderId"] == "cid-1_A" and o["fills"] == []
        assert o["price"] == "49000.00000000" and o["origQty"] == "0.01000000" and o["orderListId"] == -1
        assert hdr["X-MBX-ORDER-COUNT-10S"] == "1" and hdr["X-MBX-ORDER-COUNT-1D"] == "1"
        st, acct, _ = await c.call("GET", "/api/v3/account")
        usdt = next(b for b in acct["balances"] if b["asset"] == "USDT")
        assert float(usdt["locked"]) == 490.0 and float(usdt["free"]) == float(usdt0["free"]) - 490
        st, q1, _ = await c.call("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": o["orderId"]})
        st, q2, _ = await c.call("GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "cid-1_A"})
        assert q1 == q2 and q1["status"] == "NEW" and q1["isWorking"] is True
        st, oo, _ = await c.call("GET", "/api/v3/openOrders", {"symbol": "BTCUSDT"})
        assert [x["orderId"] for x in oo] == [o["orderId"]]
        st, cx, _ = await c.call("DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": o["orderId"],
                                                             "newClientOrderId": "cxl1"})
        assert st == 200 and cx["status"] == "CANCELED" and cx["origClientOrderId"] == "cid-1_A"
        assert cx["clientOrderId"] == "cxl1"
        st, q3, _ = await c.call("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": o["orderId"]})
        assert q3["status"] == "CANCELED"
        st, acct2, _ = await c.call("GET", "/api/v3/account")
        assert next(b for b in acct2["balances"] if b["asset"] == "USDT") == usdt0
        st, oo, _ = await c.call("GET", "/api/v3/openOrders")
        assert oo == []
        assert sim.order("binance", o["orderId"])["status"] == "CANCELED"
    scenario(h, t)


def test_response_types_and_matching(h):
    async def t(c, sim):
        # crossing limit -> FILLED at the maker's price with FULL fills
        st, o, _ = await c.call("POST", "/api/v3/order", dict(LIMIT, price="50010", quantity="0.01"))
        assert o["status"] == "FILLED" and o["fills"][0]["price"] == "50000.50000000"
        assert o["cummulativeQuoteQty"] == "500.00500000"
        st, o, _ = await c.call("POST", "/api/v3/order", dict(LIMIT, newOrderRespType="ACK"))
        assert set(o) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
        st, o, _ = await c.call("POST", "/api/v3/order", dict(LIMIT, newOrderRespType="RESULT"))
        assert "fills" not in o and o["status"] == "NEW" and o["selfTradePreventionMode"] == "EXPIRE_MAKER"
        # MARKET by quantity walks the book; by quoteOrderQty spends the quote amount
        st, o, _ = await c.call("POST", "/api/v3/order", {"symbol": "BTCUSDT", "side": "SELL", "type": "MARKET",
                                                          "quantity": "0.7"})
        assert o["status"] == "FILLED" and len(o["fills"]) == 2 and o["timeInForce"] == "GTC"
        st, o, _ = await c.call("POST", "/api/v3/order", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET",
                                                          "quoteOrderQty": "1000"})
        assert o["status"] == "FILLED" and float(o["cummulativeQuoteQty"]) <= 1000 and float(o["executedQty"]) > 0
        # IOC larger than the top levels it may reach -> partial fill, rest EXPIRED
        st, o, _ = await c.call("POST", "/api/v3/order", dict(LIMIT, timeInForce="IOC", price="50001", quantity="2"))
        assert o["status"] == "EXPIRED" and 0.9 < float(o["executedQty"]) <= 1.0
        assert {f["price"] for f in o["fills"]} == {"50000.50000000", "50001.00000000"}
        # FOK that cannot fill completely -> EXPIRED with nothing executed
        st, o, _ = await c.call("POST", "/api/v3/order", dict(LIMIT, timeInForce="FOK", price="50000.5", quantity="3"))
        assert o["status"] == "EXPIRED" and o["executedQty"] == "0.00000000" and o["fills"] == []
        st, o, _ = await c.call("POST", "/api/v3/order", dict(LIMIT, timeInForce="FOK", price="50010", quantity="0.6"))
        assert o["status"] == "FILLED"
        # LIMIT_MAKER: rests when passive, rejected when it would take
        st, o, _ = await c.call("POST", "/api/v3/order", {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT_MAKER",
                                                          "quantity": "0.01", "price": "49000"})
        assert st == 200 and "status" not in o  # LIMIT_MAKER defaults to ACK
        st, o, _ = await c.call("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": o["orderId"]})
        assert o["status"] == "NEW" and o["type"] == "LIMIT_MAKER"
        st, e, _ = await c.call("POST", "/api/v3/order", {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT_MAKER",
                                                          "quantity": "0.01", "price": "51000"})
        assert (st, e) == (400, {"code": -2010, "msg": "Order would immediately match and take."})
        # test endpoint validates but creates nothing
        n = len(sim.orders("binance"))
        st, e, _ = await c.call("POST", "/api/v3/order/test", LIMIT)
        assert (st, e) == (200, {}) and len(sim.orders("binance")) == n
        st, e, _ = await c.call("POST", "/api/v3/order/test", dict(LIMIT, price="1.001"))
        assert e["code"] == -1013
    scenario(h, t)


def test_param_locations_and_official_vectors(h):
    async def t(c, sim):
        ts = h.ms()
        # all in the body
        st, o, _ = await c.call("POST", "/api/v3/order", dict(LIMIT, timestamp=ts), where="body")
        assert st == 200 and o["status"] == "NEW"
        # mixed: query + body, signed over query||body with no separator (rest-api.md "SIGNED Endpoint security")
        q = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC"
        b = f"quantity=0.01&price=49000&timestamp={h.ms()}"
        sig = h.bn_sign_hmac(q + b)
        st, o, _ = await c.call("POST", "/api/v3/order", raw_query=q, raw_body=b + "&signature=" + sig)
        assert st == 200 and o["status"] == "NEW"
        # the same mix signed with an '&' inserted is wrong
        sig = h.bn_sign_hmac(q + "&" + b)
        st, e, _ = await c.call("POST", "/api/v3/order", raw_query=q, raw_body=b + "&signature=" + sig)
        assert e["code"] == -1022
        # query wins over body for a parameter present in both
        q = f"symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.02&price=49000&timestamp={h.ms()}"
        b = "quantity=0.05"
        sig = h.bn_sign_hmac(q + b)
        st, o, _ = await c.call("POST", "/api/v3/order", raw_query=q + "&signature=" + sig, raw_body=b)
        assert o["origQty"] == "0.02000000"
        # uppercase hex HMAC is accepted (case-insensitive)
        q = urllib.parse.urlencode(dict(LIMIT, timestamp=h.ms()))
        st, o, _ = await c.call("POST", "/api/v3/order", raw_query=q + "&signature=" + h.bn_sign_hmac(q).upper())
        assert st == 200
        # Ed25519 REST key (base64 signature, percent-encoded)
        st, o, _ = await c.call("POST", "/api/v3/order", LIMIT, ed=True)
        assert st == 200 and o["status"] == "NEW"
        st, e, _ = await c.call("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": o["orderId"]}, key=h.BN_ED_KEY)
        assert e["code"] == -1022  # an HMAC signature presented for an Ed25519 key
    scenario(h, t)


def test_verifier_matches_official_vectors():
    """The simulator's verifier accepts Binance's published HMAC vectors (REST R1/R2/R3, WS W1)."""
    from fastorder.sim.binance import Binance
    from fastorder.sim.creds import Credentials
    b = Binance(Credentials.default().binance)
    key = b.keys["vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"]
    vectors = [
        ("symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
         "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"),
        ("symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1"
         "&price=0.1&recvWindow=5000&timestamp=1499827319559",
         "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"),
        ("symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTCquantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
         "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"),
        ("apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=52000.00&quantity=0.01000000"
         "&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT",
         "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24"),
    ]
    for payload, sig in vectors:
        assert b._verify(key, payload.encode(), sig)
        assert not b._verify(key, payload.encode() + b"x", sig)
    ed = b.keys["4yNzx3yWC5bS6YTwEkSRaC0nRmSQIIStAUOh1b6kqaBrTLIhjCpI5lJH8q8R8WNO"]
    payload = b"symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=1&price=0.2&timestamp=1668481559918&recvWindow=5000"
    good = "XtZirsmmi0noRzUfkqktvkVfxpkq/WtbLg2UOL3QGYdUBZVlqOBEMuEVw8zioY93N54NcKj9UuAXQEa9zgTDBg=="
    assert b._verify(ed, payload, good)
    assert not b._verify(ed, payload + b"0", good)


AUTH_CASES = [
    ("no key", dict(key=None), 401, -2014),
    ("unknown key", dict(key="nope" * 10), 401, -2015),
]


@pytest.mark.parametrize("name,kw,status,code", AUTH_CASES)
def test_auth_rejections(h, name, kw, status, code):
    async def t(c, sim):
        st, e, _ = await c.call("POST", "/api/v3/order", LIMIT, **kw)
        assert (st, e["code"]) == (status, code), e
    scenario(h, t)


def test_signature_and_timing_rejections(h):
    async def t(c, sim):
        q = urllib.parse.urlencode(dict(LIMIT, timestamp=h.ms()))
        st, e, _ = await c.call("POST", "/api/v3/order", raw_query=q)
        assert (st, e) == (400, {"code": -1102, "msg": "Mandatory parameter 'signature' was not sent, was empty/null, "
                                 "or malformed."})
        q = urllib.parse.urlencode(LIMIT)
        st, e, _ = await c.call("POST", "/api/v3/order", raw_query=q + "&signature=" + h.bn_sign_hmac(q))
        assert e["code"] == -1102 and "'timestamp'" in e["msg"]
        q = urllib.parse.urlencode(dict(LIMIT, timestamp=h.ms()))
        st, e, _ = await c.call("POST", "/api/v3/order", raw_query=q + "&signature=" + "0" * 64)
        assert (st, e) == (400, {"code": -1022, "msg": "Signature for this request is not valid."})
        # tampering after signing
        q2 = q.replace("quantity=0.01", "quantity=0.02")
        st, e, _ = await c.call("POST", "/api/v3/order", raw_query=q2 + "&signature=" + h.bn_sign_hmac(q))
        assert e["code"] == -1022
        st, e, _ = await c.call("POST", "/api/v3/order", dict(LIMIT, timestamp=h.ms() + 5000))
        assert e == {"code": -1021, "msg": "Timestamp for this request was 1000ms ahead of the server's time."}
        st, e, _ = await c.call("POST", "/api/v3/order", dict(LIMIT, timestamp=h.ms() - 6000))
        assert e == {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."}
        st, o, _ = await c.call("POST", "/api/v3/order", dict(LIMIT, timestamp=h.ms() - 6000, recvWindow="10000"))
        assert st == 200
        st, e, _ = await c.call("POST", "/api/v3/order", dict(LIMIT, recvWindow="60001"))
        assert e["code"] == -1131
        st, o, _ = await c.call("POST", "/api/v3/order", dict(LIMIT, timestamp=h.ms() * 1000))  # microseconds
        assert st == 200
        st, e, _ = await c.call("POST", "/api/v3/order", raw_query="symbol=BTCUSDT&symbol=ETHUSDT")
        assert (st, e["code"]) == (400, -1101)
    scenario(h, t)


def _o(**kw):
    p = dict(LIMIT)
    for k, v in kw.items():
        if v is None:
            p.pop(k, None)
        else:
            p[k] = v
    return p


VALIDATION = [
    (_o(symbol="FOOBAR"), -1121, "Invalid symbol."),
    (_o(symbol=None), -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."),
    (_o(side="HOLD"), -1117, "Invalid side."),
    (_o(type="ICEBERG"), -1116, "Invalid orderType."),
    (_o(timeInForce="GTX"), -1115, "Invalid timeInForce."),
    (_o(quantity="1e-05"), -1100, "Illegal characters found in parameter 'quantity'; legal range is "
                                  "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'."),
    (_o(price="-1"), -1100, None),
    (_o(newClientOrderId="has.dot"), -1100, "Illegal characters found in parameter 'newClientOrderId'; legal range "
                                            "is '^[a-zA-Z0-9-_]{1,36}$'."),
    (_o(newClientOrderId="x" * 37), -1100, None),
    (_o(timeInForce=None), -1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed."),
    (_o(price=None), -1102, None),
    (_o(quantity=None), -1102, None),
    (_o(quantity=""), -1102, "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed."),
    (_o(quoteOrderQty="10"), -1106, "Parameter 'quoteOrderQty' sent when not required."),
    (_o(type="MARKET", timeInForce=None, price=None, quantity=None), -1102,
     "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"),
    (_o(type="MARKET", price=None), -1106, "Parameter 'timeInForce' sent when not required."),
    (_o(type="MARKET", timeInForce=None), -1106, "Parameter 'price' sent when not required."),
    (_o(type="LIMIT_MAKER"), -1106, "Parameter 'timeInForce' sent when not required."),
    (_o(type="STOP_LOSS_LIMIT"), -1102, None),
    (_o(price="49000.001"), -1013, "Filter failure: PRICE_FILTER"),
    (_o(price="2000000"), -1013, "Filter failure: PRICE_FILTER"),
    (_o(quantity="0.000001"), -1013, "Filter failure: LOT_SIZE"),
    (_o(quantity="0.000015"), -1013, "Filter failure: LOT_SIZE"),
    (_o(quantity="0.0001", price="100"), -1013, "Filter failure: NOTIONAL"),
    (_o(quantity="0.000000001"), -1111, "Parameter 'quantity' has too much precision."),
    (_o(newOrderRespType="ALL"), -1136, None),
    (_o(quantity="100"), -2010, "Account has insufficient balance for requested action."),
    (dict(_o(), foo="bar"), -1104, None),
]


@pytest.mark.parametrize("params,code,msg", VALIDATION)
def test_new_order_rejections(h, params, code, msg):
    async def t(c, sim):
        st, e, _ = await c.call("POST", "/api/v3/order", params)
        assert st == 400 and e["code"] == code, e
        if msg:
            assert e["msg"] == msg
        assert sim.orders("binance") == []
    scenario(h, t)


def test_duplicate_client_id_unknown_orders(h):
    async def t(c, sim):
        st, o, _ = await c.call("POST", "/api/v3/order", _o(newClientOrderId="dup1"))
        assert st == 200
        st, e, _ = await c.call("POST", "/api/v3/order", _o(newClientOrderId="dup1"))
        assert (st, e) == (400, {"code": -2010, "msg": "Duplicate order sent."})
        # once the first is final, the id may be reused
        await c.call("DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "dup1"})
        st, o2, _ = await c.call("POST", "/api/v3/order", _o(newClientOrderId="dup1"))
        assert st == 200 and o2["orderId"] != o["orderId"]
        st, e, _ = await c.call("DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": o["orderId"]})
        assert (st, e) == (400, {"code": -2011, "msg": "Unknown order sent."})
        st, e, _ = await c.call("DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": "999"})
        assert e["code"] == -2011
        st, e, _ = await c.call("DELETE", "/api/v3/order", {"symbol": "BTCUSDT"})
        assert e["code"] == -1102
        st, e, _ = await c.call("DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": o2["orderId"],
                                                            "cancelRestrictions": "ONLY_PARTIALLY_FILLED"})
        assert e == {"code": -2011, "msg": "Order was not canceled due to cancel restrictions."}
        st, e, _ = await c.call("DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": o2["orderId"],
                                                            "cancelRestrictions": "SOMETIMES"})
        assert e["code"] == -1145
        st, e, _ = await c.call("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": "12345"})
        assert (st, e) == (400, {"code": -2013, "msg": "Order does not exist."})
        st, e, _ = await c.call("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": "abc"})
        assert e["code"] == -1100
        st, e, _ = await c.call("GET", "/api/v3/order", {"symbol": "ETHUSDT", "orderId": o2["orderId"]})
        assert e["code"] == -2013
    scenario(h, t)


async def _clear_of_window_edge(period_ms: int, margin_ms: int = 1500) -> None:
    """Rate windows are fixed (as Binance's): start a counting test well inside one window."""
    import asyncio
    import time
    left = period_ms - int(time.time() * 1000) % period_ms
    if left < margin_ms:
        await asyncio.sleep(left / 1000 + 0.05)


def test_weight_limit_429_then_418_ban(h):
    async def t(c, sim):
        await _clear_of_window_edge(60_000)
        statuses = []
        for _ in range(14):
            st, body, hdr = await c.call("GET", "/api/v3/ping", signed=False, key=None)
            statuses.append(st)
            if st != 200:
                assert int(hdr["Retry-After"]) >= 1 and body["code"] == -1003
        assert statuses[:5] == [200] * 5
        assert statuses[5:8] == [429] * 3
        assert statuses[-1] == 418
        st, body, hdr = await c.call("GET", "/api/v3/time", signed=False, key=None)
        assert st == 418 and "IP banned until" in body["msg"] and 1 <= int(hdr["Retry-After"]) <= 3
    scenario(h, t, binance_limits=BinanceLimits(weight_per_minute=5, ban_after=3, ban_seconds=2))


def test_order_count_limit(h):
    async def t(c, sim):
        await _clear_of_window_edge(10_000)
        for i in range(3):
            st, o, hdr = await c.call("POST", "/api/v3/order", LIMIT)
            assert st == 200 and hdr["X-MBX-ORDER-COUNT-10S"] == str(i + 1)
        st, e, hdr = await c.call("POST", "/api/v3/order", LIMIT)
        assert st == 429 and e["code"] == -1015 and "Retry-After" in hdr
    scenario(h, t, binance_limits=BinanceLimits(orders_per_10s=3))


def test_disabled_limits_still_count(h):
    async def t(c, sim):
        await _clear_of_window_edge(60_000)
        for _ in range(8):
            st, _, hdr = await c.call("GET", "/api/v3/ping", signed=False, key=None)
            assert st == 200
        assert int(hdr["X-MBX-USED-WEIGHT-1M"]) == 8
    scenario(h, t, binance_limits=BinanceLimits(weight_per_minute=2, enabled=False))
