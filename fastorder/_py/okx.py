"""Pure-Python twin of `fastorder._core.okx`: OKX v5 REST (JSON body + signed headers) and private WebSocket.

See the stub `fastorder/_core/okx.pyi` and docs/venues/okx.md. Everything is checked and built as one `bytes`
before it is written, so an error leaves the buffer as it was.
"""

from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta, timezone

from fastorder._py._fields import (
    INT63,
    check_credential,
    check_enum,
    check_host,
    check_id_digits,
    check_int,
    check_re,
    check_rules,
    jstr,
    number,
    pct,
    user_agent_line,
)
from fastorder._py.buffer import WriteBuffer
from fastorder._py.numbers import Number, SymbolRules
from fastorder._py.sign import HmacSha256
from fastorder.errors import InvalidField, InvalidOrder

TD_MODES = frozenset({"cash", "cross", "isolated", "spot_isolated"})
SIDES = frozenset({"buy", "sell"})
ORD_TYPES = frozenset({"market", "limit", "post_only", "fok", "ioc", "optimal_limit_ioc", "mmp",
                       "mmp_and_post_only", "elp"})
NO_PX_TYPES = frozenset({"market", "optimal_limit_ioc"})
TGT_CCYS = frozenset({"base_ccy", "quote_ccy"})
STP_MODES = frozenset({"cancel_maker", "cancel_taker", "cancel_both"})
POS_SIDES = frozenset({"net", "long", "short"})
METHODS = frozenset({"GET", "POST"})
WS_OPS = frozenset({"order", "cancel-order", "amend-order", "batch-orders", "batch-cancel-orders",
                    "batch-amend-orders"})

_INST_ID = re.compile(r"[A-Za-z0-9._-]{1,32}")
_CL_ORD_ID = re.compile(r"[A-Za-z0-9]{1,32}")
_REQUEST_ID = re.compile(r"[A-Za-z0-9]{1,32}")

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_YEAR_10000_MS = 253402300800000  # ISO-8601 'YYYY' ends at 9999-12-31T23:59:59.999Z


def iso_ms(timestamp_ms: int) -> str:
    """'2020-12-08T09:08:57.715Z' (UTC, milliseconds) — the OK-ACCESS-TIMESTAMP format."""
    check_int(timestamp_ms, 1, INT63, "timestamp_ms")
    if timestamp_ms >= _YEAR_10000_MS:
        raise InvalidField("timestamp_ms is past year 9999", field="timestamp_ms")
    t = _EPOCH + timedelta(milliseconds=timestamp_ms)
    return f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond // 1000:03d}Z"


def _check_buf(buf: object) -> WriteBuffer:
    if not isinstance(buf, WriteBuffer):
        raise TypeError(f"buf must be a WriteBuffer, not {type(buf).__name__}")
    return buf


def _check_signer(signer: object) -> HmacSha256:
    if not isinstance(signer, HmacSha256):
        raise TypeError(f"signer must be HmacSha256, not {type(signer).__name__}")
    return signer


def _order_args(first: str, td_mode, side, ord_type, sz, cl_ord_id, px, tgt_ccy, rules) -> str:
    """The JSON object of one order after the instrument member `first` (already JSON)."""
    td_mode = check_enum(td_mode, TD_MODES, "td_mode")
    side = check_enum(side, SIDES, "side")
    ord_type = check_enum(ord_type, ORD_TYPES, "ord_type")
    cl_ord_id = check_re(cl_ord_id, _CL_ORD_ID, "cl_ord_id")
    if tgt_ccy is not None:
        check_enum(tgt_ccy, TGT_CCYS, "tgt_ccy")
    rules = check_rules(rules)
    if ord_type in NO_PX_TYPES:
        if px is not None:
            raise InvalidOrder(f"{ord_type} order takes no px", field="px")
    elif px is None:
        raise InvalidOrder(f"{ord_type} order needs px", field="px")
    sz_text = number(sz, "sz", rules, "qty")
    px_text = None if px is None else number(px, "px", rules, "price")
    if rules is not None and px is not None:
        rules.check_notional(px, sz)  # as Binance's stub says; the OKX stub is silent (spec question)
    out = f'{{{first},"tdMode":{jstr(td_mode)},"clOrdId":{jstr(cl_ord_id)},"side":{jstr(side)},' \
          f'"ordType":{jstr(ord_type)}'
    if px_text is not None:
        out += f',"px":{jstr(px_text)}'
    out += f',"sz":{jstr(sz_text)}'
    if tgt_ccy is not None:
        out += f',"tgtCcy":{jstr(tgt_ccy)}'
    return out + "}"


