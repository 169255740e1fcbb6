import ssl
from os import PathLike

from fastorder.errors import TlsCertificateError as TlsCertificateError
from fastorder.errors import TlsError as TlsError

__all__ = ["TlsConfig", "TlsError", "TlsCertificateError", "ktls_available"]

RECORD_LAYERS: tuple[str, ...]

def ktls_available() -> bool:
    """Does this kernel offer kernel TLS (the ``tls`` TCP upper-layer protocol)?"""

class TlsConfig:
    """TLS settings for the compiled TLS path, verifying exactly as the ``ssl.SSLContext`` they mirror (the
    default: ``ssl.create_default_context()``); shared by connections, with their resumable sessions."""

    check_hostname: bool
    verify: bool
    handshakes: int
    resumed: int
    record_layer: str
    def __init__(
        self, ssl_context: ssl.SSLContext | None = None, *, cafile: str | PathLike[str] | None = None,
        capath: str | PathLike[str] | None = None, cadata: str | bytes | None = None,
        record_layer: str = "compiled",
    ) -> None: ...
    def forget_sessions(self) -> None: ...
