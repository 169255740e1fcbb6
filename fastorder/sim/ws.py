"""Server side of RFC 6455 WebSocket, written here (no third-party server library).

Handshake validation, masked client frames (unmasked ones are a protocol error, 1002), fragmentation,
ping/pong/close control frames, text-only messages (binary -> 1003), size cap (1009), no extensions
(permessage-deflate is not negotiated, so clients fall back to uncompressed frames, as the venues' order
APIs expect). Keep-alive policy (server pings, pong deadline, idle close, connection lifetime) is supplied
by the venue session.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import time

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_perf = time.perf_counter_ns
MAX_MESSAGE = 1 << 20

OP_CONT, OP_TEXT, OP_BIN, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


def accept_key(key: bytes) -> bytes:
    return base64.b64encode(hashlib.sha1(key + _GUID).digest())


def handshake_error(headers: dict, method: str) -> tuple[int, bytes] | None:
    """None if the upgrade request is valid, else (HTTP status, message)."""
    if method != "GET":
        return 405, b"WebSocket upgrade requires GET"
    if b"websocket" not in headers.get(b"upgrade", b"").lower():
        return 400, b"missing Upgrade: websocket"
    if b"upgrade" not in headers.get(b"connection", b"").lower():
        return 400, b"missing Connection: Upgrade"
    if headers.get(b"sec-websocket-version", b"").strip() != b"13":
        return 426, b"unsupported Sec-WebSocket-Version"
    key = headers.get(b"sec-websocket-key", b"").strip()
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            raise ValueError
    except ValueError:
        return 400, b"bad Sec-WebSocket-Key"
    return None


def handshake_reply(headers: dict) -> bytes:
    key = headers[b"sec-websocket-key"].strip()
    return (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept_key(key) + b"\r\n\r\n")


def frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """An unmasked (server-to-client) frame."""
    n = len(payload)
    b0 = (0x80 if fin else 0) | opcode
    if n < 126:
        return bytes((b0, n)) + payload
    if n < 65536:
        return struct.pack("!BBH", b0, 126, n) + payload
    return struct.pack("!BBQ", b0, 127, n) + payload


def unmask(payload: bytes, mask: bytes) -> bytes:
    n = len(payload)
    if not n:
        return b""
    m = (mask * ((n >> 2) + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(m, "big")).to_bytes(n, "big")


try:   # the same XOR, typed (fastorder/sim/_fast.pyx)
    from ._fast import unmask  # noqa: F811
except ImportError:  # pragma: no cover - not built
    pass


class WsConn:
    """One upgraded connection. ``proto`` is the HttpProtocol it replaced; ``session`` the venue logic.

    The session must provide ``on_message(conn, payload: bytes, t0: int)`` and ``on_close(conn)``, and may set
    ``ping_interval``, ``pong_timeout``, ``idle_timeout``, ``idle_close_code``, ``lifetime`` (seconds, 0 = off)
    and ``on_lifetime(conn)``.
    """

    def __init__(self, proto, session):
        self.proto = proto
        self.transport = proto.transport
        self.loop = proto.loop
        self.session = session
        self.buf = bytearray()
        self.frag_op = 0
        self.frag: list[bytes] = []
        self.closing = False
        self.closed = False
        self.last_rx = time.monotonic()
        self.last_pong = time.monotonic()
        self.timers = []
        self.pings_sent = 0
        self.pongs_received = 0
        self.created = time.monotonic()

    # -- lifecycle ---------------------------------------------------------------------------------------
    def start(self, initial: bytes) -> None:
        s = self.session
        if getattr(s, "ping_interval", 0):
            self.timers.append(self.loop.call_later(s.ping_interval, self._ping_tick))
        if getattr(s, "idle_timeout", 0):
            self.timers.append(self.loop.call_later(s.idle_timeout, self._idle_tick))
        if getattr(s, "lifetime", 0):
            self.timers.append(self.loop.call_later(s.lifetime, self._lifetime))
        if initial:
            self.feed(initial)

    def _ping_tick(self):
        if self.closed or self.closing:
            return
        s = self.session
        now = time.monotonic()
        if self.pings_sent and now - self.last_pong > s.pong_timeout:
            self.close(1000, b"pong timeout")  # Binance: no pong within the deadline -> disconnect
            return
        self.pings_sent += 1
        self.send_frame(OP_PING, str(int(time.time() * 1000)).encode())
        self.timers.append(self.loop.call_later(s.ping_interval, self._ping_tick))

    def _idle_tick(self):
        if self.closed or self.closing:
            return
        s = self.session
        idle = time.monotonic() - self.last_rx
        if idle >= s.idle_timeout:
            self.close(getattr(s, "idle_close_code", 1000), getattr(s, "idle_close_reason", b"idle"))
            return
        self.timers.append(self.loop.call_later(s.idle_timeout - idle, self._idle_tick))

    def _lifetime(self):
        if self.closed or self.closing:
            return
        cb = getattr(self.session, "on_lifetime", None)
        if cb is not None:
            cb(self)
        self.close(1000, b"")

    def connection_lost(self):
        self.closed = True
        for t in self.timers:
            t.cancel()
        self.timers.clear()
        self.session.on_close(self)

    # -- sending -----------------------------------------------------------------------------------------
    def send_text(self, payload: bytes) -> None:
        if not self.closed and not self.closing:
            self.transport.write(frame(OP_TEXT, payload))

    def send_frame(self, opcode: int, payload: bytes) -> None:
        if not self.closed:
            self.transport.write(frame(opcode, payload))

    def close(self, code: int = 1000, reason: bytes = b"") -> None:
        """Send a close frame and close the TCP connection shortly after (the client should answer)."""
        if self.closed or self.closing:
            return
        self.closing = True
        self.transport.write(frame(OP_CLOSE, struct.pack("!H", code) + reason[:120]))
        self.timers.append(self.loop.call_later(1.0, self._force_close))

    def _force_close(self):
        if not self.closed:
            self.proto.abort()

    # -- receiving ---------------------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        t0 = self.proto._chunk_t
        buf = self.buf
        buf += data
        self.last_rx = time.monotonic()
        while not self.closed:
            n = len(buf)
            if n < 2:
                return
            b0 = buf[0]
            b1 = buf[1]
            ln = b1 & 0x7F
            pos = 2
            if ln == 126:
                if n < 4:
                    return
                ln = (buf[2] << 8) | buf[3]
                pos = 4
            elif ln == 127:
                if n < 10:
                    return
                ln = int.from_bytes(buf[2:10], "big")
                pos = 10
            if not b1 & 0x80:
                self._fail(1002, b"client frames must be masked")
                return
            if b0 & 0x70:
                self._fail(1002, b"reserved bits set")
                return
            if ln > MAX_MESSAGE:
                self._fail(1009, b"message too big")
                return
            end = pos + 4 + ln
            if n < end:
                return
            payload = unmask(bytes(buf[pos + 4:end]), bytes(buf[pos:pos + 4]))
            del buf[:end]
            self._frame(b0 & 0x80, b0 & 0x0F, payload, t0)

    def _fail(self, code: int, reason: bytes) -> None:
        self.buf.clear()
        self.close(code, reason)

    def _frame(self, fin: int, op: int, payload: bytes, t0: int) -> None:
        if op >= 8:
            if not fin or len(payload) > 125:
                self._fail(1002, b"bad control frame")
            elif op == OP_PING:
                self.send_frame(OP_PONG, payload)
            elif op == OP_PONG:
                self.pongs_received += 1
                self.last_pong = time.monotonic()
            elif op == OP_CLOSE:
                if not self.closing:
                    self.closing = True
                    code = payload[:2] if len(payload) >= 2 else b""
                    self.transport.write(frame(OP_CLOSE, code))
                self.proto.abort()
            else:
                self._fail(1002, b"unknown opcode")
            return
        if op == OP_CONT:
            if not self.frag_op:
                self._fail(1002, b"unexpected continuation")
                return
            self.frag.append(payload)
            if sum(map(len, self.frag)) > MAX_MESSAGE:
                self._fail(1009, b"message too big")
                return
            if not fin:
                return
            op = self.frag_op
            payload = b"".join(self.frag)
            self.frag_op = 0
            self.frag = []
        elif self.frag_op:
            self._fail(1002, b"expected continuation")
            return
        elif not fin:
            if op not in (OP_TEXT, OP_BIN):
                self._fail(1002, b"unknown opcode")
                return
            self.frag_op = op
            self.frag = [payload]
            return
        if op == OP_TEXT:
            if self.closing:
                return
            self.session.on_message(self, payload, t0)
        elif op == OP_BIN:
            self._fail(1003, b"binary frames not supported")
        else:
            self._fail(1002, b"unknown opcode")
