"""WebSocket client Protocol against independent servers (aiohttp.web, the websockets library) and a raw
server that sends hand-made frame sequences.  Every test runs on asyncio's loop and on uvloop."""

import asyncio
import base64
import hashlib
import json
import socket
import struct

import pytest
from aiohttp import WSMsgType, web
from trhelpers import RawServer, ThreadServer
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from fastorder.transport import WSClosed, WSError, open_ws
from fastorder.transport.sock import get_nodelay
from fastorder.transport.ws import OP_BINARY, OP_CLOSE, OP_PING, OP_TEXT, build_frame


async def aiohttp_ws_app(events_first=0):
    async def handler(req):
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(req)
        for i in range(events_first):
            await ws.send_str(json.dumps({"e": "executionReport", "n": i}))
        batch = []
        async for m in ws:
            if m.type == WSMsgType.TEXT:
                d = json.loads(m.data)
                if d.get("batch"):
                    batch.append(m.data)
                    if len(batch) == d["batch"]:
                        for x in reversed(batch):  # replies out of order
                            await ws.send_str(x)
                        batch = []
                elif d.get("noreply"):
                    pass
                else:
                    await ws.send_str(m.data)
            elif m.type == WSMsgType.BINARY:
                await ws.send_bytes(m.data)
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]


def test_aiohttp_requests_matched_by_id(run):
    async def main():
        runner, port = await aiohttp_ws_app(events_first=3)
        events = []
        try:
            ws = await open_ws(f"ws://127.0.0.1:{port}/ws", on_message=lambda p, b: events.append(p))
            assert get_nodelay(ws.fd) and ws.direct
            futs = [ws.request(b"c%d" % i, json.dumps({"id": f"c{i}", "batch": 20, "x": "é"}))
                    for i in range(20)]
            replies = await asyncio.gather(*futs)
            assert [json.loads(r)["id"] for r in replies] == [f"c{i}" for i in range(20)]
            assert ws.direct_sends == 20  # every frame went straight to the socket (plaintext, nothing queued)
            assert [json.loads(e)["n"] for e in events] == [0, 1, 2]  # unmatched: the event callback
            # numeric ids, binary frames, a caller-supplied extractor
            r = await ws.request(b"42", b'{"id": 42, "p": 1}', binary=True)
            assert r == b'{"id": 42, "p": 1}'
            got = []
            ws.request_cb(b"7", b'{"id":7}', lambda p, e: got.append((p, e)))
            for _ in range(100):
                if got:
                    break
                await asyncio.sleep(0.01)
            assert got == [(b'{"id":7}', None)]
            big = json.dumps({"id": "big", "pad": "y" * 200_000})
            assert len(await ws.request(b"big", big)) == len(big)
            dup = ws.request(b"dup", b'{"id":"dup","noreply":1}')
            with pytest.raises(ValueError):
                ws.request(b"dup", b'{"id":"dup","noreply":1}')
            assert ws.cancel_request(b"dup")
            dup.cancel()
            rtt = await ws.ping()
            assert 0 < rtt < 1.0
            assert ws.tcp_rtt()[0] > 0
            assert await ws.close(4001, "bye") == 1000  # the code aiohttp answers with
            assert ws.pending == 0
        finally:
            await runner.cleanup()

    run(main)


def test_id_func_and_timeout(run):
    async def main():
        runner, port = await aiohttp_ws_app()
        try:
            ws = await open_ws(f"ws://127.0.0.1:{port}/ws", id_func=lambda p: json.loads(p).get("k", "").encode(),
                               read_timeout=0.2)
            assert await ws.request(b"abc", b'{"k":"abc"}') == b'{"k":"abc"}'
            fut = ws.request(b"never", b'{"k":"never","noreply":1}')
            with pytest.raises(TimeoutError):
                await fut
            assert ws.pending == 0
            assert await ws.request(b"after", b'{"k":"after"}') == b'{"k":"after"}'  # still usable
            await ws.close()
        finally:
            await runner.cleanup()

    run(main)


