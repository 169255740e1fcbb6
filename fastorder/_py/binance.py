"""Pure-Python twin of `fastorder._core.binance`: Binance Spot REST and WebSocket API encoders.

Plain string building: every field is checked first, the whole output is built as one `bytes`, and only then
written to the buffer, so an error leaves the buffer as it was. See the stub `fastorder/_core/binance.pyi`
and docs/venues/binance.md.
"""

from __future__ import annotations

import re

from fastorder._py._fields import (
    INT63,
    check_credential,
    check_enum,
    check_host,
    check_int,
    check_re,
    check_rules,
    check_str,
    jstr,
    number,
    pct,
    user_agent_line,
)
from fastorder._py.buffer import WriteBuffer
from fastorder._py.numbers import Number, SymbolRules
from fastorder._py.sign import Ed25519Signer, HmacSha256, Signer
from fastorder.errors import InvalidField, InvalidOrder

SIDES = frozenset({"BUY", "SELL"})
TYPES = frozenset({"LIMIT", "MARKET", "LIMIT_MAKER", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT",
                   "TAKE_PROFIT_LIMIT"})
TIFS = frozenset({"GTC", "IOC", "FOK"})
RESP_TYPES = frozenset({"ACK", "RESULT", "FULL"})
STP_MODES = frozenset({"NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT", "TRANSFER"})
CANCEL_RESTRICTIONS = frozenset({"ONLY_NEW", "ONLY_PARTIALLY_FILLED"})

_ASCII_SYMBOL = re.compile(r"[A-Za-z0-9._-]")
_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,36}")


def check_symbol(symbol: object) -> str:
    """1-32 characters; ASCII ones from [A-Za-z0-9._-]; non-ASCII ones printable."""
    symbol = check_str(symbol, "symbol")
    if not 1 <= len(symbol) <= 32:
        raise InvalidField("symbol must have 1-32 characters", field="symbol")
    for c in symbol:
        ok = _ASCII_SYMBOL.fullmatch(c) if c.isascii() else c.isprintable()
        if not ok:
            raise InvalidField("symbol has a character its wire format cannot carry", field="symbol")
    return symbol


def _client_id(value: object, field: str) -> str | None:
    return None if value is None else check_re(value, _CLIENT_ID, field)


def _timestamp(value: object) -> int:
    return check_int(value, 1, INT63, "timestamp")


def _recv_window(value: object) -> int | None:
    return None if value is None else check_int(value, 1, 60001, "recv_window")


def _order_id(value: object) -> int | None:
    return None if value is None else check_int(value, 0, INT63, "order_id")


def _request_id_json(value: object) -> str:
    """int in [0, 2**63) as a JSON number, or ^[A-Za-z0-9_-]{1,36}$ as a JSON string."""
    if isinstance(value, str):
        return jstr(check_re(value, _CLIENT_ID, "request_id"))
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"request_id must be int or str, not {type(value).__name__}")
    if not 0 <= value < INT63:
        raise InvalidField("request_id out of range [0, 2**63)", field="request_id")
    return str(value)


def _check_signer(signer: object) -> Signer:
    if not isinstance(signer, (HmacSha256, Ed25519Signer)):
        raise TypeError(f"signer must be HmacSha256 or Ed25519Signer, not {type(signer).__name__}")
    return signer


def _check_buf(buf: object) -> WriteBuffer:
    if not isinstance(buf, WriteBuffer):
        raise TypeError(f"buf must be a WriteBuffer, not {type(buf).__name__}")
    return buf


