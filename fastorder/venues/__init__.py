"""One session class per venue; `fastorder.connect` picks one."""

from __future__ import annotations

from typing import Any

from fastorder.errors import ConfigError
from fastorder.venues.base import Session


def session_class(venue: str) -> type[Session]:
    v = venue.lower()
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


def connect(venue: str, transport: str = "ws", **kw: Any) -> Session:
    """A session with `venue` ("binance", "okx", "htx") over `transport` ("ws" or "rest").

    Use it as `async with fastorder.connect(...) as s:` — entering opens and warms the connections (TCP,
    TLS, WebSocket, logon), loads the symbol rules and measures the clock offset, so the first order pays
    for none of that. Keyword arguments: key=, secret= (HMAC), private_key= (Binance Ed25519),
    passphrase= (OKX), account_id= (HTX, else looked up), url= (REST base), ws_url=, ssl_context=,
    connections= (warm connections, default 2), recv_window= (ms), timeout= (s), id_prefix=,
    allow_plaintext= (needed for http/ws to a non-loopback host), resp_type= (Binance ACK/RESULT/FULL),
    rate_limit= (False turns the local rate-limit guard off: only for a simulator run without limits),
    recorder= (a fastorder.metrics.LatencyRecorder; default: the process-wide one),
    journal= (a path or fastorder.journal.OrderJournal: every order written down before it is sent;
    `await session.recover()` settles the unsettled ones after a restart), address= / ws_address= (connect to
    these IPs, keeping the hostname for SNI and Host), reprobe= / reprobe_interval= (candidate addresses
    re-probed in the background), simulated= / region= (OKX demo trading and regional hosts, see
    fastorder.venues.okx.HOSTS), order_ttl_ms= (OKX: expTime on every order; WS default 10 s, 0 for none), spin_us= (wait for each reply
    by polling the socket for up to this many µs instead of sleeping in epoll: burns the core, blocks the event
    loop meanwhile — for a dedicated core), tls_engine= ("compiled", the default: OpenSSL inside the compiled
    transport, direct writes and spin mode over TLS; "loop": the event loop's TLS transport; both verify as
    ssl.create_default_context() or the given ssl_context).

    Entering retries what a network breaks (refused, reset, a failed TLS handshake, a timeout) a few times with
    backoff, then raises ConnectionLost; a TLS certificate that fails verification raises CertificateRejected
    at once (verification is never relaxed; reconnects later in the session verify every time).
    """
    return session_class(venue)(transport=transport, **kw)
