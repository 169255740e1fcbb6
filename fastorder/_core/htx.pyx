"""HTX Spot REST encoders with Signature Version 2 (contract: htx.pyi)."""

from libc.stdint cimport int64_t, uint64_t

from fastorder._core.buffer cimport WriteBuffer
from fastorder._core.csrc cimport fo_dec, fo_utc_seconds
from fastorder._core.numbers cimport SymbolRules, parse_number, put_dec
from fastorder._core.sign cimport (
    SHA256_CTX,
    SIG_B64_URL,
    Ed25519Signer,
    HmacSha256,
    SHA256_Update,
    put_digest,
    sign_into,
)
from fastorder._core.wire cimport (
    CC_CLID,
    CC_DIGITS,
    CC_LOWER_ALNUM,
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

from decimal import Decimal as _Decimal

from fastorder.errors import InvalidField, InvalidOrder

_TYPES = frozenset(("buy-market", "sell-market", "buy-limit", "sell-limit", "buy-ioc", "sell-ioc",
                    "buy-limit-maker", "sell-limit-maker", "buy-limit-fok", "sell-limit-fok"))
_SOURCES = frozenset(("spot-api", "margin-api", "super-margin-api", "c2c-margin-api"))
_DIRECTS = frozenset(("prev", "next"))
_ORDER_KEYS = frozenset(("symbol", "type", "amount", "client_order_id", "price", "source", "rules",
                         "self_match_prevent"))
BATCH_PLACE_MAX = 10       # POST /v1/order/batch-orders: "A batch contains at most 10 orders"
BATCH_CANCEL_MAX = 50      # POST /v1/order/orders/batchcancel: no more than 50 ids per request
CANCEL_OPEN_MAX = 100      # POST /v1/order/orders/batchCancelOpenOrders: size in [1, 100]
OPEN_ORDERS_MAX = 500      # GET /v1/order/openOrders: size in [1, 500]

cdef int64_t _MAX_I64 = 0x7FFFFFFFFFFFFFFF
cdef int64_t _MAX_S = 253402300799   # 9999-12-31T23:59:59


def htx_timestamp(timestamp_s):
    cdef char out[19]
    fo_utc_seconds(int_in(timestamp_s, 0, _MAX_S, "timestamp_s"), out)
    return out[:19].decode("ascii")


cdef class _HtxSigned:
    """Signature V2 over one host: the auth params, the pre-signed text, the signed request line and headers.
    HtxRest (spot) and HtxSwapRest (USDT-margined swaps) add their endpoints."""
    cdef readonly str access_key
    cdef readonly str host
    cdef object signer
    cdef bytes _auth          # "AccessKeyId=…&SignatureMethod=…&SignatureVersion=2&Timestamp="
    cdef bytes _host_lower    # "\n" + lowercase host + "\n"
    cdef bytes _http_tail     # " HTTP/1.1\r\nHost: …\r\n"
    cdef WriteBuffer _text    # scratch: the pre-signed text
    # HMAC keys: the inner hash state after the constant start of an order's pre-signed text
    # ("POST\nhost\n<order path>\nAccessKeyId=…&Timestamp="), so each order hashes only its
    # timestamp (two SHA-256 blocks fewer). As secret as the key; never exposed.
    cdef SHA256_CTX _place_ctx
    cdef bint _place_ready
    cdef Py_ssize_t _place_prefix_len
    cdef WriteBuffer _body    # scratch: the JSON body (its length goes in a header before it)

    cdef int _setup(self, str access_key, signer, str host, user_agent) except -1:
        cdef Text t, h
        credential(access_key, "access_key", &t)
        if type(signer) is HmacSha256:
            method = "HmacSHA256"
        elif type(signer) is Ed25519Signer:
            method = "Ed25519"
        else:
            raise TypeError(f"signer must be HmacSha256 or Ed25519Signer, not {type(signer).__name__}")
        host_text(host, &h)
        self.access_key = access_key
        self.host = host
        self.signer = signer
        self._auth = f"AccessKeyId={access_key}&SignatureMethod={method}&SignatureVersion=2&Timestamp=".encode("ascii")
        self._host_lower = ("\n" + host.lower() + "\n").encode("ascii")
        self._http_tail = f" HTTP/1.1\r\nHost: {host}\r\n{user_agent_line(user_agent)}".encode("ascii")
        self._text = WriteBuffer()
        self._body = WriteBuffer()
        return 0

    cdef int _prepare_place(self, bytes path) except -1:
        """The HMAC state after the constant start of a POST to `path` (the order path)."""
        cdef bytes prefix = b"POST" + self._host_lower + path + b"\n" + self._auth
        if type(self.signer) is HmacSha256:
            (<HmacSha256>self.signer).begin(&self._place_ctx)
            SHA256_Update(&self._place_ctx, <const char *>prefix, <size_t>len(prefix))
            self._place_prefix_len = len(prefix)
            self._place_ready = True
        return 0

    def __reduce__(self):
        raise TypeError(f"{type(self).__name__} is not picklable (it holds a signer)")

    cdef int _query(self, WriteBuffer q, int64_t ts, const Text *clid) except -1:
        """The sorted, encoded params: auth params, then clientOrderId when given."""
        cdef char t[19]
        fo_utc_seconds(ts, t)
        q.put_bytes_obj(self._auth)
        # 'YYYY-MM-DDThh:mm:ss' with ':' percent-encoded as HTX signs it
        q.put(t, 13)
        q.put(b"%3A", 3)
        q.put(t + 14, 2)
        q.put(b"%3A", 3)
        q.put(t + 17, 2)
        if clid is not NULL:
            q.put(b"&clientOrderId=", 15)
            put_text(q, clid)   # [A-Za-z0-9_-]: nothing to percent-encode
        return 0

    cdef int _request(self, WriteBuffer b, const char *method, Py_ssize_t mlen, const char *path,
                      Py_ssize_t plen, int64_t ts, const Text *clid, WriteBuffer body, bint place=False,
                      bytes extra=None) except -1:
        cdef WriteBuffer txt = self._text
        cdef SHA256_CTX ctx
        cdef unsigned char d[32]
        cdef Py_ssize_t qstart
        txt.length = 0
        txt.put(method, mlen)
        txt.put_bytes_obj(self._host_lower)
        txt.put(path, plen)
        txt.put_byte(b'\n')
        qstart = txt.length
        self._query(txt, ts, clid)
        if extra is not None:   # more query params, already sorted after the auth ones and encoded
            txt.put_bytes_obj(extra)
        b.put(method, mlen)
        b.put_byte(b' ')
        b.put(path, plen)
        b.put_byte(b'?')
        b.put(txt.data + qstart, txt.length - qstart)
        b.put(b"&Signature=", 11)
        if place and self._place_ready:   # continue from the prepared state: only the timestamp is new
            ctx = self._place_ctx
            SHA256_Update(&ctx, txt.data + self._place_prefix_len, <size_t>(txt.length - self._place_prefix_len))
            (<HmacSha256>self.signer).finish(&ctx, d)
            put_digest(b, d, 32, SIG_B64_URL)
        else:
            sign_into(self.signer, txt.data, txt.length, b, SIG_B64_URL)
        b.put_bytes_obj(self._http_tail)
        if body is not None:
            b.put(b"Content-Type: application/json\r\nContent-Length: ", 48)
            b.put_u64(<uint64_t>body.length)
            b.put(b"\r\n\r\n", 4)
            b.put(body.data, body.length)
        else:
            b.put(b"\r\n", 2)
        return 0

    def pre_signed_text(self, str method, str path, *, timestamp_s, client_order_id=None):
        cdef Text clid
        cdef int64_t ts = int_in(timestamp_s, 1, _MAX_S, "timestamp_s")
        if client_order_id is not None:
            token(client_order_id, CC_CLID, 64, "client_order_id", &clid)
        cdef WriteBuffer q = WriteBuffer()
        q.put_bytes_obj((method + "\n" + self.host.lower() + "\n" + path + "\n").encode("utf-8"))
        self._query(q, ts, &clid if client_order_id is not None else NULL)
        return q.getvalue().decode("utf-8")


cdef class HtxRest(_HtxSigned):
    cdef readonly str account_id
    cdef bytes _acct          # '{"account-id":"…","amount":"'

    def __init__(self, str access_key, signer, *, account_id, str host="api.huobi.pro", user_agent=None):
        cdef Text t
        cdef char tmp[20]
        self._setup(access_key, signer, host, user_agent)
        id_text(account_id, "account_id", tmp, &t)
        self.account_id = tmp[:t.n].decode("ascii") if type(account_id) is int else account_id
        self._acct = ('{"account-id":"' + self.account_id + '","amount":"').encode("ascii")
        self._prepare_place(b"/v1/order/orders/place")

    def __repr__(self):
        return f"HtxRest(host={self.host!r}, access_key={self.access_key[:4]!r}…)"

    cdef int _order_body(self, WriteBuffer body, symbol, type, amount, client_order_id, price, source,
                         SymbolRules rules, smp) except -1:
        """Append one order's JSON object to `body`, every field checked first."""
        cdef Text sym, typ, clid, src
        cdef fo_dec amt, px
        cdef bint has_px = price is not None
        cdef bint market
        cdef int64_t smp_v = 0
        token(symbol, CC_LOWER_ALNUM, 32, "symbol", &sym)
        enum_text(type, _TYPES, "type", &typ)
        market = type.endswith("-market")
        parse_number(amount, &amt, "amount")
        # buy-market amounts are quote-currency value, not base quantity: no step rule applies to them
        if rules is not None and type != "buy-market":
            rules.check_qty(&amt, "amount")
        token(client_order_id, CC_CLID, 64, "client_order_id", &clid)
        if has_px:
            parse_number(price, &px, "price")
            if rules is not None:
                rules.check_price(&px, "price")
        enum_text(source, _SOURCES, "source", &src)
        if smp is not None:
            smp_v = int_in(smp, 0, 1, "self_match_prevent")
        if market and has_px:
            raise InvalidOrder(f"{type} orders take no price", field="price")
        if not market and not has_px:
            raise InvalidOrder(f"{type} orders need price", field="price")
        if rules is not None and has_px:
            rules.check_notional_dec(&px, &amt)
        cdef int amt_frac = rules.qty_decimals if rules is not None and type != "buy-market" else 0
        body.put_bytes_obj(self._acct)
        put_dec(body, &amt, amt_frac)
        if has_px:
            body.put(b'","price":"', 11)
            put_dec(body, &px, rules.price_decimals if rules is not None else 0)
        body.put(b'","source":', 11)
        put_quoted(body, &src)
        body.put(b',"symbol":', 10)
        put_quoted(body, &sym)
        body.put(b',"type":', 8)
        put_quoted(body, &typ)
        body.put(b',"client-order-id":', 19)
        put_quoted(body, &clid)
        if smp is not None:
            body.put(b',"self-match-prevent":', 22)
            body.put_byte(b'1' if smp_v else b'0')
        body.put_byte(b'}')
        return 0

    def place_order_request(self, WriteBuffer buf, symbol, type, *, amount, client_order_id, timestamp_s,
                            price=None, source="spot-api", SymbolRules rules=None, self_match_prevent=None):
        cdef int64_t ts = int_in(timestamp_s, 1, _MAX_S, "timestamp_s")
        cdef WriteBuffer body = self._body
        body.length = 0
        self._order_body(body, symbol, type, amount, client_order_id, price, source, rules, self_match_prevent)
        self._request(buf, b"POST", 4, b"/v1/order/orders/place", 22, ts, NULL, body, True)

    def batch_orders_request(self, WriteBuffer buf, orders, *, timestamp_s):
        cdef int64_t ts = int_in(timestamp_s, 1, _MAX_S, "timestamp_s")
        cdef WriteBuffer body = self._body
        cdef Py_ssize_t i
        if type(orders) is not list:
            raise TypeError(f"orders must be a list, not {type(orders).__name__}")
        if not 1 <= len(orders) <= BATCH_PLACE_MAX:
            raise InvalidOrder(f"a batch holds 1 to {BATCH_PLACE_MAX} orders, not {len(orders)}", field="orders")
        body.length = 0
        body.put_byte(b'[')
        for i, o in enumerate(orders):
            if type(o) is not dict:
                raise TypeError(f"each order must be a dict, not {type(o).__name__}")
            if not _ORDER_KEYS.issuperset(o):
                raise TypeError(f"unknown order fields: {sorted(set(o) - _ORDER_KEYS)}")
            if "symbol" not in o or "type" not in o or "amount" not in o or "client_order_id" not in o:
                raise TypeError("each order needs symbol, type, amount and client_order_id")
            r = o.get("rules")
            if r is not None and not isinstance(r, SymbolRules):
                raise TypeError(f"rules must be SymbolRules or None, not {type(r).__name__}")
            if i:
                body.put_byte(b',')
            self._order_body(body, o["symbol"], o["type"], o["amount"], o["client_order_id"], o.get("price"),
                             o.get("source", "spot-api"), r, o.get("self_match_prevent"))
        body.put_byte(b']')
        self._request(buf, b"POST", 4, b"/v1/order/batch-orders", 22, ts, NULL, body)

    def batch_cancel_request(self, WriteBuffer buf, *, timestamp_s, order_ids=None, client_order_ids=None):
        cdef int64_t ts = int_in(timestamp_s, 1, _MAX_S, "timestamp_s")
        cdef WriteBuffer body = self._body
        cdef Text t
        cdef char tmp[20]
        cdef Py_ssize_t i
        if (order_ids is None) == (client_order_ids is None):
            raise InvalidOrder("give order_ids or client_order_ids (one of them)", field="order_ids")
        ids = order_ids if order_ids is not None else client_order_ids
        if type(ids) is not list:
            raise TypeError(f"ids must be a list, not {type(ids).__name__}")
        if not 1 <= len(ids) <= BATCH_CANCEL_MAX:
            raise InvalidOrder(f"a batch cancel holds 1 to {BATCH_CANCEL_MAX} ids, not {len(ids)}",
                               field="order_ids")
        body.length = 0
        body.put(b'{"order-ids":[' if order_ids is not None else b'{"client-order-ids":[',
                 14 if order_ids is not None else 21)
        for i, v in enumerate(ids):
            if order_ids is not None:
                id_text(v, "order_id", tmp, &t)
            else:
                token(v, CC_CLID, 64, "client_order_id", &t)
            if i:
                body.put_byte(b',')
            put_quoted(body, &t)
        body.put(b']}', 2)
        self._request(buf, b"POST", 4, b"/v1/order/orders/batchcancel", 28, ts, NULL, body)

    def cancel_open_orders_request(self, WriteBuffer buf, *, timestamp_s, symbol=None, size=CANCEL_OPEN_MAX):
        cdef int64_t ts = int_in(timestamp_s, 1, _MAX_S, "timestamp_s")
        cdef Text sym
        cdef WriteBuffer body = self._body
        if symbol is not None:
            token(symbol, CC_LOWER_ALNUM, 32, "symbol", &sym)
        cdef int64_t n = int_in(size, 1, CANCEL_OPEN_MAX, "size")
        body.length = 0
        body.put_bytes_obj(('{"account-id":"' + self.account_id + '"').encode("ascii"))
        if symbol is not None:
            body.put(b',"symbol":', 10)
            put_quoted(body, &sym)
        body.put(b',"size":', 8)
        body.put_u64(<uint64_t>n)
        body.put_byte(b'}')
        self._request(buf, b"POST", 4, b"/v1/order/orders/batchCancelOpenOrders", 38, ts, NULL, body)

    def cancel_all_after_request(self, WriteBuffer buf, timeout_s, *, timestamp_s):
        cdef int64_t t = int_in(timeout_s, 0, 2**31 - 1, "timeout_s")
        if 0 < t < 5:
            raise InvalidField("timeout_s must be 0 (off) or at least 5 seconds", field="timeout_s")
        cdef int64_t ts = int_in(timestamp_s, 1, _MAX_S, "timestamp_s")
        cdef WriteBuffer body = self._body
        body.length = 0
        body.put(b'{"timeout":', 11)
        body.put_u64(<uint64_t>t)
        body.put_byte(b'}')
        self._request(buf, b"POST", 4, b"/v2/algo-orders/cancel-all-after", 32, ts, NULL, body)

    def open_orders_request(self, WriteBuffer buf, *, timestamp_s, symbol=None, from_id=None, direct=None,
                            size=OPEN_ORDERS_MAX):
        cdef int64_t ts = int_in(timestamp_s, 1, _MAX_S, "timestamp_s")
        cdef Text sym, fid, dr
        cdef char tmp[20]
        if symbol is not None:
            token(symbol, CC_LOWER_ALNUM, 32, "symbol", &sym)
        if from_id is not None:
            id_text(from_id, "from_id", tmp, &fid)
        if direct is not None:
            enum_text(direct, _DIRECTS, "direct", &dr)
        cdef int64_t n = int_in(size, 1, OPEN_ORDERS_MAX, "size")
        # sorted by name, after the auth params (capitals sort first); every value is [a-z0-9]: no encoding
        cdef WriteBuffer q = WriteBuffer()
        q.put_bytes_obj(("&account-id=" + self.account_id).encode("ascii"))
        if direct is not None:
            q.put(b"&direct=", 8)
            put_text(q, &dr)
        if from_id is not None:
            q.put(b"&from=", 6)
            put_text(q, &fid)
        q.put(b"&size=", 6)
        q.put_u64(<uint64_t>n)
        if symbol is not None:
            q.put(b"&symbol=", 8)
            put_text(q, &sym)
        self._request(buf, b"GET", 3, b"/v1/order/openOrders", 20, ts, NULL, None, False, q.getvalue())

    def balance_request(self, WriteBuffer buf, *, timestamp_s):
        cdef int64_t ts = int_in(timestamp_s, 1, _MAX_S, "timestamp_s")
        cdef bytes path = ("/v1/account/accounts/" + self.account_id + "/balance").encode("ascii")
        self._request(buf, b"GET", 3, path, len(path), ts, NULL, None)

    def cancel_request(self, WriteBuffer buf, order_id, *, timestamp_s):
        cdef Text oid
        cdef char tmp[20]
        id_text(order_id, "order_id", tmp, &oid)
        cdef int64_t ts = int_in(timestamp_s, 1, _MAX_S, "timestamp_s")
        cdef WriteBuffer path = WriteBuffer()
        path.put(b"/v1/order/orders/", 17)
        put_text(path, &oid)
        path.put(b"/submitcancel", 13)
        cdef WriteBuffer body = self._body
        body.length = 0
        body.put(b"{}", 2)
        self._request(buf, b"POST", 4, path.data, path.length, ts, NULL, body)

    def cancel_client_request(self, WriteBuffer buf, client_order_id, *, timestamp_s):
        cdef Text clid
        token(client_order_id, CC_CLID, 64, "client_order_id", &clid)
        cdef int64_t ts = int_in(timestamp_s, 1, _MAX_S, "timestamp_s")
        cdef WriteBuffer body = self._body
        body.length = 0
        body.put(b'{"client-order-id":', 19)
        put_quoted(body, &clid)
        body.put_byte(b'}')
        self._request(buf, b"POST", 4, b"/v1/order/orders/submitCancelClientOrder", 40, ts, NULL, body)

    def query_request(self, WriteBuffer buf, order_id, *, timestamp_s):
        cdef Text oid
        cdef char tmp[20]
        id_text(order_id, "order_id", tmp, &oid)
        cdef int64_t ts = int_in(timestamp_s, 1, _MAX_S, "timestamp_s")
        cdef WriteBuffer path = WriteBuffer()
        path.put(b"/v1/order/orders/", 17)
        put_text(path, &oid)
        self._request(buf, b"GET", 3, path.data, path.length, ts, NULL, None)

    def query_client_request(self, WriteBuffer buf, client_order_id, *, timestamp_s):
        cdef Text clid
        token(client_order_id, CC_CLID, 64, "client_order_id", &clid)
        cdef int64_t ts = int_in(timestamp_s, 1, _MAX_S, "timestamp_s")
        self._request(buf, b"GET", 3, b"/v1/order/orders/getClientOrder", 31, ts, &clid, None)


# ---------------------------------------------------------------------------------------------------------------
# HTX USDT-margined perpetual swaps (the linear swap API on api.hbdm.com): the same Signature V2 as spot, signed
# with the swap host; business fields in a JSON body. Paths per margin mode (cross / isolated).
_SWAP_PATHS = {
    "cross": (b"/linear-swap-api/v1/swap_cross_order", b"/linear-swap-api/v1/swap_cross_cancel",
              b"/linear-swap-api/v1/swap_cross_order_info"),
    "isolated": (b"/linear-swap-api/v1/swap_order", b"/linear-swap-api/v1/swap_cancel",
                 b"/linear-swap-api/v1/swap_order_info"),
}
_DIRECTIONS = frozenset(("buy", "sell"))
_OFFSETS = frozenset(("open", "close", "both"))
# the order_price_type values that carry a price (the docs: limit, post_only, ioc and fok need one)
_PRICED_TYPES = frozenset(("limit", "post_only", "ioc", "fok"))
_UNPRICED_TYPES = frozenset(("market", "opponent", "optimal_5", "optimal_10", "optimal_20", "opponent_ioc",
                             "optimal_5_ioc", "optimal_10_ioc", "optimal_20_ioc", "opponent_fok", "optimal_5_fok",
                             "optimal_10_fok", "optimal_20_fok"))
SWAP_CLIENT_ID_MAX = 9223372036854775807   # client_order_id: a long in [1, 9223372036854775807]
SWAP_LEVER_MAX = 1000


cdef int _swap_clid(object value, char *tmp, Text *out) except -1:
    """client_order_id: an int in [1, 2**63-1], or its decimal text (what the library journals)."""
    cdef Text t
    if type(value) is str:
        token(value, CC_DIGITS, 19, "client_order_id", &t)
        if t.n == 19 and value > "9223372036854775807":
            raise InvalidField(f"client_order_id must be 1 to {SWAP_CLIENT_ID_MAX}, not {value}",
                               field="client_order_id")
        if value.lstrip("0") == "" or value[0] == "0":
            raise InvalidField(f"client_order_id must be 1 to {SWAP_CLIENT_ID_MAX} without leading zeros, "
                               f"not {value!r}", field="client_order_id")
        out.p = t.p
        out.n = t.n
        return 0
    if type(value) is not int:
        raise TypeError(f"client_order_id must be an int or str, not {type(value).__name__}")
    int_in(value, 1, SWAP_CLIENT_ID_MAX, "client_order_id")
    id_text(value, "client_order_id", tmp, out)
    return 0


cdef class HtxSwapRest(_HtxSigned):
    """HTX USDT-margined swap REST encoders (contract: htx.pyi). One margin mode per encoder (its order, cancel and
    query paths); `margin_mode=` on a call picks the other mode's path for that request."""
    cdef readonly str margin_mode
    cdef tuple _paths

    def __init__(self, str access_key, signer, *, str host="api.hbdm.com", user_agent=None, margin_mode="cross"):
        if margin_mode not in _SWAP_PATHS:
            raise InvalidField(f"margin_mode must be 'cross' or 'isolated', not {margin_mode!r}", field="margin_mode")
        self._setup(access_key, signer, host, user_agent)
        self.margin_mode = margin_mode
        self._paths = _SWAP_PATHS[margin_mode]
        self._prepare_place(self._paths[0])   # this mode's order path: each order hashes only its timestamp

    def __repr__(self):
        return f"HtxSwapRest(host={self.host!r}, margin_mode={self.margin_mode!r}, access_key={self.access_key[:4]!r}…)"

    cdef tuple _mode_paths(self, object margin_mode):
        if margin_mode is None or margin_mode == self.margin_mode:
            return self._paths
        p = _SWAP_PATHS.get(margin_mode) if type(margin_mode) is str else None
        if p is None:
            raise InvalidField(f"margin_mode must be 'cross' or 'isolated', not {margin_mode!r}", field="margin_mode")
        return p

    def place_order_request(self, WriteBuffer buf, contract_code, direction, *, volume, client_order_id,
                            timestamp_s, lever_rate, order_price_type="limit", price=None, offset=None,
                            reduce_only=False, margin_mode=None, SymbolRules rules=None):
        cdef Text code, dr, off, opt, clid
        cdef fo_dec vol, px
        cdef char tmp[20]
        cdef bint has_px = price is not None
        cdef int64_t ts = int_in(timestamp_s, 1, _MAX_S, "timestamp_s")
        cdef tuple paths = self._mode_paths(margin_mode)
        token(contract_code, CC_CLID, 32, "contract_code", &code)
        enum_text(direction, _DIRECTIONS, "direction", &dr)
        parse_number(volume, &vol, "volume")
        if rules is not None:
            rules.check_qty(&vol, "volume")
        _swap_clid(client_order_id, tmp, &clid)
        cdef int64_t lev = int_in(lever_rate, 1, SWAP_LEVER_MAX, "lever_rate")
        if type(order_price_type) is not str:
            raise TypeError(f"order_price_type must be a str, not {type(order_price_type).__name__}")
        if order_price_type in _PRICED_TYPES:
            enum_text(order_price_type, _PRICED_TYPES, "order_price_type", &opt)
            if not has_px:
                raise InvalidOrder(f"{order_price_type} orders need price", field="price")
        else:
            enum_text(order_price_type, _UNPRICED_TYPES, "order_price_type", &opt)
            if has_px:
                raise InvalidOrder(f"{order_price_type} orders take no price", field="price")
        if has_px:
            parse_number(price, &px, "price")
            if rules is not None:
                rules.check_price(&px, "price")
        if offset is not None:
            enum_text(offset, _OFFSETS, "offset", &off)
        if type(reduce_only) is not bool:
            raise TypeError(f"reduce_only must be a bool, not {type(reduce_only).__name__}")
        if reduce_only and offset is not None and offset != "both":
            raise InvalidOrder("reduce_only applies in one-way mode only (offset 'both' or none), not with offset "
                               f"{offset!r}", field="reduce_only")
        if rules is None or rules.qty_decimals != 0:   # contracts are whole: checked here when no step-1 rule does
            if type(volume) is not int and _Decimal(str(volume)) != _Decimal(str(volume)).to_integral_value():
                raise InvalidOrder(f"volume must be a whole number of contracts, not {volume!r}", field="volume")
        cdef WriteBuffer body = self._body
        body.length = 0
        body.put(b'{"contract_code":', 17)
        put_quoted(body, &code)
        body.put(b',"client_order_id":', 19)
        put_text(body, &clid)
        if has_px:
            body.put(b',"price":"', 10)
            put_dec(body, &px, rules.price_decimals if rules is not None else 0)
            body.put_byte(b'"')
        body.put(b',"volume":', 10)
        put_dec(body, &vol, 0)
        body.put(b',"direction":', 13)
        put_quoted(body, &dr)
        if offset is not None:
            body.put(b',"offset":', 10)
            put_quoted(body, &off)
        body.put(b',"lever_rate":', 14)
        body.put_u64(<uint64_t>lev)
        body.put(b',"order_price_type":', 20)
        put_quoted(body, &opt)
        if reduce_only:
            body.put(b',"reduce_only":1', 16)
        body.put_byte(b'}')
        cdef bytes path = paths[0]
        self._request(buf, b"POST", 4, path, len(path), ts, NULL, body, paths is self._paths)

    cdef int _ref_body(self, WriteBuffer body, contract_code, order_id, client_order_id) except -1:
        cdef Text code, ident
        cdef char tmp[20]
        token(contract_code, CC_CLID, 32, "contract_code", &code)
        if (order_id is None) == (client_order_id is None):
            raise InvalidOrder("give order_id or client_order_id (one of them)", field="order_id")
        if order_id is not None:
            id_text(order_id, "order_id", tmp, &ident)
        else:
            _swap_clid(client_order_id, tmp, &ident)
        body.length = 0
        body.put(b'{"contract_code":', 17)
        put_quoted(body, &code)
        if order_id is not None:
            body.put(b',"order_id":', 12)
        else:
            body.put(b',"client_order_id":', 19)
        put_quoted(body, &ident)   # the docs give both as text (comma-separated lists of ids)
        body.put_byte(b'}')
        return 0

    def cancel_request(self, WriteBuffer buf, contract_code, *, timestamp_s, order_id=None, client_order_id=None,
                       margin_mode=None):
        cdef int64_t ts = int_in(timestamp_s, 1, _MAX_S, "timestamp_s")
        cdef tuple paths = self._mode_paths(margin_mode)
        self._ref_body(self._body, contract_code, order_id, client_order_id)
        cdef bytes path = paths[1]
        self._request(buf, b"POST", 4, path, len(path), ts, NULL, self._body)

    def order_info_request(self, WriteBuffer buf, contract_code, *, timestamp_s, order_id=None,
                           client_order_id=None, margin_mode=None):
        cdef int64_t ts = int_in(timestamp_s, 1, _MAX_S, "timestamp_s")
        cdef tuple paths = self._mode_paths(margin_mode)
        self._ref_body(self._body, contract_code, order_id, client_order_id)
        cdef bytes path = paths[2]
        self._request(buf, b"POST", 4, path, len(path), ts, NULL, self._body)

    def signed_post(self, WriteBuffer buf, str path, bytes body, *, timestamp_s):
        """A signed POST of a JSON body built by the caller (the account calls, off the order path)."""
        cdef int64_t ts = int_in(timestamp_s, 1, _MAX_S, "timestamp_s")
        if not path.startswith("/linear-swap-api/") or not path.isascii() or any(c in path for c in "?# \r\n"):
            raise InvalidField(f"not a linear swap API path: {path!r}", field="path")
        cdef WriteBuffer b = self._body
        b.length = 0
        b.put_bytes_obj(body)
        cdef bytes p = path.encode("ascii")
        self._request(buf, b"POST", 4, p, len(p), ts, NULL, b)
