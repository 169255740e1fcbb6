"""OKX v5 encoders: REST (JSON body + signed headers) and private WebSocket (login, order, cancel-order).

Wire formats and their public sources: docs/venues/okx.md. Since March 2026 WebSocket order operations
identify the instrument by the integer `instIdCode` (the string `instId` is ignored there); REST keeps `instId`.

Field rules: inst_id ^[A-Za-z0-9._-]{1,32}$; td_mode cash | cross | isolated | spot_isolated; side buy | sell;
ord_type market | limit | post_only | fok | ioc | optimal_limit_ioc | mmp | mmp_and_post_only | elp;
px required for every ord_type except market and optimal_limit_ioc, refused for those two; tgt_ccy
base_ccy | quote_ccy; stp_mode cancel_maker | cancel_taker | cancel_both, then pos_side net | long | short
(FUTURES / SWAP orders; None writes none) and reduce_only (bool, else TypeError; True writes
`"reduceOnly":true`, False nothing) (checked in that order after the order's other fields and exp_time_ms); cl_ord_id ^[A-Za-z0-9]{1,32}$; ord_id str of 1-20 digits or int in [0, 2**63);
inst_id_code int in [0, 2**63); request_id ^[A-Za-z0-9]{1,32}$ (an int is written as its digits);
timestamp_ms int in (0, 2**63); numbers per `numbers.decimal_text` (sz via rules.qty, px via rules.price).
Errors raise InvalidOrder subclasses and leave the buffer as it was. Arguments are checked in the order of the
method's signature (the first bad one decides the error;
a number's `rules` check runs right where that number is checked), then the px rule, then the notional check.

Type rule (all encoders): a value of the wrong Python type (e.g. an int symbol, a str timestamp, a float
request id) raises TypeError; a value of the right type that breaks a rule raises InvalidField (text, enums,
ints out of range), InvalidNumber/OffGrid/FilterViolation (numbers) or InvalidOrder (per-type rules).
Text fields are checked as ASCII before anything is encoded, so a lone surrogate is an InvalidField too.
"""

from fastorder._core.buffer import WriteBuffer
from fastorder._core.numbers import Number, SymbolRules
from fastorder._core.sign import HmacSha256

def iso_ms(timestamp_ms: int) -> str:
    """'2020-12-08T09:08:57.715Z' (UTC, milliseconds) — the OK-ACCESS-TIMESTAMP format."""

class OkxRest:
    """Whole HTTP/1.1 requests.

    Order body: '{"instId":…,"tdMode":…,"clOrdId":…,"side":…,"ordType":…[,"px":…],"sz":…[,"tgtCcy":…]
    [,"stpMode":…][,"posSide":…][,"reduceOnly":true]}' (strings but reduceOnly, a JSON boolean; no spaces). Cancel body: '{"instId":…[,"ordId":…][,"clOrdId":…]}'. Amend body:
    '{"instId":…[,"ordId":…][,"clOrdId":…][,"reqId":…][,"newSz":…][,"newPx":…][,"cxlOnFail":true]}'
    (ids, then new_sz, new_px, cxl_on_fail (bool, else TypeError), req_id (^[A-Za-z0-9]{1,32}$) are checked;
    neither new_sz nor new_px: InvalidOrder). Batch bodies are '[' + these objects joined by ',' + ']',
    sent with `request`. Query:
    GET /api/v5/trade/order?instId=…[&ordId=…][&clOrdId=…] with no body.
    Sign: base64(HMAC(secret, iso_ms(ts) + METHOD + path_with_query + body)).
    Request:
      "{METHOD} {path_with_query} HTTP/1.1\\r\\nHost: {host}\\r\\nOK-ACCESS-KEY: {key}\\r\\n"
      "OK-ACCESS-PASSPHRASE: {passphrase}\\r\\n" + ("x-simulated-trading: 1\\r\\n" if simulated)
      + "OK-ACCESS-TIMESTAMP: {iso}\\r\\nOK-ACCESS-SIGN: {sign}\\r\\n"
      + ("expTime: {ms}\\r\\n" if exp_time_ms) + for POST: "Content-Type: application/json\\r\\n"
      "Content-Length: {n}\\r\\n" + "\\r\\n" + body
    """

    api_key: str
    host: str
    simulated: bool

    def __init__(self, api_key: str, signer: HmacSha256, passphrase: str, *, host: str = "www.okx.com",
                 simulated: bool = False, user_agent: str | None = None) -> None:
        """`user_agent`: a `User-Agent` header written right after `Host` (1-256 printable ASCII characters,
        else InvalidField); None writes none."""
    def sign(self, timestamp_ms: int, method: str, request_path: str, body: bytes | str = b"") -> str:
        """The OK-ACCESS-SIGN value for one request (what the request methods put in the header)."""
    def order_body(self, buf: WriteBuffer, inst_id: str, td_mode: str, side: str, ord_type: str, *,
                   sz: Number, cl_ord_id: str, px: Number | None = None, tgt_ccy: str | None = None,
                   rules: SymbolRules | None = None, stp_mode: str | None = None, pos_side: str | None = None,
                   reduce_only: bool = False) -> None: ...
    def place_order_request(self, buf: WriteBuffer, inst_id: str, td_mode: str, side: str, ord_type: str, *,
                            sz: Number, cl_ord_id: str, timestamp_ms: int, px: Number | None = None,
                            tgt_ccy: str | None = None, rules: SymbolRules | None = None,
                            exp_time_ms: int | None = None, stp_mode: str | None = None,
                            pos_side: str | None = None, reduce_only: bool = False) -> None:
        """POST /api/v5/trade/order."""
    def cancel_body(self, buf: WriteBuffer, inst_id: str, *, ord_id: int | str | None = None,
                    cl_ord_id: str | None = None) -> None:
        """One cancel object (an item of POST /api/v5/trade/cancel-batch-orders)."""
    def amend_body(self, buf: WriteBuffer, inst_id: str, *, ord_id: int | str | None = None,
                   cl_ord_id: str | None = None, new_sz: Number | None = None, new_px: Number | None = None,
                   cxl_on_fail: bool = False, req_id: str | None = None, rules: SymbolRules | None = None) -> None:
        """One amend object (the body of POST /api/v5/trade/amend-order, an item of amend-batch-orders)."""
    def request(self, buf: WriteBuffer, method: str, path: str, body: bytes | None = None, *, timestamp_ms: int,
                exp_time_ms: int | None = None) -> None:
        """Any signed request, laid out as above. `method` GET | POST (else InvalidField); `path` with its query,
        '/' then printable ASCII without spaces, at most 4096 characters (else InvalidField; not a str:
        TypeError); `body` the bytes of a POST (None for a GET; the other way round: InvalidField; not bytes:
        TypeError). Checked in that order, then timestamp_ms, then exp_time_ms."""
    def cancel_request(self, buf: WriteBuffer, inst_id: str, *, timestamp_ms: int,
                       ord_id: int | str | None = None, cl_ord_id: str | None = None) -> None:
        """POST /api/v5/trade/cancel-order; at least one of ord_id / cl_ord_id."""
    def query_request(self, buf: WriteBuffer, inst_id: str, *, timestamp_ms: int,
                      ord_id: int | str | None = None, cl_ord_id: str | None = None) -> None:
        """GET /api/v5/trade/order?…; at least one of ord_id / cl_ord_id."""

