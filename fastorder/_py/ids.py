"""Pure-Python twin of `fastorder._core.ids`: client order ids `prefix + salt + counter`.

`prefix`: the caller's, 0-8 ASCII letters/digits. `salt`: 10 base62 characters from os.urandom, drawn when
the generator is made and again in a forked child. `counter`: 8 base62 characters counting (mod 62**8)
from a random start. At most 26 characters of [0-9A-Za-z].
"""

from __future__ import annotations

import os
import re
import weakref

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SALT_LEN = 10
COUNTER_LEN = 8
COUNTER_MOD = 62**COUNTER_LEN
_PREFIX = re.compile(r"[0-9A-Za-z]{0,8}")


def _base62(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 62)
        out.append(ALPHABET[r])
    return "".join(reversed(out))


def _random_below(bound: int) -> int:
    """Uniform in [0, bound) from os.urandom (rejection sampling, no modulo bias)."""
    nbytes = (bound.bit_length() + 7) // 8
    limit = (256**nbytes // bound) * bound
    while True:
        n = int.from_bytes(os.urandom(nbytes), "big")
        if n < limit:
            return n % bound


_generators: weakref.WeakSet[ClientIdGenerator] = weakref.WeakSet()


def _reseed_after_fork() -> None:
    for gen in list(_generators):
        gen._reseed()


os.register_at_fork(after_in_child=_reseed_after_fork)


class ClientIdGenerator:
    __slots__ = ("_prefix", "_salt", "_counter", "__weakref__")

    def __init__(self, prefix: str = "") -> None:
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be str, not {type(prefix).__name__}")
        if not _PREFIX.fullmatch(prefix):
            raise ValueError("prefix must be 0-8 ASCII letters or digits")
        self._prefix = prefix
        self._reseed()
        _generators.add(self)

    def _reseed(self) -> None:
        self._salt = _base62(_random_below(62**SALT_LEN), SALT_LEN)
        self._counter = _random_below(COUNTER_MOD)

    @property
    def prefix(self) -> str:
        return self._prefix

    @property
    def salt(self) -> str:
        return self._salt

    def next(self) -> str:
        """The next id (never repeats within this generator: the counter has 62**8 values)."""
        counter = self._counter
        self._counter = (counter + 1) % COUNTER_MOD
        return self._prefix + self._salt + _base62(counter, COUNTER_LEN)

    def __next__(self) -> str:
        return self.next()

    def __iter__(self) -> ClientIdGenerator:
        return self

    def __repr__(self) -> str:
        return f"<ClientIdGenerator prefix={self._prefix!r} salt={self._salt!r}>"
