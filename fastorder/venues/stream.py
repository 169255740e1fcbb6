"""A session's private order stream: its own WebSocket connection, frames decoded in the reader, events handed
to callbacks (called right there, no Task hop) and to `session.events()` iterators.

Guarantees, per order (by client order id):
- events are passed on in the order the venue sent them; a final state (FILLED, CANCELED, REJECTED, EXPIRED)
  is passed on once: anything for that order after it is dropped (counted in `duplicates`);
- an update older than one already passed on (less filled, or the same trade again) is skipped and logged
  (`stale`); a frame that cannot be read is skipped and logged (`malformed`), never ending the reader;
- when the stream drops or the venue ends the subscription, the stream reconnects and resubscribes, then
  queries (REST, by client id) every order of the session that is still open and passes on what changed
  meanwhile as events with snapshot=True; where the venue lists open orders (`session.open_orders()`), the
  account's open orders this session does not track (placed elsewhere, or whose every event was lost) are
  passed on the same way; then a `StreamGap` says so (closed=True), or names the orders it could not settle
  (closed=False; "open_orders" when the listing failed). A gap is never hidden.

The venue pieces (how to subscribe, which frames are control frames) live in the venue's own module
(`fastorder.venues.binance_events`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from fastorder._core.events import DECODERS, OrderEvent
from fastorder.errors import MalformedEvent, NotSupported, UnknownOrder
from fastorder.events import StreamGap
from fastorder.log import logger
from fastorder.transport.client import open_ws
from fastorder.types import ACCEPTED, CANCEL_REQUESTED, FINAL_STATES, Ack, Latency

log = logging.getLogger("fastorder.events")
perf_ns = time.perf_counter_ns

Listener = Callable[[Any], object]


class _Track:
    __slots__ = ("symbol", "status", "filled", "trades", "final", "last")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.last: Any = None      # the last event passed on
        self.status = ""
        self.filled = ""
        self.trades: set[str] | None = None   # the trade ids passed on (a fill is reported once)
        self.final = False


def _dec(s: str) -> Decimal | None:
    try:
        return Decimal(s) if s else None
    except InvalidOperation:
        return None


class EventStream:
    """One venue's private order stream for one session (see the module docstring)."""

    #: how long an order whose reply was lost waits for its event before the REST query (seconds)
    settle_wait = 0.25
    #: orders tracked at most (open ones included); past it, the oldest final ones go
    max_tracked = 200_000
    #: orders kept after their final state, for dropping a repeat of it (the most recent this many): a long
    #: session's memory stays flat, and a repeat comes within moments of the final state, not 10,000 orders on
    keep_final = 10_000

    def __init__(self, session: Any, part: Any) -> None:
        self.s = session
        self.part = part
        self.venue = session.venue
        # the venue part's own decoder where it has one (OKX swaps: contracts as base units), else the venue's
        self.decode = getattr(part, "decode", None) or DECODERS[session.venue]
        self.listeners: list[Listener] = []
        self._queues: set[asyncio.Queue] = set()
        self.tracked: dict[str, _Track] = {}
        self._waiters: dict[str, list[asyncio.Future]] = {}
        self.conn: Any = None
        self.closed = False
        self.up = False
        self._down_since = 0
        self._recovering: asyncio.Task | None = None
        self._pinger: asyncio.Task | None = None
        self._settler = getattr(session, "settler", None)   # fastorder.venues.settle: background settlement
        self._warmer = getattr(session, "_warmer", None)    # keep_warm: records one event to replay
        # a venue whose fills come on two channels pairs them before they are passed on (HTX); None: deliver
        self._route = getattr(part, "route", None)
        self.malformed = self.stale = self.duplicates = self.gaps = self.events = 0
        self._finals: deque[str] = deque()   # keys of the orders passed on as final, oldest first

    # -- life cycle --------------------------------------------------------------------------------------
    async def start(self) -> None:
        await self._connect()

    async def close(self) -> None:
        flush = getattr(self.part, "flush", None)
        if flush is not None:   # events a venue part still holds are passed on before the consumers end
            flush(self)
        self.closed = True
        aclose = getattr(self.part, "aclose", None)
        if aclose is not None:   # the venue part's own tasks and resources (a listenKey keepalive)
            try:
                await aclose()
            except Exception as exc:
                logger.warning("order stream: closing the venue part failed (%s: %s)", type(exc).__name__, exc)
        for task in (self._recovering, self._pinger):
            if task is not None:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
                except Exception as exc:   # a stream task that had failed: closing goes on
                    logger.warning("order stream: a background task had failed (%s: %s)", type(exc).__name__, exc)
        if self.conn is not None:
            self.conn.abort()
            self.conn = None
        for q in self._queues:
            q.put_nowait(None)
        for fs in self._waiters.values():
            for f in fs:
                if not f.done():
                    f.set_result(None)
        self._waiters.clear()

    async def _connect(self) -> None:
        s = self.s
        holder: list[Any] = []
        prepare = getattr(self.part, "prepare", None)
        if prepare is not None:   # a venue whose stream URL is made per connection (a listenKey)
            await prepare(self)
        conn = await open_ws(self.part.url, tls=self.part.tls, allow_plaintext=s._allow_plaintext,
                             address=s.ws_address, on_message=self._on_frame,
                             on_lost=lambda c, exc: self._on_lost(c, exc), read_timeout=s.timeout,
                             connect_timeout=s.timeout, id_pattern=self.part.id_pattern,
                             tls_engine=s.tls_engine)
        holder.append(conn)
        try:
            await self.part.subscribe(conn)
        except BaseException:
            conn.abort()
            raise
        self.conn = conn
        self.up = True
        interval = getattr(self.part, "ping_interval", 0)
        if interval and (self._pinger is None or self._pinger.done()):
            self._pinger = asyncio.get_running_loop().create_task(self._ping_loop(interval))

    async def _ping_loop(self, interval: float) -> None:
        """Venues that close a quiet connection (OKX: 30 s) get their keep-alive frame."""
        while not self.closed:
            await asyncio.sleep(interval)
            conn = self.conn
            if conn is not None:
                try:
                    conn.send(self.part.ping_frame)
                except Exception as exc:   # a connection going away: its loss is handled by _on_lost
                    log.debug("%s stream: keep-alive not sent (%s: %s)", self.venue, type(exc).__name__, exc)

    # -- the reader (called by the transport for every frame that answers no request) --------------------
    def _on_frame(self, payload: bytes, binary: bool) -> None:
        recv = perf_ns()
        if payload.__class__ is not bytes:   # the decoders read bytes
            payload = bytes(payload)
        try:
            evs = self.decode(payload, recv)
        except MalformedEvent as exc:
            self.malformed += 1
            log.warning("%s stream: skipped a frame (%s)", self.venue, exc)
            return
        if evs is None:
            try:
                self.part.control(self, payload)
            except Exception:   # a control frame we cannot read must not end the reader
                log.exception("%s stream: control frame not understood", self.venue)
            return
        w = self._warmer
        if w is not None and w.event is None:   # keep_warm replays one real event's decode (fastorder.venues.warm)
            w.event = payload
        route = self._route
        for ev in evs:
            if route is None:
                self.deliver(ev)
            else:
                route(self, ev)

    def deliver(self, ev: Any) -> bool:
        """Pass one event on (listeners, then iterators, then a waiting settlement), unless it repeats a final
        state or is older than what was passed on for its order. True when passed on."""
        key = ev.client_order_id or ev.order_id
        t = self.tracked.get(key)
        if t is None:
            if len(self.tracked) >= self.max_tracked:
                self._prune()
            t = self.tracked[key] = _Track(ev.symbol)
        elif t.final:
            self.duplicates += 1
            return False
        elif t.filled and ev.filled_qty and ev.filled_qty != t.filled:
            new, old = _dec(ev.filled_qty), _dec(t.filled)
            if new is not None and old is not None and new < old:
                self.stale += 1
                log.info("%s stream: skipped an older update of %s (filled %s < %s)", self.venue, key,
                         ev.filled_qty, t.filled)
                return False
        elif ev.exec_type == "TRADE" and ev.trade_id and t.trades is not None and ev.trade_id in t.trades:
            self.duplicates += 1
            return False
        elif ev.snapshot and ev.status == t.status and ev.filled_qty == t.filled:
            return False   # the query found what the stream already said
        t.status = ev.status
        t.last = ev
        if ev.filled_qty:
            t.filled = ev.filled_qty
        if ev.trade_id and ev.exec_type == "TRADE":
            if t.trades is None:
                t.trades = {ev.trade_id}
            else:
                t.trades.add(ev.trade_id)
        if ev.status in FINAL_STATES:
            t.final = True
            self.s.ledger.live_ids.discard(key)
            finals = self._finals
            finals.append(key)
            if len(finals) > self.keep_final:
                oldest = finals.popleft()
                ot = self.tracked.get(oldest)
                if ot is not None and ot.final:
                    del self.tracked[oldest]
        self.events += 1
        for fn in self.listeners:
            try:
                fn(ev)
            except Exception:   # a listener's bug must not end the reader or starve the others
                log.exception("%s stream: an on_event callback raised", self.venue)
        for q in self._queues:
            q.put_nowait(ev)
        waiters = self._waiters.pop(key, None)
        if waiters:
            for f in waiters:
                if not f.done():
                    f.set_result(ev)
        settler = self._settler
        if settler is not None and settler._tasks and key in settler._tasks:
            # an order being settled in the background: its event is the outcome, no more queries
            settler.offer(self.ack_from(ev, ev.symbol, Latency()))
        return True

    def _prune(self) -> None:
        drop = [k for k, t in self.tracked.items() if t.final][: self.max_tracked // 2]
        for k in drop:
            del self.tracked[k]

    def _emit_gap(self, gap: StreamGap) -> None:
        self.gaps += 1
        self.publish(gap)

    def publish(self, item: Any) -> None:
        """Pass on something that is not an order's event (a StreamGap, an AccountUpdate) to every consumer."""
        for fn in self.listeners:
            try:
                fn(item)
            except Exception:
                log.exception("%s stream: an on_event callback raised", self.venue)
        for q in self._queues:
            q.put_nowait(item)

    # -- tracking the session's own orders ----------------------------------------------------------------
    def track(self, clid: str, symbol: str) -> None:
        """An order this session is placing: known (with its symbol) before any event for it arrives."""
        if clid not in self.tracked:
            self.tracked[clid] = _Track(symbol)

    async def wait_for(self, clid: str, timeout: float) -> Any:
        """The first event for `clid` within `timeout` (None if none): how a lost reply is settled."""
        t = self.tracked.get(clid)
        if t is not None and t.last is not None:   # it came before the reply was given up on
            return t.last
        if not self.up or self.closed:
            return None
        fut = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(clid, []).append(fut)
        try:
            return await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            return None
        finally:
            fs = self._waiters.get(clid)
            if fs and fut in fs:
                fs.remove(fut)
                if not fs:
                    del self._waiters[clid]

    def ack_from(self, ev: Any, symbol: str, lat: Latency) -> Ack:
        """An Ack for an order settled from its stream event."""
        return Ack(self.venue, symbol, ev.client_order_id, ev.order_id, ev.status, ev.side, ev.price, ev.quantity,
                   ev.filled_qty, "", ev.exchange_ts_ms, True, lat, ev)

    # -- consumers ----------------------------------------------------------------------------------------
    async def iterate(self) -> AsyncIterator[Any]:
        q: asyncio.Queue = asyncio.Queue()
        self._queues.add(q)
        try:
            while True:
                ev = await q.get()
                if ev is None:
                    return
                yield ev
        finally:
            self._queues.discard(q)

    # -- losing and getting back the stream ---------------------------------------------------------------
    def _on_lost(self, conn: Any, exc: BaseException | None) -> None:
        if conn is not self.conn or self.closed:
            return
        self.conn = None
        self.down(f"connection lost ({exc})" if exc else "connection closed")

    def down(self, reason: str) -> None:
        """The stream stopped delivering (lost, or the venue ended the subscription): get it back."""
        if self.closed:
            return
        if self.up:
            self.up = False
            self._down_since = perf_ns()
        if self._recovering is None or self._recovering.done():
            self._recovering = asyncio.get_running_loop().create_task(self._recover(reason))

    async def _recover(self, reason: str) -> None:
        since = self._down_since   # the gap runs from the first loss, however many rounds it takes
        while not self.closed:
            delay = 0.05
            while not self.closed:
                try:
                    if self.conn is None:
                        await self._connect()
                    else:   # the connection is fine, only the subscription ended
                        await self.part.subscribe(self.conn, again=True)
                        self.up = True
                    break
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("%s stream: resubscribing failed (%s), retrying", self.venue, exc)
                    if self.conn is not None and not self.up:
                        self.conn.abort()
                        self.conn = None
                    await asyncio.sleep(delay)
                    delay = min(2.0, delay * 2)
            if self.closed:
                return
            unresolved = await self.snapshot()
            if not self.up:   # lost again while the snapshot ran: this gap is not closed yet, go round again
                reason = f"{reason}; lost again while recovering"
                continue
            self._emit_gap(StreamGap(self.venue, since, perf_ns(), reason, not unresolved, tuple(unresolved)))
            return

    async def snapshot(self) -> list[str]:
        """Query every order of the session still open (REST, by client id) and pass on what changed, as
        events with snapshot=True; then list the account's open orders (`session.open_orders()`, where the
        venue has it) and pass on, the same way, the open orders this session does not track (placed by
        another session or before this one started, or whose stream events were all lost). Returns the client
        ids (or `order:<id>` for an order without one) it could not settle."""
        open_ids = [k for k, t in self.tracked.items() if not t.final]
        unresolved: list[str] = []
        sem = asyncio.Semaphore(16)

        async def one(clid: str) -> None:
            t = self.tracked.get(clid)
            if t is None or t.final:
                return
            async with sem:
                try:
                    ack = await self.s.query_order(t.symbol, client_order_id=clid)
                except UnknownOrder:
                    return   # the venue never had it: its own place call says so
                except Exception as exc:
                    log.warning("%s stream: could not query %s after a gap (%s)", self.venue, clid, exc)
                    unresolved.append(clid)
                    return
            if ack.status in (ACCEPTED, CANCEL_REQUESTED):
                return
            self.deliver(OrderEvent(self.venue, ack.symbol, clid, ack.order_id, ack.status, ack.side, ack.price,
                                    ack.quantity, filled_qty=ack.filled_qty, exec_type="SNAPSHOT",
                                    exchange_ts_ms=ack.exchange_ts_ms, recv_ns=perf_ns(), snapshot=True))

        await asyncio.gather(*(one(c) for c in open_ids))
        await self._untracked_open_orders(unresolved)
        return unresolved

    async def _untracked_open_orders(self, unresolved: list[str]) -> None:
        s = self.s
        listing = getattr(s, "open_orders", None)
        if listing is None:
            return
        try:
            acks = await listing()
        except NotSupported:
            return   # the venue lists no open orders: only this session's own orders are re-queried
        except Exception as exc:   # the gap stays open for the orders it could not see: say so
            log.warning("%s stream: could not list the open orders after a gap (%s)", self.venue, exc)
            unresolved.append("open_orders")
            return
        for ack in acks:
            if (ack.client_order_id or ack.order_id) in self.tracked:
                continue   # one of this session's own: queried above (or final already)
            if ack.status in (ACCEPTED, CANCEL_REQUESTED):
                continue
            self.deliver(OrderEvent(self.venue, ack.symbol, ack.client_order_id, ack.order_id, ack.status,
                                    ack.side, ack.price, ack.quantity, filled_qty=ack.filled_qty,
                                    exec_type="SNAPSHOT", exchange_ts_ms=ack.exchange_ts_ms, recv_ns=perf_ns(),
                                    snapshot=True))
