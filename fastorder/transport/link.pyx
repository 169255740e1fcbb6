"""The byte stream under a protocol, shared by the HTTP and WebSocket clients.

A ``Link`` owns what both protocols do with their socket: the socket options at connect, the direct write
(straight to the socket when the transport has nothing queued, the uvloop ``_try_write`` idea without the
Python call), the TCP_QUICKACK re-arm after each read, the one lazily re-armed timer, the kernel's RTT
estimate and spin mode (polling the socket on this core instead of sleeping in epoll).  The protocol keeps
its parser and its request table and hands the link C hooks for the bytes it reads, its timer and the moment
the stream is ready.

TLS, compiled: with a ``TlsConfig`` the link runs an OpenSSL ``SSL`` object between two memory BIOs over the
loop's plain TCP transport.  Ciphertext the loop reads (``data_received``) or spin mode reads (``recv``) goes
into the read BIO and comes out of ``SSL_read`` as plaintext for the owner; ``SSL_write`` encrypts into the
write BIO, whose bytes go straight to the socket when the transport has nothing queued (else through the
transport).  So the direct write and spin mode work over TLS as over plaintext.  TLS 1.3 KeyUpdate is
answered at once; renegotiation is refused (no venue asks for it).  The stream ends cleanly only with the
server's ``close_notify``; an end without it (a truncated stream) or a record that does not decrypt fails
the pending requests with ``TlsError``.

TLS 1.3 records, compiled (``TlsConfig(record_layer="compiled")``, the default): once OpenSSL's handshake is
done, application data is sealed and opened here (csrc/fo_tls13.h) with the traffic secrets OpenSSL's key
log hands over, instead of by ``SSL_write``/``SSL_read`` (whose per-record set-up costs several times the
cipher work).  From then on OpenSSL never writes to the server again (its write state is stale: anything it
puts in the write BIO is dropped): KeyUpdate (answered, and sent by us before a write key has sealed
2^23 records), close_notify and alerts are ours.  A NewSessionTicket is re-sealed under the key and
sequence number OpenSSL's read state expects and read by ``SSL_read``, so OpenSSL makes the session and
resumption works as before.  TLS 1.2 and the CCM suites keep OpenSSL's records.
"""
cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.errno cimport errno
from libc.stdint cimport int64_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memmove

from fastorder.transport._buf cimport buf_append, buf_grow
from fastorder.transport._ssl cimport (
    BIO_ctrl_pending, BIO_get_mem_data, BIO_new, BIO_read, BIO_reset, BIO_s_mem, BIO_set_mem_eof_return,
    BIO_write, ERR_clear_error, ERR_peek_error, SSL_CTX_set_keylog_callback, SSL_has_pending, SSL_set_ex_data,
    SSL_CIPHER_get_name, SSL_ERROR_WANT_READ, SSL_ERROR_ZERO_RETURN, SSL_KEY_UPDATE_NONE, SSL_KEY_UPDATE_NOT_REQUESTED,
    SSL_do_handshake, SSL_free, SSL_key_update,
    SSL_get0_alpn_selected, SSL_get_current_cipher, SSL_get_error, SSL_get_key_update_type, SSL_get_version,
    SSL_new, SSL_read, SSL_session_reused, SSL_set_bio, SSL_set_connect_state, SSL_shutdown, SSL_write,
)
from fastorder.transport.tls cimport TlsConfig, tls_failure
from fastorder.transport._tls13 cimport (
    FO_CT_ALERT, FO_CT_APPDATA, FO_CT_HANDSHAKE, FO_E_CRYPTO, FO_E_MAC, FO_E_NO_TYPE, FO_E_OUTER_TYPE,
    FO_E_OVERFLOW, FO_E_SEQ, FO_E_SHORT, FO_E_VERSION, FO_TLS13_MAX_PLAIN, FO_TLS13_OVERHEAD, fo_tls13,
    fo_tls13_free, fo_tls13_index, fo_tls13_keylog, fo_tls13_new, fo_tls13_open, fo_tls13_seal,
    fo_tls13_set_nonce_by_init, fo_tls13_start, fo_tls13_update,
)
from fastorder.transport._sock cimport (
    IPPROTO_TCP, TCP_QUICKACK, fo_now_ns, fo_sock_send, fo_sock_set_int, fo_sock_spin_recv, fo_sock_tcp_rtt,
)

from fastorder.transport.sock import configure_socket
from fastorder.errors import ConfigError, TlsError

cdef enum:
    _RBUF = 65536
    _MAX_HS_MSG = 1 << 17   # a NewSessionTicket: a ticket and extensions of up to 2^16 bytes each

# Records sealed under one write key before we send KeyUpdate and change it.  RFC 8446 5.5: AES-GCM may
# protect up to 2^24.5 full records per key; 2^23 keeps well inside that for every suite.
cdef uint64_t _rekey_after = (<uint64_t>1) << 23

