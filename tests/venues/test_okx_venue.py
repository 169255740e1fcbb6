"""OKX as the venue documents it (docs/venues/okx.md): environments and their hosts, demo-trading keys, the
64008 service-upgrade notice, instIdCode at start-up, and expTime on WebSocket orders with recovery's window
matching what was sent. Every test runs against the embedded simulator over real sockets."""

from __future__ import annotations

import asyncio
import contextlib

import orjson
import pytest

import fastorder
from fastorder.errors import AuthenticationError, ConfigError, InvalidOrder, TimestampRejected, VenueError
from fastorder.journal import OrderJournal, read_records
from fastorder.sim import Simulator
from fastorder.sim.creds import OKX_DEMO_KEY, OKX_KEY, OKX_PASSPHRASE, OKX_SECRET
from fastorder.types import NEW
from fastorder.venues.base import _Unknown
from fastorder.venues.okx import DEFAULT_WS_TTL_MS, HOSTS, OkxSession, hosts

LIVE = dict(key=OKX_KEY, secret=OKX_SECRET, passphrase=OKX_PASSPHRASE)
DEMO = dict(key=OKX_DEMO_KEY, secret=OKX_SECRET, passphrase=OKX_PASSPHRASE)
PX = "46000"   # rests below the simulator's ~50000 mid


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def _wait_for(cond, timeout: float = 5.0) -> None:
    end = asyncio.get_running_loop().time() + timeout
    while not cond():
        if asyncio.get_running_loop().time() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def okx(transport: str = "ws", creds=LIVE, **kw):
    async with Simulator(venues=("okx",), okx_limit_per_2s=0, seed=3) as sim:
        args = dict(creds, url=sim.url("okx", "rest"), timeout=2.0, connections=1)
        if transport == "ws":
            args["ws_url"] = sim.url("okx", "ws")
        args.update(kw)
        async with fastorder.connect("okx", transport, **args) as s:
            yield sim, s


# -- item: environments by name ----------------------------------------------------------------------------
def test_every_environment_has_its_hosts_and_demo_has_its_own_websockets():
    for region in ("global", "eea", "us"):
        live, demo = hosts(region), hosts(region, simulated=True)
        assert live.rest == demo.rest, "demo trading uses the live REST host with the x-simulated-trading header"
        for name in ("ws_public", "ws_private", "ws_business"):
            lv, dv = getattr(live, name), getattr(demo, name)
            assert lv != dv and lv.startswith("wss://") and dv.startswith("wss://")
            assert lv.endswith("/ws/v5/" + name[3:]) and dv.endswith("/ws/v5/" + name[3:])
            assert ":8443" not in lv + dv   # retired: WebSockets are served on 443
    assert hosts().ws_private == "wss://ws.okx.com/ws/v5/private"
    assert hosts(simulated=True).ws_private == "wss://wspap.okx.com/ws/v5/private"
    assert hosts("eea").rest == "https://eea.okx.com" and hosts("us", True).ws_private.startswith("wss://wsuspap.")
    assert len(HOSTS) == 6
    with pytest.raises(ConfigError) as ei:
        hosts("mars")
    assert ei.value.field == "region"


def test_a_session_takes_its_hosts_from_the_environment_unless_told_otherwise():
    demo = OkxSession(transport="ws", simulated=True, region="eea", **DEMO)
    assert (demo.rest.host, demo.ws.host, demo.ws.port, demo.ws.tls) == ("eea.okx.com", "wseeapap.okx.com", 443, True)
    assert demo._rest_enc.simulated is True
    live = OkxSession(transport="ws", **LIVE)
    assert (live.rest.host, live.ws.host, live.ws.path) == ("www.okx.com", "ws.okx.com", "/ws/v5/private")
    assert live._rest_enc.simulated is False
    own = OkxSession(transport="ws", simulated=True, url="http://127.0.0.1:1", ws_url="ws://127.0.0.1:2/ws/v5/private",
                     **DEMO)
    assert (own.rest.port, own.ws.port) == (1, 2)
    with pytest.raises(ConfigError):   # a set-up mistake, not a refused order
        OkxSession(transport="ws", region="moon", **LIVE)


