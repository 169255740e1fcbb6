"""Session spin mode (`spin_us=`, used by `fastorder bench --spin`): the reply is read and resolved while
spinning, so the order completes without a trip through the event loop — over plaintext and over the compiled
TLS engine (records decrypted in place); with the loop's TLS transport it is refused up front."""

from __future__ import annotations

import asyncio
import ssl

import pytest

import fastorder
from fastorder.bench.runner import ACCOUNTS, SYMBOL
from fastorder.errors import ConfigError
from fastorder.sim import SimulatorProcess


@pytest.fixture(scope="module", params=["plaintext", "tls"])
def sim(request):
    # a separate process: spinning blocks this event loop, so an in-process simulator could never answer
    with SimulatorProcess(venues=("binance", "okx"), tls=request.param == "tls",
                          extra_args=["--no-rate-limits"]) as p:
        yield p


@pytest.mark.parametrize("venue, transport", [("binance", "rest"), ("binance", "ws"), ("okx", "ws")])
def test_spin_resolves_the_reply_in_place(sim, venue, transport):
    async def main() -> list[bool]:
        urls = sim.urls[venue]
        kw = dict(ACCOUNTS[venue], url=urls["rest"], rate_limit=False, timeout=2.0, spin_us=200_000)
        if transport == "ws":
            kw["ws_url"] = urls["ws"]
        if sim.ca_file:
            kw["ssl_context"] = ssl.create_default_context(cafile=sim.ca_file)
        resolved = []
        async with fastorder.connect(venue, transport, **kw) as s:
            if sim.ca_file:
                conn = s._pool.connection() if transport == "rest" else s.ws_pool.best()
                assert conn.tls["engine"] == "compiled" and conn.direct
            spin = s._spin

            def watched(conn, fut):
                spin(conn, fut)
                resolved.append(fut.done())

            s._spin = watched
            for _ in range(20):
                ack = await s.place_order(SYMBOL[venue], "buy", "0.001", "46000", tif="IOC")
                assert ack.order_id
        return resolved

    resolved = asyncio.run(main())
    assert len(resolved) == 20 and all(resolved)


def test_spin_refuses_the_loops_tls():
    with pytest.raises(ConfigError, match="tls_engine='compiled'"):
        fastorder.connect("binance", "rest", key="k", secret="s", url="https://127.0.0.1:1", spin_us=1000,
                          tls_engine="loop")
    fastorder.connect("binance", "rest", key="k", secret="s", url="https://127.0.0.1:1", spin_us=1000)
