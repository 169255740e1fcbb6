"""HTX Spot REST (Signature V2) against the simulator, driven by aiohttp with an independent signer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import aiohttp
import pytest

from fastorder.sim import Simulator

PLACE = {"account-id": "100009", "symbol": "btcusdt", "type": "buy-limit", "amount": "0.01", "price": "49000",
         "source": "spot-api"}


class Rest:
    def __init__(self, h, sim, s):
        self.h, self.s, self.base = h, s, sim.url("htx")

    async def get(self, path, extra=None, **kw):
        async with self.s.get(self.h.htx_url(self.base, "GET", path, extra, **kw)) as r:
            return r.status, await r.json(content_type=None)

    async def post(self, path, body, **kw):
        url = self.h.htx_url(self.base, "POST", path, **kw)
        async with self.s.post(url, data=json.dumps(body), headers={"Content-Type": "application/json"}) as r:
            return r.status, await r.json(content_type=None)


def scenario(h, fn, **kw):
    async def main():
        async with Simulator(venues=("htx",), **kw) as sim, aiohttp.ClientSession() as s:
            await fn(Rest(h, sim, s), sim)
    h.run(main())


def test_presign_text_reproduces_official_sdk_vector():
    from fastorder.sim.htx import presign_text
    text = presign_text("GET", "host", "/url", [("Timestamp", "123"), ("AccessKeyId", "123"),
                                                ("SignatureVersion", "2"), ("SignatureMethod", "HmacSHA256")])
    assert text == "GET\nhost\n/url\nAccessKeyId=123&SignatureMethod=HmacSHA256&SignatureVersion=2&Timestamp=123"
    sig = base64.b64encode(hmac.new(b"456", text.encode(), hashlib.sha256).digest()).decode()
    assert sig == "Hhiaq8xYQPiBZOyWV37MdQutLo4f0ZOHiJtG3p+nILc="
    text = presign_text("GET", "api.huobi.pro", "/v1/order/orders", [
        ("AccessKeyId", "e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx"), ("SignatureMethod", "HmacSHA256"),
        ("SignatureVersion", "2"), ("Timestamp", "2017-05-11T15:19:30"), ("order-id", "1234567890")])
    sig = base64.b64encode(hmac.new(b"b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx", text.encode(), hashlib.sha256).digest())
    # the docs' placeholder keys (huobiapi.github.io/docs/spot/v1/en/#authentication); signature computed
    assert sig.decode() == "Nmd8AU8uAe0mkFpxNbiava0aeZzBEtYjCdie1ZYZjoM="


def test_public_and_accounts(h):
    async def t(c, sim):
        async with c.s.get(c.base + "/v1/common/timestamp") as r:
            body = await r.json()
            assert body["status"] == "ok" and abs(body["data"] - h.ms()) < 5000
        async with c.s.get(c.base + "/v1/common/symbols") as r:
            body = await r.json()
            btc = next(x for x in body["data"] if x["symbol"] == "btcusdt")
            assert btc["price-precision"] == 2 and btc["amount-precision"] == 6 and btc["state"] == "online"
        st, body = await c.get("/v1/account/accounts")
        assert body == {"status": "ok", "data": [{"id": 100009, "type": "spot", "subtype": "", "state": "working"}]}
        # the port may or may not be part of the signed host: both accepted; so are the production names
        for host in (f"127.0.0.1:{sim.port('htx')}", "api.huobi.pro", "api-aws.huobi.pro"):
            st, body = await c.get("/v1/account/accounts", host=host)
            assert body["status"] == "ok", host
    scenario(h, t)


def test_place_query_cancel_by_id_and_client_id(h):
    async def t(c, sim):
        st, r = await c.post("/v1/order/orders/place", dict(PLACE, **{"client-order-id": "a0001"}))
        assert st == 200 and r["status"] == "ok" and isinstance(r["data"], str), r
        oid = r["data"]
        st, q = await c.get(f"/v1/order/orders/{oid}")
        o = q["data"]
        assert q["status"] == "ok" and o["id"] == int(oid) and o["state"] == "submitted" and o["client-order-id"] == "a0001"
        assert o["price"] == "49000.000000000000000000" and o["type"] == "buy-limit"
        st, q2 = await c.get("/v1/order/orders/getClientOrder", {"clientOrderId": "a0001"})
        assert q2["data"] == o
        st, r = await c.post(f"/v1/order/orders/{oid}/submitcancel", {})
        assert r == {"status": "ok", "data": oid}
        st, q = await c.get(f"/v1/order/orders/{oid}")
        assert q["data"]["state"] == "canceled" and q["data"]["canceled-at"] > 0
        st, r = await c.post(f"/v1/order/orders/{oid}/submitcancel", {})
        assert r["status"] == "error" and r["err-code"] == "order-orderstate-error" and r["order-state"] == "canceled"
        st, r = await c.post("/v1/order/orders/place", dict(PLACE, **{"client-order-id": "a0002"}))
        st, r = await c.post("/v1/order/orders/submitCancelClientOrder", {"client-order-id": "a0002"})
        assert r["status"] == "ok"
        st, q = await c.get("/v1/order/orders/getClientOrder", {"clientOrderId": "a0002"})
        assert q["data"]["state"] == "canceled"
        st, r = await c.post("/v1/order/orders/submitCancelClientOrder", {"client-order-id": "zzz"})
        assert r["err-code"] == "base-record-invalid"
        st, q = await c.get("/v1/order/orders/1")
        assert q == {"status": "error", "err-code": "base-record-invalid", "err-msg": "record invalid", "data": None}
        # matching: taker limit, market buy by value, ioc, fok, limit-maker
        st, r = await c.post("/v1/order/orders/place", dict(PLACE, price="50100"))
        st, q = await c.get(f"/v1/order/orders/{r['data']}")
        assert q["data"]["state"] == "filled" and q["data"]["field-cash-amount"].startswith("500.005")
        st, r = await c.post("/v1/order/orders/place", {"account-id": "100009", "symbol": "btcusdt",
                                                        "type": "buy-market", "amount": "1000"})
        st, q = await c.get(f"/v1/order/orders/{r['data']}")
        assert q["data"]["state"] == "filled" and float(q["data"]["field-cash-amount"]) <= 1000
        st, r = await c.post("/v1/order/orders/place", dict(PLACE, type="buy-ioc", price="50001", amount="3"))
        st, q = await c.get(f"/v1/order/orders/{r['data']}")
        assert q["data"]["state"] == "partial-canceled"
        assert sim.order("htx", r["data"])["venue_status"] == "partial-canceled"
        assert sim.order("htx", r["data"])["status"] == "EXPIRED"
        st, r = await c.post("/v1/order/orders/place", dict(PLACE, type="buy-limit-fok", price="50000.5", amount="3"))
        st, q = await c.get(f"/v1/order/orders/{r['data']}")
        assert q["data"]["state"] == "canceled" and float(q["data"]["field-amount"]) == 0
        st, r = await c.post("/v1/order/orders/place", dict(PLACE, type="buy-limit-maker", price="49000"))
        assert r["status"] == "ok"
        st, r = await c.post("/v1/order/orders/place", dict(PLACE, type="buy-limit-maker", price="50050"))
        assert r["status"] == "error" and r["err-code"] == "order-invalid-price"
    scenario(h, t)


@pytest.mark.parametrize("kw,msg", [
    ({"key": "nobody"}, "Incorrect Access key"),
    ({"secret": "wrong-secret"}, "Verification failure"),
    ({"ts": "2017-05-11T15:19:30"}, "Timestamp expired"),
    ({"ts": "2017-05-11 15:19:30"}, "Invalid Timestamp"),
    ({"host": "api.binance.com"}, "Verification failure"),
])
def test_signature_rejections(h, kw, msg):
    async def t(c, sim):
        st, r = await c.post("/v1/order/orders/place", PLACE, **kw)
        assert st == 200 and r["status"] == "error" and r["err-code"] == "api-signature-not-valid", r
        assert msg in r["err-msg"] and r["data"] is None
        assert sim.orders("htx") == []
    scenario(h, t)


def test_signed_get_params_are_covered(h):
    async def t(c, sim):
        url = h.htx_url(c.base, "GET", "/v1/order/orders/getClientOrder", {"clientOrderId": "x1"})
        async with c.s.get(url.replace("clientOrderId=x1", "clientOrderId=x2")) as r:
            body = await r.json()
        assert body["err-code"] == "api-signature-not-valid"
        async with c.s.get(c.base + "/v1/account/accounts") as r:
            assert (await r.json())["err-code"] == "api-signature-not-valid"
    scenario(h, t)


@pytest.mark.parametrize("body,code", [
    ({k: v for k, v in PLACE.items() if k != "amount"}, "validation-constraints-required"),
    (dict(PLACE, **{"account-id": "1"}), "account-account-id-inexistent"),
    (dict(PLACE, symbol="foousdt"), "invalid-parameter"),
    (dict(PLACE, type="buy-twap"), "order-type-invalid"),
    (dict(PLACE, type="buy-stop-limit"), "parameter-required"),
    (dict(PLACE, price="49000.123"), "order-orderprice-precision-error"),
    (dict(PLACE, amount="0.0000001"), "order-orderamount-precision-error"),
    (dict(PLACE, amount="0.00001"), "order-limitorder-amount-min-error"),
    (dict(PLACE, price="60000"), "order-limitorder-price-max-error"),
    (dict(PLACE, type="sell-limit", price="40000"), "order-limitorder-price-min-error"),
    (dict(PLACE, amount="0.0001", price="49000"), "order-value-min-error"),
    (dict(PLACE, amount="30"), "account-frozen-balance-insufficient-error"),
    (dict(PLACE, source="weird"), "order-source-invalid"),
    (dict(PLACE, **{"client-order-id": "bad id!"}), "invalid-parameter"),
])
def test_place_rejections(h, body, code):
    async def t(c, sim):
        st, r = await c.post("/v1/order/orders/place", body)
        assert st == 200 and r["status"] == "error" and r["err-code"] == code, r
        assert sim.orders("htx") == []
    scenario(h, t)


def test_duplicate_client_order_id_and_rate_limit(h):
    async def t(c, sim):
        st, r = await c.post("/v1/order/orders/place", dict(PLACE, **{"client-order-id": "d1"}))
        assert r["status"] == "ok"
        st, r = await c.post("/v1/order/orders/place", dict(PLACE, **{"client-order-id": "d1"}))
        assert r["err-code"] == "invalid-client-order-id"
        st, r = await c.post("/v1/order/orders/place", PLACE)
        assert r["status"] == "ok"
        st, r = await c.post("/v1/order/orders/place", PLACE)
        assert r["err-code"] == "api-request-too-frequent"
    scenario(h, t, htx_limit_per_2s=3)


def test_ed25519_key(h):
    async def t(c, sim):
        st, r = await c.post("/v1/order/orders/place", dict(PLACE, **{"client-order-id": "ed1"}), ed25519=True)
        assert r["status"] == "ok", r
        st, q = await c.get(f"/v1/order/orders/{r['data']}", ed25519=True)
        assert q["data"]["client-order-id"] == "ed1"
        # wrong spelling of the method, an HMAC signature for an Ed25519 key, a tampered text
        st, r = await c.get("/v1/account/accounts", ed25519=True, sig_method="ED25519")
        assert r["err-code"] == "api-signature-not-valid"
        st, r = await c.get("/v1/account/accounts", key=h.creds.HTX_ED25519_KEY, sig_method="Ed25519")
        assert r["err-code"] == "api-signature-not-valid"
        url = h.htx_url(c.base, "GET", "/v1/order/orders/getClientOrder", {"clientOrderId": "ed1"}, ed25519=True)
        async with c.s.get(url.replace("clientOrderId=ed1", "clientOrderId=ed2")) as resp:
            assert (await resp.json())["err-code"] == "api-signature-not-valid"
        async with c.s.get(url) as resp:
            assert (await resp.json())["status"] == "ok"
    scenario(h, t)
