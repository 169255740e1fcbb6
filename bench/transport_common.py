"""Shared pieces of the transport benchmarks (bench/transport_ws.py, bench/transport_http.py).

Method: the server is pinned to one CPU and every client runs in its own subprocess pinned to another
(``taskset``).  Clients are interleaved in rounds (A B C ... A B C ...) so that drift and noise from other
work on the machine hit all of them alike; each round reports percentiles, and the table shows the median
over rounds of each percentile.  Python clients run with the GC frozen after warm-up.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEER_SRC = HERE / "c" / "fo_bench_peer.c"


def percentiles(lat_ns: list[int], cpu_ns: float) -> dict:
    s = sorted(lat_ns)
    n = len(s)

    def p(q):
        return s[int((n - 1) * q)]

    return {"n": n, "p50": p(0.5), "p90": p(0.9), "p99": p(0.99), "p999": p(0.999), "max": s[-1],
            "mean": sum(s) / n, "cpu_ns": cpu_ns}


def cpu_ns() -> int:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return int((r.ru_utime + r.ru_stime) * 1e9)


def prepare_measurement() -> None:
    import gc

    gc.collect()
    gc.freeze()


GAP_S = 0.0   # idle time before each measured round trip (set_gap; --gap): 0 = back to back


def set_gap(seconds: float) -> None:
    """Sporadic mode: every measured round trip starts after this idle time (the client's thread sleeps:
    in epoll for the asyncio clients, in nanosleep for blocking ones)."""
    global GAP_S
    GAP_S = max(0.0, seconds)


def warm_up(n: int) -> int:
    """Round trips a client makes before its ``n`` measured ones (bench/c/fo_bench_peer.c does the same)."""
    return n // 10 + 100


class Recorder:
    """Latencies of one client's round trips: the first ``warm`` are warm-up; at the first measured one the GC
    is frozen and the CPU clock starts."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.warm = warm_up(n)
        self.lat: list[int] = []
        self.c0 = 0

    def tick(self, i: int) -> None:
        """Round trip ``i`` is about to start."""
        if i == self.warm:
            prepare_measurement()
            self.c0 = cpu_ns()

    def result(self) -> tuple[list[int], float]:
        """(measured latencies in ns, client CPU ns per round trip)."""
        return self.lat[self.warm:], (cpu_ns() - self.c0) / self.n


async def measure_await(n: int, one) -> tuple[list[int], float]:
    """``await one(i)`` once per round trip, one in flight."""
    import asyncio

    rec = Recorder(n)
    pc = time.perf_counter_ns
    gap = GAP_S
    for i in range(n + rec.warm):
        rec.tick(i)
        if gap and i >= rec.warm:
            await asyncio.sleep(gap)
        t0 = pc()
        await one(i)
        rec.lat.append(pc() - t0)
    return rec.result()


def measure_blocking(n: int, one) -> tuple[list[int], float]:
    """``one(i)`` (a blocking call) once per round trip."""
    rec = Recorder(n)
    pc = time.perf_counter_ns
    gap = GAP_S
    for i in range(n + rec.warm):
        rec.tick(i)
        if gap and i >= rec.warm:
            time.sleep(gap)
        t0 = pc()
        one(i)
        rec.lat.append(pc() - t0)
    return rec.result()


class CallbackChain:
    """Callback style: ``send(i, on_reply)`` starts round trip ``i``; each reply's callback starts the next
    one at once (no Future, no task wake-up)."""

    def __init__(self, n: int, send) -> None:
        import asyncio

        self.rec = Recorder(n)
        self.send = send
        self.i = 0
        self.t0 = 0
        self.loop = asyncio.get_running_loop()
        self.done = self.loop.create_future()

    def on_reply(self, *_reply) -> None:
        rec = self.rec
        rec.lat.append(time.perf_counter_ns() - self.t0)
        self.i += 1
        rec.tick(self.i)
        if self.i == rec.n + rec.warm:
            self.done.set_result(None)
            return
        if GAP_S and self.i >= rec.warm:   # sporadic: the next one after the idle gap, from a loop timer
            self.loop.call_later(GAP_S, self._next)
            return
        self._next()

    def _next(self) -> None:
        self.t0 = time.perf_counter_ns()
        self.send(self.i, self.on_reply)

    async def run(self) -> tuple[list[int], float]:
        self.t0 = time.perf_counter_ns()
        self.send(0, self.on_reply)
        await self.done
        return self.rec.result()


