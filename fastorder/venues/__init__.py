"""One session class per venue; `fastorder.connect` picks one."""

from __future__ import annotations

import inspect
import os
import ssl
from typing import TYPE_CHECKING, Any, Literal, overload

from fastorder.errors import ConfigError
from fastorder.venues.base import Session

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from fastorder.journal import OrderJournal
    from fastorder.metrics import LatencyRecorder
    from fastorder.venues.binance import BinanceSession
    from fastorder.venues.binance_futures import BinanceFuturesSession
    from fastorder.venues.htx import HtxSession
    from fastorder.venues.htx_swap import HtxSwapSession
    from fastorder.venues.okx import OkxSession
    from fastorder.venues.okx_swap import OkxSwapSession


#: markets `connect(..., market=...)` names: "spot", or "perp" (the venue's USDT-margined perpetual swaps)
MARKETS = ("spot", "perp")


def session_class(venue: str, market: str = "spot") -> type[Session]:
    v = venue.lower()
    if market == "perp":
        if v == "binance":   # USDⓈ-M futures
            from fastorder.venues.binance_futures import BinanceFuturesSession
            return BinanceFuturesSession
        if v == "okx":   # instType SWAP, the linear (USDT-margined) perpetuals
            from fastorder.venues.okx_swap import OkxSwapSession
            return OkxSwapSession
        if v in ("htx", "huobi"):   # USDT-margined swaps (the linear swap API)
            from fastorder.venues.htx_swap import HtxSwapSession
            return HtxSwapSession
        raise ConfigError(f"{venue}: unknown venue for perpetual swaps (binance, okx and htx have them)",
                          field="market")
    if market != "spot":
        raise ConfigError(f"market must be one of {', '.join(MARKETS)}, not {market!r}", field="market")
    if v == "binance":
        from fastorder.venues.binance import BinanceSession
        return BinanceSession
    if v == "okx":
        from fastorder.venues.okx import OkxSession
        return OkxSession
    if v in ("htx", "huobi"):
        from fastorder.venues.htx import HtxSession
        return HtxSession
    raise ConfigError(f"unknown venue {venue!r}: binance, okx or htx", field="venue")


# Credentials Session.__init__ takes that a venue has no use for: passing one is a set-up mistake (ConfigError),
# not something to ignore silently. (ws_url=/ws_address= and recv_window= are taken everywhere, as settings
# that do not apply: a REST session has no WebSocket, only Binance has a recvWindow.)
_NOT_FOR = {
    "binance": frozenset(("passphrase",)),
    "okx": frozenset(("private_key",)),
    "htx": frozenset(("passphrase",)),
}
_DEFAULT_TRANSPORT = {"binance": "ws", "okx": "ws", "htx": "rest"}   # HTX takes orders over REST only


def _keywords(cls: type[Session]) -> frozenset[str]:
    """The keyword arguments `cls(...)` accepts (its own and, through **kw, Session's)."""
    names: set[str] = set()
    for c in cls.__mro__:
        init = c.__dict__.get("__init__")
        if init is None:
            continue
        for p in inspect.signature(init).parameters.values():
            if p.kind is p.KEYWORD_ONLY:
                names.add(p.name)
    return frozenset(names - {"transport"})


def keywords(venue: str, market: str = "spot") -> frozenset[str]:
    """The keyword arguments `connect(venue, ..., market=market)` takes (besides market= itself)."""
    v = _canonical(venue)
    return _keywords(session_class(v, market)) - _NOT_FOR[v]


def _canonical(venue: str) -> str:
    v = venue.lower() if isinstance(venue, str) else ""
    v = "htx" if v == "huobi" else v
    if v not in _NOT_FOR:
        raise ConfigError(f"unknown venue {venue!r}: binance, okx or htx", field="venue")
    return v


