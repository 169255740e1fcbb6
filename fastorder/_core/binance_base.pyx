"""What the Binance Spot and USDⓈ-M futures encoders share (declared in binance_base.pxd; no public API of its
own: fastorder/_core/binance.pyi and binance_futures.pyi describe the classes built on it)."""

from libc.stdint cimport int64_t, uint64_t

from fastorder._core.buffer cimport WriteBuffer
from fastorder._core.numbers cimport SymbolRules, parse_number
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

cdef int64_t _MAX_I64 = 0x7FFFFFFFFFFFFFFF


cdef int invalid(str why, str field) except -1:
    raise InvalidOrder(why, field=field)


cdef class Signed:
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


cdef class RestSigned(Signed):
    def __init__(self, str api_key, signer, str host, recv_window, user_agent):
        super().__init__(api_key, signer, recv_window)
        cdef Text h
        host_text(host, &h)
        self.host = host
        ua = user_agent_line(user_agent)
        head = f" HTTP/1.1\r\nHost: {host}\r\n{ua}X-MBX-APIKEY: {api_key}\r\n".encode("ascii")
        self._sfx_body = head + b"Content-Length: 0\r\n\r\n"
        self._sfx_nobody = head + b"\r\n"

    def __repr__(self):
        return f"{type(self).__name__}(host={self.host!r}, api_key={self.api_key[:4]!r}…)"

    cdef int _recv_ts0(self, WriteBuffer b, Py_ssize_t start, int64_t ts) except -1:
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


cdef class WsSigned(Signed):
    def __init__(self, str api_key, signer, recv_window):
        super().__init__(api_key, signer, recv_window)
        self._sg = WriteBuffer()
        cdef bytes prefix = b"apiKey=" + api_key.encode("ascii")
        if not self._ed25519:
            (<HmacSha256>signer).begin(&self._key_ctx)
            SHA256_Update(&self._key_ctx, <const char *>prefix, <size_t>len(prefix))
            self._prefix_len = len(prefix)

    def __repr__(self):
        return f"{type(self).__name__}(api_key={self.api_key[:4]!r}…)"

    cdef int _open(self, WriteBuffer js, const Text *rid, bint quoted, const char *method, Py_ssize_t mlen,
                   bint logged_on) except -1:
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

    cdef int _recv_ts(self, WriteBuffer js, int64_t ts) except -1:
        if self.recv_window is not None:
            self._num(js, b"recvWindow", 10, <uint64_t>self._recv)
        return self._num(js, b"timestamp", 9, <uint64_t>ts)

    cdef int _ref_frame(self, WriteBuffer buf, const Text *rid, bint quoted, const char *method,
                        Py_ssize_t mlen, Ref *r, bint with_new, bint logged_on) except -1:
        self._open(buf, rid, quoted, method, mlen, logged_on)
        if with_new and r.has_new:
            self._str(buf, b"newClientOrderId", 16, &r.newid)
        if r.has_oid:
            self._raw(buf, b"orderId", 7, &r.oid)
        if r.has_orig:
            self._str(buf, b"origClientOrderId", 17, &r.orig)
        if self.recv_window is not None:
            self._num(buf, b"recvWindow", 10, <uint64_t>self._recv)
        self._str(buf, b"symbol", 6, &r.symbol)
        self._num(buf, b"timestamp", 9, <uint64_t>r.ts)
        return self._close(buf, not logged_on)

    def session_logon(self, WriteBuffer buf, request_id, *, timestamp):
        cdef char tmp[20]
        cdef Text rid
        cdef bint quoted = request_id_text(request_id, tmp, &rid)
        cdef int64_t ts = int_in(timestamp, 1, _MAX_I64, "timestamp")
        self._open(buf, &rid, quoted, b'session.logon","params":{', 25, False)
        self._recv_ts(buf, ts)
        self._close(buf, True)