def test_demo_key_trades_over_the_demo_websocket_host():
    """simulated=True: the demo header over REST and the demo WebSocket host; the simulator tells the demo host
    by its name (connected to loopback through ws_address=, so nothing leaves the machine)."""
    async def main():
        async with Simulator(venues=("okx",), okx_limit_per_2s=0, seed=3) as sim:
            port = sim.port("okx")
            async with fastorder.connect("okx", "ws", **DEMO, simulated=True, url=sim.url("okx", "rest"),
                                         ws_url=f"ws://wspap.okx.com:{port}/ws/v5/private", ws_address="127.0.0.1",
                                         allow_plaintext=True, connections=1, timeout=2.0) as s:
                ack = await s.place_order("BTC-USDT", "buy", "0.001", PX)
                assert ack.status in (NEW, "ACCEPTED") and not ack.reconciled
                q = await s.query_order("BTC-USDT", client_order_id=ack.client_order_id)   # REST, demo header
                assert q.status == NEW
                assert sim.order("okx", client_order_id=ack.client_order_id, account="demo")["status"] == "NEW"
            # the bug this replaces: a demo key logging in on the live WebSocket host is refused with 50101
            with pytest.raises(AuthenticationError) as ei:
                async with fastorder.connect("okx", "ws", **DEMO, simulated=True, url=sim.url("okx", "rest"),
                                             ws_url=f"ws://ws.okx.com:{port}/ws/v5/private", ws_address="127.0.0.1",
                                             allow_plaintext=True, connections=1, timeout=2.0):
                    pass
            assert ei.value.code == "50101"
    run(main())


@pytest.mark.parametrize("creds,simulated", [(DEMO, False), (LIVE, True)])
def test_a_key_used_in_the_other_environment_is_refused_with_50101(creds, simulated):
    async def main():
        async with okx("rest", creds, simulated=simulated) as (sim, s):
            with pytest.raises(AuthenticationError) as ei:
                await s.place_order("BTC-USDT", "buy", "0.001", PX)
            assert ei.value.code == "50101" and ei.value.http_status == 401
            assert sim.orders("okx") == []
    run(main())


# -- item: 64008 service-upgrade notice ----------------------------------------------------------------------
def test_upgrade_notice_moves_to_a_fresh_connection_before_the_old_one_closes():
    async def main():
        async with okx("ws", connections=2) as (sim, s):
            first = set(map(id, s.ws_pool.conns))
            assert sim.ws_upgrade_notice(close_after_s=0.5) == 2
            # replaced before the venue closes them: the fresh pair is open and logged on
            await _wait_for(lambda: len(s.ws_pool.conns) == 2 and not (set(map(id, s.ws_pool.conns)) & first), 3.0)
            assert s.ws_pool.reconnects == 2
            assert any(e.get("code") == "64008" for e in s.unsolicited)
            await asyncio.sleep(0.7)   # the old connections are closed by now; nothing was lost with them
            acks = await asyncio.gather(*(s.place_order("BTC-USDT", "buy", "0.001", PX) for _ in range(6)))
            assert all(not a.reconciled for a in acks) and len(s.ws_pool.conns) == 2
    run(main())


def test_upgrade_notice_fault_after_a_request():
    """The notice as a fault: it follows the reply to the request that triggered it; the session rotates, and
    an order sent meanwhile is answered (it is not lost with the closing connection)."""
    async def main():
        async with okx("ws") as (sim, s):
            sim.faults.add("notice:ms=300,count=1,transport=ws")
            old = s.ws_pool.conns[0]
            ack = await s.place_order("BTC-USDT", "buy", "0.001", PX)
            assert not ack.reconciled
            await _wait_for(lambda: s.ws_pool.conns and s.ws_pool.conns[0] is not old)
            ack = await s.place_order("BTC-USDT", "buy", "0.001", PX)
            assert not ack.reconciled and s.ws_pool.reconnects == 1
            await asyncio.sleep(0.5)
            assert old.closed.done() and s.ws_pool.conns[0] is not old
    run(main())


