"""Pure-Python twin of `fastorder._core.binance_futures`: Binance USDⓈ-M futures REST and WebSocket API encoders.

Plain string building on the spot twin's field checks: every field is checked first, the whole output is built
as one `bytes`, then written to the buffer. See the stub `fastorder/_core/binance_futures.pyi` and
docs/venues/binance-futures.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fastorder._py._fields import check_enum, check_int, check_re, check_rules, number
from fastorder._py.binance import (
    INT63,
    BinanceRest,
    BinanceWs,
    _cancel_fields,
    _check_buf,
    _client_id,
    _request_id_json,
)
from fastorder._py.binance import check_symbol as _check_symbol
from fastorder._py.buffer import WriteBuffer
from fastorder._py.numbers import Number, SymbolRules
from fastorder.errors import InvalidOrder

SIDES = frozenset({"BUY", "SELL"})
TYPES = frozenset({"LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET"})
TIFS = frozenset({"GTC", "IOC", "FOK", "GTX"})
RESP_TYPES = frozenset({"ACK", "RESULT"})
POSITION_SIDES = frozenset({"BOTH", "LONG", "SHORT"})
METHODS = frozenset({"GET", "POST", "DELETE", "PUT"})
_PARAM = re.compile(r"[A-Za-z0-9._-]{1,64}")


def _flag(value: object, field: str) -> bool:
    if value.__class__ is not bool:
        raise TypeError(f"{field} must be bool, not {value.__class__.__name__}")
    return bool(value)


def _order_fields(symbol, side, type, client_order_id, timestamp, quantity, price, time_in_force, position_side,
                  reduce_only, close_position, stop_price, resp_type, rules) -> dict[str, str]:
    """The checked new-order params as wire name -> text, in the documented REST order, each only when given
    (recvWindow and timestamp excluded)."""
    symbol = _check_symbol(symbol)
    side = check_enum(side, SIDES, "side")
    type = check_enum(type, TYPES, "type")
    client_order_id = _client_id(client_order_id, "client_order_id")
    check_int(timestamp, 1, INT63, "timestamp")
    rules = check_rules(rules)
    qty = number(quantity, "quantity", rules, "qty") if quantity is not None else None
    px = number(price, "price", rules, "price") if price is not None else None
    if time_in_force is not None:
        check_enum(time_in_force, TIFS, "time_in_force")
    if position_side is not None:
        check_enum(position_side, POSITION_SIDES, "position_side")
    reduce_only = _flag(reduce_only, "reduce_only")
    close_position = _flag(close_position, "close_position")
    stop = number(stop_price, "stop_price", rules, "price") if stop_price is not None else None
    if resp_type is not None:
        check_enum(resp_type, RESP_TYPES, "resp_type")

    def need(ok: bool, field: str, why: str) -> None:
        if not ok:
            raise InvalidOrder(why, field=field)

    if type == "LIMIT":
        need(time_in_force is not None, "time_in_force", "LIMIT orders need time_in_force")
        need(qty is not None, "quantity", "LIMIT orders need quantity")
        need(px is not None, "price", "LIMIT orders need price")
    elif type == "MARKET":
        need(qty is not None, "quantity", "MARKET orders need quantity")
        need(px is None, "price", "MARKET orders take no price")
        need(time_in_force is None, "time_in_force", "MARKET orders take no time_in_force")
    elif type in ("STOP", "TAKE_PROFIT"):
        need(qty is not None, "quantity", f"{type} orders need quantity")
        need(px is not None, "price", f"{type} orders need price")
        need(stop is not None, "stop_price", f"{type} orders need stop_price")
    else:
        need(stop is not None, "stop_price", f"{type} orders need stop_price")
        need((qty is not None) != close_position, "quantity",
             f"{type} orders need exactly one of quantity and close_position")
        need(px is None, "price", f"{type} orders take no price")
    need(stop is None or type not in ("LIMIT", "MARKET"), "stop_price",
         "stop_price is only for STOP*, TAKE_PROFIT* orders")
    need(not close_position or type in ("STOP_MARKET", "TAKE_PROFIT_MARKET"), "close_position",
         "close_position is only for STOP_MARKET and TAKE_PROFIT_MARKET orders")
    need(not (close_position and reduce_only), "reduce_only", "reduce_only cannot go with close_position")
    need(not (reduce_only and position_side in ("LONG", "SHORT")), "reduce_only",
         "reduce_only cannot be sent in hedge mode (position_side LONG/SHORT): the side already says it")
    if rules is not None and price is not None and quantity is not None and not reduce_only:
        rules.check_notional(price, quantity)

    pairs = (("symbol", symbol), ("side", side), ("positionSide", position_side), ("type", type),
             ("timeInForce", time_in_force), ("quantity", qty), ("reduceOnly", "true" if reduce_only else None),
             ("price", px), ("newClientOrderId", client_order_id), ("stopPrice", stop),
             ("closePosition", "true" if close_position else None), ("newOrderRespType", resp_type))
    return {name: value for name, value in pairs if value is not None}


def _modify_fields(symbol, side, timestamp, order_id, orig_client_order_id, quantity, price, rules) -> dict[str, str]:
    """orderId origClientOrderId symbol side quantity price, in the documented order (Modify Order)."""
    ref = _cancel_fields(symbol, order_id, orig_client_order_id, None, timestamp, False)
    side = check_enum(side, SIDES, "side")
    rules = check_rules(rules)
    qty = number(quantity, "quantity", rules, "qty")
    px = number(price, "price", rules, "price")
    params = {k: ref[k] for k in ("orderId", "origClientOrderId") if k in ref}
    params.update(symbol=ref["symbol"], side=side, quantity=qty, price=px)
    return params


class BinanceFuturesRest(BinanceRest):
    """REST `/fapi/v1/*` requests: all params (and `signature`) in the query string, no body."""

    __slots__ = ()

    def __init__(self, api_key: str, signer, *, host: str = "fapi.binance.com", recv_window: int | None = None,
                 user_agent: str | None = None) -> None:
        super().__init__(api_key, signer, host=host, recv_window=recv_window, user_agent=user_agent)

    def __repr__(self) -> str:
        return f"<BinanceFuturesRest host={self._host!r} api_key={self._api_key!r}>"

    def new_order_request(self, buf: WriteBuffer, symbol: str, side: str, type: str, *,  # type: ignore[override]
                          client_order_id: str | None, timestamp: int, quantity: Number | None = None,
                          price: Number | None = None, time_in_force: str | None = None,
                          position_side: str | None = None, reduce_only: bool = False,
                          close_position: bool = False, stop_price: Number | None = None,
                          resp_type: str | None = None, rules: SymbolRules | None = None,
                          test: bool = False) -> None:
        _check_buf(buf)
        params = _order_fields(symbol, side, type, client_order_id, timestamp, quantity, price, time_in_force,
                               position_side, reduce_only, close_position, stop_price, resp_type, rules)
        path = "/fapi/v1/order/test" if test else "/fapi/v1/order"
        buf.write(self._request("POST", path, self._signed_query(params, timestamp)))

    def cancel_request(self, buf: WriteBuffer, symbol: str, *, timestamp: int,  # type: ignore[override]
                       order_id: int | None = None, orig_client_order_id: str | None = None) -> None:
        _check_buf(buf)
        params = _cancel_fields(symbol, order_id, orig_client_order_id, None, timestamp, False)
        buf.write(self._request("DELETE", "/fapi/v1/order", self._signed_query(params, timestamp)))

    def query_request(self, buf: WriteBuffer, symbol: str, *, timestamp: int, order_id: int | None = None,
                      orig_client_order_id: str | None = None) -> None:
        _check_buf(buf)
        params = _cancel_fields(symbol, order_id, orig_client_order_id, None, timestamp, False)
        buf.write(self._request("GET", "/fapi/v1/order", self._signed_query(params, timestamp)))

    def modify_request(self, buf: WriteBuffer, symbol: str, side: str, *, timestamp: int, quantity: Number,
                       price: Number, order_id: int | None = None, orig_client_order_id: str | None = None,
                       rules: SymbolRules | None = None) -> None:
        _check_buf(buf)
        params = _modify_fields(symbol, side, timestamp, order_id, orig_client_order_id, quantity, price, rules)
        buf.write(self._request("PUT", "/fapi/v1/order", self._signed_query(params, timestamp)))

    @staticmethod
    def _pairs(method: str, path: str, params: Iterable[tuple[str, str]]) -> dict[str, str]:
        if method not in METHODS:
            raise InvalidOrder(f"method must be one of {sorted(METHODS)}", field="method")
        if not path.startswith("/fapi/") or not path.isascii() or "?" in path or " " in path:
            raise InvalidOrder("path must be a /fapi/ path without a query", field="path")
        pairs = [(n, v) for n, v in params]
        for n, v in pairs:
            check_re(n, _PARAM, "param")
            check_re(v, _PARAM, n)
        return dict(pairs)

    def signed_request(self, buf: WriteBuffer, method: str, path: str, params: Iterable[tuple[str, str]], *,
                       timestamp: int) -> None:
        _check_buf(buf)
        check_int(timestamp, 1, INT63, "timestamp")
        buf.write(self._request(method, path, self._signed_query(self._pairs(method, path, params), timestamp)))

    def list_request(self, buf: WriteBuffer, method: str, path: str, params: Iterable[tuple[str, str]],
                     list_name: str, list_json: bytes, *, timestamp: int) -> None:
        _check_buf(buf)
        check_int(timestamp, 1, INT63, "timestamp")
        params_d = self._pairs(method, path, params)
        check_re(list_name, _PARAM, "list_name")
        if (not 2 <= len(list_json) <= 16384 or list_json[:1] != b"[" or list_json[-1:] != b"]"
                or any(c < 0x20 or c > 0x7E for c in list_json)):
            raise InvalidOrder("list_json must be a JSON list of printable ASCII, at most 16384 bytes",
                               field=list_name)
        params_d[list_name] = list_json.decode("ascii")
        buf.write(self._request(method, path, self._signed_query(params_d, timestamp)))


class BinanceFuturesWs(BinanceWs):
    """WebSocket API (`/ws-fapi/v1`) request frames (the JSON text of one text frame)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<BinanceFuturesWs api_key={self._api_key!r}>"

    def order_place(self, buf: WriteBuffer, request_id: int | str, symbol: str, side: str,  # type: ignore[override]
                    type: str, *, client_order_id: str | None, timestamp: int, quantity: Number | None = None,
                    price: Number | None = None, time_in_force: str | None = None,
                    position_side: str | None = None, reduce_only: bool = False, close_position: bool = False,
                    stop_price: Number | None = None, resp_type: str | None = None,
                    rules: SymbolRules | None = None, logged_on: bool = False) -> None:
        _check_buf(buf)
        rid = _request_id_json(request_id)
        params = _order_fields(symbol, side, type, client_order_id, timestamp, quantity, price, time_in_force,
                               position_side, reduce_only, close_position, stop_price, resp_type, rules)
        buf.write(self._frame(rid, "order.place", params, timestamp, logged_on))

    def order_cancel(self, buf: WriteBuffer, request_id: int | str, symbol: str, *,  # type: ignore[override]
                     timestamp: int, order_id: int | None = None, orig_client_order_id: str | None = None,
                     logged_on: bool = False) -> None:
        _check_buf(buf)
        rid = _request_id_json(request_id)
        params = _cancel_fields(symbol, order_id, orig_client_order_id, None, timestamp, False)
        buf.write(self._frame(rid, "order.cancel", params, timestamp, logged_on))

    def order_modify(self, buf: WriteBuffer, request_id: int | str, symbol: str, side: str, *, timestamp: int,
                     quantity: Number, price: Number, order_id: int | None = None,
                     orig_client_order_id: str | None = None, rules: SymbolRules | None = None,
                     logged_on: bool = False) -> None:
        _check_buf(buf)
        rid = _request_id_json(request_id)
        params = _modify_fields(symbol, side, timestamp, order_id, orig_client_order_id, quantity, price, rules)
        buf.write(self._frame(rid, "order.modify", params, timestamp, logged_on))
