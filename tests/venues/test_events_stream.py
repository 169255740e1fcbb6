"""Order and fill events end to end: the simulator's Binance user data stream (a real WebSocket on a real
socket) to `session.events()` / `session.on_event`, with the stream dropped, delayed and terminated."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

import fastorder
from fastorder.events import OrderEvent, StreamGap
from fastorder.sim import BinanceLimits, Simulator
from fastorder.sim import creds as sim_creds
from fastorder.types import CANCELED, EXPIRED, FILLED, NEW, PARTIALLY_FILLED

HMAC = dict(key="vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
            secret="NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")
ED = dict(key="4yNzx3yWC5bS6YTwEkSRaC0nRmSQIIStAUOh1b6kqaBrTLIhjCpI5lJH8q8R8WNO")
REST_PX, TAKE_PX = "46000", "54000"


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@contextlib.asynccontextmanager
async def session(transport: str = "ws", *, ed25519: bool = False, **kw):
    async with Simulator(venues=("binance",), binance_limits=BinanceLimits(enabled=False), seed=1) as sim:
        creds = dict(ED, private_key=sim_creds.ed25519_private_key()) if ed25519 else HMAC
        async with fastorder.connect("binance", transport, url=sim.url("binance", "rest"),
                                     ws_url=sim.url("binance", "ws"), timeout=2.0, events=True, **creds, **kw) as s:
            yield sim, s


async def collect(s, seen: list, until, timeout: float = 5.0) -> None:
    async def loop():
        async for ev in s.events():
            seen.append(ev)
            if until(seen):
                return
    await asyncio.wait_for(loop(), timeout)


def of(seen, clid):
    return [e for e in seen if isinstance(e, OrderEvent) and e.client_order_id == clid]


@pytest.mark.parametrize("ed25519", [False, True], ids=["hmac-signature-subscribe", "ed25519-logon-subscribe"])
@pytest.mark.parametrize("transport", ["ws", "rest"])
def test_events_for_every_state_change_in_order(transport, ed25519):
    async def main():
        async with session(transport, ed25519=ed25519) as (sim, s):
            inline: list = []
            s.on_event(inline.append)   # called inside the reader
            seen: list = []
            task = asyncio.ensure_future(collect(s, seen, lambda xs: len(of(xs, "rest1")) >= 2
                                                 and len(of(xs, "take1")) >= 2 and of(xs, "ioc1")
                                                 and of(xs, "ioc1")[-1].is_final))
            await asyncio.sleep(0)
            a = await s.place_order("BTCUSDT", "buy", "0.001", REST_PX, client_order_id="rest1")
            await s.cancel_order("BTCUSDT", client_order_id="rest1")
            await s.place_order("BTCUSDT", "buy", "0.001", TAKE_PX, client_order_id="take1")
            # 1.5 at 50000.5: the first ask level (1 BTC) fills, the rest expires
            await s.place_order("BTCUSDT", "buy", "1.5", "50000.5", tif="IOC", client_order_id="ioc1")
            await task
            r = of(seen, "rest1")
            assert [(e.status, e.exec_type) for e in r] == [(NEW, "NEW"), (CANCELED, "CANCELED")]
            assert r[0].order_id == a.order_id and r[0].price == "46000.00000000" and r[0].side == "BUY"
            t = of(seen, "take1")
            assert t[0].status == NEW and t[-1].status == FILLED and t[-1].is_fill
            assert t[-1].last_fill_qty == "0.00100000" and t[-1].filled_qty == "0.00100000"
            assert t[-1].fee_asset == "BTC" and t[-1].trade_id and t[-1].exchange_ts_ms
            i = of(seen, "ioc1")
            assert i[0].status == NEW and i[-1].status == EXPIRED and any(e.is_fill for e in i)
            assert all(e.status in (NEW, PARTIALLY_FILLED, EXPIRED) for e in i)
            assert [e for e in inline if isinstance(e, OrderEvent)] == [e for e in seen if isinstance(e, OrderEvent)]
            assert all(e.recv_ns > 0 and not e.snapshot for e in seen)
    run(main())


def test_a_resting_order_hears_of_its_fill_by_another_accounts_order():
    async def main():
        async with session() as (sim, s):
            seen: list = []
            task = asyncio.ensure_future(collect(s, seen, lambda xs: any(e.status == FILLED for e in of(xs, "mk1"))))
            await asyncio.sleep(0)
            await s.place_order("BTCUSDT", "sell", "0.002", "50000.01", client_order_id="mk1")
            # another account's order goes through the venue (as its own API request would) and takes it
            sim.apps["binance"].new_order({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
                                           "quantity": "0.002", "price": "50000.01"}, "other", 1)
            await task
            mk = of(seen, "mk1")
            assert [e.status for e in mk] == [NEW, FILLED]
            assert mk[-1].is_fill and mk[-1].last_fill_price == "50000.01000000" and mk[-1].side == "SELL"
    run(main())


def test_unknown_event_frames_and_malformed_frames_do_not_stop_the_reader():
    async def main():
        async with session() as (sim, s):
            seen: list = []
            task = asyncio.ensure_future(collect(s, seen, lambda xs: len(of(xs, "after")) >= 1))
            await asyncio.sleep(0)
            bn = sim.apps["binance"]
            for sess in list(bn.stream.subs.get("main", {})):
                sess.conn.send_text(b'{"subscriptionId":0,"event":{"e":"executionReport","X":"??"}}')
                sess.conn.send_text(b'{"subscriptionId":0,"event":{"e":"somethingNew","E":1}}')
                sess.conn.send_text(b'{"subscriptionId":0,"event":{"e":"executionReport",')
            await s.place_order("BTCUSDT", "buy", "0.001", REST_PX, client_order_id="after")
            await task
            assert s.stream.malformed == 2 and of(seen, "after")[0].status == NEW
    run(main())


@pytest.mark.parametrize("fault", ["drop", "terminate"])
def test_gap_is_closed_by_a_snapshot_and_reported(fault):
    async def main():
        async with session() as (sim, s):
            seen: list = []
            bn = sim.apps["binance"]
            await s.place_order("BTCUSDT", "buy", "0.001", REST_PX, client_order_id="g1")
            await s.place_order("BTCUSDT", "buy", "0.001", REST_PX, client_order_id="g2")
            await asyncio.sleep(0.2)
            task = asyncio.ensure_future(collect(s, seen, lambda xs: any(isinstance(e, StreamGap) for e in xs)))
            await asyncio.sleep(0)
            # g1 is canceled while the stream is gone: its event is lost, the snapshot must report it
            getattr(bn.stream, fault)()
            ex = bn.ex
            o = ex.find("main", cid="g1")
            ex.cancel(o, 1)
            await task
            gap = [e for e in seen if isinstance(e, StreamGap)][0]
            assert gap.closed and not gap.unresolved and gap.venue == "binance" and gap.until_ns >= gap.since_ns
            g1 = of(seen, "g1")
            assert [(e.status, e.snapshot) for e in g1] == [(CANCELED, True)]
            assert not of(seen, "g2")   # unchanged meanwhile: nothing to report
            # the stream is back: new orders are reported live again
            seen.clear()
            task = asyncio.ensure_future(collect(s, seen, lambda xs: len(of(xs, "g3")) >= 1))
            await asyncio.sleep(0)
            await s.place_order("BTCUSDT", "buy", "0.001", REST_PX, client_order_id="g3")
            await task
            assert not of(seen, "g3")[0].snapshot
    run(main())


def test_delayed_events_keep_their_order_and_finals_are_reported_once():
    async def main():
        async with session() as (sim, s):
            seen: list = []
            bn = sim.apps["binance"]
            bn.stream.delay_ms = 150
            task = asyncio.ensure_future(collect(s, seen, lambda xs: len(of(xs, "d1")) >= 2, timeout=8))
            await asyncio.sleep(0)
            await s.place_order("BTCUSDT", "buy", "0.001", REST_PX, client_order_id="d1")
            await s.cancel_order("BTCUSDT", client_order_id="d1")
            await task
            assert [e.status for e in of(seen, "d1")] == [NEW, CANCELED]
            # a replayed final state is dropped, not reported twice
            ev = of(seen, "d1")[-1]
            assert s.stream.deliver(OrderEvent("binance", "BTCUSDT", "d1", ev.order_id, CANCELED)) is False
            assert s.stream.duplicates == 1
    run(main())


def test_lost_reply_is_settled_from_the_stream_not_by_a_query():
    async def main():
        async with Simulator(venues=("binance",), binance_limits=BinanceLimits(enabled=False), seed=1,
                             faults="drop:phase=after,transport=ws,conn=2,count=1") as sim:
            # connections as accepted: 1 REST, 2 the order WebSocket (its first order's reply is lost), 3 the stream
            async with fastorder.connect("binance", "ws", url=sim.url("binance", "rest"), connections=1,
                                         ws_url=sim.url("binance", "ws"), timeout=1.0, events=True, **HMAC) as s:
                queries = []
                orig = s._query

                async def counting(*a, **k):
                    queries.append(a)
                    return await orig(*a, **k)
                s._query = counting
                ack = await s.place_order("BTCUSDT", "buy", "0.001", REST_PX, client_order_id="lost1")
                assert ack.reconciled and ack.status == NEW and ack.client_order_id == "lost1" and ack.order_id
                assert queries == []   # settled by the event, no REST query
    run(main())


@pytest.mark.parametrize("fault", ["drop", "terminate"])
def test_stream_lost_mid_burst_every_final_state_reported_exactly_once(fault):
    from fastorder.bench.events import drop_row

    async def main():
        async with Simulator(venues=("binance",), binance_limits=BinanceLimits(enabled=False), seed=1) as sim:
            app = sim.apps["binance"]

            async def cut():
                getattr(app.stream, fault)()

            async def record(clid):
                return app.ex.find("main", cid=clid).status

            urls = {"rest": sim.url("binance", "rest"), "ws": sim.url("binance", "ws")}
            row = await drop_row("binance", urls, 300, cut, record)
            assert row.ok, row.line()
            assert row.gaps == 1 and not row.missing and not row.duplicated and not row.mismatched
    run(main(), timeout=120)


# -- OKX: the private WebSocket's `orders` channel ----------------------------------------------------------------
OKX = dict(key="985d5b66-57ce-40fb-b714-afc0b9787083", secret="22582BD0CFF14C41EDBF1AB98506286D",
           passphrase="Sim-Passphrase-1")


@contextlib.asynccontextmanager
async def okx_session(transport: str = "ws", **kw):
    async with Simulator(venues=("okx",), okx_limit_per_2s=0, seed=1, **kw) as sim:
        args = dict(OKX, url=sim.url("okx", "rest"), ws_url=sim.url("okx", "ws"), timeout=2.0, events=True)
        async with fastorder.connect("okx", transport, **args) as s:
            yield sim, s


@pytest.mark.parametrize("transport", ["ws", "rest"])
def test_okx_orders_channel_reports_every_change_in_order(transport):
    async def main():
        async with okx_session(transport) as (sim, s):
            seen: list = []
            task = asyncio.ensure_future(collect(s, seen, lambda xs: len(of(xs, "r1")) >= 2
                                                 and any(e.status == FILLED for e in of(xs, "t1"))))
            await asyncio.sleep(0)
            await s.place_order("BTC-USDT", "buy", "0.001", REST_PX, client_order_id="r1")
            await s.cancel_order("BTC-USDT", client_order_id="r1")
            await s.place_order("BTC-USDT", "buy", "0.001", TAKE_PX, client_order_id="t1")
            await task
            assert [(e.status, e.exec_type) for e in of(seen, "r1")] == [(NEW, "NEW"), (CANCELED, "CANCELED")]
            t = of(seen, "t1")
            assert t[0].status == NEW and t[-1].status == FILLED and t[-1].is_fill and t[-1].trade_id
            assert t[-1].symbol == "BTC-USDT" and t[-1].side == "BUY" and t[-1].last_fill_qty
    run(main())


@pytest.mark.parametrize("venue", ["binance", "okx", "htx"])
def test_stream_dropped_mid_burst_each_venue(venue):
    from fastorder.bench.events import FINAL_AS, drop_row

    async def main():
        async with Simulator(venues=(venue,), binance_limits=BinanceLimits(enabled=False), okx_limit_per_2s=0,
                             htx_limit_per_2s=0, seed=1) as sim:
            app = sim.apps[venue]

            async def cut():
                app.stream.drop()

            async def record(clid):
                st = app.ex.find("main", cid=clid).status
                return FINAL_AS[venue].get(st, st)

            urls = {"rest": sim.url(venue, "rest"), "ws": sim.url(venue, "events")}
            row = await drop_row(venue, urls, 200, cut, record)
            assert row.ok, row.line()
    run(main(), timeout=120)


# -- HTX: /ws/v2 orders#* --------------------------------------------------------------------------------------
def test_htx_v2_stream_auth_ping_and_every_change_in_order():
    async def main():
        async with Simulator(venues=("htx",), htx_limit_per_2s=0, seed=1) as sim:
            app = sim.apps["htx"]
            app.ws_ping_interval = 0.05   # the venue's application pings, answered by the stream
            async with fastorder.connect("htx", "rest", url=sim.url("htx", "rest"), ws_url=sim.url("htx", "events"),
                                         timeout=2.0, events=True, key="e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx",
                                         secret="b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx") as s:
                seen: list = []
                task = asyncio.ensure_future(collect(s, seen, lambda xs: len(of(xs, "h1")) >= 2
                                                     and any(e.is_final for e in of(xs, "h2"))))
                await asyncio.sleep(0)
                await s.place_order("btcusdt", "buy", "0.001", REST_PX, client_order_id="h1")
                await s.cancel_order("btcusdt", client_order_id="h1")
                await s.place_order("btcusdt", "buy", "0.001", TAKE_PX, client_order_id="h2")
                await task
                await asyncio.sleep(0.2)
                assert [(e.status, e.exec_type) for e in of(seen, "h1")] == [(NEW, "NEW"), (CANCELED, "CANCELED")]
                h2 = of(seen, "h2")
                assert h2[0].status == NEW and h2[-1].status == FILLED and h2[-1].is_fill and h2[-1].trade_id
                assert h2[-1].side == "BUY" and h2[-1].symbol == "btcusdt"
                sess = next(iter(app.stream.subs["main"]))
                assert sess.pongs >= 2   # the stream answered the venue's pings
    run(main())


def test_htx_v2_auth_refuses_a_signature_over_another_host():
    from fastorder.venues.htx_events import HtxStreamPart
    from fastorder.venues.stream import EventStream

    async def main():
        async with Simulator(venues=("htx",), htx_limit_per_2s=0, seed=1) as sim:
            async with fastorder.connect("htx", "rest", url=sim.url("htx", "rest"), ws_url=sim.url("htx", "events"),
                                         timeout=1.0, key="e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx",
                                         secret="b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx") as s:
                part = HtxStreamPart(s)
                part.host = "api.huobi.pro"   # the signed text names a host other than the one connected to
                with pytest.raises(fastorder.errors.VenueError) as e:
                    await EventStream(s, part).start()
                assert e.value.code == 2002
    run(main())


def test_an_order_settled_in_the_background_is_settled_by_its_event():
    async def main():
        async with session() as (sim, s):
            settled = []
            s.on_settled.append(settled.append)
            await s.place_order("BTCUSDT", "buy", "0.001", REST_PX, client_order_id="bg1")
            # as if its outcome had been left undecided: a background watch, then the order's event arrives
            info = s.symbol("BTCUSDT")
            s.stream.tracked.pop("bg1")
            s.settler.watch(info, "bg1", RuntimeError("reply lost"))
            await s.cancel_order("BTCUSDT", client_order_id="bg1")
            for _ in range(15):   # well before the watch's first query (after FIRST_PAUSE_S, 0.25 s)
                if settled:
                    break
                await asyncio.sleep(0.01)
            assert [a.status for a in settled] == [CANCELED] and settled[0].client_order_id == "bg1"
            await asyncio.sleep(0)   # the watch's task ends right after it handed the outcome on
            assert not s.settler.watching
    run(main())


HTX_CREDS = dict(key="e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx", secret="b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx")
# the fields of a trade.clearing trade push (HTX spot docs, "Subscribe Trade Details & Order Cancellation post
# Clearing"; the docs' example as reproduced by ccxt's htx.py handleMyTrade)
CLEARING_TRADE_FIELDS = {"eventType", "symbol", "orderId", "tradePrice", "tradeVolume", "orderSide", "orderType",
                         "aggressor", "tradeId", "tradeTime", "transactFee", "feeDeduct", "feeDeductType",
                         "feeCurrency", "accountId", "source", "orderPrice", "orderSize", "clientOrderId",
                         "orderCreateTime", "orderStatus"}


@contextlib.asynccontextmanager
async def htx_session(**kw):
    async with Simulator(venues=("htx",), htx_limit_per_2s=0, seed=1) as sim:
        async with fastorder.connect("htx", "rest", url=sim.url("htx", "rest"), ws_url=sim.url("htx", "events"),
                                     timeout=2.0, events=True, **HTX_CREDS, **kw) as s:
            yield sim, s


def test_htx_fill_is_reported_once_with_the_fee_of_its_trade_clearing_twin():
    import orjson

    async def main():
        async with htx_session() as (sim, s):
            sess = next(iter(sim.apps["htx"].stream.subs["main"]))
            assert sess.subs == {"*"} and sess.clearing == {"*": 0}   # orders#* and trade.clearing#*#0
            frames: list = []
            real_send = sess.conn.send_text
            sess.conn.send_text = lambda data: (frames.append(orjson.loads(data)), real_send(data))[1]
            seen: list = []
            task = asyncio.ensure_future(collect(s, seen, lambda xs: any(e.is_final for e in of(xs, "f1"))
                                                 and any(e.is_final for e in of(xs, "f2"))))
            await asyncio.sleep(0)
            await s.place_order("btcusdt", "buy", "0.002", TAKE_PX, client_order_id="f1")
            await s.place_order("btcusdt", "sell", "0.001", "46000", client_order_id="f2")
            await task
            await asyncio.sleep(0.3)   # anything late (a second report of a fill) would be here by now
            clearing = [f["data"] for f in frames if f.get("ch", "").startswith("trade.clearing#")]
            orders = [f["data"] for f in frames if f.get("ch", "").startswith("orders#")]
            trades = [d for d in orders if d["eventType"] == "trade"]
            assert trades and len(clearing) == len(trades)   # each fill on both channels ...
            assert all(set(d) == CLEARING_TRADE_FIELDS and d["eventType"] == "trade" for d in clearing)
            assert {(d["orderId"], d["tradeId"]) for d in clearing} == {(d["orderId"], d["tradeId"]) for d in trades}
            fills = [e for e in seen if isinstance(e, OrderEvent) and e.is_fill]
            assert len(fills) == len(trades)                   # ... and reported once
            assert len({(e.order_id, e.trade_id) for e in fills}) == len(fills)
            for e in fills:   # the order's cumulative amount (orders#) and the fee (trade.clearing#) in one event
                assert e.filled_qty and e.fee == "0" and e.fee_asset == ("btc" if e.side == "BUY" else "usdt")
            assert of(seen, "f1")[-1].status == FILLED and of(seen, "f2")[-1].status == FILLED
            assert s.stream.duplicates == 0 and s.stream.malformed == 0
    run(main())


def test_htx_fill_twins_in_either_order_late_or_missing_keep_the_order_of_events():
    """The pairing of a fill's two reports, fed real frames in the orders a network could bring them."""
    import orjson

    from fastorder._core.events import decode_htx

    def frame(ch, **data):
        base = {"symbol": "btcusdt", "orderId": 7, "clientOrderId": "p1", "orderPrice": "54000", "orderSize": "0.002"}
        return orjson.dumps({"action": "push", "ch": ch, "data": {**base, **data}})

    def trade(tid, status, exec_amt):
        return frame("orders#btcusdt", eventType="trade", tradePrice="50000", tradeVolume="0.001", tradeId=tid,
                     tradeTime=5, aggressor=True, execAmt=exec_amt, type="buy-limit", orderStatus=status)

    def clear(tid, status):
        return frame("trade.clearing#btcusdt#0", eventType="trade", tradePrice="50000", tradeVolume="0.001",
                     tradeId=tid, tradeTime=5, orderSide="buy", orderType="buy-limit", transactFee="0.000002",
                     feeCurrency="btc", orderStatus=status)

    async def main():
        async with htx_session() as (sim, s):
            st, part = s.stream, s.stream.part
            got: list = []
            s.on_event(got.append)

            def feed(*frames):
                for f in frames:
                    for ev in decode_htx(f):
                        part.route(st, ev)
            st.track("p1", "btcusdt")
            feed(frame("orders#btcusdt", eventType="creation", orderStatus="submitted", type="buy-limit",
                       orderCreateTime=4))
            feed(clear(1, "partial-filled"))                      # the fee's report first ...
            feed(trade(2, "filled", "0.002"))                     # ... a later fill meanwhile: waits its turn
            assert [e.exec_type for e in got] == ["NEW"]
            feed(trade(1, "partial-filled", "0.001"))             # the first fill's twin: one event
            assert [(e.trade_id, e.filled_qty, e.fee, e.fee_asset) for e in got[1:]] == [
                ("1", "0.001", "0.000002", "btc")]
            await asyncio.sleep(part.hold_s * 2)                  # the second fill's twin never comes
            assert [(e.trade_id, e.filled_qty, e.fee, e.status) for e in got[2:]] == [("2", "0.002", "", FILLED)]
            feed(clear(2, "filled"), trade(1, "partial-filled", "0.001"))   # late twin, a repeat: dropped at once
            assert len(got) == 3 and st.duplicates == 2 and not part._half and not part._behind
    run(main())


