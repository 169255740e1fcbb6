"""Order events of the venues' private streams, decoded from the frame bytes in one pass (contract: events.pyi).

The frame is walked once as JSON: every value is checked for structure (strings, numbers, literals, nested
objects and arrays to a depth of 64), only the fields an `OrderEvent` needs are turned into Python objects,
and nothing else is built (no dict, no list of the frame). A frame that is not JSON, or an order event that
lacks a mandatory field or carries an unknown status, raises `MalformedEvent`; a well-formed frame that is
not an order event (a ping, a subscribe reply, a balance update) gives None, for the caller to read slowly.
"""

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from libc.stdint cimport int64_t, uint64_t
from libc.string cimport memcmp

import json

from fastorder.errors import MalformedEvent
from fastorder.types import CANCELED, EXPIRED, FILLED, FINAL_STATES, NEW, PARTIALLY_FILLED, REJECTED

cdef extern from "Python.h":
    object PyUnicode_DecodeUTF8(const char *s, Py_ssize_t size, const char *errors)
    object PyUnicode_DecodeASCII(const char *s, Py_ssize_t size, const char *errors)
    bint PyUnicode_IS_ASCII(object o)
    const void *PyUnicode_DATA(object o)

cdef extern from "<time.h>" nogil:
    ctypedef int clockid_t
    cdef struct timespec:
        long tv_sec
        long tv_nsec
    int clock_gettime(clockid_t clk, timespec *tp)
    clockid_t CLOCK_MONOTONIC

cdef enum:
    K_NONE = 0
    K_STR = 1
    K_NUM = 2
    K_OBJ = 3
    K_ARR = 4
    K_TRUE = 5
    K_FALSE = 6
    K_NULL = 7
    MAX_DEPTH = 64
    MAX_KEYS = 48
    MAX_SLOTS = 40
    ITEMS_SLOT = 39        # scratch: the element count of the array walked last

ctypedef struct Val:
    const char *p          # string: first byte after the quote; any other value: its first byte
    Py_ssize_t n           # string: bytes between the quotes; any other value: its whole length
    int kind
    bint esc               # the string holds a backslash escape
    int items              # an array walked with a key table: its element count

ctypedef struct KeyTab:
    int nkeys
    const char *names[MAX_KEYS]
    int lens[MAX_KEYS]
    int slots[MAX_KEYS]
    const KeyTab *sub[MAX_SLOTS]  # by slot: its object value (or each object of its array value) is walked with it
    int first[257]         # keys are sorted by first byte: first[c] .. first[c + 1] start with byte c


# -- the JSON walk (no Python objects) ---------------------------------------------------------------------------
cdef inline const char *skip_ws(const char *p, const char *e) noexcept nogil:
    while p < e and (p[0] == b' ' or p[0] == b'\n' or p[0] == b'\r' or p[0] == b'\t'):
        p += 1
    return p


cdef inline bint is_digit(char c) noexcept nogil:
    return c >= b'0' and c <= b'9'


cdef inline bint is_hex(char c) noexcept nogil:
    return (c >= b'0' and c <= b'9') or (c >= b'a' and c <= b'f') or (c >= b'A' and c <= b'F')


cdef extern from "fo_json_scan.h" nogil:
    # the first '"', '\\' or control character in [p, e), or e (SSE2, 16 bytes a step)
    const char *fo_json_special(const char *p, const char *e)


cdef const char *scan_str(const char *p, const char *e, Val *v) noexcept nogil:
    """p at the opening quote; the byte after the closing quote, or NULL."""
    cdef const char *s = p + 1
    cdef unsigned char c
    v.esc = False
    p = s
    while True:
        p = fo_json_special(p, e)
        if p >= e:
            return NULL
        c = <unsigned char>p[0]
        if c == b'"':
            v.p = s
            v.n = p - s
            v.kind = K_STR
            return p + 1
        if c == b'\\':
            # an escape, checked here for every string (a mapped one is decoded later, a skipped one never)
            v.esc = True
            if e - p < 2:
                return NULL
            c = <unsigned char>p[1]
            if c == b'u':
                if e - p < 6 or not (is_hex(p[2]) and is_hex(p[3]) and is_hex(p[4]) and is_hex(p[5])):
                    return NULL
                p += 6
            elif (c == b'"' or c == b'\\' or c == b'/' or c == b'b' or c == b'f' or c == b'n' or c == b'r'
                  or c == b't'):
                p += 2
            else:
                return NULL
            continue
        return NULL      # a raw control character


