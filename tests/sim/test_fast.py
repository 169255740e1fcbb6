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


class _Site:
    """What HttpProtocol needs of its site, recording each request it is handed."""

    def __init__(self) -> None:
        from fastorder.sim.faults import FaultPlan

        self.plan = FaultPlan(None)
        self.venue = "binance"
        self.seen: list[tuple] = []
        self.loop = None

    def register(self, conn) -> int:
        return 1

    def unregister(self, conn) -> None:
        pass

    def upgrade(self, conn, req, rest) -> None:
        self.seen.append(("upgrade", req.method, req.path, rest))

    def serve_http(self, conn, req) -> None:
        self.seen.append((req.method, req.path, req.query, dict(req.headers), req.body, req.keep_alive, req.version))


class _Sink:
    def __init__(self) -> None:
        self.out = b""
        self.closed = False

    def write(self, data: bytes) -> None:
        self.out += data

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name, default=None):
        return default


def _serve(chunks: list[bytes], fast: bool, monkeypatch) -> tuple:
    from fastorder.sim import http

    monkeypatch.setattr(http, "_parse_request", F.parse_request if fast else None)
    site = _Site()
    proto = http.HttpProtocol(site)
    t = _Sink()
    proto.connection_made(t)
    for c in chunks:
        if proto.closed:
            break
        proto.data_received(c)
    return site.seen, t.out[:12], t.closed


def _requests(rng: random.Random) -> bytes:
    """Requests in the shapes clients send and in many they should not: odd methods, targets, header names
    and values, line ends, lengths, Connection/Upgrade/Expect/Transfer-Encoding."""
    methods = ["GET", "POST", "DELETE", "PUT", "get", "BREW", "POST ", "PATCH"]
    targets = ["/api/v3/order?symbol=BTCUSDT&side=BUY", "/x", "/a%20b?c=d+e", "/p#frag", "/p?q=|", "/é", "*",
               "http://h/p?q", "/sp ace", "/" + "a" * 300, "/p?q=1&signature=ab"]
    versions = ["HTTP/1.1", "HTTP/1.0", "HTTP/1.2", "http/1.1"]
    names = ["Host", "X-MBX-APIKEY", "content-type", "Content-Length", "Connection", "Upgrade", "Expect",
             "Transfer-Encoding", "X Bad", "X(bad)", "", "X-Dup", "x-dup"]
    values = ["127.0.0.1", "keep-alive", "close", "Keep-Alive", "upgrade", "100-continue", "chunked", "0", "5", "05",
              "-1", " 7", "7 ", "abc\tdef", "caf\xe9", "a\x01b", "", "x" * 50]
    ends = ["\r\n", "\r\n", "\r\n", "\n"]
    if rng.random() < 0.5:   # half of the streams in the shapes clients send
        methods, targets, versions, ends = methods[:4], targets[:3], versions[:1], ends[:1]
        names, values = names[:5], values[:4] + values[7:10]
    out = b""
    for _ in range(rng.randint(1, 3)):
        body = rng.choice([b"", b"", b"a=1&b=2", b"{}", b"x" * 7])
        head = f"{rng.choice(methods)} {rng.choice(targets)} {rng.choice(versions)}{rng.choice(ends)}"
        for _ in range(rng.randint(0, 5)):
            head += f"{rng.choice(names)}:{rng.choice(['', ' ', '  ', chr(9)])}{rng.choice(values)}{rng.choice(ends)}"
        if rng.random() < 0.7:
            head += f"Content-Length: {len(body) if rng.random() < 0.9 else len(body) + 3}\r\n"
        out += head.encode("latin-1") + rng.choice([b"\r\n", b"\r\n", b"\n"]) + body
    return out


def test_parse_request_hands_over_what_llhttp_hands_over(monkeypatch):
    """Every byte stream, whole or cut into pieces, gives the site the same requests (and the same error
    reply) with the typed reader in front of llhttp as with llhttp alone."""
    rng = random.Random(11)
    taken = 0
    for _ in range(6000):
        data = _requests(rng)
        cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(0, 3))))
        chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
        for pieces in (chunks, [data]):
            ref = _serve(pieces, False, monkeypatch)
            got = _serve(pieces, True, monkeypatch)
            assert got == ref, data
        r = F.parse_request(data, 0, 1 << 20)
        if r is not None:
            taken += 1
            assert r[-1] <= len(data)
    assert taken > 200   # the typed reader did read a good share of them


def test_parse_request_reads_a_signed_order_and_declines_the_rest():
    req = (b"POST /api/v3/order?symbol=BTCUSDT&signature=ab HTTP/1.1\r\nHost: h\r\nX-MBX-APIKEY: k\r\n"
           b"Content-Length: 3\r\n\r\na=1GET /x HTTP/1.1\r\n\r\n")
    method, path, query, headers, body, keep, end = F.parse_request(req, 0, 1 << 20)
    assert (method, path, query, body, keep) == ("POST", "/api/v3/order", "symbol=BTCUSDT&signature=ab", b"a=1", True)
    assert headers == {b"host": b"h", b"x-mbx-apikey": b"k", b"content-length": b"3"}
    assert F.parse_request(req, end, 1 << 20) == ("GET", "/x", "", {}, b"", True, len(req))
    assert F.parse_request(req[:-1], end, 1 << 20) is None                              # not all here yet
    assert F.parse_request(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 0, 10)[5] is False
    assert F.parse_request(b"POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n" + b"x" * 11, 0, 10) is None   # too big
    for odd in (b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", b"GET / HTTP/1.0\r\n\r\n",
                b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", b"GET /\xe9 HTTP/1.1\r\n\r\n",
                b"GET / HTTP/1.1\r\nA: 1\r\n 2\r\n\r\n", b"GET / HTTP/1.1\nA: 1\n\n"):
        assert F.parse_request(odd, 0, 1 << 20) is None, odd


def test_ws_payload_and_all_str_match_the_python_definitions():
    rng = random.Random(5)
    names = ["symbol", "side", "signature", "apiKey", "timestamp", "a", "A", "é", "price", ""]
    values = ["BTCUSDT", "", "0.001", "é∂", "a=b&c", "1"]
    for _ in range(20000):
        p = {rng.choice(names): rng.choice(values) for _ in range(rng.randint(0, 8))}
        assert F.ws_payload(p) == bn.ws_payload_py(p), p
        assert F.all_str(p) is True
        q = dict(p, x=rng.choice([None, 1, True, 1.5, "s"]))
        assert F.all_str(q) == all(type(v) is str for v in q.values()), q
