"""Binance USDⓈ-M futures (`connect("binance", ..., market="perp")`) against the simulator's futures app, over REST
and the futures WebSocket API: orders, positions, the perp rejections as typed errors, contracts against
quantity, bad input refused before anything is sent, faults reconciled, and the encoder's two implementations."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal

import pytest

import fastorder
from fastorder.errors import (
    ConfigError,
    FilterViolation,
    InsufficientMargin,
    InvalidField,
    InvalidOrder,
    MaxPositionExceeded,
    NotSupported,
    OffGrid,
    PositionSideMismatch,
    RateLimited,
    ReduceOnlyRejected,
    VenueError,
)
from fastorder.sim import BinanceLimits, Simulator
from fastorder.types import CANCEL_REQUESTED, CANCELED, FILLED, NEW, Position

V = "binance_futures"
KEYS = dict(key="vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
            secret="NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")
REST_PX = "49000"   # below the simulator's 50000 mid: rests on the book


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@contextlib.asynccontextmanager
async def perp(transport: str, *, tls: bool = False, faults=None, **kw):
    async with Simulator(venues=(V,), tls=tls, faults=faults, seed=3,
                         binance_limits=BinanceLimits(enabled=False)) as sim:
        args = dict(KEYS, url=sim.url(V, "rest"), timeout=2.0, **kw)
        if transport == "ws":
            args["ws_url"] = sim.url(V, "ws")
        if tls:
            args["ssl_context"] = sim.client_ssl_context()
        async with fastorder.connect("binance", transport, market="perp", **args) as s:
            yield sim, s


TRANSPORTS = ["rest", "ws"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_place_query_cancel_in_every_spelling(transport):
    async def main():
        async with perp(transport, tls=transport == "ws") as (sim, s):
            assert s.venue == V and "BTCUSDT" in s.symbols
            ack = await s.place_order("BTC-USDT-SWAP", "buy", "0.010", REST_PX)
            assert (ack.status, ack.symbol, ack.quantity) == (NEW, "BTCUSDT", "0.010")
            assert Decimal(ack.price) == Decimal(REST_PX) and ack.latency.round_trip_ns > 0
            truth = sim.order(V, client_order_id=ack.client_order_id)
            assert truth["status"] == "NEW" and str(truth["order_id"]) == ack.order_id
            for spelling in ("BTCUSDT", "BTC-USDT", "btc/usdt:usdt"):
                q = await s.query_order(spelling, client_order_id=ack.client_order_id)
                assert (q.status, q.order_id) == (NEW, ack.order_id)
            c = await s.cancel_order("BTCUSDT", order_id=ack.order_id)
            assert c.status == CANCELED and sim.order(V, client_order_id=ack.client_order_id)["status"] == "CANCELED"
            opened = await s.place_order("BTCUSDT", "sell", "0.010", "51000", post_only=True)
            assert [a.order_id for a in await s.open_orders("BTCUSDT")] == [opened.order_id]
    run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_positions_follow_fills_exactly(transport):
    async def main():
        async with perp(transport) as (sim, s):
            assert await s.positions() == []
            buy = await s.place_order("BTCUSDT", "buy", "0.020", type="market")
            assert buy.status == FILLED and buy.filled_qty == "0.020"
            sell = await s.place_order("BTCUSDT", "sell", "0.005", type="market")
            assert sell.status == FILLED
            [p] = await s.positions("BTC-USDT-SWAP")
            assert isinstance(p, Position) and (p.symbol, p.position_side) == ("BTCUSDT", "net")
            assert Decimal(p.quantity) == Decimal("0.015") and p.contracts == p.quantity
            assert Decimal(p.entry_price) == Decimal(buy.avg_price)   # a sell that shrinks keeps the entry
            await s.place_order("BTCUSDT", "sell", "0.015", type="market", reduce_only=True)
            assert await s.positions() == []
    run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_reduce_only_that_would_open_or_grow_is_refused(transport):
    async def main():
        async with perp(transport) as (sim, s):
            with pytest.raises(ReduceOnlyRejected) as ei:   # no position to reduce
                await s.place_order("BTCUSDT", "sell", "0.010", type="market", reduce_only=True)
            assert ei.value.code == -2022 and ei.value.venue == V
            await s.place_order("BTCUSDT", "buy", "0.010", type="market")
            with pytest.raises(ReduceOnlyRejected):   # same direction: would grow the long
                await s.place_order("BTCUSDT", "buy", "0.010", type="market", reduce_only=True)
            with pytest.raises(ReduceOnlyRejected):   # larger than the position
                await s.place_order("BTCUSDT", "sell", "0.020", type="market", reduce_only=True)
            n = len(sim.orders(V))
            ok = await s.place_order("BTCUSDT", "sell", "0.004", type="market", reduce_only=True)
            assert ok.status == FILLED and len(sim.orders(V)) == n + 1
            [p] = await s.positions()
            assert Decimal(p.quantity) == Decimal("0.006")
    run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_hedge_mode_position_sides(transport):
    async def main():
        async with perp(transport) as (sim, s):
            with pytest.raises(PositionSideMismatch) as ei:   # one-way mode takes no long/short side
                await s.place_order("BTCUSDT", "buy", "0.010", REST_PX, position_side="long")
            assert ei.value.code == -4061
            await s.set_position_mode(True)
            await s.set_position_mode(True)   # already hedged: no error (the venue's -4059 means done)
            with pytest.raises(PositionSideMismatch):   # hedge mode needs one
                await s.place_order("BTCUSDT", "buy", "0.010", REST_PX)
            await s.place_order("BTCUSDT", "buy", "0.010", type="market", position_side="long")
            await s.place_order("BTCUSDT", "sell", "0.003", type="market", position_side="SHORT")
            got = {p.position_side: Decimal(p.quantity) for p in await s.positions()}
            assert got == {"long": Decimal("0.010"), "short": Decimal("-0.003")}
            with pytest.raises(ReduceOnlyRejected):   # closing more of the long than there is
                await s.place_order("BTCUSDT", "sell", "0.050", type="market", position_side="long")
            with pytest.raises(InvalidOrder):   # reduce_only is not sent in hedge mode: refused locally
                await s.place_order("BTCUSDT", "sell", "0.001", type="market", position_side="long",
                                    reduce_only=True)
    run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_margin_and_max_position(transport):
    async def main():
        async with perp(transport) as (sim, s):
            assert await s.set_leverage("BTCUSDT", 2) == 2
            n = len(sim.orders(V))
            with pytest.raises(InsufficientMargin) as ei:   # 1 BTC ≈ 50,000 / 2 > the 10,000 wallet
                await s.place_order("BTCUSDT", "buy", "1", type="market")
            assert ei.value.code == -2019 and len(sim.orders(V)) == n
            ok = await s.place_order("BTCUSDT", "buy", "0.3", REST_PX)   # 14,700 / 2 fits
            assert ok.status == NEW
            with pytest.raises(InsufficientMargin):   # the open order's margin counts
                await s.place_order("BTCUSDT", "buy", "0.2", REST_PX)
            await s.cancel_order("BTCUSDT", order_id=ok.order_id)
            assert await s.set_leverage("BTCUSDT", 125) == 125
            with pytest.raises(MaxPositionExceeded) as ei:   # past the 125x bracket's notional cap
                await s.place_order("BTCUSDT", "buy", "1.1", REST_PX)
            assert ei.value.code == -2027
            await s.set_margin_mode("BTCUSDT", "isolated")
            await s.set_margin_mode("BTCUSDT", "isolated")   # already: no error (-4046 means done)
            await s.place_order("BTCUSDT", "buy", "0.010", REST_PX)
            with pytest.raises(VenueError) as ei:   # the venue refuses a switch with an open order
                await s.set_margin_mode("BTCUSDT", "cross")
            assert ei.value.code == -4047
    run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_amend_modifies_and_may_trade(transport):
    async def main():
        async with perp(transport) as (sim, s):
            ack = await s.place_order("BTCUSDT", "buy", "0.010", REST_PX)
            a = await s.amend_order("BTCUSDT", order_id=ack.order_id, price="49500")   # quantity from a query
            assert (a.order_id, a.status, a.quantity) == (ack.order_id, NEW, "0.010")
            assert Decimal(a.price) == Decimal("49500")
            truth = sim.order(V, client_order_id=ack.client_order_id)
            assert Decimal(truth["price"]) == Decimal("49500") and Decimal(truth["qty"]) == Decimal("0.010")
            b = await s.amend_order("BTCUSDT", client_order_id=ack.client_order_id, quantity="0.004")
            assert b.quantity == "0.004"
            with pytest.raises(VenueError) as ei:   # same quantity and price
                await s.amend_order("BTCUSDT", order_id=ack.order_id, quantity="0.004", price="49500")
            assert ei.value.code == -5027
            with pytest.raises(NotSupported):
                await s.amend_order("BTCUSDT", order_id=ack.order_id, price="49400", new_client_order_id="x1")
            c = await s.amend_order("BTCUSDT", order_id=ack.order_id, price="51000")   # crosses: trades
            assert c.status == FILLED
            [p] = await s.positions()
            assert Decimal(p.quantity) == Decimal("0.004")
    run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_balances_and_cancel_all(transport):
    async def main():
        async with perp(transport) as (sim, s):
            assert (await s.balances())["USDT"] == fastorder.Balance("USDT", "10000.00000000", "0.00000000")
            a = await s.place_order("BTCUSDT", "buy", "0.010", REST_PX)
            b = await s.place_order("ETHUSDT", "sell", "1.000", "3100")
            bal = (await s.balances())["USDT"]   # the orders' initial margin at 20x is held back
            assert Decimal(bal.locked) == Decimal("0.010") * 49000 / 20 + 3100 / Decimal(20)
            done = await s.cancel_all()
            assert {(x.order_id, x.status) for x in done} == {(a.order_id, CANCEL_REQUESTED),
                                                               (b.order_id, CANCEL_REQUESTED)}
            for x in (a, b):
                assert sim.order(V, client_order_id=x.client_order_id)["status"] == "CANCELED"
            assert await s.open_orders() == [] and await s.cancel_all("BTCUSDT") == []
    run(main())


def test_contracts_and_quantity_are_the_same_exact_size():
    async def main():
        async with perp("rest") as (sim, s):
            a = await s.place_order("BTCUSDT", "buy", None, REST_PX, contracts=Decimal("0.25"))
            b = await s.place_order("BTCUSDT", "buy", "0.25", REST_PX)
            c = await s.place_order("BTCUSDT", "buy", None, REST_PX, contracts="0.250")
            assert a.quantity == b.quantity == c.quantity == "0.250"
            assert s.contract_sizes["BTCUSDT"] == 1
            before = len(sim.orders(V))
            with pytest.raises(InvalidOrder):
                await s.place_order("BTCUSDT", "buy", "0.25", REST_PX, contracts="0.25")
            with pytest.raises(OffGrid):   # off the 0.001 step: refused by the rules, never rounded
                await s.place_order("BTCUSDT", "buy", None, REST_PX, contracts="0.0005")
            with pytest.raises(InvalidOrder):
                await s.place_order("BTCUSDT", "buy", None, REST_PX, contracts=True)
            with pytest.raises(FilterViolation):   # under the 100 USDT MIN_NOTIONAL
                await s.place_order("BTCUSDT", "buy", None, REST_PX, contracts="0.001")
            assert len(sim.orders(V)) == before
    run(main())


def test_bad_input_is_typed_and_nothing_is_sent():
    async def main():
        async with perp("rest") as (sim, s):
            before = len(sim.orders(V))
            for kw, err in ((dict(position_side="up"), InvalidField), (dict(reduce_only="yes"), InvalidOrder),
                            (dict(position_side=1), InvalidField), (dict(stp="cancel_taker"), NotSupported)):
                with pytest.raises(err):
                    await s.place_order("BTCUSDT", "buy", "0.010", REST_PX, **kw)
            with pytest.raises(InvalidOrder):
                await s.place_order("ETH-USDT-SWAP-X", "buy", "0.010", REST_PX)
            with pytest.raises(InvalidOrder):   # the Binance spelling of a delivery future is not a perpetual
                await s.place_order("BTCUSDT_240329", "buy", "0.010", REST_PX)
            for lev in (0, 126, True, "5"):
                with pytest.raises(InvalidOrder):
                    await s.set_leverage("BTCUSDT", lev)
            with pytest.raises(InvalidOrder):
                await s.set_margin_mode("BTCUSDT", "portfolio")
            with pytest.raises(InvalidOrder):
                await s.set_position_mode("yes")
            with pytest.raises(NotSupported):
                await s.place_order("BTCUSDT", "sell", "0.010", type="stop_loss", stop_price="45000")
            assert len(sim.orders(V)) == before
    run(main())


def test_connect_market_keyword():
    with pytest.raises(ConfigError):
        fastorder.connect("binance", market="futures", **KEYS)
    with pytest.raises(ConfigError):   # OKX swaps trade in cross or isolated margin, not cash
        fastorder.connect("okx", market="perp", key="k", secret="s", passphrase="p", td_mode="cash")
    with pytest.raises(ConfigError):   # no FULL responses on futures
        fastorder.connect("binance", market="perp", resp_type="FULL", **KEYS)
    s = fastorder.connect("binance", "rest", market="perp", env="testnet", **KEYS)
    assert s.rest.host == "demo-fapi.binance.com" and s.market == "perp"
    spot = fastorder.connect("binance", "rest", **KEYS)
    assert not hasattr(spot, "positions")



SPOT = {   # the simulator's documented test keys (fastorder.sim.creds)
    "binance": (KEYS, "BTCUSDT"),
    "okx": (dict(key="985d5b66-57ce-40fb-b714-afc0b9787083", secret="22582BD0CFF14C41EDBF1AB98506286D",
                 passphrase="Sim-Passphrase-1"), "BTC-USDT"),
    "htx": (dict(key="e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx", secret="b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx"), "btcusdt"),
}


@pytest.mark.parametrize("venue", list(SPOT))
def test_a_spot_session_refuses_the_perp_keywords(venue):
    """Whatever the venue module's own option checks: nothing of a perp order reaches a spot venue."""
    async def main():
        async with Simulator(venues=(venue,), binance_limits=BinanceLimits(enabled=False), okx_limit_per_2s=0,
                             htx_limit_per_2s=0) as sim:
            creds, sym = SPOT[venue]
            async with fastorder.connect(venue, "rest", url=sim.url(venue), **creds) as sp:
                for kw in (dict(reduce_only=True), dict(position_side="long"), dict(contracts="1")):
                    args = (sym, "buy", None if "contracts" in kw else "0.001", "46000")
                    with pytest.raises(NotSupported):
                        await sp.place_order(*args, **kw)
                assert sim.orders(venue) == []
    run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("fault", ["5xx", "drop:phase=after"])
