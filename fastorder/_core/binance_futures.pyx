"""Binance USDⓈ-M futures encoders: REST `/fapi/v1/*` signed query strings and WebSocket API (`/ws-fapi/v1`)
frames (contract: binance_futures.pyi; sources: docs/venues/binance-futures.md).

Its own module, beside the spot one: the futures order carries positionSide / reduceOnly / closePosition, other
order types and post-only as timeInForce=GTX, and goes to other paths. Every argument is parsed and checked into
a C struct first; only then is a byte written, so a refused order leaves the caller's buffer as it was.
"""

from libc.stdint cimport int64_t, uint64_t

from fastorder._core.buffer cimport WriteBuffer
from fastorder._core.csrc cimport fo_dec, fo_dec_write, fo_u64_write
from fastorder._core.numbers cimport SymbolRules, parse_number, put_dec
from fastorder._core.sign cimport (
    SHA256_CTX,
    SIG_B64,
    SIG_B64_URL,
    SIG_HEX,
    Ed25519Signer,
    HmacSha256,
    SHA256_Update,
    put_digest,
    sign_into,
)
from fastorder._core.wire cimport (
    CC_CLID,
    CC_SYMBOL,
    Text,
    credential,
    enum_text,
    host_text,
    id_text,
    int_in,
    put_pct,
    put_quoted,
    put_text,
    symbol_text,
    token,
    user_agent_line,
)

from fastorder.errors import InvalidOrder

_SIDES = frozenset(("BUY", "SELL"))
_TYPES = frozenset(("LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET"))
_TIFS = frozenset(("GTC", "IOC", "FOK", "GTX"))
_RESP = frozenset(("ACK", "RESULT"))
_PSIDES = frozenset(("BOTH", "LONG", "SHORT"))
_METHODS = frozenset(("GET", "POST", "DELETE", "PUT"))

cdef int64_t _MAX_I64 = 0x7FFFFFFFFFFFFFFF

cdef struct Order:
    Text symbol, side, type, tif, clid, resp, pside
    bint has_tif, has_clid, has_resp, has_qty, has_price, has_stop, has_pside, reduce_only, close_position
    fo_dec qty, price, stop
    int qty_frac, price_frac
    int64_t ts

cdef struct Ref:           # cancel / status: which order
    Text symbol, orig
    char oid_buf[20]
    Text oid
    bint has_oid, has_orig
    int64_t ts


cdef struct Modify:        # order.modify / PUT /fapi/v1/order: which order, its side, the new quantity and price
    Ref ref
    Text side
    fo_dec qty, price
    int qty_frac, price_frac


cdef int _need(bint ok, str field, str why) except -1:
    if not ok:
        raise InvalidOrder(why, field=field)
    return 0


