"""HTX (Huobi) Spot REST encoders with Signature Version 2 (docs/venues/htx.md). HTX has no WebSocket order entry.

Auth params go in the query string of every request, in this order (which is also their sorted order):
  AccessKeyId={key}&SignatureMethod={HmacSHA256|Ed25519}&SignatureVersion=2&Timestamp={YYYY-MM-DDThh%3Amm%3Ass}
then, for GET getClientOrder, '&clientOrderId={id}' (for GET openOrders, its params, sorted). The pre-signed text is
  METHOD + "\\n" + lowercase host + "\\n" + path + "\\n" + that query
and "&Signature={percent-encoded base64}" is appended (HMAC-SHA256 or Ed25519 over the text).
Percent-encoding is UTF-8 with uppercase hex keeping A-Za-z0-9 and "-._~".

Requests:
  place:   POST /v1/order/orders/place, body '{"account-id":"…","amount":"…"[,"price":"…"],"source":"…",
           "symbol":"…","type":"…","client-order-id":"…"}'
  cancel:  POST /v1/order/orders/{order_id}/submitcancel, body '{}'
  cancel by client id: POST /v1/order/orders/submitCancelClientOrder, body '{"client-order-id":"…"}'
  query:   GET /v1/order/orders/{order_id};  by client id: GET /v1/order/orders/getClientOrder?…&clientOrderId=…
  batch place: POST /v1/order/batch-orders, body '[{order},…]' (1-10 orders, each as for place)
  batch cancel: POST /v1/order/orders/batchcancel, body '{"order-ids":["…",…]}' or '{"client-order-ids":[…]}'
           (1-50 ids)
  cancel open orders: POST /v1/order/orders/batchCancelOpenOrders, body '{"account-id":"…"[,"symbol":"…"],
           "size":n}' (size 1-100)
  dead man's switch: POST /v2/algo-orders/cancel-all-after, body '{"timeout":n}' (0: off, else >= 5 s)
  open orders: GET /v1/order/openOrders?…auth…&account-id=…[&direct=prev|next][&from=id]&size=n[&symbol=…]
           (size 1-500; the extra params follow the auth params in sorted order and are signed with them)
  balances: GET /v1/account/accounts/{account_id}/balance
  "{METHOD} {path}?{query}&Signature={sig} HTTP/1.1\\r\\nHost: {host}\\r\\n" + for POST
  "Content-Type: application/json\\r\\nContent-Length: {n}\\r\\n" + "\\r\\n" + body

Field rules: symbol ^[a-z0-9]{1,32}$; type buy-market | sell-market | buy-limit | sell-limit | buy-ioc |
sell-ioc | buy-limit-maker | sell-limit-maker | buy-limit-fok | sell-limit-fok; price required for every
type except *-market and refused for those; client_order_id ^[A-Za-z0-9_-]{1,64}$; order_id int in
[0, 2**63) or str of 1-20 digits; account_id int in [0, 2**63) or str of 1-20 digits; source one of
spot-api | margin-api | super-margin-api | c2c-margin-api; timestamp_s int in (0, 253402300800).
self_match_prevent: None (not sent: HTX's default 0, self-trades allowed) or the int 0 / 1, written last as
',"self-match-prevent":n'. With `rules`: amount via rules.qty (except for buy-market, whose amount is a quote-currency value: no
step check and written canonically), price via rules.price, then rules.check_notional(price, amount) when a
price is given. Arguments are checked in the order of the method's signature (the first bad one decides the error;
a number's `rules` check runs right where that number is checked), then the
price rule, then the notional check; on an error the buffer is left as it was.

Type rule (all encoders): a value of the wrong Python type (e.g. an int symbol, a str timestamp, a float
request id) raises TypeError; a value of the right type that breaks a rule raises InvalidField (text, enums,
ints out of range), InvalidNumber/OffGrid/FilterViolation (numbers) or InvalidOrder (per-type rules).
Text fields are checked as ASCII before anything is encoded, so a lone surrogate is an InvalidField too.
"""

from typing import Any

from fastorder._core.buffer import WriteBuffer
from fastorder._core.numbers import Number, SymbolRules
from fastorder._core.sign import Signer

BATCH_PLACE_MAX: int    # 10: orders in one batch-orders request
BATCH_CANCEL_MAX: int   # 50: ids in one batchcancel request
CANCEL_OPEN_MAX: int    # 100: batchCancelOpenOrders' largest size
OPEN_ORDERS_MAX: int    # 500: openOrders' largest size

def htx_timestamp(timestamp_s: int) -> str:
    """'2017-05-11T15:19:30' (UTC, seconds, no zone)."""

