"""Binance USDⓈ-M futures encoders: REST (signed query string, `/fapi/v1/*`) and WebSocket API (`/ws-fapi/v1`,
signed JSON request frames). Wire formats and sources: docs/venues/binance-futures.md.

Field rules (both transports), beyond the spot encoder's (fastorder/_core/binance.pyi: symbol, client ids,
order_id, timestamp, recv_window, request_id, numbers and `rules`):
- side: BUY | SELL. type: LIMIT | MARKET | STOP | STOP_MARKET | TAKE_PROFIT | TAKE_PROFIT_MARKET.
  time_in_force: GTC | IOC | FOK | GTX (post-only). resp_type: ACK | RESULT. position_side: BOTH | LONG | SHORT.
  reduce_only, close_position: bool (TypeError otherwise); written as "true" only when True.
- mandatory by type: LIMIT needs time_in_force, quantity, price; MARKET needs quantity and no price or
  time_in_force; STOP / TAKE_PROFIT need quantity, price, stop_price; STOP_MARKET / TAKE_PROFIT_MARKET need
  stop_price, exactly one of quantity and close_position, and no price. stop_price is refused for LIMIT and
  MARKET; close_position for every type but *_MARKET stops, and with reduce_only; reduce_only with a LONG or
  SHORT position_side (hedge mode). Violations raise InvalidOrder(field=...).
- with `rules`, the notional check is skipped for reduce_only orders (the venue exempts them: -4164).
"""

from collections.abc import Iterable

from fastorder._core.buffer import WriteBuffer
from fastorder._core.numbers import Number, SymbolRules
from fastorder._core.sign import Signer

class BinanceFuturesRest:
    """REST requests: params then `recvWindow`, `timestamp`, `signature` in the query string, no body.

    New order params, in this order, each only when given: symbol, side, positionSide, type, timeInForce,
    quantity, reduceOnly, price, newClientOrderId, stopPrice, closePosition, newOrderRespType. Cancel / query:
    symbol, orderId, origClientOrderId. The whole request:
      "{METHOD} {path}?{query}&signature={sig} HTTP/1.1\\r\\nHost: {host}\\r\\n" + ("User-Agent: …\\r\\n" if
      given) + "X-MBX-APIKEY: {api_key}\\r\\n" + ("Content-Length: 0\\r\\n" unless GET) + "\\r\\n"
    """

    api_key: str
    host: str
    recv_window: int | None

    def __init__(self, api_key: str, signer: Signer, *, host: str = "fapi.binance.com",
                 recv_window: int | None = None, user_agent: str | None = None) -> None: ...
    def new_order_request(self, buf: WriteBuffer, symbol: str, side: str, type: str, *,
                          client_order_id: str | None, timestamp: int, quantity: Number | None = None,
                          price: Number | None = None, time_in_force: str | None = None,
                          position_side: str | None = None, reduce_only: bool = False,
                          close_position: bool = False, stop_price: Number | None = None,
                          resp_type: str | None = None, rules: SymbolRules | None = None,
                          test: bool = False) -> None:
        """POST /fapi/v1/order (or /fapi/v1/order/test when `test`)."""
    def cancel_request(self, buf: WriteBuffer, symbol: str, *, timestamp: int, order_id: int | None = None,
                       orig_client_order_id: str | None = None) -> None:
        """DELETE /fapi/v1/order; at least one of order_id / orig_client_order_id."""
    def query_request(self, buf: WriteBuffer, symbol: str, *, timestamp: int, order_id: int | None = None,
                      orig_client_order_id: str | None = None) -> None:
        """GET /fapi/v1/order; at least one of order_id / orig_client_order_id."""
    def modify_request(self, buf: WriteBuffer, symbol: str, side: str, *, timestamp: int, quantity: Number,
                       price: Number, order_id: int | None = None, orig_client_order_id: str | None = None,
                       rules: SymbolRules | None = None) -> None:
        """PUT /fapi/v1/order (Modify Order, LIMIT orders): orderId, origClientOrderId, symbol, side, quantity,
        price — both quantity and price always; at least one of order_id / orig_client_order_id."""
    def signed_request(self, buf: WriteBuffer, method: str, path: str, params: Iterable[tuple[str, str]], *,
                       timestamp: int) -> None:
        """Any other signed endpoint: method GET | POST | DELETE | PUT, a /fapi/ path without a query, params
        (name, value) pairs each ^[A-Za-z0-9._-]{1,64}$ (InvalidField otherwise), written in the given order."""
    def list_request(self, buf: WriteBuffer, method: str, path: str, params: Iterable[tuple[str, str]],
                     list_name: str, list_json: bytes, *, timestamp: int) -> None:
        """A signed request whose last parameter is a JSON list (POST /fapi/v1/batchOrders `batchOrders`,
        DELETE /fapi/v1/batchOrders `orderIdList` / `origClientOrderIdList`), percent-encoded like every value:
        params as for signed_request, then list_name=<list_json>, recvWindow, timestamp, signature. list_json:
        printable ASCII from '[' to ']', at most 16384 bytes (InvalidOrder otherwise)."""

class BinanceFuturesWs:
    """WebSocket API frames: '{"id":ID,"method":M,"params":{…}}', params sorted by name, each DECIMAL and enum
    as a JSON string, orderId / recvWindow / timestamp as JSON numbers; apiKey and signature (over the sorted
    'name=value' pairs joined by '&') unless `logged_on` (an Ed25519 session.logon)."""

    api_key: str
    recv_window: int | None

    def __init__(self, api_key: str, signer: Signer, *, recv_window: int | None = None) -> None: ...
    def order_place(self, buf: WriteBuffer, request_id: int | str, symbol: str, side: str, type: str, *,
                    client_order_id: str | None, timestamp: int, quantity: Number | None = None,
                    price: Number | None = None, time_in_force: str | None = None,
                    position_side: str | None = None, reduce_only: bool = False, close_position: bool = False,
                    stop_price: Number | None = None, resp_type: str | None = None,
                    rules: SymbolRules | None = None, logged_on: bool = False) -> None: ...
    def order_cancel(self, buf: WriteBuffer, request_id: int | str, symbol: str, *, timestamp: int,
                     order_id: int | None = None, orig_client_order_id: str | None = None,
                     logged_on: bool = False) -> None: ...
    def order_status(self, buf: WriteBuffer, request_id: int | str, symbol: str, *, timestamp: int,
                     order_id: int | None = None, orig_client_order_id: str | None = None,
                     logged_on: bool = False) -> None: ...
    def order_modify(self, buf: WriteBuffer, request_id: int | str, symbol: str, side: str, *, timestamp: int,
                     quantity: Number, price: Number, order_id: int | None = None,
                     orig_client_order_id: str | None = None, rules: SymbolRules | None = None,
                     logged_on: bool = False) -> None: ...
    def session_logon(self, buf: WriteBuffer, request_id: int | str, *, timestamp: int) -> None:
        """params apiKey, (recvWindow,) timestamp, signature: Ed25519 keys only (the venue's rule)."""
