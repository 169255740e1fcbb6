"""The public error hierarchy and the `fastorder` logger, against the embedded simulator."""

from __future__ import annotations

import asyncio
import inspect
import logging
import subprocess
import sys

import pytest

import fastorder
import fastorder.errors
from fastorder.sim import BinanceLimits, Simulator

CREDS = {
    "binance": dict(key="vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
                    secret="NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"),
    "okx": dict(key="985d5b66-57ce-40fb-b714-afc0b9787083", secret="22582BD0CFF14C41EDBF1AB98506286D",
                passphrase="Sim-Passphrase-1"),
}
SECRETS = [v for c in CREDS.values() for k, v in c.items() if k != "key"]


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def sim(venue: str, **kw) -> Simulator:
    return Simulator(venues=(venue,), tls=False, seed=1, binance_limits=BinanceLimits(enabled=False),
                     okx_limit_per_2s=0, **kw)


def connect(s: Simulator, venue: str, transport: str, **kw):
    args = dict(CREDS[venue], url=s.url(venue, "rest"), timeout=2.0, **kw)
    if transport == "ws":
        args["ws_url"] = s.url(venue, "ws")
    return fastorder.connect(venue, transport, **args)


# -- errors -----------------------------------------------------------------------------------------------------
ERRORS = [obj for _, obj in inspect.getmembers(fastorder.errors, inspect.isclass)
          if issubclass(obj, BaseException) and obj.__module__ == "fastorder.errors"]


def test_every_error_derives_from_fastorder_error_and_is_at_the_top_level():
    assert len(ERRORS) > 25
    for cls in ERRORS:
        assert issubclass(cls, fastorder.FastorderError), cls
        assert getattr(fastorder, cls.__name__) is cls, cls
        assert cls.__name__ in fastorder.__all__


def test_transport_errors_are_fastorder_errors_under_their_old_names():
    from fastorder.transport import client, http, ws

    assert http.HttpParseError is fastorder.HttpParseError
    assert http.HttpConnectionClosed is fastorder.HttpConnectionClosed
    assert ws.WSError is fastorder.WSError and ws.WSClosed is fastorder.WSClosed
    for cls in (http.HttpParseError, http.HttpConnectionClosed, ws.WSError, ws.WSClosed):
        assert issubclass(cls, fastorder.TransportError)
    # still what generic handlers catch
    assert issubclass(ws.WSClosed, ConnectionError) and issubclass(http.HttpConnectionClosed, ConnectionError)
    assert issubclass(client.PlaintextNotAllowed, fastorder.ConfigError)
    assert issubclass(client.PlaintextNotAllowed, ValueError)
    assert ws.WSError(1002, "bad frame").code == 1002


def test_a_malformed_reply_raises_a_transport_error():
    from fastorder.transport.http import HttpResponseParser

    p = HttpResponseParser()
    with pytest.raises(fastorder.TransportError):
        p.feed(b"HTTP/1.1 abc nonsense\r\n\r\n")


@pytest.mark.parametrize("call,field", [
    (lambda: fastorder.connect("kraken", "rest", key="k", secret="s"), "venue"),
    (lambda: fastorder.connect("binance", "fix", key="k", secret="s"), "transport"),
    (lambda: fastorder.connect("htx", "ws", key="k", secret="s"), "transport"),
    (lambda: fastorder.connect("binance", "rest", key="k", secret="s", url="ftp://x"), "url"),
    (lambda: fastorder.connect("binance", "rest", key="k", secret="s", spin_us=100, tls_engine="loop"), "spin_us"),
    (lambda: fastorder.connect("binance", "rest", key="k", secret="s", resp_type="ALL"), "resp_type"),
])
def test_set_up_mistakes_raise_config_error_not_invalid_order(call, field):
    with pytest.raises(fastorder.ConfigError) as ei:
        call()
    assert not isinstance(ei.value, fastorder.InvalidOrder)
    assert ei.value.field == field


def test_plaintext_to_a_remote_host_is_a_config_error():
    async def main():
        s = fastorder.connect("binance", "rest", key="k", secret="s", url="http://192.0.2.1")
        with pytest.raises(fastorder.PlaintextNotAllowed):
            await s.start()
    run(main())