def _with_stp(obj: str, stp_mode: object, pos_side: object = None, reduce_only: object = False) -> str:
    """An order object with `stpMode`, then the swap fields `posSide` and `reduceOnly` (true only) appended,
    checked in that order after everything else of the order."""
    tail = ""
    if stp_mode is not None:
        tail += f',"stpMode":{jstr(check_enum(stp_mode, STP_MODES, "stp_mode"))}'
    if pos_side is not None:
        tail += f',"posSide":{jstr(check_enum(pos_side, POS_SIDES, "pos_side"))}'
    if type(reduce_only) is not bool:
        raise TypeError(f"reduce_only must be bool, not {type(reduce_only).__name__}")
    if reduce_only:
        tail += ',"reduceOnly":true'
    return obj[:-1] + tail + "}" if tail else obj


def _id_fields(ord_id: str | None, cl_ord_id: str | None) -> str:
    out = ""
    if ord_id is not None:
        out += f',"ordId":{jstr(ord_id)}'
    if cl_ord_id is not None:
        out += f',"clOrdId":{jstr(cl_ord_id)}'
    return out


def _amend_fields(ord_id, cl_ord_id, new_sz, new_px, cxl_on_fail, req_id, rules) -> str:
    """'[,"ordId":…][,"clOrdId":…][,"reqId":…][,"newSz":…][,"newPx":…][,"cxlOnFail":true]}'."""
    rules = check_rules(rules)
    ord_id, cl_ord_id = _ids(ord_id, cl_ord_id)
    sz = None if new_sz is None else number(new_sz, "new_sz", rules, "qty")
    px = None if new_px is None else number(new_px, "new_px", rules, "price")
    if type(cxl_on_fail) is not bool:
        raise TypeError(f"cxl_on_fail must be bool, not {type(cxl_on_fail).__name__}")
    req = None if req_id is None else check_re(req_id, _REQUEST_ID, "req_id")
    if sz is None and px is None:
        raise InvalidOrder("an amend needs new_sz or new_px", field="new_sz")
    out = _id_fields(ord_id, cl_ord_id)
    if req is not None:
        out += f',"reqId":{jstr(req)}'
    if sz is not None:
        out += f',"newSz":{jstr(sz)}'
    if px is not None:
        out += f',"newPx":{jstr(px)}'
    if cxl_on_fail:
        out += ',"cxlOnFail":true'
    return out + "}"


def _ids(ord_id, cl_ord_id) -> tuple[str | None, str | None]:
    ord_id = None if ord_id is None else check_id_digits(ord_id, "ord_id")
    cl_ord_id = None if cl_ord_id is None else check_re(cl_ord_id, _CL_ORD_ID, "cl_ord_id")
    if ord_id is None and cl_ord_id is None:
        raise InvalidOrder("needs ord_id or cl_ord_id", field="ord_id")
    return ord_id, cl_ord_id


def _exp_time(exp_time_ms: object) -> int | None:
    return None if exp_time_ms is None else check_int(exp_time_ms, 1, INT63, "exp_time_ms")


