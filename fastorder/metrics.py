"""Latency accounting inside the library: every order's split recorded in HDR histograms per venue x
transport, percentiles on demand, and a Prometheus text exposition.

Recorded values are microseconds. The histograms are fastorder's own compiled HdrHistogram-style ones
(`fastorder._core.hist`: 3 significant digits, ~0.1 µs to record) because the `hdrhistogram` package
records in pure Python (several µs per value, on every order); `to_hdrh()` converts one for HdrHistogram's
standard tools and log format. Stages:
  client       the call until the bytes were handed to the kernel
  round_trip   from then until the reply was parsed
  total        client + round_trip
  exchange     the venue's own processing time where it reports one (OKX outTime-inTime, the simulator)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from fastorder._core.hist import LatencyHistogram, record_split
from fastorder.types import Latency

STAGES = ("total", "client", "round_trip", "exchange")
QUANTILES = (50.0, 90.0, 95.0, 99.0, 99.9)
_HIGHEST_US = 3_600_000_000   # an hour: anything longer is recorded as an hour


class LatencyRecorder:
    def __init__(self) -> None:
        self._h: dict[tuple[str, str, str], LatencyHistogram] = {}
        self._sets: dict[tuple[str, str], list[Any]] = {}
        self._lock = threading.Lock()   # recording is per event loop; exposition may come from a thread

    def _hist(self, venue: str, transport: str, stage: str) -> LatencyHistogram:
        key = (venue, transport, stage)
        h = self._h.get(key)
        if h is None:
            with self._lock:
                h = self._h.setdefault(key, LatencyHistogram())
        return h

    def record(self, venue: str, transport: str, lat: Latency) -> None:
        hs = self._sets.get((venue, transport))
        if hs is None:   # once per venue x transport: its histograms in one list (this runs per order)
            hs = self._sets[(venue, transport)] = [self._hist(venue, transport, st)
                                                   for st in ("client", "round_trip", "total")] + [None]
        record_split(hs[0], hs[1], hs[2], lat.client_ns, lat.round_trip_ns, _HIGHEST_US)   # one C call
        if lat.exchange_us is not None:
            ex = hs[3]
            if ex is None:   # only venues (or the simulator) that report their own time get this stage
                ex = hs[3] = self._hist(venue, transport, "exchange")
            ex.record(min(max(1, lat.exchange_us), _HIGHEST_US))

    def keys(self) -> Iterator[tuple[str, str, str]]:
        return iter(list(self._h))

    def histogram(self, venue: str, transport: str, stage: str = "total") -> LatencyHistogram | None:
        return self._h.get((venue, transport, stage))

    def to_hdrh(self, venue: str, transport: str, stage: str = "total"):
        """The histogram as an `hdrh.histogram.HdrHistogram` (for its log format and tools)."""
        from hdrh.histogram import HdrHistogram

        out = HdrHistogram(1, _HIGHEST_US, 3)
        h = self._h.get((venue, transport, stage))
        if h is not None:
            for value, n in h.buckets():
                out.record_value(max(1, value), n)
        return out

    def percentiles(self, venue: str, transport: str, stage: str = "total") -> dict[str, float]:
        """{'count', 'mean', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max'} in µs (empty dict if nothing yet)."""
        h = self._h.get((venue, transport, stage))
        if h is None or h.count == 0:
            return {}
        out: dict[str, float] = {"count": h.count, "mean": h.mean}
        for q in QUANTILES:
            out[f"p{q:g}"] = h.value_at_percentile(q)
        out["max"] = h.max
        return out

    def reset(self) -> None:
        with self._lock:
            self._h.clear()
            self._sets.clear()

    def prometheus_text(self) -> str:
        """The histograms as Prometheus summaries (quantiles in seconds), via prometheus_client."""
        from prometheus_client import CollectorRegistry, generate_latest
        from prometheus_client.core import SummaryMetricFamily

        recorder = self

        class _Collector:
            def collect(self):
                fam = SummaryMetricFamily("fastorder_order_latency_seconds",
                                          "Per-order latency by venue, transport and stage",
                                          labels=["venue", "transport", "stage"])
                for (venue, transport, stage) in sorted(recorder.keys()):
                    h = recorder._h[(venue, transport, stage)]
                    fam.add_metric([venue, transport, stage], h.count, h.mean * h.count / 1e6)
                yield fam
                from prometheus_client.core import GaugeMetricFamily
                q = GaugeMetricFamily("fastorder_order_latency_quantile_seconds",
                                      "Per-order latency quantiles from HDR histograms",
                                      labels=["venue", "transport", "stage", "quantile"])
                for (venue, transport, stage) in sorted(recorder.keys()):
                    h = recorder._h[(venue, transport, stage)]
                    for p in QUANTILES:
                        q.add_metric([venue, transport, stage, f"{p / 100:g}"], h.value_at_percentile(p) / 1e6)
                yield q

        reg = CollectorRegistry()
        reg.register(_Collector())
        return generate_latest(reg).decode("utf-8")


#: the process-wide recorder every session records into unless given another
RECORDER = LatencyRecorder()
