"""A hostile server behind a venue session (the transport layer's own tests cover the parsers; these are what
a caller of `fastorder.connect` sees).

The session connects, through a small proxy written here with raw asyncio sockets, to the real simulator,
so it starts as it would against the venue. Then the proxy is armed: the next order request is passed on
to the simulator (the order exists) or swallowed (it never arrives), and instead of the venue's reply the
connection gets garbage, a header flood, an endless chunked body, a lying Content-Length, a WebSocket
frame claiming an absurd length, a frame that lies about its length and closes, or frame garbage.

Every order must end, within bounded time, as a reconciled acknowledgement equal to the simulator's
record (the order reached the venue) or ExecutionUnknown with its client id (it never did) — never a hang,
a crash or an untyped error; the endless replies must be cut off by the client's own limits (bounded bytes
accepted, bounded memory); and the session must keep working afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import struct

import pytest

import fastorder
from fastorder.errors import ExecutionUnknown
from fastorder.sim import BinanceLimits, Simulator, creds

ACCOUNTS = {
    "binance": dict(key=creds.BINANCE_HMAC_KEY, secret=creds.BINANCE_HMAC_SECRET),
    "okx": dict(key=creds.OKX_KEY, secret=creds.OKX_SECRET, passphrase=creds.OKX_PASSPHRASE),
    "htx": dict(key=creds.HTX_KEY, secret=creds.HTX_SECRET),
}
SYMBOL = {"binance": "BTCUSDT", "okx": "BTC-USDT", "htx": "btcusdt"}
REST_ORDER = (b"POST /api/v3/order", b"POST /api/v5/trade/order", b"POST /v1/order/orders/place")
WS_ORDER = (b'"order.place"', b'"op":"order"')
CAP = 256 * 1024 * 1024      # what an endless reply would send at most if nobody stopped it
BOUND = 48 * 1024 * 1024     # what the client may accept / grow by before its limits cut it off
CHUNK = 64 * 1024


def _endless(head: bytes, unit: bytes):
    def gen():
        yield head
        block = unit * max(1, CHUNK // len(unit))
        while True:
            yield block
    gen.closes = False
    return gen


def _once(*parts: bytes, close: bool = True):
    def gen():
        yield from parts
        if close:
            yield None   # then FIN
    gen.closes = close   # else: silence, and the client must close the connection itself
    return gen


_CHUNK_BODY = b"4000\r\n" + b" " * 0x4000 + b"\r\n"
REST_BEHAVIOURS = {
    # bytes that are not HTTP, and then silence: the client must act on the parse error, not wait for EOF
    "garbage": _once(b"\x00\x16\x03\x01 NOT HTTP AT ALL \xff\xfe\r\n\r\n{", close=False),
    "header flood": _endless(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n", b"X-Flood: " + b"a" * 1000 + b"\r\n"),
    "endless chunked": _endless(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                                _CHUNK_BODY),
    "length lie": _once(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"sym"),
}
WS_BEHAVIOURS = {
    # FIN text frame, 64-bit length 2^62, then data forever
    "huge length": _endless(b"\x81\x7f" + struct.pack("!Q", 1 << 62), b"x"),
    # says 1000 bytes, sends 10, closes
    "length lie": _once(b"\x81\x7e" + struct.pack("!H", 1000) + b'{"id":"12"'),
    # reserved bits and an unknown opcode, then silence
    "frame garbage": _once(b"\xf3\x05hello\xff\xff\xff\xff", close=False),
}


class HostileProxy:
    """Passes bytes between the session and the simulator until armed; then the next order request is
    forwarded (or swallowed) and that connection's replies are replaced by `behaviour`."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.armed: tuple | None = None
        self.hostile_sent = 0
        self.cut_off = False      # the client closed the hostile connection before the proxy stopped
        self.fired = asyncio.Event()
        self.done = asyncio.Event()
        self.tasks: set[asyncio.Task] = set()
        self.writers: list[asyncio.StreamWriter] = []

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._conn, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self.server.close()
        for t in list(self.tasks):
            t.cancel()
        for w in self.writers:
            w.transport.abort()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def arm(self, behaviour, *, forward: bool) -> None:
        self.armed = (behaviour, forward)

    def _spawn(self, coro) -> None:
        t = asyncio.ensure_future(coro)
        self.tasks.add(t)
        t.add_done_callback(self.tasks.discard)

    def _is_order(self, data: bytes) -> bool:
        if data.startswith(REST_ORDER):
            return True
        payload = _unmask_first_frame(data)
        return payload is not None and any(m in payload for m in WS_ORDER)

    async def _conn(self, cr: asyncio.StreamReader, cw: asyncio.StreamWriter) -> None:
        self.writers.append(cw)
        ur, uw = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        self.writers.append(uw)
        hostile = False
        client_gone = asyncio.Event()

        async def up() -> None:
            nonlocal hostile
            try:
                while data := await cr.read(65536):
                    if self.armed is not None and not hostile and self._is_order(data):
                        behaviour, forward = self.armed
                        self.armed = None
                        hostile = True
                        if forward:
                            uw.write(data)
                        self.fired.set()
                        self._spawn(self._misbehave(behaviour, cw, client_gone))
                    elif not hostile:
                        uw.write(data)
            except (ConnectionError, OSError):
                pass
            finally:
                client_gone.set()
                uw.close()

        async def down() -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await ur.read(65536):
                    if not hostile:   # the venue's replies on a hostile connection are dropped
                        cw.write(data)
            if not hostile:
                cw.close()

        self._spawn(up())
        self._spawn(down())

    async def _misbehave(self, behaviour, cw: asyncio.StreamWriter, client_gone: asyncio.Event) -> None:
        try:
            for part in behaviour():
                if part is None:
                    cw.close()
                    return
                if client_gone.is_set():
                    self.cut_off = True
                    return
                cw.write(part)
                self.hostile_sent += len(part)
                await cw.drain()
                if self.hostile_sent >= CAP:
                    return
            # silence after the bytes: the client must give up on the connection by itself
            await asyncio.wait_for(client_gone.wait(), 5)
            self.cut_off = True
        except (ConnectionError, OSError):
            self.cut_off = True
        finally:
            self.done.set()


