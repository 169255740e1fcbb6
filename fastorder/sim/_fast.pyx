# cython: language_level=3, boundscheck=False, wraparound=False
"""The simulator's hot-path text checks, typed (compiled from this file; pure-Python equivalents in
:mod:`fastorder.sim.http` and :mod:`fastorder.sim.binance` are used when it is not built).

Nothing here is shared with fastorder's client: it only scans the text a request carries.

- :func:`parse_params`: ``a=1&b=2`` (no ``%``/``+`` to decode) -> ({"a": "1", "b": "2"}, count).
- :func:`strip_sig`: the query without its ``signature=`` parameter (what Binance signs).
- :func:`is_int20`, :func:`dec_ok`, :func:`cid_ok`: the venue's parameter patterns
  ``^[0-9]{1,20}$``, ``^([0-9]{1,20})(\\.[0-9]{1,20})?$``, ``^[a-zA-Z0-9-_]{1,36}$`` exactly as Python's
  ``re.match`` reads them (``$`` also matches before one final newline).
- :func:`parse_request`: a whole plain HTTP/1.1 request in one call (llhttp reads every other kind).
"""


from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.unicode cimport PyUnicode_DecodeASCII
from libc.string cimport memcmp


cdef extern from "Python.h":
    int PyUnicode_KIND(object o)
    void *PyUnicode_DATA(object o)
    int PyUnicode_1BYTE_KIND


# the parameter names requests carry most, as ready-made strings (hash computed once): a name found here is
# not built and hashed again for every request
cdef list _NAME_BUCKETS = [[] for _ in range(33)]   # by length
for _name in ("symbol", "side", "type", "timeInForce", "quantity", "price", "newClientOrderId", "newOrderRespType",
              "recvWindow", "timestamp", "signature", "orderId", "origClientOrderId", "quoteOrderQty",
              "selfTradePreventionMode", "AccessKeyId", "SignatureMethod", "SignatureVersion", "Timestamp",
              "Signature", "order-id", "client-order-id", "clientOrderId", "instId", "ordId", "clOrdId"):
    hash(_name)
    _NAME_BUCKETS[len(_name)].append((_name.encode("latin-1"), _name))


cdef inline str _name_at(str raw, const unsigned char *b, Py_ssize_t start, Py_ssize_t end):
    cdef Py_ssize_t n = end - start
    cdef bytes known
    cdef const char *kb
    if n <= 32:
        for known, name in _NAME_BUCKETS[n]:
            kb = known
            if memcmp(kb, b + start, n) == 0:
                return name
    return raw[start:end]


def parse_params(str raw):
    """``a=1&b=2`` -> ({"a": "1", "b": "2"}, number of non-empty parts); a name sent twice keeps its last
    value (the count then exceeds the dict's size). ``raw`` must hold no ``%`` or ``+``."""
    cdef dict out = {}
    cdef Py_ssize_t n = len(raw), i, start = 0, eq = -1, cnt = 0
    cdef Py_UCS4 c
    cdef const unsigned char *b
    if PyUnicode_KIND(raw) == PyUnicode_1BYTE_KIND:   # the usual (Latin-1) text: scan its bytes
        b = <const unsigned char *>PyUnicode_DATA(raw)
        for i in range(n + 1):
            if i < n:
                c = b[i]
                if c == 61:        # '='
                    if eq < 0:
                        eq = i
                    continue
                if c != 38:        # '&'
                    continue
            if i > start:
                if eq >= 0:
                    out[_name_at(raw, b, start, eq)] = raw[eq + 1:i]
                else:
                    out[_name_at(raw, b, start, i)] = u""
                cnt += 1
            start = i + 1
            eq = -1
        return out, cnt
    for i in range(n + 1):
        if i < n:
            c = raw[i]
            if c == u'=':
                if eq < 0:
                    eq = i
                continue
            if c != u'&':
                continue
        if i > start:
            if eq >= 0:
                out[raw[start:eq]] = raw[eq + 1:i]
            else:
                out[raw[start:i]] = u""
            cnt += 1
        start = i + 1
        eq = -1
    return out, cnt


def strip_sig(str raw):
    """``raw`` without its ``signature=…`` parameter."""
    cdef Py_ssize_t i = raw.find(u"signature=")
    cdef Py_ssize_t j
    while i > 0 and raw[i - 1] != u'&':
        i = raw.find(u"signature=", i + 1)
    if i < 0:
        return raw
    j = raw.find(u"&", i)
    if j < 0:
        return raw[: i - 1] if i else u""
    return raw[j + 1:] if i == 0 else raw[: i - 1] + raw[j:]


cdef inline Py_ssize_t _body_len(str s):
    """Length without one final newline (``$`` matches before it)."""
    cdef Py_ssize_t n = len(s)
    if n and s[n - 1] == u'\n':
        return n - 1
    return n


