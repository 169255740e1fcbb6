from fastorder._core.buffer cimport WriteBuffer

# OpenSSL's SHA-256 with a by-value state, through csrc/fo_sha256.h (which says why not EVP_MAC).
cdef extern from "fo_sha256.h" nogil:
    ctypedef struct SHA256_CTX:
        pass
    int SHA256_Init "fo_sha256_init"(SHA256_CTX *c)
    int SHA256_Update "fo_sha256_update"(SHA256_CTX *c, const void *data, size_t len)
    int SHA256_Final "fo_sha256_final"(unsigned char *md, SHA256_CTX *c)

cdef enum SigFormat:
    SIG_HEX = 0       # lowercase hex (Binance HMAC)
    SIG_B64 = 1       # base64 (OKX, HTX, Binance Ed25519 inside JSON)
    SIG_B64_URL = 2   # base64, then percent-encoded for a query string (Binance Ed25519 REST, HTX)

cdef class _Secret:
    pass

cdef class HmacSha256(_Secret):
    # Only the SHA-256 states after absorbing (key ^ ipad) and (key ^ opad) are kept; they are as secret as
    # the key and never leave this object.
    cdef SHA256_CTX _inner
    cdef SHA256_CTX _outer

    cdef inline void begin(self, SHA256_CTX *ctx) noexcept nogil:
        ctx[0] = self._inner

    cdef void finish(self, SHA256_CTX *ctx, unsigned char *out32) noexcept nogil
    cdef void mac(self, const char *msg, Py_ssize_t n, unsigned char *out32) noexcept nogil

cdef class Ed25519Signer(_Secret):
    cdef object _key

# Sign msg[0:n] with `signer` (HmacSha256 or Ed25519Signer) and append the signature to `out` in `fmt`
# (an Ed25519 signature is always base64; SIG_HEX means base64 for it).
cdef int sign_into(object signer, const char *msg, Py_ssize_t n, WriteBuffer out, SigFormat fmt) except -1
cdef int put_digest(WriteBuffer out, const unsigned char *sig, Py_ssize_t n, SigFormat fmt) except -1