def _order_fields(symbol, side, type, client_order_id, timestamp, quantity, price, time_in_force,
                  quote_order_qty, stop_price, resp_type, rules, stp=None,
                  cancel: dict[str, str] | None = None) -> dict[str, str]:
    """The checked new-order params as wire name -> text, in REST order, each only when given
    (recvWindow and timestamp excluded); with `cancel` (a cancel-replace's cancelled order ids),
    cancelReplaceMode after type and those ids after stopPrice."""
    symbol = check_symbol(symbol)
    side = check_enum(side, SIDES, "side")
    type = check_enum(type, TYPES, "type")
    if time_in_force is not None:
        check_enum(time_in_force, TIFS, "time_in_force")
    if resp_type is not None:
        check_enum(resp_type, RESP_TYPES, "resp_type")
    if stp is not None:
        check_enum(stp, STP_MODES, "stp")
    client_order_id = _client_id(client_order_id, "client_order_id")
    _timestamp(timestamp)
    rules = check_rules(rules)

    def need(value: object, field: str) -> None:
        if value is None:
            raise InvalidOrder(f"{type} order needs {field}", field=field)

    def refuse(value: object, field: str) -> None:
        if value is not None:
            raise InvalidOrder(f"{type} order takes no {field}", field=field)

    if type == "LIMIT":
        need(time_in_force, "time_in_force")
        need(quantity, "quantity")
        need(price, "price")
    elif type == "MARKET":
        if (quantity is None) == (quote_order_qty is None):
            raise InvalidOrder("MARKET order needs exactly one of quantity and quote_order_qty",
                               field="quantity")
        refuse(price, "price")
        refuse(time_in_force, "time_in_force")
    elif type == "LIMIT_MAKER":
        need(quantity, "quantity")
        need(price, "price")
        refuse(time_in_force, "time_in_force")
    elif type in ("STOP_LOSS", "TAKE_PROFIT"):
        need(quantity, "quantity")
        need(stop_price, "stop_price")
    else:  # STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT
        need(time_in_force, "time_in_force")
        need(quantity, "quantity")
        need(price, "price")
        need(stop_price, "stop_price")
    # rest-api.md "New order": quoteOrderQty is for MARKET only, stopPrice for the stop / take-profit types only
    if type != "MARKET":
        refuse(quote_order_qty, "quote_order_qty")
    if not type.startswith(("STOP_LOSS", "TAKE_PROFIT")):
        refuse(stop_price, "stop_price")

    params: dict[str, str] = {"symbol": symbol, "side": side, "type": type}
    if cancel is not None:
        params["cancelReplaceMode"] = "STOP_ON_FAILURE"
    if time_in_force is not None:
        params["timeInForce"] = time_in_force
    if quantity is not None:
        params["quantity"] = number(quantity, "quantity", rules, "qty")
    if quote_order_qty is not None:
        params["quoteOrderQty"] = number(quote_order_qty, "quote_order_qty", None, None)
    if price is not None:
        params["price"] = number(price, "price", rules, "price")
    if stop_price is not None:
        params["stopPrice"] = number(stop_price, "stop_price", rules, "price")
    if rules is not None and price is not None and quantity is not None:
        rules.check_notional(price, quantity)
    if cancel is not None:
        params.update(cancel)
    if client_order_id is not None:
        params["newClientOrderId"] = client_order_id
    if resp_type is not None:
        params["newOrderRespType"] = resp_type
    if stp is not None:
        params["selfTradePreventionMode"] = stp
    return params


def _cancel_replace_fields(symbol, side, type, client_order_id, timestamp, cancel_order_id,
                           cancel_orig_client_order_id, quantity, price, time_in_force, quote_order_qty, stop_price,
                           resp_type, rules, stp, cancel_restrictions=None) -> dict[str, str]:
    """POST /api/v3/order/cancelReplace (STOP_ON_FAILURE): the new order's params (checked first), then the
    cancelled order's ids and cancelRestrictions, in REST order."""
    fields = _order_fields(symbol, side, type, client_order_id, timestamp, quantity, price, time_in_force,
                           quote_order_qty, stop_price, resp_type, rules, stp, {})
    ref = _cancel_fields(symbol, cancel_order_id, cancel_orig_client_order_id, None, timestamp, False)
    if "orderId" in ref:
        fields["cancelOrderId"] = ref["orderId"]
    if "origClientOrderId" in ref:
        fields["cancelOrigClientOrderId"] = ref["origClientOrderId"]
    if cancel_restrictions is not None:
        fields["cancelRestrictions"] = check_enum(cancel_restrictions, CANCEL_RESTRICTIONS, "cancel_restrictions")
    return {k: fields[k] for k in _CANCEL_REPLACE_ORDER if k in fields}


_CANCEL_REPLACE_ORDER = ("symbol", "side", "type", "cancelReplaceMode", "timeInForce", "quantity", "quoteOrderQty",
                         "price", "stopPrice", "cancelOrderId", "cancelOrigClientOrderId", "cancelRestrictions",
                         "newClientOrderId",
                         "newOrderRespType", "selfTradePreventionMode")


