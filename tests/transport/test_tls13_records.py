"""The compiled TLS 1.3 record layer (csrc/fo_tls13.h driven by fastorder.transport.link): against real
servers (aiohttp, websockets, nginx in test_tls_compiled.py, the simulator, `openssl s_server` with each
suite and its KeyUpdate commands), and against tls13peer.Tls13Peer, whose records are sealed by an
independent implementation so every post-handshake case can be scripted: KeyUpdate both ways, session
tickets split over records, padding, alerts, malformed records, one byte at a time, resets, the write-key
limit.  Every case ends in the reply or a typed error, within its timeout."""

import asyncio
import datetime
import shutil
import ssl
import subprocess

import pytest
import trustme
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tls13peer import ALERT, APPDATA, CCS, HANDSHAKE, REPLY, Tls13Peer
from trhelpers import free_port

from fastorder.errors import ConfigError, HttpConnectionClosed, TlsCertificateError, TlsError
from fastorder.transport import link, open_http, open_ws
from fastorder.transport.tls import TlsConfig

GET = b"GET /order HTTP/1.1\r\nHost: localhost\r\n\r\n"


@pytest.fixture(scope="module")
def pki():
    ca = trustme.CA()
    return {"ca": ca, "good": ca.issue_cert("localhost", "127.0.0.1")}


def client_ctx(ca):
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


async def connect(pki, port, **kw):
    return await open_http("127.0.0.1", port, tls=TlsConfig(client_ctx(pki["ca"]), **kw),
                           server_hostname="localhost", connect_timeout=5)


def test_record_layer_switch():
    assert TlsConfig().record_layer == "compiled"
    assert TlsConfig(record_layer="openssl").record_layer == "openssl"
    with pytest.raises(ConfigError, match="record_layer"):
        TlsConfig(record_layer="fast")


# ---- real servers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", ["compiled", "openssl"])
@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_aiohttp_records_and_resumption(run, pki, layer, version):
    """TLS 1.3 with the compiled layer: records are ours, and tickets (passed to OpenSSL) still resume;
    TLS 1.2, or record_layer="openssl": OpenSSL's records."""
    async def main():
        async def order(req):
            return web.Response(body=await req.read() or b'{"ok":1}')

        sctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        pki["good"].configure_cert(sctx)
        sctx.maximum_version = version
        app = web.Application()
        app.router.add_route("*", "/order", order)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=sctx)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        cfg = TlsConfig(client_ctx(pki["ca"]), record_layer=layer)
        want = "compiled" if layer == "compiled" and version == ssl.TLSVersion.TLSv1_3 else "openssl"
        try:
            for i in range(3):
                c = await open_http("127.0.0.1", port, tls=cfg, server_hostname="localhost", connect_timeout=5)
                assert c.tls["records"] == want and c.tls["resumed"] == (i > 0), c.tls
                big = b"x" * 70_000   # several records each way
                r = await c.request(b"POST /order HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(big)
                                    + big)
                assert r.body == big
                for _ in range(20):
                    assert (await c.request(GET)).body == b'{"ok":1}'
                c.close()
                await c.closed
            assert cfg.resumed == 2
        finally:
            await runner.cleanup()

    run(main)


