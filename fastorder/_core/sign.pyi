"""Signers. HMAC-SHA256 through OpenSSL's SHA-256 with the key's inner/outer state computed once per key;
Ed25519 through `cryptography`. Neither keeps the secret in a readable form, nor shows it in repr/str/errors;
neither can be pickled or copied. A secret/key of the wrong type raises TypeError; an unusable one
(empty, not encodable, not Ed25519) raises InvalidCredential without quoting it. Messages must be bytes-like
(TypeError otherwise, never a silent conversion).
"""

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

class HmacSha256:
    def __init__(self, secret: str | bytes) -> None:
        """`secret` as the venue gives it (UTF-8 text is used as its bytes). Empty secret: InvalidCredential."""
    def digest(self, message: bytes | bytearray | memoryview) -> bytes:
        """HMAC-SHA256(secret, message), 32 bytes; equal to `hmac.new(secret, message, sha256).digest()`."""
    def hexdigest(self, message: bytes | bytearray | memoryview) -> str:
        """Lowercase hex of `digest` (Binance)."""
    def b64digest(self, message: bytes | bytearray | memoryview) -> str:
        """Standard base64 (with padding) of `digest` (OKX, HTX)."""

class Ed25519Signer:
    def __init__(self, private_key: Ed25519PrivateKey | bytes | str) -> None:
        """A key object, a 32-byte raw seed, or PEM text/bytes (PKCS#8, unencrypted)."""
    @property
    def public_key_pem(self) -> str: ...
    def sign(self, message: bytes | bytearray | memoryview) -> bytes:
        """The 64-byte Ed25519 signature."""
    def b64sign(self, message: bytes | bytearray | memoryview) -> str:
        """Standard base64 of `sign` (Binance Ed25519 keys, HTX Ed25519)."""

Signer = HmacSha256 | Ed25519Signer
