"""Order and fill events from the venues' private streams: one typed `OrderEvent` for every venue.

`OrderEvent` and the frame decoders are compiled (fastorder._core.events); `StreamGap` tells a consumer that
the stream was interrupted and what the session did about it.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastorder._core.events import DECODERS, FIELDS, OrderEvent, decode_binance, decode_htx, decode_okx

__all__ = ["DECODERS", "FIELDS", "OrderEvent", "StreamGap", "decode_binance", "decode_htx", "decode_okx"]


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
