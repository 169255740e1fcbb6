"""HTX spot trading operations against the simulator over REST (HTX has no WebSocket order entry): open orders
(paged), balances, cancel-all, batch place / cancel with per-item results, what HTX lacks (amend), the dead
man's switch, self-match-prevent, quote-sized market orders and environments."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal

import pytest

import fastorder
from fastorder.errors import AuthenticationError, ConfigError, NotSupported, RateLimited
from fastorder.journal import OrderJournal
from fastorder.sim import Simulator, creds
from fastorder.types import CANCEL_REQUESTED

SYM = "btcusdt"
REST_PX, TAKE_PX = "46000", "54000"   # resting / taking, both inside HTX's price band around 50000
CREDS = dict(key=creds.HTX_KEY, secret=creds.HTX_SECRET)


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@contextlib.asynccontextmanager
async def session(limit: int = 0, **kw):
    async with Simulator(venues=("htx",), htx_limit_per_2s=limit, seed=5) as sim:
        async with fastorder.connect("htx", "rest", url=sim.url("htx"), allow_plaintext=True, timeout=2.0,
                                     **CREDS, **kw) as s:
            yield sim, s


def test_open_orders_lists_every_page_and_filters_by_symbol():
    async def main():
        async with session() as (sim, s):
            assert await s.open_orders() == []
            placed = await asyncio.gather(*(s.place_order(SYM, "buy", "0.001", REST_PX) for _ in range(7)))
            eth = await s.place_order("ethusdt", "sell", "0.01", "3200")
            import fastorder.venues.htx as htx_mod
            old = htx_mod._OPEN_PAGE
            htx_mod._OPEN_PAGE = 3   # pages of 3: the from/direct paging is what is under test
            try:
                listed = await s.open_orders()
                btc = await s.open_orders(SYM)
            finally:
                htx_mod._OPEN_PAGE = old
            assert sorted(a.order_id for a in listed) == sorted([a.order_id for a in placed] + [eth.order_id])
            assert sorted(a.client_order_id for a in btc) == sorted(a.client_order_id for a in placed)
            assert {a.status for a in listed} == {"NEW"} and {a.symbol for a in btc} == {SYM}
            one = next(a for a in listed if a.order_id == eth.order_id)
            assert (one.side, Decimal(one.price), Decimal(one.quantity), one.symbol) == (
                "SELL", Decimal("3200"), Decimal("0.01"), "ethusdt")
    run(main())


def test_balances_split_free_and_locked():
    async def main():
        async with session() as (sim, s):
            before = await s.balances()
            assert Decimal(before["usdt"].free) == Decimal("1000000") and Decimal(before["usdt"].locked) == 0
            await s.place_order(SYM, "buy", "0.01", REST_PX)   # locks 460 USDT
            after = await s.balances()
            assert Decimal(after["usdt"].locked) == Decimal("460")
            assert Decimal(after["usdt"].free) == Decimal("1000000") - 460
            assert after["btc"].asset == "btc"
    run(main())


def test_cancel_all_cancels_in_rounds_and_returns_what_it_canceled():
    async def main():
        async with session() as (sim, s):
            assert await s.cancel_all() == []   # nothing open: one request, next-id -1
            placed = await asyncio.gather(*(s.place_order(SYM, "buy", "0.001", REST_PX) for _ in range(5)))
            eth = await s.place_order("ethusdt", "sell", "0.01", "3200")
            import fastorder.venues.htx as htx_mod
            old = htx_mod._CANCEL_OPEN_SIZE
            htx_mod._CANCEL_OPEN_SIZE = 2   # 2 a request: the next-id loop is what is under test
            try:
                acks = await s.cancel_all(SYM)
            finally:
                htx_mod._CANCEL_OPEN_SIZE = old
            assert sorted(a.order_id for a in acks) == sorted(a.order_id for a in placed)
            assert {a.status for a in acks} == {CANCEL_REQUESTED}
            assert {o["status"] for o in sim.orders("htx") if o["symbol"] == SYM} == {"CANCELED"}
            assert sim.order("htx", order_id=int(eth.order_id))["status"] == "NEW"   # other symbol untouched
            rest = await s.cancel_all()
            assert [a.order_id for a in rest] == [eth.order_id]
            assert await s.open_orders() == []
    run(main())


def test_environments():
    from fastorder.venues.htx import AWS_REST_URL

    s = fastorder.connect("htx", "rest", env="live", **CREDS)
    assert (s.rest.host, s.default_events_url) == ("api.huobi.pro", "wss://api.huobi.pro/ws/v2")
    s = fastorder.connect("htx", "rest", url=AWS_REST_URL, **CREDS)   # HTX's host for clients in AWS
    assert (s.rest.host, s.default_events_url) == ("api-aws.huobi.pro", "wss://api-aws.huobi.pro/ws/v2")
    with pytest.raises(ConfigError, match="testnet"):
        fastorder.connect("htx", "rest", env="testnet", **CREDS)
    with pytest.raises(ConfigError, match="demo"):
        fastorder.connect("htx", "rest", env="demo", **CREDS)


def test_a_wrong_key_is_an_authentication_error():
    async def main():
        async with Simulator(venues=("htx",), seed=5) as sim:
            with pytest.raises(fastorder.errors.AuthenticationError) as ei:
                async with fastorder.connect("htx", "rest", url=sim.url("htx"), allow_plaintext=True,
                                             key="wrong-key", secret=creds.HTX_SECRET):
                    pass
            assert ei.value.code == "api-signature-not-valid"
    run(main())


def test_amend_is_not_supported_and_names_the_closest():
    async def main():
        async with session() as (sim, s):
            live = await s.place_order(SYM, "buy", "0.001", REST_PX)
            with pytest.raises(NotSupported, match="cancel"):
                await s.amend_order(SYM, order_id=live.order_id, price="46001")
            with pytest.raises(NotSupported, match="cancel"):
                await s.amend_orders([{"symbol": SYM, "order_id": live.order_id, "price": "46001"},
                                      {"symbol": SYM, "order_id": live.order_id, "quantity": "0.002"}])
    run(main())


def _order(px: str = REST_PX, **kw):
    return dict({"symbol": SYM, "side": "buy", "quantity": "0.001", "price": px}, **kw)


def test_place_orders_in_batches_of_ten_with_per_item_results_in_order():
    async def main():
        async with session() as (sim, s):
            orders = [_order() for _ in range(12)]
            orders[3] = _order(quantity="0.0001")    # under the 5 USDT minimum value: refused locally, never sent
            orders[5] = _order(px="56000")           # above HTX's price band (110 % of the last price): the venue says
            orders[7] = _order(side="hold")          # refused locally, never sent
            orders[10] = _order(type="market", quantity=None, quote_quantity="20", price=None)   # buy-market sized in USDT
            res = await s.place_orders(orders)
            assert len(res) == 12
            assert isinstance(res[3], fastorder.errors.FilterViolation)
            assert isinstance(res[5], fastorder.errors.FilterRejected)
            assert res[5].code == "order-limitorder-price-max-error"
            assert isinstance(res[7], fastorder.errors.InvalidOrder) and res[7].field == "side"
            acks = [r for i, r in enumerate(res) if i not in (3, 5, 7)]
            assert all(isinstance(a, fastorder.types.Ack) and a.order_id for a in acks)
            by_cid = {o["client_order_id"]: o for o in sim.orders("htx") if o["client_order_id"]}
            assert len(by_cid) == 9 and all(a.client_order_id in by_cid for a in acks)
            assert by_cid[res[10].client_order_id]["status"] == "FILLED"
            assert res[5].client_order_id and res[5].client_order_id not in by_cid
            # the refused order's client id is free again; the resting ones are live
            assert res[5].client_order_id not in s.ledger.live_ids
            assert {a.client_order_id for a in acks if a is not res[10]} <= s.ledger.live_ids
    run(main())


def test_a_batch_without_a_reply_settles_each_order_by_its_client_id(tmp_path):
    async def main():
        journal = OrderJournal(tmp_path / "j")
        async with session(journal=journal) as (sim, s):
            sim.faults.add("drop:phase=after,count=1")   # the batch is executed, its reply lost
            res = await s.place_orders([_order() for _ in range(3)])
            assert [r.reconciled for r in res] == [True] * 3
            assert {r.status for r in res} == {"NEW"}
            assert sorted(r.order_id for r in res) == sorted(str(o["order_id"]) for o in sim.orders("htx")
                                                                  if o["client_order_id"])
            # journalled before the batch was sent; settled (NEW: still live) once the queries answered
            assert journal.pending("htx") == []
            assert [journal.outcome(r.client_order_id)["o"] for r in res] == [r.order_id for r in res]
            assert {r.client_order_id for r in res} <= s.ledger.live_ids
        journal.close()
    run(main())


def test_cancel_orders_maps_success_and_failed_back_in_order():
    async def main():
        async with session() as (sim, s):
            res = await s.place_orders([_order() for _ in range(4)])
            filled = await s.place_order(SYM, "buy", "0.001", TAKE_PX)
            ids = [res[0].order_id, "123", res[1].order_id, filled.order_id, res[2].order_id]
            out = await s.cancel_orders(SYM, order_ids=ids)
            assert [getattr(a, "status", None) for a in out] == [CANCEL_REQUESTED, None, CANCEL_REQUESTED, "FILLED",
                                                                CANCEL_REQUESTED]
            assert isinstance(out[1], fastorder.errors.UnknownOrder)
            assert sim.order("htx", order_id=int(res[3].order_id))["status"] == "NEW"
            # by client id; one of them already canceled: its final state, code 7
            out = await s.cancel_orders(SYM, client_order_ids=[res[3].client_order_id, res[0].client_order_id])
            assert [a.status for a in out] == [CANCEL_REQUESTED, "CANCELED"]
            assert await s.open_orders() == []
    run(main())


_CLIENT = """
import asyncio, sys
import fastorder
from fastorder.sim import creds

