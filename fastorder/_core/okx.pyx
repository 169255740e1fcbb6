"""OKX v5 encoders: REST requests with signed headers, private WebSocket frames (contract: okx.pyi)."""

from libc.stdint cimport int64_t, uint64_t

from fastorder._core.buffer cimport WriteBuffer
from fastorder._core.csrc cimport fo_dec, fo_u64_write, fo_utc_seconds
from fastorder._core.numbers cimport SymbolRules, parse_number, put_dec
from fastorder._core.sign cimport SIG_B64, HmacSha256, SHA256_CTX, SHA256_Update, put_digest
from fastorder._core.wire cimport (
    CC_ALNUM,
    CC_SYMBOL,
    Text,
    credential,
    enum_text,
    host_text,
    id_text,
    user_agent_line,
    int_in,
    put_quoted,
    put_text,
    token,
)

import json

from fastorder.errors import InvalidCredential, InvalidField, InvalidOrder

_TD_MODES = frozenset(("cash", "cross", "isolated", "spot_isolated"))
_SIDES = frozenset(("buy", "sell"))
_ORD_TYPES = frozenset(("market", "limit", "post_only", "fok", "ioc", "optimal_limit_ioc", "mmp",
                        "mmp_and_post_only", "elp"))
_NO_PX = frozenset(("market", "optimal_limit_ioc"))
_TGT = frozenset(("base_ccy", "quote_ccy"))
_STP = frozenset(("cancel_maker", "cancel_taker", "cancel_both"))
_POS_SIDES = frozenset(("net", "long", "short"))   # FUTURES / SWAP orders only
_METHODS = frozenset(("GET", "POST"))
_WS_OPS = frozenset(("order", "cancel-order", "amend-order", "batch-orders", "batch-cancel-orders",
                     "batch-amend-orders"))

cdef int64_t _MAX_I64 = 0x7FFFFFFFFFFFFFFF
# 9999-12-31T23:59:59.999Z: the last instant the 4-digit year format can carry
cdef int64_t _MAX_MS = 253402300799999


