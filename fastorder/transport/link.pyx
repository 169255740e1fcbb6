"""The byte stream under a protocol, shared by the HTTP and WebSocket clients.

A ``Link`` owns what both protocols do with their socket: the socket options at connect, the direct write
(straight to the socket when the transport has nothing queued, the uvloop ``_try_write`` idea without the
Python call), the TCP_QUICKACK re-arm after each read, the one lazily re-armed timer, the kernel's RTT
estimate and spin mode (polling the socket on this core instead of sleeping in epoll).  The protocol keeps
its parser and its request table and hands the link a C hook for the bytes it reads.
"""
cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.errno cimport errno
from libc.stdint cimport int64_t, uint32_t
from libc.stdlib cimport free, malloc

from fastorder.transport._buf cimport buf_grow
from fastorder.transport._sock cimport (
    IPPROTO_TCP, TCP_QUICKACK, fo_now_ns, fo_sock_send, fo_sock_set_int, fo_sock_spin_recv, fo_sock_tcp_rtt,
)

from fastorder.transport.sock import configure_socket

cdef enum:
    _RBUF = 65536


@cython.freelist(64)
@cython.final
cdef class Waiter:
    # One request waiting for its reply, held by the owner's request table until the reply, a timeout or the
    # connection's end.
    pass


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
        self.wbuf = NULL
        self.wcap = 0
        self.owner = NULL

    def __dealloc__(self):
        free(self.rbuf)
        free(self.wbuf)

    cdef int attach(self, object transport) except -1:
        """connection_made: remember the transport, tune its socket, decide whether writes may bypass it."""
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            self.fd = sock.fileno()
            self.socket_options = configure_socket(self.fd, **self.sockopts)
        # The direct path and spin mode bypass the transport, so they need the raw (plaintext) socket.
        self.direct = self.fd >= 0 and transport.get_extra_info("sslcontext") is None
        return 0

    cdef int detach(self) except -1:
        """connection_lost: the socket is gone."""
        self.transport = None
        self.fd = -1
        self.direct = False
        self.cancel_timer()
        return 0

    cdef int received(self, object data) except -1:
        """data_received: hand the bytes to the owner."""
        cdef bytes b
        if self.quickack and self.fd >= 0:
            fo_sock_set_int(self.fd, IPPROTO_TCP, TCP_QUICKACK, 1)  # the kernel clears it again: re-arm
        b = data if type(data) is bytes else bytes(data)
        self.on_bytes(<object>self.owner, PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b))
        return 0

    cdef int write(self, const char *p, Py_ssize_t n, object obj) except -1:
        """One write: straight to the socket when the transport has nothing queued, else (or for what the
        socket did not take) through the transport.  ``obj``, if given, holds exactly p[:n] and is handed to
        the transport as is instead of a copy."""
        cdef Py_ssize_t r = 0
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
        """Poll the socket (non-blocking recv) for up to ``budget_us`` µs, handing what arrives to the owner,
        until the owner has dispatched something and the socket is drained, or is finished with the stream.
        EOF and errors are left for the transport to see.  Blocks the event loop meanwhile."""
        cdef int64_t deadline = fo_now_ns() + <int64_t>budget_us * 1000
        cdef ssize_t r
        cdef int fd = self.fd, got = 0
        cdef char *rbuf
        if self.rbuf == NULL:
            self.rbuf = <char *>malloc(_RBUF)
            if self.rbuf == NULL:
                raise MemoryError()
        rbuf = self.rbuf
        while True:
            # Poll without the GIL: a server or another strategy thread in this process must keep running.
            with nogil:
                r = fo_sock_spin_recv(fd, rbuf, _RBUF, deadline)
            if r <= 0:
                return 0  # deadline, or EOF/error left for the transport to see
            got |= self.on_bytes(<object>self.owner, rbuf, r)
            if (got & LINK_DISPATCHED and r < _RBUF) or got & LINK_CLOSED:
                return 0

    cdef tuple tcp_rtt(self):
        cdef uint32_t rtt = 0, var = 0
        if self.fd < 0 or fo_sock_tcp_rtt(self.fd, &rtt, &var) < 0:
            raise OSError(errno, "TCP_INFO unavailable")
        return (rtt, var)

    cdef int close(self) except -1:
        if self.transport is not None:
            self.transport.close()
        return 0

    cdef int abort(self) except -1:
        if self.transport is not None:
            self.transport.abort()
        return 0


cdef Link new_link(object loop, object owner, link_on_bytes on_bytes, link_on_timer on_timer,
                   double read_timeout, int user_timeout_ms, bint quickack, int busy_poll_us):
    cdef Link k = Link.__new__(Link)
    k.loop = loop
    k.on_timer = on_timer
    k.read_timeout_ns = <int64_t>(read_timeout * 1e9)
    k.owner = <void *>owner
    k.on_bytes = on_bytes
    k.quickack = quickack
    k.sockopts = dict(user_timeout_ms=user_timeout_ms, quickack=quickack, busy_poll_us=busy_poll_us)
    k.socket_options = {}
    return k