def measure_spin(n: int, send, spin) -> tuple[list[int], float]:
    """Spin mode: ``send(i, on_reply)`` then ``spin(budget_us)`` on this core until the reply is handled."""
    rec = Recorder(n)
    pc = time.perf_counter_ns
    box: list = []

    def on_reply(reply, exc):
        box.append(reply if exc is None else exc)

    for i in range(n + rec.warm):
        rec.tick(i)
        if GAP_S and i >= rec.warm:
            time.sleep(GAP_S)
        t0 = pc()
        send(i, on_reply)
        while not box:
            spin(1_000_000)
        rec.lat.append(pc() - t0)
        if isinstance(box[0], BaseException):
            raise box[0]
        box.clear()
    return rec.result()


async def measure_mode(mode: str, n: int, one, send_cb, spin) -> tuple[list[int], float]:
    """The fastorder clients' three ways of waiting for a reply: "future" (``await one(i)``), "cb"
    (``send_cb(i, callback)`` chained) and "spin" (``send_cb`` then ``spin``)."""
    if mode == "future":
        return await measure_await(n, one)
    if mode == "cb":
        return await CallbackChain(n, send_cb).run()
    return measure_spin(n, send_cb, spin)


def self_signed_cert(work: Path) -> tuple[Path, Path]:
    """A throwaway P-256 certificate for localhost/127.0.0.1: (cert.pem, key.pem) in ``work``."""
    cert, key = work / "cert.pem", work / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


def build_peer(out_dir: Path) -> Path:
    exe = out_dir / "fo_bench_peer"
    subprocess.run(["cc", "-O2", "-Wall", "-o", str(exe), str(PEER_SRC), "-lcrypto"], check=True)
    return exe


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listening on {port}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


#: put before the server's and each client's command: ["chrt", "-f", PRIO] with --fifo (root), so that other
#: work on the machine does not delay their wake-ups (set_fifo)
SCHED_PREFIX: list[str] = []


def set_fifo(prio: int) -> None:
    """Run the server and the clients SCHED_FIFO at ``prio`` (0: the default scheduling)."""
    SCHED_PREFIX[:] = ["chrt", "-f", str(prio)] if prio else []


