"""The Binance USDⓈ-M futures user data stream end to end: the simulator's listenKey stream (a real WebSocket on
a real socket, /private/ws/<listenKey>) to `session.events()`: ORDER_TRADE_UPDATE through the compiled decoder,
ACCOUNT_UPDATE as AccountUpdate, the listenKey's life (keepalive, expiry, a deleted key), lost replies settled
from the stream."""

from __future__ import annotations

import asyncio
import contextlib

import orjson
import pytest

import fastorder
from fastorder._py import events as twin
from fastorder.errors import MalformedEvent, WSError
from fastorder.events import AccountUpdate, OrderEvent, StreamGap, decode_binance_futures
from fastorder.sim import BinanceLimits, Simulator
from fastorder.types import CANCELED, EXPIRED, FILLED, NEW

V = "binance_futures"
KEYS = dict(key="vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
            secret="NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")
REST_PX, TAKE_PX = "49000", "51000"


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@contextlib.asynccontextmanager
async def perp(transport: str = "ws", faults=None, **kw):
    async with Simulator(venues=(V,), binance_limits=BinanceLimits(enabled=False), seed=1, faults=faults) as sim:
        async with fastorder.connect("binance", transport, market="perp", url=sim.url(V, "rest"),
                                     ws_url=sim.url(V, "ws"), timeout=2.0, events=True, **KEYS, **kw) as s:
            yield sim, s


async def collect(s, seen: list, until, timeout: float = 5.0) -> None:
    async def loop():
        async for ev in s.events():
            seen.append(ev)
            if until(seen):
                return
    await asyncio.wait_for(loop(), timeout)


def of(seen, clid):
    return [e for e in seen if isinstance(e, OrderEvent) and e.client_order_id == clid]


@pytest.mark.parametrize("transport", ["ws", "rest"])
def test_order_and_account_updates_in_order(transport):
    async def main():
        async with perp(transport) as (sim, s):
            assert s.stream.part.url.startswith(sim.url(V, "ws").rsplit("/ws-fapi", 1)[0] + "/private/ws/")
            seen: list = []
            task = asyncio.ensure_future(collect(s, seen, lambda xs: len(of(xs, "rest1")) >= 2 and of(xs, "take1")
                                                 and of(xs, "take1")[-1].is_final
                                                 and any(isinstance(x, AccountUpdate) for x in xs)))
            await asyncio.sleep(0)
            a = await s.place_order("BTCUSDT", "buy", "0.010", REST_PX, client_order_id="rest1")
            await s.cancel_order("BTCUSDT", client_order_id="rest1")
            await s.place_order("BTCUSDT", "buy", "0.010", TAKE_PX, client_order_id="take1")
            await task
            r = of(seen, "rest1")
            assert [(e.status, e.exec_type) for e in r] == [(NEW, "NEW"), (CANCELED, "CANCELED")]
            assert r[0].venue == V and r[0].order_id == a.order_id and r[0].side == "BUY" and r[0].quantity == "0.010"
            t = of(seen, "take1")
            assert t[0].status == NEW and t[-1].status == FILLED and t[-1].is_fill
            assert t[-1].filled_qty == "0.010" and t[-1].fee_asset == "USDT" and t[-1].trade_id
            acct = [x for x in seen if isinstance(x, AccountUpdate)]
            assert acct[0].reason == "ORDER" and acct[0].balances[0].asset == "USDT"
            pos = acct[0].positions[0]
            assert (pos.symbol, pos.position_side, pos.quantity) == ("BTCUSDT", "net", "0.010")
            assert [p.quantity for p in await s.positions("BTCUSDT")] == ["0.010"]
    run(main())


def test_an_amend_is_reported_as_amended():
    async def main():
        async with perp("rest") as (sim, s):
            seen: list = []
            task = asyncio.ensure_future(collect(s, seen, lambda xs: len(of(xs, "m1")) >= 2))
            await asyncio.sleep(0)
            await s.place_order("BTCUSDT", "buy", "0.010", REST_PX, client_order_id="m1")
            await s.amend_order("BTCUSDT", client_order_id="m1", price="48000")
            await task
            assert [e.exec_type for e in of(seen, "m1")] == ["NEW", "AMENDED"]
            assert of(seen, "m1")[-1].price.startswith("48000")
    run(main())


def test_listen_key_expired_reconnects_with_a_new_key_and_closes_the_gap():
    async def main():
        async with perp("ws") as (sim, s):
            first = s.stream.part.listen_key
            seen: list = []
            task = asyncio.ensure_future(collect(s, seen, lambda xs: any(isinstance(x, StreamGap) for x in xs)
                                                 and len(of(xs, "after1")) >= 1, timeout=10.0))
            await asyncio.sleep(0)
            await s.place_order("BTCUSDT", "buy", "0.010", REST_PX, client_order_id="before1")
            assert sim.apps[V].stream.expire() == 1   # every key ends: listenKeyExpired, the connection closes
            for _ in range(200):
                if s.stream.up and s.stream.part.listen_key != first:
                    break
                await asyncio.sleep(0.02)
            await s.place_order("BTCUSDT", "buy", "0.010", REST_PX, client_order_id="after1")
            await task
            gap = [x for x in seen if isinstance(x, StreamGap)][0]
            assert gap.closed and "listenKeyExpired" in gap.reason
            assert s.stream.part.listen_key != first
    run(main())


