"""Watch the garbage collector: how many collections ran during a stretch of work, the longest pause and
the total, per generation. What `gc.freeze()` buys shows up here (fastorder bench reports it per row)."""

from __future__ import annotations

import gc
import time
from typing import Any


class GcMonitor:
    def __init__(self) -> None:
        self.count = 0
        self.total_ns = 0
        self.max_ns = 0
        self.by_generation = [0, 0, 0]
        self._t0 = 0
        self._on = False

    def _cb(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._t0 = time.perf_counter_ns()
            return
        dt = time.perf_counter_ns() - self._t0
        self.count += 1
        self.total_ns += dt
        self.max_ns = max(self.max_ns, dt)
        gen = info.get("generation", 0)
        if 0 <= gen < 3:
            self.by_generation[gen] += 1

    def start(self) -> GcMonitor:
        if not self._on:
            gc.callbacks.append(self._cb)
            self._on = True
        return self

    def stop(self) -> GcMonitor:
        if self._on:
            gc.callbacks.remove(self._cb)
            self._on = False
        return self

    def __enter__(self) -> GcMonitor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def summary(self) -> dict[str, Any]:
        return {"collections": self.count, "by_generation": list(self.by_generation),
                "max_pause_us": self.max_ns / 1000, "total_pause_us": self.total_ns / 1000}
