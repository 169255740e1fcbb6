"""Orchestration: one listening server per venue, fault application, restart, the in-process API.

    async with Simulator(venues=("binance", "okx", "htx"), tls=False, faults=None, seed=0) as sim:
        sim.url("binance", "rest")   # http://127.0.0.1:PORT
        sim.url("binance", "ws")     # ws://127.0.0.1:PORT/ws-api/v3
        sim.orders("binance")        # true order state (list of dicts), for fault tests
        sim.stats("binance")         # the simulator's own processing time (µs) percentiles

See the package docstring (``fastorder/sim/__init__.py``) and ``README.md`` for the full API.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import re
import socket
import time
from urllib.parse import parse_qs

import orjson

from . import ws as wsmod
from .common import ProcStats
from .faults import CERT_MODES, FaultPlan
from .http import HttpProtocol, offer_replay, set_linger0, spinner

_perf = time.perf_counter_ns
VENUES = ("binance", "okx", "htx")
#: the markets served on request only (`venues=`), each its own app and port: the perpetual swaps
PERP_VENUES = ("binance_futures", "htx_swap")
ALL_VENUES = VENUES + PERP_VENUES
WS_PATHS = {"binance": "/ws-api/v3", "okx": "/ws/v5/private", "htx": None, "binance_futures": "/ws-fapi/v1",
            "htx_swap": None}
# where each venue's private order stream is read (HTX: its v2 WebSocket, which takes no orders)
EVENT_WS_PATHS = {"binance": "/ws-api/v3", "okx": "/ws/v5/private", "htx": "/ws/v2",
                  "htx_swap": "/linear-swap-notification"}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class VenueServer:
    """The listening socket, connections and fault handling of one venue."""

    def __init__(self, venue: str, app, plan: FaultPlan, host: str, port: int, ssl_ctx, loop):
        self.venue = venue
        self.app = app
        app.site = self
        self.plan = plan
        self.host = host
        self.port = port
        self.ssl = ssl_ctx
        self.loop = loop
        self.server = None
        self.conns: set[HttpProtocol] = set()
        self.conn_count = 0
        self.stats = ProcStats()
        self.restarts = 0
        self._restarting = False
        self._restart_task: asyncio.Task | None = None
        self.ws_timing_field = False  # opt-in: add "simProcessingUs" to every WS JSON reply
        self.ca = None                # the TestCA (TLS sites): certificates for tls_fail modes
        self.gates: set = set()       # connections accepted and not yet handed to their protocol

    async def start(self) -> None:
        # our own accept loop, not loop.create_server: on Python 3.11 a connection accepted in the same loop
        # turn as Server.close() fails an assertion in the transport and its socket is never closed; and each
        # TLS socket needs its tls_fail decision before any TLS byte is answered
        self.server = _Listener(self)
        self.server.listen(self.host, self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for g in list(self.gates):
            g.abort()
        for c in list(self.conns):
            c.abort()
        # a closed transport releases its socket only in connection_lost, a loop turn later, and a cancelled
        # hand-over leaves the gates only when its task ends: wait for both (bounded), so a loop closed right
        # after stop() finds no socket still open
        deadline = time.monotonic() + 1.0
        while (self.conns or self.gates) and time.monotonic() < deadline:
            await asyncio.sleep(0.001)
        if self.conns:   # unflushed after 1 s (a client that stopped reading): reset, then one more turn
            for c in list(self.conns):
                c.transport.abort()
            await asyncio.sleep(0)

    async def restart(self, down_s: float = 0.2) -> None:
        """Close the listening socket and every connection, stay down ``down_s``, listen again (same port).
        Orders and balances survive, as they would on an exchange restart."""
        if self._restarting:
            return
        self._restarting = True
        try:
            await self.stop()
            await asyncio.sleep(down_s)
            await self.start()
            self.restarts += 1
        finally:
            self._restarting = False

    def register(self, conn) -> int:
        self.conns.add(conn)
        n = getattr(conn, "accept_no", 0)   # numbered by the listener when the TCP connection was accepted
        if not n:
            self.conn_count += 1
            n = self.conn_count
        return n

    def unregister(self, conn) -> None:
        self.conns.discard(conn)
        self.plan.forget_connection(self.venue, conn.conn_no)

    # -- HTTP ------------------------------------------------------------------------------------------
    def serve_http(self, conn: HttpProtocol, req) -> None:
        if req.path.startswith("/_sim/"):
            self._admin(conn, req)
            return
        faults = self.plan.for_request(self.venue, "rest", conn.conn_no)
        if faults is None:
            status, hdrs, body = self.app.handle_http(req)
            conn.write_reply(status, hdrs, body, req)
            offer_replay(self.app, req, conn)   # (benchmarks) its dry form, replayed while idle
            return
        self._faulty_http(conn, req, faults)

    def _faulty_http(self, conn: HttpProtocol, req, faults) -> None:
        k = {f.kind: f for f in faults}
        kill = k.get("reset") or k.get("drop")
        if kill is not None and kill.phase == "before":
            conn.abort(rst=kill.kind == "reset")
            return
        lim = k.get("418") or k.get("429")
        unknown = k.get("5xx")
        if lim is not None:
            status, hdrs, body = self.app.limited_reply(req, lim.kind, lim.retry)
            if lim.mode:
                hdrs = retry_after_as(hdrs, lim.mode, lim.retry)
        elif unknown is not None and unknown.phase == "before":
            status, hdrs, body = self.app.unknown_reply(req)
        else:
            status, hdrs, body = self.app.handle_http(req)  # the request is processed
            if kill is not None:
                conn.abort(rst=kill.kind == "reset")
                self._maybe_restart(k)
                return
            if unknown is not None:
                status, hdrs, body = self.app.unknown_reply(req)
            if "malformed" in k:
                status, body = 200, body[: max(1, len(body) // 2)] + b"<html>\x00"
        close = not req.keep_alive
        data = conn.render(status, hdrs, body, req, close)
        slot = conn.slot()
        if "stall" in k:
            stall = k["stall"]
            if stall.ms:  # stall for a while, then drop the connection without a reply
                self.loop.call_later(stall.ms / 1000.0, conn.abort)
            return  # the slot is never filled: this and later replies on the connection never come
        if "truncated" in k:
            data, close = data[: len(data) // 2], True
        lat = k.get("latency")
        if lat is not None:
            self.loop.call_later(self.plan.delay_s(lat), conn.fill, slot, data, close)
        else:
            conn.fill(slot, data, close)
        self._maybe_restart(k)

    def _maybe_restart(self, k: dict) -> None:
        r = k.get("restart")
        if r is not None:
            self.loop.call_soon(self._start_restart, r.ms / 1000.0)

    def _start_restart(self, down_s: float) -> None:
        if not self._restarting:   # kept, so close() can cancel a restart still under way
            self._restart_task = self.loop.create_task(self.restart(down_s))

    async def close(self) -> None:
        """Stop for good: a fault-driven restart still under way is cancelled first, so it cannot listen
        again after the simulator has gone."""
        t, self._restart_task = self._restart_task, None
        if t is not None and not t.done():
            t.cancel()
            try:
                await t
            except asyncio.CancelledError:
                pass
        await self.stop()

    def _admin(self, conn: HttpProtocol, req) -> None:
        q = {k: v[0] for k, v in parse_qs(req.query).items()}
        if req.path == "/_sim/orders":
            body = orjson.dumps(self.app.snapshot())
        elif req.path == "/_sim/stats":
            s = {"venue": self.venue, "processing_us": self.stats.summary(), "restarts": self.restarts,
                 "connections": len(self.conns), "faults_fired": len(self.plan.log)}
            sp = spinner()
            if sp is not None and sp.warm_ns:   # (benchmarks) idle-time replays of an order request, process-wide
                s["replays"] = sp.replays
            if q.get("samples") == "1":
                s["samples"] = {k: list(v) for k, v in self.stats.samples.items()}
            body = orjson.dumps(s)
        elif req.path == "/_sim/stats/reset" and req.method == "POST":
            self.stats.reset()
            body = b"{}"
        elif req.path == "/_sim/faults":
            if req.method == "POST":
                try:
                    self.plan.add(req.body.decode())
                except (ValueError, UnicodeDecodeError) as e:
                    conn.write_reply(400, b"", orjson.dumps({"error": str(e)}), None)
                    return
            elif req.method == "DELETE":
                self.plan.clear()
            body = orjson.dumps({"faults": [f.describe() for f in self.plan.faults], "fired": len(self.plan.log)})
        elif req.path == "/_sim/balances":
            body = orjson.dumps({n: {a: [str(f), str(lk)] for a, (f, lk) in acc.balances.items()}
                                 for n, acc in self.app.ex.accounts.items()})
        else:
            conn.write_reply(404, b"", b'{"error":"unknown simulator admin path"}', None)
            return
        conn.write_reply(200, b"", body, None)

    # -- WebSocket -------------------------------------------------------------------------------------
    def upgrade(self, conn: HttpProtocol, req, rest: bytes) -> None:
        factory = self.app.ws_paths.get(req.path)
        dynamic = getattr(self.app, "ws_factory", None)   # a path with a part in it (a listenKey)
        if factory is None and dynamic is not None and dynamic(req) is not None:
            factory = dynamic
        if factory is None:
            conn.write_reply(404, b"", b"", None, close=True)
            return
        err = wsmod.handshake_error(req.headers, req.method)
        if err is not None:
            hdr = b"Sec-WebSocket-Version: 13\r\n" if err[0] == 426 else b""
            conn.write_reply(err[0], hdr, err[1], None, close=True)
            return
        session = factory(req)
        if self.plan.faults:   # slow reads named for one transport are decided per transport
            conn.slow_read_s = self.plan.slow_read_upgrade_ms(self.venue, conn.conn_no) / 1000.0
        conn.transport.write(wsmod.handshake_reply(req.headers))
        wc = wsmod.WsConn(conn, _SessionAdapter(self, session))
        conn.ws = wc
        session.on_open(wc)
        wc.start(rest)

    def serve_ws(self, wc, session, payload: bytes, t0: int) -> None:
        quick = session.control(payload)
        if quick is not None:
            wc.send_text(quick)
            return
        faults = self.plan.for_request(self.venue, "ws", wc.proto.conn_no)
        if faults is None:
            out = session.handle(payload)
            if out is not None:
                us = (_perf() - t0) / 1000.0
                self.stats.add("ws", us)
                if self.ws_timing_field and out[-1:] == b"}":
                    out = out[:-1] + b',"simProcessingUs":%.1f}' % us
                wc.send_text(out)
            offer_replay(session, payload)   # (benchmarks) its dry form, replayed while idle
            return
        k = {f.kind: f for f in faults}
        kill = k.get("reset") or k.get("drop")
        if kill is not None and kill.phase == "before":
            wc.proto.abort(rst=kill.kind == "reset")
            return
        lim = k.get("418") or k.get("429")
        unknown = k.get("5xx")
        if lim is not None:
            out = session.fault_reply(lim.kind, payload, lim.retry)
        elif unknown is not None and unknown.phase == "before":
            out = session.fault_reply("5xx", payload, 0)
        else:
            out = session.handle(payload)
            if kill is not None:
                wc.proto.abort(rst=kill.kind == "reset")
                self._maybe_restart(k)
                return
            if unknown is not None:
                out = session.fault_reply("5xx", payload, 0)
            if "malformed" in k and out is not None:
                out = out[: max(1, len(out) // 2)] + b"\x00}"
        self.stats.add("ws", (_perf() - t0) / 1000.0)
        if out is None or "stall" in k:
            if "stall" in k and k["stall"].ms:
                self.loop.call_later(k["stall"].ms / 1000.0, wc.proto.abort)
            self._maybe_restart(k)
            return
        if "truncated" in k:
            data = wsmod.frame(wsmod.OP_TEXT, out)
            wc.transport.write(data[: len(data) // 2])
            wc.proto.abort()
            return
        lat = k.get("latency")
        delay = self.plan.delay_s(lat) if lat is not None else 0.0
        if lat is not None:
            self.loop.call_later(delay, wc.send_text, out)
        else:
            wc.send_text(out)
        notice = k.get("notice")
        if notice is not None and hasattr(session, "upgrade_notice"):   # after the reply, as a push
            self.loop.call_later(delay, session.upgrade_notice, notice.ms / 1000.0)
        self._maybe_restart(k)


class _SessionAdapter:
    """Glue between WsConn callbacks and the venue session + fault layer."""

    def __init__(self, site: VenueServer, session):
        self.site = site
        self.s = session
        for attr in ("ping_interval", "pong_timeout", "idle_timeout", "idle_close_code", "idle_close_reason",
                     "lifetime"):
            if hasattr(session, attr):
                setattr(self, attr, getattr(session, attr))
        if hasattr(session, "on_lifetime"):
            self.on_lifetime = session.on_lifetime

    def on_message(self, conn, payload: bytes, t0: int) -> None:
        self.site.serve_ws(conn, self.s, payload, t0)

    def on_close(self, conn) -> None:
        self.s.on_close(conn)


# what a plain-HTTP server sends back when a TLS ClientHello reaches it
_GARBAGE = (b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: 0\r\n"
            b"Connection: close\r\n\r\n")
# a TLS record: content type alert (21), TLS 1.2, length 2, level fatal (2), handshake_failure (40)
_ALERT = b"\x15\x03\x03\x00\x02\x02\x28"


class _Listener:
    """The listening socket of a site. Plain TCP: each accepted socket is handed to an
    :class:`HttpProtocol` (``connect_accepted_socket``). TLS: each accepted socket is numbered and its
    ``tls_fail`` decision drawn before any TLS byte is answered; then the loop's own TLS server takes it
    (with the site's certificate or one the client must reject), or a :class:`_Misbehave` protocol fails
    its handshake the way the fault's mode says."""

    def __init__(self, site: VenueServer):
        self.site = site
        self.loop = site.loop
        self.sockets: list[socket.socket] = []

    def listen(self, host: str, port: int) -> None:
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(1024)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self.sockets = [sock]
        self.loop.add_reader(sock.fileno(), self._on_accept, sock)

    def _on_accept(self, lsock: socket.socket) -> None:
        # a plain reader callback, not sock_accept(): nothing here can be cancelled between the accept and
        # the hand-over, so no accepted socket is ever dropped unclosed
        site = self.site
        for _ in range(64):
            try:
                sock, _ = lsock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:   # e.g. EMFILE: leave it in the backlog and look again in 10 ms
                self.loop.remove_reader(lsock.fileno())
                self.loop.call_later(0.01, self._resume, lsock)
                return
            sock.setblocking(False)
            site.conn_count += 1
            no = site.conn_count
            f = site.plan.tls_fault(site.venue, no) if site.ssl is not None and site.plan.faults else None
            if f is not None and f.mode not in CERT_MODES:
                gate: _Handshake | _Misbehave = _Misbehave(site, f)
            else:
                gate = _Handshake(site, no, site.ssl if f is None else site.ca.bad_server_context(f.mode))
            gate.sock = sock
            site.gates.add(gate)
            gate.task = self.loop.create_task(gate.run())

    def _resume(self, lsock: socket.socket) -> None:
        if self.sockets and lsock.fileno() >= 0:
            self.loop.add_reader(lsock.fileno(), self._on_accept, lsock)

    def close(self) -> None:
        for s in self.sockets:
            if s.fileno() >= 0:
                self.loop.remove_reader(s.fileno())
            s.close()
        self.sockets = []


class _Handshake:
    """An accepted connection on its way to its :class:`HttpProtocol`: at once over plain TCP, after the
    TLS handshake (``ctx``) over TLS."""

    def __init__(self, site: VenueServer, no: int, ctx):
        self.site = site
        self.no = no
        self.ctx = ctx
        self.sock: socket.socket | None = None   # ours until run() hands it to the loop
        self.task: asyncio.Task | None = None

    async def run(self) -> None:
        site = self.site
        sock, self.sock = self.sock, None
        proto = HttpProtocol(site)
        proto.accept_no = self.no   # site.register() numbers it as accepted
        tls = {} if self.ctx is None else {"ssl": self.ctx, "ssl_handshake_timeout": 10.0}
        try:
            await site.loop.connect_accepted_socket(lambda: proto, sock, **tls)
        except asyncio.CancelledError:
            raise
        except Exception:   # the client refused the certificate, or went away; the loop closed the socket
            pass
        finally:
            site.gates.discard(self)

    def abort(self) -> None:
        _abort_gate(self)


def _abort_gate(gate) -> None:
    """Stop a connection not yet handed over: close its socket if run() never started (a task cancelled
    before its first step never runs its body), and cancel the hand-over."""
    if gate.sock is not None:
        gate.sock.close()
        gate.sock = None
        gate.site.gates.discard(gate)
    if gate.task is not None:
        gate.task.cancel()


class _Misbehave(asyncio.Protocol):
    """A connection whose TLS handshake fails (``tls_fail``, modes reset/close/garbage/alert/stall): it waits
    for the client's ClientHello and answers it as the mode says."""

    def __init__(self, site: VenueServer, fault):
        self.site = site
        self.fault = fault
        self.transport = None
        self.sock: socket.socket | None = None   # ours until run() hands it to the loop
        self.task: asyncio.Task | None = None
        self.answered = False

    async def run(self) -> None:
        sock, self.sock = self.sock, None
        try:
            await self.site.loop.connect_accepted_socket(lambda: self, sock)
        except BaseException:   # the peer left already, or the site stops (the loop closed the socket)
            self.site.gates.discard(self)
            raise
        finally:
            self.task = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.answered or self.transport.is_closing():
            return
        self.answered = True
        f = self.fault
        mode = f.mode
        if mode == "stall":   # read the ClientHello (and whatever follows), never answer
            if f.ms:
                self.site.loop.call_later(f.ms / 1000.0, self.abort, False)
            return
        if mode == "garbage":
            self.transport.write(_GARBAGE)
        elif mode == "alert":
            self.transport.write(_ALERT)
        if mode == "reset":
            self.abort()
        else:
            self.transport.close()

    def abort(self, rst: bool = True) -> None:
        if self.transport is None:   # not connected yet
            _abort_gate(self)
            return
        if not self.transport.is_closing():
            if rst:
                set_linger0(self.transport)
            self.transport.abort()

    def connection_lost(self, exc) -> None:
        self.site.gates.discard(self)


def retry_after_as(hdrs: bytes, mode: str, retry: int) -> bytes:
    """A 429/418 reply's Retry-After as something in front of the venue (a CDN, a proxy) may write it:
    ``date`` an HTTP date `retry` s ahead (RFC 9110 allows either form), ``none`` no header at all, ``text`` a
    value that is neither (what a broken middlebox sends)."""
    if mode == "date":
        value = email.utils.formatdate(time.time() + retry, usegmt=True).encode()
    elif mode == "text":
        value = b"soon"
    elif mode == "none":
        value = None
    else:
        raise ValueError(f"429/418 mode must be date, none or text, not {mode!r}")
    hdrs = re.sub(rb"(?i)retry-after:[^\r]*\r\n", b"", hdrs)
    return hdrs if value is None else hdrs + b"Retry-After: " + value + b"\r\n"
