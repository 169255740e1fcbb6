"""The simulator's hot-path text checks, typed (fastorder/sim/_fast.pyx). Shares nothing with the client."""

from typing import Any

def parse_params(raw: str) -> tuple[dict[str, str], int]:
    """``a=1&b=2`` (no ``%``/``+``) -> ({"a": "1", "b": "2"}, number of non-empty parts)."""
def strip_sig(raw: str) -> str:
    """``raw`` without its ``signature=…`` parameter."""
def is_int20(s: str) -> bool:
    """``^[0-9]{1,20}$`` (no final newline allowed)."""
def dec_ok(s: str) -> bool:
    """``re.match(r"^([0-9]{1,20})(\\.[0-9]{1,20})?$", s) is not None``."""
def cid_ok(s: str) -> bool:
    """``re.match(r"^[a-zA-Z0-9-_]{1,36}$", s) is not None``."""
def binance_limit(p: dict[str, str], specs: dict[str, Any], memo: dict[tuple[str, int, str], Any]) -> dict[str, Any] | None:
    """A well-formed Binance LIMIT order whose price and quantity passed their filters before, normalised as
    ``Binance.validate_order`` returns it; None for anything else (the caller runs the full check)."""
def binance_time_ok(ts: object, rw: object, now: int) -> bool:
    """Binance's timestamp/recvWindow check passes in its usual form (whole ms); False means: run the full check."""
def unquote_plus(s: str) -> str | None:
    """``urllib.parse.unquote_plus(s)`` for ASCII text with ASCII escapes; None otherwise (use urllib's)."""
def unmask(payload: bytes, mask: bytes) -> bytes:
    """A WebSocket client frame's payload XOR its 4-byte mask, repeated."""
def parse_request(data: bytes, pos: int, max_body: int) -> tuple[str, str, str, dict[bytes, bytes], bytes, bool, int] | None:
    """The whole plain HTTP/1.1 request at ``data[pos]``: (method, path, query, headers, body, keep_alive, end),
    header names lower-cased; None for anything else or a request not all here (llhttp reads it then)."""
def all_str(params: dict[str, Any]) -> bool:
    """Every value of ``params`` is a str."""
def ws_payload(params: dict[str, str]) -> bytes:
    """Binance WS signing text: every parameter but ``signature``, sorted, ``k=v`` joined by ``&``, UTF-8."""