@overload
def connect(venue: Literal["binance"], transport: Literal["ws", "rest"] = "ws", *, market: Literal["spot"] = "spot",
            key: str,
            secret: str | bytes | None = None, private_key: Ed25519PrivateKey | bytes | str | None = None,
            ws_url: str | None = None, ws_address: str | None = None, recv_window: int | None = 5000,
            resp_type: Literal["ACK", "RESULT", "FULL"] = "RESULT", symbols: list[str] | tuple[str, ...] | None = None,
            url: str | None = None, ssl_context: ssl.SSLContext | None = None, connections: int = 2,
            timeout: float = 1.0, id_prefix: str = "fo", allow_plaintext: bool = False, clock_samples: int = 5,
            resync_interval: float = 60.0, recorder: LatencyRecorder | None = None, rate_limit: bool = True,
            rate_limit_margin: float = ..., address: str | None = None,
            journal: str | os.PathLike[str] | OrderJournal | None = None, acceptance_window_ms: int | None = None,
            reprobe: list[str] | None = None, reprobe_interval: float = 60.0, spin_us: int = 0,
            events: bool = False, startup_timeout: float = 10.0,
            tls_engine: Literal["compiled", "loop"] = "compiled", env: Literal["live", "testnet", "demo"] = "live",
            cancel_on_disconnect: float | None = None, keep_warm: bool | float = False,
            keep_warm_kernel: bool = False) -> BinanceSession: ...


@overload
def connect(venue: Literal["okx"], transport: Literal["ws", "rest"] = "ws", *, market: Literal["spot"] = "spot",
            key: str, secret: str | bytes,
            passphrase: str, ws_url: str | None = None, ws_address: str | None = None, recv_window: int | None = 5000,
            td_mode: str = "cash", simulated: bool = False,
            region: Literal["global", "eea", "us"] = "global", order_ttl_ms: int | None = None,
            amend_cxl_on_fail: bool = False,
            url: str | None = None, ssl_context: ssl.SSLContext | None = None, connections: int = 2,
            timeout: float = 1.0, id_prefix: str = "fo", allow_plaintext: bool = False, clock_samples: int = 5,
            resync_interval: float = 60.0, recorder: LatencyRecorder | None = None, rate_limit: bool = True,
            rate_limit_margin: float = ..., address: str | None = None,
            journal: str | os.PathLike[str] | OrderJournal | None = None, acceptance_window_ms: int | None = None,
            reprobe: list[str] | None = None, reprobe_interval: float = 60.0, spin_us: int = 0,
            events: bool = False, startup_timeout: float = 10.0,
            tls_engine: Literal["compiled", "loop"] = "compiled", env: Literal["live", "testnet", "demo"] = "live",
            cancel_on_disconnect: float | None = None, keep_warm: bool | float = False,
            keep_warm_kernel: bool = False) -> OkxSession: ...


@overload
def connect(venue: Literal["htx", "huobi"], transport: Literal["rest"] = "rest", *,
            market: Literal["spot"] = "spot", key: str,
            secret: str | bytes | None = None, private_key: Ed25519PrivateKey | bytes | str | None = None,
            account_id: int | str | None = None, ws_url: str | None = None, ws_address: str | None = None,
            recv_window: int | None = 5000,
            url: str | None = None, ssl_context: ssl.SSLContext | None = None, connections: int = 2,
            timeout: float = 1.0, id_prefix: str = "fo", allow_plaintext: bool = False, clock_samples: int = 5,
            resync_interval: float = 60.0, recorder: LatencyRecorder | None = None, rate_limit: bool = True,
            rate_limit_margin: float = ..., address: str | None = None,
            journal: str | os.PathLike[str] | OrderJournal | None = None, acceptance_window_ms: int | None = None,
            reprobe: list[str] | None = None, reprobe_interval: float = 60.0, spin_us: int = 0,
            events: bool = False, startup_timeout: float = 10.0,
            tls_engine: Literal["compiled", "loop"] = "compiled", env: Literal["live", "testnet", "demo"] = "live",
            cancel_on_disconnect: float | None = None, keep_warm: bool | float = False,
            keep_warm_kernel: bool = False) -> HtxSession: ...


@overload
def connect(venue: Literal["binance"], transport: Literal["ws", "rest"] = "ws", *, market: Literal["perp"],
            key: str, secret: str | bytes | None = None, private_key: Ed25519PrivateKey | bytes | str | None = None,
            ws_url: str | None = None, ws_address: str | None = None, recv_window: int | None = 5000,
            resp_type: Literal["ACK", "RESULT"] = "RESULT", symbols: list[str] | tuple[str, ...] | None = None,
            url: str | None = None, ssl_context: ssl.SSLContext | None = None, connections: int = 2,
            timeout: float = 1.0, id_prefix: str = "fo", allow_plaintext: bool = False, clock_samples: int = 5,
            resync_interval: float = 60.0, recorder: LatencyRecorder | None = None, rate_limit: bool = True,
            rate_limit_margin: float = ..., address: str | None = None,
            journal: str | os.PathLike[str] | OrderJournal | None = None, acceptance_window_ms: int | None = None,
            reprobe: list[str] | None = None, reprobe_interval: float = 60.0, spin_us: int = 0,
            events: bool = False, startup_timeout: float = 10.0,
            tls_engine: Literal["compiled", "loop"] = "compiled", env: Literal["live", "testnet"] = "live",
            cancel_on_disconnect: float | None = None, keep_warm: bool | float = False,
            keep_warm_kernel: bool = False) -> BinanceFuturesSession: ...


