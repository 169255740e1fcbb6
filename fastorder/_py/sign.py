"""Pure-Python twin of `fastorder._core.sign`: HMAC-SHA256 through `hmac`/`hashlib`, Ed25519 through
`cryptography`.

Neither signer keeps the secret as readable text: HmacSha256 keeps only a keyed `hmac` object (the inner and
outer SHA-256 states, computed once per key) and copies it per message. Neither shows the secret in
repr/str/errors, and neither can be pickled or copied.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fastorder.errors import InvalidCredential

_MESSAGE_TYPES = (bytes, bytearray, memoryview)


def _check_message(message: object) -> None:
    if not isinstance(message, _MESSAGE_TYPES):
        raise TypeError(f"message must be bytes, bytearray or memoryview, not {type(message).__name__}")


class _NoCopy:
    """Secrets holders: no pickling, no copying (the error names the class, never the secret)."""

    __slots__ = ()

    def __reduce_ex__(self, protocol: object):
        raise TypeError(f"{type(self).__name__} objects cannot be pickled")

    def __reduce__(self):
        raise TypeError(f"{type(self).__name__} objects cannot be pickled")

    def __copy__(self):
        raise TypeError(f"{type(self).__name__} objects cannot be copied")

    def __deepcopy__(self, memo: object):
        raise TypeError(f"{type(self).__name__} objects cannot be copied")

    def __getstate__(self):
        raise TypeError(f"{type(self).__name__} objects cannot be pickled")


class HmacSha256(_NoCopy):
    __slots__ = ("_keyed",)

    def __init__(self, secret: str | bytes) -> None:
        """`secret` as the venue gives it (UTF-8 text is used as its bytes). Empty secret: InvalidCredential."""
        if isinstance(secret, str):
            try:
                key = secret.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate has no UTF-8 bytes
                raise InvalidCredential("secret is not valid Unicode text") from None
        elif isinstance(secret, bytes):
            key = secret
        else:
            raise TypeError(f"secret must be str or bytes, not {type(secret).__name__}")
        if not key:
            raise InvalidCredential("secret is empty")
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)

    def __repr__(self) -> str:
        return "<HmacSha256>"

    def digest(self, message: bytes | bytearray | memoryview) -> bytes:
        """HMAC-SHA256(secret, message), 32 bytes."""
        _check_message(message)
        h = self._keyed.copy()
        h.update(message)
        return h.digest()

    def hexdigest(self, message: bytes | bytearray | memoryview) -> str:
        """Lowercase hex of `digest` (Binance)."""
        return self.digest(message).hex()

    def b64digest(self, message: bytes | bytearray | memoryview) -> str:
        """Standard base64 (with padding) of `digest` (OKX, HTX)."""
        return base64.b64encode(self.digest(message)).decode("ascii")


class Ed25519Signer(_NoCopy):
    __slots__ = ("_key",)

    def __init__(self, private_key: Ed25519PrivateKey | bytes | str) -> None:
        """A key object, a 32-byte raw seed, or PEM text/bytes (PKCS#8, unencrypted)."""
        if isinstance(private_key, Ed25519PrivateKey):
            key = private_key
        elif isinstance(private_key, bytes) and len(private_key) == 32:
            key = Ed25519PrivateKey.from_private_bytes(private_key)
        elif isinstance(private_key, (bytes, str)):
            try:
                pem = private_key.encode("utf-8") if isinstance(private_key, str) else private_key
                key = serialization.load_pem_private_key(pem, password=None)
            except (ValueError, TypeError, UnicodeError):
                # the library's message may quote the input: never pass it on
                raise InvalidCredential("private_key is not an unencrypted PKCS#8 PEM Ed25519 key") from None
            if not isinstance(key, Ed25519PrivateKey):
                raise InvalidCredential("private_key is not an Ed25519 key")
        else:
            raise TypeError(f"private_key must be Ed25519PrivateKey, bytes or str, not {type(private_key).__name__}")
        self._key = key

    def __repr__(self) -> str:
        return "<Ed25519Signer>"

    @property
    def public_key_pem(self) -> str:
        return self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    def sign(self, message: bytes | bytearray | memoryview) -> bytes:
        """The 64-byte Ed25519 signature."""
        _check_message(message)
        return self._key.sign(bytes(message))

    def b64sign(self, message: bytes | bytearray | memoryview) -> str:
        """Standard base64 of `sign` (Binance Ed25519 keys, HTX Ed25519)."""
        return base64.b64encode(self.sign(message)).decode("ascii")


Signer = HmacSha256 | Ed25519Signer
