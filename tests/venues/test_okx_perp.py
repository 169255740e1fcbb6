"""OKX perpetual swaps (`connect("okx", ..., market="perp")`, instType SWAP) against the simulator's OKX app over
REST and the private WebSocket: orders in contracts of ctVal, positions, the account setters, the perp
rejections as typed errors, contracts against quantity, bad input refused before anything is sent, and the
`orders` channel for swap fills."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal

import pytest

import fastorder
from fastorder.errors import (
    ConfigError,
    InsufficientMargin,
    InvalidField,
    InvalidOrder,
    MaxPositionExceeded,
    NotSupported,
    OffGrid,
    PositionSideMismatch,
    ReduceOnlyRejected,
    VenueError,
)
from fastorder.journal import OrderJournal
from fastorder.sim import Simulator, creds
from fastorder.types import CANCEL_REQUESTED, CANCELED, FILLED, NEW, Position

V = "okx_swap"
KEYS = dict(key=creds.OKX_KEY, secret=creds.OKX_SECRET, passphrase=creds.OKX_PASSPHRASE)
BTC = "BTC-USDT-SWAP"   # ctVal 0.01 BTC, lotSz 1, tickSz 0.1 in the simulator
REST_PX = "49000"       # below the simulator's 50000 mid: rests on the book
TRANSPORTS = ["rest", "ws"]


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@contextlib.asynccontextmanager
async def perp(transport: str, *, tls: bool = False, faults=None, sim: Simulator | None = None, **kw):
    async with contextlib.AsyncExitStack() as stack:
        if sim is None:
            sim = await stack.enter_async_context(Simulator(venues=("okx",), tls=tls, faults=faults, seed=3,
                                                            okx_limit_per_2s=0))
        args = dict(KEYS, url=sim.url("okx", "rest"), ws_url=sim.url("okx", "ws"), timeout=2.0, **kw)
        if tls:
            args["ssl_context"] = sim.client_ssl_context()
        s = await stack.enter_async_context(fastorder.connect("okx", transport, market="perp", **args))
        yield sim, s


def engine(sim: Simulator):
    return sim.apps["okx"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_place_query_amend_cancel_in_every_spelling(transport):
    async def main():
        async with perp(transport, tls=transport == "ws") as (sim, s):
            assert s.venue == V and s.market == "perp" and s.contract_sizes[BTC] == Decimal("0.01")
            ack = await s.place_order(BTC, "buy", "0.02", REST_PX)   # 2 contracts
            assert (ack.venue, ack.status, ack.symbol) == (V, "ACCEPTED", BTC)
            truth = sim.order("okx", client_order_id=ack.client_order_id)
            assert (truth["status"], truth["qty"], str(truth["order_id"])) == ("NEW", "2", ack.order_id)
            for spelling in ("BTCUSDT", "BTC-USDT-SWAP", "btc/usdt:usdt", "BTC-USDT"):
                q = await s.query_order(spelling, client_order_id=ack.client_order_id)
                # Ack sizes in base units: 2 contracts of 0.01 BTC
                assert (q.status, q.order_id, q.quantity, q.filled_qty) == (NEW, ack.order_id, "0.02", "0")
            a = await s.amend_order("BTCUSDT", client_order_id=ack.client_order_id, quantity="0.05", price="48000")
            assert a.order_id == ack.order_id
            assert sim.order("okx", client_order_id=ack.client_order_id)["qty"] == "5"
            assert [x.order_id for x in await s.open_orders("BTCUSDT")] == [ack.order_id]
            c = await s.cancel_order("BTCUSDT", order_id=ack.order_id)
            assert c.status == CANCEL_REQUESTED and c.venue == V
            assert sim.order("okx", client_order_id=ack.client_order_id)["status"] == "CANCELED"
            assert (await s.query_order(BTC, order_id=ack.order_id)).status == CANCELED
            assert await s.open_orders() == []
    run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_wire_carries_contracts_tdmode_posside_and_reduce_only(transport):
    """What reaches the venue, read back from the simulator's order view: sz in contracts, tdMode cross by
    default and per instrument after set_margin_mode, posSide, reduceOnly; instIdCode names the instrument on
    the WebSocket."""
    async def main():
        async with perp(transport) as (sim, s):
            await s.place_order(BTC, "buy", None, type="market", contracts=3)
            ack = await s.place_order(BTC, "sell", "0.01", "51000", reduce_only=True, position_side="net")
            o = engine(sim).ex.find("main", int(ack.order_id))
            view = engine(sim).order_view(o)
            assert (view["sz"], view["tdMode"], view["posSide"], view["reduceOnly"], view["instType"]) == \
                ("1", "cross", "net", "true", "SWAP")
            await s.set_margin_mode("ETH-USDT-SWAP", "isolated")
            e = await s.place_order("ETHUSDT", "buy", "0.3", "2900")   # ctVal 0.1 ETH: 3 contracts
            view = engine(sim).order_view(engine(sim).ex.find("main", int(e.order_id)))
            assert (view["sz"], view["tdMode"]) == ("3", "isolated")
    run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_positions_follow_fills_exactly(transport):
    async def main():
        async with perp(transport) as (sim, s):
            assert await s.positions() == []
            a = await s.place_order(BTC, "buy", "0.05", type="market")
            assert (await s.query_order(BTC, client_order_id=a.client_order_id)).status == FILLED
            [p] = await s.positions()
            assert isinstance(p, Position)
            assert (p.venue, p.symbol, p.position_side, p.contracts, p.quantity, p.margin_mode, p.leverage) == \
                (V, BTC, "net", "5", "0.05", "cross", 10)
            # a net-mode sell larger than the long turns it short; quantities stay exact
            await s.place_order(BTC, "sell", None, type="market", contracts=8)
            [p] = await s.positions("BTCUSDT")
            assert (p.contracts, p.quantity) == ("-3", "-0.03")
            assert await s.positions("ETH-USDT-SWAP") == []
    run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_quantity_and_contracts_are_exact_and_refused_before_sending(transport):
    async def main():
        async with perp(transport) as (sim, s):
            before = len(sim.orders("okx"))
            # 0.015 BTC is 1.5 contracts: off the lot (1 contract); 0.001 BTC a tenth of one
            with pytest.raises(OffGrid):
                await s.place_order(BTC, "buy", "0.015", REST_PX)
            with pytest.raises(OffGrid):
                await s.place_order(BTC, "buy", None, REST_PX, contracts="1.5")
            with pytest.raises(InvalidOrder):
                await s.place_order(BTC, "buy", "0.02", REST_PX, contracts=2)   # both
            with pytest.raises(InvalidOrder):
                await s.place_order("SOL-USDT-SWAP", "buy", Decimal(1) / Decimal(3), "140")   # no exact count
            with pytest.raises(OffGrid):
                await s.place_order(BTC, "buy", "0.02", "49000.05")   # tickSz 0.1
            with pytest.raises(InvalidOrder):
                await s.place_order("BTC-USD-SWAP", "buy", "0.02", REST_PX)   # not listed (inverse)
            with pytest.raises(InvalidField):
                await s.place_order(BTC, "buy", "0.02", REST_PX, position_side="both-ways")
            with pytest.raises(InvalidOrder):   # hedge-mode side with reduce_only: refused here
                await s.place_order(BTC, "sell", "0.02", REST_PX, position_side="long", reduce_only=True)
            with pytest.raises(NotSupported):
                await s.place_order(BTC, "buy", None, type="market", quote_quantity="100")
            assert len(sim.orders("okx")) == before
            # float quantities by their shortest text: 0.07 is exactly 7 contracts; SOL's lot is 0.01 contract
            a = await s.place_order(BTC, "buy", 0.07, REST_PX)
            assert sim.order("okx", client_order_id=a.client_order_id)["qty"] == "7"
            for _ in range(2):   # the same text twice (the second from the session's conversion cache)
                a = await s.place_order(BTC, "buy", "0.07", REST_PX)
                assert sim.order("okx", client_order_id=a.client_order_id)["qty"] == "7"
                with pytest.raises(OffGrid):
                    await s.place_order(BTC, "buy", "0.075", REST_PX)
            s.contract_sizes[BTC] = Decimal("0.001")   # as a reload of the instruments would: no stale sizes
            s._instrument({"instId": BTC, "ctType": "linear", "ctMult": "1", "ctVal": "0.001"},
                          s.symbol(BTC).rules, s.symbol(BTC).code)
            a = await s.place_order(BTC, "buy", "0.07", REST_PX)
            assert sim.order("okx", client_order_id=a.client_order_id)["qty"] == "70"
            b = await s.place_order("SOLUSDT", "buy", "0.25", "140")
            assert sim.order("okx", client_order_id=b.client_order_id)["qty"] == "0.25"
    run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_simulator_refuses_reduce_only_and_position_side_as_okx_does(transport):
    async def main():
        async with perp(transport) as (sim, s):
            with pytest.raises(ReduceOnlyRejected) as e:   # nothing to reduce
                await s.place_order(BTC, "sell", "0.01", "51000", reduce_only=True)
            assert e.value.code == "51169" and e.value.venue == V
            await s.place_order(BTC, "buy", None, type="market", contracts=2)
            with pytest.raises(ReduceOnlyRejected) as e:   # same direction as the long
                await s.place_order(BTC, "buy", "0.01", REST_PX, reduce_only=True)
            assert e.value.code == "51170"
            with pytest.raises(ReduceOnlyRejected) as e:   # larger than the position
                await s.place_order(BTC, "sell", "0.03", "51000", reduce_only=True)
            assert e.value.code == "51112"
            with pytest.raises(PositionSideMismatch) as e:   # long/short side in net mode
                await s.place_order(BTC, "buy", "0.01", REST_PX, position_side="long")
            assert e.value.code == "51000"
            ok = await s.place_order(BTC, "sell", "0.01", "51000", reduce_only=True)
            assert sim.order("okx", client_order_id=ok.client_order_id)["status"] == "NEW"
            # with that one pending, a second for the whole position is more than the position
            with pytest.raises(ReduceOnlyRejected) as e:
                await s.place_order(BTC, "sell", "0.02", "51000", reduce_only=True)
            assert e.value.code == "51112"
            await s.place_order(BTC, "sell", "0.01", "51000", reduce_only=True)
    run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_position_mode_leverage_and_margin(transport):
    async def main():
        async with perp(transport) as (sim, s):
            assert await s.set_leverage("BTCUSDT", 20) == 20
            assert engine(sim).swaps.leverage("main", BTC, "cross") == 20
            with pytest.raises(VenueError) as e:
                await s.set_leverage(BTC, 101)   # the instrument's maximum is 100
            assert e.value.code == "59102"
            await s.set_position_mode(True)
            assert engine(sim).swaps.long_short["main"] is True
            with pytest.raises(PositionSideMismatch):   # long/short mode: every order names its side
                await s.place_order(BTC, "buy", "0.01", REST_PX)
            await s.place_order(BTC, "buy", None, type="market", contracts=4, position_side="long")
            await s.place_order(BTC, "sell", None, type="market", contracts=1, position_side="short")
            ps = {p.position_side: p for p in await s.positions()}
            assert (ps["long"].contracts, ps["short"].contracts, ps["short"].quantity) == ("4", "-1", "-0.01")
            with pytest.raises(ReduceOnlyRejected) as e:   # a close larger than the long
                await s.place_order(BTC, "sell", None, "51000", contracts=5, position_side="long")
            assert e.value.code == "51112"
            with pytest.raises(VenueError) as e:   # positions open: the mode stays
                await s.set_position_mode(False)
            assert e.value.code == "59000"
            # isolated in long/short mode: one leverage per side, both set
            await s.set_margin_mode("ETHUSDT", "isolated")
            assert await s.set_leverage("ETHUSDT", 5) == 5
            assert engine(sim).swaps.leverage("main", "ETH-USDT-SWAP", "isolated") == 5
            # margin: 10,000,000 USDT... the account holds 1,000,000 USDT; at 1x this order needs more
            await s.set_leverage("SOLUSDT", 1)
            with pytest.raises(InsufficientMargin) as e:
                await s.place_order("SOLUSDT", "buy", None, "140", contracts=8000, position_side="long")
            assert e.value.code == "51008"
            with pytest.raises(MaxPositionExceeded) as e:   # past the leverage's notional cap
                await s.place_order(BTC, "buy", None, "49000", contracts=300000, position_side="long")
            assert e.value.code == "51004"
    run(main())


def test_batches_and_cancel_all_over_both_transports():
    async def main():
        for transport in TRANSPORTS:
            async with perp(transport) as (sim, s):
                acks = await s.place_orders([dict(symbol=BTC, side="buy", quantity="0.01", price=str(48000 + k))
                                             for k in range(3)] + [dict(symbol=BTC, side="buy", quantity="0.015",
                                                                        price="48000"),
                                                                   dict(symbol=BTC, side="sell", quantity=None,
                                                                        price="52000", contracts=1,
                                                                        reduce_only=True)])
                # the off-lot item is refused before sending; the reduce-only one by the venue (no position)
                assert [type(a).__name__ for a in acks] == ["Ack", "Ack", "Ack", "OffGrid", "ReduceOnlyRejected"]
                assert acks[4].code == "51169"
                acks = acks[:4]
                assert all(sim.order("okx", client_order_id=a.client_order_id)["qty"] == "1" for a in acks[:3])
                done = await s.cancel_all()
                assert sorted(a.order_id for a in done) == sorted(a.order_id for a in acks[:3])
                assert all(a.venue == V for a in done)
    run(main())


def test_config_errors_before_anything_opens():
    with pytest.raises(ConfigError):
        fastorder.connect("okx", "rest", market="perp", td_mode="cash", **KEYS, url="http://127.0.0.1:9")
    with pytest.raises(ConfigError):
        fastorder.connect("okx", "rest", market="perp", resp_type="ACK", **KEYS, url="http://127.0.0.1:9")
    with pytest.raises(ConfigError):
        fastorder.connect("okx", "rest", market="future", **KEYS, url="http://127.0.0.1:9")


def test_spot_and_swap_sessions_keep_apart(tmp_path):
    """One account, one simulator: the spot session sees no swap instrument or order, the swap session no spot
    one; a journal keeps their orders under their own venue names."""
    async def main():
        async with Simulator(venues=("okx",), seed=3, okx_limit_per_2s=0) as sim:
            j = OrderJournal(tmp_path / "j")
            async with perp("rest", sim=sim, journal=j) as (_, swap):
                async with fastorder.connect("okx", "rest", **KEYS, url=sim.url("okx"), journal=j) as spot:
                    a = await swap.place_order(BTC, "buy", "0.01", REST_PX)
                    b = await spot.place_order("BTC-USDT", "buy", "0.001", REST_PX)
                    assert [x.order_id for x in await swap.open_orders()] == [a.order_id]
                    assert [x.order_id for x in await spot.open_orders()] == [b.order_id]
                    assert "BTCUSDTSWAP" not in spot.symbols and spot.symbol("BTC-USDT").name == "BTC-USDT"
                    assert swap.symbol("BTC-USDT").name == BTC
            j.close()
    run(main())


def test_recover_settles_a_journalled_swap_order_and_only_through_a_swap_session(tmp_path):
    """A swap order journalled by a process that died before its reply: the spot session's recover() leaves it
    (another venue name), the swap session's finds it by client id."""
    async def main():
        async with Simulator(venues=("okx",), seed=3, okx_limit_per_2s=0) as sim:
            order = {"instId": BTC, "tdMode": "cross", "side": "buy", "ordType": "limit", "px": REST_PX, "sz": "2",
                     "clOrdId": "crash1"}
            assert engine(sim)._place_item(order, "main", False)["sCode"] == "0"   # it reached the venue
            j = OrderJournal(tmp_path / "j")
            j.sent(V, BTC, "crash1", "BUY", "0.02", REST_PX, 1, 0)
            async with fastorder.connect("okx", "rest", **KEYS, url=sim.url("okx"), journal=j) as spot:
                assert await spot.recover() == []
            assert [r["c"] for r in j.pending(V)] == ["crash1"]
            async with perp("rest", sim=sim, journal=j) as (_, swap):
                [ack] = await swap.recover()
                assert (ack.venue, ack.client_order_id, ack.status, ack.quantity) == (V, "crash1", NEW, "0.02")
            assert j.pending() == []
            j.close()
    run(main())


