"""The write buffer every encoder writes into (see buffer.pyi for the contract)."""

from cpython.buffer cimport PyBUF_WRITABLE, PyBuffer_FillInfo
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from libc.string cimport memcpy, memset

from fastorder._core.csrc cimport FASTORDER_DEBUG, fo_u64_write


cdef class WriteBuffer:

    def __cinit__(self, Py_ssize_t capacity=WB_INLINE):
        self.data = self._inline
        self.cap = WB_INLINE
        self.length = 0
        self.exports = 0
        if capacity > WB_INLINE:
            self._grow(capacity)

    def __dealloc__(self):
        if self.data != self._inline and self.data != NULL:
            PyMem_Free(self.data)
        self.data = NULL

    cdef int _grow(self, Py_ssize_t need) except -1:
        cdef Py_ssize_t new_cap = self.cap
        cdef char *p
        if self.exports > 0:
            # A memoryview of the old bytes is alive: moving them would leave it dangling.
            raise BufferError("WriteBuffer cannot grow while a memoryview of it is alive")
        while new_cap < need:
            new_cap *= 2
        if self.data == self._inline:
            p = <char *>PyMem_Malloc(<size_t>new_cap)
            if p is NULL:
                raise MemoryError()
            memcpy(p, self.data, <size_t>self.length)
        else:
            p = <char *>PyMem_Realloc(self.data, <size_t>new_cap)
            if p is NULL:
                raise MemoryError()
        self.data = p
        self.cap = new_cap
        return 0

    cdef int put_u64(self, unsigned long long v) except -1:
        cdef char *p = self.reserve(20)
        self.commit(fo_u64_write(v, p))
        return 0

    cdef int put_bytes_obj(self, bytes b) except -1:
        return self.put(PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b))

    # -- Python API ------------------------------------------------------------------------------------

    def __len__(self):
        return self.length

    @property
    def capacity(self):
        return self.cap

    def clear(self):
        if self.exports > 0:
            raise BufferError("WriteBuffer cannot be cleared while a memoryview of it is alive")
        self.length = 0

    def wipe(self):
        # zero all the memory, not only the current contents: an earlier, longer request's tail is there too
        if self.exports > 0:
            raise BufferError("WriteBuffer cannot be wiped while a memoryview of it is alive")
        memset(self.data, 0, self.cap)
        self.length = 0

    def raw(self):
        return PyBytes_FromStringAndSize(self.data, self.cap)

    def truncate(self, Py_ssize_t size):
        if size < 0 or size > self.length:
            raise ValueError(f"truncate({size}) outside 0..{self.length}")
        if self.exports > 0:
            raise BufferError("WriteBuffer cannot be truncated while a memoryview of it is alive")
        self.length = size

    def getvalue(self):
        return PyBytes_FromStringAndSize(self.data, self.length)

    def write(self, data):
        cdef const unsigned char[::1] view = data
        if view.shape[0]:
            self.put(<const char *>&view[0], view.shape[0])

    def __getbuffer__(self, Py_buffer *view, int flags):
        if flags & PyBUF_WRITABLE:
            raise BufferError("WriteBuffer exports read-only views")
        PyBuffer_FillInfo(view, self, self.data, self.length, 1, flags)
        self.exports += 1

    def __releasebuffer__(self, Py_buffer *view):
        self.exports -= 1
        if FASTORDER_DEBUG:
            assert self.exports >= 0, "WriteBuffer export count went negative"

    def __repr__(self):
        return f"<WriteBuffer len={self.length} capacity={self.cap}>"

    def __reduce__(self):
        raise TypeError("WriteBuffer is not picklable")
