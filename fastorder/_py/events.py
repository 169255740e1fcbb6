"""Pure-Python twin of `fastorder._core.events`: the same mapping, written the plain way (orjson, then dict
lookups). Returns the events as dicts of `OrderEvent` fields without recv_ns/snapshot; the tests compare the
two on every frame they generate. See the stub `fastorder/_core/events.pyi`.
"""

from __future__ import annotations

from typing import Any

import orjson

from fastorder.errors import MalformedEvent

NEW, PARTIALLY_FILLED, FILLED, CANCELED, REJECTED, EXPIRED = (
    "NEW", "PARTIALLY_FILLED", "FILLED", "CANCELED", "REJECTED", "EXPIRED")

_BN_STATUS = {"NEW": NEW, "PENDING_NEW": NEW, "PARTIALLY_FILLED": PARTIALLY_FILLED, "FILLED": FILLED,
              "CANCELED": CANCELED, "PENDING_CANCEL": CANCELED, "REJECTED": REJECTED, "EXPIRED": EXPIRED,
              "EXPIRED_IN_MATCH": EXPIRED}
_OK_STATUS = {"live": NEW, "partially_filled": PARTIALLY_FILLED, "filled": FILLED, "canceled": CANCELED,
              "mmp_canceled": CANCELED}
_HX_STATUS = {"submitted": NEW, "created": NEW, "partial-filled": PARTIALLY_FILLED, "filled": FILLED,
              "partial-canceled": CANCELED, "canceled": CANCELED, "rejected": REJECTED}
_HX_EXEC = {"creation": "NEW", "trade": "TRADE", "cancellation": "CANCELED", "trigger": "REJECTED",
            "deletion": "CANCELED"}
_SIDES = {"BUY": "BUY", "SELL": "SELL", "buy": "BUY", "sell": "SELL"}


def _load(venue: str, data: bytes) -> Any:
    try:
        d = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise MalformedEvent(venue, "not valid JSON") from None
    if not isinstance(d, dict):
        raise MalformedEvent(venue, "not a JSON object")
    return d


def _text(venue: str, v: Any, field: str) -> str:
    if v is None:
        return ""
    if isinstance(v, bool) or isinstance(v, (dict, list)):
        raise MalformedEvent(venue, f"{field} is not a string")
    return v if isinstance(v, str) else _num_text(v)


def _num_text(v: Any) -> str:
    return str(v)   # callers pass ints only in the twin's tests (floats keep their own spelling in C)


def _ms(venue: str, v: Any, field: str) -> int | None:
    if v is None or v == "":
        return None
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise MalformedEvent(venue, f"{field} is not a time in ms")
    s = str(v)
    if not s.isascii() or not s.isdigit() or len(s) > 18:
        raise MalformedEvent(venue, f"{field} is not a time in ms")
    return int(s)


def _zero(v: Any) -> bool:
    return not isinstance(v, (str, int)) or isinstance(v, bool) or set(str(v)) <= set("0.")


def decode_binance(data: bytes) -> list[dict[str, Any]] | None:
    d = _load("binance", data)
    ev = d["event"] if isinstance(d.get("event"), dict) else d
    if ev.get("e") != "executionReport":
        return None
    g = ev.get
    status = _BN_STATUS.get(g("X")) if isinstance(g("X"), str) else None
    if status is None:
        raise MalformedEvent("binance", "executionReport without a known order status (X)")
    if not isinstance(g("s"), str) or not (isinstance(g("i"), int) or isinstance(g("c"), str)):
        raise MalformedEvent("binance", "executionReport without symbol (s) or order id (i)")
    x = _text("binance", g("x"), "x")
    trade = x == "TRADE"
    return [{"venue": "binance", "symbol": g("s"),
             "client_order_id": g("C") if isinstance(g("C"), str) and g("C") else _text("binance", g("c"), "c"),
             "order_id": _text("binance", g("i"), "i"), "status": status,
             "side": _SIDES.get(g("S")) or _text("binance", g("S"), "S"), "price": _text("binance", g("p"), "p"),
             "quantity": _text("binance", g("q"), "q"),
             "last_fill_price": _text("binance", g("L"), "L") if trade else "",
             "last_fill_qty": _text("binance", g("l"), "l") if trade else "",
             "filled_qty": _text("binance", g("z"), "z"), "fee": _text("binance", g("n"), "n") if trade else "",
             "fee_asset": _text("binance", g("N"), "N") if trade else "",
             "trade_id": _text("binance", g("t"), "t") if trade else "", "exec_type": x,
             "exchange_ts_ms": _ms("binance", g("E"), "E")}]


