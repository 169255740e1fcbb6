"""Per-connection faults: ``tls_fail`` (each mode, seen by a verifying stdlib TLS client, on asyncio's loop and
uvloop), its selectors and determinism, and ``slow_read`` decided per transport (a WebSocket upgrade)."""

from __future__ import annotations

import asyncio
import base64
import os
import ssl
import struct
import time

import pytest

from fastorder.sim import FaultPlan, Simulator
from fastorder.sim.faults import parse

PING = b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\n\r\n"
# what a verifying client sees, per mode: the exception type (stdlib asyncio / uvloop agree on these)
EXPECT = {
    "reset": (ConnectionResetError, ssl.SSLError),   # RST after the ClientHello
    "close": (ConnectionResetError, ssl.SSLError),   # FIN: "connection lost" during the handshake
    "garbage": (ssl.SSLError,),                      # WRONG_VERSION_NUMBER
    "alert": (ssl.SSLError,),                        # SSLV3_ALERT_HANDSHAKE_FAILURE
    "badcert": (ssl.SSLCertVerificationError,),
    "expired": (ssl.SSLCertVerificationError,),
    "wrongname": (ssl.SSLCertVerificationError,),
}
REASON = {"garbage": "WRONG_VERSION_NUMBER", "alert": "HANDSHAKE_FAILURE", "badcert": "self-signed",
          "expired": "expired", "wrongname": "mismatch"}


def _loops(coro_fn):
    """Run on uvloop and on asyncio's own loop: the simulator's TLS accept path is written for both."""
    import uvloop

    async def bounded():
        return await asyncio.wait_for(coro_fn(), 30)

    uvloop.run(bounded())
    asyncio.run(bounded())


async def _ping(sim, ctx, venue="binance"):
    r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", sim.port(venue), ssl=ctx,
                                                          server_hostname="127.0.0.1"), 3)
    try:
        w.write(PING)
        head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 3)
        n = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        return head + await asyncio.wait_for(r.readexactly(n), 3)
    finally:
        w.close()


def test_parse_tls_fail():
    f = parse("tls_fail")[0]
    assert f.kind == "tls_fail" and f.mode == "reset"
    fs = parse("tls_fail:mode=badcert,p=0.5,nth=3,count=2,venue=okx,conn=4,after=10")
    assert (fs[0].mode, fs[0].p, fs[0].nth, fs[0].count, fs[0].venue, fs[0].conn, fs[0].after) == \
        ("badcert", 0.5, 3, 2, "okx", 4, 10)
    for bad in ("tls_fail:mode=explode", "tls_fail:transport=rest", "drop:mode=reset"):
        with pytest.raises(ValueError):
            parse(bad)
    assert "mode=alert" in parse("tls_fail:mode=alert")[0].describe()


@pytest.mark.parametrize("mode", list(EXPECT))
def test_each_mode_fails_one_handshake_then_serves(mode):
    async def main():
        async with Simulator(venues=("binance",), tls=True, faults=f"tls_fail:mode={mode},conn=1") as sim:
            ctx = sim.client_ssl_context()
            with pytest.raises(EXPECT[mode]) as ei:
                await _ping(sim, ctx)
            if mode in REASON:
                assert REASON[mode].lower() in str(ei.value).lower()
            assert (await _ping(sim, ctx)).endswith(b"{}")   # connection 2 is served
            assert sim.faults.log == [("binance", 0, "tls_fail")]
            site = sim.sites["binance"]
            for _ in range(100):   # nothing is left behind on the server side
                if not site.gates and not site.conns:
                    break
                await asyncio.sleep(0.01)
            assert not site.gates and not site.conns
    _loops(main)


def test_bad_certificates_are_only_bad_for_a_verifying_client():
    """With verification off the handshake completes and the connection is served: the fault is the
    certificate, nothing else (which is why a client must verify)."""
    async def main():
        async with Simulator(venues=("binance",), tls=True, faults="tls_fail:mode=badcert") as sim:
            insecure = ssl.create_default_context()
            insecure.check_hostname = False
            insecure.verify_mode = ssl.CERT_NONE
            assert (await _ping(sim, insecure)).endswith(b"{}")
            with pytest.raises(ssl.SSLCertVerificationError):
                await _ping(sim, sim.client_ssl_context())
    _loops(main)


def test_stall_holds_the_handshake_until_the_client_gives_up_or_ms():
    async def main():
        async with Simulator(venues=("binance",), tls=True, faults="tls_fail:mode=stall,count=1;"
                             "tls_fail:mode=stall,ms=200,count=1") as sim:
            ctx = sim.client_ssl_context()
            t0 = time.perf_counter()
            with pytest.raises((asyncio.TimeoutError, TimeoutError)):   # the client's own timeout decides
                await asyncio.wait_for(asyncio.open_connection("127.0.0.1", sim.port("binance"), ssl=ctx,
                                                               server_hostname="127.0.0.1"), 0.3)
            assert 0.25 < time.perf_counter() - t0 < 2
            t0 = time.perf_counter()
            with pytest.raises((ConnectionError, ssl.SSLError)):   # the server gives up after ms=200
                await _ping(sim, ctx)
            assert 0.15 < time.perf_counter() - t0 < 2
            assert (await _ping(sim, ctx)).endswith(b"{}")
    _loops(main)


