"""HMAC-SHA256 with the key's state prepared once, and Ed25519 through `cryptography` (contract: sign.pyi)."""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from libc.string cimport memset

from fastorder._core.csrc cimport fo_b64_encode, fo_b64_len, fo_hex_encode, fo_pct_encode, fo_pct_len

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fastorder.errors import InvalidCredential


cdef class _Secret:
    """What every signer shares: it holds a secret, so it is never pickled or copied."""

    def __reduce__(self):
        raise TypeError("signers cannot be pickled (they hold a secret)")

    def __copy__(self):
        raise TypeError("signers cannot be copied (they hold a secret)")

    def __deepcopy__(self, memo):
        raise TypeError("signers cannot be copied (they hold a secret)")


cdef class HmacSha256(_Secret):

    def __init__(self, secret):
        cdef unsigned char block[64]
        cdef unsigned char pad[64]
        cdef bytes key
        cdef Py_ssize_t i, n
        if isinstance(secret, str):
            try:
                key = (<str>secret).encode("utf-8")
            except UnicodeEncodeError:
                # the codec's message would quote part of the secret: never chain it
                raise InvalidCredential("secret is not valid text (it cannot be encoded as UTF-8)") from None
        elif isinstance(secret, (bytes, bytearray)):
            key = bytes(secret)
        else:
            raise TypeError(f"secret must be str or bytes, not {type(secret).__name__}")
        n = PyBytes_GET_SIZE(key)
        if n == 0:
            raise InvalidCredential("secret is empty")
        memset(block, 0, 64)
        if n > 64:  # RFC 2104: longer keys are hashed first
            SHA256_Init(&self._inner)
            SHA256_Update(&self._inner, PyBytes_AS_STRING(key), <size_t>n)
            SHA256_Final(block, &self._inner)
        else:
            for i in range(n):
                block[i] = <unsigned char>PyBytes_AS_STRING(key)[i]
        for i in range(64):
            pad[i] = block[i] ^ 0x36
        SHA256_Init(&self._inner)
        SHA256_Update(&self._inner, pad, 64)
        for i in range(64):
            pad[i] = block[i] ^ 0x5c
        SHA256_Init(&self._outer)
        SHA256_Update(&self._outer, pad, 64)
        memset(block, 0, 64)
        memset(pad, 0, 64)

    cdef void finish(self, SHA256_CTX *ctx, unsigned char *out32) noexcept nogil:
        cdef unsigned char inner[32]
        cdef SHA256_CTX outer = self._outer
        SHA256_Final(inner, ctx)
        SHA256_Update(&outer, inner, 32)
        SHA256_Final(out32, &outer)

    cdef void mac(self, const char *msg, Py_ssize_t n, unsigned char *out32) noexcept nogil:
        cdef SHA256_CTX ctx = self._inner
        SHA256_Update(&ctx, msg, <size_t>n)
        self.finish(&ctx, out32)

    def digest(self, message):
        if not isinstance(message, (bytes, bytearray, memoryview)):
            raise TypeError(f"message must be bytes-like, not {type(message).__name__}")
        cdef const unsigned char[::1] m = message
        cdef unsigned char out[32]
        cdef const char *p = b""
        if m.shape[0]:
            p = <const char *>&m[0]
        self.mac(p, m.shape[0], out)
        return out[:32]

    def hexdigest(self, message):
        return self.digest(message).hex()

    def b64digest(self, message):
        cdef bytes d = self.digest(message)
        cdef char out[44]
        fo_b64_encode(<const unsigned char *>PyBytes_AS_STRING(d), 32, out)
        return out[:44].decode("ascii")

    def __repr__(self):
        return "HmacSha256(<secret>)"



cdef class Ed25519Signer(_Secret):

    def __init__(self, private_key):
        if isinstance(private_key, Ed25519PrivateKey):
            self._key = private_key
        elif isinstance(private_key, (bytes, bytearray)) and len(private_key) == 32:
            self._key = Ed25519PrivateKey.from_private_bytes(bytes(private_key))
        elif isinstance(private_key, (bytes, bytearray, str)):
            try:
                pem = private_key.encode("ascii") if isinstance(private_key, str) else bytes(private_key)
            except UnicodeEncodeError:
                raise InvalidCredential("private_key is not an unencrypted PEM Ed25519 key") from None
            try:
                key = serialization.load_pem_private_key(pem, password=None)
            except Exception:
                # the underlying message may quote the input: never chain it
                raise InvalidCredential("private_key is not an unencrypted PEM Ed25519 key") from None
            if not isinstance(key, Ed25519PrivateKey):
                raise InvalidCredential("private_key is not an Ed25519 key")
            self._key = key
        else:
            raise TypeError(f"private_key must be an Ed25519 key, seed or PEM, not {type(private_key).__name__}")

    @property
    def public_key_pem(self):
        return self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")

    def sign(self, message):
        return self._key.sign(_message_bytes(message))

    def b64sign(self, message):
        cdef bytes d = self._key.sign(_message_bytes(message))
        cdef char out[88]
        fo_b64_encode(<const unsigned char *>PyBytes_AS_STRING(d), 64, out)
        return out[:88].decode("ascii")

    def __repr__(self):
        return "Ed25519Signer(<private key>)"



cdef bytes _message_bytes(object message):
    if not isinstance(message, (bytes, bytearray, memoryview)):
        raise TypeError(f"message must be bytes-like, not {type(message).__name__}")
    return bytes(message)


cdef int put_digest(WriteBuffer out, const unsigned char *sig, Py_ssize_t n, SigFormat fmt) except -1:
    cdef char tmp[128]
    cdef Py_ssize_t m
    cdef char *p
    if fmt == SIG_HEX:
        p = out.reserve(2 * n)
        fo_hex_encode(sig, n, p)
        out.commit(2 * n)
    elif fmt == SIG_B64:
        p = out.reserve(fo_b64_len(n))
        out.commit(fo_b64_encode(sig, n, p))
    else:
        m = fo_b64_encode(sig, n, tmp)
        p = out.reserve(fo_pct_len(tmp, m))
        out.commit(fo_pct_encode(tmp, m, p))
    return 0


cdef int sign_into(object signer, const char *msg, Py_ssize_t n, WriteBuffer out, SigFormat fmt) except -1:
    cdef unsigned char d[32]
    cdef bytes s
    if type(signer) is HmacSha256:
        (<HmacSha256>signer).mac(msg, n, d)
        return put_digest(out, d, 32, fmt)
    if type(signer) is Ed25519Signer:
        s = (<Ed25519Signer>signer)._key.sign(msg[:n])
        return put_digest(out, <const unsigned char *>PyBytes_AS_STRING(s), 64,
                          SIG_B64 if fmt == SIG_HEX else fmt)
    raise TypeError(f"signer must be HmacSha256 or Ed25519Signer, not {type(signer).__name__}")