_BF_STATUS = {"NEW": NEW, "PARTIALLY_FILLED": PARTIALLY_FILLED, "FILLED": FILLED, "CANCELED": CANCELED,
              "EXPIRED": EXPIRED, "EXPIRED_IN_MATCH": EXPIRED}


def decode_binance_futures(data: bytes) -> list[dict[str, Any]] | None:
    v = "binance_futures"
    d = _load(v, data)
    if d.get("e") != "ORDER_TRADE_UPDATE":
        return None
    o = d.get("o")
    if not isinstance(o, dict):
        raise MalformedEvent(v, "ORDER_TRADE_UPDATE without its order (o)")
    g = o.get
    status = _BF_STATUS.get(g("X")) if isinstance(g("X"), str) else None
    if status is None:
        raise MalformedEvent(v, "ORDER_TRADE_UPDATE without a known order status (X)")
    if not isinstance(g("s"), str) or not (isinstance(g("i"), int) or isinstance(g("c"), str)):
        raise MalformedEvent(v, "ORDER_TRADE_UPDATE without symbol (s) or order id (i)")
    x = _text(v, g("x"), "x")
    x = "AMENDED" if x == "AMENDMENT" else x
    trade = x == "TRADE"
    return [{"venue": v, "symbol": g("s"), "client_order_id": _text(v, g("c"), "c"),
             "order_id": _text(v, g("i"), "i"), "status": status,
             "side": _SIDES.get(g("S")) or _text(v, g("S"), "S"), "price": _text(v, g("p"), "p"),
             "quantity": _text(v, g("q"), "q"),
             "last_fill_price": _text(v, g("L"), "L") if trade else "",
             "last_fill_qty": _text(v, g("l"), "l") if trade else "",
             "filled_qty": _text(v, g("z"), "z"), "fee": _text(v, g("n"), "n") if trade else "",
             "fee_asset": _text(v, g("N"), "N") if trade else "",
             "trade_id": _text(v, g("t"), "t") if trade else "", "exec_type": x,
             "exchange_ts_ms": _ms(v, d.get("E"), "E")}]


def _okx_fee(v: Any) -> str:
    s = _text("okx", v, "fillFee")
    if not s or _zero(v):
        return s
    return s[1:] if s[0] == "-" else "-" + s


