"""HTX spot trading operations against the simulator over REST (HTX has no WebSocket order entry): open orders
(paged), balances, cancel-all, batch place / cancel with per-item results, what HTX lacks (amend), the dead
man's switch, self-match-prevent, quote-sized market orders and environments."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal

import pytest

import fastorder
from fastorder.errors import ConfigError, NotSupported
from fastorder.sim import Simulator, creds
from fastorder.types import CANCEL_REQUESTED

SYM = "btcusdt"
REST_PX, TAKE_PX = "46000", "54000"   # resting / taking, both inside HTX's price band around 50000
CREDS = dict(key=creds.HTX_KEY, secret=creds.HTX_SECRET)


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@contextlib.asynccontextmanager
async def session(limit: int = 0, **kw):
    async with Simulator(venues=("htx",), htx_limit_per_2s=limit, seed=5) as sim:
        async with fastorder.connect("htx", "rest", url=sim.url("htx"), allow_plaintext=True, timeout=2.0,
                                     **CREDS, **kw) as s:
            yield sim, s


def test_open_orders_lists_every_page_and_filters_by_symbol():
    async def main():
        async with session() as (sim, s):
            assert await s.open_orders() == []
            placed = await asyncio.gather(*(s.place_order(SYM, "buy", "0.001", REST_PX) for _ in range(7)))
            eth = await s.place_order("ethusdt", "sell", "0.01", "3200")
            import fastorder.venues.htx as htx_mod
            old = htx_mod._OPEN_PAGE
            htx_mod._OPEN_PAGE = 3   # pages of 3: the from/direct paging is what is under test
            try:
                listed = await s.open_orders()
                btc = await s.open_orders(SYM)
            finally:
                htx_mod._OPEN_PAGE = old
            assert sorted(a.order_id for a in listed) == sorted([a.order_id for a in placed] + [eth.order_id])
            assert sorted(a.client_order_id for a in btc) == sorted(a.client_order_id for a in placed)
            assert {a.status for a in listed} == {"NEW"} and {a.symbol for a in btc} == {SYM}
            one = next(a for a in listed if a.order_id == eth.order_id)
            assert (one.side, Decimal(one.price), Decimal(one.quantity), one.symbol) == (
                "SELL", Decimal("3200"), Decimal("0.01"), "ethusdt")
    run(main())


def test_balances_split_free_and_locked():
    async def main():
        async with session() as (sim, s):
            before = await s.balances()
            assert Decimal(before["usdt"].free) == Decimal("1000000") and Decimal(before["usdt"].locked) == 0
            await s.place_order(SYM, "buy", "0.01", REST_PX)   # locks 460 USDT
            after = await s.balances()
            assert Decimal(after["usdt"].locked) == Decimal("460")
            assert Decimal(after["usdt"].free) == Decimal("1000000") - 460
            assert after["btc"].asset == "btc"
    run(main())


def test_cancel_all_cancels_in_rounds_and_returns_what_it_canceled():
    async def main():
        async with session() as (sim, s):
            assert await s.cancel_all() == []   # nothing open: one request, next-id -1
            placed = await asyncio.gather(*(s.place_order(SYM, "buy", "0.001", REST_PX) for _ in range(5)))
            eth = await s.place_order("ethusdt", "sell", "0.01", "3200")
            import fastorder.venues.htx as htx_mod
            old = htx_mod._CANCEL_OPEN_SIZE
            htx_mod._CANCEL_OPEN_SIZE = 2   # 2 a request: the next-id loop is what is under test
            try:
                acks = await s.cancel_all(SYM)
            finally:
                htx_mod._CANCEL_OPEN_SIZE = old
            assert sorted(a.order_id for a in acks) == sorted(a.order_id for a in placed)
            assert {a.status for a in acks} == {CANCEL_REQUESTED}
            assert {o["status"] for o in sim.orders("htx") if o["symbol"] == SYM} == {"CANCELED"}
            assert sim.order("htx", order_id=int(eth.order_id))["status"] == "NEW"   # other symbol untouched
            rest = await s.cancel_all()
            assert [a.order_id for a in rest] == [eth.order_id]
            assert await s.open_orders() == []
    run(main())


def test_environments():
    with pytest.raises(ConfigError, match="testnet"):
        fastorder.connect("htx", "rest", env="testnet", **CREDS)
    with pytest.raises(ConfigError, match="demo"):
        fastorder.connect("htx", "rest", env="demo", **CREDS)


def test_a_wrong_key_is_an_authentication_error():
    async def main():
        async with Simulator(venues=("htx",), seed=5) as sim:
            with pytest.raises(fastorder.errors.AuthenticationError) as ei:
                async with fastorder.connect("htx", "rest", url=sim.url("htx"), allow_plaintext=True,
                                             key="wrong-key", secret=creds.HTX_SECRET):
                    pass
            assert ei.value.code == "api-signature-not-valid"
    run(main())


def test_amend_is_not_supported_and_names_the_closest():
    async def main():
        async with session() as (sim, s):
            live = await s.place_order(SYM, "buy", "0.001", REST_PX)
            with pytest.raises(NotSupported, match="cancel"):
                await s.amend_order(SYM, order_id=live.order_id, price="46001")
            with pytest.raises(NotSupported, match="cancel"):
                await s.amend_orders([{"symbol": SYM, "order_id": live.order_id, "price": "46001"},
                                      {"symbol": SYM, "order_id": live.order_id, "quantity": "0.002"}])
    run(main())
