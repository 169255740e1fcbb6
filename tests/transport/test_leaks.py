"""Memory stays flat over many requests, including error paths and connections opened and closed
(Python objects via tracemalloc; the parsers' malloc'd buffers via the process RSS)."""

import asyncio
import gc
import tracemalloc

import psutil
from aiohttp import web

from fastorder.transport import HttpParseError, HttpResponseParser, WSError, WSFrameParser, open_http, open_ws

N = 3000


async def app():
    async def echo(req):
        return web.Response(body=await req.read())

    async def ws(req):
        w = web.WebSocketResponse()
        await w.prepare(req)
        async for m in w:
            await w.send_str(m.data)
        return w

    a = web.Application()
    a.router.add_post("/e", echo)
    a.router.add_get("/ws", ws)
    runner = web.AppRunner(a, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]


def _growth(before, after):
    # Compiled code has no Python frames, so its allocations are charged to the calling line: count all.
    return sum(s.size_diff for s in after.compare_to(before, "filename"))


def test_parsers_error_paths_do_not_leak():
    def churn():
        for i in range(N):
            p = HttpResponseParser()
            try:
                p.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab")
                p.feed(b"HTTP/1.1 200 OK\r\nX: \x01\r\n\r\n" if i % 2 else b"cdeHTTP/1.1 2")
                p.feed_eof()
            except HttpParseError:
                pass
            w = WSFrameParser(max_size=100)
            try:
                w.feed(b"\x01\x05hello\x82\x7e\x01\x00" + b"x" * 300)
            except WSError:
                pass

    churn()
    gc.collect()
    rss0 = psutil.Process().memory_info().rss
    tracemalloc.start()
    s0 = tracemalloc.take_snapshot()
    churn()
    gc.collect()
    s1 = tracemalloc.take_snapshot()
    tracemalloc.stop()
    assert tracemalloc.get_traced_memory()[0] == 0
    assert _growth(s0, s1) < 16 * 1024
    assert psutil.Process().memory_info().rss - rss0 < 4 * 1024 * 1024


def test_requests_and_connections_do_not_leak(run):
    async def main():
        runner, port = await app()
        req = b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n" + b"o" * 200

        async def churn():
            c = await open_http("127.0.0.1", port, tls=False)
            ws = await open_ws(f"ws://127.0.0.1:{port}/ws")
            done = asyncio.get_running_loop().create_future()
            left = [N]

            def cb(resp, exc):
                assert exc is None and len(resp.body) == 200
                left[0] -= 1
                if left[0]:
                    c.request_cb(req, cb)
                else:
                    done.set_result(None)

            c.request_cb(req, cb)
            await done
            for i in range(N // 3):
                await ws.request(b"%d" % i, b'{"id":%d}' % i)
            c.close()
            await ws.close()
            await c.closed
            for _ in range(50):  # connections opened and dropped, requests failed by the close
                c2 = await open_http("127.0.0.1", port, tls=False)
                f = c2.request(req)
                c2.abort()
                try:
                    await f
                except ConnectionError:
                    pass

        try:
            await churn()
            gc.collect()
            rss0 = psutil.Process().memory_info().rss
            tracemalloc.start()
            s0 = tracemalloc.take_snapshot()
            await churn()
            gc.collect()
            s1 = tracemalloc.take_snapshot()
            tracemalloc.stop()
            assert _growth(s0, s1) < 64 * 1024  # measured ≈16 KB (aiohttp, loop); a leak per request would be >200 KB
            assert psutil.Process().memory_info().rss - rss0 < 8 * 1024 * 1024
        finally:
            await runner.cleanup()

    run(main, timeout=60)