def test_unknown_outcome_is_reconciled(transport, fault):
    async def main():
        spec = fault + ("," if ":" in fault else ":") + f"count=1,transport={transport},venue={V}"
        async with perp(transport) as (sim, s):
            sim.faults.add(spec)
            ack = await s.place_order("BTCUSDT", "buy", "0.010", REST_PX)
            assert ack.reconciled, f"{fault} did not reach the order path"
            assert ack.status == NEW and sim.order(V, client_order_id=ack.client_order_id)["status"] == "NEW"
    run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_rate_limits_are_the_futures_windows(transport):
    async def main():
        async with perp(transport) as (sim, s):
            assert {"REQUEST_WEIGHT:1M", "ORDERS:1M", "ORDERS:10S"} <= set(s.guard.windows)
            sim.faults.add(f"429:retry=2,count=1,transport={transport},venue={V}")
            with pytest.raises(RateLimited) as ei:
                await s.place_order("BTCUSDT", "buy", "0.010", REST_PX)
            assert ei.value.code != "local" and ei.value.retry_after
            n = len(sim.orders(V))
            with pytest.raises(RateLimited) as ei:   # Retry-After: blocked locally, nothing sent
                await s.place_order("BTCUSDT", "buy", "0.010", REST_PX)
            assert ei.value.code == "local" and len(sim.orders(V)) == n
    run(main())


