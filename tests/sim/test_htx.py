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
        assert r["status"] == "error" and r["err-code"] == "order-orderstate-error" and r["order-state"] == 7
        # by client id the reply is always ok with a status code: 10 cancelling, 7 canceled, 0 not found
        st, r = await c.post("/v1/order/orders/place", dict(PLACE, **{"client-order-id": "a0002"}))
        st, r = await c.post("/v1/order/orders/submitCancelClientOrder", {"client-order-id": "a0002"})
        assert r == {"status": "ok", "data": 10}
        st, q = await c.get("/v1/order/orders/getClientOrder", {"clientOrderId": "a0002"})
        assert q["data"]["state"] == "canceled"
        st, r = await c.post("/v1/order/orders/submitCancelClientOrder", {"client-order-id": "a0002"})
        assert r == {"status": "ok", "data": 7}
        st, r = await c.post("/v1/order/orders/submitCancelClientOrder", {"client-order-id": "zzz"})
        assert r == {"status": "ok", "data": 0}
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
    ({"ts": "2017-05-11T15:19:30"}, "Invalid submission time or incorrect time format"),
    ({"ts": "2017-05-11 15:19:30"}, "Invalid submission time or incorrect time format"),
    ({"sig_method": "HmacSHA1"}, "Incorrect signature method"),
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


def test_duplicate_client_order_id_accepted_and_latest_wins(h):
    # HTX no longer checks client-id uniqueness (2021-05-26): a reuse is accepted, even while the first
    # order is open, and a query by client id answers with the latest order
    async def t(c, sim):
        st, r1 = await c.post("/v1/order/orders/place", dict(PLACE, **{"client-order-id": "d1"}))
        st, r2 = await c.post("/v1/order/orders/place", dict(PLACE, **{"client-order-id": "d1"}))
        assert r1["status"] == r2["status"] == "ok" and r1["data"] != r2["data"]
        st, q = await c.get("/v1/order/orders/getClientOrder", {"clientOrderId": "d1"})
        assert q["data"]["id"] == int(r2["data"])
        st, q = await c.get(f"/v1/order/orders/{r1['data']}")
        assert q["data"]["state"] == "submitted" and q["data"]["client-order-id"] == "d1"
    scenario(h, t)


def test_rate_limit_code_and_headers(h):
    async def t(c, sim):
        seen = []
        for _ in range(4):
            url = h.htx_url(c.base, "POST", "/v1/order/orders/place")
            async with c.s.post(url, data=json.dumps(PLACE), headers={"Content-Type": "application/json"}) as r:
                body = await r.json(content_type=None)
                seen.append((body.get("err-code"), r.headers["X-HB-RateLimit-Requests-Remain"],
                             int(r.headers["X-HB-RateLimit-Requests-Expire"])))
        assert [x[:2] for x in seen] == [(None, "2"), (None, "1"), (None, "0"),
                                         ("base-request-exceed-frequency-limit", "0")]
        assert 0 < seen[0][2] - h.ms() <= 2100   # the window's end, a Unix time in ms
        assert len(sim.orders("htx")) == 3
    scenario(h, t, htx_limit_per_2s=3)


HOUR = 3_600_000


def test_client_id_retention_windows(h):
    """A client id finds an open order for 8 h and a final one for 2 h from its creation; an order canceled
    without fills is gone by order id too 2 h after the cancel; a filled one stays queryable by id."""
    async def t(c, sim):
        app = sim.apps["htx"]

        async def place(cid, **kw):
            st, r = await c.post("/v1/order/orders/place", dict(PLACE, **{"client-order-id": cid}, **kw))
            assert r["status"] == "ok", r
            return r["data"]

        async def by_cid(cid):
            st, q = await c.get("/v1/order/orders/getClientOrder", {"clientOrderId": cid}, ts=_stamp(h, app))
            return q.get("data") or q["err-code"]

        open_id = await place("open1")
        filled_id = await place("fill1", price="50100")
        canceled_id = await place("canc1")
        st, r = await c.post(f"/v1/order/orders/{canceled_id}/submitcancel", {})
        app.advance_clock(2 * HOUR - 60_000)
        assert (await by_cid("fill1"))["state"] == "filled"
        app.advance_clock(120_000)   # 2 h + 1 min after creation
        for cid in ("fill1", "canc1"):
            assert await by_cid(cid) == "base-record-invalid"
            st, r = await c.post("/v1/order/orders/submitCancelClientOrder", {"client-order-id": cid},
                                 ts=_stamp(h, app))
            assert r == {"status": "ok", "data": 0}
        st, q = await c.get(f"/v1/order/orders/{filled_id}", ts=_stamp(h, app))
        assert q["data"]["state"] == "filled"
        st, q = await c.get(f"/v1/order/orders/{canceled_id}", ts=_stamp(h, app))
        assert q["err-code"] == "base-record-invalid"
        assert (await by_cid("open1"))["state"] == "submitted"
        app.advance_clock(6 * HOUR)   # 8 h + 1 min: the open order's client id is forgotten, its id is not
        assert await by_cid("open1") == "base-record-invalid"
        st, q = await c.get(f"/v1/order/orders/{open_id}", ts=_stamp(h, app))
        assert q["data"]["state"] == "submitted"
        st, q = await c.get("/v1/order/openOrders", {"account-id": "100009", "symbol": "btcusdt"},
                            ts=_stamp(h, app))
        assert [o["client-order-id"] for o in q["data"]] == ["open1"] and "filled-amount" in q["data"][0]
    scenario(h, t)