cdef int parse_order(Order *o, symbol, side, type, client_order_id, timestamp, quantity, price, time_in_force,
                     position_side, reduce_only, close_position, stop_price, resp_type,
                     SymbolRules rules) except -1:
    symbol_text(symbol, "symbol", &o.symbol)
    enum_text(side, _SIDES, "side", &o.side)
    enum_text(type, _TYPES, "type", &o.type)
    o.has_clid = client_order_id is not None
    if o.has_clid:
        token(client_order_id, CC_CLID, 36, "client_order_id", &o.clid)
    o.ts = int_in(timestamp, 1, _MAX_I64, "timestamp")
    o.qty_frac = rules.qty_decimals if rules is not None else 0
    o.price_frac = rules.price_decimals if rules is not None else 0
    o.has_qty = quantity is not None
    if o.has_qty:
        parse_number(quantity, &o.qty, "quantity")
        if rules is not None:
            rules.check_qty(&o.qty, "quantity")
    o.has_price = price is not None
    if o.has_price:
        parse_number(price, &o.price, "price")
        if rules is not None:
            rules.check_price(&o.price, "price")
    o.has_tif = time_in_force is not None
    if o.has_tif:
        enum_text(time_in_force, _TIFS, "time_in_force", &o.tif)
    o.has_pside = position_side is not None
    if o.has_pside:
        enum_text(position_side, _PSIDES, "position_side", &o.pside)
    # identity tests against the two bools (`type` is the order type here, so no type() call)
    if reduce_only is False or reduce_only is True:
        o.reduce_only = reduce_only is True
    else:
        raise TypeError(f"reduce_only must be bool, not {reduce_only.__class__.__name__}")
    if close_position is False or close_position is True:
        o.close_position = close_position is True
    else:
        raise TypeError(f"close_position must be bool, not {close_position.__class__.__name__}")
    o.has_stop = stop_price is not None
    if o.has_stop:
        parse_number(stop_price, &o.stop, "stop_price")
        if rules is not None:
            rules.check_price(&o.stop, "stop_price")
    o.has_resp = resp_type is not None
    if o.has_resp:
        enum_text(resp_type, _RESP, "resp_type", &o.resp)
    # per-type mandatory parameters (New Order (TRADE), "Additional mandatory parameters based on type")
    if type == "LIMIT":
        _need(o.has_tif, "time_in_force", "LIMIT orders need time_in_force")
        _need(o.has_qty, "quantity", "LIMIT orders need quantity")
        _need(o.has_price, "price", "LIMIT orders need price")
    elif type == "MARKET":
        _need(o.has_qty, "quantity", "MARKET orders need quantity")
        _need(not o.has_price, "price", "MARKET orders take no price")
        _need(not o.has_tif, "time_in_force", "MARKET orders take no time_in_force")
    elif type == "STOP" or type == "TAKE_PROFIT":
        _need(o.has_qty, "quantity", f"{type} orders need quantity")
        _need(o.has_price, "price", f"{type} orders need price")
        _need(o.has_stop, "stop_price", f"{type} orders need stop_price")
    else:   # STOP_MARKET, TAKE_PROFIT_MARKET
        _need(o.has_stop, "stop_price", f"{type} orders need stop_price")
        _need(o.has_qty != o.close_position, "quantity",
              f"{type} orders need exactly one of quantity and close_position")
        _need(not o.has_price, "price", f"{type} orders take no price")
    # the rare combinations, each tested only when its flag is set (the common order pays one test per flag)
    if o.has_stop and (type == "LIMIT" or type == "MARKET"):
        raise InvalidOrder("stop_price is only for STOP*, TAKE_PROFIT* orders", field="stop_price")
    # closePosition: STOP_MARKET / TAKE_PROFIT_MARKET only, never with quantity or reduceOnly; reduceOnly cannot
    # be sent in hedge mode (a LONG/SHORT position side)
    if o.close_position:
        _need(type == "STOP_MARKET" or type == "TAKE_PROFIT_MARKET", "close_position",
              "close_position is only for STOP_MARKET and TAKE_PROFIT_MARKET orders")
        _need(not o.reduce_only, "reduce_only", "reduce_only cannot go with close_position")
    if o.reduce_only and o.has_pside and position_side != "BOTH":
        raise InvalidOrder("reduce_only cannot be sent in hedge mode (position_side LONG/SHORT): the side already "
                           "says it", field="reduce_only")
    if rules is not None and o.has_price and o.has_qty and not o.reduce_only:
        rules.check_notional_dec(&o.price, &o.qty)   # MIN_NOTIONAL does not apply to reduce-only (-4164)
    return 0


cdef int parse_ref(Ref *r, symbol, timestamp, order_id, orig_client_order_id) except -1:
    symbol_text(symbol, "symbol", &r.symbol)
    r.ts = int_in(timestamp, 1, _MAX_I64, "timestamp")
    r.has_oid = order_id is not None
    if r.has_oid:
        int_in(order_id, 0, _MAX_I64, "order_id")
        id_text(order_id, "order_id", r.oid_buf, &r.oid)
    r.has_orig = orig_client_order_id is not None
    if r.has_orig:
        token(orig_client_order_id, CC_CLID, 36, "orig_client_order_id", &r.orig)
    _need(r.has_oid or r.has_orig, "order_id", "give order_id or orig_client_order_id")
    return 0