def test_final_orders_kept_for_repeats_are_bounded():
    """A long session keeps only the most recent final orders (for dropping a repeat of their final state), so
    its memory stays flat; an order still open is never dropped."""
    async def main():
        async with session() as (sim, s):
            s.stream.keep_final = 3
            await s.place_order("BTCUSDT", "buy", "0.001", REST_PX, client_order_id="open1")
            seen: list = []
            task = asyncio.ensure_future(collect(s, seen, lambda xs: sum(e.is_final for e in xs
                                                                         if isinstance(e, OrderEvent)) >= 6))
            await asyncio.sleep(0)
            for i in range(6):
                await s.place_order("BTCUSDT", "buy", "0.001", TAKE_PX, tif="IOC", client_order_id=f"ioc{i}")
            await task
            tracked = s.stream.tracked
            assert sorted(k for k, t in tracked.items() if t.final) == ["ioc3", "ioc4", "ioc5"]
            assert "open1" in tracked and not tracked["open1"].final
            last = of(seen, "ioc5")[-1]
            assert s.stream.deliver(last) is False and s.stream.duplicates >= 1   # a repeat of a kept final
    run(main())


@pytest.mark.parametrize("venue", ["binance", "okx", "htx"])
def test_gap_recovery_reports_open_orders_this_session_does_not_track(venue):
    """While the stream is down another session of the account places a resting order: its events are lost
    with the connection. After the gap the account's open orders are listed (session.open_orders()) and the
    order this session never tracked is reported as a snapshot event; then the gap is closed."""
    symbol = {"binance": "BTCUSDT", "okx": "BTC-USDT", "htx": "btcusdt"}[venue]
    creds = {"binance": HMAC, "okx": OKX, "htx": HTX_CREDS}[venue]
    opened = {"binance": session, "okx": lambda: okx_session("rest"), "htx": htx_session}[venue]

    async def main():
        async with opened() as (sim, s):
            app = sim.apps[venue]
            async with fastorder.connect(venue, "rest", url=sim.url(venue, "rest"), timeout=2.0, **creds) as other:
                seen: list = []
                task = asyncio.ensure_future(collect(s, seen, lambda xs: any(isinstance(e, StreamGap) for e in xs)))
                await asyncio.sleep(0)
                app.stream.delay_ms = 300   # the other order's pushes are held back ...
                await other.place_order(symbol, "buy", "0.001", REST_PX, client_order_id="elsewhere1")
                app.stream.drop()           # ... and die with the connection
                app.stream.delay_ms = 0
                await task
                [gap] = [e for e in seen if isinstance(e, StreamGap)]
                evs = of(seen, "elsewhere1")
                assert gap.closed and [(e.status, e.snapshot) for e in evs] == [(NEW, True)]
                assert evs[0].order_id and evs[0].symbol == symbol and evs[0].side == "BUY"
                assert seen.index(evs[0]) < seen.index(gap)   # reported before the gap is said closed
    run(main(), timeout=30)