class HtxRest:
    access_key: str
    host: str
    account_id: str

    def __init__(self, access_key: str, signer: Signer, *, account_id: int | str,
                 host: str = "api.huobi.pro", user_agent: str | None = None) -> None:
        """`user_agent`: a `User-Agent` header written right after `Host` (1-256 printable ASCII characters,
        else InvalidField); None writes none."""
    def pre_signed_text(self, method: str, path: str, *, timestamp_s: int,
                        client_order_id: str | None = None) -> str:
        """The text that is signed for one request (for tests and debugging)."""
    def place_order_request(self, buf: WriteBuffer, symbol: str, type: str, *, amount: Number,
                            client_order_id: str, timestamp_s: int, price: Number | None = None,
                            source: str = "spot-api", rules: SymbolRules | None = None,
                            self_match_prevent: int | None = None) -> None: ...
    def batch_orders_request(self, buf: WriteBuffer, orders: list[dict[str, Any]], *, timestamp_s: int) -> None:
        """`orders`: 1-10 dicts of place_order_request's keywords (symbol, type, amount, client_order_id, price,
        source, rules, self_match_prevent); each checked as place_order_request checks it. A list of another
        length: InvalidOrder; a non-list, non-dict, unknown or missing key: TypeError."""
    def batch_cancel_request(self, buf: WriteBuffer, *, timestamp_s: int, order_ids: list[int | str] | None = None,
                             client_order_ids: list[str] | None = None) -> None:
        """Exactly one of the two lists (else InvalidOrder), 1-50 ids (else InvalidOrder)."""
    def cancel_open_orders_request(self, buf: WriteBuffer, *, timestamp_s: int, symbol: str | None = None,
                                   size: int = 100) -> None: ...
    def cancel_all_after_request(self, buf: WriteBuffer, timeout_s: int, *, timestamp_s: int) -> None:
        """timeout_s: 0 (switch off) or 5..2**31-1 seconds (else InvalidField)."""
    def open_orders_request(self, buf: WriteBuffer, *, timestamp_s: int, symbol: str | None = None,
                            from_id: int | str | None = None, direct: str | None = None, size: int = 500) -> None: ...
    def balance_request(self, buf: WriteBuffer, *, timestamp_s: int) -> None: ...
    def cancel_request(self, buf: WriteBuffer, order_id: int | str, *, timestamp_s: int) -> None: ...
    def cancel_client_request(self, buf: WriteBuffer, client_order_id: str, *, timestamp_s: int) -> None: ...
    def query_request(self, buf: WriteBuffer, order_id: int | str, *, timestamp_s: int) -> None: ...
    def query_client_request(self, buf: WriteBuffer, client_order_id: str, *, timestamp_s: int) -> None: ...

SWAP_CLIENT_ID_MAX: int   # 9223372036854775807: the largest client_order_id of the linear swap API (from 1)
SWAP_LEVER_MAX: int       # 1000: the largest lever_rate the encoder writes (the venue checks its own maximum)

class HtxSwapRest:
    """HTX USDT-margined perpetual swaps (the linear swap API, host api.hbdm.com; docs/venues/htx-swap.md): the
    same Signature V2 as spot, signed with the swap host, business fields in a JSON body.

    Paths per margin mode: cross swap_cross_order / swap_cross_cancel / swap_cross_order_info, isolated swap_order /
    swap_cancel / swap_order_info (all under /linear-swap-api/v1/, POST). `margin_mode` is the encoder's mode (its
    order path's HMAC start is prepared, as spot's place path is); a call's `margin_mode=` picks the other mode's
    path for that request.

    place body: '{"contract_code":"BTC-USDT","client_order_id":n[,"price":"…"],"volume":n,"direction":"buy|sell"
    [,"offset":"open|close|both"],"lever_rate":n,"order_price_type":"…"[,"reduce_only":1]}'.
    cancel / order info body: '{"contract_code":"…","order_id":"…"}' or '{"contract_code":"…","client_order_id":"…"}'.

    Field rules: contract_code ^[A-Za-z0-9_-]{1,32}$; direction buy | sell; volume a whole number of contracts (with
    `rules`: rules.qty, whose step is 1); client_order_id an int in [1, 2**63-1] or its decimal text (no leading
    zero); lever_rate int in [1, 1000]; order_price_type limit | post_only | ioc | fok (need price) or market |
    opponent | optimal_5/10/20 and their _ioc / _fok forms (take none); price via rules.price; offset open | close |
    both or None (not sent: one-way mode); reduce_only a bool, only without offset or with "both".
    """

    access_key: str
    host: str
    margin_mode: str

    def __init__(self, access_key: str, signer: Signer, *, host: str = "api.hbdm.com", user_agent: str | None = None,
                 margin_mode: str = "cross") -> None: ...
    def pre_signed_text(self, method: str, path: str, *, timestamp_s: int,
                        client_order_id: str | None = None) -> str:
        """The text that is signed for one request (for tests and debugging)."""
    def place_order_request(self, buf: WriteBuffer, contract_code: str, direction: str, *, volume: Number,
                            client_order_id: int | str, timestamp_s: int, lever_rate: int,
                            order_price_type: str = "limit", price: Number | None = None, offset: str | None = None,
                            reduce_only: bool = False, margin_mode: str | None = None,
                            rules: SymbolRules | None = None) -> None: ...
    def cancel_request(self, buf: WriteBuffer, contract_code: str, *, timestamp_s: int,
                       order_id: int | str | None = None, client_order_id: int | str | None = None,
                       margin_mode: str | None = None) -> None: ...
    def order_info_request(self, buf: WriteBuffer, contract_code: str, *, timestamp_s: int,
                           order_id: int | str | None = None, client_order_id: int | str | None = None,
                           margin_mode: str | None = None) -> None: ...
    def signed_post(self, buf: WriteBuffer, path: str, body: bytes, *, timestamp_s: int) -> None:
        """A signed POST of `body` (JSON built by the caller) to a /linear-swap-api/ path: the account calls."""
