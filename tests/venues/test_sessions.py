"""The public API against the embedded simulator: every venue x transport, over TLS, real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from decimal import Decimal

import pytest

import fastorder
from fastorder.errors import (
    ExecutionUnknown,
    FastorderError,
    InsufficientBalance,
    InvalidNumber,
    InvalidOrder,
    OffGrid,
    OrderRejected,
    RateLimited,
    TimestampRejected,
    UnknownOrder,
    VenueError,
)
from fastorder.sim import BinanceLimits, Simulator
from fastorder.types import ACCEPTED, CANCEL_REQUESTED, CANCELED, EXPIRED, FILLED, NEW

CREDS = {
    "binance": dict(key="vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
                    secret="NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"),
    "okx": dict(key="985d5b66-57ce-40fb-b714-afc0b9787083", secret="22582BD0CFF14C41EDBF1AB98506286D",
                passphrase="Sim-Passphrase-1"),
    "htx": dict(key="e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx", secret="b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx"),
}
SECRETS = ("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j", "22582BD0CFF14C41EDBF1AB98506286D",
           "Sim-Passphrase-1", "b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx")
PATHS = [("binance", "rest"), ("binance", "ws"), ("okx", "rest"), ("okx", "ws"), ("htx", "rest")]
SYMBOL = {"binance": "BTCUSDT", "okx": "BTC-USDT", "htx": "btcusdt"}
# far below the simulator's ~50000 mid: rests on the book, inside HTX's ±10 % price band
REST_PX, TAKE_PX = "46000", "54000"


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@contextlib.asynccontextmanager
async def session(venue: str, transport: str, *, tls: bool = True, limits: bool = False, faults=None, **kw):
    sim_kw = dict(venues=(venue,), tls=tls, faults=faults, seed=1)
    if not limits:
        sim_kw.update(binance_limits=BinanceLimits(enabled=False), okx_limit_per_2s=0, htx_limit_per_2s=0)
    async with Simulator(**sim_kw) as sim:
        args = dict(CREDS[venue], url=sim.url(venue, "rest"), timeout=2.0, **kw)
        if transport == "ws":
            args["ws_url"] = sim.url(venue, "ws")
        if tls:
            args["ssl_context"] = sim.client_ssl_context()
        async with fastorder.connect(venue, transport, **args) as s:
            yield sim, s


def sim_order(sim, venue, clid):
    return sim.order(venue, client_order_id=clid)


@pytest.mark.parametrize("venue,transport", PATHS)
def test_place_query_cancel_over_tls(venue, transport):
    async def main():
        async with session(venue, transport) as (sim, s):
            assert s.symbols and abs(s.clock.offset_ms) < 1000
            ack = await s.place_order(SYMBOL[venue], "buy", "0.001", REST_PX)
            assert ack.client_order_id and ack.order_id and ack.status in (NEW, ACCEPTED)
            assert ack.latency.client_ns > 0 and ack.latency.round_trip_ns > 0
            assert sim_order(sim, venue, ack.client_order_id)["status"] == "NEW"
            q = await s.query_order(SYMBOL[venue], client_order_id=ack.client_order_id)
            assert (q.status, q.order_id) == (NEW, ack.order_id)
            assert Decimal(q.price) == Decimal(REST_PX) and Decimal(q.quantity) == Decimal("0.001")
            c = await s.cancel_order(SYMBOL[venue], order_id=ack.order_id)
            assert c.status in (CANCELED, CANCEL_REQUESTED)
            q = await s.query_order(SYMBOL[venue], order_id=ack.order_id)
            assert q.status == CANCELED
            assert sim_order(sim, venue, ack.client_order_id)["status"] == "CANCELED"
    run(main())


@pytest.mark.parametrize("venue,transport", PATHS)
def test_ioc_that_crosses_fills(venue, transport):
    async def main():
        async with session(venue, transport, tls=False) as (sim, s):
            ack = await s.place_order(SYMBOL[venue], "buy", "0.002", TAKE_PX, tif="IOC")
            q = await s.query_order(SYMBOL[venue], client_order_id=ack.client_order_id)
            assert q.status == FILLED and Decimal(q.filled_qty) == Decimal("0.002")
            assert Decimal(REST_PX) < Decimal(q.avg_price) <= Decimal(TAKE_PX)
            # a far-away IOC does not rest
            ack = await s.place_order(SYMBOL[venue], "buy", "0.002", REST_PX, tif="IOC")
            q = await s.query_order(SYMBOL[venue], client_order_id=ack.client_order_id)
            assert q.status in (EXPIRED, CANCELED)
    run(main())


@pytest.mark.parametrize("venue,transport", PATHS)
def test_post_only_never_takes(venue, transport):
    async def main():
        async with session(venue, transport, tls=False) as (sim, s):
            try:
                ack = await s.place_order(SYMBOL[venue], "buy", "0.001", TAKE_PX, post_only=True)
            except OrderRejected:
                return   # Binance LIMIT_MAKER / HTX limit-maker reject outright
            q = await s.query_order(SYMBOL[venue], client_order_id=ack.client_order_id)
            assert q.status in (CANCELED, EXPIRED) and Decimal(q.filled_qty or 0) == 0
    run(main())


@pytest.mark.parametrize("venue,transport", PATHS)
def test_bad_input_is_refused_before_anything_is_sent(venue, transport):
    async def main():
        async with session(venue, transport, tls=False) as (sim, s):
            before = len(sim.orders(venue))
            sym = SYMBOL[venue]
            with pytest.raises(InvalidNumber):
                await s.place_order(sym, "buy", "0.001", float("nan"))
            with pytest.raises(InvalidNumber):
                await s.place_order(sym, "buy", "-1", REST_PX)
            with pytest.raises(OffGrid):
                await s.place_order(sym, "buy", "0.001", "46000.001")
            with pytest.raises(InvalidOrder):
                await s.place_order("NOSUCHPAIR", "buy", "0.001", REST_PX)
            with pytest.raises(InvalidOrder):
                await s.place_order(sym, "hold", "0.001", REST_PX)
            with pytest.raises(InvalidOrder):
                await s.place_order(sym, "buy", "0.001", None)
            with pytest.raises(InvalidOrder):
                await s.place_order(sym, "buy", "0.001", REST_PX, client_order_id="bad id\r\nX-Evil: 1")
            assert len(sim.orders(venue)) == before
    run(main())


@pytest.mark.parametrize("venue,transport", PATHS)
def test_venue_errors_are_typed(venue, transport):
    async def main():
        async with session(venue, transport, tls=False) as (sim, s):
            with pytest.raises(InsufficientBalance) as ei:
                await s.place_order(SYMBOL[venue], "buy", "50", REST_PX)   # 2.3M USDT > the 1M balance
            assert ei.value.venue == venue and ei.value.code and ei.value.client_order_id
            with pytest.raises(UnknownOrder):
                await s.query_order(SYMBOL[venue], client_order_id="nosuchorder1")
    run(main())


@pytest.mark.parametrize("venue,transport", PATHS)
def test_timestamp_rejection_resyncs_the_clock_and_does_not_resend(venue, transport):
    async def main():
        async with session(venue, transport, tls=False) as (sim, s):
            before = len(sim.orders(venue))
            s.clock.offset_ms -= 600_000   # ten minutes behind: outside every venue's window
            with pytest.raises(TimestampRejected):
                await s.place_order(SYMBOL[venue], "buy", "0.001", REST_PX)
            assert abs(s.clock.offset_ms) < 1000, "the clock was not re-measured after the rejection"
            assert len(sim.orders(venue)) == before
            ack = await s.place_order(SYMBOL[venue], "buy", "0.001", REST_PX)
            assert ack.order_id
    run(main())


@pytest.mark.parametrize("venue,transport", PATHS)
@pytest.mark.parametrize("fault", ["5xx", "drop:phase=after", "malformed", "truncated"])
def test_unknown_outcome_is_reconciled_by_client_id(venue, transport, fault):
    async def main():
        spec = fault + ("," if ":" in fault else ":") + f"count=1,transport={transport}"
        async with session(venue, transport, tls=False) as (sim, s):
            sim.faults.add(spec)
            ack = await s.place_order(SYMBOL[venue], "buy", "0.001", REST_PX)
            assert ack.reconciled, f"{fault} did not reach the order path"
            truth = sim_order(sim, venue, ack.client_order_id)
            assert truth["status"] == "NEW" and ack.status == NEW and str(truth["order_id"]) == ack.order_id
    run(main())


def test_an_order_that_never_arrived_ends_unknown_not_placed():
    """Every request is dropped unprocessed: the order must end as ExecutionUnknown (never an Ack)."""
    async def main():
        async with session("binance", "rest", tls=False) as (sim, s):
            sim.faults.add("drop:phase=before,venue=binance")
            with pytest.raises(ExecutionUnknown) as ei:
                await s.place_order("BTCUSDT", "buy", "0.001", REST_PX)
            assert ei.value.client_order_id
            assert sim.orders("binance") == []
    run(main())


def _clear_of_window_edge(window_ms: int, need_ms: int) -> None:
    """Fixed windows: start a burst only when it cannot straddle a window boundary."""
    import time
    while (time.time() * 1000) % window_ms > window_ms - need_ms:
        time.sleep(0.05)


@pytest.mark.parametrize("transport", ["rest", "ws"])
def test_local_guard_refuses_the_order_past_the_venue_limit(transport):
    async def main():
        async with session("binance", transport, tls=False, limits=True) as (sim, s):
            _clear_of_window_edge(10_000, 4_000)
            with pytest.raises(RateLimited) as ei:
                for _ in range(80):   # exchangeInfo: ORDERS 50 per 10 s
                    await s.place_order("BTCUSDT", "buy", "0.001", REST_PX)
            assert ei.value.code == "local" and 0 < ei.value.retry_after <= 10
            assert len(sim.orders("binance")) == 45   # 90 % of 50 (the default margin): the 46th never left
    run(main())


@pytest.mark.parametrize("transport", ["rest", "ws"])
def test_venue_rate_limit_is_typed_and_retry_after_is_honoured(transport):
    async def main():
        async with session("binance", transport, tls=False, rate_limit=False) as (sim, s):
            sim.faults.add(f"429:retry=2,count=1,transport={transport}")
            with pytest.raises(RateLimited) as ei:
                await s.place_order("BTCUSDT", "buy", "0.001", REST_PX)
            assert ei.value.code != "local" and ei.value.retry_after
            n = len(sim.orders("binance"))
            s.ledger.rate_limit = True
            with pytest.raises(RateLimited) as ei:   # Retry-After: blocked locally, nothing sent
                await s.place_order("BTCUSDT", "buy", "0.001", REST_PX)
            assert ei.value.code == "local" and len(sim.orders("binance")) == n
    run(main())


def test_usage_headers_raise_the_local_count():
    async def main():
        async with session("binance", "rest", tls=False, limits=True) as (sim, s):
            _clear_of_window_edge(10_000, 4_000)
            # another client of the same account uses 45 of the 50 orders of this window ...
            async with fastorder.connect("binance", "rest", **CREDS["binance"], url=sim.url("binance", "rest"),
                                         ssl_context=None, rate_limit=False) as other:
                for _ in range(45):
                    await other.place_order("BTCUSDT", "buy", "0.001", REST_PX)
            # ... which this session learns from X-MBX-ORDER-COUNT-10S on its next reply
            await s.place_order("BTCUSDT", "buy", "0.001", REST_PX)
            with pytest.raises(RateLimited) as ei:
                for _ in range(10):
                    await s.place_order("BTCUSDT", "buy", "0.001", REST_PX)
            # 45 by the other client, 1 by this one (which then learns the count): the guard keeps 90 % of 50
            assert ei.value.code == "local" and len(sim.orders("binance")) == 46
    run(main())


def test_okx_ws_reports_gateway_time_and_rest_reports_sim_time():
    async def main():
        async with session("okx", "ws", tls=False) as (sim, s):
            ack = await s.place_order("BTC-USDT", "buy", "0.001", REST_PX)
            assert ack.latency.exchange_us is not None and ack.latency.exchange_us >= 0
        async with session("binance", "rest", tls=False) as (sim, s):
            ack = await s.place_order("BTCUSDT", "buy", "0.001", REST_PX)
            assert ack.latency.exchange_us is not None
    run(main())


def test_place_orders_batch_in_flight_together():
    async def main():
        async with session("binance", "ws", tls=False, connections=2) as (sim, s):
            orders = [dict(symbol="BTCUSDT", side="buy", quantity="0.001", price=REST_PX) for _ in range(20)]
            orders.append(dict(symbol="BTCUSDT", side="buy", quantity="0.001", price="nan"))
            res = await s.place_orders(orders)
            assert all(r.status == NEW for r in res[:20])
            assert isinstance(res[20], InvalidNumber)
            assert len({r.client_order_id for r in res[:20]}) == 20
    run(main())


@pytest.mark.parametrize("venue,transport", PATHS)
def test_secrets_never_appear_in_output(venue, transport):
    """Wrong secret: the session fails with an auth error; nothing printed, logged or raised shows a secret."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        async def main():
            async with Simulator(venues=(venue,), tls=False) as sim:
                creds = dict(CREDS[venue])
                good = creds["secret"]
                creds["secret"] = good[::-1]   # a wrong secret of the same shape
                args = dict(creds, url=sim.url(venue, "rest"), timeout=2.0)
                if transport == "ws":
                    args["ws_url"] = sim.url(venue, "ws")
                s = fastorder.connect(venue, transport, **args)
                out.write(repr(s) + str(s.__dict__.keys()))
                try:
                    async with s:
                        await s.place_order(SYMBOL[venue], "buy", "0.001", REST_PX)
                except (VenueError, FastorderError) as exc:
                    import traceback
                    out.write("".join(traceback.format_exception(exc)))
                    out.write(repr(exc) + str(exc.__dict__))
                else:
                    raise AssertionError("a wrong secret was accepted")
                return good
        good = run(main())
    finally:
        logging.getLogger().removeHandler(handler)
    text = out.getvalue()
    assert text, "nothing was captured"
    for secret in SECRETS + (good[::-1],):
        assert secret not in text


