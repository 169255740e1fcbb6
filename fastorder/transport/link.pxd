from libc.stdint cimport int64_t

from fastorder.transport._ssl cimport BIO, SSL
from fastorder.transport._tls13 cimport fo_tls13
from fastorder.transport.tls cimport TlsConfig

# The owner's receive hook: called with the bytes (plaintext) the link read; returns a bit set of
# LINK_DISPATCHED (a reply/message was handed out) and LINK_CLOSED (the owner is finished with the stream),
# which ends a spin.
ctypedef int (*link_on_bytes)(object owner, const char *p, Py_ssize_t n) except -1
# The owner's timer hook: the one timer (armed by ``arm_timer``/``waiter``) fired.
ctypedef int (*link_on_timer)(object owner) except -1
# The owner's ready hook: the stream can carry the owner's bytes (exc None; at once for plaintext, after the
# handshake for TLS), or never will (exc: the TLS handshake failed, e.g. a rejected certificate).
ctypedef int (*link_on_ready)(object owner, object exc) except -1

cdef enum:
    LINK_DISPATCHED = 1
    LINK_CLOSED = 2

cdef enum:
    TLS_NONE = 0            # plaintext
    TLS_HANDSHAKE = 1
    TLS_OPEN = 2
    TLS_PEER_CLOSED = 3     # close_notify received
    TLS_FAILED = 4


cdef class Waiter:
    cdef object waiter          # an asyncio.Future, or a callable(result, exc) when is_cb
    cdef bint is_cb
    cdef int64_t deadline_ns


cdef void resolve(object loop, object waiter, bint is_cb, object result, object exc)


cdef class Link:
    cdef object transport
    cdef int fd
    cdef bint direct
    cdef bint quickack
    cdef dict sockopts
    cdef object loop
    cdef object timer
    cdef link_on_timer on_timer
    cdef object armed_owner
    cdef int64_t read_timeout_ns
    cdef char *wbuf
    cdef Py_ssize_t wcap
    cdef char *rbuf
    cdef void *owner            # borrowed: the owning protocol holds this Link and never hands it out
    cdef link_on_bytes on_bytes
    cdef link_on_ready on_ready
    # the compiled TLS path: an SSL object between memory BIOs; the link moves the ciphertext
    cdef TlsConfig tls
    cdef str tls_host
    cdef SSL *ssl
    cdef BIO *rbio
    cdef BIO *wbio
    cdef int tls_state
    cdef object lost_reason     # the TLS error that ended the stream (None: none)
    cdef char *cbuf             # spin over TLS: ciphertext read from the socket
    # TLS 1.3 records sealed and opened here once OpenSSL's handshake is done (csrc/fo_tls13.h)
    cdef fo_tls13 *rec          # keys and sequence numbers (NULL: OpenSSL's records, or wiped)
    cdef bint rec_on            # application data goes through rec, never SSL_read/SSL_write again
    cdef bint rec_busy          # opening records (a read from inside the owner's hook only queues)
    cdef char *ibuf             # ciphertext received and not yet opened (a record's first part)
    cdef Py_ssize_t ilen
    cdef Py_ssize_t icap
    cdef char *obuf             # records sealed for one write
    cdef Py_ssize_t ocap
    cdef bytearray hsbuf        # a post-handshake handshake message arriving over several records
    cdef dict socket_options
    cdef long direct_sends

    cdef int attach(self, object transport) except -1
    cdef int detach(self) except -1
    cdef int received(self, object data) except -1
    cdef int write(self, const char *p, Py_ssize_t n, object obj) except -1
    cdef int write_setup(self, bytes data) except -1
    cdef char *wreserve(self, Py_ssize_t need) except NULL
    cdef int arm_timer(self, int64_t deadline_ns) except -1
    cdef Waiter waiter(self, object waiter, bint is_cb, double timeout)
    cdef int cancel_timer(self) except -1
    cdef int spin(self, long budget_us) except -1
    cdef tuple tcp_rtt(self)
    cdef int close(self) except -1
    cdef int abort(self) except -1
    cdef bint eof(self) except -1
    cdef object lost(self, object exc)
    cdef dict tls_info(self)
    cdef int _tls_start(self) except -1
    cdef int _tls_handshake(self) except -1
    cdef int _tls_drain(self) except -1
    cdef int _tls_flush(self, bint count) except -1
    cdef int _tls_fail(self, object exc) except -1
    cdef int _send_raw(self, const char *data, Py_ssize_t m, bint count) except -1
    cdef int _rec_start(self) except -1
    cdef int _rec_feed(self, const char *p, Py_ssize_t n) except -1
    cdef int _rec_handshake(self, const char *p, Py_ssize_t n) except -1
    cdef int _rec_ticket(self, bytes msg) except -1
    cdef int _rec_alert(self, const unsigned char *p, Py_ssize_t n) except -1
    cdef int _rec_write(self, int ctype, const char *p, Py_ssize_t n, bint count) except -1
    cdef int _rec_fail(self, object exc, int alert) except -1
    cdef int _rec_wipe(self) except -1


cdef Link new_link(object loop, object owner, link_on_bytes on_bytes, link_on_timer on_timer,
                   link_on_ready on_ready, double read_timeout, int user_timeout_ms, bint quickack,
                   int busy_poll_us, object tls, object server_hostname)
