from fastorder.transport._ssl cimport SSL, SSL_CTX


cdef class TlsConfig:
    cdef SSL_CTX *ctx
    cdef readonly bint check_hostname
    cdef readonly bint verify
    cdef unsigned int hostflags
    cdef dict sessions              # server name -> _Session (the latest resumable session from that server)
    cdef readonly long handshakes
    cdef readonly long resumed
    cdef readonly str record_layer   # "compiled": TLS 1.3 records sealed/opened by fo_tls13.h; "openssl"

    cdef int configure(self, SSL *s, str server_hostname) except -1


cdef object tls_failure(SSL *s, int ret, int err, bint handshake)
