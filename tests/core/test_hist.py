"""The compiled latency histogram: percentiles within its 0.1 % precision of the exact ones, and the same
answer as the hdrhistogram package given the same values."""

import random

import pytest
from hdrh.histogram import HdrHistogram

from fastorder._core.hist import LatencyHistogram


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_percentiles_match_exact_within_precision(seed):
    rnd = random.Random(seed)
    xs = [int(rnd.lognormvariate(6, 1.5)) + 1 for _ in range(50_000)]
    h = LatencyHistogram()
    ref = HdrHistogram(1, 10**10, 3)
    for x in xs:
        h.record(x)
        ref.record_value(x)
    xs.sort()
    assert (h.count, h.max, h.min) == (len(xs), xs[-1], xs[0])
    assert h.mean == pytest.approx(sum(xs) / len(xs))
    for p in (50, 90, 95, 99, 99.9, 100):
        exact = xs[max(0, int(p / 100 * len(xs) + 0.5) - 1)]
        got = h.value_at_percentile(p)
        assert exact <= got <= exact * 1.001 + 1, (p, exact, got)
        assert got == pytest.approx(ref.get_value_at_percentile(p), rel=2e-3)


def test_small_values_are_exact_and_buckets_replay():
    h = LatencyHistogram()
    for v in (0, 1, 2, 2047, 2048, 2049, 10**12):
        h.record(v)
    assert h.value_at_percentile(100 * 4 / 7) == 2047
    assert sum(n for _, n in h.buckets()) == 7
    h.reset()
    assert h.count == 0 and h.value_at_percentile(50) == 0


def test_record_split_clamps_like_the_recorder_did():
    from fastorder._core.hist import record_split

    c, r, t = LatencyHistogram(), LatencyHistogram(), LatencyHistogram()
    for client_ns, rt_ns in ((0, 0), (999, 1500), (-5000, 2_000_000), (7_000, 10**16)):
        record_split(c, r, t, client_ns, rt_ns, 3_600_000_000)
    cu = [max(1, min(x // 1000, 3_600_000_000)) for x in (0, 999, -5000, 7_000)]
    ru = [max(1, min(x // 1000, 3_600_000_000)) for x in (0, 1500, 2_000_000, 10**16)]
    assert (c.count, c.min, c.max) == (4, min(cu), max(cu))
    assert (r.count, r.min, r.max) == (4, min(ru), max(ru))
    assert t.max == 3_600_000_000 and t.min == 2   # a sum past the ceiling is the ceiling