cdef int parse_modify(Modify *m, symbol, side, timestamp, order_id, orig_client_order_id, quantity, price,
                      SymbolRules rules) except -1:
    parse_ref(&m.ref, symbol, timestamp, order_id, orig_client_order_id)
    enum_text(side, _SIDES, "side", &m.side)
    # "Both quantity and price must be sent" (Modify Order)
    parse_number(quantity, &m.qty, "quantity")
    parse_number(price, &m.price, "price")
    m.qty_frac = rules.qty_decimals if rules is not None else 0
    m.price_frac = rules.price_decimals if rules is not None else 0
    if rules is not None:
        rules.check_qty(&m.qty, "quantity")
        rules.check_price(&m.price, "price")
    return 0


cdef bint request_id_text(object request_id, char *tmp, Text *t) except -1:
    """Validate a WS request id; returns True when it is a string (written quoted)."""
    if type(request_id) is int:
        int_in(request_id, 0, _MAX_I64, "request_id")
        id_text(request_id, "request_id", tmp, t)
        return False
    token(request_id, CC_CLID, 36, "request_id", t)
    return True


cdef class _Signed:
    cdef readonly str api_key
    cdef object signer
    cdef bint _ed25519
    cdef Text _key
    cdef readonly object recv_window
    cdef int64_t _recv

    def __init__(self, str api_key, signer, recv_window):
        credential(api_key, "api_key", &self._key)
        if type(signer) is Ed25519Signer:
            self._ed25519 = True
        elif type(signer) is not HmacSha256:
            raise TypeError(f"signer must be HmacSha256 or Ed25519Signer, not {type(signer).__name__}")
        self.api_key = api_key
        self.signer = signer
        self.recv_window = recv_window
        if recv_window is not None:
            self._recv = int_in(recv_window, 1, 60000, "recv_window")

    def __reduce__(self):
        raise TypeError(f"{type(self).__name__} is not picklable (it holds a signer)")


# --------------------------------------------------------------------------------------------------------
# REST
# --------------------------------------------------------------------------------------------------------

cdef inline int _rest_dec(WriteBuffer b, const char *name, Py_ssize_t nlen, const fo_dec *v, int frac) except -1:
    b.put(name, nlen)
    return put_dec(b, v, frac)


