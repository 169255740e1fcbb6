"""One request out and its reply back, for every venue: the order path's send over a warm REST or WebSocket
connection (with the latency split of `Latency`), the public GETs of start-up, and the errors for a request
that could not be written or whose reply never came.

`Sending` is mixed into `Session` (venue modules call `self.rest_send(...)` / `self.ws_send(...)` once per
order: a method of the session itself, no hop through another object). It reads the session's connections
(`_pool`, `ws_pool`), its settings and its reused write buffer, which it wipes once the request is written.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import zlib
from typing import TYPE_CHECKING, Any

from fastorder.errors import Banned, CertificateRejected, ConnectionLost, RateLimited
from fastorder.transport.http import HttpParseError, HttpResponse
from fastorder.transport.ws import WSError
from fastorder.types import Latency
from fastorder.venues.limits import parse_retry_after

if TYPE_CHECKING:   # pragma: no cover
    from fastorder._core.buffer import WriteBuffer
    from fastorder.transport.client import HttpPool
    from fastorder.venues.base import Endpoint
    from fastorder.venues.ledger import Ledger
    from fastorder.venues.warm import KeepWarm
    from fastorder.venues.ws_pool import WsPool

perf_ns = time.perf_counter_ns


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("fastorder")
    except PackageNotFoundError:   # pragma: no cover - run from a source tree that was never installed
        return "0"


#: sent on every request and WebSocket handshake: CDN front ends may refuse requests that carry none
USER_AGENT = f"fastorder/{_version()}"


def _decoded(resp: Any, venue: str, path: str, limit: int = 256 << 20) -> bytes:
    """A reply body with its Content-Encoding (gzip, or none) undone; at most `limit` bytes decoded."""
    enc = resp.header(b"content-encoding")
    if enc is None or enc.strip().lower() == b"identity":
        return resp.body
    if enc.strip().lower() != b"gzip":
        raise ConnectionLost(f"{venue} GET {path}: unsupported Content-Encoding {enc!r}")
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)   # gzip framing
    try:
        out = d.decompress(resp.body, limit)
    except zlib.error as exc:
        raise ConnectionLost(f"{venue} GET {path}: a gzip body that does not decode ({exc})") from None
    if d.unconsumed_tail or not d.eof:
        raise ConnectionLost(f"{venue} GET {path}: gzip body truncated or over {limit} bytes decoded")
    return out


class _Unknown(Exception):
    """Internal: the request's outcome is unknown (the venue said so, or no reply came)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


# A request was written but these ended it without a usable reply: its outcome is unknown.
TRANSPORT_ERRORS = (asyncio.TimeoutError, ConnectionError, OSError, HttpParseError, WSError)


def _tcp_rtt(conn: Any) -> int | None:
    """The kernel's smoothed RTT of the connection (TCP_INFO), µs; None where the socket has none to give."""
    try:
        return conn.tcp_rtt()[0] or None
    except OSError:
        return None


