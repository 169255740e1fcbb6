"""The delay relay's event loop (csrc/fo_relay.h) behind a small class; see fastorder.net.relay for the process
that runs it and the statistics it reports."""

from libc.stdint cimport int64_t, uint32_t, uint64_t

cdef extern from "fo_relay.h" nogil:
    enum:
        FO_RELAY_BUCKET_NS
        FO_RELAY_NBUCKETS
    ctypedef struct fo_relay:
        uint32_t *hist
        uint64_t count, over, accepted, closed, no_stamp
        int64_t max_err_ns
        int64_t delay_ns, early_ns
    fo_relay *fo_relay_new(int64_t delay_ns, int64_t early_ns)
    int fo_relay_listen(fo_relay *r, int lfd, const char *ip, int port)
    int fo_relay_run(fo_relay *r, int ctl_fd)
    void fo_relay_reset_stats(fo_relay *r)
    void fo_relay_free(fo_relay *r)

from libc.errno cimport errno


cdef class Relay:
    """Holds every chunk, in each direction, for ``delay_ns`` after the kernel queued it; wakes ``early_ns``
    before each deadline and spins the rest.  ``add_listener`` hands it listening sockets (it owns and closes
    them); ``run(ctl_fd)`` forwards, without the GIL, until ``ctl_fd`` is readable."""

    cdef fo_relay *r

    def __cinit__(self, long long delay_ns, long long early_ns=0):
        if delay_ns < 0 or early_ns < 0:
            raise ValueError("delay_ns and early_ns must be >= 0")
        self.r = fo_relay_new(delay_ns, early_ns)
        if self.r == NULL:
            raise OSError(errno, "relay: could not create epoll/timerfd")

    def __dealloc__(self):
        fo_relay_free(self.r)
        self.r = NULL

    def add_listener(self, int fd, str ip, int port):
        """Forward connections accepted on ``fd`` (bound, listening) to ``ip:port`` (IPv4)."""
        if fo_relay_listen(self.r, fd, ip.encode("ascii"), port) < 0:
            raise OSError(errno, f"relay: cannot add listener fd {fd} -> {ip}:{port}")

    def run(self, int ctl_fd):
        """Forward until ``ctl_fd`` becomes readable (its data is left for the caller)."""
        cdef int rc
        with nogil:
            rc = fo_relay_run(self.r, ctl_fd)
        if rc < 0:
            raise OSError(errno, "relay: epoll_wait failed")

    def reset_stats(self):
        fo_relay_reset_stats(self.r)

    def stats(self):
        """Each chunk's hold error (written - arrival - delay, ns): count, p50/p90/p99/p99.9, max; and counters."""
        cdef uint64_t total = self.r.count, seen = 0
        cdef Py_ssize_t i
        qs = [50.0, 90.0, 99.0, 99.9]
        out = {"delay_ns": self.r.delay_ns, "early_ns": self.r.early_ns, "chunks": total,
               "max_error_ns": self.r.max_err_ns, "over_20ms": self.r.over, "no_stamp": self.r.no_stamp,
               "connections_accepted": self.r.accepted, "connections_closed": self.r.closed}
        k = 0
        for i in range(FO_RELAY_NBUCKETS):
            if k >= len(qs):
                break
            seen += self.r.hist[i]
            while k < len(qs) and total and seen >= qs[k] / 100.0 * total:
                # the bucket's upper edge: never reports less error than there was
                out[f"p{qs[k]:g}_error_ns".replace(".", "_")] = (i + 1) * FO_RELAY_BUCKET_NS
                k += 1
        return out