def _amend_fields(symbol, timestamp, new_qty, order_id, orig_client_order_id, new_client_order_id,
                  rules) -> dict[str, str]:
    """order.amend.keepPriority: symbol, orderId, origClientOrderId, newClientOrderId, newQty."""
    params = _cancel_fields(symbol, order_id, orig_client_order_id, new_client_order_id, timestamp, True)
    params["newQty"] = number(new_qty, "new_qty", check_rules(rules), "qty")
    return params


def _cancel_fields(symbol, order_id, orig_client_order_id, new_client_order_id, timestamp,
                   with_new_id: bool) -> dict[str, str]:
    symbol = check_symbol(symbol)
    order_id = _order_id(order_id)
    orig_client_order_id = _client_id(orig_client_order_id, "orig_client_order_id")
    new_client_order_id = _client_id(new_client_order_id, "new_client_order_id") if with_new_id else None
    _timestamp(timestamp)
    if order_id is None and orig_client_order_id is None:
        raise InvalidOrder("needs order_id or orig_client_order_id", field="order_id")
    params = {"symbol": symbol}
    if order_id is not None:
        params["orderId"] = str(order_id)
    if orig_client_order_id is not None:
        params["origClientOrderId"] = orig_client_order_id
    if new_client_order_id is not None:
        params["newClientOrderId"] = new_client_order_id
    return params