def _unmask_first_frame(data: bytes) -> bytes | None:
    """The payload of the masked client frame at the start of `data` (None if it is not one)."""
    if len(data) < 6 or not data[1] & 0x80:
        return None
    n = data[1] & 0x7F
    pos = 2
    if n == 126:
        n, pos = struct.unpack("!H", data[2:4])[0], 4
    elif n == 127:
        n, pos = struct.unpack("!Q", data[2:10])[0], 10
    mask = data[pos:pos + 4]
    body = data[pos + 4:pos + 4 + n]
    return bytes(b ^ mask[i % 4] for i, b in enumerate(body))


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextlib.asynccontextmanager
async def _setup(venue: str, transport: str):
    async with Simulator(venues=(venue,), seed=1, binance_limits=BinanceLimits(enabled=False), okx_limit_per_2s=0,
                         htx_limit_per_2s=0) as sim:
        proxy = HostileProxy(sim.port(venue))
        port = await proxy.start()
        url = sim.url(venue, "rest").replace(str(sim.port(venue)), str(port))
        kw = dict(ACCOUNTS[venue], url=url, timeout=0.6, connections=1, acceptance_window_ms=2000)
        if transport == "ws":
            kw["ws_url"] = sim.url(venue, "ws").replace(str(sim.port(venue)), str(port))
        errors: list = []
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, ctx: errors.append(ctx))
        try:
            async with fastorder.connect(venue, transport, **kw) as s:
                yield sim, proxy, s, errors
        finally:
            await proxy.close()


def _run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


async def _order_through(venue: str, transport: str, behaviour, forward: bool) -> None:
    async with _setup(venue, transport) as (sim, proxy, s, errors):
        await s.place_order(SYMBOL[venue], "buy", "0.001", "46000", tif="GTC")   # warm: all is well
        rss0 = _rss()
        proxy.arm(behaviour, forward=forward)
        clid = s.ids.next()
        try:
            ack = await asyncio.wait_for(
                s.place_order(SYMBOL[venue], "buy", "0.001", "46000", tif="GTC", client_order_id=clid), 15)
        except ExecutionUnknown as exc:   # only right when the venue never saw the order
            assert not forward, f"the order reached the venue but was not reconciled: {exc}"
            assert exc.client_order_id == clid
            assert sim.order(venue, client_order_id=clid) is None
        else:
            assert forward, "an order the venue never saw was reported as placed"
            assert ack.reconciled and ack.client_order_id == clid
            real = sim.order(venue, client_order_id=clid)
            assert real is not None and str(real["order_id"]) == str(ack.order_id)
        assert proxy.fired.is_set(), "the hostile reply was never served"
        await asyncio.wait_for(proxy.done.wait(), 10)
        assert proxy.hostile_sent < BOUND, f"the client accepted {proxy.hostile_sent} hostile bytes"
        if not behaviour.closes:   # endless bytes or silence: the client itself ended the connection
            assert proxy.cut_off
        assert _rss() - rss0 < BOUND, "memory grew without bound"
        # the session heals and keeps trading
        for _ in range(50):
            try:
                ack = await s.place_order(SYMBOL[venue], "buy", "0.001", "46000", tif="GTC")
                break
            except fastorder.errors.ConnectionLost:
                await asyncio.sleep(0.1)
        assert not ack.reconciled
        assert not errors, f"unhandled errors on the loop: {errors}"


REST_PATHS = ["binance", "okx", "htx"]


@pytest.mark.parametrize("venue", REST_PATHS)
@pytest.mark.parametrize("name", list(REST_BEHAVIOURS))
def test_rest_hostile_reply_after_the_order_reached_the_venue(venue, name):
    _run(_order_through(venue, "rest", REST_BEHAVIOURS[name], forward=True))


@pytest.mark.parametrize("name", ["garbage", "endless chunked"])
def test_rest_hostile_reply_to_an_order_the_venue_never_saw(name):
    _run(_order_through("binance", "rest", REST_BEHAVIOURS[name], forward=False))


@pytest.mark.parametrize("venue", ["binance", "okx"])
@pytest.mark.parametrize("name", list(WS_BEHAVIOURS))
def test_ws_hostile_frames_after_the_order_reached_the_venue(venue, name):
    _run(_order_through(venue, "ws", WS_BEHAVIOURS[name], forward=True))


@pytest.mark.parametrize("name", ["huge length", "length lie"])
def test_ws_hostile_frames_to_an_order_the_venue_never_saw(name):
    _run(_order_through("okx", "ws", WS_BEHAVIOURS[name], forward=False))
