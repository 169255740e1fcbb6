"""HTTP/1.1 client: a sans-IO response parser, request templates and a compiled asyncio Protocol.

Layers, bottom up:
  * ``HttpResponseParser`` -- bytes in, ``HttpResponse`` objects out (Content-Length, chunked and
    read-until-close bodies, 1xx skipped).  No sockets; tests feed it bytes and compare with llhttp.
  * ``HttpTemplate`` -- the constant part of a request (method, path, Host and fixed headers such as the API
    key), validated and encoded once; per request only the query/body and Content-Length are added.
  * ``HttpClientProtocol(HttpResponseParser)`` -- the asyncio Protocol for one keep-alive connection:
    one write per request (direct to the socket when nothing is queued), a FIFO of waiters (requests may be
    pipelined), a lazily re-armed read-timeout timer, ``Connection: close`` honoured, opt-in spin receive.
  * ``fastorder.transport.client`` -- connect helpers and the warm connection pool, in plain Python.

The parser is strict where leniency would be ambiguous (RFC 9112): both Content-Length and
Transfer-Encoding, duplicate Content-Length, a tab in Transfer-Encoding, obsolete line folding, bare LF and
control characters in header values are errors.  Errors raise HttpParseError; the Protocol then closes the connection.
"""
cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from libc.stdint cimport int64_t, uint8_t, uint64_t
from libc.stdio cimport snprintf
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy, memmove

from fastorder.transport._buf cimport buf_append, buf_grow, buf_keep_tail
from fastorder.transport._sock cimport fo_now_ns
from fastorder.transport.link cimport (
    LINK_CLOSED,
    LINK_DISPATCHED,
    TLS_OPEN,
    Link,
    Waiter,
    new_link,
    resolve,
)

import asyncio
from collections import deque

cdef extern from "string.h" nogil:
    void *memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen)
    void *memchr(const void *s, int c, size_t n)
    int memcmp(const void *a, const void *b, size_t n)

cdef enum:
    S_HEAD = 0
    S_BODY_CL = 1
    S_CHUNK_SIZE = 2
    S_CHUNK_DATA = 3
    S_CHUNK_CRLF = 4
    S_TRAILER = 5
    S_BODY_EOF = 6
    S_FAILED = 7


# defined with the other errors (all derive from FastorderError); importable from here as before
from fastorder.errors import HttpConnectionClosed, HttpParseError


# RFC 9110 tchar, as a 256-entry table.
cdef bint _TCHAR[256]
cdef int _i
for _i in range(256):
    _TCHAR[_i] = (48 <= _i <= 57) or (65 <= _i <= 90) or (97 <= _i <= 122) or _i in b"!#$%&'*+-.^_`|~"


cdef inline uint8_t _lower(uint8_t c) noexcept:
    return c + 32 if 65 <= c <= 90 else c


cdef inline bint _ieq(const char *a, Py_ssize_t an, const char *lower_b, Py_ssize_t bn) noexcept:
    cdef Py_ssize_t i
    if an != bn:
        return False
    for i in range(an):
        if _lower(<uint8_t>a[i]) != <uint8_t>lower_b[i]:
            return False
    return True


cdef inline bint _vchar_ok(uint8_t c) noexcept:
    # field-value / reason-phrase characters: HTAB, SP, VCHAR, obs-text
    return c == 9 or (32 <= c <= 126) or c >= 128


cdef inline bint _token_in_list(const char *v, Py_ssize_t n, const char *lower_tok, Py_ssize_t tn) noexcept:
    """Is lower_tok one of the comma-separated tokens of v (case-insensitive, OWS trimmed)?"""
    cdef Py_ssize_t i = 0, s, e
    while i <= n:
        s = i
        while i < n and v[i] != b',':
            i += 1
        e = i
        while s < e and (v[s] == b' ' or v[s] == b'\t'):
            s += 1
        while e > s and (v[e - 1] == b' ' or v[e - 1] == b'\t'):
            e -= 1
        if _ieq(v + s, e - s, lower_tok, tn):
            return True
        i += 1
    return False


cdef inline bint _last_token_is(const char *v, Py_ssize_t n, const char *lower_tok, Py_ssize_t tn) noexcept:
    cdef Py_ssize_t e = n, s
    while e > 0 and (v[e - 1] == b' ' or v[e - 1] == b'\t'):
        e -= 1
    s = e
    while s > 0 and v[s - 1] != b',':
        s -= 1
    while s < e and (v[s] == b' ' or v[s] == b'\t'):
        s += 1
    return _ieq(v + s, e - s, lower_tok, tn)