cdef class BinanceFuturesRest(_Signed):
    cdef readonly str host
    cdef bytes _sfx_body      # " HTTP/1.1\r\nHost: …\r\nX-MBX-APIKEY: …\r\nContent-Length: 0\r\n\r\n"
    cdef bytes _sfx_nobody    # same without Content-Length (GET)

    def __init__(self, str api_key, signer, *, str host="fapi.binance.com", recv_window=None, user_agent=None):
        super().__init__(api_key, signer, recv_window)
        cdef Text h
        host_text(host, &h)
        self.host = host
        ua = user_agent_line(user_agent)
        head = f" HTTP/1.1\r\nHost: {host}\r\n{ua}X-MBX-APIKEY: {api_key}\r\n".encode("ascii")
        self._sfx_body = head + b"Content-Length: 0\r\n\r\n"
        self._sfx_nobody = head + b"\r\n"

    def __repr__(self):
        return f"BinanceFuturesRest(host={self.host!r}, api_key={self.api_key[:4]!r}…)"

    cdef int _tail(self, WriteBuffer b, Py_ssize_t start, int64_t ts) except -1:
        """recvWindow, timestamp, then &signature= over [start, here)."""
        if self.recv_window is not None:
            b.put(b"&recvWindow=", 12)
            b.put_u64(<uint64_t>self._recv)
        b.put(b"&timestamp=", 11)
        b.put_u64(<uint64_t>ts)
        cdef Py_ssize_t end = b.length
        b.put(b"&signature=", 11)
        return sign_into(self.signer, b.data + start, end - start, b, SIG_B64_URL if self._ed25519 else SIG_HEX)

    cdef int _new(self, WriteBuffer b, Order *o) except -1:
        # the documented parameter order: symbol side positionSide type timeInForce quantity reduceOnly price
        # newClientOrderId stopPrice closePosition newOrderRespType recvWindow timestamp
        cdef Py_ssize_t start = b.length
        b.put(b"symbol=", 7)
        put_pct(b, &o.symbol)
        b.put(b"&side=", 6)
        put_text(b, &o.side)
        if o.has_pside:
            b.put(b"&positionSide=", 14)
            put_text(b, &o.pside)
        b.put(b"&type=", 6)
        put_text(b, &o.type)
        if o.has_tif:
            b.put(b"&timeInForce=", 13)
            put_text(b, &o.tif)
        if o.has_qty:
            _rest_dec(b, b"&quantity=", 10, &o.qty, o.qty_frac)
        if o.reduce_only:
            b.put(b"&reduceOnly=true", 16)
        if o.has_price:
            _rest_dec(b, b"&price=", 7, &o.price, o.price_frac)
        if o.has_clid:
            b.put(b"&newClientOrderId=", 18)
            put_text(b, &o.clid)
        if o.has_stop:
            _rest_dec(b, b"&stopPrice=", 11, &o.stop, o.price_frac)
        if o.close_position:
            b.put(b"&closePosition=true", 19)
        if o.has_resp:
            b.put(b"&newOrderRespType=", 18)
            put_text(b, &o.resp)
        return self._tail(b, start, o.ts)

    cdef int _ref(self, WriteBuffer b, Ref *r) except -1:
        cdef Py_ssize_t start = b.length
        b.put(b"symbol=", 7)
        put_pct(b, &r.symbol)
        if r.has_oid:
            b.put(b"&orderId=", 9)
            put_text(b, &r.oid)
        if r.has_orig:
            b.put(b"&origClientOrderId=", 19)
            put_text(b, &r.orig)
        return self._tail(b, start, r.ts)

    def new_order_request(self, WriteBuffer buf, symbol, side, type, *, client_order_id, timestamp,
                          quantity=None, price=None, time_in_force=None, position_side=None,
                          reduce_only=False, close_position=False, stop_price=None, resp_type=None,
                          SymbolRules rules=None, bint test=False):
        cdef Order o
        parse_order(&o, symbol, side, type, client_order_id, timestamp, quantity, price, time_in_force,
                    position_side, reduce_only, close_position, stop_price, resp_type, rules)
        if test:
            buf.put(b"POST /fapi/v1/order/test?", 25)
        else:
            buf.put(b"POST /fapi/v1/order?", 20)
        self._new(buf, &o)
        buf.put_bytes_obj(self._sfx_body)

    cdef int _ref_request(self, WriteBuffer buf, const char *head, Py_ssize_t hlen, symbol, timestamp, order_id,
                          orig_client_order_id, bytes suffix) except -1:
        cdef Ref r
        parse_ref(&r, symbol, timestamp, order_id, orig_client_order_id)
        buf.put(head, hlen)
        self._ref(buf, &r)
        return buf.put_bytes_obj(suffix)

    def cancel_request(self, WriteBuffer buf, symbol, *, timestamp, order_id=None, orig_client_order_id=None):
        self._ref_request(buf, b"DELETE /fapi/v1/order?", 22, symbol, timestamp, order_id, orig_client_order_id,
                          self._sfx_body)

    def query_request(self, WriteBuffer buf, symbol, *, timestamp, order_id=None, orig_client_order_id=None):
        self._ref_request(buf, b"GET /fapi/v1/order?", 19, symbol, timestamp, order_id, orig_client_order_id,
                          self._sfx_nobody)

    def modify_request(self, WriteBuffer buf, symbol, side, *, timestamp, quantity, price, order_id=None,
                       orig_client_order_id=None, SymbolRules rules=None):
        """PUT /fapi/v1/order: orderId origClientOrderId symbol side quantity price (Modify Order)."""
        cdef Modify m
        parse_modify(&m, symbol, side, timestamp, order_id, orig_client_order_id, quantity, price, rules)
        buf.put(b"PUT /fapi/v1/order?", 19)
        cdef Py_ssize_t start = buf.length
        if m.ref.has_oid:
            buf.put(b"orderId=", 8)
            put_text(buf, &m.ref.oid)
            buf.put_byte(b'&')
        if m.ref.has_orig:
            buf.put(b"origClientOrderId=", 18)
            put_text(buf, &m.ref.orig)
            buf.put_byte(b'&')
        buf.put(b"symbol=", 7)
        put_pct(buf, &m.ref.symbol)
        buf.put(b"&side=", 6)
        put_text(buf, &m.side)
        _rest_dec(buf, b"&quantity=", 10, &m.qty, m.qty_frac)
        _rest_dec(buf, b"&price=", 7, &m.price, m.price_frac)
        self._tail(buf, start, m.ref.ts)
        buf.put_bytes_obj(self._sfx_body)

    def signed_request(self, WriteBuffer buf, str method, str path, params, *, timestamp):
        """Any other signed endpoint (positions, leverage, margin type, open orders, position mode): `params`
        a sequence of (name, value) str pairs, each ^[A-Za-z0-9._-]{1,64}$, written in that order."""
        cdef int64_t ts = int_in(timestamp, 1, _MAX_I64, "timestamp")
        cdef Text t
        if method not in _METHODS:
            raise InvalidOrder(f"method must be one of {sorted(_METHODS)}", field="method")
        if not path.startswith("/fapi/") or not path.isascii() or "?" in path or " " in path:
            raise InvalidOrder("path must be a /fapi/ path without a query", field="path")
        pairs = [(n, v) for n, v in params]
        for n, v in pairs:   # every value checked before a byte is written
            token(n, CC_SYMBOL, 64, "param", &t)
            token(v, CC_SYMBOL, 64, n, &t)
        cdef bytes head = f"{method} {path}?".encode("ascii")
        buf.put_bytes_obj(head)
        cdef Py_ssize_t start = buf.length
        first = True
        for n, v in pairs:
            if not first:
                buf.put_byte(b'&')
            first = False
            buf.put_bytes_obj(f"{n}={v}".encode("ascii"))
        if first:   # no params: the signed text starts at recvWindow/timestamp, without a leading '&'
            if self.recv_window is not None:
                buf.put(b"recvWindow=", 11)
                buf.put_u64(<uint64_t>self._recv)
                buf.put_byte(b'&')
            buf.put(b"timestamp=", 10)
            buf.put_u64(<uint64_t>ts)
            end = buf.length
            buf.put(b"&signature=", 11)
            sign_into(self.signer, buf.data + start, end - start, buf, SIG_B64_URL if self._ed25519 else SIG_HEX)
        else:
            self._tail(buf, start, ts)
        buf.put_bytes_obj(self._sfx_nobody if method == "GET" else self._sfx_body)


