"""Binance Spot encoders: REST signed query strings and WebSocket API frames (contract: binance.pyi).

Every argument is parsed and checked into a C struct first; only then is a byte written, so a refused order
leaves the caller's buffer as it was.
"""

from libc.stdint cimport int64_t, uint64_t

from fastorder._core.binance_base cimport (
    OrderCore,
    Ref,
    RestSigned,
    WsSigned,
    need as _need,
    need_limit,
    parse_core,
    parse_ref,
    parse_stop_resp,
    parse_sym,
    request_id_text,
    rest_dec as _rest_dec,
)
from fastorder._core.buffer cimport WriteBuffer
from fastorder._core.csrc cimport fo_dec
from fastorder._core.numbers cimport SymbolRules, parse_number
from fastorder._core.wire cimport CC_CLID, Text, enum_text, int_in, put_pct, put_text, symbol_text, token

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
    OrderCore c
    Text stp
    bint has_qqty, has_stp
    fo_dec qqty

cdef struct Amend:          # order.amend.keepPriority: which order, its new quantity
    Ref r
    fo_dec qty
    int qty_frac


cdef int parse_order(Order *o, symbol, side, type, client_order_id, timestamp, quantity, price,
                     time_in_force, quote_order_qty, stop_price, resp_type, SymbolRules rules,
                     stp=None) except -1:
    parse_core(&o.c, symbol, side, _SIDES, type, _TYPES, client_order_id, timestamp, quantity, price, time_in_force,
               _TIFS, rules)
    o.has_qqty = quote_order_qty is not None
    if o.has_qqty:
        parse_number(quote_order_qty, &o.qqty, "quote_order_qty")
    parse_stop_resp(&o.c, stop_price, resp_type, _RESP, rules)
    o.has_stp = stp is not None
    if o.has_stp:
        enum_text(stp, _STP, "stp", &o.stp)
    # per-type mandatory parameters (rest-api.md "New order", additional mandatory parameters)
    if type == "LIMIT":
        need_limit(&o.c)
    elif type == "MARKET":
        _need(o.c.has_qty != o.has_qqty, "quantity", "MARKET orders need exactly one of quantity and quote_order_qty")
        _need(not o.c.has_price, "price", "MARKET orders take no price")
        _need(not o.c.has_tif, "time_in_force", "MARKET orders take no time_in_force")
    elif type == "LIMIT_MAKER":
        _need(o.c.has_qty, "quantity", "LIMIT_MAKER orders need quantity")
        _need(o.c.has_price, "price", "LIMIT_MAKER orders need price")
        _need(not o.c.has_tif, "time_in_force", "LIMIT_MAKER orders take no time_in_force")
    elif type == "STOP_LOSS" or type == "TAKE_PROFIT":
        _need(o.c.has_qty, "quantity", f"{type} orders need quantity")
        _need(o.c.has_stop, "stop_price", f"{type} orders need stop_price")
    else:  # STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT
        _need(o.c.has_tif, "time_in_force", f"{type} orders need time_in_force")
        _need(o.c.has_qty, "quantity", f"{type} orders need quantity")
        _need(o.c.has_price, "price", f"{type} orders need price")
        _need(o.c.has_stop, "stop_price", f"{type} orders need stop_price")
    _need(not o.has_qqty or type == "MARKET", "quote_order_qty", "quote_order_qty is only for MARKET orders")
    _need(not o.c.has_stop or type in _STOP_TYPES, "stop_price",
          "stop_price is only for STOP_LOSS* and TAKE_PROFIT* orders")
    if rules is not None and o.c.has_price and o.c.has_qty:
        rules.check_notional_dec(&o.c.price, &o.c.qty)
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


# --------------------------------------------------------------------------------------------------------
# REST
# --------------------------------------------------------------------------------------------------------

cdef class BinanceRest(RestSigned):
    def __init__(self, str api_key, signer, *, str host="api.binance.com", recv_window=None, user_agent=None):
        super().__init__(api_key, signer, host, recv_window, user_agent)

    cdef int _new(self, WriteBuffer b, Order *o, Ref *cr=NULL) except -1:
        """A new order's params; with `cr`, a cancel-replace's (cancelReplaceMode after type, the cancelled
        order's ids after stopPrice; rest-api.md "Cancel an Existing Order and Send a New Order")."""
        cdef Py_ssize_t start = b.length
        b.put(b"symbol=", 7)
        put_pct(b, &o.c.symbol)
        b.put(b"&side=", 6)
        put_text(b, &o.c.side)
        b.put(b"&type=", 6)
        put_text(b, &o.c.type)
        if cr != NULL:
            b.put(b"&cancelReplaceMode=STOP_ON_FAILURE", 34)
        if o.c.has_tif:
            b.put(b"&timeInForce=", 13)
            put_text(b, &o.c.tif)
        if o.c.has_qty:
            _rest_dec(b, b"&quantity=", 10, &o.c.qty, o.c.qty_frac)
        if o.has_qqty:
            _rest_dec(b, b"&quoteOrderQty=", 15, &o.qqty, 0)
        if o.c.has_price:
            _rest_dec(b, b"&price=", 7, &o.c.price, o.c.price_frac)
        if o.c.has_stop:
            _rest_dec(b, b"&stopPrice=", 11, &o.c.stop, o.c.price_frac)
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
        if o.c.has_clid:
            b.put(b"&newClientOrderId=", 18)
            put_text(b, &o.c.clid)
        if o.c.has_resp:
            b.put(b"&newOrderRespType=", 18)
            put_text(b, &o.c.resp)
        if o.has_stp:
            b.put(b"&selfTradePreventionMode=", 25)
            put_text(b, &o.stp)
        self._recv_ts(b, o.c.ts)
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

