"""The REST encoders' User-Agent header (Binance, OKX, HTX): the compiled and the pure-Python encoders write
the same bytes, the header comes right after Host, and a value that could break the header (CR/LF, non-ASCII,
empty, too long) is refused before anything is written."""

from __future__ import annotations

import pytest

from fastorder._core import binance as cb
from fastorder._core import htx as ch
from fastorder._core import okx as co
from fastorder._core.buffer import WriteBuffer as CBuf
from fastorder._core.sign import HmacSha256 as CHmac
from fastorder._py import binance as pb
from fastorder._py import htx as ph
from fastorder._py import okx as po
from fastorder._py.buffer import WriteBuffer as PyBuf
from fastorder._py.sign import HmacSha256 as PyHmac
from fastorder.errors import InvalidField

KEY, SECRET, UA = "k" * 64, "s" * 64, "fastorder/1.2 (x)"


def _binance(mod, hmac, buf, **kw):
    mod.BinanceRest(KEY, hmac(SECRET), **kw).query_request(buf, "BTCUSDT", timestamp=1_700_000_000_000,
                                                          orig_client_order_id="abc")
    return bytes(buf.getvalue())


def _okx(mod, hmac, buf, **kw):
    mod.OkxRest(KEY, hmac(SECRET), "pass", **kw).query_request(buf, "BTC-USDT", timestamp_ms=1_700_000_000_000,
                                                              cl_ord_id="abc")
    return bytes(buf.getvalue())


def _htx(mod, hmac, buf, **kw):
    mod.HtxRest(KEY, hmac(SECRET), account_id=1, **kw).query_client_request(buf, "abc", timestamp_s=1_700_000_000)
    return bytes(buf.getvalue())


VENUES = [(_binance, cb, pb, "api.binance.com"), (_okx, co, po, "www.okx.com"), (_htx, ch, ph, "api.huobi.pro")]


@pytest.mark.parametrize("req,cmod,pmod,host", VENUES)
def test_both_encoders_write_the_header_after_host(req, cmod, pmod, host):
    c = req(cmod, CHmac, CBuf(), user_agent=UA)
    assert c == req(pmod, PyHmac, PyBuf(), user_agent=UA)
    assert f"\r\nHost: {host}\r\nUser-Agent: {UA}\r\n".encode() in c
    assert b"User-Agent" not in req(cmod, CHmac, CBuf())


@pytest.mark.parametrize("req,cmod,pmod,host", VENUES)
@pytest.mark.parametrize("bad", ["", "a\r\nX-Injected: 1", "caf\u00e9", "x" * 257])
def test_a_header_breaking_value_is_refused(req, cmod, pmod, host, bad):
    for mod, hmac, buf in ((cmod, CHmac, CBuf), (pmod, PyHmac, PyBuf)):
        with pytest.raises(InvalidField):
            req(mod, hmac, buf(), user_agent=bad)
