"""A local guard for venue rate limits: refuse, before sending, an order that would break a limit.

Venues count in fixed windows aligned to the clock (Binance's "10S" window is 10 s of wall time; its headers
report the count in the current window), so the guard does the same: a window's count resets when the
window changes. An isolated order after idle time therefore never waits (the credit ccxt's limiter misses).
What the venue reports (Binance `X-MBX-ORDER-COUNT-10S`, `X-MBX-USED-WEIGHT-1M`, WS `rateLimits`) raises
the guard's count to the venue's, and `Retry-After` / a ban blocks everything until it passes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from fastorder.errors import Banned, RateLimited


@dataclass(slots=True)
class Window:
    name: str           # e.g. "ORDERS:10S", "REQUEST_WEIGHT:1M", "place:BTC-USDT"
    limit: int
    window_ms: int
    count: int = 0
    window_id: int = -1

    def _roll(self, now_ms: int) -> None:
        wid = now_ms // self.window_ms
        if wid != self.window_id:
            self.window_id = wid
            self.count = 0

    def room(self, now_ms: int) -> int:
        self._roll(now_ms)
        return self.limit - self.count

    def take(self, now_ms: int, n: int) -> None:
        self._roll(now_ms)
        self.count += n

    def observe(self, now_ms: int, used: int) -> None:
        self._roll(now_ms)
        if used > self.count:
            self.count = used

    def retry_after_s(self, now_ms: int) -> float:
        return ((self.window_id + 1) * self.window_ms - now_ms) / 1000


class RateGuard:
    def __init__(self, venue: str, clock_ms=None) -> None:
        self.venue = venue
        self._clock = clock_ms or (lambda: int(time.time() * 1000))
        self.windows: dict[str, Window] = {}
        self.blocked_until_ms = 0
        self.banned = False

    def set_limit(self, name: str, limit: int, window_ms: int) -> None:
        w = self.windows.get(name)
        if w is None:
            self.windows[name] = Window(name, limit, window_ms)
        else:
            w.limit, w.window_ms = limit, window_ms

    def check(self, costs: dict[str, int], clid: str | None = None) -> None:
        """Take `costs` ({window name: units}) from every window, or raise RateLimited and take nothing."""
        now = self._clock()
        if now < self.blocked_until_ms:
            cls = Banned if self.banned else RateLimited
            raise cls(self.venue, "local", "blocked by the venue's Retry-After",
                      retry_after=(self.blocked_until_ms - now) / 1000, client_order_id=clid)
        windows = self.windows
        for name, n in costs.items():
            w = windows.get(name)
            if w is not None:
                if now // w.window_ms != w.window_id:
                    w.window_id, w.count = now // w.window_ms, 0
                if w.limit - w.count < n:
                    raise RateLimited(self.venue, "local", f"would exceed {name} ({w.limit} per {w.window_ms} ms)",
                                      retry_after=w.retry_after_s(now), client_order_id=clid)
        for name, n in costs.items():
            w = windows.get(name)
            if w is not None:
                w.count += n

    def observe(self, name: str, used: int) -> None:
        w = self.windows.get(name)
        if w is not None:
            w.observe(self._clock(), used)

    def observe_counts(self, windows: Sequence[Window], values: list, first: int) -> None:
        """What a reply reports: ``values[first + i]`` is the venue's count for ``windows[i]`` (an int, or the
        bytes/str of a header; None, or anything not a count, is skipped), with one clock read (runs per reply)."""
        now = self._clock()
        i = first
        for w in windows:
            v = values[i]
            i += 1
            if v is not None:
                try:
                    n = int(v)
                except (ValueError, TypeError):   # not a count: ignore it, as a missing one
                    continue
                wid = now // w.window_ms
                if wid != w.window_id:
                    w.window_id, w.count = wid, 0
                if n > w.count:
                    w.count = n

    def block(self, seconds: float, *, banned: bool = False) -> None:
        until = self._clock() + int(seconds * 1000)
        if until > self.blocked_until_ms:
            self.blocked_until_ms = until
            self.banned = banned
