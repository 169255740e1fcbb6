"""The venue's clock as a session knows it: the offset of the venue's clock from ours, measured over the
network, re-measured in the background and at once after the venue rejects a timestamp."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from fastorder.log import logger


class VenueClock:
    """Offset of one venue's clock, from `server_time_ms` (an async call returning the venue's time in ms)."""

    def __init__(self, server_time_ms: Callable[[], Awaitable[int]], *, samples: int = 5,
                 resync_interval: float = 60.0, venue: str = "") -> None:
        self.venue = venue
        self._server_time_ms = server_time_ms
        self.samples = samples
        self.resync_interval = resync_interval
        self.offset_ms = 0.0
        self.rtt_ns = 0

    def now_ms(self) -> int:
        """Milliseconds of the venue's clock, as well as we know it (local clock + measured offset)."""
        return int(time.time_ns() / 1e6 + self.offset_ms)

    async def sync(self, samples: int | None = None) -> float:
        """Measure the venue's clock offset: several samples, the one with the smallest RTT wins."""
        best: tuple[int, float] | None = None
        for _ in range(samples or self.samples):
            t0 = time.time_ns()
            server_ms = await self._server_time_ms()
            t1 = time.time_ns()
            rtt = t1 - t0
            offset = server_ms - (t0 + t1) / 2e6
            if best is None or rtt < best[0]:
                best = (rtt, offset)
        assert best is not None
        self.rtt_ns, self.offset_ms = best
        return self.offset_ms

    async def resync_loop(self) -> None:
        """Re-measure every `resync_interval` seconds (a background task)."""
        while True:
            await asyncio.sleep(self.resync_interval)
            try:
                await self.sync()
            except Exception as exc:   # keeps the last offset; the next order's timestamp error re-syncs
                logger.warning("%s: clock re-sync failed, keeping offset %.1f ms (%s: %s)", self.venue,
                               self.offset_ms, type(exc).__name__, exc)
            else:
                logger.debug("%s: clock re-synced: offset %.1f ms, sample RTT %.0f µs", self.venue,
                             self.offset_ms, self.rtt_ns / 1e3)

    async def resync_now(self) -> None:
        """Re-measure at once (the venue rejected a timestamp); a failure keeps the last offset."""
        try:
            await self.sync()
        except Exception as exc:   # the rejection is what the caller reports; the periodic re-sync tries again
            logger.warning("%s: clock re-sync after a rejected timestamp failed, keeping offset %.1f ms (%s: %s)",
                           self.venue, self.offset_ms, type(exc).__name__, exc)
        else:
            logger.info("%s: the venue rejected a timestamp; clock re-synced: offset %.1f ms", self.venue,
                        self.offset_ms)
