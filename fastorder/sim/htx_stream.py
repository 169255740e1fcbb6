"""The simulated HTX WebSocket v2 (`/ws/v2`, account and order updates): `auth`, `sub`/`unsub` of
`orders#{symbol}` and `trade.clearing#{symbol}#{mode}` (symbol or `*`), the server's `ping` every 20 s
answered by `pong`, and one `orders#…` push per order change the matching engine makes, in order, with a
`trade.clearing#…` push after each trade (and, in mode 1, after each cancellation).

Wire (HTX spot docs, "Websocket Account and Order": Authentication, Subscribe Order Updates; plain-text JSON):
- `{"action":"req","ch":"auth","params":{"authType":"api","accessKey":…,"signatureMethod":"HmacSHA256"|
  "Ed25519","signatureVersion":"2.1","timestamp":"2019-09-01T18:16:16","signature":…}}`, signed text
  `GET\\n{host}\\n/ws/v2\\naccessKey=…&signatureMethod=…&signatureVersion=2.1&timestamp=…` (params sorted,
  URL-encoded; authType not signed) -> `{"action":"req","code":200,"ch":"auth","data":{}}`, else code 2002.
- `{"action":"sub","ch":"orders#btcusdt"}` -> `{"action":"sub","code":200,"ch":…,"data":{}}`; before auth
  code 2002 "invalid.auth.state".
- pushes `{"action":"push","ch":"orders#btcusdt","data":{…}}`: eventType creation (orderStatus submitted),
  trade (partial-filled / filled, tradePrice, tradeVolume, tradeId, tradeTime, aggressor, execAmt, remainAmt),
  cancellation (partial-canceled / canceled, lastActTime). An IOC/FOK/market rest is reported as a cancellation.
- `{"action":"sub","ch":"trade.clearing#btcusdt#0"}` (mode 0, the default: trades; 1: trades and
  cancellations) -> pushes `{"action":"push","ch":"trade.clearing#btcusdt#0","data":{…}}`: eventType trade
  (symbol, orderId, tradePrice, tradeVolume, orderSide, orderType, aggressor, tradeId, tradeTime, transactFee,
  feeDeduct, feeDeductType, feeCurrency, accountId, source, orderPrice, orderSize, clientOrderId,
  orderCreateTime, orderStatus; no cumulative execAmt), eventType cancellation in mode 1 (remainAmt).
- No push says "rejected": HTX sends orderStatus rejected only when a stop-limit order fails to trigger
  (eventType trigger), and the simulator refuses stop-limit orders at placement.
Faults: `drop()` cuts the subscribed connections, `delay_ms` holds pushes back (order kept).
"""

from __future__ import annotations

import base64
import time
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import orjson

from .private_stream import PrivateStream

_ZERO = Decimal(0)


def _f(d: Any) -> str:
    return f"{Decimal(d or 0).normalize():f}"


