from libc.stdint cimport int64_t

from fastorder.transport.link cimport Link


cdef class HttpResponse:
    cdef readonly int status
    cdef readonly int version
    cdef readonly bytes reason
    cdef readonly bytes body
    cdef readonly bint keep_alive
    cdef readonly int64_t t_recv_ns
    cdef bytes _head

    cdef object _scan_headers(self, const char *key, Py_ssize_t kn, list out)


cdef class HttpTemplate:
    cdef readonly bytes line
    cdef readonly bytes rest


cdef class HttpResponseParser:
    cdef char *_buf
    cdef Py_ssize_t _blen
    cdef Py_ssize_t _bcap
    cdef char *_body
    cdef Py_ssize_t _bodylen
    cdef Py_ssize_t _bodycap
    cdef int _state
    cdef Py_ssize_t _scan
    cdef Py_ssize_t _remaining
    cdef Py_ssize_t _trailer_len
    cdef Py_ssize_t _max_head
    cdef Py_ssize_t _max_body
    cdef HttpResponse _resp
    cdef list _out

    cdef int _feed_eof(self) except -1
    cdef int _feed(self, const char *p, Py_ssize_t n) except -1
    cdef int _body_append(self, const char *p, Py_ssize_t n) except -1
    cdef Py_ssize_t _step(self, const char *p, Py_ssize_t n) except -1
    cdef int _check_field_line(self, const char *p, Py_ssize_t n) except -1
    cdef int _parse_head(self, const char *p, Py_ssize_t hl) except -1
    cdef int _complete(self) except -1
    cdef int _on_message(self, HttpResponse r) except -1


cdef class HttpClientProtocol(HttpResponseParser):
    cdef Link _link
    cdef object _loop
    cdef object _waiters
    cdef bint _open
    cdef object _on_lost
    cdef public long dispatched
    cdef public long requests_sent
    cdef public int64_t last_used_ns
    cdef public object closed
    cdef public object ready

    cdef int _on_bytes(self, const char *p, Py_ssize_t n) except -1
    cdef int _dispatch(self, HttpResponse r) except -1
    cdef _fail(self, exc)
    cdef _fail_waiters(self, exc)
    cdef int _enqueue(self, object waiter, bint is_cb, double timeout) except -1
    cdef int _write_obj(self, object data) except -1
    cdef int _write_template(self, HttpTemplate tpl, object query, object body) except -1
