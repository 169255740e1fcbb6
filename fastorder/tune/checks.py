"""What the host and this process look like for low-latency order entry: each item read from the system,
with a verdict and the reason. docs/tuning.md explains each item with its public sources (kernel docs, man
pages, AWS's ENA best practices, the Python docs); docs/deploy.md puts them in order.

Verdicts: "ok" (as it should be), "advice" (worth changing, with how), "wrong" (low-latency tuning advice that
is often repeated but false or harmful), "info" (a fact to know, nothing to change), "n/a" (cannot be read here).
Checks named "advice.*" judge such commonly given advice on its merits.
"""

from __future__ import annotations

import gc
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SYS = Path("/sys")
PROC = Path("/proc")


@dataclass
class Check:
    name: str
    value: Any
    verdict: str
    reason: str
    fix: str = ""            # a command or call that changes it (never run by the report)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Topology:
    """Logical CPUs grouped by the physical core they share."""

    cores: dict[tuple[int, int], list[int]] = field(default_factory=dict)   # (package, core) -> cpus

    @property
    def siblings(self) -> dict[int, list[int]]:
        out = {}
        for cpus in self.cores.values():
            for c in cpus:
                out[c] = cpus
        return out


def _read(path: Path | str, default: str | None = None) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return default


def parse_cpu_list(text: str) -> list[int]:
    """'0-3,8,10-11' -> [0, 1, 2, 3, 8, 10, 11] (the kernel's cpulist format)."""
    out: list[int] = []
    for part in text.strip().split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


def topology(root: Path = SYS) -> Topology:
    topo = Topology()
    base = root / "devices/system/cpu"
    for d in sorted(base.glob("cpu[0-9]*"), key=lambda p: int(p.name[3:])):
        cpu = int(d.name[3:])
        pkg = _read(d / "topology/physical_package_id", "0")
        core = _read(d / "topology/core_id", str(cpu))
        topo.cores.setdefault((int(pkg or 0), int(core or cpu)), []).append(cpu)
    if not topo.cores:   # no sysfs: one core per CPU as far as we can tell
        for cpu in range(os.cpu_count() or 1):
            topo.cores[(0, cpu)] = [cpu]
    return topo


_NIC = re.compile(r"(virtio\d+-(input|output)|eth\d|ens\d|enp\S+|ena|mlx|ixgbe|i40e|gve|hv_netvsc|vmxnet)", re.I)


def nic_irqs(proc: Path = PROC) -> list[dict[str, Any]]:
    """Network interrupts from /proc/interrupts: irq number, name, per-CPU counts, affinity."""
    text = _read(proc / "interrupts")
    if not text:
        return []
    lines = text.splitlines()
    ncpu = len(lines[0].split())
    out = []
    for line in lines[1:]:
        parts = line.split()
        if not parts or not parts[0].rstrip(":").isdigit():
            continue
        name = " ".join(parts[1 + ncpu:])
        if not _NIC.search(name):
            continue
        irq = int(parts[0].rstrip(":"))
        counts = [int(x) for x in parts[1:1 + ncpu] if x.isdigit()]
        aff = _read(proc / f"irq/{irq}/smp_affinity_list")
        out.append({"irq": irq, "name": name, "counts": counts,
                    "affinity": parse_cpu_list(aff) if aff else None,
                    "busiest_cpu": max(range(len(counts)), key=counts.__getitem__) if counts else None})
    return out


def sysctl(name: str, proc: Path = PROC) -> str | None:
    return _read(proc / "sys" / name.replace(".", "/"))