# alert descriptions (RFC 8446 6), for the messages of the errors they end a connection with
_ALERTS = {0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 22: "record_overflow",
           40: "handshake_failure", 42: "bad_certificate", 47: "illegal_parameter", 50: "decode_error",
           51: "decrypt_error", 70: "protocol_version", 80: "internal_error", 90: "user_canceled",
           109: "missing_extension", 110: "unsupported_extension", 116: "certificate_required"}


def _set_rekey_after(n):
    """Tests: send KeyUpdate after ``n`` records under one write key (0: the default, 2^23); returns the
    previous value."""
    global _rekey_after
    old = _rekey_after
    _rekey_after = n if n > 0 else (<uint64_t>1) << 23
    return old


def _set_nonce_by_init(on):
    """Tests: record keys set from now on take each record's nonce through EVP_CipherInit_ex (the fallback for
    a provider that refuses the fixed-IV parameter) instead of the parameter; returns the previous value."""
    return bool(fo_tls13_set_nonce_by_init(1 if on else 0))


@cython.freelist(64)
@cython.final
cdef class Waiter:
    # One request waiting for its reply, held by the owner's request table until the reply, a timeout or the
    # connection's end.
    pass


cdef inline void err_clear() noexcept nogil:
    """Empty this thread's OpenSSL error queue before an SSL call (SSL_get_error reads it). OpenSSL 3's
    ERR_clear_error resets all 16 slots of the queue each time (~900 instructions, measured with callgrind);
    peeking first costs a fraction of that, and the queue is almost always empty already."""
    if ERR_peek_error() != 0:
        ERR_clear_error()


cdef void resolve(object loop, object waiter, bint is_cb, object result, object exc):
    try:
        if is_cb:
            waiter(result, exc)
        elif not waiter.done():
            if exc is None:
                waiter.set_result(result)
            else:
                waiter.set_exception(exc)
    except BaseException as e:  # a user callback must not break the protocol
        loop.call_exception_handler({"message": "fastorder reply callback failed", "exception": e})


