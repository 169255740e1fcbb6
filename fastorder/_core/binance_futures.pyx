"""Binance USDⓈ-M futures encoders: REST `/fapi/v1/*` signed query strings and WebSocket API (`/ws-fapi/v1`)
frames (contract: binance_futures.pyi; sources: docs/venues/binance-futures.md).

Its own module, beside the spot one: the futures order carries positionSide / reduceOnly / closePosition, other
order types and post-only as timeInForce=GTX, and goes to other paths. Every argument is parsed and checked into
a C struct first; only then is a byte written, so a refused order leaves the caller's buffer as it was.
"""

from libc.stdint cimport int64_t, uint64_t

from fastorder._core.binance_base cimport (
    OrderCore,
    Ref,
    RestSigned,
    WsSigned,
    flag,
    need as _need,
    need_limit,
    parse_core,
    parse_ref,
    parse_stop_resp,
    request_id_text,
    rest_dec as _rest_dec,
)
from fastorder._core.buffer cimport WriteBuffer
from fastorder._core.numbers cimport SymbolRules, parse_number
from fastorder._core.csrc cimport fo_dec
from fastorder._core.wire cimport CC_CLID, CC_SYMBOL, Text, enum_text, int_in, put_pct, put_text, symbol_text, token

from fastorder.errors import InvalidOrder

_SIDES = frozenset(("BUY", "SELL"))
_TYPES = frozenset(("LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET"))
_TIFS = frozenset(("GTC", "IOC", "FOK", "GTX"))
_RESP = frozenset(("ACK", "RESULT"))
_PSIDES = frozenset(("BOTH", "LONG", "SHORT"))
_METHODS = frozenset(("GET", "POST", "DELETE", "PUT"))

cdef int64_t _MAX_I64 = 0x7FFFFFFFFFFFFFFF

cdef struct Order:
    OrderCore c
    Text pside
    bint has_pside, reduce_only, close_position

cdef struct Modify:        # order.modify / PUT /fapi/v1/order: which order, its side, the new quantity and price
    Ref ref
    Text side
    fo_dec qty, price
    int qty_frac, price_frac


cdef int parse_order(Order *o, symbol, side, type, client_order_id, timestamp, quantity, price, time_in_force,
                     position_side, reduce_only, close_position, stop_price, resp_type,
                     SymbolRules rules) except -1:
    parse_core(&o.c, symbol, side, _SIDES, type, _TYPES, client_order_id, timestamp, quantity, price, time_in_force,
               _TIFS, rules)
    o.has_pside = position_side is not None
    if o.has_pside:
        enum_text(position_side, _PSIDES, "position_side", &o.pside)
    o.reduce_only = flag(reduce_only, "reduce_only")
    o.close_position = flag(close_position, "close_position")
    parse_stop_resp(&o.c, stop_price, resp_type, _RESP, rules)
    # per-type mandatory parameters (New Order (TRADE), "Additional mandatory parameters based on type")
    if type == "LIMIT":
        need_limit(&o.c)
    elif type == "MARKET":
        _need(o.c.has_qty, "quantity", "MARKET orders need quantity")
        _need(not o.c.has_price, "price", "MARKET orders take no price")
        _need(not o.c.has_tif, "time_in_force", "MARKET orders take no time_in_force")
    elif type == "STOP" or type == "TAKE_PROFIT":
        _need(o.c.has_qty, "quantity", f"{type} orders need quantity")
        _need(o.c.has_price, "price", f"{type} orders need price")
        _need(o.c.has_stop, "stop_price", f"{type} orders need stop_price")
    else:   # STOP_MARKET, TAKE_PROFIT_MARKET
        _need(o.c.has_stop, "stop_price", f"{type} orders need stop_price")
        _need(o.c.has_qty != o.close_position, "quantity",
              f"{type} orders need exactly one of quantity and close_position")
        _need(not o.c.has_price, "price", f"{type} orders take no price")
    # the rare combinations, each tested only when its flag is set (the common order pays one test per flag)
    if o.c.has_stop and (type == "LIMIT" or type == "MARKET"):
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
    if rules is not None and o.c.has_price and o.c.has_qty and not o.reduce_only:
        rules.check_notional_dec(&o.c.price, &o.c.qty)   # MIN_NOTIONAL does not apply to reduce-only (-4164)
    return 0


