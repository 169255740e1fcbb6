import asyncio
from collections.abc import Callable, Iterable

from typing_extensions import Buffer

from fastorder.errors import WSClosed as WSClosed
from fastorder.errors import WSError as WSError
from fastorder.transport.tls import TlsConfig

OP_CONT: int
OP_TEXT: int
OP_BINARY: int
OP_CLOSE: int
OP_PING: int
OP_PONG: int


def parse_close(payload: Buffer) -> tuple[int, str]: ...
def build_frame(
    opcode: int, payload: Buffer, *, fin: bool = True, mask: bool = True, mask_key: bytes | None = None
) -> bytes: ...
def mask_bytes(data: Buffer, mask_key: bytes) -> bytes: ...

class WSFrameParser:
    def __init__(self, *, max_size: int = 4194304, expect_masked: bool = False) -> None: ...
    def feed(self, data: Buffer) -> list[tuple[int, bytes]]: ...

_ReplyCallback = Callable[[bytes | None, BaseException | None], object]

class WSClientProtocol(WSFrameParser, asyncio.Protocol):
    close_code: int | None
    close_reason: str
    socket_options: dict[str, int | str]
    dropped: int
    dispatched: int
    direct_sends: int
    handshake: asyncio.Future[None]
    closed: asyncio.Future[int]
    def __init__(
        self, host: str | bytes, path: str | bytes = "/", *,
        headers: Iterable[tuple[str | bytes, str | bytes]] = (),
        on_message: Callable[[bytes, bool], object] | None = None, id_pattern: bytes = b'"id":',
        id_func: Callable[[bytes], bytes | None] | None = None, max_size: int = 4194304,
        read_timeout: float = 0.5, user_timeout_ms: int = 3000, quickack: bool = False, busy_poll_us: int = 0,
        on_lost: Callable[[WSClientProtocol, BaseException | None], object] | None = None,
        tls: TlsConfig | None = None, server_hostname: str | None = None,
    ) -> None: ...
    @property
    def tls(self) -> dict[str, object] | None:
        """What TLS negotiated (engine, version, cipher, alpn, resumed, records); None for plaintext."""
    def send(self, payload: str | Buffer, *, binary: bool = False) -> None: ...
    def request(
        self, req_id: bytes, payload: str | Buffer, *, binary: bool = False, timeout: float = 0.0
    ) -> asyncio.Future[bytes]: ...
    def request_cb(
        self, req_id: bytes, payload: str | Buffer, callback: _ReplyCallback, *, binary: bool = False,
        timeout: float = 0.0,
    ) -> None: ...
    def cancel_request(self, req_id: bytes) -> bool: ...
    @property
    def pending(self) -> int: ...
    def ping(self) -> asyncio.Future[float]: ...
    def close(self, code: int = 1000, reason: str | bytes = "") -> asyncio.Future[int]: ...
    def abort(self) -> None: ...
    def tcp_rtt(self) -> tuple[int, int]: ...
    @property
    def is_open(self) -> bool: ...
    @property
    def fd(self) -> int: ...
    @property
    def direct(self) -> bool: ...
    def spin(self, budget_us: int) -> int: ...