def run_client(cmd: list[str], cpu: int, timeout: float = 300.0, gap_s: float = 0.0) -> dict:
    """Run one client subprocess pinned to ``cpu``; it prints one JSON line of stats last. ``gap_s``: the C
    peer's idle gap before each measured round trip (FO_GAP_US; the Python clients take --gap)."""
    env = dict(os.environ, FO_GAP_US=str(int(gap_s * 1e6))) if gap_s else None
    out = subprocess.run(SCHED_PREFIX + ["taskset", "-c", str(cpu)] + cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"{cmd} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_ns(pids: list[int]) -> int:
    """CPU time (user and system, ns) every thread of these processes has run so far: the first field of
    /proc/PID/task/TID/schedstat, exact where /proc/PID/stat counts clock ticks (10 ms)."""
    total = 0
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    return total


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (nginx's workers under its master)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    # the parent pid follows the command name, which is in parentheses and may hold spaces
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return out


def with_server_cpu(pids: list[int], run, round_trips) -> dict:
    """``run()``'s stats with ``srv_ns``: the server processes' CPU time per round trip over that run
    (``round_trips(stats)``: how many the client made, warm-up included; its one connection set-up, the TLS
    handshake too, is spread over them)."""
    before = run_ns(pids)
    res = run()
    n = round_trips(res)
    if pids and n:
        res["srv_ns"] = (run_ns(pids) - before) / n
    return res


def self_cmd(script: str, *args: str) -> list[str]:
    return [sys.executable, str(HERE / script), *args]


def summarize(rounds: dict[str, list[dict]]) -> dict[str, dict]:
    """Median over rounds of each statistic."""
    out = {}
    for name, rs in rounds.items():
        if rs:
            out[name] = {k: statistics.median(r[k] for r in rs) for k in rs[0] if k != "n"}
            out[name]["n"] = sum(r["n"] for r in rs)
    return out


def table(summary: dict[str, dict], baselines: dict[str, str], title: str) -> str:
    """Markdown table in microseconds, with ratios of p50 against the named baselines."""
    cols = ["p50", "p90", "p99", "p999", "max", "mean"]
    srv = any(s.get("srv_ns") for s in summary.values())
    head = "| client | " + " | ".join(c + " µs" for c in cols) + " | p99/p50 | CPU µs/rt | " + \
        ("server CPU µs/rt | " if srv else "") + " | ".join(f"p50 ÷ {b}" for b in baselines.values()) + " |"
    lines = [f"**{title}**", "", head, "|" + "---|" * (len(cols) + 3 + srv + len(baselines))]
    for name, s in summary.items():
        cells = [f"{s[c] / 1000:.1f}" for c in cols]
        ratio = f"{s['p99'] / s['p50']:.2f}"
        cpu = f"{s['cpu_ns'] / 1000:.1f}" if s.get("cpu_ns") else "–"
        rs = []
        for key in baselines:
            b = summary.get(key)
            rs.append(f"{s['p50'] / b['p50']:.2f}" if b else "–")
        if srv:
            cpu += f" | {s['srv_ns'] / 1000:.1f}" if s.get("srv_ns") else " | –"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {ratio} | {cpu} | " + " | ".join(rs) + " |")
    return "\n".join(lines)


def tls_for_engine(ctx, engine: str):
    """(tls, tls_engine) for a client's --tls-engine: "compiled", "loop", or "openssl-records" (the compiled
    engine with OpenSSL's SSL_write/SSL_read for TLS 1.3 records instead of its own record layer)."""
    if engine == "openssl-records" and ctx:
        from fastorder.transport.tls import TlsConfig

        return TlsConfig(ctx, record_layer="openssl"), "compiled"
    return ctx, engine


def tls_cost(summary: dict[str, dict], pairs: list[tuple[str, str]], wrk: str | None = None) -> str:
    """Markdown lines comparing each (TLS row, plaintext row) pair of one interleaved run: p50 and client CPU
    per round trip, difference and ratio; and each TLS row's p50 against ``wrk`` (a C client over TLS).

    With the server's CPU per round trip measured (``srv_ns``, with_server_cpu) two more columns split the p50
    difference: the server's share (its extra CPU per TLS round trip, which no client can remove; on the
    one-in-flight path but for what the server does after sending its reply, so an upper bound) and what is
    left of the p50 difference after it (the client's share, with whatever else TLS adds on the way)."""
    srv = any(summary.get(t, {}).get("srv_ns") for t, _ in pairs)
    lines = ["| TLS row | vs plaintext row | p50 +µs | p50 ratio | CPU +µs/rt | "
             + ("server CPU +µs/rt | p50 +µs − server's | " if srv else "") + "p50 ÷ wrk TLS |",
             "|---|---|---|---|---|---|" + ("---|---|" if srv else "")]
    for t, p in pairs:
        a, b = summary.get(t), summary.get(p)
        if not a or not b:
            continue
        cpu = f"{(a['cpu_ns'] - b['cpu_ns']) / 1000:+.1f}" if a.get("cpu_ns") and b.get("cpu_ns") else "–"
        dp50 = a["p50"] - b["p50"]
        if srv:
            if a.get("srv_ns") and b.get("srv_ns"):
                ds = a["srv_ns"] - b["srv_ns"]
                cpu += f" | {ds / 1000:+.1f} | {(dp50 - ds) / 1000:+.1f}"
            else:
                cpu += " | – | –"
        w = summary.get(wrk) if wrk else None
        lines.append(f"| {t} | {p} | {dp50 / 1000:+.1f} | {a['p50'] / b['p50']:.2f} | {cpu} | "
                     + (f"{a['p50'] / w['p50']:.2f}" if w else "–") + " |")
    return "\n".join(lines)


def machine() -> str:
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        model = "?"
    load = os.getloadavg()
    return (f"{model}, {os.cpu_count()} CPUs, Linux {os.uname().release}, Python {sys.version.split()[0]}, "
            f"load average at start {load[0]:.2f}")


def tmpdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="fo-bench-"))


def which_nginx() -> str | None:
    return shutil.which("nginx") or (shutil.which("/usr/sbin/nginx"))