class HtxWsSession:
    """One /ws/v2 connection."""

    ping_interval = 0   # the venue's pings are application frames (below), not WebSocket pings

    def __init__(self, venue: Any, req: Any) -> None:
        self.v = venue
        self.host = (req.header(b"host") or "").lower()
        self.key: Any = None
        self.conn: Any = None
        self.subs: set[str] = set()         # orders#{symbol}: symbols (or "*")
        self.clearing: dict[str, int] = {}  # trade.clearing#{symbol}#{mode}: symbol (or "*") -> mode
        self._ping: Any = None
        self.pongs = 0

    def on_open(self, conn: Any) -> None:
        self.conn = conn
        self._ping = conn.loop.call_later(self.v.ws_ping_interval, self._send_ping)

    def on_close(self, conn: Any) -> None:
        self.v.stream.session_closed(self)
        if self._ping is not None:
            self._ping.cancel()

    def _send_ping(self) -> None:
        if self.conn is None or self.conn.closed:
            return
        self.conn.send_text(orjson.dumps({"action": "ping", "data": {"ts": int(time.time() * 1000)}}))
        self._ping = self.conn.loop.call_later(self.v.ws_ping_interval, self._send_ping)

    def control(self, payload: bytes):
        return None

    def handle(self, payload: bytes) -> bytes | None:
        try:
            msg = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return orjson.dumps({"action": "req", "code": 4000, "message": "bad.request"})
        if not isinstance(msg, dict):
            return orjson.dumps({"action": "req", "code": 4000, "message": "bad.request"})
        action, ch = msg.get("action"), msg.get("ch")
        if action == "pong":
            self.pongs += 1
            return None
        if action == "req" and ch == "auth":
            return self._auth(msg.get("params"))
        if action in ("sub", "unsub") and isinstance(ch, str):
            if self.key is None:
                return orjson.dumps({"action": action, "code": 2002, "ch": ch, "message": "invalid.auth.state"})
            topic, mode = self._topic(ch)
            if topic is None:
                return orjson.dumps({"action": action, "code": 2001, "ch": ch, "message": "invalid.symbol"})
            if action == "sub":
                if topic[0] == "orders":
                    self.subs.add(topic[1])
                else:
                    self.clearing[topic[1]] = mode
                self.v.stream.subscribe(self, self.key.account)
            elif topic[0] == "orders":
                self.subs.discard(topic[1])
            else:
                self.clearing.pop(topic[1], None)
            return orjson.dumps({"action": action, "code": 200, "ch": ch, "data": {}})
        return orjson.dumps({"action": action if isinstance(action, str) else "req", "code": 4000,
                             "message": "bad.request"})

    def _topic(self, ch: str) -> tuple[tuple[str, str] | None, int]:
        """("orders" | "clearing", symbol or "*") and the clearing mode (0: trades, 1: trades and
        cancellations; absent: 0), or (None, 0) for a topic this endpoint does not serve."""
        if ch.startswith("orders#"):
            sym, mode = ch[len("orders#"):], 0
            kind = "orders"
        elif ch.startswith("trade.clearing#"):
            sym, _, m = ch[len("trade.clearing#"):].partition("#")
            if m not in ("", "0", "1"):
                return None, 0
            kind, mode = "clearing", int(m or 0)
        else:
            return None, 0
        if not (sym == "*" or sym in self.v.ex.specs):
            return None, 0
        return (kind, sym), mode

    def _auth(self, p: Any) -> bytes:
        fail = orjson.dumps({"action": "req", "code": 2002, "ch": "auth", "message": "auth.fail"})
        if not isinstance(p, dict) or p.get("authType") != "api" or p.get("signatureVersion") != "2.1":
            return fail
        ak, method, ts, sig = p.get("accessKey"), p.get("signatureMethod"), p.get("timestamp"), p.get("signature")
        if not all(isinstance(x, str) and x for x in (ak, method, ts, sig)):
            return fail
        key = self.v.keys.get(ak)
        if key is None or method not in ("HmacSHA256", "Ed25519") or (method == "Ed25519") != (ak in self.v._pub):
            return fail
        try:
            t = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            return fail
        if abs(t * 1000 - self.v.now()) > 300_000:   # valid 5 minutes, like Signature V2
            return fail
        params = {"accessKey": ak, "signatureMethod": method, "signatureVersion": "2.1", "timestamp": ts}
        text = ("GET\n" + self.host + "\n/ws/v2\n"
                + "&".join(f"{k}={quote(v, safe='')}" for k, v in sorted(params.items()))).encode()
        try:
            if method == "Ed25519":
                self.v._pub[ak].verify(base64.b64decode(sig, validate=True), text)
            elif base64.b64encode(self.v._mac[ak].digest(text)).decode() != sig:
                return fail
        except Exception:
            return fail
        self.key = key
        return orjson.dumps({"action": "req", "code": 200, "ch": "auth", "data": {}})