cdef const char *scan_num(const char *p, const char *e) noexcept nogil:
    """RFC 8259 number grammar; the byte after it, or NULL."""
    if p < e and p[0] == b'-':
        p += 1
    if p >= e:
        return NULL
    if p[0] == b'0':
        p += 1
    elif is_digit(p[0]):
        while p < e and is_digit(p[0]):
            p += 1
    else:
        return NULL
    if p < e and p[0] == b'.':
        p += 1
        if p >= e or not is_digit(p[0]):
            return NULL
        while p < e and is_digit(p[0]):
            p += 1
    if p < e and (p[0] == b'e' or p[0] == b'E'):
        p += 1
        if p < e and (p[0] == b'+' or p[0] == b'-'):
            p += 1
        if p >= e or not is_digit(p[0]):
            return NULL
        while p < e and is_digit(p[0]):
            p += 1
    return p


cdef inline const char *scan_lit(const char *p, const char *e, const char *lit, Py_ssize_t n) noexcept nogil:
    if e - p < n or memcmp(p, lit, n) != 0:
        return NULL
    return p + n


cdef const char *scan_value(const char *p, const char *e, Val *v, int depth) noexcept nogil:
    """One value at p (no leading blanks); the byte after it, or NULL."""
    cdef const char *q
    cdef Val tmp
    if p >= e:
        return NULL
    if p[0] == b'"':
        return scan_str(p, e, v)
    v.p = p
    v.esc = False
    if p[0] == b'{' or p[0] == b'[':
        if depth >= MAX_DEPTH:
            return NULL
        v.kind = K_OBJ if p[0] == b'{' else K_ARR
        q = walk(p, e, NULL, NULL, depth + 1)
    elif p[0] == b't':
        v.kind = K_TRUE
        q = scan_lit(p, e, "true", 4)
    elif p[0] == b'f':
        v.kind = K_FALSE
        q = scan_lit(p, e, "false", 5)
    elif p[0] == b'n':
        v.kind = K_NULL
        q = scan_lit(p, e, "null", 4)
    else:
        v.kind = K_NUM
        q = scan_num(p, e)
    if q != NULL:
        v.n = q - p
    return q


cdef inline int key_slot(const KeyTab *t, const char *k, Py_ssize_t n) noexcept nogil:
    cdef int i
    cdef unsigned char c
    if n == 0:
        return -1
    c = <unsigned char>k[0]
    for i in range(t.first[c], t.first[c + 1]):
        if t.lens[i] == n and memcmp(t.names[i], k, n) == 0:
            return t.slots[i]
    return -1


cdef const char *walk(const char *p, const char *e, const KeyTab *t, Val *slots, int depth) noexcept nogil:
    """p at '{' or '['; the byte after the matching close, or NULL.

    With a key table t: in an object, the value of every listed key goes to its slot (a repeated key: the last
    one wins, as in a dict), and a key with a sub table has its object value, or each object of its array
    value, walked with that table in the same pass, so a frame is read once. In an array, each object element
    is walked with t; the array's slot counts its elements (Val.items)."""
    cdef Val key, val
    cdef int slot, items = 0
    cdef bint obj = p[0] == b'{'
    cdef char close = b'}' if obj else b']'
    cdef const KeyTab *sub
    cdef const char *q
    if depth > MAX_DEPTH:
        return NULL
    p = skip_ws(p + 1, e)
    if p < e and p[0] == close:
        if not obj and slots != NULL:
            slots[ITEMS_SLOT].items = 0
        return p + 1
    while True:
        slot = -1
        sub = NULL
        if obj:
            if p >= e or p[0] != b'"':
                return NULL
            p = scan_str(p, e, &key)
            if p == NULL:
                return NULL
            p = skip_ws(p, e)
            if p >= e or p[0] != b':':
                return NULL
            p = skip_ws(p + 1, e)
            if t != NULL and not key.esc:
                slot = key_slot(t, key.p, key.n)
                if slot >= 0:
                    sub = t.sub[slot]
        else:
            sub = t
        if sub != NULL and p < e and (p[0] == b'{' or p[0] == b'['):
            q = p
            val.kind = K_OBJ if p[0] == b'{' else K_ARR
            val.esc = False
            val.items = 0
            p = walk(p, e, sub, slots, depth + 1)
            if p == NULL:
                return NULL
            val.p = q
            val.n = p - q
            if val.kind == K_ARR:
                val.items = slots[ITEMS_SLOT].items
        elif p < e and p[0] == b'"':   # most values are strings: straight to the string scan
            p = scan_str(p, e, &val)
            if p == NULL:
                return NULL
        else:
            p = scan_value(p, e, &val, depth)
            if p == NULL:
                return NULL
        if slot >= 0:
            slots[slot] = val
        items += 1
        p = skip_ws(p, e)
        if p < e and p[0] == b',':
            p = skip_ws(p + 1, e)
            continue
        if p < e and p[0] == close:
            if not obj and slots != NULL:
                slots[ITEMS_SLOT].items = items
            return p + 1
        return NULL


