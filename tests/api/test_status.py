"""Order states are `fastorder.Status` members: strs, so comparisons with plain strings keep working."""

from __future__ import annotations

import asyncio

import orjson
import pytest

import fastorder
from fastorder import types
from fastorder.sim import BinanceLimits, Simulator

CREDS = {
    "binance": dict(key="vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
                    secret="NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"),
    "okx": dict(key="985d5b66-57ce-40fb-b714-afc0b9787083", secret="22582BD0CFF14C41EDBF1AB98506286D",
                passphrase="Sim-Passphrase-1"),
    "htx": dict(key="e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx", secret="b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx"),
}
PATHS = [("binance", "rest"), ("binance", "ws"), ("okx", "rest"), ("okx", "ws"), ("htx", "rest")]
SYMBOL = {"binance": "BTCUSDT", "okx": "BTC-USDT", "htx": "btcusdt"}


def test_status_is_a_str_enum_that_compares_as_its_value():
    S = fastorder.Status
    assert issubclass(S, str)
    assert S.FILLED == "FILLED" and "FILLED" == S.FILLED and S.FILLED != "NEW"
    assert str(S.NOT_PLACED) == "NOT_PLACED" and f"{S.NOT_SENT}" == "NOT_SENT"
    assert {"FILLED": 1}[S.FILLED] == 1 and hash(S.NEW) == hash("NEW")
    assert S("CANCELED") is S.CANCELED
    assert orjson.dumps({"st": S.EXPIRED}) == b'{"st":"EXPIRED"}'
    assert "FILLED" in types.FINAL_STATES and S.NOT_PLACED in types.FINAL_STATES
    assert "NEW" not in types.FINAL_STATES and "CANCEL_REQUESTED" not in types.FINAL_STATES
    assert {m.value for m in S} == {"NEW", "ACCEPTED", "PARTIALLY_FILLED", "FILLED", "CANCELED", "CANCEL_REQUESTED",
                                    "REJECTED", "EXPIRED", "NOT_SENT", "NOT_PLACED"}
    # the module constants are the members themselves
    for m in S:
        assert getattr(types, m.name) is m
    assert fastorder.Ack("x", "y", "z").status is S.ACCEPTED


@pytest.mark.parametrize("venue,transport", PATHS)
def test_every_status_a_session_returns_is_a_member(venue, transport):
    async def main():
        async with Simulator(venues=(venue,), tls=False, seed=1, binance_limits=BinanceLimits(enabled=False),
                             okx_limit_per_2s=0, htx_limit_per_2s=0) as sim:
            args = dict(CREDS[venue], url=sim.url(venue, "rest"), timeout=2.0)
            if transport == "ws":
                args["ws_url"] = sim.url(venue, "ws")
            async with fastorder.connect(venue, transport, **args) as s:
                sym = SYMBOL[venue]
                acks = [await s.place_order(sym, "buy", "0.001", "46000")]
                acks.append(await s.query_order(sym, client_order_id=acks[0].client_order_id))
                acks.append(await s.cancel_order(sym, order_id=acks[0].order_id))
                acks.append(await s.query_order(sym, order_id=acks[0].order_id))
                acks.append(await s.place_order(sym, "sell", "0.002", None, type="market"))
                acks.append(await s.query_order(sym, client_order_id=acks[-1].client_order_id))
                return acks
    acks = asyncio.run(asyncio.wait_for(main(), 60))
    for a in acks:
        assert type(a.status) is fastorder.Status, (a.status, type(a.status))
    assert acks[-1].status == "FILLED" and acks[3].status == "CANCELED"


def test_recover_and_the_journal_use_members(tmp_path):
    from fastorder.journal import OrderJournal

    path = tmp_path / "orders.journal"
    j = OrderJournal(path)
    j.sent("binance", "BTCUSDT", "never1", "BUY", "0.001", "46000", 1, 2)   # its window ended long ago
    j.close()

    async def main():
        async with Simulator(venues=("binance",), tls=False, seed=1,
                             binance_limits=BinanceLimits(enabled=False)) as sim:
            async with fastorder.connect("binance", "rest", **CREDS["binance"], url=sim.url("binance", "rest"),
                                         journal=str(path), timeout=2.0) as s:
                return await s.recover()
    out = asyncio.run(asyncio.wait_for(main(), 60))
    assert [(a.client_order_id, a.status) for a in out] == [("never1", "NOT_PLACED")]
    assert out[0].status is fastorder.Status.NOT_PLACED and out[0].is_final
