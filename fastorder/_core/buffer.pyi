"""The write buffer every encoder writes into: one growable byte array, reused across orders."""

import sys
from typing import SupportsIndex

class WriteBuffer:
    """A reusable, growable byte buffer (inline 512-byte storage, heap beyond that, never shrinks).

    Ownership: whoever created it owns it. `memoryview(buf)` / the buffer protocol export a view of the
    current bytes; while a view is alive the buffer must not grow or be cleared (the debug build asserts
    this; the release build raises BufferError from the Python-level methods).
    """

    def __new__(cls, capacity: int = 512) -> WriteBuffer: ...   # __cinit__ at runtime
    def __len__(self) -> int: ...
    def clear(self) -> None:
        """Forget the contents (keeps the memory)."""
    def wipe(self) -> None:
        """Zero the whole memory and forget the contents (a sent request's credentials are not kept)."""
    def raw(self) -> bytes:
        """A copy of the whole memory, used or not (for tests that check nothing is left behind)."""
    def getvalue(self) -> bytes:
        """A copy of the contents."""
    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Append raw bytes."""
    def truncate(self, size: SupportsIndex) -> None:
        """Shrink the contents to `size` bytes (size <= len)."""
    @property
    def capacity(self) -> int: ...
    if sys.version_info >= (3, 12):   # PEP 688: Cython exports __buffer__ on 3.12+ only
        def __buffer__(self, flags: int) -> memoryview: ...
