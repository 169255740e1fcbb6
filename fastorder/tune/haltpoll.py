"""The guest halt-poll setting of a KVM guest (cpuidle driver and governor `haltpoll`): read it, and set it for
the length of a run and put it back.

With the haltpoll cpuidle driver, an idle vCPU first polls for up to `poll_limit_ns` (per CPU, adapted by the
governor between 0 and /sys/module/haltpoll/parameters/guest_halt_poll_ns) and only then halts. A halted vCPU
has left the guest: waking it costs a VM exit and re-entry, and the first instructions after it run on caches
and predictors that the host's other work has cooled. With guest_halt_poll_ns = 0 every idle stretch halts at
once. The governor grows a CPU's limit (from guest_halt_poll_grow_start, times guest_halt_poll_grow) when the
CPU woke after the limit but within guest_halt_poll_ns, and shrinks it when a sleep ran past guest_halt_poll_ns;
so to poll across a wait of W the maximum must be above W (a 1 ms round trip idles the client ~1 ms).

Polling costs CPU: the vCPU spins for up to that long after every wake-up, on a hyperthreaded host it takes
issue slots from the sibling, and the host sees the vCPU busy. Nothing here changes a setting unless asked
(`fastorder bench --halt-poll 2ms` sets it for its run and restores it; `fastorder tune` only reports).
Kernel source: drivers/cpuidle/governors/haltpoll.c, Documentation/virt/guest-halt-polling.rst.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

SYS = Path("/sys")
PARAMS = "module/haltpoll/parameters"
PARAM_NAMES = ("guest_halt_poll_ns", "guest_halt_poll_grow", "guest_halt_poll_grow_start",
               "guest_halt_poll_shrink", "guest_halt_poll_allow_shrink")


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def status(sys_root: Path | None = None) -> dict[str, Any]:
    """The cpuidle driver and governor and the haltpoll parameters (None where not readable)."""
    sys_root = SYS if sys_root is None else sys_root
    cpuidle = sys_root / "devices/system/cpu/cpuidle"
    out: dict[str, Any] = {"driver": _read(cpuidle / "current_driver"),
                           "governor": _read(cpuidle / "current_governor_ro") or _read(cpuidle / "current_governor")}
    for name in PARAM_NAMES:
        v = _read(sys_root / PARAMS / name)
        out[name] = int(v) if v is not None and v.lstrip("-").isdigit() else v
    return out


def available(sys_root: Path | None = None) -> bool:
    """The haltpoll governor's parameters exist here (a KVM guest with cpuidle-haltpoll)."""
    return ((SYS if sys_root is None else sys_root) / PARAMS / "guest_halt_poll_ns").exists()


class HaltPollSetting:
    """Set guest_halt_poll_ns for a while and put the original back: `with HaltPollSetting(2_000_000): ...`.
    The original is restored on leaving the block, on an exception, and on SIGTERM/SIGHUP while the block runs
    (each turned into SystemExit so the restore runs). Needs root. Raises OSError (with the path) when the
    parameter is missing or cannot be written; nothing is changed then."""

    def __init__(self, ns: int, sys_root: Path | None = None) -> None:
        if ns < 0:
            raise ValueError("guest_halt_poll_ns must be >= 0")
        self.ns = int(ns)
        self.path = (SYS if sys_root is None else sys_root) / PARAMS / "guest_halt_poll_ns"
        self.original: int | None = None
        self._old_handlers: dict[int, Any] = {}

    def apply(self) -> HaltPollSetting:
        text = _read(self.path)
        if text is None:
            raise FileNotFoundError(f"{self.path} is not here: no haltpoll cpuidle governor (not a KVM guest "
                                    f"with cpuidle-haltpoll?)")
        self.original = int(text)
        self._trap_signals()
        try:
            self.path.write_text(f"{self.ns}\n")
        except BaseException:
            self._untrap_signals()
            self.original = None
            raise
        return self

    def restore(self) -> None:
        if self.original is None:
            return
        try:
            self.path.write_text(f"{self.original}\n")
        finally:
            self.original = None
            self._untrap_signals()

    def _trap_signals(self) -> None:
        def leave(signum: int, _frame: Any) -> None:
            raise SystemExit(128 + signum)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            try:
                self._old_handlers[sig] = signal.signal(sig, leave)
            except ValueError:   # not the main thread: leave the handlers alone
                pass

    def _untrap_signals(self) -> None:
        for sig, old in self._old_handlers.items():
            try:
                signal.signal(sig, old)
            except ValueError:
                pass
        self._old_handlers.clear()

    def __enter__(self) -> HaltPollSetting:
        return self.apply()

    def __exit__(self, *exc: object) -> None:
        self.restore()
