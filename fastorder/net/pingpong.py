"""The round trip of an emulated path as a user would measure it: a trivial TCP ping-pong through the path,
minus the same ping-pong straight over loopback.

`fastorder bench --rtt` holds every chunk RTT/2 each way (the nominal RTT), but the path's actual round trip
is longer by whatever the emulation itself costs (the relay's extra loopback hop per direction and its time on
the server's CPU) and by waking after a 1 ms wait instead of a short one. A ping-pong through the same path,
between the same CPUs, with the same way of waiting for the reply, shows that actual round trip:

    measured RTT = p50(ping-pong through the path) - p50(the same ping-pong on loopback, no path)

It contains no order, no HTTP and no simulator: only the echo of SIZE bytes by a tiny blocking server pinned
where the simulator is. The two are measured in interleaved rounds so a drift of the machine touches both.
Loopback only.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import Any

SIZE = 256
ECHO = r"""
import os, socket, sys, threading
if sys.argv[1]:
    os.sched_setaffinity(0, {int(c) for c in sys.argv[1].split(',')})
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(16)
print(s.getsockname()[1], flush=True)
def one(c):
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with c:
        while True:
            d = c.recv(65536)
            if not d:
                return
            c.sendall(d)
def parent_gone():
    sys.stdin.read()   # returns when the parent closes our stdin or dies
    os._exit(0)
threading.Thread(target=parent_gone, daemon=True).start()
while True:
    c, _ = s.accept()
    threading.Thread(target=one, args=(c,), daemon=True).start()
"""


class EchoProcess:
    """A blocking echo server in its own process (pinned to `cpus`), on 127.0.0.1:`port`."""

    def __init__(self, cpus: list[int] | None = None, timeout: float = 20.0) -> None:
        self.cpus, self.timeout = cpus, timeout
        self.proc: subprocess.Popen | None = None
        self.port = 0

    def start(self) -> EchoProcess:
        import selectors
        self.proc = subprocess.Popen([sys.executable, "-c", ECHO, ",".join(map(str, self.cpus or []))],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            ready = sel.select(self.timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line.strip().isdigit():
            self.stop()
            raise RuntimeError("the echo server did not start")
        self.port = int(line)
        return self

    def stop(self) -> None:
        p, self.proc = self.proc, None
        if p is None:
            return
        for f in (p.stdin, p.stdout):
            if f:
                try:
                    f.close()
                except OSError:
                    pass
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)

    def __enter__(self) -> EchoProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def connect(port: int, timeout: float = 10.0) -> socket.socket:
    c = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return c


def ping(sock: socket.socket, n: int, spin: bool = False, size: int = SIZE) -> list[float]:
    """n round trips of `size` bytes on a connected socket, µs each. spin=False waits for each reply in a
    blocking recv (the thread sleeps, like an event loop in epoll); spin=True polls with MSG_DONTWAIT."""
    msg = b"p" * size
    out = []
    clock = time.perf_counter_ns
    sock.setblocking(not spin)
    if not spin:
        sock.settimeout(10.0)
    recv = sock.recv
    for _ in range(n):
        t0 = clock()
        sock.sendall(msg)
        got = 0
        while got < size:
            if spin:
                try:
                    d = recv(65536, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    continue
            else:
                d = recv(65536)
            if not d:
                raise ConnectionError("the echo server closed the connection")
            got += len(d)
        out.append((clock() - t0) / 1000)
    sock.setblocking(True)
    return out


def _p50(xs: list[float]) -> float:
    ys = sorted(xs)
    return ys[(len(ys) - 1) // 2] if ys else float("nan")


def measure_path(direct_port: int, path_port: int, n: int = 800, rounds: int = 4, spin: bool = False,
                 warmup: int = 20) -> dict[str, Any]:
    """Ping-pong the same echo server straight (direct_port) and through the path (path_port), in `rounds`
    interleaved rounds of n/rounds each; returns both p50s and their difference (the path's measured RTT), and
    every sample (direct_us, through_path_us)."""
    per = max(1, n // rounds)
    direct: list[float] = []
    through: list[float] = []
    with connect(direct_port) as a, connect(path_port) as b:
        ping(a, warmup, spin)
        ping(b, warmup, spin)
        for r in range(rounds):
            first, second = ((a, direct), (b, through)) if r % 2 == 0 else ((b, through), (a, direct))
            for sock, xs in (first, second):
                xs.extend(ping(sock, per, spin))
    d50, t50 = _p50(direct), _p50(through)
    return {"pings_each": len(direct), "size_bytes": SIZE, "wait": "spin" if spin else "blocking recv",
            "loopback_p50_us": d50, "through_path_p50_us": t50, "path_min_us": min(through),
            "rtt_us": t50 - d50, "client_cpus": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else None, "direct_us": direct, "through_path_us": through}