def is_int20(str s):
    """``^[0-9]{1,20}$`` as :func:`fastorder.sim.binance._is_int20` checks it (no final newline)."""
    cdef Py_ssize_t n = len(s), i
    cdef Py_UCS4 c
    if n == 0 or n > 20:
        return False
    for i in range(n):
        c = s[i]
        if c < u'0' or c > u'9':
            return False
    return True


def dec_ok(str s):
    """``re.match(r"^([0-9]{1,20})(\\.[0-9]{1,20})?$", s)`` is not None."""
    return _dec_ok(s)


cdef bint _dec_ok(str s):
    cdef Py_ssize_t n = _body_len(s), i, ip = 0, fp = -1
    cdef Py_UCS4 c
    for i in range(n):
        c = s[i]
        if u'0' <= c <= u'9':
            if fp < 0:
                ip += 1
            else:
                fp += 1
        elif c == u'.' and fp < 0:
            fp = 0
        else:
            return False
    return 1 <= ip <= 20 and (fp < 0 or 1 <= fp <= 20)


def cid_ok(str s):
    """``re.match(r"^[a-zA-Z0-9-_]{1,36}$", s)`` is not None."""
    return _cid_ok(s)


cdef bint _cid_ok(str s):
    cdef Py_ssize_t n = _body_len(s), i
    cdef Py_UCS4 c
    if n == 0 or n > 36:
        return False
    for i in range(n):
        c = s[i]
        if not (u'a' <= c <= u'z' or u'A' <= c <= u'Z' or u'0' <= c <= u'9' or c == u'-' or c == u'_'):
            return False
    return True


cdef Py_ssize_t _decimals(str s):
    """Digits after the point once trailing zeros are dropped (0 without a point); -1 for a final newline."""
    cdef Py_ssize_t n = len(s), dot = s.find(u"."), last
    if n and s[n - 1] == u'\n':
        return -1
    if dot < 0:
        return 0
    last = n - 1
    while last > dot and s[last] == u'0':
        last -= 1
    return last - dot


_TIFS = frozenset((u"GTC", u"IOC", u"FOK"))
_RESPS = frozenset((u"ACK", u"RESULT", u"FULL"))
_STPS = frozenset((u"NONE", u"EXPIRE_TAKER", u"EXPIRE_MAKER", u"EXPIRE_BOTH", u"DECREMENT"))


def binance_limit(dict p, dict specs, dict memo):
    """Binance's checks of a new LIMIT order whose every value is well-formed and whose price and quantity
    already passed their filters once (``memo``, filled by the full check): the normalised order, as
    ``Binance.validate_order`` returns it; None for anything else (the caller then runs the full check,
    which gives the venue's error). Accepts only what the full check accepts, and returns the same."""
    cdef object v, spec, dp, dq, notional
    for v in p.values():
        if not v:
            return None
    if p.get(u"type") != u"LIMIT":
        return None
    symbol = p.get(u"symbol")
    if symbol is None:
        return None
    spec = specs.get(symbol)
    if spec is None:
        return None
    side = p.get(u"side")
    if side != u"BUY" and side != u"SELL":
        return None
    if u"quoteOrderQty" in p or u"stopPrice" in p or u"icebergQty" in p:
        return None
    qty = p.get(u"quantity")
    price = p.get(u"price")
    tif = p.get(u"timeInForce")
    if qty is None or price is None or tif is None or tif not in _TIFS:
        return None
    cid = p.get(u"newClientOrderId")
    if cid is not None and not _cid_ok(cid):
        return None
    resp = p.get(u"newOrderRespType")
    if resp is None:
        resp = u"FULL"
    elif resp not in _RESPS:
        return None
    stp = p.get(u"selfTradePreventionMode")
    if stp is None:
        stp = u"EXPIRE_MAKER"
    elif stp not in _STPS:
        return None
    if not _dec_ok(qty) or not _dec_ok(price):
        return None
    if not (0 <= _decimals(qty) <= 8) or not (0 <= _decimals(price) <= 8):
        return None
    dp = memo.get((symbol, 0, price))
    if dp is None:
        return None
    dq = memo.get((symbol, 1, qty))
    if dq is None:
        return None
    notional = dq * dp
    if notional < spec.min_notional or notional > spec.max_notional:
        return None
    return {u"symbol": symbol, u"side": side, u"type": u"LIMIT", u"tif": tif, u"qty": dq, u"price": dp,
            u"quote_qty": None, u"cid": cid, u"resp": resp, u"stp": stp}