class OkxWs:
    """Private WebSocket frames (JSON text, no spaces).

    login:  '{"op":"login","args":[{"apiKey":…,"passphrase":…,"timestamp":"SECONDS","sign":…}]}',
            sign = base64(HMAC(secret, SECONDS + "GET" + "/users/self/verify")).
    order:  '{"id":…,"op":"order"[,"expTime":"MS"],"args":[{"instIdCode":N,"tdMode":…,"clOrdId":…,
            "side":…,"ordType":…[,"px":…],"sz":…[,"tgtCcy":…]}]}'
    cancel: '{"id":…,"op":"cancel-order","args":[{"instIdCode":N[,"ordId":…][,"clOrdId":…]}]}'
    order_args / cancel_args / amend_args write one args object ('{"instIdCode":N,' + the REST object's fields);
    op: '{"id":…,"op":…[,"expTime":"MS"],"args":[ARGS]}' with ARGS those objects joined by ','.
    """

    api_key: str

    def __init__(self, api_key: str, signer: HmacSha256, passphrase: str) -> None: ...
    def login(self, buf: WriteBuffer, *, timestamp_s: int) -> None: ...
    def order(self, buf: WriteBuffer, request_id: int | str, inst_id_code: int, td_mode: str, side: str,
              ord_type: str, *, sz: Number, cl_ord_id: str, px: Number | None = None,
              tgt_ccy: str | None = None, rules: SymbolRules | None = None,
              exp_time_ms: int | None = None, stp_mode: str | None = None, pos_side: str | None = None,
              reduce_only: bool = False) -> None: ...
    def cancel_order(self, buf: WriteBuffer, request_id: int | str, inst_id_code: int, *,
                     ord_id: int | str | None = None, cl_ord_id: str | None = None) -> None: ...
    def order_args(self, buf: WriteBuffer, inst_id_code: int, td_mode: str, side: str, ord_type: str, *,
                   sz: Number, cl_ord_id: str, px: Number | None = None, tgt_ccy: str | None = None,
                   rules: SymbolRules | None = None, stp_mode: str | None = None, pos_side: str | None = None,
                   reduce_only: bool = False) -> None: ...
    def cancel_args(self, buf: WriteBuffer, inst_id_code: int, *, ord_id: int | str | None = None,
                    cl_ord_id: str | None = None) -> None: ...
    def amend_args(self, buf: WriteBuffer, inst_id_code: int, *, ord_id: int | str | None = None,
                   cl_ord_id: str | None = None, new_sz: Number | None = None, new_px: Number | None = None,
                   cxl_on_fail: bool = False, req_id: str | None = None, rules: SymbolRules | None = None) -> None: ...
    def op(self, buf: WriteBuffer, request_id: int | str, op: str, args: bytes, *,
           exp_time_ms: int | None = None) -> None:
        """`op` one of order, cancel-order, amend-order, batch-orders, batch-cancel-orders, batch-amend-orders
        (else InvalidField); `args` non-empty bytes (else TypeError / InvalidField), written as given."""
