"""Compiled transports: HTTP/1.1 keep-alive client and WebSocket client as asyncio Protocols.

    fastorder.transport.http   -- HttpResponseParser (sans-IO), HttpTemplate, HttpClientProtocol
    fastorder.transport.ws     -- WSFrameParser / build_frame (sans-IO), WSClientProtocol
    fastorder.transport.link   -- the byte stream both protocols sit on: direct writes, timer, spin, TCP_INFO,
                                  compiled TLS (an OpenSSL SSL object between memory BIOs)
    fastorder.transport.tls    -- TlsConfig: the compiled TLS path's settings, mirroring an ssl.SSLContext
    fastorder.transport.sock   -- socket options (TCP_NODELAY, TCP_USER_TIMEOUT, ...) and TCP_INFO RTT
    fastorder.transport.client -- open_http, open_ws, HttpPool (TLS by default; plaintext policy)

HTTP::

    tpl = HttpTemplate("POST", "/api/v3/order", "api.binance.com",
                       [("X-MBX-APIKEY", key), ("Content-Type", "application/x-www-form-urlencoded")])
    async with HttpPool("api.binance.com", 443, size=2, warm_request=b"GET /api/v3/ping HTTP/1.1\\r\\n"
                        b"Host: api.binance.com\\r\\n\\r\\n") as pool:
        resp = await pool.send(tpl, query=None, body=signed_query_bytes)   # one write per request
        resp.status, resp.header("x-mbx-used-weight-1m"), resp.body
        conn = pool.connection()                     # lowest latency: callback, no Future/Task wake-up
        conn.send_cb(tpl, lambda resp, exc: ..., None, body)

WebSocket (replies matched by id; other messages go to ``on_message``)::

    ws = await open_ws("wss://ws-api.binance.com/ws-api/v3", on_message=on_event)   # id_pattern b'"id":'
    reply = await ws.request(b"c-42", b'{"id":"c-42","method":"order.place","params":{...}}')
    rtt_s = await ws.ping()

Spin mode (dedicated core; plaintext or compiled TLS): send with ``request_cb``/``send_cb``, then
``conn.spin(budget_us)`` polls the socket without sleeping in epoll and delivers the reply in place (decrypted
first over TLS).  It burns 100 % of the core for up to ``budget_us`` per call and blocks the event loop
meanwhile.

Not supported: HEAD requests (the parser would wait for a body), HTTP/2, WebSocket extensions (no
compression), proxies.  Objects are not thread-safe: use them from their event loop's thread.
"""

from fastorder.transport.client import HttpPool, PlaintextNotAllowed, open_http, open_ws
from fastorder.transport.http import (
    HttpClientProtocol,
    HttpConnectionClosed,
    HttpParseError,
    HttpResponse,
    HttpResponseParser,
    HttpTemplate,
)
from fastorder.transport.ws import WSClientProtocol, WSClosed, WSError, WSFrameParser, build_frame

__all__ = [
    "HttpClientProtocol", "HttpConnectionClosed", "HttpParseError", "HttpPool", "HttpResponse",
    "HttpResponseParser", "HttpTemplate", "PlaintextNotAllowed", "WSClientProtocol", "WSClosed", "WSError",
    "WSFrameParser", "build_frame", "open_http", "open_ws",
]
