"""HTX's piece of the private order stream (fastorder.venues.stream): the v2 WebSocket (`/ws/v2`, plain-text
JSON), which carries account and order updates but takes no orders. `auth` with signature version 2.1
(`GET\\n{host}\\n/ws/v2\\n` + the sorted, URL-encoded accessKey, signatureMethod, signatureVersion, timestamp;
HmacSHA256 or Ed25519, base64), then `sub` `orders#*` (every symbol; the channel HTX documents as keeping the
order of events) and `trade.clearing#*#0` (trades with their fee). The server's `{"action":"ping","data":
{"ts":N}}` is answered `{"action":"pong","data":{"ts":N}}`. Sources: docs/venues/htx.md.

A fill comes on both channels: `orders#` with the order's state and cumulative amount (execAmt), in order;
`trade.clearing#` with the fee (transactFee, feeCurrency) and no cumulative amount. The user sees it once: the
`orders#` event, with the fee of its `trade.clearing#` twin (same orderId and tradeId) filled in. Whichever of
the two comes first waits for the other at most `hold_s`, and the order's later events wait behind it (so
they keep their order); a fill whose twin does not come in time is passed on as it is (an `orders#` fill
without a fee, or a `trade.clearing#` fill without the cumulative amount), and the late twin is then dropped
as a repeat of that trade.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import quote, urlsplit

import orjson

from fastorder._core.events import OrderEvent
from fastorder._core.htx import htx_timestamp
from fastorder._core.sign import Ed25519Signer
from fastorder.errors import VenueError

CLEARING_CH = "trade.clearing#*#0"   # mode 0: trades only (cancellations come on orders#)


class HtxStreamBase:
    """What HTX's private streams share (spot /ws/v2, swaps /linear-swap-notification): the URL and the host
    the auth signs, and one request at a time answered through control() (the replies carry no request id)."""

    id_pattern = b'"cid":'   # HTX v2 replies carry no request id: everything comes through control()

    def __init__(self, session: Any) -> None:
        self.s = session
        self.url = session._ws_url or session.default_events_url
        u = urlsplit(self.url)
        self.tls: Any = (session._ssl or True) if u.scheme == "wss" else None
        default = 443 if u.scheme == "wss" else 80
        host = (u.hostname or "").lower()
        self.host = host if (u.port or default) == default else f"{host}:{u.port}"
        self._waiting: tuple[str, asyncio.Future] | None = None

    def _reply_error(self, msg: dict) -> VenueError | None:
        """The venue's refusal in a reply, or None (venue modules say how their replies say it)."""
        raise NotImplementedError

    async def _await(self, conn: Any, frame: bytes, key: str) -> dict:
        fut = asyncio.get_running_loop().create_future()
        self._waiting = (key, fut)
        try:
            conn.send(frame)
            msg = await asyncio.wait_for(fut, self.s.timeout)
        finally:
            self._waiting = None
        err = self._reply_error(msg)
        if err is not None:
            raise err
        return msg