def test_swap_fills_on_the_orders_channel_in_base_units():
    """A resting swap order of this account, taken by another account's order in the simulator's engine: the
    `orders` channel (instType SWAP) says so in base units (3 contracts of 0.01 BTC), and moves the position."""
    async def main():
        async with perp("ws", events=True) as (sim, s):
            got: list = []
            s.on_event(got.append)
            rest = await s.place_order(BTC, "sell", "0.03", "50000.2")   # inside the spread: rests, first in line
            taker = {"instId": BTC, "tdMode": "cross", "side": "buy", "ordType": "limit", "px": "50000.2", "sz": "3"}
            assert engine(sim)._place_item(taker, "other", False)["sCode"] == "0"
            for _ in range(300):
                if any(e.client_order_id == rest.client_order_id and e.status == FILLED for e in got):
                    break
                await asyncio.sleep(0.01)
            mine = [e for e in got if e.client_order_id == rest.client_order_id]
            assert mine and all(e.venue == V and e.symbol == BTC for e in mine)
            assert mine[0].status == NEW and mine[0].quantity == "0.03"
            fills = [e for e in mine if e.exec_type == "TRADE"]
            assert sum(Decimal(e.last_fill_qty) for e in fills) == Decimal("0.03")
            assert (mine[-1].status, mine[-1].filled_qty) == (FILLED, "0.03")
            [p] = await s.positions()
            assert (p.contracts, p.quantity, Decimal(p.entry_price)) == ("-3", "-0.03", Decimal("50000.2"))
    run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("fault", ["5xx", "drop:phase=after"])
