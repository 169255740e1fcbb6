"""Binance USDⓈ-M futures' piece of the private order stream (fastorder.venues.stream): the listenKey user data
stream. Sources: docs/venues/binance-futures.md ("User data stream").

- before each connection: ``POST /fapi/v1/listenKey`` (API key header, no signature) gives the key (the
  account's active one, or a new one); the stream is a WebSocket to ``<stream host>/private/ws/<listenKey>``
  (the /private base the venue moved user data to in 2026; the plain /ws path is retired). Nothing is sent on
  it: connecting subscribes.
- a keepalive ``PUT /fapi/v1/listenKey`` every `keepalive_s` (the key lives 60 minutes past the last one); a
  -1125 reply (the key is gone) or a ``listenKeyExpired`` event drops the connection, and the stream's recovery
  makes a new key, reconnects and closes the gap with its REST snapshot, as on spot.
- ``ORDER_TRADE_UPDATE`` is decoded by the compiled decoder (fastorder._core.events.decode_binance_futures);
  ``ACCOUNT_UPDATE`` here, into an `AccountUpdate` (balances and positions) passed to the same consumers.
- on close: ``DELETE /fapi/v1/listenKey``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import orjson

from fastorder.errors import VenueError
from fastorder.events import AccountUpdate
from fastorder.types import Balance, Latency, Position

log = logging.getLogger("fastorder.events")
VENUE = "binance_futures"
STREAM_HOSTS = {   # the WebSocket API host -> its user data stream host
    "ws-fapi.binance.com": "wss://fstream.binance.com",
    "testnet.binancefuture.com": "wss://fstream.binancefuture.com",
}
_PSIDE_NAME = {"BOTH": "net", "LONG": "long", "SHORT": "short"}


def stream_base(ws_api_url: str) -> str:
    """The user data stream's scheme://host[:port] for a WebSocket API URL (a simulator's: the same host)."""
    u = urlsplit(ws_api_url)
    return STREAM_HOSTS.get(u.hostname or "", f"{u.scheme}://{u.netloc}")


def account_update(d: dict, recv_ns: int) -> AccountUpdate:
    """An ACCOUNT_UPDATE event (Event: Balance and Position Update) as an AccountUpdate."""
    a = d.get("a")
    if not isinstance(a, dict):
        raise ValueError("ACCOUNT_UPDATE without its update (a)")
    bals = []
    for b in a.get("B") or ():
        if isinstance(b, dict) and isinstance(b.get("a"), str):
            # wb: the wallet balance; cw: the cross wallet balance (the wallet less isolated margin)
            bals.append(Balance(b["a"], str(b.get("cw", "")), str(b.get("wb", ""))))
    poss = []
    for p in a.get("P") or ():
        if isinstance(p, dict) and isinstance(p.get("s"), str):
            amt = str(p.get("pa", ""))
            poss.append(Position(VENUE, p["s"], _PSIDE_NAME.get(str(p.get("ps", "")), "net"), amt, amt,
                                 str(p.get("ep", "")), "", str(p.get("up", "")), None,
                                 {"isolated": "isolated", "cross": "cross"}.get(str(p.get("mt", "")), ""), p))
    ts = d.get("E")
    return AccountUpdate(VENUE, str(a.get("m", "")), tuple(bals), tuple(poss),
                         ts if isinstance(ts, int) and not isinstance(ts, bool) else None, recv_ns)


class BinanceFuturesStreamPart:
    id_pattern = b'"id":'
    #: seconds between keepalives (the key is valid 60 minutes past the last one)
    keepalive_s = 1800.0

    def __init__(self, session: Any) -> None:
        self.s = session
        self.base = stream_base(session._ws_url)
        self.tls: Any = (session._ssl or True) if self.base.startswith("wss://") else None
        self.listen_key = ""
        self.stream: Any = None
        self._keeper: asyncio.Task | None = None

    @property
    def url(self) -> str:
        return f"{self.base}/private/ws/{self.listen_key}"

    async def _call(self, method: str) -> dict:
        s = self.s
        raw = (f"{method} /fapi/v1/listenKey HTTP/1.1\r\nHost: {s.rest.host_header}\r\nX-MBX-APIKEY: "
               f"{s._rest_enc.api_key}\r\nContent-Length: 0\r\n\r\n").encode("ascii")
        await s.ledger.acquire("account", max(s.timeout, 1.0))   # weight 1, on the IP's request weight
        resp = await s.rest_send(raw, Latency(), time.perf_counter_ns())
        try:
            d = orjson.loads(resp.body) if resp.body else {}
        except orjson.JSONDecodeError:
            raise VenueError(VENUE, resp.status, "listenKey: a reply that is not JSON") from None
        if resp.status != 200 or not isinstance(d, dict) or (isinstance(d.get("code"), int) and d["code"] < 0):
            code = d.get("code") if isinstance(d, dict) else None
            msg = str(d.get("msg", "")) if isinstance(d, dict) else ""
            err = s._error_for(code if isinstance(code, int) else None, msg, resp.status, None, action="account")
            raise getattr(err, "cause", err)
        return d

    async def prepare(self, stream: Any) -> None:
        """Before each connection: the listenKey to connect with; the keepalive runs from the first one."""
        self.stream = stream
        d = await self._call("POST")
        key = d.get("listenKey")
        if not isinstance(key, str) or not key or not key.isascii() or "/" in key or "?" in key:
            raise VenueError(VENUE, "reply", "listenKey: no key in the reply")
        self.listen_key = key
        if self._keeper is None or self._keeper.done():
            self._keeper = asyncio.get_running_loop().create_task(self._keepalive())

    async def subscribe(self, conn: Any, again: bool = False) -> int:
        if again:   # the key ended with the connection still open: a new key needs a new connection
            raise ConnectionError("the listenKey ended: reconnect with a new one")
        return 0

    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(self.keepalive_s)
            try:
                await self._call("PUT")
            except asyncio.CancelledError:
                raise
            except VenueError as exc:
                log.warning("%s stream: keepalive refused (%s): reconnecting with a new listenKey", VENUE, exc)
                self._reconnect("the listenKey is gone (keepalive refused)")
            except Exception as exc:   # a network error: the next round tries again (the key lives 60 min)
                log.warning("%s stream: keepalive failed (%s: %s)", VENUE, type(exc).__name__, exc)

    def _reconnect(self, reason: str) -> None:
        stream = self.stream
        if stream is None or stream.closed:
            return
        conn, stream.conn = stream.conn, None
        if conn is not None:
            conn.abort()
        stream.down(reason)

    def control(self, stream: Any, payload: bytes) -> None:
        d = orjson.loads(payload)
        kind = d.get("e") if isinstance(d, dict) else None
        if kind == "ACCOUNT_UPDATE":
            stream.publish(account_update(d, time.perf_counter_ns()))
        elif kind == "listenKeyExpired":
            self._reconnect("the listenKey expired (listenKeyExpired)")

    async def aclose(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            try:
                await self._keeper
            except (asyncio.CancelledError, Exception):
                pass
        if self.listen_key:
            try:
                await asyncio.wait_for(self._call("DELETE"), max(self.s.timeout, 1.0))
            except Exception as exc:   # closing goes on; the key lapses by itself after 60 minutes
                log.debug("%s stream: listenKey not deleted (%s: %s)", VENUE, type(exc).__name__, exc)