cdef int fields(const char *p, const char *e, const KeyTab *t, Val *slots, str venue) except -1:
    """The object at p (its own bytes only: p..e is that value) into slots; MalformedEvent if it is broken."""
    cdef int i
    for i in range(MAX_SLOTS):
        slots[i].kind = K_NONE
        slots[i].items = 0
    if walk(p, e, t, slots, 1) == NULL:
        raise MalformedEvent(venue, "not valid JSON")
    return 0


cdef int whole(const char *p, const char *e, const KeyTab *t, Val *slots, str venue) except -1:
    """A whole frame: one object, blanks around it, nothing else."""
    cdef int i
    for i in range(MAX_SLOTS):
        slots[i].kind = K_NONE
        slots[i].items = 0
    p = skip_ws(p, e)
    if p >= e or p[0] != b'{':
        raise MalformedEvent(venue, "not a JSON object")
    p = walk(p, e, t, slots, 1)
    if p == NULL or skip_ws(p, e) != e:
        raise MalformedEvent(venue, "not valid JSON")
    return 0


# -- key and value tables ---------------------------------------------------------------------------------------
_KEEP = []   # the bytes the tables point into


cdef void build(KeyTab *t, list names) except *:
    """names[i] -> slot i (or (name, slot) pairs), sorted by first byte for key_slot."""
    cdef int i, c, j
    pairs = []
    for i, name in enumerate(names):
        if isinstance(name, tuple):
            pairs.append((name[0].encode(), name[1]))
        else:
            pairs.append((name.encode(), i))
    pairs.sort(key=lambda kv: kv[0][0])
    if len(pairs) > MAX_KEYS:
        raise ValueError("key table too large")
    _KEEP.append(pairs)
    t.nkeys = len(pairs)
    for i in range(MAX_SLOTS):
        t.sub[i] = NULL
    for i, (b, slot) in enumerate(pairs):
        t.names[i] = <const char *>b
        t.lens[i] = len(b)
        t.slots[i] = slot
    j = 0
    for c in range(257):
        while j < t.nkeys and (<unsigned char>t.names[j][0]) < c:
            j += 1
        t.first[c] = j


cdef inline int lookup(const KeyTab *t, const Val *v) noexcept nogil:
    """The index of a string value in an enum table, -1 if it is not there (or not a plain string)."""
    if v.kind != K_STR or v.esc:
        return -1
    return key_slot(t, v.p, v.n)


cdef str _EMPTY = ""
cdef str _BUY = "BUY"
cdef str _SELL = "SELL"
cdef str _TRADE = "TRADE"
cdef str _X_NEW = "NEW"
cdef str _X_CANCELED = "CANCELED"
cdef str _X_REJECTED = "REJECTED"
cdef str _X_AMENDED = "AMENDED"
cdef str _ZERO = "0"


cdef object unescape(const Val *v, str venue):
    try:
        return json.loads(b'"' + (<const char *>v.p)[:v.n] + b'"')
    except ValueError:   # UnicodeDecodeError too
        raise MalformedEvent(venue, "a string holds a bad escape") from None


cdef str text(const Val *v, str venue, str field):
    """A string (or a number, written as its digits) as str; '' when absent or null."""
    if v.kind == K_STR:
        if v.n == 0:
            return _EMPTY
        if v.esc:
            return unescape(v, venue)
        try:
            return PyUnicode_DecodeUTF8(v.p, v.n, NULL)
        except UnicodeDecodeError:
            raise MalformedEvent(venue, f"{field} is not UTF-8") from None
    if v.kind == K_NUM:
        return PyUnicode_DecodeASCII(v.p, v.n, NULL)
    if v.kind == K_NONE or v.kind == K_NULL:
        return _EMPTY
    raise MalformedEvent(venue, f"{field} is not a string")


cdef int64_t millis(const Val *v, str venue, str field) except -2:
    """An epoch-ms integer written as a number or as a string of digits; -1 when absent, null or ''."""
    cdef int64_t x = 0
    cdef Py_ssize_t i
    if v.kind == K_NONE or v.kind == K_NULL or (v.kind == K_STR and v.n == 0):
        return -1
    if (v.kind != K_STR and v.kind != K_NUM) or v.esc or v.n > 18:
        raise MalformedEvent(venue, f"{field} is not a time in ms")
    for i in range(v.n):
        if not is_digit(v.p[i]):
            raise MalformedEvent(venue, f"{field} is not a time in ms")
        x = x * 10 + (v.p[i] - 48)
    return x


cdef inline object ms_obj(int64_t x):
    return None if x < 0 else x


cdef inline int64_t now_ns() noexcept nogil:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return <int64_t>ts.tv_sec * 1000000000 + ts.tv_nsec


cdef inline bint zero_text(const Val *v) noexcept nogil:
    """'' / '0' / '0.000' / absent: no quantity."""
    cdef Py_ssize_t i
    if v.kind != K_STR and v.kind != K_NUM:
        return True
    for i in range(v.n):
        if v.p[i] != b'0' and v.p[i] != b'.':
            return False
    return True


