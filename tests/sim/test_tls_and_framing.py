"""TLS (HTTPS/WSS with a throwaway CA, verification on) and RFC 6455 framing checked with raw sockets."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import ssl
import struct

import aiohttp
import pytest
from websockets.asyncio.client import connect

from fastorder.sim import Simulator


def test_https_and_wss_with_test_ca(h):
    async def main():
        async with Simulator(venues=("binance", "okx", "htx"), tls=True) as sim:
            assert sim.url("binance").startswith("https://") and sim.url("okx", "ws").startswith("wss://")
            ctx = ssl.create_default_context(cafile=sim.ca_file)
            async with aiohttp.ClientSession() as s:
                q = h.bn_query({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
                                "quantity": "0.01", "price": "49000", "timestamp": h.ms()})
                async with s.post(sim.url("binance") + "/api/v3/order?" + q, ssl=ctx,
                                  headers={"X-MBX-APIKEY": h.BN_KEY}) as r:
                    assert r.status == 200 and (await r.json())["status"] == "NEW"
                async with s.get(sim.url("htx") + "/v1/common/timestamp", ssl=ctx) as r:
                    assert (await r.json())["status"] == "ok"
                # without trusting the test CA the handshake fails: verification is real
                with pytest.raises(aiohttp.ClientConnectorCertificateError):
                    async with s.get(sim.url("binance") + "/api/v3/ping", ssl=ssl.create_default_context()):
                        pass
            async with connect(sim.url("binance", "ws"), ssl=ctx) as ws:
                await ws.send('{"id":1,"method":"ping"}')
                assert json.loads(await ws.recv())["status"] == 200
            async with connect(sim.url("okx", "ws"), ssl=ctx) as ws:
                await ws.send("ping")
                assert await ws.recv() == "pong"
    h.run(main())


async def _ws_open(port, path="/ws-api/v3", version="13", key=None):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    key = key or base64.b64encode(os.urandom(16)).decode()
    w.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: {version}\r\n\r\n".encode())
    head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 3)
    return r, w, head


def _frame(op, payload, fin=True, mask=True):
    b0 = (0x80 if fin else 0) | op
    m = os.urandom(4)
    n = len(payload)
    hdr = bytes([b0, (0x80 if mask else 0) | n]) if n < 126 else bytes([b0, (0x80 if mask else 0) | 126]) + struct.pack("!H", n)
    if not mask:
        return hdr + payload
    return hdr + m + bytes(c ^ m[i % 4] for i, c in enumerate(payload))


async def _read_frame(r):
    b = await asyncio.wait_for(r.readexactly(2), 3)
    n = b[1] & 0x7F
    if n == 126:
        n = struct.unpack("!H", await r.readexactly(2))[0]
    return b[0] & 0x0F, await r.readexactly(n)


def test_handshake_and_frames(h):
    async def main():
        async with Simulator(venues=("binance",)) as sim:
            port = sim.port("binance")
            key = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 §1.3 example
            r, w, head = await _ws_open(port, key=key)
            assert head.startswith(b"HTTP/1.1 101") and b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head
            # fragmented text message, a ping interleaved
            msg = b'{"id":"frag","method":"ping"}'
            w.write(_frame(1, msg[:10], fin=False) + _frame(9, b"hi") + _frame(0, msg[10:20], fin=False)
                    + _frame(0, msg[20:]))
            op, data = await _read_frame(r)
            assert (op, data) == (10, b"hi")
            op, data = await _read_frame(r)
            assert op == 1 and json.loads(data)["id"] == "frag"
            # client close -> server echoes close
            w.write(_frame(8, struct.pack("!H", 1000)))
            op, data = await _read_frame(r)
            assert op == 8 and data[:2] == struct.pack("!H", 1000)
            w.close()
            # unmasked client frame -> 1002
            r, w, _ = await _ws_open(port)
            w.write(_frame(1, b'{"id":1,"method":"ping"}', mask=False))
            op, data = await _read_frame(r)
            assert op == 8 and struct.unpack("!H", data[:2])[0] == 1002
            w.close()
            # binary frame -> 1003
            r, w, _ = await _ws_open(port)
            w.write(_frame(2, b"\x00\x01"))
            op, data = await _read_frame(r)
            assert op == 8 and struct.unpack("!H", data[:2])[0] == 1003
            w.close()
            # bad version -> 426; wrong path -> 404
            r, w, head = await _ws_open(port, version="8")
            assert head.startswith(b"HTTP/1.1 426") and b"Sec-WebSocket-Version: 13" in head
            w.close()
            r, w, head = await _ws_open(port, path="/ws")
            assert head.startswith(b"HTTP/1.1 404")
            w.close()
    h.run(main())


def test_http_pipelining_keepalive_and_bad_requests(h):
    async def main():
        async with Simulator(venues=("binance",), faults="latency:nth=1,count=1,ms=100") as sim:
            r, w = await asyncio.open_connection("127.0.0.1", sim.port("binance"))
            # two pipelined requests; the first is delayed by a fault, replies still come in order
            w.write(b"GET /api/v3/time HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v3/ping HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while data.count(b"HTTP/1.1 200") < 2:
                data += await asyncio.wait_for(r.read(4096), 3)
            assert data.index(b"serverTime") < data.rindex(b"{}")
            w.write(b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            rest = await asyncio.wait_for(r.read(), 3)
            assert b"Connection: close" in rest
            w.close()
            r, w = await asyncio.open_connection("127.0.0.1", sim.port("binance"))
            # Expect: 100-continue and a chunked body
            w.write(b"POST /api/v3/order HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n")
            assert (await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 3)).startswith(b"HTTP/1.1 100 Continue")
            w.write(b"d\r\nsymbol=BTCUSD\r\n1\r\nT\r\n0\r\n\r\n")
            head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 3)
            assert head.startswith(b"HTTP/1.1 401")  # parsed fully; rejected for the missing API key
            w.close()
            r, w = await asyncio.open_connection("127.0.0.1", sim.port("binance"))
            w.write(b"NONSENSE\x00\r\n\r\n")
            assert (await asyncio.wait_for(r.read(), 3)).startswith(b"HTTP/1.1 400")
            w.close()
    h.run(main())


def test_refuses_non_loopback_bind():
    with pytest.raises(ValueError):
        Simulator(host="0.0.0.0")
    with pytest.raises(ValueError):
        Simulator(venues=("kraken",))
    Simulator(host="::1")  # loopback v6 is fine (not started)
