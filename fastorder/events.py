"""Order and fill events from the venues' private streams: one typed `OrderEvent` for every venue.

`OrderEvent` and the frame decoders are compiled (fastorder._core.events); `StreamGap` tells a consumer that
the stream was interrupted and what the session did about it.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastorder._core.events import (
    DECODERS,
    FIELDS,
    OrderEvent,
    decode_binance,
    decode_binance_futures,
    decode_htx,
    decode_okx,
)
from fastorder.types import Balance, Position

__all__ = ["DECODERS", "FIELDS", "AccountUpdate", "OrderEvent", "StreamGap", "decode_binance",
           "decode_binance_futures", "decode_htx", "decode_okx"]


@dataclass(frozen=True, slots=True)
class AccountUpdate:
    """Balances and positions the venue's private stream says changed (Binance USDⓈ-M `ACCOUNT_UPDATE`), passed
    to the same consumers as OrderEvent. Only what changed is listed (the venue sends the changed assets and
    positions); `reason` the venue's (ORDER, FUNDING_FEE, DEPOSIT, ...). A Balance here: `free` the cross wallet
    balance, `locked` the whole wallet balance (the venue's cw and wb)."""

    venue: str
    reason: str
    balances: tuple[Balance, ...]
    positions: tuple[Position, ...]
    exchange_ts_ms: int | None
    recv_ns: int


@dataclass(slots=True)
class StreamGap:
    """The private stream was interrupted between `since_ns` and `until_ns` (perf_counter_ns clock).

    closed: the session resubscribed and reported every open or tracked order's state from a REST query
    (those events carry snapshot=True), so nothing that happened meanwhile is missing. When it could not
    (`closed` False, `reason` says why), events may be missing for the orders in `unresolved` (client ids).
    """

    venue: str
    since_ns: int
    until_ns: int
    reason: str
    closed: bool
    unresolved: tuple[str, ...] = ()