cdef inline bint same(str cached, const Val *v):
    """cached spells exactly the bytes of v (ASCII): reuse it instead of making a new str."""
    cdef Py_ssize_t n
    if cached is None or v.kind != K_STR or v.esc:
        return False
    n = len(cached)
    if n != v.n or not PyUnicode_IS_ASCII(cached):
        return False
    return memcmp(<const char *>PyUnicode_DATA(cached), v.p, n) == 0


# -- the record ------------------------------------------------------------------------------------------------
@cython.freelist(64)
cdef class OrderEvent:
    """One change of one order, as the venue's private stream reported it (same statuses as `Ack`)."""

    cdef readonly str venue, symbol, client_order_id, order_id, side, price, quantity
    cdef readonly object status   # a fastorder.types.Status: a str subclass, which a `str` slot refuses
    cdef readonly str last_fill_price, last_fill_qty, filled_qty, fee, fee_asset, trade_id, exec_type
    cdef readonly object exchange_ts_ms
    cdef readonly int64_t recv_ns
    cdef readonly bint snapshot

    def __init__(self, str venue, str symbol, str client_order_id, str order_id="", status=NEW, str side="",
                 str price="", str quantity="", str last_fill_price="", str last_fill_qty="", str filled_qty="",
                 str fee="", str fee_asset="", str trade_id="", str exec_type="", exchange_ts_ms=None,
                 int64_t recv_ns=0, bint snapshot=False):
        self.venue = venue
        self.symbol = symbol
        self.client_order_id = client_order_id
        self.order_id = order_id
        self.status = status
        self.side = side
        self.price = price
        self.quantity = quantity
        self.last_fill_price = last_fill_price
        self.last_fill_qty = last_fill_qty
        self.filled_qty = filled_qty
        self.fee = fee
        self.fee_asset = fee_asset
        self.trade_id = trade_id
        self.exec_type = exec_type
        self.exchange_ts_ms = exchange_ts_ms
        self.recv_ns = recv_ns
        self.snapshot = snapshot

    @property
    def is_final(self):
        return self.status in FINAL_STATES

    @property
    def is_fill(self):
        return self.exec_type == _TRADE

    def to_dict(self):
        return {f: getattr(self, f) for f in FIELDS}

    def __eq__(self, other):
        if not isinstance(other, OrderEvent):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in FIELDS)

    __hash__ = None

    def __repr__(self):
        return (f"OrderEvent({self.venue} {self.symbol} {self.client_order_id or self.order_id} {self.status} "
                f"{self.exec_type} {self.side} {self.quantity}@{self.price} filled={self.filled_qty}"
                + (f" last={self.last_fill_qty}@{self.last_fill_price} fee={self.fee} {self.fee_asset}"
                   if self.exec_type == _TRADE else "") + (" snapshot" if self.snapshot else "") + ")")

    def __reduce__(self):
        return (_rebuild, (self.to_dict(),))


def _rebuild(d):
    return OrderEvent(**d)


FIELDS = ("venue", "symbol", "client_order_id", "order_id", "status", "side", "price", "quantity",
          "last_fill_price", "last_fill_qty", "filled_qty", "fee", "fee_asset", "trade_id", "exec_type",
          "exchange_ts_ms", "recv_ns", "snapshot")


cdef inline OrderEvent new_event(str venue, int64_t recv_ns):
    cdef OrderEvent ev = OrderEvent.__new__(OrderEvent)
    ev.venue = venue
    ev.recv_ns = recv_ns if recv_ns else now_ns()
    ev.snapshot = False
    return ev


cdef inline const char *frame(object data, Py_ssize_t *n) except NULL:
    if type(data) is bytes:
        n[0] = PyBytes_GET_SIZE(data)
        return PyBytes_AS_STRING(data)
    raise TypeError(f"an event frame must be bytes, not {type(data).__name__}")


# -- Binance: user data stream over the WebSocket API -----------------------------------------------------------
cdef str BINANCE = "binance"
cdef KeyTab BN_EV, BN_STATUS, BN_SIDE, BN_ETYPE
cdef enum:
    B_E = 0
    B_EVT
    B_S
    B_c
    B_C
    B_SIDE
    B_q
    B_p
    B_x
    B_X
    B_i
    B_l
    B_z
    B_L
    B_n
    B_N
    B_t
    B_WRAP
# the WebSocket API wraps each event: {"subscriptionId":N,"event":{...}}; a bare event is read the same way
build(&BN_EV, [("event", B_WRAP), ("e", B_E), ("E", B_EVT), ("s", B_S), ("c", B_c), ("C", B_C), ("S", B_SIDE), ("q", B_q),
               ("p", B_p), ("x", B_x), ("X", B_X), ("i", B_i), ("l", B_l), ("z", B_z), ("L", B_L), ("n", B_n),
               ("N", B_N), ("t", B_t)])
