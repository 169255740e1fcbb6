"""Binance Spot conformance: the documented requests and replies of data/binance.json (layout: conftest.py)
run against the client's reply mapping (fastorder.venues.binance) and against the simulator
(fastorder.sim.binance), which must answer each as the real venue does.

``request`` fields (Binance): ``transport`` rest|ws; ``method`` (HTTP method, or the WS-API method) and
``path`` (REST); ``params`` as documented (``timestamp`` is set to now and the request signed with the
simulator's documented test key unless ``tweak.as_is``); ``signed`` (default true); ``given``:
``"open_order"`` places a resting LIMIT BUY with client id ``myOrder1`` first; ``tweak``:
``timestamp_offset_ms``, ``bad_signature``, ``api_key`` (null: no key header), ``as_is`` (sent exactly as
written, signature included); ``fault``: a simulator fault spec (fastorder.sim.faults) in force;
``sim_limits``: BinanceLimits for the simulator (small limits, so a limit is reached in a few requests);
``before``: send the same request this many times first; ``window_ms``: the rate-limit window the case depends
on (the case starts clear of its edge); ``sim``: why the simulator cannot be driven into this reply on demand.
``reply.msg_pattern``: a regular expression for a message with variable parts (errors.md writes them as %s: a
limit, the end of a ban), compared instead of the exact text."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
import urllib.parse
from typing import Any

import aiohttp
import orjson
import pytest

from fastorder._core.buffer import WriteBuffer
from fastorder._core.numbers import SymbolRules
from fastorder._core.sign import HmacSha256
from fastorder.sim import BinanceLimits, Simulator, creds
from fastorder.transport.http import HttpResponseParser
from fastorder.types import Latency
from fastorder.venues.base import SymbolInfo, _Unknown
from fastorder.venues.binance import BinanceSession, exchange_info_error

VENUE = "binance"
KEY, SECRET = creds.BINANCE_HMAC_KEY, creds.BINANCE_HMAC_SECRET
_ACTION = {"POST": "place", "DELETE": "cancel", "GET": "query", "order.place": "place", "order.cancel": "cancel",
           "order.status": "query"}


# -- the client's mapping ---------------------------------------------------------------------------------
def _session() -> BinanceSession:
    return BinanceSession(transport="rest", key=KEY, secret=SECRET, url="http://127.0.0.1:9")


def _http_reply(reply: dict[str, Any]) -> Any:
    """The documented reply as the bytes a server sends, read back by the client's own HTTP parser."""
    body = json.dumps(reply["body"]).encode()
    head = f"HTTP/1.1 {reply['http_status']} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    for k, v in reply.get("headers", {}).items():
        head += f"{k}: {v}\r\n"
    (resp,) = HttpResponseParser().feed(head.encode() + b"\r\n" + body)
    return resp


def _client_result(entry: dict[str, Any]) -> Any:
    """What the client makes of the documented reply: its Ack, or the exception it raises."""
    s = _session()
    req, reply = entry["request"], entry["reply"]
    info = SymbolInfo("BTCUSDT", "BTC", "USDT", SymbolRules("BTCUSDT", "0.01", "0.00001"))
    try:
        if req.get("path") == "/api/v3/exchangeInfo":
            raise exchange_info_error(reply["http_status"], orjson.dumps(reply["body"]), req["params"])
        if req["transport"] == "rest":
            return s._rest_result(info, _http_reply(reply), "myOrder1", Latency(), _ACTION[req["method"]])
        return s._ws_result(info, orjson.dumps(reply["body"]), "myOrder1", Latency(), _ACTION[req["method"]])
    except (Exception, _Unknown) as exc:
        return exc


def test_case_client_mapping(case, check_client):
    check_client(case, _client_result(case))


def test_reject_client_mapping(reject, check_client):
    check_client(reject, _client_result(reject))


def test_documented_signature_is_what_the_client_signs(conformance):
    """The docs' signed example (HMAC): the client's encoder writes the same query string and signature."""
    ex = next(r for r in conformance["rejects"] if r["name"] == "documented_signed_example_is_stale")
    p = ex["request"]["params"]
    buf = WriteBuffer()
    from fastorder._core.binance import BinanceRest
    BinanceRest(KEY, HmacSha256(SECRET), recv_window=int(p["recvWindow"])).new_order_params(
        buf, p["symbol"], p["side"], p["type"], client_order_id=None, timestamp=int(p["timestamp"]),
        quantity=p["quantity"], price=p["price"], time_in_force=p["timeInForce"])
    want = "&".join(f"{k}={v}" for k, v in p.items())
    assert buf.getvalue().decode() == want


# -- the simulator -------------------------------------------------------------------------------------
def _sign(payload: str) -> str:
    return hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()


def _prepare(req: dict[str, Any]) -> dict[str, str]:
    tweak = req.get("tweak", {})
    params = {k: str(v) for k, v in req["params"].items()}
    if tweak.get("as_is") or not req.get("signed", True):
        return params
    params["timestamp"] = str(int(time.time() * 1000) + tweak.get("timestamp_offset_ms", 0))
    return params


