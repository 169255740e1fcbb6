"""Process and host tuning: a report of what is and is not tuned (`report()`), the in-process settings a
strategy applies for itself (`apply()`), and a garbage-collector pause monitor (`GcMonitor`).

Host-level changes (sysctl, IRQ affinity) are never made by fastorder: `host_commands()` prints them with
their effect, for an operator to run.
"""

from __future__ import annotations

import gc
import os
from typing import Any

from fastorder.tune.checks import Check, choose_cpu, nic_irqs, report, topology
from fastorder.tune.gcmon import GcMonitor

__all__ = ["Check", "GcMonitor", "apply", "host_commands", "report"]


def apply(cpu: int | None = None, *, nice: int | None = None, freeze: bool = True,
          thresholds: tuple[int, int, int] | None = (50_000, 20, 100)) -> list[str]:
    """Apply the in-process settings; return what was done (and what could not be, with why).

    cpu: pin this process to that CPU (default: one on a physical core without NIC interrupts, see
    `choose_cpu`). nice: lower the niceness if permitted (needs CAP_SYS_NICE for negative values).
    freeze: `gc.freeze()` now — call apply() after warm-up (connections open, symbols loaded) so the
    long-lived heap is frozen. thresholds: raise gen-0 so young collections run less often. The collector
    stays enabled (gc.disable() leaks every reference cycle).
    """
    done: list[str] = []
    if hasattr(os, "sched_setaffinity"):
        if cpu is None:
            irq_cpus = sorted({i["busiest_cpu"] for i in nic_irqs() if i["busiest_cpu"] is not None})
            cpu = choose_cpu(topology(), irq_cpus)
        os.sched_setaffinity(0, {cpu})
        done.append(f"pinned to CPU {cpu}")
    if nice is not None:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, nice)
            done.append(f"nice {nice}")
        except PermissionError:
            done.append(f"nice {nice} not permitted (needs CAP_SYS_NICE); left at "
                        f"{os.getpriority(os.PRIO_PROCESS, 0)}")
    if not gc.isenabled():
        gc.enable()
        done.append("garbage collector re-enabled (gc.disable() leaks reference cycles)")
    if thresholds is not None:
        gc.set_threshold(*thresholds)
        done.append(f"gc thresholds {thresholds}")
    if freeze:
        gc.collect()
        gc.freeze()
        done.append(f"gc.freeze(): {gc.get_freeze_count()} objects moved out of future collections")
    return done


def host_commands(checks: list[Check] | None = None) -> list[tuple[str, str]]:
    """(command, effect) for each host-level change the report advises. Printed, never run."""
    out: list[tuple[str, str]] = []
    for c in checks if checks is not None else report():
        if c.verdict in ("advice", "wrong") and c.fix and not c.fix.startswith(("fastorder", "gc.", "os.")):
            out.append((c.fix, f"{c.name}: {c.reason}"))
    return out


def summary(checks: list[Check]) -> dict[str, Any]:
    return {v: sum(1 for c in checks if c.verdict == v) for v in ("ok", "advice", "wrong", "info", "n/a")}