_BN_STATUS = (NEW, NEW, PARTIALLY_FILLED, FILLED, CANCELED, CANCELED, REJECTED, EXPIRED, EXPIRED)
BN_EV.sub[B_WRAP] = &BN_EV
build(&BN_STATUS, ["NEW", "PENDING_NEW", "PARTIALLY_FILLED", "FILLED", "CANCELED", "PENDING_CANCEL", "REJECTED",
                   "EXPIRED", "EXPIRED_IN_MATCH"])
build(&BN_SIDE, ["BUY", "SELL"])
cdef KeyTab BN_EXEC
_BN_EXEC = ("NEW", "CANCELED", "REPLACED", "REJECTED", "TRADE", "EXPIRED", "TRADE_PREVENTION")
build(&BN_EXEC, list(_BN_EXEC))
_BN_EXEC = (_X_NEW, _X_CANCELED, "REPLACED", _X_REJECTED, _TRADE, "EXPIRED", "TRADE_PREVENTION")
build(&BN_ETYPE, ["executionReport"])


cdef class _Cache:
    """The last symbol / fee asset seen: reused when the next event spells the same."""
    cdef str symbol, fee_asset

_bn_cache = _Cache()


def decode_binance(data, int64_t recv_ns=0):
    """One user-data-stream frame -> [OrderEvent] for an `executionReport`, None for any other event."""
    cdef Py_ssize_t n
    cdef const char *p = frame(data, &n)
    cdef Val f[MAX_SLOTS]
    cdef _Cache cache = _bn_cache
    whole(p, p + n, &BN_EV, f, BINANCE)
    if lookup(&BN_ETYPE, &f[B_E]) != 0:
        return None
    return [bn_event(f, BINANCE, "executionReport", &BN_STATUS, _BN_STATUS, &BN_EXEC, _BN_EXEC, recv_ns, cache)]


cdef OrderEvent bn_event(const Val *f, str venue, str what, const KeyTab *status_tab, tuple statuses,
                         const KeyTab *exec_tab, tuple execs, int64_t recv_ns, _Cache cache):
    """A Binance order event (spot executionReport, futures ORDER_TRADE_UPDATE: the same one-letter fields, in
    the B_ slots) as an OrderEvent."""
    cdef int k = lookup(status_tab, &f[B_X])
    cdef OrderEvent o
    if k < 0:
        raise MalformedEvent(venue, f"{what} without a known order status (X)")
    if f[B_S].kind != K_STR or (f[B_i].kind != K_NUM and f[B_c].kind != K_STR):
        raise MalformedEvent(venue, f"{what} without symbol (s) or order id (i)")
    o = new_event(venue, recv_ns)
    o.status = statuses[k]
    if same(cache.symbol, &f[B_S]):
        o.symbol = cache.symbol
    else:
        o.symbol = cache.symbol = text(&f[B_S], venue, "s")
    # a spot cancel's event carries the cancel request's id in c and the order's own id in C (futures: no C)
    o.client_order_id = text(&f[B_C], venue, "C") if (f[B_C].kind == K_STR and f[B_C].n) \
        else text(&f[B_c], venue, "c")
    o.order_id = text(&f[B_i], venue, "i")
    k = lookup(&BN_SIDE, &f[B_SIDE])
    o.side = _BUY if k == 0 else (_SELL if k == 1 else text(&f[B_SIDE], venue, "S"))
    o.price = text(&f[B_p], venue, "p")
    o.quantity = text(&f[B_q], venue, "q")
    o.filled_qty = text(&f[B_z], venue, "z")
    k = lookup(exec_tab, &f[B_x])
    o.exec_type = execs[k] if k >= 0 else text(&f[B_x], venue, "x")
    if o.exec_type is _TRADE:
        o.last_fill_price = text(&f[B_L], venue, "L")
        o.last_fill_qty = text(&f[B_l], venue, "l")
        o.fee = text(&f[B_n], venue, "n")
        if same(cache.fee_asset, &f[B_N]):
            o.fee_asset = cache.fee_asset
        else:
            o.fee_asset = cache.fee_asset = text(&f[B_N], venue, "N")
        o.trade_id = text(&f[B_t], venue, "t")
    else:
        o.last_fill_price = o.last_fill_qty = o.fee = o.fee_asset = o.trade_id = _EMPTY
    o.exchange_ts_ms = ms_obj(millis(&f[B_EVT], venue, "E"))
    return o


# -- Binance USDⓈ-M futures: the listenKey user data stream -------------------------------------------------------
cdef str BINANCE_FUTURES = "binance_futures"
cdef KeyTab BF_TOP, BF_ORD, BF_STATUS, BF_EXEC, BF_ETYPE
# {"e":"ORDER_TRADE_UPDATE","E":..,"T":..,"o":{...the order...}}: the order's one-letter fields are spot's, into
# the same slots (its "o", "T" and the rest are not read)
build(&BF_TOP, [("e", B_E), ("E", B_EVT), ("o", B_WRAP)])
build(&BF_ORD, [("s", B_S), ("c", B_c), ("S", B_SIDE), ("q", B_q), ("p", B_p), ("x", B_x), ("X", B_X), ("i", B_i),
                ("l", B_l), ("z", B_z), ("L", B_L), ("n", B_n), ("N", B_N), ("t", B_t)])
