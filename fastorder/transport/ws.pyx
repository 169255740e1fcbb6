"""WebSocket (RFC 6455) client: a sans-IO frame parser/builder and a compiled asyncio Protocol on top of it.

Layers, bottom up:
  * ``build_frame`` / ``WSFrameParser`` -- bytes in, events out; no sockets, no loop.  Tests feed them bytes.
  * ``WSClientProtocol(WSFrameParser)`` -- the asyncio Protocol: handshake, masking in C (csrc/fo_ws_mask.h),
    automatic pong, client pings with RTT, the close handshake, request-id matching, a direct send path and
    an opt-in spin receive path.
  * ``fastorder.transport.client.open_ws`` -- the plain-Python connect helper (URL, TLS, plaintext policy).

No extension is ever negotiated (no permessage-deflate), so RSV bits must be zero.
"""
cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.errno cimport errno
from libc.stdint cimport int64_t, uint8_t, uint64_t
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy, memmove

from fastorder.transport._buf cimport buf_append, buf_grow, buf_keep_tail
from fastorder.transport._sock cimport fo_now_ns, fo_ws_mask, fo_ws_mask_key
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
import base64
import hashlib
import os

OP_CONT = 0
OP_TEXT = 1
OP_BINARY = 2
OP_CLOSE = 8
OP_PING = 9
OP_PONG = 10

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

cdef extern from "string.h" nogil:
    void *memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen)


# defined with the other errors (all derive from FastorderError); importable from here as before
from fastorder.errors import WSClosed, WSError


cdef inline bint _valid_close_code(int code) noexcept:
    # Same set as wsproto: registered protocol codes that may appear on the wire, plus 3000-4999.
    if 3000 <= code <= 4999:
        return True
    return code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013)


cdef inline bint _is_ascii(const char *p, Py_ssize_t n) noexcept:
    cdef Py_ssize_t i = 0
    cdef uint64_t w
    while i + 8 <= n:
        memcpy(&w, p + i, 8)
        if w & 0x8080808080808080ULL:
            return False
        i += 8
    while i < n:
        if <uint8_t>p[i] & 0x80:
            return False
        i += 1
    return True


cdef int _check_utf8(const char *p, Py_ssize_t n) except -1:
    if _is_ascii(p, n):
        return 0
    try:
        PyUnicode_DecodeUTF8(p, n, "strict")
    except UnicodeDecodeError:
        raise WSError(1007, "invalid UTF-8 in a text message or close reason") from None
    return 0


def parse_close(payload):
    """Split a close frame's payload into (code, reason); (1005, "") when it carries no code."""
    cdef bytes b = bytes(payload)
    if len(b) == 0:
        return 1005, ""
    if len(b) == 1:
        raise WSError(1002, "close frame with a 1-byte payload")
    code = (b[0] << 8) | b[1]
    return code, b[2:].decode("utf-8")


cdef Py_ssize_t _frame_header(unsigned char *h, int opcode, bint fin, Py_ssize_t n, bint masked) noexcept:
    """Write a frame header (without the masking key) into h (>= 10 bytes); return its length."""
    h[0] = <unsigned char>((0x80 if fin else 0) | opcode)
    cdef unsigned char mbit = 0x80 if masked else 0
    cdef uint64_t ln = <uint64_t>n
    cdef int i
    if n < 126:
        h[1] = mbit | <unsigned char>n
        return 2
    if n < 65536:
        h[1] = mbit | 126
        h[2] = <unsigned char>(n >> 8)
        h[3] = <unsigned char>(n & 0xff)
        return 4
    h[1] = mbit | 127
    for i in range(8):
        h[2 + i] = <unsigned char>((ln >> (8 * (7 - i))) & 0xff)
    return 10