def test_keepalive_extends_the_key_and_a_deleted_key_is_replaced():
    async def main():
        async with perp("rest") as (sim, s):
            part = s.stream.part
            st = sim.apps[V].stream
            key = part.listen_key
            assert (await part._call("PUT"))["listenKey"] == key   # keepalive: the same key
            st.delete(next(iter(st.by_account)), 0)                # as if deleted elsewhere: PUT now refused
            with pytest.raises(fastorder.errors.VenueError) as e:
                await part._call("PUT")
            assert e.value.code == -1125
            part.keepalive_s = 0.01   # the keepalive loop sees -1125 and reconnects with a new key
            part._keeper.cancel()
            part._keeper = asyncio.ensure_future(part._keepalive())
            for _ in range(300):
                if s.stream.up and part.listen_key and part.listen_key != key:
                    break
                await asyncio.sleep(0.02)
            assert part.listen_key != key and s.stream.up
    run(main())


def test_a_lost_reply_is_settled_from_the_stream():
    async def main():
        # connections as accepted: 1 REST, 2 the order WebSocket (its first order's reply is lost), then the
        # listenKey request and the stream
        async with perp("ws", faults="drop:phase=after,transport=ws,conn=2,count=1", connections=1) as (sim, s):
            queries = []
            orig = s._query

            async def counting(*a, **k):
                queries.append(a)
                return await orig(*a, **k)
            s._query = counting
            ack = await s.place_order("BTCUSDT", "buy", "0.010", REST_PX, client_order_id="lost1")
            assert ack.reconciled and ack.status == NEW and ack.client_order_id == "lost1" and ack.order_id
            assert queries == []
    run(main())


def test_unknown_listen_key_is_refused_and_close_deletes_the_key():
    async def main():
        async with Simulator(venues=(V,), binance_limits=BinanceLimits(enabled=False), seed=1) as sim:
            from fastorder.transport.client import open_ws
            base = sim.url(V, "ws").rsplit("/ws-fapi", 1)[0]
            with pytest.raises(WSError, match="404"):
                await open_ws(base + "/private/ws/nosuchkey", tls=None, allow_plaintext=True,
                              on_message=lambda p, b: None, on_lost=lambda c, e: None, read_timeout=1.0,
                              connect_timeout=1.0)
            async with fastorder.connect("binance", "rest", market="perp", url=sim.url(V, "rest"),
                                         ws_url=sim.url(V, "ws"), timeout=2.0, events=True, **KEYS):
                assert len(sim.apps[V].stream.keys) == 1
            assert sim.apps[V].stream.keys == {}   # DELETE /fapi/v1/listenKey on close
    run(main())


FRAME = {"e": "ORDER_TRADE_UPDATE", "E": 1568879465651, "T": 1568879465650, "o": {
    "s": "BTCUSDT", "c": "TEST", "S": "SELL", "o": "LIMIT", "f": "GTC", "q": "0.001", "p": "7103.04", "ap": "0",
    "sp": "0", "x": "TRADE", "X": "PARTIALLY_FILLED", "i": 8886774, "l": "0.0005", "z": "0.0005", "L": "7103.04",
    "N": "USDT", "n": "0.001", "T": 1568879465650, "t": 42, "b": "0", "a": "9.91", "m": False, "R": False,
    "wt": "CONTRACT_PRICE", "ot": "LIMIT", "ps": "BOTH", "cp": False, "rp": "0", "pP": False, "si": 0, "ss": 0,
    "V": "EXPIRE_TAKER", "pm": "NONE", "gtd": 0, "er": "0"}}


@pytest.mark.parametrize("change", [{}, {"x": "AMENDMENT", "X": "NEW"}, {"x": "EXPIRED", "X": "EXPIRED_IN_MATCH"},
                                    {"c": "a\\u00e9b"}, {"i": 1, "c": ""}])
def test_decoder_agrees_with_its_twin(change):
    d = {**FRAME, "o": {**FRAME["o"], **change}}
    raw = orjson.dumps(d).replace(b"a\\\\u00e9b", b"a\\u00e9b")
    got = decode_binance_futures(raw)
    assert [e.to_dict() | {"recv_ns": 0} for e in got] == [x | {"recv_ns": 0, "snapshot": False}
                                                           for x in twin.decode_binance_futures(raw)]
    assert got[0].status in (NEW, EXPIRED, "PARTIALLY_FILLED")


@pytest.mark.parametrize("bad", [b"{", b'{"e":"ORDER_TRADE_UPDATE","o":[]}',
                                 b'{"e":"ORDER_TRADE_UPDATE","o":{"s":"BTCUSDT","i":1,"X":"WHAT"}}',
                                 b'{"e":"ORDER_TRADE_UPDATE","o":{"X":"NEW","i":1}}'])
def test_decoder_refuses_broken_frames(bad):
    with pytest.raises(MalformedEvent):
        decode_binance_futures(bad)
    assert decode_binance_futures(b'{"e":"ACCOUNT_UPDATE","E":1,"a":{"m":"ORDER","B":[],"P":[]}}') is None