class OkxRest:
    """Whole HTTP/1.1 requests (see the stub for the exact layout)."""

    __slots__ = ("_api_key", "_signer", "_passphrase", "_host", "_simulated", "_ua")

    def __init__(self, api_key: str, signer: HmacSha256, passphrase: str, *, host: str = "www.okx.com",
                 simulated: bool = False, user_agent: str | None = None) -> None:
        self._api_key = check_credential(api_key, "api_key")
        self._signer = _check_signer(signer)
        self._passphrase = check_credential(passphrase, "passphrase", space=True)
        self._host = check_host(host)
        self._simulated = bool(simulated)
        self._ua = user_agent_line(user_agent)

    api_key = property(lambda self: self._api_key)
    host = property(lambda self: self._host)
    simulated = property(lambda self: self._simulated)

    def __repr__(self) -> str:
        return f"<OkxRest host={self._host!r} api_key={self._api_key!r} simulated={self._simulated}>"

    def __reduce__(self):
        raise TypeError("OkxRest objects cannot be pickled")

    def sign(self, timestamp_ms: int, method: str, request_path: str, body: bytes | str = b"") -> str:
        """The OK-ACCESS-SIGN value for one request: base64(HMAC(iso_ms(ts) + METHOD + path + body))."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif not isinstance(body, bytes):
            raise TypeError(f"body must be bytes or str, not {type(body).__name__}")
        if not isinstance(method, str) or not isinstance(request_path, str):
            raise TypeError("method and request_path must be str")
        prehash = (iso_ms(timestamp_ms) + method + request_path).encode("utf-8") + body
        return self._signer.b64digest(prehash)

    def _request(self, method: str, path: str, body: str, timestamp_ms: int, exp_time_ms: int | None) -> bytes:
        iso = iso_ms(timestamp_ms)
        signature = base64.b64encode(self._signer.digest(f"{iso}{method}{path}{body}".encode())).decode()
        return self._head(method, path, iso, signature, exp_time_ms, body.encode() if method == "POST" else None)

    def _head(self, method: str, path: str, iso: str, signature: str, exp_time_ms: int | None,
              body: bytes | None) -> bytes:
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self._host}\r\n{self._ua}OK-ACCESS-KEY: {self._api_key}\r\n"
                f"OK-ACCESS-PASSPHRASE: {self._passphrase}\r\n")
        if self._simulated:
            head += "x-simulated-trading: 1\r\n"
        head += f"OK-ACCESS-TIMESTAMP: {iso}\r\nOK-ACCESS-SIGN: {signature}\r\n"
        if exp_time_ms is not None:
            head += f"expTime: {exp_time_ms}\r\n"
        if body is None:
            return (head + "\r\n").encode()
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        return (head + "\r\n").encode() + body

    def _order_body(self, inst_id, td_mode, side, ord_type, sz, cl_ord_id, px, tgt_ccy, rules) -> str:
        inst_id = check_re(inst_id, _INST_ID, "inst_id")
        return _order_args(f'"instId":{jstr(inst_id)}', td_mode, side, ord_type, sz, cl_ord_id, px, tgt_ccy,
                           rules)

    def order_body(self, buf: WriteBuffer, inst_id: str, td_mode: str, side: str, ord_type: str, *,
                   sz: Number, cl_ord_id: str, px: Number | None = None, tgt_ccy: str | None = None,
                   rules: SymbolRules | None = None, stp_mode: str | None = None, pos_side: str | None = None,
                   reduce_only: bool = False) -> None:
        _check_buf(buf)
        body = self._order_body(inst_id, td_mode, side, ord_type, sz, cl_ord_id, px, tgt_ccy, rules)
        buf.write(_with_stp(body, stp_mode, pos_side, reduce_only).encode())

    def place_order_request(self, buf: WriteBuffer, inst_id: str, td_mode: str, side: str, ord_type: str, *,
                            sz: Number, cl_ord_id: str, timestamp_ms: int, px: Number | None = None,
                            tgt_ccy: str | None = None, rules: SymbolRules | None = None,
                            exp_time_ms: int | None = None, stp_mode: str | None = None,
                            pos_side: str | None = None, reduce_only: bool = False) -> None:
        """POST /api/v5/trade/order."""
        _check_buf(buf)
        body = self._order_body(inst_id, td_mode, side, ord_type, sz, cl_ord_id, px, tgt_ccy, rules)
        exp = _exp_time(exp_time_ms)
        body = _with_stp(body, stp_mode, pos_side, reduce_only)
        buf.write(self._request("POST", "/api/v5/trade/order", body, timestamp_ms, exp))

    def cancel_body(self, buf: WriteBuffer, inst_id: str, *, ord_id: int | str | None = None,
                    cl_ord_id: str | None = None) -> None:
        _check_buf(buf)
        inst_id = check_re(inst_id, _INST_ID, "inst_id")
        ord_id, cl_ord_id = _ids(ord_id, cl_ord_id)
        buf.write(f'{{"instId":{jstr(inst_id)}{_id_fields(ord_id, cl_ord_id)}}}'.encode())

    def amend_body(self, buf: WriteBuffer, inst_id: str, *, ord_id: int | str | None = None,
                   cl_ord_id: str | None = None, new_sz: Number | None = None, new_px: Number | None = None,
                   cxl_on_fail: bool = False, req_id: str | None = None, rules: SymbolRules | None = None) -> None:
        _check_buf(buf)
        inst_id = check_re(inst_id, _INST_ID, "inst_id")
        fields = _amend_fields(ord_id, cl_ord_id, new_sz, new_px, cxl_on_fail, req_id, rules)
        buf.write(f'{{"instId":{jstr(inst_id)}{fields}'.encode())

    def request(self, buf: WriteBuffer, method: str, path: str, body: bytes | None = None, *, timestamp_ms: int,
                exp_time_ms: int | None = None) -> None:
        """Any signed request: `path` with its query, `body` the JSON of a POST (None for a GET)."""
        _check_buf(buf)
        method = check_enum(method, METHODS, "method")
        if type(path) is not str:
            raise TypeError(f"path must be a str, not {type(path).__name__}")
        if not (0 < len(path) <= 4096 and path[0] == "/" and path.isascii() and path.isprintable()
                and " " not in path):
            raise InvalidField("path must start with '/' and be 1-4096 printable ASCII characters without spaces",
                               field="path")
        if body is not None and type(body) is not bytes:
            raise TypeError(f"body must be bytes or None, not {type(body).__name__}")
        if (body is None) == (method == "POST"):
            raise InvalidField("a POST request needs a body and a GET request takes none", field="body")
        check_int(timestamp_ms, 1, _YEAR_10000_MS, "timestamp_ms")
        exp = _exp_time(exp_time_ms)
        iso = iso_ms(timestamp_ms)
        raw = body or b""
        signature = base64.b64encode(self._signer.digest(f"{iso}{method}{path}".encode() + raw)).decode()
        buf.write(self._head(method, path, iso, signature, exp, raw if body is not None else None))

    def cancel_request(self, buf: WriteBuffer, inst_id: str, *, timestamp_ms: int,
                       ord_id: int | str | None = None, cl_ord_id: str | None = None) -> None:
        """POST /api/v5/trade/cancel-order; at least one of ord_id / cl_ord_id."""
        _check_buf(buf)
        inst_id = check_re(inst_id, _INST_ID, "inst_id")
        ord_id, cl_ord_id = _ids(ord_id, cl_ord_id)
        body = f'{{"instId":{jstr(inst_id)}'
        if ord_id is not None:
            body += f',"ordId":{jstr(ord_id)}'
        if cl_ord_id is not None:
            body += f',"clOrdId":{jstr(cl_ord_id)}'
        body += "}"
        buf.write(self._request("POST", "/api/v5/trade/cancel-order", body, timestamp_ms, None))

    def query_request(self, buf: WriteBuffer, inst_id: str, *, timestamp_ms: int,
                      ord_id: int | str | None = None, cl_ord_id: str | None = None) -> None:
        """GET /api/v5/trade/order?…; at least one of ord_id / cl_ord_id."""
        _check_buf(buf)
        inst_id = check_re(inst_id, _INST_ID, "inst_id")
        ord_id, cl_ord_id = _ids(ord_id, cl_ord_id)
        path = f"/api/v5/trade/order?instId={pct(inst_id)}"
        if ord_id is not None:
            path += f"&ordId={ord_id}"
        if cl_ord_id is not None:
            path += f"&clOrdId={cl_ord_id}"
        buf.write(self._request("GET", path, "", timestamp_ms, None))


def _request_id(value: object) -> str:
    """^[A-Za-z0-9]{1,32}$; an int in [0, 2**63) is written as its digits (as the JSON string OKX's `id` is)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"request_id must be int or str, not {type(value).__name__}")
    if isinstance(value, int):
        value = str(check_int(value, 0, INT63, "request_id"))
    if not _REQUEST_ID.fullmatch(value):
        raise InvalidField("request_id must be 1-32 ASCII letters or digits", field="request_id")
    return jstr(value)


class OkxWs:
    """Private WebSocket frames (JSON text, no spaces)."""

    __slots__ = ("_api_key", "_signer", "_passphrase")

    def __init__(self, api_key: str, signer: HmacSha256, passphrase: str) -> None:
        self._api_key = check_credential(api_key, "api_key")
        self._signer = _check_signer(signer)
        self._passphrase = check_credential(passphrase, "passphrase", space=True)

    api_key = property(lambda self: self._api_key)

    def __repr__(self) -> str:
        return f"<OkxWs api_key={self._api_key!r}>"

    def __reduce__(self):
        raise TypeError("OkxWs objects cannot be pickled")

    def login(self, buf: WriteBuffer, *, timestamp_s: int) -> None:
        _check_buf(buf)
        seconds = str(check_int(timestamp_s, 1, INT63, "timestamp_s"))
        sign = self._signer.b64digest(f"{seconds}GET/users/self/verify".encode())
        frame = (f'{{"op":"login","args":[{{"apiKey":{jstr(self._api_key)},'
                 f'"passphrase":{jstr(self._passphrase)},"timestamp":"{seconds}","sign":{jstr(sign)}}}]}}')
        buf.write(frame.encode())

    def order(self, buf: WriteBuffer, request_id: int | str, inst_id_code: int, td_mode: str, side: str,
              ord_type: str, *, sz: Number, cl_ord_id: str, px: Number | None = None,
              tgt_ccy: str | None = None, rules: SymbolRules | None = None,
              exp_time_ms: int | None = None, stp_mode: str | None = None, pos_side: str | None = None,
              reduce_only: bool = False) -> None:
        _check_buf(buf)
        rid = _request_id(request_id)
        code = check_int(inst_id_code, 0, INT63, "inst_id_code")
        args = _order_args(f'"instIdCode":{code}', td_mode, side, ord_type, sz, cl_ord_id, px, tgt_ccy, rules)
        exp = _exp_time(exp_time_ms)
        args = _with_stp(args, stp_mode, pos_side, reduce_only)
        head = f'{{"id":{rid},"op":"order"'
        if exp is not None:
            head += f',"expTime":"{exp}"'
        buf.write(f'{head},"args":[{args}]}}'.encode())

    def cancel_order(self, buf: WriteBuffer, request_id: int | str, inst_id_code: int, *,
                     ord_id: int | str | None = None, cl_ord_id: str | None = None) -> None:
        _check_buf(buf)
        rid = _request_id(request_id)
        code = check_int(inst_id_code, 0, INT63, "inst_id_code")
        ord_id, cl_ord_id = _ids(ord_id, cl_ord_id)
        args = f'{{"instIdCode":{code}{_id_fields(ord_id, cl_ord_id)}'
        buf.write(f'{{"id":{rid},"op":"cancel-order","args":[{args}}}]}}'.encode())

    def order_args(self, buf: WriteBuffer, inst_id_code: int, td_mode: str, side: str, ord_type: str, *,
                   sz: Number, cl_ord_id: str, px: Number | None = None, tgt_ccy: str | None = None,
                   rules: SymbolRules | None = None, stp_mode: str | None = None, pos_side: str | None = None,
                   reduce_only: bool = False) -> None:
        _check_buf(buf)
        code = check_int(inst_id_code, 0, INT63, "inst_id_code")
        args = _order_args(f'"instIdCode":{code}', td_mode, side, ord_type, sz, cl_ord_id, px, tgt_ccy, rules)
        buf.write(_with_stp(args, stp_mode, pos_side, reduce_only).encode())

    def cancel_args(self, buf: WriteBuffer, inst_id_code: int, *, ord_id: int | str | None = None,
                    cl_ord_id: str | None = None) -> None:
        _check_buf(buf)
        code = check_int(inst_id_code, 0, INT63, "inst_id_code")
        ord_id, cl_ord_id = _ids(ord_id, cl_ord_id)
        buf.write(f'{{"instIdCode":{code}{_id_fields(ord_id, cl_ord_id)}}}'.encode())

    def amend_args(self, buf: WriteBuffer, inst_id_code: int, *, ord_id: int | str | None = None,
                   cl_ord_id: str | None = None, new_sz: Number | None = None, new_px: Number | None = None,
                   cxl_on_fail: bool = False, req_id: str | None = None, rules: SymbolRules | None = None) -> None:
        _check_buf(buf)
        code = check_int(inst_id_code, 0, INT63, "inst_id_code")
        fields = _amend_fields(ord_id, cl_ord_id, new_sz, new_px, cxl_on_fail, req_id, rules)
        buf.write(f'{{"instIdCode":{code}{fields}'.encode())

    def op(self, buf: WriteBuffer, request_id: int | str, op: str, args: bytes, *,
           exp_time_ms: int | None = None) -> None:
        """'{"id":…,"op":…[,"expTime":"MS"],"args":[ARGS]}': `args` the comma-joined objects of order_args,
        cancel_args or amend_args."""
        _check_buf(buf)
        rid = _request_id(request_id)
        op = check_enum(op, WS_OPS, "op")
        if type(args) is not bytes:
            raise TypeError(f"args must be bytes, not {type(args).__name__}")
        if not args:
            raise InvalidField("args must hold at least one object", field="args")
        exp = _exp_time(exp_time_ms)
        head = f'{{"id":{rid},"op":{jstr(op)}'
        if exp is not None:
            head += f',"expTime":"{exp}"'
        buf.write(f'{head},"args":['.encode() + args + b"]}")