def test_latency_is_recorded_per_venue_and_transport_and_exposed_for_prometheus():
    from fastorder.metrics import LatencyRecorder

    rec = LatencyRecorder()

    async def main():
        async with session("okx", "ws", tls=False, recorder=rec) as (sim, s):
            for _ in range(30):
                await s.place_order("BTC-USDT", "buy", "0.001", REST_PX)
    run(main())
    p = rec.percentiles("okx", "ws", "total")
    assert p["count"] == 30 and 0 < p["p50"] <= p["p99"] <= p["max"]
    assert rec.percentiles("okx", "ws", "exchange")["count"] == 30
    assert rec.percentiles("okx", "ws", "client")["p50"] < p["p50"]
    text = rec.prometheus_text()
    assert 'fastorder_order_latency_seconds_count{stage="total",transport="ws",venue="okx"} 30.0' in text
    assert 'quantile="0.99"' in text


def test_binance_ed25519_key_logs_on_once_and_orders_carry_no_signature():
    from fastorder.sim import creds as sim_creds

    async def main():
        key = "4yNzx3yWC5bS6YTwEkSRaC0nRmSQIIStAUOh1b6kqaBrTLIhjCpI5lJH8q8R8WNO"
        async with Simulator(venues=("binance",), binance_limits=BinanceLimits(enabled=False)) as sim:
            async with fastorder.connect("binance", "ws", key=key, private_key=sim_creds.ed25519_private_key(),
                                         url=sim.url("binance", "rest"), ws_url=sim.url("binance", "ws")) as s:
                assert s.logged_on
                s._buf.clear()
                s._ws_enc.order_place(s._buf, 1, "BTCUSDT", "BUY", "LIMIT", client_order_id="x", timestamp=1,
                                      quantity="1", price="1", time_in_force="GTC", logged_on=True)
                assert b"signature" not in s._buf.getvalue() and b"apiKey" not in s._buf.getvalue()
                ack = await s.place_order("BTCUSDT", "buy", "0.001", REST_PX)
                q = await s.query_order("BTCUSDT", order_id=ack.order_id)
                assert q.status == NEW
    run(main())


