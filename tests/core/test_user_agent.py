"""The Binance REST encoder's User-Agent header: the compiled and the pure-Python encoder write the same bytes,
and a value that could break the header (CR/LF, non-ASCII, empty) is refused."""

from __future__ import annotations

import pytest

from fastorder._core.binance import BinanceRest as CRest
from fastorder._core.buffer import WriteBuffer as CBuf
from fastorder._core.sign import HmacSha256 as CHmac
from fastorder._py.binance import BinanceRest as PyRest
from fastorder._py.buffer import WriteBuffer as PyBuf
from fastorder._py.sign import HmacSha256 as PyHmac
from fastorder.errors import InvalidField

KEY, SECRET = "k" * 64, "s" * 64


def _query(rest, buf):
    rest.query_request(buf, "BTCUSDT", timestamp=1_700_000_000_000, orig_client_order_id="abc")
    return bytes(buf.getvalue())


def test_both_encoders_write_the_header_after_host():
    c = _query(CRest(KEY, CHmac(SECRET), user_agent="fastorder/1.2 (x)"), CBuf())
    p = _query(PyRest(KEY, PyHmac(SECRET), user_agent="fastorder/1.2 (x)"), PyBuf())
    assert c == p
    assert b"\r\nHost: api.binance.com\r\nUser-Agent: fastorder/1.2 (x)\r\nX-MBX-APIKEY: " in c
    assert b"User-Agent" not in _query(CRest(KEY, CHmac(SECRET)), CBuf())


@pytest.mark.parametrize("rest,hmac", [(CRest, CHmac), (PyRest, PyHmac)])
@pytest.mark.parametrize("bad", ["", "a\r\nX-Injected: 1", "caf\u00e9", "x" * 257])
def test_a_header_breaking_value_is_refused(rest, hmac, bad):
    with pytest.raises(InvalidField):
        rest(KEY, hmac(SECRET), user_agent=bad)
