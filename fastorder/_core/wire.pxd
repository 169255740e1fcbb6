# Field validation and writers shared by the venue encoders (inline: compiled into each encoder module).
from cpython.unicode cimport PyUnicode_AsUTF8AndSize

cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object o)
from libc.stdint cimport int64_t, uint64_t

from fastorder._core.buffer cimport WriteBuffer
from fastorder._core.csrc cimport fo_pct_encode, fo_pct_len, fo_u64_write

# character classes for ASCII tokens
cdef enum CharClass:
    CC_ALNUM = 1            # [A-Za-z0-9]                 OKX clOrdId / request id
    CC_CLID = 2             # [A-Za-z0-9_-]               Binance/HTX client ids, Binance request ids
    CC_SYMBOL = 3           # [A-Za-z0-9._-]              symbols / instIds
    CC_LOWER_ALNUM = 4      # [a-z0-9]                    HTX symbols
    CC_DIGITS = 5           # [0-9]                       ids given as text

ctypedef struct Text:
    const char *p
    Py_ssize_t n

cdef inline bint _in_class(unsigned char c, CharClass cc) noexcept nogil:
    if (c >= b'0' and c <= b'9'):
        return True
    if cc == CC_DIGITS:
        return False
    if c >= b'a' and c <= b'z':
        return True
    if cc == CC_LOWER_ALNUM:
        return False
    if c >= b'A' and c <= b'Z':
        return True
    if cc == CC_ALNUM:
        return False
    if c == b'_' or c == b'-':
        return True
    return cc == CC_SYMBOL and c == b'.'

cdef int token(object value, CharClass cc, Py_ssize_t maxlen, str field, Text *out) except -1
cdef int symbol_text(object value, str field, Text *out) except -1
cdef int enum_text(object value, object allowed, str field, Text *out) except -1
cdef int64_t int_in(object value, int64_t lo, int64_t hi, str field) except? -1  # lo <= value <= hi
cdef int host_text(object value, Text *out) except -1
cdef str user_agent_line(object value)
cdef int credential(object value, str field, Text *out) except -1
cdef int id_text(object value, str field, char *tmp, Text *out) except -1

cdef inline int put_text(WriteBuffer buf, const Text *t) except -1:
    return buf.put(t.p, t.n)

cdef inline int put_pct(WriteBuffer buf, const Text *t) except -1:
    cdef char *p = buf.reserve(fo_pct_len(t.p, t.n))
    buf.commit(fo_pct_encode(t.p, t.n, p))
    return 0

# '"' + text + '"': callers only pass validated text, which never holds '"', '\\' or control characters.
cdef inline int put_quoted(WriteBuffer buf, const Text *t) except -1:
    cdef char *p = buf.reserve(t.n + 2)
    p[0] = b'"'
    memcpy(p + 1, t.p, <size_t>t.n)
    p[t.n + 1] = b'"'
    buf.commit(t.n + 2)
    return 0

from libc.string cimport memcpy
