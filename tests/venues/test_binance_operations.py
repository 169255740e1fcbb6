"""Binance Spot trading operations against the simulator, over REST and the WebSocket API (HMAC keys sign each
request; an Ed25519 key logs the connection on): open orders, balances, cancel-all, amend (keepPriority and
cancel-replace, with the simulator's queue checked), self-trade prevention, quote-quantity market orders, and
the operations Binance Spot does not have."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal as D

import pytest

import fastorder
from fastorder.errors import (
    AuthenticationError,
    ClientIdInUse,
    ConfigError,
    InvalidOrder,
    NotSupported,
    OrderRejected,
    UnknownOrder,
)
from fastorder.sim import Simulator
from fastorder.sim import creds as sim_creds
from fastorder.types import CANCELED, EXPIRED, FILLED, NEW, Balance

HMAC = dict(key=sim_creds.BINANCE_HMAC_KEY, secret=sim_creds.BINANCE_HMAC_SECRET)
TRANSPORTS = ["rest", "ws", "ws-ed25519"]
PX = "49000"   # below the simulator's seeded bids: orders rest there alone


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@contextlib.asynccontextmanager
async def session(transport: str, **kw):
    async with Simulator(venues=("binance",)) as sim:
        if transport == "ws-ed25519":
            args = dict(key=sim_creds.BINANCE_ED25519_KEY, private_key=sim_creds.ed25519_private_key())
        else:
            args = dict(HMAC)
        args.update(url=sim.url("binance"), **kw)
        if transport.startswith("ws"):
            args["ws_url"] = sim.url("binance", "ws")
        async with fastorder.connect("binance", transport.split("-")[0], **args) as s:
            if transport == "ws-ed25519":
                assert s.logged_on
            yield sim, s


def level(sim, price: str) -> list[str]:
    """Client ids of the orders resting on the simulator's bid level at `price`, in queue order."""
    return [o.cid for o in sim.exchange("binance").books["BTCUSDT"].bids.get(D(price), ())]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_open_orders_and_balances(transport):
    async def main():
        async with session(transport) as (sim, s):
            assert await s.open_orders() == [] and await s.open_orders("BTCUSDT") == []
            a = await s.place_order("BTCUSDT", "buy", "0.002", PX, client_order_id="oo-a")
            b = await s.place_order("BTCUSDT", "sell", "0.001", "60000", client_order_id="oo-b")
            e = await s.place_order("ETHUSDT", "buy", "0.01", "2000", client_order_id="oo-e")
            listed = await s.open_orders()
            assert {x.client_order_id for x in listed} == {"oo-a", "oo-b", "oo-e"}
            by_id = {x.client_order_id: x for x in listed}
            assert by_id["oo-a"].order_id == a.order_id and by_id["oo-a"].status == NEW
            assert D(by_id["oo-a"].price) == D(PX) and D(by_id["oo-a"].quantity) == D("0.002")
            assert by_id["oo-e"].symbol == "ETHUSDT" and by_id["oo-b"].side == "SELL"
            assert {x.client_order_id for x in await s.open_orders("BTC-USDT")} == {"oo-a", "oo-b"}
            bals = await s.balances()
            truth = sim.balances("binance")
            assert bals["USDT"] == Balance("USDT", f"{truth['USDT'][0]:.8f}", f"{truth['USDT'][1]:.8f}")
            assert D(bals["USDT"].locked) == D(PX) * D("0.002") + D("2000") * D("0.01")
            assert D(bals["BTC"].locked) == D("0.001")
            assert all(D(x.free) or D(x.locked) for x in bals.values())   # omitZeroBalances
            assert b.order_id and e.order_id
            with pytest.raises(InvalidOrder):
                await s.open_orders("NOSUCH")
    run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_cancel_all_one_symbol_then_every_symbol(transport):
    async def main():
        async with session(transport) as (sim, s):
            assert await s.cancel_all("BTCUSDT") == [] and await s.cancel_all() == []   # nothing open
            for i in range(3):
                await s.place_order("BTCUSDT", "buy", "0.001", str(49000 - i), client_order_id=f"ca-{i}")
            await s.place_order("ETHUSDT", "buy", "0.01", "2000", client_order_id="ca-e")
            await s.place_order("LTCBTC", "sell", "1", "0.002", client_order_id="ca-l")
            acks = await s.cancel_all("BTCUSDT")
            assert sorted(a.client_order_id for a in acks) == ["ca-0", "ca-1", "ca-2"]
            assert all(a.status == CANCELED and a.symbol == "BTCUSDT" for a in acks)
            assert not {"ca-0", "ca-1", "ca-2"} & s.ledger.live_ids and {"ca-e", "ca-l"} <= s.ledger.live_ids
            assert sim.order("binance", client_order_id="ca-1")["status"] == "CANCELED"
            assert await s.cancel_all("BTCUSDT") == []
            rest = await s.cancel_all()
            assert sorted(a.client_order_id for a in rest) == ["ca-e", "ca-l"]
            assert {a.symbol for a in rest} == {"ETHUSDT", "LTCBTC"}
            assert await s.open_orders() == [] and not s.ledger.live_ids
    run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_amend_smaller_quantity_keeps_priority_and_ids(transport):
    async def main():
        async with session(transport) as (sim, s):
            a = await s.place_order("BTCUSDT", "buy", "0.003", PX, client_order_id="am-a")
            await s.place_order("BTCUSDT", "buy", "0.001", PX, client_order_id="am-b")
            assert level(sim, PX) == ["am-a", "am-b"]
            ack = await s.amend_order("BTCUSDT", client_order_id="am-a", quantity="0.002")
            assert ack.order_id == a.order_id and ack.client_order_id == "am-a" and ack.status == NEW
            assert D(ack.quantity) == D("0.002") and D(ack.price) == D(PX)
            assert level(sim, PX) == ["am-a", "am-b"]   # still first in the queue
            truth = sim.order("binance", client_order_id="am-a")
            assert D(truth["qty"]) == D("0.002")
            assert sim.balances("binance")["USDT"][1] == D(PX) * D("0.003")   # the lock shrank with it
            # a new client id on the way (by exchange id): the order goes by it from now on
            ack2 = await s.amend_order("BTCUSDT", order_id=a.order_id, quantity="0.001", new_client_order_id="am-a2")
            assert ack2.client_order_id == "am-a2" and ack2.order_id == a.order_id
            assert "am-a2" in s.ledger.live_ids and "am-a" not in s.ledger.live_ids
            assert level(sim, PX) == ["am-a2", "am-b"]
    run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_amend_price_or_larger_quantity_is_a_cancel_replace_at_the_back(transport):
    async def main():
        async with session(transport) as (sim, s):
            a = await s.place_order("BTCUSDT", "buy", "0.002", PX, client_order_id="cr-a")
            await s.place_order("BTCUSDT", "buy", "0.001", PX, client_order_id="cr-b")
            ack = await s.amend_order("BTCUSDT", client_order_id="cr-a", quantity="0.004")   # larger: replaced
            assert ack.order_id != a.order_id and ack.client_order_id not in ("cr-a", "")
            assert ack.status == NEW and D(ack.quantity) == D("0.004")
            assert level(sim, PX) == ["cr-b", ack.client_order_id]   # at the back of the level
            assert sim.order("binance", client_order_id="cr-a")["status"] == "CANCELED"
            assert ack.client_order_id in s.ledger.live_ids and "cr-a" not in s.ledger.live_ids
            moved = await s.amend_order("BTCUSDT", client_order_id="cr-b", price="48999.5",
                                        new_client_order_id="cr-b2")
            assert moved.client_order_id == "cr-b2" and D(moved.price) == D("48999.5")
            assert level(sim, PX) == [ack.client_order_id] and level(sim, "48999.5") == ["cr-b2"]
            assert {"cr-b2", ack.client_order_id} <= s.ledger.live_ids and "cr-b" not in s.ledger.live_ids
            # same price, smaller quantity, given with the price: still keepPriority
            kept = await s.amend_order("BTCUSDT", client_order_id="cr-b2", price="48999.5", quantity="0.0005")
            assert kept.order_id == moved.order_id and kept.client_order_id == "cr-b2"
            with pytest.raises(ClientIdInUse):
                await s.amend_order("BTCUSDT", client_order_id="cr-b2", price="48999", new_client_order_id=
                                    ack.client_order_id)
    run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_amend_errors(transport):
    async def main():
        async with session(transport) as (sim, s):
            with pytest.raises(UnknownOrder):   # keepPriority: -2038 "Unknown order sent."
                await s.amend_order("BTCUSDT", client_order_id="nope", quantity="0.001")
            with pytest.raises(UnknownOrder):   # cancel-replace path: the query finds nothing
                await s.amend_order("BTCUSDT", client_order_id="nope", price="48000")
            await s.place_order("BTCUSDT", "buy", "0.002", PX, client_order_id="ae-a")
            with pytest.raises(InvalidOrder):   # off the symbol's step: refused before sending
                await s.amend_order("BTCUSDT", client_order_id="ae-a", quantity="0.0015001")
            with pytest.raises(OrderRejected, match="would change no state"):
                await s.amend_order("BTCUSDT", client_order_id="ae-a", quantity="0.002")
            with pytest.raises(InvalidOrder):
                await s.amend_order("BTCUSDT", client_order_id="ae-a")   # nothing to change
            with pytest.raises(InvalidOrder):   # the cancel-replace's new order under the minimum notional
                await s.amend_order("BTCUSDT", client_order_id="ae-a", price="100")
            truth = sim.order("binance", client_order_id="ae-a")
            assert truth["status"] == "NEW" and D(truth["qty"]) == D("0.002")   # untouched by every refusal
            await s.cancel_order("BTCUSDT", client_order_id="ae-a")
            with pytest.raises(UnknownOrder):
                await s.amend_order("BTCUSDT", client_order_id="ae-a", quantity="0.001")
    run(main())