ORDERS = [
    dict(symbol="BTCUSDT", side="BUY", type="LIMIT", quantity="0.010", price="49000", time_in_force="GTX",
         position_side="LONG", resp_type="RESULT"),
    dict(symbol="BTCUSDT", side="SELL", type="MARKET", quantity=Decimal("0.002"), reduce_only=True),
    dict(symbol="ETHUSDT", side="SELL", type="STOP_MARKET", stop_price="2900", close_position=True,
         position_side="BOTH"),
    dict(symbol="ETHUSDT", side="BUY", type="TAKE_PROFIT", quantity=1, price="3100", stop_price=3050.5),
]
BAD = [
    (dict(type="MARKET", price="1"), InvalidOrder),
    (dict(type="LIMIT", quantity="1", price="1"), InvalidOrder),   # no time_in_force
    (dict(type="STOP_MARKET", stop_price="1", quantity="1", close_position=True), InvalidOrder),
    (dict(type="MARKET", quantity="1", reduce_only=True, position_side="SHORT"), InvalidOrder),
    (dict(type="LIMIT", quantity="1", price="1", time_in_force="GTD"), InvalidField),
    (dict(type="MARKET", quantity="1", position_side="long"), InvalidField),
    (dict(type="MARKET", quantity="1", reduce_only=1), TypeError),
]