def test_okx_stream_ended_by_the_venue_service_upgrade_is_resumed_without_a_lost_event():
    """OKX ends its private connections for a service upgrade: the 64008 notice, then the close. The stream
    moves to a new connection at the notice; the orders changed around it are each reported once and the gap
    is closed."""
    async def main():
        async with okx_session("rest") as (sim, s):
            await s.place_order("BTC-USDT", "buy", "0.001", REST_PX, client_order_id="u1")
            seen: list = []
            task = asyncio.ensure_future(collect(s, seen, lambda xs: any(isinstance(e, StreamGap) for e in xs)
                                                 and any(e.is_final for e in of(xs, "u1"))
                                                 and any(e.is_final for e in of(xs, "u2"))))
            await asyncio.sleep(0)
            first = s.stream.conn
            assert sim.ws_upgrade_notice(close_after_s=0.3) >= 1   # the stream's connection among them
            await s.cancel_order("BTC-USDT", client_order_id="u1")
            await s.place_order("BTC-USDT", "buy", "0.001", TAKE_PX, tif="IOC", client_order_id="u2")
            await task
            await asyncio.sleep(0.4)   # past the venue's close of the old connection
            [gap] = [e for e in seen if isinstance(e, StreamGap)]
            assert gap.closed and s.stream.conn is not None and s.stream.conn is not first and s.stream.up
            for clid in ("u1", "u2"):
                assert sum(e.is_final for e in of(seen, clid)) == 1, of(seen, clid)
            assert of(seen, "u1")[-1].status == CANCELED and of(seen, "u2")[-1].status == FILLED
    run(main())


