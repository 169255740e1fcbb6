"""Pure-Python twin of `fastorder._core.numbers`: exact decimal text with `decimal.Decimal`.

Rules (see the stub `fastorder/_core/numbers.pyi`, followed literally):
- accepted inputs: Decimal, str, int (not bool), float, and subclasses of these (read as their base class);
  anything else raises TypeError.
- str: ``[0-9]*(\\.[0-9]*)?([eE][+-]?[0-9]+)?`` with at least one mantissa digit, ASCII only; a leading '-'
  raises InvalidNumber("must be positive"); any other character raises InvalidNumber.
- float through repr(), Decimal through str(); NaN/inf -> "not finite"; zero/negative -> "must be positive".
- canonical form: integer digits without leading zeros ("0" if none), '.' and the fraction digits without
  trailing zeros if any remain; I > 20, F > 20 or I + F > 38 -> "too many digits".
- with a step: value must be an exact multiple (else OffGrid); the text has exactly F(step) fraction digits.
"""

from __future__ import annotations

import decimal
import re
from decimal import Decimal

from fastorder.errors import FilterViolation, InvalidNumber, OffGrid

Number = Decimal | str | int | float

MAX_INT_DIGITS = 20
MAX_FRAC_DIGITS = 20
MAX_DIGITS = 38

# ASCII digits only: `re` would take any Unicode digit for \d, and Decimal() accepts them too.
_NUMBER_TEXT = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")

# Enough precision for exact arithmetic on two 38-digit values (product: 76 digits).
_EXACT = decimal.Context(prec=200, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[decimal.InvalidOperation])


class _Canonical:
    """A positive, finite decimal in canonical form: integer digits and fraction digits (as text)."""

    __slots__ = ("int_digits", "frac_digits", "value")

    def __init__(self, int_digits: str, frac_digits: str) -> None:
        self.int_digits = int_digits  # "" when the integer part is zero
        self.frac_digits = frac_digits  # no trailing zeros
        self.value = Decimal(f"{int_digits or '0'}.{frac_digits or '0'}")

    def text(self, frac_len: int | None = None) -> str:
        frac = self.frac_digits
        if frac_len is not None:
            frac = frac + "0" * (frac_len - len(frac))
        return (self.int_digits or "0") + ("." + frac if frac else "")


def _to_decimal_text(value: object, field: str) -> str:
    """The text a value is read through (before the grammar and canonical checks)."""
    if isinstance(value, bool):
        raise TypeError(f"{field}: bool is not a number")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return float.__repr__(value)   # a subclass (numpy's float64) as the float it is, not its own repr
    if isinstance(value, int):
        if value < 0:
            raise InvalidNumber(f"{field} must be positive", field=field)
        if value >= 10**MAX_DIGITS:  # checked before str(): huge ints would hit int->str limits
            raise InvalidNumber(f"{field} has too many digits", field=field)
        return str(value)
    if isinstance(value, str):
        return value
    raise TypeError(f"{field} must be Decimal, str, int or float, not {type(value).__name__}")


def _parse(value: object, field: str, *, allow_zero: bool = False) -> _Canonical | None:
    """The canonical form of a positive number (None for zero when `allow_zero`)."""
    from_str = isinstance(value, str)
    text = _to_decimal_text(value, field)
    if from_str:
        if text.startswith("-"):
            raise InvalidNumber(f"{field} must be positive", field=field)
        if not _NUMBER_TEXT.fullmatch(text):
            raise InvalidNumber(f"{field} is not a plain decimal number", field=field)
    try:
        d = Decimal(text)
    except decimal.InvalidOperation:
        # Only reachable for grammar-valid text whose exponent does not fit a Decimal: far too many digits.
        raise InvalidNumber(f"{field} has too many digits", field=field) from None
    if not d.is_finite():
        raise InvalidNumber(f"{field} is not finite", field=field)
    if d.is_zero():
        if allow_zero:
            return None
        raise InvalidNumber(f"{field} must be positive", field=field)
    if d.is_signed():
        raise InvalidNumber(f"{field} must be positive", field=field)
    _sign, digit_tuple, exponent = d.as_tuple()
    digits = "".join(map(str, digit_tuple)).lstrip("0")
    # strip trailing zeros of the coefficient into the exponent
    stripped = digits.rstrip("0")
    exponent += len(digits) - len(stripped)
    digits = stripped
    # digit counts of the canonical form, computed before building any (possibly huge) text
    if exponent >= 0:
        n_int, n_frac = len(digits) + exponent, 0
    else:
        n_frac = -exponent
        n_int = max(0, len(digits) - n_frac)
    if n_int > MAX_INT_DIGITS or n_frac > MAX_FRAC_DIGITS or n_int + n_frac > MAX_DIGITS:
        raise InvalidNumber(f"{field} has too many digits", field=field)
    if exponent >= 0:
        return _Canonical(digits + "0" * exponent, "")
    padded = digits.rjust(n_frac, "0")  # fraction may start with zeros: 0.001
    return _Canonical(padded[: len(padded) - n_frac].lstrip("0"), padded[len(padded) - n_frac :])


