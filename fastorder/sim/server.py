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
import ipaddress
import time
from urllib.parse import parse_qs

import orjson

from . import ws as wsmod
from .common import ProcStats
from .faults import FaultPlan
from .http import HttpProtocol

_perf = time.perf_counter_ns
VENUES = ("binance", "okx", "htx")
WS_PATHS = {"binance": "/ws-api/v3", "okx": "/ws/v5/private", "htx": None}


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
        self.ws_timing_field = False  # opt-in: add "simProcessingUs" to every WS JSON reply

    async def start(self) -> None:
        self.server = await self.loop.create_server(lambda: HttpProtocol(self), self.host, self.port,
                                                    ssl=self.ssl, reuse_address=True, backlog=1024)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for c in list(self.conns):
            c.abort()
        if self.server is not None:
            await self.server.wait_closed()
            self.server = None

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
        self.conn_count += 1
        return self.conn_count

    def unregister(self, conn) -> None:
        self.conns.discard(conn)

    # -- HTTP ------------------------------------------------------------------------------------------
    def serve_http(self, conn: HttpProtocol, req) -> None:
        if req.path.startswith("/_sim/"):
            self._admin(conn, req)
            return
        faults = self.plan.for_request(self.venue, "rest", conn.conn_no)
        if faults is None:
            status, hdrs, body = self.app.handle_http(req)
            conn.write_reply(status, hdrs, body, req)
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
            self.loop.call_soon(lambda: asyncio.ensure_future(self.restart(r.ms / 1000.0)))

    def _admin(self, conn: HttpProtocol, req) -> None:
        q = {k: v[0] for k, v in parse_qs(req.query).items()}
        if req.path == "/_sim/orders":
            body = orjson.dumps(self.app.snapshot())
        elif req.path == "/_sim/stats":
            s = {"venue": self.venue, "processing_us": self.stats.summary(), "restarts": self.restarts,
                 "connections": len(self.conns), "faults_fired": len(self.plan.log)}
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
        if factory is None:
            conn.write_reply(404, b"", b"", None, close=True)
            return
        err = wsmod.handshake_error(req.headers, req.method)
        if err is not None:
            hdr = b"Sec-WebSocket-Version: 13\r\n" if err[0] == 426 else b""
            conn.write_reply(err[0], hdr, err[1], None, close=True)
            return
        session = factory(req)
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
        if lat is not None:
            self.loop.call_later(self.plan.delay_s(lat), wc.send_text, out)
        else:
            wc.send_text(out)
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
