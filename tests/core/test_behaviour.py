"""Behaviour of both implementations (`impl` = fastorder._py twin and fastorder._core compiled): buffers, error
atomicity, secret hygiene, client ids (incl. across forked processes) and memory over 100,000 encodes."""

from __future__ import annotations

import copy
import gc
import os
import pickle
import re
import sys
import time
import warnings

import pytest

from fastorder.errors import FilterViolation, InvalidField, InvalidNumber, InvalidOrder, OffGrid

SECRET = "Zq7SECRETvalue-NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e"
PASSPHRASE = "Pass-PHRASE-xyz-42"
SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")


# --------------------------------------------------------------------------------------------------------------
# WriteBuffer

def test_buffer_basics_and_growth(impl):
    buf = impl.buffer.WriteBuffer()
    assert len(buf) == 0 and buf.getvalue() == b""
    assert buf.capacity >= 512
    buf.write(b"abc")
    buf.write(bytearray(b"de"))
    buf.write(memoryview(b"xfgx")[1:3])
    assert buf.getvalue() == b"abcdefg" and len(buf) == 7
    copy_ = buf.getvalue()
    buf.write(b"h")
    assert copy_ == b"abcdefg"  # getvalue is a copy
    assert isinstance(copy_, bytes)
    start_cap = buf.capacity
    chunk = bytes(range(256))
    for _ in range(40):  # 10 KiB: well past the inline storage
        buf.write(chunk)
    assert buf.getvalue() == b"abcdefgh" + chunk * 40
    assert buf.capacity >= len(buf) > start_cap
    grown = buf.capacity
    buf.truncate(8)
    assert buf.getvalue() == b"abcdefgh"
    buf.truncate(8)
    buf.truncate(0)
    assert buf.getvalue() == b"" and len(buf) == 0
    buf.write(b"zz")
    buf.clear()
    assert buf.getvalue() == b"" and buf.capacity == grown  # clear keeps the memory
    for bad in (-1, 1):
        with pytest.raises(ValueError):
            buf.truncate(bad)
    with pytest.raises(TypeError):
        buf.write("text")
    big = impl.buffer.WriteBuffer(100_000)
    assert big.capacity >= 100_000


def _view_or_skip(impl, buf):
    try:
        return memoryview(buf)
    except TypeError:
        if impl.kind == "py" and sys.version_info < (3, 12):
            pytest.skip("the twin exports its buffer through PEP 688 __buffer__, Python >= 3.12 only")
        raise


def test_buffer_memoryview_export_blocks_growth_and_clear(impl):
    buf = impl.buffer.WriteBuffer()
    buf.write(b"hello")
    view = _view_or_skip(impl, buf)
    assert bytes(view) == b"hello"
    with pytest.raises(BufferError):
        buf.write(b"x" * (buf.capacity + 1))  # needs to grow
    with pytest.raises(BufferError):
        buf.clear()
    assert buf.getvalue() == b"hello"
    assert bytes(view) == b"hello"
    view.release()
    buf.write(b"x" * (buf.capacity + 1))
    buf.clear()
    with memoryview(buf) as view2:
        assert bytes(view2) == b""
        with pytest.raises(BufferError):
            buf.clear()
    buf.clear()


# --------------------------------------------------------------------------------------------------------------
# an error leaves the buffer exactly as it was, even when the error is found late (after numbers were formatted)