def report(proc: Path = PROC, sys_root: Path = SYS) -> list[Check]:
    """Every check, in a stable order."""
    out: list[Check] = []
    topo = topology(sys_root)
    ncpu = sum(len(c) for c in topo.cores.values())
    smt = any(len(c) > 1 for c in topo.cores.values())
    groups = sorted(topo.cores.values())
    out.append(Check("cpu.topology", {"logical": ncpu, "physical_cores": len(topo.cores), "groups": groups},
                     "info" if not smt else "advice",
                     "each group is one physical core" + (
                         "; hyperthread siblings share a core's execution units and caches, so two 'CPUs' of one "
                         "core are not two cores (a 2-vCPU x86 cloud instance is ONE physical core)" if smt else
                         ": no hyperthread siblings seen (on a 2-vCPU x86 cloud instance the hypervisor may still "
                         "back both vCPUs with one physical core)"),
                     "choose an instance with >= 4 vCPUs to separate NIC interrupts, the order loop and the rest"
                     if ncpu <= 2 else ""))

    irqs = nic_irqs(proc)
    irq_cpus = sorted({i["busiest_cpu"] for i in irqs if i["busiest_cpu"] is not None})
    out.append(Check("nic.irqs", [{k: i[k] for k in ("irq", "name", "affinity", "busiest_cpu")} for i in irqs],
                     "info" if irqs else "n/a",
                     f"network interrupts are handled mostly on CPU(s) {irq_cpus}" if irqs else
                     "no network interrupt found in /proc/interrupts",
                     "pin the order loop away from (or, per AWS's ENA guide, onto) these CPUs; move IRQs with "
                     "IRQBALANCE_BANNED_CPUS rather than disabling irqbalance" if irqs else ""))

    aff = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    best = choose_cpu(topo, irq_cpus)
    out.append(Check("process.affinity", aff, "ok" if aff and len(aff) == 1 else "advice",
                     "the process may run on any of these CPUs" if not aff or len(aff) > 1 else
                     "pinned to one CPU: no migrations, warm caches",
                     f"fastorder tune --apply (pins to CPU {best}, away from the NIC's IRQ CPUs where possible)"))

    try:
        pol = os.sched_getscheduler(0)
        names = {os.SCHED_OTHER: "SCHED_OTHER", getattr(os, "SCHED_FIFO", -1): "SCHED_FIFO",
                 getattr(os, "SCHED_RR", -1): "SCHED_RR", getattr(os, "SCHED_BATCH", -2): "SCHED_BATCH",
                 getattr(os, "SCHED_IDLE", -3): "SCHED_IDLE"}
        nice = os.getpriority(os.PRIO_PROCESS, 0)
        out.append(Check("process.scheduler", {"policy": names.get(pol, pol), "nice": nice},
                         "ok" if pol == os.SCHED_OTHER else "info",
                         "nice only changes CPU share under contention, not wake-up latency on an idle CPU; "
                         "SCHED_FIFO helps on a busy box but starves softirqs if combined with spinning",
                         "os.nice(-5) with CAP_SYS_NICE if other work competes for this CPU"))
    except (AttributeError, OSError):
        out.append(Check("process.scheduler", None, "n/a", "not readable on this platform"))

    enabled = gc.isenabled()
    out.append(Check("python.gc", {"enabled": enabled, "thresholds": gc.get_threshold(),
                                   "frozen": gc.get_freeze_count()},
                     "wrong" if not enabled else ("ok" if gc.get_freeze_count() else "advice"),
                     "gc.disable() (often advised against GC pauses) never frees reference cycles: memory grows until OOM"
                     if not enabled else
                     ("long-lived objects frozen: full collections stay short" if gc.get_freeze_count() else
                      "a full collection scans every long-lived object (tens of ms with ~1M objects)"),
                     "gc.enable(); then gc.freeze() after warm-up (fastorder.tune.apply does both)"))

    br, bp = sysctl("net.core.busy_read", proc), sysctl("net.core.busy_poll", proc)
    out.append(Check("net.busy_poll", {"busy_read": br, "busy_poll": bp},
                     "ok" if (br not in (None, "0") and bp not in (None, "0")) else "advice",
                     "busy polling spins on the NIC queue before sleeping (AWS's ENA guide: 70 µs); it costs "
                     "CPU, and on one hyperthreaded core it steals from the sibling", "sysctl -w net.core.busy_read=70 "
                     "net.core.busy_poll=70"))

    if sysctl("net.ipv4.tcp_no_delay_ack", proc) is None:
        out.append(Check("advice.tcp_no_delay_ack", "does not exist", "wrong",
                         "net.ipv4.tcp_no_delay_ack is not a Linux sysctl: `sysctl -p` fails on it. Delayed ACK "
                         "is per socket (TCP_QUICKACK, which fastorder can set) or per route",
                         "ip route change <dst> via <gw> quickack 1   # per route, if wanted"))
    else:   # pragma: no cover - no known kernel has it
        out.append(Check("advice.tcp_no_delay_ack", sysctl("net.ipv4.tcp_no_delay_ack", proc), "info",
                         "this kernel has a non-standard tcp_no_delay_ack"))
    bufs = {k: sysctl(k, proc) for k in ("net.core.rmem_max", "net.core.wmem_max", "net.ipv4.tcp_rmem",
                                         "net.ipv4.tcp_wmem")}
    out.append(Check("advice.socket_buffers", bufs, "info",
                     "buffer ceilings matter for bulk throughput, not for 200-byte orders: raising them (often "
                     "advised for latency) changes no order's latency"))
    out.append(Check("advice.tcp_low_latency", sysctl("net.ipv4.tcp_low_latency", proc), "info",
                     "a legacy option the kernel ignores since 4.14"))
    out.append(Check("advice.thread_pool_serialization", "not used by fastorder", "wrong",
                     "serializing in a ThreadPoolExecutor (advised to keep the loop free) adds a thread hand-off "
                     "(tens of µs, ms at the tail; python bench/tuning_facts.py) to save well under a µs; "
                     "fastorder encodes inline in compiled code"))

    out.append(ktls_check(proc))

    thp = _read(sys_root / "kernel/mm/transparent_hugepage/enabled")
    thp_d = _read(sys_root / "kernel/mm/transparent_hugepage/defrag")
    sel = (re.search(r"\[(\w+)\]", thp).group(1) if thp and "[" in thp else thp)
    sel_d = (re.search(r"\[(\w+)\]", thp_d).group(1) if thp_d and "[" in thp_d else thp_d)
    out.append(Check("mm.transparent_hugepage", {"enabled": sel, "defrag": sel_d},
                     "advice" if (sel == "always" and sel_d == "always") else ("n/a" if sel is None else "ok"),
                     "defrag=always stalls allocations to compact memory (ms-level pauses); madvise is safe",
                     "echo madvise > /sys/kernel/mm/transparent_hugepage/defrag"))

    gov = _read(sys_root / "devices/system/cpu/cpu0/cpufreq/scaling_governor")
    out.append(Check("cpu.governor", gov, "n/a" if gov is None else ("ok" if gov == "performance" else "advice"),
                     "not exposed to this guest (the hypervisor controls frequency)" if gov is None else
                     "'performance' keeps the clock up between bursts",
                     "" if gov is None else "cpupower frequency-set -g performance"))
    idle = _read(sys_root / "devices/system/cpu/cpuidle/current_driver")
    out.append(Check("cpu.idle_driver", idle, "info" if idle else "n/a",
                     "no cpuidle driver: an idle vCPU simply halts, and waking it costs a VM exit" if idle == "none"
                     else "deep C-states add wake-up latency; only some instance types let a guest limit them "
                     "(haltpoll polls up to guest_halt_poll_ns before halting: see cpu.halt_poll)" if idle else
                     "no cpuidle driver information"))
    out.append(halt_poll_check(sys_root))
    cs = _read(sys_root / "devices/system/clocksource/clocksource0/current_clocksource")
    out.append(Check("clock.source", cs, "ok" if cs in ("tsc", "kvm-clock", "arch_sys_counter") else
                     ("n/a" if cs is None else "advice"),
                     "tsc/kvm-clock read the time in the vDSO (tens of ns); hpet/acpi_pm make every timestamp a "
                     "slow read", "" if cs in (None, "tsc", "kvm-clock") else
                     "echo tsc > /sys/devices/system/clocksource/clocksource0/current_clocksource"))
    return out