# -- the logger ---------------------------------------------------------------------------------------------------
def test_silent_below_warning_by_default():
    code = ("from fastorder.log import logger; logger.debug('dbg-line'); logger.info('info-line'); "
            "logger.warning('warn-line')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "warn-line" in r.stderr
    assert "info-line" not in r.stderr + r.stdout and "dbg-line" not in r.stderr + r.stdout
    assert logging.getLogger("fastorder") is fastorder.log.logger


def _messages(caplog, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("fastorder") and r.levelno == level]


@pytest.mark.parametrize("venue", ["binance", "okx"])
def test_a_lost_websocket_and_its_replacement_are_logged(venue, caplog):
    caplog.set_level(logging.DEBUG, logger="fastorder")

    async def main():
        async with sim(venue) as sm:
            async with connect(sm, venue, "ws", connections=1) as s:
                sm.faults.add("drop:phase=after,count=1,transport=ws")
                sym = "BTCUSDT" if venue == "binance" else "BTC-USDT"
                ack = await s.place_order(sym, "buy", "0.001", "46000")
                assert ack.reconciled
                for _ in range(250):
                    if s.ws_pool.reconnects:
                        break
                    await asyncio.sleep(0.02)
                assert s.ws_pool.reconnects == 1
    run(main())
    warnings = _messages(caplog, logging.WARNING)
    assert any("WebSocket connection lost" in m for m in warnings), warnings
    infos = _messages(caplog, logging.INFO)
    assert any("WebSocket connection reopened" in m for m in infos), infos
    assert any("unknown" in m and "querying" in m for m in infos), infos        # the order's reconcile
    assert any("settled by query" in m for m in infos), infos


def test_a_rotation_is_logged_and_is_not_a_loss(caplog):
    caplog.set_level(logging.DEBUG, logger="fastorder")

    async def main():
        async with sim("binance") as sm:
            async with connect(sm, "binance", "ws", connections=1) as s:
                first = s.ws_pool.conns[0]
                await s.ws_pool.rotate(first)   # what a serverShutdown event starts
                assert s.ws_pool.conns and s.ws_pool.conns[0] is not first
                await asyncio.wait_for(first.closed, 2.0)
                await asyncio.sleep(0.05)
                assert s.ws_pool.reconnects == 1
    run(main())
    assert any("rotated" in m for m in _messages(caplog, logging.INFO))
    assert not any("connection lost" in m for m in _messages(caplog, logging.WARNING))


def test_clock_resyncs_are_logged(caplog):
    caplog.set_level(logging.DEBUG, logger="fastorder")

    async def main():
        async with sim("binance") as sm:
            async with connect(sm, "binance", "rest", resync_interval=0.05) as s:
                await asyncio.sleep(0.3)
                s.clock.offset_ms -= 600_000   # ten minutes behind: the venue rejects the timestamp
                with pytest.raises(fastorder.TimestampRejected):
                    await s.place_order("BTCUSDT", "buy", "0.001", "46000")
    run(main())
    assert any("clock re-synced" in m for m in _messages(caplog, logging.DEBUG))
    assert any("rejected a timestamp; clock re-synced" in m for m in _messages(caplog, logging.INFO))


def test_a_failed_resync_is_a_warning(caplog):
    caplog.set_level(logging.DEBUG, logger="fastorder")

    async def main():
        async with sim("binance") as sm:
            async with connect(sm, "binance", "rest", resync_interval=0.05) as s:
                async def broken() -> int:
                    raise ConnectionResetError("reset by peer")
                s._server_time_ms = broken
                offset = s.clock.offset_ms
                await asyncio.sleep(0.3)
                assert s.clock.offset_ms == offset   # kept
    run(main())
    assert any("clock re-sync failed" in m and "ConnectionResetError" in m
               for m in _messages(caplog, logging.WARNING))


def test_address_reprobe_is_logged(caplog):
    caplog.set_level(logging.DEBUG, logger="fastorder")

    async def main():
        async with sim("binance") as sm:
            # 127.0.0.2 is loopback too, but nothing listens there: the probe finds no answer
            async with connect(sm, "binance", "rest", reprobe=["127.0.0.2"], reprobe_interval=0.05) as s:
                await asyncio.sleep(0.5)
                assert s.pin.address is None
                assert await s.choose_address(["127.0.0.1"], samples=1) == "127.0.0.1"
    run(main())
    infos = _messages(caplog, logging.INFO)
    assert any("no candidate address answered" in m for m in infos), infos
    assert any("re-probe keeps 127.0.0.1" in m for m in _messages(caplog, logging.DEBUG))


def test_no_secret_in_any_log_record(caplog):
    caplog.set_level(logging.DEBUG)

    async def main():
        for venue in ("binance", "okx"):
            async with sim(venue, faults="drop:phase=after,count=1,transport=ws") as sm:
                async with connect(sm, venue, "ws", resync_interval=0.05) as s:
                    await s.place_order("BTCUSDT", "buy", "0.001", "46000")
                    await asyncio.sleep(0.2)
    run(main())
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "fastorder" in {r.name.split(".")[0] for r in caplog.records}
    for secret in SECRETS:
        assert secret not in text