def build_frame(int opcode, payload, *, bint fin=True, bint mask=True, mask_key=None):
    """Encode one frame.  Clients must mask (``mask=True``, a fresh random key unless ``mask_key`` is given)."""
    cdef Py_buffer view
    cdef unsigned char key[4]
    cdef unsigned char hdr[14]
    cdef Py_ssize_t hl
    cdef bytes out
    cdef char *o
    if opcode < 0 or opcode > 15:
        raise ValueError("opcode must be 0..15")
    PyObject_GetBuffer(payload, &view, PyBUF_SIMPLE)
    try:
        hl = _frame_header(hdr, opcode, fin, view.len, mask)
        if mask:
            if mask_key is not None:
                if len(mask_key) != 4:
                    raise ValueError("mask_key must be 4 bytes")
                memcpy(key, <const char *>mask_key, 4)
            elif fo_ws_mask_key(key) < 0:
                raise OSError(errno, "getrandom failed")
            memcpy(hdr + hl, key, 4)
            hl += 4
        out = PyBytes_FromStringAndSize(NULL, hl + view.len)
        o = PyBytes_AS_STRING(out)
        memcpy(o, hdr, hl)
        if mask:
            fo_ws_mask(<unsigned char *>o + hl, <const unsigned char *>view.buf, view.len, key)
        else:
            memcpy(o + hl, view.buf, view.len)
        return out
    finally:
        PyBuffer_Release(&view)


def mask_bytes(data, mask_key):
    """XOR ``data`` with the 4-byte ``mask_key`` (the C masking routine, exposed for tests)."""
    cdef Py_buffer view
    cdef bytes out
    if len(mask_key) != 4:
        raise ValueError("mask_key must be 4 bytes")
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        out = PyBytes_FromStringAndSize(NULL, view.len)
        fo_ws_mask(<unsigned char *>PyBytes_AS_STRING(out), <const unsigned char *>view.buf, view.len,
                   <const unsigned char *><const char *>mask_key)
        return out
    finally:
        PyBuffer_Release(&view)


