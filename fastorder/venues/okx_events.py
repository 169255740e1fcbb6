"""OKX's piece of the private order stream (fastorder.venues.stream): the `orders` channel of the private
WebSocket. The stream's own connection logs in (`login`, the same signed op the order connections use), then
subscribes `{"channel":"orders","instType":"SPOT"}` (a swap session: "SWAP"); both replies are events without a request id, read here
as control frames. OKX closes a connection that carries nothing for 30 s: the stream sends the text `ping`
every 20 s (answered `pong`). Sources: docs/venues/okx.md.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from fastorder._core.buffer import WriteBuffer
from fastorder.errors import VenueError


class OkxStreamPart:
    id_pattern = b'"id":'
    ping_interval = 20.0
    ping_frame = "ping"

    def __init__(self, session: Any) -> None:
        self.s = session
        self.url = session._ws_url
        self.tls: Any = (session._ssl or True) if self.url.startswith("wss://") else None
        self._waiting: tuple[str, asyncio.Future] | None = None
        self._buf = WriteBuffer()

    async def _await_event(self, conn: Any, frame: bytes | str, event: str) -> dict:
        fut = asyncio.get_running_loop().create_future()
        self._waiting = (event, fut)
        try:
            conn.send(frame)
            msg = await asyncio.wait_for(fut, self.s.timeout)
        finally:
            self._waiting = None
        if msg.get("event") == "error" or msg.get("code") not in (None, "0"):
            raise VenueError("okx", msg.get("code"), str(msg.get("msg", "")))
        return msg

    async def subscribe(self, conn: Any, again: bool = False) -> int:
        s = self.s
        if not again:
            buf = self._buf
            buf.clear()
            s._ws_enc.login(buf, timestamp_s=int(s.now_ms() // 1000))
            await self._await_event(conn, buf.getvalue(), "login")
        await self._await_event(conn, orjson.dumps({"op": "subscribe",
                                                    "args": [{"channel": "orders", "instType": s.inst_type}]}),
                                "subscribe")
        return 0

    def control(self, stream: Any, payload: bytes) -> None:
        if payload == b"pong":
            return
        msg = orjson.loads(payload)
        if not isinstance(msg, dict):
            return
        ev = msg.get("event")
        w = self._waiting
        if w is not None and ev in (w[0], "error") and not w[1].done():
            w[1].set_result(msg)
        elif ev == "notice" and msg.get("code") == "64008" and stream.conn is not None:
            conn, stream.conn = stream.conn, None   # a service upgrade will close it: move now
            conn.abort()
            stream.down("the venue announced a service upgrade (64008)")
