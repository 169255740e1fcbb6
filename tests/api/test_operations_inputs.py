"""The venue-neutral part of the trading operations (fastorder.venues.operations): every bad argument of
amend, batches, cancel-all, order options and the session's env / dead-man's switch settings gets a typed
error before anything is sent. The venue behaviour of each operation is tested per venue in tests/venues."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal

import pytest
from numtypes import Dec, Float, Int, Str

import fastorder
from fastorder.errors import ConfigError, InvalidField, InvalidNumber, InvalidOrder, NotSupported
from fastorder.sim import BinanceLimits, Simulator
from fastorder.venues.inputs import check_number
from fastorder.venues.operations import order_options
from fastorder.venues.perp import exact

CREDS = {
    "binance": dict(key="vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
                    secret="NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"),
    "okx": dict(key="985d5b66-57ce-40fb-b714-afc0b9787083", secret="22582BD0CFF14C41EDBF1AB98506286D",
                passphrase="Sim-Passphrase-1"),
    "htx": dict(key="e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx", secret="b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx"),
}
SYMBOL = {"binance": "BTCUSDT", "okx": "BTC-USDT", "htx": "btcusdt"}
VENUES = ("binance", "okx", "htx")


@contextlib.asynccontextmanager
async def session(venue: str):
    async with Simulator(venues=(venue,), tls=False, seed=1, binance_limits=BinanceLimits(enabled=False),
                         okx_limit_per_2s=0, htx_limit_per_2s=0) as sim:
        async with fastorder.connect(venue, "rest", **CREDS[venue], url=sim.url(venue, "rest"),
                                     timeout=2.0) as s:
            yield sim, s


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


BAD_ORDERS = [
    (dict(quantity="0.001", quote_quantity="10", type="market"), InvalidOrder, "quote_quantity"),
    (dict(quantity=None, quote_quantity="10", price="50000"), InvalidOrder, "quote_quantity"),
    (dict(quantity="0.001", price="50000", type="stop_loss_limit"), InvalidOrder, "stop_price"),
    (dict(quantity="0.001", price="50000", stop_price="49000"), InvalidOrder, "stop_price"),
    (dict(quantity="0.001", type="stop_loss", stop_price="49000", price="1"), InvalidOrder, "price"),
    (dict(quantity="0.001", price="50000", stp=3), InvalidField, "stp"),
    (dict(quantity="0.001", price="50000", stp="cancel_everyone"), InvalidOrder, "stp"),
    (dict(quantity="0.001", price="50000", expire_ms=-5), InvalidOrder, "expire_ms"),
    (dict(quantity="0.001", price="50000", expire_ms=True), InvalidOrder, "expire_ms"),
    (dict(quantity="0.001", price="50000", stop_price=b"1"), InvalidOrder, "stop_price"),
    (dict(quantity="0.001", price="50000", type="trailing"), InvalidOrder, "type"),
]


@pytest.mark.parametrize("venue", VENUES)
def test_bad_order_options_refused_before_sending(venue):
    async def main():
        async with session(venue) as (sim, s):
            before = len(sim.orders(venue))
            for kw, err, field in BAD_ORDERS:
                with pytest.raises(err) as ei:
                    await s.place_order(SYMBOL[venue], "buy", **kw)
                assert ei.value.field == field, (kw, ei.value)
            assert len(sim.orders(venue)) == before   # nothing reached the venue
            assert not s.ledger.live_ids
    run(main())


@pytest.mark.parametrize("venue", VENUES)
def test_bad_operation_arguments_refused(venue):
    async def main():
        async with session(venue) as (sim, s):
            sym = SYMBOL[venue]
            with pytest.raises(InvalidOrder, match="new quantity or a new price"):
                await s.amend_order(sym, order_id="1")
            with pytest.raises(InvalidOrder, match="order_id or client_order_id"):
                await s.amend_order(sym, quantity="0.001")
            with pytest.raises(InvalidOrder):
                await s.amend_order(sym, order_id="1", quantity=True)
            with pytest.raises(InvalidField):
                await s.amend_order(sym, order_id="1", price=Decimal("1"), new_client_order_id=5)
            # a re-price by order id skips the full check only for exact classes: a bool is no id, no price
            with pytest.raises(InvalidField):
                await s.amend_order(sym, order_id=True, price="1")
            with pytest.raises(InvalidField):
                await s.amend_order(5, order_id="1", price="1")   # type: ignore[arg-type]
            with pytest.raises(InvalidOrder):
                await s.amend_order(sym, order_id="1", price=True)
            with pytest.raises(InvalidOrder):
                await s.place_orders("not a list")   # type: ignore[arg-type]
            with pytest.raises(InvalidOrder):
                await s.amend_orders([("BTC",)])     # type: ignore[list-item]
            with pytest.raises(InvalidOrder, match="one of them"):
                await s.cancel_orders(sym, order_ids=["1"], client_order_ids=["a"])
            with pytest.raises(InvalidOrder, match="one of them"):
                await s.cancel_orders(sym)
            with pytest.raises(InvalidField):
                await s.cancel_all(symbol=5)   # type: ignore[arg-type]
            with pytest.raises(InvalidField):
                await s.open_orders(symbol=["BTC"])   # type: ignore[arg-type]
            assert not sim.orders(venue)
    run(main())


@pytest.mark.parametrize("venue", VENUES)
def test_env_and_dead_mans_switch_settings_checked_at_connect(venue):
    kw = dict(CREDS[venue], url="http://127.0.0.1:9")   # a closed port: nothing is opened before the error
    with pytest.raises(ConfigError) as ei:
        fastorder.connect(venue, "rest", env="staging", **kw)   # type: ignore[call-overload]
    assert ei.value.field == "env"
    for bad in (-1, 0, True, "10"):
        with pytest.raises(ConfigError) as ei:
            fastorder.connect(venue, "rest", cancel_on_disconnect=bad, **kw)   # type: ignore[call-overload]
        assert ei.value.field == "cancel_on_disconnect"


def test_not_supported_names_the_closest_feature():
    err = NotSupported("x has no order amend; closest: cancel_order then place_order", venue="x",
                       closest="cancel_order then place_order")
    assert isinstance(err, fastorder.FastorderError) and err.closest.startswith("cancel_order")


NUMBERS = (Decimal("0.5"), "0.5", 2, 0.5, Float(0.5), Str("0.5"), Int(2), Dec("0.5"))
NOT_NUMBERS = (True, False, b"1", [1], 1 + 0j, object(), None)


def test_one_number_rule_for_every_number_argument():
    """check_number: the four classes and their subclasses, never a bool; each number argument outside
    place_order's own (stop_price, quote_quantity, contracts, an amend's quantity and price, a perp's exact
    conversion) goes through it and gets the same InvalidNumber naming the argument."""
    for v in NUMBERS:
        check_number(v, "x")
        order_options(None, v, v, None, contracts=v)
        assert exact(v, "contracts") == Decimal(str(float(v)) if isinstance(v, float) else str(v))
    for v in NOT_NUMBERS:
        with pytest.raises(InvalidNumber) as ei:
            check_number(v, "x")
        assert ei.value.field == "x"
        if v is None:
            continue
        for field in ("stop_price", "quote_quantity", "contracts"):
            with pytest.raises(InvalidNumber) as ei:
                order_options(None, **{"stop_price": None, "quote_quantity": None, "expire_ms": None, field: v})
            assert ei.value.field == field
        with pytest.raises(InvalidNumber) as ei:
            exact(v, "contracts")
        assert ei.value.field == "contracts"


@pytest.mark.parametrize("venue", VENUES)
def test_a_number_subclass_is_sent_as_its_value_and_a_bool_is_refused_everywhere(venue):
    async def main():
        async with session(venue) as (sim, s):
            sym = SYMBOL[venue]
            price = "50000"
            acks = [await s.place_order(sym, "buy", q, p, client_order_id=f"sub{i}")
                    for i, (q, p) in enumerate([(Float(0.001), Str(price)), (Str("0.001"), Float(50000.0)),
                                                (Dec("0.001"), Int(50000))])]
            assert all(a.status in ("NEW", "ACCEPTED") for a in acks), acks
            assert [(Decimal(o["qty"]), Decimal(o["price"])) for o in sim.orders(venue)] == [
                (Decimal("0.001"), Decimal("50000"))] * 3
            for kw, field in ((dict(quantity=True, price=price), "quantity"),
                              (dict(quantity="0.001", price=False), "price"),
                              (dict(quantity="0.001", type="stop_loss_limit", price=price, stop_price=True),
                               "stop_price"),
                              (dict(quantity=None, type="market", quote_quantity=True), "quote_quantity")):
                with pytest.raises(InvalidNumber) as ei:
                    await s.place_order(sym, "buy", **kw)
                assert ei.value.field == field
            for kw, field in ((dict(quantity=True), "quantity"), (dict(price=True), "price")):
                with pytest.raises(InvalidNumber) as ei:
                    await s.amend_order(sym, client_order_id="sub0", **kw)
                assert ei.value.field == field
            assert len(sim.orders(venue)) == 3
    run(main())
