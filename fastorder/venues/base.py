"""What every venue session shares: the public API (connect, place, cancel, query, recover, events) over the
parts with one job each — the clock, address pinning, the WebSocket pool, the ledger of orders and limits,
the background settler, the send path (`venues/send.py`) — and the hooks venue modules fill in.

Venue modules subclass `Session` and fill in the wire details; this module never names a venue.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fastorder._core.buffer import WriteBuffer
from fastorder._core.ids import ClientIdGenerator
from fastorder._core.numbers import SymbolRules
from fastorder.errors import (
    ConfigError,
    ConnectionLost,
    ExecutionUnknown,
    FastorderError,
    InvalidOrder,
    TimestampRejected,
    VenueError,
)
from fastorder.log import logger
from fastorder.metrics import RECORDER
from fastorder.transport.client import DEFAULT_TLS_ENGINE, TLS_ENGINES, HttpPool, open_ws
from fastorder.types import NOT_PLACED, NOT_SENT, REJECTED, Ack, Latency
from fastorder.venues.clock import VenueClock
from fastorder.venues.inputs import _SIDES, _TIFS, NUMBER_TYPES, _order_kind, _side, check_ids, check_order
from fastorder.venues.ledger import Ledger
from fastorder.venues.limits import DEFAULT_MARGIN
from fastorder.venues.operations import ENVS, STP_MODES, OrderOptions, TradingOps, order_options
from fastorder.venues.pinning import AddressPin
from fastorder.venues.send import TRANSPORT_ERRORS as TRANSPORT_ERRORS  # venue modules import it from here
from fastorder.venues.send import USER_AGENT, Sending, _Unknown
from fastorder.venues.settle import Settler
from fastorder.venues.warm import DEFAULT_INTERVAL as DEFAULT_WARM_INTERVAL
from fastorder.venues.warm import KeepWarm
from fastorder.venues.ws_pool import WsPool

if TYPE_CHECKING:
    from typing_extensions import Self

    from fastorder.journal import OrderJournal

perf_ns = time.perf_counter_ns


# Venue modules build Acks positionally on the order path (keyword matching costs more than the rest of the
# construction): this is the order they rely on.
ACK_FIELDS = ("venue", "symbol", "client_order_id", "order_id", "status", "side", "price", "quantity", "filled_qty",
              "avg_price", "exchange_ts_ms", "reconciled", "latency", "raw")
if tuple(f.name for f in fields(Ack)) != ACK_FIELDS:   # pragma: no cover - a changed Ack must change its callers
    raise ImportError(f"fastorder.types.Ack fields changed: {[f.name for f in fields(Ack)]}")


@dataclass(slots=True)
class SymbolInfo:
    """One tradable symbol: the venue's own name for it, its rules, and venue extras (OKX instIdCode)."""

    name: str            # as the venue writes it: BTCUSDT / BTC-USDT / btcusdt
    base: str
    quote: str
    rules: SymbolRules
    code: int = 0        # OKX instIdCode (WebSocket order ops)


def normalize_symbol(symbol: str) -> str:
    """'BTC-USDT', 'btc/usdt', 'BTC_USDT', 'btcusdt' -> 'BTCUSDT': how users may name a symbol on any venue."""
    return symbol.replace("-", "").replace("/", "").replace("_", "").upper()


@dataclass(slots=True)
class Endpoint:
    host: str
    port: int
    tls: bool
    path: str

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        u = urlsplit(url)
        if u.scheme not in ("http", "https", "ws", "wss"):
            raise ConfigError(f"unsupported URL scheme in {url!r}: http, https, ws or wss", field="url")
        tls = u.scheme in ("https", "wss")
        return cls(u.hostname or "", u.port or (443 if tls else 80), tls, u.path or "/")

    @property
    def host_header(self) -> str:
        default = 443 if self.tls else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