class BinanceRest:
    """REST `…/api/v3/order` requests: all params (and `signature`) in the query string, no body."""

    __slots__ = ("_api_key", "_signer", "_host", "_recv_window", "_ua")

    def __init__(self, api_key: str, signer: Signer, *, host: str = "api.binance.com",
                 recv_window: int | None = None, user_agent: str | None = None) -> None:
        self._api_key = check_credential(api_key, "api_key")
        self._signer = _check_signer(signer)
        self._host = check_host(host)
        self._recv_window = _recv_window(recv_window)
        self._ua = user_agent_line(user_agent)

    api_key = property(lambda self: self._api_key)
    host = property(lambda self: self._host)
    recv_window = property(lambda self: self._recv_window)

    def __repr__(self) -> str:
        return f"<BinanceRest host={self._host!r} api_key={self._api_key!r}>"

    def __reduce__(self):
        raise TypeError("BinanceRest objects cannot be pickled")

    def _signed_query(self, params: dict[str, str], timestamp: int) -> str:
        if self._recv_window is not None:
            params["recvWindow"] = str(self._recv_window)
        params["timestamp"] = str(timestamp)
        query = "&".join(f"{name}={pct(value)}" for name, value in params.items())
        if isinstance(self._signer, HmacSha256):
            signature = self._signer.hexdigest(query.encode("ascii"))
        else:
            signature = pct(self._signer.b64sign(query.encode("ascii")))
        return f"{query}&signature={signature}"

    def _request(self, method: str, path: str, signed_query: str) -> bytes:
        head = (f"{method} {path}?{signed_query} HTTP/1.1\r\n"
                f"Host: {self._host}\r\n{self._ua}X-MBX-APIKEY: {self._api_key}\r\n")
        if method in ("POST", "DELETE", "PUT"):
            head += "Content-Length: 0\r\n"
        return (head + "\r\n").encode("ascii")

    def _new_order_query(self, symbol, side, type, client_order_id, timestamp, quantity, price, time_in_force,
                         quote_order_qty, stop_price, resp_type, rules, stp=None) -> str:
        params = _order_fields(symbol, side, type, client_order_id, timestamp, quantity, price, time_in_force,
                               quote_order_qty, stop_price, resp_type, rules, stp)
        return self._signed_query(params, timestamp)

    def new_order_params(self, buf: WriteBuffer, symbol: str, side: str, type: str, *,
                         client_order_id: str | None, timestamp: int, quantity: Number | None = None,
                         price: Number | None = None, time_in_force: str | None = None,
                         quote_order_qty: Number | None = None, stop_price: Number | None = None,
                         resp_type: str | None = None, rules: SymbolRules | None = None,
                         stp: str | None = None) -> None:
        """The signed query string (params + "&signature=…") of a new order."""
        _check_buf(buf)
        query = self._new_order_query(symbol, side, type, client_order_id, timestamp, quantity, price,
                                      time_in_force, quote_order_qty, stop_price, resp_type, rules, stp)
        buf.write(query.encode("ascii"))

    def cancel_params(self, buf: WriteBuffer, symbol: str, *, timestamp: int, order_id: int | None = None,
                      orig_client_order_id: str | None = None,
                      new_client_order_id: str | None = None) -> None:
        """The signed query string of a cancel; at least one of order_id / orig_client_order_id."""
        _check_buf(buf)
        params = _cancel_fields(symbol, order_id, orig_client_order_id, new_client_order_id, timestamp, True)
        buf.write(self._signed_query(params, timestamp).encode("ascii"))

    def query_params(self, buf: WriteBuffer, symbol: str, *, timestamp: int, order_id: int | None = None,
                     orig_client_order_id: str | None = None) -> None:
        """The signed query string of an order query; at least one of order_id / orig_client_order_id."""
        _check_buf(buf)
        params = _cancel_fields(symbol, order_id, orig_client_order_id, None, timestamp, False)
        buf.write(self._signed_query(params, timestamp).encode("ascii"))

    def new_order_request(self, buf: WriteBuffer, symbol: str, side: str, type: str, *,
                          client_order_id: str | None, timestamp: int, quantity: Number | None = None,
                          price: Number | None = None, time_in_force: str | None = None,
                          quote_order_qty: Number | None = None, stop_price: Number | None = None,
                          resp_type: str | None = None, rules: SymbolRules | None = None,
                          test: bool = False, stp: str | None = None) -> None:
        """POST /api/v3/order (or /api/v3/order/test when `test`)."""
        _check_buf(buf)
        query = self._new_order_query(symbol, side, type, client_order_id, timestamp, quantity, price,
                                      time_in_force, quote_order_qty, stop_price, resp_type, rules, stp)
        path = "/api/v3/order/test" if test else "/api/v3/order"
        buf.write(self._request("POST", path, query))

    def cancel_request(self, buf: WriteBuffer, symbol: str, *, timestamp: int, order_id: int | None = None,
                       orig_client_order_id: str | None = None,
                       new_client_order_id: str | None = None) -> None:
        """DELETE /api/v3/order."""
        _check_buf(buf)
        params = _cancel_fields(symbol, order_id, orig_client_order_id, new_client_order_id, timestamp, True)
        buf.write(self._request("DELETE", "/api/v3/order", self._signed_query(params, timestamp)))

    def query_request(self, buf: WriteBuffer, symbol: str, *, timestamp: int, order_id: int | None = None,
                      orig_client_order_id: str | None = None) -> None:
        """GET /api/v3/order."""
        _check_buf(buf)
        params = _cancel_fields(symbol, order_id, orig_client_order_id, None, timestamp, False)
        buf.write(self._request("GET", "/api/v3/order", self._signed_query(params, timestamp)))

    def open_orders_request(self, buf: WriteBuffer, symbol: str | None = None, *, timestamp: int) -> None:
        """GET /api/v3/openOrders (every symbol's when `symbol` is None)."""
        _check_buf(buf)
        params = {} if symbol is None else {"symbol": check_symbol(symbol)}
        _timestamp(timestamp)
        buf.write(self._request("GET", "/api/v3/openOrders", self._signed_query(params, timestamp)))

    def cancel_open_orders_request(self, buf: WriteBuffer, symbol: str, *, timestamp: int) -> None:
        """DELETE /api/v3/openOrders (one symbol's)."""
        _check_buf(buf)
        params = {"symbol": check_symbol(symbol)}
        _timestamp(timestamp)
        buf.write(self._request("DELETE", "/api/v3/openOrders", self._signed_query(params, timestamp)))

    def account_request(self, buf: WriteBuffer, *, timestamp: int, omit_zero_balances: bool = False) -> None:
        """GET /api/v3/account (omitZeroBalances=true when asked)."""
        _check_buf(buf)
        _timestamp(timestamp)
        params = {"omitZeroBalances": "true"} if omit_zero_balances else {}
        buf.write(self._request("GET", "/api/v3/account", self._signed_query(params, timestamp)))

    def amend_keep_priority_request(self, buf: WriteBuffer, symbol: str, *, timestamp: int, new_qty: Number,
                                    order_id: int | None = None, orig_client_order_id: str | None = None,
                                    new_client_order_id: str | None = None,
                                    rules: SymbolRules | None = None) -> None:
        """PUT /api/v3/order/amend/keepPriority."""
        _check_buf(buf)
        params = _amend_fields(symbol, timestamp, new_qty, order_id, orig_client_order_id, new_client_order_id,
                               rules)
        buf.write(self._request("PUT", "/api/v3/order/amend/keepPriority", self._signed_query(params, timestamp)))

    def cancel_replace_request(self, buf: WriteBuffer, symbol: str, side: str, type: str, *,
                               client_order_id: str | None, timestamp: int, cancel_order_id: int | None = None,
                               cancel_orig_client_order_id: str | None = None, quantity: Number | None = None,
                               price: Number | None = None, time_in_force: str | None = None,
                               quote_order_qty: Number | None = None, stop_price: Number | None = None,
                               resp_type: str | None = None, rules: SymbolRules | None = None,
                               stp: str | None = None, cancel_restrictions: str | None = None) -> None:
        """POST /api/v3/order/cancelReplace with cancelReplaceMode=STOP_ON_FAILURE."""
        _check_buf(buf)
        params = _cancel_replace_fields(symbol, side, type, client_order_id, timestamp, cancel_order_id,
                                        cancel_orig_client_order_id, quantity, price, time_in_force,
                                        quote_order_qty, stop_price, resp_type, rules, stp, cancel_restrictions)
        buf.write(self._request("POST", "/api/v3/order/cancelReplace", self._signed_query(params, timestamp)))


