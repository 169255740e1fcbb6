"""The compiled TLS path (OpenSSL inside the transport, fastorder.transport.tls/.link): verification exactly
as ssl.create_default_context() / the given ssl.SSLContext, SNI, ALPN, session resumption, TLS 1.2 and 1.3,
spin mode and direct writes over TLS, and every way a TLS stream can break ending in a typed error, never a
hang or a crash."""

import asyncio
import datetime
import ssl

import pytest
import trustme
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trhelpers import Nginx, ScriptedTlsServer, ThreadServer
from websockets.asyncio.server import serve

from fastorder.errors import (
    CertificateRejected,
    ConfigError,
    ConnectionLost,
    HttpConnectionClosed,
    TlsCertificateError,
    TlsError,
    TransportError,
)
from fastorder.transport import open_http, open_ws
from fastorder.transport.tls import TlsConfig

VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}
GET = b"GET /order HTTP/1.1\r\nHost: localhost\r\n\r\n"


@pytest.fixture(scope="module")
def pki():
    ca = trustme.CA()
    now = datetime.datetime.now(datetime.timezone.utc)
    return {
        "ca": ca,
        "good": ca.issue_cert("localhost", "127.0.0.1"),
        "expired": ca.issue_cert("localhost", "127.0.0.1", not_before=now - datetime.timedelta(days=10),
                                 not_after=now - datetime.timedelta(days=1)),
        "wildcard": ca.issue_cert("*.example.test"),
        "other_ca": trustme.CA().issue_cert("localhost", "127.0.0.1"),
    }


def client_ctx(ca):
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


def server_ctx(cert, version=None):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    if version is not None:
        ctx.minimum_version = ctx.maximum_version = VERSIONS[version]
    return ctx


async def aiohttp_server(cert, version=None):
    async def order(req):
        return web.Response(body=b'{"ok":1}')

    app = web.Application()
    app.router.add_get("/order", order)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx(cert, version))
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]


# ---- verification: the same verdict as Python's ssl module, case by case -----------------------------------


async def python_verdict(port, ctx, name):
    """What the loop's TLS transport (Python's ssl) says about connecting to ``name`` with ``ctx``."""
    try:
        c = await open_http("127.0.0.1", port, tls=ctx, server_hostname=name, tls_engine="loop")
    except ssl.SSLCertVerificationError as e:
        return e.verify_code
    c.close()
    return 0


@pytest.mark.parametrize("cert, name, trusted", [
    ("good", "localhost", True), ("good", "127.0.0.1", True), ("good", "api.example.com", True),
    ("good", "LOCALHOST", True), ("good", "127.0.0.2", True), ("expired", "localhost", True),
    ("other_ca", "localhost", True), ("good", "localhost", False), ("wildcard", "a.example.test", True),
    ("wildcard", "a.b.example.test", True), ("wildcard", "example.test", True),
])
def test_verification_matches_python_ssl(run, pki, cert, name, trusted):
    async def main():
        runner, port = await aiohttp_server(pki[cert])
        try:
            ctx = client_ctx(pki["ca"]) if trusted else ssl.create_default_context()
            want = await python_verdict(port, ctx, name)
            try:
                c = await open_http("127.0.0.1", port, tls=ctx, server_hostname=name)
            except TlsCertificateError as e:
                assert isinstance(e, CertificateRejected) and isinstance(e, ssl.SSLCertVerificationError)
                assert e.verify_code == want != 0, (e.verify_code, want)
                assert e.reason and e.verify_message == e.reason
                return
            assert want == 0, f"Python's ssl refused ({want}), the compiled path accepted"
            assert (await c.request(GET)).status == 200
            c.close()
        finally:
            await runner.cleanup()

    run(main)


def test_default_is_the_system_store_and_settings_mirror_the_context(run, pki):
    async def main():
        runner, port = await aiohttp_server(pki["good"])
        try:
            with pytest.raises(TlsCertificateError, match="unable to get local issuer"):
                await open_http("127.0.0.1", port, server_hostname="localhost")   # system CAs only
            # the CA given as a file, as cadata, or through the context: all trusted
            for cfg in (TlsConfig(cafile=_pem_file(pki)), TlsConfig(cadata=pki["ca"].cert_pem.bytes().decode()),
                        TlsConfig(client_ctx(pki["ca"]))):
                c = await open_http("127.0.0.1", port, tls=cfg, server_hostname="localhost", connect_timeout=5)
                assert (await c.request(GET)).status == 200
                c.close()
            # check_hostname=False in the context: the name is not checked (as Python would not)
            ctx = client_ctx(pki["ca"])
            ctx.check_hostname = False
            c = await open_http("127.0.0.1", port, tls=ctx, server_hostname="wrong.example")
            c.close()
            # a context that only allows TLS 1.2 against a 1.3-only server: refused by an alert, typed
            ctx = client_ctx(pki["ca"])
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            runner2, port2 = await aiohttp_server(pki["good"], "1.3")
            try:
                with pytest.raises(TlsError, match="handshake") as ei:
                    await open_http("127.0.0.1", port2, tls=ctx, server_hostname="localhost", connect_timeout=5)
                assert isinstance(ei.value, ConnectionLost) and isinstance(ei.value, TransportError)
            finally:
                await runner2.cleanup()
        finally:
            await runner.cleanup()

    run(main)