# --------------------------------------------------------------------------------------------------------
# WebSocket API
# --------------------------------------------------------------------------------------------------------

cdef class BinanceFuturesWs(_Signed):
    cdef WriteBuffer _sg      # scratch for the signed text; reused, never shared
    # HMAC keys: the inner hash state after "apiKey=<key>", the constant start of every signed text
    cdef SHA256_CTX _key_ctx
    cdef Py_ssize_t _prefix_len

    def __init__(self, str api_key, signer, *, recv_window=None):
        super().__init__(api_key, signer, recv_window)
        self._sg = WriteBuffer()
        cdef bytes prefix = b"apiKey=" + api_key.encode("ascii")
        if not self._ed25519:
            (<HmacSha256>signer).begin(&self._key_ctx)
            SHA256_Update(&self._key_ctx, <const char *>prefix, <size_t>len(prefix))
            self._prefix_len = len(prefix)

    def __repr__(self):
        return f"BinanceFuturesWs(api_key={self.api_key[:4]!r}…)"

    # one parameter, written twice: '"name":value' into the frame, 'name=value' into the signed text
    cdef inline int _name(self, WriteBuffer js, const char *name, Py_ssize_t n) except -1:
        cdef WriteBuffer sg = self._sg
        if sg.length:
            sg.put_byte(b'&')
        if js.data[js.length - 1] != b'{':
            js.put_byte(b',')
        js.put_byte(b'"')
        js.put(name, n)
        js.put(b'":', 2)
        sg.put(name, n)
        return sg.put_byte(b'=')

    cdef inline int _str(self, WriteBuffer js, const char *name, Py_ssize_t n, const Text *v) except -1:
        self._name(js, name, n)
        put_quoted(js, v)
        return put_text(self._sg, v)

    cdef inline int _lit(self, WriteBuffer js, const char *name, Py_ssize_t n, const char *v,
                         Py_ssize_t vn) except -1:
        cdef Text t
        t.p = v
        t.n = vn
        return self._str(js, name, n, &t)

    cdef inline int _num(self, WriteBuffer js, const char *name, Py_ssize_t n, uint64_t v) except -1:
        cdef char tmp[20]
        cdef Text t
        t.p = tmp
        t.n = fo_u64_write(v, tmp)
        self._name(js, name, n)
        put_text(js, &t)
        return put_text(self._sg, &t)

    cdef inline int _dec(self, WriteBuffer js, const char *name, Py_ssize_t n, const fo_dec *v, int frac) except -1:
        cdef char tmp[64]
        cdef Text t
        t.p = tmp
        t.n = fo_dec_write(v, frac, tmp)
        return self._str(js, name, n, &t)

    cdef int _open(self, WriteBuffer js, const Text *rid, bint quoted, const char *method,
                   Py_ssize_t mlen, bint logged_on) except -1:
        js.put(b'{"id":', 6)
        if quoted:
            put_quoted(js, rid)
        else:
            put_text(js, rid)
        js.put(b',"method":"', 11)
        js.put(method, mlen)
        self._sg.length = 0
        if not logged_on:
            self._str(js, b"apiKey", 6, &self._key)
        return 0

    cdef int _close(self, WriteBuffer js, bint signed) except -1:
        cdef SHA256_CTX ctx
        cdef unsigned char d[32]
        cdef WriteBuffer sg = self._sg
        if signed:
            js.put(b',"signature":"', 14)
            if self._ed25519:
                sign_into(self.signer, sg.data, sg.length, js, SIG_B64)
            else:   # every signed text starts with "apiKey=<key>": continue from its prepared state
                ctx = self._key_ctx
                SHA256_Update(&ctx, sg.data + self._prefix_len, <size_t>(sg.length - self._prefix_len))
                (<HmacSha256>self.signer).finish(&ctx, d)
                put_digest(js, d, 32, SIG_HEX)
            js.put_byte(b'"')
        return js.put(b'}}', 2)

    def order_place(self, WriteBuffer buf, request_id, symbol, side, type, *, client_order_id, timestamp,
                    quantity=None, price=None, time_in_force=None, position_side=None, reduce_only=False,
                    close_position=False, stop_price=None, resp_type=None, SymbolRules rules=None,
                    bint logged_on=False):
        cdef Order o
        cdef char tmp[20]
        cdef Text rid
        cdef bint quoted = request_id_text(request_id, tmp, &rid)
        parse_order(&o, symbol, side, type, client_order_id, timestamp, quantity, price, time_in_force,
                    position_side, reduce_only, close_position, stop_price, resp_type, rules)
        self._open(buf, &rid, quoted, b'order.place","params":{', 23, logged_on)
        # sorted by name (ASCII): apiKey closePosition newClientOrderId newOrderRespType positionSide price
        # quantity recvWindow reduceOnly side stopPrice symbol timeInForce timestamp type
        if o.close_position:
            self._lit(buf, b"closePosition", 13, b"true", 4)
        if o.has_clid:
            self._str(buf, b"newClientOrderId", 16, &o.clid)
        if o.has_resp:
            self._str(buf, b"newOrderRespType", 16, &o.resp)
        if o.has_pside:
            self._str(buf, b"positionSide", 12, &o.pside)
        if o.has_price:
            self._dec(buf, b"price", 5, &o.price, o.price_frac)
        if o.has_qty:
            self._dec(buf, b"quantity", 8, &o.qty, o.qty_frac)
        if self.recv_window is not None:
            self._num(buf, b"recvWindow", 10, <uint64_t>self._recv)
        if o.reduce_only:
            self._lit(buf, b"reduceOnly", 10, b"true", 4)
        self._str(buf, b"side", 4, &o.side)
        if o.has_stop:
            self._dec(buf, b"stopPrice", 9, &o.stop, o.price_frac)
        self._str(buf, b"symbol", 6, &o.symbol)
        if o.has_tif:
            self._str(buf, b"timeInForce", 11, &o.tif)
        self._num(buf, b"timestamp", 9, <uint64_t>o.ts)
        self._str(buf, b"type", 4, &o.type)
        self._close(buf, not logged_on)

    cdef int _ref_frame(self, WriteBuffer buf, const Text *rid, bint quoted, const char *method,
                        Py_ssize_t mlen, Ref *r, bint logged_on) except -1:
        self._open(buf, rid, quoted, method, mlen, logged_on)
        # sorted: apiKey orderId origClientOrderId recvWindow symbol timestamp
        if r.has_oid:
            self._name(buf, b"orderId", 7)
            put_text(buf, &r.oid)
            put_text(self._sg, &r.oid)
        if r.has_orig:
            self._str(buf, b"origClientOrderId", 17, &r.orig)
        if self.recv_window is not None:
            self._num(buf, b"recvWindow", 10, <uint64_t>self._recv)
        self._str(buf, b"symbol", 6, &r.symbol)
        self._num(buf, b"timestamp", 9, <uint64_t>r.ts)
        return self._close(buf, not logged_on)

    def order_cancel(self, WriteBuffer buf, request_id, symbol, *, timestamp, order_id=None,
                     orig_client_order_id=None, bint logged_on=False):
        cdef Ref r
        cdef char tmp[20]
        cdef Text rid
        cdef bint quoted = request_id_text(request_id, tmp, &rid)
        parse_ref(&r, symbol, timestamp, order_id, orig_client_order_id)
        self._ref_frame(buf, &rid, quoted, b'order.cancel","params":{', 24, &r, logged_on)

    def order_status(self, WriteBuffer buf, request_id, symbol, *, timestamp, order_id=None,
                     orig_client_order_id=None, bint logged_on=False):
        cdef Ref r
        cdef char tmp[20]
        cdef Text rid
        cdef bint quoted = request_id_text(request_id, tmp, &rid)
        parse_ref(&r, symbol, timestamp, order_id, orig_client_order_id)
        self._ref_frame(buf, &rid, quoted, b'order.status","params":{', 24, &r, logged_on)

    def order_modify(self, WriteBuffer buf, request_id, symbol, side, *, timestamp, quantity, price,
                     order_id=None, orig_client_order_id=None, SymbolRules rules=None, bint logged_on=False):
        cdef Modify m
        cdef char tmp[20]
        cdef Text rid
        cdef bint quoted = request_id_text(request_id, tmp, &rid)
        parse_modify(&m, symbol, side, timestamp, order_id, orig_client_order_id, quantity, price, rules)
        self._open(buf, &rid, quoted, b'order.modify","params":{', 24, logged_on)
        # sorted: apiKey orderId origClientOrderId price quantity recvWindow side symbol timestamp
        if m.ref.has_oid:
            self._name(buf, b"orderId", 7)
            put_text(buf, &m.ref.oid)
            put_text(self._sg, &m.ref.oid)
        if m.ref.has_orig:
            self._str(buf, b"origClientOrderId", 17, &m.ref.orig)
        self._dec(buf, b"price", 5, &m.price, m.price_frac)
        self._dec(buf, b"quantity", 8, &m.qty, m.qty_frac)
        if self.recv_window is not None:
            self._num(buf, b"recvWindow", 10, <uint64_t>self._recv)
        self._str(buf, b"side", 4, &m.side)
        self._str(buf, b"symbol", 6, &m.ref.symbol)
        self._num(buf, b"timestamp", 9, <uint64_t>m.ref.ts)
        self._close(buf, not logged_on)

    def session_logon(self, WriteBuffer buf, request_id, *, timestamp):
        cdef char tmp[20]
        cdef Text rid
        cdef bint quoted = request_id_text(request_id, tmp, &rid)
        cdef int64_t ts = int_in(timestamp, 1, _MAX_I64, "timestamp")
        self._open(buf, &rid, quoted, b'session.logon","params":{', 25, False)
        if self.recv_window is not None:
            self._num(buf, b"recvWindow", 10, <uint64_t>self._recv)
        self._num(buf, b"timestamp", 9, <uint64_t>ts)
        self._close(buf, True)