async def _rest(s: aiohttp.ClientSession, base: str, req: dict[str, Any]) -> tuple[int, Any]:
    tweak = req.get("tweak", {})
    params = _prepare(req)
    q = urllib.parse.urlencode(params)
    if req.get("signed", True) and not tweak.get("as_is"):
        sig = _sign(q)
        if tweak.get("bad_signature"):
            sig = _sign(q + "x")
        q += "&signature=" + sig
    hdr = {}
    api_key = tweak.get("api_key", KEY)
    if req.get("signed", True) and api_key is not None:
        hdr["X-MBX-APIKEY"] = api_key
    async with s.request(req["method"], f"{base}{req['path']}?{q}", headers=hdr) as r:
        return r.status, json.loads(await r.text())


async def _ws(ws: Any, req: dict[str, Any], rid: int) -> tuple[int, Any]:
    tweak = req.get("tweak", {})
    params = _prepare(req)
    params["apiKey"] = tweak.get("api_key", KEY)
    payload = "&".join(f"{k}={params[k]}" for k in sorted(params))
    params["signature"] = _sign(payload + ("x" if tweak.get("bad_signature") else ""))
    await ws.send_str(json.dumps({"id": rid, "method": req["method"], "params": params}))
    reply = json.loads((await ws.receive(timeout=5)).data)
    return reply["status"], reply


def _shape(v: Any) -> Any:
    """A JSON value's shape: the type of each field (and of each element of a list of objects)."""
    if isinstance(v, dict):
        return {k: _shape(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_shape(v[0])] if v else []
    return type(v).__name__


def _check_sim(entry: dict[str, Any]) -> None:
    req, reply = entry["request"], entry["reply"]
    if "sim" in req:
        pytest.skip(f"not reproducible on demand: {req['sim']}")

    async def main() -> tuple[int, Any]:
        limits = BinanceLimits(**req["sim_limits"]) if "sim_limits" in req else None
        window = req.get("window_ms")
        if window:   # clear of the window's edge, so the counts are not reset half-way
            left = window - int(time.time() * 1000) % window
            if left < 1500:
                await asyncio.sleep(left / 1000 + 0.05)
        async with Simulator(venues=("binance",), faults=req.get("fault"), binance_limits=limits) as sim, \
                aiohttp.ClientSession() as s:
            base = sim.url("binance")
            if req.get("given") == "open_order":
                status, body = await _rest(s, base, {"method": "POST", "path": "/api/v3/order", "params": {
                    "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01",
                    "price": "40000", "newClientOrderId": "myOrder1"}})
                assert status == 200 and body["status"] == "NEW", body
            if req["transport"] == "rest":
                for _ in range(req.get("before", 0)):
                    await _rest(s, base, req)
                return await _rest(s, base, req)
            async with s.ws_connect(sim.url("binance", "ws")) as ws:
                for i in range(req.get("before", 0)):
                    await _ws(ws, req, 100 + i)
                return await _ws(ws, req, 7)

    status, got = asyncio.run(asyncio.wait_for(main(), 20))
    want = reply["body"]
    assert status == reply["http_status"], (status, got)
    if "error" in want or "code" in want:
        err_got = got.get("error", got)
        err_want = want.get("error", want)
        assert err_got["code"] == err_want["code"]
        if "msg_pattern" in reply:
            assert re.fullmatch(reply["msg_pattern"], err_got["msg"]), err_got["msg"]
            assert re.fullmatch(reply["msg_pattern"], err_want["msg"])   # the pattern fits the documented text
        else:
            assert err_got["msg"] == err_want["msg"]
    else:   # a success: the same fields, each of the same JSON type, as the documented reply
        shape_got = _shape(got.get("result", got) if req["transport"] == "ws" else got)
        doc = want.get("result", want) if req["transport"] == "ws" else want
        # fields the docs mark as present only under conditions this request does not meet
        shape_want = _shape({k: v for k, v in doc.items() if k not in reply.get("conditional", ())})
        assert shape_got == shape_want


def test_case_simulator(case):
    _check_sim(case)


def test_reject_simulator(reject):
    _check_sim(reject)


@pytest.mark.parametrize("rate_limits", [True, [None], [{"rateLimitType": ["x"], "interval": {}}], "ORDERS"])
def test_a_malformed_rate_limits_field_is_ignored(rate_limits):
    """Found by the reply fuzzer: a WS reply whose rateLimits is not the documented array of objects must
    not crash the reply's reading (the reply itself decides the outcome)."""
    s = _session()
    info = SymbolInfo("BTCUSDT", "BTC", "USDT", SymbolRules("BTCUSDT", "0.01", "0.00001"))
    ok = {"id": 1, "status": 200, "result": {"symbol": "BTCUSDT", "orderId": 5, "clientOrderId": "c1",
                                             "status": "NEW"}, "rateLimits": rate_limits}
    assert s._ws_result(info, orjson.dumps(ok), "c1", Latency(), "place").order_id == "5"
    null = {"code": None, "msg": None, "status": None, "result": None, "error": None, "rateLimits": rate_limits}
    with pytest.raises(_Unknown):   # no status, no result: the outcome is unknown, the order is queried
        s._ws_result(info, orjson.dumps(null), "c1", Latency(), "place")
    with pytest.raises(_Unknown):   # a success without its result: not a refusal either
        s._ws_result(info, orjson.dumps(dict(null, status=200)), "c1", Latency(), "place")