cdef int parse_modify(Modify *m, symbol, side, timestamp, order_id, orig_client_order_id, quantity, price,
                      SymbolRules rules) except -1:
    parse_ref(&m.ref, symbol, timestamp, order_id, orig_client_order_id, None)
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


# --------------------------------------------------------------------------------------------------------
# REST
# --------------------------------------------------------------------------------------------------------

cdef class BinanceFuturesRest(RestSigned):
    def __init__(self, str api_key, signer, *, str host="fapi.binance.com", recv_window=None, user_agent=None):
        super().__init__(api_key, signer, host, recv_window, user_agent)

    cdef int _new(self, WriteBuffer b, Order *o) except -1:
        # the documented parameter order: symbol side positionSide type timeInForce quantity reduceOnly price
        # newClientOrderId stopPrice closePosition newOrderRespType recvWindow timestamp
        cdef Py_ssize_t start = b.length
        b.put(b"symbol=", 7)
        put_pct(b, &o.c.symbol)
        b.put(b"&side=", 6)
        put_text(b, &o.c.side)
        if o.has_pside:
            b.put(b"&positionSide=", 14)
            put_text(b, &o.pside)
        b.put(b"&type=", 6)
        put_text(b, &o.c.type)
        if o.c.has_tif:
            b.put(b"&timeInForce=", 13)
            put_text(b, &o.c.tif)
        if o.c.has_qty:
            _rest_dec(b, b"&quantity=", 10, &o.c.qty, o.c.qty_frac)
        if o.reduce_only:
            b.put(b"&reduceOnly=true", 16)
        if o.c.has_price:
            _rest_dec(b, b"&price=", 7, &o.c.price, o.c.price_frac)
        if o.c.has_clid:
            b.put(b"&newClientOrderId=", 18)
            put_text(b, &o.c.clid)
        if o.c.has_stop:
            _rest_dec(b, b"&stopPrice=", 11, &o.c.stop, o.c.price_frac)
        if o.close_position:
            b.put(b"&closePosition=true", 19)
        if o.c.has_resp:
            b.put(b"&newOrderRespType=", 18)
            put_text(b, &o.c.resp)
        self._recv_ts(b, o.c.ts)
        return self._tail(b, start)

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
        parse_ref(&r, symbol, timestamp, order_id, orig_client_order_id, None)
        buf.put(head, hlen)
        self._ref(buf, &r, False)
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
        self._recv_ts(buf, m.ref.ts)
        self._tail(buf, start)
        buf.put_bytes_obj(self._sfx_body)

    cdef list _checked(self, str method, str path, params):
        """(name, value) pairs of a signed request, every one checked before a byte is written."""
        cdef Text t
        if method not in _METHODS:
            raise InvalidOrder(f"method must be one of {sorted(_METHODS)}", field="method")
        if not path.startswith("/fapi/") or not path.isascii() or "?" in path or " " in path:
            raise InvalidOrder("path must be a /fapi/ path without a query", field="path")
        pairs = [(n, v) for n, v in params]
        for n, v in pairs:
            token(n, CC_SYMBOL, 64, "param", &t)
            token(v, CC_SYMBOL, 64, n, &t)
        return pairs

    cdef Py_ssize_t _pairs(self, WriteBuffer buf, str method, str path, list pairs) except -1:
        buf.put_bytes_obj(f"{method} {path}?".encode("ascii"))
        cdef Py_ssize_t start = buf.length
        for n, v in pairs:
            if buf.length > start:
                buf.put_byte(b'&')
            buf.put_bytes_obj(f"{n}={v}".encode("ascii"))
        return start

    def signed_request(self, WriteBuffer buf, str method, str path, params, *, timestamp):
        """Any other signed endpoint (positions, leverage, margin type, open orders, position mode): `params`
        a sequence of (name, value) str pairs, each ^[A-Za-z0-9._-]{1,64}$, written in that order."""
        cdef int64_t ts = int_in(timestamp, 1, _MAX_I64, "timestamp")
        pairs = self._checked(method, path, params)
        cdef Py_ssize_t start = self._pairs(buf, method, path, pairs)
        self._recv_ts0(buf, start, ts)   # without a leading '&' when there are no params
        self._tail(buf, start)
        buf.put_bytes_obj(self._sfx_nobody if method == "GET" else self._sfx_body)

    def list_request(self, WriteBuffer buf, str method, str path, params, str list_name, bytes list_json, *,
                     timestamp):
        """A signed request whose last parameter is a JSON list (batchOrders, orderIdList,
        origClientOrderIdList), percent-encoded: `params` as for signed_request, then list_name=<list_json>.
        list_json: printable ASCII, '[' ... ']', at most 16384 bytes."""
        cdef int64_t ts = int_in(timestamp, 1, _MAX_I64, "timestamp")
        cdef Text t
        cdef Py_ssize_t i, n = len(list_json)
        pairs = self._checked(method, path, params)
        token(list_name, CC_SYMBOL, 64, "list_name", &t)
        if n < 2 or n > 16384 or list_json[0] != 0x5B or list_json[n - 1] != 0x5D:
            raise InvalidOrder("list_json must be a JSON list of at most 16384 bytes", field=list_name)
        for i in range(n):
            if list_json[i] < 0x20 or list_json[i] > 0x7E:
                raise InvalidOrder("list_json must be printable ASCII", field=list_name)
        cdef Py_ssize_t start = self._pairs(buf, method, path, pairs)
        if buf.length > start:
            buf.put_byte(b'&')
        buf.put_bytes_obj(list_name.encode("ascii"))
        buf.put_byte(b'=')
        t.p = <const char *>list_json
        t.n = n
        put_pct(buf, &t)
        self._recv_ts(buf, ts)
        self._tail(buf, start)
        buf.put_bytes_obj(self._sfx_nobody if method == "GET" else self._sfx_body)