@pytest.mark.parametrize("i", range(len(ORDERS)))
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_encoder_twins_write_the_same_bytes(i, transport):
    from fastorder._core import binance_futures as core
    from fastorder._core import buffer as cbuf
    from fastorder._core import sign as csign
    from fastorder._py import binance_futures as py
    from fastorder._py import buffer as pbuf
    from fastorder._py import sign as psign

    def encode(mod, buf_mod, sign_mod):
        buf = buf_mod.WriteBuffer()
        signer = sign_mod.HmacSha256(KEYS["secret"])
        o = dict(ORDERS[i])
        if transport == "rest":
            mod.BinanceFuturesRest(KEYS["key"], signer, recv_window=5000).new_order_request(
                buf, o.pop("symbol"), o.pop("side"), o.pop("type"), client_order_id="c1", timestamp=1, **o)
        else:
            mod.BinanceFuturesWs(KEYS["key"], signer, recv_window=5000).order_place(
                buf, 9, o.pop("symbol"), o.pop("side"), o.pop("type"), client_order_id="c1", timestamp=1, **o)
        return buf.getvalue()

    assert encode(core, cbuf, csign) == encode(py, pbuf, psign)


@pytest.mark.parametrize("bad,err", BAD)
@pytest.mark.parametrize("kind", ["core", "py"])
def test_encoder_refuses_bad_orders_before_writing(bad, err, kind):
    import importlib
    mod = importlib.import_module(f"fastorder._{kind}.binance_futures")
    buf = importlib.import_module(f"fastorder._{kind}.buffer").WriteBuffer()
    signer = importlib.import_module(f"fastorder._{kind}.sign").HmacSha256(KEYS["secret"])
    o = dict(bad)
    with pytest.raises(err):
        mod.BinanceFuturesRest(KEYS["key"], signer).new_order_request(buf, "BTCUSDT", "BUY", o.pop("type"),
                                                                     client_order_id=None, timestamp=1, **o)
    assert buf.getvalue() == b""


