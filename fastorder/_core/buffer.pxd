# The write buffer: encoders append into it with these inline helpers (no Python objects per write).
from libc.string cimport memcpy

cdef enum:
    WB_INLINE = 512   # bytes kept inside the object: most orders never touch the heap

cdef class WriteBuffer:
    cdef char *data          # points at _inline or at a heap block
    cdef Py_ssize_t length
    cdef Py_ssize_t cap
    cdef Py_ssize_t exports  # live buffer-protocol views; growth/clear is refused while > 0
    cdef char _inline[WB_INLINE]

    cdef int _grow(self, Py_ssize_t need) except -1

    # Make room for `n` more bytes and return where they go; the caller writes them and calls commit(n).
    cdef inline char *reserve(self, Py_ssize_t n) except NULL:
        if self.length + n > self.cap:
            self._grow(self.length + n)
        return self.data + self.length

    cdef inline void commit(self, Py_ssize_t n) noexcept:
        self.length += n

    cdef inline int put(self, const char *src, Py_ssize_t n) except -1:
        if self.length + n > self.cap:
            self._grow(self.length + n)
        memcpy(self.data + self.length, src, <size_t>n)
        self.length += n
        return 0

    cdef inline int put_byte(self, char c) except -1:
        if self.length + 1 > self.cap:
            self._grow(self.length + 1)
        self.data[self.length] = c
        self.length += 1
        return 0

    cdef int put_u64(self, unsigned long long v) except -1
    cdef int put_bytes_obj(self, bytes b) except -1
