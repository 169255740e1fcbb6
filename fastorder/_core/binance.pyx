"""Binance Spot encoders: REST signed query strings and WebSocket API frames (contract: binance.pyi).

Every argument is parsed and checked into a C struct first; only then is a byte written, so a refused order
leaves the caller's buffer as it was.
"""

from libc.stdint cimport int64_t, uint64_t

from fastorder._core.buffer cimport WriteBuffer
from fastorder._core.csrc cimport fo_dec, fo_dec_len, fo_dec_write, fo_u64_write
from fastorder._core.numbers cimport SymbolRules, parse_number, put_dec
from fastorder._core.sign cimport (
    SHA256_CTX,
    SIG_B64,
    SIG_B64_URL,
    SIG_HEX,
    Ed25519Signer,
    HmacSha256,
    SHA256_Update,
    SigFormat,
    put_digest,
    sign_into,
)
from fastorder._core.wire cimport (
    CC_CLID,
    Text,
    credential,
    id_text,
    int_in,
    put_pct,
    put_quoted,
    put_text,
    symbol_text,
    token,
    enum_text,
    host_text,
    user_agent_line,
)

from fastorder.errors import InvalidOrder

_SIDES = frozenset(("BUY", "SELL"))
_TYPES = frozenset(("LIMIT", "MARKET", "LIMIT_MAKER", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT",
                    "TAKE_PROFIT_LIMIT"))
_TIFS = frozenset(("GTC", "IOC", "FOK"))
_RESP = frozenset(("ACK", "RESULT", "FULL"))
_STOP_TYPES = frozenset(("STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"))
# enums.md "STP Modes"
_STP = frozenset(("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT", "TRANSFER"))
_RESTRICT = frozenset(("ONLY_NEW", "ONLY_PARTIALLY_FILLED"))   # cancelRestrictions

cdef int64_t _MAX_I64 = 0x7FFFFFFFFFFFFFFF

cdef struct Order:
    Text symbol, side, type, tif, clid, resp, stp
    bint has_tif, has_clid, has_resp, has_qty, has_qqty, has_price, has_stop, has_stp
    fo_dec qty, qqty, price, stop
    int qty_frac, price_frac
    int64_t ts

cdef struct Ref:           # cancel / status: which order
    Text symbol, orig, newid
    char oid_buf[20]
    Text oid
    bint has_oid, has_orig, has_new, has_restr
    Text restr               # cancel-replace: cancelRestrictions
    int64_t ts

cdef struct Amend:          # order.amend.keepPriority: which order, its new quantity
    Ref r
    fo_dec qty
    int qty_frac


cdef int _need(bint ok, str field, str why) except -1:
    if not ok:
        raise InvalidOrder(why, field=field)
    return 0


cdef int parse_order(Order *o, symbol, side, type, client_order_id, timestamp, quantity, price,
                     time_in_force, quote_order_qty, stop_price, resp_type, SymbolRules rules,
                     stp=None) except -1:
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
    o.has_qqty = quote_order_qty is not None
    if o.has_qqty:
        parse_number(quote_order_qty, &o.qqty, "quote_order_qty")
    o.has_stop = stop_price is not None
    if o.has_stop:
        parse_number(stop_price, &o.stop, "stop_price")
        if rules is not None:
            rules.check_price(&o.stop, "stop_price")
    o.has_resp = resp_type is not None
    if o.has_resp:
        enum_text(resp_type, _RESP, "resp_type", &o.resp)
    o.has_stp = stp is not None
    if o.has_stp:
        enum_text(stp, _STP, "stp", &o.stp)
    # per-type mandatory parameters (rest-api.md "New order", additional mandatory parameters)
    if type == "LIMIT":
        _need(o.has_tif, "time_in_force", "LIMIT orders need time_in_force")
        _need(o.has_qty, "quantity", "LIMIT orders need quantity")
        _need(o.has_price, "price", "LIMIT orders need price")
    elif type == "MARKET":
        _need(o.has_qty != o.has_qqty, "quantity", "MARKET orders need exactly one of quantity and quote_order_qty")
        _need(not o.has_price, "price", "MARKET orders take no price")
        _need(not o.has_tif, "time_in_force", "MARKET orders take no time_in_force")
    elif type == "LIMIT_MAKER":
        _need(o.has_qty, "quantity", "LIMIT_MAKER orders need quantity")
        _need(o.has_price, "price", "LIMIT_MAKER orders need price")
        _need(not o.has_tif, "time_in_force", "LIMIT_MAKER orders take no time_in_force")
    elif type == "STOP_LOSS" or type == "TAKE_PROFIT":
        _need(o.has_qty, "quantity", f"{type} orders need quantity")
        _need(o.has_stop, "stop_price", f"{type} orders need stop_price")
    else:  # STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT
        _need(o.has_tif, "time_in_force", f"{type} orders need time_in_force")
        _need(o.has_qty, "quantity", f"{type} orders need quantity")
        _need(o.has_price, "price", f"{type} orders need price")
        _need(o.has_stop, "stop_price", f"{type} orders need stop_price")
    _need(not o.has_qqty or type == "MARKET", "quote_order_qty", "quote_order_qty is only for MARKET orders")
    _need(not o.has_stop or type in _STOP_TYPES, "stop_price",
          "stop_price is only for STOP_LOSS* and TAKE_PROFIT* orders")
    if rules is not None and o.has_price and o.has_qty:
        rules.check_notional_dec(&o.price, &o.qty)
    return 0


