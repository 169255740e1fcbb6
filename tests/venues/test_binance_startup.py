"""Binance start-up against the simulator: only the symbols in use are loaded (symbols=, then one symbol on
demand), the exchangeInfo reply may come gzip-encoded, start-up requests have their own deadline, every request
carries a User-Agent, and orders take no REQUEST_WEIGHT locally (0 since 2026-04-02)."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

import fastorder
from fastorder.errors import ConnectionLost, InsufficientBalance, InvalidOrder
from fastorder.sim import Simulator, creds
from fastorder.venues.base import USER_AGENT

KEY = dict(key=creds.BINANCE_HMAC_KEY, secret=creds.BINANCE_HMAC_SECRET)


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@contextlib.asynccontextmanager
async def session(transport: str = "rest", *, faults=None, limits=None, **kw):
    async with Simulator(venues=("binance",), faults=faults, binance_limits=limits) as sim:
        args = dict(KEY, url=sim.url("binance"), **kw)
        if transport == "ws":
            args["ws_url"] = sim.url("binance", "ws")
        async with fastorder.connect("binance", transport, **args) as s:
            yield sim, s


def test_only_the_named_symbols_are_loaded_then_others_on_demand():
    async def main():
        async with session(symbols=["BTC-USDT"]) as (sim, s):
            assert set(s.symbols) == {"BTCUSDT"}
            assert {"ORDERS:10S", "ORDERS:1D", "REQUEST_WEIGHT:1M", "RAW_REQUESTS:5M"} <= set(s.guard.windows)
            ack = await s.place_order("ETHUSDT", "buy", "0.01", "2000")   # loaded on first use, then sent
            assert ack.order_id and set(s.symbols) == {"BTCUSDT", "ETHUSDT"}
            before = len(sim.orders("binance"))
            with pytest.raises(InvalidOrder) as ei:
                await s.place_order("NOSUCHPAIR", "buy", "1", "1")
            assert ei.value.field == "symbols" and len(sim.orders("binance")) == before
            # concurrent first uses of a symbol share one request
            acks = await asyncio.gather(*(s.query_order("BNBUSDT", client_order_id="none1") for _ in range(3)),
                                        return_exceptions=True)
            assert all(type(a).__name__ == "UnknownOrder" for a in acks)
            assert "BNBUSDT" in s.symbols
    run(main())


def test_several_named_symbols_one_request_and_an_unknown_one_fails_start():
    async def main():
        async with session(symbols=["BTCUSDT", "ltc/btc"]) as (sim, s):
            assert set(s.symbols) == {"BTCUSDT", "LTCBTC"}
        with pytest.raises(InvalidOrder):
            async with session(symbols=["BTCUSDT", "NOSUCHPAIR"]):
                pass
        with pytest.raises(InvalidOrder):
            fastorder.connect("binance", "rest", symbols="BTCUSDT", **KEY)   # a list, not a str
    run(main())


def test_without_symbols_every_symbol_is_loaded_gzip_encoded():
    async def main():
        async with session() as (sim, s):
            assert set(s.symbols) == {"BTCUSDT", "ETHUSDT", "BNBUSDT", "LTCBTC"}
            assert sim.apps["binance"].gzip_replies >= 1   # the client asked for gzip and decoded it
    run(main())


def test_startup_requests_have_their_own_timeout():
    slow = "latency:ms=1500,after=1,count=1"   # the second request (exchangeInfo, after one clock sample)
    async def main():
        async with session(faults=slow, timeout=1.0, clock_samples=1, startup_timeout=5.0) as (sim, s):
            assert s.symbols   # 1.5 s > the 1 s order timeout, < the start-up one
        with pytest.raises(ConnectionLost, match="startup_timeout"):
            async with session(faults=slow, timeout=1.0, clock_samples=1, startup_timeout=0.5):
                pass
    run(main())


@pytest.mark.parametrize("transport", ["rest", "ws"])
def test_every_request_carries_a_user_agent(transport):
    async def main():
        async with session(transport, symbols=["BTCUSDT"]) as (sim, s):
            ack = await s.place_order("BTCUSDT", "buy", "0.001", "46000")
            await s.query_order("BTCUSDT", client_order_id=ack.client_order_id)
            await s.cancel_order("BTCUSDT", order_id=ack.order_id)
            seen = sim.apps["binance"].user_agents
            assert USER_AGENT.startswith("fastorder/") and set(seen) == {USER_AGENT}, seen
            assert seen[USER_AGENT] >= (4 if transport == "rest" else 3)
    run(main())


def test_orders_take_no_request_weight_locally_and_in_the_simulator():
    async def main():
        async with session(symbols=["BTCUSDT"]) as (sim, s):
            w = s.guard.windows["REQUEST_WEIGHT:1M"]
            app = sim.apps["binance"]
            ip = next(iter(app.ip))
            used = app.used_weight(ip)
            ack = await s.place_order("BTCUSDT", "buy", "0.001", "46000")
            await s.cancel_order("BTCUSDT", order_id=ack.order_id)
            assert app.used_weight(ip) == used and w.count <= used   # success: weight 0 on both sides
            with pytest.raises(InsufficientBalance):
                await s.place_order("BTCUSDT", "buy", "50", "46000")   # refused by the venue: weighs 1
            assert app.used_weight(ip) == used + 1 and w.count == used + 1   # the header told the guard
            assert s.guard.windows["ORDERS:10S"].count == 2
    run(main())
