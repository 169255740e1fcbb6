"""What the three simulated private order streams share: who is subscribed (account -> {ws session: that
session's subscription data}), the faults every stream has (`drop()` cuts the subscribed connections,
`delay_ms` holds frames back while keeping their order), and taking the resting orders a placement matched
from the engine. Each venue's module adds its subscription handshake and its event shapes."""

from __future__ import annotations

import asyncio
from typing import Any


class PrivateStream:
    def __init__(self, venue: Any) -> None:
        self.v = venue
        self.subs: dict[str, dict[Any, Any]] = {}
        self.delay_ms = 0.0
        self._last_due = 0.0   # delayed frames keep their order: none is due before the one queued before it

    def session_closed(self, session: Any) -> None:
        for account, by in list(self.subs.items()):
            by.pop(session, None)
            if not by:
                del self.subs[account]

    def drop(self) -> int:
        """Cut every subscribed connection at once (TCP reset, no close frame): the stream is gone."""
        n = 0
        for by in list(self.subs.values()):
            for session in list(by):
                if session.conn is not None:
                    session.conn.proto.abort()
                    n += 1
        return n

    def take_touched(self) -> list:
        """The resting orders the last placement matched (the engine's list, emptied for the next one)."""
        touched = list(self.v.ex.touched)
        self.v.ex.touched.clear()
        return touched

    def _send(self, session: Any, data: bytes) -> bool:
        """One frame to `session`, now or `delay_ms` later (after any frame still held back). False when the
        session has no connection."""
        conn = session.conn
        if conn is None:
            return False
        if self.delay_ms <= 0 and self._last_due == 0.0:
            conn.send_text(data)
            return True
        loop = asyncio.get_running_loop()
        due = max(loop.time() + self.delay_ms / 1000, self._last_due)
        self._last_due = due
        loop.call_at(due, self._late, conn, data, due)
        return True

    def _late(self, conn: Any, data: bytes, due: float) -> None:
        conn.send_text(data)
        if due >= self._last_due and self.delay_ms <= 0:
            self._last_due = 0.0