@pytest.mark.parametrize("transport", ["rest", "ws"])
def test_self_trade_prevention_modes(transport):
    async def main():
        async with session(transport) as (sim, s):
            for i, (stp, taker, maker) in enumerate((
                    ("cancel_taker", EXPIRED, "NEW"), ("cancel_maker", NEW, "EXPIRED_IN_MATCH"),
                    ("cancel_both", EXPIRED, "EXPIRED_IN_MATCH"), ("DECREMENT", NEW, "EXPIRED_IN_MATCH"),
                    ("none", FILLED, "PARTIALLY_FILLED"))):
                # the maker is the best bid (between the seeded levels); the taker sells into it first
                await s.place_order("BTCUSDT", "buy", "0.002", "50000", client_order_id=f"stp-m{i}")
                ack = await s.place_order("BTCUSDT", "sell", "0.001" if stp == "none" else "0.003", "50000",
                                          client_order_id=f"stp-t{i}", stp=stp)
                assert ack.status == taker, stp
                assert sim.order("binance", client_order_id=f"stp-m{i}")["status"] == maker, stp
                venue_mode = {"cancel_taker": "EXPIRE_TAKER", "cancel_maker": "EXPIRE_MAKER",
                              "cancel_both": "EXPIRE_BOTH", "none": "NONE"}.get(stp, stp)
                assert ack.raw.get("result", ack.raw)["selfTradePreventionMode"] == venue_mode
                await s.cancel_all("BTCUSDT")
            with pytest.raises(InvalidOrder):
                await s.place_order("BTCUSDT", "buy", "0.001", PX, stp="sometimes")
    run(main())


