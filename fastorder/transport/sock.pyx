"""Socket-level tuning shared by the HTTP and WebSocket transports.

Everything works on a raw file descriptor, so it applies equally to uvloop's and asyncio's transports (and to
the socket under a TLS transport).
"""
from libc.errno cimport errno
from libc.stdint cimport uint32_t

from fastorder.transport._sock cimport (
    IPPROTO_TCP, SO_BUSY_POLL, SOL_SOCKET, TCP_NODELAY, TCP_QUICKACK, TCP_USER_TIMEOUT,
    fo_sock_get_int, fo_sock_set_int, fo_sock_tcp_rtt,
)

import os


def configure_socket(int fd, *, bint nodelay=True, int user_timeout_ms=3000, bint quickack=False,
                     int busy_poll_us=0):
    """Apply the latency options to a connected TCP socket; return {option: applied value or error string}.

    TCP_NODELAY is mandatory (an error raises OSError).  TCP_USER_TIMEOUT bounds how long unacknowledged data
    may stay in flight before the kernel declares the peer dead (0 keeps the kernel default of ~15 minutes of
    retransmissions).  TCP_QUICKACK is only a hint the kernel clears again, so callers that want it re-arm it
    after each read.  SO_BUSY_POLL above net.core.busy_read needs CAP_NET_ADMIN; failure is reported, not raised.
    """
    cdef dict applied = {}
    if nodelay:
        if fo_sock_set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1) < 0:
            raise OSError(errno, "setsockopt(TCP_NODELAY): " + os.strerror(errno))
        applied["TCP_NODELAY"] = 1
    if user_timeout_ms > 0:
        if fo_sock_set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, user_timeout_ms) < 0:
            applied["TCP_USER_TIMEOUT"] = os.strerror(errno)
        else:
            applied["TCP_USER_TIMEOUT"] = user_timeout_ms
    if quickack:
        if fo_sock_set_int(fd, IPPROTO_TCP, TCP_QUICKACK, 1) < 0:
            applied["TCP_QUICKACK"] = os.strerror(errno)
        else:
            applied["TCP_QUICKACK"] = 1
    if busy_poll_us > 0:
        if fo_sock_set_int(fd, SOL_SOCKET, SO_BUSY_POLL, busy_poll_us) < 0:
            applied["SO_BUSY_POLL"] = os.strerror(errno)
        else:
            applied["SO_BUSY_POLL"] = busy_poll_us
    return applied


def get_nodelay(int fd):
    """The socket's TCP_NODELAY as the kernel reports it (getsockopt)."""
    cdef int v = 0
    if fo_sock_get_int(fd, IPPROTO_TCP, TCP_NODELAY, &v) < 0:
        raise OSError(errno, os.strerror(errno))
    return bool(v)


def tcp_rtt(int fd):
    """The kernel's smoothed RTT estimate and RTT variance for the connection, in microseconds (TCP_INFO)."""
    cdef uint32_t rtt = 0, var = 0
    if fo_sock_tcp_rtt(fd, &rtt, &var) < 0:
        raise OSError(errno, os.strerror(errno))
    return (rtt, var)

