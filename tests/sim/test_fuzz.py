"""Malformed input never crashes a venue handler: every reply is the venue's JSON error or success shape.
(Handlers are driven directly, without sockets, so hypothesis can try many inputs quickly.)"""

from __future__ import annotations

import json
import time

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastorder.sim.binance import Binance, BinanceLimits, BinanceWsSession
from fastorder.sim.creds import Credentials
from fastorder.sim.http import Request
from fastorder.sim.htx import Htx
from fastorder.sim.okx import Okx, OkxWsSession

CREDS = Credentials.default()


class _Conn:
    peer = "127.0.0.1"


def _req(method, path, query="", headers=None, body=b""):
    return Request(method, path, query, headers or {}, body, 0, True, _Conn, (1, 1))


text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
values = st.one_of(text, st.sampled_from(["", "0", "-1", "1e5", "0.1", "BTCUSDT", "LIMIT", "BUY", "GTC", "NaN",
                                          "99999999999999999999999", "0.000000001", str(int(time.time() * 1000))]))
keys = st.one_of(text, st.sampled_from(["symbol", "side", "type", "timeInForce", "quantity", "price", "timestamp",
                                        "signature", "recvWindow", "orderId", "origClientOrderId", "quoteOrderQty",
                                        "newClientOrderId", "newOrderRespType", "cancelRestrictions"]))
params = st.dictionaries(keys, values, max_size=10)
json_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text),
                           lambda c: st.lists(c, max_size=3) | st.dictionaries(text, c, max_size=3), max_leaves=8)

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(method=st.sampled_from(["GET", "POST", "DELETE", "PUT"]),
       path=st.sampled_from(["/api/v3/order", "/api/v3/order/test", "/api/v3/openOrders", "/api/v3/account",
                             "/api/v3/exchangeInfo", "/api/v3/ping", "/x"]),
       p=params, with_key=st.booleans(), in_body=st.booleans())
def test_binance_rest_never_crashes(method, path, p, with_key, in_body):
    import hashlib
    import hmac
    from urllib.parse import urlencode
    b = Binance(CREDS.binance, BinanceLimits(enabled=False))
    p = {k: v for k, v in p.items() if k != "signature"}
    p.setdefault("timestamp", str(int(time.time() * 1000)))
    raw = urlencode(p)
    if with_key:  # correctly signed: the fuzz reaches parameter validation and matching
        raw += "&signature=" + hmac.new(CREDS.binance[0].secret.encode(), raw.encode(), hashlib.sha256).hexdigest()
    hdr = {b"x-mbx-apikey": CREDS.binance[0].api_key.encode()} if with_key else {}
    req = _req(method, path, "" if in_body else raw, hdr, raw.encode() if in_body else b"")
    status, headers, body = b.handle_http(req)
    assert isinstance(headers, bytes) and status in (200, 400, 401, 404, 405, 418, 429)
    if body:
        doc = orjson.loads(body)
        if status >= 400 and status != 404:
            assert set(doc) == {"code", "msg"} and isinstance(doc["code"], int) and doc["code"] < 0


@FUZZ
@given(msg=st.one_of(st.binary(max_size=40),
                     st.builds(lambda m, p, i: json.dumps({"id": i, "method": m, "params": p}).encode(),
                               st.sampled_from(["order.place", "order.cancel", "order.status", "session.logon",
                                                "ping", "time", "v3/order.place", "nope"]),
                               st.one_of(params.map(lambda d: {**d, "timestamp": int(time.time() * 1000)}),
                                         params, json_values), json_values)))
def test_binance_ws_never_crashes(msg):
    b = Binance(CREDS.binance, BinanceLimits(enabled=False))
    s = BinanceWsSession(b, _req("GET", "/ws-api/v3"))
    s.key = CREDS.binance[1]  # session-authenticated: unsigned requests with a timestamp reach the order logic
    doc = orjson.loads(s.handle(msg))
    assert "status" in doc and "id" in doc and (("result" in doc) != ("error" in doc))


@FUZZ
@given(path=st.sampled_from(["/api/v5/trade/order", "/api/v5/trade/cancel-order", "/api/v5/public/instruments"]),
       body=st.one_of(st.binary(max_size=30), st.builds(lambda d: json.dumps(d).encode(), json_values)),
       query=st.sampled_from(["", "instType=SPOT", "instId=BTC-USDT&ordId=x", "instType=%ZZ"]))