@pytest.mark.parametrize("ref", [dict(order_id=7), dict(orig_client_order_id="c1"), {}])
def test_modify_encoders_agree(ref):
    import importlib
    out = []
    for kind in ("core", "py"):
        mod = importlib.import_module(f"fastorder._{kind}.binance_futures")
        buf = importlib.import_module(f"fastorder._{kind}.buffer").WriteBuffer()
        signer = importlib.import_module(f"fastorder._{kind}.sign").HmacSha256(KEYS["secret"])
        try:
            mod.BinanceFuturesRest(KEYS["key"], signer, recv_window=5000).modify_request(
                buf, "BTCUSDT", "BUY", timestamp=5, quantity="0.010", price="50000.1", **ref)
            mod.BinanceFuturesWs(KEYS["key"], signer).order_modify(buf, "r1", "BTCUSDT", "SELL", timestamp=5,
                                                                   quantity=1, price=Decimal("2"), **ref)
        except InvalidOrder as exc:   # neither id: refused by both, nothing written
            out.append((type(exc), exc.field, buf.getvalue()))
            continue
        out.append(buf.getvalue())
    assert out[0] == out[1]
    assert ref or out[0] == (InvalidOrder, "order_id", b"")


def test_symbols_given_to_connect_and_loaded_on_first_use():
    async def main():
        async with perp("rest", symbols=["ETH-USDT-SWAP"]) as (sim, s):
            assert set(s.symbols) == {"ETHUSDT"}
            ack = await s.place_order("BTC/USDT:USDT", "buy", "0.010", REST_PX)   # loaded before sending
            assert ack.symbol == "BTCUSDT" and set(s.symbols) == {"ETHUSDT", "BTCUSDT"}
            with pytest.raises(InvalidOrder):
                await s.place_order("DOGEUSDT", "buy", "100", "0.1")
            with pytest.raises(InvalidOrder):   # asked once: not fetched again
                await s.place_order("DOGEUSDT", "buy", "100", "0.1")
    run(main())