cdef int parse_ref(Ref *r, symbol, timestamp, order_id, orig_client_order_id, new_client_order_id) except -1:
    symbol_text(symbol, "symbol", &r.symbol)
    r.ts = int_in(timestamp, 1, _MAX_I64, "timestamp")
    r.has_oid = order_id is not None
    if r.has_oid:
        int_in(order_id, 0, _MAX_I64, "order_id")
        id_text(order_id, "order_id", r.oid_buf, &r.oid)
    r.has_orig = orig_client_order_id is not None
    if r.has_orig:
        token(orig_client_order_id, CC_CLID, 36, "orig_client_order_id", &r.orig)
    r.has_new = new_client_order_id is not None
    if r.has_new:
        token(new_client_order_id, CC_CLID, 36, "new_client_order_id", &r.newid)
    _need(r.has_oid or r.has_orig, "order_id", "give order_id or orig_client_order_id")
    r.has_restr = False
    return 0


cdef int parse_restr(Ref *r, cancel_restrictions) except -1:
    r.has_restr = cancel_restrictions is not None
    if r.has_restr:
        enum_text(cancel_restrictions, _RESTRICT, "cancel_restrictions", &r.restr)
    return 0


cdef int parse_amend(Amend *a, symbol, timestamp, order_id, orig_client_order_id, new_client_order_id, new_qty,
                     SymbolRules rules) except -1:
    parse_ref(&a.r, symbol, timestamp, order_id, orig_client_order_id, new_client_order_id)
    parse_number(new_qty, &a.qty, "new_qty")
    a.qty_frac = rules.qty_decimals if rules is not None else 0
    if rules is not None:
        rules.check_qty(&a.qty, "new_qty")
    return 0


cdef int parse_sym(Text *t, bint *has, symbol, bint optional) except -1:
    has[0] = symbol is not None or not optional
    if has[0]:
        symbol_text(symbol, "symbol", t)
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
    """What REST and WS share: the key, the signer, recvWindow."""
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



