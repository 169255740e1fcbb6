"""A latency histogram cheap enough for the hot path: HdrHistogram-style log-linear buckets, 3 significant
digits (exact below 2048; relative error < 0.1 % above), integer values (fastorder records microseconds)."""

class LatencyHistogram:
    count: int
    max: int
    min: int
    def record(self, value: int) -> None: ...
    def reset(self) -> None: ...
    @property
    def mean(self) -> float: ...
    def value_at_percentile(self, p: float) -> int: ...
    def buckets(self) -> list[tuple[int, int]]: ...

def record_split(client: LatencyHistogram, round_trip: LatencyHistogram, total: LatencyHistogram, client_ns: int,
                 round_trip_ns: int, highest_us: int) -> None:
    """One order's split in µs (each at least 1, at most ``highest_us``): client, round trip and their sum."""
