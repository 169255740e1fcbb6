"""Keep the order path warm while a session is idle (`connect(..., keep_warm=...)`).

An order sent after a quiet spell runs on caches and branch predictors that the idle time (and whatever else
ran on the core) has cooled: measured on a 2-vCPU KVM guest, encode+sign takes 0.84 µs back to back and 54 µs
when it last ran 10 ms earlier, and the whole client part of an order (call to bytes in the kernel) 15 µs
against 166 µs (bench/RESULTS.md). Running that code every millisecond or so keeps it close to the
back-to-back time.

`KeepWarm` does so from a timer callback of the event loop (a plain `call_later` tick; a pass that waits for
its scratch reply is stepped from the reply Future's callback, as a Task would step it): when the session has
sent no order for one interval, it calls `place_order` with the session's last order, with nothing sent to the
venue — the input checks, the symbol and order-kind lookups, the venue's encoder and signer into the
session's own (wiped) buffer, the send path, the transport's reply parser on a recorded reply, the venue's
reply decode into an Ack, and the private stream's event decode on a recorded event. It calls it on a shadow
of the session (`_shadow`: the same attributes, so the same code and data, but a scratch ledger — live client
ids, rate guard, journal, stream tracking — and latency recorder, and a `_place_failed` that only re-raises:
no query or settler for a pass), whose send is a dry one that parses the recorded reply. The shadow is made
again after each real order (and every few hundred passes), reused in between. Nothing of a pass is written
to the session, and a dry pass never yields to the loop. The usage counts a venue reports in its replies
(Binance X-MBX-* headers and rateLimits, HTX X-HB-RateLimit-*) are left out of the recorded reply, so a stale
count never reaches the guard.

Nothing is warmed until the session has placed one order and had its reply: the pass needs a real order's
shape and a real reply to replay. Its CPU cost is counted (`stats()`).

The kernel's side cools too: after 10 ms idle the send of an order's bytes took ~60 µs more than back to
back even with the Python path warm (bench/RESULTS.md). With `keep_warm_kernel=True` a REST session's pass
runs the real `rest_send` over a scratch HTTP connection of the session's own transport to a loopback
socket of this process: the recorded reply is written to it first, the request goes out with the same
send() an order's does, and the reply comes back as an order's does (the loop's epoll and read, the
transport's parser, the Future and the pass's resumption from its callback; or the session's spin) — the system call entry, the
TCP send and receive code, the socket buffers, the request framing and the connection's waiter and timer.
A WebSocket session's pass does the same over a scratch WebSocket of the session's own transport to a private
peer on loopback (the peer answers the opening handshake, then writes the recorded reply frame, carrying the
pass's request id, before each request): the real `ws_send`, the frame's masking and send(), the reply frame
read through the loop and matched by id. Such a pass waits for its reply (a real order may run meanwhile: the
pass writes nothing to the session). Nothing goes to the venue (so nothing counts against its limits, and no
ping or other frame is added to the venue's connections). The scratch connection is plaintext (a TLS session's
record layer is not warmed), and a real venue's NIC driver is not on that path and stays as cold as it is.

What a tick costs (bench/keep_warm.py prints it): on the 2-vCPU KVM guest this was measured on, waking a
thread from a timer costs ~45 µs of CPU per tick for an empty Python callback (~2 % of a core every 2 ms)
whatever the pass does, because the vCPU halts between ticks and everything the tick touches is cold.
"""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

from fastorder.log import logger
from fastorder.transport.http import HttpResponseParser
from fastorder.transport.ws import OP_TEXT, WSFrameParser, build_frame
from fastorder.types import Latency

perf_ns = time.perf_counter_ns
thread_ns = time.thread_time_ns

#: the interval `keep_warm=True` means: after a 10 or 100 ms gap the client part came out nearly as fast with
#: passes every 2 ms as every 1 ms at 55-60 % of the CPU, while at 5 and 10 ms most of the benefit was gone
#: (bench/keep_warm.py, bench/RESULTS.md)
DEFAULT_INTERVAL = 0.002


#: the read timeout of a pass on the scratch connection (its reply is written before the request: there at once)
_SCRATCH_TIMEOUT = 0.2


#: a shadow is made again after this many passes at most (and after every real order)
_SHADOW_PASSES = 256
#: a scratch WebSocket pass's request id is this plus one (the shadow's own counter, set per pass): the
#: recorded reply frame carries it, made once
_SCRATCH_REQ_SEQ = 0
_WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"   # RFC 6455 1.3


