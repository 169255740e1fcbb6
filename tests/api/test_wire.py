"""fastorder.wire: the public home of the compiled send path; docs/wire.md's example runs as written."""

from __future__ import annotations

import pathlib
import re

import pytest

import fastorder
import fastorder.wire as wire
from fastorder._core import binance, buffer, htx, ids, numbers, okx, sign

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_wire_exports_the_compiled_encoders_themselves():
    assert wire.BinanceRest is binance.BinanceRest and wire.BinanceWs is binance.BinanceWs
    assert wire.OkxRest is okx.OkxRest and wire.OkxWs is okx.OkxWs and wire.HtxRest is htx.HtxRest
    assert wire.WriteBuffer is buffer.WriteBuffer and wire.SymbolRules is numbers.SymbolRules
    assert wire.ClientIdGenerator is ids.ClientIdGenerator
    assert wire.HmacSha256 is sign.HmacSha256 and wire.Ed25519Signer is sign.Ed25519Signer
    for name in wire.__all__:
        assert hasattr(wire, name), name
    assert isinstance("1", wire.Number) and isinstance(sign.HmacSha256("k"), wire.Signer)


def test_the_documented_example_runs_and_writes_a_signed_request():
    text = (ROOT / "docs" / "wire.md").read_text()
    (code,) = re.findall(r"```python\n(.*?)```", text, re.S)
    scope: dict[str, object] = {}
    exec(compile(code, "docs/wire.md", "exec"), scope)
    req = scope["request"]
    assert isinstance(req, bytes) and b"&signature=" in req and b"X-MBX-APIKEY: my-api-key\r\n" in req


def test_an_error_leaves_the_buffer_as_it_was():
    rest = wire.BinanceRest("k", wire.HmacSha256("s"))
    buf = wire.WriteBuffer()
    buf.write(b"kept")
    with pytest.raises(fastorder.InvalidOrder):
        rest.new_order_request(buf, "BTCUSDT", "HOLD", "LIMIT", time_in_force="GTC", quantity="1", price="1",
                               client_order_id="x", timestamp=1)
    assert buf.getvalue() == b"kept"