def _late_failures(impl):
    """Calls that fail after much of the output could already have been produced."""
    hmac = impl.sign.HmacSha256(SECRET)
    rules = impl.numbers.SymbolRules("BTCUSDT", "0.01", "0.001", min_notional=1000, max_qty=50)
    rest = impl.binance.BinanceRest("key", hmac, recv_window=5000)
    ws = impl.binance.BinanceWs("key", hmac)
    okx = impl.okx.OkxRest("key", hmac, PASSPHRASE)
    okx_ws = impl.okx.OkxWs("key", hmac, PASSPHRASE)
    htx = impl.htx.HtxRest("key", hmac, account_id=1)
    long_sym = "B" * 32
    return [
        (FilterViolation, lambda b: rest.new_order_request(b, long_sym, "BUY", "LIMIT", client_order_id="c" * 36,
                                                           timestamp=1, quantity="1.5", price="10.00",
                                                           time_in_force="GTC", rules=rules)),
        (FilterViolation, lambda b: ws.order_place(b, "r" * 36, long_sym, "SELL", "LIMIT", client_order_id="c",
                                                   timestamp=1, quantity="51", price="100", time_in_force="GTC",
                                                   rules=rules)),
        (OffGrid, lambda b: rest.new_order_params(b, long_sym, "BUY", "STOP_LOSS_LIMIT", client_order_id=None,
                                                  timestamp=1, quantity="1", price="10", stop_price="9.999",
                                                  time_in_force="GTC", rules=rules)),
        (InvalidNumber, lambda b: ws.order_place(b, 1, "BTCUSDT", "BUY", "STOP_LOSS_LIMIT", client_order_id="c",
                                                 timestamp=1, quantity="1", price="1", stop_price=float("nan"),
                                                 time_in_force="GTC")),
        (InvalidField, lambda b: okx.place_order_request(b, "BTC-USDT", "cash", "buy", "limit", sz="1", px="1",
                                                         cl_ord_id="a", timestamp_ms=1, tgt_ccy="bogus")),
        (InvalidOrder, lambda b: okx.place_order_request(b, "BTC-USDT", "cash", "buy", "limit", sz="1", px="1",
                                                         cl_ord_id="a", timestamp_ms=0)),
        (InvalidOrder, lambda b: okx_ws.order(b, "1", 5, "cash", "buy", "limit", sz="1", px="1", cl_ord_id="a",
                                              exp_time_ms=-1)),
        (InvalidOrder, lambda b: okx_ws.cancel_order(b, "1", 5)),
        (InvalidOrder, lambda b: htx.place_order_request(b, "btcusdt", "buy-limit", amount="1", price="1",
                                                         client_order_id="c", timestamp_s=253402300800)),
        (InvalidField, lambda b: htx.place_order_request(b, "btcusdt", "buy-limit", amount="1", price="1",
                                                         client_order_id="c", timestamp_s=1, source="bogus")),
    ]


@pytest.mark.parametrize("prefix_len", [0, 7, 500, 511, 512, 4000])
def test_error_leaves_buffer_unchanged(impl, prefix_len):
    prefix = bytes(i % 251 for i in range(prefix_len))
    for expected, call in _late_failures(impl):
        buf = impl.buffer.WriteBuffer()
        buf.write(prefix)
        cap = buf.capacity
        with pytest.raises(expected):
            call(buf)
        assert buf.getvalue() == prefix
        assert len(buf) == prefix_len
        assert buf.capacity >= cap


# --------------------------------------------------------------------------------------------------------------
# secrets never shown

def _leaks(text: str) -> bool:
    return SECRET in text or SECRET.encode().hex() in text or PASSPHRASE in text or SEED.hex() in text


def _signers(impl):
    return [impl.sign.HmacSha256(SECRET), impl.sign.HmacSha256(SECRET.encode()), impl.sign.Ed25519Signer(SEED)]


def _encoders(impl):
    hmac = impl.sign.HmacSha256(SECRET)
    ed = impl.sign.Ed25519Signer(SEED)
    return [impl.binance.BinanceRest("key", hmac), impl.binance.BinanceWs("key", ed),
            impl.okx.OkxRest("key", hmac, PASSPHRASE), impl.okx.OkxWs("key", hmac, PASSPHRASE),
            impl.htx.HtxRest("key", ed, account_id=1)]


def test_signers_hide_secrets(impl):
    for signer in _signers(impl):
        assert not _leaks(repr(signer)) and not _leaks(str(signer)) and not _leaks(format(signer, ""))
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            with pytest.raises(Exception) as info:  # noqa: B017 - any refusal will do, as long as it is silent
                pickle.dumps(signer, protocol)
            assert not _leaks(str(info.value)) and not _leaks(repr(info.value))
        for copier in (copy.copy, copy.deepcopy):
            with pytest.raises(Exception) as info:  # noqa: B017
                copier(signer)
            assert not _leaks(str(info.value))
        # nothing reachable from the signer holds the secret as text or bytes
        for ref in gc.get_referents(signer):
            if isinstance(ref, (str, bytes, bytearray)):
                assert SECRET not in (ref if isinstance(ref, str) else ref.decode("latin-1"))
                assert SEED not in (ref.encode("latin-1", "replace") if isinstance(ref, str) else bytes(ref))
        for name in dir(signer):
            if name.startswith("__"):
                continue
            try:
                value = getattr(signer, name)
            except Exception:  # noqa: BLE001,S112 - a property may refuse
                continue
            if isinstance(value, (str, bytes)):
                assert not _leaks(value if isinstance(value, str) else value.hex())
                assert SECRET.encode() not in (value.encode() if isinstance(value, str) else value)


