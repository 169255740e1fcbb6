# Growable byte buffers shared by the HTTP and WebSocket parsers and the link's write buffer: inline helpers,
# no .pyx.  A parser keeps the incomplete tail of what it was fed in one such buffer between reads.
from libc.stdlib cimport realloc
from libc.string cimport memcpy, memmove


cdef inline int buf_grow(char **buf, Py_ssize_t *cap, Py_ssize_t need) except -1:
    """Make *buf hold at least ``need`` bytes (doubling from 1 KiB), keeping its content."""
    cdef Py_ssize_t c = cap[0] if cap[0] else 1024
    cdef char *nb
    while c < need:
        c *= 2
    nb = <char *>realloc(buf[0], c)
    if nb == NULL:
        raise MemoryError()
    buf[0] = nb
    cap[0] = c
    return 0


cdef inline int buf_append(char **buf, Py_ssize_t *blen, Py_ssize_t *cap, const char *p, Py_ssize_t n) except -1:
    if blen[0] + n > cap[0]:
        buf_grow(buf, cap, blen[0] + n)
    memcpy(buf[0] + blen[0], p, n)
    blen[0] += n
    return 0


cdef inline int buf_keep_tail(char **buf, Py_ssize_t *blen, Py_ssize_t *cap, const char *d, Py_ssize_t dl,
                              Py_ssize_t pos) except -1:
    """After parsing d[:pos] of d[:dl] (d is the caller's input or *buf itself), keep d[pos:dl] at the start
    of *buf as its new content."""
    if pos < dl:
        if d != buf[0]:
            if dl - pos > cap[0]:
                buf_grow(buf, cap, dl - pos)
            memcpy(buf[0], d + pos, dl - pos)
        elif pos:
            memmove(buf[0], d + pos, dl - pos)
    blen[0] = dl - pos
    return 0