def _nodelay(sock: socket.socket) -> socket.socket:
    """An order socket's settings: TCP_NODELAY, non-blocking."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setblocking(False)
    return sock


def _is_open(conn: Any) -> bool:
    is_open = getattr(conn, "is_open", None)
    if is_open is not None:   # HTTP
        return bool(is_open)
    return not conn.closed.done()   # WebSocket


def _ws_accept_reply(head: bytes) -> bytes:
    """The scratch peer's answer to a client's opening handshake (RFC 6455 4.2.2)."""
    import base64
    import hashlib
    key = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"sec-websocket-key":
            key = value.strip()
    if not key:
        raise ConnectionError("the scratch WebSocket's handshake carried no Sec-WebSocket-Key")
    accept = base64.b64encode(hashlib.sha1(key + _WS_GUID).digest())
    return (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")


def _with_request_id(reply: bytes, rid: bytes) -> bytes | None:
    """`reply` (a JSON WebSocket reply) with the value after its first `"id":` replaced by `rid` (quoted as the
    original was), as an unmasked frame; None without an id (no scratch pass: its reply would match nothing)."""
    i = reply.find(b'"id":')
    if i < 0:
        return None
    i += 5
    while i < len(reply) and reply[i] in b" \t":
        i += 1
    if reply[i:i + 1] == b'"':
        j = reply.find(b'"', i + 1)
        if j < 0:
            return None
        payload = reply[:i + 1] + rid + reply[j:]
    else:
        j = i
        while j < len(reply) and reply[j] in b"0123456789":
            j += 1
        if j == i:
            return None
        payload = reply[:i] + rid + reply[j:]
    return build_frame(OP_TEXT, payload, mask=False)


def _drain(sock: socket.socket) -> None:
    """Read what the scratch connection sent (one request: one recv, without the EAGAIN a second one raises)."""
    try:
        while len(sock.recv(65536)) == 65536:
            pass
    except OSError:   # nothing there (BlockingIOError), or closed with the session meanwhile
        pass


async def _unsettled(info: Any, clid: str, exc: BaseException, lat: Any, t_call: int) -> Any:
    """place_order's `_place_failed` during a pass: the pass's failure, as it is."""
    raise exc


class _ScratchPool:
    """What rest_send (ws_send) sees as its connection pool during a pass: the scratch connection only."""

    __slots__ = ("conn", "last_error", "connect_error")

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.last_error = self.connect_error = None

    def connection(self) -> Any:
        return self.conn

    best = connection


class KeepWarm:
    """The timer and the dry pass of one session (see the module doc)."""

    def __init__(self, session: Any, interval: float, kernel: bool = False) -> None:
        self.session = session
        self.kernel = kernel
        # kernel=True: (scratch connection, its loopback peer, a pool of that one connection): a pass sends through
        # a scratch HTTP or WebSocket connection of the session's own transport to a peer of ours on loopback
        self._scratch: tuple[Any, socket.socket, Any] | None = None
        self._opening: Any = None
        from fastorder.metrics import LatencyRecorder
        from fastorder.venues.ledger import Ledger
        self._ledger = Ledger(session.venue, session.now_ms, order_costs=session._order_costs,
                              request_costs=session._request_costs, window_ms=lambda: 0, rate_limit=False)
        self._recorder = LatencyRecorder()
        self.interval = float(interval)
        self.interval_ns = int(self.interval * 1e9)
        self.last_ns = 0            # when the session last started an order (place_order's t_call)
        self.order: tuple | None = None   # (symbol, side, quantity, price, type, tif, post_only, opts) of the last order
        self.want_reply = True      # no reply recorded yet: the send paths hand the next one over
        self.http_reply: bytes | None = None   # the recorded REST reply, as it came off the wire (usage headers out)
        self.ws_reply: bytes | None = None     # the recorded WebSocket reply frame (unmasked, as a server sends it)
        self.ws_scratch_reply: bytes | None = None   # the same with the request id of a scratch pass (kernel=True)
        self.event: bytes | None = None        # a recorded private-stream payload (set by the stream)
        self.pending: Any = None    # the last reply the send paths saw, until place_order says it was an order's
        self._http = HttpResponseParser()
        self._ws = WSFrameParser()
        self._clid = session.ids.next()   # the shape of a real client id; never sent
        self._handle: Any = None   # the next tick's timer handle
        self._coro: Any = None     # the pass under way (waiting for its scratch reply), stepped by _step
        self._sh: Any = None       # the shadow session (_shadow), when it was made (last_ns, passes)
        self._sh_ns = 0
        self._sh_pass = 0
        self._loop: Any = None
        self._base: Any = None
        self.passes = 0
        self.skipped = 0            # ticks that found the session busy (an order within the interval)
        self.cpu_ns = 0             # time in the passes (not the timer wake-ups: see stats())
        self.failed: str | None = None   # why warming stopped (an exception in a pass): it never retries

    # -- the hooks on the order path (one attribute test each where they are called) ----------------------
    def commit(self) -> None:
        """place_order read its reply without error: keep that reply for the passes."""
        r, self.pending = self.pending, None
        if isinstance(r, (bytes, bytearray, memoryview)):
            self.record_ws(bytes(r))
        elif r is not None:
            self.record_http(r)

    def record_http(self, resp: Any) -> None:
        """A REST order reply: kept as bytes the transport's parser reads back, without the headers a venue
        reads its usage counts from."""
        skip = {b"content-length", b"transfer-encoding"}
        skip.update(self.session._reply_header_names[1:])
        head = [b"HTTP/1.1 %d %s\r\n" % (resp.status, resp.reason)]
        for k, v in resp.headers:
            if k.lower() not in skip:
                head.append(k + b": " + v + b"\r\n")
        body = resp.body
        head.append(b"Content-Length: %d\r\n\r\n" % len(body))
        self.http_reply = b"".join(head) + body
        self.want_reply = False

    def record_ws(self, reply: bytes) -> None:
        """A WebSocket order reply, without the venue's usage counts (Binance rateLimits)."""
        import orjson
        try:
            d = orjson.loads(reply)
        except orjson.JSONDecodeError:
            return
        if isinstance(d, dict) and "rateLimits" in d:
            del d["rateLimits"]
            reply = orjson.dumps(d)
        self.ws_reply = build_frame(OP_TEXT, reply, mask=False)
        self.ws_scratch_reply = _with_request_id(reply, str(_SCRATCH_REQ_SEQ + 1).encode())
        self.want_reply = False

    # -- the timer ----------------------------------------------------------------------------------------
    def start(self, loop: Any) -> None:
        if self.kernel and self._scratch is None and self._opening is None:
            opener = self._open_scratch_http if self.session.transport == "rest" else self._open_scratch_ws
            self._opening = loop.create_task(self._open_scratch(opener))
        self._loop = loop
        self._handle = loop.call_later(self.interval, self._tick)

    async def _open_scratch(self, opener: Any) -> None:
        """The scratch connection: the session's transport (plaintext) to a loopback socket of ours."""
        try:
            await opener()
        except Exception as exc:   # warming goes on without it
            logger.warning("%s: keep_warm_kernel's scratch connection did not open (%s: %s)", self.session.venue,
                           type(exc).__name__, exc)
        finally:
            self._opening = None

    async def _open_scratch_http(self) -> None:
        from fastorder.transport.client import open_http
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as lsn:
            lsn.bind(("127.0.0.1", 0))
            lsn.listen(1)
            lsn.setblocking(False)
            conn = await open_http("127.0.0.1", lsn.getsockname()[1], tls=False)
            try:
                peer, _ = lsn.accept()   # connected: it is in the accept queue
            except BaseException:
                conn.close()
                raise
        self._keep_scratch(conn, _nodelay(peer), _ScratchPool(conn))

    async def _open_scratch_ws(self) -> None:
        """A WebSocket connection of the session's own transport to a private peer on loopback: the peer answers
        the opening handshake (RFC 6455 4.2.2) and afterwards only writes the recorded reply frames a pass
        reads back; nothing of it reaches the venue."""
        from fastorder.transport.client import open_ws
        loop = asyncio.get_running_loop()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as lsn:
            lsn.bind(("127.0.0.1", 0))
            lsn.listen(1)
            lsn.setblocking(False)
            opening = loop.create_task(open_ws(f"ws://127.0.0.1:{lsn.getsockname()[1]}/", read_timeout=_SCRATCH_TIMEOUT,
                                               connect_timeout=1.0))
            peer = None
            try:
                peer, _ = await asyncio.wait_for(loop.sock_accept(lsn), 1.0)
                head = b""
                while b"\r\n\r\n" not in head and len(head) < 8192:
                    chunk = await asyncio.wait_for(loop.sock_recv(peer, 4096), 1.0)
                    if not chunk:
                        raise ConnectionError("the scratch WebSocket closed during its handshake")
                    head += chunk
                await loop.sock_sendall(peer, _ws_accept_reply(head))
                conn = await opening
            except BaseException:
                opening.cancel()
                if peer is not None:
                    peer.close()
                raise
        self._keep_scratch(conn, _nodelay(peer), _ScratchPool(conn))

    def _keep_scratch(self, conn: Any, peer: socket.socket, pool: Any) -> None:
        if self.session._closed:
            conn.close()
            peer.close()
            return
        self._scratch = (conn, peer, pool)

    def stop(self) -> None:
        self.pause()
        if self._opening is not None:
            self._opening.cancel()
            self._opening = None
        if self._scratch is not None:
            self._scratch[0].close()
            self._scratch[1].close()
            self._scratch = None
        self._sh = None

    def pause(self) -> None:
        """No passes until resume() (a benchmark measuring another session in the same process)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        coro, self._coro = self._coro, None
        if coro is not None:   # a pass waiting for its scratch reply: ended where it waits (its finally runs)
            coro.close()

    def resume(self) -> None:
        if self._handle is None and self._loop is not None and self.failed is None and not self.session._closed:
            self._handle = self._loop.call_later(self.interval, self._tick)

    def _tick(self) -> None:
        """One tick: a plain timer callback (no Task, Future or Task step per tick: a tick's cost is what it
        touches on a cold CPU); the pass's coroutine is stepped by hand (_step)."""
        s = self.session
        if s._closed or self.failed is not None:
            self._handle = None
            return
        self._handle = self._loop.call_later(self.interval, self._tick)
        if self._coro is not None:
            self.skipped += 1   # the last pass still waits for its scratch reply
        elif perf_ns() - self.last_ns < self.interval_ns:
            self.skipped += 1   # an order ran within the interval: the path is warm already
        else:
            self._coro = coro = self.run_once()
            self._step(coro)

    def _step(self, coro: Any, fut: Any = None) -> None:
        """Run the pass's coroutine to its next wait; a wait on a Future (the scratch reply) resumes it from the
        Future's callback, as a Task would, without one."""
        if coro is not self._coro:   # paused or stopped meanwhile (the coroutine was closed)
            if fut is not None and not fut.cancelled():
                fut.exception()   # retrieved: the scratch connection's close fails it, and nobody waits
            return
        try:
            waited = coro.send(None)
        except StopIteration:
            self._coro = None
            return
        except BaseException:
            self._coro = None
            raise
        if waited is None:   # a bare yield (sleep(0)): the next loop iteration
            self._loop.call_soon(self._step, coro)
        else:
            waited._asyncio_future_blocking = False
            waited.add_done_callback(lambda f: self._step(coro, f))

    # -- one pass -----------------------------------------------------------------------------------------
    async def run_once(self) -> bool:
        """One pass of the order path, nothing sent to the venue; False when there is nothing to replay yet."""
        order = self.order
        if order is None or (self.http_reply is None and self.ws_reply is None):
            return False
        s = self.session
        c0 = thread_ns()
        try:
            await self._pass(s, order)
        except Exception as exc:   # a pass must never break the session: stop warming, say why once
            self.failed = f"{type(exc).__name__}: {exc}"
            logger.warning("%s: keep_warm stopped (%s)", s.venue, self.failed)
            return False
        finally:
            # this thread's CPU: the wait for the scratch reply is not in it (what else the loop ran meanwhile is)
            self.cpu_ns += thread_ns() - c0
        self.passes += 1
        return True

    def _shadow(self, s: Any) -> Any:
        """The session as a pass sees it: the same object's attributes (the same encoder, buffer, symbol rules,
        clock, stream), but its own ledger (live client ids, rate guard, journal, stream tracking) and latency
        recorder, no warmer, and a `_place_failed` that only re-raises (no query or settler for a pass). Nothing
        of a pass is written to the session itself, so a real order may run while a pass waits for its scratch
        reply. Made again after every real order and every `_SHADOW_PASSES` passes, so an attribute the session
        replaced meanwhile is the new one within that; in between it is reused (copying the session's attributes
        each pass was a cold dict copy per tick)."""
        sh = self._sh
        if sh is None or self._sh_ns != self.last_ns or self.passes - self._sh_pass >= _SHADOW_PASSES:
            sh = object.__new__(s.__class__)
            d = sh.__dict__
            d.update(s.__dict__)
            d["ledger"], d["recorder"], d["_warmer"], d["_place_failed"] = self._ledger, self._recorder, None, _unsettled
            self._sh, self._sh_ns, self._sh_pass = sh, self.last_ns, self.passes
        return sh

    async def _pass(self, s: Any, order: tuple) -> None:
        base = self._base
        if base is None:   # fastorder.venues.base imports this module: looked up once, at the first pass
            from fastorder.venues import base
            self._base = base
        symbol, side, quantity, price, type_, tif, post_only, opts = order
        info = s._symbol_cache.get(symbol)
        if info is None:
            return   # the symbol's rules were dropped meanwhile: the next real order loads them
        scratch = self._scratch
        if scratch is not None and not _is_open(scratch[0]):
            logger.info("%s: keep_warm's scratch connection closed; passes continue without it", s.venue)
            self._scratch = scratch = None
        sh = self._shadow(s)
        d = sh.__dict__
        peer = None
        if scratch is not None and s.transport == "rest" and self.http_reply is not None:
            # the real rest_send over the scratch connection, the reply written first: the request goes out with
            # the send() an order's does and the reply comes back through the loop (or the session's spin), as
            # an order's would, within a short read timeout
            peer = scratch[1]
            peer.send(self.http_reply)
            d["_pool"], d["timeout"] = scratch[2], _SCRATCH_TIMEOUT
            d.pop("rest_send", None)
        elif scratch is not None and self.ws_scratch_reply is not None:
            # the same for a WebSocket session: the real ws_send over the scratch WebSocket, whose peer wrote the
            # recorded reply frame (carrying the request id the pass will use) first
            peer = scratch[1]
            peer.send(self.ws_scratch_reply)
            d["ws_pool"], d["timeout"], d["_req_seq"] = scratch[2], _SCRATCH_TIMEOUT, _SCRATCH_REQ_SEQ
            d.pop("ws_send", None)
        elif s.transport == "rest":
            d["rest_send"] = self._dry_rest
        else:
            d["ws_send"] = self._dry_ws
        try:
            if opts is None:
                coro = sh.place_order(symbol, side, quantity, price, type=type_, tif=tif, post_only=post_only,
                                      client_order_id=self._clid)
            else:   # the less common keywords: the venue's order path from its hook
                coro = sh._place(info, base._SIDES.get(side) or side, quantity, price, type_, tif, post_only,
                                 self._clid, Latency(), perf_ns(), opts)
            if peer is not None:
                await coro
            else:   # the dry send never waits: run it to its end at once
                try:
                    coro.send(None)
                except StopIteration:
                    pass
                else:
                    coro.close()
                    raise RuntimeError("the order path waited during a dry pass")
        finally:
            self._ledger.live_ids.clear()
            if peer is not None:   # the request the scratch connection sent
                _drain(peer)
        stream, ev = s.stream, self.event
        if stream is not None and ev is not None:
            stream.decode(ev, perf_ns())

    async def _dry_rest(self, data: bytes, lat: Latency, t_call: int) -> Any:
        del data
        self.session._buf.wipe()   # as rest_send: the signed request is not kept
        return self._http.feed(self.http_reply or b"")[0]   # (set: run_once checked)

    async def _dry_ws(self, req_id: bytes, data: bytes, lat: Latency, t_call: int) -> bytes:
        build_frame(OP_TEXT, data, mask=True)   # the masking a request frame gets, into a scratch frame
        del data
        self.session._buf.wipe()
        return self._ws.feed(self.ws_reply or b"")[0][1]

    def stats(self) -> dict[str, Any]:
        """Passes run, ticks skipped (an order within the interval), the time per pass, and what that makes
        per second of idle time (one pass per interval). The timer's own wake-ups are not in it: the
        process's CPU with and without keep_warm is (bench/keep_warm.py)."""
        per = self.cpu_ns / 1000 / self.passes if self.passes else None
        return {"interval_s": self.interval, "kernel": self.kernel, "passes": self.passes, "skipped": self.skipped,
                "us_per_pass": per, "pass_us_per_idle_s": per / self.interval if per is not None else None,
                "failed": self.failed}
