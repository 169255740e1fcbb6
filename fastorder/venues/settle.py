"""Nothing left undecided: an order whose outcome is still unknown when `place_order` gives up on it
(ExecutionUnknown), or whose caller stopped waiting after its bytes left (a cancelled task, an
`asyncio.wait_for` timeout), is settled in the background.

A `Settler` task per such order queries it by client id (through `Session.reconcile`, so the queries are paced
and counted by the rate-limit guard) with growing pauses until the venue says what it is; an order the venue
has not seen once it can no longer accept it (its acceptance window has passed) is NOT_PLACED, as in
`Session.recover`. The outcome is written to the journal and handed to every callable in
`session.on_settled` (the hook an event API builds on). An event stream that learns the outcome first calls
`Settler.offer(ack)`, which ends the watch at once.

The tasks belong to no caller, so cancelling a caller never cancels them; `close()` ends them with the session
(their orders stay pending in the journal: `recover()` settles them after a restart).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastorder.errors import ExecutionUnknown, InvalidOrder, UnknownOrder
from fastorder.log import logger
from fastorder.types import Ack, Latency

if TYPE_CHECKING:   # pragma: no cover
    from fastorder.venues.base import Session, SymbolInfo

#: first pause between background queries, and the longest (they double in between)
FIRST_PAUSE_S = 0.25
MAX_PAUSE_S = 15.0


class Settler:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._tasks: dict[str, asyncio.Task] = {}
        self._offered: dict[str, Ack] = {}
        self.callbacks: list[Callable[[Ack], Any]] = []   # session.on_settled
        self.settled = 0

    @property
    def watching(self) -> list[str]:
        """Client ids of the orders being settled in the background."""
        return list(self._tasks)

    def watch(self, info: SymbolInfo, clid: str, cause: BaseException, sent_ms: int | None = None) -> None:
        """Settle `clid` in the background (idempotent: one task per order). The venue can accept the order
        until its acceptance window has passed, counted (conservatively) from now. `sent_ms`: when the order
        was sent (the session's clock), which venues that forget client ids after a while (HTX) need to read a
        "not found" right; now if not given."""
        s = self._session
        if clid in self._tasks or s._closed:
            return
        now = s.now_ms()
        deadline_ms = now + s.acceptance_window_ms
        rec = {"s": info.name, "c": clid, "ts": now if sent_ms is None else sent_ms, "exp": deadline_ms}
        task = asyncio.get_running_loop().create_task(self._settle(info, clid, cause, deadline_ms, rec))
        self._tasks[clid] = task
        task.add_done_callback(lambda t: self._forget(clid, t))

    def _forget(self, clid: str, task: asyncio.Task) -> None:
        if self._tasks.get(clid) is task:   # not a later watch of the same client id
            del self._tasks[clid]

    def offer(self, ack: Ack) -> bool:
        """An outcome learnt elsewhere (an order event): ends the watch of its order. True if it was watched."""
        clid = ack.client_order_id
        if clid not in self._tasks:
            return False
        self._offered[clid] = ack
        self._tasks[clid].cancel()
        return True

    async def _settle(self, info: SymbolInfo, clid: str, cause: BaseException, deadline_ms: int,
                      rec: dict[str, Any]) -> None:
        s = self._session
        pause = FIRST_PAUSE_S
        ack: Ack | None = None
        try:
            while ack is None:
                await asyncio.sleep(pause)
                pause = min(pause * 2, MAX_PAUSE_S)
                try:
                    ack = await s.reconcile(info, clid, cause, Latency(), attempts=1)
                except ExecutionUnknown as exc:
                    cause = exc
                    # past the window the venue can no longer take it: its "no such order" means not placed
                    if s.now_ms() > deadline_ms and isinstance(getattr(exc, "last_answer", None), UnknownOrder):
                        ack = await s._not_found_after_window(info, rec)   # None: still undecided
                except InvalidOrder:   # pragma: no cover - the symbol was valid when the order was sent
                    return
                except Exception as exc:   # a query that failed in a way reconcile does not type: ask again
                    logger.warning("%s: background query of order %s failed (%s: %s); asking again", s.venue, clid,
                                   type(exc).__name__, exc)
                    cause = exc
        except asyncio.CancelledError:
            ack = self._offered.pop(clid, None)
            if ack is None:   # the session is closing: the journal keeps the order pending for recover()
                raise
        self._deliver(ack)

    def _deliver(self, ack: Ack) -> None:
        s = self._session
        ack.reconciled = True
        clid = ack.client_order_id
        s.ledger.settled(clid, ack)   # NOT_PLACED is final too
        # no longer watched once settled: `watching` is right when the callbacks run (the task's own done
        # callback comes a loop iteration later)
        self._tasks.pop(clid, None)
        self.settled += 1
        logger.info("%s: order %s settled in the background: %s", s.venue, clid, ack.status)
        for cb in list(self.callbacks):
            try:
                cb(ack)
            except Exception as exc:   # a callback's failure is the application's; the others still run
                logger.error("%s: an on_settled callback failed (%s: %s)", s.venue, type(exc).__name__, exc)

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        for t in tasks:
            t.cancel()
        for t in tasks:
            try:
                await t
            except asyncio.CancelledError:
                pass
            except Exception as exc:   # a settle task that had failed: closing goes on
                logger.warning("%s: a background settle task had failed (%s: %s)", self._session.venue,
                               type(exc).__name__, exc)
