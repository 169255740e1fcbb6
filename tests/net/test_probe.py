"""Address probing and pinning on one machine: several loopback addresses, each a delaying proxy in front of
the simulator (netem is not available in every kernel), the probe choosing the fast one, a session
following it. Only loopback addresses are used."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import threading

import pytest

import fastorder
from fastorder.net.probe import parse_target, probe_host
from fastorder.net.proxy import DelayProxy
from fastorder.sim import Simulator, SimulatorProcess, creds

SLOW, FAST = "127.0.0.2", "127.0.0.3"


def free_port_on(*hosts: str) -> int:
    """A port free on every host given (so two proxies can share it)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind((hosts[0], 0))
            port = s.getsockname()[1]
        try:
            for h in hosts[1:]:
                with socket.socket() as t:
                    t.bind((h, port))
            return port
        except OSError:
            continue
    raise RuntimeError("no common free port")


@contextlib.asynccontextmanager
async def two_paths(target_port: int, slow_ms: float = 6.0):
    port = free_port_on(SLOW, FAST)
    async with DelayProxy((SLOW, port), ("127.0.0.1", target_port), delay_ms=slow_ms), \
            DelayProxy((FAST, port), ("127.0.0.1", target_port), delay_ms=0):
        yield port


def sim_port(sim, venue="binance") -> int:
    return int(sim.url(venue, "rest").rsplit(":", 1)[1])


def test_probe_measures_every_address_and_picks_the_fast_one():
    async def main():
        async with Simulator(venues=("binance",), tls=True) as sim:
            async with two_paths(sim_port(sim)) as port:
                r = await probe_host("localhost", port, "/api/v3/ping", ssl_context=sim.client_ssl_context(),
                                     addresses=[SLOW, FAST], samples=5)
                assert [a.address for a in r.addresses] == [SLOW, FAST]
                for a in r.addresses:
                    assert len(a.connect_us) == len(a.tls_us) == len(a.app_us) == 5 and not a.errors
                slow, fast = r.addresses
                assert r.best.address == FAST
                assert slow.score > fast.score + 3000   # the 6 ms path shows in the application RTT
    asyncio.run(asyncio.wait_for(main(), 60))


def test_unreachable_addresses_give_errors_not_a_hang():
    async def main():
        port = free_port_on("127.0.0.9")   # nothing listens there
        r = await probe_host("localhost", port, "/", addresses=["127.0.0.9"], samples=10, timeout=0.5)
        assert r.best is None and r.addresses[0].errors and len(r.addresses[0].errors) <= 2
    asyncio.run(asyncio.wait_for(main(), 30))


def test_resolution_failure_is_reported(monkeypatch):
    async def main():
        loop = asyncio.get_running_loop()

        async def fail(*a, **k):
            raise socket.gaierror(-2, "Name or service not known")

        monkeypatch.setattr(loop, "getaddrinfo", fail)
        r = await probe_host("venue.example", 443, "/")
        assert r.error.startswith("cannot resolve venue.example") and r.best is None
    asyncio.run(main())


def test_parse_target():
    assert parse_target("api.binance.com") == ("api.binance.com", 443)
    assert parse_target("127.0.0.1:8881") == ("127.0.0.1", 8881)
    assert parse_target("[::1]:9443") == ("::1", 9443)


def test_session_pinned_to_an_address_follows_the_faster_one():
    async def main():
        async with Simulator(venues=("binance",), tls=True) as sim:
            async with two_paths(sim_port(sim)) as port:
                async with fastorder.connect("binance", "rest", key=creds.BINANCE_HMAC_KEY,
                                             secret=creds.BINANCE_HMAC_SECRET, url=f"https://localhost:{port}",
                                             ssl_context=sim.client_ssl_context(), address=SLOW,
                                             timeout=2.0) as s:
                    from fastorder.transport.client import peer_address as _peer_address
                    assert {_peer_address(c) for c in s._pool.connections} == {SLOW}
                    ack = await s.place_order("BTCUSDT", "buy", "0.001", "46000")
                    slow_rtt = ack.latency.round_trip_ns
                    # an order in flight while the session moves is not disturbed
                    inflight = asyncio.ensure_future(s.place_order("BTCUSDT", "buy", "0.001", "46000"))
                    chosen = await s.choose_address([SLOW, FAST], samples=3)
                    assert chosen == FAST and s.pin.address == FAST
                    assert (await inflight).order_id
                    for _ in range(50):
                        if {_peer_address(c) for c in s._pool.connections} == {FAST}:
                            break
                        await s.use_address(FAST)   # a connection busy at the switch is replaced now
                        await asyncio.sleep(0.02)
                    assert {_peer_address(c) for c in s._pool.connections} == {FAST}
                    ack = await s.place_order("BTCUSDT", "buy", "0.001", "46000")
                    assert ack.latency.round_trip_ns < slow_rtt
    asyncio.run(asyncio.wait_for(main(), 60))


def test_probe_cli_recommends_the_fast_address():
    with SimulatorProcess(venues=("binance",), tls=True) as p:
        target = int(p.urls["binance"]["rest"].rsplit(":", 1)[1])
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        port_box: list[int] = []
        stop = asyncio.Event()

        async def serve():
            async with two_paths(target) as port:
                port_box.append(port)
                ready.set()
                await stop.wait()

        t = threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True)
        t.start()
        assert ready.wait(10)
        try:
            res = subprocess.run([sys.executable, "-m", "fastorder.cli", "probe", f"localhost:{port_box[0]}",
                                  "--address", SLOW, "--address", FAST, "--cafile", p.ca_file,
                                  "--path", "/api/v3/ping", "--samples", "4"],
                                 capture_output=True, text=True, timeout=120)
        finally:
            loop.call_soon_threadsafe(stop.set)
            t.join(10)
            loop.close()
        assert res.returncode == 0, res.stderr
        assert f"recommendation: localhost at {FAST}" in res.stdout


def test_probe_cli_with_nothing_reachable():
    port = free_port_on("127.0.0.9")
    res = subprocess.run([sys.executable, "-m", "fastorder.cli", "probe", f"localhost:{port}", "--address",
                          "127.0.0.9", "--plain", "--timeout", "0.3"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 1 and "no endpoint answered" in res.stdout


def test_delay_proxy_refuses_non_loopback():
    with pytest.raises(ValueError):
        DelayProxy(("10.0.0.1", 0), ("127.0.0.1", 1))


def test_background_reprobe_moves_the_session_and_ws_address_pinning():
    async def main():
        async with Simulator(venues=("binance",), tls=True) as sim:
            async with two_paths(sim_port(sim)) as port:
                url = f"https://localhost:{port}"
                async with fastorder.connect("binance", "ws", key=creds.BINANCE_HMAC_KEY,
                                             secret=creds.BINANCE_HMAC_SECRET, url=url,
                                             ws_url=f"wss://localhost:{port}/ws-api/v3", address=SLOW,
                                             ws_address=FAST, ssl_context=sim.client_ssl_context(),
                                             reprobe=[SLOW, FAST], reprobe_interval=0.2, timeout=2.0) as s:
                    from fastorder.transport.client import peer_address as _peer_address
                    assert {_peer_address(c) for c in s.ws_pool.conns} == {FAST}   # WS pinned, SNI still localhost
                    ack = await s.place_order("BTCUSDT", "buy", "0.001", "46000")
                    assert ack.order_id
                    for _ in range(100):   # the background re-probe finds the faster REST path by itself
                        if s.pin.address == FAST:
                            break
                        await asyncio.sleep(0.05)
                    assert s.pin.address == FAST
    asyncio.run(asyncio.wait_for(main(), 60))