cdef Py_ssize_t iso_ms_into(int64_t ms, char *out) noexcept:
    """'YYYY-MM-DDThh:mm:ss.mmmZ' (24 bytes)."""
    cdef int64_t frac = ms % 1000
    fo_utc_seconds(ms // 1000, out)
    out[19] = b'.'
    out[20] = <char>(48 + frac // 100)          # 48 == '0'
    out[21] = <char>(48 + (frac // 10) % 10)
    out[22] = <char>(48 + frac % 10)
    out[23] = b'Z'
    return 24


def iso_ms(timestamp_ms):
    cdef char out[24]
    cdef int64_t ms = int_in(timestamp_ms, 0, _MAX_MS, "timestamp_ms")
    iso_ms_into(ms, out)
    return out[:24].decode("ascii")


cdef struct Order:
    Text inst, td, side, ordt, clid, tgt, stp, pos
    fo_dec sz, px
    bint has_px, has_tgt, has_stp, has_pos, reduce
    int sz_frac, px_frac


cdef int parse_order(Order *o, td_mode, side, ord_type, sz, cl_ord_id, timestamp_ms, int64_t *ts, px,
                     tgt_ccy, SymbolRules rules) except -1:
    # inst_id is checked by the caller (REST: instId text; WS: instIdCode int), in signature position
    enum_text(td_mode, _TD_MODES, "td_mode", &o.td)
    enum_text(side, _SIDES, "side", &o.side)
    enum_text(ord_type, _ORD_TYPES, "ord_type", &o.ordt)
    parse_number(sz, &o.sz, "sz")
    if rules is not None:
        rules.check_qty(&o.sz, "sz")
    token(cl_ord_id, CC_ALNUM, 32, "cl_ord_id", &o.clid)
    if ts is not NULL:  # REST: the timestamp comes here in the signature
        ts[0] = int_in(timestamp_ms, 1, _MAX_MS, "timestamp_ms")
    o.sz_frac = rules.qty_decimals if rules is not None else 0
    o.px_frac = rules.price_decimals if rules is not None else 0
    o.has_px = px is not None
    if o.has_px:
        parse_number(px, &o.px, "px")
        if rules is not None:
            rules.check_price(&o.px, "px")
    o.has_tgt = tgt_ccy is not None
    if o.has_tgt:
        enum_text(tgt_ccy, _TGT, "tgt_ccy", &o.tgt)
    if ord_type in _NO_PX:
        if o.has_px:
            raise InvalidOrder(f"{ord_type} orders take no px", field="px")
    elif not o.has_px:
        raise InvalidOrder(f"{ord_type} orders need px", field="px")
    if rules is not None and o.has_px:
        rules.check_notional_dec(&o.px, &o.sz)
    o.has_stp = o.has_pos = o.reduce = False
    return 0


cdef int parse_stp(Order *o, stp_mode, pos_side, reduce_only) except -1:
    """stpMode, then the perpetual-swap fields posSide and reduceOnly: checked after everything else of the
    order (the last keywords of each method, in that order)."""
    o.has_stp = stp_mode is not None
    if o.has_stp:
        enum_text(stp_mode, _STP, "stp_mode", &o.stp)
    o.has_pos = pos_side is not None
    if o.has_pos:
        enum_text(pos_side, _POS_SIDES, "pos_side", &o.pos)
    if type(reduce_only) is not bool:
        raise TypeError(f"reduce_only must be bool, not {type(reduce_only).__name__}")
    o.reduce = reduce_only
    return 0


cdef int put_order_fields(WriteBuffer b, Order *o) except -1:
    """',"tdMode":…,"clOrdId":…,"side":…,"ordType":…[,"px":…],"sz":…[,"tgtCcy":…][,"stpMode":…]
    [,"posSide":…][,"reduceOnly":true]}' (after the instrument)."""
    b.put(b',"tdMode":', 10)
    put_quoted(b, &o.td)
    b.put(b',"clOrdId":', 11)
    put_quoted(b, &o.clid)
    b.put(b',"side":', 8)
    put_quoted(b, &o.side)
    b.put(b',"ordType":', 11)
    put_quoted(b, &o.ordt)
    if o.has_px:
        b.put(b',"px":"', 7)
        put_dec(b, &o.px, o.px_frac)
        b.put_byte(b'"')
    b.put(b',"sz":"', 7)
    put_dec(b, &o.sz, o.sz_frac)
    b.put_byte(b'"')
    if o.has_tgt:
        b.put(b',"tgtCcy":', 10)
        put_quoted(b, &o.tgt)
    if o.has_stp:
        b.put(b',"stpMode":', 11)
        put_quoted(b, &o.stp)
    if o.has_pos:
        b.put(b',"posSide":', 11)
        put_quoted(b, &o.pos)
    if o.reduce:   # a JSON boolean; false is OKX's default, so it is never written
        b.put(b',"reduceOnly":true', 18)
    return b.put_byte(b'}')


cdef struct Amend:
    Text oid, clid, req
    fo_dec sz, px
    bint has_oid, has_clid, has_sz, has_px, has_req, cxl
    int sz_frac, px_frac
    char tmp[20]


cdef int parse_amend(Amend *a, ord_id, cl_ord_id, new_sz, new_px, cxl_on_fail, req_id,
                     SymbolRules rules) except -1:
    parse_ids(ord_id, cl_ord_id, a.tmp, &a.oid, &a.clid, &a.has_oid, &a.has_clid)
    a.has_sz = new_sz is not None
    if a.has_sz:
        parse_number(new_sz, &a.sz, "new_sz")
        if rules is not None:
            rules.check_qty(&a.sz, "new_sz")
    a.has_px = new_px is not None
    if a.has_px:
        parse_number(new_px, &a.px, "new_px")
        if rules is not None:
            rules.check_price(&a.px, "new_px")
    if type(cxl_on_fail) is not bool:
        raise TypeError(f"cxl_on_fail must be bool, not {type(cxl_on_fail).__name__}")
    a.cxl = cxl_on_fail
    a.has_req = req_id is not None
    if a.has_req:
        token(req_id, CC_ALNUM, 32, "req_id", &a.req)
    if not (a.has_sz or a.has_px):
        raise InvalidOrder("an amend needs new_sz or new_px", field="new_sz")
    a.sz_frac = rules.qty_decimals if rules is not None else 0
    a.px_frac = rules.price_decimals if rules is not None else 0
    return 0


cdef int put_ids(WriteBuffer b, bint has_oid, const Text *oid, bint has_clid, const Text *clid) except -1:
    if has_oid:
        b.put(b',"ordId":', 9)
        put_quoted(b, oid)
    if has_clid:
        b.put(b',"clOrdId":', 11)
        put_quoted(b, clid)
    return 0


cdef int put_amend_fields(WriteBuffer b, Amend *a) except -1:
    """'[,"ordId":…][,"clOrdId":…][,"reqId":…][,"newSz":…][,"newPx":…][,"cxlOnFail":true]}'."""
    put_ids(b, a.has_oid, &a.oid, a.has_clid, &a.clid)
    if a.has_req:
        b.put(b',"reqId":', 9)
        put_quoted(b, &a.req)
    if a.has_sz:
        b.put(b',"newSz":"', 10)
        put_dec(b, &a.sz, a.sz_frac)
        b.put_byte(b'"')
    if a.has_px:
        b.put(b',"newPx":"', 10)
        put_dec(b, &a.px, a.px_frac)
        b.put_byte(b'"')
    if a.cxl:
        b.put(b',"cxlOnFail":true', 17)
    return b.put_byte(b'}')


cdef int parse_ids(ord_id, cl_ord_id, char *tmp, Text *oid, Text *clid, bint *has_oid, bint *has_clid) except -1:
    has_oid[0] = ord_id is not None
    if has_oid[0]:
        id_text(ord_id, "ord_id", tmp, oid)
    has_clid[0] = cl_ord_id is not None
    if has_clid[0]:
        token(cl_ord_id, CC_ALNUM, 32, "cl_ord_id", clid)
    if not (has_oid[0] or has_clid[0]):
        raise InvalidOrder("give ord_id or cl_ord_id", field="ord_id")
    return 0


cdef class _OkxKeyed:
    cdef readonly str api_key
    cdef HmacSha256 signer
    cdef Text _key
    cdef object _passphrase   # kept only inside the prepared header/login bytes

    def __init__(self, str api_key, signer, passphrase):
        credential(api_key, "api_key", &self._key)
        if type(signer) is not HmacSha256:
            raise TypeError("OKX signs with HMAC-SHA256: signer must be HmacSha256")
        if type(passphrase) is not str:
            raise TypeError(f"passphrase must be a str, not {type(passphrase).__name__}")
        if not passphrase or not all(" " <= c <= "~" for c in passphrase):
            raise InvalidCredential("passphrase must be non-empty printable ASCII")
        self.api_key = api_key
        self.signer = signer

    def __reduce__(self):
        raise TypeError(f"{type(self).__name__} is not picklable (it holds secrets)")

    def __repr__(self):
        return f"{type(self).__name__}(api_key={self.api_key[:4]!r}…)"


cdef class OkxRest(_OkxKeyed):
    cdef readonly str host
    cdef readonly bint simulated
    cdef bytes _head          # "Host…PASSPHRASE…[x-simulated-trading]…OK-ACCESS-TIMESTAMP: "
    cdef WriteBuffer _body    # scratch: the body is signed before the headers that carry the signature

    def __init__(self, str api_key, signer, passphrase, *, str host="www.okx.com", bint simulated=False,
                 user_agent=None):
        super().__init__(api_key, signer, passphrase)
        cdef Text h
        host_text(host, &h)
        self.host = host
        self.simulated = simulated
        self._head = (f" HTTP/1.1\r\nHost: {host}\r\n{user_agent_line(user_agent)}OK-ACCESS-KEY: {api_key}\r\n"
                      f"OK-ACCESS-PASSPHRASE: {passphrase}\r\n"
                      + ("x-simulated-trading: 1\r\n" if simulated else "")
                      + "OK-ACCESS-TIMESTAMP: ").encode("ascii")
        self._body = WriteBuffer()

    cdef int _sign(self, const char *iso, const char *method, Py_ssize_t mlen, const char *path,
                   Py_ssize_t plen, const char *body, Py_ssize_t blen, unsigned char *out) except -1:
        cdef SHA256_CTX ctx
        self.signer.begin(&ctx)
        SHA256_Update(&ctx, iso, 24)
        SHA256_Update(&ctx, method, <size_t>mlen)
        SHA256_Update(&ctx, path, <size_t>plen)
        SHA256_Update(&ctx, body, <size_t>blen)
        self.signer.finish(&ctx, out)
        return 0

    def sign(self, timestamp_ms, str method, str request_path, body=b""):
        cdef char iso[24]
        cdef unsigned char d[32]
        cdef bytes m = method.encode("ascii"), p = request_path.encode("utf-8")
        cdef bytes bb = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        iso_ms_into(int_in(timestamp_ms, 0, _MAX_MS, "timestamp_ms"), iso)
        self._sign(iso, m, len(m), p, len(p), bb, len(bb), d)
        cdef WriteBuffer out = WriteBuffer()
        put_digest(out, d, 32, SIG_B64)
        return out.getvalue().decode("ascii")

    cdef int _request(self, WriteBuffer b, const char *method, Py_ssize_t mlen, const char *path,
                      Py_ssize_t plen, WriteBuffer body, int64_t ts, int64_t exp_ms) except -1:
        cdef char iso[24]
        cdef unsigned char d[32]
        cdef bint post = body is not None
        cdef const char *bp = b""
        cdef Py_ssize_t bn = 0
        if post:
            bp = body.data
            bn = body.length
        iso_ms_into(ts, iso)
        self._sign(iso, method, mlen, path, plen, bp, bn, d)
        b.put(method, mlen)
        b.put_byte(b' ')
        b.put(path, plen)
        b.put_bytes_obj(self._head)
        b.put(iso, 24)
        b.put(b"\r\nOK-ACCESS-SIGN: ", 18)
        put_digest(b, d, 32, SIG_B64)
        if exp_ms > 0:
            b.put(b"\r\nexpTime: ", 11)
            b.put_u64(<uint64_t>exp_ms)
        if post:
            b.put(b"\r\nContent-Type: application/json\r\nContent-Length: ", 50)
            b.put_u64(<uint64_t>body.length)
            b.put(b"\r\n\r\n", 4)
            b.put(body.data, body.length)
        else:
            b.put(b"\r\n\r\n", 4)
        return 0

    def order_body(self, WriteBuffer buf, inst_id, td_mode, side, ord_type, *, sz, cl_ord_id, px=None,
                   tgt_ccy=None, SymbolRules rules=None, stp_mode=None, pos_side=None, reduce_only=False):
        cdef Order o
        cdef Text inst
        token(inst_id, CC_SYMBOL, 32, "inst_id", &inst)
        parse_order(&o, td_mode, side, ord_type, sz, cl_ord_id, None, NULL, px, tgt_ccy, rules)
        parse_stp(&o, stp_mode, pos_side, reduce_only)
        buf.put(b'{"instId":', 10)
        put_quoted(buf, &inst)
        put_order_fields(buf, &o)

    def place_order_request(self, WriteBuffer buf, inst_id, td_mode, side, ord_type, *, sz, cl_ord_id,
                            timestamp_ms, px=None, tgt_ccy=None, SymbolRules rules=None, exp_time_ms=None,
                            stp_mode=None, pos_side=None, reduce_only=False):
        cdef Order o
        cdef Text inst
        cdef int64_t ts, exp_ms = 0
        token(inst_id, CC_SYMBOL, 32, "inst_id", &inst)
        parse_order(&o, td_mode, side, ord_type, sz, cl_ord_id, timestamp_ms, &ts, px, tgt_ccy, rules)
        if exp_time_ms is not None:
            exp_ms = int_in(exp_time_ms, 1, _MAX_I64, "exp_time_ms")
        parse_stp(&o, stp_mode, pos_side, reduce_only)
        cdef WriteBuffer body = self._body
        body.length = 0
        body.put(b'{"instId":', 10)
        put_quoted(body, &inst)
        put_order_fields(body, &o)
        self._request(buf, b"POST", 4, b"/api/v5/trade/order", 19, body, ts, exp_ms)

    def cancel_request(self, WriteBuffer buf, inst_id, *, timestamp_ms, ord_id=None, cl_ord_id=None):
        cdef Text inst, oid, clid
        cdef bint has_oid, has_clid
        cdef char tmp[20]
        token(inst_id, CC_SYMBOL, 32, "inst_id", &inst)
        cdef int64_t ts = int_in(timestamp_ms, 1, _MAX_MS, "timestamp_ms")
        parse_ids(ord_id, cl_ord_id, tmp, &oid, &clid, &has_oid, &has_clid)
        cdef WriteBuffer body = self._body
        body.length = 0
        body.put(b'{"instId":', 10)
        put_quoted(body, &inst)
        put_ids(body, has_oid, &oid, has_clid, &clid)
        body.put_byte(b'}')
        self._request(buf, b"POST", 4, b"/api/v5/trade/cancel-order", 26, body, ts, 0)

    def query_request(self, WriteBuffer buf, inst_id, *, timestamp_ms, ord_id=None, cl_ord_id=None):
        cdef Text inst, oid, clid
        cdef bint has_oid, has_clid
        cdef char tmp[20]
        token(inst_id, CC_SYMBOL, 32, "inst_id", &inst)
        cdef int64_t ts = int_in(timestamp_ms, 1, _MAX_MS, "timestamp_ms")
        parse_ids(ord_id, cl_ord_id, tmp, &oid, &clid, &has_oid, &has_clid)
        cdef WriteBuffer path = self._body   # the path (with its query) is what gets signed here
        path.length = 0
        path.put(b"/api/v5/trade/order?instId=", 27)
        put_text(path, &inst)   # [A-Za-z0-9._-]: nothing to percent-encode
        if has_oid:
            path.put(b"&ordId=", 7)
            put_text(path, &oid)
        if has_clid:
            path.put(b"&clOrdId=", 9)
            put_text(path, &clid)
        self._request(buf, b"GET", 3, path.data, path.length, None, ts, 0)

    def cancel_body(self, WriteBuffer buf, inst_id, *, ord_id=None, cl_ord_id=None):
        cdef Text inst, oid, clid
        cdef bint has_oid, has_clid
        cdef char tmp[20]
        token(inst_id, CC_SYMBOL, 32, "inst_id", &inst)
        parse_ids(ord_id, cl_ord_id, tmp, &oid, &clid, &has_oid, &has_clid)
        buf.put(b'{"instId":', 10)
        put_quoted(buf, &inst)
        put_ids(buf, has_oid, &oid, has_clid, &clid)
        buf.put_byte(b'}')

    def amend_body(self, WriteBuffer buf, inst_id, *, ord_id=None, cl_ord_id=None, new_sz=None, new_px=None,
                   cxl_on_fail=False, req_id=None, SymbolRules rules=None):
        cdef Amend a
        cdef Text inst
        token(inst_id, CC_SYMBOL, 32, "inst_id", &inst)
        parse_amend(&a, ord_id, cl_ord_id, new_sz, new_px, cxl_on_fail, req_id, rules)
        buf.put(b'{"instId":', 10)
        put_quoted(buf, &inst)
        put_amend_fields(buf, &a)

    def request(self, WriteBuffer buf, method, path, body=None, *, timestamp_ms, exp_time_ms=None):
        cdef Text m, pt
        cdef int64_t ts, exp_ms = 0
        cdef WriteBuffer scratch
        enum_text(method, _METHODS, "method", &m)
        if type(path) is not str:
            raise TypeError(f"path must be a str, not {type(path).__name__}")
        if not (0 < len(path) <= 4096 and path[0] == "/" and path.isascii() and path.isprintable()
                and " " not in path):
            raise InvalidField("path must start with '/' and be 1-4096 printable ASCII characters without spaces",
                               field="path")
        cdef bytes p = path.encode("ascii")
        if body is not None and type(body) is not bytes:
            raise TypeError(f"body must be bytes or None, not {type(body).__name__}")
        if (body is None) == (method == "POST"):
            raise InvalidField("a POST request needs a body and a GET request takes none", field="body")
        ts = int_in(timestamp_ms, 1, _MAX_MS, "timestamp_ms")
        if exp_time_ms is not None:
            exp_ms = int_in(exp_time_ms, 1, _MAX_I64, "exp_time_ms")
        scratch = None
        if body is not None:
            scratch = self._body
            scratch.length = 0
            scratch.put_bytes_obj(body)
        self._request(buf, m.p, m.n, p, len(p), scratch, ts, exp_ms)



cdef class OkxWs(_OkxKeyed):
    cdef bytes _login_head    # '{"op":"login","args":[{"apiKey":…,"passphrase":…,"timestamp":"'

    def __init__(self, str api_key, signer, passphrase):
        super().__init__(api_key, signer, passphrase)
        # built once with the json module so a passphrase with '"' or '\\' is escaped correctly
        self._login_head = ('{"op":"login","args":[{"apiKey":' + json.dumps(api_key) + ',"passphrase":'
                            + json.dumps(passphrase) + ',"timestamp":"').encode("ascii")

    def login(self, WriteBuffer buf, *, timestamp_s):
        cdef int64_t ts = int_in(timestamp_s, 1, _MAX_I64, "timestamp_s")
        cdef char digits[20]
        cdef Py_ssize_t n = fo_u64_write(<uint64_t>ts, digits)
        cdef unsigned char d[32]
        cdef SHA256_CTX ctx
        self.signer.begin(&ctx)
        SHA256_Update(&ctx, digits, <size_t>n)
        SHA256_Update(&ctx, b"GET/users/self/verify", 21)
        self.signer.finish(&ctx, d)
        buf.put_bytes_obj(self._login_head)
        buf.put(digits, n)
        buf.put(b'","sign":"', 10)
        put_digest(buf, d, 32, SIG_B64)
        buf.put(b'"}]}', 4)

    cdef int _rid(self, request_id, char *tmp, Text *t) except -1:
        if type(request_id) is int:
            int_in(request_id, 0, _MAX_I64, "request_id")
            id_text(request_id, "request_id", tmp, t)
            if t.n > 32:
                raise InvalidOrder("request_id must be at most 32 characters", field="request_id")
            return 0
        return token(request_id, CC_ALNUM, 32, "request_id", t)

    def order(self, WriteBuffer buf, request_id, inst_id_code, td_mode, side, ord_type, *, sz, cl_ord_id,
              px=None, tgt_ccy=None, SymbolRules rules=None, exp_time_ms=None, stp_mode=None, pos_side=None,
              reduce_only=False):
        cdef Order o
        cdef Text rid
        cdef char tmp[20]
        cdef int64_t code, exp_ms = 0
        self._rid(request_id, tmp, &rid)
        code = int_in(inst_id_code, 0, _MAX_I64, "inst_id_code")
        parse_order(&o, td_mode, side, ord_type, sz, cl_ord_id, None, NULL, px, tgt_ccy, rules)
        if exp_time_ms is not None:
            exp_ms = int_in(exp_time_ms, 1, _MAX_I64, "exp_time_ms")
        parse_stp(&o, stp_mode, pos_side, reduce_only)
        buf.put(b'{"id":', 6)
        put_quoted(buf, &rid)
        buf.put(b',"op":"order"', 13)
        if exp_ms:
            buf.put(b',"expTime":"', 12)
            buf.put_u64(<uint64_t>exp_ms)
            buf.put_byte(b'"')
        buf.put(b',"args":[{"instIdCode":', 23)
        buf.put_u64(<uint64_t>code)
        put_order_fields(buf, &o)
        buf.put(b']}', 2)

    def cancel_order(self, WriteBuffer buf, request_id, inst_id_code, *, ord_id=None, cl_ord_id=None):
        cdef Text rid, oid, clid
        cdef bint has_oid, has_clid
        cdef char tmp[20]
        cdef char tmp2[20]
        self._rid(request_id, tmp, &rid)
        cdef int64_t code = int_in(inst_id_code, 0, _MAX_I64, "inst_id_code")
        parse_ids(ord_id, cl_ord_id, tmp2, &oid, &clid, &has_oid, &has_clid)
        buf.put(b'{"id":', 6)
        put_quoted(buf, &rid)
        buf.put(b',"op":"cancel-order","args":[{"instIdCode":', 43)
        buf.put_u64(<uint64_t>code)
        put_ids(buf, has_oid, &oid, has_clid, &clid)
        buf.put(b'}]}', 3)

    def order_args(self, WriteBuffer buf, inst_id_code, td_mode, side, ord_type, *, sz, cl_ord_id, px=None,
                   tgt_ccy=None, SymbolRules rules=None, stp_mode=None, pos_side=None, reduce_only=False):
        cdef Order o
        cdef int64_t code = int_in(inst_id_code, 0, _MAX_I64, "inst_id_code")
        parse_order(&o, td_mode, side, ord_type, sz, cl_ord_id, None, NULL, px, tgt_ccy, rules)
        parse_stp(&o, stp_mode, pos_side, reduce_only)
        buf.put(b'{"instIdCode":', 14)
        buf.put_u64(<uint64_t>code)
        put_order_fields(buf, &o)

    def cancel_args(self, WriteBuffer buf, inst_id_code, *, ord_id=None, cl_ord_id=None):
        cdef Text oid, clid
        cdef bint has_oid, has_clid
        cdef char tmp[20]
        cdef int64_t code = int_in(inst_id_code, 0, _MAX_I64, "inst_id_code")
        parse_ids(ord_id, cl_ord_id, tmp, &oid, &clid, &has_oid, &has_clid)
        buf.put(b'{"instIdCode":', 14)
        buf.put_u64(<uint64_t>code)
        put_ids(buf, has_oid, &oid, has_clid, &clid)
        buf.put_byte(b'}')

    def amend_args(self, WriteBuffer buf, inst_id_code, *, ord_id=None, cl_ord_id=None, new_sz=None, new_px=None,
                   cxl_on_fail=False, req_id=None, SymbolRules rules=None):
        cdef Amend a
        cdef int64_t code = int_in(inst_id_code, 0, _MAX_I64, "inst_id_code")
        parse_amend(&a, ord_id, cl_ord_id, new_sz, new_px, cxl_on_fail, req_id, rules)
        buf.put(b'{"instIdCode":', 14)
        buf.put_u64(<uint64_t>code)
        put_amend_fields(buf, &a)

    def op(self, WriteBuffer buf, request_id, op, args, *, exp_time_ms=None):
        cdef Text rid, o
        cdef char tmp[20]
        cdef int64_t exp_ms = 0
        self._rid(request_id, tmp, &rid)
        enum_text(op, _WS_OPS, "op", &o)
        if type(args) is not bytes:
            raise TypeError(f"args must be bytes, not {type(args).__name__}")
        if not args:
            raise InvalidField("args must hold at least one object", field="args")
        if exp_time_ms is not None:
            exp_ms = int_in(exp_time_ms, 1, _MAX_I64, "exp_time_ms")
        buf.put(b'{"id":', 6)
        put_quoted(buf, &rid)
        buf.put(b',"op":', 6)
        put_quoted(buf, &o)
        if exp_ms:
            buf.put(b',"expTime":"', 12)
            buf.put_u64(<uint64_t>exp_ms)
            buf.put_byte(b'"')
        buf.put(b',"args":[', 9)
        buf.put_bytes_obj(args)
        buf.put(b']}', 2)