cdef class WSFrameParser:
    """Sans-IO frame parser: ``feed(bytes)`` returns complete events as ``(opcode, payload)`` tuples.

    Data messages are reassembled from fragments (opcode OP_TEXT/OP_BINARY); control frames (OP_PING,
    OP_PONG, OP_CLOSE) are reported as they arrive, including between fragments.  Text is checked for UTF-8.
    Any violation raises WSError with the close code to send; the parser then refuses further input.
    ``expect_masked=True`` parses client-to-server frames (for servers and tests).
    """

    def __cinit__(self):
        self._buf = NULL
        self._blen = 0
        self._bcap = 0
        self._frag = NULL
        self._flen = 0
        self._fcap = 0
        self._frag_opcode = -1
        self._need = 0
        self._failed = False
        self._close_seen = False
        self._max_size = 4 * 1024 * 1024

    def __init__(self, *, Py_ssize_t max_size=4 * 1024 * 1024, bint expect_masked=False):
        if max_size <= 0:
            raise ValueError("max_size must be positive")
        self._max_size = max_size
        self._expect_masked = expect_masked
        self._events = []

    def __dealloc__(self):
        free(self._buf)
        free(self._frag)

    def feed(self, data):
        """Parse ``data`` (any bytes-like object); return the list of events it completed.  On a protocol
        error the WSError's ``events`` attribute holds the events completed before it."""
        cdef Py_buffer view
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
        try:
            self._feed(<const char *>view.buf, view.len)
        except WSError as e:
            e.events = self._events  # what this call completed before the error
            self._events = []
            raise
        finally:
            PyBuffer_Release(&view)
        ev = self._events
        self._events = []
        return ev

    cdef int _feed(self, const char *p, Py_ssize_t n) except -1:
        cdef const char *d
        cdef Py_ssize_t dl, pos = 0, used
        if self._failed:
            raise WSError(1002, "the WebSocket stream already failed")
        if n <= 0 or self._close_seen:
            return 0  # nothing may follow a close frame (RFC 6455 5.5.1): ignore it
        if self._blen:
            buf_append(&self._buf, &self._blen, &self._bcap, p, n)
            if self._blen < self._need:
                return 0
            d = self._buf
            dl = self._blen
        else:
            d = p
            dl = n
        try:
            while pos < dl and not self._close_seen:
                used = self._parse_one(d + pos, dl - pos)
                if used == 0:
                    break
                pos += used
            if self._close_seen:
                pos = dl
        except BaseException:
            self._failed = True
            self._blen = 0
            raise
        buf_keep_tail(&self._buf, &self._blen, &self._bcap, d, dl, pos)
        return 0

    cdef Py_ssize_t _parse_one(self, const char *p, Py_ssize_t n) except -1:
        """Handle one complete frame at p; return its size, or 0 (and set _need) when it is incomplete."""
        cdef uint8_t b0, b1
        cdef int opcode, i
        cdef bint fin, masked
        cdef uint64_t ln
        cdef Py_ssize_t hl = 2, total
        cdef const char *payload
        if n < 2:
            self._need = 2
            return 0
        b0 = <uint8_t>p[0]
        b1 = <uint8_t>p[1]
        fin = (b0 & 0x80) != 0
        opcode = b0 & 0x0F
        masked = (b1 & 0x80) != 0
        ln = b1 & 0x7F
        if b0 & 0x70:
            raise WSError(1002, "RSV bits set but no extension was negotiated")
        if masked != self._expect_masked:
            raise WSError(1002, "masked frame from server" if masked else "unmasked frame from client")
        if opcode >= 8:
            if opcode > 10:
                raise WSError(1002, f"reserved control opcode {opcode}")
            if not fin:
                raise WSError(1002, "fragmented control frame")
            if ln > 125:
                raise WSError(1002, "control frame payload > 125 bytes")
        elif opcode > 2:
            raise WSError(1002, f"reserved data opcode {opcode}")
        if ln == 126:
            hl = 4
            if n < hl:
                self._need = hl
                return 0
            ln = (<uint64_t><uint8_t>p[2] << 8) | <uint8_t>p[3]
            if ln < 126:
                raise WSError(1002, "payload length not minimally encoded")
        elif ln == 127:
            hl = 10
            if n < hl:
                self._need = hl
                return 0
            ln = 0
            for i in range(8):
                ln = (ln << 8) | <uint8_t>p[2 + i]
            if ln >> 63:
                raise WSError(1002, "64-bit payload length with the top bit set")
            if ln < 65536:
                raise WSError(1002, "payload length not minimally encoded")
        # Refuse an oversized message at its header, before buffering any of it.
        if opcode < 8 and <uint64_t>self._flen + ln > <uint64_t>self._max_size:
            raise WSError(1009, f"message larger than max_size={self._max_size}")
        # Sequence errors are known from the header: report them before waiting for the payload.
        if opcode == 0 and self._frag_opcode < 0:
            raise WSError(1002, "continuation frame without a message in progress")
        if (opcode == 1 or opcode == 2) and self._frag_opcode >= 0:
            raise WSError(1002, "new data frame while a fragmented message is in progress")
        if masked:
            hl += 4
        if <uint64_t>n < <uint64_t>hl + ln:
            self._need = hl + <Py_ssize_t>ln
            return 0
        self._need = 0
        payload = p + hl
        if masked:
            payload = self._unmask(p + hl - 4, payload, <Py_ssize_t>ln)
        if opcode >= 8:
            if opcode == 8:
                self._check_close(payload, <Py_ssize_t>ln)
                self._close_seen = True
            self._on_control(opcode, payload, <Py_ssize_t>ln)
        elif opcode == 0:
            if self._frag_opcode < 0:
                raise WSError(1002, "continuation frame without a message in progress")
            self._frag_append(payload, <Py_ssize_t>ln)
            if fin:
                opcode = self._frag_opcode
                self._frag_opcode = -1
                if opcode == 1:
                    _check_utf8(self._frag, self._flen)
                # Reset before the callback so a callback that re-enters the parser sees a clean state.
                total = self._flen
                self._flen = 0
                self._on_data(opcode, self._frag, total)
        else:
            if self._frag_opcode >= 0:
                raise WSError(1002, "new data frame while a fragmented message is in progress")
            if fin:
                if opcode == 1:
                    _check_utf8(payload, <Py_ssize_t>ln)
                self._on_data(opcode, payload, <Py_ssize_t>ln)
            else:
                self._frag_opcode = opcode
                self._flen = 0
                self._frag_append(payload, <Py_ssize_t>ln)
        return hl + <Py_ssize_t>ln

    cdef const char *_unmask(self, const char *key, const char *payload, Py_ssize_t n) except NULL:
        # Masked input only reaches servers/tests: unmask into a scratch area at the end of the frag buffer.
        cdef Py_ssize_t need = self._flen + n + 1
        if need > self._fcap:
            buf_grow(&self._frag, &self._fcap, need)
        fo_ws_mask(<unsigned char *>self._frag + self._fcap - n, <const unsigned char *>payload, n,
                   <const unsigned char *>key)
        return self._frag + self._fcap - n

    cdef int _frag_append(self, const char *p, Py_ssize_t n) except -1:
        if n == 0:
            return 0  # _frag may still be NULL: memmove(NULL, ..., 0) is undefined behaviour (UBSan)
        if self._flen + n > self._fcap:
            # p may point into the scratch area of _frag (masked input): copy through a temporary.
            tmp = PyBytes_FromStringAndSize(p, n)
            buf_grow(&self._frag, &self._fcap, self._flen + n)
            memmove(self._frag + self._flen, PyBytes_AS_STRING(tmp), n)
        else:
            memmove(self._frag + self._flen, p, n)
        self._flen += n
        return 0

    cdef int _check_close(self, const char *p, Py_ssize_t n) except -1:
        cdef int code
        if n == 0:
            return 0
        if n == 1:
            raise WSError(1002, "close frame with a 1-byte payload")
        code = (<uint8_t>p[0] << 8) | <uint8_t>p[1]
        if not _valid_close_code(code):
            raise WSError(1002, f"invalid close code {code}")
        _check_utf8(p + 2, n - 2)
        return 0

    cdef int _on_data(self, int opcode, const char *p, Py_ssize_t n) except -1:
        self._events.append((opcode, PyBytes_FromStringAndSize(p, n)))
        return 0

    cdef int _on_control(self, int opcode, const char *p, Py_ssize_t n) except -1:
        self._events.append((opcode, PyBytes_FromStringAndSize(p, n)))
        return 0