def test_simulator_over_compiled_records(run):
    from fastorder.sim import Simulator

    async def main():
        async with Simulator(venues=("binance",), tls=True) as sim:
            ctx = ssl.create_default_context(cafile=sim.ca_file)
            host, port = sim.url("binance").split("//")[1].split(":")
            c = await open_http(host, int(port), tls=ctx, server_hostname=host, connect_timeout=5)
            assert c.tls["records"] == "compiled"
            for _ in range(10):
                r = await c.request(b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\n\r\n")
                assert r.status == 200
            c.close()
            ws = await open_ws(sim.url("binance", "ws"), tls=ctx)
            assert ws.tls["records"] == "compiled"
            assert b'"status":200' in await ws.request(b"1", b'{"id":"1","method":"ping"}')
            await ws.close()

    run(main)


class SServer:
    """``openssl s_server`` (TLS 1.3, one suite): lines on its stdin go to the client; "K" sends a KeyUpdate
    asking for ours, "k" one that does not."""

    def __init__(self, pki, tmp_path, suite):
        openssl = shutil.which("openssl")
        if openssl is None:
            pytest.skip("openssl command not found")
        cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
        cert.write_bytes(pki["good"].cert_chain_pems[0].bytes())
        key.write_bytes(pki["good"].private_key_pem.bytes())
        self.port = free_port()
        self.log = tmp_path / "s_server.log"
        self.out = self.log.open("wb")
        unbuffered = ["stdbuf", "-oL"] if shutil.which("stdbuf") else []
        self.proc = subprocess.Popen(
            unbuffered + [openssl, "s_server", "-accept", f"127.0.0.1:{self.port}", "-cert", str(cert),
                          "-key", str(key), "-tls1_3", "-ciphersuites", suite, "-ign_eof", "-msg"],
            stdin=subprocess.PIPE, stdout=self.out, stderr=subprocess.STDOUT)

    def say(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def received_key_updates(self):
        return self.log.read_text(errors="replace").count("<<< TLS 1.3, Handshake [length 0005], KeyUpdate")

    def stop(self):
        self.proc.kill()
        self.proc.wait(5)
        self.proc.stdin.close()
        self.out.close()


@pytest.fixture(params=["param", "init"])
def nonce_by(request):
    """How the record layer sets each record's nonce: the cipher's fixed-IV parameter (nonce and tag in one
    call), or EVP_CipherInit_ex and a tag call of its own (the fallback for a provider refusing the former)."""
    old = link._set_nonce_by_init(request.param == "init")
    yield request.param
    link._set_nonce_by_init(old)


@pytest.mark.parametrize("suite", ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                   "TLS_CHACHA20_POLY1305_SHA256"])
def test_openssl_s_server_each_suite_and_key_updates(run, pki, tmp_path, suite, nonce_by):
    srv = SServer(pki, tmp_path, suite)
    try:
        async def main():
            for _ in range(200):
                try:
                    _r, w = await asyncio.open_connection("127.0.0.1", srv.port)
                    w.close()
                    break
                except OSError:
                    await asyncio.sleep(0.02)
            c = await connect(pki, srv.port)
            assert c.tls["cipher"] == suite and c.tls["records"] == "compiled"
            reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            for i, cmd in enumerate(["K\n", "k\n", "K\n", "", "k\n"]):
                fut = c.request(GET, timeout=5)
                await asyncio.sleep(0.05)
                if cmd:
                    srv.say(cmd)
                    await asyncio.sleep(0.05)
                srv.say(reply)
                r = await fut
                assert r.status == 200 and r.body == b"ok", i
            for _ in range(100):
                if srv.received_key_updates() >= 2:
                    break
                await asyncio.sleep(0.02)
            assert srv.received_key_updates() == 2   # one for each "K", none for "k"
            c.close()

        run(main)
    finally:
        srv.stop()


# ---- scripted records (tls13peer) ----------------------------------------------------------------------


async def exchange(pki, script, n=1, tickets=0, timeout=5):
    """Connect to a Tls13Peer running ``script``; ``n`` requests; (their results or exceptions, the peer)."""
    async with Tls13Peer(pki["good"], script, tickets=tickets) as peer:
        c = await connect(pki, peer.port)
        assert c.tls["records"] == "compiled"
        out = []
        for _ in range(n):
            try:
                out.append(await c.request(GET, timeout=timeout))
            except Exception as e:
                out.append(e)
                break
        c.close()
        await asyncio.sleep(0.05)   # the peer reads what the client sent last (close_notify)
    return out, peer


def failed_with(result, words):
    assert isinstance(result, HttpConnectionClosed), repr(result)
    assert isinstance(result.__cause__, TlsError) and words in str(result.__cause__), repr(result.__cause__)


def test_key_update_not_requested_then_requested(run, pki):
    async def script(s):
        assert await s.read() == GET
        await s.send(s.key_update(False) + s.seal(APPDATA, REPLY))
        assert await s.read() == GET          # still under the client's first key: it was not asked
        assert s.client_key_updates == 0
        await s.send(s.key_update(True) + s.seal(APPDATA, REPLY))
        assert await s.read() == GET          # after the client's KeyUpdate, under its next key
        assert s.client_key_updates == 1
        await s.send(s.seal(APPDATA, REPLY))
        assert await s.read() is None and s.client_alerts == [(1, 0)]   # close_notify at close

    async def main():
        out, peer = await exchange(pki, script, n=3)
        assert [r.body for r in out] == [b'{"ok":1}'] * 3
        assert peer.conns[0].client_alerts == [(1, 0)]

    run(main)


def test_key_update_split_over_records_and_one_byte_at_a_time(run, pki):
    async def script(s):
        await s.read()
        ku = b"\x18\x00\x00\x01\x01"
        recs = s.seal(HANDSHAKE, ku[:2]) + s.seal(HANDSHAKE, ku[2:])
        s.s.update()
        await s.send(recs + s.seal(APPDATA, b"", pad=3) + s.seal(APPDATA, REPLY[:10], pad=40)
                     + s.seal(APPDATA, REPLY[10:]), chunks=[1])
        assert await s.read() == GET and s.client_key_updates == 1
        await s.send(s.seal(APPDATA, REPLY), chunks=[1, 7, 3])

    async def main():
        out, _ = await exchange(pki, script, n=2)
        assert [r.body for r in out] == [b'{"ok":1}'] * 2

    run(main)


def test_session_tickets_split_and_resumed(run, pki):
    """Real tickets (valid for this server) in records of our choosing: one message over three records, then
    the rest in one; OpenSSL gets them re-sealed, and the next connection resumes."""
    async def script(s):
        t = s.tickets
        assert t[0] == 4 and len(t) > 40
        first = 4 + int.from_bytes(t[1:4], "big")
        await s.send(s.seal(HANDSHAKE, t[:5]) + s.seal(HANDSHAKE, t[5:30]) + s.seal(HANDSHAKE, t[30:first])
                     + s.seal(HANDSHAKE, t[first:]))
        await s.read()
        await s.send(s.seal(APPDATA, REPLY))
        await s.read()

    async def main():
        async with Tls13Peer(pki["good"], script, tickets=2) as peer:
            cfg = TlsConfig(client_ctx(pki["ca"]))
            for i in range(2):
                c = await open_http("127.0.0.1", peer.port, tls=cfg, server_hostname="localhost", connect_timeout=5)
                assert c.tls["records"] == "compiled" and c.tls["resumed"] == (i == 1)
                assert (await c.request(GET, timeout=5)).body == b'{"ok":1}'
                c.close()
                await asyncio.sleep(0.05)
            assert cfg.resumed == 1

    run(main)


BAD = {
    # name: (records after the request, words in the TlsError)
    "fatal alert": (lambda s: s.seal(ALERT, b"\x02\x28"), "handshake_failure alert (40)"),
    "alert of 3 bytes": (lambda s: s.seal(ALERT, b"\x02\x28\x00"), "alert record of 3 bytes"),
    "close_notify": (lambda s: s.seal(ALERT, b"\x01\x00"), "close_notify"),
    "user_canceled then close_notify": (lambda s: s.seal(ALERT, b"\x01\x5a") + s.seal(ALERT, b"\x01\x00"),
                                        "close_notify"),
    "all padding": (lambda s: s.seal(0, b"", pad=10), "no content type"),
    "encrypted change_cipher_spec": (lambda s: s.seal(CCS, b"\x01"), "content type 20"),
    "plaintext change_cipher_spec": (lambda s: b"\x14\x03\x03\x00\x01\x01", "type 20"),
    "plaintext alert": (lambda s: b"\x15\x03\x03\x00\x02\x02\x28", "unencrypted alert"),
    "bad version": (lambda s: s.seal(APPDATA, REPLY, version=b"\x03\x01"), "not marked"),
    "ciphertext too long": (lambda s: b"\x17\x03\x03\x41\x01" + b"\x00" * 16641, "record_overflow"),
    "plaintext too long": (lambda s: s.seal(APPDATA, b"x" * 16385), "record_overflow"),
    "too short": (lambda s: b"\x17\x03\x03\x00\x10" + b"\x00" * 16, "bad_record_mac"),
    "bad tag": (lambda s: _flip(s.seal(APPDATA, REPLY), -1), "bad_record_mac"),
    "length one short": (lambda s: _shorten(s.seal(APPDATA, REPLY)), "bad_record_mac"),
    "replayed record": (lambda s: _replay(s), "bad_record_mac"),
    "malformed KeyUpdate": (lambda s: s.seal(HANDSHAKE, b"\x18\x00\x00\x01\x02"), "malformed KeyUpdate"),
    "KeyUpdate then more": (lambda s: s.seal(HANDSHAKE, b"\x18\x00\x00\x01\x00\x18\x00\x00\x01\x00"),
                            "data after KeyUpdate"),
    "CertificateRequest": (lambda s: s.seal(HANDSHAKE, b"\x0d\x00\x00\x04\x00\x00\x00\x00"), "message 13"),
    "half a message, then data": (lambda s: s.seal(HANDSHAKE, b"\x18\x00") + s.seal(APPDATA, REPLY),
                                  "interrupted"),
    "huge handshake message": (lambda s: s.seal(HANDSHAKE, b"\x04\x03\x00\x00"), "handshake message of"),
    "malformed ticket": (lambda s: s.seal(HANDSHAKE, b"\x04\x00\x00\x03abc"), "record error"),
}


def _shorten(rec):
    n = int.from_bytes(rec[3:5], "big") - 1   # the tag read one byte early, the last byte left over
    return rec[:3] + n.to_bytes(2, "big") + rec[5:]


def _flip(rec, i, bit=0x01):
    b = bytearray(rec)
    b[i] ^= bit
    return bytes(b)


def _replay(s):
    rec = s.seal(APPDATA, REPLY[:5])
    return rec + rec


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_record_is_a_typed_error(run, pki, name):
    make, words = BAD[name]

    async def script(s):
        await s.read()
        await s.send(make(s))
        await s.read()   # the client's fatal alert (or close_notify), or EOF

    async def main():
        out, peer = await exchange(pki, script)
        failed_with(out[0], words)
        alerts = peer.conns[0].client_alerts
        if "close_notify" in words:
            assert alerts == [(1, 0)]
        elif "alert" not in name:   # ours back, fatal (a server's fatal alert is not answered)
            assert len(alerts) == 1 and alerts[0][0] == 2, alerts

    run(main)


@pytest.mark.parametrize("how", ["truncate", "reset"])
def test_the_stream_ends_in_the_middle_of_a_record(run, pki, how):
    async def script(s):
        await s.read()
        rec = s.seal(APPDATA, REPLY)
        await s.send(rec[:len(rec) // 2])
        await asyncio.sleep(0.05)
        if how == "reset":
            s.reset()
        else:
            s.writer.close()

    async def main():
        out, _ = await exchange(pki, script)
        assert isinstance(out[0], HttpConnectionClosed), repr(out[0])
        cause = out[0].__cause__
        if how == "truncate":
            assert isinstance(cause, TlsError) and "without close_notify" in str(cause)
        else:
            assert isinstance(cause, (TlsError, ConnectionResetError)), repr(cause)

    run(main)


def test_write_key_is_updated_before_its_limit(run, pki):
    """With the limit at 3 records, 10 requests: KeyUpdates before the 4th, 7th and 10th."""
    async def script(s):
        for _ in range(10):
            assert await s.read() == GET
            await s.send(s.seal(APPDATA, REPLY))

    async def main():
        old = link._set_rekey_after(3)
        try:
            out, peer = await exchange(pki, script, n=10)
        finally:
            link._set_rekey_after(old)
        assert [r.body for r in out] == [b'{"ok":1}'] * 10
        assert peer.conns[0].client_key_updates == 3

    run(main)


def test_spin_over_compiled_records(pki):
    """Spin mode opens the records it reads itself (the peer in its own thread: spinning blocks this loop),
    across a KeyUpdate that asks for ours."""
    import uvloop
    from trhelpers import ThreadServer

    async def script(s):
        for i in range(20):
            assert await s.read() == GET
            await s.send((s.key_update(True) if i % 5 == 4 else b"") + s.seal(APPDATA, REPLY), chunks=[3, 50])
        await s.read()   # the client's last KeyUpdate, then its close_notify

    peer = Tls13Peer(pki["good"], script)

    async def start():
        await peer.__aenter__()
        return peer.port, lambda: peer.__aexit__(None, None, None)

    with ThreadServer(start):
        async def main():
            c = await connect(pki, peer.port)
            box = []
            for _ in range(20):
                box.clear()
                c.request_cb(GET, lambda r, e: box.append((r, e)))
                while not box:
                    c.spin(500_000)
                assert box[0][1] is None and box[0][0].body == b'{"ok":1}'
            c.close()

        uvloop.run(asyncio.wait_for(main(), 30))
    assert peer.conns[0].client_key_updates == 4


# ---- fuzz: any mix of records, any split, any flipped byte ----------------------------------------------

_PIECES = st.sampled_from(["reply", "empty", "padded", "ku0", "ku1", "ku-split", "user_canceled"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(_PIECES, min_size=1, max_size=6), chunks=st.lists(st.integers(1, 60), min_size=1,
       max_size=4), flip=st.none() | st.integers(0, 2000), garbage=st.binary(max_size=30), by_init=st.booleans())
def test_fuzz_record_stream(pki, pieces, chunks, flip, garbage, by_init):
    """Records of every kind the opener handles, then the reply (and maybe garbage), split anywhere, maybe
    one byte flipped: the reply, or a typed error; never a hang or a crash.  Either way of setting the nonce
    and tag (``by_init``: the fallback)."""
    async def script(s):
        await s.read()
        data = b""
        for p in pieces:
            if p == "reply":
                data += s.seal(APPDATA, REPLY[:7]) + s.seal(APPDATA, REPLY[7:])
                break
            if p == "empty":
                data += s.seal(APPDATA, b"")
            elif p == "padded":
                data += s.seal(APPDATA, b"", pad=300)
            elif p in ("ku0", "ku1"):
                data += s.key_update(p == "ku1")
            elif p == "ku-split":
                data += s.seal(HANDSHAKE, b"\x18\x00\x00") + s.seal(HANDSHAKE, b"\x01\x00")
                s.s.update()
            elif p == "user_canceled":
                data += s.seal(ALERT, b"\x01\x5a")
        else:
            data += s.seal(APPDATA, REPLY)
        data += garbage
        if flip is not None:
            b = bytearray(data)
            b[flip % len(b)] ^= 0x40
            data = bytes(b)
        await s.send(data, chunks=chunks)
        await s.read()

    async def main():
        old = link._set_nonce_by_init(by_init)
        try:
            out, _ = await exchange(pki, script, timeout=3)
        finally:
            link._set_nonce_by_init(old)
        r = out[0]
        if isinstance(r, Exception):
            assert flip is not None or garbage, repr(r)
            assert isinstance(r, (HttpConnectionClosed, TimeoutError)), repr(r)
        else:
            assert r.body == b'{"ok":1}'

    asyncio.run(asyncio.wait_for(main(), 15))


def test_expired_certificate_still_refused(run):
    """The handshake stays OpenSSL's: the compiled record layer changes nothing about verification."""
    ca = trustme.CA()
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = ca.issue_cert("localhost", not_before=now - datetime.timedelta(days=3),
                         not_after=now - datetime.timedelta(days=1))

    async def script(s):
        pass

    async def main():
        async with Tls13Peer(cert, script) as peer:
            with pytest.raises(TlsCertificateError, match="expired"):
                await open_http("127.0.0.1", peer.port, tls=TlsConfig(client_ctx(ca)), server_hostname="localhost",
                                connect_timeout=5)

    run(main)