def _stamp(h, app):
    """A Signature V2 timestamp on the simulator's (moved) clock."""
    from datetime import datetime, timezone
    return datetime.fromtimestamp((h.ms() + app.clock_offset_ms) / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def test_clock_moved_means_old_timestamps_rejected(h):
    async def t(c, sim):
        sim.apps["htx"].advance_clock(400_000)
        st, r = await c.get("/v1/account/accounts")
        assert r["err-code"] == "api-signature-not-valid"
        assert "Invalid submission time or incorrect time format" in r["err-msg"]
        async with c.s.get(c.base + "/v1/common/timestamp") as resp:
            assert (await resp.json())["data"] - h.ms() >= 399_000
    scenario(h, t)


def test_search_past_orders(h):
    async def t(c, sim):
        app = sim.apps["htx"]
        st, f = await c.post("/v1/order/orders/place", dict(PLACE, price="50100", **{"client-order-id": "p1"}))
        st, k = await c.post("/v1/order/orders/place", dict(PLACE, **{"client-order-id": "p2"}))
        st, r = await c.post(f"/v1/order/orders/{k['data']}/submitcancel", {})
        st, o = await c.post("/v1/order/orders/place", dict(PLACE, **{"client-order-id": "p3"}))
        q = {"symbol": "btcusdt", "states": "filled,partial-canceled,canceled"}
        st, r = await c.get("/v1/order/orders", q)
        assert [x["client-order-id"] for x in r["data"]] == ["p2", "p1"]   # newest first, open ones not listed
        app.advance_clock(2 * HOUR)
        st, r = await c.get("/v1/order/orders", q, ts=_stamp(h, app))
        assert [x["client-order-id"] for x in r["data"]] == ["p1"]   # canceled: only within 2 h of the cancel
        now = h.ms() + app.clock_offset_ms
        st, r = await c.get("/v1/order/orders", dict(q, **{"start-time": now - 49 * HOUR, "end-time": now}),
                            ts=_stamp(h, app))
        assert r["err-code"] == "invalid_interval"
        st, r = await c.get("/v1/order/orders", {"symbol": "btcusdt"}, ts=_stamp(h, app))
        assert r["err-code"] == "validation-constraints-required"
    scenario(h, t)


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


def test_dead_mans_switch_replies_in_the_v2_envelope_with_the_conditional_order_codes(h):
    """POST /v2/algo-orders/cancel-all-after: {"code": 200, "data": {currentTime, triggerTime}} when armed;
    otherwise the codes of HTX's conditional-order endpoints: 2002 a timeout outside 0 or >= 5 s (or not an
    int), 1002 no signature or an unknown key, 1003 a wrong signature, 1006 rate-limited."""
    async def t(c, sim):
        st, r = await c.post("/v2/algo-orders/cancel-all-after", {"timeout": 10})
        assert st == 200 and r["code"] == 200 and r["message"] == "success"
        assert r["data"]["triggerTime"] - r["data"]["currentTime"] == 10_000
        st, r = await c.post("/v2/algo-orders/cancel-all-after", {"timeout": 0})
        assert r["code"] == 200 and r["data"]["triggerTime"] == 0
        for bad in (3, -1, "10", 1.5, True, None):
            st, r = await c.post("/v2/algo-orders/cancel-all-after", {"timeout": bad})
            assert st == 200 and r["code"] == 2002 and r["data"] is None, (bad, r)
        st, r = await c.post("/v2/algo-orders/cancel-all-after", {"timeout": 10}, key="nobody")
        assert r["code"] == 1002, r
        st, r = await c.post("/v2/algo-orders/cancel-all-after", {"timeout": 10}, secret="wrong-secret")
        assert r["code"] == 1003, r
        url = h.htx_url(c.base, "POST", "/v2/algo-orders/cancel-all-after").split("&Signature=")[0]
        async with c.s.post(url, data=json.dumps({"timeout": 10}), headers={"Content-Type": "application/json"}) as rr:
            assert (await rr.json(content_type=None))["code"] == 1002
        sim.faults.add("429:venue=htx,count=1,retry=2")
        async with c.s.post(h.htx_url(c.base, "POST", "/v2/algo-orders/cancel-all-after"),
                            data=json.dumps({"timeout": 10}), headers={"Content-Type": "application/json"}) as rr:
            assert rr.status == 429 and rr.headers["Retry-After"] == "2"
            assert await rr.json(content_type=None) == {"code": 1006, "message": "Exceed rate limit", "data": None}
        assert not sim.apps["htx"]._dms   # nothing but the first request armed it (and 0 turned it off)
    scenario(h, t, htx_limit_per_2s=0)
