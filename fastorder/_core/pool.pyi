"""Object pools for order records and write buffers.

Ownership rule: a pooled object has exactly one owner. `acquire()` hands it to the caller (in fastorder: the
session's pending-order table) who owns it until it calls `release()` once; after that the caller keeps no
reference. A second release, or releasing an object from another pool, raises `PoolError`. Released records
are wiped (every field reset), so nothing from one order leaks into the next. When the pool is empty,
`acquire()` makes a new object (counted in `created`); `release()` keeps at most `capacity` free objects.
"""

from fastorder._core.buffer import WriteBuffer
from fastorder.errors import PoolError as PoolError

class OrderRecord:
    """One order in flight: what the session needs to match its reply and reconcile it if the reply is lost."""

    venue: str
    symbol: str
    side: str
    client_order_id: str
    request_id: object
    exchange_order_id: str
    status: str
    quantity: str
    price: str
    filled_qty: str
    avg_price: str
    t_call_ns: int
    t_wire_ns: int
    t_ack_ns: int
    exchange_ts_us: int
    def reset(self) -> None: ...

class RecordPool:
    def __init__(self, capacity: int = 1024, *, prefill: int = 0) -> None: ...
    def acquire(self) -> OrderRecord: ...
    def release(self, record: OrderRecord) -> None: ...
    @property
    def in_use(self) -> int: ...
    @property
    def free(self) -> int: ...
    @property
    def created(self) -> int: ...

class BufferPool:
    def __init__(self, capacity: int = 64, *, buffer_size: int = 512, prefill: int = 0) -> None: ...
    def acquire(self) -> WriteBuffer:
        """An empty buffer."""
    def release(self, buf: WriteBuffer) -> None: ...
    @property
    def in_use(self) -> int: ...
    @property
    def free(self) -> int: ...
    @property
    def created(self) -> int: ...
