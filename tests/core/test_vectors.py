"""Golden vectors through both implementations (`impl` = fastorder._py twin and fastorder._core compiled).

Sources:
- RFC 4231 §4.2-4.8 (HMAC-SHA256 test cases 1-7) and RFC 8032 §7.1 (Ed25519 TEST 1-3), typed in from the RFCs.
- tests/data/signing_vectors.json (loaded by tests/core/golden.py), each vector with its public source URLs;
  `official` (published) vectors appear in the venue's docs or official SDK, the others are computed with the
  documented algorithm from the sources' keys and texts (test ids carry "selfcomputed").
- End-to-end encoder frames: the signed text and signature come from a vector; the surrounding layout (query
  order, JSON member order, HTTP head) is written out here by hand from the stubs in fastorder/_core/*.pyi.
"""

from __future__ import annotations

import base64
import calendar
import datetime
import importlib.util
import json
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# the golden table lives beside this file (tests import the installed package, not the tree: load it by path)
_spec = importlib.util.spec_from_file_location("fastorder_tests_golden", Path(__file__).with_name("golden.py"))
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)


def test_every_vector_names_its_public_source_and_computed_ones_recompute():
    # published=False vectors carry a signature computed here once: recompute it with an independent
    # implementation (Python's hmac, cryptography's Ed25519) so the data file cannot drift
    import hashlib
    import hmac

    for v in golden.as_dicts():
        assert golden.SOURCES[v["id"]] and all(u.startswith("https://") for u in golden.SOURCES[v["id"]]), v["id"]
        if v["official"]:
            continue
        text = v["signed_text"].encode("utf-8")
        if "private_seed_hex" in v:
            raw = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(v["private_seed_hex"])).sign(text)
        else:
            raw = hmac.new(v["secret"].encode("utf-8"), text, hashlib.sha256).digest()
        assert (raw.hex() if v["encoding"] == "hex" else base64.b64encode(raw).decode()) == v["signature"], v["id"]


VECTORS = {v["id"]: v for v in golden.as_dicts()}
BINANCE_KEY = golden.BINANCE_API_KEY
BINANCE_SECRET = VECTORS["binance-rest-R1"]["secret"]
BINANCE_ED_KEY = "4yNzx3yWC5bS6YTwEkSRaC0nRmSQIIStAUOh1b6kqaBrTLIhjCpI5lJH8q8R8WNO"
RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
OKX_SECRET = VECTORS["okx-rest-post-order"]["secret"]


def vid(v: dict) -> str:
    return v["id"] + ("" if v["official"] else "[selfcomputed]")


# --------------------------------------------------------------------------------------------------------------
# RFC 4231: HMAC-SHA256 test cases 1-7 (case 5 is truncated to 128 bits by the RFC)

