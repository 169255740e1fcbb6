"""A local guard for venue rate limits: refuse, before sending, an order that would break a limit.

Venues count in fixed windows aligned to the clock (Binance's "10S" window is 10 s of wall time; its headers
report the count in the current window), so the guard does the same: a window's count resets when the
window changes. An isolated order after idle time therefore never waits (the credit ccxt's limiter misses).
What the venue reports (Binance `X-MBX-ORDER-COUNT-10S`, `X-MBX-USED-WEIGHT-1M`, WS `rateLimits`) raises
the guard's count to the venue's, and `Retry-After` / a ban blocks everything until it passes.

Every request counts, not only orders: cancels, queries (reconciliation included), clock syncs and the
keep-warm pings take their cost from the windows they use (venue modules say which), and all of them
respect a block. A limit is kept at `margin` (default 90 %) of the venue's published figure, so the local
count never runs right up to the venue's.

Any rate-limit reply from any venue (a RateLimited error: Binance 429/418, OKX 50011/50061, HTX's codes)
blocks the guard (`rate_limited()`, called by the session in one place for every request): for the venue's
`Retry-After` when it gives one (seconds, or an HTTP date), else for DEFAULT_RETRY_AFTER_S (a ban without
one: DEFAULT_BAN_S, the shortest ban Binance documents).
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from fastorder.errors import Banned, RateLimited

#: the share of each published limit the guard lets through (rate_limit_margin= on a session)
DEFAULT_MARGIN = 0.9
#: how long a rate-limit reply without a usable Retry-After blocks: the venues' shortest windows (OKX and HTX
#: count in 2 s windows; Binance always sends Retry-After with 429)
DEFAULT_RETRY_AFTER_S = 2.0
#: a ban (Binance 418) without a usable Retry-After: Binance's bans last "from 2 minutes to 3 days"
DEFAULT_BAN_S = 120.0
#: reconciliation queries in flight at once per session (a burst of lost replies is asked about a few at a time)
RECONCILE_CONCURRENCY = 2


def parse_retry_after(value: object, now_s: float | None = None) -> float | None:
    """A Retry-After value in seconds: a number of seconds ("3", b"1.5") or an HTTP date (RFC 9110 §10.2.3,
    "Wed, 21 Oct 2015 07:28:00 GMT"), as the time left until then (>= 0). None when absent or unreadable
    (then the caller's default applies): never an exception, whatever the reply carries."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).decode("latin-1")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        v = float(value)
        return v if math.isfinite(v) and v >= 0 else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        v = float(text)
    except ValueError:
        pass
    else:
        return v if math.isfinite(v) and v >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None or when.tzinfo is None:   # an HTTP date is always GMT; anything else is not one
        return None
    return max(0.0, when.timestamp() - (time.time() if now_s is None else now_s))


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
    def __init__(self, venue: str, clock_ms=None, *, margin: float = DEFAULT_MARGIN) -> None:
        if not (isinstance(margin, (int, float)) and not isinstance(margin, bool) and 0 < margin <= 1):
            raise ValueError(f"rate-limit margin must be a number in (0, 1], not {margin!r}")
        self.venue = venue
        self._clock = clock_ms or (lambda: int(time.time() * 1000))
        self.margin = float(margin)
        self.windows: dict[str, Window] = {}
        self.blocked_until_ms = 0
        self.banned = False
        self._reconcile_gate: asyncio.Semaphore | None = None

    def set_limit(self, name: str, limit: int, window_ms: int) -> None:
        """A venue's published limit; the guard keeps `margin` of it (at least 1)."""
        limit = max(1, math.floor(limit * self.margin))
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

    def rate_limited(self, exc: BaseException) -> None:
        """A venue's rate-limit reply (RateLimited/Banned, whichever venue) blocks every request until its
        Retry-After has passed, or for the default when it gave none. The guard's own refusals are ignored."""
        if not isinstance(exc, RateLimited) or exc.code == "local":
            return
        banned = isinstance(exc, Banned)
        wait = exc.retry_after if isinstance(exc.retry_after, (int, float)) and exc.retry_after > 0 else None
        self.block(wait if wait is not None else (DEFAULT_BAN_S if banned else DEFAULT_RETRY_AFTER_S),
                   banned=banned)

    def take(self, costs: dict[str, int]) -> None:
        """Count a request already made (one the guard could not see coming, such as the one that told it
        the limits), whatever room is left."""
        now = self._clock()
        for name, n in costs.items():
            w = self.windows.get(name)
            if w is not None:
                w.take(now, n)

    def try_take(self, costs: dict[str, int]) -> bool:
        """Take `costs` if there is room and no block (for background requests: skipped, not failed)."""
        try:
            self.check(costs)
        except RateLimited:
            return False
        return True

    async def acquire(self, costs: dict[str, int], timeout: float, clid: str | None = None) -> None:
        """Wait (up to `timeout` s) until `costs` fit and no block is in force, then take them; else the
        guard's RateLimited. For requests that may wait: reconciliation queries, clock syncs."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.check(costs, clid)
                return
            except RateLimited as exc:
                left = deadline - time.monotonic()
                wait = exc.retry_after if exc.retry_after is not None else 0.05
                if left <= 0 or wait > left:
                    raise
                await asyncio.sleep(max(0.001, wait))

    @property
    def reconcile_gate(self) -> asyncio.Semaphore:
        """At most RECONCILE_CONCURRENCY reconciliation queries in flight (created on first use, in the loop)."""
        if self._reconcile_gate is None:
            self._reconcile_gate = asyncio.Semaphore(RECONCILE_CONCURRENCY)
        return self._reconcile_gate

    def block(self, seconds: float, *, banned: bool = False) -> None:
        until = self._clock() + int(seconds * 1000)
        if until > self.blocked_until_ms:
            self.blocked_until_ms = until
            self.banned = banned
