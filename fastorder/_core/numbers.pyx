"""Exact decimal text for prices and quantities (contract in numbers.pyi)."""

from cpython.mem cimport PyMem_Free
from cpython.unicode cimport PyUnicode_AsUTF8AndSize
from libc.math cimport isfinite

from fastorder._core.csrc cimport (
    FO_DEC_DIGITS,
    FO_DEC_NEGATIVE,
    FO_DEC_OK,
    FO_DEC_SYNTAX,
    FO_DEC_ZERO,
    fo_dec_cmp,
    fo_dec_cmp_product,
    fo_dec_frac_digits,
    fo_dec_on_grid,
    fo_dec_parse,
    fo_u64_write,
)

import decimal
from decimal import Decimal

from fastorder.errors import FilterViolation, InvalidNumber, OffGrid

cdef extern from "Python.h":
    char *PyOS_double_to_string(double val, char format_code, int precision, int flags, int *ptype) except NULL
    unsigned long long PyLong_AsUnsignedLongLong(object) except? <unsigned long long>-1

# Big enough for any value the 38-digit rule admits (the slow path below only runs past 2**128).
_EXACT = decimal.Context(prec=120, traps=[decimal.InvalidOperation])


cdef int _raise_for(int rc, str field, object value) except -1:
    if rc == FO_DEC_NEGATIVE or rc == FO_DEC_ZERO:
        raise InvalidNumber(f"{field} must be positive, got {value!r}", field=field)
    if rc == FO_DEC_DIGITS:
        raise InvalidNumber(
            f"{field} has too many digits (at most 20 integer, 20 fraction, 38 in all): {value!r}", field=field)
    raise InvalidNumber(f"{field} is not a plain decimal number: {value!r}", field=field)


cdef int _parse_text(object text, fo_dec *out, str field, object shown) except -1:
    cdef Py_ssize_t n
    cdef const char *s
    if not (<str>text).isascii():   # only ASCII digits are digits here; also keeps lone surrogates out
        _raise_for(FO_DEC_SYNTAX, field, shown)
    s = PyUnicode_AsUTF8AndSize(text, &n)
    cdef int rc = fo_dec_parse(s, n, out)
    if rc != FO_DEC_OK:
        _raise_for(rc, field, shown)
    return 0


cdef int parse_number(object value, fo_dec *out, str field) except -1:
    cdef double x
    cdef char *s
    cdef char digits[20]
    cdef unsigned long long u
    cdef int rc
    cdef object t = type(value)
    if t is str:
        return _parse_text(value, out, field, value)
    if t is Decimal or isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidNumber(f"{field} is not finite: {value!r}", field=field)
        return _parse_text(str(value), out, field, value)
    if t is int:
        if value <= 0:
            _raise_for(FO_DEC_ZERO, field, value)
        if value < 18446744073709551616:
            u = PyLong_AsUnsignedLongLong(value)
            rc = fo_dec_parse(digits, fo_u64_write(u, digits), out)
            if rc != FO_DEC_OK:
                _raise_for(rc, field, value)
            return 0
        return _parse_text(str(value), out, field, value)
    if t is float or isinstance(value, float):   # a subclass (numpy's float64) as the float it is
        x = value
        if not isfinite(x):
            raise InvalidNumber(f"{field} is not finite: {value!r}", field=field)
        if x <= 0.0:
            _raise_for(FO_DEC_ZERO, field, value)
        # 'r': the shortest text that reads back as the same double, i.e. repr(); may use an exponent.
        s = PyOS_double_to_string(x, b'r', 0, 0, NULL)
        try:
            rc = fo_dec_parse(s, len(s), out)
        finally:
            PyMem_Free(s)
        if rc != FO_DEC_OK:
            _raise_for(rc, field, value)
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"{field} must be a Decimal, str, int or float, not {t.__name__}")
    # subclasses of int / str
    return _parse_text(str(int(value)) if isinstance(value, int) else str(value), out, field, value)


cdef str _text(const fo_dec *v, int min_frac):
    cdef char tmp[64]
    cdef Py_ssize_t n = fo_dec_write(v, min_frac, tmp)
    return tmp[:n].decode("ascii")


cdef bint _slow_on_grid(const fo_dec *v, const fo_dec *step):
    return _EXACT.remainder(Decimal(_text(v, 0)), Decimal(_text(step, 0))) == 0


cdef int _slow_cmp(const fo_dec *a, const fo_dec *b):
    return _EXACT.compare(Decimal(_text(a, 0)), Decimal(_text(b, 0)))


cdef int _on_grid_or_raise(const fo_dec *v, const fo_dec *step, str field, str what) except -1:
    cdef int r = fo_dec_on_grid(v, step)
    if r < 0:
        r = _slow_on_grid(v, step)
    if not r:
        raise OffGrid(f"{field} {_text(v, 0)} is not a multiple of the {what} {_text(step, 0)}", field=field)
    return 0


