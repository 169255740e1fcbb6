"""HTTP/1.1 server protocol for the simulator, on ``httptools`` (llhttp) and an asyncio ``Protocol``.

Keep-alive, pipelining (replies stay in request order even when a fault delays one), ``Connection: close``,
and the WebSocket upgrade (handed to :mod:`fastorder.sim.ws`). Every reply carries
``X-Sim-Processing-Us``: the simulator's own time, in microseconds, from the arrival of the chunk that
completed the request to the moment the reply is handed to the transport.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections import deque
from email.utils import formatdate
from urllib.parse import unquote_plus

import httptools

_perf = time.perf_counter_ns

REASONS = {
    101: b"Switching Protocols", 200: b"OK", 400: b"Bad Request", 401: b"Unauthorized", 403: b"Forbidden",
    404: b"Not Found", 405: b"Method Not Allowed", 409: b"Conflict", 413: b"Payload Too Large",
    415: b"Unsupported Media Type", 418: b"I'm a teapot", 426: b"Upgrade Required", 429: b"Too Many Requests",
    500: b"Internal Server Error", 502: b"Bad Gateway", 503: b"Service Unavailable", 504: b"Gateway Timeout",
}
MAX_BODY = 1 << 20
_METHODS = {m.encode(): m for m in ("GET", "POST", "DELETE", "PUT", "HEAD", "OPTIONS", "PATCH")}

_date_cache = [0, b""]
_STATUS_LINES = {k: b"HTTP/1.1 %d %s\r\n" % (k, v) for k, v in REASONS.items()}
_CT_CL = b"Content-Type: application/json;charset=UTF-8\r\nContent-Length: "


def http_date() -> bytes:
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[0] = now
        _date_cache[1] = formatdate(now, usegmt=True).encode()
    return _date_cache[1]


class Spinner:
    """Busy-polls the event loop for a while after every chunk received, instead of sleeping in epoll.

    A sleeping process wakes on a cold CPU. Measured on this 2-vCPU VM while it was busy (bench/RESULTS.md):
    Binance REST p50 112 -> 82 µs, OKX WS 65 -> 36 µs with polling; on an idle machine little changes.
    Requests of a closed-loop client arrive every few hundred µs, so polling for ``window_us`` after each one
    keeps the caches warm while traffic flows, and the process still sleeps when the traffic stops. Meant for a simulator pinned to a CPU of its own: it
    burns that CPU while polling.

    Polling alone does not keep the request path in cache through an idle gap (its processing after 10 ms idle
    measured 2-9x its back-to-back time). With ``warm_us`` it also replays, every ``warm_us`` of a quiet
    spell while it polls, the last order request it served in the venue's own validation-only form (Binance
    ``POST .../order/test``: routing, parameter parsing, key, time and signature checks, the order's filters,
    the reply's rendering; a Binance WebSocket order.place the same way, without a method of its own: parsing,
    key and signature, filters, the reply frame), set per request by the site (``source``); nothing of a replay reaches a client,
    the book, the order records, the request statistics or the counted user agents, and its weight is counted
    for a separate address (REPLAY_PEER). For benchmarks only, like the polling itself.
    """

    def __init__(self, loop, window_us: float, warm_us: float = 0.0):
        self.loop = loop
        self.window_ns = int(window_us * 1000)
        self.warm_ns = int(warm_us * 1000)
        self.until = 0
        self.active = False
        self.source = None      # (make, args) of the last request: make(*args) gives its replay, or None
        self.replay = None      # what to replay while idle (a callable), or None
        self.next_warm = 0
        self.replays = 0

    def poke(self) -> None:
        now = _perf()
        self.until = now + self.window_ns
        self.next_warm = now + self.warm_ns
        if not self.active:
            self.active = True
            self.loop.call_soon(self._spin)

    def _spin(self) -> None:
        # a ready callback makes the loop poll with a zero timeout: one pass per callback
        now = _perf()
        if now < self.until:
            if self.warm_ns and now >= self.next_warm:
                self.next_warm = now + self.warm_ns
                try:
                    src, self.source = self.source, None
                    if src is not None:   # made here, in the quiet spell, not right after the request's reply
                        self.replay = src[0](*src[1]) or self.replay   # (not an order: the last order's stays)
                    if self.replay is not None:
                        self.replay()
                        self.replays += 1
                except Exception:   # a replay must never disturb serving: stop replaying that request
                    self.replay = None
            self.loop.call_soon(self._spin)
        else:
            self.active = False


#: the peer address a replayed request is counted for (its weight), never a real client's
REPLAY_PEER = "replay"


class ReplayConn:
    """The connection a replayed request names: only its peer address is read."""

    __slots__ = ()
    peer = REPLAY_PEER


REPLAY_CONN = ReplayConn()


def spinner() -> Spinner | None:
    return _spinner


def offer_replay(site: object, *args: object) -> None:
    """(Benchmarks, with ``warm_us``) after a request is served: ``site.dry_replay(*args)``, made in the next
    quiet spell, is what the spinner replays then; a site without one leaves nothing to replay."""
    sp = _spinner
    if sp is not None and sp.warm_ns:
        dry = getattr(site, "dry_replay", None)
        sp.source = (dry, args) if dry is not None else None


_spinner: Spinner | None = None
_chunks = [0]   # chunks received by every connection of this process (the idle collector watches it)


def chunks_received() -> int:
    return _chunks[0]


def set_spinner(spinner: Spinner | None) -> None:
    """Install (or remove, with None) the process-wide :class:`Spinner` poked by every connection."""
    global _spinner
    _spinner = spinner


class Request:
    """One parsed HTTP request. ``headers`` maps lower-case header names (bytes) to values (bytes)."""

    __slots__ = ("method", "path", "query", "headers", "body", "t0", "keep_alive", "conn", "version")

    def __init__(self, method, path, query, headers, body, t0, keep_alive, conn, version):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.t0 = t0
        self.keep_alive = keep_alive
        self.conn = conn
        self.version = version

    def header(self, name: bytes, default: str | None = None) -> str | None:
        v = self.headers.get(name)
        return default if v is None else v.decode("latin-1")


def _unquote(s: str) -> str:
    return unquote_plus(s)


try:   # ASCII escapes decoded typed, anything else by urllib (fastorder/sim/_fast.pyx)
    from ._fast import unquote_plus as _unquote_ascii

    def _unquote(s: str) -> str:  # noqa: F811
        r = _unquote_ascii(s)
        return unquote_plus(s) if r is None else r
except ImportError:  # pragma: no cover - not built
    pass


def parse_qs_ordered(raw: str) -> list[tuple[str, str]]:
    """``a=1&b=2`` -> [("a","1"),("b","2")] with percent/plus decoding; keeps duplicates and order."""
    if not raw:
        return []
    if "%" not in raw and "+" not in raw:  # fast path: nothing to decode
        return [(k, v) for k, _, v in (p.partition("=") for p in raw.split("&") if p)]
    out = []
    for part in raw.split("&"):
        if not part:
            continue
        k, _, v = part.partition("=")
        if "%" in k or "+" in k:
            k = _unquote(k)
        if "%" in v or "+" in v:
            v = _unquote(v)
        out.append((k, v))
    return out


def split_params_py(raw: str) -> tuple[dict[str, str], int]:
    """Split ``a=1&b=2`` into a dict and count the parameters; the definition the typed version in
    _fast.pyx is tested against."""
    out = {}
    n = 0
    for part in raw.split("&"):
        if part:
            k, _, v = part.partition("=")
            out[k] = v
            n += 1
    return out, n


try:   # the same split, typed (fastorder/sim/_fast.pyx)
    from ._fast import parse_params as _split_params
except ImportError:  # pragma: no cover - not built
    _split_params = split_params_py

try:   # a plain request read in one call; everything else goes to llhttp (fastorder/sim/_fast.pyx)
    from ._fast import parse_request as _parse_request
except ImportError:  # pragma: no cover - not built
    _parse_request = None


def parse_params(raw: str) -> tuple[dict[str, str], int]:
    """``a=1&b=2`` -> ({"a": "1", "b": "2"}, number of parameters), decoded like :func:`parse_qs_ordered`;
    a count larger than the dict's size means a name was repeated (the last value is kept)."""
    if "%" in raw or "+" in raw:
        q = parse_qs_ordered(raw)
        return dict(q), len(q)
    return _split_params(raw)


