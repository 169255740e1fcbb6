"""TLS failures seen through the public API (the simulator's ``tls_fail`` fault): a certificate that fails
verification is a typed CertificateRejected at connect, at once, and is never used; handshakes a network
breaks are retried with backoff; while reconnecting, a rejected certificate keeps the session off the
server (nothing is sent over it), orders say why, and the session heals once the server is right again."""

from __future__ import annotations

import asyncio
import os
import time
import traceback

import pytest

import fastorder
from fastorder.errors import CertificateRejected, ConnectionLost, FastorderError
from fastorder.sim import BinanceLimits, Simulator, creds

ACCOUNTS = {
    "binance": dict(key=creds.BINANCE_HMAC_KEY, secret=creds.BINANCE_HMAC_SECRET),
    "okx": dict(key=creds.OKX_KEY, secret=creds.OKX_SECRET, passphrase=creds.OKX_PASSPHRASE),
    "htx": dict(key=creds.HTX_KEY, secret=creds.HTX_SECRET),
}
SECRETS = (creds.BINANCE_HMAC_SECRET, creds.OKX_SECRET, creds.OKX_PASSPHRASE, creds.HTX_SECRET)
PATHS = [("binance", "rest"), ("binance", "ws"), ("okx", "rest"), ("okx", "ws"), ("htx", "rest")]
SYMBOL = {"binance": "BTCUSDT", "okx": "BTC-USDT", "htx": "btcusdt"}


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def _sim(venue: str, faults=None) -> Simulator:
    return Simulator(venues=(venue,), tls=True, faults=faults, seed=1, binance_limits=BinanceLimits(enabled=False),
                     okx_limit_per_2s=0, htx_limit_per_2s=0)


def _args(sim: Simulator, venue: str, transport: str, **kw) -> dict:
    a = dict(ACCOUNTS[venue], url=sim.url(venue, "rest"), ssl_context=sim.client_ssl_context(), timeout=0.6, **kw)
    if transport == "ws":
        a["ws_url"] = sim.url(venue, "ws")
    return a


def _served(sim: Simulator, venue: str) -> int:
    """Requests the simulator has answered (REST and WebSocket)."""
    return sum(len(v) for v in sim.sites[venue].stats.samples.values())


def _tls_firings(sim: Simulator) -> int:
    return sum(1 for _, _, k in sim.faults.log if k == "tls_fail")


@pytest.mark.parametrize("venue,transport,mode", [(v, t, "badcert") for v, t in PATHS]
                         + [("binance", "rest", "expired"), ("okx", "ws", "wrongname")])
def test_a_bad_certificate_at_connect_is_typed_immediate_and_never_used(venue, transport, mode):
    async def main():
        async with _sim(venue, f"tls_fail:mode={mode}") as sim:
            t0 = time.perf_counter()
            with pytest.raises(CertificateRejected) as ei:
                async with fastorder.connect(venue, transport, **_args(sim, venue, transport)):
                    raise AssertionError("connected through a certificate that fails verification")
            took = time.perf_counter() - t0
            err = ei.value
            assert isinstance(err, ConnectionLost) and isinstance(err, FastorderError)
            assert err.reason and err.reason in str(err) and venue in str(err)
            # not retried: one attempt per connection opened at start (REST pool: 2 for rest, 1 for ws), and
            # connect() gives up well inside its startup_timeout (a loose bound: a loaded machine is slow)
            assert took < 5.0
            assert _tls_firings(sim) == (2 if transport == "rest" else 1)
            assert _served(sim, venue) == 0 and not sim.orders(venue)
            text = "".join(traceback.format_exception(err)) + repr(err)
            for secret in SECRETS:
                assert secret not in text
    run(main())


@pytest.mark.parametrize("venue,transport", PATHS)
@pytest.mark.parametrize("mode", ["reset", "close", "garbage", "alert"])
def test_handshakes_a_network_breaks_are_retried_at_connect(venue, transport, mode):
    """The first three connections fail their handshake: a one-connection WebSocket session used to fail
    to start on the first one (the raw ssl/OS error escaped connect())."""
    async def main():
        async with _sim(venue, f"tls_fail:mode={mode},count=3") as sim:
            async with fastorder.connect(venue, transport, **_args(sim, venue, transport, connections=1)) as s:
                ack = await s.place_order(SYMBOL[venue], "buy", "0.001", "46000", tif="IOC")
                assert ack.client_order_id and not ack.reconciled
            assert _tls_firings(sim) == 3
    run(main())


def test_a_handshake_that_keeps_failing_ends_connect_typed_and_bounded():
    async def main():
        async with _sim("binance", "tls_fail:mode=alert") as sim:
            t0 = time.perf_counter()
            with pytest.raises(ConnectionLost) as ei:
                async with fastorder.connect("binance", "rest", **_args(sim, "binance", "rest")):
                    pass
            assert not isinstance(ei.value, CertificateRejected)
            assert "after 4 attempts" in str(ei.value) and "HANDSHAKE_FAILURE" in str(ei.value)
            assert time.perf_counter() - t0 < 3.0
            assert _tls_firings(sim) == 4 * 2   # 4 attempts of a 2-connection pool
    run(main())


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("venue,transport", PATHS)
def test_a_bad_certificate_while_reconnecting_is_never_used_and_the_session_heals(venue, transport):
    async def main():
        async with _sim(venue) as sim:
            async with fastorder.connect(venue, transport, **_args(sim, venue, transport)) as s:
                await s.place_order(SYMBOL[venue], "buy", "0.001", "46000", tif="IOC")
                fds = _fds()
                served = _served(sim, venue)
                orders = len(sim.orders(venue))
                sim.faults.add("tls_fail:mode=badcert")   # every new connection: an intercepting proxy
                await sim.restart(venue, 0.05)            # every open connection goes
                await asyncio.sleep(0.4)
                with pytest.raises(CertificateRejected) as ei:   # typed, and it says why
                    await s.place_order(SYMBOL[venue], "buy", "0.001", "46000", tif="IOC")
                assert "self-signed" in ei.value.reason
                attempts = _tls_firings(sim)
                assert attempts >= 2, "reconnects keep trying (with verification)"
                assert attempts <= 40, "with backoff, not in a tight loop"
                # nothing was sent over a connection with the bad certificate (the simulator would have served it)
                assert _served(sim, venue) == served and len(sim.orders(venue)) == orders
                sim.faults.clear()                         # the network is right again
                deadline = time.monotonic() + 10
                while True:
                    try:
                        ack = await s.place_order(SYMBOL[venue], "buy", "0.001", "46000", tif="IOC")
                        break
                    except ConnectionLost:
                        assert time.monotonic() < deadline, "the session did not heal"
                        await asyncio.sleep(0.1)
                assert ack.client_order_id and len(sim.orders(venue)) == orders + 1
                assert _fds() <= fds + 2, "failed handshakes leaked sockets"
    run(main())