class BinanceWs:
    """WebSocket API request frames (the JSON text of one text frame)."""

    __slots__ = ("_api_key", "_signer", "_recv_window")

    _NUMERIC = frozenset({"orderId", "recvWindow", "timestamp", "cancelOrderId"})
    _BARE = frozenset({"omitZeroBalances"})   # JSON literals (true), not strings

    def __init__(self, api_key: str, signer: Signer, *, recv_window: int | None = None) -> None:
        self._api_key = check_credential(api_key, "api_key")
        self._signer = _check_signer(signer)
        self._recv_window = _recv_window(recv_window)

    api_key = property(lambda self: self._api_key)
    recv_window = property(lambda self: self._recv_window)

    def __repr__(self) -> str:
        return f"<BinanceWs api_key={self._api_key!r}>"

    def __reduce__(self):
        raise TypeError("BinanceWs objects cannot be pickled")

    def _frame(self, request_id_json: str, method: str, params: dict[str, str], timestamp: int,
               logged_on: bool) -> bytes:
        if self._recv_window is not None:
            params["recvWindow"] = str(self._recv_window)
        params["timestamp"] = str(timestamp)
        if not logged_on:
            params["apiKey"] = self._api_key
        names = sorted(params)
        body = ",".join(
            f'"{name}":{params[name] if name in self._NUMERIC or name in self._BARE else jstr(params[name])}'
            for name in names
        )
        if not logged_on:
            signed = "&".join(f"{name}={params[name]}" for name in names).encode("utf-8")
            if isinstance(self._signer, HmacSha256):
                signature = self._signer.hexdigest(signed)
            else:
                signature = self._signer.b64sign(signed)
            body += f',"signature":{jstr(signature)}'
        return f'{{"id":{request_id_json},"method":"{method}","params":{{{body}}}}}'.encode()

    def order_place(self, buf: WriteBuffer, request_id: int | str, symbol: str, side: str, type: str, *,
                    client_order_id: str | None, timestamp: int, quantity: Number | None = None,
                    price: Number | None = None, time_in_force: str | None = None,
                    quote_order_qty: Number | None = None, stop_price: Number | None = None,
                    resp_type: str | None = None, rules: SymbolRules | None = None,
                    logged_on: bool = False, stp: str | None = None) -> None:
        _check_buf(buf)
        rid = _request_id_json(request_id)
        params = _order_fields(symbol, side, type, client_order_id, timestamp, quantity, price, time_in_force,
                               quote_order_qty, stop_price, resp_type, rules, stp)
        buf.write(self._frame(rid, "order.place", params, timestamp, logged_on))

    def order_cancel_replace(self, buf: WriteBuffer, request_id: int | str, symbol: str, side: str, type: str, *,
                             client_order_id: str | None, timestamp: int, cancel_order_id: int | None = None,
                             cancel_orig_client_order_id: str | None = None, quantity: Number | None = None,
                             price: Number | None = None, time_in_force: str | None = None,
                             quote_order_qty: Number | None = None, stop_price: Number | None = None,
                             resp_type: str | None = None, rules: SymbolRules | None = None,
                             stp: str | None = None, logged_on: bool = False,
                             cancel_restrictions: str | None = None) -> None:
        _check_buf(buf)
        rid = _request_id_json(request_id)
        params = _cancel_replace_fields(symbol, side, type, client_order_id, timestamp, cancel_order_id,
                                        cancel_orig_client_order_id, quantity, price, time_in_force,
                                        quote_order_qty, stop_price, resp_type, rules, stp, cancel_restrictions)
        buf.write(self._frame(rid, "order.cancelReplace", params, timestamp, logged_on))

    def order_amend_keep_priority(self, buf: WriteBuffer, request_id: int | str, symbol: str, *, timestamp: int,
                                  new_qty: Number, order_id: int | None = None,
                                  orig_client_order_id: str | None = None, new_client_order_id: str | None = None,
                                  rules: SymbolRules | None = None, logged_on: bool = False) -> None:
        _check_buf(buf)
        rid = _request_id_json(request_id)
        params = _amend_fields(symbol, timestamp, new_qty, order_id, orig_client_order_id, new_client_order_id,
                               rules)
        buf.write(self._frame(rid, "order.amend.keepPriority", params, timestamp, logged_on))

    def open_orders_status(self, buf: WriteBuffer, request_id: int | str, symbol: str | None = None, *,
                           timestamp: int, logged_on: bool = False) -> None:
        _check_buf(buf)
        rid = _request_id_json(request_id)
        params = {} if symbol is None else {"symbol": check_symbol(symbol)}
        _timestamp(timestamp)
        buf.write(self._frame(rid, "openOrders.status", params, timestamp, logged_on))

    def open_orders_cancel_all(self, buf: WriteBuffer, request_id: int | str, symbol: str, *, timestamp: int,
                               logged_on: bool = False) -> None:
        _check_buf(buf)
        rid = _request_id_json(request_id)
        params = {"symbol": check_symbol(symbol)}
        _timestamp(timestamp)
        buf.write(self._frame(rid, "openOrders.cancelAll", params, timestamp, logged_on))

    def account_status(self, buf: WriteBuffer, request_id: int | str, *, timestamp: int,
                       omit_zero_balances: bool = False, logged_on: bool = False) -> None:
        _check_buf(buf)
        rid = _request_id_json(request_id)
        _timestamp(timestamp)
        params = {"omitZeroBalances": "true"} if omit_zero_balances else {}
        buf.write(self._frame(rid, "account.status", params, timestamp, logged_on))

    def order_cancel(self, buf: WriteBuffer, request_id: int | str, symbol: str, *, timestamp: int,
                     order_id: int | None = None, orig_client_order_id: str | None = None,
                     new_client_order_id: str | None = None, logged_on: bool = False) -> None:
        _check_buf(buf)
        rid = _request_id_json(request_id)
        params = _cancel_fields(symbol, order_id, orig_client_order_id, new_client_order_id, timestamp, True)
        buf.write(self._frame(rid, "order.cancel", params, timestamp, logged_on))

    def order_status(self, buf: WriteBuffer, request_id: int | str, symbol: str, *, timestamp: int,
                     order_id: int | None = None, orig_client_order_id: str | None = None,
                     logged_on: bool = False) -> None:
        _check_buf(buf)
        rid = _request_id_json(request_id)
        params = _cancel_fields(symbol, order_id, orig_client_order_id, None, timestamp, False)
        buf.write(self._frame(rid, "order.status", params, timestamp, logged_on))

    def session_logon(self, buf: WriteBuffer, request_id: int | str, *, timestamp: int) -> None:
        """params apiKey, (recvWindow,) timestamp, signature — signed like any request."""
        _check_buf(buf)
        rid = _request_id_json(request_id)
        _timestamp(timestamp)
        buf.write(self._frame(rid, "session.logon", {}, timestamp, False))

    def ping(self, buf: WriteBuffer, request_id: int | str) -> None:
        """'{"id":ID,"method":"ping"}'"""
        _check_buf(buf)
        buf.write(f'{{"id":{_request_id_json(request_id)},"method":"ping"}}'.encode())

    def time(self, buf: WriteBuffer, request_id: int | str) -> None:
        """'{"id":ID,"method":"time"}'"""
        _check_buf(buf)
        buf.write(f'{{"id":{_request_id_json(request_id)},"method":"time"}}'.encode())