# --------------------------------------------------------------------------------------------------------
# WebSocket API
# --------------------------------------------------------------------------------------------------------

cdef class BinanceFuturesWs(WsSigned):
    def __init__(self, str api_key, signer, *, recv_window=None):
        super().__init__(api_key, signer, recv_window)

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
        if o.c.has_clid:
            self._str(buf, b"newClientOrderId", 16, &o.c.clid)
        if o.c.has_resp:
            self._str(buf, b"newOrderRespType", 16, &o.c.resp)
        if o.has_pside:
            self._str(buf, b"positionSide", 12, &o.pside)
        if o.c.has_price:
            self._dec(buf, b"price", 5, &o.c.price, o.c.price_frac)
        if o.c.has_qty:
            self._dec(buf, b"quantity", 8, &o.c.qty, o.c.qty_frac)
        if self.recv_window is not None:
            self._num(buf, b"recvWindow", 10, <uint64_t>self._recv)
        if o.reduce_only:
            self._lit(buf, b"reduceOnly", 10, b"true", 4)
        self._str(buf, b"side", 4, &o.c.side)
        if o.c.has_stop:
            self._dec(buf, b"stopPrice", 9, &o.c.stop, o.c.price_frac)
        self._str(buf, b"symbol", 6, &o.c.symbol)
        if o.c.has_tif:
            self._str(buf, b"timeInForce", 11, &o.c.tif)
        self._num(buf, b"timestamp", 9, <uint64_t>o.c.ts)
        self._str(buf, b"type", 4, &o.c.type)
        self._close(buf, not logged_on)

    def order_cancel(self, WriteBuffer buf, request_id, symbol, *, timestamp, order_id=None,
                     orig_client_order_id=None, bint logged_on=False):
        cdef Ref r
        cdef char tmp[20]
        cdef Text rid
        cdef bint quoted = request_id_text(request_id, tmp, &rid)
        parse_ref(&r, symbol, timestamp, order_id, orig_client_order_id, None)
        self._ref_frame(buf, &rid, quoted, b'order.cancel","params":{', 24, &r, False, logged_on)

    def order_status(self, WriteBuffer buf, request_id, symbol, *, timestamp, order_id=None,
                     orig_client_order_id=None, bint logged_on=False):
        cdef Ref r
        cdef char tmp[20]
        cdef Text rid
        cdef bint quoted = request_id_text(request_id, tmp, &rid)
        parse_ref(&r, symbol, timestamp, order_id, orig_client_order_id, None)
        self._ref_frame(buf, &rid, quoted, b'order.status","params":{', 24, &r, False, logged_on)

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
            self._raw(buf, b"orderId", 7, &m.ref.oid)
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
