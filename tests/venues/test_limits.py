"""The local rate guard's bookkeeping of what the venue reports (no network)."""

from __future__ import annotations

from fastorder.venues.limits import RateGuard


def test_observe_counts_raises_counts_skips_what_is_not_a_count_and_rolls_windows():
    now = [10_500]
    g = RateGuard("binance", clock_ms=lambda: now[0])
    g.set_limit("ORDERS:10S", 50, 10_000)
    g.set_limit("REQUEST_WEIGHT:1M", 6000, 60_000)
    g.set_limit("ORDERS:1D", 160_000, 86_400_000)
    ws = tuple(g.windows.values())
    g.check({"ORDERS:10S": 1, "REQUEST_WEIGHT:1M": 1, "ORDERS:1D": 1})
    g.observe_counts(ws, [b"12.5", b"7", None, b"x"], 1)         # the venue's 7 wins over our 1; None and x skipped
    assert [w.count for w in ws] == [7, 1, 1]
    g.observe_counts(ws, [None, b"3", b"40", b"2"], 1)            # 3 < 7: ours stays; 40 and 2 raise theirs
    assert [w.count for w in ws] == [7, 40, 2]
    now[0] = 20_001                                             # a new 10 s window: that count starts again
    g.observe_counts(ws, [None, b"1", None, None], 1)
    assert [w.count for w in ws] == [1, 40, 2]


def test_observe_counts_takes_json_counts_and_skips_garbage():
    g = RateGuard("binance", clock_ms=lambda: 5_000)
    g.set_limit("REQUEST_WEIGHT:1M", 6000, 60_000)
    g.set_limit("ORDERS:10S", 50, 10_000)
    g.set_limit("ORDERS:1D", 160_000, 86_400_000)
    ws = list(g.windows.values())
    g.observe_counts(ws, [17, {"x": 1}, [3]], 0)   # a WS reply's rateLimits counts: ints, or whatever a bad one sends
    assert [w.count for w in ws] == [17, 0, 0]
