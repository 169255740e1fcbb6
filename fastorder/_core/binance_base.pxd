# What the Binance Spot and USDⓈ-M futures encoders share (fastorder/_core/binance.pyx, binance_futures.pyx):
# the signed-request plumbing (key, signer, recvWindow, the HTTP suffix, &signature=, the WS frame with its
# signed text) and the order-reference parsing. Both venues sign the same way and name these parameters alike;
# only the paths and the order parameters differ, and those stay in each encoder.
from libc.stdint cimport int64_t, uint64_t

from fastorder._core.buffer cimport WriteBuffer
from fastorder._core.csrc cimport fo_dec, fo_dec_write, fo_u64_write
from fastorder._core.numbers cimport SymbolRules, parse_number, put_dec
from fastorder._core.sign cimport SHA256_CTX, SIG_B64_URL, SIG_HEX, sign_into
from fastorder._core.wire cimport (
    CC_CLID,
    Text,
    enum_text,
    id_text,
    int_in,
    put_quoted,
    put_text,
    symbol_text,
    token,
)

cdef struct OrderCore:      # what every new order carries (each encoder's Order holds one as `c`)
    Text symbol, side, type, tif, clid, resp
    bint has_tif, has_clid, has_resp, has_qty, has_price, has_stop
    fo_dec qty, price, stop
    int qty_frac, price_frac
    int64_t ts

cdef struct Ref:            # cancel / status / amend: which order
    Text symbol, orig, newid
    char oid_buf[20]
    Text oid
    bint has_oid, has_orig, has_new, has_restr
    Text restr               # spot cancel-replace: cancelRestrictions
    int64_t ts

# InvalidOrder(why, field=field) (the refusal path: not inlined)
cdef int invalid(str why, str field) except -1

# Inline (compiled into each encoder): these run on every order, where a call into another module costs.
cdef inline int need(bint ok, str field, str why) except -1:
    if not ok:
        return invalid(why, field)
    return 0


# symbol side type client_order_id timestamp quantity price time_in_force, in that order, against the encoder's sets
cdef inline int parse_core(OrderCore *o, symbol, side, sides, otype, types, client_order_id, timestamp, quantity, price,
                    time_in_force, tifs, SymbolRules rules) except -1:
    symbol_text(symbol, "symbol", &o.symbol)
    enum_text(side, sides, "side", &o.side)
    enum_text(otype, types, "type", &o.type)
    o.has_clid = client_order_id is not None
    if o.has_clid:
        token(client_order_id, CC_CLID, 36, "client_order_id", &o.clid)
    o.ts = int_in(timestamp, 1, 0x7FFFFFFFFFFFFFFF, "timestamp")
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
        enum_text(time_in_force, tifs, "time_in_force", &o.tif)
    return 0


# stop_price, resp_type (parsed after the encoder's own fields)
cdef inline int parse_stop_resp(OrderCore *o, stop_price, resp_type, resps, SymbolRules rules) except -1:
    o.has_stop = stop_price is not None
    if o.has_stop:
        parse_number(stop_price, &o.stop, "stop_price")
        if rules is not None:
            rules.check_price(&o.stop, "stop_price")
    o.has_resp = resp_type is not None
    if o.has_resp:
        enum_text(resp_type, resps, "resp_type", &o.resp)
    return 0


# LIMIT: time_in_force, quantity and price
cdef inline int need_limit(const OrderCore *o) except -1:
    need(o.has_tif, "time_in_force", "LIMIT orders need time_in_force")
    need(o.has_qty, "quantity", "LIMIT orders need quantity")
    return need(o.has_price, "price", "LIMIT orders need price")


# a bool flag: True or False, else TypeError
cdef inline bint flag(object value, str name) except -1:
    # identity tests against the two bools (a caller's `type` argument may shadow the builtin)
    if value is True:
        return True
    if value is False:
        return False
    raise TypeError(f"{name} must be bool, not {value.__class__.__name__}")


cdef inline int parse_ref(Ref *r, symbol, timestamp, order_id, orig_client_order_id, new_client_order_id) except -1:
    symbol_text(symbol, "symbol", &r.symbol)
    r.ts = int_in(timestamp, 1, 0x7FFFFFFFFFFFFFFF, "timestamp")
    r.has_oid = order_id is not None
    if r.has_oid:
        int_in(order_id, 0, 0x7FFFFFFFFFFFFFFF, "order_id")
        id_text(order_id, "order_id", r.oid_buf, &r.oid)
    r.has_orig = orig_client_order_id is not None
    if r.has_orig:
        token(orig_client_order_id, CC_CLID, 36, "orig_client_order_id", &r.orig)
    r.has_new = new_client_order_id is not None
    if r.has_new:
        token(new_client_order_id, CC_CLID, 36, "new_client_order_id", &r.newid)
    need(r.has_oid or r.has_orig, "order_id", "give order_id or orig_client_order_id")
    r.has_restr = False
    return 0


