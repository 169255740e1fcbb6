"""Replies a venue should never send — garbage, JSON of the wrong shape, odd statuses — must end every call
in an Ack or a fastorder error (typed), never another exception, never a hang. Hypothesis drives the
venue reply handlers through a fake transport (no network), REST and WS, for every venue."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastorder
from fastorder._core.htx import HtxRest
from fastorder._core.numbers import SymbolRules
from fastorder.errors import FastorderError
from fastorder.sim import creds
from fastorder.types import Ack
from fastorder.venues import base as base_mod
from fastorder.venues.base import SymbolInfo

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=12)
KEYS = ["code", "msg", "status", "result", "error", "data", "orderId", "clientOrderId", "executedQty",
        "cummulativeQuoteQty", "sCode", "sMsg", "ordId", "clOrdId", "state", "err-code", "err-msg", "id",
        "rateLimits", "inTime", "outTime", "accFillSz", "avgPx", "field-amount", "field-cash-amount"]
shaped = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=8)
# integers past 64 bits, which JSON allows and orjson refuses to parse
huge = st.integers(2**64, 2**80).map(lambda n: b'{"orderId":%d,"status":"NEW","code":%d,"data":[{"sCode":%d}]}' % (n, n, n))
bodies = st.one_of(st.binary(max_size=200), json_values.map(orjson.dumps), shaped.map(orjson.dumps), huge,
                   st.lists(shaped, max_size=3).map(lambda d: orjson.dumps({"code": "0", "data": d})))
statuses = st.sampled_from([200, 200, 200, 400, 401, 403, 404, 418, 429, 500, 503])


class FakeResponse:
    def __init__(self, status: int, body: bytes) -> None:
        self.status, self.body = status, body

    def header(self, name, default=None):
        return b"1" if name.lower() == b"retry-after" else default

    def headers_in(self, names):
        return [self.header(n) for n in names]

    headers: list = []


def make_session(venue: str, transport: str):
    kw = {"binance": dict(key=creds.BINANCE_HMAC_KEY, secret=creds.BINANCE_HMAC_SECRET),
          "okx": dict(key=creds.OKX_KEY, secret=creds.OKX_SECRET, passphrase=creds.OKX_PASSPHRASE),
          "htx": dict(key=creds.HTX_KEY, secret=creds.HTX_SECRET, account_id=creds.HTX_ACCOUNT_ID)}[venue]
    s = fastorder.connect(venue, transport, url="http://127.0.0.1:1", ws_url="ws://127.0.0.1:1/ws",
                          rate_limit=False, **kw)
    name = {"binance": "BTCUSDT", "okx": "BTC-USDT", "htx": "btcusdt"}[venue]
    s.symbols["BTCUSDT"] = SymbolInfo(name, "BTC", "USDT", SymbolRules(name, "0.01", "0.00001"), 10001)
    if venue == "htx":
        s._enc = HtxRest(creds.HTX_KEY, s._signer, account_id=creds.HTX_ACCOUNT_ID, host="127.0.0.1:1")
    return s


@pytest.mark.parametrize("venue,transport", [("binance", "rest"), ("binance", "ws"), ("okx", "rest"),
                                             ("okx", "ws"), ("htx", "rest")])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(replies=st.lists(st.tuples(statuses, bodies), min_size=1, max_size=6))
def test_any_reply_ends_in_an_ack_or_a_typed_error(monkeypatch, venue, transport, replies):
    s = make_session(venue, transport)
    queue = list(replies)

    def next_reply():
        return queue.pop(0) if queue else (503, b"")

    async def rest_send(data, lat, t_call):   # as the real one: the request counts as written
        lat.client_ns = 1
        status, body = next_reply()
        return FakeResponse(status, body)

    async def ws_send(req_id, data, lat, t_call):
        lat.client_ns = 1
        return next_reply()[1]

    real_sleep = asyncio.sleep

    async def no_sleep(_delay):   # no waiting, but a yield to the loop as a real sleep makes: the background
        await real_sleep(0)       # settler of an undecided order must not starve the calls under test

    monkeypatch.setattr(s, "rest_send", rest_send)
    monkeypatch.setattr(s, "ws_send", ws_send)
    monkeypatch.setattr(base_mod.asyncio, "sleep", no_sleep)
    # the background settler of an undecided order is tested on its own (tests/reliability): here, with every
    # sleep made instant, it would only query in a tight loop beside the calls under test
    monkeypatch.setattr(s.settler, "watch", lambda *_a, **_k: None)

    async def main():
        out = []
        for call in (lambda: s.place_order("BTCUSDT", "buy", "0.001", "46000", tif="IOC"),
                     lambda: s.query_order("BTCUSDT", client_order_id="abc123"),
                     lambda: s.cancel_order("BTCUSDT", order_id="123")):
            try:
                out.append(await asyncio.wait_for(call(), 5))
            except FastorderError as exc:
                out.append(exc)
        await s.close()   # ends the background settlers of undecided orders with the session
        return out

    for r in asyncio.run(main()):
        assert isinstance(r, (Ack, FastorderError)), repr(r)