cdef long long _digits(object s, Py_ssize_t maxlen):
    """The value of ``s`` when it is a str of 1..maxlen ASCII digits, else -1."""
    cdef str t
    cdef Py_ssize_t n, i
    cdef long long v = 0
    cdef Py_UCS4 c
    if type(s) is not str:
        return -1
    t = <str>s
    n = len(t)
    if n == 0 or n > maxlen:
        return -1
    for i in range(n):
        c = t[i]
        if c < u'0' or c > u'9':
            return -1
        v = v * 10 + (<long long>c - 48)
    return v


def binance_time_ok(object ts, object rw, long long now):
    """True when Binance's timestamp check passes for the usual form: ``timestamp`` in whole milliseconds
    (at most 15 digits), ``recvWindow`` absent (5000) or whole milliseconds up to 60000, and the timestamp
    neither 1000 ms ahead of ``now`` nor older than the window. False for anything else (the caller then
    runs the full check, which gives the venue's error or accepts the other forms)."""
    cdef long long t = _digits(ts, 15), window = 5000
    if t < 0:
        return False
    if rw is not None:
        window = _digits(rw, 5)
        if window < 0 or window > 60000:
            return False
    return t < now + 1000 and now - t <= window


cdef inline int _hex(Py_UCS4 c):
    if 48 <= c <= 57:
        return <int>c - 48
    if 65 <= c <= 70:
        return <int>c - 55
    if 97 <= c <= 102:
        return <int>c - 87
    return -1


def unquote_plus(str s):
    """``urllib.parse.unquote_plus(s)`` when ``s`` is ASCII and every ``%`` starts an escape of an ASCII byte
    (``%00``-``%7F``); None otherwise (the caller then uses urllib's, which also decodes UTF-8 sequences)."""
    cdef Py_ssize_t n = len(s), i = 0, k = 0
    cdef Py_UCS4 c
    cdef int hi, lo
    cdef char *buf = <char *>PyMem_Malloc(n + 1)
    if buf == NULL:
        raise MemoryError()
    try:
        while i < n:
            c = s[i]
            if c > 127:
                return None
            if c == 43:        # '+'
                buf[k] = 32
            elif c == 37:      # '%'
                if i + 2 >= n:
                    return None
                hi = _hex(s[i + 1])
                lo = _hex(s[i + 2])
                if hi < 0 or lo < 0 or hi > 7:
                    return None
                buf[k] = <char>(hi * 16 + lo)
                i += 2
            else:
                buf[k] = <char>c
            k += 1
            i += 1
        return PyUnicode_DecodeASCII(buf, k, NULL)
    finally:
        PyMem_Free(buf)


def unmask(bytes payload, bytes mask):
    """A WebSocket client frame's payload XOR its 4-byte mask, repeated (RFC 6455 §5.3)."""
    cdef Py_ssize_t n = len(payload), i
    cdef const unsigned char *src = payload
    cdef const unsigned char *m = mask
    cdef bytes out
    cdef unsigned char *dst
    if len(mask) != 4:
        raise ValueError("a WebSocket mask is 4 bytes")
    if n == 0:
        return b""
    out = PyBytes_FromStringAndSize(NULL, n)
    dst = <unsigned char *>PyBytes_AS_STRING(out)
    for i in range(n):
        dst[i] = src[i] ^ m[i & 3]
    return out


# -- HTTP/1.1 requests -------------------------------------------------------------------------------------
# The plain request every client sends (an origin-form target, CRLF lines, token header names, printable
# values, a Content-Length body already in hand) is read here in one call; anything else (chunked bodies,
# Upgrade, Expect, HTTP/1.0, obs-fold, odd bytes, a body still on its way) returns None and goes to llhttp.
# What is accepted here llhttp accepts too, with the same callbacks, so the two cannot disagree.

cdef unsigned char _TCHAR[256]     # RFC 9110 token characters (header names)
cdef unsigned char _UCHAR[256]     # URI characters (RFC 3986 unreserved, reserved and '%'), '#' left out
cdef int _c
for _c in range(256):
    _TCHAR[_c] = 1 if (48 <= _c <= 57 or 65 <= _c <= 90 or 97 <= _c <= 122
                       or _c in b"!#$%&'*+-.^_`|~") else 0
    _UCHAR[_c] = 1 if (48 <= _c <= 57 or 65 <= _c <= 90 or 97 <= _c <= 122
                       or _c in b"-._~:/?[]@!$&'()*+,;=%") else 0

cdef dict _METHOD_NAMES = {m.encode(): m for m in ("GET", "POST", "DELETE", "PUT", "HEAD", "OPTIONS", "PATCH")}
# headers that need llhttp's own handling (their name lengths: 17, 7, 6, 14, 10)
cdef frozenset _SPECIAL = frozenset((b"transfer-encoding", b"upgrade", b"expect", b"content-length",
                                     b"connection"))


