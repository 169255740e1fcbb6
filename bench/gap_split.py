"""Where a round trip after an idle gap goes: the kernel's own timestamps, per round trip, C client against
fastorder's `place_order`, same nginx, same gap.

Each client of bench/transport_http.py (pinned to --client-cpu, nginx to --server-cpu) runs under
`perf record -a` with software tracepoints only (this guest has no PMU: `perf stat -e cycles` is "not
supported"): the system calls the round trip makes, the scheduler's wake-up and switch, and the client CPU's
idle entry and exit. Every round trip is cut at those events:

- client part: the client thread's return from its gap sleep (epoll_wait / nanosleep) to its send() call:
  the event loop's timer, the order path, the request's framing (for the C client: its loop and the
  request it copies); "Latency.client_ns" is the session's own measure of its part, the place_order call to
  the send's return (so "client part" + "kernel send" − it is the loop's wake-up and the task's resume);
- kernel send: the send() system call, entry to exit (the TCP send on loopback, which also queues the bytes
  to nginx's socket and wakes it);
- server wake-up: send() exit to nginx's return from epoll_wait; server: that to nginx's reply write;
- reply wake-up: nginx's reply write to the client thread switched in on its CPU (a spinning client, which
  never sleeps: to its first recv() that returns bytes), of which "idle exit" is the part up to the client CPU
  leaving its idle state (the halted vCPU's wake-up: an IPI, a VM exit and re-entry);
- reply handling: the switch-in to the client's next sleep call (the read, the parse, the Future or the
  blocking recv's return, the benchmark's own timestamps).

Medians over the measured round trips; "CPU halted" = share of round trips in which the client CPU went idle
between its send and nginx's reply.

    python bench/gap_split.py --n 200 --gap 10
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import transport_common as tc  # noqa: E402
import transport_http as th  # noqa: E402

EVENTS = ["syscalls:sys_enter_sendto", "syscalls:sys_exit_sendto", "syscalls:sys_enter_writev",
          "syscalls:sys_exit_epoll_wait", "syscalls:sys_enter_epoll_wait", "syscalls:sys_exit_epoll_pwait",
          "syscalls:sys_enter_epoll_pwait", "syscalls:sys_enter_clock_nanosleep", "syscalls:sys_exit_clock_nanosleep",
          "syscalls:sys_enter_nanosleep", "syscalls:sys_exit_nanosleep", "syscalls:sys_exit_recvfrom",
          "sched:sched_switch", "power:cpu_idle"]
SLEEPS_ENTER = ("sys_enter_epoll_wait", "sys_enter_epoll_pwait", "sys_enter_clock_nanosleep", "sys_enter_nanosleep")
SLEEPS_EXIT = ("sys_exit_epoll_wait", "sys_exit_epoll_pwait", "sys_exit_clock_nanosleep", "sys_exit_nanosleep")
PY_COMM = "fo_gap_client"   # the Python client's name in the trace (transport_http.py sets it from FO_COMM)
LOST = [0]   # chunks of events perf script reports lost in the last trace read
LINE = re.compile(r"^\s*(\S.*?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\w+):(\w+):\s*(.*)$")


def record(cmd: list[str], cpu: int, gap_s: float, out: Path) -> dict:
    """Run one client under perf record (every CPU); its own JSON stats line is returned."""
    env = dict(os.environ, FO_GAP_US=str(int(gap_s * 1e6)), FO_COMM=PY_COMM)
    ev = sum((["-e", e] for e in EVENTS), [])
    res = subprocess.run(["perf", "record", "-a", "-o", str(out)] + ev + ["--"] + tc.SCHED_PREFIX
                         + ["taskset", "-c", str(cpu)] + cmd, capture_output=True, text=True, env=env, timeout=600)
    if res.returncode != 0:
        raise RuntimeError(f"{cmd} failed: {res.stderr[-2000:]}")
    stats = th.json.loads(res.stdout.strip().splitlines()[-1])
    # events perf could not keep up with (a busy machine): round trips cut across a gap in the trace are wrong
    stats["lost"] = sum(int(n) for n in re.findall(r"lost (\d+) chunks", res.stderr))
    return stats


def events(path: Path) -> list[tuple[str, int, int, float, str, str]]:
    """(comm, tid, cpu, time s, event, fields) in time order."""
    res = subprocess.run(["perf", "script", "--ns", "-i", str(path), "-F", "comm,tid,cpu,time,event,trace"],
                         capture_output=True, text=True, check=True)
    txt = res.stdout
    LOST[0] = sum(int(n) for n in re.findall(r"lost (\d+) chunks", res.stderr))
    out = []
    for line in txt.splitlines():
        m = LINE.match(line)
        if m:
            out.append((m.group(1), int(m.group(2)), int(m.group(3)), float(m.group(4)), m.group(6), m.group(7)))
    out.sort(key=lambda e: e[3])
    return out


def split(evs: list, client_comm: str, client_cpu: int, req_len: int) -> list[dict[str, float]]:
    """Cut each round trip of the client thread (the one that sends `req_len`-byte requests) at the events."""
    sends = [i for i, e in enumerate(evs) if e[4] == "sys_enter_sendto" and e[0].startswith(client_comm)
             and f"len: 0x{req_len:08x}" in e[5]]
    if not sends:
        raise RuntimeError(f"no {req_len}-byte send() by {client_comm!r} in the trace")
    tid = statistics.mode(evs[i][1] for i in sends)
    sends = [i for i in sends if evs[i][1] == tid]
    # the order connection: the lowest descriptor (keep_warm_kernel's scratch connection sends the same
    # request, on a descriptor opened after the session's pool)
    fds = [re.search(r"fd: 0x([0-9a-f]+)", evs[i][5]) for i in sends]
    fd = min(int(m.group(1), 16) for m in fds if m)
    sends = [i for i, m in zip(sends, fds, strict=True) if m and int(m.group(1), 16) == fd]
    rows = []
    for k, i in enumerate(sends[:-1]):
        nxt = sends[k + 1]
        t_send = evs[i][3]
        woke = next((evs[j][3] for j in range(i - 1, max(i - 400, -1), -1)
                     if evs[j][1] == tid and evs[j][4] in SLEEPS_EXIT), None)
        r: dict[str, float] = {}
        sent = srv_wake = srv_write = idle_exit = switch_in = slept = None
        halted = False
        for j in range(i + 1, nxt):
            c, t, cpu, ts, name, f = evs[j]
            if sent is None:
                if t == tid and name == "sys_exit_sendto":
                    sent = ts
                continue
            if srv_wake is None:
                if c.startswith("nginx") and name in ("sys_exit_epoll_wait", "sys_exit_epoll_pwait"):
                    srv_wake = ts
                elif cpu == client_cpu and name == "cpu_idle" and "4294967295" not in f:
                    halted = True
                continue
            if srv_write is None:
                if c.startswith("nginx") and name == "sys_enter_writev":
                    srv_write = ts
                elif cpu == client_cpu and name == "cpu_idle" and "4294967295" not in f:
                    halted = True
                continue
            if switch_in is None:
                if cpu == client_cpu and name == "cpu_idle" and "4294967295" in f and idle_exit is None:
                    idle_exit = ts
                if name == "sched_switch" and f"next_pid={tid} " in f:
                    switch_in = ts
                elif t == tid and name == "sys_exit_recvfrom" and not f.startswith("0xffff"):
                    switch_in = ts   # a spinning client never slept: its first read that got bytes
                continue
            if t == tid and name in SLEEPS_ENTER:
                slept = ts
                break
        if None in (sent, srv_wake, srv_write, switch_in, slept):
            continue
        us = 1e6
        r["client part"] = (t_send - woke) * us if woke is not None else float("nan")
        r["kernel send"] = (sent - t_send) * us
        r["server wake-up"] = (srv_wake - sent) * us
        r["server"] = (srv_write - srv_wake) * us
        r["reply wake-up"] = (switch_in - srv_write) * us
        r["of which idle exit"] = (idle_exit - srv_write) * us if idle_exit is not None else 0.0
        r["reply handling"] = (slept - switch_in) * us
        r["send → next sleep"] = (slept - t_send) * us
        r["halted"] = 1.0 if halted else 0.0
        rows.append(r)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--gap", type=float, default=10.0, metavar="MS")
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--client-cpu", type=int, default=1)
    ap.add_argument("--fifo", type=int, default=0, metavar="PRIO", help="nginx and the client SCHED_FIFO (chrt)")
    a = ap.parse_args()
    tc.set_fifo(a.fifo)
    work = tc.tmpdir()
    peer = tc.build_peer(work)
    cert, key = tc.self_signed_cert(work)
    th.exchange_info(work)
    port, tls_port = tc.free_port(), tc.free_port()
    nginx = th.start_nginx(work, port, tls_port, cert, key, a.server_cpu)

    def py(warm: str) -> list[str]:
        return tc.self_cmd("transport_http.py", "--run-client", "place_order", "--port", str(port), "--n", str(a.n),
                           "--gap", str(a.gap), "--keep-warm", warm)

    clients = {"C client (blocking recv)": ([str(peer), "http-client", str(port), str(a.n), "/order",
                                             str(th.BODY_LEN)], "fo_bench_peer"),
               "place_order": (py(""), PY_COMM),
               "place_order, keep_warm +kernel": (py("kernel"), PY_COMM),
               "place_order, spin_us": (py("+spin"), PY_COMM),
               "place_order, keep_warm +kernel, spin_us": (py("kernel+spin"), PY_COMM)}
    cols = ["client part", "kernel send", "server wake-up", "server", "reply wake-up", "of which idle exit",
            "reply handling", "send → next sleep"]
    lines = [f"Machine: {tc.machine()}; nginx on CPU "
             f"{a.server_cpu}, client on CPU {a.client_cpu}{f', both SCHED_FIFO {a.fifo}' if a.fifo else ''}; "
             f"{a.n} round trips each after a {a.gap:g} ms gap (after the clients' back-to-back warm-up); medians, "
             "µs (kernel tracepoints)", "",
             "| client | " + " | ".join(cols) + " | CPU halted | own p50 | Latency.client_ns p50 | perf lost chunks |",
             "|---|" + "---:|" * (len(cols) + 4)]
    try:
        tc.wait_port(port, nginx)
        for name, (cmd, comm) in clients.items():
            data = work / "perf.data"
            stats = record(cmd, a.client_cpu, a.gap / 1000, data)
            req_len = 0
            evs = events(data)
            lens = [int(m.group(1), 16) for e in evs if e[4] == "sys_enter_sendto" and e[0].startswith(comm)
                    for m in [re.search(r"len: 0x([0-9a-f]+)", e[5])] if m]
            req_len = statistics.mode(lens)
            rows = split(evs, comm, a.client_cpu, req_len)
            med = {c: statistics.median(r[c] for r in rows) for c in cols}
            halted = sum(r["halted"] for r in rows) / len(rows)
            lines.append(f"| {name} | " + " | ".join(f"{med[c]:.1f}" for c in cols)
                         + f" | {halted * 100:.0f} % | {stats['p50'] / 1000:.1f} | "
                         + (f"{stats['client_part_p50_ns'] / 1000:.1f}" if "client_part_p50_ns" in stats else "–")
                         + f" | {max(stats['lost'], LOST[0])} |")
            print(f"  {name}: {len(rows)} round trips cut", file=sys.stderr)
            data.unlink()
    finally:
        tc.stop(nginx)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
