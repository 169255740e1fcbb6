"""The compiled send path, public: encoders that write a venue's complete signed request (REST) or request frame
(WebSocket) into a reusable `WriteBuffer`, and the parts they are made of — symbol rules, signers, client ids.

For code that owns its send loop (a strategy writing straight to its own sockets, a gateway); a `Session`
uses exactly these. What each method writes, byte for byte, and what it refuses is in its docstring (the
compiled modules' .pyi) and in docs/wire.md; the venues' wire formats and their public sources are in
docs/venues/.

Stability: the names in `__all__`, their signatures and their output are the public interface — changed only
with a CHANGELOG entry. `fastorder._core.*`, where they are implemented, is private and may be reorganised.
"""

from __future__ import annotations

from decimal import Decimal

from fastorder._core.binance import BinanceRest, BinanceWs
from fastorder._core.buffer import WriteBuffer
from fastorder._core.htx import HtxRest, htx_timestamp
from fastorder._core.ids import ClientIdGenerator
from fastorder._core.numbers import SymbolRules, decimal_text
from fastorder._core.okx import OkxRest, OkxWs, iso_ms
from fastorder._core.sign import Ed25519Signer, HmacSha256

#: what a price or quantity argument may be (checked and written exactly, never through float formatting)
Number = Decimal | str | int | float
#: what an encoder signs with
Signer = HmacSha256 | Ed25519Signer

__all__ = [
    "WriteBuffer", "SymbolRules", "decimal_text", "ClientIdGenerator", "HmacSha256", "Ed25519Signer",
    "BinanceRest", "BinanceWs", "OkxRest", "OkxWs", "iso_ms", "HtxRest", "htx_timestamp", "Number", "Signer",
]
