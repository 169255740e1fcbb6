"""HTTP client Protocol and pool against independent servers: aiohttp.web, nginx, and raw asyncio servers
that split, batch, truncate and close.  Every test runs on asyncio's loop and on uvloop."""

import asyncio
import socket
import time

import pytest
from aiohttp import web
from trhelpers import RawServer, ThreadServer, read_request

from fastorder.transport import (
    HttpConnectionClosed,
    HttpParseError,
    HttpPool,
    HttpTemplate,
    PlaintextNotAllowed,
    open_http,
)
from fastorder.transport.sock import get_nodelay

ORDER = b'{"symbol":"BTCUSDT","orderId":28,"clientOrderId":"6gCrw2kRUAF9CvJDGP16IP","status":"NEW"}'


async def aiohttp_app():
    async def echo(req):
        body = await req.read()
        return web.Response(body=b"echo:" + req.query_string.encode() + b":" + body,
                            headers={"X-Mbx-Used-Weight": "3"})

    async def chunked(req):
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(req)
        for i in range(5):
            await resp.write(b"part%d;" % i)
        await resp.write_eof()
        return resp

    async def close(req):
        return web.Response(body=b"bye", headers={"Connection": "close"})

    async def slow(req):
        await asyncio.sleep(3)
        return web.Response(body=b"late")

    async def big(req):
        return web.Response(body=b"x" * (1 << 20))

    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/chunked", chunked)
    app.router.add_get("/close", close)
    app.router.add_get("/slow", slow)
    app.router.add_get("/big", big)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]


def get(path, port):
    return b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (path, port)


def test_aiohttp_echo_template_chunked_close_big(run):
    async def main():
        runner, port = await aiohttp_app()
        try:
            c = await open_http("127.0.0.1", port, tls=False)
            tpl = HttpTemplate("POST", "/echo", f"127.0.0.1:{port}", [("X-MBX-APIKEY", "key123")])
            for i in range(20):
                r = await c.send(tpl, b"symbol=BTCUSDT&i=%d" % i, b"qty=%d" % i)
                assert r.status == 200 and r.body == b"echo:symbol=BTCUSDT&i=%d:qty=%d" % (i, i)
                assert r.header("x-mbx-used-weight") == b"3" and r.header("X-MBX-USED-WEIGHT") == b"3"
            buf = bytearray(get(b"/echo?a=1", port))  # any buffer: a reused bytearray
            assert (await c.request(buf)).body == b"echo:a=1:"
            assert (await c.request(memoryview(get(b"/echo", port)))).body == b"echo::"
            r = await c.request(get(b"/chunked", port))
            assert r.body == b"".join(b"part%d;" % i for i in range(5))
            assert r.header("transfer-encoding") == b"chunked"
            r = await c.request(get(b"/big", port))
            assert r.body == b"x" * (1 << 20)
            with pytest.raises(ValueError):  # header injection through the query string is refused
                c.send(tpl, b"a=1 HTTP/1.1\r\nX-Injected: 1", b"")
            assert c.in_flight == 0 and (await c.send(tpl, b"ok=1", b"")).body == b"echo:ok=1:"
            assert c.requests_sent == 25 and c.is_open
            r = await c.request(get(b"/close", port))
            assert r.body == b"bye" and not r.keep_alive
            await asyncio.wait_for(c.closed, 2)
            assert not c.is_open
            with pytest.raises(HttpConnectionClosed):
                c.request(get(b"/echo", port))
        finally:
            await runner.cleanup()

    run(main)


def test_many_in_flight_pipelined_and_callbacks(run):
    async def main():
        runner, port = await aiohttp_app()
        try:
            c = await open_http("127.0.0.1", port, tls=False)
            futs = [c.request(get(b"/echo?n=%d" % i, port)) for i in range(50)]
            assert c.in_flight == 50
            rs = await asyncio.gather(*futs)
            assert [r.body for r in rs] == [b"echo:n=%d:" % i for i in range(50)]
            got = []
            done = asyncio.get_running_loop().create_future()

            def cb(resp, exc):
                got.append((resp.body if resp else None, exc))
                if len(got) == 10:
                    done.set_result(None)

            for i in range(10):
                c.request_cb(get(b"/echo?cb=%d" % i, port), cb)
            await done
            assert got == [(b"echo:cb=%d:" % i, None) for i in range(10)]
            c.close()
        finally:
            await runner.cleanup()

    run(main)