@overload
def connect(venue: Literal["htx", "huobi"], transport: Literal["rest"] = "rest", *, market: Literal["perp"],
            key: str, secret: str | bytes | None = None, private_key: Ed25519PrivateKey | bytes | str | None = None,
            margin_mode: Literal["cross", "isolated"] = "cross", lever_rate: int = 5,
            ws_url: str | None = None, ws_address: str | None = None, recv_window: int | None = 5000,
            url: str | None = None, ssl_context: ssl.SSLContext | None = None, connections: int = 2,
            timeout: float = 1.0, id_prefix: str = "fo", allow_plaintext: bool = False, clock_samples: int = 5,
            resync_interval: float = 60.0, recorder: LatencyRecorder | None = None, rate_limit: bool = True,
            rate_limit_margin: float = ..., address: str | None = None,
            journal: str | os.PathLike[str] | OrderJournal | None = None, acceptance_window_ms: int | None = None,
            reprobe: list[str] | None = None, reprobe_interval: float = 60.0, spin_us: int = 0,
            events: bool = False, startup_timeout: float = 10.0,
            tls_engine: Literal["compiled", "loop"] = "compiled", env: Literal["live"] = "live",
            cancel_on_disconnect: float | None = None, keep_warm: bool | float = False,
            keep_warm_kernel: bool = False) -> HtxSwapSession: ...


@overload
def connect(venue: Literal["okx"], transport: Literal["ws", "rest"] = "ws", *, market: Literal["perp"],
            key: str, secret: str | bytes,
            passphrase: str, ws_url: str | None = None, ws_address: str | None = None, recv_window: int | None = 5000,
            td_mode: Literal["cross", "isolated"] = "cross", simulated: bool = False,
            region: Literal["global", "eea", "us"] = "global", order_ttl_ms: int | None = None,
            amend_cxl_on_fail: bool = False,
            url: str | None = None, ssl_context: ssl.SSLContext | None = None, connections: int = 2,
            timeout: float = 1.0, id_prefix: str = "fo", allow_plaintext: bool = False, clock_samples: int = 5,
            resync_interval: float = 60.0, recorder: LatencyRecorder | None = None, rate_limit: bool = True,
            rate_limit_margin: float = ..., address: str | None = None,
            journal: str | os.PathLike[str] | OrderJournal | None = None, acceptance_window_ms: int | None = None,
            reprobe: list[str] | None = None, reprobe_interval: float = 60.0, spin_us: int = 0,
            events: bool = False, startup_timeout: float = 10.0,
            tls_engine: Literal["compiled", "loop"] = "compiled", env: Literal["live", "demo"] = "live",
            cancel_on_disconnect: float | None = None, keep_warm: bool | float = False,
            keep_warm_kernel: bool = False) -> OkxSwapSession: ...