@pytest.mark.parametrize("transport", ["rest", "ws"])
def test_quote_quantity_market_order_and_expiry_not_supported(transport):
    async def main():
        async with session(transport) as (sim, s):
            ack = await s.place_order("BTCUSDT", "buy", None, type="market", quote_quantity="100")
            assert ack.status == FILLED and D(ack.filled_qty) > 0
            assert D(ack.filled_qty) * D(ack.avg_price) <= D("100")
            with pytest.raises(NotSupported) as ei:
                await s.place_order("BTCUSDT", "buy", "0.001", PX, expire_ms=10_000_000_000_000)
            assert "recv_window" in ei.value.closest
            assert len(sim.orders("binance")) == 1   # the expiring order was never sent
    run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_batches_pipeline_single_orders_and_no_dead_mans_switch(transport):
    """Binance Spot has no batch order entry: place_orders, amend_orders and cancel_orders send one request per
    item, all in flight together, each item its own result in order (a bad item does not stop the others)."""
    async def main():
        async with session(transport) as (sim, s):
            assert s.batch_limit == 0
            res = await s.place_orders([dict(symbol="BTCUSDT", side="buy", quantity="0.001", price=PX),
                                        dict(symbol="BTCUSDT", side="buy", quantity="0.001", price="1"),
                                        dict(symbol="BTCUSDT", side="buy", quantity="0.002", price=PX)])
            assert res[0].status == NEW and isinstance(res[1], InvalidOrder)   # 1 * 0.001 < minNotional
            assert res[2].status == NEW
            amended = await s.amend_orders([
                dict(symbol="BTCUSDT", client_order_id=res[2].client_order_id, quantity="0.001"),   # keepPriority
                dict(symbol="BTCUSDT", client_order_id="nope", quantity="0.001"),
                dict(symbol="BTCUSDT", client_order_id=res[0].client_order_id, quantity="0.0000001")])
            assert amended[0].order_id == res[2].order_id and D(amended[0].quantity) == D("0.001")
            assert isinstance(amended[1], UnknownOrder) and isinstance(amended[2], InvalidOrder)
            assert D(sim.order("binance", client_order_id=res[0].client_order_id)["qty"]) == D("0.001")
            got = await s.cancel_orders("BTCUSDT", client_order_ids=[res[0].client_order_id, "nope",
                                                                     res[2].client_order_id])
            assert got[0].status == CANCELED and isinstance(got[1], UnknownOrder) and got[2].status == CANCELED
            assert await s.open_orders() == [] and not s.ledger.live_ids
    run(main())
    with pytest.raises(ConfigError, match="cancel_all"):
        fastorder.connect("binance", "rest", cancel_on_disconnect=30, **HMAC)


