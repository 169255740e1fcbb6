"""HTX swaps' piece of the private order stream (fastorder.venues.stream): the order push channel of the linear
swap API, `wss://api.hbdm.com/linear-swap-notification`. Every server frame is gzip-compressed JSON (binary);
the client's frames are plain JSON. `op: auth` with Signature V2 (`GET\\n{host}\\n/linear-swap-notification\\n`
+ the sorted, URL-encoded AccessKeyId, SignatureMethod, SignatureVersion=2, Timestamp), then `op: sub` of
`orders_cross.*` (cross margin) or `orders.*` (isolated). The server's `{"op":"ping","ts":…}` is answered
`{"op":"pong","ts":…}`. Sources: docs/venues/htx-swap.md.

A push (`op: notify`) is one update of one order: its state (status code), cumulative `trade_volume`, and in
`trade` the trades of this update. Each trade becomes a TRADE event (sizes in base units: contracts x
contract_size); an update without trades becomes one event of its state.
"""

from __future__ import annotations

import gzip
import time
import zlib
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import orjson

from fastorder._core.events import OrderEvent
from fastorder._core.htx import htx_timestamp
from fastorder.errors import ConfigError, MalformedEvent, VenueError
from fastorder.types import ACCEPTED, CANCEL_REQUESTED, CANCELED, FILLED, NEW, PARTIALLY_FILLED, REJECTED
from fastorder.venues.htx_events import HtxStreamBase

VENUE = "htx_swap"
PATH = "/linear-swap-notification"
# status code -> (status, exec_type of an update without trades)
_STATES = {1: (ACCEPTED, "NEW"), 2: (ACCEPTED, "NEW"), 3: (NEW, "NEW"), 4: (PARTIALLY_FILLED, "TRADE"),
           5: (CANCELED, "CANCELED"), 6: (FILLED, "TRADE"), 7: (CANCELED, "CANCELED"), 10: (REJECTED, "REJECTED"),
           11: (CANCEL_REQUESTED, "PENDING_CANCEL")}
_ONE = Decimal(1)


def _gunzip(payload: bytes) -> bytes:
    try:
        return gzip.decompress(payload)
    except (OSError, EOFError, zlib.error):
        return payload   # a text frame (not compressed): read as it is


class HtxSwapStreamPart(HtxStreamBase):
    def __init__(self, session: Any) -> None:
        if session.signer_kind != "hmac":
            raise ConfigError("the HTX swap order push channel signs with HMAC keys only here (secret=)",
                              field="events")
        super().__init__(session)
        self.topic = ("orders_cross." if session.margin_mode == "cross" else "orders.") + "*"

    def auth_frame(self, now_s: int) -> bytes:
        s = self.s
        params = {"AccessKeyId": s._key.value, "SignatureMethod": "HmacSHA256", "SignatureVersion": "2",
                  "Timestamp": htx_timestamp(now_s)}
        text = ("GET\n" + self.host + "\n" + PATH + "\n"
                + "&".join(f"{k}={quote(v, safe='')}" for k, v in sorted(params.items()))).encode()
        return orjson.dumps({"op": "auth", "type": "api", **params, "Signature": s._signer.b64digest(text)})

    def _reply_error(self, msg: dict) -> VenueError | None:
        if msg.get("err-code") != 0:
            return VenueError(VENUE, msg.get("err-code"), str(msg.get("err-msg", "")))
        return None

    async def subscribe(self, conn: Any, again: bool = False) -> int:
        if not again:
            await self._await(conn, self.auth_frame(int(self.s.now_ms() // 1000)), "auth")
        await self._await(conn, orjson.dumps({"op": "sub", "cid": "fo", "topic": self.topic}), "sub")
        return 0

    def decode(self, data: bytes, recv_ns: int = 0) -> list[OrderEvent] | None:
        """The events of one `notify` frame; None for any other frame (control() reads it)."""
        raw = _gunzip(data)
        if b'"notify"' not in raw:
            return None
        try:
            m = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise MalformedEvent(VENUE, "a frame that is not JSON") from None
        if not isinstance(m, dict) or m.get("op") != "notify":
            return None
        if not str(m.get("topic", "")).startswith(("orders_cross.", "orders.")):
            return []
        try:
            return self._events(m, recv_ns)
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise MalformedEvent(VENUE, f"order push not understood ({type(exc).__name__}: {exc})") from None

    def _events(self, m: dict, recv_ns: int) -> list[OrderEvent]:
        code = str(m["contract_code"])
        size = self.s.contract_sizes.get(code, _ONE)
        status, exec_type = _STATES.get(int(m["status"]), (ACCEPTED, "NEW"))
        c = m.get("client_order_id")
        clid = str(c) if c else ""
        oid = str(m.get("order_id_str") or m["order_id"])
        side = str(m.get("direction", "")).upper()
        price = "" if m.get("price") is None else str(m["price"])
        qty = format(Decimal(str(m["volume"])) * size, "f")
        total = Decimal(str(m.get("trade_volume") or 0))
        ts = m.get("ts") if isinstance(m.get("ts"), int) else None
        trades = [t for t in m.get("trade") or [] if isinstance(t, dict)]
        if not trades:
            return [OrderEvent(VENUE, code, clid, oid, status, side, price, qty, "", "",
                               format(total * size, "f") if total else "", "", "", "", exec_type, ts, recv_ns)]
        out = []
        later = sum((Decimal(str(t["trade_volume"])) for t in trades), Decimal(0))
        for i, t in enumerate(trades):
            vol = Decimal(str(t["trade_volume"]))
            later -= vol
            cum = total - later   # what was filled once this trade was done
            st = status if i == len(trades) - 1 else PARTIALLY_FILLED
            tid = str(t.get("id") or t.get("trade_id"))
            out.append(OrderEvent(VENUE, code, clid, oid, st, side, price, qty, str(t["trade_price"]),
                                  format(vol * size, "f"), format(cum * size, "f"), str(t.get("trade_fee", "")),
                                  str(t.get("fee_asset", "")), tid, "TRADE",
                                  t.get("created_at") if isinstance(t.get("created_at"), int) else ts, recv_ns))
        return out

    def control(self, stream: Any, payload: bytes) -> None:
        msg = orjson.loads(_gunzip(payload))
        if not isinstance(msg, dict):
            return
        op = msg.get("op")
        if op == "ping":
            conn = stream.conn
            if conn is not None:
                conn.send(orjson.dumps({"op": "pong", "ts": msg.get("ts") or str(int(time.time() * 1000))}))
            return
        w = self._waiting
        if w is not None and op == w[0] and not w[1].done():
            w[1].set_result(msg)
