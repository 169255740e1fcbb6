"""Binance's piece of the private order stream (fastorder.venues.stream): the user data stream over the
WebSocket API.

An Ed25519 key logs the stream's connection on (`session.logon`) and sends `userDataStream.subscribe`; an HMAC
key cannot log on, so it sends `userDataStream.subscribe.signature` (apiKey, timestamp, recvWindow, signature
over the sorted params). Control frames: `eventStreamTerminated` (the subscription ended: resubscribe) and
`serverShutdown` (the connection will close: reconnect now). Sources: docs/venues/binance.md.
"""

from __future__ import annotations

from typing import Any

import orjson

from fastorder._core.buffer import WriteBuffer
from fastorder.errors import VenueError


class BinanceStreamPart:
    id_pattern = b'"id":'

    def __init__(self, session: Any) -> None:
        self.s = session
        self.url = session._ws_url
        ws = session.ws if session.ws is not None else None
        self.tls: Any = None
        if (ws.tls if ws is not None else self.url.startswith("wss://")):
            self.tls = session._ssl or True
        self._buf = WriteBuffer()

    async def _call(self, conn: Any, rid: int, frame: bytes) -> dict:
        reply = orjson.loads(await conn.request(str(rid).encode(), frame, timeout=self.s.timeout))
        if reply.get("status") != 200:
            err = reply.get("error") or {}
            raise VenueError("binance", err.get("code"), str(err.get("msg", "")), http_status=reply.get("status"))
        return reply.get("result") or {}

    async def subscribe(self, conn: Any, again: bool = False) -> int:
        s = self.s
        rid = s.next_request_id()
        if s.ed25519:
            if not again:
                buf = self._buf
                buf.clear()
                s._ws_enc.session_logon(buf, rid, timestamp=s.now_ms())
                await self._call(conn, rid, buf.getvalue())
                rid = s.next_request_id()
            frame = orjson.dumps({"id": rid, "method": "userDataStream.subscribe"})
        else:
            params: dict[str, Any] = {"apiKey": s._ws_enc.api_key, "timestamp": s.now_ms()}
            if s.recv_window:
                params["recvWindow"] = s.recv_window
            text = "&".join(f"{k}={params[k]}" for k in sorted(params)).encode()
            params["signature"] = s._signer.hexdigest(text)
            frame = orjson.dumps({"id": rid, "method": "userDataStream.subscribe.signature", "params": params})
        result = await self._call(conn, rid, frame)
        return int(result.get("subscriptionId", 0))

    def control(self, stream: Any, payload: bytes) -> None:
        msg = orjson.loads(payload)
        ev = msg.get("event") if isinstance(msg, dict) else None
        kind = ev.get("e") if isinstance(ev, dict) else None
        if kind == "eventStreamTerminated":
            stream.down("the venue ended the subscription (eventStreamTerminated)")
        elif kind == "serverShutdown" and stream.conn is not None:
            conn, stream.conn = stream.conn, None
            conn.abort()
            stream.down("the venue is shutting the connection down (serverShutdown)")
