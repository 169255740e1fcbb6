"""The senders fastorder is compared with, each measured against the same simulator in the same run.

Each baseline is the common way to send a Binance order from Python: aiohttp with one long-lived session
(a tuned connector and tight timeouts), aiohttp opening a new session for every order, the `websockets`
library on the WebSocket API, and ccxt. They sign and encode with the standard library (`hmac`,
`urllib.parse`) or orjson. Missing packages are skipped with a note; so is a baseline that cannot start
(for example one that cannot be given the simulator's test CA with --tls).
"""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from fastorder.sim import creds

KEY, SECRET = creds.BINANCE_HMAC_KEY, creds.BINANCE_HMAC_SECRET.encode()

# One order: (client_order_id) -> awaitable of the parsed reply (a dict with the echoed client id)
Sender = Callable[[str], Awaitable[dict[str, Any]]]


def _signed_query(clid: str, price: str, qty: str, symbol: str = "BTCUSDT") -> str:
    params = {"symbol": symbol, "side": "BUY", "type": "LIMIT", "timeInForce": "IOC", "quantity": qty,
              "price": price, "newClientOrderId": clid, "newOrderRespType": "RESULT",
              "recvWindow": 5000, "timestamp": int(time.time() * 1000)}
    q = urllib.parse.urlencode(params)
    return q + "&signature=" + hmac.new(SECRET, q.encode(), hashlib.sha256).hexdigest()


class AiohttpShared:
    """aiohttp with one long-lived session, connection pool 100 / 32 per host, cached DNS,
    keep-alive, 0.5 s total / 0.1 s connect / 0.2 s read timeouts, no compression."""

    name = "aiohttp (shared session)"
    needs = "aiohttp"

    def __init__(self, rest_url: str, price: str, qty: str, ssl_context: Any = None) -> None:
        self.url, self.price, self.qty, self.ssl = rest_url + "/api/v3/order", price, qty, ssl_context
        self.session: Any = None

    def _timeout(self) -> Any:
        import aiohttp
        return aiohttp.ClientTimeout(total=0.5, connect=0.1, sock_read=0.2)

    def _connector(self) -> Any:
        import aiohttp
        return aiohttp.TCPConnector(limit=100, limit_per_host=32, ttl_dns_cache=300, keepalive_timeout=60,
                                    ssl=self.ssl if self.ssl is not None else False)

    async def start(self) -> None:
        import aiohttp
        self.session = aiohttp.ClientSession(connector=self._connector(), timeout=self._timeout(),
                                             headers={"X-MBX-APIKEY": KEY}, auto_decompress=False)

    async def send(self, clid: str) -> dict[str, Any]:
        async with self.session.post(self.url + "?" + _signed_query(clid, self.price, self.qty)) as r:
            return orjson.loads(await r.read())

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


class AiohttpPerOrder(AiohttpShared):
    """aiohttp with a new session (so a new connection) for every order, as sometimes advised to avoid a
    stale pooled connection; it pays a TCP (and with --tls a TLS) handshake per order."""

    name = "aiohttp (session per order)"

    async def start(self) -> None:
        pass

    async def send(self, clid: str) -> dict[str, Any]:
        import aiohttp
        async with aiohttp.ClientSession(connector=self._connector(), timeout=self._timeout(),
                                         headers={"X-MBX-APIKEY": KEY}) as s:
            async with s.post(self.url + "?" + _signed_query(clid, self.price, self.qty)) as r:
                return orjson.loads(await r.read())

    async def close(self) -> None:
        pass


class Websockets:
    """The `websockets` library on Binance's WebSocket API: one pre-opened connection, orjson frames,
    per-request signature (HMAC key), one request in flight."""

    name = "websockets"
    needs = "websockets"

    def __init__(self, ws_url: str, price: str, qty: str, ssl_context: Any = None) -> None:
        self.url, self.price, self.qty, self.ssl = ws_url, price, qty, ssl_context
        self.ws: Any = None

    async def start(self) -> None:
        from websockets.asyncio.client import connect
        kw = {"ssl": self.ssl} if self.url.startswith("wss") else {}
        self.ws = await connect(self.url, compression=None, max_size=2**20, **kw)

    async def send(self, clid: str) -> dict[str, Any]:
        params = {"apiKey": KEY, "newClientOrderId": clid, "newOrderRespType": "RESULT", "price": self.price,
                  "quantity": self.qty, "recvWindow": 5000, "side": "BUY", "symbol": "BTCUSDT",
                  "timeInForce": "IOC", "timestamp": int(time.time() * 1000), "type": "LIMIT"}
        text = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
        params["signature"] = hmac.new(SECRET, text.encode(), hashlib.sha256).hexdigest()
        await self.ws.send(orjson.dumps({"id": clid, "method": "order.place", "params": params}).decode())
        reply = orjson.loads(await self.ws.recv())
        return reply.get("result") or reply

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


class Ccxt:
    """ccxt's async Binance client (ccxt.async_support) pointed at the simulator (markets loaded before timing)."""

    name = "ccxt"
    needs = "ccxt"

    def __init__(self, rest_url: str, price: str, qty: str, ssl_context: Any = None) -> None:
        self.base, self.price, self.qty, self.ssl = rest_url, price, qty, ssl_context
        self.ex: Any = None

    async def start(self) -> None:
        import ccxt.async_support as ccxt

        # its own limiter off: we time ccxt's software path, not its throttle (kinder to ccxt)
        ex = ccxt.binance({"apiKey": KEY, "secret": SECRET.decode(), "enableRateLimit": False, "timeout": 5000,
                           "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False,
                                       "fetchMargins": False}})

        def point(v: Any) -> Any:   # every API base URL -> the simulator: nothing can leave the machine
            if isinstance(v, str) and v.startswith("http"):
                return self.base + urllib.parse.urlsplit(v).path
            if isinstance(v, dict):
                return {k: point(x) for k, x in v.items()}
            return v

        if self.ssl is not None:
            # ccxt's async client builds its aiohttp connector from `ssl_context` when it opens, creating a
            # default one (certifi's CAs) only if none is set: set ours so it trusts the simulator's test CA
            if not hasattr(ex, "ssl_context"):
                raise RuntimeError(f"ccxt {ccxt.__version__} has no ssl_context to give the test CA to")
            ex.ssl_context = self.ssl
        ex.urls["api"] = point(ex.urls["api"])
        for k in ("test", "demo"):
            ex.urls.pop(k, None)
        self.ex = ex
        await ex.load_markets()

    async def send(self, clid: str) -> dict[str, Any]:
        o = await self.ex.create_order("BTC/USDT", "limit", "buy", float(self.qty), float(self.price),
                                       {"timeInForce": "IOC", "newClientOrderId": clid})
        return {"clientOrderId": o.get("clientOrderId"), "status": o.get("status")}

    async def close(self) -> None:
        if self.ex is not None:
            await self.ex.close()


BASELINES = {"aiohttp": AiohttpShared, "aiohttp-per-order": AiohttpPerOrder, "websockets": Websockets,
             "ccxt": Ccxt}
