"""Client order ids: prefix + 10-char random salt + 8-char base62 counter (contract: ids.pyi)."""

import os
import weakref

from cpython.unicode cimport PyUnicode_DecodeASCII
from libc.string cimport memcpy

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
cdef const char *_B62 = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
cdef signed char _VALUE[128]

cdef int _k
for _k in range(128):
    _VALUE[_k] = -1
for _k in range(62):
    _VALUE[<int>_B62[_k]] = _k

cdef enum:
    SALT = 10
    COUNTER = 8
    MAXPREFIX = 8

# Generators alive in this process; a forked child gives each a fresh salt so parent and child never
# produce the same id.
_live = weakref.WeakSet()


def _reseed_after_fork():
    for gen in list(_live):
        (<ClientIdGenerator>gen)._seed()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reseed_after_fork)


cdef class ClientIdGenerator:
    cdef char _id[MAXPREFIX + SALT + COUNTER]
    cdef int _plen
    cdef int _len
    cdef object __weakref__

    def __init__(self, str prefix=""):
        if len(prefix) > MAXPREFIX or not (prefix.isascii() and (prefix == "" or prefix.isalnum())):
            raise ValueError("prefix must be 0-8 ASCII letters or digits")
        cdef bytes raw = prefix.encode("ascii")
        self._plen = len(raw)
        memcpy(self._id, <const char *>raw, self._plen)
        self._len = self._plen + SALT + COUNTER
        self._seed()
        _live.add(self)

    cdef void _seed(self):
        cdef unsigned long long r = int.from_bytes(os.urandom(8), "little")
        cdef unsigned long long c = int.from_bytes(os.urandom(8), "little")
        cdef int i
        for i in range(SALT):
            self._id[self._plen + SALT - 1 - i] = _B62[r % 62]
            r //= 62
        # start the counter at a random point in its lower half: 62**8 / 2 ids before it wraps
        c %= 109170052312576ULL  # 62**8 // 2
        for i in range(COUNTER):
            self._id[self._len - 1 - i] = _B62[c % 62]
            c //= 62

    cdef inline void _advance(self) noexcept:
        cdef int i = self._len - 1
        cdef int v
        while i >= self._len - COUNTER:
            v = _VALUE[<int>self._id[i]] + 1
            if v < 62:
                self._id[i] = _B62[v]
                return
            self._id[i] = b'0'
            i -= 1
        # all 62**8 counter values used: a new salt keeps ids unique
        self._seed()

    @property
    def prefix(self):
        return PyUnicode_DecodeASCII(self._id, self._plen, NULL)

    @property
    def salt(self):
        return PyUnicode_DecodeASCII(self._id + self._plen, SALT, NULL)

    def next(self):
        self._advance()
        return PyUnicode_DecodeASCII(self._id, self._len, NULL)

    def __next__(self):
        self._advance()
        return PyUnicode_DecodeASCII(self._id, self._len, NULL)

    def __iter__(self):
        return self

    def __repr__(self):
        return f"ClientIdGenerator(prefix={self.prefix!r}, salt={self.salt!r})"
