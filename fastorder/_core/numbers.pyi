"""Exact decimal text for prices and quantities: never exponent notation, never a float's repr.

Rules (shared with the pure-Python twin `fastorder._py.numbers`, byte for byte):
- accepted inputs: `decimal.Decimal`, `str`, `int` (not `bool`), `float`, and subclasses of these (read as
  their base class: numpy's float64 as a float); anything else raises TypeError.
- a `str` is `[0-9]*(\\.[0-9]*)?([eE][+-]?[0-9]+)?` with at least one digit, no sign, no spaces.
  A leading '-' raises InvalidNumber ("must be positive"); any other character raises InvalidNumber.
- a `float` is read through `repr()` (the shortest text that round-trips), a `Decimal` through `str()`.
- NaN and infinities raise InvalidNumber ("not finite"); zero and negatives raise InvalidNumber
  ("must be positive").
- canonical form: integer digits without leading zeros ("0" if none), then '.' and the fraction digits
  without trailing zeros if any remain. Let I = integer digits (0 when the integer part is zero),
  F = fraction digits, both of the canonical form: I > 20, F > 20 or I + F > 38 raises InvalidNumber
  ("too many digits").
- with a step (tick size / step size, itself a positive number by the same rules): the value must be an exact
  multiple of the step, else OffGrid; the text then has exactly F(step) fraction digits
  (tick "0.01": 52000 -> "52000.00"; tick "5": 105 -> "105").
"""

from decimal import Decimal

Number = Decimal | str | int | float

def decimal_text(value: Number, step: Number | None = None, field: str = "value") -> str:
    """The plain decimal text of `value` (see module rules); `field` names the argument in errors."""

class SymbolRules:
    """One symbol's trading rules, parsed once; checks and formats prices and quantities.

    Zero (the default) disables a bound, as in Binance's filters. `min_notional` applies to price * qty.
    """

    symbol: str
    tick_size: str      # canonical text
    step_size: str      # canonical text
    price_decimals: int
    qty_decimals: int

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
    ) -> None: ...
    def price(self, value: Number) -> str:
        """Tick-exact text of a price: InvalidNumber, OffGrid, or FilterViolation(filter="PRICE_FILTER")."""
    def qty(self, value: Number) -> str:
        """Step-exact text of a quantity: InvalidNumber, OffGrid, or FilterViolation(filter="LOT_SIZE")."""
    def check_notional(self, price: Number, qty: Number) -> None:
        """FilterViolation(filter="NOTIONAL") if price * qty < min_notional."""
