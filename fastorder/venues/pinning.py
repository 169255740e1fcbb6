"""Address pinning: which IP address a session's REST connections go to (the hostname still names the server
for SNI, the certificate check and Host), chosen by probing candidates the way an order travels and re-probed
in the background (see `fastorder probe`)."""

from __future__ import annotations

import asyncio
import ssl

from fastorder.log import logger
from fastorder.transport.client import HttpPool


class AddressPin:
    """The REST address of one venue host: the pinned one (None: resolve the hostname) and the candidates."""

    def __init__(self, host: str, port: int, *, tls: bool, probe_path: str, ssl_context: ssl.SSLContext | None,
                 timeout: float, address: str | None = None, candidates: list[str] | None = None,
                 interval: float = 60.0) -> None:
        self.host, self.port, self.tls = host, port, tls
        self.probe_path = probe_path
        self.ssl_context = ssl_context
        self.timeout = timeout
        self.address = address
        self.candidates = list(candidates or [])   # re-probed every `interval` s by `reprobe_loop`
        self.interval = interval
        self.pool: HttpPool | None = None   # the connections that move (set once they are open)

    async def choose(self, candidates: list[str], *, samples: int = 5) -> str | None:
        """Probe `candidates` — TCP connect, TLS with the hostname's SNI, an application round trip to
        `probe_path` — and move to the fastest. Returns the chosen address (None if none answered)."""
        from fastorder.net.probe import probe_host

        res = await probe_host(self.host, self.port, self.probe_path, tls=self.tls, ssl_context=self.ssl_context,
                               samples=samples, timeout=self.timeout, addresses=candidates)
        best = res.best
        if best is None:
            logger.info("%s: no candidate address answered the probe; keeping %s", self.host,
                        self.address or "the resolved one")
            return None
        if best.address != (self.address or self.host):
            logger.info("%s: moving REST connections from %s to %s (the fastest of %d probed)", self.host,
                        self.address or "the resolved address", best.address, len(candidates))
            await self.use(best.address)
        else:
            logger.debug("%s: re-probe keeps %s", self.host, best.address)
        return best.address

    async def use(self, address: str) -> None:
        """New connections go to `address`; idle ones to the old address are replaced (HttpPool.move_to)."""
        self.address = address
        assert self.pool is not None, "the session is not started"
        await self.pool.move_to(address)

    async def reprobe_loop(self) -> None:
        """Every `interval` s, probe the candidates and move new connections to a faster one (orders in flight
        are not disturbed; see HttpPool.move_to)."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.choose(self.candidates, samples=3)
            except Exception as exc:   # probing is advisory: the current address keeps serving
                logger.info("%s: address re-probe failed (%s: %s)", self.host, type(exc).__name__, exc)