HALT_POLL_FIX = ("echo 2000000 > /sys/module/haltpoll/parameters/guest_halt_poll_ns   # above the longest wait for "
                 "a reply you care about (the venue RTT); until reboot (persistent: haltpoll.guest_halt_poll_ns="
                 "2000000 on the kernel command line); try it first: fastorder bench --halt-poll 2ms")


def ktls_check(proc: Path = PROC) -> Check:
    """Kernel TLS: is the `tls` TCP upper-layer protocol offered (module loaded or built in)?"""
    ulps = _read(proc / "sys/net/ipv4/tcp_available_ulp")
    if ulps is None:
        return Check("net.ktls", None, "n/a", "tcp_available_ulp is not readable here (not Linux, or no /proc)")
    offered = ulps.split()
    if "tls" in offered:
        return Check("net.ktls", {"tcp_available_ulp": offered, "tls": True}, "info",
                     "this kernel offers kernel TLS; fastorder's compiled TLS encrypts in the process with OpenSSL "
                     "(tls_engine='compiled') and does not hand its keys to the kernel")
    return Check("net.ktls", {"tcp_available_ulp": offered, "tls": False}, "info",
                 "no kernel TLS here (the tls module is not loaded or not built); fastorder's compiled TLS "
                 "encrypts in the process with OpenSSL either way",
                 "modprobe tls   # offers the ULP, where the kernel has the module")