async def _wait_for(cond, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if cond():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.mark.parametrize("venue", ["binance", "okx"])
def test_a_dropped_websocket_is_replaced_and_orders_continue(venue):
    async def main():
        async with session(venue, "ws", tls=False, connections=1) as (sim, s):
            sim.faults.add("drop:phase=after,count=1,transport=ws")
            ack = await s.place_order(SYMBOL[venue], "buy", "0.001", REST_PX)
            assert ack.reconciled and sim_order(sim, venue, ack.client_order_id)["status"] == "NEW"
            await _wait_for(lambda: s.ws_pool.reconnects >= 1 and s.ws_pool.conns)
            ack = await s.place_order(SYMBOL[venue], "buy", "0.001", REST_PX)
            assert not ack.reconciled and ack.status in (NEW, ACCEPTED)
    run(main())


def test_binance_server_shutdown_moves_to_a_fresh_connection():
    async def main():
        async with session("binance", "ws", tls=False, connections=2) as (sim, s):
            first = set(map(id, s.ws_pool.conns))
            sim.ws_shutdown("binance")
            await _wait_for(lambda: len(s.ws_pool.conns) == 2 and not (set(map(id, s.ws_pool.conns)) & first))
            acks = await asyncio.gather(*(s.place_order("BTCUSDT", "buy", "0.001", REST_PX) for _ in range(10)))
            assert all(a.status == NEW and not a.reconciled for a in acks)
    run(main())


def test_okx_heartbeat_keeps_an_idle_connection_open():
    async def main():
        async with Simulator(venues=("okx",), okx_idle_timeout=1.0) as sim:
            async with fastorder.connect("okx", "ws", **CREDS["okx"], url=sim.url("okx", "rest"),
                                         ws_url=sim.url("okx", "ws"), connections=1) as s:
                s.ws_pool.heartbeat_interval = 0.3
                s._tasks.append(asyncio.get_running_loop().create_task(s.ws_pool.heartbeat_loop()))
                await asyncio.sleep(2.5)   # idle well past the 1 s idle close
                assert s.ws_pool.reconnects == 0
                ack = await s.place_order("BTC-USDT", "buy", "0.001", REST_PX)
                assert not ack.reconciled
    run(main())


@pytest.mark.parametrize("venue,transport", PATHS)
def test_market_and_fok_orders(venue, transport):
    async def main():
        async with session(venue, transport, tls=False) as (sim, s):
            sym = SYMBOL[venue]
            m = await s.place_order(sym, "sell", "0.002", None, type="market")
            q = await s.query_order(sym, client_order_id=m.client_order_id)
            assert q.status == FILLED and Decimal(q.filled_qty) == Decimal("0.002")
            assert sim_order(sim, venue, m.client_order_id)["status"] == "FILLED"
            f = await s.place_order(sym, "buy", "0.002", TAKE_PX, tif="FOK")
            assert (await s.query_order(sym, client_order_id=f.client_order_id)).status == FILLED
            f = await s.place_order(sym, "buy", "0.002", REST_PX, tif="FOK")   # cannot fill: nothing rests
            assert (await s.query_order(sym, client_order_id=f.client_order_id)).status in (EXPIRED, CANCELED)
            with pytest.raises(InvalidOrder):
                await s.place_order(sym, "buy", "0.001", "46000", type="market")   # market takes no price
            with pytest.raises(InvalidOrder):
                await s.place_order(sym, "buy", "0.001", "46000", tif="GTD")
            if venue == "htx":   # HTX sizes buy-market in quote currency: refused rather than guessed
                with pytest.raises(InvalidOrder):
                    await s.place_order(sym, "buy", "0.001", None, type="market")
    run(main())