def test_encoders_hide_secrets(impl):
    for enc in _encoders(impl):
        assert not _leaks(repr(enc)) and not _leaks(str(enc))
        try:
            data = pickle.dumps(enc)
        except Exception as exc:  # noqa: BLE001 - refusing is fine, silently
            assert not _leaks(str(exc)) and not _leaks(repr(exc))
        else:
            assert SECRET.encode() not in data and SEED not in data


def test_error_messages_hide_secrets(impl):
    buf = impl.buffer.WriteBuffer()
    hmac = impl.sign.HmacSha256(SECRET)
    okx = impl.okx.OkxRest("key", hmac, PASSPHRASE)
    rest = impl.binance.BinanceRest("key", hmac)
    calls = [
        lambda: okx.place_order_request(buf, "BTC USDT", "cash", "buy", "limit", sz="1", px="1", cl_ord_id="a",
                                        timestamp_ms=1),
        lambda: okx.cancel_request(buf, "BTC-USDT", timestamp_ms=1),
        lambda: rest.new_order_params(buf, "BTCUSDT", "BUY", "LIMIT", client_order_id=None, timestamp=1,
                                      quantity="nan", price="1", time_in_force="GTC"),
        lambda: hmac.digest("text"),
        lambda: impl.sign.HmacSha256(""),
        lambda: impl.sign.Ed25519Signer(SEED[:31]),
        lambda: impl.sign.Ed25519Signer(SECRET),  # not a PEM: the message must not quote it
        lambda: impl.okx.OkxRest("key", hmac, PASSPHRASE + "\r\n"),
        lambda: impl.binance.BinanceRest(SECRET + "\n", hmac),
    ]
    for call in calls:
        with pytest.raises(Exception) as info:  # noqa: B017
            call()
        text = "".join(str(a) for a in info.value.args) + str(info.value) + repr(info.value)
        assert not _leaks(text), text


# --------------------------------------------------------------------------------------------------------------
# client ids

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _b62(text: str) -> int:
    n = 0
    for c in text:
        n = n * 62 + ALPHABET.index(c)
    return n


def test_client_id_format(impl):
    assert impl.ids.ALPHABET == ALPHABET
    for prefix in ("", "a", "FO1", "abcd1234"):
        gen = impl.ids.ClientIdGenerator(prefix)
        assert gen.prefix == prefix
        assert re.fullmatch(r"[0-9A-Za-z]{10}", gen.salt)
        first = gen.next()
        second = next(gen)
        third = next(iter(gen))
        for cid in (first, second, third):
            assert len(cid) == len(prefix) + 18 <= 26
            assert cid.startswith(prefix + gen.salt)
            assert re.fullmatch(r"[0-9A-Za-z]{1,26}", cid)
            assert re.fullmatch(r"[A-Za-z0-9_-]{1,36}", cid)  # Binance
            assert re.fullmatch(r"[A-Za-z0-9]{1,32}", cid)  # OKX
        counters = [_b62(c[-8:]) for c in (first, second, third)]
        assert counters[1] == (counters[0] + 1) % 62**8 and counters[2] == (counters[1] + 1) % 62**8
    for bad in ("abcdefghi", "a-b", "é", " ", "a\n"):
        with pytest.raises(ValueError):
            impl.ids.ClientIdGenerator(bad)


def test_client_ids_unique_100k_and_across_generators(impl):
    gen_a = impl.ids.ClientIdGenerator("t")
    gen_b = impl.ids.ClientIdGenerator("t")
    ids_a = [gen_a.next() for _ in range(100_000)]
    assert len(set(ids_a)) == 100_000
    ids_b = {gen_b.next() for _ in range(1000)}
    assert gen_a.salt != gen_b.salt
    assert not ids_b & set(ids_a)
    # random starts and salts: many generators, no shared salt
    assert len({impl.ids.ClientIdGenerator().salt for _ in range(200)}) == 200


def _ids_in_child(gen, n: int) -> tuple[int, int]:
    """fork; the child writes its salt and n ids to a pipe. Returns (pid, read fd)."""
    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads alive
        pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(read_fd)
            payload = "\n".join([gen.salt] + [gen.next() for _ in range(n)]).encode()
            with os.fdopen(write_fd, "wb") as out:
                out.write(payload)
        finally:
            os._exit(0)
    os.close(write_fd)
    return pid, read_fd


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_client_ids_unique_across_forked_processes(impl):
    gen = impl.ids.ClientIdGenerator("fk")
    parent_salt = gen.salt
    n = 20_000
    children = [_ids_in_child(gen, n) for _ in range(2)]
    parent_ids = [gen.next() for _ in range(n)]
    results = []
    for pid, fd in children:
        with os.fdopen(fd, "rb") as inp:
            lines = inp.read().decode().split("\n")
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        results.append(lines)
    salts = [r[0] for r in results]
    assert parent_salt not in salts and salts[0] != salts[1], "a forked child kept its parent's salt"
    assert gen.salt == parent_salt
    everything = parent_ids + results[0][1:] + results[1][1:]
    assert len(everything) == 3 * n
    assert len(set(everything)) == 3 * n


