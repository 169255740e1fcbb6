"""The simulated OKX `orders` channel (private WebSocket, after `login`): one push per order change the
matching engine makes, in order, to every connection of the account subscribed to it.

Wire (OKX v5 docs, "WebSocket / Order channel"; the example push in ccxt python/ccxt/pro/okx.py):
- `{"op":"subscribe","args":[{"channel":"orders","instType":"SPOT"|"ANY"[,"instId":…]}]}` (optional "id", echoed)
  -> `{"event":"subscribe","arg":{…},"connId":…}`; not logged in -> `{"event":"error","code":"60011",…}`;
  `unsubscribe` the same way.
- push: `{"arg":{"channel":"orders","instType":…,"uid":…},"data":[{order}]}`; an item is the order's state
  (as GET /api/v5/trade/order) with the last fill (fillPx, fillSz, tradeId, fillFee, fillFeeCcy, fillTime).
- a placement: live, then one push per fill (partially_filled / filled), then canceled for an IOC/FOK/market
  rest; a resting order matched by another: its fill; a cancel: canceled.
- no rejected push: the channel's states are live, partially_filled, filled, canceled, mmp_canceled; a refused
  order is refused in the reply (sCode) and never pushed.
Faults: `drop()` cuts the subscribed connections, `delay_ms` holds pushes back (order kept).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

from .private_stream import PrivateStream

_ZERO = Decimal(0)
STATE_OF = {"NEW": "live", "PARTIALLY_FILLED": "partially_filled", "FILLED": "filled"}


class OkxOrdersStream(PrivateStream):
    subs: dict[str, dict[Any, list[dict]]]   # account -> {ws session: [arg, ...]}

    def subscribe(self, session: Any, account: str, arg: dict) -> None:
        self.subs.setdefault(account, {}).setdefault(session, []).append(arg)

    def unsubscribe(self, session: Any, account: str, arg: dict) -> None:
        by = self.subs.get(account, {})
        args = by.get(session, [])
        if arg in args:
            args.remove(arg)
        if not args:
            by.pop(session, None)
        if not by:
            self.subs.pop(account, None)

    # -- pushes ----------------------------------------------------------------------------------------
    def placed(self, o: Any, now: int) -> None:
        touched = self.take_touched()
        if self.subs.get(o.account):
            cum = _ZERO
            self._push(o, "live", now, cum, None)
            for i, fill in enumerate(o.fills):
                cum += fill[1]
                state = "filled" if i == len(o.fills) - 1 and o.status == "FILLED" else "partially_filled"
                self._push(o, state, now, cum, fill)
            if o.status in ("EXPIRED", "EXPIRED_IN_MATCH", "CANCELED"):
                self._push(o, "canceled", now, o.executed, None)
        for m, px, q, tid, executed in touched:
            if not self.subs.get(m.account):
                continue
            if px is None:
                self._push(m, "canceled", now, executed, None)
            else:
                self._push(m, "filled" if executed == m.qty else "partially_filled", now, executed, (px, q, tid))

    def amended(self, o: Any, now: int, req_id: str) -> None:
        """An amend took effect: the order's new state (with its fills, if the new price traded), then the
        resting orders it traded against."""
        touched = self.take_touched()
        if self.subs.get(o.account):
            self._push(o, STATE_OF.get(o.status, "live"), now, o.executed, o.fills[-1] if o.fills else None,
                       amend=("0", req_id))
        for m, px, q, tid, executed in touched:
            if self.subs.get(m.account) and px is not None:
                self._push(m, "filled" if executed == m.qty else "partially_filled", now, executed, (px, q, tid))

    def canceled(self, o: Any, now: int) -> None:
        if self.subs.get(o.account):
            self._push(o, "canceled", now, o.executed, None)

    def _push(self, o: Any, state: str, now: int, cum: Decimal, fill: tuple | None,
              amend: tuple[str, str] = ("", "")) -> None:
        from .okx import s
        v = self.v
        item = v.order_view(o)
        item.update({"state": state, "accFillSz": s(cum), "uTime": str(now),
                     "fillPx": s(fill[0]) if fill else "", "fillSz": s(fill[1]) if fill else "0",
                     "tradeId": str(fill[2]) if fill else "", "fillTime": str(now) if fill else "",
                     "fillFee": "0", "fillFeeCcy": item["feeCcy"] if fill else "", "execType": "" if not fill
                     else ("T" if o.fills and o.fills[-1] is fill else "M"), "code": "0", "msg": "",
                     "amendResult": amend[0], "reqId": amend[1], "cancelSource": o.cancel_source or ""})
        for session, args in list(self.subs.get(o.account, {}).items()):
            for arg in args:
                if arg.get("instId") not in (None, o.symbol) or arg.get("instType") not in (item["instType"], "ANY"):
                    continue
                push = {"arg": {"channel": "orders", "instType": arg["instType"], "uid": session.uid},
                        "data": [item]}
                if "instId" in arg:
                    push["arg"]["instId"] = arg["instId"]
                self._send(session, orjson.dumps(push))
                break