def test_the_default_store_is_where_python_looks(run, pki, monkeypatch):
    """TlsConfig() trusts what ssl.create_default_context() trusts: here SSL_CERT_FILE names the test CA."""
    monkeypatch.setenv("SSL_CERT_FILE", _pem_file(pki))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)

    async def main():
        runner, port = await aiohttp_server(pki["good"])
        try:
            assert await python_verdict(port, ssl.create_default_context(), "localhost") == 0
            c = await open_http("127.0.0.1", port, tls=TlsConfig(), server_hostname="localhost")
            assert (await c.request(GET)).status == 200
            c.close()
        finally:
            await runner.cleanup()

    run(main)


_PEM = {}


def _pem_file(pki):
    import tempfile

    if "path" not in _PEM:
        f = tempfile.NamedTemporaryFile(suffix=".pem", delete=False)
        f.write(pki["ca"].cert_pem.bytes())
        f.close()
        _PEM["path"] = f.name
    return _PEM["path"]


def test_config_refuses_what_it_cannot_copy():
    ctx = ssl.create_default_context()
    ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    with pytest.raises(ConfigError, match="CRL"):
        TlsConfig(ctx)
    with pytest.raises(ConfigError, match="client context"):
        TlsConfig(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER))
    with pytest.raises(ConfigError):
        asyncio.run(open_http("127.0.0.1", 1, tls=TlsConfig(), tls_engine="loop"))


# ---- interop: TLS 1.2 and 1.3, resumption, ALPN ------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_aiohttp_both_versions_and_resumption(run, pki, version):
    async def main():
        runner, port = await aiohttp_server(pki["good"], version)
        cfg = TlsConfig(client_ctx(pki["ca"]))
        try:
            seen = []
            for _ in range(3):
                c = await open_http("127.0.0.1", port, tls=cfg, server_hostname="localhost", connect_timeout=5)
                for _ in range(5):
                    assert (await c.request(GET)).body == b'{"ok":1}'
                seen.append(c.tls)
                c.close()
                await c.closed
            assert all(t["engine"] == "compiled" and t["version"] == f"TLSv{version}" for t in seen)
            assert [t["resumed"] for t in seen] == [False, True, True]
            assert cfg.handshakes == 3 and cfg.resumed == 2
            cfg.forget_sessions()
            c = await open_http("127.0.0.1", port, tls=cfg, server_hostname="localhost", connect_timeout=5)
            assert c.tls["resumed"] is False
            c.close()
        finally:
            await runner.cleanup()

    run(main)


