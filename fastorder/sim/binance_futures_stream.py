"""The simulated Binance USDⓈ-M futures user data stream: a listenKey stream, `ORDER_TRADE_UPDATE` and
`ACCOUNT_UPDATE` events in the order the matching engine made the changes, for every order of the account
(placed over REST or the WebSocket API). Sources: docs/venues/binance-futures.md ("User data stream").

- ``POST /fapi/v1/listenKey`` (API key header, no signature): the account's active key (its validity extended
  60 minutes) or a new one, ``{"listenKey": "..."}``; ``PUT`` extends it (``{"listenKey": "..."}``), or -1125
  "This listenKey does not exist." when the account has none (expired or deleted); ``DELETE`` ends it (``{}``)
  and closes its connections.
- the stream: a WebSocket to ``/private/ws/<listenKey>`` (an unknown or expired key: the upgrade is refused);
  no requests, only events, each one bare JSON object. A key past its 60 minutes gets ``listenKeyExpired`` on
  its connections, which then close.
- a placement: NEW, then one TRADE per fill (X PARTIALLY_FILLED / FILLED), EXPIRED for an IOC/FOK rest; each
  resting order it matched: TRADE; a cancel: CANCELED; a modify: AMENDMENT. Every fill is followed by an
  ACCOUNT_UPDATE (m = ORDER) with the USDT balance and the fill's position.

Faults: `drop()` cuts every stream connection; `expire()` ends every key with listenKeyExpired; `delay_ms`.
"""

from __future__ import annotations

import secrets
import string
from decimal import Decimal
from typing import Any

import orjson

from .common import now_ms
from .private_stream import PrivateStream

_ZERO = Decimal(0)
_ALNUM = string.ascii_letters + string.digits
VALID_MS = 60 * 60 * 1000   # a listenKey lives 60 minutes past its creation or last keepalive
PATH = "/private/ws/"


def _places(x: Decimal) -> int:
    return max(0, -x.normalize().as_tuple().exponent)


