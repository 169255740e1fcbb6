"""Type checks of an order's arguments, venue-neutral, made before anything else (the guard, the journal, the
encoder): a wrong type is the caller's mistake and gets the library's typed error (InvalidOrder and its
subclasses), never a TypeError from deep inside, and leaves no journal record behind.

`place_order` tests the exact classes inline (one comparison each on the order path) and calls `check_order`
only when one differs, which accepts subclasses (a str subclass, numpy's float64) and says what is wrong.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastorder.errors import InvalidField, InvalidNumber, InvalidOrder

#: the classes a price or quantity may have (bool is an int subclass, and refused)
NUMBER_TYPES = frozenset((str, Decimal, int, float))


def _number(v: Any, field: str) -> None:
    if v is None:
        raise InvalidOrder(f"{field} is required", field=field)
    if isinstance(v, bool) or not isinstance(v, (str, Decimal, int, float)):
        raise InvalidNumber(f"{field} must be a Decimal, str, int or float, not {type(v).__name__}", field=field)


def check_text(v: Any, field: str, *, optional: bool = False) -> None:
    """A symbol or client order id: a str (None where optional)."""
    if v is None:
        if optional:
            return
        raise InvalidOrder(f"{field} is required", field=field)
    if not isinstance(v, str):
        raise InvalidField(f"{field} must be a str, not {type(v).__name__}", field=field)


def check_order(symbol: Any, quantity: Any, price: Any, client_order_id: Any, post_only: Any) -> None:
    """Every argument of a new order has a usable type, or the typed error naming the first that has not."""
    check_text(symbol, "symbol")
    _number(quantity, "quantity")
    if price is not None:
        _number(price, "price")
    check_text(client_order_id, "client_order_id", optional=True)
    if not isinstance(post_only, bool):
        raise InvalidOrder(f"post_only must be True or False, not {type(post_only).__name__}", field="post_only")


def check_ids(symbol: Any, order_id: Any, client_order_id: Any) -> None:
    """The arguments of a cancel or query."""
    check_text(symbol, "symbol")
    check_text(client_order_id, "client_order_id", optional=True)
    if order_id is not None and (isinstance(order_id, bool) or not isinstance(order_id, (str, int))):
        raise InvalidField(f"order_id must be a str or int, not {type(order_id).__name__}", field="order_id")
