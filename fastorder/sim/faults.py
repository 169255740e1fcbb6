"""Fault injection: which request gets which misbehaviour, decided deterministically from a seed.

Syntax (CLI ``--fault SPEC`` / ``Simulator(faults="SPEC")``; several faults are separated by ``;``)::

    KIND[:key=value[,key=value...]]

KIND (what happens to a matching request):

=============  ===================================================================================
``latency``    delay the reply by ``ms`` (+ uniform ``[0, jitter)`` ms); the order is processed at once
``drop``       close the connection (FIN). ``phase=before``: the request is never processed;
               ``phase=after`` (default): processed (an order may exist) but the reply is lost
``reset``      like ``drop`` but with a TCP RST (SO_LINGER 0)
``5xx``        process, then answer with the venue's "execution status unknown" error
               (Binance HTTP 503 / -1006; OKX HTTP 500 / 50026; HTX HTTP 500). ``phase=before`` skips processing
``429``        answer the venue's rate-limit error with ``Retry-After: retry`` s, request not processed
``418``        Binance IP-ban reply (418, -1003, ``Retry-After``); other venues: like 429
``malformed``  process, then reply 200 with a body that is not valid JSON
``truncated``  process, then send half of the real reply and close the connection
``stall``      process, then never reply (the connection stays open; later replies queue behind it)
``slow_read``  per connection: stop reading for ``ms`` after every chunk received
``restart``    process and reply, then restart the whole venue server: all connections closed,
               listening socket closed for ``ms`` (default 200), state (orders, balances) kept
=============  ===================================================================================

Selectors (all optional): ``p=0.1`` probability per request (seeded RNG), ``nth=10`` every 10th request of
the venue (1-based count), ``conn=3`` only requests on the venue's 3rd connection, ``venue=binance``,
``transport=rest|ws``, ``count=N`` fire at most N times, ``after=N`` only after the venue's N-th request.
Without ``p``/``nth`` a fault applies to every matching request. Example::

    fastorder sim --fault "latency:ms=1,jitter=0.5;drop:phase=after,nth=50,venue=binance;5xx:p=0.01"

Determinism: the same seed and the same request sequence give the same decisions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

KINDS = ("latency", "drop", "reset", "5xx", "429", "418", "malformed", "truncated", "stall", "slow_read", "restart")
_ALIASES = {
    "drop_before": ("drop", "before"),
    "drop_after": ("drop", "after"),
    "reset_before": ("reset", "before"),
    "reset_after": ("reset", "after"),
    "delay": ("latency", None),
    "unknown": ("5xx", None),
}


@dataclass
class Fault:
    kind: str
    p: float = 1.0
    nth: int = 0
    conn: int = 0
    venue: str = ""
    transport: str = ""
    count: int = 0
    after: int = 0
    ms: float = 0.0
    jitter: float = 0.0
    phase: str = "after"
    retry: int = 1
    fired: int = 0

    def describe(self) -> str:
        return f"{self.kind}(p={self.p},nth={self.nth},conn={self.conn},venue={self.venue or '*'},ms={self.ms})"


_INT = {"nth", "conn", "count", "after", "retry"}
_FLOAT = {"p", "ms", "jitter"}
_STR = {"venue", "transport", "phase"}


def parse(spec: str) -> list[Fault]:
    """Parse a fault spec string; raises ValueError with a readable message on bad input."""
    out: list[Fault] = []
    for part in spec.replace("\n", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        kind, _, rest = part.partition(":")
        kind = kind.strip().lower()
        phase = None
        if kind in _ALIASES:
            kind, phase = _ALIASES[kind]
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(KINDS + tuple(_ALIASES))}")
        f = Fault(kind)
        if kind == "5xx" or kind == "429" or kind == "418":
            f.phase = "after" if kind == "5xx" else "before"
        if kind == "restart" and not f.ms:
            f.ms = 200.0
        if phase:
            f.phase = phase
        for kv in rest.split(","):
            kv = kv.strip()
            if not kv:
                continue
            k, sep, v = kv.partition("=")
            k = k.strip()
            if not sep:
                raise ValueError(f"fault option {kv!r} needs key=value")
            if k in _INT:
                setattr(f, k, int(v))
            elif k in _FLOAT:
                setattr(f, k, float(v.removesuffix("ms")))
            elif k in _STR:
                setattr(f, k, v.strip().lower())
            else:
                raise ValueError(f"unknown fault option {k!r} in {part!r}")
        if f.phase not in ("before", "after"):
            raise ValueError(f"phase must be before or after, not {f.phase!r}")
        if f.transport not in ("", "rest", "ws"):
            raise ValueError("transport must be rest or ws")
        if not 0.0 <= f.p <= 1.0:
            raise ValueError("p must be within [0, 1]")
        out.append(f)
    return out


class FaultPlan:
    """The faults of one simulator run. Decisions are drawn from ``random.Random(seed)``."""

    def __init__(self, faults: str | list[Fault] | None = None, seed: int = 0):
        self.seed = seed
        self.rng = random.Random(seed)
        self.faults: list[Fault] = []
        self.counts: dict[str, int] = {}
        self.log: list[tuple[str, int, str]] = []  # (venue, request number, kind) of every firing
        if faults:
            self.add(faults)

    def add(self, faults: str | list[Fault] | Fault) -> None:
        if isinstance(faults, str):
            faults = parse(faults)
        elif isinstance(faults, Fault):
            faults = [faults]
        self.faults.extend(faults)

    def clear(self) -> None:
        self.faults.clear()

    def __bool__(self) -> bool:
        return bool(self.faults)

    def for_request(self, venue: str, transport: str, conn_no: int) -> list[Fault] | None:
        """Faults firing on this request (None when none). Counts every request of the venue."""
        n = self.counts.get(venue, 0) + 1
        self.counts[venue] = n
        if not self.faults:
            return None
        hit = None
        for f in self.faults:
            if f.kind == "slow_read":
                continue
            if f.venue and f.venue != venue:
                continue
            if f.transport and f.transport != transport:
                continue
            if f.conn and f.conn != conn_no:
                continue
            if f.after and n <= f.after:
                continue
            if f.count and f.fired >= f.count:
                continue
            if f.nth:
                if n % f.nth:
                    continue
            elif f.p < 1.0 and self.rng.random() >= f.p:
                continue
            f.fired += 1
            self.log.append((venue, n, f.kind))
            if hit is None:
                hit = [f]
            else:
                hit.append(f)
        return hit

    def slow_read_ms(self, venue: str, transport: str, conn_no: int) -> float:
        """Per-connection slow-read pause in ms (0 = none)."""
        for f in self.faults:
            if f.kind != "slow_read" or (f.venue and f.venue != venue) or (f.conn and f.conn != conn_no):
                continue
            if f.transport and f.transport != transport:
                continue
            if f.p < 1.0 and self.rng.random() >= f.p:
                continue
            return f.ms or 10.0
        return 0.0

    def delay_s(self, f: Fault) -> float:
        d = f.ms
        if f.jitter:
            d += self.rng.random() * f.jitter
        return d / 1000.0