cdef int _check_chunk_ext(const char *p, Py_ssize_t n) except -1:
    """chunk-ext = *( ";" ext-name [ "=" ( token / quoted-string ) ] ), no whitespace (RFC 9112 7.1.1)."""
    cdef Py_ssize_t i = 0, s
    cdef uint8_t c
    while i < n:
        if p[i] != b';':
            raise HttpParseError("invalid chunk extension")
        i += 1
        s = i
        while i < n and _TCHAR[<uint8_t>p[i]]:
            i += 1
        if i == s:
            raise HttpParseError("invalid chunk extension name")
        if i < n and p[i] == b'=':
            i += 1
            if i < n and p[i] == b'"':
                i += 1
                while True:
                    if i >= n:
                        raise HttpParseError("unterminated quoted chunk extension value")
                    c = <uint8_t>p[i]
                    if c == 34:
                        i += 1
                        break
                    if c == 92:
                        i += 1
                        if i >= n or not _vchar_ok(<uint8_t>p[i]):
                            raise HttpParseError("invalid escape in chunk extension value")
                    elif not _vchar_ok(c):
                        raise HttpParseError("invalid character in chunk extension value")
                    i += 1
            else:
                s = i
                while i < n and _TCHAR[<uint8_t>p[i]]:
                    i += 1
                if i == s:
                    raise HttpParseError("invalid chunk extension value")
    return 0


cdef inline Py_ssize_t _header_line(const char *p, Py_ssize_t n, Py_ssize_t i, Py_ssize_t *ls, Py_ssize_t *c,
                                     Py_ssize_t *vs, Py_ssize_t *ve) noexcept:
    """One header line of a validated head ("name:OWS value OWS" CRLF) starting at ``i``: its name is
    ``[ls, c)``, its value ``[vs, ve)``; returns where the next line starts."""
    cdef Py_ssize_t le, a, b
    ls[0] = i
    while i < n and p[i] != b'\r':
        i += 1
    le = i
    a = ls[0]
    while p[a] != b':':
        a += 1
    c[0] = a
    a += 1
    while a < le and (p[a] == b' ' or p[a] == b'\t'):
        a += 1
    b = le
    while b > a and (p[b - 1] == b' ' or p[b - 1] == b'\t'):
        b -= 1
    vs[0] = a
    ve[0] = b
    return i + 2


cdef inline Py_ssize_t _after_status_line(const char *p, Py_ssize_t n) noexcept:
    cdef Py_ssize_t i = 0
    while i < n and p[i] != b'\r':
        i += 1
    return i + 2


@cython.freelist(32)
@cython.final
cdef class HttpResponse:
    """One parsed reply.  ``headers``/``header()`` parse the stored head lazily (names are compared
    case-insensitively; ``headers`` returns lower-cased names)."""

    def __cinit__(self):
        # made from Python (not by the parser), every method still reads a real, empty head
        self._head = b""
        self.body = b""
        self.reason = b""

    def __repr__(self):
        return f"<HttpResponse {self.status} body={len(self.body) if self.body is not None else 0}B>"

    @property
    def headers(self):
        """All header fields in order, as (lower-cased name, value) byte pairs."""
        out = []
        self._scan_headers(NULL, 0, out)
        return out

    def header(self, name, default=None):
        """The first value of header ``name`` (str or bytes, any case), or ``default``."""
        cdef bytes key
        cdef const char *k
        cdef Py_ssize_t i, n
        if type(name) is bytes:   # the common case: no lower() call unless the name has capitals
            k = PyBytes_AS_STRING(name)
            n = PyBytes_GET_SIZE(name)
            key = <bytes>name
            for i in range(n):
                if 65 <= <uint8_t>k[i] <= 90:
                    key = key.lower()
                    break
        else:
            key = (name.encode("latin-1") if isinstance(name, str) else bytes(name)).lower()
        r = self._scan_headers(PyBytes_AS_STRING(key), PyBytes_GET_SIZE(key), None)
        return default if r is None else r

    def headers_in(self, tuple names):
        """The first value of each header in ``names`` (lower-case bytes), None where absent: one pass over
        the head for all of them (a reply's few interesting headers, read per order)."""
        cdef const char *p = PyBytes_AS_STRING(self._head)
        cdef Py_ssize_t n = PyBytes_GET_SIZE(self._head), i = 0, ls, c, vs, ve, j, m = len(names), left = m
        cdef list out = [None] * m
        cdef object nm
        for nm in names:
            if type(nm) is not bytes:
                raise TypeError("header names must be lower-case bytes")
        i = _after_status_line(p, n)
        while i < n and left:
            i = _header_line(p, n, i, &ls, &c, &vs, &ve)
            for j in range(m):
                nm = names[j]
                if out[j] is None and _ieq(p + ls, c - ls, PyBytes_AS_STRING(<bytes>nm), PyBytes_GET_SIZE(<bytes>nm)):
                    out[j] = PyBytes_FromStringAndSize(p + vs, ve - vs)
                    left -= 1   # no break: a name may be asked for twice
        return out

    def get_all(self, name):
        """Every value of header ``name``, in order."""
        cdef bytes key = (name.encode("latin-1") if isinstance(name, str) else bytes(name)).lower()
        out = []
        self._scan_headers(PyBytes_AS_STRING(key), PyBytes_GET_SIZE(key), out)
        return out

    cdef object _scan_headers(self, const char *key, Py_ssize_t kn, list out):
        # The head was validated by the parser: lines are CRLF-separated "name:OWS value OWS".
        cdef const char *p = PyBytes_AS_STRING(self._head)
        cdef Py_ssize_t n = PyBytes_GET_SIZE(self._head), i = 0, ls, c, vs, ve
        i = _after_status_line(p, n)
        while i < n:
            i = _header_line(p, n, i, &ls, &c, &vs, &ve)
            if key == NULL:
                out.append((PyBytes_FromStringAndSize(p + ls, c - ls).lower(),
                            PyBytes_FromStringAndSize(p + vs, ve - vs)))
            elif _ieq(p + ls, c - ls, key, kn):
                v = PyBytes_FromStringAndSize(p + vs, ve - vs)
                if out is None:
                    return v
                out.append(v)
        return None


