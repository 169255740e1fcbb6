"""OKX trading operations against the embedded simulator, over REST and the WebSocket: open orders, balances,
cancel-all, batches (place, cancel, amend) with per-item results, amend-order, self-trade prevention,
quote-sized market orders, expTime per order, the dead-man's switch and the named environments
(docs/venues/okx.md)."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal

import pytest

import fastorder
from fastorder.errors import (
    AuthenticationError,
    ClientIdInUse,
    ConfigError,
    FilterRejected,
    InvalidOrder,
    NotSupported,
    OrderRejected,
    UnknownOrder,
)
from fastorder.sim import Simulator
from fastorder.sim.creds import OKX_DEMO_KEY, OKX_KEY, OKX_PASSPHRASE, OKX_SECRET
from fastorder.types import ACCEPTED, CANCEL_REQUESTED, CANCELED, NEW, Ack
from fastorder.venues.okx import OkxSession

LIVE = dict(key=OKX_KEY, secret=OKX_SECRET, passphrase=OKX_PASSPHRASE)
DEMO = dict(key=OKX_DEMO_KEY, secret=OKX_SECRET, passphrase=OKX_PASSPHRASE)
SYM = "BTC-USDT"
TRANSPORTS = pytest.mark.parametrize("transport", ["rest", "ws"])


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@contextlib.asynccontextmanager
async def okx(transport: str = "ws", creds=LIVE, sim_kw=None, **kw):
    async with Simulator(venues=("okx",), okx_limit_per_2s=0, seed=5, **(sim_kw or {})) as sim:
        args = dict(creds, url=sim.url("okx", "rest"), timeout=2.0, connections=1)
        if transport == "ws":
            args["ws_url"] = sim.url("okx", "ws")
        args.update(kw)
        async with fastorder.connect("okx", transport, **args) as s:
            yield sim, s


def book(sim) -> dict[str, dict]:
    """The simulator's true state of every user order, by client id."""
    return {o["client_order_id"]: o for o in sim.orders("okx") if o["client_order_id"]}


# -- open orders, balances, cancel-all ---------------------------------------------------------------------
@TRANSPORTS
def test_open_orders_and_balances_list_what_the_venue_holds(transport):
    async def main():
        async with okx(transport) as (sim, s):
            assert await s.open_orders() == []
            before = await s.balances()
            assert before["USDT"].locked in ("0", "") and Decimal(before["USDT"].free) > 0
            a = await s.place_order(SYM, "buy", "0.001", "45000")
            b = await s.place_order("ETH-USDT", "sell", "0.01", "4000")
            listed = await s.open_orders()
            assert {x.client_order_id for x in listed} == {a.client_order_id, b.client_order_id}
            one = {x.client_order_id: x for x in listed}[a.client_order_id]
            assert (one.status, one.side, one.symbol) == (NEW, "BUY", SYM)
            assert (Decimal(one.price), Decimal(one.quantity)) == (45000, Decimal("0.001"))
            assert [x.client_order_id for x in await s.open_orders("ETH-USDT")] == [b.client_order_id]
            after = await s.balances()
            assert Decimal(after["USDT"].locked) == Decimal("45")
            assert Decimal(after["USDT"].free) == Decimal(before["USDT"].free) - 45
            assert Decimal(after["ETH"].locked) == Decimal("0.01")
    run(main())


def test_open_orders_pages_past_one_hundred():
    async def main():
        async with okx("rest") as (sim, s):
            placed = await s.place_orders([{"symbol": SYM, "side": "buy", "quantity": "0.0001",
                                            "price": str(40000 + i)} for i in range(130)])
            assert all(isinstance(a, Ack) for a in placed)
            listed = await s.open_orders()
            assert len(listed) == 130 and len({x.order_id for x in listed}) == 130
    run(main())