def test_read_timeout_closes_connection(run):
    async def main():
        runner, port = await aiohttp_app()
        try:
            c = await open_http("127.0.0.1", port, tls=False, read_timeout=0.2)
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            f1 = c.request(get(b"/slow", port))
            f2 = c.request(get(b"/echo", port))  # pipelined behind the slow one
            with pytest.raises(TimeoutError):
                await f1
            assert 0.15 < loop.time() - t0 < 1.0
            with pytest.raises(HttpConnectionClosed):
                await f2
            assert not c.is_open
            await asyncio.wait_for(c.closed, 2)
        finally:
            await runner.cleanup()

    run(main)


RESPONSES = (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Id: 1\r\n\r\nhello"
             b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")


def test_replies_split_at_every_byte_offset(run):
    async def main():
        async def handler(reader, writer):
            writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            i = 0
            while await read_request(reader) is not None:
                one = RESPONSES[:RESPONSES.index(b"HTTP/1.1", 5)]
                writer.write(one[:i])
                await writer.drain()
                await asyncio.sleep(0.001)
                writer.write(one[i:])
                await writer.drain()
                i += 1
            writer.close()

        async with RawServer(handler) as server:
            port = server.port
            c = await open_http("127.0.0.1", port, tls=False)
            n = RESPONSES.index(b"HTTP/1.1", 5)
            for _ in range(n + 1):
                r = await c.request(get(b"/", port))
                assert (r.status, r.body, r.header("x-id")) == (200, b"hello", b"1")
            c.close()

    run(main)


def test_several_replies_in_one_read(run):
    async def main():
        async def handler(reader, writer):
            for _ in range(4):
                if await read_request(reader) is None:
                    return
            writer.write(RESPONSES * 2)  # four replies in one segment
            await writer.drain()
            await reader.read()
            writer.close()

        async with RawServer(handler) as server:
            port = server.port
            c = await open_http("127.0.0.1", port, tls=False)
            rs = await asyncio.gather(*[c.request(get(b"/", port)) for _ in range(4)])
            assert [r.body for r in rs] == [b"hello", b"abcde"] * 2
            c.close()

    run(main)


@pytest.mark.parametrize("mode", ["close_silently", "truncate", "garbage", "unsolicited"])
def test_server_misbehaves(run, mode):
    async def main():
        async def handler(reader, writer):
            if mode == "unsolicited":
                writer.write(RESPONSES[:52])
                await writer.drain()
            req = await read_request(reader)
            if req is None:
                writer.close()
                return
            if mode == "truncate":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nonly-part")
            elif mode == "garbage":
                writer.write(b"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n")
            await writer.drain()
            writer.close()

        async with RawServer(handler) as server:
            port = server.port
            c = await open_http("127.0.0.1", port, tls=False)
            if mode == "unsolicited":
                await asyncio.wait_for(c.closed, 2)  # a reply nobody asked for: the connection is dropped
                return
            fut = c.request(get(b"/", port))
            with pytest.raises(HttpParseError if mode == "garbage" else HttpConnectionClosed):
                await fut
            await asyncio.wait_for(c.closed, 2)
            assert not c.is_open and c.in_flight == 0

    run(main)


def test_socket_options_and_rtt(run):
    async def main():
        runner, port = await aiohttp_app()
        try:
            c = await open_http("127.0.0.1", port, tls=False, user_timeout_ms=2500)
            assert get_nodelay(c.fd) is True  # verified with getsockopt, not trusted
            s = socket.socket(fileno=socket.dup(c.fd))
            try:
                assert s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
                assert s.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 2500
            finally:
                s.close()
            await c.request(get(b"/echo", port))
            rtt, var = c.tcp_rtt()
            assert 0 < rtt < 1_000_000
            assert c.socket_options["TCP_NODELAY"] == 1
            assert c.direct and c.direct_sends == 1  # the request went straight to the socket
            c.close()
            # optional options: applied, or the kernel's refusal reported (never raised)
            c = await open_http("127.0.0.1", port, tls=False, quickack=True, busy_poll_us=50)
            assert c.socket_options["TCP_QUICKACK"] in (1,) or isinstance(c.socket_options["TCP_QUICKACK"], str)
            assert c.socket_options["SO_BUSY_POLL"] in (50,) or isinstance(c.socket_options["SO_BUSY_POLL"], str)
            assert (await c.request(get(b"/echo", port))).status == 200
            c.close()
        finally:
            await runner.cleanup()

    run(main)


def test_plaintext_policy():
    async def main():
        with pytest.raises(PlaintextNotAllowed):
            await open_http("192.0.2.1", 80, tls=False)  # TEST-NET address: refused before any connect
        with pytest.raises(PlaintextNotAllowed):
            HttpPool("example.invalid", 80, tls=False)

    asyncio.run(main())


def test_pool_warm_replace_and_spread(run):
    async def main():
        conns = []

        async def handler(reader, writer):
            conns.append(writer)
            while (req := await read_request(reader)) is not None:
                body = b"ping" if b"/ping" in req else b"order"
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            writer.close()

        async with RawServer(handler) as server:
            port = server.port
            pool = HttpPool("127.0.0.1", port, size=3, tls=False, warm_request=get(b"/ping", port),
                            warm_interval=0.1)
            async with pool:
                assert len(pool.connections) == 3
                rs = await asyncio.gather(*[pool.request(get(b"/o", port)) for _ in range(9)])
                assert {r.body for r in rs} == {b"order"}
                assert all(c.requests_sent == 3 for c in pool.connections)  # spread over the pool
                await asyncio.sleep(0.5)
                assert pool.warm_sent >= 3  # idle connections were kept warm
                for w in conns[:2]:
                    w.transport.abort()  # the server drops two connections
                for _ in range(100):
                    await asyncio.sleep(0.02)
                    if pool.reconnects >= 2 and len([c for c in pool.connections if c.is_open]) == 3:
                        break
                assert pool.reconnects >= 2
                assert (await pool.request(get(b"/o", port))).body == b"order"

    run(main)


def test_nginx_keepalive_chunked_and_close(run, nginx):
    port = nginx.port

    async def main():
        c = await open_http("127.0.0.1", port, tls=False)
        for _ in range(200):
            r = await c.request(get(b"/order", port))
            assert r.status == 200 and r.body == ORDER
        r = await c.request(get(b"/chunked", port))
        assert r.header("transfer-encoding") == b"chunked"
        assert r.body == b"abcdefghiJ" * 500
        c.close()
        # keepalive_requests 3: nginx answers the 3rd with Connection: close; the pool replaces it.
        pool = HttpPool("127.0.0.1", port, size=1, tls=False)
        async with pool:
            for _ in range(7):
                r = await pool.request(get(b"/ka3", port))
                assert r.body == b"ok"
                if not r.keep_alive:
                    for _ in range(100):
                        await asyncio.sleep(0.01)
                        if any(c.is_open for c in pool.connections):
                            break
            assert pool.reconnects >= 2

    run(main)


def test_spin_mode_resolves_in_place(run):
    async def start():
        runner, port = await aiohttp_app()
        return port, runner.cleanup

    with ThreadServer(start) as srv:
        async def main():
            c = await open_http("127.0.0.1", srv.port, tls=False)
            hits = 0
            for i in range(50):
                fut = c.request(get(b"/echo?s=%d" % i, srv.port))
                n = c.spin(200_000)  # bounded: at most 0.2 s per request
                if n == 1:
                    assert fut.done()  # the reply was parsed inside spin(): no loop iteration needed
                    hits += 1
                r = await fut
                assert r.body == b"echo:s=%d:" % i
            assert hits >= 45
            t0 = time.perf_counter()
            assert c.spin(2000) == 0  # nothing to read: returns after the budget (2 ms)
            assert 0.0019 < time.perf_counter() - t0 < 0.05
            c.close()

        run(main)


def test_connect_and_total_timeouts(run):
    async def main():
        # A listener whose accept queue is full: the kernel drops further SYNs, so connect() hangs.
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        ls.listen(0)
        port = ls.getsockname()[1]
        fillers = []
        try:
            for _ in range(4):
                s = socket.socket()
                s.setblocking(False)
                try:
                    s.connect(("127.0.0.1", port))
                except BlockingIOError:
                    pass
                fillers.append(s)
            await asyncio.sleep(0.05)
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            with pytest.raises((TimeoutError, asyncio.TimeoutError)):
                await open_http("127.0.0.1", port, tls=False, connect_timeout=0.2)
            assert loop.time() - t0 < 1.0
        finally:
            for s in fillers:
                s.close()
            ls.close()

        # total_timeout bounds a pool request even when the read timeout is longer
        async def silent(reader, writer):
            await reader.read()

        async with RawServer(silent) as server:
            async with HttpPool("127.0.0.1", server.port, size=1, tls=False, read_timeout=5.0,
                                total_timeout=0.2) as pool:
                t0 = asyncio.get_running_loop().time()
                with pytest.raises(TimeoutError):
                    await pool.request(get(b"/", server.port))
                assert asyncio.get_running_loop().time() - t0 < 1.0

    run(main)
