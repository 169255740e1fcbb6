"""Encode + sign one limit order per venue: the compiled core vs the straightforward Python way vs a template
dict copied per order and serialised with orjson (a common speed-up), all in the same run.

    taskset -c 1 pytest bench/bench_encode.py -q -p no:randomly --benchmark-disable-gc --benchmark-columns=median

Every entry's output is checked once against the compiled one (same bytes or same signature) so a fast
wrong encoder cannot win.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
import uuid

import orjson
import pytest

from fastorder._core.binance import BinanceRest, BinanceWs
from fastorder._core.binance_futures import BinanceFuturesRest, BinanceFuturesWs
from fastorder._core.buffer import WriteBuffer
from fastorder._core.htx import HtxRest, HtxSwapRest
from fastorder._core.ids import ClientIdGenerator
from fastorder._core.okx import OkxRest, OkxWs, iso_ms
from fastorder._core.sign import HmacSha256

KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
SECRET_B = SECRET.encode()
CLID = "demo3kQ9xYb7Zr0000001a"
TS = 1700000000123
buf = WriteBuffer()


# -- Binance REST --------------------------------------------------------------------------------------------
bn_rest = BinanceRest(KEY, HmacSha256(SECRET), recv_window=5000)


def bn_rest_compiled():
    buf.clear()
    bn_rest.new_order_params(buf, "BTCUSDT", "BUY", "LIMIT", time_in_force="IOC", quantity="0.001",
                             price="50000", client_order_id=CLID, timestamp=TS, resp_type="ACK")


def bn_rest_python():
    q = urllib.parse.urlencode({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "IOC",
                                "quantity": "0.001", "price": "50000", "newClientOrderId": CLID,
                                "newOrderRespType": "ACK", "recvWindow": 5000, "timestamp": TS})
    return q + "&signature=" + hmac.new(SECRET_B, q.encode(), hashlib.sha256).hexdigest()


BN_TEMPLATE = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "IOC",
               "newOrderRespType": "ACK", "recvWindow": 5000}


def bn_rest_template():
    p = BN_TEMPLATE.copy()
    p["quantity"] = "0.001"
    p["price"] = "50000"
    p["newClientOrderId"] = CLID
    p["timestamp"] = TS
    q = "&".join(f"{k}={v}" for k, v in p.items())
    return q + "&signature=" + hmac.new(SECRET_B, q.encode(), hashlib.sha256).hexdigest()


# -- Binance WebSocket API -------------------------------------------------------------------------------------
bn_ws = BinanceWs(KEY, HmacSha256(SECRET), recv_window=5000)


def bn_ws_compiled():
    buf.clear()
    bn_ws.order_place(buf, CLID, "BTCUSDT", "BUY", "LIMIT", time_in_force="IOC", quantity="0.001",
                      price="50000", client_order_id=CLID, timestamp=TS, resp_type="ACK")


def bn_ws_python():
    params = {"apiKey": KEY, "newClientOrderId": CLID, "newOrderRespType": "ACK", "price": "50000",
              "quantity": "0.001", "recvWindow": 5000, "side": "BUY", "symbol": "BTCUSDT",
              "timeInForce": "IOC", "timestamp": TS, "type": "LIMIT"}
    text = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    params["signature"] = hmac.new(SECRET_B, text.encode(), hashlib.sha256).hexdigest()
    return json.dumps({"id": CLID, "method": "order.place", "params": params}, separators=(",", ":"))


BN_WS_TEMPLATE = {"apiKey": KEY, "newOrderRespType": "ACK", "recvWindow": 5000, "side": "BUY",
                  "symbol": "BTCUSDT", "timeInForce": "IOC", "type": "LIMIT"}


def bn_ws_template():
    p = BN_WS_TEMPLATE.copy()
    p.update(newClientOrderId=CLID, price="50000", quantity="0.001", timestamp=TS)
    text = "&".join(f"{k}={p[k]}" for k in sorted(p))
    p["signature"] = hmac.new(SECRET_B, text.encode(), hashlib.sha256).hexdigest()
    return orjson.dumps({"id": CLID, "method": "order.place", "params": p})


# -- Binance USDⓈ-M perp against spot: the same order, whole signed requests, same run ------------------------
# "perp": one-way mode, the spot order's parameters; "perp hedge": positionSide=LONG too (18 signed bytes more)
bn_spot_req = BinanceRest(KEY, HmacSha256(SECRET), host="api.binance.com", recv_window=5000)
bn_perp_req = BinanceFuturesRest(KEY, HmacSha256(SECRET), host="fapi.binance.com", recv_window=5000)
bn_perp_ws = BinanceFuturesWs(KEY, HmacSha256(SECRET), recv_window=5000)


def bn_spot_rest_request():
    buf.clear()
    bn_spot_req.new_order_request(buf, "BTCUSDT", "BUY", "LIMIT", time_in_force="IOC", quantity="0.001",
                                  price="50000", client_order_id=CLID, timestamp=TS, resp_type="ACK")


def bn_perp_rest_request():
    buf.clear()
    bn_perp_req.new_order_request(buf, "BTCUSDT", "BUY", "LIMIT", time_in_force="IOC", quantity="0.001",
                                  price="50000", client_order_id=CLID, timestamp=TS, resp_type="ACK")


def bn_perp_rest_hedge():
    buf.clear()
    bn_perp_req.new_order_request(buf, "BTCUSDT", "BUY", "LIMIT", time_in_force="IOC", quantity="0.001",
                                  price="50000", client_order_id=CLID, timestamp=TS, resp_type="ACK",
                                  position_side="LONG")


def bn_perp_ws_compiled():
    buf.clear()
    bn_perp_ws.order_place(buf, CLID, "BTCUSDT", "BUY", "LIMIT", time_in_force="IOC", quantity="0.001",
                           price="50000", client_order_id=CLID, timestamp=TS, resp_type="ACK")


def bn_perp_ws_hedge():
    buf.clear()
    bn_perp_ws.order_place(buf, CLID, "BTCUSDT", "BUY", "LIMIT", time_in_force="IOC", quantity="0.001",
                           price="50000", client_order_id=CLID, timestamp=TS, resp_type="ACK", position_side="LONG")


# -- OKX ---------------------------------------------------------------------------------------------------------
OKX_SECRET = "22582BD0CFF14C41EDBF1AB98506286D"
okx_rest = OkxRest("okx-key", HmacSha256(OKX_SECRET), "pass")
okx_ws = OkxWs("okx-key", HmacSha256(OKX_SECRET), "pass")


def okx_rest_compiled():
    buf.clear()
    okx_rest.place_order_request(buf, "BTC-USDT", "cash", "buy", "ioc", sz="0.001", px="50000",
                                 cl_ord_id="b15x", timestamp_ms=TS)


def okx_rest_python():
    body = json.dumps({"instId": "BTC-USDT", "tdMode": "cash", "clOrdId": "b15x", "side": "buy",
                       "ordType": "ioc", "px": "50000", "sz": "0.001"}, separators=(",", ":"))
    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(TS // 1000)) + f".{TS % 1000:03d}Z"
    sign = base64.b64encode(hmac.new(OKX_SECRET.encode(), (ts + "POST/api/v5/trade/order" + body).encode(),
                                     hashlib.sha256).digest()).decode()
    return ts, sign, body


OKX_TEMPLATE = {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "ioc"}


def okx_rest_template():
    p = OKX_TEMPLATE.copy()
    p.update(clOrdId="b15x", px="50000", sz="0.001")
    body = orjson.dumps(p)
    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(TS // 1000)) + f".{TS % 1000:03d}Z"
    sign = base64.b64encode(hmac.new(OKX_SECRET.encode(), ts.encode() + b"POST/api/v5/trade/order" + body,
                                     hashlib.sha256).digest())
    return ts, sign, body


def okx_ws_compiled():
    buf.clear()
    okx_ws.order(buf, "r1512", 10001, "cash", "buy", "ioc", sz="0.001", px="50000", cl_ord_id="b15x")


def okx_ws_python():
    return json.dumps({"id": "r1512", "op": "order", "args": [
        {"instIdCode": 10001, "tdMode": "cash", "clOrdId": "b15x", "side": "buy", "ordType": "ioc",
         "px": "50000", "sz": "0.001"}]}, separators=(",", ":"))


OKX_WS_TEMPLATE = {"instIdCode": 10001, "tdMode": "cash", "side": "buy", "ordType": "ioc"}


def okx_ws_template():
    a = OKX_WS_TEMPLATE.copy()
    a.update(clOrdId="b15x", px="50000", sz="0.001")
    return orjson.dumps({"id": "r1512", "op": "order", "args": [a]})


# -- OKX SWAP against spot: the same IOC order, whole signed requests / frames, same run -------------------------
# "perp": net mode, tdMode cross, 1 contract (no posSide: net is OKX's default); "perp hedge": posSide long too


def okx_perp_rest():
    buf.clear()
    okx_rest.place_order_request(buf, "BTC-USDT-SWAP", "cross", "buy", "ioc", sz="1", px="50000",
                                 cl_ord_id="b15x", timestamp_ms=TS)


def okx_perp_rest_hedge():
    buf.clear()
    okx_rest.place_order_request(buf, "BTC-USDT-SWAP", "cross", "buy", "ioc", sz="1", px="50000",
                                 cl_ord_id="b15x", timestamp_ms=TS, pos_side="long")


def okx_perp_ws():
    buf.clear()
    okx_ws.order(buf, "r1512", 20001, "cross", "buy", "ioc", sz="1", px="50000", cl_ord_id="b15x")


def okx_perp_ws_hedge():
    buf.clear()
    okx_ws.order(buf, "r1512", 20001, "cross", "buy", "ioc", sz="1", px="50000", cl_ord_id="b15x", pos_side="long")


# -- HTX ---------------------------------------------------------------------------------------------------------
HTX_KEY = "e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx"
HTX_SECRET = "b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx"
htx = HtxRest(HTX_KEY, HmacSha256(HTX_SECRET), account_id=100009)


def htx_compiled():
    buf.clear()
    htx.place_order_request(buf, "btcusdt", "buy-ioc", amount="0.001", price="50000", client_order_id=CLID,
                            timestamp_s=TS // 1000)


def htx_python():
    params = {"AccessKeyId": HTX_KEY, "SignatureMethod": "HmacSHA256", "SignatureVersion": "2",
              "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(TS // 1000))}
    q = urllib.parse.urlencode(sorted(params.items()), quote_via=urllib.parse.quote)
    text = "POST\napi.huobi.pro\n/v1/order/orders/place\n" + q
    sig = base64.b64encode(hmac.new(HTX_SECRET.encode(), text.encode(), hashlib.sha256).digest()).decode()
    body = json.dumps({"account-id": "100009", "amount": "0.001", "price": "50000", "source": "spot-api",
                       "symbol": "btcusdt", "type": "buy-ioc", "client-order-id": CLID}, separators=(",", ":"))
    return q + "&Signature=" + urllib.parse.quote(sig, safe=""), body


HTX_TEMPLATE = {"account-id": "100009", "source": "spot-api", "symbol": "btcusdt", "type": "buy-ioc"}


def htx_template():
    params = {"AccessKeyId": HTX_KEY, "SignatureMethod": "HmacSHA256", "SignatureVersion": "2",
              "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(TS // 1000))}
    q = urllib.parse.urlencode(sorted(params.items()), quote_via=urllib.parse.quote)
    text = "POST\napi.huobi.pro\n/v1/order/orders/place\n" + q
    sig = base64.b64encode(hmac.new(HTX_SECRET.encode(), text.encode(), hashlib.sha256).digest()).decode()
    b = HTX_TEMPLATE.copy()
    b.update({"amount": "0.001", "price": "50000", "client-order-id": CLID})
    return q + "&Signature=" + urllib.parse.quote(sig, safe=""), orjson.dumps(b)


# -- HTX USDT-margined swap against spot: the same IOC order, whole signed requests, same run -----------------------
# "perp": one-way mode (no offset), 1 contract; "perp hedge": offset=open too. Its client id is an integer.
htx_swap = HtxSwapRest(HTX_KEY, HmacSha256(HTX_SECRET), host="api.hbdm.com", margin_mode="cross")
SWAP_CLID = 4611686018427387904


def htx_swap_compiled():
    buf.clear()
    htx_swap.place_order_request(buf, "BTC-USDT", "buy", volume=1, price="50000", client_order_id=SWAP_CLID,
                                 timestamp_s=TS // 1000, lever_rate=5, order_price_type="ioc")


def htx_swap_hedge():
    buf.clear()
    htx_swap.place_order_request(buf, "BTC-USDT", "buy", volume=1, price="50000", client_order_id=SWAP_CLID,
                                 timestamp_s=TS // 1000, lever_rate=5, order_price_type="ioc", offset="open")


# -- client order ids ----------------------------------------------------------------------------------------------
ids = ClientIdGenerator("fo")


def id_compiled():
    return ids.next()


def id_python():
    return uuid.uuid4().hex


# -- correctness of what is timed ------------------------------------------------------------------------------------
def test_baselines_agree_with_compiled():
    bn_rest_compiled()
    assert buf.getvalue().decode() == bn_rest_python()
    tmpl_q, tmpl_sig = bn_rest_template().split("&signature=")   # same params, template order
    assert dict(urllib.parse.parse_qsl(tmpl_q)) == dict(urllib.parse.parse_qsl(bn_rest_python().split("&signature=")[0]))
    assert tmpl_sig == hmac.new(SECRET_B, tmpl_q.encode(), hashlib.sha256).hexdigest()
    bn_ws_compiled()
    compiled = json.loads(buf.getvalue())
    assert compiled == json.loads(bn_ws_python()) == json.loads(bn_ws_template())
    okx_rest_compiled()
    ts, sign, body = okx_rest_python()
    raw = buf.getvalue().decode()
    assert raw.endswith("\r\n\r\n" + body) and f"OK-ACCESS-SIGN: {sign}\r\n" in raw and ts in raw
    assert json.loads(okx_rest_template()[2]) == json.loads(body)
    okx_ws_compiled()
    assert buf.getvalue().decode() == okx_ws_python()
    assert json.loads(okx_ws_template()) == json.loads(okx_ws_python())
    htx_compiled()
    q, body = htx_python()
    raw = buf.getvalue().decode()
    assert raw.startswith(f"POST /v1/order/orders/place?{q} HTTP/1.1\r\n") and raw.endswith(body)
    assert htx_template()[0] == q and json.loads(htx_template()[1]) == json.loads(body)
    assert iso_ms(TS) == okx_rest_python()[0]
    from fastorder._py import binance_futures as py_perp
    from fastorder._py.buffer import WriteBuffer as PyBuffer
    from fastorder._py.sign import HmacSha256 as PyHmac
    for compiled, twin in ((bn_perp_rest_hedge, lambda b: py_perp.BinanceFuturesRest(
            KEY, PyHmac(SECRET), host="fapi.binance.com", recv_window=5000).new_order_request(
            b, "BTCUSDT", "BUY", "LIMIT", time_in_force="IOC", quantity="0.001", price="50000", client_order_id=CLID,
            timestamp=TS, resp_type="ACK", position_side="LONG")),
                           (bn_perp_ws_hedge, lambda b: py_perp.BinanceFuturesWs(
            KEY, PyHmac(SECRET), recv_window=5000).order_place(
            b, CLID, "BTCUSDT", "BUY", "LIMIT", time_in_force="IOC", quantity="0.001", price="50000",
            client_order_id=CLID, timestamp=TS, resp_type="ACK", position_side="LONG"))):
        compiled()
        pb = PyBuffer()
        twin(pb)
        assert buf.getvalue() == pb.getvalue()   # the perp rows time the bytes the twin also writes
    okx_perp_rest_hedge()   # the OKX swap rows: the spot request with the swap fields, signed over its body
    raw = buf.getvalue().decode()
    body = raw.partition("\r\n\r\n")[2]
    ts = okx_rest_python()[0]
    sign = base64.b64encode(hmac.new(OKX_SECRET.encode(), (ts + "POST/api/v5/trade/order" + body).encode(),
                                     hashlib.sha256).digest()).decode()
    assert f"OK-ACCESS-SIGN: {sign}\r\n" in raw
    assert json.loads(body) == {"instId": "BTC-USDT-SWAP", "tdMode": "cross", "clOrdId": "b15x", "side": "buy",
                                "ordType": "ioc", "px": "50000", "sz": "1", "posSide": "long"}
    okx_perp_ws_hedge()
    assert json.loads(buf.getvalue())["args"] == [{"instIdCode": 20001, "tdMode": "cross", "clOrdId": "b15x",
                                                   "side": "buy", "ordType": "ioc", "px": "50000", "sz": "1",
                                                   "posSide": "long"}]
    htx_swap_hedge()   # the swap row times a request whose signature checks out with the swap host
    head, _, body = buf.getvalue().decode().partition("\r\n\r\n")
    target = head.split(" ")[1]
    path, _, q = target.partition("?")
    q, _, sig = q.partition("&Signature=")
    text = f"POST\napi.hbdm.com\n{path}\n{q}"
    assert path == "/linear-swap-api/v1/swap_cross_order" and urllib.parse.unquote(sig) == base64.b64encode(
        hmac.new(HTX_SECRET.encode(), text.encode(), hashlib.sha256).digest()).decode()
    assert json.loads(body) == {"contract_code": "BTC-USDT", "client_order_id": SWAP_CLID, "price": "50000",
                                "volume": 1, "direction": "buy", "offset": "open", "lever_rate": 5,
                                "order_price_type": "ioc"}


CASES = {
    "binance REST new order": (bn_rest_compiled, bn_rest_python, bn_rest_template),
    "binance WS order.place": (bn_ws_compiled, bn_ws_python, bn_ws_template),
    "okx REST place order": (okx_rest_compiled, okx_rest_python, okx_rest_template),
    "okx WS order": (okx_ws_compiled, okx_ws_python, okx_ws_template),
    "htx REST place order": (htx_compiled, htx_python, htx_template),
    "client order id": (id_compiled, id_python, None),
}


PERP_CASES = {   # perp against spot: encode + sign within 10 % is the aim (docs/venues/binance-futures.md)
    "binance perp vs spot REST": {"spot": bn_spot_rest_request, "perp": bn_perp_rest_request,
                                  "perp hedge": bn_perp_rest_hedge},
    "binance perp vs spot WS": {"spot": bn_ws_compiled, "perp": bn_perp_ws_compiled, "perp hedge": bn_perp_ws_hedge},
    # docs/venues/okx-swap.md
    "okx perp vs spot REST": {"spot": okx_rest_compiled, "perp": okx_perp_rest, "perp hedge": okx_perp_rest_hedge},
    "okx perp vs spot WS": {"spot": okx_ws_compiled, "perp": okx_perp_ws, "perp hedge": okx_perp_ws_hedge},
    # docs/venues/htx-swap.md
    "htx perp vs spot REST": {"spot": htx_compiled, "perp": htx_swap_compiled, "perp hedge": htx_swap_hedge},
}


@pytest.mark.parametrize("group", list(PERP_CASES))
@pytest.mark.parametrize("entry", ["spot", "perp", "perp hedge"])
def test_encode_perp(run, group, entry):
    run(group, entry, PERP_CASES[group][entry], baseline="spot")


@pytest.mark.parametrize("group", list(CASES))
@pytest.mark.parametrize("entry", ["compiled", "python", "template"])
def test_encode(run, group, entry):
    fn = dict(zip(("compiled", "python", "template"), CASES[group], strict=True))[entry]
    if fn is None:
        pytest.skip("no template variant for this case")
    run(group, entry, fn)