cdef class HttpResponseParser:
    """Sans-IO HTTP/1.1 response parser.  ``feed(data)`` returns the responses ``data`` completed;
    ``feed_eof()`` completes a body delimited by the connection's end.  Errors raise HttpParseError and the
    parser refuses further input."""

    def __cinit__(self):
        self._buf = NULL
        self._blen = 0
        self._bcap = 0
        self._body = NULL
        self._bodylen = 0
        self._bodycap = 0
        self._state = S_HEAD
        self._scan = 0
        self._max_head = 65536
        self._max_body = 16 * 1024 * 1024

    def __init__(self, *, Py_ssize_t max_head=65536, Py_ssize_t max_body=16 * 1024 * 1024):
        self._max_head = max_head
        self._max_body = max_body
        self._out = []

    def __dealloc__(self):
        free(self._buf)
        free(self._body)

    def feed(self, data):
        cdef Py_buffer view
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
        try:
            self._feed(<const char *>view.buf, view.len)
        except HttpParseError as e:
            e.responses = self._out  # what this call completed before the error
            self._out = []
            raise
        finally:
            PyBuffer_Release(&view)
        out = self._out
        self._out = []
        return out

    def feed_eof(self):
        self._feed_eof()
        out = self._out
        self._out = []
        return out

    @property
    def idle(self):
        """True between responses (no partial response buffered)."""
        return self._state == S_HEAD and self._blen == 0

    cdef int _feed_eof(self) except -1:
        if self._state == S_BODY_EOF:
            self._complete()
        elif self._state == S_FAILED:
            pass
        elif not (self._state == S_HEAD and self._blen == 0):
            self._state = S_FAILED
            raise HttpParseError("connection closed in the middle of a response")
        return 0

    cdef int _feed(self, const char *p, Py_ssize_t n) except -1:
        cdef const char *d
        cdef Py_ssize_t dl, pos = 0, used
        if self._state == S_FAILED:
            raise HttpParseError("the HTTP stream already failed")
        if n <= 0:
            return 0
        if self._blen:
            buf_append(&self._buf, &self._blen, &self._bcap, p, n)
            d = self._buf
            dl = self._blen
        else:
            d = p
            dl = n
        try:
            while pos < dl:
                used = self._step(d + pos, dl - pos)
                if used == 0:
                    break
                pos += used
        except BaseException:
            self._state = S_FAILED
            self._blen = 0
            raise
        buf_keep_tail(&self._buf, &self._blen, &self._bcap, d, dl, pos)
        return 0

    cdef int _body_append(self, const char *p, Py_ssize_t n) except -1:
        if self._bodylen + n > self._max_body:
            raise HttpParseError(f"response body larger than max_body={self._max_body}")
        if self._bodylen + n > self._bodycap:
            buf_grow(&self._body, &self._bodycap, self._bodylen + n)
        memcpy(self._body + self._bodylen, p, n)
        self._bodylen += n
        return 0

    cdef Py_ssize_t _step(self, const char *p, Py_ssize_t n) except -1:
        """Advance the state machine over p; return bytes consumed (0: need more data)."""
        cdef const char *hit
        cdef Py_ssize_t k, start
        cdef uint64_t size
        cdef int digit
        cdef uint8_t c
        if self._state == S_HEAD:
            start = self._scan - 3 if self._scan > 3 else 0
            hit = <const char *>memmem(p + start, n - start, b"\r\n\r\n", 4)
            if hit == NULL:
                if n > self._max_head:
                    raise HttpParseError(f"response head larger than max_head={self._max_head}")
                self._scan = n
                return 0
            self._scan = 0
            k = hit - p
            if k + 4 > self._max_head:
                raise HttpParseError(f"response head larger than max_head={self._max_head}")
            self._parse_head(p, k)
            return k + 4
        if self._state == S_BODY_CL:
            k = self._remaining if self._remaining < n else n
            if k == self._remaining and self._bodylen == 0:
                # The whole body is here in one piece: one copy, straight into the bytes object.
                self._resp.body = PyBytes_FromStringAndSize(p, k)
                self._remaining = 0
                self._complete()
                return k
            self._body_append(p, k)
            self._remaining -= k
            if self._remaining == 0:
                self._complete()
            return k
        if self._state == S_CHUNK_SIZE:
            hit = <const char *>memchr(p, b'\n', n)
            if hit == NULL:
                if n > 4096:
                    raise HttpParseError("chunk-size line too long")
                return 0
            k = hit - p
            if k == 0 or p[k - 1] != b'\r':
                raise HttpParseError("chunk-size line not terminated by CRLF")
            size = 0
            start = 0
            while start < k - 1:
                c = <uint8_t>p[start]
                if 48 <= c <= 57:
                    digit = c - 48
                elif 97 <= c <= 102:
                    digit = c - 87
                elif 65 <= c <= 70:
                    digit = c - 55
                else:
                    break
                if start >= 15:
                    raise HttpParseError("chunk size too large")
                size = size * 16 + digit
                start += 1
            if start == 0:
                raise HttpParseError("invalid chunk size")
            if start < k - 1:
                if p[start] != b';':
                    raise HttpParseError("invalid character in chunk size")
                _check_chunk_ext(p + start, k - 1 - start)
            if size > <uint64_t>self._max_body:
                raise HttpParseError(f"response body larger than max_body={self._max_body}")
            if size == 0:
                self._state = S_TRAILER
                self._trailer_len = 0
            else:
                self._remaining = <Py_ssize_t>size
                self._state = S_CHUNK_DATA
            return k + 1
        if self._state == S_CHUNK_DATA:
            k = self._remaining if self._remaining < n else n
            self._body_append(p, k)
            self._remaining -= k
            if self._remaining == 0:
                self._state = S_CHUNK_CRLF
            return k
        if self._state == S_CHUNK_CRLF:
            if n < 2:
                if p[0] != b'\r':
                    raise HttpParseError("chunk data not followed by CRLF")
                return 0
            if p[0] != b'\r' or p[1] != b'\n':
                raise HttpParseError("chunk data not followed by CRLF")
            self._state = S_CHUNK_SIZE
            return 2
        if self._state == S_TRAILER:
            hit = <const char *>memchr(p, b'\n', n)
            if hit == NULL:
                if n + self._trailer_len > self._max_head:
                    raise HttpParseError("trailer section too large")
                return 0
            k = hit - p
            if k == 0 or p[k - 1] != b'\r':
                raise HttpParseError("trailer line not terminated by CRLF")
            self._trailer_len += k + 1
            if self._trailer_len > self._max_head:
                raise HttpParseError("trailer section too large")
            if k == 1:
                self._complete()
            else:
                self._check_field_line(p, k - 1)
            return k + 1
        if self._state == S_BODY_EOF:
            self._body_append(p, n)
            return n
        raise HttpParseError("the HTTP stream already failed")

    cdef int _check_field_line(self, const char *p, Py_ssize_t n) except -1:
        """Validate one 'name: value' line (no CRLF); return the colon's offset."""
        cdef Py_ssize_t c = 0, i
        while c < n and _TCHAR[<uint8_t>p[c]]:
            c += 1
        if c == 0 or c >= n or p[c] != b':':
            if n and (p[0] == b' ' or p[0] == b'\t'):
                raise HttpParseError("obsolete header line folding")
            raise HttpParseError(f"invalid header line {PyBytes_FromStringAndSize(p, min(n, 80))!r}")
        for i in range(c + 1, n):
            if not _vchar_ok(<uint8_t>p[i]):
                raise HttpParseError("invalid character in a header value")
        return <int>c

    cdef int _parse_head(self, const char *p, Py_ssize_t hl) except -1:
        cdef Py_ssize_t i, ls, le, c, vs, ve, reason_end
        cdef int status, version
        cdef bint has_cl = False, chunked = False, has_te = False, conn_close = False, conn_ka = False
        cdef uint64_t cl = 0
        cdef const char *v
        cdef HttpResponse r
        # status line: HTTP/1.x SP 3DIGIT [SP reason]
        if hl < 12 or memcmp(p, b"HTTP/1.", 7) != 0 or not (p[7] == b'0' or p[7] == b'1') or p[8] != b' ':
            raise HttpParseError(f"invalid status line {PyBytes_FromStringAndSize(p, min(hl, 40))!r}")
        version = 10 if p[7] == b'0' else 11
        for i in range(9, 12):
            if not (b'0' <= p[i] <= b'9'):
                raise HttpParseError("invalid status code")
        if p[9] == b'0':
            raise HttpParseError("invalid status code")
        status = (p[9] - 48) * 100 + (p[10] - 48) * 10 + (p[11] - 48)
        i = 12
        while i < hl and p[i] != b'\r':
            i += 1
        le = i
        if le > 12:
            if p[12] != b' ':
                raise HttpParseError("invalid status line")
            for c in range(13, le):
                if not _vchar_ok(<uint8_t>p[c]):
                    raise HttpParseError("invalid character in the reason phrase")
        if le < hl and (le + 1 >= hl or p[le + 1] != b'\n'):
            raise HttpParseError("bare CR in the response head")
        if memchr(p, b'\n', le) != NULL:
            raise HttpParseError("bare LF in the status line")
        reason_end = le
        i = le + 2
        while i < hl:
            ls = i
            while i < hl and p[i] != b'\r':
                if p[i] == b'\n':
                    raise HttpParseError("bare LF in the response head")
                i += 1
            le = i
            if i < hl and (i + 1 >= hl or p[i + 1] != b'\n'):
                raise HttpParseError("bare CR in the response head")
            i += 2
            c = ls + self._check_field_line(p + ls, le - ls)
            vs = c + 1
            while vs < le and (p[vs] == b' ' or p[vs] == b'\t'):
                vs += 1
            ve = le
            while ve > vs and (p[ve - 1] == b' ' or p[ve - 1] == b'\t'):
                ve -= 1
            v = p + vs
            if _ieq(p + ls, c - ls, b"content-length", 14):
                if has_cl:
                    raise HttpParseError("duplicate Content-Length")
                has_cl = True
                if ve == vs or ve - vs > 18:
                    raise HttpParseError("invalid Content-Length")
                for c in range(vs, ve):
                    if not (b'0' <= p[c] <= b'9'):
                        raise HttpParseError("invalid Content-Length")
                    cl = cl * 10 + <uint64_t>(p[c] - 48)
            elif _ieq(p + ls, c - ls, b"transfer-encoding", 17):
                has_te = True
                if memchr(p + vs, b'\t', le - vs) != NULL:   # RFC 9110 strips it, llhttp does not: framing
                    raise HttpParseError("a tab in Transfer-Encoding")   # readers disagree on is refused
                # Only the final coding matters for framing; a later header line overrides.
                chunked = _last_token_is(v, ve - vs, b"chunked", 7)
            elif _ieq(p + ls, c - ls, b"connection", 10):
                if _token_in_list(v, ve - vs, b"close", 5):
                    conn_close = True
                if _token_in_list(v, ve - vs, b"keep-alive", 10):
                    conn_ka = True
        if 100 <= status < 200:
            if status == 101:
                raise HttpParseError("unexpected 101 Switching Protocols")
            return 0  # informational: discard, the real response follows
        r = HttpResponse.__new__(HttpResponse)
        r.status = status
        r.version = version
        r.reason = PyBytes_FromStringAndSize(p + 13, reason_end - 13) if reason_end > 13 else b""
        r._head = PyBytes_FromStringAndSize(p, hl)
        r.body = b""
        r.keep_alive = (not conn_close) and (version == 11 or conn_ka)
        r.t_recv_ns = fo_now_ns()
        self._resp = r
        self._bodylen = 0
        if status == 204 or status == 304:
            self._complete()
        elif has_te:
            if has_cl:
                raise HttpParseError("both Content-Length and Transfer-Encoding")
            if not chunked:
                raise HttpParseError("unsupported Transfer-Encoding (final coding is not chunked)")
            self._state = S_CHUNK_SIZE
        elif has_cl:
            if cl > <uint64_t>self._max_body:
                raise HttpParseError(f"response body larger than max_body={self._max_body}")
            if cl == 0:
                self._complete()
            else:
                self._remaining = <Py_ssize_t>cl
                self._state = S_BODY_CL
        else:
            r.keep_alive = False
            self._state = S_BODY_EOF
        return 0

    cdef int _complete(self) except -1:
        cdef HttpResponse r = self._resp
        if self._bodylen:
            r.body = PyBytes_FromStringAndSize(self._body, self._bodylen)
            self._bodylen = 0
            if self._bodycap > 1024 * 1024:  # don't hold on to one huge reply's buffer
                free(self._body)
                self._body = NULL
                self._bodycap = 0
        self._resp = None
        self._state = S_HEAD
        self._on_message(r)
        return 0

    cdef int _on_message(self, HttpResponse r) except -1:
        self._out.append(r)
        return 0


