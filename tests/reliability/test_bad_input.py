"""Wrong types are the caller's mistake: the library's typed error (InvalidOrder), nothing sent, and no record
left in the journal."""

from __future__ import annotations

import asyncio

import pytest

import fastorder
from fastorder.bench.faultmatrix import PATHS
from fastorder.bench.runner import ACCOUNTS, SYMBOL
from fastorder.errors import InvalidOrder
from fastorder.journal import read_records
from fastorder.sim import BinanceLimits, Simulator

BAD_ORDERS = [dict(quantity=True), dict(quantity=b"0.001"), dict(quantity=[1]), dict(quantity=None),
              dict(quantity=object()), dict(quantity={"q": 1}), dict(price=False), dict(price=b"46000"),
              dict(price=[46000]), dict(client_order_id=123), dict(client_order_id=b"abc"),
              dict(client_order_id=["a"]), dict(symbol=["BTCUSDT"]), dict(symbol=None), dict(symbol=b"BTCUSDT"),
              dict(side=None), dict(side=1), dict(type=None), dict(tif=None), dict(post_only="yes"),
              dict(post_only=None)]
BAD_LOOKUPS = [dict(symbol=["x"], client_order_id="a"), dict(symbol=None, client_order_id="a"),
               dict(client_order_id=123), dict(client_order_id=b"a"), dict(order_id=True), dict(order_id=[1]),
               dict(order_id=1.5)]


@pytest.mark.parametrize("venue,transport", PATHS)
def test_wrong_types_are_typed_errors_and_leave_no_journal_record(tmp_path, venue, transport):
    path = tmp_path / "j.log"

    async def main():
        async with Simulator(venues=(venue,), binance_limits=BinanceLimits(enabled=False), okx_limit_per_2s=0,
                             htx_limit_per_2s=0) as sim:
            kw = dict(ACCOUNTS[venue], url=sim.url(venue, "rest"), journal=str(path))
            if transport == "ws":
                kw["ws_url"] = sim.url(venue, "ws")
            async with fastorder.connect(venue, transport, **kw) as s:
                for bad in BAD_ORDERS:
                    args = {**dict(symbol=SYMBOL[venue], side="buy", quantity="0.001", price="46000"), **bad}
                    with pytest.raises(InvalidOrder):
                        await s.place_order(args.pop("symbol"), args.pop("side"), args.pop("quantity"),
                                            args.pop("price"), **args)
                    assert read_records(path) == [], bad
                for bad in BAD_LOOKUPS:
                    args = {"symbol": SYMBOL[venue], **bad}
                    for call in (s.cancel_order, s.query_order):
                        with pytest.raises(InvalidOrder):
                            await call(args["symbol"], **{k: v for k, v in args.items() if k != "symbol"})
                assert sim.orders(venue) == [] and s.journal.pending() == []
                ack = await s.place_order(SYMBOL[venue], "buy", "0.001", "46000")   # the session still works
                assert [o["client_order_id"] for o in sim.orders(venue)] == [ack.client_order_id]
    asyncio.run(main())