@pytest.mark.parametrize("protocols", ["TLSv1.2", "TLSv1.3"])
def test_nginx_alpn_versions_and_a_pool(run, nginx_bin, tmp_path, pki, protocols):
    from fastorder.transport import HttpPool

    cert = pki["good"]
    n = Nginx(nginx_bin, tmp_path, cert=(cert.cert_chain_pems[0].bytes(), cert.private_key_pem.bytes()),
              ssl_protocols=protocols)
    try:
        async def main():
            c = await open_http("127.0.0.1", n.port, tls=client_ctx(pki["ca"]), server_hostname="localhost",
                                connect_timeout=5)
            assert c.tls["alpn"] == "http/1.1" and c.tls["version"] == protocols
            r = await c.request(b"GET /chunked HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert r.body == b"abcdefghiJ" * 500   # several records, chunked
            c.close()
            async with HttpPool("127.0.0.1", n.port, size=2, tls=client_ctx(pki["ca"]),
                                server_hostname="localhost") as pool:
                rs = await asyncio.gather(*[pool.request(b"GET /order HTTP/1.1\r\nHost: x\r\n\r\n")
                                            for _ in range(40)])
                assert all(r.status == 200 for r in rs)
                assert all(p.direct_sends > 0 for p in pool.connections)
            # nginx closes after 3 requests on /ka3: Connection: close, then close_notify; no error
            c = await open_http("127.0.0.1", n.port, tls=client_ctx(pki["ca"]), server_hostname="localhost",
                                connect_timeout=5)
            for _ in range(3):
                assert (await c.request(b"GET /ka3 HTTP/1.1\r\nHost: x\r\n\r\n")).body == b"ok"
            await asyncio.wait_for(c.closed, 2)

        run(main)
    finally:
        n.stop()


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_websockets_server_over_compiled_tls(run, pki, version):
    async def main():
        async def echo(conn):
            async for m in conn:
                await conn.send(m)

        async with serve(echo, "127.0.0.1", 0, ssl=server_ctx(pki["good"], version), compression=None) as server:
            port = server.sockets[0].getsockname()[1]
            ws = await open_ws(f"wss://localhost:{port}/", tls=client_ctx(pki["ca"]))
            assert ws.direct and ws.tls["version"] == f"TLSv{version}"
            big = b'{"id":"big","pad":"' + b"x" * 100_000 + b'"}'   # a message over many records
            assert await ws.request(b"big", big) == big
            for i in range(50):
                assert await ws.request(b"%d" % i, b'{"id":%d}' % i) == b'{"id":%d}' % i
            assert ws.direct_sends == 51
            assert 0 < await ws.ping() < 1
            assert await ws.close() == 1000

    run(main)


def test_spin_over_tls(pki):
    """Spin mode reads the socket itself and decrypts in place (server in its own thread: spinning blocks
    this loop)."""
    import uvloop

    async def start_http():
        runner, port = await aiohttp_server(pki["good"])
        return port, runner.cleanup

    async def start_ws():
        async def echo(conn):
            async for m in conn:
                await conn.send(m)

        cm = serve(echo, "127.0.0.1", 0, ssl=server_ctx(pki["good"]), compression=None)
        server = await cm.__aenter__()

        async def stop():
            await cm.__aexit__(None, None, None)

        return server.sockets[0].getsockname()[1], stop

    with ThreadServer(start_http) as hs, ThreadServer(start_ws) as wss:
        async def main():
            c = await open_http("127.0.0.1", hs.port, tls=client_ctx(pki["ca"]), server_hostname="localhost",
                                connect_timeout=5)
            ws = await open_ws(f"wss://localhost:{wss.port}/", tls=client_ctx(pki["ca"]))
            box = []
            for i in range(30):
                box.clear()
                c.request_cb(GET, lambda r, e: box.append((r, e)))
                while not box:
                    c.spin(500_000)
                assert box[0][1] is None and box[0][0].body == b'{"ok":1}'
                box.clear()
                ws.request_cb(b"%d" % i, b'{"id":%d}' % i, lambda r, e: box.append((r, e)))
                while not box:
                    ws.spin(500_000)
                assert box[0] == (b'{"id":%d}' % i, None)
            c.close()
            await ws.close()

        uvloop.run(asyncio.wait_for(main(), 30))


# ---- a server that breaks the stream: typed errors, no hang ------------------------------------------------


@pytest.mark.parametrize("version", ["1.2", "1.3"])
@pytest.mark.parametrize("mode, chunks", [("chunks", (1,)), ("chunks", (1, 7, 3, 200)), ("ok", ())])
def test_records_split_anywhere_still_parse(run, pki, version, mode, chunks):
    async def main():
        async with ScriptedTlsServer(pki["good"], mode=mode, chunks=chunks, max_version=VERSIONS[version]) as srv:
            c = await open_http("127.0.0.1", srv.port, tls=client_ctx(pki["ca"]), server_hostname="localhost",
                                connect_timeout=5)
            for _ in range(5):
                r = await c.request(GET, timeout=5)
                assert r.body == b'{"ok":1}'
            c.close()

    run(main)


@pytest.mark.parametrize("version", ["1.2", "1.3"])
@pytest.mark.parametrize("mode, words", [
    ("truncate", "without close_notify"), ("reset", ""), ("close_notify", "close_notify"),
    ("corrupt", "record error"),
])
def test_a_broken_stream_fails_the_request_typed(run, pki, version, mode, words):
    async def main():
        async with ScriptedTlsServer(pki["good"], mode=mode, max_version=VERSIONS[version], corrupt_at=-3) as srv:
            c = await open_http("127.0.0.1", srv.port, tls=client_ctx(pki["ca"]), server_hostname="localhost",
                                connect_timeout=5)
            with pytest.raises(HttpConnectionClosed) as ei:
                await c.request(GET, timeout=5)
            cause = ei.value.__cause__
            assert isinstance(ei.value, TransportError)
            assert isinstance(cause, (TlsError, ConnectionResetError)), repr(cause)
            if words:
                assert isinstance(cause, TlsError) and words in str(cause)
            await asyncio.wait_for(c.closed, 2)
            assert not c.is_open
            with pytest.raises(HttpConnectionClosed):
                c.request(GET)

    run(main)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunks=st.lists(st.integers(1, 40), min_size=1, max_size=6), corrupt=st.none() | st.integers(0, 400))
