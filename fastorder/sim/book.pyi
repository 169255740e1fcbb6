"""The simulator's matching engine (fastorder/sim/book.pyx, compiled): books, accounts, order records."""

from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ZERO: Decimal
MM: str
OPEN: tuple[str, str]
STP_MODES: tuple[str, ...]
DEFAULT_BALANCES: dict[str, str]

class Reject(Exception):
    """Engine-level rejection; ``reason`` is one of INSUFFICIENT, WOULD_TAKE, DUPLICATE, NO_LIQUIDITY."""

    reason: str
    asset: str
    def __init__(self, reason: str, asset: str = "") -> None: ...

@dataclass
class SymbolSpec:
    symbol: str
    base: str
    quote: str
    mid: Decimal
    tick: Decimal
    step: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_price: Decimal
    max_price: Decimal
    min_notional: Decimal
    max_notional: Decimal = ...
    market_max_qty: Decimal = ...
    gap_ticks: int = 50
    levels: int = 10
    level_qty: Decimal = ...
    code: int = 0

class Order:
    oid: int
    cid: str
    symbol: str
    side: str
    otype: str
    tif: str
    price: Decimal | None
    qty: Decimal
    quote_qty: Decimal | None
    executed: Decimal
    cum_quote: Decimal
    status: str
    ctime: int
    utime: int
    account: str
    fills: list[tuple[Decimal, Decimal, int]]
    extra: dict[str, Any]
    is_mm: bool
    locked: Decimal
    seq: int
    cancel_source: str
    prevented: Decimal   # quantity expired by self-trade prevention (DECREMENT)
    stp: str             # self-trade prevention mode when this order takes (STP_MODES)
    def __init__(self, oid: int, cid: str, symbol: str, side: str, otype: str, tif: str, price: Decimal | None,
                 qty: Decimal, quote_qty: Decimal | None, account: str, now: int,
                 extra: dict[str, Any] | None = None) -> None: ...
    @property
    def remaining(self) -> Decimal: ...
    @property
    def is_open(self) -> bool: ...
    def avg_price(self) -> Decimal: ...
    def snapshot(self) -> dict[str, Any]:
        """Venue-neutral view (for tests: 'the simulator's true state')."""

class Book:
    spec: SymbolSpec
    last_px: Decimal   # the last trade's price (the mid before the first): stop orders trigger on it
    bids: dict[Decimal, deque[Order]]
    asks: dict[Decimal, deque[Order]]
    bid_px: list[Decimal]   # ascending; best bid = last
    ask_px: list[Decimal]   # ascending; best ask = first
    def __init__(self, spec: SymbolSpec) -> None: ...
    def add(self, o: Order) -> None: ...
    def remove(self, o: Order) -> None: ...
    def best_bid(self, exclude: str | None = None) -> Decimal | None: ...
    def best_ask(self, exclude: str | None = None) -> Decimal | None: ...
    def depth(self, n: int = 5) -> dict[str, Any]: ...

class Account:
    name: str
    balances: dict[str, list[Decimal]]   # asset -> [free, locked]
    def __init__(self, name: str, balances: dict[str, list[Decimal]] | None = None) -> None: ...
    def bal(self, asset: str) -> list[Decimal]: ...

class Exchange:
    """All state of one simulated venue: books, accounts, orders. Single-threaded (event loop)."""

    MAX_ORDERS: int
    specs: dict[str, SymbolSpec]
    books: dict[str, Book]
    accounts: dict[str, Account]
    orders: dict[int, Order]
    by_cid: dict[tuple[str, str], Order]
    default_balances: dict[str, Decimal]
    #: (maker order, price, qty, trade id, maker's executed after it) per fill of a user's resting order, and
    #: (order, None, None, None, executed) per one expired by self-trade prevention; venues drain it after place
    touched: list[tuple[Order, Decimal | None, Decimal | None, int | None, Decimal]]
    def __init__(self, specs: list[SymbolSpec], first_order_id: int = 1, balances: dict[str, str] | None = None) -> None: ...
    def account(self, name: str) -> Account: ...
    def next_order_id(self) -> int: ...
    def find(self, account: str, oid: int | None = None, cid: str | None = None) -> Order | None: ...
    def open_orders(self, account: str, symbol: str | None = None) -> list[Order]: ...
    def snapshot(self, venue_status: Any = None) -> list[dict[str, Any]]: ...
    def place(self, account: str, symbol: str, side: str, otype: str, *, price: Decimal | None = None,
              qty: Decimal | None = None, quote_qty: Decimal | None = None, tif: str = "GTC",
              post_only: bool = False, cid: str = "", now: int = 0, extra: dict[str, Any] | None = None,
              oid: int | None = None, stp: str = "EXPIRE_MAKER") -> Order:
        """Place and match one order; raises Reject; returns the order (already matched)."""
    def cancel(self, o: Order, now: int, status: str = "CANCELED") -> None: ...
    def amend(self, o: Order, now: int, qty: Decimal | None = None, price: Decimal | None = None, *,
              post_only: bool = False) -> Order:
        """Change a resting order's total quantity and/or price: a smaller quantity at the same price keeps its
        place in the queue; any other change re-enters it like a new order (matched, then at the back of its
        level); a quantity at or below the executed one ends it (EXPIRED). Reject NOT_OPEN, NO_CHANGE,
        WOULD_TAKE, INSUFFICIENT leave it unchanged."""