@TRANSPORTS
def test_cancel_all_lists_then_batch_cancels_and_nothing_open_is_an_empty_list(transport):
    async def main():
        async with okx(transport) as (sim, s):
            assert await s.cancel_all() == []
            acks = await s.place_orders([{"symbol": SYM, "side": "buy", "quantity": "0.0001",
                                          "price": str(41000 + i)} for i in range(25)])
            other = await s.place_order("ETH-USDT", "buy", "0.01", "2000")
            done = await s.cancel_all(SYM)
            assert sorted(a.client_order_id for a in done) == sorted(a.client_order_id for a in acks)
            assert all(a.status == CANCEL_REQUESTED for a in done)
            truth = book(sim)
            assert all(truth[a.client_order_id]["status"] == "CANCELED" for a in acks)
            assert truth[other.client_order_id]["status"] == "NEW"
            assert [a.client_order_id for a in await s.cancel_all()] == [other.client_order_id]
            assert await s.open_orders() == []
    run(main())


# -- batches -------------------------------------------------------------------------------------------------
@TRANSPORTS
def test_a_batch_gives_each_order_its_ack_or_its_typed_error_in_order(transport):
    async def main():
        async with okx(transport) as (sim, s):
            orders = [{"symbol": SYM, "side": "buy", "quantity": "0.001", "price": "45000"},
                      {"symbol": SYM, "side": "buy", "quantity": "0.0000001", "price": "45000"},   # under minSz
                      {"symbol": SYM, "side": "buy", "quantity": "100000", "price": "45000"},      # no such balance
                      {"symbol": SYM, "side": "sideways", "quantity": "1", "price": "1"},          # refused locally
                      {"symbol": SYM, "side": "sell", "quantity": "0.001", "price": "55000", "client_order_id": "x1"}]
            res = await s.place_orders(orders)
            assert isinstance(res[0], Ack) and res[0].status == ACCEPTED
            assert isinstance(res[1], (FilterRejected, InvalidOrder))
            assert isinstance(res[2], fastorder.errors.InsufficientBalance)
            assert isinstance(res[3], InvalidOrder)
            assert isinstance(res[4], Ack) and res[4].client_order_id == "x1"
            truth = book(sim)
            assert truth[res[0].client_order_id]["status"] == "NEW" and truth["x1"]["status"] == "NEW"
            assert len(truth) == 2
            # the refused ones are not live: their ids are free; the placed ones are
            assert s.ledger.live_ids >= {res[0].client_order_id, "x1"}
            with pytest.raises(ClientIdInUse):
                await s.place_order(SYM, "buy", "0.001", "45000", client_order_id="x1")
    run(main())


@TRANSPORTS
def test_batch_cancel_and_batch_amend_per_item(transport):
    async def main():
        async with okx(transport) as (sim, s):
            placed = await s.place_orders([{"symbol": SYM, "side": "buy", "quantity": "0.002",
                                            "price": str(44000 + i)} for i in range(3)])
            ids = [a.client_order_id for a in placed]
            amended = await s.amend_orders([
                {"symbol": SYM, "client_order_id": ids[0], "price": "43000"},
                {"symbol": SYM, "client_order_id": ids[1], "quantity": "0.001"},
                {"symbol": SYM, "client_order_id": "nosuchorder", "quantity": "0.001"},
                {"symbol": SYM, "client_order_id": ids[2], "quantity": "0.0010000001"},   # off the lot size
            ])
            assert [type(r) for r in amended[:2]] == [Ack, Ack]
            assert isinstance(amended[2], UnknownOrder)
            assert isinstance(amended[3], (FilterRejected, InvalidOrder))
            truth = book(sim)
            assert Decimal(truth[ids[0]]["price"]) == 43000 and Decimal(truth[ids[1]]["qty"]) == Decimal("0.001")
            cancelled = await s.cancel_orders(SYM, client_order_ids=[ids[0], "nosuchorder", ids[2]])
            assert isinstance(cancelled[0], Ack) and cancelled[0].status == CANCEL_REQUESTED
            assert isinstance(cancelled[1], UnknownOrder) and isinstance(cancelled[2], Ack)
            truth = book(sim)
            assert [truth[i]["status"] for i in ids] == ["CANCELED", "NEW", "CANCELED"]
    run(main())