def decode_okx(data: bytes) -> list[dict[str, Any]] | None:
    d = _load("okx", data)
    if "event" in d or not isinstance(d.get("arg"), dict) or not isinstance(d.get("data"), list):
        return None
    if d["arg"].get("channel") != "orders":
        return None
    out = []
    for it in d["data"]:
        if not isinstance(it, dict):
            raise MalformedEvent("okx", "an orders item is not an object")
        g = it.get
        status = _OK_STATUS.get(g("state")) if isinstance(g("state"), str) else None
        if status is None:
            raise MalformedEvent("okx", "orders item without a known state")
        if not isinstance(g("instId"), str) or not isinstance(g("ordId"), str):
            raise MalformedEvent("okx", "orders item without instId or ordId")
        trade = isinstance(g("tradeId"), str) and g("tradeId") != "" and not _zero(g("fillSz"))
        out.append({"venue": "okx", "symbol": g("instId"), "client_order_id": _text("okx", g("clOrdId"), "clOrdId"),
                    "order_id": g("ordId"), "status": status,
                    "side": _SIDES.get(g("side")) if g("side") in ("buy", "sell") else _text("okx", g("side"), "side"),
                    "price": _text("okx", g("px"), "px"), "quantity": _text("okx", g("sz"), "sz"),
                    "last_fill_price": _text("okx", g("fillPx"), "fillPx") if trade else "",
                    "last_fill_qty": _text("okx", g("fillSz"), "fillSz") if trade else "",
                    "filled_qty": _text("okx", g("accFillSz"), "accFillSz"),
                    "fee": _okx_fee(g("fillFee")) if trade else "",
                    "fee_asset": _text("okx", g("fillFeeCcy"), "fillFeeCcy") if trade else "",
                    "trade_id": g("tradeId") if trade else "",
                    "exec_type": "TRADE" if trade else ("NEW" if status in (NEW, PARTIALLY_FILLED) else "CANCELED"),
                    "exchange_ts_ms": _ms("okx", g("uTime"), "uTime")})
    return out


def decode_htx(data: bytes) -> list[dict[str, Any]] | None:
    d = _load("htx", data)
    ch = d.get("ch")
    if not isinstance(d.get("data"), dict) or not isinstance(ch, str) or not (
            (ch.startswith("orders#") and len(ch) > 7) or (ch.startswith("trade.clearing#") and len(ch) > 15)):
        return None
    if "action" in d and d["action"] != "push":
        return None
    g = d["data"].get
    et = _HX_EXEC.get(g("eventType")) if isinstance(g("eventType"), str) else None
    if et is None:
        raise MalformedEvent("htx", "order update without a known eventType")
    status = _HX_STATUS.get(g("orderStatus")) if isinstance(g("orderStatus"), str) else None
    if status is None:
        raise MalformedEvent("htx", "order update without a known orderStatus")
    if not isinstance(g("symbol"), str) or ("orderId" not in d["data"] and "clientOrderId" not in d["data"]):
        raise MalformedEvent("htx", "order update without symbol or order id")
    side = g("orderSide") if g("orderSide") in ("buy", "sell") else None
    if side is None and isinstance(g("type"), str):
        t = g("type")
        side = "buy" if t.startswith("buy-") and len(t) > 4 else ("sell" if t.startswith("sell-") and len(t) > 5 else None)
    trade = et == "TRADE"
    if trade:
        ts = _ms("htx", g("tradeTime"), "tradeTime")
    else:
        ts = _ms("htx", g("lastActTime"), "lastActTime")
        if ts is None:
            ts = _ms("htx", g("orderCreateTime"), "orderCreateTime")
    return [{"venue": "htx", "symbol": g("symbol"), "client_order_id": _text("htx", g("clientOrderId"), "clientOrderId"),
             "order_id": _text("htx", g("orderId"), "orderId"), "status": status,
             "side": _SIDES.get(side, "") if side else "", "price": _text("htx", g("orderPrice"), "orderPrice"),
             "quantity": _text("htx", g("orderSize"), "orderSize"),
             "last_fill_price": _text("htx", g("tradePrice"), "tradePrice") if trade else "",
             "last_fill_qty": _text("htx", g("tradeVolume"), "tradeVolume") if trade else "",
             "filled_qty": _text("htx", g("execAmt"), "execAmt"),
             "fee": _text("htx", g("transactFee"), "transactFee") if trade else "",
             "fee_asset": _text("htx", g("feeCurrency"), "feeCurrency") if trade else "",
             "trade_id": _text("htx", g("tradeId"), "tradeId") if trade else "", "exec_type": et,
             "exchange_ts_ms": ts}]


DECODERS = {"binance": decode_binance, "binance_futures": decode_binance_futures, "okx": decode_okx,
            "htx": decode_htx}