class BinanceFuturesUserStream(PrivateStream):
    subs: dict[str, dict[Any, str]]   # account -> {stream session: listenKey}

    def __init__(self, venue: Any) -> None:
        super().__init__(venue)
        self.keys: dict[str, tuple[str, int]] = {}   # listenKey -> (account, valid until, ms)
        self.by_account: dict[str, str] = {}
        self.sent = 0

    # -- listenKeys ------------------------------------------------------------------------------------
    def _active(self, account: str, now: int) -> str | None:
        key = self.by_account.get(account)
        if key is None:
            return None
        if self.keys[key][1] <= now:
            self._end(key, "listenKeyExpired", now)
            return None
        return key

    def create(self, account: str, now: int) -> str:
        key = self._active(account, now) or "".join(secrets.choice(_ALNUM) for _ in range(64))
        self.keys[key] = (account, now + VALID_MS)
        self.by_account[account] = key
        return key

    def keepalive(self, account: str, now: int) -> str | None:
        key = self._active(account, now)
        if key is not None:
            self.keys[key] = (account, now + VALID_MS)
        return key

    def delete(self, account: str, now: int) -> None:
        key = self._active(account, now)
        if key is not None:
            self._end(key, None, now)

    def _end(self, key: str, event: str | None, now: int) -> None:
        account, _ = self.keys.pop(key)
        if self.by_account.get(account) == key:
            del self.by_account[account]
        for session, k in list(self.subs.get(account, {}).items()):
            if k != key:
                continue
            if event is not None and session.conn is not None:
                session.conn.send_text(orjson.dumps({"e": event, "E": now, "listenKey": key}))
            if session.conn is not None:
                session.conn.close(1000, b"")

    def expire(self) -> int:
        """Fault: every key ends now with listenKeyExpired (as after 60 minutes without a keepalive)."""
        now = now_ms()
        keys = list(self.keys)
        for key in keys:
            self._end(key, "listenKeyExpired", now)
        return len(keys)

    def session_for(self, path: str) -> Any:
        """The WebSocket at /private/ws/<listenKey>, or None (no such key: refused)."""
        key = path[len(PATH):] if path.startswith(PATH) else ""
        if not key or self.keys.get(key, ("", 0))[1] <= now_ms():
            return None
        return _StreamSession(self, key, self.keys[key][0])

    # -- events ----------------------------------------------------------------------------------------
    def order(self, o: Any, x: str, status: str, now: int, *, cum: Decimal | None = None,
              cum_quote: Decimal | None = None, fill: tuple | None = None, maker: bool = False,
              realized: Decimal = _ZERO) -> None:
        """One ORDER_TRADE_UPDATE; `cum`/`cum_quote` the order's totals as of this event (default: now)."""
        if not self.subs.get(o.account):
            return
        spec = self.v.ex.specs[o.symbol]
        pp, qp = _places(spec.tick), _places(spec.step)
        ex = o.extra or {}
        px, q, tid = fill if fill is not None else (_ZERO, _ZERO, 0)
        executed = o.executed if cum is None else cum
        cum_quote = o.cum_quote if cum_quote is None else cum_quote
        avg = cum_quote / executed if executed else _ZERO
        ev = {"e": "ORDER_TRADE_UPDATE", "E": now, "T": now, "o": {
            "s": o.symbol, "c": o.cid, "S": o.side, "o": ex.get("type", "LIMIT"), "f": ex.get("tif_shown", "GTC"),
            "q": f"{o.qty:.{qp}f}", "p": f"{(o.price or _ZERO):.{pp}f}", "ap": f"{avg:.{pp}f}", "sp": "0", "x": x,
            "X": status, "i": o.oid, "l": f"{q:.{qp}f}", "z": f"{executed:.{qp}f}", "L": f"{px:.{pp}f}",
            "N": "USDT", "n": "0", "T": now, "t": tid, "b": "0", "a": "0", "m": maker,
            "R": bool(ex.get("reduce_only")), "wt": "CONTRACT_PRICE", "ot": ex.get("type", "LIMIT"),
            "ps": ex.get("pside", "BOTH"), "cp": False, "rp": f"{realized:.8f}", "pP": False, "si": 0, "ss": 0,
            "V": ex.get("stp", "EXPIRE_MAKER"), "pm": "NONE", "gtd": 0, "er": "0"}}
        if fill is None:
            del ev["o"]["N"]   # "Commission Asset, will not push if no commission"
        self._write(o.account, ev)

    def account(self, account: str, symbol: str, pside: str, now: int) -> None:
        """ACCOUNT_UPDATE after a fill: the wallet and the one position it moved (m = ORDER)."""
        if not self.subs.get(account):
            return
        v = self.v
        wallet = v.wallet(account)
        amt, entry = v.positions.get((account, symbol, pside)) or (_ZERO, _ZERO)
        spec = v.ex.specs[symbol]
        ev = {"e": "ACCOUNT_UPDATE", "E": now, "T": now, "a": {
            "m": "ORDER",
            "B": [{"a": "USDT", "wb": f"{wallet:.8f}", "cw": f"{wallet:.8f}", "bc": "0"}],
            "P": [{"s": symbol, "pa": f"{amt:.{_places(spec.step)}f}", "ep": f"{entry:.8f}",
                   "bep": f"{entry:.8f}", "cr": "0", "up": f"{(spec.mid - entry) * amt if amt else _ZERO:.8f}",
                   "mt": "isolated" if v.margin_type.get((account, symbol)) == "ISOLATED" else "cross",
                   "iw": "0", "ps": pside}]}}
        self._write(account, ev)

    def _write(self, account: str, ev: dict) -> None:
        data = orjson.dumps(ev)
        for session in list(self.subs.get(account, {})):
            if self._send(session, data):
                self.sent += 1


class _StreamSession:
    """One /private/ws/<listenKey> connection: events only; frames the client sends are ignored."""

    def __init__(self, stream: BinanceFuturesUserStream, key: str, account: str) -> None:
        self.stream = stream
        self.key = key
        self.account = account
        self.conn = None
        v = stream.v
        self.ping_interval = v.ws_ping_interval
        self.pong_timeout = v.ws_pong_timeout
        self.lifetime = v.ws_lifetime

    def on_open(self, conn) -> None:
        self.conn = conn
        self.stream.subs.setdefault(self.account, {})[self] = self.key

    def on_close(self, conn) -> None:
        self.conn = None
        self.stream.session_closed(self)

    def control(self, payload: bytes):
        return None

    def handle(self, payload: bytes):
        return None

    def fault_reply(self, kind: str, payload: bytes, retry: int):
        return None
