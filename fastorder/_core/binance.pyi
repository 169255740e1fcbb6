"""Binance Spot encoders: REST (signed query string) and WebSocket API (signed JSON request frames).

All methods append to a `WriteBuffer` and check every field before writing; on an error nothing usable is
left behind (the buffer is truncated back to its length at the call). Venue-native values only: the venue
layer maps user-facing names. Wire formats and sources: docs/venues/binance.md.

Field rules (both transports):
- side: BUY | SELL. type: LIMIT | MARKET | LIMIT_MAKER | STOP_LOSS | STOP_LOSS_LIMIT | TAKE_PROFIT |
  TAKE_PROFIT_LIMIT. time_in_force: GTC | IOC | FOK. resp_type: ACK | RESULT | FULL. stp
  (selfTradePreventionMode): NONE | EXPIRE_TAKER | EXPIRE_MAKER | EXPIRE_BOTH | DECREMENT | TRANSFER.
- mandatory by type: LIMIT needs time_in_force, quantity, price; MARKET needs exactly one of quantity and
  quote_order_qty and no price/time_in_force; LIMIT_MAKER needs quantity, price and no time_in_force;
  STOP_LOSS / TAKE_PROFIT need quantity, stop_price; *_LIMIT need time_in_force, quantity, price, stop_price.
  quote_order_qty is refused for every type but MARKET, stop_price for every type but STOP_LOSS* /
  TAKE_PROFIT*. Violations raise InvalidOrder(field=...).
- order of checks: each argument in the order of the method's signature (so the first bad one decides the
  error; a number's `rules` check runs right where that number is checked), then the per-type rules above, then the notional check.
- symbol: 1-32 characters; ASCII ones from [A-Za-z0-9._-]; non-ASCII ones must be printable
  (`str.isprintable`). Otherwise InvalidField.
- client ids (client_order_id, orig_client_order_id, new_client_order_id): ^[A-Za-z0-9_-]{1,36}$. client_order_id
  must be passed, but may be None (the venue then makes one up; the public API always passes one).
- order_id: int in [0, 2**63). timestamp: int ms in (0, 2**63). recv_window: int ms in [1, 60000].
- numbers: `numbers.decimal_text` rules; with `rules`, price/stop_price via rules.price, quantity and new_qty via
  rules.qty, then rules.check_notional(price, quantity) when both are given.
- cancel-replace: the new order's fields (checked as a new order's, first), then the cancelled order's ids
  (cancel_order_id / cancel_orig_client_order_id: at least one, as order_id / orig_client_order_id of a cancel).
  cancelReplaceMode is always STOP_ON_FAILURE (no new order when the cancel fails). cancel_restrictions
  (cancelRestrictions): ONLY_NEW | ONLY_PARTIALLY_FILLED, checked after the ids.
- request_id (WS): int in [0, 2**63) written as a JSON number, or str matching ^[A-Za-z0-9_-]{1,36}$ written as
  a JSON string.

Type rule (all encoders): a value of the wrong Python type (e.g. an int symbol, a str timestamp, a float
request id) raises TypeError; a value of the right type that breaks a rule raises InvalidField (text, enums,
ints out of range), InvalidNumber/OffGrid/FilterViolation (numbers) or InvalidOrder (per-type rules).
Text fields are checked as ASCII before anything is encoded, so a lone surrogate is an InvalidField too.
"""

from fastorder._core.buffer import WriteBuffer
from fastorder._core.numbers import Number, SymbolRules
from fastorder._core.sign import Signer

