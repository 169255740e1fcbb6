"""What the perpetual-swap sessions share (`connect(venue, ..., market="perp")`): the common symbol spellings,
position sides, contracts against base quantity (exact, in Decimal), and the account calls a perp session has
besides the order path (`positions()`, leverage, margin mode, position mode). Venue modules implement the hooks.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from fastorder.errors import InvalidField, InvalidNumber, InvalidOrder
from fastorder.venues.inputs import check_number, check_text

if TYPE_CHECKING:
    from fastorder.types import Position
    from fastorder.venues.operations import OrderOptions

#: venue-neutral position sides: "net" (one-way mode), "long" / "short" (hedge mode)
POSITION_SIDES = ("net", "long", "short")
_SIDE_NAMES = {"net": "net", "both": "net", "long": "long", "short": "short"}
MARGIN_MODES = ("cross", "isolated")
_SUFFIXES = ("-SWAP", "_SWAP", "-PERP", "_PERP", "SWAP", "PERP")


def perp_key(symbol: str) -> str:
    """The spellings of one perpetual as one key: 'BTC-USDT-SWAP' (OKX), 'BTCUSDT' (Binance), 'BTC-USDT' (HTX),
    'BTC/USDT:USDT' (ccxt), 'btcusdt_perp' -> 'BTCUSDT'."""
    s = symbol.upper().partition(":")[0]   # ccxt writes the settle asset after ':'
    for suffix in _SUFFIXES:
        if s.endswith(suffix) and len(s) > len(suffix):
            s = s[: -len(suffix)]
            break
    return s.replace("-", "").replace("/", "").replace("_", "")


def position_side_name(value: Any) -> str:
    """A position side as given to place_order ("long", "short", "net", or the Binance spelling LONG / SHORT /
    BOTH) -> "net" | "long" | "short"; InvalidField for anything else."""
    check_text(value, "position_side")
    name = _SIDE_NAMES.get(value.lower())
    if name is None:
        raise InvalidField(f"position_side must be one of long, short, net, not {value!r}", field="position_side")
    return name


def exact(value: Any, field: str) -> Decimal:
    """A number as given (Decimal, str, int, or float by its shortest repr; or a subclass of one, read as its
    base class) as a finite, positive Decimal."""
    check_number(value, field)
    try:
        if isinstance(value, Decimal):
            d = value
        elif isinstance(value, float):
            d = Decimal(float.__repr__(value))   # the shortest text, not the binary expansion (nor numpy's repr)
        elif isinstance(value, int):
            d = Decimal(int(value))
        else:
            d = Decimal(str.__str__(value))   # a str (checked above)
    except InvalidOperation:
        raise InvalidNumber(f"{field} is not a number: {value!r}", field=field) from None
    if not d.is_finite() or d <= 0:
        raise InvalidNumber(f"{field} must be a positive finite number, not {value!r}", field=field)
    return d


def contracts_to_quantity(contracts: Any, contract_size: Decimal, *, whole: bool = True) -> Decimal:
    """`contracts` of `contract_size` base units each, in base units: exact (Decimal), never a float product.
    A fractional count is refused (InvalidOrder) unless the size is 1 (then contracts are base units), or
    `whole=False` (a venue whose lot size in contracts may be fractional checks the lot itself)."""
    n = exact(contracts, "contracts")
    if whole and contract_size != 1 and n != n.to_integral_value():
        raise InvalidOrder(f"contracts must be a whole number of contracts, not {contracts!r}", field="contracts")
    return n * contract_size


def quantity_to_contracts(quantity: Any, contract_size: Decimal, *, whole: bool = True) -> Decimal:
    """Base units as contracts, exact; a quantity that is not a whole number of contracts is refused (with
    `whole=False`: one that is no exact number of contracts, e.g. a third of one, the lot rule deciding the
    rest)."""
    q = exact(quantity, "quantity")
    n = q / contract_size
    if n * contract_size != q or (whole and contract_size != 1 and n != n.to_integral_value()):
        raise InvalidOrder(f"quantity {quantity} is not a whole number of contracts of {contract_size}",
                           field="quantity")
    return n


def decimal_text(d: Decimal) -> str:
    """A Decimal as plain digits ("10", "0.015"), never in exponent form ("1E+1"), trailing zeros dropped."""
    t = format(d, "f")
    if "." in t:
        t = t.rstrip("0").rstrip(".")
    return t or "0"


class PerpOps:
    """The account calls of a perp session. Mixed into each venue's perp session, which fills in the hooks; a
    venue without one of them (e.g. no margin-mode switch) says so with NotSupported."""

    if TYPE_CHECKING:
        venue: str

        async def resolve_symbol(self, symbol: str) -> Any: ...

    #: Session.symbol() finds a perpetual by any of its spellings
    symbol_key = staticmethod(perp_key)

    @staticmethod
    def _perp_options(opts: OrderOptions) -> OrderOptions:
        """Check place_order's perp keywords (position side, reduce-only against hedge mode) and return the
        options without them, for the venue's spot checks of the rest."""
        if opts.position_side is not None:
            side = position_side_name(opts.position_side)
            if opts.reduce_only and side != "net":
                raise InvalidOrder("reduce_only cannot be sent in hedge mode: a long/short position side already "
                                   "says which position the order closes", field="reduce_only")
        return dataclasses.replace(opts, reduce_only=False, position_side=None, contracts=None)

    async def positions(self, symbol: str | None = None) -> list[Position]:
        """The account's open positions (of `symbol`, or of every symbol), as the venue reports them now."""
        check_text(symbol, "symbol", optional=True)
        info = await self.resolve_symbol(symbol) if symbol is not None else None
        return await self._positions(info)

    async def set_leverage(self, symbol: str, leverage: int) -> int:
        """Set the symbol's leverage (a whole number, 1 to the venue's maximum); returns the venue's value."""
        check_text(symbol, "symbol")
        if isinstance(leverage, bool) or not isinstance(leverage, int) or not 1 <= leverage <= 1000:
            raise InvalidOrder(f"leverage must be an int of at least 1, not {leverage!r}", field="leverage")
        return await self._set_leverage(await self.resolve_symbol(symbol), leverage)

    async def set_margin_mode(self, symbol: str, mode: str) -> None:
        """Set the symbol's margin mode: "cross" or "isolated"."""
        check_text(symbol, "symbol")
        if mode not in MARGIN_MODES:
            raise InvalidOrder(f"mode must be one of {MARGIN_MODES}, not {mode!r}", field="mode")
        await self._set_margin_mode(await self.resolve_symbol(symbol), mode)

    async def set_position_mode(self, hedge: bool) -> None:
        """Hedge mode (True: long and short positions side by side, orders name their position side) or one-way
        mode (False: one net position per symbol)."""
        if not isinstance(hedge, bool):
            raise InvalidOrder(f"hedge must be True or False, not {type(hedge).__name__}", field="hedge")
        await self._set_position_mode(hedge)

    async def _positions(self, info: Any) -> list[Position]:
        raise NotImplementedError

    async def _set_leverage(self, info: Any, leverage: int) -> int:
        raise NotImplementedError

    async def _set_margin_mode(self, info: Any, mode: str) -> None:
        raise NotImplementedError

    async def _set_position_mode(self, hedge: bool) -> None:
        raise NotImplementedError
