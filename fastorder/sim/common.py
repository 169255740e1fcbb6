"""Small helpers shared by the venue modules of the simulator (never by fastorder's client)."""

from __future__ import annotations

import hmac
import random
import string
import time
from array import array

_ALNUM = string.ascii_letters + string.digits


def now_ms() -> int:
    return int(time.time() * 1000)


def now_us() -> int:
    return time.time_ns() // 1000


class IdGen:
    """Deterministic (seeded) generator of venue-style client ids: a seeded random prefix plus a counter
    (unique within a run, cheap enough for the hot path)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self._prefix = "".join(self.rng.choices(_ALNUM, k=12))
        self._n = 0

    def alnum(self, n: int) -> str:
        if n < 16:
            return "".join(self.rng.choices(_ALNUM, k=n))
        self._n += 1
        return self._prefix + str(self._n).zfill(n - 12)


class HmacSha256:
    """HMAC-SHA256 under one key, its pads hashed once: each message costs a copy of the prepared state
    (``hmac.digest`` fetches the algorithm and hashes the key on every call: 3x the time here). The
    standard library's own HMAC; nothing of fastorder's client. Holds no key in its repr."""

    __slots__ = ("_tpl",)

    def __init__(self, key: bytes):
        h = hmac.new(key, digestmod="sha256")
        # OpenSSL's own HMAC object when hmac wraps one: its copy() is C (hmac.HMAC.copy is Python code)
        self._tpl = getattr(h, "_hmac", None) or h

    def digest(self, msg: bytes) -> bytes:
        h = self._tpl.copy()
        h.update(msg)
        return h.digest()

    def hexdigest(self, msg: bytes) -> str:
        h = self._tpl.copy()
        h.update(msg)
        return h.hexdigest()


def percentiles(values, qs=(50, 90, 99, 99.9)) -> dict:
    v = sorted(values)
    n = len(v)
    out = {"count": n}
    if not n:
        return out
    for q in qs:
        i = min(n - 1, max(0, int(round(q / 100.0 * n + 0.5)) - 1))
        out[f"p{q:g}"] = round(v[i], 2)
    out["max"] = round(v[-1], 2)
    out["min"] = round(v[0], 2)
    out["mean"] = round(sum(v) / n, 2)
    return out


class ProcStats:
    """The simulator's own processing time per request, in µs, per transport ("rest"/"ws"), in arrival
    order (so a benchmark that sends requests one at a time can pair the i-th sample with its i-th order)."""

    CAP = 2_000_000

    def __init__(self):
        self.samples = {"rest": array("d"), "ws": array("d")}

    def add(self, kind: str, us: float) -> None:
        a = self.samples[kind]
        a.append(us)
        if len(a) > self.CAP:
            del a[: self.CAP // 2]

    def reset(self) -> None:
        for a in self.samples.values():
            del a[:]

    def summary(self) -> dict:
        return {k: percentiles(a) for k, a in self.samples.items()}
