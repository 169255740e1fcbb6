"""What `connect(..., keep_warm=...)` costs while idle and what it buys after a quiet spell.

Per session setting (off; keep_warm at each of --intervals, default 1, 2 and 5 ms; keep_warm_kernel at each of
--kernel-intervals, default 1 and 2 ms) and venue x transport:

- idle cost: the process's CPU (getrusage: user + system, so the timer's wake-ups count too) over --idle
  seconds of an idle session, minus the same for the session without keep_warm, as µs of CPU per second
  and % of one core;
- the client part of `place_order` (the call to the bytes handed to the kernel: Latency.client_ns) and the
  round trip, p50 over orders each sent after a --gaps idle gap (the thread sleeps in epoll meanwhile), and
  back to back, all against the simulator in its own process on the other CPU, which busy-polls through
  every gap so it never sleeps (its own processing time, which it reports, is left out of "rt-sim");
- µs/pass: the event loop thread's CPU time in one pass (`stats()`), the rest of a tick being the wake-up;
- empty ticks: the same CPU measure with a bare timer callback at each interval and no pass (every warmer
  paused): the wake-up's own cost, the floor under any pass;
- the simulator's side: its own processing time back to back and after each gap, and whether it stayed
  warm (within 1.5x): on a loaded machine it does not, and the round trips then include a colder simulator.

--fifo PRIO runs the client SCHED_FIFO (root), so other work on its CPU no longer delays its wake-ups (it
still runs in the gaps and evicts the caches).

Every session stays open for the whole run; only the measured session's keep_warm runs (the others are
paused: they would warm the same code); settings take turns in --rounds interleaved rounds; medians over
rounds of each p50.

    python bench/keep_warm.py --rounds 3 --orders 40
    python bench/keep_warm.py --rounds 3 --orders 30 --intervals 1 2 5 10 --kernel-intervals 1 2 5 --fifo 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import time

import fastorder
from fastorder.bench.runner import ACCOUNTS, PRICE, QTY, SYMBOL
from fastorder.sim import SimulatorProcess


def settings(a: argparse.Namespace) -> list[tuple[str, float, bool]]:
    """(name, interval s, kernel) per session: off, then --intervals, then --kernel-intervals with the kernel part."""
    out = [("off", 0.0, False)]
    out += [(f"{ms:g} ms", ms / 1000, False) for ms in a.intervals]
    out += [(f"{ms:g} ms +kernel", ms / 1000, True) for ms in a.kernel_intervals]
    return out


def cpu_us() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return (r.ru_utime + r.ru_stime) * 1e6


async def empty_ticks(interval: float, seconds: float) -> float:
    """The process's CPU µs per second with a bare timer callback every `interval` s and nothing else: what any
    tick pays to wake the thread before its pass does anything (keep_warm's ticks are such callbacks)."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    end = time.perf_counter() + seconds

    def tick() -> None:
        if time.perf_counter() < end:
            loop.call_later(interval, tick)
        else:
            done.set_result(None)

    c0, t0 = cpu_us(), time.perf_counter()
    loop.call_later(interval, tick)
    await done
    return (cpu_us() - c0) / (time.perf_counter() - t0)


async def run(a: argparse.Namespace, sim: SimulatorProcess) -> None:
    rows = [tuple(r.split("-")) for r in a.rows]
    sessions = {}
    for venue, transport in rows:
        urls = sim.urls[venue]
        for name, interval, kernel in settings(a):
            kw = dict(ACCOUNTS[venue], url=urls["rest"], rate_limit=False, timeout=2.0)
            if transport == "ws":
                kw["ws_url"] = urls["ws"]
            if interval:
                kw.update(keep_warm=interval, keep_warm_kernel=kernel)
            s = fastorder.connect(venue, transport, **kw)
            await s.__aenter__()
            for _ in range(200):
                await s.place_order(SYMBOL[venue], "buy", QTY, PRICE, tif="IOC")
            if s._warmer is not None:
                s._warmer.pause()
            sessions[(venue, transport, name)] = s
    res: dict = {k: {"idle": [], "pass": [], "b2b_client": [], "b2b_rt": [], "b2b_sim": []} for k in sessions}
    for k in sessions:
        for g in a.gaps:
            res[k][f"client {g}"] = []
            res[k][f"rt {g}"] = []
            res[k][f"rt-sim {g}"] = []
            res[k][f"sim {g}"] = []
    keys = list(sessions)
    floor_intervals = sorted(set(a.intervals) | set(a.kernel_intervals))
    floor: dict[float, list[float]] = {iv: [] for iv in floor_intervals}
    for rnd in range(a.rounds):
        order = keys[rnd % len(keys):] + keys[:rnd % len(keys)]
        for k in order:
            s = sessions[k]
            sym = SYMBOL[k[0]]
            for other in sessions.values():
                if other._warmer is not None:
                    (other._warmer.resume if other is s else other._warmer.pause)()
            w = s._warmer
            p0 = (w.passes, w.cpu_ns) if w is not None else (0, 0)
            c0, t0 = cpu_us(), time.perf_counter()
            await asyncio.sleep(a.idle)
            res[k]["idle"].append((cpu_us() - c0) / (time.perf_counter() - t0))
            if w is not None and w.passes > p0[0]:   # the pass itself, without the loop's wake-up around it
                res[k]["pass"].append((w.cpu_ns - p0[1]) / 1000 / (w.passes - p0[0]))
            cl, rt, sim_us = [], [], []
            for _ in range(a.orders):
                ack = await s.place_order(sym, "buy", QTY, PRICE, tif="IOC")
                if ack.latency.exchange_us is not None:
                    sim_us.append(ack.latency.exchange_us)
                cl.append(ack.latency.client_ns / 1000)
                rt.append((ack.latency.client_ns + ack.latency.round_trip_ns) / 1000)
            res[k]["b2b_client"].append(statistics.median(cl[10:]))
            res[k]["b2b_rt"].append(statistics.median(rt[10:]))
            if sim_us[10:]:
                res[k]["b2b_sim"].append(statistics.median(sim_us[10:]))
            for g in a.gaps:
                cl, rt, rs, sim_us = [], [], [], []
                for _ in range(a.orders):
                    await asyncio.sleep(g / 1000)
                    ack = await s.place_order(sym, "buy", QTY, PRICE, tif="IOC")
                    lat = ack.latency
                    cl.append(lat.client_ns / 1000)
                    rt.append((lat.client_ns + lat.round_trip_ns) / 1000)
                    if lat.exchange_us is not None:
                        rs.append(rt[-1] - lat.exchange_us)
                        sim_us.append(lat.exchange_us)
                res[k][f"client {g}"].append(statistics.median(cl))
                res[k][f"rt {g}"].append(statistics.median(rt))
                if rs:
                    res[k][f"rt-sim {g}"].append(statistics.median(rs))
                    res[k][f"sim {g}"].append(statistics.median(sim_us))
            print(f"  round {rnd + 1} {k}", file=sys.stderr)
        for other in sessions.values():   # the floor: empty ticks, every warmer paused
            if other._warmer is not None:
                other._warmer.pause()
        for iv in floor_intervals:
            floor[iv].append(await empty_ticks(iv / 1000, a.idle))
    for s in sessions.values():
        await s.__aexit__(None, None, None)

    med = {k: {m: statistics.median(v) if v else float("nan") for m, v in d.items()} for k, d in res.items()}
    cols = ["idle CPU µs/s", "% core", "µs/pass", "b2b client", "b2b rt"]
    for g in a.gaps:
        cols += [f"client {g}ms", "÷ b2b", f"rt {g}ms", f"rt-sim {g}ms"]
    print("| row | keep_warm | " + " | ".join(cols) + " |")
    print("|---|---|" + "---|" * len(cols))
    for venue, transport in rows:
        off = med[(venue, transport, "off")]["idle"]
        for name, _, _ in settings(a):
            m = med[(venue, transport, name)]
            extra = m["idle"] - off if name != "off" else m["idle"]
            cells = [f"{extra:.0f}" + ("" if name != "off" else " (whole process)"),
                     f"{extra / 1e4:.2f}" if name != "off" else "–",
                     f"{m['pass']:.1f}" if name != "off" else "–", f"{m['b2b_client']:.1f}", f"{m['b2b_rt']:.1f}"]
            for g in a.gaps:
                cells += [f"{m[f'client {g}']:.1f}", f"{m[f'client {g}'] / m['b2b_client']:.2f}",
                          f"{m[f'rt {g}']:.1f}", f"{m[f'rt-sim {g}']:.1f}"]
            print(f"| {venue} {transport} | {name} | " + " | ".join(cells) + " |")
    off = statistics.median(med[(v, t, "off")]["idle"] for v, t in rows)
    print("\nempty ticks (a bare timer callback, no pass; every session idle with keep_warm paused), over the "
          "process idle without them: " + ", ".join(
              f"{iv:g} ms {statistics.median(floor[iv]) - off:.0f} µs/s "
              f"({(statistics.median(floor[iv]) - off) / 1e4:.2f} % core, "
              f"{(statistics.median(floor[iv]) - off) * iv / 1000:.1f} µs/tick)" for iv in floor_intervals))
    # the simulator's side: it reports its own processing time per REST reply; the same after a gap as back
    # to back means its busy-polling kept it warm, and the client rows measure the client
    for k in res:
        if res[k]["b2b_sim"]:
            sims = [statistics.median(x for r in res if r[:2] == k[:2] for x in res[r][m])
                    for m in ["b2b_sim"] + [f"sim {g}" for g in a.gaps]]
            print(f"\nsimulator's own processing time per {k[0]} {k[1]} order (it reports it per reply), median of "
                  f"every setting's p50: back to back {sims[0]:.1f} µs, "
                  + ", ".join(f"after {g} ms {v:.1f} µs" for g, v in zip(a.gaps, sims[1:], strict=True))
                  + ("; within 1.5x: its side stayed warm through the gaps" if max(sims[1:]) <= 1.5 * sims[0]
                     else "; more than 1.5x: its side did NOT stay warm, round trips include a colder simulator"))
            break


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", nargs="*", default=["binance-rest", "binance-ws"])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--orders", type=int, default=40, help="orders per gap per round (default 40)")
    ap.add_argument("--gaps", type=int, nargs="*", default=[10, 100], help="idle gaps in ms (default 10 100)")
    ap.add_argument("--intervals", type=float, nargs="*", default=[1, 2, 5], help="keep_warm intervals, ms")
    ap.add_argument("--kernel-intervals", type=float, nargs="*", default=[1, 2],
                    help="keep_warm intervals with keep_warm_kernel, ms")
    ap.add_argument("--fifo", type=int, default=0, metavar="PRIO",
                    help="run the client SCHED_FIFO at PRIO (root): other work on its CPU no longer delays it")
    ap.add_argument("--idle", type=float, default=1.0, help="seconds of idle time per CPU measurement")
    ap.add_argument("--sim-warm-us", type=float, default=1000, metavar="US",
                    help="the simulator replays its last order request in Binance's validation-only form "
                         "(order/test) every US µs while idle, keeping its request path warm (default 1000; 0: no)")
    a = ap.parse_args()
    ncpu = os.cpu_count() or 1
    spin = int(max(a.gaps) * 1000 + 2000)
    with SimulatorProcess(venues=tuple({r.split("-")[0] for r in a.rows}), cpus=[ncpu - 1] if ncpu > 1 else None,
                          extra_args=["--no-rate-limits", "--spin-us", str(spin), "--warm-us", str(a.sim_warm_us)]) as sim:
        if ncpu > 1:
            os.sched_setaffinity(0, {0})
        if a.fifo:   # this process only (the simulator started first): other work on its CPU waits for it
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(a.fifo))
        load = os.getloadavg()
        print(f"client on CPU 0, simulator on CPU {ncpu - 1} busy-polling {spin} µs after each request"
              + (f" and replaying its last order request as a validation-only order/test every {a.sim_warm_us:g} µs "
                 "while idle (its request checks and reply warm; not its socket path nor matching)" if a.sim_warm_us
                 else " (no replay: its request path cools in the gaps)") + "; "
              f"load average at start {load[0]:.2f}; client {'SCHED_FIFO ' + str(a.fifo) if a.fifo else 'SCHED_OTHER'}; {a.rounds} rounds x {a.orders} orders per gap; "
              f"medians over rounds of each p50, µs")
        try:
            import uvloop
            uvloop.run(run(a, sim))
        except ImportError:
            asyncio.run(run(a, sim))


if __name__ == "__main__":
    main()
