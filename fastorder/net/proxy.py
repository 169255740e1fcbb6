"""A delaying TCP proxy on a loopback address: it stands in for a network path with a given round trip
where netem is unavailable (no root, or a kernel without sch_netem), so address selection can be tested
and demonstrated on one machine. Each direction holds every chunk for half the delay, so the round trip grows
by `delay_ms`. Loopback only.
"""

from __future__ import annotations

import asyncio
import ipaddress


class _Pipe(asyncio.Protocol):
    def __init__(self, proxy: DelayProxy, peer: _Pipe | None = None) -> None:
        self.proxy, self.peer, self.transport = proxy, peer, None
        self.pending: list[bytes] = []

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.proxy.pipes.add(self)
        if self.peer is None:   # the client side: open the upstream side now
            self.transport.pause_reading()
            asyncio.ensure_future(self._connect())
        else:
            self.peer.peer = self
            self.peer.transport.resume_reading()

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.create_connection(lambda: _Pipe(self.proxy, self), *self.proxy.target)
        except OSError:
            self.transport.close()

    def _forward(self, data: bytes) -> None:
        t = self.peer.transport if self.peer is not None else None
        if t is not None and not t.is_closing():
            t.write(data)

    def data_received(self, data: bytes) -> None:
        half = self.proxy.delay_ms / 2000
        if half > 0:
            asyncio.get_running_loop().call_later(half, self._forward, data)
        else:
            self._forward(data)

    def connection_lost(self, exc) -> None:
        self.proxy.pipes.discard(self)
        peer = self.peer
        if peer is not None and peer.transport is not None and not peer.transport.is_closing():
            asyncio.get_running_loop().call_later(self.proxy.delay_ms / 2000, peer.transport.close)


class DelayProxy:
    """`async with DelayProxy(("127.0.0.3", 0), ("127.0.0.1", 8881), delay_ms=2) as p: p.port`"""

    def __init__(self, listen: tuple[str, int], target: tuple[str, int], delay_ms: float = 0.0) -> None:
        for host in (listen[0], target[0]):
            if not ipaddress.ip_address(host).is_loopback:
                raise ValueError(f"DelayProxy is for loopback addresses only, not {host!r}")
        self.listen, self.target, self.delay_ms = listen, target, delay_ms
        self.server: asyncio.AbstractServer | None = None
        self.pipes: set[_Pipe] = set()

    @property
    def address(self) -> str:
        return self.listen[0]

    @property
    def port(self) -> int:
        return self.server.sockets[0].getsockname()[1]

    async def __aenter__(self) -> DelayProxy:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: _Pipe(self), *self.listen)
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.close()
        for p in list(self.pipes):
            if p.transport is not None:
                p.transport.abort()
        await self.server.wait_closed()
        await asyncio.sleep(0)   # let connection_lost run
