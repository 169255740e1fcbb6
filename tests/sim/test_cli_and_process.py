"""`fastorder sim` as a command and as a separate process (SimulatorProcess), and the thread runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from fastorder.sim import SimulatorProcess, SimulatorThread


def _get(url):
    with urllib.request.urlopen(url, timeout=5) as r:  # loopback only
        return r.status, json.loads(r.read())


def test_cli_serves_and_prints_where():
    p = subprocess.Popen([sys.executable, "-m", "fastorder.cli", "sim", "--venue", "binance", "--venue", "htx",
                          "--port", "0", "--fault", "latency:ms=1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        lines = [p.stdout.readline() for _ in range(3)]
        assert "serving binance, htx" in lines[0]
        url = lines[1].split("rest=")[1].split()[0]
        assert url.startswith("http://127.0.0.1:") and "ws=ws://127.0.0.1:" in lines[1]
        assert "htx" in lines[2] and "ws=" not in lines[2]
        st, body = _get(url + "/api/v3/time")
        assert st == 200 and "serverTime" in body
    finally:
        p.terminate()
        assert p.wait(10) == 0
        p.stdout.close()
        p.stderr.close()


def test_cli_refuses_remote_bind_and_bad_fault():
    for extra in (["--host", "0.0.0.0"], ["--fault", "explode"]):
        r = subprocess.run([sys.executable, "-m", "fastorder.cli", "sim", "--port", "0", *extra],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and "fastorder sim:" in r.stderr


def test_simulator_process_with_admin_endpoints(h):
    cpus = sorted(os.sched_getaffinity(0))[-1:]
    with SimulatorProcess(venues=("binance", "okx"), cpus=cpus, extra_args=["--no-rate-limits"]) as sp:
        base = sp.urls["binance"]["rest"]
        q = h.bn_query({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
                        "quantity": "0.01", "price": "49000", "newClientOrderId": "proc1", "timestamp": h.ms()})
        req = urllib.request.Request(base + "/api/v3/order?" + q, method="POST", headers={"X-MBX-APIKEY": h.BN_KEY})
        with urllib.request.urlopen(req, timeout=5) as r:
            assert r.status == 200 and float(r.headers["X-Sim-Processing-Us"]) > 0
        orders = sp.orders("binance")
        assert [o["client_order_id"] for o in orders] == ["proc1"] and orders[0]["status"] == "NEW"
        assert orders[0]["venue_status"] == "NEW"
        st = sp.stats("binance", samples=True)
        assert st["processing_us"]["rest"]["count"] == 1 and len(st["samples"]["rest"]) == 1
        assert sp.urls["okx"]["ws"].endswith("/ws/v5/private")
        assert sp.add_faults("5xx:venue=binance,count=1")["faults"]
        req = urllib.request.Request(base + "/api/v3/time")
        with pytest.raises(urllib.error.HTTPError) as ei:
            urllib.request.urlopen(req, timeout=5)
        assert ei.value.code == 503
        ei.value.close()
        assert sp.clear_faults()["faults"] == []
        with pytest.raises(urllib.error.HTTPError) as ei:
            sp.add_faults("nonsense")
        assert ei.value.code == 400
        ei.value.close()
        pid = sp.info["pid"]
        assert os.sched_getaffinity(pid) == set(cpus)
    assert sp.proc.returncode is not None


def test_thread_runner_and_restart_api(h):
    with SimulatorThread(venues=("htx",)) as sim:
        st, body = _get(sim.url("htx") + "/v1/common/timestamp")
        assert body["status"] == "ok"
    with pytest.raises(ValueError):
        SimulatorThread(venues=("htx",), host="10.0.0.1").start()


def test_restart_from_api(h):
    async def main():
        import aiohttp

        from fastorder.sim import Simulator
        async with Simulator(venues=("htx",)) as sim:
            port = sim.port("htx")
            await sim.restart("htx", 0.05)
            assert sim.port("htx") == port
            async with aiohttp.ClientSession() as s, s.get(sim.url("htx") + "/v1/common/timestamp") as r:
                assert (await r.json())["status"] == "ok"
    h.run(main())
    time.sleep(0)


def test_simulator_process_tls(h):
    import ssl
    with SimulatorProcess(venues=("okx",), tls=True) as sp:
        base = sp.urls["okx"]["rest"]
        assert base.startswith("https://127.0.0.1:") and sp.ca_file and os.path.exists(sp.ca_file)
        ctx = ssl.create_default_context(cafile=sp.ca_file)
        with urllib.request.urlopen(base + "/api/v5/public/time", timeout=5, context=ctx) as r:
            assert json.loads(r.read())["code"] == "0"
        assert sp.stats("okx")["venue"] == "okx"


def test_spinner_polls_after_traffic_then_sleeps(h):
    """--spin-us: the process busy-polls right after a request, and stops burning CPU once traffic stops."""
    import psutil

    with SimulatorProcess(venues=("binance",), extra_args=["--no-rate-limits", "--spin-us", "200000"]) as sp:
        proc = psutil.Process(sp.info["pid"])
        base = sp.urls["binance"]["rest"]
        with urllib.request.urlopen(base + "/api/v3/ping", timeout=5) as r:
            assert r.status == 200
        c0 = sum(proc.cpu_times()[:2])
        time.sleep(0.15)  # inside the 200 ms window: the loop polls, so it uses CPU
        busy = sum(proc.cpu_times()[:2]) - c0
        time.sleep(0.2)  # window over
        c1 = sum(proc.cpu_times()[:2])
        time.sleep(0.3)
        idle = sum(proc.cpu_times()[:2]) - c1
        assert busy > 0.03, busy
        assert idle < 0.05, idle


def test_spinner_window_unit(monkeypatch):
    """The spinner keeps the loop polling while its window lasts and stops once it has passed. The clock is
    driven by hand, so a slow or loaded machine cannot make the test fail."""
    import asyncio

    from fastorder.sim import http

    now = [1_000_000]
    monkeypatch.setattr(http, "_perf", lambda: now[0])

    async def main():
        s = http.Spinner(asyncio.get_running_loop(), 5000)  # 5 ms
        s.poke()
        assert s.active
        for _ in range(20):   # inside the window: every loop pass schedules the next
            await asyncio.sleep(0)
            assert s.active
        now[0] += 4_000_000
        await asyncio.sleep(0)
        assert s.active
        s.poke()              # a new chunk extends the window from now
        now[0] += 4_000_000
        await asyncio.sleep(0)
        assert s.active
        now[0] += 1_000_001
        for _ in range(3):
            await asyncio.sleep(0)
        assert not s.active   # window passed: the loop may sleep again

    asyncio.run(main())


@pytest.mark.parametrize("transport", ["rest", "ws"])
def test_spinner_replays_the_last_order_as_a_test_order_while_idle(h, transport):
    """--warm-us: while it polls through a quiet spell the simulator replays the last order request in its
    validation-only form (REST order/test; a WebSocket order.place's parsing, signature and filter checks).
    Nothing of a replay shows: no order, no request sample, no weight on the client's address; a real order
    after it is served as before."""
    import asyncio

    import fastorder
    from fastorder.bench.runner import ACCOUNTS

    with SimulatorProcess(venues=("binance",), extra_args=["--no-rate-limits", "--spin-us", "300000",
                                                           "--warm-us", "500"]) as sp:
        def used_weight() -> int:
            with urllib.request.urlopen(sp.urls["binance"]["rest"] + "/api/v3/ping", timeout=5) as r:  # loopback
                return int(r.headers["X-MBX-USED-WEIGHT-1M"])

        async def main() -> None:
            async with fastorder.connect("binance", transport, **ACCOUNTS["binance"], url=sp.urls["binance"]["rest"],
                                         ws_url=sp.urls["binance"]["ws"], rate_limit=False, timeout=2.0) as s:
                ack = await s.place_order("BTCUSDT", "buy", "0.001", "46000", tif="IOC")
                assert ack.order_id
                w0 = used_weight()   # (a ping: a request, counted before the samples are read)
                st0, n0 = sp.stats("binance", samples=True), len(sp.orders("binance"))
                await asyncio.sleep(0.1)
                st1, n1 = sp.stats("binance", samples=True), len(sp.orders("binance"))
                assert st1["replays"] - st0["replays"] >= 10, (st0["replays"], st1["replays"])   # ~200 in 0.1 s
                assert st1["samples"] == st0["samples"] and n1 == n0
                assert used_weight() == w0 + 1   # this ping's own: the replays weigh on another address
                ack2 = await s.place_order("BTCUSDT", "buy", "0.001", "46000", tif="IOC")
                assert ack2.order_id and ack2.order_id != ack.order_id
                assert len(sp.orders("binance")) == n0 + 1

        h.run(main())


def test_idle_collector_runs_only_when_traffic_pauses():
    """The standalone simulator collects garbage while no chunk arrives (or after many), never mid-request.
    Ticks are driven by hand here (the timer is set far away), so the test does not depend on timing."""
    import asyncio
    import gc

    from fastorder.sim.cli import IdleCollector

    chunks = [0]

    async def main():
        c = IdleCollector(asyncio.get_running_loop(), every_s=3600, max_chunks=1000, count=lambda: chunks[0])
        c.start()
        assert not gc.isenabled()
        c._tick()
        c._tick()
        assert c.runs == 0                       # nothing arrived: nothing to collect
        for _ in range(10):                      # traffic at every look, below max_chunks: no run
            chunks[0] += 10
            c._tick()
        assert c.runs == 0
        c._tick()                                # traffic paused: one run ...
        c._tick()                                # ... and none until traffic again
        assert c.runs == 1 and gc.get_freeze_count() > 0
        chunks[0] += 5000                        # a long burst: runs even without a pause
        c._tick()
        assert c.runs == 2

    try:
        asyncio.run(main())
    finally:
        gc.unfreeze()
        gc.enable()