def test_a_batch_without_a_reply_settles_each_order_by_its_client_id():
    async def main():
        async with okx("ws") as (sim, s):
            sim.faults.add("drop:phase=after,count=1,transport=ws")   # processed, its reply lost
            res = await s.place_orders([{"symbol": SYM, "side": "buy", "quantity": "0.001",
                                         "price": str(45000 + i)} for i in range(3)])
            assert all(isinstance(r, Ack) and r.reconciled and r.status == NEW for r in res)
            truth = book(sim)
            assert all(truth[r.client_order_id]["status"] == "NEW" for r in res)
    run(main())


@pytest.mark.parametrize(("transport", "fault"), [("rest", "5xx:count=1"), ("rest", "drop:phase=after,count=1"),
                                                ("ws", "5xx:count=1")])
def test_a_batch_whose_outcome_is_unknown_is_settled_order_by_order(transport, fault):
    async def main():
        async with okx(transport) as (sim, s):
            await s.open_orders()   # the faults count requests from here on: the next one is the batch
            sim.faults.add(fault)
            res = await s.place_orders([{"symbol": SYM, "side": "buy", "quantity": "0.001",
                                         "price": str(45000 + i)} for i in range(3)])
            assert all(isinstance(r, Ack) and r.reconciled and r.status == NEW for r in res), res
            assert {r.client_order_id for r in res} <= s.ledger.live_ids
    run(main())


@TRANSPORTS
def test_a_refused_batch_is_each_orders_error_and_none_is_live(transport):
    async def main():
        async with okx(transport) as (sim, s):
            await s.open_orders()
            sim.faults.add("429:count=1,retry=1")
            res = await s.place_orders([{"symbol": SYM, "side": "buy", "quantity": "0.001",
                                         "price": str(45000 + i)} for i in range(3)])
            assert all(isinstance(r, fastorder.errors.RateLimited) for r in res), res
            assert not book(sim) and not s.ledger.live_ids   # nothing placed, no client id held
    run(main())


# -- amend ---------------------------------------------------------------------------------------------------
@TRANSPORTS
def test_amend_order_changes_price_and_size_and_refuses_what_okx_refuses(transport):
    async def main():
        async with okx(transport) as (sim, s):
            a = await s.place_order(SYM, "buy", "0.002", "45000")
            ack = await s.amend_order(SYM, client_order_id=a.client_order_id, price="45100", quantity="0.003")
            assert ack.status == ACCEPTED and ack.order_id == a.order_id
            o = book(sim)[a.client_order_id]
            assert (Decimal(o["price"]), Decimal(o["qty"])) == (45100, Decimal("0.003"))
            with pytest.raises(UnknownOrder):
                await s.amend_order(SYM, client_order_id="nosuchorder", price="45000")
            with pytest.raises((FilterRejected, InvalidOrder)):
                await s.amend_order(SYM, order_id=a.order_id, quantity="0.0000001")
            with pytest.raises(NotSupported):
                await s.amend_order(SYM, order_id=a.order_id, quantity="0.001", new_client_order_id="b")
            await s.cancel_order(SYM, order_id=a.order_id)
            with pytest.raises(UnknownOrder):   # 51503: filled or cancelled
                await s.amend_order(SYM, order_id=a.order_id, quantity="0.001")
    run(main())


