"""Connect helpers and the warm HTTP connection pool (plain Python: nothing here is on the per-order path
except ``HttpPool.connection()``, a list scan).

Policy: TLS with certificate verification is the default.  Plaintext is allowed to loopback addresses (the
simulator, benchmarks); to any other host only with ``allow_plaintext=True``.

TLS engines (``tls_engine=``): "compiled" (the default) runs OpenSSL inside the compiled transport
(``fastorder.transport.tls``), so requests go straight to the socket and spin mode works over TLS; "loop"
uses the event loop's own TLS transport (``ssl.SSLContext`` through ``create_connection(ssl=...)``).  Both
verify the same way: ``tls=True`` is ``ssl.create_default_context()``, an ``ssl.SSLContext`` is copied
setting by setting (see ``TlsConfig``), a ``TlsConfig`` is used as is.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import socket
import ssl as _ssl
import time
import weakref
from collections.abc import Callable
from urllib.parse import urlsplit

from fastorder.errors import ConfigError, PlaintextNotAllowed
from fastorder.log import logger
from fastorder.transport.http import HttpClientProtocol, HttpConnectionClosed, HttpResponse, HttpTemplate
from fastorder.transport.tls import TlsConfig
from fastorder.transport.ws import WSClientProtocol

__all__ = ["PlaintextNotAllowed", "open_http", "open_ws", "HttpPool", "is_loopback", "peer_address"]

DEFAULT_CONNECT_TIMEOUT = 1.0
DEFAULT_READ_TIMEOUT = 0.5
DEFAULT_TOTAL_TIMEOUT = 1.0
TLS_ENGINES = ("compiled", "loop")
DEFAULT_TLS_ENGINE = "compiled"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def peer_address(conn) -> str | None:
    """The remote address of a transport connection (through a dup of its socket, which is then closed)."""
    fd = getattr(conn, "fd", -1)
    if fd is None or fd < 0:
        return None
    try:
        with socket.socket(fileno=os.dup(fd)) as s:
            return s.getpeername()[0]
    except OSError:
        return None


_default_config: TlsConfig | None = None
# one TlsConfig per ssl.SSLContext, so connections made with the same context share resumable sessions
_configs: weakref.WeakKeyDictionary[_ssl.SSLContext, TlsConfig] = weakref.WeakKeyDictionary()


def _tls_config(ctx: _ssl.SSLContext | None) -> TlsConfig:
    global _default_config
    if ctx is None:
        if _default_config is None:
            _default_config = TlsConfig()
        return _default_config
    cfg = _configs.get(ctx)
    if cfg is None:
        cfg = _configs[ctx] = TlsConfig(ctx)
    return cfg


def _tls_context(tls: bool | _ssl.SSLContext | TlsConfig | None, host: str, allow_plaintext: bool,
                 engine: str = DEFAULT_TLS_ENGINE) -> _ssl.SSLContext | TlsConfig | None:
    """What a connection is opened with: None (plaintext), an ssl.SSLContext (the loop's TLS transport) or a
    TlsConfig (compiled TLS)."""
    if engine not in TLS_ENGINES:
        raise ConfigError(f"tls_engine must be one of {TLS_ENGINES}, not {engine!r}", field="tls_engine")
    if tls is None or tls is False:
        if not is_loopback(host) and not allow_plaintext:
            raise PlaintextNotAllowed(
                f"refusing plaintext to non-loopback host {host!r}; pass allow_plaintext=True to override")
        return None
    if isinstance(tls, TlsConfig):
        if engine != "compiled":
            raise ConfigError("a TlsConfig is for tls_engine='compiled'; give an ssl.SSLContext for 'loop'",
                              field="tls")
        return tls
    if tls is True:
        # verification and hostname check on
        return _tls_config(None) if engine == "compiled" else _ssl.create_default_context()
    if isinstance(tls, _ssl.SSLContext):
        return _tls_config(tls) if engine == "compiled" else tls
    raise ConfigError("tls must be True, False/None, an ssl.SSLContext or a TlsConfig", field="tls")


async def _connect(factory, host: str, port: int, ctx, server_hostname, connect_timeout: float):
    """Open a connection; ``factory(tls_config, server_hostname)`` makes the protocol.  With compiled TLS the
    TCP connection is plain and the protocol's link does the handshake: an HTTP connection is returned once it
    is done (a WebSocket's caller waits for its upgrade, which follows the handshake)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + connect_timeout
    if isinstance(ctx, _ssl.SSLContext):   # the loop's TLS transport
        opening = loop.create_connection(lambda: factory(None, None), host, port, ssl=ctx,
                                         server_hostname=server_hostname or host,
                                         ssl_handshake_timeout=connect_timeout)
    else:                                  # plaintext, or compiled TLS over a plain TCP transport
        name = None if ctx is None else server_hostname or host
        opening = loop.create_connection(lambda: factory(ctx, name), host, port)
    _tr, proto = await asyncio.wait_for(opening, connect_timeout)
    ready = getattr(proto, "ready", None)
    if ready is not None and not ready.done():
        try:
            await asyncio.wait_for(asyncio.shield(ready), max(deadline - loop.time(), 0.001))
        except BaseException:
            ready.add_done_callback(_retrieve)
            proto.abort()
            raise
    elif ready is not None:
        ready.result()   # failed at once: raise it
    return proto


async def open_http(host: str, port: int, *, tls: bool | _ssl.SSLContext | TlsConfig | None = True,
                    server_hostname: str | None = None, allow_plaintext: bool = False,
                    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT, read_timeout: float = DEFAULT_READ_TIMEOUT,
                    user_timeout_ms: int = 3000, quickack: bool = False, busy_poll_us: int = 0,
                    max_body: int = 16 * 1024 * 1024, on_lost=None,
                    tls_engine: str = DEFAULT_TLS_ENGINE) -> HttpClientProtocol:
    """Open one persistent HTTP/1.1 connection and return its ``HttpClientProtocol``."""
    ctx = _tls_context(tls, host, allow_plaintext, tls_engine)

    def factory(cfg, name):
        return HttpClientProtocol(read_timeout=read_timeout, user_timeout_ms=user_timeout_ms, quickack=quickack,
                                  busy_poll_us=busy_poll_us, max_body=max_body, on_lost=on_lost, tls=cfg,
                                  server_hostname=name)

    return await _connect(factory, host, port, ctx, server_hostname, connect_timeout)


async def open_ws(url: str, *, tls: bool | _ssl.SSLContext | TlsConfig | None = None,
                  server_hostname: str | None = None, address: str | None = None,
                  allow_plaintext: bool = False, headers=(), on_message=None, id_pattern: bytes = b'"id":',
                  id_func=None, max_size: int = 4 * 1024 * 1024, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
                  read_timeout: float = DEFAULT_READ_TIMEOUT, user_timeout_ms: int = 3000, quickack: bool = False,
                  busy_poll_us: int = 0, on_lost=None, tls_engine: str = DEFAULT_TLS_ENGINE) -> WSClientProtocol:
    """Connect to ``ws://`` or ``wss://`` ``url``, complete the handshake and return the ``WSClientProtocol``.

    ``tls`` defaults from the scheme (``wss`` -> a verifying default context); an ``ssl.SSLContext`` may be
    given for ``wss``.  ``ws://`` to a non-loopback host needs ``allow_plaintext=True``.  ``address`` connects
    to that IP instead of resolving the URL's host, which still names the server for SNI, the certificate
    check and ``Host`` (address pinning, see ``fastorder probe``)."""
    u = urlsplit(url)
    if u.scheme not in ("ws", "wss"):
        raise ConfigError(f"a WebSocket url must start with ws:// or wss://, not {u.scheme}://", field="url")
    host = u.hostname or ""
    port = u.port or (443 if u.scheme == "wss" else 80)
    if u.scheme == "ws":
        if tls not in (None, False):
            raise ConfigError("tls given for a ws:// url; use wss://", field="tls")
        ctx = _tls_context(None, host, allow_plaintext, tls_engine)
    else:
        ctx = _tls_context(True if tls is None else tls, host, allow_plaintext, tls_engine)
    path = (u.path or "/") + (f"?{u.query}" if u.query else "")
    default_port = 443 if u.scheme == "wss" else 80
    host_header = host if port == default_port else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        host_header = f"[{host}]" if port == default_port else f"[{host}]:{port}"

    def factory(cfg, name):
        return WSClientProtocol(host_header, path, headers=headers, on_message=on_message, id_pattern=id_pattern,
                                id_func=id_func, max_size=max_size, read_timeout=read_timeout,
                                user_timeout_ms=user_timeout_ms, quickack=quickack, busy_poll_us=busy_poll_us,
                                on_lost=on_lost, tls=cfg, server_hostname=name)

    if address is not None and ctx is None and not is_loopback(address) and not allow_plaintext:
        raise PlaintextNotAllowed(f"refusing plaintext to non-loopback address {address!r}")
    proto = await _connect(factory, address or host, port, ctx, server_hostname or host, connect_timeout)
    try:
        await asyncio.wait_for(asyncio.shield(proto.handshake), connect_timeout)
    except BaseException:
        # the shielded handshake ends later, with the abort's error: nobody is left to read it
        proto.handshake.add_done_callback(_retrieve)
        proto.abort()
        raise
    return proto


def _retrieve(fut: asyncio.Future) -> None:
    if not fut.cancelled():
        fut.exception()


class HttpPool:
    """N pre-opened keep-alive connections to one endpoint, kept warm and replaced when they die.

    ``connection()`` returns the open connection with the fewest requests in flight (idle first), so many
    requests can be in flight over the pool.  Every ``warm_interval`` seconds each idle connection sends
    ``warm_request`` (a cheap request such as ``GET /api/v3/ping``) so that neither the server nor a middlebox
    drops it and its congestion window stays open; dead connections are reopened with backoff.
    """

    def __init__(self, host: str, port: int, *, size: int = 2,
                 tls: bool | _ssl.SSLContext | TlsConfig | None = True,
                 server_hostname: str | None = None, allow_plaintext: bool = False,
                 connect_timeout: float = DEFAULT_CONNECT_TIMEOUT, read_timeout: float = DEFAULT_READ_TIMEOUT,
                 total_timeout: float = DEFAULT_TOTAL_TIMEOUT, warm_request: bytes | None = None,
                 warm_interval: float = 10.0, user_timeout_ms: int = 3000, quickack: bool = False,
                 busy_poll_us: int = 0, warm_gate: Callable[[], bool] | None = None,
                 tls_engine: str = DEFAULT_TLS_ENGINE):
        if size < 1:
            raise ConfigError("size must be >= 1", field="size")
        self.host, self.port, self.size = host, port, size
        self._ctx = _tls_context(tls, host, allow_plaintext, tls_engine)
        self._server_hostname = server_hostname
        self.connect_timeout, self.read_timeout, self.total_timeout = connect_timeout, read_timeout, total_timeout
        self.warm_request, self.warm_interval = warm_request, warm_interval
        self.warm_gate = warm_gate   # asked before each keep-warm request (a rate-limit guard); False skips it
        self._opts = dict(user_timeout_ms=user_timeout_ms, quickack=quickack, busy_poll_us=busy_poll_us)
        self._conns: list[HttpClientProtocol] = []
        self._task: asyncio.Task | None = None
        self._changed: asyncio.Event | None = None
        self._closing = False
        self.reconnects = 0
        self.warm_sent = 0
        self.last_error: BaseException | None = None   # why the last reopen failed (None after a success)

    async def __aenter__(self) -> HttpPool:
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def _open_one(self) -> HttpClientProtocol:
        def factory(cfg, name):
            return HttpClientProtocol(read_timeout=self.read_timeout, on_lost=self._lost, tls=cfg,
                                      server_hostname=name, **self._opts)

        return await _connect(factory, self.host, self.port, self._ctx, self._server_hostname, self.connect_timeout)

    async def start(self) -> None:
        """Open all connections (fails if none can be opened) and start the keep-warm task."""
        self._changed = asyncio.Event()
        results = await asyncio.gather(*(self._open_one() for _ in range(self.size)), return_exceptions=True)
        self._conns = [r for r in results if isinstance(r, HttpClientProtocol)]
        if not self._conns:
            raise next(r for r in results if isinstance(r, BaseException))
        self._task = asyncio.get_running_loop().create_task(self._maintain())

    def _lost(self, proto, exc) -> None:
        if not self._closing:
            logger.info("HTTP connection to %s:%s closed (%s); reopening", self.host, self.port,
                        f"{type(exc).__name__}: {exc}" if exc is not None else "by either side")
        if self._changed is not None:
            self._changed.set()

    async def _maintain(self) -> None:
        backoff = 0.05
        tick = min(self.warm_interval / 2, 1.0)
        changed = self._changed
        assert changed is not None   # made by start(), which starts this task
        while not self._closing:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(changed.wait(), tick)
            changed.clear()
            if self._closing:
                return
            self._conns = [c for c in self._conns if c.is_open]
            while len(self._conns) < self.size and not self._closing:
                try:
                    self._conns.append(await self._open_one())
                    self.reconnects += 1
                    self.last_error = None
                    backoff = 0.05
                    logger.info("HTTP connection to %s:%s reopened (%d open)", self.host, self.port, len(self._conns))
                except (OSError, asyncio.TimeoutError) as exc:   # incl. a failed TLS handshake or certificate
                    self.last_error = exc
                    logger.warning("reopening an HTTP connection to %s:%s failed (%s: %s); retrying in %.2f s",
                                   self.host, self.port, type(exc).__name__, exc, backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 2.0)
                    break
            if self.warm_request is not None:
                now = time.monotonic_ns()
                for c in self._conns:
                    if c.is_open and c.in_flight == 0 and now - c.last_used_ns > self.warm_interval * 1e9:
                        if self.warm_gate is not None and not self.warm_gate():
                            continue
                        c.request_cb(self.warm_request, self._warm_done)
                        self.warm_sent += 1

    @staticmethod
    def _warm_done(resp, exc) -> None:
        if exc is not None:   # a failed warm-up request closes its connection; _maintain replaces it
            logger.debug("keep-warm request failed (%s: %s)", type(exc).__name__, exc)

    def connection(self) -> HttpClientProtocol:
        """The open connection with the fewest requests in flight (raises if none is open)."""
        best = None
        for c in self._conns:
            if c.is_open:
                n = c.in_flight
                if n == 0:
                    return c
                if best is None or n < best.in_flight:
                    best = c
        if best is None:
            raise HttpConnectionClosed("no open connection in the pool")
        return best

    async def wait_connection(self, deadline: float) -> HttpClientProtocol:
        """``connection()``, waiting for a reopened one until ``deadline`` (``time.monotonic()``)."""
        while True:
            try:
                return self.connection()
            except HttpConnectionClosed:
                if time.monotonic() >= deadline or self._closing or self._changed is None:
                    raise
                self._changed.set()
                await asyncio.sleep(0.01)

    async def request(self, data) -> HttpResponse:
        """Send a complete request over the least-busy connection and await the reply (total timeout)."""
        deadline = time.monotonic() + self.total_timeout
        try:
            conn = self.connection()
        except HttpConnectionClosed:
            conn = await self.wait_connection(deadline)
        return await conn.request(data, timeout=min(self.read_timeout, max(deadline - time.monotonic(), 1e-3)))

    async def send(self, template: HttpTemplate, query=None, body=None) -> HttpResponse:
        """``HttpClientProtocol.send`` over the least-busy connection (total timeout)."""
        deadline = time.monotonic() + self.total_timeout
        try:
            conn = self.connection()
        except HttpConnectionClosed:
            conn = await self.wait_connection(deadline)
        return await conn.send(template, query, body,
                               timeout=min(self.read_timeout, max(deadline - time.monotonic(), 1e-3)))

    @property
    def connections(self) -> list[HttpClientProtocol]:
        return list(self._conns)

    async def move_to(self, host: str) -> None:
        """New connections go to ``host``. Idle connections to another address are replaced one by one — the
        new connection opened before the old one closes; connections with requests in flight are left to
        finish (the next call, or their death, moves them)."""
        self.host = host
        for old in list(self._conns):
            if peer_address(old) == host or old.in_flight:
                continue
            try:
                new = await self._open_one()
            except (OSError, asyncio.TimeoutError) as exc:   # keep what works; _maintain retries later
                logger.warning("moving an HTTP connection to %s:%s failed (%s: %s)", host, self.port,
                               type(exc).__name__, exc)
                return
            self._conns.append(new)
            if old.in_flight == 0:
                self._conns.remove(old)
                old.close()

    async def close(self) -> None:
        self._closing = True
        if self._changed is not None:
            self._changed.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for c in self._conns:
            c.close()
        if self._conns:
            await asyncio.wait([c.closed for c in self._conns], timeout=1.0)
        self._conns = []
