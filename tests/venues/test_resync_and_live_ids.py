"""Every venue x operation: a timestamp rejection re-measures the clock (cancel and query too, not only
place), and a client id this session has live is refused locally, before anything is sent."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

import fastorder
from fastorder.errors import ClientIdInUse, InsufficientBalance, TimestampRejected
from fastorder.sim import BinanceLimits, Simulator, creds
from fastorder.types import ACCEPTED, CANCELED, FINAL_STATES, NEW

CREDS = {
    "binance": dict(key=creds.BINANCE_HMAC_KEY, secret=creds.BINANCE_HMAC_SECRET),
    "okx": dict(key=creds.OKX_KEY, secret=creds.OKX_SECRET, passphrase=creds.OKX_PASSPHRASE),
    "htx": dict(key=creds.HTX_KEY, secret=creds.HTX_SECRET),
}
SYMBOL = {"binance": "BTCUSDT", "okx": "BTC-USDT", "htx": "btcusdt"}
REST_PX = "46000"   # below the simulators' ~50000 mid: rests on the book (inside HTX's price band)
# OKX WebSocket order operations carry no timestamp (only the login does): nothing there to reject
SIGNED_PATHS = [("binance", "rest"), ("binance", "ws"), ("okx", "rest"), ("htx", "rest")]
PATHS = SIGNED_PATHS + [("okx", "ws")]


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@contextlib.asynccontextmanager
async def session(venue: str, transport: str):
    async with Simulator(venues=(venue,), seed=1, binance_limits=BinanceLimits(enabled=False), okx_limit_per_2s=0,
                         htx_limit_per_2s=0) as sim:
        args = dict(CREDS[venue], url=sim.url(venue, "rest"), timeout=2.0)
        if transport == "ws":
            args["ws_url"] = sim.url(venue, "ws")
        async with fastorder.connect(venue, transport, **args) as s:
            yield sim, s


@pytest.mark.parametrize("op", ["place", "cancel", "query"])
@pytest.mark.parametrize("venue,transport", SIGNED_PATHS)
def test_timestamp_rejection_resyncs_the_clock(venue, transport, op):
    async def main():
        async with session(venue, transport) as (sim, s):
            sym = SYMBOL[venue]
            ack = await s.place_order(sym, "buy", "0.001", REST_PX)
            before = len(sim.orders(venue))
            s.clock.offset_ms -= 600_000   # ten minutes behind: outside every venue's window
            call = {"place": lambda: s.place_order(sym, "buy", "0.001", REST_PX),
                    "cancel": lambda: s.cancel_order(sym, client_order_id=ack.client_order_id),
                    "query": lambda: s.query_order(sym, client_order_id=ack.client_order_id)}[op]
            with pytest.raises(TimestampRejected):
                await call()
            assert abs(s.clock.offset_ms) < 1000, f"{op}: the clock was not re-measured after the rejection"
            assert len(sim.orders(venue)) == before
            assert sim.order(venue, client_order_id=ack.client_order_id)["status"] == "NEW"   # not canceled
            await call()   # with the clock re-measured, the same call goes through
    run(main())


@pytest.mark.parametrize("venue,transport", PATHS)
def test_a_live_client_id_is_refused_locally(venue, transport):
    async def main():
        async with session(venue, transport) as (sim, s):
            sym = SYMBOL[venue]
            ack = await s.place_order(sym, "buy", "0.001", REST_PX, client_order_id="live1")
            assert ack.status in (NEW, ACCEPTED) and "live1" in s.ledger.live_ids
            before = len(sim.orders(venue))
            with pytest.raises(ClientIdInUse) as ei:
                await s.place_order(sym, "buy", "0.002", REST_PX, client_order_id="live1")
            assert ei.value.field == "client_order_id"
            assert len(sim.orders(venue)) == before   # nothing was sent
            await s.cancel_order(sym, client_order_id="live1")
            for _ in range(50):   # OKX/HTX answer a cancel with "requested"; the final state follows
                if (await s.query_order(sym, client_order_id="live1")).status in FINAL_STATES:
                    break
                await asyncio.sleep(0.02)
            assert "live1" not in s.ledger.live_ids
            again = await s.place_order(sym, "buy", "0.002", REST_PX, client_order_id="live1")
            assert again.status in (NEW, ACCEPTED) and again.order_id != ack.order_id
            # a refused order is not live: its id may be used again at once
            with pytest.raises(InsufficientBalance):
                await s.place_order(sym, "buy", "50", REST_PX, client_order_id="rej1")
            assert "rej1" not in s.ledger.live_ids
            # a cancel that reports the final state frees the id without a query
            c = await s.cancel_order(sym, order_id=again.order_id)
            if c.status == CANCELED:
                assert "live1" not in s.ledger.live_ids
    run(main())


def test_an_unsettled_journalled_order_keeps_its_client_id_live_until_recovered(tmp_path):
    """After a restart, an order the journal holds as sent but unsettled may be live at the venue: its id is
    refused until recover() settles it."""
    from fastorder.journal import OrderJournal

    path = tmp_path / "j.log"

    async def main():
        async with session("binance", "rest") as (sim, s):
            ack = await s.place_order("BTCUSDT", "buy", "0.001", REST_PX, client_order_id="jl1")
            j = OrderJournal(path)   # as a crashed run left it: sent, never settled
            j.sent("binance", "BTCUSDT", "jl1", "BUY", "0.001", REST_PX, s.now_ms(), s.now_ms() + 6000)
            j.close()
            async with fastorder.connect("binance", "rest", **CREDS["binance"], url=sim.url("binance", "rest"),
                                         journal=str(path)) as s2:
                assert "jl1" in s2.ledger.live_ids
                with pytest.raises(ClientIdInUse):
                    await s2.place_order("BTCUSDT", "buy", "0.001", REST_PX, client_order_id="jl1")
                (rec,) = await s2.recover()
                assert rec.status == NEW and rec.order_id == ack.order_id and "jl1" in s2.ledger.live_ids   # still open
                await s2.cancel_order("BTCUSDT", client_order_id="jl1")
                assert "jl1" not in s2.ledger.live_ids
    run(main())
