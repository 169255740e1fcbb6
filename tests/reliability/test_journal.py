"""The order journal: written before sending, settled after, recovered after a real kill -9."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time

import orjson

import fastorder
from fastorder.journal import OrderJournal
from fastorder.sim import BinanceLimits, Simulator, SimulatorProcess, creds


def test_records_reload_and_a_torn_last_line_is_ignored(tmp_path):
    path = tmp_path / "j.log"
    with OrderJournal(path, fsync="always") as j:
        j.sent("binance", "BTCUSDT", "a1", "BUY", "0.1", "100", 1, 10)
        j.sent("binance", "BTCUSDT", "a2", "BUY", "0.1", "100", 2, 10)
        j.final("a1", "NEW", "77")
    with open(path, "ab") as f:
        f.write(b'{"t":"P","v":"binance","s":"BTC')   # a crash in the middle of a write
    j = OrderJournal(path)
    assert [r["c"] for r in j.pending()] == ["a2"] and j.outcome("a1")["o"] == "77"
    j.compact()
    j.close()
    assert [orjson.loads(x)["c"] for x in path.read_bytes().splitlines()] == ["a2"]


def test_sessions_journal_every_order_and_keep_no_secret(tmp_path):
    path = tmp_path / "j.log"

    async def main():
        async with Simulator(venues=("binance",), binance_limits=BinanceLimits(enabled=False)) as sim:
            async with fastorder.connect("binance", "ws", key=creds.BINANCE_HMAC_KEY,
                                         secret=creds.BINANCE_HMAC_SECRET, url=sim.url("binance", "rest"),
                                         ws_url=sim.url("binance", "ws"), journal=str(path)) as s:
                ok = await s.place_order("BTCUSDT", "buy", "0.001", "46000")
                try:
                    await s.place_order("BTCUSDT", "buy", "0.001", "nan")
                except ValueError:
                    pass
                assert s.journal.pending() == [] and s.journal.outcome(ok.client_order_id)["st"] == "NEW"
    asyncio.run(main())
    text = path.read_text()
    assert creds.BINANCE_HMAC_SECRET not in text and creds.BINANCE_HMAC_KEY not in text
    assert text.count('"t":"P"') == 2 and '"st":"NOT_SENT"' in text


CHILD = textwrap.dedent("""
    import asyncio, sys
    import fastorder
    from fastorder.sim import creds
    rest, ws, path = sys.argv[1:4]

    async def main():
        async with fastorder.connect("binance", "ws", key=creds.BINANCE_HMAC_KEY, secret=creds.BINANCE_HMAC_SECRET,
                                     url=rest, ws_url=ws, journal=fastorder.journal.OrderJournal(path, fsync="never"),
                                     rate_limit=False, connections=2, recv_window=500) as s:
            print("ready", flush=True)

            async def worker():
                for _ in range(20000):   # bounded; the test kills it long before
                    await s.place_order("BTCUSDT", "buy", "0.001", "46000", tif="IOC")

            await asyncio.gather(*(worker() for _ in range(8)))   # always ~8 orders in flight
    asyncio.run(main())
""")


def test_kill_9_mid_burst_then_every_order_is_reconciled(tmp_path):
    path = tmp_path / "j.log"
    # every WS reply held 20 ms: orders are in flight almost all the time, so the kill always catches some
    with SimulatorProcess(venues=("binance",), faults="latency:ms=20,transport=ws",
                          extra_args=["--no-rate-limits"]) as sim:
        urls = sim.urls["binance"]
        child = subprocess.Popen([sys.executable, "-c", "import fastorder.journal\n" + CHILD, urls["rest"],
                                  urls["ws"], str(path)], stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "ready"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (not path.exists() or path.stat().st_size < 30_000):
                time.sleep(0.02)
            os.kill(child.pid, signal.SIGKILL)      # in the middle of a burst, orders in flight
            child.wait(10)
        finally:
            if child.poll() is None:
                child.kill()
            child.stdout.close()
        assert child.returncode == -signal.SIGKILL
        before = OrderJournal(path)
        in_flight = {r["c"] for r in before.pending()}
        before.close()
        assert in_flight, "the kill should leave orders without a recorded outcome"
        time.sleep(1.6)   # past recvWindow (500 ms) + margin: an order the venue never saw cannot appear later

        async def recover():
            async with fastorder.connect("binance", "rest", key=creds.BINANCE_HMAC_KEY,
                                         secret=creds.BINANCE_HMAC_SECRET, url=urls["rest"],
                                         journal=str(path), rate_limit=False, recv_window=500) as s:
                acks = await s.recover()
                return acks, s.journal.pending(), {c: s.journal.outcome(c) for c in in_flight}

        acks, still, outcomes = asyncio.run(recover())
        assert still == [] and len(acks) == len(in_flight)
        truth = {o["client_order_id"]: o for o in sim.orders("binance")}
        journal_ids = {orjson.loads(x)["c"] for x in path.read_bytes().splitlines() if b'"t":"P"' in x}
        assert set(truth) <= journal_ids, "an order reached the venue without being journalled (lost)"
        for clid, out in outcomes.items():
            if out["st"] == "NOT_PLACED":
                assert clid not in truth
            else:
                assert truth[clid]["status"] == out["st"] and str(truth[clid]["order_id"]) == out["o"]
