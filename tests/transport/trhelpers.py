"""Helpers for the transport tests (imported by conftest.py and the test modules)."""

import asyncio
import threading


class ThreadServer:
    """An aiohttp/websockets/raw server on its own loop in a thread, for tests whose client blocks its loop
    (spin mode) or must not share a loop with the server."""

    def __init__(self, start):  # start: async fn() -> (port, cleanup coroutine fn)
        self._start = start
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)
        self.port = None
        self._cleanup = None
        self._exc = None

    def _main(self):
        asyncio.set_event_loop(self.loop)

        async def boot():
            try:
                self.port, self._cleanup = await self._start()
            except BaseException as e:  # reported to the test thread
                self._exc = e
            finally:
                self._ready.set()

        self.loop.run_until_complete(boot())
        if self._exc is None:
            self.loop.run_forever()
            self.loop.run_until_complete(self._cleanup())
        self.loop.close()

    def __enter__(self):
        self._thread.start()
        if not self._ready.wait(10):
            raise TimeoutError("test server did not start")
        if self._exc is not None:
            raise self._exc
        return self

    def __exit__(self, *exc):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    """nginx (Debian's nginx-light) on 127.0.0.1:<free port> with a throwaway config, as an independent HTTP
    peer.  /order: a fixed order-sized JSON reply (Content-Length); /chunked: a static file through
    sub_filter, which makes nginx send it chunked; /ka3: a server that closes after 3 requests per connection."""

    def __init__(self, binary, tmp_path, cert=None, ssl_protocols=None):
        import subprocess

        self.dir = tmp_path
        self.port = free_port()
        (tmp_path / "www").mkdir()
        (tmp_path / "www" / "doc.txt").write_bytes(b"abcdefghij" * 500)
        tls = ""
        if cert is not None:
            cert_pem, key_pem = cert
            (tmp_path / "cert.pem").write_bytes(cert_pem)
            (tmp_path / "key.pem").write_bytes(key_pem)
            tls = f"ssl_certificate {tmp_path}/cert.pem; ssl_certificate_key {tmp_path}/key.pem;"
            if ssl_protocols:
                tls += f" ssl_protocols {ssl_protocols};"
        import os

        # As root, nginx's workers would switch to www-data and could not read pytest's 0700 temp dirs.
        user = "user root;" if os.geteuid() == 0 else ""
        conf = f"""
{user}
worker_processes 1;
daemon off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fcgi; uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;
    keepalive_requests 100000;
    keepalive_timeout 60s;
    server {{
        listen 127.0.0.1:{self.port} {"ssl" if cert else ""};
        {tls}
        root {tmp_path}/www;
        location = /order {{ default_type application/json;
            return 200 '{{"symbol":"BTCUSDT","orderId":28,"clientOrderId":"6gCrw2kRUAF9CvJDGP16IP","status":"NEW"}}'; }}
        location = /chunked {{ alias {tmp_path}/www/doc.txt; default_type text/plain;
            sub_filter 'j' 'J'; sub_filter_once off; sub_filter_types *; }}
        location = /ka3 {{ keepalive_requests 3; return 200 'ok'; }}
    }}
}}
"""
        (tmp_path / "nginx.conf").write_text(conf)
        self.proc = subprocess.Popen([binary, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        import socket
        import time

        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("nginx failed: " + self.proc.stderr.read().decode(errors="replace"))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise TimeoutError("nginx did not start") from None
                time.sleep(0.02)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except Exception:
            self.proc.kill()
            self.proc.wait(5)
        self.proc.stderr.close()


class RawServer:
    """A raw asyncio TCP server on 127.0.0.1 running ``handler(reader, writer)`` per connection.  On exit it
    cancels and awaits its handlers, so no task or handle outlives the test's loop."""

    def __init__(self, handler):
        self.handler = handler
        self.tasks = set()
        self.port = None

    async def _wrap(self, reader, writer):
        task = asyncio.current_task()
        self.tasks.add(task)
        try:
            await self.handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self.tasks.discard(task)

    async def __aenter__(self):
        self.server = await asyncio.start_server(self._wrap, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc):
        self.server.close()
        for t in list(self.tasks):
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.server.wait_closed()
        await asyncio.sleep(0.01)


async def read_request(reader):
    """Read one request head (+ Content-Length body) from a raw test server's reader; None at EOF."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    n = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            n = int(line.split(b":")[1])
    body = await reader.readexactly(n) if n else b""
    return head + body


class ScriptedTlsServer:
    """A TLS server (Python's ssl.SSLObject over a plain asyncio TCP server, on the test's loop) whose reply
    delivery a test scripts: each request (up to a blank line) gets ``reply``, encrypted, and then its
    ciphertext is sent per ``mode``:

      "ok"           all at once
      "chunks"       in pieces of the sizes in ``chunks`` (cycled), one write per loop turn
      "truncate"     the first half of the reply's records, then TCP FIN (no close_notify)
      "reset"        the first half, then a TCP reset (SO_LINGER 0)
      "close_notify" no reply: close_notify instead, then FIN
      "corrupt"      all of it with one byte flipped at ``corrupt_at`` (mod its length)
    """

    def __init__(self, cert, *, mode="ok", reply=b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n{\"ok\":1}",
                 max_version=None, chunks=(1,), corrupt_at=0):
        import ssl

        self.ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(self.ctx)
        if max_version is not None:
            self.ctx.maximum_version = max_version
        self.mode, self.reply, self.chunks, self.corrupt_at = mode, reply, list(chunks), corrupt_at
        self.requests = 0
        self.server = None
        self.port = None
        self.tasks = set()
        self.conns = set()   # accepted transports: closed at exit (Python 3.11's Server.close() leaves them open)

    async def __aenter__(self):
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: _ScriptedProto(self), "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc):
        self.server.close()
        for t in list(self.tasks):
            t.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        for tr in list(self.conns):   # a connection the client had not closed yet (a pool's replacement
            tr.abort()                # opened as the test ended): else an unclosed-transport ResourceWarning
        await asyncio.sleep(0)        # their connection_lost runs, the sockets close
        await self.server.wait_closed()


class _ScriptedProto(asyncio.Protocol):
    def __init__(self, srv):
        import ssl

        self.srv = srv
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = srv.ctx.wrap_bio(self.inc, self.out, server_side=True)
        self.buf = b""
        self.hs_done = False
        self.tr = None

    def connection_made(self, tr):
        self.tr = tr
        self.srv.conns.add(tr)

    def connection_lost(self, exc):
        self.srv.conns.discard(self.tr)

    def _flush(self):
        data = self.out.read()
        if data:
            self.tr.write(data)

    def data_received(self, data):
        import ssl

        self.inc.write(data)
        try:
            if not self.hs_done:
                self.obj.do_handshake()
                self.hs_done = True
            while True:
                chunk = self.obj.read(65536)
                if not chunk:   # the client's close_notify
                    self._flush()
                    self.tr.close()
                    return
                self.buf += chunk
        except ssl.SSLWantReadError:
            pass
        except (ssl.SSLError, OSError):
            self._flush()
            self.tr.abort()
            return
        self._flush()
        while b"\r\n\r\n" in self.buf:
            _req, _, self.buf = self.buf.partition(b"\r\n\r\n")
            self.srv.requests += 1
            self._answer()

    def _answer(self):
        import socket
        import struct

        srv, tr = self.srv, self.tr
        if srv.mode == "close_notify":
            try:
                self.obj.unwrap()
            except Exception:
                pass
            self._flush()
            tr.close()
            return
        self.obj.write(srv.reply)
        data = self.out.read()
        if srv.mode == "ok":
            tr.write(data)
        elif srv.mode == "corrupt":
            i = srv.corrupt_at % len(data)
            tr.write(data[:i] + bytes([data[i] ^ 0x55]) + data[i + 1:])
        elif srv.mode in ("truncate", "reset"):
            tr.write(data[:len(data) // 2])
            if srv.mode == "truncate":
                tr.write_eof()
            else:
                sock = tr.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                tr.abort()
        elif srv.mode == "chunks":
            task = asyncio.get_running_loop().create_task(self._dribble(data))
            srv.tasks.add(task)
            task.add_done_callback(srv.tasks.discard)

    async def _dribble(self, data):
        i, k = 0, 0
        while i < len(data) and not self.tr.is_closing():
            n = self.srv.chunks[k % len(self.srv.chunks)]
            self.tr.write(data[i:i + n])
            i, k = i + n, k + 1
            await asyncio.sleep(0)