# --------------------------------------------------------------------------------------------------------------
# memory stays flat over 100,000 encodes, error paths included

def _encode_loop(impl, n: int) -> None:
    hmac = impl.sign.HmacSha256(SECRET)
    ed = impl.sign.Ed25519Signer(SEED)
    rules = impl.numbers.SymbolRules("BTCUSDT", "0.01", "0.00001", min_notional=5)
    rest = impl.binance.BinanceRest("key", hmac, recv_window=5000)
    ws = impl.binance.BinanceWs("key", ed)
    okx = impl.okx.OkxRest("key", hmac, PASSPHRASE)
    okx_ws = impl.okx.OkxWs("key", hmac, PASSPHRASE)
    htx = impl.htx.HtxRest("key", hmac, account_id=1)
    gen = impl.ids.ClientIdGenerator("m")
    buf = impl.buffer.WriteBuffer()
    errors = (InvalidOrder, TypeError)
    for i in range(n):
        buf.clear()
        cid = gen.next()
        k = i % 10
        try:
            if k == 0:
                rest.new_order_request(buf, "BTCUSDT", "BUY", "LIMIT", client_order_id=cid, timestamp=1 + i,
                                       quantity="0.00123", price="52000.01", time_in_force="GTC", rules=rules)
            elif k == 1:
                ws.order_place(buf, i, "１２３４５６", "SELL", "LIMIT", client_order_id=cid, timestamp=1 + i,
                               quantity=1, price=0.1, time_in_force="IOC")
            elif k == 2:
                okx.place_order_request(buf, "BTC-USDT", "cash", "buy", "limit", sz="2", px="2.15", cl_ord_id=cid,
                                        timestamp_ms=1 + i)
            elif k == 3:
                okx_ws.order(buf, str(i), 123, "cash", "sell", "market", sz="1.5", cl_ord_id=cid, exp_time_ms=5)
            elif k == 4:
                htx.place_order_request(buf, "btcusdt", "buy-limit", amount="1", price="100.1", client_order_id=cid,
                                        timestamp_s=1 + i)
            elif k == 5:  # error: number
                rest.new_order_params(buf, "BTCUSDT", "BUY", "LIMIT", client_order_id=cid, timestamp=1,
                                      quantity="nan", price="1", time_in_force="GTC")
            elif k == 6:  # error: off grid after the price was formatted
                ws.order_place(buf, i, "BTCUSDT", "BUY", "LIMIT", client_order_id=cid, timestamp=1,
                               quantity="1.000001", price="1.00", time_in_force="GTC", rules=rules)
            elif k == 7:  # error: bad field
                okx.cancel_request(buf, "BTC USDT", timestamp_ms=1, cl_ord_id=cid)
            elif k == 8:  # error: notional
                rest.new_order_params(buf, "BTCUSDT", "BUY", "LIMIT", client_order_id=cid, timestamp=1,
                                      quantity="0.001", price="1", time_in_force="GTC", rules=rules)
            else:  # error: type
                htx.query_client_request(buf, cid + "\r\n", timestamp_s=1)
        except errors:
            pass


@pytest.mark.skipif(not hasattr(sys, "getallocatedblocks"), reason="needs sys.getallocatedblocks")
def test_memory_flat_over_100k_encodes(impl):
    psutil = pytest.importorskip("psutil")
    proc = psutil.Process()
    _encode_loop(impl, 5_000)  # warm caches, interned strings, free lists
    gc.collect()
    blocks0 = sys.getallocatedblocks()
    rss0 = proc.memory_info().rss
    t0 = time.perf_counter()
    _encode_loop(impl, 100_000)
    elapsed = time.perf_counter() - t0
    gc.collect()
    blocks = sys.getallocatedblocks() - blocks0
    rss = proc.memory_info().rss - rss0
    # a leaked Python object per call would be >= 100,000 blocks; a leaked C allocation of >= 64 bytes per call
    # would be >= 6 MiB of RSS
    assert blocks < 2_000, f"{blocks} Python memory blocks more after 100,000 encodes"
    assert rss < 6 * 2**20, f"RSS grew by {rss / 2**20:.1f} MiB over 100,000 encodes"
    assert elapsed < 60, f"100,000 encodes took {elapsed:.1f} s"