@TRANSPORTS
def test_amend_keeps_the_queue_place_only_for_a_smaller_size_at_the_same_price(transport):
    """OKX does not document queue priority on amend; the simulator applies price-time priority (docs/venues/
    okx.md): a smaller size keeps the order's place, a larger size or a new price sends it to the back."""
    async def main():
        async with okx(transport) as (sim, s):
            def level(px: str) -> list[str]:
                return [o.cid for o in sim.exchange("okx").books[SYM].bids.get(Decimal(px), ())]
            a = await s.place_order(SYM, "buy", "0.003", "45000", client_order_id="qa")
            await s.place_order(SYM, "buy", "0.001", "45000", client_order_id="qb")
            await s.amend_order(SYM, order_id=a.order_id, quantity="0.002")
            assert level("45000") == ["qa", "qb"]
            await s.amend_order(SYM, order_id=a.order_id, quantity="0.004")
            assert level("45000") == ["qb", "qa"]
            await s.amend_order(SYM, client_order_id="qb", price="45000.1")
            await s.amend_order(SYM, client_order_id="qb", price="45000")
            assert level("45000") == ["qa", "qb"] and level("45000.1") == []
    run(main())


# -- place_order's options -----------------------------------------------------------------------------------
@TRANSPORTS
@pytest.mark.parametrize(("stp", "maker_left", "taker_status"), [
    ("cancel_maker", "CANCELED", "NEW"),            # the resting order goes; the taker rests in its place
    ("cancel_taker", "NEW", "CANCELED"),
    ("cancel_both", "CANCELED", "CANCELED"),
])
def test_self_trade_prevention_is_the_takers_mode(transport, stp, maker_left, taker_status):
    async def main():
        async with okx(transport) as (sim, s):
            ask = sim.exchange("okx").books[SYM].best_ask()
            mine = await s.place_order(SYM, "sell", "0.001", str(ask - Decimal("0.1")))   # our own best ask
            taker = await s.place_order(SYM, "buy", "0.001", str(ask - Decimal("0.1")), stp=stp)
            truth = book(sim)
            status = {"EXPIRED_IN_MATCH": "CANCELED"}
            assert status.get(truth[mine.client_order_id]["status"], truth[mine.client_order_id]["status"]) == maker_left
            got = truth[taker.client_order_id]["status"]
            assert status.get(got, got) == taker_status
            assert Decimal(truth[taker.client_order_id]["executed_qty"]) == 0   # never traded with itself
            if maker_left == "CANCELED":
                q = await s.query_order(SYM, client_order_id=mine.client_order_id)
                assert q.status == CANCELED and q.raw["data"][0]["cancelSource"] == "32"
            with pytest.raises(NotSupported):   # OKX's prevention cannot be turned off
                await s.place_order(SYM, "buy", "0.001", "45000", stp="none")
            with pytest.raises(InvalidOrder):   # cancel_both takes no FOK order (54036): refused before sending
                await s.place_order(SYM, "buy", "0.001", "45000", tif="FOK", stp="cancel_both")
    run(main())


@TRANSPORTS
def test_quote_sized_market_order_and_expire_ms(transport):
    async def main():
        async with okx(transport) as (sim, s):
            ack = await s.place_order(SYM, "buy", None, type="market", quote_quantity="100")
            o = book(sim)[ack.client_order_id]
            assert o["status"] == "FILLED"
            assert abs(Decimal(o["cum_quote"]) - 100) < 1
            exp = s.now_ms() + 5000
            ok = await s.place_order(SYM, "buy", "0.001", "45000", expire_ms=exp)
            assert book(sim)[ok.client_order_id]["status"] == "NEW"
            with pytest.raises(InvalidOrder):   # already past on the venue's clock: refused before sending
                await s.place_order(SYM, "buy", "0.001", "45000", expire_ms=s.now_ms() - 1)
            with pytest.raises(NotSupported) as ei:
                await s.place_order(SYM, "sell", "0.001", type="stop_loss", stop_price="40000")
            assert "order-algo" in str(ei.value)
    run(main())


