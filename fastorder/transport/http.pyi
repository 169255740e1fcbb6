import asyncio
from collections.abc import Callable, Iterable
from typing import final

from typing_extensions import Buffer

from fastorder.errors import HttpConnectionClosed as HttpConnectionClosed
from fastorder.errors import HttpParseError as HttpParseError
from fastorder.transport.tls import TlsConfig

@final
class HttpResponse:
    status: int
    version: int
    reason: bytes
    body: bytes
    keep_alive: bool
    t_recv_ns: int
    @property
    def headers(self) -> list[tuple[bytes, bytes]]: ...
    def header(self, name: str | bytes, default: bytes | None = None) -> bytes | None: ...
    def get_all(self, name: str | bytes) -> list[bytes]: ...
    def headers_in(self, names: tuple[bytes, ...]) -> list[bytes | None]:
        """The first value of each of `names` (lower-case bytes; TypeError for anything else), None where
        absent, in one pass over the head."""

class HttpResponseParser:
    def __init__(self, *, max_head: int = 65536, max_body: int = 16777216) -> None: ...
    def feed(self, data: Buffer) -> list[HttpResponse]: ...
    def feed_eof(self) -> list[HttpResponse]: ...
    @property
    def idle(self) -> bool: ...

@final
class HttpTemplate:
    line: bytes
    rest: bytes
    def __init__(
        self, method: str | bytes, path: str | bytes, host: str | bytes,
        headers: Iterable[tuple[str | bytes, str | bytes]] = (),
    ) -> None: ...
    def render(self, query: Buffer | None = None, body: Buffer | None = None) -> bytes: ...

_ReplyCallback = Callable[[HttpResponse | None, BaseException | None], object]

class HttpClientProtocol(HttpResponseParser, asyncio.Protocol):
    socket_options: dict[str, int | str]
    dispatched: int
    direct_sends: int
    requests_sent: int
    last_used_ns: int
    closed: asyncio.Future[None]
    ready: asyncio.Future[None]
    def __init__(
        self, *, read_timeout: float = 0.5, user_timeout_ms: int = 3000, quickack: bool = False,
        busy_poll_us: int = 0, max_body: int = 16777216,
        on_lost: Callable[[HttpClientProtocol, BaseException | None], object] | None = None,
        tls: TlsConfig | None = None, server_hostname: str | None = None,
    ) -> None: ...
    @property
    def tls(self) -> dict[str, object] | None:
        """What TLS negotiated (engine, version, cipher, alpn, resumed, records); None for plaintext."""
    def request(self, data: Buffer, *, timeout: float = 0.0) -> asyncio.Future[HttpResponse]: ...
    def request_cb(self, data: Buffer, callback: _ReplyCallback, *, timeout: float = 0.0) -> None: ...
    def send(
        self, template: HttpTemplate, query: Buffer | None = None, body: Buffer | None = None, *,
        timeout: float = 0.0,
    ) -> asyncio.Future[HttpResponse]: ...
    def send_cb(
        self, template: HttpTemplate, callback: _ReplyCallback, query: Buffer | None = None,
        body: Buffer | None = None, *, timeout: float = 0.0,
    ) -> None: ...
    @property
    def in_flight(self) -> int: ...
    @property
    def is_open(self) -> bool: ...
    @property
    def fd(self) -> int: ...
    @property
    def direct(self) -> bool: ...
    def close(self) -> asyncio.Future[None]: ...
    def abort(self) -> None: ...
    def tcp_rtt(self) -> tuple[int, int]: ...
    def spin(self, budget_us: int) -> int: ...