cdef class Link:

    def __cinit__(self):
        self.fd = -1
        self.rbuf = NULL
        self.cbuf = NULL
        self.wbuf = NULL
        self.wcap = 0
        self.owner = NULL
        self.ssl = NULL
        self.tls_state = TLS_NONE
        self.rec = NULL
        self.ibuf = NULL
        self.obuf = NULL

    def __dealloc__(self):
        fo_tls13_free(self.rec)   # wiped
        self.rec = NULL
        if self.ssl != NULL:
            SSL_free(self.ssl)   # frees both BIOs
        free(self.ibuf)
        free(self.obuf)
        free(self.rbuf)
        free(self.cbuf)
        free(self.wbuf)

    cdef int attach(self, object transport) except -1:
        """connection_made: remember the transport, tune its socket, decide whether writes may bypass it,
        start the TLS handshake (compiled TLS) or tell the owner the stream is ready."""
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            self.fd = sock.fileno()
            self.socket_options = configure_socket(self.fd, **self.sockopts)
        # The direct path and spin mode bypass the transport: they need the raw socket, which carries
        # plaintext or, with compiled TLS, our own records (not those of the loop's TLS transport).
        self.direct = self.fd >= 0 and transport.get_extra_info("sslcontext") is None
        if self.tls is None:
            self.on_ready(<object>self.owner, None)
        else:
            self._tls_start()
        return 0

    cdef int detach(self) except -1:
        """connection_lost: the socket is gone."""
        self.transport = None
        self.fd = -1
        self.direct = False
        self.cancel_timer()
        if self.tls_state == TLS_HANDSHAKE or self.tls_state == TLS_OPEN:
            self.tls_state = TLS_FAILED
        self._rec_wipe()
        return 0

    cdef object lost(self, object exc):
        """Why the stream ended, for the owner's connection_lost: the TLS error if there was one, else the
        transport's ``exc``."""
        return self.lost_reason if self.lost_reason is not None else exc

    cdef bint eof(self) except -1:
        """eof_received: True when the stream ended cleanly (plaintext, or after the server's close_notify).
        A TLS stream that ends without close_notify may have been cut short: False, with the error kept."""
        if self.tls_state == TLS_HANDSHAKE:
            self._tls_fail(TlsError("TLS: the server closed the connection during the handshake"))
            self.on_ready(<object>self.owner, self.lost_reason)
            return False
        if self.tls_state == TLS_OPEN:
            self.tls_state = TLS_FAILED
            if self.lost_reason is None:
                self.lost_reason = TlsError("TLS: the connection ended without close_notify (truncated)")
            return False
        return self.tls_state != TLS_FAILED

    cdef int received(self, object data) except -1:
        """data_received: hand the bytes to the owner (plaintext), or decrypt them first."""
        cdef bytes b
        if self.quickack and self.fd >= 0:
            fo_sock_set_int(self.fd, IPPROTO_TCP, TCP_QUICKACK, 1)  # the kernel clears it again: re-arm
        b = data if type(data) is bytes else bytes(data)
        if self.ssl == NULL:
            self.on_bytes(<object>self.owner, PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b))
            return 0
        if self.tls_state != TLS_HANDSHAKE and self.tls_state != TLS_OPEN:
            return 0   # after close_notify or a failure nothing more is read
        if self.rec_on:
            self._rec_feed(PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b))
            return 0
        BIO_write(self.rbio, PyBytes_AS_STRING(b), <int>PyBytes_GET_SIZE(b))
        if self.tls_state == TLS_HANDSHAKE:
            if self._tls_handshake() != 1 or self.rec_on:
                return 0   # waiting, failed, or compiled records (which read what followed the handshake)
        self._tls_drain()
        return 0

    cdef int write(self, const char *p, Py_ssize_t n, object obj) except -1:
        """One write: straight to the socket when the transport has nothing queued, else (or for what the
        socket did not take) through the transport.  ``obj``, if given, holds exactly p[:n] and is handed to
        the transport as is instead of a copy.  With compiled TLS, p[:n] is encrypted first."""
        cdef Py_ssize_t r = 0
        cdef int w, err
        if self.ssl != NULL:
            if self.tls_state != TLS_OPEN:
                raise TlsError("TLS: the connection is not open")
            if n == 0:
                return 0
            if self.rec_on:
                return self._rec_write(FO_CT_APPDATA, p, n, True)
            err_clear()
            w = SSL_write(self.ssl, p, <int>n)
            if w != n:
                err = SSL_get_error(self.ssl, w)
                self._tls_fail(tls_failure(self.ssl, w, err, False))
                raise self.lost_reason
            return self._tls_flush(True)
        if self.direct and self.transport.get_write_buffer_size() == 0:
            r = fo_sock_send(self.fd, p, n)
            if r == n:
                self.direct_sends += 1
                return 0
            if r < 0:
                r = 0  # the transport's own write sees and reports the error
        if obj is not None and r == 0:
            self.transport.write(obj)
        else:
            self.transport.write(PyBytes_FromStringAndSize(p + r, n - r))
        return 0

    cdef int write_setup(self, bytes data) except -1:
        """Bytes that set the connection up (a WebSocket upgrade request): through the transport, or
        encrypted; not counted as a direct send."""
        cdef int w
        if self.ssl == NULL:
            self.transport.write(data)
            return 0
        if self.rec_on:
            if self.tls_state != TLS_OPEN:
                raise TlsError("TLS: the connection is not open")
            return self._rec_write(FO_CT_APPDATA, PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), False)
        ERR_clear_error()
        w = SSL_write(self.ssl, PyBytes_AS_STRING(data), <int>PyBytes_GET_SIZE(data))
        if w != PyBytes_GET_SIZE(data):
            self._tls_fail(tls_failure(self.ssl, w, SSL_get_error(self.ssl, w), False))
            raise self.lost_reason
        return self._tls_flush(False)

    cdef char *wreserve(self, Py_ssize_t need) except NULL:
        """The reused buffer a request or frame is built in before ``write``, at least ``need`` bytes."""
        if need > self.wcap:
            buf_grow(&self.wbuf, &self.wcap, need)
        return self.wbuf

    cdef int arm_timer(self, int64_t deadline_ns) except -1:
        cdef double delay = (deadline_ns - fo_now_ns()) / 1e9
        self.timer = self.loop.call_later(delay if delay > 0 else 0, self._fire)
        self.armed_owner = <object>self.owner  # the armed timer keeps the owner alive, as its callback would
        return 0

    def _fire(self):
        owner = self.armed_owner
        self.timer = None
        self.armed_owner = None
        self.on_timer(owner)

    cdef Waiter waiter(self, object waiter, bint is_cb, double timeout):
        """A request's entry for the owner's table: its deadline (``timeout`` s, or the read timeout when 0)
        and the timer armed if none is."""
        cdef Waiter w = Waiter.__new__(Waiter)
        w.waiter = waiter
        w.is_cb = is_cb
        w.deadline_ns = fo_now_ns() + (<int64_t>(timeout * 1e9) if timeout > 0 else self.read_timeout_ns)
        if self.timer is None:
            self.arm_timer(w.deadline_ns)
        return w

    cdef int cancel_timer(self) except -1:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
            self.armed_owner = None
        return 0

    cdef int spin(self, long budget_us) except -1:
        """Poll the socket (non-blocking recv) for up to ``budget_us`` µs, handing what arrives to the owner
        (decrypted first with compiled TLS), until the owner has dispatched something and the socket is
        drained, or is finished with the stream.  EOF and errors are left for the transport to see.  Blocks
        the event loop meanwhile."""
        cdef int64_t deadline = fo_now_ns() + <int64_t>budget_us * 1000
        cdef ssize_t r
        cdef int fd = self.fd, got = 0
        cdef bint tls = self.ssl != NULL
        cdef char *buf
        if self.rbuf == NULL:
            self.rbuf = <char *>malloc(_RBUF)
            if self.rbuf == NULL:
                raise MemoryError()
        if tls and self.cbuf == NULL:
            self.cbuf = <char *>malloc(_RBUF)
            if self.cbuf == NULL:
                raise MemoryError()
        buf = self.cbuf if tls else self.rbuf
        while True:
            # Poll without the GIL: a server or another strategy thread in this process must keep running.
            with nogil:
                r = fo_sock_spin_recv(fd, buf, _RBUF, deadline)
            if r <= 0:
                return 0  # deadline, or EOF/error left for the transport to see
            if self.rec_on:
                got |= self._rec_feed(buf, r)
            elif tls:
                BIO_write(self.rbio, buf, <int>r)
                got |= self._tls_drain()
            else:
                got |= self.on_bytes(<object>self.owner, buf, r)
            if (got & LINK_DISPATCHED and r < _RBUF) or got & LINK_CLOSED:
                return 0

    cdef tuple tcp_rtt(self):
        cdef uint32_t rtt = 0, var = 0
        if self.fd < 0 or fo_sock_tcp_rtt(self.fd, &rtt, &var) < 0:
            raise OSError(errno, "TCP_INFO unavailable")
        return (rtt, var)

    cdef int close(self) except -1:
        if self.transport is not None:
            try:
                if self.tls_state == TLS_OPEN or self.tls_state == TLS_PEER_CLOSED:
                    if self.tls_state == TLS_OPEN:
                        self.tls_state = TLS_FAILED   # nothing more is read or written
                    if self.rec_on:
                        if self.rec != NULL:
                            self._rec_write(FO_CT_ALERT, b"\x01\x00", 2, False)   # close_notify (warning, 0)
                    else:
                        ERR_clear_error()
                        SSL_shutdown(self.ssl)   # our close_notify, then the TCP close
                        ERR_clear_error()
                        self._tls_flush(False)
            finally:
                self._rec_wipe()
                self.transport.close()
        else:
            self._rec_wipe()
        return 0

    cdef int abort(self) except -1:
        if self.transport is not None:
            self.transport.abort()
        return 0

    cdef dict tls_info(self):
        """What was negotiated: engine, version, cipher, ALPN, whether the session was resumed."""
        cdef const unsigned char *alpn
        cdef unsigned int alen = 0
        if self.ssl != NULL:
            SSL_get0_alpn_selected(self.ssl, &alpn, &alen)
            return {"engine": "compiled", "version": SSL_get_version(self.ssl).decode(),
                    "cipher": _cipher_name(self.ssl), "alpn": alpn[:alen].decode() if alen else None,
                    "resumed": bool(SSL_session_reused(self.ssl)),
                    "records": "compiled" if self.rec_on else "openssl"}
        obj = self.transport.get_extra_info("ssl_object") if self.transport is not None else None
        if obj is None:
            return None
        c = obj.cipher()
        return {"engine": "loop", "version": obj.version(), "cipher": c[0] if c else None,
                "alpn": obj.selected_alpn_protocol(), "resumed": obj.session_reused}

    # ---- compiled TLS ---------------------------------------------------------------------------------------

    cdef int _tls_start(self) except -1:
        cdef BIO *rb
        cdef BIO *wb
        if self.rbuf == NULL:
            self.rbuf = <char *>malloc(_RBUF)   # SSL_read's plaintext
            if self.rbuf == NULL:
                raise MemoryError()
        self.ssl = SSL_new(self.tls.ctx)
        if self.ssl == NULL:
            raise MemoryError("SSL_new failed")
        rb = BIO_new(BIO_s_mem())
        wb = BIO_new(BIO_s_mem())
        if rb == NULL or wb == NULL:
            raise MemoryError("BIO_new failed")
        BIO_set_mem_eof_return(rb, -1)   # an empty read BIO means "wait for more", not EOF
        BIO_set_mem_eof_return(wb, -1)
        SSL_set_bio(self.ssl, rb, wb)
        self.rbio = rb
        self.wbio = wb
        SSL_set_connect_state(self.ssl)
        if self.tls.record_layer == "compiled":
            # the key log hands this connection's traffic secrets to self.rec (C memory) during the handshake
            self.rec = fo_tls13_new(_rekey_after)
            if self.rec == NULL:
                raise MemoryError()
            SSL_CTX_set_keylog_callback(self.tls.ctx, fo_tls13_keylog)
            SSL_set_ex_data(self.ssl, fo_tls13_index(), <void *>self.rec)
        self.tls.configure(self.ssl, self.tls_host)
        self.tls_state = TLS_HANDSHAKE
        self._tls_handshake()
        return 0

    cdef int _tls_handshake(self) except -1:
        """Advance the handshake: 1 done (the owner is told), 0 waiting for the server, 2 failed (the owner
        is told, the connection aborted)."""
        cdef int r, err
        ERR_clear_error()
        r = SSL_do_handshake(self.ssl)
        if r == 1:
            self._tls_flush(False)
            self.tls_state = TLS_OPEN
            self.tls.handshakes += 1
            if SSL_session_reused(self.ssl):
                self.tls.resumed += 1
            if self.rec != NULL:
                self._rec_start()
            self.on_ready(<object>self.owner, None)
            if self.rec_on and self.ilen:
                self._rec_feed(NULL, 0)   # what the server sent right after its Finished
            return 1
        err = SSL_get_error(self.ssl, r)
        if err == SSL_ERROR_WANT_READ:
            self._tls_flush(False)
            return 0
        exc = tls_failure(self.ssl, r, err, True)
        self._tls_fail(exc)
        self.on_ready(<object>self.owner, exc)
        return 2

    cdef int _tls_drain(self) except -1:
        """Decrypt every whole record in the read BIO and hand the plaintext to the owner; returns the
        owner's LINK_* bits (LINK_CLOSED also when the stream ended)."""
        cdef int r, err, got = 0
        while self.tls_state == TLS_OPEN:
            err_clear()
            r = SSL_read(self.ssl, self.rbuf, _RBUF)
            if r > 0:
                got |= self.on_bytes(<object>self.owner, self.rbuf, r)
                # Nothing left, neither in the read BIO nor inside the SSL object: another SSL_read could only
                # say WANT_READ (measured ~3,000 instructions a round trip for that answer), so stop here.
                if BIO_ctrl_pending(self.rbio) == 0 and not SSL_has_pending(self.ssl):
                    break
                continue
            err = SSL_get_error(self.ssl, r)
            if err == SSL_ERROR_WANT_READ:
                break
            if err == SSL_ERROR_ZERO_RETURN:
                # close_notify: the server will send nothing more; answer it and close (requests still
                # waiting fail as the connection is lost)
                self.tls_state = TLS_PEER_CLOSED
                if self.lost_reason is None:
                    self.lost_reason = TlsError("TLS: the server closed the connection (close_notify)")
                self.close()
                return got | LINK_CLOSED
            self._tls_fail(tls_failure(self.ssl, r, err, False))
            return got | LINK_CLOSED
        if self.tls_state == TLS_OPEN and SSL_get_key_update_type(self.ssl) != SSL_KEY_UPDATE_NONE:
            # The server asked for our KeyUpdate: OpenSSL would send it before our next record (RFC 8446
            # 4.6.3); send it now, so an idle connection answers too.
            if SSL_key_update(self.ssl, SSL_KEY_UPDATE_NOT_REQUESTED) == 1:
                SSL_do_handshake(self.ssl)
            ERR_clear_error()
        self._tls_flush(False)
        return got

    cdef int _tls_flush(self, bint count) except -1:
        """Send what the SSL object wrote into the write BIO: to the socket directly when nothing is queued,
        the rest (or all) through the transport."""
        cdef char *data = NULL
        cdef long m = BIO_get_mem_data(self.wbio, &data)
        if m <= 0:
            return 0
        if not self.rec_on:   # with compiled records OpenSSL's write state is stale: nothing it wrote is sent
            self._send_raw(data, m, count)
        BIO_reset(self.wbio)
        return 0

    cdef int _send_raw(self, const char *data, Py_ssize_t m, bint count) except -1:
        """Bytes to the socket directly when nothing is queued, the rest (or all) through the transport."""
        cdef ssize_t r = 0
        if self.transport is None:
            return 0
        if self.direct and self.transport.get_write_buffer_size() == 0:
            r = fo_sock_send(self.fd, data, m)
            if r == m:
                if count:
                    self.direct_sends += 1
                return 0
            if r < 0:
                r = 0  # the transport's own write sees and reports the error
        self.transport.write(PyBytes_FromStringAndSize(data + r, m - r))
        return 0

    cdef int _tls_fail(self, object exc) except -1:
        """A TLS error: keep it as the reason the stream ended, send the alert OpenSSL wrote, drop the
        connection."""
        self.tls_state = TLS_FAILED
        if self.lost_reason is None:
            self.lost_reason = exc
        self._tls_flush(False)
        self._rec_wipe()
        self.abort()
        return 0

    # ---- compiled TLS 1.3 records (csrc/fo_tls13.h) ---------------------------------------------------------

    cdef int _rec_start(self) except -1:
        """The handshake is done: take over application data if fo_tls13_start can (TLS 1.3, a GCM or
        ChaCha20 suite, both secrets logged) and OpenSSL holds nothing already read; else OpenSSL's records."""
        cdef fo_tls13 *t = self.rec
        cdef size_t pend
        self.rec = NULL
        SSL_set_ex_data(self.ssl, fo_tls13_index(), NULL)
        if fo_tls13_start(t, self.ssl) != 0 or SSL_has_pending(self.ssl):
            fo_tls13_free(t)   # the logged secrets are wiped with it
            return 0
        self.rec = t
        # records that arrived behind the server's Finished are still ciphertext in the read BIO: ours now
        pend = BIO_ctrl_pending(self.rbio)
        if pend:
            if self.ilen + <Py_ssize_t>pend > self.icap:
                buf_grow(&self.ibuf, &self.icap, self.ilen + pend)
            self.ilen += BIO_read(self.rbio, self.ibuf + self.ilen, <int>pend)
        self.rec_on = True
        return 0

    cdef int _rec_feed(self, const char *p, Py_ssize_t n) except -1:
        """Ciphertext p[:n] arrived: open every whole record, hand application data to the owner, act on
        alerts and post-handshake messages, keep a partial record for the next read.  Returns the owner's
        LINK_* bits (LINK_CLOSED also when the stream ended)."""
        cdef long r
        cdef size_t outlen = 0
        cdef int typ = 0, got = 0
        cdef Py_ssize_t off = 0
        if n:
            buf_append(&self.ibuf, &self.ilen, &self.icap, p, n)
        if self.rec_busy:
            return 0   # read from inside the owner's hook: the loop below (further up the stack) opens it
        self.rec_busy = True
        try:
            while self.tls_state == TLS_OPEN:
                # self.ibuf is read anew each turn: the owner's hook may have appended (and moved it)
                r = fo_tls13_open(&self.rec.r, <const unsigned char *>self.ibuf + off, <size_t>(self.ilen - off),
                                  <unsigned char *>self.rbuf, &outlen, &typ)
                if r == 0:
                    break
                if r < 0:
                    exc, alert = _open_error(r, <unsigned char>self.ibuf[off])
                    self._rec_fail(exc, alert)
                    return got | LINK_CLOSED
                off += r
                if typ != FO_CT_HANDSHAKE and self.hsbuf is not None and len(self.hsbuf):
                    self._rec_fail(TlsError("TLS record error: a handshake message interrupted by another "
                                            "record (unexpected_message)"), 10)
                    return got | LINK_CLOSED
                if typ == FO_CT_APPDATA:
                    if outlen:
                        got |= self.on_bytes(<object>self.owner, self.rbuf, <Py_ssize_t>outlen)
                elif typ == FO_CT_HANDSHAKE:
                    got |= self._rec_handshake(self.rbuf, <Py_ssize_t>outlen)
                elif typ == FO_CT_ALERT:
                    got |= self._rec_alert(<const unsigned char *>self.rbuf, <Py_ssize_t>outlen)
                else:
                    self._rec_fail(TlsError(f"TLS record error: a record of content type {typ} after the "
                                            "handshake (unexpected_message)"), 10)
                    return got | LINK_CLOSED
        finally:
            self.rec_busy = False
            if self.tls_state == TLS_OPEN and off:   # keep the partial record at the front
                memmove(self.ibuf, self.ibuf + off, self.ilen - off)
                self.ilen -= off
            elif self.tls_state != TLS_OPEN:
                self.ilen = 0
        if self.tls_state != TLS_OPEN:
            got |= LINK_CLOSED
        return got

    cdef int _rec_alert(self, const unsigned char *p, Py_ssize_t n) except -1:
        if n != 2:
            self._rec_fail(TlsError(f"TLS record error: an alert record of {n} bytes (decode_error)"), 50)
            return LINK_CLOSED
        if p[1] == 0:
            # close_notify: the server will send nothing more; answer it and close (requests still waiting
            # fail as the connection is lost)
            self.tls_state = TLS_PEER_CLOSED
            if self.lost_reason is None:
                self.lost_reason = TlsError("TLS: the server closed the connection (close_notify)")
            self.close()
            return LINK_CLOSED
        if p[1] == 90:
            return 0   # user_canceled: a close_notify follows (RFC 8446 6.1)
        name = _ALERTS.get(p[1], "unknown")
        self._rec_fail(TlsError(f"TLS record error: the server sent the {name} alert ({p[1]})"), -1)
        return LINK_CLOSED

    cdef int _rec_handshake(self, const char *p, Py_ssize_t n) except -1:
        """Post-handshake messages (RFC 8446 4.6), possibly split over records: NewSessionTicket goes to
        OpenSSL, KeyUpdate changes our read key (and our write key when the server asks for it)."""
        cdef Py_ssize_t mlen
        cdef int mtype
        if self.hsbuf is None:
            self.hsbuf = bytearray()
        self.hsbuf += p[:n]
        hs = self.hsbuf
        while self.tls_state == TLS_OPEN and len(hs) >= 4:
            mtype = hs[0]
            mlen = hs[1] << 16 | hs[2] << 8 | hs[3]
            if mlen > _MAX_HS_MSG:
                self._rec_fail(TlsError(f"TLS record error: a handshake message of {mlen} bytes "
                                        "(decode_error)"), 50)
                return LINK_CLOSED
            if len(hs) < 4 + mlen:
                break   # the rest is in the next record
            msg = bytes(hs[:4 + mlen])
            del hs[:4 + mlen]
            if mtype == 4:   # NewSessionTicket
                self._rec_ticket(msg)
            elif mtype == 24:   # KeyUpdate
                if mlen != 1 or msg[4] > 1:
                    self._rec_fail(TlsError("TLS record error: a malformed KeyUpdate (decode_error)"), 50)
                    return LINK_CLOSED
                if len(hs):   # a key change ends its record (RFC 8446 5.1)
                    self._rec_fail(TlsError("TLS record error: data after KeyUpdate in its record "
                                            "(unexpected_message)"), 10)
                    return LINK_CLOSED
                if fo_tls13_update(self.rec, &self.rec.r, 0) != 0:
                    self._rec_fail(TlsError("TLS record error: KeyUpdate failed (internal_error)"), 80)
                    return LINK_CLOSED
                if msg[4] == 1:   # update_requested: ours before any more data (RFC 8446 4.6.3)
                    self._rec_write(FO_CT_HANDSHAKE, b"\x18\x00\x00\x01\x00", 5, False)
                    if fo_tls13_update(self.rec, &self.rec.w, 1) != 0:
                        self._rec_fail(TlsError("TLS record error: KeyUpdate failed (internal_error)"), 80)
                        return LINK_CLOSED
            else:
                self._rec_fail(TlsError(f"TLS record error: handshake message {mtype} after the handshake "
                                        "(unexpected_message)"), 10)
                return LINK_CLOSED
        return 0 if self.tls_state == TLS_OPEN else LINK_CLOSED

    cdef int _rec_ticket(self, bytes msg) except -1:
        """A NewSessionTicket, re-sealed under OpenSSL's read key (server secret 0) and OpenSSL's sequence
        number, read by SSL_read: OpenSSL derives the ticket's PSK and hands us the session (TlsConfig's
        new-session callback) exactly as if it had read the server's record itself."""
        cdef Py_ssize_t n = PyBytes_GET_SIZE(msg), off = 0, chunk
        cdef long w
        cdef int r, err
        cdef char one[16]
        if self.ocap < n + (n // FO_TLS13_MAX_PLAIN + 1) * FO_TLS13_OVERHEAD:
            buf_grow(&self.obuf, &self.ocap, n + (n // FO_TLS13_MAX_PLAIN + 1) * FO_TLS13_OVERHEAD)
        while off < n:
            chunk = min(n - off, FO_TLS13_MAX_PLAIN)
            w = fo_tls13_seal(&self.rec.o, FO_CT_HANDSHAKE, <const unsigned char *>PyBytes_AS_STRING(msg) + off,
                              <size_t>chunk, <unsigned char *>self.obuf)
            if w < 0:
                self._rec_fail(TlsError("TLS record error: cannot pass a session ticket on (internal_error)"), 80)
                return 0
            BIO_write(self.rbio, self.obuf, <int>w)
            off += chunk
        err_clear()
        r = SSL_read(self.ssl, one, sizeof(one))
        BIO_reset(self.wbio)   # OpenSSL must not write to the server: its write state is stale
        if r > 0:
            self._rec_fail(TlsError("TLS record error: data where a session ticket was (internal_error)"), 80)
            return 0
        err = SSL_get_error(self.ssl, r)
        if err != SSL_ERROR_WANT_READ:
            # OpenSSL refused the ticket: the server sent a malformed one
            self._rec_fail(tls_failure(self.ssl, r, err, False), 50)
        return 0

    cdef int _rec_write(self, int ctype, const char *p, Py_ssize_t n, bint count) except -1:
        """Seal p[:n] as records of ``ctype`` (2^14 bytes each at most) and send them together; a KeyUpdate
        first whenever the write key has sealed its share (``_rekey_after``)."""
        cdef Py_ssize_t need = n + (n // FO_TLS13_MAX_PLAIN + 1) * (2 * FO_TLS13_OVERHEAD + 5)
        cdef Py_ssize_t pos = 0, off = 0, chunk
        cdef long w
        cdef fo_tls13 *t = self.rec
        if t == NULL:
            raise TlsError("TLS: the connection is not open")
        if need > self.ocap:
            buf_grow(&self.obuf, &self.ocap, need)
        while True:
            if t.w.seq >= t.rekey_after:
                w = fo_tls13_seal(&t.w, FO_CT_HANDSHAKE, <const unsigned char *>b"\x18\x00\x00\x01\x00", 5,
                                  <unsigned char *>self.obuf + pos)
                if w < 0 or fo_tls13_update(t, &t.w, 1) != 0:
                    self._rec_fail(TlsError("TLS record error: KeyUpdate failed (internal_error)"), -1)
                    raise self.lost_reason
                pos += w
            chunk = min(n - off, FO_TLS13_MAX_PLAIN)
            w = fo_tls13_seal(&t.w, ctype, <const unsigned char *>p + off, <size_t>chunk,
                              <unsigned char *>self.obuf + pos)
            if w < 0:
                self._rec_fail(TlsError("TLS record error: sealing a record failed (internal_error)"), -1)
                raise self.lost_reason
            pos += w
            off += chunk
            if off >= n:
                break
        return self._send_raw(self.obuf, pos, count)

    cdef int _rec_fail(self, object exc, int alert) except -1:
        """A record-level failure: our fatal alert (``alert`` >= 0) to the server, then as _tls_fail."""
        cdef unsigned char a[2]
        if alert >= 0 and self.rec != NULL and self.transport is not None:
            a[0] = 2
            a[1] = <unsigned char>alert
            try:
                self._rec_write(FO_CT_ALERT, <const char *>a, 2, False)
            except Exception:
                pass   # the alert is a courtesy: the connection is being dropped anyway
        self._tls_fail(exc)
        return 0

    cdef int _rec_wipe(self) except -1:
        """Keys and sequence numbers wiped and freed; what was received and not opened dropped."""
        if self.rec != NULL:
            if self.ssl != NULL and not self.rec_on:   # still the key log's target: not any more
                SSL_set_ex_data(self.ssl, fo_tls13_index(), NULL)
            fo_tls13_free(self.rec)
            self.rec = NULL
        self.ilen = 0
        return 0


cdef tuple _open_error(long r, unsigned char outer):
    """fo_tls13_open's error: (the TlsError, the alert to send back or -1)."""
    if r == FO_E_MAC or r == FO_E_SHORT:
        return TlsError("TLS record error: a record does not authenticate (bad_record_mac)"), 20
    if r == FO_E_OVERFLOW:
        return TlsError("TLS record error: a record longer than TLS allows (record_overflow)"), 22
    if r == FO_E_OUTER_TYPE:
        if outer == FO_CT_ALERT:
            return TlsError("TLS record error: an unencrypted alert after the handshake"), -1
        return TlsError(f"TLS record error: a record of type {outer} after the handshake "
                        "(unexpected_message)"), 10
    if r == FO_E_VERSION:
        return TlsError("TLS record error: a record not marked TLS 1.2/1.3 (decode_error)"), 50
    if r == FO_E_NO_TYPE:
        return TlsError("TLS record error: a record with no content type (unexpected_message)"), 10
    if r == FO_E_SEQ:
        return TlsError("TLS record error: the read sequence number is exhausted"), -1
    return TlsError("TLS record error: the cipher failed (internal_error)"), 80


cdef str _cipher_name(SSL *s):
    c = SSL_get_current_cipher(s)
    return SSL_CIPHER_get_name(c).decode() if c != NULL else None


cdef Link new_link(object loop, object owner, link_on_bytes on_bytes, link_on_timer on_timer,
                   link_on_ready on_ready, double read_timeout, int user_timeout_ms, bint quickack,
                   int busy_poll_us, object tls, object server_hostname):
    cdef Link k = Link.__new__(Link)
    k.loop = loop
    k.owner = <void *>owner
    k.on_bytes = on_bytes
    k.on_timer = on_timer
    k.on_ready = on_ready
    k.read_timeout_ns = <int64_t>(read_timeout * 1e9)
    k.quickack = quickack
    k.sockopts = dict(user_timeout_ms=user_timeout_ms, quickack=quickack, busy_poll_us=busy_poll_us)
    k.socket_options = {}
    if tls is not None:
        if not isinstance(tls, TlsConfig):
            raise ConfigError("tls must be a fastorder.transport.tls.TlsConfig", field="tls")
        if not server_hostname:
            raise ConfigError("compiled TLS needs server_hostname", field="server_hostname")
        k.tls = tls
        k.tls_host = str(server_hostname)
    return k
