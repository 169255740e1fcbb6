from fastorder._core.buffer cimport WriteBuffer
from fastorder._core.csrc cimport fo_dec, fo_dec_len, fo_dec_write

# Parse a price/quantity (Decimal, str, int, float) into an exact decimal, or raise the typed error.
cdef int parse_number(object value, fo_dec *out, str field) except -1

cdef inline int put_dec(WriteBuffer buf, const fo_dec *v, int min_frac) except -1:
    cdef char *p = buf.reserve(fo_dec_len(v, min_frac))
    buf.commit(fo_dec_write(v, min_frac, p))
    return 0

cdef class SymbolRules:
    cdef readonly str symbol
    cdef readonly int price_decimals
    cdef readonly int qty_decimals
    cdef fo_dec _tick, _step, _min_price, _max_price, _min_qty, _max_qty, _min_notional
    cdef bint _has_min_price, _has_max_price, _has_min_qty, _has_max_qty, _has_min_notional

    cdef int check_price(self, const fo_dec *v, str field) except -1
    cdef int check_qty(self, const fo_dec *v, str field) except -1
    cdef int check_notional_dec(self, const fo_dec *price, const fo_dec *qty) except -1