cdef inline bytes _bytes_at(const unsigned char *b, Py_ssize_t start, Py_ssize_t end):
    # a copy of b[start:end] without a slice object (PySequence_GetSlice costs ~800 instructions)
    return PyBytes_FromStringAndSize(<const char *>b + start, end - start)


cdef bytes _lower_at(const unsigned char *b, Py_ssize_t start, Py_ssize_t end):
    cdef bytes out = PyBytes_FromStringAndSize(NULL, end - start)
    cdef unsigned char *d = <unsigned char *>PyBytes_AS_STRING(out)
    cdef Py_ssize_t k
    cdef unsigned char c
    for k in range(end - start):
        c = b[start + k]
        d[k] = c + 32 if 65 <= c <= 90 else c
    return out


def parse_request(bytes data, Py_ssize_t pos, Py_ssize_t max_body):
    """The whole plain HTTP/1.1 request starting at ``data[pos]``: (method, path, query, headers, body,
    keep_alive, end) with ``headers`` mapping lower-case names to values (bytes) as llhttp's callbacks
    would give them; None when the request is anything else or not all here (llhttp reads it then)."""
    cdef const unsigned char *b = data
    cdef Py_ssize_t n = len(data), i = pos, start, ns, ne, vs, ve, clen = 0, k
    cdef bint keep = True, seen_cl = False
    cdef unsigned char c
    cdef dict headers = {}
    cdef bytes low, value, tok
    cdef str method, target, path, query
    # request line: METHOD SP origin-form SP HTTP/1.1 CRLF
    start = i
    while i < n and 65 <= b[i] <= 90 and i - start < 8:
        i += 1
    if i >= n or b[i] != 32 or i == start:
        return None
    method = _METHOD_NAMES.get(_bytes_at(b, start, i))
    if method is None:
        return None
    i += 1
    start = i
    if i >= n or b[i] != 47:   # '/'
        return None
    while i < n and _UCHAR[b[i]]:
        i += 1
    if i + 11 > n or b[i] != 32 or memcmp(b + i + 1, b"HTTP/1.1\r\n", 10) != 0:
        return None
    target = PyUnicode_DecodeASCII(<const char *>b + start, i - start, NULL)
    i += 11
    # header lines
    while True:
        if i + 1 >= n:
            return None
        if b[i] == 13:
            if b[i + 1] != 10:
                return None
            i += 2
            break
        ns = i
        while i < n and _TCHAR[b[i]]:
            i += 1
        if i >= n or b[i] != 58 or i == ns:   # ':'
            return None
        ne = i
        i += 1
        while i < n and (b[i] == 32 or b[i] == 9):
            i += 1
        vs = i
        while i < n:
            c = b[i]
            if c == 13 or not (32 <= c <= 126 or c == 9):
                break
            i += 1
        if i + 1 >= n or b[i] != 13 or b[i + 1] != 10:
            return None
        ve = i
        if ve > vs and (b[ve - 1] == 32 or b[ve - 1] == 9):   # trailing whitespace: llhttp's business
            return None
        i += 2
        low = _lower_at(b, ns, ne)
        value = _bytes_at(b, vs, ve)
        k = ne - ns
        if (k == 6 or k == 7 or k == 10 or k == 14 or k == 17) and low in _SPECIAL:   # the lengths in _SPECIAL
            if low == b"content-length":
                if seen_cl or ve == vs or ve - vs > 18:
                    return None
                clen = 0
                for k in range(vs, ve):
                    if not 48 <= b[k] <= 57:
                        return None
                    clen = clen * 10 + (b[k] - 48)
                seen_cl = True
            elif low == b"connection":
                tok = value.lower()
                if tok == b"close":
                    keep = False
                elif tok != b"keep-alive":
                    return None
            else:
                return None
        headers[low] = value
    if clen > max_body or i + clen > n:
        return None
    path, _, query = target.partition(u"?")
    return method, path, query, headers, _bytes_at(b, i, i + clen), keep, i + clen


# -- Binance WebSocket API ---------------------------------------------------------------------------------

def all_str(dict params):
    """Every value of ``params`` is a str (a request's parameters then need no normalising)."""
    cdef object v
    for v in params.values():
        if type(v) is not str:
            return False
    return True


def ws_payload(dict params):
    """What a Binance WebSocket API request signs: every parameter but ``signature``, sorted by name,
    ``name=value`` joined by ``&``, UTF-8 (values must be str)."""
    cdef list keys = sorted(params)
    cdef list parts = []
    cdef str k
    for k in keys:
        if k != u"signature":
            parts.append(k)
            parts.append(u"=")
            parts.append(params[k])
            parts.append(u"&")
    if parts:
        parts.pop()
    return u"".join(parts).encode("utf-8")