class BinanceRest:
    """REST `…/api/v3/order` requests: all params (and `signature`) in the query string, no body.

    Query params, in this order, each only when given: symbol, side, type, timeInForce, quantity,
    quoteOrderQty, price, stopPrice, newClientOrderId, newOrderRespType, selfTradePreventionMode, recvWindow,
    timestamp.
    (cancel: symbol, orderId, origClientOrderId, newClientOrderId, recvWindow, timestamp;
    query: symbol, orderId, origClientOrderId, recvWindow, timestamp;
    open orders / cancel all: symbol, recvWindow, timestamp; account: omitZeroBalances, recvWindow, timestamp;
    amend keepPriority: symbol, orderId, origClientOrderId, newClientOrderId, newQty, recvWindow, timestamp;
    cancelReplace: symbol, side, type, cancelReplaceMode, timeInForce, quantity, quoteOrderQty, price, stopPrice,
    cancelOrderId, cancelOrigClientOrderId, cancelRestrictions, newClientOrderId, newOrderRespType,
    selfTradePreventionMode, recvWindow, timestamp.)
    Each value is percent-encoded as UTF-8 with uppercase hex, keeping only A-Za-z0-9 and "-._~"
    (`urllib.parse.quote(v, safe="")`). The signed text is exactly that query string; then
    "&signature=" + lowercase hex (HMAC) or percent-encoded base64 (Ed25519) is appended.

    The `*_request` methods write a whole HTTP/1.1 request:
      "{METHOD} /api/v3/order[/test]?{query}&signature={sig} HTTP/1.1\\r\\n"
      "Host: {host}\\r\\n" + ("User-Agent: {user_agent}\\r\\n" if given) + "X-MBX-APIKEY: {api_key}\\r\\n"
      + ("Content-Length: 0\\r\\n" for POST, PUT and DELETE) + "\\r\\n"
    """

    api_key: str
    host: str
    recv_window: int | None

    def __init__(self, api_key: str, signer: Signer, *, host: str = "api.binance.com",
                 recv_window: int | None = None, user_agent: str | None = None) -> None:
        """`user_agent`: written as a `User-Agent` header after `Host` on every request (1-256 printable
        ASCII characters, else InvalidField); None writes none."""
    def new_order_params(self, buf: WriteBuffer, symbol: str, side: str, type: str, *,
                         client_order_id: str | None, timestamp: int, quantity: Number | None = None,
                         price: Number | None = None, time_in_force: str | None = None,
                         quote_order_qty: Number | None = None, stop_price: Number | None = None,
                         resp_type: str | None = None, rules: SymbolRules | None = None,
                         stp: str | None = None) -> None:
        """The signed query string (params + "&signature=…") of a new order."""
    def cancel_params(self, buf: WriteBuffer, symbol: str, *, timestamp: int, order_id: int | None = None,
                      orig_client_order_id: str | None = None,
                      new_client_order_id: str | None = None) -> None:
        """The signed query string of a cancel; at least one of order_id / orig_client_order_id."""
    def query_params(self, buf: WriteBuffer, symbol: str, *, timestamp: int, order_id: int | None = None,
                     orig_client_order_id: str | None = None) -> None:
        """The signed query string of an order query; at least one of order_id / orig_client_order_id."""
    def new_order_request(self, buf: WriteBuffer, symbol: str, side: str, type: str, *,
                          client_order_id: str | None, timestamp: int, quantity: Number | None = None,
                          price: Number | None = None, time_in_force: str | None = None,
                          quote_order_qty: Number | None = None, stop_price: Number | None = None,
                          resp_type: str | None = None, rules: SymbolRules | None = None,
                          test: bool = False, stp: str | None = None) -> None:
        """POST /api/v3/order (or /api/v3/order/test when `test`)."""
    def cancel_request(self, buf: WriteBuffer, symbol: str, *, timestamp: int, order_id: int | None = None,
                       orig_client_order_id: str | None = None,
                       new_client_order_id: str | None = None) -> None:
        """DELETE /api/v3/order."""
    def query_request(self, buf: WriteBuffer, symbol: str, *, timestamp: int, order_id: int | None = None,
                      orig_client_order_id: str | None = None) -> None:
        """GET /api/v3/order."""
    def open_orders_request(self, buf: WriteBuffer, symbol: str | None = None, *, timestamp: int) -> None:
        """GET /api/v3/openOrders (every symbol's when `symbol` is None)."""
    def cancel_open_orders_request(self, buf: WriteBuffer, symbol: str, *, timestamp: int) -> None:
        """DELETE /api/v3/openOrders (one symbol's)."""
    def account_request(self, buf: WriteBuffer, *, timestamp: int, omit_zero_balances: bool = False) -> None:
        """GET /api/v3/account (omitZeroBalances=true when asked)."""
    def amend_keep_priority_request(self, buf: WriteBuffer, symbol: str, *, timestamp: int, new_qty: Number,
                                    order_id: int | None = None, orig_client_order_id: str | None = None,
                                    new_client_order_id: str | None = None,
                                    rules: SymbolRules | None = None) -> None:
        """PUT /api/v3/order/amend/keepPriority."""
    def cancel_replace_request(self, buf: WriteBuffer, symbol: str, side: str, type: str, *,
                               client_order_id: str | None, timestamp: int, cancel_order_id: int | None = None,
                               cancel_orig_client_order_id: str | None = None, quantity: Number | None = None,
                               price: Number | None = None, time_in_force: str | None = None,
                               quote_order_qty: Number | None = None, stop_price: Number | None = None,
                               resp_type: str | None = None, rules: SymbolRules | None = None,
                               stp: str | None = None, cancel_restrictions: str | None = None) -> None:
        """POST /api/v3/order/cancelReplace with cancelReplaceMode=STOP_ON_FAILURE."""

