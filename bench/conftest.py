"""Microbenchmark plumbing (pytest-benchmark). Not collected by plain `pytest`: run `pytest bench/bench_*.py`.

Every benchmark runs `ROUNDS` rounds of `ITERATIONS` calls; a round's time is the mean of its calls, so the
percentiles below are percentiles of 100-call means (a single call is too short to time alone). At the end a
table per group prints p50/p90/p99/p99.9/max/mean and each entry's median against the group's baseline,
all from this one run.
"""

from __future__ import annotations

import gc
import os
import platform

import pytest

ROUNDS = int(os.environ.get("FO_BENCH_ROUNDS", "2000"))
ITERATIONS = 100

_results: dict[str, dict[str, list[float]]] = {}
BASELINE = "python"   # the entry every other entry in a group is compared with
GROUP_BASELINE: dict[str, str] = {}   # groups compared with another entry (e.g. perp against "spot")


@pytest.fixture
def run(benchmark, request):
    """run(group, name, fn[, baseline]): benchmark fn() and keep its per-round times for the summary."""

    def _run(group: str, name: str, fn, baseline: str | None = None):
        if baseline is not None:   # this group is compared with that entry, not with "python"
            GROUP_BASELINE[group] = baseline
        benchmark.group = group
        benchmark.name = name
        for _ in range(1000):  # warm-up: caches, branch predictors, lazily built templates
            fn()
        gc.collect()
        gc.freeze()
        try:
            benchmark.pedantic(fn, rounds=ROUNDS, iterations=ITERATIONS, warmup_rounds=10)
        finally:
            gc.unfreeze()
        _results.setdefault(group, {})[name] = sorted(benchmark.stats.stats.data)

    return _run


def _pct(data: list[float], q: float) -> float:
    return data[min(len(data) - 1, int(q * len(data)))]


def pytest_terminal_summary(terminalreporter):
    if not _results:
        return
    tr = terminalreporter
    tr.section("fastorder microbenchmarks: µs per call (percentiles of 100-call means)")
    tr.write_line(f"machine: {platform.machine()} {platform.processor() or ''} cpus={os.cpu_count()} "
                  f"python={platform.python_version()} pinned={sorted(os.sched_getaffinity(0))}")
    head = f"{'group':<26} {'entry':<10} {'p50':>7} {'p90':>7} {'p99':>7} {'p99.9':>7} {'max':>7} {'mean':>7}  vs {BASELINE}"
    tr.write_line(head)
    for group, entries in _results.items():
        bname = GROUP_BASELINE.get(group, BASELINE)
        base = entries.get(bname)
        for name, data in entries.items():
            us = [x * 1e6 for x in data]
            mean = sum(us) / len(us)
            ratio = ""
            if base and name != bname:
                ratio = f"{_pct(data, 0.5) / _pct(base, 0.5):.3f}x  ({_pct(base, 0.5) / _pct(data, 0.5):.1f}x faster)"
                if bname != BASELINE:
                    ratio += f" vs {bname}"
            tr.write_line(f"{group:<26} {name:<10} {_pct(us, .5):7.3f} {_pct(us, .9):7.3f} {_pct(us, .99):7.3f} "
                          f"{_pct(us, .999):7.3f} {us[-1]:7.3f} {mean:7.3f}  {ratio}")
