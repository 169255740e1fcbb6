"""TLS against servers using a throwaway trustme CA, with both TLS engines (compiled OpenSSL in the transport,
and the loop's TLS transport): verification is on by default, a wrong CA or host name fails, and nginx /
aiohttp / websockets interoperate over TLS."""

import asyncio
import ssl

import pytest
from aiohttp import web
from websockets.asyncio.server import serve

from fastorder.transport import HttpPool, open_http, open_ws

ENGINES = ["compiled", "loop"]


def server_ctx(cert):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    return ctx


def client_ctx(ca):
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


async def tls_app(cert):
    async def order(req):
        return web.Response(body=b'{"ok":1}')

    app = web.Application()
    app.router.add_get("/order", order)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx(cert))
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]


def get(path, port):
    return b"GET %s HTTP/1.1\r\nHost: localhost:%d\r\n\r\n" % (path, port)


@pytest.mark.parametrize("engine", ENGINES)
def test_https_verified(run, tls_ca, engine):
    ca, cert = tls_ca

    async def main():
        runner, port = await tls_app(cert)
        try:
            c = await open_http("127.0.0.1", port, tls=client_ctx(ca), server_hostname="localhost",
                                tls_engine=engine)
            assert c.tls["engine"] == engine and c.tls["version"] == "TLSv1.3"
            for _ in range(20):
                assert (await c.request(get(b"/order", port))).body == b'{"ok":1}'
            if engine == "loop":
                assert not c.direct  # the loop's TLS records go through its transport: no direct writes
                assert c.direct_sends == 0
                with pytest.raises(RuntimeError):
                    c.spin(10)
            else:
                assert c.direct and c.direct_sends == 20  # encrypted in place, written straight to the socket
            c.close()
            # default: the system trust store, which does not know the throwaway CA
            with pytest.raises(ssl.SSLCertVerificationError):
                await open_http("127.0.0.1", port, server_hostname="localhost", tls_engine=engine)
            # right CA, wrong name
            with pytest.raises(ssl.SSLCertVerificationError):
                await open_http("127.0.0.1", port, tls=client_ctx(ca), server_hostname="api.example.com",
                                tls_engine=engine)
        finally:
            await runner.cleanup()

    run(main)


@pytest.mark.parametrize("engine", ENGINES)
def test_nginx_tls_pool(run, nginx_tls, tls_ca, engine):
    ca, _cert = tls_ca
    port = nginx_tls.port

    async def main():
        async with HttpPool("127.0.0.1", port, size=2, tls=client_ctx(ca), server_hostname="localhost",
                            tls_engine=engine) as pool:
            rs = await asyncio.gather(*[pool.request(get(b"/order", port)) for _ in range(40)])
            assert all(r.status == 200 and r.body.startswith(b'{"symbol":"BTCUSDT"') for r in rs)
            r = await pool.request(get(b"/chunked", port))
            assert r.body == b"abcdefghiJ" * 500

    run(main)


@pytest.mark.parametrize("engine", ENGINES)
def test_wss_websockets_server(run, tls_ca, engine):
    ca, cert = tls_ca

    async def main():
        async def echo(conn):
            async for m in conn:
                await conn.send(m)

        async with serve(echo, "127.0.0.1", 0, ssl=server_ctx(cert), compression=None) as server:
            port = server.sockets[0].getsockname()[1]
            ws = await open_ws(f"wss://localhost:{port}/", tls=client_ctx(ca), tls_engine=engine)
            assert ws.direct == (engine == "compiled")
            for i in range(20):
                assert await ws.request(b"%d" % i, b'{"id":%d}' % i) == b'{"id":%d}' % i
            assert 0 < await ws.ping() < 1
            await ws.close()
            with pytest.raises(ssl.SSLCertVerificationError):
                await open_ws(f"wss://localhost:{port}/", tls_engine=engine)  # verification on by default

    run(main)