def connect(venue: str, transport: str | None = None, **kw: Any) -> Session:
    """A session with `venue` ("binance", "okx", "htx") over `transport` ("ws" or "rest"; by default "ws" for
    Binance and OKX, "rest" for HTX, which has no WebSocket order entry).

    `market`: "spot" (the default) or "perp", the venue's USDT-margined perpetual swaps (Binance USDⓈ-M
    futures; OKX SWAP (td_mode= cross / isolated); HTX USDT-margined swaps over REST, with margin_mode= and lever_rate=; fastorder.venues.perp:
    positions(), leverage and margin-mode setters, place_order's reduce_only= / position_side= / contracts=). A venue without perps here raises ConfigError.

    Use it as `async with fastorder.connect(...) as s:`, or `s = await fastorder.connect(...)` and later
    `await s.close()`. Either opens and warms the connections (TCP,
    TLS, WebSocket, logon), loads the symbol rules and measures the clock offset, so the first order pays
    for none of that. Keyword arguments: key=, secret= (HMAC), private_key= (Binance Ed25519),
    passphrase= (OKX), account_id= (HTX, else looked up), url= (REST base), ws_url=, ssl_context=,
    connections= (warm connections, default 2), recv_window= (ms), timeout= (s), id_prefix=,
    allow_plaintext= (needed for http/ws to a non-loopback host), resp_type= (Binance ACK/RESULT/FULL),
    symbols= (Binance: load only these symbols' rules at start, others on first use; default every symbol),
    startup_timeout= (s, default 10: the deadline of the public start-up requests, clock and symbol rules),
    rate_limit= (False turns the local rate-limit guard off: only for a simulator run without limits),
    recorder= (a fastorder.metrics.LatencyRecorder; default: the process-wide one),
    journal= (a path or fastorder.journal.OrderJournal: every order written down before it is sent;
    `await session.recover()` settles the unsettled ones after a restart), address= / ws_address= (connect to
    these IPs, keeping the hostname for SNI and Host), reprobe= / reprobe_interval= (candidate addresses
    re-probed in the background), simulated= / region= (OKX demo trading and regional hosts, see
    fastorder.venues.okx.HOSTS), order_ttl_ms= (OKX: expTime on every order; WS default 10 s, 0 for none),
    amend_cxl_on_fail= (OKX: cxlOnFail on every amend, the order is cancelled when its amend fails), spin_us= (wait for each reply
    by polling the socket for up to this many µs instead of sleeping in epoll: burns the core, blocks the event
    loop meanwhile — for a dedicated core), tls_engine= ("compiled", the default: OpenSSL inside the compiled
    transport, direct writes and spin mode over TLS; "loop": the event loop's TLS transport; both verify as
    ssl.create_default_context() or the given ssl_context), keep_warm= (True, or an interval in seconds, True meaning
    fastorder.venues.warm.DEFAULT_INTERVAL = 2 ms: while no order has been sent for that long, run the last
    order's path every interval without sending anything — encode and sign, framing, the parse and
    decode of a recorded reply — so an order after a quiet spell finds it in cache; costs CPU, see
    docs/tuning.md), keep_warm_kernel= (True: each of those passes also sends through the kernel over a
    private loopback connection of the process — a REST session's real send path on a scratch HTTP
    connection, a WebSocket session's on a scratch WebSocket to a private loopback peer — keeping the
    kernel's TCP send path and the transport's framing warm;
    nothing goes to the venue), events= (True: open the
    venue's private order stream with the session; then `session.on_event(fn)` / `async for ev in
    session.events()` give every OrderEvent as the venue reports it, see fastorder.events), env= ("live",
    "testnet" or "demo": the venue's test environments' hosts, where it has them; docs/venues/),
    cancel_on_disconnect= (seconds: arm the venue's dead-man's switch at start and keep re-arming it, so the
    venue cancels every open order if the session stops refreshing it; ConfigError where the venue has none).

    Entering retries what a network breaks (refused, reset, a failed TLS handshake, a timeout) a few times with
    backoff, then raises ConnectionLost; a TLS certificate that fails verification raises CertificateRejected
    at once (verification is never relaxed; reconnects later in the session verify every time).

    A keyword the venue does not take (passphrase= for Binance, ws_url= for HTX, a misspelling), an unknown
    venue or a transport the venue lacks raises ConfigError before anything is opened. The overloads above
    give type checkers each venue's keywords.
    """
    v = _canonical(venue)
    market = kw.pop("market", "spot")
    try:
        cls = session_class(v, market)
    except ConfigError:
        kw.clear()
        raise
    if transport is None:
        transport = _DEFAULT_TRANSPORT[v]
    allowed = keywords(v, market)
    extra = set(kw) - allowed
    if extra:
        name = sorted(extra)[0]
        kw.clear()   # the credentials stay out of the locals a traceback shows (see below)
        raise ConfigError(f"{v} takes no keyword {name}= (it takes: {', '.join(sorted(allowed))})", field=name)
    try:
        return cls(transport=transport, **kw)
    except Exception as exc:
        # the credentials are in kw and in the constructors' locals: a traceback rendered with its frames'
        # variables (capture_locals) must not show them, so the error starts here, with kw emptied
        kw.clear()
        raise exc.with_traceback(None) from None
