"""fastorder's exception types.

Everything fastorder raises derives from `FastorderError`. Input problems are found *before* anything is
sent and raise a subclass of `InvalidOrder` (also a `ValueError`, so generic handlers still work); a session
set up wrongly (venue, transport, keyword, URL) raises `ConfigError` before anything is opened; the transport
layer's own errors derive from `TransportError`. Messages never contain secrets: only parameter names,
public values and venue codes.
"""

from __future__ import annotations

import ssl


class FastorderError(Exception):
    """Base class of every fastorder error."""


class ConfigError(FastorderError, ValueError):
    """A session or connection is set up wrongly: an unknown venue, a transport the venue does not offer, a
    keyword the venue does not take, a malformed URL. Raised before anything is opened or sent."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class PlaintextNotAllowed(ConfigError):
    """Plaintext (http://, ws://) to a non-loopback host was asked for without ``allow_plaintext=True``."""


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


class ClientIdInUse(InvalidOrder):
    """A caller-supplied client order id that an order of this session still has live (sent, and not known to
    be final). Every venue finds an order by client id as the latest one with it, so reusing the id would hide
    the first order from queries, cancels and recovery: refused before anything is sent."""


class NotSupported(FastorderError):
    """The venue has no such operation (or not for this market): nothing was sent. `closest` names the venue
    feature that comes nearest, for the caller to use instead."""

    def __init__(self, message: str, *, venue: str = "", closest: str = "") -> None:
        super().__init__(message)
        self.venue = venue
        self.closest = closest


class InvalidCredential(FastorderError, ValueError):
    """An API key, secret or passphrase is unusable (empty, or has characters a header/URL cannot carry).

    The message names the credential, never its value.
    """


# -- what a venue said ----------------------------------------------------------------------------------------
class VenueError(FastorderError):
    """The venue answered with an error. `code` and `message` are the venue's own (e.g. Binance -2010,
    OKX "51008", HTX "order-accountbalance-error"); `http_status` is the HTTP or WS-API status when known."""

    def __init__(self, venue: str, code: object, message: str, *, http_status: int | None = None,
                 client_order_id: str | None = None) -> None:
        super().__init__(f"{venue} {code}: {message}")
        self.venue = venue
        self.code = code
        self.message = message
        self.http_status = http_status
        self.client_order_id = client_order_id


class OrderRejected(VenueError):
    """The venue refused the order (or the cancel): it is not live because of this request."""


class InsufficientBalance(OrderRejected):
    """Not enough balance for the order."""


class InsufficientMargin(InsufficientBalance):
    """Perpetual swaps: the order's initial margin is more than the account has available."""


class ReduceOnlyRejected(OrderRejected):
    """Perpetual swaps: a reduce-only order (or a close in hedge mode) would open or grow a position, or is
    larger than the position it closes."""


class PositionSideMismatch(OrderRejected):
    """Perpetual swaps: the order's position side does not match the account's position mode (a long/short side
    in one-way mode, or none in hedge mode)."""


class MaxPositionExceeded(OrderRejected):
    """Perpetual swaps: the position would exceed the most the current leverage allows."""


class DuplicateOrder(OrderRejected):
    """The client order id is already in use on the venue."""


class FilterRejected(OrderRejected):
    """The venue's symbol rules (price/lot/notional filters, precision) refused the order."""


class UnknownOrder(VenueError):
    """The order asked for (query/cancel) does not exist on the venue, or is already final (cancel)."""


class AuthenticationError(VenueError):
    """Key, signature, passphrase or permissions refused."""


class TimestampRejected(VenueError):
    """The request's timestamp fell outside the venue's window (clock skew); the session re-syncs its clock
    at once. The order was not placed and is not resent."""


class RateLimited(VenueError):
    """A rate limit was hit (venue-side: HTTP 429 / code, or the local guard). `retry_after` is in seconds."""

    def __init__(self, venue: str, code: object, message: str, *, retry_after: float | None = None,
                 http_status: int | None = None, client_order_id: str | None = None) -> None:
        super().__init__(venue, code, message, http_status=http_status, client_order_id=client_order_id)
        self.retry_after = retry_after


class Banned(RateLimited):
    """The venue banned this IP/key for a while (Binance HTTP 418)."""


class ExecutionUnknown(VenueError):
    """The venue could not say whether the order executed (Binance 5xx/-1006/-1007, OKX 50004/50001/50026, a
    timeout or a lost connection) AND querying by client order id did not settle it. The order may be live:
    look it up by `client_order_id` before acting on it."""

    #: what the last query met (UnknownOrder: the venue does not know the order), when queries were made
    last_answer: BaseException | None = None


# -- the transport ----------------------------------------------------------------------------------------------
class TransportError(FastorderError):
    """The transport layer (fastorder.transport) could not carry or read a message. A session turns these into
    ConnectionLost (nothing was sent) or settles the order's outcome by querying it (see ExecutionUnknown);
    they reach a caller directly only from the transport classes used on their own."""


class HttpParseError(TransportError):
    """The server's bytes are not a valid HTTP/1.1 response; the connection cannot be reused."""


class HttpConnectionClosed(TransportError, ConnectionError):
    """The connection ended (or was closed by ``Connection: close``) before the reply arrived."""


class WSError(TransportError):
    """A WebSocket protocol violation (by the peer) or a failed handshake; ``code`` is the close code sent."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code


class WSClosed(TransportError, ConnectionError):
    """The WebSocket is closed (by either side); pending requests fail with this."""


class ConnectionLost(FastorderError, ConnectionError):
    """No connection to the venue could carry the request."""


class CertificateRejected(ConnectionLost):
    """The venue's TLS certificate failed verification (untrusted issuer, expired, not valid for the host name):
    nothing was sent over that connection. Verification is never relaxed: at connect this is raised at once
    (no retries); a session that loses its connections keeps reconnecting, verifying every time, and an order
    that finds no connection meanwhile raises this. `reason` is OpenSSL's verdict."""

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


class TlsError(TransportError, ConnectionLost):
    """A TLS connection of the compiled TLS path failed or ended badly: a handshake refused by an alert, a
    record that does not decrypt, the server's ``close_notify`` with requests still waiting, the stream
    ending without ``close_notify`` (truncated) or reset in the middle of a record. Requests waiting on that
    connection fail with HttpConnectionClosed / WSClosed caused by this."""


class TlsCertificateError(CertificateRejected, ssl.SSLCertVerificationError):
    """The compiled TLS path's verdict on a certificate that failed verification; also an
    ``ssl.SSLCertVerificationError`` (``verify_code``, ``verify_message``), as the loop's TLS transport raises."""

    def __init__(self, message: str, *, reason: str = "", verify_code: int = 0) -> None:
        CertificateRejected.__init__(self, message, reason=reason)
        self.strerror = message   # what ssl.SSLError's str() shows
        self.verify_code = verify_code
        self.verify_message = reason


# -- the order journal ----------------------------------------------------------------------------------------
class JournalError(FastorderError):
    """The order journal could not write an order's record before sending it: the order was not sent."""


class JournalLocked(JournalError):
    """The order journal's file is already open for writing (by another session or process): one writer per
    journal file."""


# -- private order streams -------------------------------------------------------------------------------------
class MalformedEvent(FastorderError, ValueError):
    """A private-stream frame that should carry an order event cannot be read: not JSON, a mandatory field
    missing, a field of the wrong type, or a status the venue does not define. The stream skips the frame
    (and logs it) and keeps reading; `venue` names the stream. The message never quotes the frame."""

    def __init__(self, venue: str, message: str) -> None:
        super().__init__(f"{venue} event: {message}")
        self.venue = venue
