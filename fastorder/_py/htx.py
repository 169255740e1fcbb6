"""Pure-Python twin of `fastorder._core.htx`: HTX (Huobi) Spot REST with Signature Version 2.

See the stub `fastorder/_core/htx.pyi` and docs/venues/htx.md. Everything is checked and built as one `bytes`
before it is written, so an error leaves the buffer as it was.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from fastorder._py._fields import (
    check_credential,
    check_enum,
    check_host,
    check_id_digits,
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

TYPES = frozenset({"buy-market", "sell-market", "buy-limit", "sell-limit", "buy-ioc", "sell-ioc",
                   "buy-limit-maker", "sell-limit-maker", "buy-limit-fok", "sell-limit-fok"})
BATCH_PLACE_MAX = 10       # POST /v1/order/batch-orders: "A batch contains at most 10 orders"
BATCH_CANCEL_MAX = 50      # POST /v1/order/orders/batchcancel: no more than 50 ids per request
CANCEL_OPEN_MAX = 100      # POST /v1/order/orders/batchCancelOpenOrders: size in [1, 100]
OPEN_ORDERS_MAX = 500      # GET /v1/order/openOrders: size in [1, 500]
DIRECTS = frozenset({"prev", "next"})
MARKET_TYPES = frozenset({"buy-market", "sell-market"})
SOURCES = frozenset({"spot-api", "margin-api", "super-margin-api", "c2c-margin-api"})

_ORDER_KEYS = frozenset({"symbol", "type", "amount", "client_order_id", "price", "source", "rules",
                         "self_match_prevent"})
_SYMBOL = re.compile(r"[a-z0-9]{1,32}")
_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_TS_END = 253402300800  # 10000-01-01T00:00:00Z


def _timestamp_s(timestamp_s: object) -> int:
    return check_int(timestamp_s, 1, _TS_END, "timestamp_s")


def htx_timestamp(timestamp_s: int) -> str:
    """'2017-05-11T15:19:30' (UTC, seconds, no zone)."""
    t = _EPOCH + timedelta(seconds=_timestamp_s(timestamp_s))
    return f"{t:%Y-%m-%dT%H:%M:%S}"


def _check_buf(buf: object) -> WriteBuffer:
    if not isinstance(buf, WriteBuffer):
        raise TypeError(f"buf must be a WriteBuffer, not {type(buf).__name__}")
    return buf


class HtxRest:
    __slots__ = ("_access_key", "_signer", "_account_id", "_host", "_method_name", "_ua")

    def __init__(self, access_key: str, signer: Signer, *, account_id: int | str,
                 host: str = "api.huobi.pro", user_agent: str | None = None) -> None:
        self._access_key = check_credential(access_key, "access_key")
        if isinstance(signer, HmacSha256):
            self._method_name = "HmacSHA256"
        elif isinstance(signer, Ed25519Signer):
            self._method_name = "Ed25519"
        else:
            raise TypeError(f"signer must be HmacSha256 or Ed25519Signer, not {type(signer).__name__}")
        self._signer = signer
        self._account_id = check_id_digits(account_id, "account_id")
        self._host = check_host(host)
        self._ua = user_agent_line(user_agent)

    access_key = property(lambda self: self._access_key)
    host = property(lambda self: self._host)
    account_id = property(lambda self: self._account_id)

    def __repr__(self) -> str:
        return f"<HtxRest host={self._host!r} access_key={self._access_key!r} account_id={self._account_id!r}>"

    def __reduce__(self):
        raise TypeError("HtxRest objects cannot be pickled")

    def _query(self, timestamp_s: int, client_order_id: str | None) -> str:
        query = (f"AccessKeyId={pct(self._access_key)}&SignatureMethod={self._method_name}"
                 f"&SignatureVersion=2&Timestamp={pct(htx_timestamp(timestamp_s))}")
        if client_order_id is not None:
            query += f"&clientOrderId={pct(client_order_id)}"
        return query

    def pre_signed_text(self, method: str, path: str, *, timestamp_s: int,
                        client_order_id: str | None = None) -> str:
        """The text that is signed for one request (for tests and debugging)."""
        check_str(method, "method")
        check_str(path, "path")
        if client_order_id is not None:
            check_re(client_order_id, _CLIENT_ID, "client_order_id")
        return f"{method}\n{self._host.lower()}\n{path}\n{self._query(timestamp_s, client_order_id)}"

    def _signature(self, text: str) -> str:
        message = text.encode("utf-8")
        if isinstance(self._signer, HmacSha256):
            return pct(self._signer.b64digest(message))
        return pct(self._signer.b64sign(message))

    def _request(self, method: str, path: str, timestamp_s: int, body: str | None,
                 client_order_id: str | None = None, extra: str = "") -> bytes:
        query = self._query(timestamp_s, client_order_id) + extra
        signature = self._signature(f"{method}\n{self._host.lower()}\n{path}\n{query}")
        head = f"{method} {path}?{query}&Signature={signature} HTTP/1.1\r\nHost: {self._host}\r\n{self._ua}"
        if body is None:
            return (head + "\r\n").encode()
        body_bytes = body.encode()
        head += f"Content-Type: application/json\r\nContent-Length: {len(body_bytes)}\r\n"
        return (head + "\r\n").encode() + body_bytes

    def _order_body(self, symbol: object, type: object, amount: object, client_order_id: object,
                    price: object, source: object, rules: object, self_match_prevent: object) -> str:
        """One order's JSON object, every field checked (the signature's order)."""
        symbol = check_re(symbol, _SYMBOL, "symbol")
        type = check_enum(type, TYPES, "type")
        client_order_id = check_re(client_order_id, _CLIENT_ID, "client_order_id")
        source = check_enum(source, SOURCES, "source")
        rules = check_rules(rules)
        if self_match_prevent is not None:
            check_int(self_match_prevent, 0, 2, "self_match_prevent")
        if type in MARKET_TYPES:
            if price is not None:
                raise InvalidOrder(f"{type} order takes no price", field="price")
        elif price is None:
            raise InvalidOrder(f"{type} order needs price", field="price")
        # buy-market's amount is the quote amount (the order value): the lot size does not apply to it
        amount_text = number(amount, "amount", rules, None if type == "buy-market" else "qty")
        price_text = None if price is None else number(price, "price", rules, "price")
        if rules is not None and price is not None:
            rules.check_notional(price, amount)  # as Binance's stub says; the HTX stub is silent (spec question)
        body = f'{{"account-id":{jstr(self._account_id)},"amount":{jstr(amount_text)}'
        if price_text is not None:
            body += f',"price":{jstr(price_text)}'
        body += (f',"source":{jstr(source)},"symbol":{jstr(symbol)},"type":{jstr(type)},'
                 f'"client-order-id":{jstr(client_order_id)}')
        if self_match_prevent is not None:
            body += f',"self-match-prevent":{self_match_prevent}'
        return body + "}"

    def place_order_request(self, buf: WriteBuffer, symbol: str, type: str, *, amount: Number,
                            client_order_id: str, timestamp_s: int, price: Number | None = None,
                            source: str = "spot-api", rules: SymbolRules | None = None,
                            self_match_prevent: int | None = None) -> None:
        _check_buf(buf)
        _timestamp_s(timestamp_s)
        body = self._order_body(symbol, type, amount, client_order_id, price, source, rules, self_match_prevent)
        buf.write(self._request("POST", "/v1/order/orders/place", timestamp_s, body))

    def batch_orders_request(self, buf: WriteBuffer, orders: list[dict[str, object]], *,
                             timestamp_s: int) -> None:
        _check_buf(buf)
        _timestamp_s(timestamp_s)
        if not isinstance(orders, list):
            raise TypeError(f"orders must be a list, not {type(orders).__name__}")
        if not 1 <= len(orders) <= BATCH_PLACE_MAX:
            raise InvalidOrder(f"a batch holds 1 to {BATCH_PLACE_MAX} orders, not {len(orders)}", field="orders")
        items = []
        for o in orders:
            if not isinstance(o, dict):
                raise TypeError(f"each order must be a dict, not {type(o).__name__}")
            unknown = set(o) - _ORDER_KEYS
            if unknown:
                raise TypeError(f"unknown order fields: {sorted(unknown)}")
            if "symbol" not in o or "type" not in o or "amount" not in o or "client_order_id" not in o:
                raise TypeError("each order needs symbol, type, amount and client_order_id")
            items.append(self._order_body(o["symbol"], o["type"], o["amount"], o["client_order_id"],
                                          o.get("price"), o.get("source", "spot-api"), o.get("rules"),
                                          o.get("self_match_prevent")))
        buf.write(self._request("POST", "/v1/order/batch-orders", timestamp_s, "[" + ",".join(items) + "]"))

    def batch_cancel_request(self, buf: WriteBuffer, *, timestamp_s: int, order_ids: list[int | str] | None = None,
                             client_order_ids: list[str] | None = None) -> None:
        _check_buf(buf)
        _timestamp_s(timestamp_s)
        if (order_ids is None) == (client_order_ids is None):
            raise InvalidOrder("give order_ids or client_order_ids (one of them)", field="order_ids")
        ids = order_ids if order_ids is not None else client_order_ids
        if not isinstance(ids, list):
            raise TypeError(f"ids must be a list, not {type(ids).__name__}")
        if not 1 <= len(ids) <= BATCH_CANCEL_MAX:
            raise InvalidOrder(f"a batch cancel holds 1 to {BATCH_CANCEL_MAX} ids, not {len(ids)}", field="order_ids")
        if order_ids is not None:
            texts = [check_id_digits(i, "order_id") for i in ids]
            name = "order-ids"
        else:
            texts = [check_re(i, _CLIENT_ID, "client_order_id") for i in ids]
            name = "client-order-ids"
        body = f'{{"{name}":[' + ",".join(jstr(t) for t in texts) + "]}"
        buf.write(self._request("POST", "/v1/order/orders/batchcancel", timestamp_s, body))

    def cancel_open_orders_request(self, buf: WriteBuffer, *, timestamp_s: int, symbol: str | None = None,
                                   size: int = CANCEL_OPEN_MAX) -> None:
        _check_buf(buf)
        _timestamp_s(timestamp_s)
        if symbol is not None:
            symbol = check_re(symbol, _SYMBOL, "symbol")
        check_int(size, 1, CANCEL_OPEN_MAX + 1, "size")
        body = f'{{"account-id":{jstr(self._account_id)}'
        if symbol is not None:
            body += f',"symbol":{jstr(symbol)}'
        body += f',"size":{size}}}'
        buf.write(self._request("POST", "/v1/order/orders/batchCancelOpenOrders", timestamp_s, body))

    def cancel_all_after_request(self, buf: WriteBuffer, timeout_s: int, *, timestamp_s: int) -> None:
        _check_buf(buf)
        check_int(timeout_s, 0, 2**31, "timeout_s")
        if 0 < timeout_s < 5:
            raise InvalidField("timeout_s must be 0 (off) or at least 5 seconds", field="timeout_s")
        _timestamp_s(timestamp_s)
        buf.write(self._request("POST", "/v2/algo-orders/cancel-all-after", timestamp_s, f'{{"timeout":{timeout_s}}}'))

    def open_orders_request(self, buf: WriteBuffer, *, timestamp_s: int, symbol: str | None = None,
                            from_id: int | str | None = None, direct: str | None = None,
                            size: int = OPEN_ORDERS_MAX) -> None:
        _check_buf(buf)
        _timestamp_s(timestamp_s)
        if symbol is not None:
            symbol = check_re(symbol, _SYMBOL, "symbol")
        if from_id is not None:
            from_id = check_id_digits(from_id, "from_id")
        if direct is not None:
            direct = check_enum(direct, DIRECTS, "direct")
        check_int(size, 1, OPEN_ORDERS_MAX + 1, "size")
        # sorted by name, after the auth params (capitals sort first)
        extra = f"&account-id={self._account_id}"
        if direct is not None:
            extra += f"&direct={direct}"
        if from_id is not None:
            extra += f"&from={from_id}"
        extra += f"&size={size}"
        if symbol is not None:
            extra += f"&symbol={symbol}"
        buf.write(self._request("GET", "/v1/order/openOrders", timestamp_s, None, extra=extra))

    def balance_request(self, buf: WriteBuffer, *, timestamp_s: int) -> None:
        _check_buf(buf)
        _timestamp_s(timestamp_s)
        buf.write(self._request("GET", f"/v1/account/accounts/{self._account_id}/balance", timestamp_s, None))

    def cancel_request(self, buf: WriteBuffer, order_id: int | str, *, timestamp_s: int) -> None:
        _check_buf(buf)
        order_id = check_id_digits(order_id, "order_id")
        _timestamp_s(timestamp_s)
        buf.write(self._request("POST", f"/v1/order/orders/{order_id}/submitcancel", timestamp_s, "{}"))

    def cancel_client_request(self, buf: WriteBuffer, client_order_id: str, *, timestamp_s: int) -> None:
        _check_buf(buf)
        client_order_id = check_re(client_order_id, _CLIENT_ID, "client_order_id")
        _timestamp_s(timestamp_s)
        body = f'{{"client-order-id":{jstr(client_order_id)}}}'
        buf.write(self._request("POST", "/v1/order/orders/submitCancelClientOrder", timestamp_s, body))

    def query_request(self, buf: WriteBuffer, order_id: int | str, *, timestamp_s: int) -> None:
        _check_buf(buf)
        order_id = check_id_digits(order_id, "order_id")
        _timestamp_s(timestamp_s)
        buf.write(self._request("GET", f"/v1/order/orders/{order_id}", timestamp_s, None))

    def query_client_request(self, buf: WriteBuffer, client_order_id: str, *, timestamp_s: int) -> None:
        _check_buf(buf)
        client_order_id = check_re(client_order_id, _CLIENT_ID, "client_order_id")
        _timestamp_s(timestamp_s)
        buf.write(self._request("GET", "/v1/order/orders/getClientOrder", timestamp_s, None, client_order_id))


# -- USDT-margined swaps (the linear swap API) ---------------------------------------------------------------------
SWAP_CLIENT_ID_MAX = 2**63 - 1
SWAP_LEVER_MAX = 1000
_SWAP_PATHS = {
    "cross": ("/linear-swap-api/v1/swap_cross_order", "/linear-swap-api/v1/swap_cross_cancel",
              "/linear-swap-api/v1/swap_cross_order_info"),
    "isolated": ("/linear-swap-api/v1/swap_order", "/linear-swap-api/v1/swap_cancel",
                 "/linear-swap-api/v1/swap_order_info"),
}
_DIRECTIONS = frozenset({"buy", "sell"})
_OFFSETS = frozenset({"open", "close", "both"})
_PRICED = frozenset({"limit", "post_only", "ioc", "fok"})
_UNPRICED = frozenset({"market", "opponent", "optimal_5", "optimal_10", "optimal_20", "opponent_ioc", "optimal_5_ioc",
                       "optimal_10_ioc", "optimal_20_ioc", "opponent_fok", "optimal_5_fok", "optimal_10_fok",
                       "optimal_20_fok"})
_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_CLID_DIGITS = re.compile(r"[0-9]{1,19}")


def _swap_clid(value: object) -> str:
    if isinstance(value, str):
        check_re(value, _CLID_DIGITS, "client_order_id")
        if value[0] == "0" or int(value) > SWAP_CLIENT_ID_MAX:
            raise InvalidField(f"client_order_id must be 1 to {SWAP_CLIENT_ID_MAX}, not {value!r}",
                               field="client_order_id")
        return value
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"client_order_id must be an int or str, not {type(value).__name__}")
    return str(check_int(value, 1, SWAP_CLIENT_ID_MAX + 1, "client_order_id"))


class HtxSwapRest(HtxRest):
    """Twin of the compiled HtxSwapRest (htx.pyi): the spot class's Signature V2 with the swap host and paths."""

    __slots__ = ("_margin_mode",)

    def __init__(self, access_key: str, signer: Signer, *, host: str = "api.hbdm.com", user_agent: str | None = None,
                 margin_mode: str = "cross") -> None:
        if margin_mode not in _SWAP_PATHS:
            raise InvalidField(f"margin_mode must be 'cross' or 'isolated', not {margin_mode!r}", field="margin_mode")
        super().__init__(access_key, signer, account_id=0, host=host, user_agent=user_agent)
        self._margin_mode = margin_mode

    margin_mode = property(lambda self: self._margin_mode)

    def __repr__(self) -> str:
        return f"<HtxSwapRest host={self._host!r} margin_mode={self._margin_mode!r}>"

    def _paths(self, margin_mode: object) -> tuple[str, str, str]:
        if margin_mode is None:
            return _SWAP_PATHS[self._margin_mode]
        p = _SWAP_PATHS.get(margin_mode) if isinstance(margin_mode, str) else None
        if p is None:
            raise InvalidField(f"margin_mode must be 'cross' or 'isolated', not {margin_mode!r}", field="margin_mode")
        return p

    def place_order_request(self, buf: WriteBuffer, contract_code: str, direction: str, *,  # type: ignore[override]
                            volume: Number, client_order_id: int | str, timestamp_s: int, lever_rate: int,
                            order_price_type: str = "limit", price: Number | None = None, offset: str | None = None,
                            reduce_only: bool = False, margin_mode: str | None = None,
                            rules: SymbolRules | None = None) -> None:
        _check_buf(buf)
        _timestamp_s(timestamp_s)
        path = self._paths(margin_mode)[0]
        code = check_re(contract_code, _CODE, "contract_code")
        direction = check_enum(direction, _DIRECTIONS, "direction")
        rules = check_rules(rules)
        vol_text = number(volume, "volume", rules, "qty")
        clid = _swap_clid(client_order_id)
        lev = check_int(lever_rate, 1, SWAP_LEVER_MAX + 1, "lever_rate")
        if not isinstance(order_price_type, str):
            raise TypeError(f"order_price_type must be a str, not {type(order_price_type).__name__}")
        if order_price_type in _PRICED:
            if price is None:
                raise InvalidOrder(f"{order_price_type} orders need price", field="price")
        else:
            check_enum(order_price_type, _UNPRICED, "order_price_type")
            if price is not None:
                raise InvalidOrder(f"{order_price_type} orders take no price", field="price")
        price_text = None if price is None else number(price, "price", rules, "price")
        if offset is not None:
            check_enum(offset, _OFFSETS, "offset")
        if not isinstance(reduce_only, bool):
            raise TypeError(f"reduce_only must be a bool, not {type(reduce_only).__name__}")
        if reduce_only and offset is not None and offset != "both":
            raise InvalidOrder("reduce_only applies in one-way mode only (offset 'both' or none), not with offset "
                               f"{offset!r}", field="reduce_only")
        if rules is None or rules.qty_decimals != 0:
            from decimal import Decimal
            d = Decimal(vol_text)
            if d != d.to_integral_value():
                raise InvalidOrder(f"volume must be a whole number of contracts, not {volume!r}", field="volume")
        body = f'{{"contract_code":{jstr(code)},"client_order_id":{clid}'
        if price_text is not None:
            body += f',"price":{jstr(price_text)}'
        body += f',"volume":{vol_text},"direction":{jstr(direction)}'
        if offset is not None:
            body += f',"offset":{jstr(offset)}'
        body += f',"lever_rate":{lev},"order_price_type":{jstr(order_price_type)}'
        if reduce_only:
            body += ',"reduce_only":1'
        buf.write(self._request("POST", path, timestamp_s, body + "}"))

    def _ref(self, contract_code: object, order_id: object, client_order_id: object) -> str:
        code = check_re(contract_code, _CODE, "contract_code")
        if (order_id is None) == (client_order_id is None):
            raise InvalidOrder("give order_id or client_order_id (one of them)", field="order_id")
        if order_id is not None:
            return f'{{"contract_code":{jstr(code)},"order_id":{jstr(check_id_digits(order_id, "order_id"))}}}'
        return f'{{"contract_code":{jstr(code)},"client_order_id":{jstr(_swap_clid(client_order_id))}}}'

    def cancel_request(self, buf: WriteBuffer, contract_code: str, *,  # type: ignore[override]
                       timestamp_s: int, order_id: int | str | None = None, client_order_id: int | str | None = None,
                       margin_mode: str | None = None) -> None:
        _check_buf(buf)
        _timestamp_s(timestamp_s)
        path = self._paths(margin_mode)[1]
        buf.write(self._request("POST", path, timestamp_s, self._ref(contract_code, order_id, client_order_id)))

    def order_info_request(self, buf: WriteBuffer, contract_code: str, *, timestamp_s: int,
                           order_id: int | str | None = None, client_order_id: int | str | None = None,
                           margin_mode: str | None = None) -> None:
        _check_buf(buf)
        _timestamp_s(timestamp_s)
        path = self._paths(margin_mode)[2]
        buf.write(self._request("POST", path, timestamp_s, self._ref(contract_code, order_id, client_order_id)))

    def signed_post(self, buf: WriteBuffer, path: str, body: bytes, *, timestamp_s: int) -> None:
        _check_buf(buf)
        _timestamp_s(timestamp_s)
        check_str(path, "path")
        if not path.startswith("/linear-swap-api/") or not path.isascii() or any(c in path for c in "?# \r\n"):
            raise InvalidField(f"not a linear swap API path: {path!r}", field="path")
        buf.write(self._request("POST", path, timestamp_s, body.decode()))