cdef class BinanceRest(_Signed):
    cdef readonly str host
    cdef bytes _sfx_body      # " HTTP/1.1\r\nHost: …\r\nX-MBX-APIKEY: …\r\nContent-Length: 0\r\n\r\n"
    cdef bytes _sfx_nobody    # same without Content-Length (GET)

    def __init__(self, str api_key, signer, *, str host="api.binance.com", recv_window=None, user_agent=None):
        super().__init__(api_key, signer, recv_window)
        cdef Text h
        host_text(host, &h)
        self.host = host
        ua = user_agent_line(user_agent)
        head = f" HTTP/1.1\r\nHost: {host}\r\n{ua}X-MBX-APIKEY: {api_key}\r\n".encode("ascii")
        self._sfx_body = head + b"Content-Length: 0\r\n\r\n"
        self._sfx_nobody = head + b"\r\n"

    def __repr__(self):
        return f"BinanceRest(host={self.host!r}, api_key={self.api_key[:4]!r}…)"

    cdef int _tail(self, WriteBuffer b, Py_ssize_t start) except -1:
        """recvWindow + timestamp are written by the caller; append &signature= over [start, here)."""
        cdef Py_ssize_t end = b.length
        b.put(b"&signature=", 11)
        sign_into(self.signer, b.data + start, end - start, b,
                  SIG_B64_URL if self._ed25519 else SIG_HEX)
        return 0

    cdef int _recv_ts(self, WriteBuffer b, int64_t ts) except -1:
        if self.recv_window is not None:
            b.put(b"&recvWindow=", 12)
            b.put_u64(<uint64_t>self._recv)
        b.put(b"&timestamp=", 11)
        return b.put_u64(<uint64_t>ts)

    cdef int _new(self, WriteBuffer b, Order *o, Ref *cr=NULL) except -1:
        """A new order's params; with `cr`, a cancel-replace's (cancelReplaceMode after type, the cancelled
        order's ids after stopPrice; rest-api.md "Cancel an Existing Order and Send a New Order")."""
        cdef Py_ssize_t start = b.length
        b.put(b"symbol=", 7)
        put_pct(b, &o.symbol)
        b.put(b"&side=", 6)
        put_text(b, &o.side)
        b.put(b"&type=", 6)
        put_text(b, &o.type)
        if cr != NULL:
            b.put(b"&cancelReplaceMode=STOP_ON_FAILURE", 34)
        if o.has_tif:
            b.put(b"&timeInForce=", 13)
            put_text(b, &o.tif)
        if o.has_qty:
            _rest_dec(b, b"&quantity=", 10, &o.qty, o.qty_frac)
        if o.has_qqty:
            _rest_dec(b, b"&quoteOrderQty=", 15, &o.qqty, 0)
        if o.has_price:
            _rest_dec(b, b"&price=", 7, &o.price, o.price_frac)
        if o.has_stop:
            _rest_dec(b, b"&stopPrice=", 11, &o.stop, o.price_frac)
        if cr != NULL:
            if cr.has_oid:
                b.put(b"&cancelOrderId=", 15)
                put_text(b, &cr.oid)
            if cr.has_orig:
                b.put(b"&cancelOrigClientOrderId=", 25)
                put_text(b, &cr.orig)
            if cr.has_restr:
                b.put(b"&cancelRestrictions=", 20)
                put_text(b, &cr.restr)
        if o.has_clid:
            b.put(b"&newClientOrderId=", 18)
            put_text(b, &o.clid)
        if o.has_resp:
            b.put(b"&newOrderRespType=", 18)
            put_text(b, &o.resp)
        if o.has_stp:
            b.put(b"&selfTradePreventionMode=", 25)
            put_text(b, &o.stp)
        self._recv_ts(b, o.ts)
        return self._tail(b, start)

    cdef int _recv_ts0(self, WriteBuffer b, Py_ssize_t start, int64_t ts) except -1:
        """recvWindow + timestamp, the first params when nothing precedes them."""
        if b.length > start:
            return self._recv_ts(b, ts)
        if self.recv_window is not None:
            b.put(b"recvWindow=", 11)
            b.put_u64(<uint64_t>self._recv)
            b.put(b"&timestamp=", 11)
        else:
            b.put(b"timestamp=", 10)
        return b.put_u64(<uint64_t>ts)

    cdef int _ref(self, WriteBuffer b, Ref *r, bint with_new) except -1:
        cdef Py_ssize_t start = b.length
        b.put(b"symbol=", 7)
        put_pct(b, &r.symbol)
        if r.has_oid:
            b.put(b"&orderId=", 9)
            put_text(b, &r.oid)
        if r.has_orig:
            b.put(b"&origClientOrderId=", 19)
            put_text(b, &r.orig)
        if with_new and r.has_new:
            b.put(b"&newClientOrderId=", 18)
            put_text(b, &r.newid)
        self._recv_ts(b, r.ts)
        return self._tail(b, start)

    def new_order_params(self, WriteBuffer buf, symbol, side, type, *, client_order_id, timestamp,
                         quantity=None, price=None, time_in_force=None, quote_order_qty=None, stop_price=None,
                         resp_type=None, SymbolRules rules=None, stp=None):
        cdef Order o
        parse_order(&o, symbol, side, type, client_order_id, timestamp, quantity, price, time_in_force,
                    quote_order_qty, stop_price, resp_type, rules, stp)
        self._new(buf, &o)

    def cancel_params(self, WriteBuffer buf, symbol, *, timestamp, order_id=None, orig_client_order_id=None,
                      new_client_order_id=None):
        cdef Ref r
        parse_ref(&r, symbol, timestamp, order_id, orig_client_order_id, new_client_order_id)
        self._ref(buf, &r, True)

    def query_params(self, WriteBuffer buf, symbol, *, timestamp, order_id=None, orig_client_order_id=None):
        cdef Ref r
        parse_ref(&r, symbol, timestamp, order_id, orig_client_order_id, None)
        self._ref(buf, &r, False)

    def new_order_request(self, WriteBuffer buf, symbol, side, type, *, client_order_id, timestamp,
                          quantity=None, price=None, time_in_force=None, quote_order_qty=None, stop_price=None,
                          resp_type=None, SymbolRules rules=None, bint test=False, stp=None):
        cdef Order o
        parse_order(&o, symbol, side, type, client_order_id, timestamp, quantity, price, time_in_force,
                    quote_order_qty, stop_price, resp_type, rules, stp)
        if test:
            buf.put(b"POST /api/v3/order/test?", 24)
        else:
            buf.put(b"POST /api/v3/order?", 19)
        self._new(buf, &o)
        buf.put_bytes_obj(self._sfx_body)

    def cancel_request(self, WriteBuffer buf, symbol, *, timestamp, order_id=None, orig_client_order_id=None,
                       new_client_order_id=None):
        cdef Ref r
        parse_ref(&r, symbol, timestamp, order_id, orig_client_order_id, new_client_order_id)
        buf.put(b"DELETE /api/v3/order?", 21)
        self._ref(buf, &r, True)
        buf.put_bytes_obj(self._sfx_body)

    def query_request(self, WriteBuffer buf, symbol, *, timestamp, order_id=None, orig_client_order_id=None):
        cdef Ref r
        parse_ref(&r, symbol, timestamp, order_id, orig_client_order_id, None)
        buf.put(b"GET /api/v3/order?", 18)
        self._ref(buf, &r, False)
        buf.put_bytes_obj(self._sfx_nobody)

    cdef int _sym_only(self, WriteBuffer buf, const char *head, Py_ssize_t hlen, Text *sym, bint has_sym,
                       int64_t ts, bint body) except -1:
        buf.put(head, hlen)
        cdef Py_ssize_t start = buf.length
        if has_sym:
            buf.put(b"symbol=", 7)
            put_pct(buf, sym)
        self._recv_ts0(buf, start, ts)
        self._tail(buf, start)
        return buf.put_bytes_obj(self._sfx_body if body else self._sfx_nobody)

    def open_orders_request(self, WriteBuffer buf, symbol=None, *, timestamp):
        cdef Text sym
        cdef bint has
        parse_sym(&sym, &has, symbol, True)
        cdef int64_t ts = int_in(timestamp, 1, _MAX_I64, "timestamp")
        self._sym_only(buf, b"GET /api/v3/openOrders?", 23, &sym, has, ts, False)

    def cancel_open_orders_request(self, WriteBuffer buf, symbol, *, timestamp):
        cdef Text sym
        cdef bint has
        parse_sym(&sym, &has, symbol, False)
        cdef int64_t ts = int_in(timestamp, 1, _MAX_I64, "timestamp")
        self._sym_only(buf, b"DELETE /api/v3/openOrders?", 26, &sym, has, ts, True)

    def account_request(self, WriteBuffer buf, *, timestamp, bint omit_zero_balances=False):
        cdef int64_t ts = int_in(timestamp, 1, _MAX_I64, "timestamp")
        buf.put(b"GET /api/v3/account?", 20)
        cdef Py_ssize_t start = buf.length
        if omit_zero_balances:
            buf.put(b"omitZeroBalances=true", 21)
        self._recv_ts0(buf, start, ts)
        self._tail(buf, start)
        buf.put_bytes_obj(self._sfx_nobody)

    def amend_keep_priority_request(self, WriteBuffer buf, symbol, *, timestamp, new_qty, order_id=None,
                                    orig_client_order_id=None, new_client_order_id=None, SymbolRules rules=None):
        cdef Amend a
        parse_amend(&a, symbol, timestamp, order_id, orig_client_order_id, new_client_order_id, new_qty, rules)
        buf.put(b"PUT /api/v3/order/amend/keepPriority?", 37)
        cdef Py_ssize_t start = buf.length
        buf.put(b"symbol=", 7)
        put_pct(buf, &a.r.symbol)
        if a.r.has_oid:
            buf.put(b"&orderId=", 9)
            put_text(buf, &a.r.oid)
        if a.r.has_orig:
            buf.put(b"&origClientOrderId=", 19)
            put_text(buf, &a.r.orig)
        if a.r.has_new:
            buf.put(b"&newClientOrderId=", 18)
            put_text(buf, &a.r.newid)
        _rest_dec(buf, b"&newQty=", 8, &a.qty, a.qty_frac)
        self._recv_ts(buf, a.r.ts)
        self._tail(buf, start)
        buf.put_bytes_obj(self._sfx_body)

    def cancel_replace_request(self, WriteBuffer buf, symbol, side, type, *, client_order_id, timestamp,
                               cancel_order_id=None, cancel_orig_client_order_id=None, quantity=None, price=None,
                               time_in_force=None, quote_order_qty=None, stop_price=None, resp_type=None,
                               SymbolRules rules=None, stp=None, cancel_restrictions=None):
        cdef Order o
        cdef Ref r
        parse_order(&o, symbol, side, type, client_order_id, timestamp, quantity, price, time_in_force,
                    quote_order_qty, stop_price, resp_type, rules, stp)
        parse_ref(&r, symbol, timestamp, cancel_order_id, cancel_orig_client_order_id, None)
        parse_restr(&r, cancel_restrictions)
        buf.put(b"POST /api/v3/order/cancelReplace?", 33)
        self._new(buf, &o, &r)
        buf.put_bytes_obj(self._sfx_body)


