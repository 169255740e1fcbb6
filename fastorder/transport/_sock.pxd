# Declarations of csrc/fo_sock.h (socket helpers) and csrc/fo_ws_mask.h, shared by the transport modules.
# No .pyx: cimporting this file only pulls in C declarations and the inline helper below.
from libc.stdint cimport int64_t, uint32_t

cdef extern from "fo_sock.h" nogil:
    int SO_BUSY_POLL
    int TCP_USER_TIMEOUT
    int64_t fo_now_ns()
    ssize_t fo_sock_send(int fd, const char *buf, size_t n)
    ssize_t fo_sock_recv(int fd, char *buf, size_t n)
    void fo_cpu_relax()
    ssize_t fo_sock_spin_recv(int fd, char *buf, size_t n, int64_t deadline_ns)
    int fo_sock_set_int(int fd, int level, int opt, int value)
    int fo_sock_get_int(int fd, int level, int opt, int *value)
    int fo_sock_tcp_rtt(int fd, uint32_t *rtt_us, uint32_t *rttvar_us)

cdef extern from "netinet/in.h" nogil:
    int IPPROTO_TCP

cdef extern from "netinet/tcp.h" nogil:
    int TCP_NODELAY
    int TCP_QUICKACK

cdef extern from "sys/socket.h" nogil:
    int SOL_SOCKET

cdef extern from "fo_ws_mask.h" nogil:
    void fo_ws_mask(unsigned char *dst, const unsigned char *src, size_t n, const unsigned char *mask4)
    int fo_ws_mask_key(unsigned char *out4)
