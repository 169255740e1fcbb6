"""Field validation shared by the venue encoders: a field is checked before a byte of it is written."""

from fastorder.errors import InvalidCredential, InvalidField

from fastorder._core.csrc cimport fo_u64_write

_CLASS_TEXT = {
    CC_ALNUM: "ASCII letters and digits",
    CC_CLID: "ASCII letters, digits, '_' and '-'",
    CC_SYMBOL: "ASCII letters, digits, '.', '_' and '-'",
    CC_LOWER_ALNUM: "lowercase ASCII letters and digits",
    CC_DIGITS: "digits",
}


cdef int token(object value, CharClass cc, Py_ssize_t maxlen, str field, Text *out) except -1:
    cdef Py_ssize_t n, i
    cdef const char *p
    if type(value) is not str:
        raise TypeError(f"{field} must be a str, not {type(value).__name__}")
    if not PyUnicode_IS_ASCII(value):   # before encoding: a lone surrogate cannot even be encoded
        raise InvalidField(f"{field} must be 1-{maxlen} {_CLASS_TEXT[cc]}: {value!r}", field=field)
    p = PyUnicode_AsUTF8AndSize(value, &n)
    if n == 0 or n > maxlen:
        raise InvalidField(f"{field} must be 1-{maxlen} {_CLASS_TEXT[cc]}: {value!r}", field=field)
    for i in range(n):
        if not _in_class(<unsigned char>p[i], cc):
            raise InvalidField(f"{field} must be 1-{maxlen} {_CLASS_TEXT[cc]}: {value!r}", field=field)
    out.p = p
    out.n = n
    return 0


cdef int symbol_text(object value, str field, Text *out) except -1:
    """1-32 characters: ASCII ones from [A-Za-z0-9._-], others printable (Binance lists non-ASCII symbols)."""
    cdef Py_ssize_t n, i
    cdef const char *p
    if type(value) is not str:
        raise TypeError(f"{field} must be a str, not {type(value).__name__}")
    if PyUnicode_IS_ASCII(value):
        return token(value, CC_SYMBOL, 32, field, out)
    if len(value) > 32:
        raise InvalidField(f"{field} must be 1-32 characters: {value!r}", field=field)
    for ch in <str>value:
        if ch.isascii():
            if not _in_class(<unsigned char>ord(ch), CC_SYMBOL):
                raise InvalidField(f"{field} holds a character no order may carry: {value!r}", field=field)
        elif not ch.isprintable():
            raise InvalidField(f"{field} holds a non-printable character: {value!r}", field=field)
    p = PyUnicode_AsUTF8AndSize(value, &n)
    out.p = p
    out.n = n
    return 0


cdef int enum_text(object value, object allowed, str field, Text *out) except -1:
    cdef Py_ssize_t n
    if type(value) is not str:
        raise TypeError(f"{field} must be a str, not {type(value).__name__}")
    if value not in allowed:
        raise InvalidField(f"{field} must be one of {', '.join(sorted(allowed))}: {value!r}", field=field)
    out.p = PyUnicode_AsUTF8AndSize(value, &n)
    out.n = n
    return 0


cdef int64_t int_in(object value, int64_t lo, int64_t hi, str field) except? -1:
    """An int (not bool) with lo <= value <= hi."""
    if type(value) is not int:
        raise TypeError(f"{field} must be an int, not {type(value).__name__}")
    if not (lo <= value <= hi):
        raise InvalidField(f"{field} must be in [{lo}, {hi}]: {value!r}", field=field)
    return <int64_t>value


cdef int credential(object value, str field, Text *out) except -1:
    """An API key as it goes into a header, a URL or JSON: 1-128 of [A-Za-z0-9._-]. The value is never shown."""
    cdef Py_ssize_t n, i
    cdef const char *p
    if type(value) is not str:
        raise TypeError(f"{field} must be a str, not {type(value).__name__}")
    if not PyUnicode_IS_ASCII(value):
        raise InvalidCredential(f"{field} must be 1-128 ASCII letters, digits, '.', '_' or '-'")
    p = PyUnicode_AsUTF8AndSize(value, &n)
    if n == 0 or n > 128:
        raise InvalidCredential(f"{field} must be 1-128 ASCII letters, digits, '.', '_' or '-'")
    for i in range(n):
        if not _in_class(<unsigned char>p[i], CC_SYMBOL):
            raise InvalidCredential(f"{field} must be 1-128 ASCII letters, digits, '.', '_' or '-'")
    out.p = p
    out.n = n
    return 0


cdef int id_text(object value, str field, char *tmp, Text *out) except -1:
    """An exchange-assigned numeric id given as int in [0, 2**63) or as a str of 1-20 digits; tmp holds >= 20."""
    cdef int64_t v
    if type(value) is int:
        v = int_in(value, 0, 0x7FFFFFFFFFFFFFFF, field)
        out.p = tmp
        out.n = fo_u64_write(<uint64_t>v, tmp)
        return 0
    return token(value, CC_DIGITS, 20, field, out)


cdef int host_text(object value, Text *out) except -1:
    """A Host header value: 1-253 of [A-Za-z0-9._-:[]] (a name or an address, optionally with :port)."""
    cdef Py_ssize_t n, i
    cdef const char *p
    cdef unsigned char c
    if type(value) is not str:
        raise TypeError(f"host must be a str, not {type(value).__name__}")
    if not PyUnicode_IS_ASCII(value):
        raise InvalidField(f"host must be a hostname or address: {value!r}", field="host")
    p = PyUnicode_AsUTF8AndSize(value, &n)
    if n == 0 or n > 253:
        raise InvalidField(f"host must be a hostname or address: {value!r}", field="host")
    for i in range(n):
        c = <unsigned char>p[i]
        if not (_in_class(c, CC_SYMBOL) or c == b':' or c == b'[' or c == b']'):
            raise InvalidField(f"host must be a hostname or address: {value!r}", field="host")
    out.p = p
    out.n = n
    return 0


cdef str user_agent_line(object value):
    """"User-Agent: <value>\\r\\n" ("" for None): 1-256 printable ASCII characters, so nothing can end the
    header early (CR/LF) or inject another."""
    if value is None:
        return ""
    if type(value) is not str:
        raise TypeError(f"user_agent must be a str, not {type(value).__name__}")
    if not 0 < len(value) <= 256 or not value.isascii() or not value.isprintable():
        raise InvalidField("user_agent must be 1-256 printable ASCII characters", field="user_agent")
    return f"User-Agent: {value}\r\n"
