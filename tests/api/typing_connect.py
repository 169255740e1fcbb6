"""Checked by mypy (see [tool.mypy] in pyproject.toml), not run: what a type checker makes of `connect`.

Each `type: ignore[...]` marks a call that must be an error; with warn_unused_ignores, mypy fails the day one
of them type-checks.
"""

from __future__ import annotations

from typing_extensions import assert_type

import fastorder
from fastorder.venues.binance import BinanceSession
from fastorder.venues.binance_futures import BinanceFuturesSession
from fastorder.venues.htx import HtxSession
from fastorder.venues.htx_swap import HtxSwapSession
from fastorder.venues.okx import OkxSession
from fastorder.venues.okx_swap import OkxSwapSession


async def uses() -> None:
    b = fastorder.connect("binance", key="k", secret="s", resp_type="ACK")
    assert_type(b, BinanceSession)
    async with b as s:
        assert_type(s, BinanceSession)
        ack = await s.place_order("BTCUSDT", "buy", "0.001", "50000", tif="IOC")
        assert_type(ack, fastorder.Ack)
    o = await fastorder.connect("okx", "rest", key="k", secret="s", passphrase="p", order_ttl_ms=5000)
    assert_type(o, OkxSession)
    await o.close()
    async with fastorder.connect("htx", key="k", secret="s", account_id=1) as h:
        assert_type(h, HtxSession)
    async with fastorder.connect("binance", "rest", market="perp", key="k", secret="s") as f:
        assert_type(f, BinanceFuturesSession)
        assert_type(await f.positions(), list[fastorder.Position])
        await f.place_order("BTCUSDT", "sell", None, type="market", contracts="1", reduce_only=True)
    async with fastorder.connect("okx", "ws", market="perp", key="k", secret="s", passphrase="p") as x:
        assert_type(x, OkxSwapSession)
        assert_type(await x.positions("BTC-USDT-SWAP"), list[fastorder.Position])
        await x.place_order("BTC-USDT-SWAP", "buy", None, "50000", contracts=2, position_side="long")
    async with fastorder.connect("htx", market="perp", key="k", secret="s", margin_mode="isolated") as hs:
        assert_type(hs, HtxSwapSession)
        assert_type(await hs.positions("BTC-USDT"), list[fastorder.Position])
    fastorder.connect("htx", market="perp", key="k", secret="s", account_id=1)  # type: ignore[call-overload]
    fastorder.connect("htx", "ws", market="perp", key="k", secret="s")  # type: ignore[call-overload]
    w = fastorder.connect("binance", "rest", key="k", secret="s", keep_warm=0.002, keep_warm_kernel=True)
    assert_type(w, BinanceSession)
    fastorder.connect("okx", key="k", secret="s", passphrase="p", keep_warm=True)
    fastorder.connect("htx", key="k", secret="s", keep_warm="1ms")  # type: ignore[call-overload]

    fastorder.connect("binance", key="k", secret="s", passphrase="p")  # type: ignore[call-overload]
    fastorder.connect("okx", key="k", secret="s")  # type: ignore[call-overload]
    fastorder.connect("htx", "ws", key="k", secret="s")  # type: ignore[call-overload]
    fastorder.connect("binance", key="k", secret="s", resp_type="ALL")  # type: ignore[call-overload]
    fastorder.connect("binance", key="k", secret="s", timout=1.0)  # type: ignore[call-overload]
    fastorder.connect("kraken", key="k")  # type: ignore[call-overload]
    fastorder.connect("okx", market="perp", key="k", secret="s", passphrase="p", td_mode="cash")  # type: ignore[call-overload]
    fastorder.connect("binance", market="perp", key="k", secret="s", resp_type="FULL")  # type: ignore[call-overload]