cdef inline int parse_sym(Text *t, bint *has, symbol, bint optional) except -1:
    has[0] = symbol is not None or not optional
    if has[0]:
        symbol_text(symbol, "symbol", t)
    return 0


# Validate a WS request id into `t` (`tmp` holds an int's digits); True when it is a string (written quoted).
cdef inline bint request_id_text(object request_id, char *tmp, Text *t) except -1:
    if type(request_id) is int:
        int_in(request_id, 0, 0x7FFFFFFFFFFFFFFF, "request_id")
        id_text(request_id, "request_id", tmp, t)
        return False
    token(request_id, CC_CLID, 36, "request_id", t)
    return True


cdef inline int rest_dec(WriteBuffer b, const char *name, Py_ssize_t nlen, const fo_dec *v, int frac) except -1:
    b.put(name, nlen)
    return put_dec(b, v, frac)


cdef class Signed:
    """The key, the signer, recvWindow."""
    cdef readonly str api_key
    cdef object signer
    cdef bint _ed25519
    cdef Text _key
    cdef readonly object recv_window
    cdef int64_t _recv


cdef class RestSigned(Signed):
    """Query-string requests: params, recvWindow, timestamp, &signature=, then the header suffix."""
    cdef readonly str host
    cdef bytes _sfx_body      # " HTTP/1.1\r\nHost: …\r\nX-MBX-APIKEY: …\r\nContent-Length: 0\r\n\r\n"
    cdef bytes _sfx_nobody    # same without Content-Length (GET)

    # append &signature= over [start, here)
    cdef inline int _tail(self, WriteBuffer b, Py_ssize_t start) except -1:
        cdef Py_ssize_t end = b.length
        b.put(b"&signature=", 11)
        return sign_into(self.signer, b.data + start, end - start, b, SIG_B64_URL if self._ed25519 else SIG_HEX)

    # &recvWindow= (when set) &timestamp=
    cdef inline int _recv_ts(self, WriteBuffer b, int64_t ts) except -1:
        if self.recv_window is not None:
            b.put(b"&recvWindow=", 12)
            b.put_u64(<uint64_t>self._recv)
        b.put(b"&timestamp=", 11)
        return b.put_u64(<uint64_t>ts)

    # the same, without the leading '&' when nothing precedes them since `start`
    cdef int _recv_ts0(self, WriteBuffer b, Py_ssize_t start, int64_t ts) except -1
    # symbol orderId origClientOrderId [newClientOrderId] recvWindow timestamp signature
    cdef int _ref(self, WriteBuffer b, Ref *r, bint with_new) except -1
    # head + [symbol=…] + recvWindow/timestamp/signature + suffix
    cdef int _sym_only(self, WriteBuffer buf, const char *head, Py_ssize_t hlen, Text *sym, bint has_sym,
                       int64_t ts, bint body) except -1


cdef class WsSigned(Signed):
    """WebSocket API frames: each parameter written twice, '"name":value' into the frame and 'name=value' into
    the signed text (sorted by name by the caller)."""
    cdef WriteBuffer _sg      # scratch for the signed text; reused, never shared
    # HMAC keys: the inner hash state after "apiKey=<key>", the constant start of every signed text, so each
    # request hashes only what follows it (one SHA-256 block fewer). As secret as the key; never exposed.
    cdef SHA256_CTX _key_ctx
    cdef Py_ssize_t _prefix_len

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

    cdef inline int _raw(self, WriteBuffer js, const char *name, Py_ssize_t n, const Text *v) except -1:
        """An unquoted value (an order id, true)."""
        self._name(js, name, n)
        put_text(js, v)
        return put_text(self._sg, v)

    cdef inline int _num(self, WriteBuffer js, const char *name, Py_ssize_t n, uint64_t v) except -1:
        cdef char tmp[20]
        cdef Text t
        t.p = tmp
        t.n = fo_u64_write(v, tmp)
        return self._raw(js, name, n, &t)

    cdef inline int _dec(self, WriteBuffer js, const char *name, Py_ssize_t n, const fo_dec *v, int frac) except -1:
        cdef char tmp[64]
        cdef Text t
        t.p = tmp
        t.n = fo_dec_write(v, frac, tmp)
        return self._str(js, name, n, &t)

    # '{"id":…,"method":"<method>' then, unless logged on, apiKey; starts a new signed text
    cdef int _open(self, WriteBuffer js, const Text *rid, bint quoted, const char *method, Py_ssize_t mlen,
                   bint logged_on) except -1
    # ',"signature":"…"' when signed, then '}}'
    cdef int _close(self, WriteBuffer js, bint signed) except -1
    # recvWindow (when set), timestamp
    cdef int _recv_ts(self, WriteBuffer js, int64_t ts) except -1
    # a whole order-reference frame: apiKey [newClientOrderId] orderId origClientOrderId recvWindow symbol
    # timestamp
    cdef int _ref_frame(self, WriteBuffer buf, const Text *rid, bint quoted, const char *method,
                        Py_ssize_t mlen, Ref *r, bint with_new, bint logged_on) except -1