# -- the dead-man's switch: countdownCancelAll per symbol ------------------------------------------------------
def test_countdown_armed_per_symbol_before_its_first_order_and_refreshed():
    async def main():
        async with perp("rest", cancel_on_disconnect=3) as (sim, s):
            app = sim.apps[V]
            assert s.countdown_symbols == set() and app.countdowns == {}   # no symbols= given: none yet
            await s.place_order("BTCUSDT", "buy", "0.010", REST_PX)
            assert s.countdown_symbols == {"BTCUSDT"} and [k[1] for k in app.countdowns] == ["BTCUSDT"]
            first = app.countdowns[next(iter(app.countdowns))][0]
            await asyncio.sleep(1.3)   # the refresh runs every 3/3 s: the deadline moved on
            assert app.countdowns[next(iter(app.countdowns))][0] > first and app.dms_fired == 0
            await s.place_order("ETHUSDT", "buy", "0.010", "2900")
            assert sorted(k[1] for k in app.countdowns) == ["BTCUSDT", "ETHUSDT"]
        async with perp("ws", cancel_on_disconnect=2, symbols=["BTCUSDT"]) as (sim, s):
            assert [k[1] for k in sim.apps[V].countdowns] == ["BTCUSDT"]   # symbols= given: armed at connect
    run(main())


def test_countdown_range_and_the_venues_refusals():
    with pytest.raises(ConfigError, match="between 1"):
        fastorder.connect("binance", market="perp", cancel_on_disconnect=0.5, **KEYS)

    async def main():
        async with perp("rest") as (sim, s):
            with pytest.raises(VenueError) as e:   # no symbol: the venue's mandatory-parameter error
                await s._account_call("POST", "/fapi/v1/countdownCancelAll", [("countdownTime", "1000")], "countdown")
            assert e.value.code == -1102
            with pytest.raises(VenueError) as e:
                await s._account_call("POST", "/fapi/v1/countdownCancelAll",
                                      [("symbol", "BTCUSDT"), ("countdownTime", "-5")], "countdown")
            assert e.value.code == -1100
            await s._countdown("BTCUSDT", 0.2)   # fires: the symbol's open orders are cancelled
            a = await s.place_order("BTCUSDT", "buy", "0.010", REST_PX)
            b = await s.place_order("ETHUSDT", "buy", "0.010", "2900")
            await asyncio.sleep(0.5)
            assert sim.apps[V].dms_fired == 1
            assert (await s.query_order("BTCUSDT", order_id=a.order_id)).status == CANCELED
            assert (await s.query_order("ETHUSDT", order_id=b.order_id)).status == NEW
    run(main())


