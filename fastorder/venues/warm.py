"""Keep the order path warm while a session is idle (`connect(..., keep_warm=...)`).

An order sent after a quiet spell runs on caches and branch predictors that the idle time (and whatever else
ran on the core) has cooled: measured on a 2-vCPU KVM guest, encode+sign takes 0.84 µs back to back and 54 µs
when it last ran 10 ms earlier, and the whole client part of an order (call to bytes in the kernel) 15 µs
against 166 µs (bench/RESULTS.md). Running that code every millisecond or so keeps it close to the
back-to-back time.

`KeepWarm` does so from an event-loop timer: when the session has sent no order for one interval, it runs
the order path of the session's last order without sending anything — the symbol and order-kind lookups, the venue's encoder and signer into the session's own (wiped) buffer, the WebSocket
framing (masking into a scratch frame), the transport's reply parser on a recorded reply, the venue's reply
decode into an Ack, and the private stream's event decode on a recorded event. Nothing reaches a socket,
the rate guard, the journal, the live client ids or the latency recorder: the session's `rest_send` /
`ws_send` are shadowed for the duration of one pass (which never yields to the loop, so no real order can
interleave), and the usage counts a venue reports in its replies (Binance X-MBX-* headers and rateLimits,
HTX X-HB-RateLimit-*) are left out of the recorded reply, so a stale count never reaches the guard.

Nothing is warmed until the session has placed one order and had its reply: the pass needs a real order's
shape and a real reply to replay. Its CPU cost is counted (`stats()`).

The kernel's side cools too: after 10 ms idle the send of an order's bytes took ~60 µs more than back to
back even with the Python path warm (bench/RESULTS.md). `keep_warm_kernel=True` adds, to each pass, one
small write and read over a private loopback TCP connection of this process (TCP_NODELAY, non-blocking):
the system call entry, the TCP send and receive code and the socket buffers an order's send runs through,
without a byte to the venue (so nothing counts against its limits). A real venue's NIC driver is not on that
path and stays as cold as it is.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from fastorder.log import logger
from fastorder.transport.http import HttpResponseParser
from fastorder.transport.ws import OP_TEXT, WSFrameParser, build_frame
from fastorder.types import Latency

perf_ns = time.perf_counter_ns

#: the interval `keep_warm=True` means: after a 10 or 100 ms gap the client part came out about as fast with
#: passes every 2 ms as every 1 ms, at less CPU (bench/keep_warm.py, bench/RESULTS.md)
DEFAULT_INTERVAL = 0.002


_KERNEL_BYTES = b"\0" * 256   # about an order request's size


def _loopback_pair() -> tuple[socket.socket, socket.socket]:
    """A connected TCP pair on 127.0.0.1, both ends non-blocking with TCP_NODELAY (an order's socket's
    settings); the listener is closed at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as lsn:
        lsn.bind(("127.0.0.1", 0))
        lsn.listen(1)
        lsn.settimeout(1.0)
        a = socket.create_connection(lsn.getsockname(), timeout=1.0)
        try:
            b, _ = lsn.accept()
        except BaseException:
            a.close()   # never left unclosed (a ResourceWarning, and a file descriptor)
            raise
    for sock in (a, b):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
    return a, b


class KeepWarm:
    """The timer and the dry pass of one session (see the module doc)."""

    def __init__(self, session: Any, interval: float, kernel: bool = False) -> None:
        self.session = session
        self.kernel = kernel
        self._pair: tuple[socket.socket, socket.socket] | None = None
        self.interval = float(interval)
        self.interval_ns = int(self.interval * 1e9)
        self.last_ns = 0            # when the session last started an order (place_order's t_call)
        self.order: tuple | None = None   # (symbol, side, quantity, price, type, tif, post_only, opts) of the last order
        self.want_reply = True      # no reply recorded yet: the send paths hand the next one over
        self.http_reply: bytes | None = None   # the recorded REST reply, as it came off the wire (usage headers out)
        self.ws_reply: bytes | None = None     # the recorded WebSocket reply frame (unmasked, as a server sends it)
        self.event: bytes | None = None        # a recorded private-stream payload (set by the stream)
        self.pending: Any = None    # the last reply the send paths saw, until place_order says it was an order's
        self._http = HttpResponseParser()
        self._ws = WSFrameParser()
        self._clid = session.ids.next()   # the shape of a real client id; never sent
        self._timer: Any = None
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
        self.want_reply = False

    # -- the timer ----------------------------------------------------------------------------------------
    def start(self, loop: Any) -> None:
        if self.kernel and self._pair is None:
            self._pair = _loopback_pair()
        self._loop = loop
        self._timer = loop.call_later(self.interval, self._tick)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pair is not None:
            for sock in self._pair:
                sock.close()
            self._pair = None

    def pause(self) -> None:
        """No passes until resume() (a benchmark measuring another session in the same process)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def resume(self) -> None:
        if self._timer is None and self._loop is not None and self.failed is None and not self.session._closed:
            self._timer = self._loop.call_later(self.interval, self._tick)

    def _tick(self) -> None:
        self._timer = None
        s = self.session
        if s._closed or self.failed is not None:
            return
        if perf_ns() - self.last_ns < self.interval_ns:
            self.skipped += 1   # an order ran within the interval: the path is warm already
        else:
            self.run_once()
        if self.failed is None and not s._closed:
            self._timer = self._loop.call_later(self.interval, self._tick)

    # -- one dry pass -------------------------------------------------------------------------------------
    def run_once(self) -> bool:
        """One pass of the order path without sending; False when there is nothing to replay yet."""
        order = self.order
        if order is None or (self.http_reply is None and self.ws_reply is None):
            return False
        c0 = perf_ns()
        s = self.session
        try:
            self._pass(s, order)
        except Exception as exc:   # a pass must never break the session: stop warming, say why once
            self.failed = f"{type(exc).__name__}: {exc}"
            logger.warning("%s: keep_warm stopped (%s)", s.venue, self.failed)
            return False
        finally:
            self.cpu_ns += perf_ns() - c0   # wall time: a pass never blocks, so ~ its CPU (no syscall to ask)
        self.passes += 1
        return True

    def _pass(self, s: Any, order: tuple) -> None:
        base = self._base
        if base is None:   # fastorder.venues.base imports this module: looked up once, at the first pass
            from fastorder.venues import base
            self._base = base
        symbol, side, quantity, price, type_, tif, post_only, opts = order
        info = s._symbol_cache.get(symbol)
        if info is None:
            return   # the symbol's rules were dropped meanwhile: the next real order loads them
        side_u = base._SIDES.get(side) or side
        if opts is None and not (type_ == "limit" and price is not None and tif in base._TIFS):
            type_, tif = base._order_kind(type_, tif, price, post_only)   # (with options: recorded normalized)
        lat = Latency()
        s.rest_send = self._dry_rest
        s.ws_send = self._dry_ws
        try:
            coro = s._place(info, side_u, quantity, price, type_, tif, post_only, self._clid, lat, perf_ns(), opts)
            try:
                coro.send(None)
            except StopIteration:
                pass
            else:   # it waited for something: not a path this pass can replay
                coro.close()
                raise RuntimeError("the order path waited during a dry pass")
        finally:
            del s.rest_send, s.ws_send
        stream, ev = s.stream, self.event
        if stream is not None and ev is not None:
            stream.decode(ev, perf_ns())
        pair = self._pair
        if pair is not None:   # the kernel's send and receive path, over our own loopback connection
            pair[0].send(_KERNEL_BYTES)
            try:
                while pair[1].recv(4096):
                    pass
            except BlockingIOError:
                pass

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
