"""fastorder tune: the report on this machine's real topology and on crafted /proc and /sys trees, the
in-process apply, the GC monitor, the CLI."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from fastorder import tune
from fastorder.tune import GcMonitor
from fastorder.tune.checks import choose_cpu, nic_irqs, parse_cpu_list, report, topology


def by_name(checks):
    return {c.name: c for c in checks}


def test_real_topology_accounts_for_every_cpu():
    topo = topology()
    cpus = sorted(c for group in topo.cores.values() for c in group)
    assert cpus == sorted(range(os.cpu_count())) or set(cpus) >= set(os.sched_getaffinity(0))
    checks = by_name(report())
    assert checks["cpu.topology"].value["logical"] == len(cpus)
    assert checks["advice.tcp_no_delay_ack"].verdict == "wrong"       # no Linux kernel has it
    assert checks["advice.thread_pool_serialization"].verdict == "wrong"
    assert checks["process.affinity"].value == sorted(os.sched_getaffinity(0))
    for c in checks.values():
        assert c.verdict in ("ok", "advice", "wrong", "info", "n/a") and c.reason


def fake_tree(tmp: Path, *, smt: bool, thp=("always", "always"), busy="0") -> tuple[Path, Path]:
    proc, sysr = tmp / "proc", tmp / "sys"
    cores = {0: 0, 1: 1, 2: 0, 3: 1} if smt else {0: 0, 1: 1, 2: 2, 3: 3}
    for cpu, core in cores.items():
        d = sysr / f"devices/system/cpu/cpu{cpu}/topology"
        d.mkdir(parents=True)
        (d / "core_id").write_text(str(core))
        (d / "physical_package_id").write_text("0")
    (sysr / "kernel/mm/transparent_hugepage").mkdir(parents=True)
    (sysr / "kernel/mm/transparent_hugepage/enabled").write_text(f"[{thp[0]}] madvise never")
    (sysr / "kernel/mm/transparent_hugepage/defrag").write_text(f"[{thp[1]}] defer madvise never")
    (proc / "sys/net/core").mkdir(parents=True)
    (proc / "sys/net/core/busy_read").write_text(busy)
    (proc / "sys/net/core/busy_poll").write_text(busy)
    (proc / "sys/net/ipv4").mkdir(parents=True)
    (proc / "interrupts").write_text(textwrap.dedent("""\
                   CPU0       CPU1       CPU2       CPU3
          24:        10     900000          0          5   PCI-MSI 1-edge      ena-mgmnt
          25:         0     500000          0          0   PCI-MSI 2-edge      eth0-Tx-Rx-0
          26:     70000          0          0          0   IO-APIC   1-edge      i8042
        NMI:          0          0          0          0   Non-maskable interrupts
        """))
    (proc / "irq/25").mkdir(parents=True)
    (proc / "irq/25/smp_affinity_list").write_text("1")
    return proc, sysr


def test_crafted_smt_host_with_bad_settings(tmp_path):
    proc, sysr = fake_tree(tmp_path, smt=True)
    checks = by_name(report(proc, sysr))
    assert checks["cpu.topology"].value["groups"] == [[0, 2], [1, 3]]
    assert checks["cpu.topology"].verdict == "advice" and "ONE physical core" in checks["cpu.topology"].reason
    irqs = nic_irqs(proc)
    assert [i["irq"] for i in irqs] == [24, 25] and irqs[1]["affinity"] == [1] and irqs[1]["busiest_cpu"] == 1
    assert checks["mm.transparent_hugepage"].verdict == "advice"
    assert checks["net.busy_poll"].verdict == "advice" and "busy_read=70" in checks["net.busy_poll"].fix
    cmds = [c for c, _ in tune.host_commands(list(checks.values()))]
    assert any("transparent_hugepage/defrag" in c for c in cmds) and any("busy_read" in c for c in cmds)
    assert not any(c.startswith("fastorder") for c in cmds)


def test_choose_cpu_avoids_the_irq_core_and_its_sibling(tmp_path):
    proc, sysr = fake_tree(tmp_path, smt=True)
    topo = topology(sysr)
    # IRQs on CPU 1: its sibling 3 shares the core, so the loop goes to core 0 (CPU 0 or 2)
    assert choose_cpu(topo, [1], allowed=[0, 1, 2, 3]) == 2
    assert choose_cpu(topo, [1], allowed=[1, 3]) == 3          # no clean core: at least not the IRQ CPU
    assert choose_cpu(topo, [0, 1], allowed=[0, 1, 2, 3]) == 3  # every core busy: a non-IRQ CPU


def test_parse_cpu_list():
    assert parse_cpu_list("0-3,8,10-11\n") == [0, 1, 2, 3, 8, 10, 11]


def test_disabled_gc_is_named_wrong():
    was = gc.isenabled()
    gc.disable()
    try:
        c = by_name(report())["python.gc"]
        assert c.verdict == "wrong" and "gc.disable()" in c.reason
    finally:
        if was:
            gc.enable()


def test_apply_pins_freezes_and_keeps_the_collector_on():
    code = textwrap.dedent("""
        import gc, json, os
        from fastorder import tune
        gc.disable()
        done = tune.apply(cpu=sorted(os.sched_getaffinity(0))[-1])
        print(json.dumps({"done": done, "aff": sorted(os.sched_getaffinity(0)), "enabled": gc.isenabled(),
                          "frozen": gc.get_freeze_count(), "thr": gc.get_threshold()}))
    """)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert len(out["aff"]) == 1 and out["enabled"] and out["frozen"] > 1000 and out["thr"] == [50000, 20, 100]


def test_gc_monitor_sees_collections():
    with GcMonitor() as mon:
        for _ in range(3):
            cyc = [[] for _ in range(100)]
            for x in cyc:
                x.append(x)
            del cyc
            gc.collect()
    s = mon.summary()
    assert s["collections"] >= 3 and s["by_generation"][2] >= 3 and 0 < s["max_pause_us"] <= s["total_pause_us"]


def test_cli_json_and_apply():
    res = subprocess.run([sys.executable, "-m", "fastorder.cli", "tune", "--json", "--apply"], capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    names = [c["name"] for c in data["checks"]]
    assert "advice.tcp_no_delay_ack" in names and "cpu.topology" in names
    assert any(a.startswith("pinned to CPU") for a in data["applied"])
    assert all(set(c) == {"command", "effect"} for c in data["host_commands"])
    text = subprocess.run([sys.executable, "-m", "fastorder.cli", "tune"], capture_output=True, text=True,
                          timeout=60).stdout
    assert "WRONG" in text and "tcp_no_delay_ack" in text


def test_kernel_tls_is_reported_from_tcp_available_ulp(tmp_path):
    from fastorder.tune.checks import ktls_check

    ulp = tmp_path / "sys/net/ipv4/tcp_available_ulp"
    ulp.parent.mkdir(parents=True)
    ulp.write_text("mptcp\n")
    c = ktls_check(tmp_path)
    assert c.value == {"tcp_available_ulp": ["mptcp"], "tls": False} and "modprobe tls" in c.fix
    ulp.write_text("espintcp mptcp tls\n")
    c = ktls_check(tmp_path)
    assert c.value["tls"] is True and c.verdict == "info"
    assert ktls_check(tmp_path / "nowhere").verdict == "n/a"
    # the real one agrees with the transport's own probe
    from fastorder.transport.tls import ktls_available

    assert (ktls_check().value or {}).get("tls", False) == ktls_available()