RFC4231 = [
    ("tc1", b"\x0b" * 20, b"Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    ("tc2", b"Jefe", b"what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    ("tc3", b"\xaa" * 20, b"\xdd" * 50,
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    ("tc4", bytes(range(1, 26)), b"\xcd" * 50,
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    ("tc5-truncated128", b"\x0c" * 20, b"Test With Truncation",
     "a3b6167473100ee06e0c796c2955552b"),
    ("tc6", b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    ("tc7", b"\xaa" * 131,
     b"This is a test using a larger than block-size key and a larger than block-size data. "
     b"The key needs to be hashed before being used by the HMAC algorithm.",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
]


@pytest.mark.parametrize(("key", "data", "expected"), [c[1:] for c in RFC4231], ids=[c[0] for c in RFC4231])
def test_rfc4231_hmac_sha256(impl, key, data, expected):
    signer = impl.sign.HmacSha256(key)
    n = len(expected) // 2
    for message in (data, bytearray(data), memoryview(data)):
        assert signer.digest(message)[:n].hex() == expected
        assert signer.hexdigest(message)[: 2 * n] == expected
        assert base64.b64decode(signer.b64digest(message))[:n].hex() == expected
    assert len(signer.digest(data)) == 32
    # the signer is reusable: same answer twice, and other messages do not disturb it
    signer.digest(b"something else")
    assert signer.digest(data)[:n].hex() == expected


# --------------------------------------------------------------------------------------------------------------
# RFC 8032 §7.1 Ed25519 TEST 1-3

RFC8032 = [
    ("test1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("test2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("test3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
]


@pytest.mark.parametrize(("seed", "pub", "msg", "sig"), [c[1:] for c in RFC8032], ids=[c[0] for c in RFC8032])
def test_rfc8032_ed25519(impl, seed, pub, msg, sig):
    seed_b, msg_b = bytes.fromhex(seed), bytes.fromhex(msg)
    key = Ed25519PrivateKey.from_private_bytes(seed_b)
    from cryptography.hazmat.primitives import serialization

    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    for form in (seed_b, key, pem, pem.decode("ascii")):
        signer = impl.sign.Ed25519Signer(form)
        assert signer.sign(msg_b).hex() == sig
        assert signer.b64sign(msg_b) == base64.b64encode(bytes.fromhex(sig)).decode()
        loaded = serialization.load_pem_public_key(signer.public_key_pem.encode())
        assert isinstance(loaded, Ed25519PublicKey)
        assert loaded.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex() == pub


def test_rfc8032_seed_public_key_pem(impl):
    # the PEM (SubjectPublicKeyInfo) of the RFC 8032 §7.1 TEST 1 public key
    pem = impl.sign.Ed25519Signer(RFC8032_SEED).public_key_pem
    assert "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" in pem
    assert pem.startswith("-----BEGIN PUBLIC KEY-----\n")


# --------------------------------------------------------------------------------------------------------------
# every vector in tests/data/signing_vectors.json through the signers

@pytest.mark.parametrize("vector", list(VECTORS.values()), ids=vid)
def test_vector_signature(impl, vector):
    message = vector["signed_text"].encode("utf-8")
    if vector["kind"] == "ed25519":
        signer = impl.sign.Ed25519Signer(bytes.fromhex(vector["private_seed_hex"]))
        assert vector["encoding"] == "base64"
        assert signer.b64sign(message) == vector["signature"]
        assert signer.sign(message) == base64.b64decode(vector["signature"])
        return
    signer = impl.sign.HmacSha256(vector["secret"])
    signer_b = impl.sign.HmacSha256(vector["secret"].encode("utf-8"))
    if vector["encoding"] == "hex":
        assert signer.hexdigest(message) == vector["signature"]
        assert signer_b.hexdigest(message) == vector["signature"]
        assert signer.digest(message) == bytes.fromhex(vector["signature"])
    else:
        assert vector["encoding"] == "base64"
        assert signer.b64digest(message) == vector["signature"]
        assert signer_b.b64digest(message) == vector["signature"]
        assert signer.digest(message) == base64.b64decode(vector["signature"])


def test_vectors_file_is_complete():
    # the encoder tests below name these vectors: the file must still carry them
    needed = {"binance-rest-R1", "binance-rest-R2-nonascii", "binance-ws-W1", "binance-ws-W2-nonascii",
              "binance-ws-order.place", "binance-ws-order.cancel", "binance-ws-order.status",
              "binance-ws-session.logon", "binance-ws-session.logon-ed25519-rfc8032seed", "okx-rest-get",
              "okx-rest-post-order", "okx-ws-login", "htx-sdk-test", "htx-post-place"}
    assert needed <= set(VECTORS)


# --------------------------------------------------------------------------------------------------------------
# Binance REST end to end (R1, R2 official)

def _binance_rest(impl, *, recv_window=5000, signer=None, **kw):
    signer = signer or impl.sign.HmacSha256(BINANCE_SECRET)
    return impl.binance.BinanceRest(BINANCE_KEY, signer, recv_window=recv_window, **kw)


@pytest.mark.parametrize(("vector_id", "symbol"), [("binance-rest-R1", "LTCBTC"),
                                                   ("binance-rest-R2-nonascii", "１２３４５６")])
@pytest.mark.parametrize("numbers", ["int+str", "str+str", "decimal", "float"])
def test_binance_rest_new_order_params(impl, vector_id, symbol, numbers):
    from decimal import Decimal

    vector = VECTORS[vector_id]
    qty, price = {"int+str": (1, "0.1"), "str+str": ("1", "0.1"), "decimal": (Decimal("1"), Decimal("0.1")),
                  "float": (1.0, 0.1)}[numbers]
    rest = _binance_rest(impl)
    buf = impl.buffer.WriteBuffer()
    rest.new_order_params(buf, symbol, "BUY", "LIMIT", client_order_id=None, timestamp=1499827319559,
                          quantity=qty, price=price, time_in_force="GTC")
    assert buf.getvalue() == (vector["signed_text"] + "&signature=" + vector["signature"]).encode()


def test_binance_rest_new_order_request_r1(impl):
    vector = VECTORS["binance-rest-R1"]
    rest = _binance_rest(impl)
    buf = impl.buffer.WriteBuffer()
    rest.new_order_request(buf, "LTCBTC", "BUY", "LIMIT", client_order_id=None, timestamp=1499827319559,
                           quantity=1, price="0.1", time_in_force="GTC")
    assert buf.getvalue() == (
        f"POST /api/v3/order?{vector['signed_text']}&signature={vector['signature']} HTTP/1.1\r\n"
        f"Host: api.binance.com\r\nX-MBX-APIKEY: {BINANCE_KEY}\r\nContent-Length: 0\r\n\r\n").encode()
    buf.clear()
    rest.new_order_request(buf, "LTCBTC", "BUY", "LIMIT", client_order_id=None, timestamp=1499827319559,
                           quantity=1, price="0.1", time_in_force="GTC", test=True)
    assert buf.getvalue().startswith(f"POST /api/v3/order/test?{vector['signed_text']}&signature=".encode())


def test_binance_rest_with_client_id_selfcomputed(impl):
    # R1 plus newClientOrderId (after stopPrice, before newOrderRespType/recvWindow): self-computed signature
    text = ("symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&newClientOrderId=my-Order_1"
            "&newOrderRespType=ACK&recvWindow=5000&timestamp=1499827319559")
    import hashlib
    import hmac

    sig = hmac.new(BINANCE_SECRET.encode(), text.encode(), hashlib.sha256).hexdigest()
    buf = impl.buffer.WriteBuffer()
    _binance_rest(impl).new_order_params(buf, "LTCBTC", "BUY", "LIMIT", client_order_id="my-Order_1",
                                         timestamp=1499827319559, quantity=1, price="0.1",
                                         time_in_force="GTC", resp_type="ACK")
    assert buf.getvalue() == f"{text}&signature={sig}".encode()


def test_binance_rest_ed25519_selfcomputed(impl):
    # the RFC 8032 seed signs our encoder's text; the signature is percent-encoded base64 (Binance REST docs, "SIGNED Endpoint Examples": Ed25519)
    text = ("symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=1&price=0.2&recvWindow=5000"
            "&timestamp=1668481559918")
    sig = base64.b64encode(Ed25519PrivateKey.from_private_bytes(RFC8032_SEED).sign(text.encode())).decode()
    rest = _binance_rest(impl, signer=impl.sign.Ed25519Signer(RFC8032_SEED))
    buf = impl.buffer.WriteBuffer()
    rest.new_order_params(buf, "BTCUSDT", "SELL", "LIMIT", client_order_id=None, timestamp=1668481559918,
                          quantity=1, price="0.2", time_in_force="GTC")
    assert buf.getvalue() == f"{text}&signature={quote(sig, safe='')}".encode()
    assert "%2F" in quote(sig, safe="") or "%2B" in quote(sig, safe="") or "%3D" in quote(sig, safe="")


def test_binance_rest_cancel_and_query_selfcomputed(impl):
    import hashlib
    import hmac

    def signed(text: str) -> str:
        return text + "&signature=" + hmac.new(BINANCE_SECRET.encode(), text.encode(), hashlib.sha256).hexdigest()

    rest = _binance_rest(impl, recv_window=None)
    buf = impl.buffer.WriteBuffer()
    rest.cancel_params(buf, "BTCUSDT", timestamp=1660801715830, order_id=12569099453,
                       orig_client_order_id="4d96324ff9d44481926157", new_client_order_id="c-1")
    assert buf.getvalue().decode() == signed(
        "symbol=BTCUSDT&orderId=12569099453&origClientOrderId=4d96324ff9d44481926157&newClientOrderId=c-1"
        "&timestamp=1660801715830")
    buf.clear()
    rest.cancel_request(buf, "BTCUSDT", timestamp=1660801715830, orig_client_order_id="abc")
    assert buf.getvalue().decode() == (
        "DELETE /api/v3/order?" + signed("symbol=BTCUSDT&origClientOrderId=abc&timestamp=1660801715830")
        + f" HTTP/1.1\r\nHost: api.binance.com\r\nX-MBX-APIKEY: {BINANCE_KEY}\r\nContent-Length: 0\r\n\r\n")
    buf.clear()
    rest.query_params(buf, "BTCUSDT", timestamp=1660801720951, order_id=12569099453)
    assert buf.getvalue().decode() == signed("symbol=BTCUSDT&orderId=12569099453&timestamp=1660801720951")
    buf.clear()
    rest.query_request(buf, "BTCUSDT", timestamp=1660801720951, order_id=7)
    assert buf.getvalue().decode() == (
        "GET /api/v3/order?" + signed("symbol=BTCUSDT&orderId=7&timestamp=1660801720951")
        + f" HTTP/1.1\r\nHost: api.binance.com\r\nX-MBX-APIKEY: {BINANCE_KEY}\r\n\r\n")


# --------------------------------------------------------------------------------------------------------------
# Binance WebSocket API end to end: frames built by BinanceWs, the signature inside equals the vector

def _ws_frame(request_id_json: str, method: str, params: dict, signature: str | None) -> str:
    body = ",".join(f'"{k}":{v}' for k, v in params.items())
    if signature is not None:
        body += f',"signature":"{signature}"'
    return f'{{"id":{request_id_json},"method":"{method}","params":{{{body}}}}}'


def _signature_in(frame: bytes) -> str:
    return json.loads(frame)["params"]["signature"]


def _assert_signed_text(frame: bytes, vector: dict) -> None:
    # the sorted name=value text of all params but signature (Binance WebSocket API docs, "Signing requests"), recomputed from the frame
    params = json.loads(frame)["params"]
    text = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "signature")
    assert text == vector["signed_text"]


def test_binance_ws_w1(impl):
    vector = VECTORS["binance-ws-W1"]
    ws = impl.binance.BinanceWs(BINANCE_KEY, impl.sign.HmacSha256(BINANCE_SECRET), recv_window=100)
    rules = impl.numbers.SymbolRules("BTCUSDT", "0.01", "0.00000001")
    buf = impl.buffer.WriteBuffer()
    ws.order_place(buf, "e2a85d9f-07a5-4f94-8d5f-789dc3deb097", "BTCUSDT", "SELL", "LIMIT", client_order_id=None,
                   timestamp=1645423376532, quantity="0.01", price=52000, time_in_force="GTC", rules=rules)
    expected = _ws_frame('"e2a85d9f-07a5-4f94-8d5f-789dc3deb097"', "order.place", {
        "apiKey": f'"{BINANCE_KEY}"', "price": '"52000.00"', "quantity": '"0.01000000"', "recvWindow": "100",
        "side": '"SELL"', "symbol": '"BTCUSDT"', "timeInForce": '"GTC"', "timestamp": "1645423376532",
        "type": '"LIMIT"'}, vector["signature"])
    assert buf.getvalue().decode() == expected
    assert _signature_in(buf.getvalue()) == vector["signature"]
    _assert_signed_text(buf.getvalue(), vector)


def test_binance_ws_w2_nonascii(impl):
    vector = VECTORS["binance-ws-W2-nonascii"]
    ws = impl.binance.BinanceWs(BINANCE_KEY, impl.sign.HmacSha256(BINANCE_SECRET), recv_window=5000)
    rules = impl.numbers.SymbolRules("１２３４５６", "0.00000001", "0.00000001")
    buf = impl.buffer.WriteBuffer()
    ws.order_place(buf, 7, "１２３４５６", "BUY", "LIMIT", client_order_id=None, timestamp=1645423376532,
                   quantity=1, price="0.1", time_in_force="GTC", rules=rules)
    expected = _ws_frame("7", "order.place", {
        "apiKey": f'"{BINANCE_KEY}"', "price": '"0.10000000"', "quantity": '"1.00000000"', "recvWindow": "5000",
        "side": '"BUY"', "symbol": '"１２３４５６"', "timeInForce": '"GTC"', "timestamp": "1645423376532",
        "type": '"LIMIT"'}, vector["signature"])
    assert buf.getvalue() == expected.encode("utf-8")  # raw UTF-8 in the JSON string, not \uXXXX
    _assert_signed_text(buf.getvalue(), vector)


def test_binance_ws_order_place_method_page(impl):
    vector = VECTORS["binance-ws-order.place"]
    ws = impl.binance.BinanceWs(BINANCE_KEY, impl.sign.HmacSha256(BINANCE_SECRET))
    rules = impl.numbers.SymbolRules("BTCUSDT", "0.00000001", "0.00000001")
    buf = impl.buffer.WriteBuffer()
    ws.order_place(buf, 1, "BTCUSDT", "SELL", "LIMIT", client_order_id=None, timestamp=1660801715431,
                   quantity="0.00847", price="23416.1", time_in_force="GTC", rules=rules)
    expected = _ws_frame("1", "order.place", {
        "apiKey": f'"{BINANCE_KEY}"', "price": '"23416.10000000"', "quantity": '"0.00847000"',
        "side": '"SELL"', "symbol": '"BTCUSDT"', "timeInForce": '"GTC"', "timestamp": "1660801715431",
        "type": '"LIMIT"'}, vector["signature"])
    assert buf.getvalue().decode() == expected
    _assert_signed_text(buf.getvalue(), vector)


def test_binance_ws_order_cancel_method_page(impl):
    vector = VECTORS["binance-ws-order.cancel"]
    ws = impl.binance.BinanceWs(BINANCE_KEY, impl.sign.HmacSha256(BINANCE_SECRET))
    buf = impl.buffer.WriteBuffer()
    ws.order_cancel(buf, "5633b6a2-90a9-4192-83e7-925c90b6a2fd", "BTCUSDT", timestamp=1660801715830,
                    orig_client_order_id="4d96324ff9d44481926157")
    expected = _ws_frame('"5633b6a2-90a9-4192-83e7-925c90b6a2fd"', "order.cancel", {
        "apiKey": f'"{BINANCE_KEY}"', "origClientOrderId": '"4d96324ff9d44481926157"', "symbol": '"BTCUSDT"',
        "timestamp": "1660801715830"}, vector["signature"])
    assert buf.getvalue().decode() == expected
    _assert_signed_text(buf.getvalue(), vector)


def test_binance_ws_order_status_method_page(impl):
    vector = VECTORS["binance-ws-order.status"]
    ws = impl.binance.BinanceWs(BINANCE_KEY, impl.sign.HmacSha256(BINANCE_SECRET))
    buf = impl.buffer.WriteBuffer()
    ws.order_status(buf, 42, "BTCUSDT", timestamp=1660801720951, order_id=12569099453)
    expected = _ws_frame("42", "order.status", {
        "apiKey": f'"{BINANCE_KEY}"', "orderId": "12569099453", "symbol": '"BTCUSDT"',
        "timestamp": "1660801720951"}, vector["signature"])
    assert buf.getvalue().decode() == expected
    _assert_signed_text(buf.getvalue(), vector)


def test_binance_ws_session_logon_hmac(impl):
    vector = VECTORS["binance-ws-session.logon"]
    ws = impl.binance.BinanceWs(BINANCE_KEY, impl.sign.HmacSha256(BINANCE_SECRET))
    buf = impl.buffer.WriteBuffer()
    ws.session_logon(buf, "logon-1", timestamp=1649729878532)
    expected = _ws_frame('"logon-1"', "session.logon", {
        "apiKey": f'"{BINANCE_KEY}"', "timestamp": "1649729878532"}, vector["signature"])
    assert buf.getvalue().decode() == expected
    _assert_signed_text(buf.getvalue(), vector)


def test_binance_ws_session_logon_ed25519_selfcomputed(impl):
    vector = VECTORS["binance-ws-session.logon-ed25519-rfc8032seed"]
    assert not vector["official"]
    ws = impl.binance.BinanceWs(BINANCE_ED_KEY, impl.sign.Ed25519Signer(RFC8032_SEED))
    buf = impl.buffer.WriteBuffer()
    ws.session_logon(buf, 3, timestamp=1649729878532)
    expected = _ws_frame("3", "session.logon", {
        "apiKey": f'"{BINANCE_ED_KEY}"', "timestamp": "1649729878532"}, vector["signature"])
    assert buf.getvalue().decode() == expected  # base64 as is inside JSON: no percent-encoding


def test_binance_ws_logged_on_ping_time(impl):
    ws = impl.binance.BinanceWs(BINANCE_KEY, impl.sign.HmacSha256(BINANCE_SECRET), recv_window=100)
    buf = impl.buffer.WriteBuffer()
    ws.order_place(buf, 9, "BTCUSDT", "BUY", "MARKET", client_order_id="x1", timestamp=5, quote_order_qty="10.5",
                   resp_type="RESULT", logged_on=True)
    assert buf.getvalue().decode() == _ws_frame("9", "order.place", {
        "newClientOrderId": '"x1"', "newOrderRespType": '"RESULT"', "quoteOrderQty": '"10.5"',
        "recvWindow": "100", "side": '"BUY"', "symbol": '"BTCUSDT"', "timestamp": "5", "type": '"MARKET"'}, None)
    buf.clear()
    ws.ping(buf, 1)
    ws.time(buf, "t-2")
    assert buf.getvalue() == b'{"id":1,"method":"ping"}{"id":"t-2","method":"time"}'


# --------------------------------------------------------------------------------------------------------------
# OKX (all SELF-COMPUTED: OKX publishes no reproducible vector)

OKX_TS_MS = 1607418537715  # 2020-12-08T09:08:57.715Z


def test_okx_iso_ms(impl):
    assert impl.okx.iso_ms(OKX_TS_MS) == "2020-12-08T09:08:57.715Z"
    assert impl.okx.iso_ms(1) == "1970-01-01T00:00:00.001Z"
    assert impl.okx.iso_ms(1607418537000) == "2020-12-08T09:08:57.000Z"


def test_okx_rest_get_sign_selfcomputed(impl):
    vector = VECTORS["okx-rest-get"]
    rest = impl.okx.OkxRest("key", impl.sign.HmacSha256(OKX_SECRET), "pass")
    assert rest.sign(OKX_TS_MS, "GET", "/api/v5/account/balance?ccy=BTC") == vector["signature"]
    assert rest.sign(OKX_TS_MS, "GET", "/api/v5/account/balance?ccy=BTC", "") == vector["signature"]


def test_okx_rest_post_order_selfcomputed(impl):
    vector = VECTORS["okx-rest-post-order"]
    body = vector["signed_text"].split("/api/v5/trade/order", 1)[1]
    rest = impl.okx.OkxRest("k-1", impl.sign.HmacSha256(OKX_SECRET), "pass phrase!".replace(" ", "_"))
    buf = impl.buffer.WriteBuffer()
    rest.order_body(buf, "BTC-USDT", "cash", "buy", "limit", sz=2, cl_ord_id="b15", px="2.15")
    assert buf.getvalue().decode() == body
    assert rest.sign(OKX_TS_MS, "POST", "/api/v5/trade/order", body) == vector["signature"]
    assert rest.sign(OKX_TS_MS, "POST", "/api/v5/trade/order", body.encode()) == vector["signature"]
    buf.clear()
    rest.place_order_request(buf, "BTC-USDT", "cash", "buy", "limit", sz="2", cl_ord_id="b15", px=2.15,
                             timestamp_ms=OKX_TS_MS)
    assert buf.getvalue().decode() == (
        "POST /api/v5/trade/order HTTP/1.1\r\nHost: www.okx.com\r\nOK-ACCESS-KEY: k-1\r\n"
        "OK-ACCESS-PASSPHRASE: pass_phrase!\r\nOK-ACCESS-TIMESTAMP: 2020-12-08T09:08:57.715Z\r\n"
        f"OK-ACCESS-SIGN: {vector['signature']}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}")


def test_okx_rest_simulated_exptime_cancel_query_selfcomputed(impl):
    signer = impl.sign.HmacSha256(OKX_SECRET)
    rest = impl.okx.OkxRest("k", signer, "p", host="eea.okx.com", simulated=True)
    import hashlib
    import hmac

    def sig(text: str) -> str:
        return base64.b64encode(hmac.new(OKX_SECRET.encode(), text.encode(), hashlib.sha256).digest()).decode()

    iso = "2020-12-08T09:08:57.715Z"
    buf = impl.buffer.WriteBuffer()
    rest.place_order_request(buf, "BTC-USDT", "cash", "buy", "market", sz="100", cl_ord_id="A1",
                             tgt_ccy="quote_ccy", timestamp_ms=OKX_TS_MS, exp_time_ms=1607418547715)
    body = '{"instId":"BTC-USDT","tdMode":"cash","clOrdId":"A1","side":"buy","ordType":"market","sz":"100","tgtCcy":"quote_ccy"}'
    assert buf.getvalue().decode() == (
        "POST /api/v5/trade/order HTTP/1.1\r\nHost: eea.okx.com\r\nOK-ACCESS-KEY: k\r\nOK-ACCESS-PASSPHRASE: p\r\n"
        f"x-simulated-trading: 1\r\nOK-ACCESS-TIMESTAMP: {iso}\r\n"
        f"OK-ACCESS-SIGN: {sig(iso + 'POST/api/v5/trade/order' + body)}\r\nexpTime: 1607418547715\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}")
    buf.clear()
    rest.cancel_request(buf, "BTC-USDT", timestamp_ms=OKX_TS_MS, ord_id=2510789768709120, cl_ord_id="A1")
    body = '{"instId":"BTC-USDT","ordId":"2510789768709120","clOrdId":"A1"}'
    assert buf.getvalue().decode().endswith(
        f"OK-ACCESS-SIGN: {sig(iso + 'POST/api/v5/trade/cancel-order' + body)}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}")
    assert buf.getvalue().startswith(b"POST /api/v5/trade/cancel-order HTTP/1.1\r\n")
    buf.clear()
    rest.query_request(buf, "BTC-USDT", timestamp_ms=OKX_TS_MS, ord_id="123")
    path = "/api/v5/trade/order?instId=BTC-USDT&ordId=123"
    assert buf.getvalue().decode() == (
        f"GET {path} HTTP/1.1\r\nHost: eea.okx.com\r\nOK-ACCESS-KEY: k\r\nOK-ACCESS-PASSPHRASE: p\r\n"
        f"x-simulated-trading: 1\r\nOK-ACCESS-TIMESTAMP: {iso}\r\nOK-ACCESS-SIGN: {sig(iso + 'GET' + path)}\r\n\r\n")


def test_okx_ws_login_selfcomputed(impl):
    vector = VECTORS["okx-ws-login"]
    ws = impl.okx.OkxWs("985d5b66-57ce-40fb-b714-afc0b9787083", impl.sign.HmacSha256(OKX_SECRET), "123456")
    buf = impl.buffer.WriteBuffer()
    ws.login(buf, timestamp_s=1538054050)
    assert buf.getvalue().decode() == (
        '{"op":"login","args":[{"apiKey":"985d5b66-57ce-40fb-b714-afc0b9787083","passphrase":"123456",'
        f'"timestamp":"1538054050","sign":"{vector["signature"]}"}}]}}')


def test_okx_ws_order_and_cancel_layout(impl):
    ws = impl.okx.OkxWs("k", impl.sign.HmacSha256(OKX_SECRET), "p")
    buf = impl.buffer.WriteBuffer()
    ws.order(buf, "1512", 123456, "cash", "buy", "limit", sz=2, cl_ord_id="b15", px="2.15")
    assert buf.getvalue().decode() == (
        '{"id":"1512","op":"order","args":[{"instIdCode":123456,"tdMode":"cash","clOrdId":"b15","side":"buy",'
        '"ordType":"limit","px":"2.15","sz":"2"}]}')
    buf.clear()
    ws.cancel_order(buf, "1514", 123456, ord_id="2510789768709120")
    assert buf.getvalue().decode() == (
        '{"id":"1514","op":"cancel-order","args":[{"instIdCode":123456,"ordId":"2510789768709120"}]}')


# --------------------------------------------------------------------------------------------------------------
# HTX

def _ts(*args: int) -> int:
    return calendar.timegm(datetime.datetime(*args).timetuple())


def test_htx_timestamp(impl):
    assert impl.htx.htx_timestamp(_ts(2017, 5, 11, 15, 19, 30)) == "2017-05-11T15:19:30"
    assert impl.htx.htx_timestamp(1) == "1970-01-01T00:00:01"
    assert impl.htx.htx_timestamp(253402300799) == "9999-12-31T23:59:59"


def test_htx_sdk_vector_official(impl):
    # the SDK test signs "Timestamp=123" literally, which no timestamp_s can produce: signer + layout only
    vector = VECTORS["htx-sdk-test"]
    assert impl.sign.HmacSha256("456").b64digest(vector["signed_text"].encode()) == vector["signature"]
    rest = impl.htx.HtxRest("123", impl.sign.HmacSha256("456"), account_id=1, host="host")
    text = rest.pre_signed_text("GET", "/url", timestamp_s=_ts(2017, 5, 11, 15, 19, 30))
    assert text == vector["signed_text"].replace("Timestamp=123", "Timestamp=2017-05-11T15%3A19%3A30")


def test_htx_post_place_selfcomputed(impl):
    vector = VECTORS["htx-post-place"]
    ts = _ts(2017, 5, 11, 15, 19, 30)
    rest = impl.htx.HtxRest("e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx", impl.sign.HmacSha256(vector["secret"]),
                            account_id=100009)
    assert rest.account_id == "100009"
    assert rest.pre_signed_text("POST", "/v1/order/orders/place", timestamp_s=ts) == vector["signed_text"]
    buf = impl.buffer.WriteBuffer()
    rest.place_order_request(buf, "ethusdt", "buy-limit", amount="10.1", price="100.1", client_order_id="a0001",
                             timestamp_s=ts)
    body = ('{"account-id":"100009","amount":"10.1","price":"100.1","source":"spot-api","symbol":"ethusdt",'
            '"type":"buy-limit","client-order-id":"a0001"}')
    query = vector["signed_text"].split("\n")[3]
    assert buf.getvalue().decode() == (
        f"POST /v1/order/orders/place?{query}&Signature={quote(vector['signature'], safe='')} HTTP/1.1\r\n"
        f"Host: api.huobi.pro\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}")


def test_htx_other_requests_selfcomputed(impl):
    import hashlib
    import hmac

    secret = "b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx"
    key = "e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx"
    ts = _ts(2017, 5, 11, 15, 19, 30)
    auth = f"AccessKeyId={key}&SignatureMethod=HmacSHA256&SignatureVersion=2&Timestamp=2017-05-11T15%3A19%3A30"

    def sig(text: str) -> str:
        return quote(base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()).decode(),
                     safe="")

    def pre(method: str, path: str, query: str) -> str:
        return "\n".join((method, "api-aws.huobi.pro", path, query))

    rest = impl.htx.HtxRest(key, impl.sign.HmacSha256(secret), account_id="100009", host="API-AWS.huobi.pro")
    buf = impl.buffer.WriteBuffer()
    rest.cancel_request(buf, 59378, timestamp_s=ts)
    path = "/v1/order/orders/59378/submitcancel"
    assert buf.getvalue().decode() == (
        f"POST {path}?{auth}&Signature={sig(pre('POST', path, auth))} HTTP/1.1\r\n"
        "Host: API-AWS.huobi.pro\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
    buf.clear()
    rest.cancel_client_request(buf, "a0001", timestamp_s=ts)
    path = "/v1/order/orders/submitCancelClientOrder"
    body = '{"client-order-id":"a0001"}'
    assert buf.getvalue().decode() == (
        f"POST {path}?{auth}&Signature={sig(pre('POST', path, auth))} HTTP/1.1\r\n"
        f"Host: API-AWS.huobi.pro\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}")
    buf.clear()
    rest.query_request(buf, "59378", timestamp_s=ts)
    path = "/v1/order/orders/59378"
    assert buf.getvalue().decode() == (
        f"GET {path}?{auth}&Signature={sig(pre('GET', path, auth))} HTTP/1.1\r\n"
        "Host: API-AWS.huobi.pro\r\n\r\n")
    buf.clear()
    rest.query_client_request(buf, "a0001", timestamp_s=ts)
    path = "/v1/order/orders/getClientOrder"
    q = auth + "&clientOrderId=a0001"
    assert rest.pre_signed_text("GET", path, timestamp_s=ts, client_order_id="a0001") == \
        f"GET\napi-aws.huobi.pro\n{path}\n{q}"
    assert buf.getvalue().decode() == (
        f"GET {path}?{q}&Signature={sig(pre('GET', path, q))} HTTP/1.1\r\n"
        "Host: API-AWS.huobi.pro\r\n\r\n")


def test_htx_ed25519_selfcomputed(impl):
    ts = _ts(2017, 5, 11, 15, 19, 30)
    rest = impl.htx.HtxRest("key1", impl.sign.Ed25519Signer(RFC8032_SEED), account_id=1)
    text = rest.pre_signed_text("GET", "/v1/order/orders/1", timestamp_s=ts)
    assert text == ("GET\napi.huobi.pro\n/v1/order/orders/1\nAccessKeyId=key1&SignatureMethod=Ed25519"
                    "&SignatureVersion=2&Timestamp=2017-05-11T15%3A19%3A30")
    sig = base64.b64encode(Ed25519PrivateKey.from_private_bytes(RFC8032_SEED).sign(text.encode())).decode()
    buf = impl.buffer.WriteBuffer()
    rest.query_request(buf, 1, timestamp_s=ts)
    assert f"&Signature={quote(sig, safe='')} HTTP/1.1\r\n".encode() in buf.getvalue()