class BinanceWs:
    """WebSocket API request frames (the JSON text of one text frame; framing is the transport's).

    Layout: '{"id":ID,"method":"METHOD","params":{' + params + '}}' with no spaces. Params are written
    sorted by name (ASCII), as '"name":value' joined by ','; strings are JSON strings, numbers
    (orderId, recvWindow, timestamp) bare digits. Unless `logged_on`, params include "apiKey" and end with
    ',"signature":"SIG"', where SIG signs the sorted 'name=value' pairs of all other params joined by '&'
    (raw UTF-8, no percent-encoding): HMAC as lowercase hex, Ed25519 as base64.
    After `session.logon` (`logged_on=True`) apiKey and signature are omitted; timestamp stays.
    order.place params: apiKey, newClientOrderId, newOrderRespType, price, quantity, quoteOrderQty,
    recvWindow, selfTradePreventionMode, side, stopPrice, symbol, timeInForce, timestamp, type (sorted; each
    only when given). order.cancelReplace: the same plus cancelOrderId (a number), cancelOrigClientOrderId,
    cancelReplaceMode "STOP_ON_FAILURE" and cancelRestrictions. order.amend.keepPriority: newClientOrderId, newQty (a string),
    orderId, origClientOrderId, recvWindow, symbol, timestamp. openOrders.status (symbol optional),
    openOrders.cancelAll: recvWindow, symbol, timestamp. account.status: omitZeroBalances (the JSON literal
    true, signed as "omitZeroBalances=true") when asked, recvWindow, timestamp.
    """

    api_key: str
    recv_window: int | None

    def __init__(self, api_key: str, signer: Signer, *, recv_window: int | None = None) -> None: ...
    def order_place(self, buf: WriteBuffer, request_id: int | str, symbol: str, side: str, type: str, *,
                    client_order_id: str | None, timestamp: int, quantity: Number | None = None,
                    price: Number | None = None, time_in_force: str | None = None,
                    quote_order_qty: Number | None = None, stop_price: Number | None = None,
                    resp_type: str | None = None, rules: SymbolRules | None = None,
                    logged_on: bool = False, stp: str | None = None) -> None: ...
    def order_cancel_replace(self, buf: WriteBuffer, request_id: int | str, symbol: str, side: str, type: str, *,
                             client_order_id: str | None, timestamp: int, cancel_order_id: int | None = None,
                             cancel_orig_client_order_id: str | None = None, quantity: Number | None = None,
                             price: Number | None = None, time_in_force: str | None = None,
                             quote_order_qty: Number | None = None, stop_price: Number | None = None,
                             resp_type: str | None = None, rules: SymbolRules | None = None,
                             stp: str | None = None, logged_on: bool = False,
                             cancel_restrictions: str | None = None) -> None: ...
    def order_amend_keep_priority(self, buf: WriteBuffer, request_id: int | str, symbol: str, *, timestamp: int,
                                  new_qty: Number, order_id: int | None = None,
                                  orig_client_order_id: str | None = None, new_client_order_id: str | None = None,
                                  rules: SymbolRules | None = None, logged_on: bool = False) -> None: ...
    def open_orders_status(self, buf: WriteBuffer, request_id: int | str, symbol: str | None = None, *,
                           timestamp: int, logged_on: bool = False) -> None: ...
    def open_orders_cancel_all(self, buf: WriteBuffer, request_id: int | str, symbol: str, *, timestamp: int,
                               logged_on: bool = False) -> None: ...
    def account_status(self, buf: WriteBuffer, request_id: int | str, *, timestamp: int,
                       omit_zero_balances: bool = False, logged_on: bool = False) -> None: ...
    def order_cancel(self, buf: WriteBuffer, request_id: int | str, symbol: str, *, timestamp: int,
                     order_id: int | None = None, orig_client_order_id: str | None = None,
                     new_client_order_id: str | None = None, logged_on: bool = False) -> None: ...
    def order_status(self, buf: WriteBuffer, request_id: int | str, symbol: str, *, timestamp: int,
                     order_id: int | None = None, orig_client_order_id: str | None = None,
                     logged_on: bool = False) -> None: ...
    def session_logon(self, buf: WriteBuffer, request_id: int | str, *, timestamp: int) -> None:
        """params apiKey, (recvWindow,) timestamp, signature — signed like any request."""
    def ping(self, buf: WriteBuffer, request_id: int | str) -> None:
        """'{"id":ID,"method":"ping"}'"""
    def time(self, buf: WriteBuffer, request_id: int | str) -> None:
        """'{"id":ID,"method":"time"}'"""
