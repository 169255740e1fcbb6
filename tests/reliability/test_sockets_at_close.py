"""A session's close() returns once every socket it opened is closed. A WebSocket's close handshake waits for
the server's reply: close() used to return with it pending, and an event loop ended right after (asyncio.run
returning) left the socket to the garbage collector, an unclosed-socket ResourceWarning (an error here) that
turned up about once per full test run under load."""

from __future__ import annotations

import asyncio
import os
import signal
import ssl
import time

import pytest

import fastorder
from fastorder.bench.runner import ACCOUNTS, SYMBOL
from fastorder.sim import SimulatorProcess


def _fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("server", ["answering", "stopped"])
@pytest.mark.parametrize("venue", ["binance", "okx"])
def test_closing_a_websocket_session_closes_its_sockets_before_it_returns(venue, server):
    """Over TLS, against a simulator in its own process (its close reply takes a real hop). "stopped": the
    simulator's process is stopped (SIGSTOP) before the session closes, so no close reply ever comes: the
    wait for it is bounded (1 s), then the connection is aborted, and close() still returns with every socket
    closed."""
    with SimulatorProcess(venues=(venue,), tls=True, extra_args=["--no-rate-limits"]) as sim:
        urls = sim.urls[venue]

        async def main():
            before = _fds()
            kw = dict(ACCOUNTS[venue], url=urls["rest"], ws_url=urls["ws"], rate_limit=False, timeout=0.5,
                      ssl_context=ssl.create_default_context(cafile=sim.ca_file))
            s = await fastorder.connect(venue, "ws", **kw)
            conns = list(s.ws_pool.conns)
            assert conns and all(c.tls["engine"] == "compiled" for c in conns)
            await s.place_order(SYMBOL[venue], "buy", "0.001", "46000", tif="IOC")
            if server == "stopped":
                os.kill(sim.proc.pid, signal.SIGSTOP)
            try:
                t0 = time.monotonic()
                await s.close()
                took = time.monotonic() - t0
            finally:
                if server == "stopped":
                    os.kill(sim.proc.pid, signal.SIGCONT)
            assert all(c.closed.done() for c in conns), "close() returned with a WebSocket still open"
            assert _fds() - before == set(), "a socket of the session is still open"
            assert took < 3.0 and (took >= 0.9 if server == "stopped" else True), took

        asyncio.run(asyncio.wait_for(main(), 30))
