"""What a session returns: `Ack` (an order's state as the venue reported it) and its `Latency` breakdown."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from enum import Enum

if sys.version_info >= (3, 11):
    from enum import StrEnum as _StrEnum
else:   # pragma: no cover - Python 3.10
    class _StrEnum(str, Enum):
        """enum.StrEnum (3.11) for 3.10: members are str, and str()/format() give the value."""

        def __str__(self) -> str:
            return str.__str__(self)

        def __format__(self, spec: str) -> str:
            return str.__format__(self, spec)


class Status(_StrEnum):
    """Venue-neutral order states: every `Ack.status` (and `OrderEvent.status`, journal record) the library
    gives is one of these. Members are strs, so `ack.status == "FILLED"` holds as it always did."""

    NEW = "NEW"
    #: the venue took the order but its reply carries no state yet (Binance ACK, OKX and HTX place replies);
    #: query_order gives the state
    ACCEPTED = "ACCEPTED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    #: OKX/HTX: the cancel was accepted; the final state follows
    CANCEL_REQUESTED = "CANCEL_REQUESTED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    #: journal only: refused locally or lost before it was written out; never reached the venue
    NOT_SENT = "NOT_SENT"
    #: `Session.recover()`: the venue has no such order and can no longer accept it (its window has passed)
    NOT_PLACED = "NOT_PLACED"


NEW = Status.NEW
ACCEPTED = Status.ACCEPTED
PARTIALLY_FILLED = Status.PARTIALLY_FILLED
FILLED = Status.FILLED
CANCELED = Status.CANCELED
CANCEL_REQUESTED = Status.CANCEL_REQUESTED
REJECTED = Status.REJECTED
EXPIRED = Status.EXPIRED
NOT_SENT = Status.NOT_SENT
NOT_PLACED = Status.NOT_PLACED
#: the states after which an order can no longer change
FINAL_STATES = frozenset((FILLED, CANCELED, REJECTED, EXPIRED, NOT_SENT, NOT_PLACED))


@dataclass(slots=True)
class Latency:
    """Where one request's time went, in nanoseconds (µs for venue-reported times).

    client_ns: the call until the request bytes were handed to the kernel (validation, encoding, signing,
    the write). round_trip_ns: from then until the reply was parsed. exchange_us: the venue's own
    processing time where it reports one (OKX outTime - inTime; the simulator's X-Sim-Processing-Us).
    tcp_rtt_us: the kernel's smoothed RTT estimate of the connection used (TCP_INFO), when available, read
    as the request was written (not after the reply: the system call stays off the reply path).
    """

    client_ns: int = 0
    round_trip_ns: int = 0
    exchange_us: int | None = None
    tcp_rtt_us: int | None = None

    @property
    def total_ns(self) -> int:
        return self.client_ns + self.round_trip_ns


@dataclass(slots=True)
class Ack:
    """An order's state from one reply. Quantities and prices are the venue's decimal strings."""

    venue: str
    symbol: str
    client_order_id: str
    order_id: str = ""
    status: str = ACCEPTED            # a Status (a str)
    side: str = ""
    price: str = ""
    quantity: str = ""
    filled_qty: str = ""
    avg_price: str = ""
    exchange_ts_ms: int | None = None
    reconciled: bool = False          # True when the state came from a query after an unknown outcome
    latency: Latency = field(default_factory=Latency)
    raw: object = None                # the parsed reply, for anything not mapped above

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATES


@dataclass(frozen=True, slots=True)
class Balance:
    """One asset of the trading account (`session.balances()`): the venue's decimal strings."""

    asset: str
    free: str
    locked: str


@dataclass(frozen=True, slots=True)
class Position:
    """One position of a perpetual swap (`session.positions()`): the venue's decimal strings, venue-neutral names.

    `quantity` is signed (negative: short), in base units; `contracts` the same in the venue's contracts (equal to
    `quantity` where a contract is one unit of base, as on Binance USDⓈ-M). `position_side` "net" (one-way mode)
    or "long" / "short" (hedge mode). `margin_mode` "cross" or "isolated" ("" where the reply does not say)."""

    venue: str
    symbol: str
    position_side: str
    quantity: str
    contracts: str
    entry_price: str
    mark_price: str = ""
    unrealized_pnl: str = ""
    leverage: int | None = None
    margin_mode: str = ""
    raw: object = None
