"""The simulated Binance user data stream: `executionReport` events over the WebSocket API, in the order the
matching engine made the changes, for every order of a subscribed account (placed over REST or WebSocket).

Wire (binance-spot-api-docs, web-socket-api.md "User Data Stream requests" and user-data-stream.md):
- `userDataStream.subscribe` on a connection logged on with `session.logon`; `userDataStream.subscribe.signature`
  (apiKey, timestamp, signature; HMAC or Ed25519) on any connection; both reply `{"subscriptionId": N}`;
  a second subscription for the same account on one connection: -2035 "User Data Stream subscription already
  active.". `userDataStream.unsubscribe` (optional subscriptionId) ends them with `eventStreamTerminated`, as
  does `session.logout` for the logon subscription.
- each event is one text frame `{"subscriptionId": N, "event": {...}}`.
- a placement: NEW, then one TRADE per fill (X PARTIALLY_FILLED / FILLED), then EXPIRED for an IOC/FOK/market
  rest; each resting order it matched: TRADE; an order expired by self-trade prevention: TRADE_PREVENTION with
  X EXPIRED_IN_MATCH. A cancel: CANCELED with c = the cancel request's id and C = the order's own id.
- no REJECTED: Binance sends one only for a cancel-replace whose new order is refused, and the simulator does
  not serve `order.cancelReplace` (an order refused at placement gets an error reply and no event).

Faults (for tests and `fastorder bench`): `drop()` cuts every subscribed connection (no close frame),
`terminate()` ends every subscription with `eventStreamTerminated` (the connection stays), `delay_ms` holds
events back that long (their order kept).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

from .private_stream import PrivateStream

_ZERO = Decimal(0)


def _f8(d: Any) -> str:
    return f"{Decimal(d or 0):.8f}"


class BinanceUserStream(PrivateStream):
    subs: dict[str, dict[Any, int]]   # account -> {ws session: subscriptionId}

    def __init__(self, venue: Any) -> None:
        super().__init__(venue)
        self.sent = 0
        self._exec_id = 0

    # -- subscriptions ---------------------------------------------------------------------------------
    def subscribe(self, session: Any, account: str) -> int:
        by = self.subs.setdefault(account, {})
        if session in by:
            from .binance import BinanceError
            raise BinanceError(-2035, "User Data Stream subscription already active.")
        sid = session.next_subscription_id()
        by[session] = sid
        return sid

    def unsubscribe(self, session: Any, sid: int | None = None, *, logon_only: bool = False) -> None:
        for account, by in list(self.subs.items()):
            mine = by.get(session)
            if mine is None or (sid is not None and mine != sid):
                continue
            if logon_only and session.logon_sid != mine:
                continue
            del by[session]
            if not by:
                del self.subs[account]
            self._write(session, mine, {"e": "eventStreamTerminated", "E": self.v_now()})


    def subscribed(self, account: str) -> bool:
        return bool(self.subs.get(account))

    # -- faults ----------------------------------------------------------------------------------------
    def terminate(self) -> int:
        """End every subscription with eventStreamTerminated; the connections stay open."""
        n = 0
        for by in list(self.subs.values()):
            for session in list(by):
                self.unsubscribe(session)
                n += 1
        return n

    # -- events ----------------------------------------------------------------------------------------
    @staticmethod
    def v_now() -> int:
        from .common import now_ms
        return now_ms()

    def placed(self, o: Any, now: int) -> None:
        """Events of one placement: the order's own (NEW, its fills, an expiry) and its makers' fills."""
        touched = self.take_touched()
        if self.subs.get(o.account):
            cum = _ZERO
            cum_q = _ZERO
            self._emit(o, "NEW", "NEW", now, cum=_ZERO, cum_quote=_ZERO)
            for i, (px, q, tid) in enumerate(o.fills):
                cum += q
                cum_q += px * q
                # the fill that completes a FILLED order says FILLED; every other one PARTIALLY_FILLED
                status = "FILLED" if i == len(o.fills) - 1 and o.status == "FILLED" else "PARTIALLY_FILLED"
                self._emit(o, "TRADE", status, now, cum=cum, cum_quote=cum_q, fill=(px, q, tid))
            if o.status in ("EXPIRED", "EXPIRED_IN_MATCH"):
                self._emit(o, "EXPIRED", o.status, now, cum=o.executed, cum_quote=o.cum_quote)
        for m, px, q, tid, executed in touched:
            if not self.subs.get(m.account):
                continue
            if px is None:
                # EXPIRED_IN_MATCH, or still open after a DECREMENT that left it some quantity
                self._emit(m, "TRADE_PREVENTION", m.status, now, cum=executed, cum_quote=m.cum_quote)
            else:
                status = "FILLED" if executed == m.qty else "PARTIALLY_FILLED"
                self._emit(m, "TRADE", status, now, cum=executed, cum_quote=m.cum_quote, fill=(px, q, tid),
                           maker=True)

    @property
    def last_exec_id(self) -> int:
        return self._exec_id

    def amended(self, o: Any, now: int, orig_cid: str) -> None:
        """order.amend.keepPriority: one REPLACED report, c = the order's (possibly new) client id
        (faqs/order_amend_keep_priority.md "How do I know if my order has been amended?")."""
        if self.subs.get(o.account):
            self._emit(o, "REPLACED", o.status, now, cum=o.executed, cum_quote=o.cum_quote)
        else:
            self._next_exec_id()

    def canceled(self, o: Any, now: int, cancel_cid: str) -> None:
        if self.subs.get(o.account):
            self._emit(o, "CANCELED", o.status, now, cum=o.executed, cum_quote=o.cum_quote, cancel_cid=cancel_cid)

    def _emit(self, o: Any, x: str, status: str, now: int, *, cum: Decimal, cum_quote: Decimal,
              fill: tuple | None = None, maker: bool = False, cancel_cid: str = "") -> None:
        spec = self.v.ex.specs[o.symbol]
        extra = o.extra or {}
        px, q, tid = fill if fill is not None else (_ZERO, _ZERO, -1)
        ev = {"e": "executionReport", "E": now, "s": o.symbol, "c": cancel_cid or o.cid, "S": o.side,
              "o": extra.get("type", o.otype), "f": extra.get("tif_shown", o.tif), "q": _f8(o.qty),
              "p": _f8(o.price), "P": _f8(extra.get("stop")), "F": "0.00000000", "g": -1, "C": o.cid if cancel_cid else "",
              "x": x, "X": status, "r": "NONE", "i": o.oid, "l": _f8(q), "z": _f8(cum), "L": _f8(px),
              "n": "0", "N": (spec.base if o.side == "BUY" else spec.quote) if fill is not None else None,
              "T": now, "t": tid, "I": self._next_exec_id(),
              "w": status in ("NEW", "PARTIALLY_FILLED") and not extra.get("waiting"), "m": maker, "M": False, "O": o.ctime,
              "Z": _f8(cum_quote), "Y": _f8(px * q), "Q": _f8(o.quote_qty), "V": extra.get("stp", "NONE")}
        if ev["w"]:   # "only visible if the order has been placed on the book" (user-data-stream.md)
            ev["W"] = o.ctime
        if x == "EXPIRED" or x == "TRADE_PREVENTION":
            ev["eR"] = "UNFILLED_IOC_QUANTITY_EXPIRED" if extra.get("tif_shown") == "IOC" else (
                "UNFILLED_FOK_ORDER_EXPIRED" if extra.get("tif_shown") == "FOK" else "INSUFFICIENT_LIQUIDITY")
        for session, sid in list(self.subs.get(o.account, {}).items()):
            self._write(session, sid, ev)

    def _next_exec_id(self) -> int:
        self._exec_id += 1
        return self._exec_id

    def _write(self, session: Any, sid: int, ev: dict) -> None:
        if self._send(session, orjson.dumps({"subscriptionId": sid, "event": ev})):
            self.sent += 1