BF_TOP.sub[B_WRAP] = &BF_ORD
_BF_STATUS = (NEW, PARTIALLY_FILLED, FILLED, CANCELED, EXPIRED, EXPIRED)
build(&BF_STATUS, ["NEW", "PARTIALLY_FILLED", "FILLED", "CANCELED", "EXPIRED", "EXPIRED_IN_MATCH"])
# execution types (Event: Order Update): AMENDMENT is a modify (venue-neutral AMENDED), CALCULATED a liquidation
_BF_EXEC = (_X_NEW, _X_CANCELED, "CALCULATED", "EXPIRED", _TRADE, _X_AMENDED)
build(&BF_EXEC, ["NEW", "CANCELED", "CALCULATED", "EXPIRED", "TRADE", "AMENDMENT"])
build(&BF_ETYPE, ["ORDER_TRADE_UPDATE"])
_bf_cache = _Cache()


def decode_binance_futures(data, int64_t recv_ns=0):
    """One futures user-data-stream frame -> [OrderEvent] for an `ORDER_TRADE_UPDATE`, None for any other event
    (ACCOUNT_UPDATE, listenKeyExpired, ...: read by the caller)."""
    cdef Py_ssize_t n
    cdef const char *p = frame(data, &n)
    cdef Val f[MAX_SLOTS]
    whole(p, p + n, &BF_TOP, f, BINANCE_FUTURES)
    if lookup(&BF_ETYPE, &f[B_E]) != 0:
        return None
    if f[B_WRAP].kind != K_OBJ:
        raise MalformedEvent(BINANCE_FUTURES, "ORDER_TRADE_UPDATE without its order (o)")
    return [bn_event(f, BINANCE_FUTURES, "ORDER_TRADE_UPDATE", &BF_STATUS, _BF_STATUS, &BF_EXEC, _BF_EXEC, recv_ns,
                     _bf_cache)]


# -- OKX: private WebSocket, `orders` channel -------------------------------------------------------------------
cdef str OKX = "okx"
cdef KeyTab OK_TOP, OK_ARG, OK_ORD, OK_STATE, OK_SIDE, OK_CHAN
cdef enum:
    O_INST = 0
    O_CL
    O_ORD
    O_STATE
    O_SIDE
    O_PX
    O_SZ
    O_FPX
    O_FSZ
    O_ACC
    O_FEE
    O_FEECCY
    O_TRADE
    O_UTIME
    O_CHANNEL
    O_ARG
    O_DATA
    O_EVENT
build(&OK_TOP, [("arg", O_ARG), ("data", O_DATA), ("event", O_EVENT)])
build(&OK_ARG, [("channel", O_CHANNEL)])
OK_TOP.sub[O_ARG] = &OK_ARG
OK_TOP.sub[O_DATA] = &OK_ORD
build(&OK_CHAN, ["orders"])
build(&OK_ORD, [("instId", O_INST), ("clOrdId", O_CL), ("ordId", O_ORD), ("state", O_STATE), ("side", O_SIDE),
                ("px", O_PX), ("sz", O_SZ), ("fillPx", O_FPX), ("fillSz", O_FSZ), ("accFillSz", O_ACC),
                ("fillFee", O_FEE), ("fillFeeCcy", O_FEECCY), ("tradeId", O_TRADE), ("uTime", O_UTIME)])
_OK_STATUS = (NEW, PARTIALLY_FILLED, FILLED, CANCELED, CANCELED)
build(&OK_STATE, ["live", "partially_filled", "filled", "canceled", "mmp_canceled"])
build(&OK_SIDE, ["buy", "sell"])
_ok_cache = _Cache()


cdef str okx_fee(const Val *v):
    """OKX writes a fee charged as a negative number and a rebate as a positive one; OrderEvent.fee is the
    amount paid (a rebate negative), as Binance and HTX write it."""
    cdef str s = text(v, OKX, "fillFee")
    if not s or zero_text(v):
        return s
    return s[1:] if s[0] == "-" else "-" + s


