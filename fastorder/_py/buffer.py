"""Pure-Python twin of `fastorder._core.buffer`: a growable byte buffer on a `bytearray`.

The twin keeps the compiled module's observable rules: `capacity` starts at max(512, capacity) and only
grows (doubling), `clear()` keeps it, and while a buffer view is exported (Python >= 3.12, PEP 688
`__buffer__`) anything that would grow or clear the buffer raises BufferError.
"""

from __future__ import annotations

import operator

INLINE_CAPACITY = 512


class WriteBuffer:
    """A reusable, growable byte buffer (see `fastorder._core.buffer.WriteBuffer`)."""

    __slots__ = ("_data", "_capacity", "_exports", "__weakref__")

    def __init__(self, capacity: int = INLINE_CAPACITY) -> None:
        capacity = operator.index(capacity)
        if capacity < 0:
            raise ValueError("capacity must be >= 0")
        self._data = bytearray()
        self._capacity = max(INLINE_CAPACITY, capacity)
        self._exports = 0

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"<WriteBuffer len={len(self._data)} capacity={self._capacity}>"

    def _check_not_exported(self, what: str) -> None:
        if self._exports:
            raise BufferError(f"cannot {what} a WriteBuffer while a view of it is exported")

    def clear(self) -> None:
        """Forget the contents (keeps the memory)."""
        self._check_not_exported("clear")
        del self._data[:]

    def wipe(self) -> None:
        """Zero the memory and forget the contents (a sent request's credentials are not kept)."""
        self._check_not_exported("wipe")
        self._data[:] = bytes(len(self._data))
        del self._data[:]

    def raw(self) -> bytes:
        """The memory the buffer can show (a bytearray's spare capacity is not reachable from Python)."""
        return bytes(self._data)

    def getvalue(self) -> bytes:
        """A copy of the contents."""
        return bytes(self._data)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Append raw bytes."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"write() needs bytes, bytearray or memoryview, not {type(data).__name__}")
        view = memoryview(data).cast("B") if isinstance(data, memoryview) else data
        needed = len(self._data) + len(view)
        if needed > self._capacity:
            self._check_not_exported("grow")
            capacity = self._capacity
            while capacity < needed:
                capacity *= 2
            self._capacity = capacity
        elif len(view):
            self._check_not_exported("write to")
        self._data += view

    def truncate(self, size: int) -> None:
        """Shrink the contents to `size` bytes (size <= len)."""
        size = operator.index(size)
        if size < 0 or size > len(self._data):
            raise ValueError(f"truncate size {size} outside [0, {len(self._data)}]")
        if size != len(self._data):
            self._check_not_exported("truncate")
            del self._data[size:]

    @property
    def capacity(self) -> int:
        return self._capacity

    # PEP 688 (Python >= 3.12): memoryview(buf) exports a read-only view of the current bytes.
    def __buffer__(self, flags: int) -> memoryview:
        view = memoryview(self._data).toreadonly()
        self._exports += 1
        return view

    def __release_buffer__(self, view: memoryview) -> None:
        self._exports -= 1
        view.release()