def test_notice_fault_parses_with_the_documented_default_delay():
    from fastorder.sim.faults import parse
    (f,) = parse("notice:count=1")
    assert f.kind == "notice" and f.ms == 60000.0


# -- item: instIdCode ----------------------------------------------------------------------------------------
def _instruments_without_code(sim, which):
    app = sim.apps["okx"]
    real = app._instruments

    def patched(req, in_us):
        status, hdr, body = real(req, in_us)
        d = orjson.loads(body)
        for inst in d["data"]:
            if which is None or inst["instId"] == which:
                inst.pop("instIdCode", None)
        return status, hdr, orjson.dumps(d)
    app._instruments = patched


def test_no_instidcode_at_all_is_a_clear_error_at_start_for_websocket_orders():
    async def main():
        async with Simulator(venues=("okx",), seed=3) as sim:
            _instruments_without_code(sim, None)
            with pytest.raises(VenueError, match="instIdCode") as ei:
                async with fastorder.connect("okx", "ws", **LIVE, url=sim.url("okx", "rest"),
                                             ws_url=sim.url("okx", "ws"), connections=1):
                    pass
            assert ei.value.code == "instIdCode"
            # REST orders name the instrument by instId: they do not need it
            async with fastorder.connect("okx", "rest", **LIVE, url=sim.url("okx", "rest")) as s:
                assert (await s.place_order("BTC-USDT", "buy", "0.001", PX)).order_id
    run(main())


def test_an_instrument_listed_without_instidcode_is_refused_before_sending():
    async def main():
        async with Simulator(venues=("okx",), seed=3) as sim:
            _instruments_without_code(sim, "ETH-USDT")
            async with fastorder.connect("okx", "ws", **LIVE, url=sim.url("okx", "rest"),
                                         ws_url=sim.url("okx", "ws"), connections=1) as s:
                assert s.symbol("ETH-USDT").code == -1 and s.symbol("BTC-USDT").code == 10001
                with pytest.raises(InvalidOrder, match="instIdCode") as ei:
                    await s.place_order("ETH-USDT", "buy", "0.01", "2000")
                assert ei.value.field == "symbol"
                with pytest.raises(InvalidOrder, match="instIdCode"):
                    await s.cancel_order("ETH-USDT", client_order_id="x1")
                assert sim.orders("okx") == []   # nothing was sent with a made-up code
                assert (await s.place_order("BTC-USDT", "buy", "0.001", PX)).order_id
    run(main())


# -- item: expTime on WebSocket orders -----------------------------------------------------------------------
def _sent_frames(s):
    """Record every WebSocket request the session sends (its ws_send, wrapped: the bytes as written)."""
    sent = []
    real = s.ws_send

    async def ws_send(req_id, data, lat, t_call):
        sent.append(orjson.loads(data))
        return await real(req_id, data, lat, t_call)
    s.ws_send = ws_send
    return sent


def test_websocket_orders_carry_exptime_by_default_and_the_journal_window_covers_it(tmp_path):
    async def main():
        path = tmp_path / "j.log"
        async with okx("ws", journal=OrderJournal(path, fsync="never")) as (sim, s):
            assert s.order_ttl_ms == DEFAULT_WS_TTL_MS
            assert s.acceptance_window_ms == DEFAULT_WS_TTL_MS + 1000
            sent = _sent_frames(s)
            before = s.now_ms()
            ack = await s.place_order("BTC-USDT", "buy", "0.001", PX)
            after = s.now_ms()
            exp = int(sent[-1]["expTime"])
            assert before + DEFAULT_WS_TTL_MS <= exp <= after + DEFAULT_WS_TTL_MS
            rec = next(r for r in read_records(path) if r.get("c") == ack.client_order_id and r["t"] == "P")
            assert rec["exp"] >= exp, "recovery could settle the order NOT_PLACED while OKX may still accept it"
            assert rec["exp"] - exp <= 1000 + (after - before)
    run(main())