cdef enum:
    ST_HANDSHAKE = 0
    ST_OPEN = 1
    ST_CLOSING = 2
    ST_CLOSED = 3


cdef class WSClientProtocol(WSFrameParser):
    """asyncio Protocol for one client WebSocket connection.  Create it with
    ``fastorder.transport.client.open_ws`` (or ``loop.create_connection(lambda: WSClientProtocol(...))``).

    Replies are matched to requests by id: ``request(id, payload)`` registers ``id`` (bytes) and the id of
    every incoming data message is extracted either by ``id_func(payload) -> bytes | None`` or, by default,
    by finding ``id_pattern`` (``b'"id":'``) and taking the JSON string or number that follows.  Messages that
    match no pending request go to ``on_message(payload, binary)``.
    """

    def __init__(self, host, path="/", *, headers=(), on_message=None, id_pattern=b'"id":', id_func=None,
                 Py_ssize_t max_size=4 * 1024 * 1024, double read_timeout=0.5, int user_timeout_ms=3000,
                 bint quickack=False, int busy_poll_us=0, on_lost=None, tls=None, server_hostname=None):
        WSFrameParser.__init__(self, max_size=max_size)
        if not id_pattern and id_func is None:
            raise ValueError("need id_pattern or id_func")
        self._loop = asyncio.get_event_loop()
        self._link = new_link(self._loop, self, _link_bytes, _link_timer, _link_ready, read_timeout,
                              user_timeout_ms, quickack, busy_poll_us, tls, server_hostname)
        self._on_message_cb = on_message
        self._id_pattern = bytes(id_pattern) if id_pattern else b""
        self._id_func = id_func
        self._pending = {}
        self._pings = {}
        self._ping_seq = 0
        self._state = ST_HANDSHAKE
        self._hs_buf = bytearray()
        self._on_lost = on_lost
        self.close_code = None
        self.close_reason = ""
        self.dropped = 0
        self.dispatched = 0
        self.handshake = self._loop.create_future()
        self.closed = self._loop.create_future()
        key = base64.b64encode(os.urandom(16))
        self._accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
        lines = [b"GET " + _enc(path) + b" HTTP/1.1", b"Host: " + _enc(host), b"Upgrade: websocket",
                 b"Connection: Upgrade", b"Sec-WebSocket-Key: " + key, b"Sec-WebSocket-Version: 13"]
        for k, v in headers:
            lines.append(_enc(k) + b": " + _enc(v))
        self._hs_request = b"\r\n".join(lines) + b"\r\n\r\n"

    # ---- asyncio Protocol -------------------------------------------------------------------------------

    def connection_made(self, transport):
        self._link.attach(transport)   # -> _link_ready: at once, or after the compiled TLS handshake

    def data_received(self, data):
        self._link.received(data)   # -> _link_bytes (the upgrade reply first, then frames)

    def eof_received(self):
        self._link.eof()   # a TLS stream without close_notify: kept as the reason the connection ended
        return False

    def connection_lost(self, exc):
        self._state = ST_CLOSED
        exc = self._link.lost(exc)
        self._link.detach()
        if self.close_code is None:
            self.close_code = 1006
        err = WSClosed(f"WebSocket closed (code {self.close_code} {self.close_reason})".rstrip())
        if exc is not None:
            err.__cause__ = exc
        if not self.handshake.done():
            self.handshake.set_exception(err)
        self._fail_pending(err)
        if not self.closed.done():
            self.closed.set_result(self.close_code)
        if self._on_lost is not None:
            self._on_lost(self, exc)

    def pause_writing(self):
        pass

    def resume_writing(self):
        pass

    # ---- handshake ----------------------------------------------------------------------------------------

    cdef _handshake_data(self, data):
        self._hs_buf += data
        end = self._hs_buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self._hs_buf) > 65536:
                self._abort(WSError(1002, "handshake reply head larger than 64 KiB"))
            return
        head = bytes(self._hs_buf[:end])
        rest = bytes(self._hs_buf[end + 4:])
        self._hs_buf = None
        try:
            _check_handshake(head, self._accept)
        except WSError as e:
            self._abort(e)
            return
        self._state = ST_OPEN
        self.handshake.set_result(None)
        if rest:
            self._on_bytes(PyBytes_AS_STRING(rest), PyBytes_GET_SIZE(rest))

    # ---- receive ------------------------------------------------------------------------------------------

    cdef int _on_bytes(self, const char *p, Py_ssize_t n) except -1:
        try:
            self._feed(p, n)
        except WSError as e:
            _ws_deliver(self)   # the messages completed before the error first
            self._fail(e.args[0], e.code)
            return 0
        except MemoryError:
            _ws_deliver(self)
            self._fail("out of memory", 1009)
            return 0
        _ws_deliver(self)
        return 0

    cdef bytes _extract_id(self, bytes payload):
        cdef const char *p = PyBytes_AS_STRING(payload)
        cdef Py_ssize_t n = PyBytes_GET_SIZE(payload), pl = len(self._id_pattern), i, j
        cdef const char *hit
        if self._id_func is not None:
            r = self._id_func(payload)
            return None if r is None else bytes(r)
        hit = <const char *>memmem(p, n, PyBytes_AS_STRING(self._id_pattern), pl)
        if hit == NULL:
            return None
        i = (hit - p) + pl
        while i < n and (p[i] == b' ' or p[i] == b'\t'):
            i += 1
        if i >= n:
            return None
        if p[i] == b'"':
            j = i + 1
            while j < n and p[j] != b'"':
                j += 1
            if j >= n:
                return None
            return PyBytes_FromStringAndSize(p + i + 1, j - i - 1)
        j = i
        while j < n and (p[j] == b'-' or (b'0' <= p[j] <= b'9')):
            j += 1
        if j == i:
            return None
        return PyBytes_FromStringAndSize(p + i, j - i)

    cdef int _on_data(self, int opcode, const char *p, Py_ssize_t n) except -1:
        # queued only: the parser may still hold a pointer into its buffer, and a message's callback may feed
        # the connection again (growing that buffer); _ws_deliver runs the callbacks once the parser let go
        self._events.append((opcode, PyBytes_FromStringAndSize(p, n)))
        return 0

    cdef int _on_control(self, int opcode, const char *p, Py_ssize_t n) except -1:
        cdef uint64_t seq
        cdef int i
        if opcode == 9:      # ping: answer at once, echoing the payload (RFC 6455 5.5.3)
            if self._state == ST_OPEN:
                self._send_frame(10, p, n)
        elif opcode == 10:   # pong: ours carry an 8-byte sequence number
            if n == 8:
                seq = 0
                for i in range(8):
                    seq = (seq << 8) | <uint8_t>p[i]
                ent = self._pings.pop(seq, None)
                if ent is not None:
                    t0, fut = ent
                    if not fut.done():
                        fut.set_result((fo_now_ns() - <int64_t>t0) / 1e9)
        else:                # close
            code, reason = parse_close(PyBytes_FromStringAndSize(p, n))
            if self.close_code is None:
                self.close_code = code
                self.close_reason = reason
            if self._state == ST_OPEN:
                # Echo the code (RFC 6455 5.5.1), then let the server close TCP; close our side if it dawdles.
                self._state = ST_CLOSING
                self._send_close(code if code != 1005 else 1000, b"")
            self._state = ST_CLOSING
            self._link.close()
        return 0

    # ---- send ---------------------------------------------------------------------------------------------

    cdef int _write_out(self, const char *p, Py_ssize_t n) except -1:
        if self._link.transport is None:
            raise WSClosed("WebSocket is closed")
        return self._link.write(p, n, None)

    cdef int _send_frame(self, int opcode, const char *p, Py_ssize_t n) except -1:
        cdef Py_ssize_t hl
        cdef unsigned char key[4]
        cdef char *wbuf = self._link.wreserve(n + 14)
        hl = _frame_header(<unsigned char *>wbuf, opcode, True, n, True)
        if fo_ws_mask_key(key) < 0:
            raise OSError(errno, "getrandom failed")
        memcpy(wbuf + hl, key, 4)
        hl += 4
        fo_ws_mask(<unsigned char *>wbuf + hl, <const unsigned char *>p, n, key)
        return self._write_out(wbuf, hl + n)

    cdef int _send_obj(self, int opcode, object payload) except -1:
        cdef Py_buffer view
        if self._state != ST_OPEN:
            raise WSClosed("WebSocket is not open")
        if type(payload) is bytes:
            return self._send_frame(opcode, PyBytes_AS_STRING(payload), PyBytes_GET_SIZE(payload))
        if isinstance(payload, str):
            payload = (<str>payload).encode("utf-8")
            return self._send_frame(opcode, PyBytes_AS_STRING(payload), PyBytes_GET_SIZE(payload))
        PyObject_GetBuffer(payload, &view, PyBUF_SIMPLE)
        try:
            self._send_frame(opcode, <const char *>view.buf, view.len)
        finally:
            PyBuffer_Release(&view)
        return 0

    cdef int _send_close(self, int code, bytes reason) except -1:
        cdef bytes body = bytes([code >> 8, code & 0xff]) + reason
        return self._send_frame(8, PyBytes_AS_STRING(body), PyBytes_GET_SIZE(body))

    def send(self, payload, *, bint binary=False):
        """Send one message (str, bytes or any buffer), no reply expected."""
        self._send_obj(2 if binary else 1, payload)

    cdef Waiter _register(self, bytes req_id, object waiter, bint is_cb, double timeout):
        cdef Waiter pend
        if self._state != ST_OPEN:
            raise WSClosed("WebSocket is not open")
        if req_id in self._pending:
            raise ValueError(f"request id {req_id!r} is already pending")
        pend = self._link.waiter(waiter, is_cb, timeout)
        self._pending[req_id] = pend
        return pend

    def request(self, bytes req_id, payload, *, bint binary=False, double timeout=0.0):
        """Send ``payload`` and return a Future resolved with the reply whose id is ``req_id`` (bytes).

        The Future fails with TimeoutError after ``timeout`` seconds (default: the read timeout) and with
        WSClosed if the connection ends first.  The direct send path is used when nothing is queued."""
        fut = self._loop.create_future()
        self._register(req_id, fut, False, timeout)
        try:
            self._send_obj(2 if binary else 1, payload)
        except BaseException:
            del self._pending[req_id]
            raise
        return fut

    def request_cb(self, bytes req_id, payload, callback, *, bint binary=False, double timeout=0.0):
        """Like ``request`` but calls ``callback(reply_bytes, None)`` or ``callback(None, exc)`` instead of
        creating a Future (the cheapest way to get a reply: no Future, no task wake-up)."""
        self._register(req_id, callback, True, timeout)
        try:
            self._send_obj(2 if binary else 1, payload)
        except BaseException:
            del self._pending[req_id]
            raise

    def cancel_request(self, bytes req_id):
        """Forget a pending request (its reply, if it comes, goes to on_message)."""
        return self._pending.pop(req_id, None) is not None

    @property
    def pending(self):
        return len(self._pending)

    def ping(self):
        """Send a ping; return a Future resolved with the round-trip time in seconds when the pong comes."""
        cdef unsigned char b[8]
        cdef int i
        cdef uint64_t seq
        if self._state != ST_OPEN:
            raise WSClosed("WebSocket is not open")
        self._ping_seq += 1
        seq = self._ping_seq
        for i in range(8):
            b[i] = <unsigned char>((seq >> (8 * (7 - i))) & 0xff)
        fut = self._loop.create_future()
        self._pings[seq] = (fo_now_ns(), fut)
        self._send_frame(9, <const char *>b, 8)
        return fut

    def close(self, int code=1000, reason=""):
        """Start the close handshake; return the ``closed`` Future (resolved with the close code)."""
        cdef bytes r = reason.encode("utf-8") if isinstance(reason, str) else bytes(reason)
        if len(r) > 123:
            raise ValueError("close reason longer than 123 bytes")
        if not _valid_close_code(code):
            raise ValueError(f"invalid close code {code}")
        if self._state == ST_OPEN:
            self._state = ST_CLOSING
            self._send_close(code, r)
            if self._link.timer is None:
                # bound the wait for the server's reply
                self._link.arm_timer(fo_now_ns() + 1000000000)
        elif self._state == ST_HANDSHAKE:
            self._link.close()
        return self.closed

    def abort(self):
        self._link.abort()

    cdef _fail(self, str msg, int code):
        """The peer broke the protocol: send close(code), fail everything, drop the connection."""
        if self.close_code is None:
            self.close_code = code
            self.close_reason = msg
        if self._state == ST_OPEN:
            self._state = ST_CLOSING
            try:
                self._send_close(code, b"")
            except Exception:
                pass
        self._fail_pending(WSError(code, msg))
        self._link.close()

    cdef _abort(self, exc):
        if not self.handshake.done():
            self.handshake.set_exception(exc)
        self.close_code = 1002
        self._link.abort()

    cdef _fail_pending(self, exc):
        cdef Waiter pend
        pending = self._pending
        self._pending = {}
        for pend in pending.values():
            resolve(self._loop, pend.waiter, pend.is_cb, None, exc)
        pings = self._pings
        self._pings = {}
        for _t0, fut in pings.values():
            if not fut.done():
                fut.set_exception(exc)

    # ---- timeouts: one lazily re-armed timer per connection, not one per request -------------------------

    def _on_timer(self):
        cdef Waiter pend
        cdef int64_t now = fo_now_ns(), nxt = 0
        if self._state == ST_CLOSING:
            self._link.abort()   # the server never answered our close
            return
        expired = []
        for k, pend in self._pending.items():
            if pend.deadline_ns <= now:
                expired.append(k)
            elif nxt == 0 or pend.deadline_ns < nxt:
                nxt = pend.deadline_ns
        for k in expired:
            pend = self._pending.pop(k)
            resolve(self._loop, pend.waiter, pend.is_cb, None, TimeoutError(f"no reply to request {k!r} in time"))
        if nxt:
            self._link.arm_timer(nxt)

    # ---- socket-level extras ------------------------------------------------------------------------------

    def tcp_rtt(self):
        """The kernel's RTT estimate for this connection (TCP_INFO): (rtt_us, rttvar_us)."""
        return self._link.tcp_rtt()

    @property
    def is_open(self):
        """True while the connection can send: open, and with compiled TLS its link too (a TLS failure or
        the server's close_notify ends the link at once; connection_lost comes a loop iteration later)."""
        return self._state == ST_OPEN and (self._link.ssl == NULL or self._link.tls_state == TLS_OPEN)

    @property
    def fd(self):
        return self._link.fd

    @property
    def direct(self):
        """True when sends may bypass the transport (plaintext or compiled TLS)."""
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
        """Frames written straight to the socket (the transport had nothing queued)."""
        return self._link.direct_sends

    def spin(self, long budget_us):
        """Spin mode: poll the socket (non-blocking recv) for up to ``budget_us`` microseconds or until at
        least one message has been dispatched, handling what arrives in place; return the number of messages
        dispatched.  It burns 100% of the calling core while it polls and blocks the event loop meanwhile, so
        it is for a dedicated core: send, then ``spin()``, then check the Future.  Plaintext or compiled TLS
        (not the loop's TLS transport, whose records only its SSL object can read).  EOF and errors are left
        for the transport to see."""
        cdef long before = self.dispatched
        if not self._link.direct or self._state != ST_OPEN:
            raise RuntimeError("spin mode needs an open connection on plaintext or compiled TLS")
        self._link.spin(budget_us)
        return self.dispatched - before