def test_selectors_and_numbering_on_a_tls_site():
    """nth= is every n-th connection, count= caps the firings, venue= picks the venue; connections keep
    the accept order as their number, so conn= of a request fault still means the n-th TCP connection."""
    async def main():
        async with Simulator(venues=("binance", "okx"), tls=True,
                             faults="tls_fail:mode=alert,nth=2,count=2,venue=binance;5xx:conn=3") as sim:
            ctx = sim.client_ssl_context()
            outcomes = []
            for _ in range(6):
                try:
                    outcomes.append(b"503" if b" 503 " in await _ping(sim, ctx) else b"ok")
                except ssl.SSLError:
                    outcomes.append(b"tls")
            # 2 and 4 fail their handshake (count=2 spares 6); 3 carries the request fault of conn=3
            assert outcomes == [b"ok", b"tls", b"503", b"tls", b"ok", b"ok"], outcomes
            assert (await _ping(sim, ctx, "okx")).endswith(b"}")   # venue=binance: okx untouched
            assert [k for _, _, k in sim.faults.log] == ["tls_fail", "5xx", "tls_fail"]
    _loops(main)


def test_tls_fail_decisions_are_seeded():
    def decisions(seed):
        plan = FaultPlan("tls_fail:mode=reset,p=0.3;tls_fail:mode=badcert,p=0.3", seed=seed)
        return [(plan.tls_fault("binance", n) or type("x", (), {"mode": "-"})).mode for n in range(1, 200)]
    a, b, c = decisions(5), decisions(5), decisions(6)
    assert a == b and a != c
    assert 30 < a.count("reset") < 90 and 20 < a.count("badcert") < 70


def test_tls_fail_on_a_plain_site_does_nothing_and_restart_works_over_tls():
    async def main():
        async with Simulator(venues=("binance",), faults="tls_fail") as sim:   # plain HTTP: no handshake to fail
            r, w = await asyncio.open_connection("127.0.0.1", sim.port("binance"))
            w.write(PING)
            assert (await asyncio.wait_for(r.readuntil(b"{}"), 3)).endswith(b"{}")
            w.close()
            assert sim.faults.log == []
        async with Simulator(venues=("binance",), tls=True, faults="tls_fail:mode=stall,conn=1") as sim:
            ctx = sim.client_ssl_context()
            stalled = asyncio.ensure_future(asyncio.open_connection("127.0.0.1", sim.port("binance"), ssl=ctx,
                                                                    server_hostname="127.0.0.1"))
            await asyncio.sleep(0.1)
            assert sim.sites["binance"].gates   # a handshake is being held
            await sim.restart("binance", 0.05)   # closes it along with everything else, listens again
            with pytest.raises((ConnectionError, ssl.SSLError, OSError)):
                await asyncio.wait_for(stalled, 3)
            assert not sim.sites["binance"].gates
            assert (await _ping(sim, ctx)).endswith(b"{}")
    _loops(main)


# -- slow_read, per transport ----------------------------------------------------------------------------
def test_slow_read_is_decided_per_transport_on_upgrade():
    plan = FaultPlan("slow_read:ms=5,transport=ws;slow_read:ms=7,transport=rest,venue=okx;slow_read:ms=9,venue=htx")
    assert plan.slow_read_ms("binance", "rest", 1) == 0.0            # accepted: a ws-only slow read waits
    assert plan.slow_read_upgrade_ms("binance", 1) == 5.0            # ... and starts on the upgrade
    assert plan.slow_read_ms("okx", "rest", 1) == 7.0
    assert plan.slow_read_upgrade_ms("okx", 1) == 5.0                # rest-only stops; the ws one applies
    assert plan.slow_read_ms("htx", "rest", 1) == 9.0
    assert plan.slow_read_upgrade_ms("htx", 1) == 5.0                # the first matching ws fault wins
    plan = FaultPlan("slow_read:ms=9")
    assert plan.slow_read_ms("binance", "rest", 2) == 9.0 and plan.slow_read_upgrade_ms("binance", 2) == 9.0
    assert [k for _, _, k in plan.log] == ["slow_read"]              # one firing per connection
    plan = FaultPlan("slow_read:ms=9,transport=rest")
    assert plan.slow_read_ms("binance", "rest", 3) == 9.0 and plan.slow_read_upgrade_ms("binance", 3) == 0.0


async def _ws_two_pings(port: int) -> tuple[float, float]:
    """Open a Binance WS-API connection; the time of one ping round trip after a quiet moment, and of a
    second ping sent right after the first reply (it meets a paused reader if reads are slowed)."""
    r, w = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    w.write(f"GET /ws-api/v3 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 3)
    payload = b'{"id":1,"method":"ping"}'
    m = os.urandom(4)
    frame = bytes([0x81, 0x80 | len(payload)]) + m + bytes(c ^ m[i % 4] for i, c in enumerate(payload))
    times = []
    await asyncio.sleep(0.3)   # any pause after the upgrade request is over
    for _ in range(2):
        t0 = time.perf_counter()
        w.write(frame)
        b = await asyncio.wait_for(r.readexactly(2), 3)
        n = b[1] & 0x7F
        if n == 126:
            n = struct.unpack("!H", await r.readexactly(2))[0]
        await r.readexactly(n)
        times.append(time.perf_counter() - t0)
    w.close()
    return times[0], times[1]


@pytest.mark.parametrize("spec,slowed", [("slow_read:ms=200,transport=ws", True),
                                         ("slow_read:ms=200", True),
                                         ("slow_read:ms=200,transport=rest", False)])
def test_slow_read_reaches_websocket_connections(h, spec, slowed):
    """A WebSocket connection starts as HTTP: the slow read named for ws must act on it after the upgrade
    (it used to be decided as 'rest' at accept only, so transport=ws never fired), and a rest-only one must
    stop there."""
    async def main():
        async with Simulator(venues=("binance",), faults=spec) as sim:
            _, second = await _ws_two_pings(sim.port("binance"))
            assert (second >= 0.1) == slowed, second
            assert any(k == "slow_read" for _, _, k in sim.faults.log)
    h.run(main())
