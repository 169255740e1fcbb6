"""fastorder: low-latency order entry for Binance, OKX and HTX over ordinary REST and WebSocket APIs.

    async with fastorder.connect("binance", transport="ws", key=..., secret=...) as s:
        ack = await s.place_order("BTCUSDT", "buy", "0.001", "50000", tif="IOC")
"""

from fastorder import _compiled  # noqa: F401  (first: a source tree with no compiled core fails here, saying why)
from fastorder.errors import (
    AuthenticationError,
    Banned,
    CertificateRejected,
    ClientIdInUse,
    ConfigError,
    ConnectionLost,
    DuplicateOrder,
    ExecutionUnknown,
    FastorderError,
    FilterRejected,
    FilterViolation,
    HttpConnectionClosed,
    HttpParseError,
    InsufficientBalance,
    InsufficientMargin,
    InvalidCredential,
    InvalidField,
    InvalidNumber,
    InvalidOrder,
    JournalError,
    JournalLocked,
    MalformedEvent,
    MaxPositionExceeded,
    NotSupported,
    OffGrid,
    OrderRejected,
    PlaintextNotAllowed,
    PositionSideMismatch,
    RateLimited,
    ReduceOnlyRejected,
    TimestampRejected,
    TlsCertificateError,
    TlsError,
    TransportError,
    UnknownOrder,
    VenueError,
    WSClosed,
    WSError,
)
from fastorder.events import OrderEvent, StreamGap
from fastorder.types import Ack, Balance, Latency, Position, Status
from fastorder.venues import connect

__version__ = "0.1.0"   # the one place the version is written (pyproject reads it)
__all__ = [
    "Ack", "Balance", "Latency", "Position", "Status", "connect", "get_include", "__version__",
    "OrderEvent", "StreamGap",   # order and fill events (fastorder.events, session.events())
    # errors (fastorder.errors): every one derives from FastorderError
    "AuthenticationError", "Banned", "CertificateRejected", "ClientIdInUse", "ConfigError", "ConnectionLost",
    "DuplicateOrder", "ExecutionUnknown", "FastorderError", "FilterRejected", "FilterViolation",
    "HttpConnectionClosed", "HttpParseError", "InsufficientBalance", "InvalidCredential", "InvalidField",
    "InvalidNumber", "InvalidOrder", "JournalError", "JournalLocked", "MalformedEvent", "NotSupported", "OffGrid", "OrderRejected",
    "PlaintextNotAllowed", "RateLimited", "TimestampRejected", "TlsCertificateError", "TlsError", "TransportError",
    "UnknownOrder",
    # perpetual swaps' rejections (connect(..., market="perp"))
    "InsufficientMargin", "MaxPositionExceeded", "PositionSideMismatch", "ReduceOnlyRejected",
    "VenueError", "WSClosed", "WSError",
]


def get_include() -> str:
    """The folder holding the C headers the core's .pxd files name: pass it as an include dir when you
    compile Cython code that does `cimport fastorder._core.buffer` (and friends)."""
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    installed = os.path.join(here, "include")
    return installed if os.path.isdir(installed) else os.path.join(os.path.dirname(here), "csrc")
