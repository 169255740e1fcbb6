"""An emulated network round trip on loopback, for kernels without sch_netem (or without root): a relay process
that holds every chunk, in each direction, for half the round trip (fastorder/net/_relay.pyx over
csrc/fo_relay.h: epoll + a CLOCK_REALTIME timerfd with 1 ns timer slack, the last `early` µs spun, each
chunk's clock started at its kernel arrival stamp). It runs in its own process, outside the GIL of the
process being measured, and is pinned where it is told (the bench puts it on the simulator's CPU so it never
takes the client's).

    with RelayProcess([("127.0.0.1", 8881)], delay_us=500, cpus=[1]) as relay:   # RTT 1 ms
        port = relay.ports[("127.0.0.1", 8881)]     # connect here instead of 8881
        relay.stats()                               # each chunk's hold error: p50/p99/max (ns)

`python -m fastorder.net.relay` is the child; it reads commands (`stats`, `reset`) on stdin, answers with one
JSON line each on stdout, and exits when stdin closes (or its parent dies). Loopback only.
"""

from __future__ import annotations

import argparse
import ctypes
import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

PR_SET_PDEATHSIG = 1
PR_SET_TIMERSLACK = 29
DEFAULT_EARLY_US = 50.0   # spin the last 50 µs before a deadline (the wake-up jitter measured on a KVM guest)


def _check_loopback(host: str) -> None:
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"the delay relay is for loopback addresses only, not {host!r}")


class RelayProcess:
    """The relay in a child process; `ports` maps each (host, port) target to the loopback port that reaches
    it through the delay. `delay_us` is one direction's delay (half the round trip)."""

    def __init__(self, targets: list[tuple[str, int]], delay_us: float, *, cpus: list[int] | None = None,
                 early_us: float = DEFAULT_EARLY_US, fifo: bool = True, timeout: float = 20.0) -> None:
        for host, _port in targets:
            _check_loopback(host)
        if delay_us < 0:
            raise ValueError("delay_us must be >= 0")
        self.targets = list(dict.fromkeys(targets))
        self.delay_us, self.early_us = delay_us, min(early_us, delay_us)
        self.cpus, self.fifo, self.timeout = cpus, fifo, timeout
        self.proc: subprocess.Popen | None = None
        self.ports: dict[tuple[str, int], int] = {}
        self.info: dict[str, Any] = {}

    def start(self) -> RelayProcess:
        args = [sys.executable, "-m", "fastorder.net.relay", "--delay-ns", str(int(self.delay_us * 1000)),
                "--early-ns", str(int(self.early_us * 1000))]
        for host, port in self.targets:
            args += ["--target", f"{host}:{port}"]
        if self.cpus:
            args += ["--cpus", ",".join(map(str, self.cpus))]
        if not self.fifo:
            args.append("--no-fifo")
        # like SimulatorProcess: away from a source checkout's uncompiled tree
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, cwd=tempfile.gettempdir(),
                                     env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONSAFEPATH": "1"})
        try:
            self.info = self._reply()
        except BaseException:
            self.stop()
            raise
        self.ports = {(h, int(p)): lp for h, p, lp in self.info["ports"]}
        return self

    def _reply(self) -> dict[str, Any]:
        import selectors
        assert self.proc is not None and self.proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(self.timeout):
                raise TimeoutError("the delay relay did not answer")
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"the delay relay exited: {err[-2000:]}")
        return json.loads(line)

    def _command(self, cmd: str) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        return self._reply()

    def stats(self) -> dict[str, Any]:
        """Hold error of every chunk since the last reset (ns): written - kernel arrival - delay."""
        return self._command("stats")

    def reset(self) -> None:
        self._command("reset")

    def stop(self) -> None:
        p = self.proc
        if p is None:
            return
        if p.poll() is None:
            try:
                p.stdin.close()            # the child exits when stdin closes
                p.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)
        for f in (p.stdout, p.stderr):
            if f:
                f.close()
        self.proc = None

    def __enter__(self) -> RelayProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _prctl(option: int, value: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def main(argv: list[str] | None = None) -> int:
    from fastorder.net._relay import Relay

    p = argparse.ArgumentParser(prog="python -m fastorder.net.relay", description=__doc__.split("\n\n")[0])
    p.add_argument("--delay-ns", type=int, required=True, help="hold per direction (half the round trip)")
    p.add_argument("--early-ns", type=int, default=int(DEFAULT_EARLY_US * 1000))
    p.add_argument("--target", action="append", required=True, metavar="HOST:PORT")
    p.add_argument("--cpus", default="")
    p.add_argument("--no-fifo", action="store_true", help="stay SCHED_OTHER")
    a = p.parse_args(argv)
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)      # never outlive the bench
    slack = _prctl(PR_SET_TIMERSLACK, 1)          # default slack is 50 µs: it would land in every hold
    if a.cpus:
        os.sched_setaffinity(0, {int(c) for c in a.cpus.split(",")})
    fifo = False
    if not a.no_fifo:
        # the relay sleeps nearly all the time; SCHED_FIFO lets a due chunk preempt the simulator sharing its CPU
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
            fifo = True
        except (OSError, AttributeError):
            pass
    relay = Relay(a.delay_ns, a.early_ns)
    ports = []
    for t in a.target:
        host, _, port = t.rpartition(":")
        _check_loopback(host)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(128)
        ports.append([host, int(port), s.getsockname()[1]])
        relay.add_listener(s.detach(), host, int(port))
    print(json.dumps({"ports": ports, "pid": os.getpid(), "fifo": fifo, "timerslack_1ns": slack,
                      "cpus": sorted(os.sched_getaffinity(0))}), flush=True)
    pending = b""
    while True:
        relay.run(0)
        chunk = os.read(0, 4096)
        if not chunk:
            return 0
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            cmd = line.strip().decode()
            if cmd == "stats":
                out = relay.stats()
                out["t"] = time.time()
            elif cmd == "reset":
                relay.reset_stats()
                out = {"reset": True}
            elif cmd == "quit":
                return 0
            else:
                out = {"error": f"unknown command {cmd!r}"}
            print(json.dumps(out), flush=True)


if __name__ == "__main__":
    sys.exit(main())