def test_websockets_server_pings_fragments_close(run):
    async def main():
        seen = {}

        async def handler(conn):
            try:
                await serve_one(conn)
            except ConnectionClosed:
                pass
            seen["code"] = conn.close_code

        async def serve_one(conn):
            async for msg in conn:
                d = json.loads(msg)
                if d["cmd"] == "echo":
                    await conn.send(msg)
                elif d["cmd"] == "fragments":
                    await conn.send([json.dumps({"id": d["id"], "part": 1})[:-1], ', "x": 2}'])
                elif d["cmd"] == "pingstorm":
                    waiters = [await conn.ping(struct.pack("!I", i)) for i in range(200)]
                    await asyncio.wait_for(asyncio.gather(*waiters), 5)  # every ping got its pong
                    await conn.send(json.dumps({"id": d["id"], "pongs": len(waiters)}))
                elif d["cmd"] == "close":
                    await conn.close(4002, "server says bye")

        async with serve(handler, "127.0.0.1", 0, compression=None) as server:
            port = server.sockets[0].getsockname()[1]
            ws = await open_ws(f"ws://127.0.0.1:{port}/")
            assert json.loads(await ws.request(b"1", json.dumps({"id": "1", "cmd": "echo"})))["id"] == "1"
            r = await ws.request(b"2", json.dumps({"id": "2", "cmd": "fragments"}))
            assert json.loads(r) == {"id": "2", "part": 1, "x": 2}
            r = await ws.request(b"3", json.dumps({"id": "3", "cmd": "pingstorm"}), timeout=5)
            assert json.loads(r)["pongs"] == 200
            pending = ws.request(b"4", json.dumps({"id": "4", "cmd": "close"}))
            with pytest.raises(WSClosed):
                await pending
            assert await asyncio.wait_for(ws.closed, 2) == 4002
            assert ws.close_reason == "server says bye"
            ws2 = await open_ws(f"ws://127.0.0.1:{port}/")
            await ws2.close(4003, "client bye")
            for _ in range(100):
                if seen.get("code") == 4003:
                    break
                await asyncio.sleep(0.01)
            assert seen["code"] == 4003

    run(main)


def test_oversized_message_closes_1009(run):
    async def main():
        codes = []

        async def handler(conn):
            await conn.send("z" * 5000)
            try:
                await conn.recv()
            except Exception:
                pass
            codes.append(conn.close_code)

        async with serve(handler, "127.0.0.1", 0, compression=None) as server:
            port = server.sockets[0].getsockname()[1]
            ws = await open_ws(f"ws://127.0.0.1:{port}/", max_size=1000, on_message=lambda p, b: None)
            assert await asyncio.wait_for(ws.closed, 3) == 1009
            for _ in range(100):
                if codes:
                    break
                await asyncio.sleep(0.01)
            assert codes == [1009]

    run(main)


