"""The per-order path written out for speed (fast spellings in place_order, positional Acks, one pass over the
reply headers) gives what the general path gives: checked through a fake transport, no network."""

from __future__ import annotations

import asyncio
from dataclasses import fields

import orjson
import pytest

import fastorder
from fastorder._core.htx import HtxRest
from fastorder._core.numbers import SymbolRules
from fastorder.errors import InvalidOrder
from fastorder.sim import creds
from fastorder.transport.http import HttpResponseParser
from fastorder.types import Ack
from fastorder.venues.base import ACK_FIELDS, SymbolInfo

REPLIES = {
    ("binance", "rest"): b'{"symbol":"BTCUSDT","orderId":12000000081,"clientOrderId":"CLID","transactTime":17,'
                         b'"price":"46000.00","origQty":"0.00100","executedQty":"0.00100",'
                         b'"cummulativeQuoteQty":"46.00000","status":"FILLED","side":"BUY"}',
    ("okx", "rest"): b'{"code":"0","msg":"","data":[{"clOrdId":"CLID","ordId":"77","sCode":"0","sMsg":"","ts":"18"}],'
                     b'"inTime":"100","outTime":"130"}',
    ("htx", "rest"): b'{"status":"ok","data":"99"}',
}
REPLIES[("binance", "ws")] = (b'{"id":1,"status":200,"result":' + REPLIES[("binance", "rest")] +
                              b',"rateLimits":[{"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,'
                              b'"limit":100,"count":3}]}')
REPLIES[("okx", "ws")] = REPLIES[("okx", "rest")].replace(b'{"code"', b'{"id":"1","op":"order","code"')
HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-MBX-USED-WEIGHT-1M: 5\r\n"
        b"x-mbx-order-count-10s: 4\r\nX-Sim-Processing-Us: 42\r\nContent-Length: %d\r\n\r\n")


def make_session(venue: str, transport: str):
    kw = {"binance": dict(key=creds.BINANCE_HMAC_KEY, secret=creds.BINANCE_HMAC_SECRET),
          "okx": dict(key=creds.OKX_KEY, secret=creds.OKX_SECRET, passphrase=creds.OKX_PASSPHRASE),
          "htx": dict(key=creds.HTX_KEY, secret=creds.HTX_SECRET, account_id=creds.HTX_ACCOUNT_ID)}[venue]
    s = fastorder.connect(venue, transport, url="http://127.0.0.1:1", ws_url="ws://127.0.0.1:1/ws", **kw)
    name = {"binance": "BTCUSDT", "okx": "BTC-USDT", "htx": "btcusdt"}[venue]
    s.symbols["BTCUSDT"] = SymbolInfo(name, "BTC", "USDT", SymbolRules(name, "0.01", "0.00001"), 10001)
    if venue == "htx":
        s._enc = HtxRest(creds.HTX_KEY, s._signer, account_id=creds.HTX_ACCOUNT_ID, host="127.0.0.1:1")
    if venue == "binance":
        s.guard.set_limit("ORDERS:10S", 100, 10_000)
        s.guard.set_limit("REQUEST_WEIGHT:1M", 6000, 60_000)
        s.guard.set_limit("ORDERS:1D", 200_000, 86_400_000)
    sent: list[bytes] = []
    body = REPLIES[(venue, transport)]

    async def rest_send(data, lat, t_call):
        lat.client_ns = 1
        sent.append(bytes(data))
        (resp,) = HttpResponseParser().feed(HEAD % len(body) + body)
        return resp

    async def ws_send(req_id, data, lat, t_call):
        lat.client_ns = 1
        sent.append(bytes(data))
        return body

    s.rest_send = rest_send
    s.ws_send = ws_send
    return s, sent


def test_ack_fields_are_the_positional_order():
    assert tuple(f.name for f in fields(Ack)) == ACK_FIELDS


PATHS = [("binance", "rest"), ("binance", "ws"), ("okx", "rest"), ("okx", "ws"), ("htx", "rest")]