def test_exptime_can_be_set_or_turned_off_and_the_window_follows():
    async def main():
        async with okx("ws", order_ttl_ms=2500) as (sim, s):
            sent = _sent_frames(s)
            await s.place_order("BTC-USDT", "buy", "0.001", PX)
            assert abs(int(sent[-1]["expTime"]) - s.now_ms() - 2500) < 1000
            assert s.acceptance_window_ms == 3500
        async with okx("ws", order_ttl_ms=0) as (sim, s):
            sent = _sent_frames(s)
            await s.place_order("BTC-USDT", "buy", "0.001", PX)
            assert "expTime" not in sent[-1]
            assert s.acceptance_window_ms >= 10 ** 15   # no deadline was sent: never inferred NOT_PLACED
        async with okx("rest") as (sim, s):
            assert s.order_ttl_ms == 0 and s.acceptance_window_ms == 31_000   # the signed timestamp's 30 s
        async with okx("rest", order_ttl_ms=5000) as (sim, s):
            assert s.acceptance_window_ms == 6000
    run(main())
    with pytest.raises(ConfigError):
        OkxSession(transport="ws", order_ttl_ms=-1, **LIVE)


def test_an_order_reaching_okx_after_its_exptime_is_not_placed_and_the_clock_is_resynced():
    async def main():
        async with okx("ws") as (sim, s):
            s.clock.offset_ms -= 60_000   # our clock a minute behind: the expTime sent is already past at OKX
            with pytest.raises(TimestampRejected) as ei:
                await s.place_order("BTC-USDT", "buy", "0.001", PX)
            assert ei.value.code == "50036"
            assert sim.orders("okx") == []
            assert abs(s.clock.offset_ms) < 1000, "the clock was not re-measured"
            assert (await s.place_order("BTC-USDT", "buy", "0.001", PX)).order_id
    run(main())


def _pending_journal(path, clid: str, ts: int, exp: int) -> OrderJournal:
    """A journal as a crash leaves it: one order written down as sent, never settled (the venue never saw it)."""
    j = OrderJournal(path, fsync="never")
    j.sent("okx", "BTC-USDT", clid, "BUY", "0.001", PX, ts, exp)
    return j


def test_recovery_settles_a_websocket_order_not_placed_only_after_its_exptime(tmp_path):
    async def main():
        async with okx("ws") as (sim, s):
            now = s.now_ms()
            # sent 2 s ago with the default ttl: OKX could still accept it, so it stays undecided
            s.ledger.journal = _pending_journal(tmp_path / "a.log", "fresh1", now - 2000,
                                         now - 2000 + s.acceptance_window_ms)
            assert await s.recover() == [] and [r["c"] for r in s.journal.pending("okx")] == ["fresh1"]
            # sent long enough ago that its expTime has passed: never placed
            s.ledger.journal = _pending_journal(tmp_path / "b.log", "stale1", now - 20_000,
                                         now - 20_000 + s.acceptance_window_ms)
            (ack,) = await s.recover()
            assert ack.status == "NOT_PLACED" and ack.client_order_id == "stale1"
        async with okx("ws", order_ttl_ms=0) as (sim, s):
            # no expTime was sent: however old, never inferred NOT_PLACED
            now = s.now_ms()
            s.ledger.journal = _pending_journal(tmp_path / "c.log", "nodeadline1", now - 3_600_000,
                                         now - 3_600_000 + s.acceptance_window_ms)
            assert await s.recover() == [] and s.journal.pending("okx")
    run(main())


@pytest.mark.parametrize("body", [{"code": None, "data": {"": None}}, {"code": "0", "data": True},
                                  {"code": "1", "data": "x"}])
def test_a_reply_whose_data_is_not_a_list_is_a_typed_error_not_a_crash(body):
    """A typed error, or (a "success" without the result) an unknown outcome the caller settles by query."""
    s = OkxSession(transport="rest", url="http://127.0.0.1:9", **LIVE)
    with pytest.raises((VenueError, _Unknown)):
        s._one(body, 200, "c1", "query")