async def _raw_handshake(reader, writer, accept_override=None):
    head = await reader.readuntil(b"\r\n\r\n")
    key = next(line.split(b":", 1)[1].strip() for line in head.split(b"\r\n")
               if line.lower().startswith(b"sec-websocket-key:"))
    accept = accept_override or base64.b64encode(
        hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
    writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")


def test_raw_control_frames_between_fragments_split_writes(run):
    async def main():
        got_pongs = []

        async def handler(reader, writer):
            writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            await _raw_handshake(reader, writer)
            frames = (build_frame(OP_TEXT, b'{"id":"f","a', fin=False, mask=False)
                      + build_frame(OP_PING, b"p-1", mask=False)
                      + build_frame(0, b'":1', fin=False, mask=False)
                      + build_frame(OP_PING, b"p-2", mask=False)
                      + build_frame(0, b"}", mask=False))
            for i in range(0, len(frames), 3):  # three bytes per segment
                writer.write(frames[i:i + 3])
                await writer.drain()
                await asyncio.sleep(0.001)
            # the client must answer both pings with pongs echoing their payloads (masked)
            from fastorder.transport.ws import WSFrameParser
            p = WSFrameParser(expect_masked=True)
            while len(got_pongs) < 2:
                for op, payload in p.feed(await reader.read(100)):
                    got_pongs.append((op, payload))
            await reader.read(100)

        async with RawServer(handler) as server:
            msgs = []
            ws = await open_ws(f"ws://127.0.0.1:{server.port}/", on_message=lambda p, b: msgs.append(p))
            for _ in range(300):
                if msgs and len(got_pongs) == 2:
                    break
                await asyncio.sleep(0.01)
            assert msgs == [b'{"id":"f","a":1}']
            assert got_pongs == [(10, b"p-1"), (10, b"p-2")]
            ws.abort()

    run(main)


@pytest.mark.parametrize("bad", ["masked", "rsv", "bad_accept", "not_101", "utf8"])
def test_raw_protocol_violations(run, bad):
    async def main():
        closes = []

        async def handler(reader, writer):
            if bad == "not_101":
                await reader.readuntil(b"\r\n\r\n")
                writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                await reader.read()
                return
            await _raw_handshake(reader, writer, b"AAAAAAAAAAAAAAAAAAAAAAAAAAA=" if bad == "bad_accept" else None)
            if bad == "masked":
                writer.write(build_frame(OP_TEXT, b"hi", mask=True))
            elif bad == "rsv":
                writer.write(b"\xc1\x02hi")
            elif bad == "utf8":
                writer.write(b"\x81\x02\xc3\x28")
            from fastorder.transport.ws import WSFrameParser
            p = WSFrameParser(expect_masked=True)
            while data := await reader.read(100):
                closes.extend(payload for op, payload in p.feed(data) if op == OP_CLOSE)

        async with RawServer(handler) as server:
            url = f"ws://127.0.0.1:{server.port}/"
            if bad in ("bad_accept", "not_101"):
                with pytest.raises(WSError):
                    await open_ws(url)
                return
            ws = await open_ws(url)
            await asyncio.wait_for(ws.closed, 2)
            expected = 1007 if bad == "utf8" else 1002
            assert ws.close_code == expected
            for _ in range(100):
                if closes:
                    break
                await asyncio.sleep(0.01)
            assert closes and struct.unpack("!H", closes[0][:2])[0] == expected

    run(main)


def test_ws_spin_mode(run):
    async def start():
        runner, port = await aiohttp_ws_app()
        return port, runner.cleanup

    with ThreadServer(start) as srv:
        async def main():
            ws = await open_ws(f"ws://127.0.0.1:{srv.port}/ws")
            hits = 0
            for i in range(50):
                fut = ws.request(b"%d" % i, b'{"id":%d}' % i)
                if ws.spin(200_000) == 1:
                    assert fut.done()
                    hits += 1
                assert await fut == b'{"id":%d}' % i
            assert hits >= 45
            await ws.close()

        run(main)


def test_plaintext_ws_policy():
    from fastorder.transport import PlaintextNotAllowed

    async def main():
        with pytest.raises(PlaintextNotAllowed):
            await open_ws("ws://192.0.2.1/")

    asyncio.run(main())


def test_binary_send_roundtrip_bytearray(run):
    async def main():
        runner, port = await aiohttp_ws_app()
        try:
            got = asyncio.get_running_loop().create_future()
            ws = await open_ws(f"ws://127.0.0.1:{port}/ws", on_message=lambda p, b: got.set_result((p, b)))
            ws.send(bytearray(b"\x00\x01binary"), binary=True)
            assert await got == (b"\x00\x01binary", True)
            await ws.close()
        finally:
            await runner.cleanup()

    run(main)


def test_build_frame_opcode_constants():
    assert build_frame(OP_BINARY, b"", mask=False) == b"\x82\x00"