cdef OrderEvent okx_event(const Val *f, int64_t recv_ns, _Cache cache):
    """One `orders` item (its fields in f) as an OrderEvent."""
    cdef int k = lookup(&OK_STATE, &f[O_STATE])
    cdef OrderEvent o
    if k < 0:
        raise MalformedEvent(OKX, "orders item without a known state")
    if f[O_INST].kind != K_STR or f[O_ORD].kind != K_STR:
        raise MalformedEvent(OKX, "orders item without instId or ordId")
    o = new_event(OKX, recv_ns)
    o.status = _OK_STATUS[k]
    if same(cache.symbol, &f[O_INST]):
        o.symbol = cache.symbol
    else:
        o.symbol = cache.symbol = text(&f[O_INST], OKX, "instId")
    o.client_order_id = text(&f[O_CL], OKX, "clOrdId")
    o.order_id = text(&f[O_ORD], OKX, "ordId")
    k = lookup(&OK_SIDE, &f[O_SIDE])
    o.side = _BUY if k == 0 else (_SELL if k == 1 else text(&f[O_SIDE], OKX, "side"))
    o.price = text(&f[O_PX], OKX, "px")
    o.quantity = text(&f[O_SZ], OKX, "sz")
    o.filled_qty = text(&f[O_ACC], OKX, "accFillSz")
    if (f[O_TRADE].kind == K_STR and f[O_TRADE].n) and not zero_text(&f[O_FSZ]):
        o.exec_type = _TRADE
        o.last_fill_price = text(&f[O_FPX], OKX, "fillPx")
        o.last_fill_qty = text(&f[O_FSZ], OKX, "fillSz")
        o.fee = okx_fee(&f[O_FEE])
        if same(cache.fee_asset, &f[O_FEECCY]):
            o.fee_asset = cache.fee_asset
        else:
            o.fee_asset = cache.fee_asset = text(&f[O_FEECCY], OKX, "fillFeeCcy")
        o.trade_id = text(&f[O_TRADE], OKX, "tradeId")
    else:
        o.exec_type = _X_NEW if o.status is NEW or o.status is PARTIALLY_FILLED else _X_CANCELED
        o.last_fill_price = o.last_fill_qty = o.fee = o.fee_asset = o.trade_id = _EMPTY
    o.exchange_ts_ms = ms_obj(millis(&f[O_UTIME], OKX, "uTime"))
    return o


def decode_okx(data, int64_t recv_ns=0):
    """One private-WebSocket frame -> the OrderEvents of an `orders` push (one per order in `data`), None for
    any other frame (login/subscribe replies, errors, other channels)."""
    cdef Py_ssize_t n
    cdef const char *p = frame(data, &n)
    cdef const char *q
    cdef const char *e
    cdef Val f[MAX_SLOTS]
    cdef Val item
    cdef _Cache cache = _ok_cache
    cdef list out
    whole(p, p + n, &OK_TOP, f, OKX)
    if f[O_EVENT].kind != K_NONE or f[O_ARG].kind != K_OBJ or f[O_DATA].kind != K_ARR:
        return None
    if lookup(&OK_CHAN, &f[O_CHANNEL]) != 0:
        return None
    if f[O_DATA].items == 1:   # the usual push: its one order was read in the pass above
        return [okx_event(f, recv_ns, cache)]
    out = []
    e = f[O_DATA].p + f[O_DATA].n
    q = skip_ws(f[O_DATA].p + 1, e)
    while q < e and q[0] != b']':
        q = scan_value(q, e, &item, 2)   # checked by whole(): cannot fail here
        if item.kind != K_OBJ:
            raise MalformedEvent(OKX, "an orders item is not an object")
        fields(item.p, item.p + item.n, &OK_ORD, f, OKX)
        out.append(okx_event(f, recv_ns, cache))
        q = skip_ws(q, e)
        if q < e and q[0] == b',':
            q = skip_ws(q + 1, e)
    return out


# -- HTX: WebSocket v2, orders#{symbol} and trade.clearing#{symbol}#{mode} ---------------------------------------
cdef str HTX = "htx"
cdef KeyTab HX_TOP, HX_ORD, HX_STATUS, HX_SIDE, HX_ETYPE
cdef enum:
    H_ETYPE = 0
    H_SYM
    H_OID
    H_CL
    H_STATUS
    H_TYPE
    H_OSIDE
    H_PX
    H_SZ
    H_TPX
    H_TVOL
    H_TID
    H_TTIME
    H_EXEC
    H_FEE
    H_FEECCY
    H_CTIME
    H_LAST
    H_CH
    H_DATA
    H_ACTION
build(&HX_TOP, [("ch", H_CH), ("data", H_DATA), ("action", H_ACTION)])
HX_TOP.sub[H_DATA] = &HX_ORD
build(&HX_ORD, [("eventType", H_ETYPE), ("symbol", H_SYM), ("orderId", H_OID), ("clientOrderId", H_CL),
                ("orderStatus", H_STATUS), ("type", H_TYPE), ("orderSide", H_OSIDE), ("orderPrice", H_PX),
                ("orderSize", H_SZ), ("tradePrice", H_TPX), ("tradeVolume", H_TVOL), ("tradeId", H_TID),
                ("tradeTime", H_TTIME), ("execAmt", H_EXEC), ("transactFee", H_FEE), ("feeCurrency", H_FEECCY),
                ("orderCreateTime", H_CTIME), ("lastActTime", H_LAST)])
