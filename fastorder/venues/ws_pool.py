"""A session's set of WebSocket connections: which one takes the next request, replacing one that dies
(healing), replacing one before it goes away (rotation), venue heartbeats and the RTT ranking.

The venue-specific parts come in as two callables: `open_conn` (open, log on, return a connection) and
`heartbeat` (send the venue's keep-alive on one connection)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastorder.errors import ConnectionLost, FastorderError
from fastorder.log import logger


def ws_is_open(conn: Any) -> bool:
    # is_open also looks at the compiled TLS link, which ends before the connection's `closed` resolves
    return not conn.closed.done() and getattr(conn, "is_open", True)


class WsPool:
    """Up to `size` open WebSocket connections to one venue."""

    def __init__(self, venue: str, open_conn: Callable[[], Awaitable[Any]], heartbeat: Callable[[Any], None], *,
                 size: int, timeout: float) -> None:
        self.venue = venue
        self._open_conn = open_conn
        self._heartbeat = heartbeat
        self.size = size
        self.timeout = timeout
        self.conns: list[Any] = []
        self.rtt: dict[int, int] = {}   # id(conn) -> kernel smoothed RTT (µs), refreshed in the background
        self.heal_needed: asyncio.Event | None = None
        self.connect_error: BaseException | None = None   # why the last reopen failed
        self.reconnects = 0
        self.heartbeat_interval = 20.0
        self.closed = False
        # connections no longer in `conns` whose socket may still be open (rotated out and closing, or dropped
        # once their link ended): `aclose` waits for them too
        self.retired: list[Any] = []

    def best(self) -> Any:
        """The open connection with the fewest requests pending, then the lowest recently measured RTT."""
        conns = self.conns
        # one connection (the default, or what is left while one is reopened): no ranking, but its TLS link is
        # asked too (it ends before `closed` resolves; handed out then, the order was refused at once)
        if len(conns) == 1 and ws_is_open(conns[0]):
            return conns[0]
        best = None
        best_key: tuple[int, int] = (0, 0)
        rtt = self.rtt
        for c in conns:
            if ws_is_open(c):
                key = (c.pending, rtt.get(id(c), 0))
                if best is None or key < best_key:
                    best, best_key = c, key
        if best is None:
            raise ConnectionLost(f"{self.venue}: no open WebSocket connection")
        return best

    async def wait_best(self) -> Any:
        """`best()` once a connection is open again, waiting up to `timeout` (then the last ConnectionLost)."""
        # every connection is being replaced: wait for one (bounded) rather than fail the order. Also wake the
        # healer: a connection can end without its on_lost callback (e.g. closed by the protocol itself)
        if self.heal_needed is not None:
            self.heal_needed.set()
        deadline = time.monotonic() + self.timeout
        while True:
            await asyncio.sleep(0.005)
            try:
                return self.best()
            except ConnectionLost:
                if time.monotonic() >= deadline:
                    raise

    def lost(self, conn: Any, exc: BaseException | None) -> None:
        """A WebSocket died: its pending requests fail (and are reconciled by their callers); the healer
        task opens a replacement in the background with backoff and jitter."""
        if self.closed:
            return
        if any(c is conn for c in self.conns):   # not one `rotate` has already replaced
            logger.warning("%s: WebSocket connection lost (%s); opening a replacement", self.venue,
                           f"{type(exc).__name__}: {exc}" if exc is not None else "closed")
        self.conns = [c for c in self.conns if c is not conn]
        if self.heal_needed is not None:
            self.heal_needed.set()

    async def heal_loop(self) -> None:
        """One long-lived task: whenever a connection is lost, reopen until the set is complete again.
        (An event, not a task per loss: a loss that lands while a previous repair is finishing is not missed.)"""
        if self.heal_needed is None:
            self.heal_needed = asyncio.Event()
        delay = 0.05
        while not self.closed:
            await self.heal_needed.wait()
            self.heal_needed.clear()
            while not self.closed and sum(map(ws_is_open, self.conns)) < self.size:
                try:
                    self.conns.append(await self._open_conn())
                    self.reconnects += 1
                    self.connect_error = None
                    delay = 0.05
                    logger.info("%s: WebSocket connection reopened (%d open)", self.venue,
                                sum(map(ws_is_open, self.conns)))
                except (OSError, asyncio.TimeoutError, ConnectionError, FastorderError) as exc:
                    # incl. a failed TLS handshake or a rejected certificate: retried, verifying every time
                    self.connect_error = exc
                    logger.warning("%s: reopening a WebSocket connection failed (%s: %s); retrying in about "
                                   "%.2f s", self.venue, type(exc).__name__, exc, delay)
                    await asyncio.sleep(delay * (0.5 + random.random()))   # jitter: no thundering herd
                    delay = min(delay * 2, 5.0)
            self._retire([c for c in self.conns if not ws_is_open(c)])
            self.conns = [c for c in self.conns if ws_is_open(c)]

    def _retire(self, conns: list[Any]) -> None:
        self.retired = [c for c in self.retired if not c.closed.done()] + [c for c in conns if not c.closed.done()]

    async def rotate(self, conn: Any) -> None:
        """Replace `conn` before it goes away (Binance serverShutdown, the 24 h limit): the new connection is
        opened, logged on and taking orders before the old one is closed; its in-flight replies still arrive."""
        try:
            new = await self._open_conn()
        except (OSError, asyncio.TimeoutError, ConnectionError, FastorderError) as exc:
            logger.warning("%s: rotating a WebSocket connection failed (%s: %s); the old one keeps serving",
                           self.venue, type(exc).__name__, exc)
            return   # `lost` heals when it dies
        logger.info("%s: WebSocket connection rotated: the new one takes orders, the old one closes", self.venue)
        self.conns = [new if c is conn else c for c in self.conns]
        if new not in self.conns:
            self.conns.append(new)
        self.reconnects += 1
        self._retire([conn])
        try:
            for _ in range(int(self.timeout / 0.01) + 1):   # let replies already on their way arrive
                if conn.pending == 0:
                    break
                await asyncio.sleep(0.01)
        finally:   # also when the session closes meanwhile (this task cancelled): never left open
            if ws_is_open(conn):
                conn.close()

    async def heartbeat_loop(self) -> None:
        """Venue keep-alive for idle WebSockets (OKX closes after 30 s without data)."""
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            for c in list(self.conns):
                if ws_is_open(c):
                    try:
                        self._heartbeat(c)
                    except Exception as exc:   # a dead connection is healed through `lost`
                        logger.debug("%s: heartbeat not sent (%s: %s)", self.venue, type(exc).__name__, exc)

    async def rtt_loop(self, every: float = 1.0) -> None:
        """Refresh each connection's kernel RTT estimate (TCP_INFO), off the order path."""
        while True:
            for c in self.conns:
                if ws_is_open(c):
                    try:
                        self.rtt[id(c)] = c.tcp_rtt()[0]
                    except OSError as exc:   # closing meanwhile: its last estimate stays until it is gone
                        logger.debug("%s: TCP_INFO unavailable (%s)", self.venue, exc)
            await asyncio.sleep(every)

    def close(self) -> None:
        """Start closing every connection (a clean close where it is open, an abort otherwise)."""
        for c in self.conns + self.retired:
            if ws_is_open(c):
                c.close()
            else:
                c.abort()

    async def aclose(self, timeout: float = 1.0) -> None:
        """Close every connection and return once their sockets are closed: a WebSocket's close handshake
        waits for the server's reply, and a socket still open when the event loop ends is left to the garbage
        collector (an unclosed-socket ResourceWarning, and a descriptor held until then). Connections the
        server has not answered within `timeout` are aborted."""
        conns = [c for c in self.conns + self.retired if not c.closed.done()]
        self.close()
        self.conns, self.retired = [], []
        if not conns:
            return
        _, late = await asyncio.wait([c.closed for c in conns], timeout=timeout)
        if late:
            for c in conns:
                if not c.closed.done():
                    c.abort()
            await asyncio.wait(late, timeout=1.0)   # an abort's connection_lost runs on the next loop turn
