# Declarations of csrc/fo_tls13.h (the compiled TLS 1.3 record layer), cimported by fastorder.transport.link
# only (the header's ex_data slot is per module).
from libc.stdint cimport uint64_t

from fastorder.transport._ssl cimport SSL


cdef extern from "fo_tls13.h" nogil:
    int FO_TLS13_HDR
    int FO_TLS13_MAX_PLAIN
    int FO_TLS13_MAX_CIPHER
    int FO_TLS13_OVERHEAD
    int FO_CT_ALERT
    int FO_CT_HANDSHAKE
    int FO_CT_APPDATA
    int FO_E_OUTER_TYPE
    int FO_E_VERSION
    int FO_E_OVERFLOW
    int FO_E_SHORT
    int FO_E_MAC
    int FO_E_NO_TYPE
    int FO_E_SEQ
    int FO_E_CRYPTO

    ctypedef struct fo_tls13_dir:
        uint64_t seq

    ctypedef struct fo_tls13:
        fo_tls13_dir w
        fo_tls13_dir r
        fo_tls13_dir o
        uint64_t rekey_after
        unsigned short suite

    int fo_tls13_set_nonce_by_init(int on)
    int fo_tls13_index()
    void fo_tls13_keylog(const SSL *ssl, const char *line)
    fo_tls13 *fo_tls13_new(uint64_t rekey_after)
    void fo_tls13_free(fo_tls13 *t)
    int fo_tls13_start(fo_tls13 *t, SSL *ssl)
    int fo_tls13_update(fo_tls13 *t, fo_tls13_dir *d, int enc)
    long fo_tls13_seal(fo_tls13_dir *d, int type, const unsigned char *inp, size_t n, unsigned char *out)
    long fo_tls13_open(fo_tls13_dir *d, const unsigned char *buf, size_t avail, unsigned char *out,
                       size_t *outlen, int *type)