_CLIENT = """
import asyncio, sys
import fastorder
async def main():
    s = await fastorder.connect("binance", "rest", market="perp", key=sys.argv[1], secret=sys.argv[2],
                                url=sys.argv[3], timeout=2.0, cancel_on_disconnect=3)
    for _ in range(3):
        await s.place_order("BTCUSDT", "buy", "0.010", "49000")
    print("ready", flush=True)
    await asyncio.sleep(600)   # killed long before
asyncio.run(main())
"""


def test_countdown_fires_when_the_client_is_killed():
    """cancel_on_disconnect=3 arms BTCUSDT's countdown before the first order and re-arms it every second; a
    client killed with SIGKILL stops, and the simulator cancels its orders when the 3 s run out."""
    import signal
    import sys
    import time

    async def main():
        async with Simulator(venues=(V,), binance_limits=BinanceLimits(enabled=False), seed=5) as sim:
            proc = await asyncio.create_subprocess_exec(sys.executable, "-c", _CLIENT, KEYS["key"], KEYS["secret"],
                                                        sim.url(V, "rest"), stdout=asyncio.subprocess.PIPE)
            try:
                assert (await asyncio.wait_for(proc.stdout.readline(), 30)).strip() == b"ready"
                mine = [o for o in sim.orders(V) if o["client_order_id"]]
                assert len(mine) == 3 and {o["status"] for o in mine} == {"NEW"}
                await asyncio.sleep(2)   # refreshed every second while the client lives
                assert sim.apps[V].dms_fired == 0
                proc.send_signal(signal.SIGKILL)
                killed = time.monotonic()
                await proc.wait()
                while sim.apps[V].dms_fired == 0 and time.monotonic() - killed < 10:
                    await asyncio.sleep(0.05)
                lapsed = time.monotonic() - killed
                assert sim.apps[V].dms_fired == 1
                assert 1.5 <= lapsed <= 4   # armed for 3 s at most 1 s before the kill
                assert {o["status"] for o in sim.orders(V) if o["client_order_id"]} == {"CANCELED"}
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
    run(main(), timeout=60)


# -- batches: POST / DELETE /fapi/v1/batchOrders --------------------------------------------------------------
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_place_orders_in_batches_of_five_each_item_its_own_result(transport):
    async def main():
        async with perp(transport) as (sim, s):
            sent = []
            orig = s.rest_send

            async def spy(raw, *a, **k):
                sent.append(bytes(raw).split(b" ", 2)[:2])
                return await orig(raw, *a, **k)
            s.rest_send = spy
            orders = [dict(symbol="BTCUSDT", side="buy", quantity="0.010", price=str(49000 - 10 * i)) for i in range(6)]
            orders[1] = dict(symbol="BTCUSDT", side="buy", quantity="0.0101", price="49000")   # off the step: local
            orders[2] = dict(symbol="NOPEUSDT", side="buy", quantity="0.010", price="49000")   # unknown symbol: local
            orders[3] = dict(symbol="BTCUSDT", side="buy", quantity="5", price="49000")        # the venue: margin
            orders.append(dict(symbol="ETHUSDT", side="sell", quantity="0.010", price="3100", post_only=True,
                               client_order_id="eth1"))
            orders.append(dict(symbol="BTCUSDT", side="buy", quantity="0.010", price="49000", reduce_only=True))
            res = await s.place_orders(orders)
            assert len(res) == 8
            assert isinstance(res[1], OffGrid) and isinstance(res[2], InvalidOrder)
            assert isinstance(res[3], InsufficientMargin) and res[3].code == -2019
            assert isinstance(res[7], ReduceOnlyRejected)   # no position to reduce: -2022, its own error
            for k in (0, 4, 5, 6):
                assert res[k].status == NEW and res[k].order_id, res[k]
            assert res[6].client_order_id == "eth1" and res[6].symbol == "ETHUSDT"
            assert [p for p in sent if p[1].startswith(b"/fapi/v1/batchOrders")] == \
                [[b"POST", p[1]] for p in sent if p[1].startswith(b"/fapi/v1/batchOrders")]
            assert sum(p[1].startswith(b"/fapi/v1/batchOrders") for p in sent) == 2   # 6 valid orders: 5 + 1
            assert not any(p[1].startswith(b"/fapi/v1/order?") for p in sent)
            for k in (0, 4, 5, 6):
                assert sim.order(V, client_order_id=res[k].client_order_id)["status"] == "NEW"
            # cancel them by exchange id and by client id, one of them unknown: -2011 for that one only
            ids = [res[0].order_id, res[4].order_id, "123456789"]
            out = await s.cancel_orders("BTCUSDT", order_ids=ids)
            assert [a.status for a in out[:2]] == [CANCELED, CANCELED]
            assert isinstance(out[2], VenueError) and out[2].code == -2011
            out = await s.cancel_orders("ETHUSDT", client_order_ids=["eth1", "eth1"])
            assert out[0].status == CANCELED and isinstance(out[1], VenueError) and out[1].code == -2011
    run(main())