cdef bytes _enc(s, str what):
    cdef bytes b = s.encode("latin-1") if isinstance(s, str) else bytes(s)
    cdef uint8_t c
    for c in b:
        if c < 32 and c != 9 or c == 127:
            raise ValueError(f"control character (CR/LF/NUL...) not allowed in {what}: {b!r}")
    return b


@cython.final
cdef class HttpTemplate:
    """The constant part of a request, validated and encoded once and shared by a pool's connections:
    method, path, Host and fixed headers (API key, Content-Type, ...).  Per request, ``send()`` adds
    ``?query`` to the path and ``Content-Length`` + body."""

    def __init__(self, method, path, host, headers=()):
        cdef bytes m = _enc(method, "the method")
        cdef bytes pa = _enc(path, "the path")
        if not m or b" " in m:
            raise ValueError("invalid method")
        if not pa.startswith(b"/") or b" " in pa:
            raise ValueError("path must start with '/' and contain no spaces")
        parts = [b" HTTP/1.1\r\nHost: ", _enc(host, "Host"), b"\r\n"]
        for k, v in headers:
            kb = _enc(k, "a header name")
            if not kb or any(not _TCHAR[c] for c in kb):
                raise ValueError(f"invalid header name {kb!r}")
            parts += [kb, b": ", _enc(v, "a header value"), b"\r\n"]
        self.line = m + b" " + pa
        self.rest = b"".join(parts)

    def render(self, query=None, body=None):
        """The full request bytes (what ``send`` writes), for tests and for callers without a connection."""
        cdef bytes q = b"" if query is None else bytes(query)
        cdef bytes b
        if any(c <= 32 or c == 127 for c in q):
            raise ValueError("space or control character in the query string")
        out = self.line + (b"?" + q if q else b"") + self.rest
        if body is not None:
            b = bytes(body)
            out += b"Content-Length: %d\r\n\r\n" % len(b) + b
        else:
            out += b"\r\n"
        return out