def test_environment_hosts():
    for env, rest, ws in (("live", "api.binance.com", "ws-api.binance.com"),
                          ("testnet", "testnet.binance.vision", "ws-api.testnet.binance.vision"),
                          ("demo", "demo-api.binance.com", "demo-ws-api.binance.com")):
        s = fastorder.connect("binance", "ws", env=env, **HMAC)
        assert (s.env, s.rest.host, s.ws.host) == (env, rest, ws)
    with pytest.raises(ConfigError):
        fastorder.connect("binance", "rest", env="paper", **HMAC)


@pytest.mark.parametrize("transport", ["rest", "ws"])
def test_a_key_of_another_environment_is_an_authentication_error(transport):
    async def main():
        async with Simulator(venues=("binance",), binance_env="testnet") as sim:
            urls = dict(url=sim.url("binance"), ws_url=sim.url("binance", "ws"))
            async with fastorder.connect("binance", transport, env="testnet", key=sim_creds.BINANCE_TESTNET_KEY,
                                         secret=sim_creds.BINANCE_HMAC_SECRET, **urls) as s:
                ack = await s.place_order("BTCUSDT", "buy", "0.001", PX)
                assert ack.status == NEW and sim.exchange("binance").find("testnet", int(ack.order_id))
            async with fastorder.connect("binance", transport, env="testnet", **HMAC, **urls) as s:   # a live key
                with pytest.raises(AuthenticationError) as ei:
                    await s.place_order("BTCUSDT", "buy", "0.001", PX)
                assert ei.value.code == -2015
                with pytest.raises(AuthenticationError):
                    await s.balances()
        async with Simulator(venues=("binance",)) as sim:   # live: the testnet key is unknown here
            async with fastorder.connect("binance", transport, key=sim_creds.BINANCE_TESTNET_KEY,
                                         secret=sim_creds.BINANCE_HMAC_SECRET, url=sim.url("binance"),
                                         ws_url=sim.url("binance", "ws")) as s:
                with pytest.raises(AuthenticationError):
                    await s.open_orders()
    run(main())


