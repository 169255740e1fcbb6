"""A session's book-keeping of its orders and requests: which client ids are live, what the order journal
says was sent and how it ended, and what the venue's rate limits have left (the `RateGuard`).

Every path that sends or settles an order goes through here — `place_order`, `cancel_order`, `query_order`,
`reconcile`, `recover`, the background settler and the order stream — so they cannot disagree about when a
client id is free again or what the journal records:

    begin(...)     before an order's bytes leave: the client id is not live, the limits have room; then the
                   id is live, the stream knows it, the journal has its pending record
    unsent(...)    the order never reached the venue, or the venue refused it: the id is free again
    settled(...)   the order's outcome is known (its reply, a query, an event, recovery): journalled, and a
                   final state frees the id
    seen(...)      a cancel or query found the order final: its id is free (the journal is not touched)

Requests other than orders take their cost here too (`check`, `try_take`, `acquire`, `reconcile_slot`), and
every error a request met passes `refused()`, so a venue's rate-limit reply blocks every later request.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastorder.errors import ClientIdInUse, InvalidOrder
from fastorder.types import FINAL_STATES, Ack
from fastorder.venues.limits import DEFAULT_MARGIN, RateGuard

if TYPE_CHECKING:   # pragma: no cover
    from fastorder.journal import OrderJournal
    from fastorder.venues.base import SymbolInfo

Costs = Callable[["SymbolInfo"], dict[str, int]]
RequestCosts = Callable[[str, "SymbolInfo | None"], dict[str, int]]


class Ledger:
    """One session's live client ids, order journal and rate-limit guard.

    `order_costs(info)` and `request_costs(kind, info)` say what a new order and another request ("cancel",
    "query", "time", "ping") take from each rate-limit window (the venue module's hooks); `window_ms()` how
    long after sending the venue could still accept an order (journalled with it, for recovery)."""

    def __init__(self, venue: str, now_ms: Callable[[], int], *, order_costs: Costs, request_costs: RequestCosts,
                 window_ms: Callable[[], int], journal: OrderJournal | str | os.PathLike[str] | None = None,
                 rate_limit: bool = True, margin: float = DEFAULT_MARGIN) -> None:
        self.venue = venue
        self.now_ms = now_ms
        self.order_costs = order_costs
        self.request_costs = request_costs
        self.window_ms = window_ms
        try:   # the share of each published limit used (below 100 %: the local count never runs up to the venue's)
            self.guard = RateGuard(venue, now_ms, margin=margin)
        except ValueError as exc:
            raise InvalidOrder(str(exc), field="rate_limit_margin") from None
        self.rate_limit = rate_limit   # False only against a simulator run without limits (benchmarks)
        # client ids of this session's orders that are sent and not known to be final: a caller may not reuse
        # one (ClientIdInUse), since a query by client id answers with the latest order carrying it
        self.live_ids: set[str] = set()
        self.owns_journal = isinstance(journal, (str, os.PathLike))
        if self.owns_journal:   # opened (and locked: one writer per file) here, closed with the session
            from fastorder.journal import OrderJournal
            journal = OrderJournal(journal)   # type: ignore[arg-type]
        self.journal: OrderJournal | None = journal   # type: ignore[assignment]
        if self.journal is not None:   # orders of an earlier run still unsettled keep their client ids live
            self.live_ids.update(r["c"] for r in self.journal.pending(venue))
        self.stream: Any = None   # the session's order stream once open: it learns each order before its events

    # -- orders -------------------------------------------------------------------------------------------
    def begin(self, info: SymbolInfo, clid: str, side: str, quantity: Any, price: Any, *,
              costs: dict[str, int] | None = None) -> None:
        """An order about to be sent: refused (ClientIdInUse, the guard's RateLimited) before anything is
        written, else its client id is live, the stream tracks it and the journal has it pending (a journal
        that cannot write raises JournalError: the order is then not sent). `costs`: what it takes from the
        rate-limit windows, if not `order_costs(info)` (an order of a venue batch request: {}, the request
        being counted once in its own window)."""
        live = self.live_ids
        if clid in live:
            raise ClientIdInUse(f"client_order_id {clid!r} belongs to an order of this session that is still live; "
                                "use a new id", field="client_order_id")
        if self.rate_limit:
            self.guard.check(self.order_costs(info) if costs is None else costs, clid)   # refused locally
        live.add(clid)
        if self.stream is not None:
            self.stream.track(clid, info.name)   # known to the stream before its first event
        journal = self.journal
        if journal is not None:
            now = self.now_ms()
            try:
                journal.sent(self.venue, info.name, clid, side, quantity, price, now, now + self.window_ms())
            except BaseException:   # JournalError: the order is not sent, so its client id is free again
                live.discard(clid)
                raise

    def unsent(self, clid: str, status: str) -> None:
        """The order is not live: never written (NOT_SENT) or refused (REJECTED)."""
        self.live_ids.discard(clid)
        if self.journal is not None:
            self.journal.final(clid, status)

    def settled(self, clid: str, ack: Ack) -> None:
        """The order's outcome is known: journalled; a final state frees its client id."""
        if ack.status in FINAL_STATES:
            self.live_ids.discard(clid)
        if self.journal is not None:
            self.journal.final(clid, ack.status, ack.order_id)

    def seen(self, ack: Ack) -> None:
        """A cancel or query that found the order final frees its client id for reuse."""
        if ack.status in FINAL_STATES and ack.client_order_id:
            self.live_ids.discard(ack.client_order_id)

    def pending(self) -> list[dict[str, Any]]:
        """The journal's records of this venue's orders whose outcome was never recorded."""
        return self.journal.pending(self.venue) if self.journal is not None else []

    # -- other requests -----------------------------------------------------------------------------------
    def check(self, kind: str, info: SymbolInfo | None, clid: str | None = None) -> None:
        """Take a request's cost now, or the guard's RateLimited (a cancel or query the caller waits for)."""
        if self.rate_limit:
            self.guard.check(self.request_costs(kind, info), clid)

    def try_take(self, kind: str) -> bool:
        """Take a background request's cost if there is room and no block (else it is skipped)."""
        return not self.rate_limit or self.guard.try_take(self.request_costs(kind, None))

    async def acquire(self, kind: str, timeout: float) -> None:
        """Wait (up to `timeout` s) for room for a request that may wait (a clock sample), then take it."""
        if self.rate_limit:
            await self.guard.acquire(self.request_costs(kind, None), timeout)

    @asynccontextmanager
    async def reconcile_slot(self, info: SymbolInfo, clid: str | None, timeout: float) -> AsyncIterator[None]:
        """One reconciliation query: at most RECONCILE_CONCURRENCY of a session in flight, each paying its
        cost (waiting up to `timeout` for room or for a block to pass)."""
        async with self.guard.reconcile_gate:
            if self.rate_limit:
                await self.guard.acquire(self.request_costs("query", info), timeout, clid)
            yield

    def refused(self, exc: BaseException) -> None:
        """What a request met: a venue's rate-limit reply (any venue) blocks every later request."""
        self.guard.rate_limited(exc)

    # -- life cycle ---------------------------------------------------------------------------------------
    def close(self) -> None:
        """Close a journal this ledger opened (from a path); flush one the caller gave (the caller closes it).
        A flush that fails raises OSError: the journal marks itself degraded and says so."""
        if self.journal is None:
            return
        if self.owns_journal:
            self.journal.close()
        else:
            self.journal.flush()
