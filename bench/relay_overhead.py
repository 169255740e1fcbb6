"""What the --rtt delay relay adds beyond its nominal hold, leg by leg, measured with kernel receive stamps.

A client (CPU 0) and an echo server (CPU 1, beside the relay, as the bench places the simulator) both busy-poll,
so neither pays a wake-up from idle and the difference between the direct path and the relayed path is the
relay's: its extra loopback hop per direction and the time it takes on the server's CPU. Each leg is timed
with SO_TIMESTAMPNS on the receiving socket (CLOCK_REALTIME, stamped when the kernel queued the bytes):

    client -> server   server's receive stamp - client's clock before send()
    server             server's clock before its send() - its receive stamp
    server -> client   client's receive stamp - server's clock before send()
    pickup             client's clock after recv() - its receive stamp

    python bench/relay_overhead.py [--rtt-us 1000] [--n 3000]
Loopback only.
"""

from __future__ import annotations

import argparse
import os
import socket
import struct
import subprocess
import sys
import time

SO_TIMESTAMPNS = 35   # Linux; not exported by the socket module
ECHO = r"""
import os, socket, struct, sys, time
os.sched_setaffinity(0, {int(sys.argv[1])})
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(8); s.setsockopt(socket.SOL_SOCKET, 35, 1)
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept(); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1); c.setsockopt(socket.SOL_SOCKET, 35, 1)
    c.setblocking(False)
    while True:
        try:
            d, anc, _f, _a = c.recvmsg(65536, 64)
        except BlockingIOError:
            continue
        if not d:
            break
        st = 0
        for _lvl, typ, data in anc:
            if typ == 35:
                sec, ns = struct.unpack('qq', data[:16]); st = sec * 10**9 + ns
        c.setblocking(True); c.sendall(struct.pack('qq', st, time.clock_gettime_ns(time.CLOCK_REALTIME)) + d[16:])
        c.setblocking(False)
    c.close()
"""


def stamp(anc) -> int:
    for _lvl, typ, data in anc:
        if typ == SO_TIMESTAMPNS:
            sec, ns = struct.unpack("qq", data[:16])
            return sec * 10**9 + ns
    return 0


def legs(port: int, n: int) -> dict[str, float]:
    c = socket.create_connection(("127.0.0.1", port))
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    c.setblocking(False)
    out: dict[str, list[float]] = {k: [] for k in ("total", "client -> server", "server", "server -> client",
                                                   "pickup")}
    clock = time.clock_gettime_ns
    for _ in range(n):
        t0 = clock(time.CLOCK_REALTIME)
        c.send(b"x" * 200)
        while True:
            try:
                d, anc, _f, _a = c.recvmsg(4096, 64)
                break
            except BlockingIOError:
                pass
        t1 = clock(time.CLOCK_REALTIME)
        st_in, t_out = struct.unpack("qq", d[:16])
        rs = stamp(anc)
        for k, v in (("total", t1 - t0), ("client -> server", st_in - t0), ("server", t_out - st_in),
                     ("server -> client", rs - t_out), ("pickup", t1 - rs)):
            out[k].append(v / 1000)
    c.close()
    return {k: sorted(v)[len(v) // 2] for k, v in out.items()}


def main() -> int:
    from fastorder.net.relay import RelayProcess
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rtt-us", type=float, default=1000.0)
    p.add_argument("--n", type=int, default=3000)
    p.add_argument("--no-fifo", action="store_true", help="relay stays SCHED_OTHER")
    p.add_argument("--early-us", type=float, default=50.0, help="relay spins this long before each deadline")
    a = p.parse_args()
    ncpu = os.cpu_count() or 1
    server_cpu = ncpu - 1
    echo = subprocess.Popen([sys.executable, "-c", ECHO, str(server_cpu)], stdout=subprocess.PIPE, text=True)
    try:
        port = int(echo.stdout.readline())
        os.sched_setaffinity(0, {0})
        direct = legs(port, a.n)
        with RelayProcess([("127.0.0.1", port)], a.rtt_us / 2, cpus=[server_cpu], fifo=not a.no_fifo,
                          early_us=a.early_us) as relay:
            rport = relay.ports[("127.0.0.1", port)]
            legs(rport, 100)
            relay.reset()
            relayed = legs(rport, a.n)
            st = relay.stats()
        half = a.rtt_us / 2
        print(f"medians of {a.n} round trips, µs (client CPU 0, server CPU {server_cpu}, both busy-polling; "
              f"relay RTT {a.rtt_us:g} µs, {'SCHED_OTHER' if a.no_fifo else 'SCHED_FIFO'}, spins the last "
              f"{a.early_us:g} µs)")
        print(f"{'leg':<18} {'direct':>8} {'relay':>8} {'nominal':>8} {'relay adds':>10}")
        for k in direct:
            nominal = {"total": a.rtt_us, "client -> server": half, "server -> client": half}.get(k, 0.0)
            print(f"{k:<18} {direct[k]:8.1f} {relayed[k]:8.1f} {nominal:8.0f} {relayed[k] - direct[k] - nominal:10.1f}")
        print(f"relay's own hold error (written - kernel arrival - nominal): p50 {st['p50_error_ns'] / 1000:.1f} µs, "
              f"p99 {st['p99_error_ns'] / 1000:.1f} µs, max {st['max_error_ns'] / 1000:.1f} µs over {st['chunks']} "
              f"chunks")
    finally:
        echo.kill()
        echo.wait()
        echo.stdout.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