cdef class HttpClientProtocol(HttpResponseParser):
    """asyncio Protocol for one persistent HTTP/1.1 connection (plaintext or TLS transport).

    ``request(data)`` writes a complete request (bytes/bytearray/any buffer) with one write and returns a
    Future for its ``HttpResponse``; ``send(template, query, body)`` builds the request from a template in a
    reused buffer first.  Requests may be pipelined; replies are matched in order.  ``*_cb`` variants call
    ``callback(response, exc)`` instead of creating a Future.
    """

    def __init__(self, *, double read_timeout=0.5, int user_timeout_ms=3000, bint quickack=False,
                 int busy_poll_us=0, Py_ssize_t max_body=16 * 1024 * 1024, on_lost=None, tls=None,
                 server_hostname=None):
        HttpResponseParser.__init__(self, max_body=max_body)
        self._loop = asyncio.get_event_loop()
        self._link = new_link(self._loop, self, _link_bytes, _link_timer, _link_ready, read_timeout,
                              user_timeout_ms, quickack, busy_poll_us, tls, server_hostname)
        self._waiters = deque()
        self._open = False
        self._on_lost = on_lost
        self.dispatched = 0
        self.requests_sent = 0
        self.last_used_ns = fo_now_ns()
        self.closed = self._loop.create_future()
        self.ready = self._loop.create_future()

    # ---- asyncio Protocol -------------------------------------------------------------------------------

    def connection_made(self, transport):
        self._link.attach(transport)   # -> _link_ready: at once, or after the compiled TLS handshake

    def data_received(self, data):
        self._link.received(data)

    def eof_received(self):
        if not self._link.eof():   # a TLS stream cut short: what it carried last may be incomplete
            err = HttpConnectionClosed("connection closed in the middle of the TLS stream")
            err.__cause__ = self._link.lost(None)
            self._fail(err)
            return False
        try:
            self._feed_eof()
            _deliver(self)
        except HttpParseError as e:
            err = HttpConnectionClosed("connection closed in the middle of a response")
            err.__cause__ = e
            self._fail(err)
        return False

    def connection_lost(self, exc):
        self._open = False
        exc = self._link.lost(exc)
        self._link.detach()
        if self._state == S_BODY_EOF and exc is None:
            try:
                self._feed_eof()
            except HttpParseError:
                pass
            _deliver(self)
        err = HttpConnectionClosed("connection closed before the reply arrived")
        if exc is not None:
            err.__cause__ = exc
        self._fail_waiters(err)
        if not self.ready.done():
            self.ready.set_exception(err)
            self.ready.exception()   # retrieved: the connect helper reports the failure its own way
        if not self.closed.done():
            self.closed.set_result(None)
        if self._on_lost is not None:
            self._on_lost(self, exc)

    def pause_writing(self):
        pass

    def resume_writing(self):
        pass

    # ---- receive ------------------------------------------------------------------------------------------

    cdef int _on_bytes(self, const char *p, Py_ssize_t n) except -1:
        try:
            self._feed(p, n)
        except (HttpParseError, MemoryError) as e:
            _deliver(self)   # the replies completed before the error first
            self._fail(e)
            return 0
        _deliver(self)
        return 0

    cdef int _on_message(self, HttpResponse r) except -1:
        # queued only: the parser may still hold a pointer into its buffer, and a reply's callback may feed
        # the connection again (growing that buffer); _deliver runs the callbacks once the parser let go
        self._out.append(r)
        return 0

    cdef int _dispatch(self, HttpResponse r) except -1:
        cdef Waiter w
        if not self._waiters:
            raise HttpParseError("a response arrived with no request outstanding")
        w = self._waiters.popleft()
        self.dispatched += 1
        resolve(self._loop, w.waiter, w.is_cb, r, None)
        if not r.keep_alive:
            # Connection: close (or HTTP/1.0): this connection is finished; later pipelined requests fail.
            self._open = False
            self._link.close()
            self._fail_waiters(HttpConnectionClosed("server closed the connection (Connection: close)"))
        return 0

    cdef _fail(self, exc):
        self._open = False
        self._fail_waiters(exc)
        self._link.abort()

    cdef _fail_waiters(self, exc):
        cdef Waiter w
        waiters = self._waiters
        self._waiters = deque()
        for w in waiters:
            resolve(self._loop, w.waiter, w.is_cb, None, exc)

    # ---- send ---------------------------------------------------------------------------------------------

    cdef int _enqueue(self, object waiter, bint is_cb, double timeout) except -1:
        if not self._open or (self._link.ssl != NULL and self._link.tls_state != TLS_OPEN):
            raise HttpConnectionClosed("connection is not open")
        self._waiters.append(self._link.waiter(waiter, is_cb, timeout))
        return 0

    cdef int _write_obj(self, object data) except -1:
        cdef Py_buffer view
        self.requests_sent += 1
        if type(data) is bytes:
            return self._link.write(PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), data)
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
        try:
            # Not `data` itself: a caller's reused buffer may change before the transport sends it.
            self._link.write(<const char *>view.buf, view.len, None)
        finally:
            PyBuffer_Release(&view)
        return 0

    cdef int _write_template(self, HttpTemplate tpl, object query, object body) except -1:
        cdef Py_buffer qv, bv
        cdef Py_ssize_t need, o, i
        cdef char *wbuf
        cdef char clbuf[48]
        cdef int cln = 0
        cdef uint8_t c
        qv.buf = NULL
        qv.len = 0
        bv.buf = NULL
        bv.len = 0
        if query is not None:
            PyObject_GetBuffer(query, &qv, PyBUF_SIMPLE)
        try:
            if body is not None:
                PyObject_GetBuffer(body, &bv, PyBUF_SIMPLE)
            try:
                for i in range(qv.len):
                    c = (<const uint8_t *>qv.buf)[i]
                    if c <= 32 or c == 127:
                        raise ValueError("space or control character in the query string")
                if body is not None:
                    cln = snprintf(clbuf, sizeof(clbuf), "Content-Length: %zd\r\n\r\n", bv.len)
                else:
                    clbuf[0] = b'\r'
                    clbuf[1] = b'\n'
                    cln = 2
                need = (PyBytes_GET_SIZE(tpl.line) + 1 + qv.len + PyBytes_GET_SIZE(tpl.rest) + cln + bv.len)
                wbuf = self._link.wreserve(need)
                o = PyBytes_GET_SIZE(tpl.line)
                memcpy(wbuf, PyBytes_AS_STRING(tpl.line), o)
                if qv.len:
                    wbuf[o] = b'?'
                    memcpy(wbuf + o + 1, qv.buf, qv.len)
                    o += 1 + qv.len
                memcpy(wbuf + o, PyBytes_AS_STRING(tpl.rest), PyBytes_GET_SIZE(tpl.rest))
                o += PyBytes_GET_SIZE(tpl.rest)
                memcpy(wbuf + o, clbuf, cln)
                o += cln
                if bv.len:
                    memcpy(wbuf + o, bv.buf, bv.len)
                    o += bv.len
                self.requests_sent += 1
                self._link.write(wbuf, o, None)
            finally:
                if body is not None:
                    PyBuffer_Release(&bv)
        finally:
            if query is not None:
                PyBuffer_Release(&qv)
        return 0

    def request(self, data, *, double timeout=0.0):
        """Write one complete request; return a Future for its HttpResponse (TimeoutError after
        ``timeout`` s, default the read timeout; HttpConnectionClosed if the connection ends first)."""
        fut = self._loop.create_future()
        self._enqueue(fut, False, timeout)
        try:
            self._write_obj(data)
        except BaseException:
            self._waiters.pop()
            raise
        self.last_used_ns = fo_now_ns()
        return fut

    def request_cb(self, data, callback, *, double timeout=0.0):
        """Like ``request`` but calls ``callback(response, None)`` / ``callback(None, exc)``: no Future."""
        self._enqueue(callback, True, timeout)
        try:
            self._write_obj(data)
        except BaseException:
            self._waiters.pop()
            raise
        self.last_used_ns = fo_now_ns()

    def send(self, HttpTemplate template, query=None, body=None, *, double timeout=0.0):
        """Build ``template`` + ``?query`` + (Content-Length + ``body``) in a reused buffer, write it with
        one write and return a Future for the reply."""
        fut = self._loop.create_future()
        self._enqueue(fut, False, timeout)
        try:
            self._write_template(template, query, body)
        except BaseException:
            self._waiters.pop()
            raise
        self.last_used_ns = fo_now_ns()
        return fut

    def send_cb(self, HttpTemplate template, callback, query=None, body=None, *, double timeout=0.0):
        """``send`` with ``callback(response, exc)`` instead of a Future."""
        self._enqueue(callback, True, timeout)
        try:
            self._write_template(template, query, body)
        except BaseException:
            self._waiters.pop()
            raise
        self.last_used_ns = fo_now_ns()

    @property
    def in_flight(self):
        return len(self._waiters)

    @property
    def is_open(self):
        """True while the connection can take requests: open, and with compiled TLS its link too (a TLS
        failure or the server's close_notify ends the link at once; the transport's connection_lost, which
        clears `_open`, comes a loop iteration later, and a pool must not hand the connection out meanwhile)."""
        return self._open and (self._link.ssl == NULL or self._link.tls_state == TLS_OPEN)

    @property
    def fd(self):
        return self._link.fd

    @property
    def direct(self):
        """True when requests may bypass the transport (plaintext or compiled TLS)."""
        return self._link.direct

    @property
    def tls(self):
        """What TLS negotiated (engine "compiled" or "loop", version, cipher, alpn, resumed; with the compiled
        engine also "records": "compiled" when the link seals TLS 1.3 records itself, else "openssl"), None for
        plaintext."""
        return self._link.tls_info()

    @property
    def socket_options(self):
        """What ``configure_socket`` applied at connect: {option: value or error string}."""
        return self._link.socket_options

    @property
    def direct_sends(self):
        """Requests written straight to the socket (the transport had nothing queued)."""
        return self._link.direct_sends

    def close(self):
        """Close the connection; pending requests fail with HttpConnectionClosed."""
        self._open = False
        self._link.close()
        return self.closed

    def abort(self):
        self._open = False
        self._link.abort()

    def tcp_rtt(self):
        """The kernel's RTT estimate for this connection (TCP_INFO): (rtt_us, rttvar_us)."""
        return self._link.tcp_rtt()

    # ---- the read timeout: one lazily re-armed timer per connection -------------------------------------

    def _on_timer(self):
        cdef Waiter w
        if not self._waiters:
            return
        w = self._waiters[0]
        if w.deadline_ns <= fo_now_ns():
            # A late reply would be matched to the wrong request, so the connection is finished.
            self._waiters.popleft()
            self._open = False
            resolve(self._loop, w.waiter, w.is_cb, None, TimeoutError("no HTTP reply within the read timeout"))
            self._fail_waiters(HttpConnectionClosed("connection dropped after an earlier request timed out"))
            self._link.abort()
        else:
            self._link.arm_timer(w.deadline_ns)

    # ---- spin mode ----------------------------------------------------------------------------------------

    def spin(self, long budget_us):
        """Poll the socket (non-blocking recv) for up to ``budget_us`` microseconds or until a reply has
        been dispatched, parsing what arrives in place; return the number of replies dispatched.  Burns the
        calling core while polling and blocks the event loop meanwhile: for a dedicated core only.
        Plaintext or compiled TLS (not the loop's TLS transport).  EOF and errors are left for the transport
        to see."""
        cdef long before = self.dispatched
        if not self._link.direct or not self._open:
            raise RuntimeError("spin mode needs an open connection on plaintext or compiled TLS")
        self._link.spin(budget_us)
        return self.dispatched - before


