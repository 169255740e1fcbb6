"""Compiled transports: HTTP/1.1 keep-alive client and WebSocket client as asyncio Protocols.

    fastorder.transport.http   -- HttpResponseParser (sans-IO), HttpTemplate, HttpClientProtocol
    fastorder.transport.ws     -- WSFrameParser / build_frame (sans-IO), WSClientProtocol
    fastorder.transport.sock   -- socket options (TCP_NODELAY, TCP_USER_TIMEOUT, ...) and TCP_INFO RTT
    fastorder.transport.client -- open_http, open_ws, HttpPool (TLS by default; plaintext policy)
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