def test_a_batch_whose_reply_is_lost_is_settled_order_by_order():
    async def main():
        async with perp("rest") as (sim, s):
            sim.faults.add("drop:phase=after,transport=rest,count=1")   # the next request: the batch
            res = await s.place_orders([dict(symbol="BTCUSDT", side="buy", quantity="0.010", price="48000"),
                                        dict(symbol="BTCUSDT", side="buy", quantity="0.010", price="47990")])
            assert [a.status for a in res] == [NEW, NEW] and all(a.reconciled for a in res)
            assert {sim.order(V, client_order_id=a.client_order_id)["status"] for a in res} == {"NEW"}
    run(main())


def test_batch_list_request_refusals_before_sending():
    from fastorder._core.binance_futures import BinanceFuturesRest
    from fastorder._core.buffer import WriteBuffer
    from fastorder._core.sign import HmacSha256
    enc = BinanceFuturesRest(KEYS["key"], HmacSha256(KEYS["secret"]))
    buf = WriteBuffer()
    for bad in (b"", b"{}", b"[" + b"1," * 9000 + b"1]", b'["\\x01"]'.replace(b"\\x01", b"\x01")):
        with pytest.raises(InvalidOrder):
            enc.list_request(buf, "POST", "/fapi/v1/batchOrders", [], "batchOrders", bad, timestamp=1)
    with pytest.raises(InvalidField):
        enc.list_request(buf, "POST", "/fapi/v1/batchOrders", [("symbol", "a b")], "batchOrders", b"[]", timestamp=1)
    assert buf.getvalue() == b""
    # the twin writes the same bytes: the JSON list percent-encoded, then recvWindow, timestamp, signature
    from fastorder._py import binance_futures as twin
    from fastorder._py.buffer import WriteBuffer as PyBuffer
    from fastorder._py.sign import HmacSha256 as PyHmac
    body = b'[{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","quantity":"0.010","price":"49000.0"}]'
    pb = PyBuffer()
    enc = BinanceFuturesRest(KEYS["key"], HmacSha256(KEYS["secret"]), recv_window=5000)
    enc.list_request(buf, "POST", "/fapi/v1/batchOrders", [], "batchOrders", body, timestamp=1700000000000)
    twin.BinanceFuturesRest(KEYS["key"], PyHmac(KEYS["secret"]), recv_window=5000).list_request(
        pb, "POST", "/fapi/v1/batchOrders", [], "batchOrders", body, timestamp=1700000000000)
    assert buf.getvalue() == pb.getvalue()
    assert buf.getvalue().startswith(b"POST /fapi/v1/batchOrders?batchOrders=%5B%7B%22symbol%22%3A%22BTCUSDT%22")


def test_stop_orders_name_the_algo_order_api():
    async def main():
        async with perp("rest") as (sim, s):
            with pytest.raises(NotSupported, match="/fapi/v1/algoOrder"):
                await s.place_order("BTCUSDT", "sell", "0.010", type="stop_loss", stop_price="48000")
            res = await s.place_orders([dict(symbol="BTCUSDT", side="sell", quantity="0.010", type="take_profit",
                                             stop_price="52000"),
                                        dict(symbol="BTCUSDT", side="buy", quantity="0.010", price="48000")])
            assert isinstance(res[0], NotSupported) and res[1].status == NEW
    run(main())