cdef int _cmp(const fo_dec *a, const fo_dec *b):
    cdef int r = fo_dec_cmp(a, b)
    if r == 2:
        r = _slow_cmp(a, b)
    return r


def decimal_text(value, step=None, str field="value"):
    cdef fo_dec v, s
    parse_number(value, &v, field)
    if step is None:
        return _text(&v, 0)
    parse_number(step, &s, "step")
    _on_grid_or_raise(&v, &s, field, "step")
    return _text(&v, fo_dec_frac_digits(&s))


cdef int _bound(object value, fo_dec *out, str name) except? -1:
    """Parse an optional bound: 0 (or '0') disables it -> returns 0; a positive value -> 1."""
    try:
        parse_number(value, out, name)
    except InvalidNumber:
        # zero means "rule disabled" (Binance filters); anything else invalid is an error
        if parse_zero(value):
            return 0
        raise
    return 1


cdef bint parse_zero(object value):
    try:
        return Decimal(str(value)) == 0
    except Exception:
        return False


cdef class SymbolRules:

    def __init__(self, str symbol, tick_size, step_size, *, min_price=0, max_price=0, min_qty=0,
                 max_qty=0, min_notional=0):
        self.symbol = symbol
        parse_number(tick_size, &self._tick, "tick_size")
        parse_number(step_size, &self._step, "step_size")
        self.price_decimals = fo_dec_frac_digits(&self._tick)
        self.qty_decimals = fo_dec_frac_digits(&self._step)
        self._has_min_price = _bound(min_price, &self._min_price, "min_price")
        self._has_max_price = _bound(max_price, &self._max_price, "max_price")
        self._has_min_qty = _bound(min_qty, &self._min_qty, "min_qty")
        self._has_max_qty = _bound(max_qty, &self._max_qty, "max_qty")
        self._has_min_notional = _bound(min_notional, &self._min_notional, "min_notional")

    @property
    def tick_size(self):
        return _text(&self._tick, 0)

    @property
    def step_size(self):
        return _text(&self._step, 0)

    def __repr__(self):
        return f"SymbolRules({self.symbol!r}, tick_size={self.tick_size!r}, step_size={self.step_size!r})"

    cdef int check_price(self, const fo_dec *v, str field) except -1:
        _on_grid_or_raise(v, &self._tick, field, "tick size")
        if self._has_min_price and _cmp(v, &self._min_price) < 0:
            raise FilterViolation(f"{field} {_text(v, 0)} is below the minimum price {_text(&self._min_price, 0)}",
                                  field=field, filter="PRICE_FILTER")
        if self._has_max_price and _cmp(v, &self._max_price) > 0:
            raise FilterViolation(f"{field} {_text(v, 0)} is above the maximum price {_text(&self._max_price, 0)}",
                                  field=field, filter="PRICE_FILTER")
        return 0

    cdef int check_qty(self, const fo_dec *v, str field) except -1:
        _on_grid_or_raise(v, &self._step, field, "step size")
        if self._has_min_qty and _cmp(v, &self._min_qty) < 0:
            raise FilterViolation(f"{field} {_text(v, 0)} is below the minimum quantity {_text(&self._min_qty, 0)}",
                                  field=field, filter="LOT_SIZE")
        if self._has_max_qty and _cmp(v, &self._max_qty) > 0:
            raise FilterViolation(f"{field} {_text(v, 0)} is above the maximum quantity {_text(&self._max_qty, 0)}",
                                  field=field, filter="LOT_SIZE")
        return 0

    cdef int check_notional_dec(self, const fo_dec *price, const fo_dec *qty) except -1:
        cdef int r
        if not self._has_min_notional:
            return 0
        r = fo_dec_cmp_product(price, qty, &self._min_notional)
        if r == 2:
            r = _EXACT.compare(_EXACT.multiply(Decimal(_text(price, 0)), Decimal(_text(qty, 0))),
                               Decimal(_text(&self._min_notional, 0)))
        if r < 0:
            raise FilterViolation(
                f"notional {_text(price, 0)} x {_text(qty, 0)} is below the minimum {_text(&self._min_notional, 0)}",
                field="notional", filter="NOTIONAL")
        return 0

    def price(self, value):
        cdef fo_dec v
        parse_number(value, &v, "price")
        self.check_price(&v, "price")
        return _text(&v, self.price_decimals)

    def qty(self, value):
        cdef fo_dec v
        parse_number(value, &v, "quantity")
        self.check_qty(&v, "quantity")
        return _text(&v, self.qty_decimals)

    def check_notional(self, price, qty):
        cdef fo_dec p, q
        parse_number(price, &p, "price")
        parse_number(qty, &q, "quantity")
        self.check_notional_dec(&p, &q)