# --------------------------------------------------------------------------------------------------------
# WebSocket API
# --------------------------------------------------------------------------------------------------------

cdef class BinanceWs(_Signed):
    cdef WriteBuffer _sg      # scratch for the signed text; reused, never shared
    # HMAC keys: the inner hash state after "apiKey=<key>", the constant start of every signed text, so
    # each request hashes only what follows it (one SHA-256 block fewer). As secret as the key; never exposed.
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
        return f"BinanceWs(api_key={self.api_key[:4]!r}…)"

    # -- one parameter, written twice: '"name":value' into the frame, 'name=value' into the signed text --------------------------------------------------------------------
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
                   Py_ssize_t mlen) except -1:
        js.put(b'{"id":', 6)
        if quoted:
            put_quoted(js, rid)
        else:
            put_text(js, rid)
        js.put(b',"method":"', 11)
        return js.put(method, mlen)

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

    cdef int _auth(self, WriteBuffer js, bint logged_on) except -1:
        self._sg.length = 0
        if not logged_on:
            self._str(js, b"apiKey", 6, &self._key)
        return 0

    def order_place(self, WriteBuffer buf, request_id, symbol, side, type, *, client_order_id, timestamp,
                    quantity=None, price=None, time_in_force=None, quote_order_qty=None, stop_price=None,
                    resp_type=None, SymbolRules rules=None, bint logged_on=False, stp=None):
        cdef Order o
        cdef char tmp[20]
        cdef Text rid
        cdef bint quoted = request_id_text(request_id, tmp, &rid)
        parse_order(&o, symbol, side, type, client_order_id, timestamp, quantity, price, time_in_force,
                    quote_order_qty, stop_price, resp_type, rules, stp)
        self._open(buf, &rid, quoted, b'order.place","params":{', 23)
        self._auth(buf, logged_on)
        self._order_params(buf, &o, NULL)
        self._close(buf, not logged_on)

    cdef int _order_params(self, WriteBuffer buf, Order *o, Ref *cr) except -1:
        # sorted by name (ASCII): apiKey [cancelOrderId cancelOrigClientOrderId cancelReplaceMode]
        # newClientOrderId newOrderRespType price quantity quoteOrderQty recvWindow selfTradePreventionMode side
        # stopPrice symbol timeInForce timestamp type
        cdef Text mode
        if cr != NULL:
            if cr.has_oid:
                self._name(buf, b"cancelOrderId", 13)
                put_text(buf, &cr.oid)
                put_text(self._sg, &cr.oid)
            if cr.has_orig:
                self._str(buf, b"cancelOrigClientOrderId", 23, &cr.orig)
            mode.p = b"STOP_ON_FAILURE"
            mode.n = 15
            self._str(buf, b"cancelReplaceMode", 17, &mode)
            if cr.has_restr:
                self._str(buf, b"cancelRestrictions", 18, &cr.restr)
        if o.has_clid:
            self._str(buf, b"newClientOrderId", 16, &o.clid)
        if o.has_resp:
            self._str(buf, b"newOrderRespType", 16, &o.resp)
        if o.has_price:
            self._dec(buf, b"price", 5, &o.price, o.price_frac)
        if o.has_qty:
            self._dec(buf, b"quantity", 8, &o.qty, o.qty_frac)
        if o.has_qqty:
            self._dec(buf, b"quoteOrderQty", 13, &o.qqty, 0)
        if self.recv_window is not None:
            self._num(buf, b"recvWindow", 10, <uint64_t>self._recv)
        if o.has_stp:
            self._str(buf, b"selfTradePreventionMode", 23, &o.stp)
        self._str(buf, b"side", 4, &o.side)
        if o.has_stop:
            self._dec(buf, b"stopPrice", 9, &o.stop, o.price_frac)
        self._str(buf, b"symbol", 6, &o.symbol)
        if o.has_tif:
            self._str(buf, b"timeInForce", 11, &o.tif)
        self._num(buf, b"timestamp", 9, <uint64_t>o.ts)
        return self._str(buf, b"type", 4, &o.type)

    def order_cancel_replace(self, WriteBuffer buf, request_id, symbol, side, type, *, client_order_id, timestamp,
                             cancel_order_id=None, cancel_orig_client_order_id=None, quantity=None, price=None,
                             time_in_force=None, quote_order_qty=None, stop_price=None, resp_type=None,
                             SymbolRules rules=None, stp=None, bint logged_on=False, cancel_restrictions=None):
        cdef Order o
        cdef Ref r
        cdef char tmp[20]
        cdef Text rid
        cdef bint quoted = request_id_text(request_id, tmp, &rid)
        parse_order(&o, symbol, side, type, client_order_id, timestamp, quantity, price, time_in_force,
                    quote_order_qty, stop_price, resp_type, rules, stp)
        parse_ref(&r, symbol, timestamp, cancel_order_id, cancel_orig_client_order_id, None)
        parse_restr(&r, cancel_restrictions)
        self._open(buf, &rid, quoted, b'order.cancelReplace","params":{', 31)
        self._auth(buf, logged_on)
        self._order_params(buf, &o, &r)
        self._close(buf, not logged_on)

    def order_amend_keep_priority(self, WriteBuffer buf, request_id, symbol, *, timestamp, new_qty, order_id=None,
                                  orig_client_order_id=None, new_client_order_id=None, SymbolRules rules=None,
                                  bint logged_on=False):
        cdef Amend a
        cdef char tmp[20]
        cdef Text rid
        cdef bint quoted = request_id_text(request_id, tmp, &rid)
        parse_amend(&a, symbol, timestamp, order_id, orig_client_order_id, new_client_order_id, new_qty, rules)
        self._open(buf, &rid, quoted, b'order.amend.keepPriority","params":{', 36)
        self._auth(buf, logged_on)
        # sorted: apiKey newClientOrderId newQty orderId origClientOrderId recvWindow symbol timestamp
        if a.r.has_new:
            self._str(buf, b"newClientOrderId", 16, &a.r.newid)
        self._dec(buf, b"newQty", 6, &a.qty, a.qty_frac)
        if a.r.has_oid:
            self._name(buf, b"orderId", 7)
            put_text(buf, &a.r.oid)
            put_text(self._sg, &a.r.oid)
        if a.r.has_orig:
            self._str(buf, b"origClientOrderId", 17, &a.r.orig)
        if self.recv_window is not None:
            self._num(buf, b"recvWindow", 10, <uint64_t>self._recv)
        self._str(buf, b"symbol", 6, &a.r.symbol)
        self._num(buf, b"timestamp", 9, <uint64_t>a.r.ts)
        self._close(buf, not logged_on)

    cdef int _sym_frame(self, WriteBuffer buf, const Text *rid, bint quoted, const char *method, Py_ssize_t mlen,
                        Text *sym, bint has_sym, bint omit_zero, int64_t ts, bint logged_on) except -1:
        self._open(buf, rid, quoted, method, mlen)
        self._auth(buf, logged_on)
        # sorted: apiKey omitZeroBalances recvWindow symbol timestamp
        if omit_zero:
            self._name(buf, b"omitZeroBalances", 16)
            buf.put(b"true", 4)
            self._sg.put(b"true", 4)
        if self.recv_window is not None:
            self._num(buf, b"recvWindow", 10, <uint64_t>self._recv)
        if has_sym:
            self._str(buf, b"symbol", 6, sym)
        self._num(buf, b"timestamp", 9, <uint64_t>ts)
        return self._close(buf, not logged_on)

    def open_orders_status(self, WriteBuffer buf, request_id, symbol=None, *, timestamp, bint logged_on=False):
        cdef char tmp[20]
        cdef Text rid, sym
        cdef bint has
        cdef bint quoted = request_id_text(request_id, tmp, &rid)
        parse_sym(&sym, &has, symbol, True)
        cdef int64_t ts = int_in(timestamp, 1, _MAX_I64, "timestamp")
        self._sym_frame(buf, &rid, quoted, b'openOrders.status","params":{', 29, &sym, has, False, ts, logged_on)

    def open_orders_cancel_all(self, WriteBuffer buf, request_id, symbol, *, timestamp, bint logged_on=False):
        cdef char tmp[20]
        cdef Text rid, sym
        cdef bint has
        cdef bint quoted = request_id_text(request_id, tmp, &rid)
        parse_sym(&sym, &has, symbol, False)
        cdef int64_t ts = int_in(timestamp, 1, _MAX_I64, "timestamp")
        self._sym_frame(buf, &rid, quoted, b'openOrders.cancelAll","params":{', 32, &sym, has, False, ts,
                        logged_on)

    def account_status(self, WriteBuffer buf, request_id, *, timestamp, bint omit_zero_balances=False,
                       bint logged_on=False):
        cdef char tmp[20]
        cdef Text rid, sym
        cdef bint quoted = request_id_text(request_id, tmp, &rid)
        cdef int64_t ts = int_in(timestamp, 1, _MAX_I64, "timestamp")
        self._sym_frame(buf, &rid, quoted, b'account.status","params":{', 26, &sym, False, omit_zero_balances, ts,
                        logged_on)

    cdef int _ref_frame(self, WriteBuffer buf, const Text *rid, bint quoted, const char *method,
                        Py_ssize_t mlen, Ref *r, bint with_new, bint logged_on) except -1:
        self._open(buf, rid, quoted, method, mlen)
        self._auth(buf, logged_on)
        # sorted: apiKey newClientOrderId orderId origClientOrderId recvWindow symbol timestamp
        if with_new and r.has_new:
            self._str(buf, b"newClientOrderId", 16, &r.newid)
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
                     orig_client_order_id=None, new_client_order_id=None, bint logged_on=False):
        cdef Ref r
        cdef char tmp[20]
        cdef Text rid
        cdef bint quoted = request_id_text(request_id, tmp, &rid)
        parse_ref(&r, symbol, timestamp, order_id, orig_client_order_id, new_client_order_id)
        self._ref_frame(buf, &rid, quoted, b'order.cancel","params":{', 24, &r, True, logged_on)

    def order_status(self, WriteBuffer buf, request_id, symbol, *, timestamp, order_id=None,
                     orig_client_order_id=None, bint logged_on=False):
        cdef Ref r
        cdef char tmp[20]
        cdef Text rid
        cdef bint quoted = request_id_text(request_id, tmp, &rid)
        parse_ref(&r, symbol, timestamp, order_id, orig_client_order_id, None)
        self._ref_frame(buf, &rid, quoted, b'order.status","params":{', 24, &r, False, logged_on)

    def session_logon(self, WriteBuffer buf, request_id, *, timestamp):
        cdef char tmp[20]
        cdef Text rid
        cdef bint quoted = request_id_text(request_id, tmp, &rid)
        cdef int64_t ts = int_in(timestamp, 1, _MAX_I64, "timestamp")
        self._open(buf, &rid, quoted, b'session.logon","params":{', 25)
        self._auth(buf, False)
        if self.recv_window is not None:
            self._num(buf, b"recvWindow", 10, <uint64_t>self._recv)
        self._num(buf, b"timestamp", 9, <uint64_t>ts)
        self._close(buf, True)

    def ping(self, WriteBuffer buf, request_id):
        cdef char tmp[20]
        cdef Text rid
        cdef bint quoted = request_id_text(request_id, tmp, &rid)
        self._open(buf, &rid, quoted, b'ping"}', 6)

    def time(self, WriteBuffer buf, request_id):
        cdef char tmp[20]
        cdef Text rid
        cdef bint quoted = request_id_text(request_id, tmp, &rid)
        self._open(buf, &rid, quoted, b'time"}', 6)