cdef int _link_ready(object owner, object exc) except -1:
    cdef WSClientProtocol c = <WSClientProtocol>owner
    if exc is None:
        c._link.write_setup(c._hs_request)
    else:
        c._abort(exc)
    return 0


cdef int _link_timer(object owner) except -1:
    (<WSClientProtocol>owner)._on_timer()
    return 0


cdef int _link_bytes(object owner, const char *p, Py_ssize_t n) except -1:
    cdef WSClientProtocol c = <WSClientProtocol>owner
    cdef long before = c.dispatched
    if c._state == ST_HANDSHAKE:
        c._handshake_data(PyBytes_FromStringAndSize(p, n))
        return 0
    c._on_bytes(p, n)
    return (LINK_DISPATCHED if c.dispatched != before else 0) | (0 if c._state == ST_OPEN else LINK_CLOSED)


cdef bytes _enc(s):
    cdef bytes b = s.encode("latin-1") if isinstance(s, str) else bytes(s)
    if b"\r" in b or b"\n" in b or b"\0" in b:
        raise ValueError(f"CR/LF/NUL not allowed in a header or path: {b!r}")
    return b


def _check_handshake(bytes head, bytes accept):
    lines = head.split(b"\r\n")
    status = lines[0].split(b" ", 2)
    if len(status) < 2 or not status[0].startswith(b"HTTP/1.") or status[1] != b"101":
        raise WSError(1002, f"handshake refused: {lines[0][:200]!r}")
    hdrs = {}
    for line in lines[1:]:
        k, sep, v = line.partition(b":")
        if not sep:
            raise WSError(1002, f"malformed handshake header line {line[:100]!r}")
        hdrs.setdefault(k.strip().lower(), []).append(v.strip())
    if [v.lower() for v in hdrs.get(b"upgrade", [])] != [b"websocket"]:
        raise WSError(1002, "handshake reply lacks 'Upgrade: websocket'")
    conn = b",".join(hdrs.get(b"connection", [])).lower()
    if b"upgrade" not in [t.strip() for t in conn.split(b",")]:
        raise WSError(1002, "handshake reply lacks 'Connection: Upgrade'")
    if hdrs.get(b"sec-websocket-accept") != [accept]:
        raise WSError(1002, "Sec-WebSocket-Accept does not match the key we sent")
    if hdrs.get(b"sec-websocket-extensions"):
        raise WSError(1010, "server selected an extension we did not offer")


cdef int _ws_dispatch(WSClientProtocol self, int opcode, bytes payload) except -1:
    """One message: the reply a request waits for (by its id), else the on_message callback."""
    cdef Waiter pend
    if self._pending:
        key = self._extract_id(payload)
        if key is not None:
            pend = self._pending.pop(key, None)
            if pend is not None:
                self.dispatched += 1
                resolve(self._loop, pend.waiter, pend.is_cb, payload, None)
                return 0
    if self._on_message_cb is not None:
        self.dispatched += 1
        try:
            self._on_message_cb(payload, opcode == 2)
        except Exception as e:  # a user callback must not break the protocol
            self._loop.call_exception_handler(
                {"message": "fastorder ws on_message callback failed", "exception": e})
    else:
        self.dropped += 1
    return 0


cdef int _ws_deliver(WSClientProtocol self) except -1:
    """Hand the messages the parser completed to their waiters / on_message (outside the parser)."""
    cdef list ev = self._events
    if not ev:
        return 0
    self._events = []
    for opcode, payload in ev:
        _ws_dispatch(self, opcode, payload)
    return 0
