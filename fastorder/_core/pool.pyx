"""Object pools for order records and write buffers (contract and ownership rule: pool.pyi)."""

cimport cython

from fastorder._core.buffer cimport WriteBuffer


from fastorder.errors import PoolError  # noqa: F401  (re-exported: fastorder._core.pool.PoolError)


@cython.final
@cython.freelist(64)
cdef class OrderRecord:
    cdef public str venue, symbol, side, client_order_id, exchange_order_id, status
    cdef public str quantity, price, filled_qty, avg_price
    cdef public object request_id
    cdef public long long t_call_ns, t_wire_ns, t_ack_ns, exchange_ts_us
    cdef object _owner        # the pool while the record is out; None while it rests in the pool

    def __cinit__(self):
        self.reset()

    cpdef void reset(self):
        self.venue = self.symbol = self.side = self.client_order_id = ""
        self.exchange_order_id = self.status = ""
        self.quantity = self.price = self.filled_qty = self.avg_price = ""
        self.request_id = None
        self.t_call_ns = self.t_wire_ns = self.t_ack_ns = self.exchange_ts_us = 0

    def __repr__(self):
        return (f"<OrderRecord {self.venue} {self.symbol} {self.side} {self.client_order_id!r} "
                f"status={self.status!r}>")


cdef class _Pool:
    cdef list _free
    cdef Py_ssize_t _capacity
    cdef Py_ssize_t _in_use
    cdef Py_ssize_t _created

    @property
    def in_use(self):
        return self._in_use

    @property
    def free(self):
        return len(self._free)

    @property
    def created(self):
        return self._created


@cython.final
cdef class RecordPool(_Pool):

    def __init__(self, Py_ssize_t capacity=1024, *, Py_ssize_t prefill=0):
        self._free = []
        self._capacity = capacity
        for _ in range(min(prefill, capacity)):
            self._free.append(OrderRecord())
            self._created += 1

    cpdef OrderRecord acquire(self):
        cdef OrderRecord rec
        if self._free:
            rec = self._free.pop()
        else:
            rec = OrderRecord()
            self._created += 1
        rec._owner = self
        self._in_use += 1
        return rec

    cpdef void release(self, OrderRecord record) except *:
        if record._owner is not self:
            if record._owner is None:
                raise PoolError("OrderRecord released twice (or never acquired)")
            raise PoolError("OrderRecord released to a pool it does not belong to")
        record._owner = None
        record.reset()    # nothing of this order may leak into the next one
        self._in_use -= 1
        if len(self._free) < self._capacity:
            self._free.append(record)


@cython.final
cdef class BufferPool(_Pool):
    cdef Py_ssize_t _size
    cdef dict _out          # id -> buffer for every buffer handed out (kept alive, so an id is never reused)

    def __init__(self, Py_ssize_t capacity=64, *, Py_ssize_t buffer_size=512, Py_ssize_t prefill=0):
        self._free = []
        self._out = {}
        self._capacity = capacity
        self._size = buffer_size
        for _ in range(min(prefill, capacity)):
            self._free.append(WriteBuffer(buffer_size))
            self._created += 1

    cpdef WriteBuffer acquire(self):
        cdef WriteBuffer buf
        if self._free:
            buf = self._free.pop()
        else:
            buf = WriteBuffer(self._size)
            self._created += 1
        self._out[id(buf)] = buf
        self._in_use += 1
        return buf

    cpdef void release(self, WriteBuffer buf) except *:
        cdef object key = id(buf)
        if self._out.get(key) is not buf:
            raise PoolError("WriteBuffer released twice, or to a pool it does not belong to")
        if buf.exports > 0:
            raise PoolError("WriteBuffer released while a memoryview of it is alive")
        del self._out[key]
        buf.length = 0
        self._in_use -= 1
        if len(self._free) < self._capacity:
            self._free.append(buf)