def test_unknown_outcome_is_reconciled(transport, fault):
    """The simulator's fault injection on a swap order: the order exists, its reply is lost or says "unknown";
    the session finds it by client id (a swap query, sizes in base units)."""
    async def main():
        spec = fault + ("," if ":" in fault else ":") + f"count=1,transport={transport},venue=okx,after=2"
        async with perp(transport) as (sim, s):
            sim.faults.add(spec)
            acks = [await s.place_order(BTC, "buy", "0.02", REST_PX) for _ in range(3)]
            hit = [a for a in acks if a.reconciled]
            assert len(hit) == 1, f"{fault} did not reach the order path"
            a = hit[0]
            assert (a.status, a.venue, a.quantity) == (NEW, V, "0.02")
            assert sim.order("okx", client_order_id=a.client_order_id)["status"] == "NEW"
    run(main())


def test_a_spot_session_refuses_swap_keywords_and_a_swap_session_spot_ones():
    async def main():
        async with Simulator(venues=("okx",), seed=3) as sim:
            async with fastorder.connect("okx", "rest", **KEYS, url=sim.url("okx")) as spot:
                for kw in (dict(reduce_only=True), dict(position_side="long")):
                    with pytest.raises(NotSupported):
                        await spot.place_order("BTC-USDT", "buy", "0.001", REST_PX, **kw)
                with pytest.raises(InvalidOrder):   # not a spot symbol
                    await spot.place_order("BTC-USDT-SWAP", "buy", "0.001", REST_PX)
            assert sim.orders("okx") == []
    run(main())