def test_fuzz_record_boundaries_and_bit_flips(pki, chunks, corrupt):
    """Any split of the server's records, with or without one flipped byte: a correct reply or a typed
    error, always within the timeout."""
    async def main():
        mode = "chunks" if corrupt is None else "corrupt"
        async with ScriptedTlsServer(pki["good"], mode=mode, chunks=chunks, corrupt_at=corrupt or 0) as srv:
            c = await open_http("127.0.0.1", srv.port, tls=client_ctx(pki["ca"]), server_hostname="localhost",
                                connect_timeout=5)
            try:
                r = await c.request(GET, timeout=3)
                assert r.body == b'{"ok":1}'
            except (HttpConnectionClosed, TimeoutError) as e:
                assert corrupt is not None, repr(e)
            c.abort()

    asyncio.run(asyncio.wait_for(main(), 10))


# ---- TLS 1.3 KeyUpdate and TLS 1.2 renegotiation, driven by `openssl s_server` ------------------------------


class SServer:
    """``openssl s_server`` on a free port: lines written to its stdin go to the client; "K" alone sends a
    KeyUpdate that asks for ours, "R" asks for renegotiation (TLS 1.2)."""

    def __init__(self, cert_file, key_file, version, log):
        import shutil
        import subprocess

        from trhelpers import free_port

        openssl = shutil.which("openssl")
        if openssl is None:
            pytest.skip("openssl command not found")
        self.port = free_port()
        self.out = log.open("wb")
        # line-buffered output (stdbuf), so the -msg trace is in the log as soon as it happens
        unbuffered = ["stdbuf", "-oL"] if shutil.which("stdbuf") else []
        self.proc = subprocess.Popen(
            unbuffered + [openssl, "s_server", "-accept", f"127.0.0.1:{self.port}", "-cert", cert_file, "-key", key_file,
             f"-tls{version.replace('.', '_')}", "-ign_eof", "-msg"],
            stdin=subprocess.PIPE, stdout=self.out, stderr=subprocess.STDOUT)
        self.log = log

    def say(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def stop(self):
        self.proc.kill()
        self.proc.wait(5)
        self.proc.stdin.close()
        self.out.close()

    def received_key_updates(self):
        """KeyUpdate messages the server received (its -msg trace)."""
        return self.log.read_text(errors="replace").count("<<< TLS 1.3, Handshake [length 0005], KeyUpdate")


@pytest.fixture
def cert_files(pki, tmp_path):
    c, k = tmp_path / "c.pem", tmp_path / "k.pem"
    c.write_bytes(pki["good"].cert_chain_pems[0].bytes())
    k.write_bytes(pki["good"].private_key_pem.bytes())
    return str(c), str(k)


async def _wait_port(port):
    for _ in range(200):
        try:
            _r, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            return
        except OSError:
            await asyncio.sleep(0.02)
    raise TimeoutError("s_server did not start")


def test_key_update_both_ways(run, pki, cert_files, tmp_path):
    srv = SServer(*cert_files, "1.3", tmp_path / "s_server.log")
    try:
        async def main():
            await _wait_port(srv.port)
            c = await open_http("127.0.0.1", srv.port, tls=client_ctx(pki["ca"]), server_hostname="localhost",
                                connect_timeout=5)
            reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            for i in range(3):
                fut = c.request(GET, timeout=5)
                await asyncio.sleep(0.05)
                srv.say("K\n")   # the server rekeys and asks us to: our next records use new keys too
                await asyncio.sleep(0.05)
                srv.say(reply)
                r = await fut   # read under the server's new keys
                assert r.status == 200 and r.body == b"ok", i
            for _ in range(100):   # the server logs a message once it has read it
                if srv.received_key_updates() == 3:   # ours, each time the server asked
                    break
                await asyncio.sleep(0.02)
            assert srv.received_key_updates() == 3
            c.close()

        run(main)
    finally:
        srv.stop()


def test_renegotiation_is_refused_not_hung(run, pki, cert_files, tmp_path):
    srv = SServer(*cert_files, "1.2", tmp_path / "s_server.log")
    try:
        async def main():
            await _wait_port(srv.port)
            c = await open_http("127.0.0.1", srv.port, tls=client_ctx(pki["ca"]), server_hostname="localhost",
                                connect_timeout=5)
            fut = c.request(GET, timeout=2)
            await asyncio.sleep(0.05)
            srv.say("R\n")
            await asyncio.sleep(0.1)
            srv.say("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            try:
                r = await fut   # the server may carry on without renegotiating...
                assert r.body == b"ok"
            except (HttpConnectionClosed, TimeoutError):
                pass            # ...or give up on the connection: either way a bounded, typed outcome
            c.abort()

        run(main)
    finally:
        srv.stop()