cdef int _link_ready(object owner, object exc) except -1:
    cdef HttpClientProtocol c = <HttpClientProtocol>owner
    if exc is None:
        c._open = True
        if not c.ready.done():
            c.ready.set_result(None)
    else:
        if not c.ready.done():
            c.ready.set_exception(exc)
        c._fail(exc)
    return 0


cdef int _link_timer(object owner) except -1:
    (<HttpClientProtocol>owner)._on_timer()
    return 0


cdef int _link_bytes(object owner, const char *p, Py_ssize_t n) except -1:
    cdef HttpClientProtocol c = <HttpClientProtocol>owner
    cdef long before = c.dispatched
    c._on_bytes(p, n)
    return (LINK_DISPATCHED if c.dispatched != before else 0) | (0 if c._open else LINK_CLOSED)


cdef int _deliver(HttpClientProtocol self) except -1:
    """Hand the replies the parser completed to their waiters (callbacks run here, outside the parser)."""
    cdef list out = self._out
    if not out:
        return 0
    self._out = []
    for r in out:
        if not self._open and not self._waiters:
            break   # closed by an earlier reply (Connection: close): later ones have nobody to go to
        try:
            self._dispatch(<HttpResponse>r)
        except HttpParseError as e:
            self._fail(e)
            break
    return 0