def _on_grid(value: _Canonical, step: _Canonical) -> bool:
    return _EXACT.remainder(value.value, step.value).is_zero()


def decimal_text(value: Number, step: Number | None = None, field: str = "value") -> str:
    """The plain decimal text of `value` (see module rules); `field` names the argument in errors."""
    canonical = _parse(value, field)
    if step is None:
        return canonical.text()
    step_c = _parse(step, f"{field} step")
    if not _on_grid(canonical, step_c):
        raise OffGrid(f"{field} is not a multiple of {step_c.text()}", field=field)
    return canonical.text(len(step_c.frac_digits))


class SymbolRules:
    """One symbol's trading rules, parsed once; checks and formats prices and quantities."""

    __slots__ = ("_symbol", "_tick", "_step", "_min_price", "_max_price", "_min_qty", "_max_qty",
                 "_min_notional")

    def __init__(
        self,
        symbol: str,
        tick_size: Number,
        step_size: Number,
        *,
        min_price: Number = 0,
        max_price: Number = 0,
        min_qty: Number = 0,
        max_qty: Number = 0,
        min_notional: Number = 0,
    ) -> None:
        if not isinstance(symbol, str):
            raise TypeError(f"symbol must be str, not {type(symbol).__name__}")
        self._symbol = symbol
        self._tick = _parse(tick_size, "tick_size")
        self._step = _parse(step_size, "step_size")
        # zero disables a bound (as in Binance's filters)
        self._min_price = _parse(min_price, "min_price", allow_zero=True)
        self._max_price = _parse(max_price, "max_price", allow_zero=True)
        self._min_qty = _parse(min_qty, "min_qty", allow_zero=True)
        self._max_qty = _parse(max_qty, "max_qty", allow_zero=True)
        self._min_notional = _parse(min_notional, "min_notional", allow_zero=True)

    @property
    def symbol(self) -> str:
        return self._symbol

    @property
    def tick_size(self) -> str:
        return self._tick.text()

    @property
    def step_size(self) -> str:
        return self._step.text()

    @property
    def price_decimals(self) -> int:
        return len(self._tick.frac_digits)

    @property
    def qty_decimals(self) -> int:
        return len(self._step.frac_digits)

    def __repr__(self) -> str:
        return f"SymbolRules({self._symbol!r}, tick_size={self.tick_size!r}, step_size={self.step_size!r})"

    def price(self, value: Number) -> str:
        """Tick-exact text of a price: InvalidNumber, OffGrid, or FilterViolation(filter="PRICE_FILTER")."""
        text = decimal_text(value, self._tick.text(), "price")
        v = Decimal(text)
        if self._min_price is not None and v < self._min_price.value:
            raise FilterViolation(f"price below min_price {self._min_price.text()}", field="price",
                                  filter="PRICE_FILTER")
        if self._max_price is not None and v > self._max_price.value:
            raise FilterViolation(f"price above max_price {self._max_price.text()}", field="price",
                                  filter="PRICE_FILTER")
        return text

    def qty(self, value: Number) -> str:
        """Step-exact text of a quantity: InvalidNumber, OffGrid, or FilterViolation(filter="LOT_SIZE")."""
        text = decimal_text(value, self._step.text(), "quantity")
        v = Decimal(text)
        if self._min_qty is not None and v < self._min_qty.value:
            raise FilterViolation(f"quantity below min_qty {self._min_qty.text()}", field="quantity",
                                  filter="LOT_SIZE")
        if self._max_qty is not None and v > self._max_qty.value:
            raise FilterViolation(f"quantity above max_qty {self._max_qty.text()}", field="quantity",
                                  filter="LOT_SIZE")
        return text

    def check_notional(self, price: Number, qty: Number) -> None:
        """FilterViolation(filter="NOTIONAL") if price * qty < min_notional."""
        p = _parse(price, "price").value
        q = _parse(qty, "quantity").value
        if self._min_notional is not None and _EXACT.multiply(p, q) < self._min_notional.value:
            raise FilterViolation(f"price * quantity below min_notional {self._min_notional.text()}",
                                  field="price", filter="NOTIONAL")