_HX_STATUS = (NEW, NEW, PARTIALLY_FILLED, FILLED, CANCELED, CANCELED, REJECTED)
build(&HX_STATUS, ["submitted", "created", "partial-filled", "filled", "partial-canceled", "canceled", "rejected"])
build(&HX_SIDE, ["buy", "sell"])
# eventType: creation, trade, cancellation; trigger / deletion for conditional orders
_HX_EXEC = (_X_NEW, _TRADE, _X_CANCELED, _X_REJECTED, _X_CANCELED)
build(&HX_ETYPE, ["creation", "trade", "cancellation", "trigger", "deletion"])
_hx_cache = _Cache()


cdef inline bint prefixed(const Val *v, const char *pre, Py_ssize_t n) noexcept nogil:
    return v.kind == K_STR and v.n > n and memcmp(v.p, pre, n) == 0


def decode_htx(data, int64_t recv_ns=0):
    """One /ws/v2 frame -> [OrderEvent] for an `orders#…` or `trade.clearing#…` push, None for any other frame
    (ping, auth and sub replies, account updates)."""
    cdef Py_ssize_t n
    cdef const char *p = frame(data, &n)
    cdef Val f[MAX_SLOTS]
    cdef int k, et
    cdef OrderEvent o
    cdef _Cache cache = _hx_cache
    cdef int64_t ts
    whole(p, p + n, &HX_TOP, f, HTX)
    if f[H_DATA].kind != K_OBJ or not (prefixed(&f[H_CH], "orders#", 7)
                                       or prefixed(&f[H_CH], "trade.clearing#", 15)):
        return None
    if f[H_ACTION].kind != K_NONE and not (f[H_ACTION].kind == K_STR and f[H_ACTION].n == 4
                                           and memcmp(f[H_ACTION].p, "push", 4) == 0):
        return None
    et = lookup(&HX_ETYPE, &f[H_ETYPE])
    if et < 0:
        raise MalformedEvent(HTX, "order update without a known eventType")
    k = lookup(&HX_STATUS, &f[H_STATUS])
    if k < 0:
        raise MalformedEvent(HTX, "order update without a known orderStatus")
    if f[H_SYM].kind != K_STR or (f[H_OID].kind == K_NONE and f[H_CL].kind == K_NONE):
        raise MalformedEvent(HTX, "order update without symbol or order id")
    o = new_event(HTX, recv_ns)
    o.status = _HX_STATUS[k]
    o.exec_type = _HX_EXEC[et]
    if same(cache.symbol, &f[H_SYM]):
        o.symbol = cache.symbol
    else:
        o.symbol = cache.symbol = text(&f[H_SYM], HTX, "symbol")
    o.client_order_id = text(&f[H_CL], HTX, "clientOrderId")
    o.order_id = text(&f[H_OID], HTX, "orderId")
    # side: orderSide when given, else the prefix of type ("buy-limit")
    k = lookup(&HX_SIDE, &f[H_OSIDE])
    if k < 0 and f[H_TYPE].kind == K_STR and not f[H_TYPE].esc:
        if prefixed(&f[H_TYPE], "buy-", 4):
            k = 0
        elif prefixed(&f[H_TYPE], "sell-", 5):
            k = 1
    o.side = _BUY if k == 0 else (_SELL if k == 1 else _EMPTY)
    o.price = text(&f[H_PX], HTX, "orderPrice")
    o.quantity = text(&f[H_SZ], HTX, "orderSize")
    o.filled_qty = text(&f[H_EXEC], HTX, "execAmt")
    if o.exec_type is _TRADE:
        o.last_fill_price = text(&f[H_TPX], HTX, "tradePrice")
        o.last_fill_qty = text(&f[H_TVOL], HTX, "tradeVolume")
        o.trade_id = text(&f[H_TID], HTX, "tradeId")
        o.fee = text(&f[H_FEE], HTX, "transactFee")     # trade.clearing only
        if same(cache.fee_asset, &f[H_FEECCY]):
            o.fee_asset = cache.fee_asset
        else:
            o.fee_asset = cache.fee_asset = text(&f[H_FEECCY], HTX, "feeCurrency")
        ts = millis(&f[H_TTIME], HTX, "tradeTime")
    else:
        o.last_fill_price = o.last_fill_qty = o.fee = o.fee_asset = o.trade_id = _EMPTY
        ts = millis(&f[H_LAST], HTX, "lastActTime")
        if ts < 0:
            ts = millis(&f[H_CTIME], HTX, "orderCreateTime")
    o.exchange_ts_ms = ms_obj(ts)
    return [o]


DECODERS = {"binance": decode_binance, "binance_futures": decode_binance_futures, "okx": decode_okx,
            "htx": decode_htx}
