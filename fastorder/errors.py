"""fastorder's exception types.

Everything fastorder raises derives from `FastorderError`. Input problems are found *before* anything is
sent and raise a subclass of `InvalidOrder` (also a `ValueError`, so generic handlers still work).
Messages never contain secrets: only parameter names, public values and venue codes.
"""

from __future__ import annotations


class FastorderError(Exception):
    """Base class of every fastorder error."""


class InvalidOrder(FastorderError, ValueError):
    """An order (or request) was refused locally, before anything was sent."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidNumber(InvalidOrder):
    """A price/quantity is not a finite, positive, plainly writable decimal (NaN, inf, <= 0, too many digits)."""


class OffGrid(InvalidNumber):
    """A price/quantity is not a multiple of the symbol's tick size / step size."""


class FilterViolation(InvalidOrder):
    """The order breaks one of the symbol's rules (min/max price or quantity, minimum notional)."""

    def __init__(self, message: str, *, field: str | None = None, filter: str = "") -> None:
        super().__init__(message, field=field)
        self.filter = filter


class InvalidField(InvalidOrder):
    """A text field (symbol, client order id, enum, request id) holds characters its wire format cannot carry."""


class InvalidCredential(FastorderError, ValueError):
    """An API key, secret or passphrase is unusable (empty, or has characters a header/URL cannot carry).

    The message names the credential, never its value.
    """
