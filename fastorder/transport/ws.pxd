from libc.stdint cimport int64_t, uint64_t

from fastorder.transport.link cimport Link, Waiter


cdef class WSFrameParser:
    cdef char *_buf
    cdef Py_ssize_t _blen
    cdef Py_ssize_t _bcap
    cdef char *_frag
    cdef Py_ssize_t _flen
    cdef Py_ssize_t _fcap
    cdef int _frag_opcode
    cdef Py_ssize_t _need
    cdef bint _failed
    cdef bint _close_seen
    cdef bint _expect_masked
    cdef Py_ssize_t _max_size
    cdef list _events

    cdef int _feed(self, const char *p, Py_ssize_t n) except -1
    cdef Py_ssize_t _parse_one(self, const char *p, Py_ssize_t n) except -1
    cdef const char *_unmask(self, const char *key, const char *payload, Py_ssize_t n) except NULL
    cdef int _frag_append(self, const char *p, Py_ssize_t n) except -1
    cdef int _check_close(self, const char *p, Py_ssize_t n) except -1
    cdef int _on_data(self, int opcode, const char *p, Py_ssize_t n) except -1
    cdef int _on_control(self, int opcode, const char *p, Py_ssize_t n) except -1


cdef class WSClientProtocol(WSFrameParser):
    cdef Link _link
    cdef object _loop
    cdef object _on_message_cb
    cdef bytes _id_pattern
    cdef object _id_func
    cdef dict _pending
    cdef dict _pings
    cdef uint64_t _ping_seq
    cdef int _state
    cdef object _hs_buf
    cdef bytes _hs_request
    cdef bytes _accept
    cdef object _on_lost
    cdef public object close_code
    cdef public object close_reason
    cdef public long dropped
    cdef public long dispatched
    cdef public object handshake
    cdef public object closed

    cdef _handshake_data(self, data)
    cdef int _on_bytes(self, const char *p, Py_ssize_t n) except -1
    cdef bytes _extract_id(self, bytes payload)
    cdef int _write_out(self, const char *p, Py_ssize_t n) except -1
    cdef int _send_frame(self, int opcode, const char *p, Py_ssize_t n) except -1
    cdef int _send_obj(self, int opcode, object payload) except -1
    cdef int _send_close(self, int code, bytes reason) except -1
    cdef Waiter _register(self, bytes req_id, object waiter, bint is_cb, double timeout)
    cdef _fail(self, str msg, int code)
    cdef _abort(self, exc)
    cdef _fail_pending(self, exc)