@pytest.mark.parametrize("venue,transport", PATHS)
def test_ack_from_the_written_out_path(venue, transport):
    s, sent = make_session(venue, transport)
    ack = asyncio.run(s.place_order("BTCUSDT", "buy", "0.001", "46000", tif="IOC", client_order_id="CLID"))
    assert (ack.venue, ack.symbol, ack.client_order_id, ack.side) == (venue, s.symbols["BTCUSDT"].name, "CLID",
                                                                      "BUY")
    assert ack.latency.client_ns == 1 and not ack.reconciled and isinstance(ack.raw, dict)
    if venue == "binance":
        assert (ack.order_id, ack.status, ack.price, ack.quantity, ack.filled_qty, ack.exchange_ts_ms) == (
            "12000000081", "FILLED", "46000.00", "0.00100", "0.00100", 17)
        assert ack.avg_price == "46000"
        counts = {name: w.count for name, w in s.guard.windows.items()}
        if transport == "rest":   # the usage headers, read in the same pass as the simulator's time
            assert counts == {"ORDERS:10S": 4, "REQUEST_WEIGHT:1M": 5, "ORDERS:1D": 1}
            assert ack.latency.exchange_us == 42
        else:
            assert counts["ORDERS:10S"] == 3
    elif venue == "okx":
        assert (ack.order_id, ack.status, ack.exchange_ts_ms) == ("77", "ACCEPTED", 18)
        assert ack.latency.exchange_us == (42 if transport == "rest" else 30)
    else:
        assert (ack.order_id, ack.status, ack.exchange_ts_ms, ack.latency.exchange_us) == ("99", "ACCEPTED", None, 42)
    assert len(sent) == 1


@pytest.mark.parametrize("venue,transport", PATHS)
@pytest.mark.parametrize("side,type,tif,want_side,want_tif", [
    ("buy", "limit", "IOC", "BUY", "IOC"), ("SELL", "LIMIT", "ioc", "SELL", "IOC"), ("Buy", "Limit", "gtc", "BUY", "GTC"),
    ("sell", "limit", "FOK", "SELL", "FOK")])
def test_every_spelling_encodes_alike(venue, transport, side, type, tif, want_side, want_tif):
    s, sent = make_session(venue, transport)
    asyncio.run(s.place_order("BTCUSDT", side, "0.001", "46000", type=type, tif=tif, client_order_id="CLID"))
    text = sent[0].decode()
    if venue == "binance":
        assert f"side={want_side}" in text or f'"side":"{want_side}"' in text
        assert f"timeInForce={want_tif}" in text or f'"timeInForce":"{want_tif}"' in text
    elif venue == "okx":
        assert f'"side":"{want_side.lower()}"' in text
        assert f'"ordType":"{ {"IOC": "ioc", "GTC": "limit", "FOK": "fok"}[want_tif] }"'.replace(" ", "") in text
    else:
        assert {"IOC": "ioc", "GTC": "limit", "FOK": "limit-fok"}[want_tif] in text and want_side.lower() in text


class _OddEq:
    """Compares to anything as an object that cannot be a bool (as a numpy array does)."""

    def __eq__(self, other):
        return self

    def __bool__(self):
        raise ValueError("ambiguous")

    __hash__ = object.__hash__


@pytest.mark.parametrize("venue,transport", PATHS)
@pytest.mark.parametrize("kw", [dict(side=_OddEq()), dict(tif=_OddEq()), dict(type=_OddEq()), dict(side="hold"), dict(side=["buy"]), dict(side=None), dict(tif="GTD"),
                                dict(tif=["IOC"]), dict(type="stop"), dict(type=["limit"]), dict(price=None),
                                dict(type="market"), dict(type="market", price=None, post_only=True)])
def test_bad_input_is_typed_and_nothing_is_sent(venue, transport, kw):
    s, sent = make_session(venue, transport)
    args = dict(side="buy", quantity="0.001", price="46000", type="limit", tif="IOC") | kw
    with pytest.raises(InvalidOrder):
        asyncio.run(s.place_order("BTCUSDT", **args))
    assert sent == []


def test_reply_body_round_trips():   # the canned replies are what the venue modules parse
    for body in REPLIES.values():
        assert isinstance(orjson.loads(body), dict)