class Sending:
    """The send path of a `Session` (see the module docstring)."""

    if TYPE_CHECKING:
        venue: str
        rest: Endpoint
        ws: Endpoint | None
        timeout: float
        startup_timeout: float
        spin_us: int
        ledger: Ledger
        ws_pool: WsPool
        last_public_reply: Any
        _pool: HttpPool
        _buf: WriteBuffer
        _req_seq: int
        _warmer: KeepWarm | None

    def next_request_id(self) -> int:
        self._req_seq += 1
        return self._req_seq

    async def rest_get_json(self, path: str) -> Any:
        """An unsigned GET (public endpoints: time, symbols) parsed as JSON, within `startup_timeout`. A
        gzip-encoded reply is accepted (asked for: symbol documents are large) and decoded."""
        import orjson

        req = (f"GET {path} HTTP/1.1\r\nHost: {self.rest.host_header}\r\nUser-Agent: {USER_AGENT}\r\n"
               "Accept-Encoding: gzip\r\n\r\n").encode("ascii")
        pool = self._pool
        deadline = time.monotonic() + self.startup_timeout
        try:
            conn = pool.connection()
        except Exception:
            conn = await pool.wait_connection(deadline)
        try:
            resp = await conn.request(req, timeout=max(deadline - time.monotonic(), 1e-3))
        except asyncio.TimeoutError:
            raise ConnectionLost(f"{self.venue} GET {path}: no reply within startup_timeout="
                                 f"{self.startup_timeout} s") from None
        body = _decoded(resp, self.venue, path)
        self.last_public_reply = resp   # its usage headers, for a venue that reads them (Binance, after start-up)
        if resp.status in (418, 429):   # rate limited: block every request, whatever the venue
            cls = Banned if resp.status == 418 else RateLimited
            exc = cls(self.venue, resp.status, f"GET {path}: HTTP {resp.status}", http_status=resp.status,
                      retry_after=parse_retry_after(resp.header(b"retry-after")))
            self.ledger.refused(exc)
            raise exc
        if resp.status != 200:
            raise self._public_error(path, resp.status, body)
        return orjson.loads(body)

    def _public_error(self, path: str, status: int, body: bytes) -> BaseException:
        """The error for a refused public request (venue modules map their own codes)."""
        return ConnectionLost(f"{self.venue} GET {path}: HTTP {status}")

    async def rest_send(self, data: bytes, lat: Latency, t_call: int) -> HttpResponse:
        """Send one complete request on the least-busy warm connection; fill in the latency split."""
        pool = self._pool
        try:
            try:
                conn = pool.connection()
            except Exception:
                conn = await pool.wait_connection(time.monotonic() + self.timeout)
            fut = conn.request(data, timeout=self.timeout)
        except Exception as exc:   # nothing was written: the order was not sent
            del data   # the request (credentials in its headers) stays out of the locals a traceback shows
            self._buf.wipe()
            raise self._no_connection(exc, self.rest, pool.last_error) from None
        del data
        self._buf.wipe()   # the reused buffer does not keep the request either (OKX: the passphrase header)
        t_wire = perf_ns()
        lat.client_ns = t_wire - t_call
        lat.tcp_rtt_us = _tcp_rtt(conn)   # a system call: made while the request is on its way, not after the reply
        if self.spin_us:
            self._spin(conn, fut)
        try:
            resp = await fut
        except TRANSPORT_ERRORS as exc:   # written, but no reply: it may have been executed
            raise _Unknown(exc) from None
        lat.round_trip_ns = perf_ns() - t_wire
        w = self._warmer
        if w is not None and w.want_reply:   # kept for keep_warm if it turns out to be an order's reply
            w.pending = resp
        return resp

    #: the reply headers a venue reads per REST reply (`_reply_headers`); the first is always the simulator's
    _reply_header_names: tuple[bytes, ...] = (b"x-sim-processing-us",)

    def _reply_headers(self, resp: Any, lat: Latency) -> list[Any]:
        """The values of `_reply_header_names` in one pass over the reply head (None where absent); the
        simulator's processing time, when it reports one, goes to `lat.exchange_us`."""
        vals = resp.headers_in(self._reply_header_names)
        sim_us = vals[0]
        if sim_us is not None:
            lat.exchange_us = round(float(sim_us))
        return vals

    def _spin(self, conn: Any, fut: asyncio.Future) -> None:
        """Spin mode: poll the connection until `fut` is resolved or spin_us has passed (then the event loop
        takes over, read timeout included). Burns the calling core and blocks the event loop meanwhile: for a
        dedicated core. A resolved Future is awaited without a trip through the loop."""
        end = perf_ns() + self.spin_us * 1000
        while not fut.done():
            left = (end - perf_ns()) // 1000
            if left <= 0:
                return
            try:
                conn.spin(left)
            except RuntimeError:   # closed meanwhile: the transport reports it
                return

    async def ws_send(self, req_id: bytes, data: bytes, lat: Latency, t_call: int) -> bytes:
        ws_pool = self.ws_pool
        try:
            conn = ws_pool.best()
        except ConnectionLost:
            try:
                conn = await ws_pool.wait_best()   # every connection is being replaced: wait (bounded)
            except ConnectionLost as exc:
                del data   # the request stays out of the locals a traceback shows
                self._buf.wipe()
                raise self._no_connection(exc, self.ws, ws_pool.connect_error) from None
        try:
            fut = conn.request(req_id, data, timeout=self.timeout)
        except Exception as exc:   # nothing was written
            del data
            self._buf.wipe()
            raise ConnectionLost(f"{self.venue}: the WebSocket could not take the request ({exc})") from None
        del data   # as in rest_send: neither this frame nor the reused buffer keeps the request
        self._buf.wipe()
        t_wire = perf_ns()
        lat.client_ns = t_wire - t_call
        lat.tcp_rtt_us = _tcp_rtt(conn)   # as for REST: while the request is on its way
        if self.spin_us:
            self._spin(conn, fut)
        try:
            reply = await fut
        except TRANSPORT_ERRORS as exc:
            raise _Unknown(exc) from None
        lat.round_trip_ns = perf_ns() - t_wire
        w = self._warmer
        if w is not None and w.want_reply:   # as in rest_send
            w.pending = reply
        return reply

    def _cert_rejected(self, exc: ssl.SSLCertVerificationError, where: Endpoint | None) -> CertificateRejected:
        reason = getattr(exc, "verify_message", "") or str(exc)
        return CertificateRejected(f"{self.venue}: the TLS certificate of {where.host_header if where else '?'} "
                                   f"failed verification ({reason}); nothing was sent over it", reason=reason)

    def _no_connection(self, exc: BaseException, where: Endpoint | None, last: BaseException | None) -> ConnectionLost:
        """The error for a request no connection could take; names a rejected certificate if that is why."""
        if isinstance(last, ssl.SSLCertVerificationError):
            return self._cert_rejected(last, where)
        why = f"; last reconnect: {type(last).__name__}: {last}" if last is not None else ""
        return ConnectionLost(f"{self.venue}: no connection could take the request ({exc}{why})")
