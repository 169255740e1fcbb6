"""Pure-Python twin of `fastorder._core.pool`: object pools for order records and write buffers.

A pooled object has exactly one owner: `acquire()` hands it out, the owner calls `release()` once. A second
release, or releasing an object this pool did not hand out, raises PoolError. Released records are wiped.
When the pool is empty `acquire()` makes a new object (counted in `created`, as are prefilled ones);
`release()` keeps at most `capacity` free objects.
"""

from __future__ import annotations

import operator

from fastorder._py.buffer import WriteBuffer
from fastorder.errors import PoolError  # noqa: E402  (one type for both implementations)


class OrderRecord:
    """One order in flight: what the session needs to match its reply and reconcile it if the reply is lost."""

    __slots__ = ("venue", "symbol", "side", "client_order_id", "request_id", "exchange_order_id", "status",
                 "quantity", "price", "filled_qty", "avg_price", "t_call_ns", "t_wire_ns", "t_ack_ns",
                 "exchange_ts_us")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.venue = ""
        self.symbol = ""
        self.side = ""
        self.client_order_id = ""
        self.request_id = None
        self.exchange_order_id = ""
        self.status = ""
        self.quantity = ""
        self.price = ""
        self.filled_qty = ""
        self.avg_price = ""
        self.t_call_ns = 0
        self.t_wire_ns = 0
        self.t_ack_ns = 0
        self.exchange_ts_us = 0

    def __repr__(self) -> str:
        return (f"<OrderRecord {self.venue} {self.symbol} {self.side} {self.client_order_id!r} "
                f"status={self.status!r}>")


class _Pool:
    _kind: type

    def __init__(self, capacity: int, prefill: int) -> None:
        capacity = operator.index(capacity)
        prefill = operator.index(prefill)
        if capacity < 0:
            raise ValueError("capacity must be >= 0")
        if prefill < 0 or prefill > capacity:
            raise ValueError("prefill must be in [0, capacity]")
        self._capacity = capacity
        self._free: list = []
        self._in_use: dict[int, object] = {}  # id -> object handed out and not yet released
        self._created = 0
        for _ in range(prefill):
            self._free.append(self._make())

    def _make(self):
        self._created += 1
        return self._new()

    def acquire(self):
        obj = self._free.pop() if self._free else self._make()
        self._in_use[id(obj)] = obj
        return obj

    def release(self, obj) -> None:
        if not isinstance(obj, self._kind):
            raise TypeError(f"release() needs a {self._kind.__name__}, not {type(obj).__name__}")
        if self._in_use.get(id(obj)) is not obj:
            raise PoolError(f"{self._kind.__name__} was not acquired from this pool, or was already released")
        self._wipe(obj)
        del self._in_use[id(obj)]
        if len(self._free) < self._capacity:
            self._free.append(obj)

    @property
    def in_use(self) -> int:
        return len(self._in_use)

    @property
    def free(self) -> int:
        return len(self._free)

    @property
    def created(self) -> int:
        return self._created


class RecordPool(_Pool):
    _kind = OrderRecord

    def __init__(self, capacity: int = 1024, *, prefill: int = 0) -> None:
        super().__init__(capacity, prefill)

    def _new(self) -> OrderRecord:
        return OrderRecord()

    def _wipe(self, record: OrderRecord) -> None:
        record.reset()

    def acquire(self) -> OrderRecord:
        return super().acquire()

    def release(self, record: OrderRecord) -> None:
        super().release(record)


class BufferPool(_Pool):
    _kind = WriteBuffer

    def __init__(self, capacity: int = 64, *, buffer_size: int = 512, prefill: int = 0) -> None:
        self._buffer_size = operator.index(buffer_size)
        super().__init__(capacity, prefill)

    def _new(self) -> WriteBuffer:
        return WriteBuffer(self._buffer_size)

    def _wipe(self, buf: WriteBuffer) -> None:
        buf.clear()

    def acquire(self) -> WriteBuffer:
        """An empty buffer."""
        return super().acquire()

    def release(self, buf: WriteBuffer) -> None:
        super().release(buf)