@pytest.mark.parametrize("transport", ["rest", "ws"])
def test_stop_orders_wait_then_trigger_on_the_last_trade(transport):
    async def main():
        async with session(transport) as (sim, s):
            # a stop-loss sell below the market waits: NEW, off the book, listed, nothing locked
            stop = await s.place_order("BTCUSDT", "sell", "0.001", "48900", type="stop_loss_limit",
                                       stop_price="49000", client_order_id="sl-1")
            assert stop.status == NEW
            truth = sim.exchange("binance").find("main", int(stop.order_id))
            assert truth.extra["waiting"] and truth not in sim.exchange("binance").books["BTCUSDT"].asks.get(
                D("48900"), ())
            assert "sl-1" in {a.client_order_id for a in await s.open_orders("BTCUSDT")}
            q = await s.query_order("BTCUSDT", client_order_id="sl-1")
            raw = q.raw.get("result", q.raw)
            assert D(raw["stopPrice"]) == D("49000") and raw["isWorking"] is False and raw["workingTime"] == -1
            # a take-profit buy above the market would trigger at once: refused
            with pytest.raises(OrderRejected, match="trigger immediately"):
                await s.place_order("BTCUSDT", "buy", "0.001", type="take_profit", stop_price="51000")
            # a stop-loss buy above the market waits, and cancels like any order
            sl_buy = await s.place_order("BTCUSDT", "buy", "0.001", type="stop_loss", stop_price="51000")
            assert (await s.cancel_order("BTCUSDT", order_id=sl_buy.order_id)).status == CANCELED
            # a trade at 48990 (our own bid, taken by our own sell with STP off) reaches the stop: it starts
            # working as a LIMIT sell at 48900 and fills against the book's bids
            await s.place_order("BTCUSDT", "buy", "0.001", "48990", client_order_id="sl-bid")
            await s.place_order("BTCUSDT", "sell", "5.001", "48990", tif="IOC", stp="none")
            done = await s.query_order("BTCUSDT", client_order_id="sl-1")
            assert done.status == FILLED and done.order_id == stop.order_id and D(done.filled_qty) == D("0.001")
            assert D(done.avg_price) >= D("48900")   # a limit sell: never below its price
    run(main())


@pytest.mark.parametrize("transport", ["rest", "ws"])
def test_repeated_reprice_skips_the_lookup_and_a_fill_in_between_is_caught(transport):
    async def main():
        async with session(transport) as (sim, s):
            reads = []
            query = s.query_order

            async def counted(*a, **kw):   # the session's own query, counted
                reads.append(kw)
                return await query(*a, **kw)
            s.query_order = counted
            o = await s.place_order("BTCUSDT", "buy", "0.003", "49000", client_order_id="rp-0")
            first = await s.amend_order("BTCUSDT", order_id=o.order_id, price="49001")
            assert len(reads) == 1 and D(first.price) == D("49001") and D(first.quantity) == D("0.003")
            second = await s.amend_order("BTCUSDT", order_id=first.order_id, price="49000.5")
            assert len(reads) == 1, "an order last seen untraded is re-priced without reading it again"
            assert second.order_id != first.order_id and D(second.quantity) == D("0.003")
            # 0.001 of it trades (our own sell, STP off, through the seeded bids); the next re-price's
            # cancelRestrictions=ONLY_NEW stops the blind replace, the order is read, the rest replaced
            await s.place_order("BTCUSDT", "sell", "5.001", "49000.5", tif="IOC", stp="none")
            assert D(sim.order("binance", second.order_id)["executed_qty"]) == D("0.001")
            third = await s.amend_order("BTCUSDT", order_id=second.order_id, price="49000")
            assert len(reads) == 2 and D(third.quantity) == D("0.002") and third.status == NEW
            old = sim.order("binance", second.order_id)
            assert old["status"] == "CANCELED" and D(old["executed_qty"]) == D("0.001")
            assert [a.order_id for a in await s.open_orders("BTCUSDT")] == [third.order_id]
            # cancelled behind the amend's back, its client id used again: the new order is the one amended
            await s.cancel_order("BTCUSDT", order_id=third.order_id)
            again = await s.place_order("BTCUSDT", "buy", "0.001", "48000", client_order_id=third.client_order_id)
            fourth = await s.amend_order("BTCUSDT", client_order_id=third.client_order_id, price="48001")
            assert D(fourth.price) == D("48001") and D(fourth.quantity) == D("0.001")
            assert sim.order("binance", again.order_id)["status"] == "CANCELED"
            with pytest.raises(UnknownOrder):   # gone altogether: the read says so
                await s.cancel_order("BTCUSDT", order_id=fourth.order_id)
                await s.amend_order("BTCUSDT", order_id=fourth.order_id, price="48002")
    run(main())