async def main():
    s = await fastorder.connect("htx", "rest", url=sys.argv[1], allow_plaintext=True, key=creds.HTX_KEY,
                                secret=creds.HTX_SECRET, cancel_on_disconnect=5)
    for _ in range(3):
        await s.place_order("btcusdt", "buy", "0.001", "46000")
    print("ready", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


def test_dead_mans_switch_cancels_every_order_after_the_client_is_killed():
    async def main():
        import signal
        import sys
        import time
        async with Simulator(venues=("htx",), htx_limit_per_2s=0, seed=5) as sim:
            proc = await asyncio.create_subprocess_exec(sys.executable, "-c", _CLIENT, sim.url("htx"),
                                                        stdout=asyncio.subprocess.PIPE)
            try:
                line = await asyncio.wait_for(proc.stdout.readline(), 30)
                assert line.strip() == b"ready"
                mine = [o for o in sim.orders("htx") if o["client_order_id"]]
                assert len(mine) == 3 and {o["status"] for o in mine} == {"NEW"}
                await asyncio.sleep(2)   # the switch is refreshed every 5/3 s while the client lives
                assert sim.apps["htx"].dms_fired == 0
                proc.send_signal(signal.SIGKILL)
                killed = time.monotonic()
                await proc.wait()
                while sim.apps["htx"].dms_fired == 0 and time.monotonic() - killed < 10:
                    await asyncio.sleep(0.1)
                lapsed = time.monotonic() - killed
                assert sim.apps["htx"].dms_fired == 1
                assert 3 <= lapsed <= 6   # armed for 5 s at most 5/3 s before the kill
                assert {o["status"] for o in sim.orders("htx") if o["client_order_id"]} == {"CANCELED"}
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
    run(main(), timeout=60)


def test_dead_mans_switch_range_and_venue_checks():
    with pytest.raises(ConfigError, match="between 5"):
        fastorder.connect("htx", "rest", cancel_on_disconnect=2, **CREDS)

    async def main():
        async with session(cancel_on_disconnect=5) as (sim, s):
            app = sim.apps["htx"]
            assert len(app._dms) == 1   # armed at connect, for this account
            first = next(iter(app._dms.values()))
            await s.place_order(SYM, "buy", "0.001", REST_PX)
            await asyncio.sleep(2.0)   # the background loop re-arms at a third of the timeout (5/3 s)
            again = next(iter(app._dms.values()))
            assert again is not first and again.when() >= first.when() + 1.5
        # closed without disarming: the switch still runs (it exists for a client that stops refreshing)
        assert len(app._dms) == 1
    run(main())


def test_dead_mans_switch_errors_are_htxs_conditional_order_codes():
    """POST /v2/algo-orders/cancel-all-after answers in the v2 envelope with the codes of HTX's conditional-order
    endpoints, each produced where the venue produces it and mapped: 1006 when the venue rate-limits the
    request (Retry-After carried over), 1003 when the signature is wrong (the key's secret changed on the
    venue), 1002 when the account does not exist (the key was deleted), 2002 for a timeout HTX refuses."""
    from fastorder.sim.common import HmacSha256

    async def main():
        async with session() as (sim, s):
            app = sim.apps["htx"]
            await s._arm_cancel_after(10)
            assert len(app._dms) == 1

            sim.faults.add("429:venue=htx,count=1,retry=3")
            with pytest.raises(RateLimited) as ei:
                await s._arm_cancel_after(10)
            assert ei.value.code == 1006 and ei.value.retry_after == 3

            mac = app._mac[creds.HTX_KEY]
            app._mac[creds.HTX_KEY] = HmacSha256(b"a regenerated secret")
            with pytest.raises(AuthenticationError) as ei:
                await s._arm_cancel_after(10)
            assert ei.value.code == 1003
            app._mac[creds.HTX_KEY] = mac

            key = app.keys.pop(creds.HTX_KEY)
            with pytest.raises(AuthenticationError) as ei:
                await s._arm_cancel_after(10)
            assert ei.value.code == 1002
            app.keys[creds.HTX_KEY] = key

            await s._arm_cancel_after(5)   # the key back: armed again
            assert len(app._dms) == 1
    run(main())


def test_self_match_prevent_and_quote_sized_market_orders():
    async def main():
        async with session() as (sim, s):
            ask = await s.place_order(SYM, "sell", "0.001", "50000.2")
            # HTX's default allows a self-trade: the taker fills against the account's own ask
            t = await s.place_order(SYM, "buy", "0.001", "50000.2")
            assert sim.order("htx", order_id=int(t.order_id))["status"] == "FILLED"
            assert sim.order("htx", order_id=int(ask.order_id))["status"] == "FILLED"
            ask = await s.place_order(SYM, "sell", "0.001", "50000.2")
            t = await s.place_order(SYM, "buy", "0.001", "50000.2", stp="cancel_taker")   # self-match-prevent 1
            assert sim.order("htx", order_id=int(t.order_id))["status"] == "EXPIRED_IN_MATCH"
            assert sim.order("htx", order_id=int(ask.order_id))["status"] == "NEW"       # the maker stays
            for mode in ("cancel_maker", "cancel_both"):
                with pytest.raises(NotSupported, match="cancel_taker"):
                    await s.place_order(SYM, "buy", "0.001", "50000.2", stp=mode)
            with pytest.raises(fastorder.errors.InvalidOrder):
                await s.place_order(SYM, "buy", "0.001", "50000.2", stp="EXPIRE_MAKER")
            # a market buy is sized in USDT (HTX's buy-market amount is the order value)
            m = await s.place_order(SYM, "buy", None, type="market", quote_quantity="30")
            o = sim.order("htx", order_id=int(m.order_id))
            assert o["status"] == "FILLED" and Decimal(o["cum_quote"]) <= 30
            with pytest.raises(fastorder.errors.InvalidOrder, match="base asset"):
                await s.place_order(SYM, "sell", None, type="market", quote_quantity="30")
            with pytest.raises(fastorder.errors.InvalidOrder, match="quote_quantity"):
                await s.place_order(SYM, "buy", "0.001", type="market")
            with pytest.raises(NotSupported):
                await s.place_order(SYM, "buy", "0.001", "50000.2", expire_ms=1)
            with pytest.raises(NotSupported):
                await s.place_order(SYM, "buy", "0.001", "50000.2", type="stop_loss_limit", stop_price="50000")
    run(main())


def test_a_stale_timestamp_refuses_the_whole_batch_and_resyncs_the_clock():
    async def main():
        async with session() as (sim, s):
            sim.apps["htx"].advance_clock(400_000)   # the venue's clock jumps: our timestamps are stale
            res = await s.place_orders([_order() for _ in range(3)])
            assert all(isinstance(r, fastorder.errors.TimestampRejected) for r in res)
            assert not any(r.client_order_id in s.ledger.live_ids for r in res if r.client_order_id)
            assert s.clock.offset_ms > 390_000       # re-measured at once
            res = await s.place_orders([_order() for _ in range(3)])
            assert all(r.order_id for r in res)
            assert len([o for o in sim.orders("htx") if o["client_order_id"]]) == 3
    run(main())


def test_large_batches_split_at_the_venue_limits_and_a_repeated_client_id_is_refused():
    async def main():
        async with session() as (sim, s):
            orders = [_order(client_order_id=f"big{i}") for i in range(55)] + [_order(client_order_id="big3")]
            res = await s.place_orders(orders)          # 6 batch requests (10 a request)
            assert isinstance(res[55], fastorder.errors.ClientIdInUse)
            assert [r.client_order_id for r in res[:55]] == [f"big{i}" for i in range(55)]
            out = await s.cancel_orders(SYM, client_order_ids=[f"big{i}" for i in range(55)])   # 50 + 5
            assert [a.status for a in out] == [CANCEL_REQUESTED] * 55
            assert await s.open_orders() == []
    run(main())


def test_cancel_all_queries_each_listed_order_when_the_counts_do_not_cover_them():
    async def main():
        async with session() as (sim, s):
            live = await asyncio.gather(*(s.place_order(SYM, "buy", "0.001", REST_PX) for _ in range(2)))
            gone = await s.place_order(SYM, "buy", "0.001", REST_PX)
            listing = await s.open_orders(SYM)                  # three open orders, listed
            await s.cancel_order(SYM, order_id=gone.order_id)   # one of them ends before the cancel-all
            real = s._open_orders

            async def stale(info):
                await real(info)
                return listing
            s._open_orders = stale   # the cancel-all sees the listing made before that cancel
            acks = await s.cancel_all(SYM)                      # the venue counts 2 canceled of 3 listed
            assert sorted(a.order_id for a in acks) == sorted([a.order_id for a in live] + [gone.order_id])
            assert {a.status for a in acks} == {"CANCELED"}    # each queried: its real state
            assert all(a.client_order_id not in s.ledger.live_ids for a in acks)
    run(main())