def test_okx_rest_never_crashes(path, body, query):
    import base64
    import hashlib
    import hmac
    from datetime import datetime, timezone
    o = Okx(CREDS.okx, limit_per_2s=0)
    k = CREDS.okx[0]
    ts = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    for method in ("GET", "POST"):
        full = path + ("?" + query if query else "")
        sign = base64.b64encode(hmac.new(k.secret.encode(), (ts + method).encode() + full.encode() + body,
                                         hashlib.sha256).digest())
        hdr = {b"ok-access-key": k.api_key.encode(), b"ok-access-sign": sign, b"ok-access-timestamp": ts.encode(),
               b"ok-access-passphrase": k.passphrase.encode()}
        status, _, out = o.handle_http(_req(method, path, query, hdr, body))
        doc = orjson.loads(out)
        assert isinstance(doc["code"], str) and isinstance(doc["data"], list) and status in (200, 400, 401, 404, 405, 429)


@FUZZ
@given(msg=st.one_of(st.binary(max_size=30),
                     st.builds(lambda op, a, i: json.dumps({"id": i, "op": op, "args": a}).encode(),
                               st.sampled_from(["order", "cancel-order", "login", "x"]), json_values, json_values)))
def test_okx_ws_never_crashes(msg):
    o = Okx(CREDS.okx, limit_per_2s=0)
    s = OkxWsSession(o)
    s.key = CREDS.okx[0]  # logged in, so order ops reach the order logic
    doc = orjson.loads(s.handle(msg))
    assert "code" in doc


@FUZZ
@given(body=st.one_of(st.binary(max_size=30), st.builds(lambda d: json.dumps(d).encode(), json_values),
                      st.builds(lambda d: json.dumps(d).encode(),
                                st.fixed_dictionaries({"account-id": values, "symbol": values, "type": values,
                                                       "amount": values}, optional={"price": values}))))
def test_htx_place_never_crashes(body):
    import base64
    import hashlib
    import hmac
    from datetime import datetime, timezone
    from urllib.parse import quote
    h = Htx(CREDS.htx, limit_per_2s=0)
    k = CREDS.htx[0]
    p = {"AccessKeyId": k.access_key, "SignatureMethod": "HmacSHA256", "SignatureVersion": "2",
         "Timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")}
    enc = "&".join(f"{a}={quote(v, safe='')}" for a, v in sorted(p.items()))
    sig = base64.b64encode(hmac.new(k.secret.encode(), f"POST\nh\n/v1/order/orders/place\n{enc}".encode(),
                                    hashlib.sha256).digest()).decode()
    req = _req("POST", "/v1/order/orders/place", enc + "&Signature=" + quote(sig, safe=""), {b"host": b"h"}, body)
    status, _, out = h.handle_http(req)
    doc = orjson.loads(out)
    assert status == 200 and doc["status"] in ("ok", "error")
    if doc["status"] == "error":
        assert doc["err-code"] != "api-signature-not-valid" and doc["data"] is None


BASE = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01",
        "price": "50000.5"}


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(sorted(BASE) + ["quoteOrderQty", "newClientOrderId",
                                                               "newOrderRespType", "recvWindow", "icebergQty"]),
                               st.one_of(st.none(), values, st.sampled_from(["MARKET", "LIMIT_MAKER", "SELL", "IOC",
                                                                             "FOK", "STOP_LOSS", "FULL", "ACK"])),
                               max_size=4),
       method=st.sampled_from(["POST", "DELETE", "GET"]))
def test_binance_mutated_orders_get_binance_replies(changes, method):
    import hashlib
    import hmac
    from urllib.parse import urlencode
    b = Binance(CREDS.binance, BinanceLimits(enabled=False))
    p = dict(BASE)
    for k, v in changes.items():
        if v is None:
            p.pop(k, None)
        else:
            p[k] = v
    if method != "POST":
        p = {"symbol": p.get("symbol", "BTCUSDT"), "orderId": p.get("quantity", "1")}
    p["timestamp"] = str(int(time.time() * 1000))
    raw = urlencode(p)
    raw += "&signature=" + hmac.new(CREDS.binance[0].secret.encode(), raw.encode(), hashlib.sha256).hexdigest()
    status, _, body = b.handle_http(_req(method, "/api/v3/order", raw, {b"x-mbx-apikey": CREDS.binance[0].api_key.encode()}))
    doc = orjson.loads(body)
    if status == 200:
        assert doc["symbol"] == "BTCUSDT" and isinstance(doc["orderId"], int)
    else:
        assert status == 400 and set(doc) == {"code", "msg"} and doc["code"] in (
            -1013, -1014, -1021, -1100, -1101, -1102, -1104, -1106, -1111, -1115, -1116, -1117, -1121, -1131, -1136,
            -2010, -2011, -2013), doc
