"""Type checks of an order's arguments, venue-neutral, made before anything else (the guard, the journal, the
encoder): a wrong type is the caller's mistake and gets the library's typed error (InvalidOrder and its
subclasses), never a TypeError from deep inside, and leaves no journal record behind.

A number (price, quantity, stop price, contracts, ...) is a Decimal, str, int or float, or a subclass of one
(numpy's float64, a str subclass): `check_number` is that one rule, bool always refused (an int to Python, never
a number to a venue). `place_order` tests the exact classes inline (one comparison each on the order path) and
calls `check_order` only when one differs, which applies `check_number` and says what is wrong.
Likewise for the order's side and kind: the common spellings are looked up inline (`_SIDES`, `_TIFS`), every
other one goes through `_side` / `_order_kind`, which normalize it or say what is wrong.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from fastorder.errors import InvalidField, InvalidNumber, InvalidOrder

if TYPE_CHECKING:   # pragma: no cover
    from fastorder.venues.operations import OrderOptions

#: the exact classes of a number (the order path's inline test); `check_number` also takes their subclasses
NUMBER_TYPES = frozenset((str, Decimal, int, float))
_NUMBER_BASES = (str, Decimal, int, float)


def check_number(v: Any, field: str) -> None:
    """A number argument: a Decimal, str, int or float, or an instance of a subclass of one; never a bool.
    InvalidNumber naming `field` otherwise. Its value (positive, finite, on the grid) is the encoder's check."""
    if isinstance(v, bool) or not isinstance(v, _NUMBER_BASES):
        raise InvalidNumber(f"{field} must be a Decimal, str, int or float, not {type(v).__name__}", field=field)


def _number(v: Any, field: str) -> None:
    if v is None:
        raise InvalidOrder(f"{field} is required", field=field)
    check_number(v, field)


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
    """The arguments naming one order (a cancel, query or amend): the symbol and at least one of the two ids."""
    check_text(symbol, "symbol")
    check_text(client_order_id, "client_order_id", optional=True)
    if order_id is None:
        if client_order_id is None:
            raise InvalidOrder("give order_id or client_order_id", field="order_id")
    elif isinstance(order_id, bool) or not isinstance(order_id, (str, int)):
        raise InvalidField(f"order_id must be a str or int, not {type(order_id).__name__}", field="order_id")


def check_amend(symbol: Any, order_id: Any, client_order_id: Any, quantity: Any, price: Any,
                new_client_order_id: Any) -> None:
    """The arguments of one amend (amend_order, or one item of amend_orders)."""
    check_ids(symbol, order_id, client_order_id)
    if quantity is None and price is None:
        raise InvalidOrder("amend_order needs a new quantity or a new price", field="quantity")
    if quantity is not None:
        check_number(quantity, "quantity")
    if price is not None:
        check_number(price, "price")
    check_text(new_client_order_id, "new_client_order_id", optional=True)


#: order type -> (takes a limit price, takes a trigger price)
_KINDS = {"limit": (True, False), "market": (False, False), "stop_loss": (False, True),
          "stop_loss_limit": (True, True), "take_profit": (False, True), "take_profit_limit": (True, True)}


def _order_kind(type: str, tif: str, price: Any, post_only: bool,
                opts: OrderOptions | None = None) -> tuple[str, str]:
    """Venue-neutral checks of an order's kind: (an order type of _KINDS, 'GTC'|'IOC'|'FOK')."""
    t = type.lower() if isinstance(type, str) else ""
    f = tif.upper() if isinstance(tif, str) else ""
    kind = _KINDS.get(t)
    if kind is None:
        raise InvalidOrder(f"type must be one of {', '.join(_KINDS)}, not {type!r}", field="type")
    limit_price, trigger = kind
    if limit_price and price is None:
        raise InvalidOrder(f"{t} orders need a price", field="price")
    if not limit_price:
        if price is not None:
            raise InvalidOrder(f"{t} orders take no price", field="price")
        if post_only:
            raise InvalidOrder("post_only applies to limit orders only", field="post_only")
    if trigger != (opts is not None and opts.stop_price is not None):
        raise InvalidOrder(f"{t} orders need a stop_price" if trigger else f"{t} orders take no stop_price",
                           field="stop_price")
    if opts is not None and opts.quote_quantity is not None and t != "market":
        raise InvalidOrder("quote_quantity sizes market orders only", field="quote_quantity")
    if f not in ("GTC", "IOC", "FOK"):
        raise InvalidOrder(f"tif must be GTC, IOC or FOK, not {tif!r}", field="tif")
    return t, f


_SIDES = {"buy": "BUY", "sell": "SELL", "BUY": "BUY", "SELL": "SELL"}
_TIFS = frozenset(("GTC", "IOC", "FOK"))


def _side(side: str) -> str:
    s = side.upper() if isinstance(side, str) else ""
    if s not in ("BUY", "SELL"):
        raise InvalidOrder(f"side must be 'buy' or 'sell', not {side!r}", field="side")
    return s
