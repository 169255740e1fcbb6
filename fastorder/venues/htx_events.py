"""HTX's piece of the private order stream (fastorder.venues.stream): the v2 WebSocket (`/ws/v2`, plain-text
JSON), which carries account and order updates but takes no orders. `auth` with signature version 2.1
(`GET\\n{host}\\n/ws/v2\\n` + the sorted, URL-encoded accessKey, signatureMethod, signatureVersion, timestamp;
HmacSHA256 or Ed25519, base64), then `sub` `orders#*` (every symbol; the channel HTX documents as keeping the
order of events). The server's `{"action":"ping","data":{"ts":N}}` is answered `{"action":"pong",
"data":{"ts":N}}`. Sources: docs/venues/htx.md.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import quote, urlsplit

import orjson

from fastorder._core.htx import htx_timestamp
from fastorder._core.sign import Ed25519Signer
from fastorder.errors import VenueError


class HtxStreamPart:
    id_pattern = b'"cid":'   # HTX v2 replies carry no request id: everything comes through control()

    def __init__(self, session: Any) -> None:
        self.s = session
        self.url = session._ws_url or session.default_events_url
        u = urlsplit(self.url)
        self.tls: Any = (session._ssl or True) if u.scheme == "wss" else None
        default = 443 if u.scheme == "wss" else 80
        host = (u.hostname or "").lower()
        self.host = host if (u.port or default) == default else f"{host}:{u.port}"
        self._waiting: tuple[str, asyncio.Future] | None = None

    async def _await(self, conn: Any, frame: bytes, ch: str) -> dict:
        fut = asyncio.get_running_loop().create_future()
        self._waiting = (ch, fut)
        try:
            conn.send(frame)
            msg = await asyncio.wait_for(fut, self.s.timeout)
        finally:
            self._waiting = None
        if msg.get("code") != 200:
            raise VenueError("htx", msg.get("code"), str(msg.get("message", "")))
        return msg

    def auth_frame(self, now_s: int) -> bytes:
        s = self.s
        ed = isinstance(s._signer, Ed25519Signer)
        params = {"accessKey": s._key.value, "signatureMethod": "Ed25519" if ed else "HmacSHA256",
                  "signatureVersion": "2.1", "timestamp": htx_timestamp(now_s)}
        text = ("GET\n" + self.host + "\n/ws/v2\n"
                + "&".join(f"{k}={quote(v, safe='')}" for k, v in sorted(params.items()))).encode()
        sig = s._signer.b64sign(text) if ed else s._signer.b64digest(text)
        return orjson.dumps({"action": "req", "ch": "auth", "params": {"authType": "api", **params,
                                                                       "signature": sig}})

    async def subscribe(self, conn: Any, again: bool = False) -> int:
        if not again:
            await self._await(conn, self.auth_frame(int(self.s.now_ms() // 1000)), "auth")
        await self._await(conn, b'{"action":"sub","ch":"orders#*"}', "orders#*")
        return 0

    def control(self, stream: Any, payload: bytes) -> None:
        msg = orjson.loads(payload)
        if not isinstance(msg, dict):
            return
        action = msg.get("action")
        if action == "ping":
            conn = stream.conn
            if conn is not None:
                conn.send(orjson.dumps({"action": "pong", "data": msg.get("data") or {"ts": int(time.time() * 1000)}}))
            return
        w = self._waiting
        if w is not None and msg.get("ch") == w[0] and not w[1].done():
            w[1].set_result(msg)