class HtxStreamPart(HtxStreamBase):
    #: how long one channel's half of a fill waits for the other's (seconds); both come on one connection
    hold_s = 0.2

    def __init__(self, session: Any) -> None:
        super().__init__(session)
        self._half: dict[tuple[str, str], tuple[Any, asyncio.TimerHandle]] = {}   # (orderId, tradeId) -> half
        self._behind: dict[str, list[Any]] = {}   # orderId -> the order's events waiting behind a held half
        self._done: dict[tuple[str, str], None] = {}   # fills passed on (oldest first), for their late twins

    def _reply_error(self, msg: dict) -> VenueError | None:
        if msg.get("code") != 200:
            return VenueError("htx", msg.get("code"), str(msg.get("message", "")))
        return None

    def auth_frame(self, now_s: int) -> bytes:
        s = self.s
        ed = isinstance(s._signer, Ed25519Signer)
        params = {"accessKey": s._key.value, "signatureMethod": "Ed25519" if ed else "HmacSHA256",
                  "signatureVersion": "2.1", "timestamp": htx_timestamp(now_s)}
        text = ("GET\n" + self.host + "\n/ws/v2\n"
                + "&".join(f"{k}={quote(v, safe='')}" for k, v in sorted(params.items()))).encode()
        sig = s._signer.b64sign(text) if ed else s._signer.b64digest(text)
        return orjson.dumps({"action": "req", "ch": "auth", "params": {"authType": "api", **params,
                                                                       "signature": sig}})

    async def subscribe(self, conn: Any, again: bool = False) -> int:
        if not again:
            await self._await(conn, self.auth_frame(int(self.s.now_ms() // 1000)), "auth")
        await self._await(conn, b'{"action":"sub","ch":"orders#*"}', "orders#*")
        await self._await(conn, b'{"action":"sub","ch":"' + CLEARING_CH.encode() + b'"}', CLEARING_CH)
        return 0

    # -- one report per fill ----------------------------------------------------------------------------
    def route(self, stream: Any, ev: Any) -> None:
        """Called by the reader for every decoded event, in arrival order (see the module docstring)."""
        oid = ev.order_id
        if ev.exec_type == "TRADE" and ev.trade_id:
            k = (oid, ev.trade_id)
            half = self._half.pop(k, None)
            if half is not None:   # the twin of a held half: one event for the fill
                half[1].cancel()
                stream.deliver(_merged(half[0], ev))
                self._passed(k)   # a third report of it (a repeat) is dropped at once
                self._release(stream, oid)
                return
            if oid in self._behind:
                self._behind[oid].append(ev)
                return
            if k in self._done:   # the late twin of a fill already passed on
                stream.duplicates += 1
                return
            timer = asyncio.get_running_loop().call_later(self.hold_s, self._expire, stream, k)
            self._half[k] = (ev, timer)
            self._behind[oid] = []
            return
        if oid in self._behind:
            self._behind[oid].append(ev)
        else:
            stream.deliver(ev)

    def _expire(self, stream: Any, k: tuple[str, str]) -> None:
        half = self._half.pop(k, None)
        if half is not None:
            stream.deliver(half[0])
            self._passed(k)   # its twin may still come
            self._release(stream, k[0])

    def _passed(self, k: tuple[str, str]) -> None:
        done = self._done
        done[k] = None
        if len(done) > 10_000:   # the oldest go: a twin comes within moments or not at all
            del done[next(iter(done))]

    def _release(self, stream: Any, oid: str) -> None:
        """The order's events that waited behind a held half, in order (a later fill may be held again)."""
        for ev in self._behind.pop(oid, ()):
            self.route(stream, ev)

    def flush(self, stream: Any) -> None:
        """Pass on every held half as it is (the stream is closing)."""
        for k in list(self._half):
            half = self._half.get(k)
            if half is not None:
                half[1].cancel()
                self._expire(stream, k)

    def control(self, stream: Any, payload: bytes) -> None:
        msg = orjson.loads(payload)
        if not isinstance(msg, dict):
            return
        action = msg.get("action")
        if action == "ping":
            conn = stream.conn
            if conn is not None:
                conn.send(orjson.dumps({"action": "pong", "data": msg.get("data") or {"ts": int(time.time() * 1000)}}))
            return
        w = self._waiting
        if w is not None and msg.get("ch") == w[0] and not w[1].done():
            w[1].set_result(msg)


def _merged(a: Any, b: Any) -> Any:
    """One fill from its two reports: the order's side of it from `orders#` (state, cumulative amount), the fee
    from `trade.clearing#`; received when the first came."""
    o, c = (a, b) if a.filled_qty else (b, a)   # trade.clearing carries no execAmt
    return OrderEvent(o.venue, o.symbol, o.client_order_id or c.client_order_id, o.order_id, o.status,
                      o.side or c.side, o.price or c.price, o.quantity or c.quantity, o.last_fill_price,
                      o.last_fill_qty, o.filled_qty, c.fee, c.fee_asset, o.trade_id, o.exec_type,
                      o.exchange_ts_ms, min(a.recv_ns, b.recv_ns), False)
