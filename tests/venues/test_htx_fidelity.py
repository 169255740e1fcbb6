"""HTX as the venue behaves, client and simulator together: cancel-by-client-id status codes, client ids that
are forgotten after 2 h / 8 h (recover() never calls a forgotten order NOT_PLACED), the timestamp error and its
clock re-sync, the rate-limit code and headers blocking the guard."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

import fastorder
from fastorder.errors import ClientIdInUse, RateLimited, TimestampRejected, UnknownOrder
from fastorder.journal import OrderJournal
from fastorder.sim import Simulator, creds
from fastorder.types import CANCEL_REQUESTED, CANCELED, FILLED

SYM = "btcusdt"
REST_PX, TAKE_PX = "46000", "54000"   # resting / taking, both inside HTX's price band around 50000
HOUR = 3_600_000
CREDS = dict(key=creds.HTX_KEY, secret=creds.HTX_SECRET)


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@contextlib.asynccontextmanager
async def session(limit: int = 0, **kw):
    async with Simulator(venues=("htx",), htx_limit_per_2s=limit, seed=3) as sim:
        async with fastorder.connect("htx", "rest", url=sim.url("htx"), allow_plaintext=True, timeout=2.0,
                                     **CREDS, **kw) as s:
            yield sim, s


def test_cancel_by_client_id_maps_every_status_code():
    async def main():
        async with session() as (sim, s):
            live = await s.place_order(SYM, "buy", "0.001", REST_PX)
            ack = await s.cancel_order(SYM, client_order_id=live.client_order_id)
            # the reply's data is a status code (10 cancelling), never an order id
            assert (ack.status, ack.order_id, ack.raw["data"]) == (CANCEL_REQUESTED, "", 10)
            assert sim.order("htx", client_order_id=live.client_order_id)["status"] == "CANCELED"
            again = await s.cancel_order(SYM, client_order_id=live.client_order_id)
            assert (again.status, again.raw["data"]) == (CANCELED, 7)
            filled = await s.place_order(SYM, "buy", "0.001", TAKE_PX)
            ack = await s.cancel_order(SYM, client_order_id=filled.client_order_id)
            assert (ack.status, ack.raw["data"]) == (FILLED, 6)
            with pytest.raises(UnknownOrder) as ei:
                await s.cancel_order(SYM, client_order_id="never-sent-1")
            assert ei.value.code == 0
            # by order id a final order is an order-orderstate-error naming its state: the final status
            ack = await s.cancel_order(SYM, order_id=live.order_id)
            assert ack.status == CANCELED and ack.raw["order-state"] == 7
            ack = await s.cancel_order(SYM, order_id=filled.order_id)
            assert ack.status == FILLED
    run(main())


def test_timestamp_rejection_resyncs_the_clock():
    async def main():
        async with session() as (sim, s):
            sim.apps["htx"].advance_clock(400_000)   # the venue's clock jumps: our timestamps are now stale
            with pytest.raises(TimestampRejected) as ei:
                await s.place_order(SYM, "buy", "0.001", REST_PX)
            assert "Invalid submission time" in str(ei.value)
            assert s.clock.offset_ms > 390_000             # re-measured at once
            ack = await s.place_order(SYM, "buy", "0.001", REST_PX)
            assert ack.order_id
            assert len(sim.orders("htx")) == 1
    run(main())


def test_rate_limit_headers_block_the_guard_before_the_venue_refuses():
    async def main():
        # the whole published limit (margin 1.0): the venue's own count, not the guard's margin, is under test
        async with session(limit=3, rate_limit_margin=1.0) as (sim, s):
            for _ in range(3):
                await s.place_order(SYM, "buy", "0.001", REST_PX)
            # the third reply said X-HB-RateLimit-Requests-Remain: 0: the next order is refused locally
            with pytest.raises(RateLimited) as ei:
                await s.place_order(SYM, "buy", "0.001", REST_PX)
            assert ei.value.code == "local" and 0 < ei.value.retry_after <= 2.1
            assert len(sim.orders("htx")) == 3
    run(main())


def test_venue_rate_limit_code_is_rate_limited_and_blocks():
    async def main():
        async with session(limit=1, rate_limit=False) as (sim, s):
            s.guard.windows.clear()   # no local window: the venue's refusal itself must block
            await s.place_order(SYM, "buy", "0.001", REST_PX)
            with pytest.raises(RateLimited) as ei:
                await s.place_order(SYM, "buy", "0.001", REST_PX)
            assert ei.value.code == "base-request-exceed-frequency-limit"
            assert s.guard.blocked_until_ms > s.now_ms()
            assert len(sim.orders("htx")) == 1
    run(main())


def test_recover_never_calls_a_forgotten_client_id_not_placed(tmp_path):
    async def main():
        path = tmp_path / "j.jsonl"
        async with session() as (sim, s):
            # an order the venue filled whose reply was lost, and one that never reached the venue
            late = await s.place_order(SYM, "buy", "0.001", TAKE_PX, client_order_id="late1")
            j = OrderJournal(path, fsync="never")
            t0 = s.now_ms()
            j.sent("htx", SYM, "late1", "BUY", "0.001", TAKE_PX, t0, t0 + s.acceptance_window_ms)
            j.sent("htx", SYM, "gone1", "BUY", "0.001", REST_PX, t0, t0 + s.acceptance_window_ms)
            j.flush()
            # 3 hours later: a final order's client id is forgotten after 2 h
            sim.apps["htx"].advance_clock(3 * HOUR)
            await s.sync_clock()
            now = s.now_ms()
            # and one sent 10 minutes ago, its acceptance window over: still inside the client-id window
            j.sent("htx", SYM, "gone2", "BUY", "0.001", REST_PX, now - 600_000, now - 299_000)
            s.ledger.journal = j
            acks = {a.client_order_id: a for a in await s.recover()}
            assert acks["late1"].status == FILLED and acks["late1"].order_id == late.order_id
            assert acks["late1"].reconciled
            assert acks["gone2"].status == "NOT_PLACED"
            assert "gone1" not in acks                       # undecided: left pending, not NOT_PLACED
            assert [r["c"] for r in j.pending("htx")] == ["gone1"]
    run(main())


def test_recover_finds_an_open_order_past_its_client_id_window(tmp_path):
    async def main():
        async with session() as (sim, s):
            live = await s.place_order(SYM, "buy", "0.001", REST_PX, client_order_id="open9")
            j = OrderJournal(tmp_path / "j.jsonl", fsync="never")
            t0 = s.now_ms()
            j.sent("htx", SYM, "open9", "BUY", "0.001", REST_PX, t0, t0 + s.acceptance_window_ms)
            sim.apps["htx"].advance_clock(9 * HOUR)   # past the open order's 8 h
            await s.sync_clock()
            s.ledger.journal = j
            (ack,) = await s.recover()
            assert ack.order_id == live.order_id and ack.status == "NEW" and ack.reconciled
    run(main())


def test_a_live_client_id_is_refused_locally_though_htx_would_take_it():
    async def main():
        async with session() as (sim, s):
            first = await s.place_order(SYM, "buy", "0.001", REST_PX, client_order_id="reuse1")
            with pytest.raises(ClientIdInUse):
                await s.place_order(SYM, "buy", "0.001", REST_PX, client_order_id="reuse1")
            assert len(sim.orders("htx")) == 1                # nothing was sent
            ack = await s.cancel_order(SYM, client_order_id="reuse1")
            assert ack.status == CANCEL_REQUESTED             # not final yet as far as the reply says
            with pytest.raises(ClientIdInUse):
                await s.place_order(SYM, "buy", "0.001", REST_PX, client_order_id="reuse1")
            assert (await s.query_order(SYM, client_order_id="reuse1")).status == CANCELED
            second = await s.place_order(SYM, "buy", "0.001", REST_PX, client_order_id="reuse1")
            # HTX itself takes the duplicate, and a query by client id now answers with the newer order
            assert second.order_id != first.order_id
            assert (await s.query_order(SYM, client_order_id="reuse1")).order_id == second.order_id
    run(main())


def test_http_429_blocks_for_its_retry_after():
    async def main():
        async with session() as (sim, s):
            sim.faults.add("429:retry=3,count=1")
            with pytest.raises(RateLimited) as ei:
                await s.place_order(SYM, "buy", "0.001", REST_PX)
            assert ei.value.http_status == 429 and ei.value.retry_after == 3
            assert s.guard.blocked_until_ms - s.now_ms() > 2500
            with pytest.raises(RateLimited) as ei:   # refused locally: nothing sent during the block
                await s.place_order(SYM, "buy", "0.001", REST_PX)
            assert ei.value.code == "local"
            assert sim.orders("htx") == []
    run(main())
