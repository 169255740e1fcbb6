"""Nothing undecided: an order left in ExecutionUnknown, or abandoned by its caller after its bytes left, is
settled in the background; the outcome reaches the journal and session.on_settled."""

from __future__ import annotations

import asyncio

import pytest

import fastorder
from fastorder.bench.faultmatrix import _VENUE_STATE, PATHS
from fastorder.bench.runner import ACCOUNTS, SYMBOL
from fastorder.errors import ExecutionUnknown
from fastorder.sim import BinanceLimits, Simulator


def _sim(venue):
    return Simulator(venues=(venue,), binance_limits=BinanceLimits(enabled=False), okx_limit_per_2s=0,
                     htx_limit_per_2s=0)


def _connect(sim, venue, transport, tmp_path, **kw):
    kw = dict(ACCOUNTS[venue], url=sim.url(venue, "rest"), journal=str(tmp_path / "j.log"), timeout=0.3, **kw)
    if transport == "ws" or kw.get("events"):
        kw["ws_url"] = sim.url(venue, "events" if venue == "htx" else "ws")
    return fastorder.connect(venue, transport, **kw)


def _venue_word(sim, venue, clid):
    o = sim.order(venue, client_order_id=clid)
    vs = o.get("venue_status", o["status"])
    return _VENUE_STATE[venue].get(vs, vs), str(o["order_id"])


async def _settled(got, n=1, within=15.0):
    for _ in range(int(within / 0.02)):
        if len(got) >= n:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"settled {len(got)} of {n} in {within} s")


@pytest.mark.parametrize("venue,transport", PATHS)
def test_an_execution_unknown_order_is_settled_in_the_background(tmp_path, venue, transport):
    async def main():
        async with _sim(venue) as sim, _connect(sim, venue, transport, tmp_path) as s:
            got = []
            s.on_settled.append(got.append)
            # the order's reply and the queries right after it are lost: place_order gives up undecided
            sim.faults.add("stall:count=5")
            with pytest.raises(ExecutionUnknown) as ei:
                await s.place_order(SYMBOL[venue], "buy", "0.001", "46000", tif="IOC")
            clid = ei.value.client_order_id
            assert [r["c"] for r in s.journal.pending()] == [clid]
            await _settled(got)
            assert got[0].client_order_id == clid and got[0].reconciled
            assert (got[0].status, got[0].order_id) == _venue_word(sim, venue, clid)
            assert s.journal.pending() == [] and s.journal.outcome(clid)["st"] == got[0].status
    asyncio.run(main())


@pytest.mark.parametrize("how", ["wait_for", "cancel"])
@pytest.mark.parametrize("venue,transport", PATHS)
def test_a_caller_that_stops_waiting_after_the_bytes_left_still_gets_its_order_settled(tmp_path, venue, transport,
                                                                                        how):
    async def main():
        async with _sim(venue) as sim, _connect(sim, venue, transport, tmp_path, ) as s:
            got = []
            s.on_settled.append(got.append)
            sim.faults.add(f"latency:ms=200,count=1,transport={transport}")   # the reply is slow
            call = s.place_order(SYMBOL[venue], "buy", "0.001", "46000", tif="IOC")
            if how == "wait_for":
                with pytest.raises(asyncio.TimeoutError):
                    await asyncio.wait_for(call, 0.05)
            else:
                task = asyncio.ensure_future(call)
                await asyncio.sleep(0.05)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            [pending] = s.journal.pending()
            await _settled(got)
            assert got[0].client_order_id == pending["c"]
            assert (got[0].status, got[0].order_id) == _venue_word(sim, venue, pending["c"])
            assert s.journal.pending() == []
    asyncio.run(main())


def test_an_order_cancelled_before_it_was_written_is_not_sent(tmp_path):
    async def main():
        async with _sim("binance") as sim, _connect(sim, "binance", "rest", tmp_path) as s:
            for c in s._pool._conns:   # no connection to write on: the order waits for one
                c.close()
            task = asyncio.ensure_future(s.place_order("BTCUSDT", "buy", "0.001", "46000"))
            await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert s.journal.pending() == [] and sim.orders("binance") == [] and s.settler.watching == []
    asyncio.run(main())


@pytest.mark.parametrize("venue,transport", PATHS)
def test_an_order_the_venue_never_got_is_settled_not_placed_after_its_window(tmp_path, venue, transport):
    """The order is lost on its way (the venue never sees it), so every query says "no such order". Once the
    acceptance window has passed, the background settler records NOT_PLACED. On HTX that answer holds only
    within 2 h of the order's send time (client ids are forgotten later), so the settler must know when the
    order was sent: without it HTX's order stayed undecided for ever."""
    async def main():
        async with _sim(venue) as sim, _connect(sim, venue, transport, tmp_path, acceptance_window_ms=300) as s:
            got = []
            s.on_settled.append(got.append)
            watched_then = []   # what the settler still watched when it delivered (must not be this order)
            s.on_settled.append(lambda ack: watched_then.append(s.settler.watching))
            sim.faults.add(f"drop:phase=before,count=1,transport={transport}")
            with pytest.raises(ExecutionUnknown) as ei:
                await s.place_order(SYMBOL[venue], "buy", "0.001", "46000", tif="IOC")
            clid = ei.value.client_order_id
            await _settled(got, within=5.0)
            assert (got[0].client_order_id, got[0].status) == (clid, "NOT_PLACED")
            assert sim.orders(venue) == [] and s.journal.pending() == []
            assert s.journal.outcome(clid)["st"] == "NOT_PLACED" and watched_then == [[]]
            assert s.settler.watching == []
    asyncio.run(main())


@pytest.mark.parametrize("venue,transport", PATHS)
def test_the_background_settler_takes_the_order_event_before_any_query(tmp_path, venue, transport):
    """With the order stream open, an order whose caller stopped waiting is settled from its event: no REST
    query is made for it (the query stays the fallback when no event comes)."""
    async def main():
        async with _sim(venue) as sim, _connect(sim, venue, transport, tmp_path, events=True) as s:
            got = []
            s.on_settled.append(got.append)
            queries = []
            real_query = s._query

            async def counting_query(*a, **kw):   # the real query, counted
                queries.append(a)
                return await real_query(*a, **kw)
            s._query = counting_query
            sim.faults.add(f"latency:ms=300,count=1,transport={transport}")   # the reply is slow
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(s.place_order(SYMBOL[venue], "buy", "0.001", "46000", tif="IOC"), 0.05)
            [pending] = s.journal.pending()
            await _settled(got)
            assert got[0].client_order_id == pending["c"]
            assert (got[0].status, got[0].order_id) == _venue_word(sim, venue, pending["c"])
            assert got[0].raw is not None and type(got[0].raw).__name__ == "OrderEvent"   # from the stream
            assert queries == [] and s.journal.pending() == []
    asyncio.run(main())
