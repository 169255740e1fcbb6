"""The simulator's typed hot-path checks (fastorder/sim/_fast.pyx) agree with the pure-Python definitions."""

from __future__ import annotations

import random

import pytest

from fastorder.sim import binance as bn
from fastorder.sim.binance import _CID_RE, _DEC_RE, Binance, BinanceError, BinanceLimits, strip_sig_py
from fastorder.sim.creds import Credentials
from fastorder.sim.http import split_params_py

F = pytest.importorskip("fastorder.sim._fast")


_split = split_params_py
_strip = strip_sig_py


def test_text_checks_match_the_patterns():
    rng = random.Random(7)
    alphabet = "0123456789.aZ-_&=\n é٣"
    cases = ["signature=abc", "a=1&signature=x", "signature=x&a=1", "a=1&signature=x&b=2", "xsignature=1&signature=2",
             "1.5\n", "1\n\n", "0" * 20, "0" * 21, "1." + "0" * 20, "1." + "0" * 21, ".5", "5.", "a" * 36, "a" * 37]
    cases += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(50_000)]
    for s in cases:
        assert F.is_int20(s) == (0 < len(s) <= 20 and s.isdigit() and s.isascii()), repr(s)
        assert F.dec_ok(s) == (_DEC_RE.match(s) is not None), repr(s)
        assert F.cid_ok(s) == (_CID_RE.match(s) is not None), repr(s)
        assert F.strip_sig(s) == _strip(s), repr(s)
        assert F.parse_params(s) == _split(s), repr(s)


def test_binance_limit_fast_path_accepts_only_what_the_full_check_accepts():
    app = Binance(Credentials.default().binance, BinanceLimits(enabled=False))
    rng = random.Random(3)
    choices = {
        "symbol": ["BTCUSDT", "ETHUSDT", "NOPE", ""], "side": ["BUY", "SELL", "buy", ""],
        "type": ["LIMIT", "LIMIT", "MARKET", "LIMIT_MAKER"], "timeInForce": ["GTC", "IOC", "FOK", "DAY", None],
        "quantity": ["0.001", "0.00100", "1", "0.000001", "1.5\n", "0.0010000000", "abc", "", None],
        "price": ["50000", "50000.01", "50000.001", "49000.00", "9e3", "0.001", None],
        "newClientOrderId": ["x1", "bad id", "a" * 37, None], "newOrderRespType": ["ACK", "RESULT", "FULL", "X", None],
        "selfTradePreventionMode": ["NONE", "EXPIRE_TAKER", "BAD", None], "quoteOrderQty": [None, None, "10"],
        "stopPrice": [None, None, "1"], "icebergQty": [None, None, "0.001"],
    }
    fast = 0
    for _ in range(30000):
        p = {k: v for k, vs in choices.items() if (v := rng.choice(vs)) is not None}
        try:
            full = app.validate_order(dict(p))
        except BinanceError:
            full = None
        got = bn._binance_limit(dict(p), app.ex.specs, app._filter_memo)
        if got is not None:
            fast += 1
            assert got == full, p
    assert fast > 20   # the memo filled and the fast path was taken


def test_binance_time_fast_path_passes_only_what_the_full_check_passes(monkeypatch):
    app = Binance(Credentials.default().binance, BinanceLimits(enabled=False))
    monkeypatch.setattr(bn, "_time_ok", lambda ts, rw, now: False)   # the full check alone
    rng = random.Random(5)
    now = 1764084000500
    passed = 0
    for _ in range(20000):
        ts = rng.choice([str(now + rng.randint(-70000, 2000)), str((now + rng.randint(-9000, 2000)) * 1000), "",
                         "12a", "1" * 21, " 1", "١٢"])
        p = {"timestamp": ts}
        rw = rng.choice([None, "5000", "60000", "60001", "0", "100.5", "abc", "", "99999", "070000"])
        if rw is not None:
            p["recvWindow"] = rw
        try:
            app._check_time(p, now)
            full = True
        except BinanceError:
            full = False
        if F.binance_time_ok(ts, rw, now):
            passed += 1
            assert full, p
    assert passed > 100


def test_unquote_plus_matches_urllib_where_it_answers():
    from urllib.parse import unquote_plus

    rng = random.Random(11)
    alphabet = "%+aZ09fF7G8é-_.~ \n"
    answered = 0
    for s in ["2026-11-25T15%3A40%3A01", "abc%2B%2F%3D", "%", "%4", "%zz", "%C3%A9", "%7f%80", "a+b"] + [
            "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(50_000)]:
        r = F.unquote_plus(s)
        if r is not None:
            answered += 1
            assert r == unquote_plus(s), repr(s)
    assert answered > 10_000


def test_unmask_matches_the_python_xor():
    rng = random.Random(13)
    for n in list(range(0, 70)) + [125, 126, 65535, 70000]:
        payload, mask = rng.randbytes(n), rng.randbytes(4)
        m = (mask * ((n >> 2) + 1))[:n]
        want = (int.from_bytes(payload, "big") ^ int.from_bytes(m, "big")).to_bytes(n, "big") if n else b""
        assert F.unmask(payload, mask) == want