class HtxOrdersStream(PrivateStream):
    subs: dict[str, dict[Any, None]]   # account -> {ws session with a subscription: None}

    def subscribe(self, session: Any, account: str) -> None:
        self.subs.setdefault(account, {})[session] = None

    def placed(self, o: Any, now: int) -> None:
        touched = self.take_touched()
        if self.subs.get(o.account):
            e = o.extra
            self._push(o, {"eventType": "creation", "orderCreateTime": o.ctime, "orderStatus": "submitted",
                           "orderPrice": _f(o.price) if o.price else "", "orderSize": e["amount"]})
            cum = _ZERO
            for i, fill in enumerate(o.fills):
                cum += fill[1]
                done = i == len(o.fills) - 1 and o.status == "FILLED"
                self._push(o, self._trade(o, fill, cum, done, True, now))
                self._clear(o, self._clearing_trade(o, fill, done, True, now))
            if o.status in ("EXPIRED", "EXPIRED_IN_MATCH", "CANCELED"):
                self._cancellation(o, now)
        for m, px, q, tid, executed in touched:
            if not self.subs.get(m.account):
                continue
            if px is None:
                self._cancellation(m, now)
            else:
                self._push(m, self._trade(m, (px, q, tid), executed, executed == m.qty, False, now))
                self._clear(m, self._clearing_trade(m, (px, q, tid), executed == m.qty, False, now))

    def canceled(self, o: Any, now: int) -> None:
        if self.subs.get(o.account):
            self._cancellation(o, now)

    @staticmethod
    def _trade(o: Any, fill: tuple, cum: Decimal, done: bool, aggressor: bool, now: int) -> dict:
        px, q, tid = fill
        return {"eventType": "trade", "tradePrice": _f(px), "tradeVolume": _f(q), "tradeId": tid,
                "tradeTime": now, "aggressor": aggressor, "execAmt": _f(cum),
                "remainAmt": _f(o.qty - cum) if o.qty else "0", "orderPrice": _f(o.price) if o.price else "",
                "orderSize": o.extra["amount"], "orderStatus": "filled" if done else "partial-filled"}

    def _cancellation(self, o: Any, now: int) -> None:
        status = "partial-canceled" if o.executed else "canceled"
        remain = _f(o.qty - o.executed) if o.qty else "0"
        self._push(o, {"eventType": "cancellation", "lastActTime": now, "execAmt": _f(o.executed),
                       "remainAmt": remain, "orderPrice": _f(o.price) if o.price else "",
                       "orderSize": o.extra["amount"], "orderStatus": status})
        self._clear(o, {"eventType": "cancellation", "symbol": o.symbol, "orderId": o.oid,
                        "orderSide": o.extra["type"].partition("-")[0], "orderType": o.extra["type"],
                        "accountId": o.extra["account_id"], "source": o.extra["source"],
                        "orderPrice": _f(o.price) if o.price else "", "orderSize": o.extra["amount"],
                        "clientOrderId": o.cid, "orderCreateTime": o.ctime, "remainAmt": remain,
                        "orderStatus": status}, cancellation=True)

    def _clearing_trade(self, o: Any, fill: tuple, done: bool, aggressor: bool, now: int) -> dict:
        """A trade as `trade.clearing#…` reports it: the fill with its fee (the simulator charges none; the fee
        currency is what the order receives: the base asset for a buy, the quote asset for a sell), no
        cumulative amount."""
        px, q, tid = fill
        side = o.extra["type"].partition("-")[0]
        sp = self.v.ex.specs[o.symbol]
        return {"eventType": "trade", "symbol": o.symbol, "orderId": o.oid, "tradePrice": _f(px),
                "tradeVolume": _f(q), "orderSide": side, "orderType": o.extra["type"], "aggressor": aggressor,
                "tradeId": tid, "tradeTime": now, "transactFee": "0", "feeDeduct": "0", "feeDeductType": "",
                "feeCurrency": (sp.base if side == "buy" else sp.quote).lower(), "accountId": o.extra["account_id"],
                "source": o.extra["source"], "orderPrice": _f(o.price) if o.price else "",
                "orderSize": o.extra["amount"], "clientOrderId": o.cid, "orderCreateTime": o.ctime,
                "orderStatus": "filled" if done else "partial-filled"}

    def _clear(self, o: Any, data: dict, cancellation: bool = False) -> None:
        """One `trade.clearing#{symbol}#{mode}` push to the sessions subscribed to it (a cancellation only to
        mode 1)."""
        for session in list(self.subs.get(o.account, ())):
            for sym in (o.symbol, "*"):
                mode = session.clearing.get(sym)
                if mode is not None:
                    if not cancellation or mode == 1:
                        self._send(session, orjson.dumps({"action": "push", "ch": f"trade.clearing#{sym}#{mode}",
                                                          "data": data}))
                    break

    def _push(self, o: Any, fields: dict) -> None:
        data = {"orderId": o.oid, "clientOrderId": o.cid, "type": o.extra["type"], "symbol": o.symbol,
                "orderSource": o.extra["source"], "accountId": o.extra["account_id"], **fields}
        for session in list(self.subs.get(o.account, ())):
            for sym in (o.symbol, "*"):
                if sym in session.subs:
                    self._send(session, orjson.dumps({"action": "push", "ch": f"orders#{sym}", "data": data}))
                    break