def test_an_out_of_order_update_is_skipped_and_later_events_still_come():
    """A venue update older than one already passed on (less filled) is skipped and counted, never passed on
    and never the end of the reader: the order's next events still arrive."""
    async def main():
        async with session() as (sim, s):
            app = sim.apps["binance"]
            [sess] = list(app.stream.subs.get("main", {}))
            sent: list = []
            real_send = sess.conn.send_text
            sess.conn.send_text = lambda data: (sent.append(data), real_send(data))[1]   # the frames, recorded
            seen: list = []
            task = asyncio.ensure_future(collect(s, seen, lambda xs: any(e.status == FILLED for e in of(xs, "oo1"))))
            await asyncio.sleep(0)
            await s.place_order("BTCUSDT", "sell", "0.002", "50000.01", client_order_id="oo1")
            take = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001",
                    "price": "50000.01"}
            app.new_order(dict(take), "other", 1)        # half of it filled
            await asyncio.sleep(0.1)
            real_send(sent[0])                           # the order's NEW again, now older than its fill
            await asyncio.sleep(0.1)
            app.new_order(dict(take), "other", 2)        # the rest
            await task
            assert [(e.status, e.filled_qty) for e in of(seen, "oo1")] == [
                (NEW, "0.00000000"), (PARTIALLY_FILLED, "0.00100000"), (FILLED, "0.00200000")]
            assert s.stream.stale == 1
    run(main())
