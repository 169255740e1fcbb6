"""Latency accounting inside the library: every order's split recorded in HDR histograms per venue x
transport, percentiles on demand, and a Prometheus text exposition.

Recorded values are microseconds (1 µs .. 60 s, 3 significant digits). Stages:
  client       the call until the bytes were handed to the kernel
  round_trip   from then until the reply was parsed
  total        client + round_trip
  exchange     the venue's own processing time where it reports one (OKX outTime-inTime, the simulator)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from hdrh.histogram import HdrHistogram

from fastorder.types import Latency

STAGES = ("total", "client", "round_trip", "exchange")
QUANTILES = (50.0, 90.0, 95.0, 99.0, 99.9)
_LOWEST_US, _HIGHEST_US, _DIGITS = 1, 60_000_000, 3


class LatencyRecorder:
    def __init__(self) -> None:
        self._h: dict[tuple[str, str, str], HdrHistogram] = {}
        self._lock = threading.Lock()   # recording is per event loop; exposition may come from a thread

    def _hist(self, venue: str, transport: str, stage: str) -> HdrHistogram:
        key = (venue, transport, stage)
        h = self._h.get(key)
        if h is None:
            with self._lock:
                h = self._h.setdefault(key, HdrHistogram(_LOWEST_US, _HIGHEST_US, _DIGITS))
        return h

    def record(self, venue: str, transport: str, lat: Latency) -> None:
        client_us = max(1, lat.client_ns // 1000)
        rt_us = max(1, lat.round_trip_ns // 1000)
        self._hist(venue, transport, "client").record_value(min(client_us, _HIGHEST_US))
        self._hist(venue, transport, "round_trip").record_value(min(rt_us, _HIGHEST_US))
        self._hist(venue, transport, "total").record_value(min(client_us + rt_us, _HIGHEST_US))
        if lat.exchange_us is not None:
            self._hist(venue, transport, "exchange").record_value(min(max(1, lat.exchange_us), _HIGHEST_US))

    def keys(self) -> Iterator[tuple[str, str, str]]:
        return iter(list(self._h))

    def histogram(self, venue: str, transport: str, stage: str = "total") -> HdrHistogram | None:
        return self._h.get((venue, transport, stage))

    def percentiles(self, venue: str, transport: str, stage: str = "total") -> dict[str, float]:
        """{'count', 'mean', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max'} in µs (empty dict if nothing yet)."""
        h = self._h.get((venue, transport, stage))
        if h is None or h.get_total_count() == 0:
            return {}
        out: dict[str, float] = {"count": h.get_total_count(), "mean": h.get_mean_value()}
        for q in QUANTILES:
            out[f"p{q:g}"] = h.get_value_at_percentile(q)
        out["max"] = h.get_max_value()
        return out

    def reset(self) -> None:
        with self._lock:
            self._h.clear()

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
                    n = h.get_total_count()
                    fam.add_metric([venue, transport, stage], n, h.get_mean_value() * n / 1e6)
                yield fam
                from prometheus_client.core import GaugeMetricFamily
                q = GaugeMetricFamily("fastorder_order_latency_quantile_seconds",
                                      "Per-order latency quantiles from HDR histograms",
                                      labels=["venue", "transport", "stage", "quantile"])
                for (venue, transport, stage) in sorted(recorder.keys()):
                    h = recorder._h[(venue, transport, stage)]
                    for p in QUANTILES:
                        q.add_metric([venue, transport, stage, f"{p / 100:g}"], h.get_value_at_percentile(p) / 1e6)
                yield q

        reg = CollectorRegistry()
        reg.register(_Collector())
        return generate_latest(reg).decode("utf-8")


#: the process-wide recorder every session records into unless given another
RECORDER = LatencyRecorder()
