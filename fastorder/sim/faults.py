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
               (REST, both: ``mode=date`` writes Retry-After as an HTTP date, ``mode=none`` leaves it out,
               ``mode=text`` writes a value that is neither: what a proxy or CDN in front may send)
``malformed``  process, then reply 200 with a body that is not valid JSON
``truncated``  process, then send half of the real reply and close the connection
``stall``      process, then never reply (the connection stays open; later replies queue behind it)
``slow_read``  per connection: stop reading for ``ms`` after every chunk received
``notice``     OKX WebSocket: process and reply, then send the ``64008`` service-upgrade notice on that
               connection and close it ``ms`` later (default 60000, as the venue does); other venues: none
``restart``    process and reply, then restart the whole venue server: all connections closed,
               listening socket closed for ``ms`` (default 200), state (orders, balances) kept
``tls_fail``   per connection, TLS simulators only (``tls=True``): the TLS handshake of a newly accepted
               connection fails the way a network makes it fail, chosen by ``mode``:
               ``reset`` (default) the ClientHello is read, then the connection is reset (RST: a middlebox
               or a crashed TLS terminator); ``close`` the same with a FIN (a balancer without a backend);
               ``garbage`` plain-HTTP bytes instead of a ServerHello (something else listening);
               ``alert`` a fatal TLS ``handshake_failure`` alert; ``stall`` no answer at all (closed after
               ``ms`` if given; the client's handshake timeout decides). Certificates the client must
               reject -- the handshake completes on the server's side only if the client accepts them:
               ``badcert`` the right names, signed by an untrusted CA (an intercepting proxy);
               ``expired`` signed by the test CA but expired; ``wrongname`` signed by the test CA for
               another host name
=============  ===================================================================================

Selectors (all optional): ``p=0.1`` probability per request (seeded RNG), ``nth=10`` every 10th request of
the venue (1-based count), ``conn=3`` only requests on the venue's 3rd connection, ``venue=binance``,
``transport=rest|ws``, ``count=N`` fire at most N times, ``after=N`` only after the venue's N-th request.
Without ``p``/``nth`` a fault applies to every matching request. Example::

    fastorder sim --fault "latency:ms=1,jitter=0.5;drop:phase=after,nth=50,venue=binance;5xx:p=0.01"
    fastorder sim --tls --fault "tls_fail:mode=alert,p=0.2;tls_fail:mode=badcert,nth=10"

Per-connection kinds (``slow_read``, ``tls_fail``) are decided once per accepted connection, before its first
request, and are logged in ``plan.log`` when they fire; for them ``nth=N`` means every N-th connection of the
venue and ``conn=N`` the N-th (TCP connections are numbered as accepted). ``tls_fail`` is decided before the
server knows whether HTTP or a WebSocket follows, so ``transport=`` does not apply to it. ``slow_read`` is
decided when the connection is accepted (as ``rest``) and again when it is upgraded to a WebSocket (as ``ws``):
a ``transport=ws`` slow read starts then, a ``transport=rest`` one stops, one without ``transport=`` goes on.

Determinism: the same seed and the same sequence of requests and connections give the same decisions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

KINDS = ("latency", "drop", "reset", "5xx", "429", "418", "malformed", "truncated", "stall", "slow_read", "restart",
         "tls_fail", "notice")
CONN_KINDS = ("slow_read", "tls_fail")   # decided per accepted connection, not per request
TLS_MODES = ("reset", "close", "garbage", "alert", "stall", "badcert", "expired", "wrongname")
CERT_MODES = ("badcert", "expired", "wrongname")   # the handshake runs, with a certificate to reject
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
    mode: str = ""
    fired: int = 0

    def describe(self) -> str:
        mode = f",mode={self.mode}" if self.mode else ""
        return f"{self.kind}(p={self.p},nth={self.nth},conn={self.conn},venue={self.venue or '*'},ms={self.ms}{mode})"


_INT = {"nth", "conn", "count", "after", "retry"}
_FLOAT = {"p", "ms", "jitter"}
_STR = {"venue", "transport", "phase", "mode"}


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
        if kind == "notice" and not f.ms:
            f.ms = 60000.0
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
        if kind == "tls_fail":
            f.mode = f.mode or "reset"
            if f.mode not in TLS_MODES:
                raise ValueError(f"tls_fail mode must be one of {', '.join(TLS_MODES)}, not {f.mode!r}")
            if f.transport:
                raise ValueError("tls_fail is decided before the server knows the transport: no transport=")
        elif kind in ("429", "418") and f.mode:
            if f.mode not in ("date", "none", "text"):
                raise ValueError(f"429/418 mode must be date, none or text, not {f.mode!r}")
        elif f.mode:
            raise ValueError(f"mode= applies to tls_fail, 429 and 418 only, not {kind}")
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
        self._slow: dict[tuple[str, int], Fault] = {}   # open connections slowed at accept, by (venue, number)
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
            if f.kind in CONN_KINDS:
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

    def for_connection(self, kind: str, venue: str, transport: str, conn_no: int, *,
                       only_transport: bool = False) -> Fault | None:
        """The per-connection fault of ``kind`` firing on the venue's connection ``conn_no`` (None when none).
        ``only_transport``: consider only faults that name ``transport`` (a WebSocket upgrade)."""
        n = self.counts.get(venue, 0)
        for f in self.faults:
            if f.kind != kind or (f.venue and f.venue != venue) or (f.conn and f.conn != conn_no):
                continue
            if f.transport and f.transport != transport or only_transport and not f.transport:
                continue
            if f.after and n <= f.after:
                continue
            if f.count and f.fired >= f.count:
                continue
            if f.nth:
                if conn_no % f.nth:
                    continue
            elif f.p < 1.0 and self.rng.random() >= f.p:
                continue
            f.fired += 1
            self.log.append((venue, n, kind))
            return f
        return None

    def tls_fault(self, venue: str, conn_no: int) -> Fault | None:
        """Whether (and how) the TLS handshake of the venue's newly accepted connection ``conn_no`` fails."""
        return self.for_connection("tls_fail", venue, "", conn_no)

    def slow_read_ms(self, venue: str, transport: str, conn_no: int) -> float:
        """Per-connection slow-read pause in ms (0 = none), decided when the connection is accepted."""
        f = self.for_connection("slow_read", venue, transport, conn_no)
        if f is None:
            return 0.0
        self._slow[(venue, conn_no)] = f
        return f.ms or 10.0

    def slow_read_upgrade_ms(self, venue: str, conn_no: int) -> float:
        """The pause once the connection is upgraded to a WebSocket: a ``transport=ws`` slow read is decided
        now, a ``transport=rest`` one stops, one for any transport decided at accept goes on."""
        before = self._slow.pop((venue, conn_no), None)
        f = self.for_connection("slow_read", venue, "ws", conn_no, only_transport=True)
        if f is None and before is not None and not before.transport:
            f = before
        return (f.ms or 10.0) if f is not None else 0.0

    def forget_connection(self, venue: str, conn_no: int) -> None:
        self._slow.pop((venue, conn_no), None)

    def delay_s(self, f: Fault) -> float:
        d = f.ms
        if f.jitter:
            d += self.rng.random() * f.jitter
        return d / 1000.0
