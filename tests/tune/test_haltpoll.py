"""The haltpoll setting: read from a crafted /sys tree, set for a while and always put back (on leaving, on an
exception, on SIGTERM), refused cleanly where it does not exist; the `fastorder tune` check that reports it;
`fastorder bench --halt-poll` restoring it around a run that fails. Nothing here writes to the real /sys."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fastorder.tune import haltpoll
from fastorder.tune.checks import report


def fake_sys(tmp: Path, ns: int | None = 0, driver: str = "haltpoll") -> Path:
    root = tmp / "sys"
    (root / "devices/system/cpu/cpuidle").mkdir(parents=True)
    (root / "devices/system/cpu/cpuidle/current_driver").write_text(driver + "\n")
    (root / "devices/system/cpu/cpuidle/current_governor_ro").write_text(driver + "\n")
    if ns is not None:
        params = root / haltpoll.PARAMS
        params.mkdir(parents=True)
        for name, value in (("guest_halt_poll_ns", ns), ("guest_halt_poll_grow", 2),
                            ("guest_halt_poll_grow_start", 50000), ("guest_halt_poll_shrink", 2),
                            ("guest_halt_poll_allow_shrink", "Y")):
            (params / name).write_text(f"{value}\n")
    return root


def current(root: Path) -> int:
    return int((root / haltpoll.PARAMS / "guest_halt_poll_ns").read_text())


def test_status_reads_driver_and_parameters(tmp_path):
    root = fake_sys(tmp_path, ns=200000)
    st = haltpoll.status(root)
    assert st["driver"] == "haltpoll" and st["governor"] == "haltpoll"
    assert st["guest_halt_poll_ns"] == 200000 and st["guest_halt_poll_grow_start"] == 50000
    assert st["guest_halt_poll_allow_shrink"] == "Y"
    assert haltpoll.available(root)
    bare = fake_sys(tmp_path / "b", ns=None, driver="none")
    assert not haltpoll.available(bare) and haltpoll.status(bare)["guest_halt_poll_ns"] is None


def test_setting_is_put_back_on_leaving_and_on_an_exception(tmp_path):
    root = fake_sys(tmp_path, ns=0)
    with haltpoll.HaltPollSetting(2_000_000, root) as s:
        assert current(root) == 2_000_000 and s.original == 0
    assert current(root) == 0
    with pytest.raises(RuntimeError):
        with haltpoll.HaltPollSetting(1_000_000, root):
            assert current(root) == 1_000_000
            raise RuntimeError("the run failed")
    assert current(root) == 0
    s = haltpoll.HaltPollSetting(5, root).apply()
    s.restore()
    s.restore()                       # twice is harmless
    assert current(root) == 0


def test_missing_parameter_or_bad_value_changes_nothing(tmp_path):
    bare = fake_sys(tmp_path, ns=None)
    with pytest.raises(FileNotFoundError, match="haltpoll"):
        haltpoll.HaltPollSetting(1000, bare).apply()
    with pytest.raises(ValueError):
        haltpoll.HaltPollSetting(-1, bare)


def test_signal_handlers_are_put_back(tmp_path):
    root = fake_sys(tmp_path, ns=7)
    before = signal.getsignal(signal.SIGTERM)
    with haltpoll.HaltPollSetting(100, root):
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before and current(root) == 7


def test_sigterm_during_the_block_restores(tmp_path):
    root = fake_sys(tmp_path, ns=0)
    code = textwrap.dedent(f"""
        import os, signal, sys, time
        from pathlib import Path
        from fastorder.tune import haltpoll
        with haltpoll.HaltPollSetting(2000000, Path({str(root)!r})):
            print("set", flush=True)
            time.sleep(30)
    """)
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "set"
        assert current(root) == 2_000_000
        p.send_signal(signal.SIGTERM)
        rc = p.wait(20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()
    assert rc == 128 + signal.SIGTERM and current(root) == 0


def test_tune_reports_the_setting_and_what_to_set(tmp_path):
    root = fake_sys(tmp_path, ns=0)
    proc = tmp_path / "proc"
    proc.mkdir()
    c = {x.name: x for x in report(proc, root)}["cpu.halt_poll"]
    assert c.value["guest_halt_poll_ns"] == 0 and c.verdict == "advice"
    assert "guest_halt_poll_ns" in c.fix and "bench/RESULTS.md" in c.reason
    on = fake_sys(tmp_path / "on", ns=2_000_000)
    c = {x.name: x for x in report(proc, on)}["cpu.halt_poll"]
    assert c.verdict == "info" and c.value["guest_halt_poll_ns"] == 2_000_000
    none = fake_sys(tmp_path / "none", ns=None, driver="none")
    c = {x.name: x for x in report(proc, none)}["cpu.halt_poll"]
    assert c.verdict == "n/a"


def test_bench_restores_the_setting_when_the_run_fails(tmp_path, monkeypatch):
    from fastorder.bench import runner
    root = fake_sys(tmp_path, ns=0)
    monkeypatch.setattr(haltpoll, "SYS", root)
    seen = {}

    async def boom(self):
        seen["during"] = current(root)
        raise RuntimeError("the simulator did not start")

    monkeypatch.setattr(runner.Bench, "run", boom)
    with pytest.raises(RuntimeError):
        runner.run_bench(runner.Settings(orders=1, baselines=False, halt_poll_ns=1_500_000))
    assert seen["during"] == 1_500_000 and current(root) == 0

    async def fine(self):
        seen["during"] = current(root)
        return []

    monkeypatch.setattr(runner.Bench, "run", fine)
    b = runner.run_bench(runner.Settings(orders=1, baselines=False, halt_poll_ns=300_000))
    assert seen["during"] == 300_000 and current(root) == 0
    assert b.cpuidle == {"driver": "haltpoll", "guest_halt_poll_ns": 300_000, "changed_for_run": True,
                         "original_guest_halt_poll_ns": 0, "restored_guest_halt_poll_ns": 0}
    b = runner.run_bench(runner.Settings(orders=1, baselines=False))          # the default: read, not changed
    assert b.cpuidle["changed_for_run"] is False and b.cpuidle["guest_halt_poll_ns"] == 0


@pytest.mark.parametrize("value", ["fast", "-1ms", "5"])
def test_bench_refuses_a_bad_halt_poll(value):
    res = subprocess.run([sys.executable, "-m", "fastorder.cli", "bench", "--halt-poll", value, "--orders", "5",
                          "--no-baselines"], capture_output=True, text=True, timeout=60, cwd="/")
    assert res.returncode == 2 and "--halt-poll" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.skipif(os.path.exists("/sys/" + haltpoll.PARAMS), reason="this machine has haltpoll")
def test_bench_halt_poll_where_there_is_none():
    res = subprocess.run([sys.executable, "-m", "fastorder.cli", "bench", "--halt-poll", "1ms", "--orders", "5",
                          "--no-baselines"], capture_output=True, text=True, timeout=60, cwd="/")
    assert res.returncode == 2 and "no haltpoll" in res.stderr
