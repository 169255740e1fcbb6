"""Compiled code reachable from Python stays defined: an HttpResponse made by hand (not by the parser) answers
every method, and the HTTP client delivers replies only after its parser has let go of its buffer, so a
callback that feeds the connection again cannot leave the parser reading freed memory. Each case runs in a
child process (a crash is a failure, not a lost test run); .ci/sanitize runs this file under ASan/UBSan."""

from __future__ import annotations

import subprocess
import sys
import textwrap

HAND_MADE = textwrap.dedent("""
    from fastorder.transport.http import HttpResponse
    for r in (HttpResponse(), HttpResponse.__new__(HttpResponse)):
        assert r.headers == [] and r.header(b"x") is None and r.header("X", b"d") == b"d"
        assert r.get_all("x") == [] and r.headers_in((b"x", b"y")) == [None, None]
        assert r.status == 0 and r.body == b"" and r.reason == b"" and repr(r)
    print("ok")
""")

REENTRANT = textwrap.dedent("""
    import asyncio
    from fastorder.transport.http import HttpClientProtocol

    R1 = b"HTTP/1.1 200 OK\\r\\nContent-Length: 3\\r\\n\\r\\none"
    R2 = b"HTTP/1.1 200 OK\\r\\nContent-Length: 3\\r\\n\\r\\ntwo"
    R3 = b"HTTP/1.1 200 OK\\r\\nContent-Length: 600\\r\\n\\r\\n" + b"3" * 600

    class Transport(asyncio.Transport):
        def write(self, data): pass
        def is_closing(self): return False
        def close(self): pass
        def abort(self): pass
        def get_extra_info(self, name, default=None): return default

    async def main():
        p = HttpClientProtocol()
        p.connection_made(Transport())
        got = []

        def first(resp, exc):   # the first reply's callback feeds the connection again (R3, 600+ bytes)
            got.append(resp.body)
            p.data_received(R3[:300])

        p.request_cb(b"GET /1 HTTP/1.1\\r\\n\\r\\n", first)
        p.request_cb(b"GET /2 HTTP/1.1\\r\\n\\r\\n", lambda r, e: got.append(r.body if r else repr(e)))
        p.request_cb(b"GET /3 HTTP/1.1\\r\\n\\r\\n", lambda r, e: got.append(r.body if r else repr(e)))
        p.data_received(R1[:10])          # a partial reply: the rest is appended to the parser's own buffer
        p.data_received(R1[10:] + R2)     # completes R1 (its callback re-enters) and R2 in one call
        p.data_received(R3[300:])
        assert got == [b"one", b"two", b"3" * 600], got
        print("ok")

    asyncio.run(main())
""")


WS_REENTRANT = textwrap.dedent("""
    import asyncio, base64, hashlib, re, struct
    from fastorder.transport.ws import WSClientProtocol

    def frame(payload):   # a server frame: unmasked text
        n = len(payload)
        head = b"\\x81" + (bytes([n]) if n < 126 else b"\\x7e" + struct.pack(">H", n))
        return head + payload

    class Transport(asyncio.Transport):
        def __init__(self): self.sent = b""
        def write(self, data): self.sent += bytes(data)
        def is_closing(self): return False
        def close(self): pass
        def abort(self): pass
        def get_extra_info(self, name, default=None): return default

    async def main():
        got = []
        F1, F2, F3 = frame(b"1" * 200), frame(b"2" * 5), frame(b"3" * 900)

        def on_message(payload, binary):   # the first message's callback feeds the connection again
            got.append(payload)
            if len(got) == 1:
                p.data_received(F3[:400])

        p = WSClientProtocol("h", "/", on_message=on_message)
        t = Transport()
        p.connection_made(t)
        key = re.search(rb"Sec-WebSocket-Key: (\\S+)", t.sent).group(1)
        accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
        p.data_received(b"HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\n"
                        b"Connection: Upgrade\\r\\nSec-WebSocket-Accept: " + accept + b"\\r\\n\\r\\n")
        await p.handshake
        p.data_received(F1[:50])           # a partial frame: the rest is appended to the parser's own buffer
        p.data_received(F1[50:] + F2)      # completes F1 (its callback re-enters) and F2 in one call
        p.data_received(F3[400:])
        assert got == [b"1" * 200, b"2" * 5, b"3" * 900], [g[:3] for g in got]
        print("ok")

    asyncio.run(main())
""")


def _run(code: str) -> None:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", (out.returncode, out.stdout, out.stderr[-2000:])


def test_a_hand_made_http_response_is_safe_to_use():
    _run(HAND_MADE)


def test_a_reply_callback_that_feeds_the_connection_again_is_parsed_correctly():
    _run(REENTRANT)


def test_a_websocket_message_callback_that_feeds_the_connection_again_is_parsed_correctly():
    _run(WS_REENTRANT)