class Session(Sending, TradingOps):
    """An open, warm connection set to one venue. Use `fastorder.connect(...)`; see its docstring.

    The public API (place, cancel, query, recover, events, address choice) and the hooks venue modules fill
    in, over a composition of parts with one job each: `clock` (VenueClock: the venue's clock offset), `pin`
    (AddressPin: which address REST connections go to), `ws_pool` (WsPool: the WebSocket connections, healed
    and rotated), `ledger` (Ledger: live client ids, the order journal and the rate-limit guard), `settler`
    (Settler: orders left undecided, settled in the background), `stream` (EventStream, when opened) and the
    REST pool (HttpPool). Two mixins add methods to the session itself: `Sending` (venues/send.py: one
    request out and its reply back, on the order path) and `TradingOps` (venues/operations.py: amend,
    batches, cancel-all, listings). Encoding and reading replies live in the venue modules."""

    venue = ""
    #: "spot", or "perp" for a perpetual-swap session (fastorder.venues.perp): place_order's reduce_only=,
    #: position_side= and contracts= are refused (NotSupported) on any other market
    market = "spot"
    ws_capable = True
    default_rest_url = ""
    default_ws_url = ""
    #: cheap request that keeps a REST connection warm (venue's public ping/time endpoint)
    warm_path = "/"
    #: after this long a request can no longer be accepted by the venue (its timestamp window), so an order the
    #: venue has not seen by then never will be (venue modules say; `acceptance_window_ms=` overrides)
    _acceptance_window_ms = 60_000
    #: milliseconds of the venue's clock (the clock's own bound method: one call on the order path)
    now_ms: Callable[[], int]

    @property
    def acceptance_window_ms(self) -> int:
        return self._acceptance_window_ms

    def __init__(self, *, transport: str, key: str, secret: Any = None, passphrase: str | None = None,
                 private_key: Any = None, url: str | None = None, ws_url: str | None = None,
                 ssl_context: ssl.SSLContext | None = None, connections: int = 2, recv_window: int | None = 5000,
                 timeout: float = 1.0, id_prefix: str = "fo", allow_plaintext: bool = False,
                 clock_samples: int = 5, resync_interval: float = 60.0, recorder: Any = None,
                 rate_limit: bool = True, address: str | None = None, journal: Any = None,
                 acceptance_window_ms: int | None = None, ws_address: str | None = None,
                 events: bool = False,
                 reprobe: list[str] | None = None, reprobe_interval: float = 60.0, spin_us: int = 0,
                 rate_limit_margin: float = DEFAULT_MARGIN, startup_timeout: float = 10.0,
                 tls_engine: str = DEFAULT_TLS_ENGINE, env: str = "live",
                 cancel_on_disconnect: float | None = None, keep_warm: bool | float = False,
                 keep_warm_kernel: bool = False) -> None:
        if env not in ENVS:
            raise ConfigError(f"env must be one of {', '.join(ENVS)}, not {env!r}", field="env")
        if env not in self.envs:
            raise ConfigError(f"{self.venue} has no {env!r} environment here (it has: {', '.join(self.envs)})",
                              field="env")
        self.env = env   # venue modules pick their hosts for it (docs/venues/)
        # the venue's dead-man's switch: armed at start, re-armed in the background (fastorder.venues.operations)
        self.cancel_on_disconnect = self._check_cancel_on_disconnect(cancel_on_disconnect)
        if transport not in ("rest", "ws"):
            raise ConfigError(f"transport must be 'rest' or 'ws', not {transport!r}", field="transport")
        if transport == "ws" and not self.ws_capable:
            raise ConfigError(f"{self.venue} has no WebSocket order entry; use transport='rest'",
                              field="transport")
        self.transport = transport
        self.rest = Endpoint.parse(url or self.default_rest_url)
        self.ws = Endpoint.parse(ws_url or self.default_ws_url) if transport == "ws" else None
        self._ws_url = ws_url or self.default_ws_url
        self._ssl = ssl_context
        self._allow_plaintext = allow_plaintext
        self.connections = max(1, connections)
        self.recv_window = recv_window
        self.timeout = timeout
        # public requests (clock, symbol rules) get their own, longer deadline: a symbol document can be large
        self.startup_timeout = startup_timeout
        self.ids = ClientIdGenerator(id_prefix)
        # late-bound: venue modules (and tests) may replace _server_time_ms after construction
        self.clock = VenueClock(lambda: self._clock_sample(), samples=clock_samples,
                                resync_interval=resync_interval, venue=self.venue)
        self.now_ms = self.clock.now_ms
        self.symbols: dict[str, SymbolInfo] = {}
        # orders left undecided are settled in the background; on_settled: callables given each outcome
        self.settler = Settler(self)
        self.on_settled = self.settler.callbacks
        self._symbol_cache: dict[str, SymbolInfo] = {}
        # set by start(); typed as always there because the order path uses it without a test (before start()
        # a request fails with AttributeError, turned into ConnectionLost like any connection failure)
        self._pool: HttpPool = None  # type: ignore[assignment]
        self.ws_pool = WsPool(self.venue, self._open_ws, lambda conn: self._heartbeat(conn),
                              size=self.connections, timeout=timeout)
        self._buf = WriteBuffer()
        self._req_seq = 0
        self._tasks: list[asyncio.Task] = []
        self._closed = False
        self.recorder = recorder if recorder is not None else RECORDER
        # connect REST connections to this address while keeping the hostname for SNI, the certificate check
        # and Host (see `choose_address`, `fastorder probe`); candidate addresses re-probed in the background
        self.pin = AddressPin(self.rest.host, self.rest.port, tls=self.rest.tls, probe_path=self.warm_path,
                              ssl_context=ssl_context, timeout=timeout, address=address, candidates=reprobe,
                              interval=reprobe_interval)
        # live client ids, the journal and the rate-limit guard (late-bound hooks: venue modules set up what
        # their costs and acceptance window read after this constructor)
        self.ledger = Ledger(self.venue, self.now_ms, order_costs=self._order_costs,
                             request_costs=self._request_costs, window_ms=lambda: self.acceptance_window_ms,
                             journal=journal, rate_limit=rate_limit, margin=rate_limit_margin)
        self.guard = self.ledger.guard       # venue modules feed it what their replies report
        self.ws_address = ws_address            # the same as `address` for WebSocket connections (their own host)
        if acceptance_window_ms is not None:   # only for a venue (simulator) known to use a shorter window
            self._acceptance_window_ms = acceptance_window_ms
        # spin mode: wait for each reply by polling the socket (up to spin_us) instead of sleeping in epoll
        self.spin_us = max(0, int(spin_us))
        self.stream: Any = None                 # the private order stream (fastorder.venues.stream), if opened
        self._events_at_start = events
        if events and type(self)._stream_part is Session._stream_part:
            self._stream_part()   # the venue has no stream: ConfigError before anything is opened
        self._event_listeners: list[Any] = []
        if tls_engine not in TLS_ENGINES:
            raise ConfigError(f"tls_engine must be one of {TLS_ENGINES}, not {tls_engine!r}", field="tls_engine")
        self.tls_engine = tls_engine
        # keep_warm: while idle, run the order path without sending (fastorder.venues.warm)
        self._warmer: KeepWarm | None = None
        if keep_warm is not False and keep_warm is not None and keep_warm != 0:
            interval = DEFAULT_WARM_INTERVAL if keep_warm is True else keep_warm
            if interval.__class__ not in (int, float) or not 0.0001 <= interval <= 10:   # bool: True handled
                raise ConfigError("keep_warm must be True, False or an interval in seconds from 0.0001 to 10, "
                                  f"not {keep_warm!r}", field="keep_warm")
            if keep_warm_kernel.__class__ is not bool:
                raise ConfigError("keep_warm_kernel must be True or False", field="keep_warm_kernel")
            self._warmer = KeepWarm(self, interval, kernel=keep_warm_kernel)
        elif keep_warm_kernel:
            raise ConfigError("keep_warm_kernel=True needs keep_warm (it runs in keep_warm's passes)",
                              field="keep_warm_kernel")
        if self.spin_us and tls_engine == "loop" and (self.rest.tls or (self.ws is not None and self.ws.tls)):
            raise ConfigError("spin_us over TLS needs tls_engine='compiled' (the loop's TLS records can only be "
                              "read by its own SSL object)", field="spin_us")

    @property
    def journal(self) -> OrderJournal | None:
        """The order journal (`journal=`): every order written down before it is sent (fastorder.journal)."""
        return self.ledger.journal

    def __repr__(self) -> str:   # never shows a secret
        return f"<{type(self).__name__} {self.venue} transport={self.transport} rest={self.rest.host_header}>"

    # -- life cycle ---------------------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        if self._pool is None:   # not yet started (`async with await fastorder.connect(...)` already is)
            await self.start()
        return self

    def __await__(self) -> Generator[Any, None, Self]:
        """`session = await fastorder.connect(...)`: started and ready; `await session.close()` when done."""
        return self._started().__await__()

    async def _started(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Open and warm the connections, load the symbol rules, measure the clock offset, log on."""
        if self._pool is not None:
            raise ConfigError(f"{self.venue} session already started", field="session")
        tls: Any = (self._ssl or True) if self.rest.tls else None
        warm = (f"GET {self.warm_path} HTTP/1.1\r\nHost: {self.rest.host_header}\r\nUser-Agent: {USER_AGENT}\r\n"
                "\r\n").encode("ascii")
        self._pool = HttpPool(self.pin.address or self.rest.host, self.rest.port,
                              size=self.connections if self.transport == "rest"
                              else 1, tls=tls, server_hostname=self.rest.host if self.rest.tls else None,
                              allow_plaintext=self._allow_plaintext, warm_request=warm, warm_gate=self._warm_allowed,
                              total_timeout=self.timeout, read_timeout=self.timeout, tls_engine=self.tls_engine)
        self.pin.pool = self._pool
        ws_pool = self.ws_pool
        try:
            await self._connecting(self._pool.start, self.rest)
            await self.sync_clock()
            await self.load_symbols()
            if self.transport == "ws":
                opened = await asyncio.gather(*(self._connecting(self._open_ws, self.ws)
                                                for _ in range(self.connections)), return_exceptions=True)
                ws_pool.conns = [c for c in opened if not isinstance(c, BaseException)]
                for c in opened:
                    if isinstance(c, BaseException):
                        raise c   # close() below closes the ones that did open
            loop = asyncio.get_running_loop()
            self._tasks.append(loop.create_task(self.clock.resync_loop()))
            if self.pin.candidates:
                self._tasks.append(loop.create_task(self.pin.reprobe_loop()))
            if self.transport == "ws":
                ws_pool.heal_needed = asyncio.Event()
                self._tasks.append(loop.create_task(ws_pool.heal_loop()))
                self._tasks.append(loop.create_task(ws_pool.heartbeat_loop()))
                if len(ws_pool.conns) > 1:
                    self._tasks.append(loop.create_task(ws_pool.rtt_loop()))
            if self._events_at_start:
                await self.start_events()
            if self.cancel_on_disconnect is not None:   # armed before the first order can rest on the book
                await self._arm_cancel_after(self.cancel_on_disconnect)
                self._tasks.append(loop.create_task(self.cancel_on_disconnect_loop()))
            if self._warmer is not None:
                self._warmer.start(loop)
        except BaseException:
            await self.close()
            raise

    async def _connecting(self, open_fn: Any, where: Endpoint | None, attempts: int = 4) -> Any:
        """Open a connection at start. Transient failures (refused, reset, a TLS handshake that failed, a
        timeout) are retried with backoff and jitter, then ConnectionLost; a certificate that fails
        verification is not retried: CertificateRejected at once (verification is never relaxed)."""
        delay = 0.05
        for attempt in range(attempts):
            try:
                return await open_fn()
            except ssl.SSLCertVerificationError as exc:
                raise self._cert_rejected(exc, where) from exc
            except (OSError, asyncio.TimeoutError) as exc:   # ssl.SSLError and ConnectionError are OSErrors
                if attempt == attempts - 1:
                    raise ConnectionLost(f"{self.venue}: could not connect to {where.host_header if where else '?'} "
                                         f"after {attempts} attempts ({type(exc).__name__}: {exc})") from exc
                logger.info("%s: connecting to %s failed (%s: %s); attempt %d of %d", self.venue,
                            where.host_header if where else "?", type(exc).__name__, exc, attempt + 2, attempts)
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay *= 2

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._warmer is not None:
            self._warmer.stop()
        if self.stream is not None:
            await self.stream.close()
        self.ws_pool.closed = True
        await self.settler.close()   # undecided orders stay pending in the journal, for recover()
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            try:
                await t
            except asyncio.CancelledError:
                pass
            except Exception as exc:   # a background task that had failed: closing goes on
                logger.warning("%s: a background task had failed (%s: %s)", self.venue, type(exc).__name__, exc)
        await self.ws_pool.aclose()   # returns once the WebSocket sockets are closed
        if self._pool is not None:
            await self._pool.close()
        try:
            self.ledger.close()
        except OSError as exc:   # a journal that cannot sync says so itself (degraded); closing goes on
            logger.warning("%s: flushing the order journal failed (%s)", self.venue, exc)

    # -- order and fill events (fastorder.venues.stream) ---------------------------------------------------
    async def start_events(self) -> None:
        """Open the private order stream (`connect(..., events=True)` does it at start)."""
        if self.stream is None:
            from fastorder.venues.stream import EventStream
            stream = EventStream(self, self._stream_part())
            stream.listeners.extend(self._event_listeners)
            self._event_listeners = stream.listeners
            await stream.start()
            self.stream = self.ledger.stream = stream

    def on_event(self, fn: Any) -> None:
        """Call `fn(event)` for every OrderEvent (and StreamGap) inside the stream's reader, as the frame is
        read (no Task hop): keep it short and non-blocking."""
        self._event_listeners.append(fn)

    async def events(self) -> Any:
        """`async for ev in session.events():` every OrderEvent (and StreamGap) from now on; opens the stream
        if `connect(..., events=True)` did not. Ends when the session closes."""
        if self.stream is None:
            await self.start_events()
        async for ev in self.stream.iterate():
            yield ev

    def _stream_part(self) -> Any:
        """The venue's piece of the private stream (venue modules say)."""
        raise ConfigError(f"{self.venue}: order events are not available yet", field="events")

    # -- address pinning (AddressPin) -------------------------------------------------------------------
    async def choose_address(self, candidates: list[str], *, samples: int = 5) -> str | None:
        """Probe `candidates` (addresses of this venue's REST host) the way an order travels — TCP connect,
        TLS with the hostname's SNI, an application round trip to the venue's cheap endpoint — and move to the
        fastest. Returns the chosen address (None if none answered)."""
        return await self.pin.choose(candidates, samples=samples)

    async def use_address(self, address: str) -> None:
        """New REST connections go to `address`. Idle connections to the old one are replaced one by one —
        the new connection opened and warm before the old one closes; connections with requests in flight
        are left to finish."""
        await self.pin.use(address)

    # -- WebSocket connections (WsPool) -----------------------------------------------------------------
    async def _open_ws(self) -> Any:
        assert self.ws is not None
        tls: Any = (self._ssl or True) if self.ws.tls else None
        holder: list[Any] = []   # the connection, for its own message callback (it exists only after open)
        conn = await open_ws(self._ws_url, tls=tls, allow_plaintext=self._allow_plaintext, address=self.ws_address,
                             on_message=lambda payload, binary: self._on_ws_message(payload, binary,
                                                                                    holder[0] if holder else None),
                             on_lost=self.ws_pool.lost, read_timeout=self.timeout, connect_timeout=self.timeout,
                             headers=(("User-Agent", USER_AGENT),), tls_engine=self.tls_engine)
        holder.append(conn)
        try:
            await self._ws_logon(conn)
        except BaseException:
            conn.abort()
            raise
        return conn

    def _heartbeat(self, conn: Any) -> None:
        """Send the venue's keep-alive on one connection (Binance: none needed, the server pings)."""

    async def _ws_logon(self, conn: Any) -> None:
        """Venue-specific WebSocket authentication (Binance session.logon, OKX login)."""

    def _on_ws_message(self, payload: bytes, binary: bool, conn: Any = None) -> None:
        """Messages that answer no request: events, pongs. Venues override."""

    # -- the clock (VenueClock) -------------------------------------------------------------------------
    async def _server_time_ms(self) -> int:
        raise NotImplementedError

    def _warm_allowed(self) -> bool:
        """A keep-warm request is counted like any other and skipped while blocked or without room."""
        return self.ledger.try_take("ping")

    async def _clock_sample(self) -> int:
        """One clock sample: a request like any other, counted by the rate-limit guard and held by a block."""
        # waits out a short block (a 429's few seconds); a long one (a ban) fails it: the last offset stays
        await self.ledger.acquire("time", max(self.timeout, 5.0))
        return await self._server_time_ms()

    async def sync_clock(self, samples: int | None = None) -> float:
        """Measure the venue's clock offset: several samples, the one with the smallest RTT wins."""
        return await self.clock.sync(samples)

    async def _on_timestamp_rejected(self) -> None:
        """Re-measure the clock at once; the rejected order is not resent (the caller re-raises)."""
        await self.clock.resync_now()

    # -- symbols ------------------------------------------------------------------------------------------
    async def load_symbols(self) -> None:
        raise NotImplementedError

    async def resolve_symbol(self, symbol: str) -> SymbolInfo:
        """`symbol()`, for a name the session may not have loaded yet: venues that load symbol rules on
        demand fetch it here (before anything of the order is sent)."""
        return self.symbol(symbol)

    #: a symbol as any of its spellings, the key of `symbols` (perpetuals: fastorder.venues.perp.perp_key)
    symbol_key = staticmethod(normalize_symbol)

    def symbol(self, symbol: str) -> SymbolInfo:
        info = self._symbol_cache.get(symbol)   # the name exactly as callers write it: one dict lookup per order
        if info is not None:
            return info
        try:
            info = self.symbols[self.symbol_key(symbol)]
        except (KeyError, AttributeError):
            what = "perpetual" if self.market == "perp" else "symbol"
            raise InvalidOrder(f"{self.venue} has no {what} {symbol!r}", field="symbol") from None
        self._symbol_cache[symbol] = info
        return info

    # -- the public API -----------------------------------------------------------------------------------
    async def place_order(self, symbol: str, side: str, quantity: Any, price: Any = None, *, type: str = "limit",
                          tif: str = "GTC", post_only: bool = False, client_order_id: str | None = None,
                          stp: str | None = None, stop_price: Any = None, quote_quantity: Any = None,
                          expire_ms: int | None = None, reduce_only: bool = False, position_side: str | None = None,
                          contracts: Any = None) -> Ack:
        """Place one order. `side` buy/sell; `type` limit/market, or where the venue has them (`order_types`)
        stop_loss, stop_loss_limit, take_profit, take_profit_limit (with `stop_price`, the trigger); `tif`
        GTC/IOC/FOK; `post_only` for a maker-only limit order. Price and quantity as Decimal, str, int or float
        (checked against the symbol's tick, step and notional rules before anything is sent). `stp`: self-trade
        prevention ("none", "cancel_taker", "cancel_maker", "cancel_both", or the venue's own value);
        `quote_quantity`: a market order sized in the quote asset (then quantity=None); `expire_ms`: venue time
        after which the venue drops the request (where it has that). A venue without one of these raises
        NotSupported before anything is sent. Perpetual swaps (`connect(..., market="perp")`): `reduce_only`,
        `position_side` ("long"/"short" in hedge mode, "net" one-way) and `contracts=` (the size in contracts, given
        instead of quantity; converted exactly with the contract size) — a spot session refuses them.

        Returns the venue's acknowledgement. If the outcome is unknown (timeout, lost connection, a venue
        "status unknown" reply), the order is looked up by its client id before this returns; if that still
        cannot settle it, ExecutionUnknown is raised carrying the client id. Never resent blindly.
        """
        t_call = perf_ns()
        opts: OrderOptions | None = None
        if (stp is not None or stop_price is not None or quote_quantity is not None or expire_ms is not None
                or reduce_only is not False or position_side is not None or contracts is not None):
            opts = order_options(stp, stop_price, quote_quantity, expire_ms, reduce_only, position_side, contracts)
        if quote_quantity is not None or contracts is not None:   # sized otherwise: quantity stays None
            other = "quote_quantity" if quote_quantity is not None else "contracts"
            if quantity is not None or (quote_quantity is not None and contracts is not None):
                raise InvalidOrder("give one of quantity, quote_quantity and contracts, not several", field=other)
            check_order(symbol, quote_quantity if contracts is None else contracts, price, client_order_id, post_only)
        elif (symbol.__class__ is not str or quantity.__class__ not in NUMBER_TYPES or post_only.__class__ is not bool
                or (price is not None and price.__class__ not in NUMBER_TYPES)
                or (client_order_id is not None and client_order_id.__class__ is not str)):
            check_order(symbol, quantity, price, client_order_id, post_only)   # a typed error, before anything
        info = self._symbol_cache.get(symbol)
        if info is None:
            info = await self.resolve_symbol(symbol)
        # the common spellings (exact str) without a call; everything else, and every error, through _side and
        # _order_kind (so an object with an odd __eq__ still gets its typed error)
        side_u = _SIDES.get(side) if side.__class__ is str else None
        if side_u is None:
            side_u = _side(side)
        if opts is not None or not (type.__class__ is str and type == "limit" and price is not None
                                    and tif.__class__ is str and tif in _TIFS):
            type, tif = _order_kind(type, tif, price, post_only, opts)
            if type not in self.order_types:
                raise self._not_supported(f"{type} orders", "a limit or market order")
        if opts is not None:
            if opts.perp and self.market != "perp":   # here, not in the venue hook: every spot venue refuses them
                raise self._not_supported(f"{opts.perp}= on a {self.market} market",
                                          'a session of connect(..., market="perp")')
            self._check_options(opts, type)
        clid = client_order_id or self.ids.next()
        ledger = self.ledger
        ledger.begin(info, clid, side_u, quantity, price)   # ClientIdInUse, RateLimited: nothing is sent
        lat = Latency()
        w = self._warmer
        if w is not None:   # the shape of the order the idle-time passes replay, and when it started
            w.order = (symbol, side, quantity, price, type, tif, post_only, opts)
            w.last_ns = t_call
        try:
            ack = await self._place(info, side_u, quantity, price, type, tif, post_only, clid, lat, t_call, opts)
            self.recorder.record(self.venue, self.transport, lat)
            if w is not None and w.want_reply:   # an order's reply, read without error: the one to replay
                w.commit()
        except BaseException as exc:
            ack = await self._place_failed(info, clid, exc, lat, t_call)   # re-raises unless a query settles it
        ledger.settled(clid, ack)
        return ack

    async def _place_failed(self, info: SymbolInfo, clid: str, exc: BaseException, lat: Latency,
                            t_call: int) -> Ack:
        """What became of an order whose send ended without a reply it could read. Called inside place_order's
        `except`: a bare `raise` re-raises `exc` with its traceback. Returns the Ack a query found when the
        outcome is unknown; else the order is written off (not live) or left to the background settler."""
        if isinstance(exc, _Unknown):   # no reply, or the venue said "unknown": ExecutionUnknown leaves it pending
            return await self._reconcile_order(info, clid, exc.cause, lat, t_call)
        ledger = self.ledger
        if isinstance(exc, asyncio.CancelledError):   # the caller stopped waiting (task cancel, wait_for timeout)
            if lat.client_ns:   # the bytes left: settled in the background, whatever the caller does now
                self.settler.watch(info, clid, ExecutionUnknown(self.venue, "cancelled", "caller stopped waiting"),
                                   self._sent_ms(t_call))
            else:               # nothing was written: not sent
                ledger.unsent(clid, NOT_SENT)
            raise
        if isinstance(exc, TimestampRejected):
            ledger.unsent(clid, REJECTED)
            await self._on_timestamp_rejected()
            raise
        if isinstance(exc, (VenueError, InvalidOrder, ConnectionLost)):
            # the venue refused it, or it was refused locally / never left: it is not live
            ledger.refused(exc)   # a rate-limit reply blocks every request (any venue)
            if isinstance(exc, ExecutionUnknown):
                self.settler.watch(info, clid, exc, self._sent_ms(t_call))
            else:
                ledger.unsent(clid, REJECTED if isinstance(exc, VenueError) else NOT_SENT)
            raise
        if not isinstance(exc, Exception):   # KeyboardInterrupt, SystemExit: nothing to decide
            raise
        if not lat.client_ns:   # failed before anything was written: a local fault, nothing is live
            ledger.unsent(clid, NOT_SENT)
            raise
        # the request went out and its reply could not be read (a shape no venue documents): unknown
        logger.warning("%s: the reply to order %s could not be read (%s); querying the order", self.venue,
                       clid, type(exc).__name__)
        return await self._reconcile_order(info, clid, exc, lat, t_call)

    async def _reconcile_order(self, info: SymbolInfo, clid: str, cause: BaseException, lat: Latency,
                               t_call: int) -> Ack:
        """reconcile() for a new order; if that leaves it undecided, or its caller stops waiting meanwhile,
        it goes on in the background (fastorder.venues.settle)."""
        try:
            return await self.reconcile(info, clid, cause, lat)
        except ExecutionUnknown as exc:
            self.settler.watch(info, clid, exc, self._sent_ms(t_call))
            raise
        except asyncio.CancelledError:
            self.settler.watch(info, clid, cause, self._sent_ms(t_call))
            raise

    def _sent_ms(self, t_call: int) -> int:
        """When a place_order that began at `t_call` (perf_counter_ns) sent its order, on the session's clock
        (at most the call's start: the earliest the venue can have it)."""
        return self.now_ms() - (perf_ns() - t_call) // 1_000_000

    async def recover(self) -> list[Ack]:
        """Settle every journalled order of this venue whose outcome was never recorded (after a crash):
        each is queried by client id; one the venue has never seen, and can no longer accept (its timestamp
        window has passed), is recorded as NOT_PLACED. Orders still undecided stay pending for a later call."""
        ledger = self.ledger
        out: list[Ack] = []
        for rec in ledger.pending():
            clid = rec["c"]
            try:
                info = await self.resolve_symbol(rec["s"])
                ack = await self.reconcile(info, clid, ExecutionUnknown(self.venue, "recover", "after restart"),
                                           Latency(), attempts=2)
            except ExecutionUnknown:
                if self.now_ms() > int(rec.get("exp") or int(rec.get("ts", 0)) + self.acceptance_window_ms):
                    late = await self._not_found_after_window(info, rec)
                    if late is not None:
                        ledger.settled(clid, late)
                        out.append(late)
                        logger.info("%s: journalled order %s settled after its window: %s", self.venue, clid,
                                    late.status)
                        continue
                logger.info("%s: journalled order %s still undecided; left pending", self.venue, clid)
                continue
            except InvalidOrder as exc:   # e.g. a symbol this session does not know: left pending
                logger.warning("%s: journalled order %s cannot be recovered here (%s)", self.venue, clid, exc)
                continue
            ledger.settled(clid, ack)
            out.append(ack)
            logger.info("%s: journalled order %s recovered: %s", self.venue, clid, ack.status)
        return out

    async def _not_found_after_window(self, info: SymbolInfo, rec: dict[str, Any]) -> Ack | None:
        """A journalled order its client id did not find, after the venue could have accepted it: NOT_PLACED
        where the venue finds every order by client id that long. Venues whose client ids are forgotten
        (HTX) look further, or return None: the order stays pending, undecided."""
        return Ack(venue=self.venue, symbol=rec["s"], client_order_id=rec["c"], status=NOT_PLACED,
                   reconciled=True)

    async def cancel_order(self, symbol: str, *, order_id: str | int | None = None,
                           client_order_id: str | None = None) -> Ack:
        """Cancel by exchange order id or client order id."""
        t_call, lat = perf_ns(), Latency()
        check_ids(symbol, order_id, client_order_id)   # a typed error for a wrong type or no id, before anything
        info = self._symbol_cache.get(symbol) or await self.resolve_symbol(symbol)
        self.ledger.check("cancel", info, client_order_id)
        try:
            ack = await self._cancel(info, order_id, client_order_id, lat, t_call)
        except _Unknown as u:
            ack = await self.reconcile(info, client_order_id, u.cause, lat, order_id=order_id)
        except TimestampRejected:   # before FastorderError, which would otherwise take it
            await self._on_timestamp_rejected()
            raise
        except FastorderError as exc:
            self.ledger.refused(exc)
            raise
        except Exception as exc:
            if not lat.client_ns:
                raise
            ack = await self.reconcile(info, client_order_id, exc, lat, order_id=order_id)
        self._settled(ack)
        return ack

    async def query_order(self, symbol: str, *, order_id: str | int | None = None,
                          client_order_id: str | None = None) -> Ack:
        """The order's current state, by exchange order id or client order id."""
        t_call, lat = perf_ns(), Latency()
        check_ids(symbol, order_id, client_order_id)   # a typed error for a wrong type or no id, before anything
        info = self._symbol_cache.get(symbol) or await self.resolve_symbol(symbol)
        self.ledger.check("query", info, client_order_id)
        try:
            ack = await self._query(info, order_id, client_order_id, lat, t_call)
        except _Unknown as u:
            raise ExecutionUnknown(self.venue, "unknown", f"query failed: {u.cause}",
                                   client_order_id=client_order_id) from None
        except TimestampRejected:   # before FastorderError, which would otherwise take it
            await self._on_timestamp_rejected()
            raise
        except FastorderError as exc:
            self.ledger.refused(exc)
            raise
        except Exception as exc:
            if not lat.client_ns:
                raise
            raise ExecutionUnknown(self.venue, "unknown", f"unreadable reply: {type(exc).__name__}",
                                   client_order_id=client_order_id) from None
        self._settled(ack)
        return ack

    def _settled(self, ack: Ack) -> None:
        """A cancel or query (or another operation) that found the order final frees its client id."""
        self.ledger.seen(ack)


    async def reconcile(self, info: SymbolInfo, clid: str | None, cause: BaseException, lat: Latency, *,
                        order_id: str | int | None = None, attempts: int = 4) -> Ack:
        """Settle an unknown outcome: query the order (by client id) until the venue says what it is.

        "Not found" right after an unknown outcome may only mean the order has not reached the book yet,
        so it is asked again with backoff; only a definite answer is returned. Otherwise ExecutionUnknown.

        Paced and budgeted: at most RECONCILE_CONCURRENCY queries of a session in flight at once, each taking
        its cost from the rate-limit guard (waiting for room or for a block to pass, up to `timeout`), so a
        burst of lost replies cannot run into the venue's limit.
        """
        stream = self.stream
        if stream is not None and clid:   # the order's own event settles it, before (instead of) a query
            ev = await stream.wait_for(clid, stream.settle_wait)
            if ev is not None:
                logger.info("%s: order %s settled by its stream event: %s", self.venue, clid, ev.status)
                return stream.ack_from(ev, info.name, lat)
        delay = 0.05
        last: BaseException = cause
        logger.info("%s: outcome of order %s unknown (%s: %s); querying it", self.venue, clid or order_id,
                    type(cause).__name__, cause)
        for _ in range(attempts):
            try:
                async with self.ledger.reconcile_slot(info, clid, max(self.timeout, 1.0)):
                    # over REST: a WebSocket that just failed is the least likely path to an answer
                    ack = await self._query(info, order_id, clid, Latency(), perf_ns(), rest=True)
                ack.reconciled = True
                ack.latency = lat
                logger.info("%s: order %s settled by query: %s", self.venue, clid or order_id, ack.status)
                return ack
            except _Unknown as u:
                last = u.cause
            except Exception as exc:   # not found (yet), rate limited, a broken reply...: no answer, ask again
                self.ledger.refused(exc)
                last = exc
                logger.debug("%s: query of order %s gave no answer (%s: %s)", self.venue, clid or order_id,
                             type(exc).__name__, exc)
            await asyncio.sleep(delay)
            delay *= 2
        err = ExecutionUnknown(self.venue, getattr(last, "code", "unknown"),
                               f"order outcome unknown after {attempts} queries ({last})",
                               client_order_id=clid)
        err.last_answer = last   # what the last query met (UnknownOrder: the venue does not know the order)
        raise err

    def _order_costs(self, info: SymbolInfo) -> dict[str, int]:
        """What one new order takes from each rate-limit window (venue modules say)."""
        return {}

    def _request_costs(self, kind: str, info: SymbolInfo | None) -> dict[str, int]:
        """What one other request takes from each window: kind "cancel", "query", "time" (a clock sample) or
        "ping" (a keep-warm request); venue modules say. Empty: counted nowhere."""
        return {}

    # venue hooks -----------------------------------------------------------------------------------------
    async def _place(self, info: SymbolInfo, side: str, quantity: Any, price: Any, type: str, tif: str,
                     post_only: bool, clid: str, lat: Latency, t_call: int, opts: OrderOptions | None = None) -> Ack:
        raise NotImplementedError

    def _check_options(self, opts: OrderOptions, type: str) -> None:
        """The venue takes these options for this order type, or NotSupported / InvalidOrder before anything
        is sent (venue modules extend it for what they encode)."""
        if opts.stp is not None and opts.stp not in STP_MODES:
            raise InvalidOrder(f"stp must be one of {sorted(STP_MODES)} or the venue's own value, not {opts.stp!r}",
                               field="stp")
        for name in ("stp", "stop_price", "quote_quantity", "expire_ms"):
            if getattr(opts, name) is not None:
                raise self._not_supported(f"{name}= on orders (in this library, yet)", "place_order without it")

    async def _cancel(self, info: SymbolInfo, order_id: Any, clid: str | None, lat: Latency, t_call: int) -> Ack:
        raise NotImplementedError

    async def _query(self, info: SymbolInfo, order_id: Any, clid: str | None, lat: Latency, t_call: int, *,
                     rest: bool = False) -> Ack:
        raise NotImplementedError