# -- environments --------------------------------------------------------------------------------------------
def test_environments_by_name():
    s = OkxSession(transport="ws", env="demo", **DEMO)
    assert s.simulated and s.env == "demo" and s.ws.host == "wspap.okx.com"
    with pytest.raises(ConfigError) as ei:
        OkxSession(transport="ws", env="testnet", **LIVE)
    assert "demo" in str(ei.value)
    with pytest.raises(ConfigError):
        OkxSession(transport="ws", env="live", simulated=True, **LIVE)


@TRANSPORTS
def test_a_demo_key_on_live_is_the_venues_authentication_error(transport):
    async def main():
        with pytest.raises(AuthenticationError) as ei:
            async with okx(transport, creds=DEMO, env="live") as (_sim, s):
                await s.open_orders()   # REST: the first signed request; WS: already the login
        assert ei.value.code == "50101"
        async with okx(transport, creds=DEMO, env="demo", sim_kw={"okx_ws_env": "demo"}) as (sim, s):
            assert (await s.place_order(SYM, "buy", "0.001", "45000")).status == ACCEPTED
    run(main())


_ = (CANCELED, OrderRejected)


# -- the dead-man's switch -----------------------------------------------------------------------------------
_CLIENT = """
import asyncio, sys
import fastorder
async def main():
    s = await fastorder.connect("okx", sys.argv[1], key=sys.argv[2], secret=sys.argv[3], passphrase=sys.argv[4],
                                url=sys.argv[5], ws_url=sys.argv[6], timeout=2.0, connections=1,
                                cancel_on_disconnect=10)
    ack = await s.place_order("BTC-USDT", "buy", "0.001", "45000")
    print(ack.client_order_id, flush=True)
    await asyncio.sleep(600)   # killed long before
asyncio.run(main())
"""


@TRANSPORTS
def test_the_simulator_cancels_every_open_order_when_a_killed_client_stops_refreshing(transport):
    """connect(cancel_on_disconnect=10) arms cancel-all-after (10 s, OKX's shortest) and keeps re-arming it; a
    client process killed with SIGKILL stops, and the simulator cancels its orders when the 10 s run out
    (cancelSource 20, "Cancel all after triggered")."""
    import sys

    async def main():
        async with Simulator(venues=("okx",), okx_limit_per_2s=0, seed=7) as sim:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-c", _CLIENT, transport, OKX_KEY, OKX_SECRET, OKX_PASSPHRASE, sim.url("okx", "rest"),
                sim.url("okx", "ws"), stdout=asyncio.subprocess.PIPE)
            try:
                clid = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
                assert clid and sim.order("okx", client_order_id=clid)["status"] == "NEW"
                armed = sim.apps["okx"]._caa["main"][0]
            finally:
                proc.kill()   # SIGKILL: nothing of the client runs after this
                await proc.wait()
            assert armed > 0
            loop = asyncio.get_running_loop()
            end = loop.time() + 15
            while sim.order("okx", client_order_id=clid)["status"] == "NEW":
                assert loop.time() < end, "the switch did not fire"
                await asyncio.sleep(0.2)
            o = sim.exchange("okx").find("main", None, clid)
            assert o.status == "CANCELED" and o.cancel_source == "20"
    run(main(), timeout=90)


def test_cancel_on_disconnect_range_and_refresh():
    with pytest.raises(ConfigError):
        OkxSession(transport="rest", cancel_on_disconnect=5, **LIVE)
    with pytest.raises(ConfigError):
        OkxSession(transport="rest", cancel_on_disconnect=121, **LIVE)

    async def main():
        async with okx("rest", cancel_on_disconnect=30) as (sim, s):
            first = sim.apps["okx"]._caa["main"][0]
            await asyncio.sleep(1.1)   # the venue takes one cancel-all-after a second
            await s._arm_cancel_after(30)   # what the background loop does every 10 s
            assert sim.apps["okx"]._caa["main"][0] > first
            a = await s.place_order(SYM, "buy", "0.001", "45000")
            assert book(sim)[a.client_order_id]["status"] == "NEW"
    run(main())