def set_linger0(transport) -> None:
    """Make the next close of ``transport`` send a TCP RST."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass


class HttpProtocol(asyncio.Protocol):
    """Server side of one TCP (or TLS) connection. ``site`` is the owning venue server."""

    def __init__(self, site):
        self.site = site
        self.loop = site.loop
        self.parser = httptools.HttpRequestParser(self)
        self.transport = None
        self.conn_no = 0
        self._url = b""
        self._headers: dict[bytes, bytes] = {}
        self._body: list[bytes] = []
        self._body_len = 0
        self._chunk_t = 0
        self._pending: deque = deque()
        self._upgrade_req: Request | None = None
        self._mid = False   # llhttp holds part of a request: the next bytes are its to read
        self._last = False  # a request with "Connection: close" was read here: nothing may follow it
        self.ws = None
        self.closed = False
        self.slow_read_s = 0.0
        self.peer = ""

    # -- connection ------------------------------------------------------------------------------------
    def connection_made(self, transport):
        self.transport = transport
        self.conn_no = self.site.register(self)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except (OSError, AttributeError):
                pass
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if peer else ""
        plan = self.site.plan
        if plan.faults:
            ms = plan.slow_read_ms(self.site.venue, "rest", self.conn_no)
            self.slow_read_s = ms / 1000.0

    def connection_lost(self, exc):
        self.closed = True
        self.site.unregister(self)
        if self.ws is not None:
            self.ws.connection_lost()

    def data_received(self, data):
        self._chunk_t = _perf()
        _chunks[0] += 1
        if _spinner is not None:
            _spinner.poke()
        if self.slow_read_s:
            self.transport.pause_reading()
            self.loop.call_later(self.slow_read_s, self._resume)
        if self.ws is not None:
            self.ws.feed(data)
            return
        if not self._mid and _parse_request is not None:   # whole plain requests: no llhttp callbacks
            pos = 0
            while not self._last:
                r = _parse_request(data, pos, MAX_BODY)
                if r is None:
                    break
                method, path, query, headers, body, keep, pos = r
                self._last = not keep
                self.site.serve_http(self, Request(method, path, query, headers, body, self._chunk_t, keep, self,
                                                   "1.1"))
                if pos == len(data) or self.closed:
                    return
            if self._last:   # bytes after "Connection: close": llhttp refuses them, and so do we
                self.write_reply(400, b"", b'{"error":"malformed HTTP request"}', None, close=True)
                return
            if pos:
                data = data[pos:]
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as exc:
            req = self._upgrade_req
            self._upgrade_req = None
            if req is not None:
                self.site.upgrade(self, req, data[exc.args[0]:])
        except httptools.HttpParserError:
            self.write_reply(400, b"", b'{"error":"malformed HTTP request"}', None, close=True)

    def _resume(self):
        if not self.closed:
            try:
                self.transport.resume_reading()
            except RuntimeError:
                pass

    # -- httptools callbacks -----------------------------------------------------------------------------
    def on_message_begin(self):
        self._mid = True
        self._url = b""
        self._headers = {}
        self._body = []
        self._body_len = 0

    def on_url(self, url):
        self._url += url

    def on_header(self, name, value):
        name = name.lower()
        self._headers[name] = value
        if name == b"expect" and value.lower() == b"100-continue":  # no on_headers_complete hook: one call less
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body):
        self._body_len += len(body)
        if self._body_len > MAX_BODY:
            raise httptools.HttpParserError("body too large")
        self._body.append(body)

    def on_message_complete(self):
        self._mid = False
        p = self.parser
        url = self._url
        if url[:1] == b"/":  # origin-form, the usual case
            path, _, query = url.decode("latin-1").partition("?")
            path, _, _ = path.partition("#")
            query, _, _ = query.partition("#")
        else:  # absolute-form or asterisk
            u = httptools.parse_url(url)
            path = (u.path or b"/").decode("latin-1")
            query = u.query.decode("latin-1") if u.query else ""
        m = p.get_method()
        method = _METHODS.get(m) or m.decode()
        req = Request(method, path, query, self._headers,
                      b"".join(self._body) if self._body else b"", self._chunk_t,
                      p.should_keep_alive(), self, p.get_http_version())
        if p.should_upgrade():
            self._upgrade_req = req
            return
        self.site.serve_http(self, req)

    # -- replies -----------------------------------------------------------------------------------------
    def slot(self) -> list:
        s = [None]
        self._pending.append(s)
        return s

    def fill(self, slot: list, data: bytes, close: bool = False) -> None:
        slot[0] = (data, close)
        pend = self._pending
        while pend and pend[0][0] is not None:
            data, close = pend.popleft()[0]
            if self.closed:
                continue
            if data:
                self.transport.write(data)
            if close:
                self.closed = True
                self.transport.close()

    def render(self, status: int, headers: bytes, body: bytes, req: Request | None, close: bool) -> bytes:
        """The full reply bytes; also records the processing time of ``req``."""
        head = _STATUS_LINES.get(status) or (b"HTTP/1.1 %d %s\r\n" % (status, REASONS.get(status, b"Unknown")))
        now = int(time.time())
        date = _date_cache[1] if _date_cache[0] == now else http_date()
        if req is not None:
            us = (_perf() - req.t0) / 1000.0
            self.site.stats.add("rest", us)
            return b"".join((head, _CT_CL, b"%d\r\n" % len(body), headers, b"Date: ", date,
                             b"\r\nConnection: close\r\nX-Sim-Processing-Us: %.1f\r\n\r\n" % us if close
                             else b"\r\nX-Sim-Processing-Us: %.1f\r\n\r\n" % us, body))
        return b"".join((head, _CT_CL, b"%d\r\n" % len(body), headers, b"Date: ", date,
                         b"\r\nConnection: close\r\n\r\n" if close else b"\r\n\r\n", body))

    def write_reply(self, status: int, headers: bytes, body: bytes, req: Request | None, close: bool = False):
        if req is not None and not req.keep_alive:
            close = True
        data = self.render(status, headers, body, req, close)
        if self._pending:
            self.fill(self.slot(), data, close)
        elif not self.closed:
            self.transport.write(data)
            if close:
                self.closed = True
                self.transport.close()

    def abort(self, rst: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        if rst:
            set_linger0(self.transport)
            self.transport.abort()
        else:
            self.transport.close()