def halt_poll_check(sys_root: Path = SYS) -> Check:
    """The haltpoll governor's guest_halt_poll_ns (fastorder.tune.haltpoll), with its measured effect."""
    from fastorder.tune import haltpoll
    hp = haltpoll.status(sys_root)
    ns = hp.get("guest_halt_poll_ns")
    if not isinstance(ns, int):
        return Check("cpu.halt_poll", None, "n/a", "no haltpoll cpuidle governor here (KVM guests with "
                     "cpuidle-haltpoll have one): an idle CPU's wake-up cost is set by the platform")
    value = {"guest_halt_poll_ns": ns, "grow_start_ns": hp.get("guest_halt_poll_grow_start"),
             "allow_shrink": hp.get("guest_halt_poll_allow_shrink")}
    cost = ("Polling costs CPU: the vCPU spins up to that long after every wake-up (the host sees it busy; on a "
            "hyperthreaded core it slows the sibling).")
    if ns == 0:
        return Check("cpu.halt_poll", value, "advice",
                     "guest_halt_poll_ns is 0: an idle vCPU halts at once, and each reply wakes a halted vCPU "
                     "(a VM exit and cold caches). Measured on this project's 2-vCPU KVM guest with `fastorder "
                     "bench --halt-poll 2ms` against the same command without it, interleaved (bench/RESULTS.md): "
                     "loopback p50 43-52 -> 25-33 µs, and behind an emulated 1 ms RTT p50 1067-1086 -> 1040-1050 µs. "
                     "The limit must exceed the wait between replies: 200 µs (the kernel's default) made the 1 ms "
                     "RTT runs slower there (1103-1114 µs), since the vCPU polled and then halted anyway. " + cost,
                     HALT_POLL_FIX)
    return Check("cpu.halt_poll", value, "info",
                 f"an idle vCPU polls up to {ns / 1000:g} µs before halting (adapted per CPU by the governor); it "
                 "helps only when the next wake-up comes within that, so it should exceed the venue RTT (a 1 ms "
                 "RTT needed 2 ms here; bench/RESULTS.md). " + cost)


def choose_cpu(topo: Topology, irq_cpus: list[int], allowed: list[int] | None = None) -> int:
    """The CPU for the order loop: an allowed CPU on a physical core that handles no NIC interrupt if there
    is one, else an allowed CPU that is not itself an IRQ CPU, else the last allowed CPU."""
    if allowed is None:
        allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]
    sib = topo.siblings
    busy = set(irq_cpus)
    clean_core = [c for c in allowed if not (set(sib.get(c, [c])) & busy)]
    if clean_core:
        return clean_core[-1]
    not_irq = [c for c in allowed if c not in busy]
    return not_irq[-1] if not_irq else allowed[-1]