cdef class BinanceWs(WsSigned):
    def __init__(self, str api_key, signer, *, recv_window=None):
        super().__init__(api_key, signer, recv_window)

    def order_place(self, WriteBuffer buf, request_id, symbol, side, type, *, client_order_id, timestamp,
                    quantity=None, price=None, time_in_force=None, quote_order_qty=None, stop_price=None,
                    resp_type=None, SymbolRules rules=None, bint logged_on=False, stp=None):
        cdef Order o
        cdef char tmp[20]
        cdef Text rid
        cdef bint quoted = request_id_text(request_id, tmp, &rid)
        parse_order(&o, symbol, side, type, client_order_id, timestamp, quantity, price, time_in_force,
                    quote_order_qty, stop_price, resp_type, rules, stp)
        self._open(buf, &rid, quoted, b'order.place","params":{', 23, logged_on)
        self._order_params(buf, &o, NULL)
        self._close(buf, not logged_on)

    cdef int _order_params(self, WriteBuffer buf, Order *o, Ref *cr) except -1:
        # sorted by name (ASCII): apiKey [cancelOrderId cancelOrigClientOrderId cancelReplaceMode]
        # newClientOrderId newOrderRespType price quantity quoteOrderQty recvWindow selfTradePreventionMode side
        # stopPrice symbol timeInForce timestamp type
        cdef Text mode
        if cr != NULL:
            if cr.has_oid:
                self._raw(buf, b"cancelOrderId", 13, &cr.oid)
            if cr.has_orig:
                self._str(buf, b"cancelOrigClientOrderId", 23, &cr.orig)
            mode.p = b"STOP_ON_FAILURE"
            mode.n = 15
            self._str(buf, b"cancelReplaceMode", 17, &mode)
            if cr.has_restr:
                self._str(buf, b"cancelRestrictions", 18, &cr.restr)
        if o.c.has_clid:
            self._str(buf, b"newClientOrderId", 16, &o.c.clid)
        if o.c.has_resp:
            self._str(buf, b"newOrderRespType", 16, &o.c.resp)
        if o.c.has_price:
            self._dec(buf, b"price", 5, &o.c.price, o.c.price_frac)
        if o.c.has_qty:
            self._dec(buf, b"quantity", 8, &o.c.qty, o.c.qty_frac)
        if o.has_qqty:
            self._dec(buf, b"quoteOrderQty", 13, &o.qqty, 0)
        if self.recv_window is not None:
            self._num(buf, b"recvWindow", 10, <uint64_t>self._recv)
        if o.has_stp:
            self._str(buf, b"selfTradePreventionMode", 23, &o.stp)
        self._str(buf, b"side", 4, &o.c.side)
        if o.c.has_stop:
            self._dec(buf, b"stopPrice", 9, &o.c.stop, o.c.price_frac)
        self._str(buf, b"symbol", 6, &o.c.symbol)
        if o.c.has_tif:
            self._str(buf, b"timeInForce", 11, &o.c.tif)
        self._num(buf, b"timestamp", 9, <uint64_t>o.c.ts)
        return self._str(buf, b"type", 4, &o.c.type)

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
        self._open(buf, &rid, quoted, b'order.cancelReplace","params":{', 31, logged_on)
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
        self._open(buf, &rid, quoted, b'order.amend.keepPriority","params":{', 36, logged_on)
        # sorted: apiKey newClientOrderId newQty orderId origClientOrderId recvWindow symbol timestamp
        if a.r.has_new:
            self._str(buf, b"newClientOrderId", 16, &a.r.newid)
        self._dec(buf, b"newQty", 6, &a.qty, a.qty_frac)
        if a.r.has_oid:
            self._raw(buf, b"orderId", 7, &a.r.oid)
        if a.r.has_orig:
            self._str(buf, b"origClientOrderId", 17, &a.r.orig)
        if self.recv_window is not None:
            self._num(buf, b"recvWindow", 10, <uint64_t>self._recv)
        self._str(buf, b"symbol", 6, &a.r.symbol)
        self._num(buf, b"timestamp", 9, <uint64_t>a.r.ts)
        self._close(buf, not logged_on)

    cdef int _sym_frame(self, WriteBuffer buf, const Text *rid, bint quoted, const char *method, Py_ssize_t mlen,
                        Text *sym, bint has_sym, bint omit_zero, int64_t ts, bint logged_on) except -1:
        self._open(buf, rid, quoted, method, mlen, logged_on)
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

    def ping(self, WriteBuffer buf, request_id):
        cdef char tmp[20]
        cdef Text rid
        cdef bint quoted = request_id_text(request_id, tmp, &rid)
        self._open(buf, &rid, quoted, b'ping"}', 6, True)

    def time(self, WriteBuffer buf, request_id):
        cdef char tmp[20]
        cdef Text rid
        cdef bint quoted = request_id_text(request_id, tmp, &rid)
        self._open(buf, &rid, quoted, b'time"}', 6, True)
